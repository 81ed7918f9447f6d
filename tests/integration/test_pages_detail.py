"""An integration's page: health figures, the telemetry chart, events, tokens and examples."""

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse

from integration.health import Status
from integration.lineprotocol import Point
from integration.models import HealthEvent, IngestToken, Integration, Metric, MqttCount
from integration.services import telemetry_ingest, telemetry_ping, telemetry_series
from tests.conftest import client_for
from tests.integration.conftest import NOW

CHART = {"HX-Request": "true", "HX-Target": "chart-card"}
LIVE = {"HX-Request": "true", "HX-Target": "health-live"}


def detail_url(integration, **query):
    url = reverse(
        "integration:integration-detail", args=[integration.organization.slug, integration.pk]
    )
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def press(org):
    """Vibration every 30 s for the last 2 hours, then every 10 minutes back to 10 days ago."""
    integration = Integration.objects.create(
        organization=org,
        name="Press line 3 vibration",
        source_system="Press 3 PLC",
        target_system="CMMS",
        interval_seconds=60,
        grace_seconds=60,
        created=NOW - timedelta(days=40),
    )
    Metric.objects.create(
        integration=integration, name="vibration.rms", unit="mm/s", expected_max=4.5
    )
    recent = [NOW - timedelta(seconds=30 * i) for i in range(1, 240)]
    older = [NOW - timedelta(hours=2, minutes=10 * i) for i in range(1, 6 * 24 * 10)]
    points = [
        Point("vibration.rms", (("axis", "x"),), ts, 2 + (i % 7) / 10)
        for i, ts in enumerate(recent + older)
    ]
    points += [Point("temperature", (), ts, 40.0 + i % 3) for i, ts in enumerate(recent)]
    telemetry_ingest(integration=integration, points=points, now=NOW)
    for minute in range(10):
        telemetry_ping(integration=integration, now=NOW - timedelta(minutes=minute, seconds=15))
    telemetry_ping(integration=integration, now=NOW - timedelta(minutes=20), failed=True)
    return integration


def embedded_figure(html) -> dict:
    match = re.search(r'<script id="chart-series" type="application/json">(.*?)</script>', html)
    assert match, "no chart data on the page"
    return json.loads(match.group(1))


def band_bounds(band) -> list[tuple]:
    """(x, min, max) from the band: each run is its maxima forward, then its minima backward."""
    bounds, run_x, run_y = [], [], []
    for x, y in zip(band["x"] + [None], band["y"] + [None], strict=True):
        if x is not None:
            run_x.append(x)
            run_y.append(y)
            continue
        half = len(run_x) // 2
        assert run_x[half:] == run_x[:half][::-1]
        bounds += zip(run_x[:half], run_y[half:][::-1], run_y[:half], strict=True)
        run_x, run_y = [], []
    return bounds


def local(ts) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%S")  # the tests run in UTC


def test_it_shows_health_figures_events_tokens_and_examples(org, member, press, frozen):
    HealthEvent.objects.create(
        integration=press, previous=Status.DOWN, status=Status.UP, at=NOW, note="Emailed 1 owner."
    )
    IngestToken.objects.issue(integration=press, name="Telegraf on press-3-gw")
    response = client_for(member).get(detail_url(press))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1 hx-disable>Press line 3 vibration</h1>" in html
    assert "Press 3 PLC → CMMS" in html
    assert 'class="health-badge health-badge-lg health-up">Up<' in html
    assert ">15 s ago</time>" in html
    assert "Uptime 24 h" in html and "Uptime 7 d" in html and "Uptime 30 d" in html
    assert "Error rate 24 h" in html
    assert "9.0\u202f%" in html or "9\u202f%" in html  # 1 failed of 11 heartbeats
    assert "1 failed of 11 heartbeats" in html
    assert "Emailed 1 owner." in html
    assert "Telegraf on press-3-gw" in html
    # Members read tokens but do not create or revoke them.
    assert "Create a token" not in html
    assert "Owners and consultants create and revoke tokens." in html


def test_uptime_counts_the_expected_intervals_that_had_data(org, member, press, frozen):
    html = client_for(member).get(detail_url(press)).content.decode()
    figures = dict(
        re.findall(
            r'<p class="figure-label">(Uptime \w+ \w)</p>\s*<span class="figure-value">([^<]*)<',
            html,
        )
    )
    # The last 2 hours every minute, then one minute in ten: 120 + 132 of 1440 minutes.
    assert figures["Uptime 24 h"] == "17.5\u202f%"
    assert set(figures) == {"Uptime 24 h", "Uptime 7 d", "Uptime 30 d"}


@pytest.mark.parametrize(
    "window,step,span",
    [
        ("1h", "raw", timedelta(hours=1)),
        ("24h", "1m", timedelta(hours=24)),
        ("7d", "1h", timedelta(days=7)),
        ("30d", "1h", timedelta(days=30)),
    ],
)
def test_the_embedded_chart_data_matches_telemetry_series(
    org, member, press, frozen, window, step, span
):
    html = client_for(member).get(detail_url(press, metric="vibration.rms", window=window))
    figure = embedded_figure(html.content.decode())
    rows = telemetry_series(
        integration=press, metric="vibration.rms", start=NOW - span, end=NOW, step=step
    )
    assert rows
    line = figure["data"][-1]
    assert [x for x in line["x"] if x is not None] == [local(r[0]) for r in rows]
    if step == "raw":
        assert [y for y in line["y"] if y is not None] == [r[1] for r in rows]
        assert len(figure["data"]) == 1
    else:
        assert len(figure["data"]) == 2
        assert [y for y in line["y"] if y is not None] == [r[4] for r in rows]
        band = figure["data"][0]
        assert band["fill"] == "toself"
        assert band_bounds(band) == [(local(r[0]), r[2], r[3]) for r in rows]
    assert figure["layout"]["yaxis"]["title"]["text"] == "mm/s"
    assert figure["layout"]["xaxis"]["range"] == [local(NOW - span), local(NOW)]
    # The expected maximum is drawn as a line.
    assert [s["y0"] for s in figure["layout"]["shapes"]] == [4.5]


def test_a_silence_longer_than_interval_and_grace_breaks_the_line(org, member, press, frozen):
    html = client_for(member).get(detail_url(press, metric="vibration.rms", window="24h"))
    line = embedded_figure(html.content.decode())["data"][-1]
    # Older data comes one minute in ten: every gap shows, in the line and in the band.
    assert line["x"].count(None) > 100
    band = embedded_figure(html.content.decode())["data"][0]
    assert band["x"].count(None) == line["x"].count(None) + 1


def test_the_default_chart_is_the_first_metric_over_24_hours(org, member, press, frozen):
    html = client_for(member).get(detail_url(press)).content.decode()
    assert 'aria-current="page">24h<span class="visually-hidden"> (24 hours)</span>' in html
    assert 'aria-current="page"><span hx-disable>temperature</span></a>' in html  # name order
    assert "_ping" not in html


def test_the_chart_partial_is_an_htmx_fragment(org, member, press, frozen):
    response = client_for(member).get(
        detail_url(press, metric="vibration.rms", window="7d"), headers=CHART
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="card" id="chart-card"')
    assert "<html" not in html and "Ingest tokens" not in html
    assert embedded_figure(html)["data"]


def test_the_live_partial_is_only_status_and_freshness(org, member, press, frozen):
    frozen.shift(timedelta(minutes=3))
    response = client_for(member).get(detail_url(press), headers=LIVE)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="health-live"')
    assert 'hx-trigger="every 10s, live-refresh"' in html and "data-live" in html
    assert "health-down" in html
    assert ">3 min ago</time>" in html
    assert "Uptime" not in html and "<html" not in html


def test_unknown_metric_or_window_falls_back_to_the_defaults(org, member, press, frozen):
    response = client_for(member).get(detail_url(press, metric="nope", window="1y"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-current="page">24h<span class="visually-hidden"> (24 hours)</span>' in html


def test_a_metric_without_data_in_the_window_says_so(org, member, press, frozen):
    Metric.objects.create(integration=press, name="spindle.speed", unit="rpm")
    html = client_for(member).get(detail_url(press, metric="spindle.speed", window="1h"))
    assert "No spindle.speed data in the last 1 hour." in html.content.decode()


def test_an_integration_without_metrics_explains_where_they_come_from(org, owner, integration):
    html = client_for(owner).get(detail_url(integration)).content.decode()
    assert "No metrics yet." in html
    assert 'id="chart-series"' not in html
    assert "No status changes yet." in html
    assert "manage.py" not in html


def test_the_examples_are_filled_with_the_id_and_the_site_url(org, member, press, settings, frozen):
    settings.SITE_URL, settings.SITE_URL_SET = "https://ladder.example", True
    html = client_for(member).get(detail_url(press)).content.decode()
    assert "curl -X POST 'https://ladder.example/api/v1/telemetry'" in html
    assert "https://ladder.example/api/v2/write?precision=s" in html
    assert "temperature value=0.42" in html  # line protocol: measurement field=value
    assert f"-t 'ladder/{press.pk}/telemetry'" in html
    assert "mosquitto_pub -h ladder.example -p 1883 -q 1" in html
    assert "[[outputs.influxdb_v2]]" in html
    assert 'urls = ["https://ladder.example"]' in html
    assert "ldr_" not in html.replace("ldr_…your token…", "")  # no secret on the page


def test_without_a_set_site_url_the_examples_use_the_address_the_browser_is_on(
    org, member, press, settings
):
    settings.SITE_URL, settings.SITE_URL_SET = "http://127.0.0.1:8000", False
    settings.ALLOWED_HOSTS = ["ladder.internal"]
    client = client_for(member)
    response = client.get(detail_url(press), headers={"host": "ladder.internal:8443"}, secure=True)
    html = response.content.decode()
    assert "curl -X POST 'https://ladder.internal:8443/api/v1/telemetry'" in html
    assert "mosquitto_pub -h ladder.internal -p 1883" in html
    assert 'urls = ["https://ladder.internal:8443"]' in html
    assert "127.0.0.1" not in html
    # A Host header that could end the shell quotes never gets as far as the page.
    hostile = client.get(detail_url(press), headers={"host": "ladder.internal'$(id)"})
    assert hostile.status_code == 400


def test_a_metric_name_that_could_break_out_of_the_shell_quotes_is_not_an_example(
    org, member, press
):
    # A device names its metrics; the examples are pasted into a shell.
    press.metrics.all().delete()
    Metric.objects.create(integration=press, name="x'; touch /tmp/pwned; echo '.y")
    html = client_for(member).get(detail_url(press)).content.decode()
    assert "pwned" not in html.split("<h3>HTTP, JSON</h3>", 1)[1].split("Telegraf")[0]
    assert "vibration.rms" in html  # the generic example instead


def test_owners_see_the_token_form_and_revoke_links(org, owner, press):
    token, _ = IngestToken.objects.issue(integration=press, name="gw")
    html = client_for(owner).get(detail_url(press)).content.decode()
    assert "Create a token" in html
    assert reverse("integration:token-revoke", args=[org.slug, press.pk, token.pk]) in html


def test_viewers_read_the_page_without_edit_links(org, viewer, press):
    html = client_for(viewer).get(detail_url(press)).content.decode()
    assert "Press line 3 vibration" in html
    assert "/edit/" not in html
    assert "Create a token" not in html


def test_outsider_gets_404(org, outsider, press):
    assert client_for(outsider).get(detail_url(press)).status_code == 404
    assert client_for(outsider).get(detail_url(press), headers=LIVE).status_code == 404


def test_another_organisations_integration_is_404(org, member, other_integration):
    url = reverse("integration:integration-detail", args=[org.slug, other_integration.pk])
    assert client_for(member).get(url).status_code == 404


def test_wrong_method_is_405(org, member, press):
    assert client_for(member).post(detail_url(press)).status_code == 405


def test_a_flapping_integration_says_so_with_its_status_now(org, member, press, frozen):
    for i in range(5):
        previous, status = (Status.UP, Status.DOWN) if i % 2 == 0 else (Status.DOWN, Status.UP)
        HealthEvent.objects.create(
            integration=press, previous=previous, status=status, at=NOW - timedelta(hours=i + 1)
        )
    html = client_for(member).get(detail_url(press)).content.decode()
    assert 'class="health-badge health-badge-lg health-flapping">Flapping<' in html
    assert "5 up/down changes in 24 h; up now" in html
    live = client_for(member).get(detail_url(press), headers=LIVE).content.decode()
    assert "health-flapping" in live


def test_it_shows_the_mqtt_counts_of_the_last_24_hours_by_outcome(
    org, member, press, other_integration, frozen
):
    hour = NOW.replace(minute=0)
    MqttCount.objects.create(integration=press, hour=hour, messages=40, points=120, paused=1)
    MqttCount.objects.create(
        integration=press, hour=hour - timedelta(hours=3), messages=2, bad_payload=3, retained=5
    )
    MqttCount.objects.create(integration=press, hour=hour - timedelta(hours=30), too_large=9)
    MqttCount.objects.create(integration=other_integration, hour=hour, invalid_point=7)
    html = client_for(member).get(detail_url(press)).content.decode()
    shown = dict(re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">(\d+)</td></tr>", html))
    assert shown == {
        "Stored messages": "42",
        "Points in them (repeats included)": "120",
        "Refused: bad payload (not JSON or line protocol, not UTF-8)": "3",
        "Refused: too large (bytes or points over the limits)": "0",  # 30 hours ago
        "Refused: invalid point (NaN, time out of range, bad name or label)": "0",  # not ours
        "Refused: too many metrics or series": "0",
        "Refused: integration paused": "1",
        "Ignored: retained (the broker&#x27;s copy of an old message, not new data)": "5",
    }


def test_without_mqtt_messages_the_page_says_so(org, member, press, frozen):
    html = client_for(member).get(detail_url(press)).content.decode()
    assert "No messages over MQTT since 24 Nov, 10:00." in html


def test_it_shows_the_sparkplug_binding_and_its_gaps_and_rebirths(org, member, press, frozen):
    press.sparkplug_group, press.sparkplug_node = "plant", "press3"
    press.save()
    MqttCount.objects.create(
        integration=press, hour=NOW.replace(minute=0), sparkplug_gaps=4, rebirths=1
    )
    html = client_for(member).get(detail_url(press)).content.decode()
    assert "group <code>plant</code>, edge node <code>press3</code>" in html
    shown = dict(re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">(\d+)</td></tr>", html))
    assert shown["Sparkplug: messages lost (gaps in the sequence numbers)"] == "4"
    assert shown["Sparkplug: rebirths requested (sequence gap or unknown alias)"] == "1"


def test_it_shows_no_sparkplug_rows_for_an_integration_not_bound(org, member, press, frozen):
    MqttCount.objects.create(integration=press, hour=NOW.replace(minute=0), messages=1)
    html = client_for(member).get(detail_url(press)).content.decode()
    assert "Sparkplug" not in html


def test_the_page_reads_the_metrics_once_and_not_the_organisation_again(member, press, frozen):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(member)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(detail_url(press)).status_code == 200
    tables = [q["sql"].split(" FROM ", 1)[1].split()[0] for q in queries if " FROM " in q["sql"]]
    assert tables.count('"integration_metric"') == 1
    assert tables.count('"accounts_organization"') == 0  # with the membership, not again
