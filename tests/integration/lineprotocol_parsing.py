"""The clock the line-protocol tests parse against, and how they read a refusal."""

from datetime import UTC, datetime

import pytest

from integration.lineprotocol import LineProtocolError, parse

NOW = datetime(2025, 11, 25, 10, 0, tzinfo=UTC)
TS = 1764064800000000000  # NOW in nanoseconds
HOUR_AGO = datetime(2025, 11, 25, 9, 0, tzinfo=UTC)


def refusal(body, **kwargs):
    with pytest.raises(LineProtocolError) as info:
        parse(body, now=NOW, **kwargs)
    return info.value
