"""The form binding one integration to one check role on several processes at once."""

from django import forms

from assessments.forms.processes import ProcessFilterForm
from integration.listing import QuickSelect
from integration.models import Integration

SEP = "::"


class BulkBindForm(forms.Form):
    check_role = forms.ChoiceField(label="Check and role", widget=QuickSelect)
    integration = forms.ModelChoiceField(
        queryset=Integration.objects.none(),
        empty_label="Choose an integration",
        widget=QuickSelect,  # hundreds of options: one pass, not a template each
    )
    metric = forms.CharField(
        max_length=200,
        required=False,
        help_text="The metric the check reads (value checks only), e.g. temp.",
    )
    processes = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, label="Processes"
    )

    def __init__(self, *args, framework, processes, integrations, area_checks, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = framework.definition
        self.area_checks = area_checks
        self.fields["integration"].queryset = integrations
        self.fields["processes"].queryset = processes
        choices = []
        for check in self.definition.checks:
            for role in check.roles:
                label = f"{check.name} ({check.key})"
                choices.append((f"{check.key}{SEP}{role}", f"{label}: {role}"))
        self.fields["check_role"].choices = [("", "Choose a check and role")] + choices

    def offer(self, *, processes, integrations, linked_only: bool) -> None:
        """List only `processes` and `integrations` (the page's); the fields still accept any
        of their querysets' (one query each), so what is listed bounds the page, not the
        organisation. `linked_only`: the integrations are those linked to the processes."""
        field = self.fields["processes"]
        field.widget.choices = [(p.pk, field.label_from_instance(p)) for p in processes]
        field = self.fields["integration"]
        field.widget.choices = [("", field.empty_label)] + [
            (i.pk, field.label_from_instance(i)) for i in integrations
        ]
        if linked_only:
            field.help_text = (
                "The integrations linked to the processes listed; page on or filter by site "
                "for the others."
            )

    def clean(self):
        data = super().clean()
        value = data.get("check_role")
        if not value:
            return data
        key, role = value.split(SEP, 1)
        check = self.definition.checks_by_key[key]
        data["check"], data["role"] = check, role
        if check.kind in ("aggregate", "variation") and not data.get("metric", "").strip():
            hint = f": {check.metric_hint}" if check.metric_hint else ""
            self.add_error("metric", f"This check reads a metric; name it{hint}.")
        wrong = [
            p.name
            for p in data.get("processes") or []
            if check not in self.area_checks.get(p.area, [])
        ]
        if wrong:
            self.add_error(
                "processes",
                f"The check is not one of these processes' area: {', '.join(wrong)}.",
            )
        return data


class BoardFilterForm(ProcessFilterForm):
    """The checks board's filters: area and site (the board shows active processes only)."""

    archived = None
