from django import forms

from accounts.access import scoped
from assessments.framework.loading import default_framework
from assessments.models import OutcomeKpi
from assessments.roadmaps.kpis import FROZEN_BY_BASELINE, kpi_frozen_by
from integration.models import Integration, Metric


class OutcomeKpiForm(forms.ModelForm):
    class Meta:
        model = OutcomeKpi
        fields = [
            "name",
            "benefit",
            "integration",
            "metric",
            "aggregate",
            "unit",
            "better",
            "window_days",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"metric": "A metric the integration reports, e.g. downtime.unplanned_h."}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["benefit"] = forms.ChoiceField(
            label="Benefit it evidences",
            choices=[("", "–"), *((b.key, b.name) for b in default_framework().benefits)],
        )
        self.fields["integration"].queryset = scoped(organization, Integration)
        self.fields["integration"].empty_label = "Choose an integration"
        self.fields["integration"].error_messages["invalid_choice"] = (
            "Choose one of the organisation's integrations."
        )
        self.frozen_by = kpi_frozen_by(self.instance)
        if self.frozen_by:
            for name in FROZEN_BY_BASELINE:
                self.fields[name].disabled = True
                self.fields[
                    name
                ].help_text = (
                    f"Fixed: the baseline of {', '.join(self.frozen_by)} was measured with it."
                )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        taken = scoped(self.organization, OutcomeKpi).filter(name=name)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("The organisation has a KPI of this name already.")
        return name

    def clean_description(self):
        return self.cleaned_data["description"].replace("\r\n", "\n")

    def clean(self):
        data = super().clean()
        for name in FROZEN_BY_BASELINE if self.frozen_by else ():
            sent = self.data.get(self.add_prefix(name))
            kept = self.get_initial_for_field(self.fields[name], name)
            if sent is not None and str(sent).strip() != str(kept):
                self.add_error(name, "Cannot change: a frozen baseline was measured with it.")
        integration, metric = data.get("integration"), data.get("metric")
        if integration and metric:
            names = list(
                Metric.objects.filter(integration=integration)
                .order_by("name")
                .values_list("name", flat=True)
            )
            if metric not in names:
                known = ", ".join(names[:8]) or "none yet"
                self.add_error(
                    "metric", f"{integration.name} reports no metric “{metric}” (it has: {known})."
                )
        return data
