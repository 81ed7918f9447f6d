"""The operations page (/operations/): staff only, each component's state from its heartbeats,
stale detection, the JSON variant, and a fixed number of queries."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from assessments.management.commands import milestones_verify
from assessments.operations import BAD, IDLE, OK, WARN, operations_snapshot
from integration.models import (
    Integration,
    MqttCount,
    MqttListener,
    ServiceHeartbeat,
    SparkplugLease,
)
from tests.conftest import client_for, make_user

URL = "/operations/"
T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def staff(db):
    return make_user("ops@ladder.test", is_staff=True)


def component(key, *, now=T):
    return next(c for c in operations_snapshot(now=now) if c.key == key)


def beat(name, instance, at, interval=60, **kwargs):
    ServiceHeartbeat.beat(name=name, instance=instance, interval=interval, now=at, **kwargs)


def test_it_sends_anonymous_visitors_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_is_a_404_for_anyone_not_staff(owner, consultant):
    for user in (owner, consultant):
        assert client_for(user).get(URL).status_code == 404
        assert client_for(user).get(URL + "?format=json").status_code == 404


def test_staff_and_superusers_see_it_and_only_they_get_the_menu_link(staff, owner):
    superuser = make_user("root@ladder.test", is_superuser=True)
    for user in (staff, superuser):
        response = client_for(user).get(URL)
        assert response.status_code == 200
        assert f'href="{URL}"' in response.text
    assert f'href="{URL}"' not in client_for(owner).get("/accounts/profile/").text


def test_a_post_is_refused(staff):
    assert client_for(staff).post(URL).status_code == 405


def test_a_loop_is_stale_after_three_missed_intervals(db):
    beat("health", "web-1:10", T - timedelta(seconds=179))
    assert component("health").state == OK
    with time_machine.travel(T + timedelta(seconds=2), tick=False):
        health = component("health", now=T + timedelta(seconds=2))
    assert health.state == BAD and health.words == "not running: every instance is stale"
    assert health.instances[0].words == "stale: no cycle for 3 min"


def test_one_stale_instance_beside_a_running_one_needs_attention(db):
    beat("evaluator", "a:1", T - timedelta(minutes=2), interval=300)
    beat("evaluator", "b:2", T - timedelta(minutes=16), interval=300, error="RuntimeError: x")
    evaluator = component("evaluator")
    assert (evaluator.state, evaluator.words) == (WARN, "1 running, 1 stale")
    assert evaluator.figures["Failed cycles"] == 1


def test_a_stopped_loop_is_idle_not_stale(db):
    beat("health", "web-1:10", T - timedelta(hours=2))
    ServiceHeartbeat.note_stopped(name="health", instance="web-1:10", now=T - timedelta(hours=2))
    health = component("health")
    assert health.state == IDLE and health.instances[0].words == "stopped 2 h ago"


def test_listeners_show_running_late_stale_and_stopped_with_backlog_and_refusals(org):
    def listener(client_id, seen_ago, **fields):
        MqttListener.note_started(client_id=client_id, group="ladder", now=T - seen_ago)
        MqttListener.objects.filter(client_id=client_id).update(**fields)

    listener("up", timedelta(seconds=20), backlog=40, errors=2)
    listener("losing", timedelta(seconds=10), dropped=7)
    listener("late", timedelta(minutes=2))
    listener("gone", timedelta(minutes=6))
    listener("paused", timedelta(minutes=1), stopped=T - timedelta(minutes=1))
    MqttListener.note_retired(client_id="old", group="ladder", now=T - timedelta(days=2))
    line = Integration.objects.create(organization=org, name="Line")
    MqttCount.objects.create(integration=line, hour=T.replace(minute=0), messages=9, bad_payload=4)
    listeners = component("listeners")
    states = {i.name: (i.state, i.backlog, i.errors) for i in listeners.instances}
    assert states == {
        "up": (OK, 40, 2),
        "losing": (WARN, 0, 0),
        "late": (WARN, 0, 0),
        "gone": (BAD, 0, 0),
        "paused": (IDLE, 0, 0),
    }
    assert listeners.state == BAD and listeners.words == "2 of 5 running"
    losing = next(i for i in listeners.instances if i.name == "losing")
    assert losing.words == (
        "running; 7 Sparkplug message(s) dropped since it started (the database too slow)"
    )
    assert listeners.figures["Retired ids"] == 1
    assert listeners.figures["Messages stored in 24 h"] == 9
    assert listeners.figures["Messages refused in 24 h"] == 4


def test_an_expired_sparkplug_lease_means_no_primary_host(db):
    SparkplugLease.objects.create(host_id="h", holder="ladder-a", expires=T + timedelta(seconds=5))
    assert component("sparkplug").state == OK
    later = T + timedelta(seconds=65)
    sparkplug = component("sparkplug", now=later)
    assert sparkplug.state == BAD
    assert sparkplug.instances[0].words == "expired 1 min ago: no primary host"


def queued_task(at, status=TaskResultStatus.READY, finished=None):
    with time_machine.travel(at, tick=False):
        return DBTaskResult.objects.create(
            status=status,
            args_kwargs={"args": [], "kwargs": {}},
            task_path="assessments.reports.tasks.report_build",
            backend_name="default",
            run_after=at,
            finished_at=finished,
        )


def test_workers_are_stuck_once_a_queued_task_waited_five_minutes(db):
    queued_task(T - timedelta(minutes=4))
    queued_task(T - timedelta(hours=2), TaskResultStatus.FAILED, finished=T - timedelta(hours=1))
    queued_task(T - timedelta(days=2), TaskResultStatus.FAILED, finished=T - timedelta(days=2))
    workers = component("workers")
    assert workers.state == OK and workers.figures["Queued"] == 1
    assert workers.figures["Failed in 24 h"] == 1
    assert workers.figures["Last task finished"] == "1 h ago"
    stuck = component("workers", now=T + timedelta(minutes=2))
    assert stuck.state == BAD and stuck.words.startswith("stuck: the oldest queued task")


def test_the_json_variant_says_503_while_a_component_fails(staff):
    client = client_for(staff)
    with time_machine.travel(T, tick=False):
        beat("health", "web-1:10", T - timedelta(seconds=30))
        response = client.get(URL + "?format=json")
        assert response.status_code == 200
        health = next(c for c in response.json()["components"] if c["key"] == "health")
        assert health["instances"][0]["last_beat"] == "2026-03-02T08:59:30+00:00"
    with time_machine.travel(T + timedelta(minutes=10), tick=False):
        response = client.get(URL + "?format=json")
    assert response.status_code == 503 and response.json()["state"] == BAD


def test_the_page_shows_each_state_in_words(staff):
    with time_machine.travel(T, tick=False):
        beat("health", "web-1:10", T - timedelta(minutes=5), error="<b hx-get=/x>boom</b>")
        response = client_for(staff).get(URL)
    assert "stale: no cycle for 5 min" in response.text
    assert "&lt;b hx-get=/x&gt;boom&lt;/b&gt;" in response.text  # escaped
    assert "idle: nothing queued" in response.text


def test_the_page_reads_in_a_fixed_number_of_queries(staff, django_assert_num_queries):
    client = client_for(staff)
    client.get(URL)
    for n in range(3):
        beat("health", f"web-{n}:1", T)
        MqttListener.note_started(client_id=f"l{n}", group="ladder", now=T)
        SparkplugLease.objects.create(host_id=f"h{n}", holder=f"l{n}", expires=T)
        queued_task(T)
    # The session, the user, the seven of the snapshot, the user menu's memberships.
    with django_assert_num_queries(10):
        assert client.get(URL).status_code == 200


def test_each_milestones_verify_run_beats_and_the_page_shows_it_stale_after_15_min(staff):
    with time_machine.travel(T, tick=False):
        call_command("milestones_verify", stdout=StringIO())
    row = ServiceHeartbeat.objects.get()
    assert (row.name, row.interval, row.last_beat, row.error_count) == ("milestones", 300, T, 0)
    assert ":" not in row.instance  # a cron run: one row per host
    with time_machine.travel(T + timedelta(minutes=5), tick=False):
        call_command("milestones_verify", stdout=StringIO())
    assert ServiceHeartbeat.objects.get().last_beat == T + timedelta(minutes=5)
    milestones = component("milestones", now=T + timedelta(minutes=20))
    assert (milestones.state, milestones.words) == (OK, "1 running")
    assert milestones.expected == "a cron run every 5 min; stale after 3 missed"
    late = T + timedelta(minutes=20, seconds=1)
    assert component("milestones", now=late).state == BAD
    with time_machine.travel(late, tick=False):
        response = client_for(staff).get(URL)
    assert "Milestone checks and baselines (milestones_verify)" in response.text
    assert "stale: no cycle for 15 min" in response.text


def test_a_failed_milestones_verify_run_records_its_error(db, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("no rollups")

    monkeypatch.setattr(milestones_verify, "criteria_verify", broken)
    with pytest.raises(RuntimeError):
        call_command("milestones_verify", stdout=StringIO())
    row = ServiceHeartbeat.objects.get(name="milestones")
    assert row.error_count == 1 and row.last_error == "RuntimeError: no rollups"
