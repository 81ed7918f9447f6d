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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django import forms
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join

from integration.models.integration import STATUS_CHOICES

__all__ = ["PAGE_SIZE", "Facet", "IntegrationFilter", "QuickSelect", "facets", "register"]

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
