"""Forms for new organisations: the first run's, a client organisation's and `create_org`'s."""

from django import forms
from django.contrib.auth import password_validation

from accounts.forms import AddressField
from accounts.models import Industry, Organization, Site, User

MAX_SITES = 20


class IndustryField(forms.ChoiceField):
    def __init__(self, **kwargs):
        choices = [("", "Choose one (optional)"), *Industry.choices]
        kwargs.setdefault("help_text", "Ladder suggests typical processes and sites for it.")
        super().__init__(choices=choices, required=False, **kwargs)


class SetupForm(forms.Form):
    """The first owner's account and the first organisation."""

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150, required=False)
    email = AddressField(label="Email address")
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=" ".join(password_validation.password_validators_help_texts()),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    org_name = forms.CharField(label="Organisation name", max_length=120)
    industry = IndustryField()

    def clean(self):
        data = super().clean()
        password = data.get("password1")
        if password and data.get("password2") and password != data["password2"]:
            self.add_error("password2", "The two passwords differ.")
        elif password:
            user = User(
                email=data.get("email", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


def _site_names(text: str) -> list[str]:
    """One site per line; blank lines dropped, the same name twice kept once."""
    names, seen = [], set()
    for line in text.splitlines():
        name = line.strip()
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


class ClientOrganizationForm(forms.Form):
    """A consultant's new client organisation and its owner's address."""

    name = forms.CharField(label="Organisation name", max_length=120)
    industry = IndustryField()
    sites = forms.CharField(
        label="Sites",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line, e.g. Riverside Plant. You can add more later.",
    )
    owner_email = AddressField(
        label="Owner's email address",
        help_text="They are invited as the owner; you join as its consultant.",
    )

    def clean_sites(self):
        names = _site_names(self.cleaned_data.get("sites", ""))
        if len(names) > MAX_SITES:
            raise forms.ValidationError(f"At most {MAX_SITES} sites here; add more later.")
        limit = Site._meta.get_field("name").max_length
        if long := [n for n in names if len(n) > limit]:
            raise forms.ValidationError(f"A site name is at most {limit} characters: {long[0]}")
        return names


class CreateOrgForm(forms.Form):
    """The `create_org` command's arguments, checked like the pages' forms."""

    slug = forms.SlugField(max_length=60)
    name = forms.CharField(max_length=120)
    owner = AddressField()
    industry = forms.ChoiceField(choices=[("", ""), *Industry.choices], required=False)

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if Organization.objects.filter(slug=slug).exists():
            raise forms.ValidationError(f"An organisation with the slug {slug} exists already.")
        return slug
