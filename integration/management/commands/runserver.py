"""`runserver` that reads chunked request bodies (Telegraf's), as gunicorn does in production."""

from whitenoise.runserver_nostatic.management.commands.runserver import (
    Command as RunserverCommand,
)

from integration.devserver import WSGIServer


class Command(RunserverCommand):
    server_cls = WSGIServer
