from django import forms

from accounts.models import Organization, Site, User
from assessments.models import Process, area_choices
from assessments.process_import import (
    MAX_BYTES,
    ImportFileError,
    csv_text_decode,
    processes_import_preview,
)
from integration.listing import QuickSelect
from integration.models import Integration


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        name = user.get_full_name()
        return f"{name} ({user.email})" if name else user.email


def org_members(organization: Organization):
    return User.objects.filter(memberships__organization=organization).order_by(
        "first_name", "last_name", "email"
    )


class ProcessForm(forms.ModelForm):
    class Meta:
        model = Process
        fields = ["name", "area", "site", "owner", "business_value", "description", "integrations"]
        field_classes = {"owner": MemberChoiceField}
        widgets = {
            "business_value": forms.NumberInput(attrs={"min": 1, "max": 5}),
            "description": forms.Textarea(attrs={"rows": 3}),
            "integrations": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "site": "“Whole organisation” for a process that runs across sites.",
            "owner": "A member of the organisation who answers for this process.",
            "integrations": "The live data flows that back this process's level: from "
            "Augmentation up, at least one of them must be up.",
        }

    def __init__(self, *args, organization: Organization, facilitate: bool, **kwargs):
        """`facilitate`: the user may link integrations (owners and consultants); for anyone
        else the field is left out, so what they send for it is ignored."""
        super().__init__(*args, **kwargs)
        self.instance.organization = organization
        self.fields["area"].choices = [("", "Choose an area"), *area_choices()]
        self.fields["site"].queryset = Site.objects.filter(organization=organization)
        self.fields["site"].empty_label = "Whole organisation"
        self.fields["owner"].queryset = org_members(organization)
        self.fields["integrations"].queryset = Integration.objects.filter(organization=organization)
        if not facilitate:  # the links are the evidence behind a claimed level
            del self.fields["integrations"]
        self.fields["owner"].empty_label = "No owner yet"
        self.fields["owner"].error_messages["invalid_choice"] = (
            "Choose a member of the organisation as owner."
        )
        self.fields["site"].error_messages["invalid_choice"] = (
            "Choose one of the organisation's sites."
        )
        owner = self.instance.owner
        if owner and not self.fields["owner"].queryset.filter(pk=owner.pk).exists():
            self.fields[
                "owner"
            ].help_text = f"{owner} has left the organisation; choose a member as the new owner."

    def clean_name(self):
        # The database only refuses an exact repeat; "press line" vs "Press line" is one too.
        name = self.cleaned_data["name"].strip()
        others = Process.objects.filter(organization=self.instance.organization, name__iexact=name)
        if others.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("There is already a process with this name.")
        return name


class ProcessFilterForm(forms.Form):
    # An option per site (a hundred at breadth): written in one pass, not a template each.
    area = forms.ChoiceField(required=False, widget=QuickSelect)
    site = forms.ModelChoiceField(queryset=Site.objects.none(), required=False, widget=QuickSelect)
    archived = forms.BooleanField(required=False)

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", "All areas"), *area_choices()]
        self.fields["site"].queryset = Site.objects.filter(organization=organization)
        self.fields["site"].empty_label = "All sites"

    def filter(self, processes):
        """The processes that match the valid filters; an invalid one is left out."""
        self.is_valid()
        data = self.cleaned_data
        processes = processes.filter(archived=data.get("archived", False))
        if data.get("area"):
            processes = processes.filter(area=data["area"])
        if data.get("site"):
            processes = processes.filter(site=data["site"])
        return processes

    @property
    def narrowed(self) -> bool:
        return bool(self.cleaned_data.get("area") or self.cleaned_data.get("site"))

    def chosen(self) -> dict[str, str]:
        """The valid filters in force, as query parameters (ids, never names)."""
        chosen = {}
        for name in ("area", "site", "archived"):
            value = self.cleaned_data.get(name)
            if value:
                chosen[name] = "1" if value is True else str(getattr(value, "pk", value))
        return chosen


class ProcessImportForm(forms.Form):
    """Step 1 uploads `file`; step 2 sends the same text back in `csv_text` to confirm."""

    file = forms.FileField(
        required=False,
        label="CSV file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    csv_text = forms.CharField(
        required=False, strip=False, max_length=MAX_BYTES, widget=forms.HiddenInput
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.preview = None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload is None:
            return None
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError(
                "Upload a .csv file; from Excel, use Save As and “CSV UTF-8 (comma delimited)”."
            )
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_BYTES // 1024} KB.")
        try:
            return csv_text_decode(upload.read())
        except ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self):
        text = self.cleaned_data.get("file") or self.cleaned_data.get("csv_text")
        if self.errors:
            return self.cleaned_data
        if not text:
            self.add_error("file", "Choose a CSV file to upload.")
            return self.cleaned_data
        try:
            self.preview = processes_import_preview(organization=self.organization, text=text)
        except ImportFileError as exc:
            self.add_error("file", str(exc))
        self.cleaned_data["text"] = text
        return self.cleaned_data
