from django import forms

from assessments.models import area_choices
from assessments.starter import Suggestion


class StarterForm(forms.Form):
    """Tick the suggested processes and sites to add; each name can be changed first.

    Fields come in pairs per suggestion: `process_<i>` (ticked) and `process_<i>_name`, and
    the same for `site_<i>`. The cleaned choices are in `chosen_processes` and `chosen_sites`.
    """

    def __init__(self, *args, processes: list[Suggestion], sites: list, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.processes, self.sites, self.organization = processes, sites, organization
        for prefix, names in (
            ("process", [s.name for s in processes]),
            ("site", [n for n, _ in sites]),
        ):
            for i, name in enumerate(names):
                self.fields[f"{prefix}_{i}"] = forms.BooleanField(required=False, initial=True)
                self.fields[f"{prefix}_{i}_name"] = forms.CharField(
                    max_length=120, required=False, initial=name, label="Name"
                )

    def rows(self, prefix: str, items: list) -> list[tuple]:
        """(suggestion, ticked field, name field) per suggestion, for the template."""
        return [
            (item, self[f"{prefix}_{i}"], self[f"{prefix}_{i}_name"])
            for i, item in enumerate(items)
        ]

    def process_rows(self):
        """(area name, ticked field, name field) per suggested process."""
        areas = dict(area_choices())
        return [
            (areas.get(s.area, s.area), tick, name)
            for s, tick, name in self.rows("process", self.processes)
        ]

    def site_rows(self):
        """(kind, ticked field, name field) per suggested site."""
        return [(kind.label, tick, name) for (_, kind), tick, name in self.rows("site", self.sites)]

    def _chosen(self, prefix: str, count: int, taken: set[str]) -> list[tuple[int, str]]:
        chosen, seen = [], set()
        for i in range(count):
            if not self.cleaned_data.get(f"{prefix}_{i}"):
                continue
            name = self.cleaned_data.get(f"{prefix}_{i}_name", "").strip()
            key = name.casefold()
            if not name:
                self.add_error(f"{prefix}_{i}_name", "Give it a name, or untick it.")
            elif key in taken or key in seen:
                self.add_error(f"{prefix}_{i}_name", "There is already one with this name.")
            seen.add(key)
            chosen.append((i, name))
        return chosen

    def clean(self):
        data = super().clean()
        have = {n.casefold() for n in self.organization.processes.values_list("name", flat=True)}
        chosen = self._chosen("process", len(self.processes), have)
        self.chosen_processes = [
            Suggestion(name, self.processes[i].area, self.processes[i].description)
            for i, name in chosen
        ]
        have = {n.casefold() for n in self.organization.sites.values_list("name", flat=True)}
        chosen = self._chosen("site", len(self.sites), have)
        self.chosen_sites = [(name, self.sites[i][1]) for i, name in chosen]
        if not self.errors and not (self.chosen_processes or self.chosen_sites):
            raise forms.ValidationError("Tick at least one process or site to add.")
        return data
