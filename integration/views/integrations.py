"""The integrations list (live badges), an integration's page, and its form."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseStopPolling

from accounts.access import get_object_for_member, org_view, scoped
from integration import backing, charts, health, listing, services
from integration.forms import IntegrationForm, MetricFormSet, ReadTokenForm, TokenForm
from integration.models import RESERVED_PREFIX, Integration, MqttCount
from integration.mqtt import brokerauth
from integration.services.health import health_figures, health_figures_list

logger = logging.getLogger(__name__)

LIST = "integration/integration_list.html"
DETAIL = "integration/integration_detail.html"
FORM = "integration/integration_form.html"
DEFAULT_WINDOW = "24h"
NEW_TOKEN_SESSION_KEY = "ladder_new_token"
EVENTS_SHOWN = 20
FACILITATOR_NOTE = (
    "An owner or consultant issues its ingest tokens, sets its timing and links it to processes."
)


def get_integration(request, integration_id) -> Integration:
    integration = get_object_for_member(request, Integration, pk=integration_id)
    integration.organization = request.org  # the same row: what it backs reads it, no query
    return integration


def _posted(request):
    return request.POST if request.method == "POST" else None


@org_view(methods=("GET", "HEAD"))
def integration_list(request):
    """A page of the (filtered) list, or (htmx polling) only that page's badges, swapped in out
    of band. A filter the organisation does not have is a 404."""
    now = timezone.now()
    form = listing.IntegrationFilter(request.GET, facets=listing.facets(organization=request.org))
    if not form.is_valid():
        raise Http404("No such filter.")
    integrations = form.filter(scoped(request.org, Integration), now=now)
    page = Paginator(integrations, listing.PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    figures = health_figures_list(integrations=shown, now=now)
    poller = request.htmx.target == "integration-live"
    list_url = reverse("integration:integration-list", args=[request.org.slug])
    rows = [listing.Row(one, figures[one.pk], list_url, oob=poller) for one in shown]
    if poller:
        if not rows:
            return HttpResponseStopPolling()
        return render(request, f"{LIST}#live-badges", {"rows": rows})
    form.offer()
    context = {
        "rows": rows,
        "page": page,
        "form": form,
        "chosen": form.chosen(),
        "query": form.query(),
        # Only an empty page asks whether the organisation has any integration at all.
        "any": bool(rows) or scoped(request.org, Integration).exists(),
        "flapping_changes": health.FLAPPING_CHANGES,
    }
    return render(request, LIST, context)


@org_view(methods=("GET", "HEAD"), lookup=get_integration)
def integration_detail(request, integration_id):
    integration = get_integration(request, integration_id)
    now = timezone.now()
    if request.htmx.target == "health-live":  # polling: status and freshness only
        figures = health_figures_list(integrations=[integration], now=now, with_uptime=False)
        context = {"integration": integration, "figures": figures[integration.pk]}
        return render(request, f"{DETAIL}#health-live", context)
    prefetch_related_objects([integration], "metrics")  # the chart's and the examples'
    chart = chart_context(integration, request.GET, now)
    if request.htmx.target == "chart-card":
        return render(request, f"{DETAIL}#chart-card", {"integration": integration, **chart})
    return render(request, DETAIL, detail_context(request, integration, now, chart=chart))


def detail_context(
    request, integration, now, *, chart=None, token_form=None, read_token_form=None
) -> dict:
    return {
        "integration": integration,
        "figures": health_figures(integration=integration, now=now),
        "events": integration.health_events.all()[:EVENTS_SHOWN],
        "backs": backing.integration_backs(integration=integration),
        "tokens": integration.tokens.all(),
        "token_form": token_form or TokenForm(initial={"mqtt": not has_mqtt_password(integration)}),
        "mqtt_choice": brokerauth.configured(),
        "read_tokens": integration.read_tokens.all(),
        "read_token_form": read_token_form or ReadTokenForm(),
        "mqtt": mqtt_context(integration, now),
        **(chart or chart_context(integration, request.GET, now)),
        **examples_context(request, integration),
    }


@org_view(write=True)
def integration_create(request):
    """Members add integrations; only owners and consultants get a token and set the timing."""
    facilitate = request.membership.can_facilitate
    form = IntegrationForm(_posted(request), organization=request.org, facilitate=facilitate)
    formset = MetricFormSet(_posted(request), instance=form.instance, prefix="metrics")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        with transaction.atomic():
            integration, raw = services.integration_create(
                organization=request.org,
                user=request.user,
                token_name="first token" if facilitate else None,
                **form.cleaned_data,
            )
            formset.instance = integration
            formset.save()
        if not facilitate:
            messages.success(request, f"“{integration.name}” added. {FACILITATOR_NOTE}")
            return redirect(integration_url(integration))
        return show_token_once(request, integration, raw, new_integration=True)
    status = 400 if request.method == "POST" else 200
    return render(request, FORM, {"form": form, "formset": formset}, status=status)


@org_view(write=True)
def integration_edit(request, integration_id):
    integration = get_integration(request, integration_id)
    form = IntegrationForm(
        _posted(request),
        instance=integration,
        organization=request.org,
        facilitate=request.membership.can_facilitate,
    )
    formset = MetricFormSet(_posted(request), instance=integration, prefix="metrics")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        with transaction.atomic():
            changed = {name: form.cleaned_data[name] for name in form.changed_data}
            services.integration_update(integration=integration, user=request.user, **changed)
            formset.save()
        messages.success(request, f"“{integration.name}” saved.")
        return redirect(integration_url(integration))
    context = {"form": form, "formset": formset, "integration": integration}
    return render(request, FORM, context, status=400 if request.method == "POST" else 200)


def has_mqtt_password(integration) -> bool:
    """Whether one of the integration's live tokens is its MQTT password on the broker."""
    return integration.tokens.filter(on_broker__isnull=False, revoked__isnull=True).exists()


def show_token_once(
    request,
    integration,
    raw: str,
    *,
    new_integration: bool = False,
    read: bool = False,
    mqtt: bool = True,
):
    """Redirect to the page that shows a new token's plain text, kept in the session for that
    one GET: reloading it then resends no form and shows the text no more. `read`: a read
    token (the page shows how to read with it, not how to send). An ingest token first
    becomes the integration's MQTT password, if Ladder drives the broker; the page says how
    that went. Call it after the token is committed."""
    request.session[NEW_TOKEN_SESSION_KEY] = {
        "integration": str(integration.pk),
        "raw": raw,
        "new_integration": new_integration,
        "read": read,
        "mqtt": mqtt_push(raw) if mqtt and not read else "",
    }
    url = reverse(
        "integration:token-created",
        kwargs={"org_slug": integration.organization.slug, "integration_id": integration.pk},
    )
    return redirect(url)


def mqtt_push(raw: str) -> str:
    """Make an ingest token the MQTT password: "pushed", "failed" (logged), or "" when Ladder
    does not drive the broker."""
    try:
        return (
            "pushed"
            if brokerauth.token_push(raw=raw, now=timezone.now(), timeout=brokerauth.PUSH_TIMEOUT)
            else ""
        )
    except brokerauth.BrokerAuthError as error:
        logger.warning("mqtt broker: a new token was not pushed: %s", error)
        return "failed"


def integration_url(integration, **query) -> str:
    url = reverse(
        "integration:integration-detail",
        kwargs={"org_slug": integration.organization.slug, "integration_id": integration.pk},
    )
    return f"{url}?{urlencode(query)}" if query else url


# --- The chart ------------------------------------------------------------------------------


def chart_context(integration, params, now: datetime) -> dict:
    """The metric and window asked for (else the first metric over 24 h), and its figure."""
    metrics = [m for m in integration.metrics.all() if not m.name.startswith(RESERVED_PREFIX)]
    by_name = {m.name: m for m in metrics}
    metric = by_name.get(params.get("metric", "")) or (metrics[0] if metrics else None)
    window = params.get("window", DEFAULT_WINDOW)
    if window not in charts.WINDOWS:
        window = DEFAULT_WINDOW
    context = {
        "metrics": metrics,
        "metric": metric,
        "window": window,
        "windows": charts.WINDOW_LABELS,
        "window_label": charts.WINDOW_LABELS[window],
        "figure": None,
    }
    if metric is None:
        return context
    span, step = charts.WINDOWS[window]
    start = now - span
    try:
        rows = services.telemetry_series(
            integration=integration, metric=metric.name, start=start, end=now, step=step
        )
    except services.UnknownMetric:  # listed in the form but nothing received yet
        rows = []
    except services.TooManyRows:  # a very chatty hour: per minute reads far fewer rows
        step = "1m"
        rows = services.telemetry_series(
            integration=integration, metric=metric.name, start=start, end=now, step=step
        )
    gap = max(charts.STEP_WIDTH[step], integration.interval + integration.grace)
    chart = charts.SeriesChart(
        metric=metric.name,
        unit=metric.unit,
        step=step,
        rows=rows,
        start=start,
        end=now,
        gap=gap,
        expected_min=metric.expected_min,
        expected_max=metric.expected_max,
    )
    api_query = {
        "metric": metric.name,
        "start": start.isoformat(),
        "end": now.isoformat(),
        "step": step,
    }
    series_url = reverse("integration-api:series", kwargs={"integration_id": integration.pk})
    context.update(
        figure=charts.series_figure(chart) if rows else None,
        rows_count=len(rows),
        step=step,
        step_label=charts.STEP_LABELS[step],
        series_url=f"{series_url}?{urlencode(api_query)}",
    )
    return context


# --- Copy-paste examples ------------------------------------------------------------------------


SHELL_SAFE = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


def mqtt_context(integration, now) -> dict:
    """What the MQTT listeners did with this integration's messages in the last 24 hours."""
    since = (now - timedelta(hours=24)).replace(minute=0, second=0, microsecond=0)
    totals = MqttCount.totals(integration=integration, since=since)
    rows = [
        (label, totals[column])
        for column, label in MqttCount.OUTCOMES.items()
        if integration.sparkplug_group or column not in MqttCount.SPARKPLUG_OUTCOMES
    ]
    return {"rows": rows, "any": any(totals.values()), "since": since}


def examples_context(request, integration, *, raw_token: str = "") -> dict:
    """What the curl, mosquitto_pub and Telegraf examples are filled with: the public address
    if one is set, else the address the browser is on."""
    # A metric's name comes from a device or a member: only a plain one goes into the shell
    # commands people paste, so no quote in it can end a quoted argument.
    metric = next(
        (
            m
            for m in integration.metrics.all()
            if not m.name.startswith(RESERVED_PREFIX) and SHELL_SAFE.fullmatch(m.name)
        ),
        None,
    )
    name = metric.name if metric else "vibration.rms"
    measurement, dot, field = name.rpartition(".")
    if not dot:  # line protocol always names a metric measurement.field
        measurement, field = name, "value"
    # Django refuses a request whose Host is not a plain host[:port] of ALLOWED_HOSTS, so the
    # address is as safe in a shell command as a set one.
    site_url = (
        settings.SITE_URL if settings.SITE_URL_SET else f"{request.scheme}://{request.get_host()}"
    )
    return {
        "site_url": site_url,
        "mqtt_host": urlsplit(site_url).hostname or "localhost",
        "example_metric": name,
        "example_line": f"{_escape(measurement, ', ')} {_escape(field, ',= ')}=0.42",
        "raw_token": raw_token,
    }


def _escape(text: str, special: str) -> str:
    """Line protocol escaping: a backslash before each of `special`."""
    for char in special:
        text = text.replace(char, "\\" + char)
    return text
