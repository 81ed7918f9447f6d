"""`manage.py db_worker` whose typesetting first sleeps SLOW_TYPESETTING_SECONDS, so a test can
kill it in the middle of a build, after some progress and before the file. Test use only:
`python -m tests.faults.slow_worker <db_worker options>` from the project's root."""

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

from assessments.reports import render  # noqa: E402

typeset = render.pdf_from_html


def slow_typesetting(html, **options):
    time.sleep(float(os.environ.get("SLOW_TYPESETTING_SECONDS", "60")))
    return typeset(html, **options)


render.pdf_from_html = slow_typesetting
call_command("db_worker", *sys.argv[1:])
