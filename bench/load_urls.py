"""The app's URLs plus `/bench/bare/`: bench/load.py's baseline, a ~2 KB template and no database.

The same gunicorn, middleware and load generator serve it as the app's pages, so the pages'
throughput can be given as a share of it.
"""

from django.http import HttpResponse
from django.template import engines
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns

BARE = engines["django"].from_string(
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>{{ title }}</title></head>"
    "<body><h1>{{ title }}</h1><table>"
    "{% for row in rows %}<tr><td>{{ row.0 }}</td><td>{{ row.1|floatformat:1 }}</td>"
    "<td>{{ row.2|upper }}</td></tr>{% endfor %}</table></body></html>"
)
ROWS = [(f"Process {i}", i * 1.37, f"level {i % 5}") for i in range(30)]


def bare(request):
    """No session, no user, no query: a template rendered without the request."""
    return HttpResponse(BARE.render({"title": "Bare page", "rows": ROWS}))


urlpatterns = [path("bench/bare/", bare), *app_urlpatterns]
