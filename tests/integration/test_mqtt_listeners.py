"""Listener heartbeats (`MqttListener`): their states, `telemetry_listeners` and the admin.

The listener processes that write them, and the retirement of their sessions against a real
broker, are in tests/faults/test_listener_faults.py.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from integration.models import MqttListener
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def listener(client_id: str, *, seen_ago: timedelta, now, **fields) -> MqttListener:
    MqttListener.note_started(client_id=client_id, group="ladder", now=now - seen_ago)
    MqttListener.objects.filter(client_id=client_id).update(**fields)
    return MqttListener.objects.get(client_id=client_id)


def test_a_listener_seen_recently_is_running_and_one_not_seen_for_five_minutes_is_stale():
    now = timezone.now()
    assert listener("a", seen_ago=timedelta(seconds=20), now=now).state(now=now) == "running"
    assert listener("b", seen_ago=timedelta(minutes=6), now=now).state(now=now) == "stale"


def test_a_stopped_listener_is_stale_too_once_it_stays_away():
    now = timezone.now()
    stopped = listener("a", seen_ago=timedelta(seconds=20), now=now, stopped=now)
    assert stopped.state(now=now) == "stopped"
    assert not stopped.is_alive(now=now)  # --retire-id needs no --force
    assert stopped.state(now=now + timedelta(minutes=10)) == "stale"


def test_a_retired_listener_is_never_stale():
    now = timezone.now()
    MqttListener.note_retired(client_id="gone", group="ladder", now=now - timedelta(days=3))
    assert MqttListener.objects.get().state(now=now) == "retired"


def test_a_listener_started_again_under_a_retired_id_is_running_again():
    now = timezone.now()
    MqttListener.note_retired(client_id="a", group="ladder", now=now - timedelta(hours=1))
    MqttListener.note_started(client_id="a", group="ladder", now=now)
    known = MqttListener.objects.get()
    assert known.retired is None and known.stopped is None
    assert known.state(now=now) == "running"


def test_the_command_lists_ids_and_fails_naming_the_stale_ones():
    now = timezone.now()
    listener("live", seen_ago=timedelta(seconds=10), now=now)
    listener("old-host", seen_ago=timedelta(hours=2), now=now)
    MqttListener.note_retired(client_id="retired", group="ladder", now=now)
    out = StringIO()
    with pytest.raises(CommandError, match="telemetry_listen --retire-id old-host") as error:
        call_command("telemetry_listeners", stdout=out)
    assert "1 stale listener session(s)" in str(error.value)
    assert "running  live" in out.getvalue()
    assert "stale    old-host" in out.getvalue()
    assert "retired" not in out.getvalue()


def test_the_command_passes_when_no_id_is_stale_and_takes_the_minutes():
    now = timezone.now()
    listener("slow", seen_ago=timedelta(minutes=8), now=now)
    out = StringIO()
    call_command("telemetry_listeners", "--minutes", "10", "--all", stdout=out)
    assert "No stale listener sessions." in out.getvalue()


def test_the_admin_lists_listeners_read_only_with_the_stale_ones_marked():
    now = timezone.now()
    listener("old-host", seen_ago=timedelta(hours=2), now=now)
    admin = client_for(User.objects.create_superuser("admin@ladder.test", "a-long-password-42"))
    response = admin.get("/admin/integration/mqttlistener/")
    assert response.status_code == 200
    assert b"STALE: retire it or start it" in response.content
    assert admin.get("/admin/integration/mqttlistener/add/").status_code == 403
