from django import forms

from accounts.access import scoped
from assessments.models import Assessment, Report


class AssessmentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title} · {obj.assessed_on:%d %b %Y} · {obj.get_state_display()}"


class ReportRequestForm(forms.Form):
    assessment = AssessmentChoice(
        queryset=Assessment.objects.none(), label="Assessment", empty_label="Choose an assessment…"
    )
    kind = forms.ChoiceField(
        label="Document",
        choices=[
            (Report.Kind.ASSESSMENT, "Full report"),
            (Report.Kind.BOARD, "Board pack: two pages for the board"),
        ],
        initial=Report.Kind.ASSESSMENT,
        required=False,  # left out: a full report
        help_text="The board pack has the headline figures, risks, plan and decisions only.",
    )
    compared_to = AssessmentChoice(
        queryset=Assessment.objects.none(),
        required=False,
        label="Compare with",
        empty_label="Nothing: the assessment alone",
        help_text="Pick a second assessment for a comparison report: what changed between them.",
    )
    appendix = forms.BooleanField(
        required=False,
        initial=True,
        label="Include the appendix",
        help_text="Every answer, the assessors' differences and the method, at the end of a "
        "full report.",
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
        data["kind"] = data.get("kind") or Report.Kind.ASSESSMENT
        if before and data["kind"] == Report.Kind.BOARD:
            self.add_error("compared_to", "A board pack covers one assessment: compare nothing.")
        elif after and before:
            if after.pk == before.pk:
                self.add_error("compared_to", "Choose a different assessment to compare with.")
            elif (before.assessed_on, before.created) > (after.assessed_on, after.created):
                # the earlier one is always "before", whichever list it was picked from
                data["assessment"], data["compared_to"] = before, after
        return data
