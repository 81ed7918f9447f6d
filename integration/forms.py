"""Forms of the integration pages: an integration with its metrics, a new ingest or read token."""

from django import forms
from django.db.models import Exists, OuterRef

from integration.models import (
    RESERVED_PREFIX,
    IngestToken,
    Integration,
    Metric,
    ReadToken,
    Series,
)


class IntegrationForm(forms.ModelForm):
    # They decide whether the flow counts as up, i.e. whether it backs a claimed level.
    FACILITATOR_FIELDS = ("interval_seconds", "grace_seconds", "paused")

    class Meta:
        model = Integration
        fields = [
            "name",
            "description",
            "source_system",
            "target_system",
            "interval_seconds",
            "grace_seconds",
            "paused",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "source_system": "Where the data comes from, e.g. “Press 3 PLC (Siemens S7)”.",
            "target_system": "Where it goes, e.g. “CMMS” or “MES”.",
            "interval_seconds": "How often data or a heartbeat is expected; "
            "at least 60, at most 86400 (a day).",
            "grace_seconds": "How long after a missed interval it still counts as late, "
            "before it is down; at most 86400 (a day).",
            "paused": "A paused integration accepts no data and sends no alerts.",
        }

    def __init__(self, *args, organization, facilitate: bool, **kwargs):
        """`facilitate`: the user may set the timing and pausing (owners and consultants);
        for anyone else those fields show the stored values and ignore what is sent."""
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["name"].widget.attrs["placeholder"] = "Press line 3 vibration to CMMS"
        if not facilitate:
            for name in self.FACILITATOR_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = "An owner or consultant sets this."

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = Integration.objects.filter(organization=self.organization, name__iexact=name)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(f"{self.organization.name} already has “{name}”.")
        return name


class MetricForm(forms.ModelForm):
    class Meta:
        model = Metric
        fields = ["name", "unit", "expected_min", "expected_max"]
        labels = {"expected_min": "Expected min", "expected_max": "Expected max"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["placeholder"] = "e.g. vibration.rms"
        self.fields["unit"].widget.attrs["placeholder"] = "mm/s"
        self.fields["expected_min"].widget.attrs["step"] = "any"
        self.fields["expected_max"].widget.attrs["step"] = "any"
        if self.instance.pk:
            # Devices send this name: renaming would start a new metric, not rename the data.
            self.fields["name"].disabled = True

    @property
    def has_data(self) -> bool:
        return bool(getattr(self.instance, "has_data", False))

    def clean_name(self):
        name = self.cleaned_data["name"]
        if self.instance.pk:
            return name
        if name != name.strip() or not name.isprintable():
            raise forms.ValidationError("No spaces at the ends and no control characters.")
        if name.startswith(RESERVED_PREFIX):
            raise forms.ValidationError(
                f"Names starting with “{RESERVED_PREFIX}” are kept for Ladder’s own metrics."
            )
        return name

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("expected_min"), cleaned.get("expected_max")
        if low is not None and high is not None and low > high:
            self.add_error("expected_max", "Must be at least the expected min.")
        return cleaned


class BaseMetricFormSet(forms.BaseInlineFormSet):
    def get_queryset(self):
        has_data = Exists(Series.objects.filter(metric=OuterRef("pk")))
        return super().get_queryset().annotate(has_data=has_data)

    def clean(self):
        # Before Django's own check, so a repeated name is reported on its row, in plain words.
        names, kept = set(), []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if self.can_delete and self._should_delete_form(form):
                if form.has_data:
                    # A deleted form's own errors do not count: refuse the formset too.
                    form.add_error(None, "This metric has stored data, so it stays.")
                    kept.append(form.instance.name)
                continue
            name = form.cleaned_data.get("name")
            if name and name in names:
                form.add_error("name", "Listed twice.")
            names.add(name)
        super().clean()
        if kept:
            raise forms.ValidationError(
                f"Metrics with stored data cannot be removed: {', '.join(kept)}."
            )


MetricFormSet = forms.inlineformset_factory(
    Integration,
    Metric,
    form=MetricForm,
    formset=BaseMetricFormSet,
    extra=2,
    can_delete=True,
    max_num=100,
    validate_max=True,
)


class TokenForm(forms.ModelForm):
    # Shown only where Ladder drives the broker (MQTT_ADMIN_URL): the broker holds one password
    # per integration, so a new token replaces it only when asked to.
    mqtt = forms.BooleanField(
        required=False,
        label="Make it the MQTT password",
        help_text="Devices logged in to the broker with the current one are disconnected.",
    )

    class Meta:
        model = IngestToken
        fields = ["name"]
        labels = {"name": "Token name"}
        help_texts = {"name": "Where it will be used, e.g. “Telegraf on press-3-gw”."}


class ReadTokenForm(forms.ModelForm):
    prefix = "read"  # beside TokenForm on the same page: its own field ids

    class Meta:
        model = ReadToken
        fields = ["name"]
        labels = {"name": "Read token name"}
