from django.urls import reverse

from accounts.models import Invitation, Membership, Organization, Role, Site
from audit.models import AuditEvent
from tests.conftest import client_for, make_user

ADD = reverse("organization-add")
FORM = {
    "name": "Initech Retail",
    "industry": "retail",
    "sites": "Downtown Store\n\n  Airport Store \ndowntown store\n",
    "owner_email": "Boss@Initech.test",
}


def test_consultant_adds_a_client_organisation(
    consultant, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(consultant).post(ADD, FORM)
    org = Organization.objects.get(name="Initech Retail")
    assert response.status_code == 302
    assert response.url == reverse("org-home", args=[org.slug])
    assert (org.slug, org.industry) == ("initech-retail", "retail")
    sites = list(org.sites.values_list("name", "kind"))
    assert sites == [("Airport Store", Site.Kind.STORE), ("Downtown Store", Site.Kind.STORE)]
    assert Membership.objects.get(organization=org, user=consultant).role == Role.CONSULTANT
    invitation = Invitation.objects.get(organization=org)
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "boss@initech.test",
        Role.OWNER,
        consultant,
    )
    assert mailoutbox[0].to == ["boss@initech.test"]
    assert invitation.token in mailoutbox[0].body
    actions = set(AuditEvent.objects.filter(organization=org).values_list("action", flat=True))
    assert actions == {"created", "site added", "joined", "invited"}


def test_the_new_overview_is_reached_and_shows_the_checklist(consultant):
    client = client_for(consultant)
    response = client.post(ADD, FORM, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Initech Retail is added" in body and "Start here" in body


def test_a_taken_name_gets_a_free_slug(consultant, org):
    client_for(consultant).post(ADD, {**FORM, "name": "Acme Precision!", "sites": ""})
    assert Organization.objects.filter(name="Acme Precision!").get().slug == "acme-precision"
    client_for(consultant).post(ADD, {**FORM, "name": "Acme Precision?", "sites": ""})
    assert Organization.objects.get(name="Acme Precision?").slug == "acme-precision-2"


def test_naming_yourself_as_owner_makes_you_the_owner(consultant):
    client_for(consultant).post(ADD, {**FORM, "owner_email": consultant.email})
    org = Organization.objects.get(name="Initech Retail")
    assert Membership.objects.get(organization=org, user=consultant).role == Role.OWNER
    assert not Invitation.objects.filter(organization=org).exists()


def test_a_bad_owner_address_is_refused(consultant):
    response = client_for(consultant).post(ADD, {**FORM, "owner_email": "nope"})
    assert response.status_code == 400
    assert not Organization.objects.filter(name="Initech Retail").exists()


def test_member_and_viewer_may_not_add(member, viewer):
    for user in (member, viewer):
        client = client_for(user)
        assert client.get(ADD).status_code == 403
        assert client.post(ADD, FORM).status_code == 403
    assert not Organization.objects.filter(name="Initech Retail").exists()


def test_owner_may_not_add_unless_the_install_allows(owner, settings):
    settings.OWNERS_MAY_ADD_ORGANISATIONS = False
    response = client_for(owner).post(ADD, FORM)
    assert response.status_code == 403
    assert "Only consultants" in response.content.decode()
    assert not Organization.objects.filter(name="Initech Retail").exists()


def test_owner_adds_when_the_install_allows(owner, settings):
    settings.OWNERS_MAY_ADD_ORGANISATIONS = True
    response = client_for(owner).post(ADD, FORM)
    assert response.status_code == 302
    org = Organization.objects.get(name="Initech Retail")
    assert org.memberships.get(user=owner).role == Role.CONSULTANT


def test_the_switcher_offers_adding_only_to_those_who_may(org, owner, consultant, member, settings):
    settings.OWNERS_MAY_ADD_ORGANISATIONS = False
    overview = reverse("org-home", args=[org.slug])
    assert "Add a client organisation" in client_for(consultant).get(overview).content.decode()
    for user in (owner, member):
        assert "Add a client organisation" not in client_for(user).get(overview).content.decode()
    settings.OWNERS_MAY_ADD_ORGANISATIONS = True
    assert "Add a client organisation" in client_for(owner).get(overview).content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, owner):
    response = client.get(ADD)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_new_organisation_is_visible_to_its_members_only(consultant, outsider, owner):
    client_for(consultant).post(ADD, FORM)
    org = Organization.objects.get(name="Initech Retail")
    overview = reverse("org-home", args=[org.slug])
    settings_page = reverse("accounts:settings", args=[org.slug])
    assert client_for(consultant).get(overview).status_code == 200
    for user in (outsider, owner):  # owner of another organisation the consultant serves
        assert client_for(user).get(overview).status_code == 404
        assert client_for(user).get(settings_page).status_code == 404
        assert "Initech" not in client_for(user).get("/portfolio/").content.decode()
    invited = make_user("boss@initech.test")
    assert client_for(invited).get(overview).status_code == 404  # not before accepting
