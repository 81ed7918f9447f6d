from django import forms

from accounts.access import scoped
from assessments.models import Assessment


class AssessmentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title} · {obj.assessed_on:%d %b %Y} · {obj.get_state_display()}"


class ReportRequestForm(forms.Form):
    assessment = AssessmentChoice(
        queryset=Assessment.objects.none(), label="Assessment", empty_label="Choose an assessment…"
    )
    compared_to = AssessmentChoice(
        queryset=Assessment.objects.none(),
        required=False,
        label="Compare with",
        empty_label="Nothing: a full report of the assessment",
        help_text="Pick a second assessment for a comparison report: what changed between them.",
    )
    archival = forms.BooleanField(
        required=False,
        label="PDF/A for archiving",
        help_text="An archivable PDF/A-3b file; slightly larger.",
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        assessments = scoped(organization, Assessment).select_related("site")
        self.fields["assessment"].queryset = assessments
        self.fields["compared_to"].queryset = assessments

    def clean(self):
        data = super().clean()
        after, before = data.get("assessment"), data.get("compared_to")
        if after and before:
            if after.pk == before.pk:
                self.add_error("compared_to", "Choose a different assessment to compare with.")
            elif (before.assessed_on, before.created) > (after.assessed_on, after.created):
                # the earlier one is always "before", whichever list it was picked from
                data["assessment"], data["compared_to"] = before, after
        return data
