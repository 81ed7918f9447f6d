import hashlib
from datetime import timedelta

from integration.health import Status
from integration.lineprotocol import Point
from integration.models import IngestToken, Integration, Metric, Series
from integration.models import Point as StoredPoint
from integration.services import telemetry_ingest
from tests.integration.conftest import NOW


def test_a_token_is_stored_as_its_sha256_only(integration):
    token, raw = IngestToken.objects.issue(integration=integration, name="rotation")
    assert raw.startswith("ldr_") and len(raw) > 40
    assert token.hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {token.name, token.hint, token.hash}
    assert token.hint == raw[:8]


def test_an_integration_can_have_several_live_tokens(integration):
    first = IngestToken.objects.issue(integration=integration)[1]
    second = IngestToken.objects.issue(integration=integration)[1]
    assert first != second
    assert IngestToken.objects.authenticate(first, now=NOW).integration == integration
    assert IngestToken.objects.authenticate(second, now=NOW).integration == integration


def test_authenticate_refuses_unknown_revoked_and_malformed_tokens(integration):
    token, raw = IngestToken.objects.issue(integration=integration)
    assert IngestToken.objects.authenticate(raw + "x", now=NOW) is None
    assert IngestToken.objects.authenticate("not-a-token", now=NOW) is None
    token.revoke(now=NOW)
    assert IngestToken.objects.authenticate(raw, now=NOW) is None


def test_revoking_twice_keeps_the_first_time(integration):
    token, _ = IngestToken.objects.issue(integration=integration)
    token.revoke(now=NOW)
    token.revoke(now=NOW + timedelta(hours=1))
    token.refresh_from_db()
    assert token.revoked == NOW


def test_last_used_is_written_at_most_once_a_minute(integration, django_assert_num_queries):
    token, raw = IngestToken.objects.issue(integration=integration)
    with django_assert_num_queries(2):  # look-up + update
        IngestToken.objects.authenticate(raw, now=NOW)
    with django_assert_num_queries(1):  # look-up only
        IngestToken.objects.authenticate(raw, now=NOW + timedelta(seconds=59))
    with django_assert_num_queries(2):
        IngestToken.objects.authenticate(raw, now=NOW + timedelta(seconds=60))
    token.refresh_from_db()
    assert token.last_used == NOW + timedelta(seconds=60)


def test_for_user_lists_only_the_users_organisations(
    integration, other_integration, consultant, owner, outsider
):
    assert list(Integration.objects.for_user(owner)) == [integration]
    assert list(Integration.objects.for_user(outsider)) == [other_integration]
    assert set(Integration.objects.for_user(consultant)) == {integration, other_integration}


def test_status_follows_last_seen_interval_and_grace(integration):
    integration.interval_seconds, integration.grace_seconds = 300, 120
    assert integration.status(now=NOW) == Status.NEW
    integration.last_seen = NOW
    assert integration.status(now=NOW + timedelta(minutes=5)) == Status.UP
    assert integration.status(now=NOW + timedelta(minutes=6)) == Status.LATE
    assert integration.status(now=NOW + timedelta(minutes=8)) == Status.DOWN
    integration.paused = True
    assert integration.status(now=NOW) == Status.PAUSED


def test_deleting_an_integration_deletes_its_telemetry(integration, other_integration):
    for each in (integration, other_integration):
        telemetry_ingest(integration=each, points=[Point("temp", (), NOW, 1.0)], now=NOW)
    integration.delete()
    assert not Metric.objects.filter(integration_id=integration.pk).exists()
    assert Series.objects.count() == 1
    assert StoredPoint.objects.count() == 1
