"""The integrations list at breadth: its filters and its pages.

Status is the integration's own (computed by the database, `with_status`). Processes and sites
belong to the apps above, which integration may not import: they register a provider here from
their `AppConfig.ready()`, as for `integration.backing`:

    listing.register(my_provider)  # my_provider(*, organization) -> Iterable[Facet]

A provider offers only its organisation's objects; a filter naming any other is refused.

A facet's choices are written by `QuickSelect` in one pass (every label escaped by
`format_html`), not by Django's template per option. A facet may also bound what it lists
(`Facet.offer`): the process filter has a thousand processes at breadth, so it lists a chosen
site's processes, or every one only up to a bound, and says what to do past it; a filter chosen
from a link (`?process=<id>`) still works and is listed whatever the bound.

A page's rows are written by `Row`, each cell in one `format_html` (every name escaped), not
by the template: 50 rows of three live cells were ~30 template lookups, two date formats and a
`{% url %}` each, over half of the page's CPU at breadth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django import forms
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst

from integration.models.integration import STATUS_CHOICES, Integration
from integration.services.health import HealthFigures

__all__ = ["PAGE_SIZE", "Facet", "IntegrationFilter", "QuickSelect", "Row", "facets", "register"]

PAGE_SIZE = 50


@dataclass(frozen=True)
class Facet:
    """One filter an app above offers: its GET parameter, its label, the organisation's own
    objects to choose from, and how choosing one narrows the integrations."""

    param: str  # "process"
    label: str  # "Process"
    empty_label: str  # "All processes"
    queryset: QuerySet  # every object a filter may name (one is looked up when chosen)
    narrow: Callable[[QuerySet, object], QuerySet]  # (integrations, chosen object) -> subset
    # (the filters chosen, param -> object) -> (the objects to list, a note on what to do when
    # some are left out); None lists the whole queryset.
    offer: Callable[[dict], tuple[list, str]] | None = None


class QuickSelect(forms.Select):
    """A flat `<select>` (no option groups) rendered in one pass; labels are escaped."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(key), " selected" if str(key) in chosen else "", label)
                for key, label in self.choices
            ),
        )
        attrs = flatatt(self.build_attrs(self.attrs, attrs))
        return format_html('<select name="{}"{}>{}</select>', name, attrs, options)


Provider = Callable[..., Iterable[Facet]]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    """Ask `provider(organization=...)` from now on; registering it again changes nothing."""
    if provider not in _providers:
        _providers.append(provider)


def facets(*, organization) -> list[Facet]:
    return [facet for provider in _providers for facet in provider(organization=organization)]


class IntegrationFilter(forms.Form):
    """The list's filters from the query string. Invalid (an unknown status, another
    organisation's process) means the view answers 404."""

    status = forms.ChoiceField(choices=[("", "All statuses"), *STATUS_CHOICES], required=False)

    def __init__(self, data, *, facets: list[Facet]):
        super().__init__(data)
        self.facets = facets
        for facet in facets:
            self.fields[facet.param] = forms.ModelChoiceField(
                facet.queryset,
                required=False,
                label=facet.label,
                empty_label=facet.empty_label,
                widget=QuickSelect,
            )

    def filter(self, integrations: QuerySet, *, now: datetime) -> QuerySet:
        """`integrations` narrowed by the valid filters (call `is_valid()` first)."""
        data = self.cleaned_data
        if data["status"]:
            integrations = integrations.with_status(now=now).filter(status_now=data["status"])
        for facet in self.facets:
            if data.get(facet.param) is not None:
                integrations = facet.narrow(integrations, data[facet.param])
        return integrations

    def offer(self) -> None:
        """List each bounded facet's `offer` for the filters chosen (call `is_valid()` first),
        the chosen object always among them; its note becomes the field's help text."""
        for facet in self.facets:
            if facet.offer is None:
                continue
            field = self.fields[facet.param]
            shown, note = facet.offer(self.cleaned_data)
            # The bound field (made while validating) keeps its own copy of the help text.
            field.help_text = self[facet.param].help_text = note
            chosen = self.cleaned_data.get(facet.param)
            if chosen is not None and chosen not in shown:
                shown = [chosen, *shown]
            field.widget.choices = [
                ("", facet.empty_label),
                *((one.pk, field.label_from_instance(one)) for one in shown),
            ]
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{facet.param}_helptext"

    def chosen(self) -> dict[str, str]:
        """The filters in force, as query parameters (ids and statuses, never names)."""
        chosen = {}
        for name, value in self.cleaned_data.items():
            if value not in (None, ""):
                chosen[name] = str(getattr(value, "pk", value))
        return chosen

    def query(self) -> str:
        return urlencode(self.chosen())


@dataclass(frozen=True)
class Row:
    """One integration of a page of the list: its link, and its three live cells (status,
    last data, 24 h uptime), which the poller swaps in out of band (`oob`) by their ids."""

    integration: Integration
    figures: HealthFigures
    list_url: str  # the list's URL: an integration's page is it plus "<id>/"
    oob: bool = False

    def url(self) -> str:
        return f"{self.list_url}{self.integration.pk}/"

    def tr(self) -> SafeString:
        """The row: the integration's name (a link) and systems, the live cells, its timing."""
        integration, figures = self.integration, self.figures
        systems = ""  # empty: nothing to escape
        if integration.source_system or integration.target_system:
            systems = format_html(
                '<br><span class="muted small">{} → {}</span>',
                integration.source_system or "?",
                integration.target_system or "?",
            )
        return format_html(
            '<tr><td hx-disable><a href="{}"><strong>{}</strong></a>{}</td>'
            '<td>{}</td><td>{}</td><td class="num">{}</td>'
            '<td class="muted small nowrap">every {}<br>+ {} grace</td></tr>',
            self.url(),
            integration.name,
            systems,
            self.status(),
            self.freshness(),
            self.uptime(),
            figures.interval_display,
            figures.grace_display,
        )

    def status(self) -> SafeString:
        figures = self.figures
        shown, status = figures.shown_status, str(figures.status)
        title = hidden = ""
        if figures.flapping:
            title = format_html(
                ' title="{} up/down changes in the last 24 hours; {} now"', figures.changes, status
            )
            hidden = format_html(
                '<span class="visually-hidden">: {} up/down changes in 24 hours, {} now</span>',
                figures.changes,
                status,
            )
        elif figures.since:
            title = format_html(' title="{} since {}"', capfirst(status), _when(figures.since)[:-3])
        return format_html(
            '<span id="status-{}" class="health-badge health-{}"{}{}>{}{}</span>',
            self.integration.pk,
            shown,
            title,
            self._oob(),
            capfirst(shown),
            hidden,
        )

    def freshness(self) -> SafeString:
        seen = self.figures.last_seen
        if seen:
            inner = format_html(
                '<time datetime="{}" title="{}">{}</time>',
                timezone.localtime(seen).isoformat(),
                _when(seen),
                self.figures.freshness_display,
            )
        else:
            inner = _NEVER
        return format_html(
            '<span id="fresh-{}" class="health-fresh"{}>{}</span>',
            self.integration.pk,
            self._oob(),
            inner,
        )

    def uptime(self) -> SafeString:
        return format_html(
            '<span id="uptime-{}" class="health-uptime"{}>{}</span>',
            self.integration.pk,
            self._oob(),
            self.figures.uptime_display.get("24h", ""),
        )

    def _oob(self) -> SafeString | str:
        return _OOB if self.oob else ""


# Constant markup, no user text in it.
_OOB = format_html(' hx-swap-oob="{}"', "true")
_NEVER = format_html('<span class="muted">{}</span>', "never")


def _when(value: datetime) -> str:
    """`value` in the current time zone as the template filter `date:"j M Y, H:i:s"` writes
    it ("25 Nov 2026, 07:00:00"), at a tenth of its cost (two a row)."""
    local = timezone.localtime(value)
    return f"{local.day} {capfirst(MONTHS_3[local.month])} {local.year}, {local:%H:%M:%S}"
