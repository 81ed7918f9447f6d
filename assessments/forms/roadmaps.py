from django import forms
from django.db.models import Q
from django.utils import timezone

from accounts.access import scoped
from assessments.forms.processes import MemberChoiceField, org_members
from assessments.models import (
    AcceptanceCriterion,
    Assessment,
    Milestone,
    OutcomeKpi,
    Phase,
    Process,
    Roadmap,
)
from assessments.roadmaps.editing import FROZEN_BY_BASELINE
from integration.models import Integration


class AssessmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, assessment):
        return (
            f"{assessment.title} ({assessment.assessed_on:%d %b %Y}, "
            f"{assessment.get_state_display().lower()})"
        )


def _assessments(organization):
    return scoped(organization, Assessment).select_related("framework")


class RoadmapGenerateForm(forms.ModelForm):
    assessment = AssessmentChoiceField(
        queryset=Assessment.objects.none(),
        empty_label=None,
        help_text="Draft or final: every process with a gap to its target becomes milestones.",
    )

    class Meta:
        model = Roadmap
        fields = ["assessment", "title", "start_date", "phase_days", "capacity"]
        widgets = {
            "start_date": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "phase_days": forms.NumberInput(attrs={"min": 7, "max": 730}),
            "capacity": forms.NumberInput(attrs={"min": 1, "max": 100}),
        }
        help_texts = {"title": "Leave empty for “Roadmap from” and the assessment's title."}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessment"].queryset = _assessments(organization)
        self.fields["title"].required = False
        self.fields["start_date"].initial = timezone.localdate()
        self.fields["assessment"].error_messages["invalid_choice"] = (
            "Choose one of the organisation's assessments."
        )


class RoadmapSettingsForm(forms.ModelForm):
    class Meta:
        model = Roadmap
        fields = ["title", "start_date", "phase_days", "capacity"]
        widgets = RoadmapGenerateForm.Meta.widgets


class RegenerateForm(forms.Form):
    assessment = AssessmentChoiceField(queryset=Assessment.objects.none(), empty_label=None)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessment"].queryset = _assessments(organization)
        self.fields["assessment"].error_messages["invalid_choice"] = (
            "Choose one of the organisation's assessments."
        )


class MilestoneForm(forms.ModelForm):
    """Everything about a milestone, for owners and consultants."""

    class Meta:
        model = Milestone
        fields = [
            "title",
            "description",
            "process",
            "phase",
            "owner",
            "due_date",
            "status",
            "responsibility",
            "benefit",
            "kpi",
            "start_date",
            "expected_change",
            "effort_days",
            "cost",
        ]
        field_classes = {"owner": MemberChoiceField}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "due_date": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "start_date": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        }
        help_texts = {
            "owner": "A member of the organisation who answers for it.",
            "phase": "A new phase puts the milestone at the end of it.",
        }

    def __init__(self, *args, roadmap: Roadmap, **kwargs):
        super().__init__(*args, **kwargs)
        organization = roadmap.organization
        framework = roadmap.framework.definition
        self.fields["owner"].queryset = org_members(organization)
        self.fields["owner"].empty_label = "No owner yet"
        self.fields["owner"].error_messages["invalid_choice"] = (
            "Choose a member of the organisation as owner."
        )
        self.fields["process"].queryset = scoped(organization, Process).filter(archived=False)
        self.fields["process"].empty_label = "No process"
        self.fields["process"].error_messages["invalid_choice"] = (
            "Choose one of the organisation's processes."
        )
        self.fields["responsibility"] = forms.ChoiceField(
            label="COO responsibility",
            required=False,
            choices=[("", "–"), *((r.key, r.name) for r in framework.responsibilities)],
        )
        self.fields["benefit"] = forms.ChoiceField(
            required=False, choices=[("", "–"), *((b.key, b.name) for b in framework.benefits)]
        )
        self.fields["kpi"].queryset = scoped(organization, OutcomeKpi)
        self.fields["kpi"].empty_label = "No KPI"
        self.fields["kpi"].help_text = "The outcome KPI this milestone should move."
        self.fields["kpi"].error_messages["invalid_choice"] = (
            "Choose one of the organisation's outcome KPIs."
        )
        if self.instance.baseline_frozen is not None:
            for name in FROZEN_BY_BASELINE:
                self.fields[name].disabled = True
                self.fields[name].help_text = "Fixed: the baseline was measured from it."
        if self.instance.pk and self.instance.kind != Milestone.Kind.CUSTOM:
            # A generated milestone's process and step decide its place in the order.
            del self.fields["process"]
        if not self.instance.pk:
            del self.fields["status"]
            self.fields["phase"].initial = Phase.NOW

    def clean_description(self):
        # Browsers send CRLF; without this every save would look like a changed description.
        return self.cleaned_data["description"].replace("\r\n", "\n")

    def clean(self):
        data = super().clean()
        if data.get("kpi") and not data.get("start_date") and "start_date" not in self.errors:
            self.add_error(
                "start_date", "A milestone with a KPI needs a start date: the baseline ends there."
            )
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Milestone.Status.choices)


class CommentForm(forms.Form):
    text = forms.CharField(
        label="Comment", max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")], required=False)
    phase = forms.ChoiceField(choices=Phase.choices, required=False)

    def clean(self):
        data = super().clean()
        if bool(data.get("direction")) == bool(data.get("phase")):
            raise forms.ValidationError("Say either direction=up/down or phase=now/next/later.")
        return data


class IntegrationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, integration):
        if getattr(integration, "linked", False):
            return f"{integration.name} (linked to the milestone's process)"
        return integration.name


class CriterionForm(forms.ModelForm):
    """An acceptance criterion on one of the organisation's integrations; the fields a kind
    does not use are ignored (`AcceptanceCriterion.clean`)."""

    class Meta:
        model = AcceptanceCriterion
        fields = AcceptanceCriterion.EDITABLE_FIELDS
        field_classes = {"integration": IntegrationChoiceField}
        widgets = {
            "kind": forms.RadioSelect,
            "window_days": forms.NumberInput(attrs={"min": 1, "max": 90}),
            "threshold": forms.NumberInput(attrs={"step": "any"}),
        }
        labels = {"kind": "Criterion", "aggregate": "Aggregate", "comparison": "Compared with"}

    def __init__(self, *args, milestone: Milestone, **kwargs):
        kwargs.setdefault("instance", AcceptanceCriterion(milestone=milestone))
        super().__init__(*args, **kwargs)
        linked = (
            list(milestone.process.integrations.values_list("pk", flat=True))
            if milestone.process
            else []
        )
        field = self.fields["integration"]
        field.queryset = (
            scoped(milestone.roadmap.organization, Integration)
            .annotate(linked=Q(pk__in=linked))
            .order_by("-linked", "name")
        )
        field.empty_label = None
        field.error_messages["invalid_choice"] = "Choose one of the organisation's integrations."
        for name in ("aggregate", "comparison"):
            self.fields[name].choices = [("", "–"), *self.fields[name].choices[1:]]
