from django import forms

from accounts.sso import client
from accounts.sso.models import SingleSignOn


class SingleSignOnForm(forms.ModelForm):
    """An owner's provider settings. The secret is write-only: never rendered back, and left
    empty it keeps the stored one. Saving checks the issuer's OpenID configuration."""

    issuer = SingleSignOn._meta.get_field("issuer").formfield(assume_scheme="https")
    client_secret = forms.CharField(
        label="Client secret",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        required=False,
        strip=True,
        max_length=1000,
    )

    class Meta:
        model = SingleSignOn
        fields = ["issuer", "client_id", "client_secret", "required"]

    def __init__(self, *args, signed_in_here: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.signed_in_here = signed_in_here
        if self.instance.has_secret:
            self.fields["client_secret"].help_text = "Stored. Leave empty to keep it."
        else:
            self.fields["client_secret"].help_text = "From the provider's app registration."

    def clean_issuer(self):
        issuer = self.cleaned_data["issuer"].strip()
        try:
            client.check_url(issuer)
            metadata = client.discover(issuer, fresh=True)
        except client.ProviderError as error:
            raise forms.ValidationError(str(error)) from None
        return metadata["issuer"]

    def clean_client_secret(self):
        secret = self.cleaned_data.get("client_secret", "")
        if not secret and not self.instance.has_secret:
            raise forms.ValidationError("Enter the client secret.")
        return secret

    def clean_required(self):
        required = self.cleaned_data.get("required", False)
        if required and not self.instance.required and not self.signed_in_here:
            raise forms.ValidationError(
                "Sign in with this organisation's single sign-on first, then require it: "
                "so that you cannot lock yourself out."
            )
        return required


class StartForm(forms.Form):
    """Which organisation's provider to sign in with: its short name, as in its addresses."""

    organization = forms.SlugField(
        label="Organisation's sign-in name",
        max_length=60,
        help_text="As in your organisation's Ladder addresses (/o/<name>/); your owner knows it.",
    )
    invitation = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)
