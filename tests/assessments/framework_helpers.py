"""Broken framework files for the validation tests: the shipped file as data, and its error."""

import copy
from functools import cache

import pytest
import yaml

from assessments.framework.fields import FrameworkError
from assessments.framework.loading import DEFAULT_FRAMEWORK_FILE, parse_framework


@cache
def _shipped_data() -> dict:
    return yaml.safe_load(DEFAULT_FRAMEWORK_FILE.read_text(encoding="utf-8"))


def shipped_data() -> dict:
    """A fresh copy of the shipped file as plain data, for a test to break one thing in."""
    return copy.deepcopy(_shipped_data())


def error_for(data) -> str:
    """The FrameworkError message for `data` written out as a file named broken.yaml."""
    with pytest.raises(FrameworkError) as excinfo:
        parse_framework(yaml.safe_dump(data, sort_keys=False), "broken.yaml")
    return str(excinfo.value)
