import pytest
from django.http import Http404
from django.test import RequestFactory

from accounts.access import get_object_for_member, org_view, scoped
from accounts.models import Site


def test_scoped_returns_only_the_organisations_rows(org, other_org):
    Site.objects.create(organization=other_org, name="Globex Mill")
    assert list(scoped(org, Site).values_list("name", flat=True)) == ["Riverside Plant"]


def test_get_object_for_member_is_404_for_another_organisations_object(org, other_org):
    theirs = Site.objects.create(organization=other_org, name="Globex Mill")
    request = RequestFactory().get("/")
    request.org = org
    with pytest.raises(Http404):
        get_object_for_member(request, Site, pk=theirs.pk)
    assert get_object_for_member(request, Site, name="Riverside Plant").organization == org


def test_org_view_sets_org_and_membership(org, member):
    seen = {}

    @org_view
    def view(request):
        seen["org"], seen["role"] = request.org, request.membership.role
        return "ok"

    request = RequestFactory().get("/")
    request.user, request.session = member, {}
    assert view(request, org_slug=org.slug) == "ok"
    assert seen == {"org": org, "role": "member"}
    assert request.session["ladder_last_org"] == org.slug


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_org_view_refuses_any_viewer_write(org, viewer, method):
    from django.core.exceptions import PermissionDenied

    @org_view
    def view(request):
        return "written"

    request = getattr(RequestFactory(), method)("/")
    request.user, request.session = viewer, {}
    with pytest.raises(PermissionDenied):
        view(request, org_slug=org.slug)


def _call(view, user, method, org, **kwargs):
    request = getattr(RequestFactory(), method)("/")
    request.user, request.session = user, {}
    return view(request, org_slug=org.slug, **kwargs)


def test_org_view_answers_another_method_405_after_the_membership(org, member, outsider):
    @org_view(methods=("POST",))
    def view(request):
        return "posted"

    response = _call(view, member, "get", org)
    assert (response.status_code, response["Allow"]) == (405, "POST")
    assert _call(view, member, "post", org) == "posted"
    with pytest.raises(Http404):
        _call(view, outsider, "get", org)


def test_org_view_looks_the_object_up_before_the_405(org, other_org, member):
    theirs = Site.objects.create(organization=other_org, name="Globex Mill")
    ours = Site.objects.get(organization=org)

    def get_site(request, site_id):
        return get_object_for_member(request, Site, pk=site_id)

    @org_view(methods=("GET", "HEAD"), lookup=get_site)
    def view(request, site_id):
        return "read"

    assert _call(view, member, "post", org, site_id=ours.pk).status_code == 405
    with pytest.raises(Http404):
        _call(view, member, "post", org, site_id=theirs.pk)


def test_refuse_unless_is_a_403_with_the_message():
    from django.core.exceptions import PermissionDenied

    from accounts.access import refuse_unless

    refuse_unless(True, "never said")
    with pytest.raises(PermissionDenied, match="Members update only"):
        refuse_unless(False, "Members update only the milestones they own.")
