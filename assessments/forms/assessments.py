from django import forms

from accounts.models import Site
from assessments.models import (
    STATUS_CHOICES,
    Assessment,
    FrameworkVersion,
    Process,
    ProcessScore,
)

LEVEL_CHOICES = [
    (0, "0 · Manual"),
    (1, "1 · Substitution"),
    (2, "2 · Augmentation"),
    (3, "3 · Modification"),
    (4, "4 · Redefinition"),
]
READINESS_CHOICES = [("na", "N/A")] + [(str(v), str(v)) for v in range(5)]


class AssessmentCreateForm(forms.ModelForm):
    processes = forms.ModelMultipleChoiceField(
        queryset=Process.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="The processes this assessment scores.",
    )
    based_on = forms.ModelChoiceField(
        queryset=Assessment.objects.none(),
        required=False,
        label="Start from",
        empty_label="Blank: no answers yet",
        help_text="Carry over the agreed answers and targets of a final assessment.",
    )

    class Meta:
        model = Assessment
        fields = ["title", "site", "assessed_on", "framework"]
        widgets = {"assessed_on": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})}
        labels = {"assessed_on": "Date", "site": "Site (optional)"}
        help_texts = {
            "framework": "Ignored when starting from a final assessment: it keeps its own."
        }

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(organization=organization)
        self.fields["site"].empty_label = "No site (whole organisation)"
        self.fields["framework"].queryset = FrameworkVersion.objects.available_to(organization)
        self.fields["framework"].empty_label = None
        self.fields["framework"].required = False
        active = Process.objects.filter(organization=organization, archived=False)
        self.fields["processes"].queryset = active
        self.fields["based_on"].queryset = Assessment.objects.filter(
            organization=organization, state=Assessment.State.FINAL
        )
        if not self.is_bound:
            self.initial.setdefault("framework", FrameworkVersion.objects.shipped())
            self.initial.setdefault("processes", list(active))
            self.initial.setdefault("based_on", self.fields["based_on"].queryset.first())


class CriterionAnswerForm(forms.Form):
    criterion_key = forms.CharField(max_length=60, widget=forms.HiddenInput)
    status = forms.ChoiceField(
        choices=STATUS_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how far this is met first.",
            "invalid_choice": "%(value)s is not one of the choices.",
        },
    )
    rationale = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    evidence_url = forms.URLField(
        required=False,
        max_length=500,
        assume_scheme="https",
        error_messages={
            "invalid": "Enter a full web address, like https://sharepoint.example.com/work-orders."
        },
    )


class TargetForm(forms.ModelForm):
    class Meta:
        model = ProcessScore
        fields = ["target_level", "rationale", "evidence"]
        widgets = {
            "target_level": forms.Select(choices=[("", "Not set")] + LEVEL_CHOICES),
            "rationale": forms.Textarea(attrs={"rows": 3}),
            "evidence": forms.Textarea(attrs={"rows": 3}),
        }


class ReadinessAnswerForm(forms.Form):
    question_key = forms.CharField(max_length=60, widget=forms.HiddenInput)
    side = forms.ChoiceField(choices=[("it", "IT"), ("ot", "OT")], widget=forms.HiddenInput)
    value = forms.ChoiceField(
        choices=READINESS_CHOICES,
        error_messages={
            "required": "Choose an answer.",
            "invalid_choice": "%(value)s is not one of the choices.",
        },
    )

    def clean_value(self):
        value = self.cleaned_data["value"]
        return None if value == "na" else int(value)


class CriterionAgreementForm(forms.Form):
    score_id = forms.IntegerField(widget=forms.HiddenInput)
    criterion_key = forms.CharField(max_length=60, widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=STATUS_CHOICES)
    reason = forms.CharField(max_length=1000, widget=forms.TextInput)


class ReadinessAgreementForm(ReadinessAnswerForm):
    reason = forms.CharField(max_length=1000, widget=forms.TextInput)


class ExcludeDimensionForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Why is this dimension out of scope?")
