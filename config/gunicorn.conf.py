"""gunicorn's settings for Ladder, as the README's "Production" runs it:

    gunicorn config.wsgi --config config/gunicorn.conf.py

A flag on the command line still wins over a value here. The other tuned defaults live where
every server gets them: `config/wsgi.py` calls `gc.freeze()` once the app is loaded (in each
worker) and raises the young generation's collection threshold, and the settings keep PostgreSQL
connections open between requests (`DB_CONN_MAX_AGE`).
"""

import os


def usable_cpus() -> int:
    """The cores this process may run on (a container's or `taskset`'s limit included)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# Sync workers: `WEB_CONCURRENCY` (gunicorn's own variable, which gunicorn itself refuses unless
# it is a number), else one per usable core: ingest and pages are CPU-bound in Python, so more
# workers than cores only queue. Each worker holds at most one PostgreSQL connection; all of
# them, plus the background commands, must stay under the server's `max_connections` (100 by
# default): see the README's "Production".
workers = int(os.environ.get("WEB_CONCURRENCY") or usable_cpus())
