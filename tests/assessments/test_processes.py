from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import Site
from assessments.models import Process
from tests.assessments.conftest import make_process
from tests.conftest import client_for

HOUR = timedelta(hours=1)


def list_url(org, **query):
    url = reverse("assessments:processes", args=[org.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def create_url(org):
    return reverse("assessments:process-create", args=[org.slug])


def edit_url(process):
    return reverse("assessments:process-edit", args=[process.organization.slug, process.pk])


def archive_url(process):
    return reverse("assessments:process-archive", args=[process.organization.slug, process.pk])


def make_archived_process(org, name):
    process = make_process(org, name=name)
    Process.objects.filter(pk=process.pk).update(archived=True)
    return process


def valid_data(org, **overrides):
    return {
        "name": "Goods receiving",
        "area": "logistics",
        "site": org.sites.get().pk,
        "owner": "",
        "business_value": 4,
        "description": "Unloading and checking deliveries",
        **overrides,
    }


# The list


def test_list_shows_active_processes_with_area_site_owner_and_value(org, owner, member):
    process = make_process(org, name="Press line 3 maintenance", value=5)
    process.site = org.sites.get()
    process.owner = member
    process.save()
    make_archived_process(org, name="Old paper ledger")
    response = client_for(owner).get(list_url(org))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Press line 3 maintenance" in html
    assert "Manufacturing" in html
    assert "Riverside Plant" in html
    assert "member@acme.test" in html
    assert "<strong>5</strong>" in html
    assert "Old paper ledger" not in html
    assert "Archived (1)" in html


def test_archived_toggle_shows_only_archived_processes(org, owner):
    make_process(org, name="Active one")
    make_archived_process(org, name="Retired one")
    html = client_for(owner).get(list_url(org, archived=1)).content.decode()
    assert "Retired one" in html
    assert "Active one" not in html
    assert "Restore" in html


def test_list_filters_by_area_and_site(org, owner):
    riverside = org.sites.get()
    northgate = Site.objects.create(organization=org, name="Northgate Plant")
    for name, area, site in [
        ("Press maintenance", "manufacturing", riverside),
        ("Paint shop scheduling", "manufacturing", northgate),
        ("Outbound shipping", "logistics", riverside),
    ]:
        Process.objects.create(organization=org, name=name, area=area, site=site)
    client = client_for(owner)

    html = client.get(list_url(org, area="manufacturing")).content.decode()
    assert "Press maintenance" in html and "Paint shop scheduling" in html
    assert "Outbound shipping" not in html

    html = client.get(list_url(org, area="manufacturing", site=northgate.pk)).content.decode()
    assert "Paint shop scheduling" in html
    assert "Press maintenance" not in html


def test_filtering_by_another_orgs_site_shows_nothing_of_it(org, other_org, owner):
    foreign_site = Site.objects.create(organization=other_org, name="Globex Bakery")
    Process.objects.create(organization=other_org, name="Globex dough", area="retail")
    make_process(org, name="Our process")
    response = client_for(owner).get(list_url(org, site=foreign_site.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Globex" not in html
    assert "Our process" in html  # an unknown site is not a filter
    assert "Select a valid choice" in html


def test_htmx_filter_returns_only_the_table(org, owner):
    make_process(org, name="Press maintenance")
    response = client_for(owner).get(list_url(org, area="manufacturing"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.strip().startswith('<div id="process-table">')
    assert "Press maintenance" in html
    assert "<html" not in html


def test_empty_list_tells_what_to_do(org, owner):
    html = client_for(owner).get(list_url(org)).content.decode()
    assert "No processes yet" in html
    assert "Add your first process" in html
    assert reverse("assessments:process-import", args=[org.slug]) in html


def test_empty_list_for_a_viewer_offers_no_buttons(org, viewer):
    html = client_for(viewer).get(list_url(org)).content.decode()
    assert "No processes yet" in html
    assert "Add your first process" not in html


def test_filters_that_match_nothing_say_so(org, owner):
    make_process(org, name="Press maintenance", area="manufacturing")
    html = client_for(owner).get(list_url(org, area="retail")).content.decode()
    assert "No processes match these filters" in html


def test_list_query_count_does_not_grow_with_processes(
    org, owner, member, django_assert_max_num_queries
):
    for i in range(20):
        Process.objects.create(
            organization=org, name=f"P{i}", area="retail", owner=member, site=org.sites.get()
        )
    client = client_for(owner)
    # One more each for the processes' integrations and their scores (levels), and the count
    # of the matching processes (the list is paged).
    with django_assert_max_num_queries(14):
        assert client.get(list_url(org)).status_code == 200


def test_list_refuses_post(org, owner):
    assert client_for(owner).post(list_url(org)).status_code == 405


# Create and edit


def test_member_creates_a_process(org, member):
    data = valid_data(org, owner=member.pk)
    response = client_for(member).post(create_url(org), data)
    assert response.status_code == 302
    assert response.url == list_url(org)
    process = Process.objects.get(organization=org, name="Goods receiving")
    assert (process.area, process.site, process.owner, process.business_value) == (
        "logistics",
        org.sites.get(),
        member,
        4,
    )
    assert not process.archived


def test_create_form_shows_business_value_help_and_default(org, owner):
    html = client_for(owner).get(create_url(org)).content.decode()
    assert "1 (little) to 5 (critical)" in html
    assert 'name="business_value" value="3"' in html


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("name", "", "This field is required."),
        ("area", "astrology", "Select a valid choice."),
        ("business_value", 6, "less than or equal to 5"),
        ("business_value", 0, "greater than or equal to 1"),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_nothing_is_stored(
    org, owner, field, value, message
):
    response = client_for(owner).post(create_url(org), valid_data(org, **{field: value}))
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert message in html
    assert not Process.objects.exists()


def test_duplicate_name_is_refused_whatever_the_case(org, owner):
    make_process(org, name="Goods Receiving")
    response = client_for(owner).post(create_url(org), valid_data(org, name="goods receiving"))
    assert response.status_code == 400
    assert "already a process with this name" in response.content.decode()
    assert Process.objects.count() == 1


def test_owner_who_is_not_a_member_is_refused(org, owner, outsider):
    response = client_for(owner).post(create_url(org), valid_data(org, owner=outsider.pk))
    assert response.status_code == 400
    assert "Choose a member of the organisation as owner." in response.content.decode()
    assert not Process.objects.exists()


def test_owner_choices_list_members_only(org, owner, member, outsider):
    html = client_for(owner).get(create_url(org)).content.decode()
    assert "member@acme.test" in html
    assert outsider.email not in html


def test_another_orgs_site_is_refused(org, other_org, owner):
    foreign_site = Site.objects.create(organization=other_org, name="Globex Bakery")
    response = client_for(owner).post(create_url(org), valid_data(org, site=foreign_site.pk))
    assert response.status_code == 400
    assert "Choose one of the organisation&#x27;s sites." in response.content.decode()
    assert not Process.objects.exists()


def test_member_edits_a_process(org, member):
    process = make_process(org, name="Press line maintenance")
    response = client_for(member).post(
        edit_url(process), valid_data(org, name="Press line 3 maintenance", area="manufacturing")
    )
    assert response.status_code == 302
    process.refresh_from_db()
    assert process.name == "Press line 3 maintenance"
    assert process.business_value == 4


def test_edit_keeps_its_own_name_without_a_duplicate_error(org, owner):
    process = make_process(org, name="Press line maintenance")
    data = valid_data(org, name="Press line maintenance", area="manufacturing")
    assert client_for(owner).post(edit_url(process), data).status_code == 302


def test_bad_edit_changes_nothing_and_keeps_the_title(org, owner):
    process = make_process(org, name="Press line maintenance")
    response = client_for(owner).post(edit_url(process), valid_data(org, name=""))
    assert response.status_code == 400
    assert "Edit Press line maintenance" in response.content.decode()
    process.refresh_from_db()
    assert process.name == "Press line maintenance"


def test_viewer_gets_403_on_every_write(org, viewer):
    process = make_process(org)
    client = client_for(viewer)
    assert client.get(create_url(org)).status_code == 403
    assert client.post(create_url(org), valid_data(org)).status_code == 403
    assert client.get(edit_url(process)).status_code == 403
    assert client.post(edit_url(process), valid_data(org)).status_code == 403
    assert client.post(archive_url(process), {"archived": "1"}).status_code == 403
    assert Process.objects.get().name == "Press line 3 maintenance"


def test_viewer_sees_the_list_without_edit_links(org, viewer):
    process = make_process(org)
    response = client_for(viewer).get(list_url(org))
    assert response.status_code == 200
    assert process.name in response.content.decode()
    assert edit_url(process) not in response.content.decode()


def test_outsider_gets_404(org, outsider):
    process = make_process(org)
    client = client_for(outsider)
    assert client.get(list_url(org)).status_code == 404
    assert client.get(edit_url(process)).status_code == 404
    assert client.post(archive_url(process), {"archived": "1"}).status_code == 404


def test_another_orgs_process_is_404_under_own_org(org, other_org, outsider):
    process = make_process(org)
    url = reverse("assessments:process-edit", args=[other_org.slug, process.pk])
    assert client_for(outsider).get(url).status_code == 404


# Archive and restore


@pytest.mark.parametrize("who", ["owner", "consultant"])
def test_facilitators_archive_and_restore(org, who, request):
    user = request.getfixturevalue(who)
    process = make_process(org)
    client = client_for(user)

    response = client.post(archive_url(process), {"archived": "1"})
    assert response.status_code == 302
    assert response.url == list_url(org)
    process.refresh_from_db()
    assert process.archived

    response = client.post(archive_url(process), {"archived": "0"})
    assert response.url == list_url(org, archived=1)
    process.refresh_from_db()
    assert not process.archived


def test_archiving_twice_keeps_it_archived(org, owner):
    process = make_process(org)
    client = client_for(owner)
    client.post(archive_url(process), {"archived": "1"})
    client.post(archive_url(process), {"archived": "1"})
    process.refresh_from_db()
    assert process.archived


def test_member_may_not_archive(org, member):
    process = make_process(org)
    assert client_for(member).post(archive_url(process), {"archived": "1"}).status_code == 403
    process.refresh_from_db()
    assert not process.archived


def test_archive_needs_a_post_saying_which(org, owner):
    process = make_process(org)
    client = client_for(owner)
    assert client.get(archive_url(process)).status_code == 405
    assert client.post(archive_url(process), {}).status_code == 400


def test_archive_buttons_are_shown_to_facilitators_only(org, owner, member):
    process = make_process(org)
    assert archive_url(process) in client_for(owner).get(list_url(org)).content.decode()
    assert archive_url(process) not in client_for(member).get(list_url(org)).content.decode()
    assert archive_url(process) not in client_for(member).get(edit_url(process)).content.decode()


def test_edit_says_when_the_owner_has_left(org, owner, member):
    process = make_process(org)
    process.owner = member
    process.save()
    member.memberships.all().delete()
    html = client_for(owner).get(edit_url(process)).content.decode()
    assert "has left the organisation; choose a member as the new owner." in html
