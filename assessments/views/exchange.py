"""Download an assessment as JSON, CSV or XLSX; import a JSON export as a new draft."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.http import content_disposition_header

from accounts.access import get_object_for_member, org_view
from assessments.exchange import importing
from assessments.exchange.downloads import EXPORT_FORMATS, assessment_export_file
from assessments.exchange.reading import MAX_IMPORT_BYTES, export_parse
from assessments.exchange.validation import InvalidExport
from assessments.models import Assessment

TOO_BIG = f"The file is larger than {filesizeformat(MAX_IMPORT_BYTES)}, the limit."


class AssessmentImportForm(forms.Form):
    file = forms.FileField(
        label="Export file (JSON)",
        help_text="A file made with “Export JSON” on an assessment, here or in another "
        "organisation.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(TOO_BIG)
        try:
            return export_parse(upload.read())
        except InvalidExport as refused:
            raise forms.ValidationError(refused.errors) from None


def _exported(request, assessment_id, format) -> Assessment:
    queryset = Assessment.objects.select_related("framework", "site", "organization")
    return get_object_for_member(request, queryset, pk=assessment_id)


@org_view(methods=("GET", "HEAD"), lookup=_exported)
def assessment_export(request, assessment_id, format):
    """Any member, viewers too, may download an assessment."""
    assessment = _exported(request, assessment_id, format)
    if format not in EXPORT_FORMATS:
        raise Http404(f"No export as {format}; use json, csv or xlsx.")
    file = assessment_export_file(assessment=assessment, format=format)
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = content_disposition_header(True, file.filename)
    return response


@org_view(facilitate=True)
def assessment_import(request):
    template = "assessments/assessment_import.html"
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_IMPORT_BYTES + 64 * 1024:
        # Refused before the body is parsed; the margin is for the multipart envelope.
        context = {"form": AssessmentImportForm(), "too_big": TOO_BIG}
        return render(request, template, context, status=413)
    posted = request.method == "POST"
    form = AssessmentImportForm(request.POST, request.FILES) if posted else AssessmentImportForm()
    if posted and form.is_valid():
        try:
            assessment = importing.assessment_import(
                organization=request.org, data=form.cleaned_data["file"], user=request.user
            )
        except InvalidExport as refused:
            form.add_error("file", refused.errors)
        else:
            messages.success(request, f"{assessment.title} is ready as a draft.")
            return redirect("assessments:assessment-detail", request.org.slug, assessment.pk)
    return render(request, template, {"form": form}, status=400 if form.errors else 200)
