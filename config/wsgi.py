import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Move everything loaded so far out of the garbage collector's reach: each request then scans
# only its own objects (measured +9-15 % ingest throughput, docs/BENCHMARKS.md).
gc.freeze()
