import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.models import Assessment, FrameworkVersion
from tests.assessments.conftest import make_process
from tests.conftest import client_for


def url(org):
    return reverse("assessments:frameworks", args=[org.slug])


def own_file(framework, **changes):
    data = {**framework.data, "id": "advisory", "version": "1.0", "title": "Advisory framework"}
    data.update(changes)
    return SimpleUploadedFile("advisory.yaml", yaml.safe_dump(data).encode(), "application/yaml")


def test_consultant_uploads_a_framework_and_starts_an_assessment_on_it(org, consultant, framework):
    client = client_for(consultant)
    response = client.post(url(org), {"file": own_file(framework)})
    assert response.status_code == 302
    own = FrameworkVersion.objects.get(organization=org, key="advisory")
    assert own.definition.title == "Advisory framework"
    process = make_process(org)
    client.post(
        reverse("assessments:assessment-create", args=[org.slug]),
        {
            "title": "On ours",
            "assessed_on": "2026-11-25",
            "processes": [process.pk],
            "framework": own.pk,
        },
    )
    assert Assessment.objects.get(title="On ours").framework == own


def test_a_broken_file_is_refused_with_where_and_what(org, owner, framework):
    broken = own_file(framework, samr_levels=framework.data["samr_levels"][:3])
    response = client_for(owner).post(url(org), {"file": broken})
    assert response.status_code == 400
    assert "advisory.yaml: samr_levels" in response.content.decode()
    assert not FrameworkVersion.objects.filter(organization=org).exists()


def test_a_published_version_cannot_be_replaced(org, owner, framework):
    client_for(owner).post(url(org), {"file": own_file(framework)})
    response = client_for(owner).post(url(org), {"file": own_file(framework, title="Changed")})
    assert response.status_code == 400
    assert "exists already" in response.content.decode()


def test_members_cannot_upload(org, member, framework):
    assert client_for(member).post(url(org), {"file": own_file(framework)}).status_code == 403


def test_another_organisations_framework_is_not_offered_or_downloadable(
    org, other_org, owner, framework
):
    theirs = FrameworkVersion.objects.create(
        organization=other_org,
        key="secret",
        version="1",
        title="Their framework",
        data=framework.data,
    )
    client = client_for(owner)
    assert "Their framework" not in client.get(url(org)).content.decode()
    download = reverse("assessments:framework-download", args=[org.slug, theirs.pk])
    assert client.get(download).status_code == 404
    shipped = reverse("assessments:framework-download", args=[org.slug, framework.pk])
    response = client.get(shipped)
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["id"] == "ladder"
