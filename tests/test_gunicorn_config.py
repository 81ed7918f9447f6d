"""The README's production command gets the tuned serving defaults without any flag: a worker
per usable core from `config/gunicorn.conf.py`, and from `config/wsgi.py` `gc.freeze()` once the
app is loaded and fewer collections of young objects."""

import os
import re
import shlex
import subprocess
import sys

from tests.instances import ROOT

SECRET = "gunicorn-config-test-not-a-secret-0123456789abcdefghijklmnop"


def readme_gunicorn_command() -> list[str]:
    text = (ROOT / "README.md").read_text()
    production = text[text.index("## Production") :]
    line = re.search(r"^gunicorn .*$", production, flags=re.M).group(0)
    return [sys.executable, "-m", *shlex.split(line)]


def resolved_settings(**env: str) -> dict[str, str]:
    """gunicorn's settings as the README's command resolves them (`--print-config`)."""
    base = {k: v for k, v in os.environ.items() if k != "WEB_CONCURRENCY"}
    result = subprocess.run(
        [*readme_gunicorn_command(), "--print-config"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    pairs = (line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    return {name.strip(): value.strip() for name, value in pairs}


def test_the_readme_command_starts_a_sync_worker_per_usable_core():
    settings = resolved_settings()
    assert settings["config"] == "config/gunicorn.conf.py"
    assert (ROOT / settings["config"]).is_file()
    assert settings["worker_class"] == "sync"
    assert int(settings["workers"]) == len(os.sched_getaffinity(0))


def test_web_concurrency_chooses_the_number_of_workers():
    cores = len(os.sched_getaffinity(0))
    assert int(resolved_settings(WEB_CONCURRENCY=str(cores + 2))["workers"]) == cores + 2


# Young collections while 5,000 small objects are made, as a request's parse makes them.
BURST = """
import gc
before = gc.get_stats()[0]["collections"]
made = [[i] for i in range(5000)]
print(gc.get_stats()[0]["collections"] - before)
"""


def python(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "SECRET_KEY": SECRET},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_wsgi_application_leaves_the_loaded_app_out_of_garbage_collections():
    code = "import gc, config.wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    frozen, tracked = python(code).split()
    # Django and the app loaded are frozen; what the collector still walks is the few made since.
    assert int(frozen) > 10 * int(tracked), (frozen, tracked)


def test_the_wsgi_application_collects_young_objects_less_often_than_python():
    assert int(python(BURST)) > 0  # the interpreter's default collects during the burst
    assert int(python("import config.wsgi\n" + BURST)) == 0
