"""Attestations: a consultant or an auditor signs one over a window, and anyone reads it.

The attest page previews the window's check history and signs it (`assessments.verified.
attestation`); owners, members and viewers are refused (403). An attestation's page shows the
frozen figures; an auditor reaches only those inside their observation window (404 otherwise).
"""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.access import get_object_for_member, org_view, refuse_unless, scoped
from assessments.models import Attestation, Process
from assessments.verified.attestation import (
    OWNER_REFUSED,
    AttestationRefused,
    attestation_refusal,
    attestation_sign,
    history_for_page,
    window_history,
)


class AttestationForm(forms.Form):
    process = forms.ModelChoiceField(
        queryset=Process.objects.none(),
        required=False,
        empty_label="All the organisation's checks",
        label="What it covers",
    )
    window_start = forms.DateField(
        label="Window from", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    window_end = forms.DateField(
        label="Window to",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="At most 12 months, ending today at the latest.",
    )
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text="What you attest, in your words; it is kept with the frozen history.",
    )

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.membership = membership
        processes = scoped(membership.organization, Process).filter(archived=False)
        self.fields["process"].queryset = processes.order_by("name")

    def clean(self):
        data = super().clean()
        start, end = data.get("window_start"), data.get("window_end")
        if start and end:
            today = timezone.localdate()
            if problem := attestation_refusal(self.membership, start, end, today):
                self.add_error("window_end", problem)
        return data


def _initial(membership) -> dict:
    """The last 12 months to yesterday, or an auditor's window (to yesterday at the latest)."""
    end = timezone.localdate() - timedelta(days=1)
    if membership.window is not None:
        first, last = membership.window
        return {"window_start": first, "window_end": min(last, end)}
    return {"window_start": end - timedelta(days=364), "window_end": end}


@org_view(personal=True, methods=("GET", "HEAD", "POST"))
def attest(request):
    """Choose a window and a statement, preview the window's checks, sign."""
    membership = request.membership
    refuse_unless(membership.role != "owner", OWNER_REFUSED)
    refuse_unless(membership.can_attest, "Only consultants and auditors sign attestations.")
    data = request.POST if request.method == "POST" else None
    form = AttestationForm(data, membership=membership, initial=_initial(membership))
    preview = None
    if form.is_bound and form.is_valid():
        values = form.cleaned_data
        if request.POST.get("action") == "sign":
            try:
                attestation = attestation_sign(
                    organization=request.org,
                    user=request.user,
                    start=values["window_start"],
                    end=values["window_end"],
                    statement=values["statement"],
                    process=values["process"],
                )
            except AttestationRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, "Attestation signed; its figures are frozen.")
                return redirect("assessments:attestation-detail", request.org.slug, attestation.pk)
        if not form.errors:
            preview = history_for_page(
                window_history(
                    request.org, values["window_start"], values["window_end"], values["process"]
                )
            )
    context = {"form": form, "preview": preview}
    return render(request, "assessments/attest.html", context, status=400 if form.errors else 200)


def get_attestation(request, attestation_id) -> Attestation:
    queryset = Attestation.objects.select_related("signed_by")
    return get_object_for_member(request, queryset, pk=attestation_id)


@org_view(methods=("GET", "HEAD"), lookup=get_attestation)
def attestation_detail(request, attestation_id):
    attestation = get_attestation(request, attestation_id)
    context = {"attestation": attestation, "history": history_for_page(attestation.data)}
    return render(request, "assessments/attestation_detail.html", context)
