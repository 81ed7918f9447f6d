"""bench/load.py's settings: the app's own, plus one bare page (bench/load_urls.py)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.load_urls"
