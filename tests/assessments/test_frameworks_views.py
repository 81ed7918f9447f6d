from email.message import Message

import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.models import Assessment, FrameworkVersion
from tests.assessments.conftest import make_process
from tests.conftest import client_for


def url(org):
    return reverse("assessments:frameworks", args=[org.slug])


def download_name(response) -> str:
    """The file name a browser takes from the response's Content-Disposition."""
    header = Message()
    header["Content-Disposition"] = response["Content-Disposition"]
    return header.get_filename()


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


def test_an_alias_bomb_is_refused_next_to_the_upload_field(org, owner):
    lines = ["a0: &a0 [" + ", ".join(['"x"'] * 9) + "]"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 9)]
    lines.append("samr_levels: [{level: *a8, key: a, name: A, descriptor: D}]")
    bomb = SimpleUploadedFile("bomb.yaml", "\n".join(lines).encode(), "application/yaml")

    response = client_for(owner).post(url(org), {"file": bomb})

    assert response.status_code == 400
    (error,) = response.context["form"].errors["file"]
    assert error.startswith("bomb.yaml: line ")
    assert "more than 20000 values once aliases are expanded" in error
    assert len(error) < 2000
    assert len(response.content) < 50_000
    assert not FrameworkVersion.objects.filter(organization=org).exists()


def test_a_version_with_a_quote_is_refused(org, owner, framework):
    broken = own_file(framework, version='1"; filename="evil.exe')
    response = client_for(owner).post(url(org), {"file": broken})
    assert response.status_code == 400
    assert "advisory.yaml: version: " in response.context["form"].errors["file"][0]
    assert not FrameworkVersion.objects.filter(organization=org).exists()


def test_a_version_longer_than_its_column_is_refused(org, owner, framework):
    broken = own_file(framework, version="1" * 40)
    response = client_for(owner).post(url(org), {"file": broken})
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "advisory.yaml: version: must be at most 30 characters, got 40"
    ]


def test_the_download_is_named_after_the_framework(org, owner, framework):
    download = reverse("assessments:framework-download", args=[org.slug, framework.pk])
    response = client_for(owner).get(download)
    assert response["Content-Disposition"] == 'attachment; filename="ladder-2026.2.yaml"'


def test_the_download_name_cannot_add_to_its_header(org, owner, framework):
    # Stored before versions were checked: the header quotes whatever the name holds.
    stored = FrameworkVersion.objects.create(
        organization=org,
        key="advisory",
        version='1"; filename="evil.exe',
        title="Advisory framework",
        data=framework.data,
    )
    download = reverse("assessments:framework-download", args=[org.slug, stored.pk])
    response = client_for(owner).get(download)
    assert download_name(response) == 'advisory-1"; filename="evil.exe.yaml'
