"""Telemetry settings (`integration.conf`): remembered, and forgotten when settings change."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from integration import conf


def test_a_setting_changed_in_django_settings_is_read_again(settings):
    assert conf.max_points() == conf.DEFAULTS["TELEMETRY_MAX_POINTS"]
    settings.TELEMETRY_MAX_POINTS = 7
    assert conf.max_points() == 7
    with override_settings(TELEMETRY_MAX_POINTS=3):
        assert conf.max_points() == 3
    assert conf.max_points() == 7


def test_a_setting_under_one_is_refused_each_time_it_is_asked(settings):
    settings.TELEMETRY_MAX_SERIES = 0
    for _ in range(2):
        with pytest.raises(ImproperlyConfigured, match="at least 1"):
            conf.max_series()
