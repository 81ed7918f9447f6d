import math

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.utils import timezone

from accounts.addresses import ascii_problem, normalise
from accounts.models import (
    FailedLogin,
    Invitation,
    Membership,
    Organization,
    Role,
    Site,
    User,
    window_problem,
)
from accounts.services import invitation_refusal

LOGO_MAX_BYTES = 1024 * 1024


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "logo", "brand_colour", "evidence_validity_days"]
        widgets = {"brand_colour": forms.TextInput(attrs={"type": "color"})}
        help_texts = {"logo": "PNG or JPEG, up to 1 MB; shown in the header and on reports."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence_validity_days"].required = False  # left empty: kept as it is

    def clean_evidence_validity_days(self):
        days = self.cleaned_data.get("evidence_validity_days")
        return self.instance.evidence_validity_days if days is None else days

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and logo.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(
                "The logo is larger than 1 MB; please upload a smaller one."
            )
        return logo


class BenchmarkForm(forms.Form):
    benchmark_opt_in = forms.BooleanField(
        label="Share anonymous figures in benchmarks",
        required=False,
        help_text=(
            "Other organisations on this Ladder see medians and ranges over at least five "
            "organisations, never your name or a figure of yours alone."
        ),
    )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "firm_name", "firm_logo"]
        help_texts = {
            "firm_name": "Consultants: your firm appears on the reports you make for clients.",
            "firm_logo": "PNG or JPEG, up to 1 MB; shown on your reports' cover.",
        }

    def clean_firm_logo(self):
        logo = self.cleaned_data.get("firm_logo")
        if logo and logo.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(
                "The logo is larger than 1 MB; please upload a smaller one."
            )
        return logo


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["name", "kind", "location", "timezone", "operating_hours"]
        labels = {"timezone": "Time zone"}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organization = organization
        self.fields["timezone"].required = False  # empty: UTC

    def clean_timezone(self):
        return self.cleaned_data.get("timezone", "").strip() or "UTC"

    def clean_name(self):
        name = self.cleaned_data["name"]
        others = Site.objects.filter(organization=self.instance.organization, name__iexact=name)
        if others.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("There is already a site with this name.")
        return name


class AddressField(forms.EmailField):
    """The email address of a new account or invitation: normalised, and plain ASCII so that
    no look-alike of an existing address gets in (see accounts.addresses)."""

    def to_python(self, value):
        return normalise(super().to_python(value))

    def validate(self, value):
        super().validate(value)
        if value and (problem := ascii_problem(value)):
            raise forms.ValidationError(problem, code="not_ascii")


class InvitationForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["email", "role", "observe_from", "observe_to"]
        field_classes = {"email": AddressField}
        widgets = {
            "observe_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "observe_to": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "observe_to": "Auditors only: the first and last day they see, at most 12 months.",
        }

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_email(self):
        """The service checks again while it holds a lock; this puts the reason by the field."""
        email = self.cleaned_data["email"]
        now = timezone.now()
        if refusal := invitation_refusal(organization=self.organization, email=email, now=now):
            raise forms.ValidationError(refusal)
        return email


class RoleForm(forms.ModelForm):
    """A member's new role; `membership_role_set` refuses to leave the organisation no owner."""

    class Meta:
        model = Membership
        fields = ["role"]

    def clean_role(self):
        role = self.cleaned_data["role"]
        window = (self.instance.observe_from, self.instance.observe_to)
        if role == Role.AUDITOR and window_problem(*window):
            raise forms.ValidationError(
                "An auditor needs an observation window: invite them as an auditor with one."
            )
        return role


class PasswordErrorsMixin:
    """Why a new password is refused (too short, too common) shows under the password field,
    not under its confirmation where Django files it; a mismatch stays on the confirmation."""

    def validate_password_for_user(self, user, password_field_name="new_password1"):
        super().validate_password_for_user(user, "new_password1")


class NewPasswordForm(PasswordErrorsMixin, SetPasswordForm):
    """A new password from a reset link."""


class ChangePasswordForm(PasswordErrorsMixin, PasswordChangeForm):
    """A logged-in user's new password."""


class SignUpForm(PasswordErrorsMixin, SetPasswordForm):
    """A new user accepting an invitation: their name and a password."""

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150, required=False)
    field_order = ["first_name", "last_name", "new_password1", "new_password2"]

    def clean(self):
        """The invitation's address was checked when it was sent; check again, the rules or
        the accounts may have changed since."""
        email = normalise(self.user.email)
        if problem := ascii_problem(email):
            raise forms.ValidationError(problem, code="not_ascii")
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError(
                "There is already an account with this address: log in to accept.", code="taken"
            )
        return super().clean()

    def save(self, commit=True):
        self.user.first_name = self.cleaned_data["first_name"]
        self.user.last_name = self.cleaned_data["last_name"]
        return super().save(commit)


class ThrottledLoginMixin:
    """Refuse a locked-out address before looking at the password; count wrong passwords."""

    locked_message = (
        "Too many failed attempts; try again in %(minutes)s, reset your password, "
        "or ask an owner to unlock it."
    )

    def clean(self):
        email = normalise(self.cleaned_data.get("username") or "")
        if not email or not self.cleaned_data.get("password"):
            return super().clean()
        now = timezone.now()
        # The account the backend will check (the same exact, normalised lookup), if any.
        user = User.objects.filter(email=email).first()
        remaining = FailedLogin.objects.lockout_remaining(user=user, email=email, now=now)
        if remaining is not None:
            minutes = max(1, math.ceil(remaining.total_seconds() / 60))
            raise forms.ValidationError(
                self.locked_message,
                code="locked",
                params={"minutes": f"{minutes} minute{'s' if minutes != 1 else ''}"},
            )
        try:
            cleaned_data = super().clean()
        except forms.ValidationError as error:
            if error.code == "invalid_login":
                FailedLogin.objects.record(user=user, email=email, now=now)
            raise
        FailedLogin.objects.clear(user=self.get_user(), email=email)
        return cleaned_data


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    """The site's login form."""


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's login form, throttled the same way so it is no side door for guessing."""


class OpenSignUpForm(forms.Form):
    """A public sign-up: the person, their organisation and a password. Never says whether the
    address has an account (accounts.signup); every field is capped."""

    first_name = forms.CharField(label="Your name", max_length=150)
    email = AddressField(label="Work email", max_length=254)
    organization_name = forms.CharField(label="Organisation", max_length=120)
    password1 = forms.CharField(label="Password", max_length=128, widget=forms.PasswordInput)
    password2 = forms.CharField(label="Password again", max_length=128, widget=forms.PasswordInput)

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password1")
        if password and cleaned.get("password2") and password != cleaned["password2"]:
            self.add_error("password2", "The two passwords differ.")
        elif password:
            person = User(email=cleaned.get("email") or "", first_name=cleaned.get("first_name"))
            try:
                password_validation.validate_password(password, person)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
