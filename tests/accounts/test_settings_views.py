import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import Site
from tests.conftest import client_for


def png_bytes(size=(8, 8)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "#1f4e79").save(buffer, "PNG")
    return buffer.getvalue()


def test_owner_updates_name_colour_and_logo(org, owner):
    logo = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")
    url = reverse("accounts:settings", args=[org.slug])
    response = client_for(owner).post(
        url, {"name": "Acme Ltd", "brand_colour": "#aa3300", "logo": logo}
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.brand_colour) == ("Acme Ltd", "#aa3300")
    assert org.logo
    logo_response = client_for(owner).get(reverse("accounts:logo", args=[org.slug]))
    assert logo_response.status_code == 200
    assert b"".join(logo_response.streaming_content).startswith(b"\x89PNG")


def test_bad_colour_is_refused_next_to_the_field_and_nothing_changes(org, owner):
    url = reverse("accounts:settings", args=[org.slug])
    response = client_for(owner).post(url, {"name": "Renamed", "brand_colour": "red"})
    assert response.status_code == 400
    assert "six hex digits" in response.content.decode()
    org.refresh_from_db()
    assert org.name == "Acme Precision"


def test_a_non_image_logo_is_refused(org, owner):
    fake = SimpleUploadedFile("logo.png", b"not an image", content_type="image/png")
    url = reverse("accounts:settings", args=[org.slug])
    response = client_for(owner).post(
        url, {"name": "Acme", "brand_colour": "#112233", "logo": fake}
    )
    assert response.status_code == 400
    assert "valid image" in response.content.decode()


def test_settings_are_for_owners_only(org, member, consultant):
    url = reverse("accounts:settings", args=[org.slug])
    assert client_for(member).get(url).status_code == 403
    assert client_for(consultant).get(url).status_code == 403


def test_owner_adds_edits_and_removes_a_site(org, owner):
    client = client_for(owner)
    response = client.post(
        reverse("accounts:site-create", args=[org.slug]),
        {"name": "Store 9", "kind": "store", "location": "York"},
    )
    assert response.status_code == 302
    site = Site.objects.get(organization=org, name="Store 9")
    client.post(
        reverse("accounts:site-edit", args=[org.slug, site.pk]),
        {"name": "Store 10", "kind": "store"},
    )
    site.refresh_from_db()
    assert site.name == "Store 10"
    client.post(reverse("accounts:site-delete", args=[org.slug, site.pk]))
    assert not Site.objects.filter(pk=site.pk).exists()


def test_duplicate_site_name_is_refused(org, owner):
    response = client_for(owner).post(
        reverse("accounts:site-create", args=[org.slug]),
        {"name": "Riverside Plant", "kind": "plant"},
    )
    assert response.status_code == 400
    assert Site.objects.filter(organization=org).count() == 1


def test_logo_is_404_without_one(org, member):
    assert client_for(member).get(reverse("accounts:logo", args=[org.slug])).status_code == 404


def test_owner_sets_how_long_evidence_counts_within_bounds(org, owner):
    url = reverse("accounts:settings", args=[org.slug])
    data = {"name": org.name, "brand_colour": org.brand_colour}
    response = client_for(owner).post(url, {**data, "evidence_validity_days": "0"})
    assert response.status_code == 400
    assert "greater than or equal to 1" in response.content.decode()
    assert client_for(owner).post(url, {**data, "evidence_validity_days": "730"}).status_code == 302
    org.refresh_from_db()
    assert org.evidence_validity_days == 730
