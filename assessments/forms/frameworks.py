from django import forms

from assessments.framework.fields import FrameworkError
from assessments.framework.loading import parse_framework
from assessments.models import FrameworkVersion

MAX_FRAMEWORK_BYTES = 1024 * 1024


class FrameworkUploadForm(forms.Form):
    file = forms.FileField(
        label="Framework file (YAML)",
        help_text="Start from the shipped framework's file (download it below), change the id, "
        "title, version and content, and upload it here.",
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FRAMEWORK_BYTES:
            raise forms.ValidationError("The file is larger than 1 MB.")
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text.") from None
        try:
            self.framework = parse_framework(text, upload.name)
        except FrameworkError as exc:
            raise forms.ValidationError(exc.errors) from None
        taken = FrameworkVersion.objects.available_to(self.organization).filter(
            key=self.framework.id, version=self.framework.version
        )
        if taken.exists():
            raise forms.ValidationError(
                f"Version {self.framework.version} of '{self.framework.id}' exists already; "
                "published versions never change, so give your file a new version."
            )
        return upload
