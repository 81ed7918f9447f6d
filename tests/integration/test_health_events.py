"""manage.py telemetry_health: status changes recorded as events, owners emailed."""

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection

from accounts.models import Role
from integration.health import Status
from integration.models import HealthEvent, Integration
from integration.services import telemetry_ping
from integration.services.health import (
    format_duration,
    format_freshness,
    format_share,
    health_event_notify,
    integration_status_record,
)
from tests.conftest import make_user
from tests.integration.conftest import NOW

INTERVAL = timedelta(seconds=60)
GRACE = timedelta(seconds=60)


@pytest.fixture
def heartbeat(org):
    return Integration.objects.create(
        organization=org,
        name="Nightly ERP export",
        interval_seconds=60,
        grace_seconds=60,
        created=NOW - timedelta(hours=1),
    )


@pytest.fixture
def owners(org, owner, member):
    """Two owners and a member (who is never emailed)."""
    return [owner, make_user("second-owner@acme.test", org, Role.OWNER)]


def run_health(time_machine, at) -> str:
    time_machine.move_to(at, tick=False)
    out = StringIO()
    call_command("telemetry_health", stdout=out)
    return out.getvalue()


def ping(integration, at, time_machine, failed=False):
    time_machine.move_to(at, tick=False)
    telemetry_ping(integration=integration, now=at, failed=failed)


def transitions(integration) -> list[tuple[str, str]]:
    return [(e.previous, e.status) for e in integration.health_events.order_by("at", "id")]


def subjects(outbox) -> list[str]:
    return [m.subject for m in outbox]


def test_states_over_time_new_up_late_down_up_with_one_down_and_one_recovery_email(
    heartbeat, owners, time_machine, mailoutbox
):
    run_health(time_machine, NOW)  # new: the first status is a baseline, not an event
    heartbeat.refresh_from_db()
    assert (heartbeat.last_status, heartbeat.last_status_at) == ("new", NOW)
    assert transitions(heartbeat) == []

    ping(heartbeat, NOW + timedelta(seconds=10), time_machine)
    run_health(time_machine, NOW + timedelta(seconds=20))  # up
    run_health(time_machine, NOW + timedelta(seconds=60))  # still up: nothing recorded
    run_health(time_machine, NOW + timedelta(seconds=100))  # 90 s without data: late
    assert mailoutbox == []
    out = run_health(time_machine, NOW + timedelta(seconds=200))  # 190 s: down
    assert "up -> late" not in out and "late -> down" in out
    run_health(time_machine, NOW + timedelta(seconds=260))  # still down: no second email
    run_health(time_machine, NOW + timedelta(seconds=260))  # twice in a row: nothing new
    assert subjects(mailoutbox) == ["[Ladder] Nightly ERP export is down"] * 2

    ping(heartbeat, NOW + timedelta(seconds=300), time_machine)
    run_health(time_machine, NOW + timedelta(seconds=310))  # up again
    run_health(time_machine, NOW + timedelta(seconds=310))

    assert transitions(heartbeat) == [
        ("new", "up"),
        ("up", "late"),
        ("late", "down"),
        ("down", "up"),
    ]
    at = [e.at for e in heartbeat.health_events.order_by("at")]
    assert at == [NOW + timedelta(seconds=s) for s in (20, 100, 200, 310)]
    assert (
        subjects(mailoutbox)
        == ["[Ladder] Nightly ERP export is down"] * 2
        + ["[Ladder] Nightly ERP export has recovered"] * 2
    )
    # One message per owner, the member never.
    assert sorted(m.to[0] for m in mailoutbox) == sorted([o.email for o in owners] * 2)
    assert all(len(m.to) == 1 for m in mailoutbox)
    heartbeat.refresh_from_db()
    assert (heartbeat.last_status, heartbeat.last_status_at) == ("up", NOW + timedelta(seconds=310))


def test_the_emails_say_what_happened_and_link_to_the_integration(
    heartbeat, owner, time_machine, mailoutbox, settings
):
    settings.SITE_URL = "https://ladder.example"
    run_health(time_machine, NOW)
    ping(heartbeat, NOW + timedelta(seconds=5), time_machine)
    run_health(time_machine, NOW + timedelta(seconds=10))
    run_health(time_machine, NOW + timedelta(seconds=300))
    ping(heartbeat, NOW + timedelta(seconds=1500), time_machine)
    run_health(time_machine, NOW + timedelta(seconds=1510))
    down, recovered = mailoutbox
    url = f"https://ladder.example/o/acme/integrations/{heartbeat.pk}/"
    assert url in down.body and url in recovered.body
    assert "Acme Precision" in down.body
    assert "Up -> Down" in down.body
    assert "data every 1 min, then 1 min of grace" in down.body
    assert "Down -> Up" in recovered.body
    assert "It was down for 20 min" in recovered.body  # 300 s -> 1510 s
    events = list(heartbeat.health_events.filter(status__in=["down", "up"]).order_by("at"))
    assert [e.note for e in events] == ["", "Emailed 1 owner.", "Emailed 1 owner."]


def test_a_fail_ping_is_a_down_event_and_the_next_good_ping_a_recovery(
    heartbeat, owner, time_machine, mailoutbox
):
    ping(heartbeat, NOW, time_machine)
    run_health(time_machine, NOW + timedelta(seconds=1))
    ping(heartbeat, NOW + timedelta(seconds=30), time_machine, failed=True)
    run_health(time_machine, NOW + timedelta(seconds=31))
    ping(heartbeat, NOW + timedelta(seconds=60), time_machine)
    run_health(time_machine, NOW + timedelta(seconds=61))
    assert transitions(heartbeat) == [("up", "down"), ("down", "up")]
    assert len(mailoutbox) == 2


def test_pausing_is_recorded_but_emails_nobody(heartbeat, owner, time_machine, mailoutbox):
    ping(heartbeat, NOW, time_machine)
    run_health(time_machine, NOW + timedelta(seconds=1))
    Integration.objects.filter(pk=heartbeat.pk).update(paused=True)
    run_health(time_machine, NOW + timedelta(hours=1))
    assert transitions(heartbeat) == [("up", "paused")]
    assert mailoutbox == []


def test_a_first_run_on_a_down_integration_sends_no_storm_of_emails(
    heartbeat, owner, time_machine, mailoutbox
):
    ping(heartbeat, NOW - timedelta(hours=2), time_machine)
    out = run_health(time_machine, NOW)
    heartbeat.refresh_from_db()
    assert heartbeat.last_status == "down"
    assert transitions(heartbeat) == [] and mailoutbox == []
    assert "1 integration checked, 0 status changes recorded." in out


def test_a_process_holding_a_stale_status_records_nothing(heartbeat, owner, mailoutbox):
    """Two processes read the same 'up'; the first claims up -> down, the second gets nothing."""
    telemetry_ping(integration=heartbeat, now=NOW)
    Integration.objects.filter(pk=heartbeat.pk).update(last_status="up", last_status_at=NOW)
    first = Integration.objects.get(pk=heartbeat.pk)
    second = Integration.objects.get(pk=heartbeat.pk)
    later = NOW + timedelta(minutes=5)
    assert integration_status_record(integration=first, now=later).status == "down"
    assert integration_status_record(integration=second, now=later) is None
    assert integration_status_record(integration=second, now=later + timedelta(seconds=1)) is None
    assert HealthEvent.objects.count() == 1
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("processes", [2, 4])
def test_commands_running_at_the_same_time_record_and_email_each_change_once(
    org, owner, time_machine, processes
):
    integration = Integration.objects.create(
        organization=org, name="Line 3", interval_seconds=60, grace_seconds=60
    )
    telemetry_ping(integration=integration, now=NOW)
    Integration.objects.filter(pk=integration.pk).update(last_status="up", last_status_at=NOW)
    time_machine.move_to(NOW + timedelta(minutes=10), tick=False)
    mail.outbox = []
    barrier = threading.Barrier(processes)
    errors = []

    def run():
        try:
            barrier.wait()
            call_command("telemetry_health", stdout=StringIO())
        except Exception as error:  # reported in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(processes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert transitions(integration) == [("up", "down")]
    assert [m.subject for m in mail.outbox] == ["[Ladder] Line 3 is down"]


def test_a_failing_mail_server_is_noted_on_the_event_and_raises_nothing(
    heartbeat, owner, monkeypatch
):
    event = HealthEvent.objects.create(
        integration=heartbeat, previous=Status.UP, status=Status.DOWN, at=NOW
    )

    def refuse(self, messages):
        raise ConnectionRefusedError("no SMTP server")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    assert health_event_notify(event=event) == 0
    event.refresh_from_db()
    assert event.note == "Email to the owners failed: ConnectionRefusedError."


def test_an_organisation_without_owners_gets_a_note_instead_of_an_email(heartbeat, mailoutbox):
    event = HealthEvent.objects.create(
        integration=heartbeat, previous=Status.UP, status=Status.DOWN, at=NOW
    )
    assert health_event_notify(event=event) == 0
    event.refresh_from_db()
    assert event.note == "No owner to email."
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)  # the loop closes old connections between runs
def test_loop_mode_runs_until_told_to_stop(heartbeat, monkeypatch):
    from integration.management.commands import telemetry_health

    runs = []

    class StopAfterOne(threading.Event):
        def wait(self, timeout=None):
            runs.append(timeout)
            self.set()
            return True

    monkeypatch.setattr(telemetry_health.threading, "Event", StopAfterOne)
    out = StringIO()
    call_command("telemetry_health", "--loop", stdout=out)
    assert len(runs) == 1 and 0 < runs[0] <= 30  # the next pass 30 s after this one began
    assert "1 integration checked" in out.getvalue()
    assert out.getvalue().endswith("Stopped.\n")


@pytest.mark.parametrize(
    "age,text",
    [
        (None, "never"),
        (timedelta(seconds=3), "3 s ago"),
        (timedelta(seconds=59), "59 s ago"),
        (timedelta(minutes=12, seconds=30), "12 min ago"),
        (timedelta(hours=5), "5 h ago"),
        (timedelta(days=4, hours=1), "4 d ago"),
    ],
)
def test_freshness_reads_like_3_s_ago(age, text):
    assert format_freshness(age) == text


@pytest.mark.parametrize(
    "share,text",
    [
        (None, "—"),
        (1.0, "100\u202f%"),
        (0.99999, "99.9\u202f%"),
        (0.5, "50\u202f%"),
        (0, "0\u202f%"),
    ],
)
def test_shares_are_never_rounded_up_to_100(share, text):
    assert format_share(share) == text


@pytest.mark.parametrize(
    "seconds,text",
    [(45, "45 s"), (60, "1 min"), (90, "1 min 30 s"), (5400, "1 h 30 min"), (86405, "1 d")],
)
def test_durations_show_two_units_at_most(seconds, text):
    assert format_duration(timedelta(seconds=seconds)) == text
