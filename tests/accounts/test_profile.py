from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.accounts.test_settings_views import png_bytes
from tests.conftest import client_for


def test_consultant_sets_firm_name_and_logo(consultant):
    logo = SimpleUploadedFile("firm.png", png_bytes(), content_type="image/png")
    client = client_for(consultant)
    response = client.post(
        reverse("profile"),
        {"first_name": "Sam", "last_name": "O", "firm_name": "North Advisory", "firm_logo": logo},
    )
    assert response.status_code == 302
    consultant.refresh_from_db()
    assert consultant.firm_name == "North Advisory" and consultant.firm_logo
    served = client.get(reverse("firm-logo"))
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")


def test_profile_refuses_a_non_image_logo(consultant):
    fake = SimpleUploadedFile("firm.png", b"nope", content_type="image/png")
    response = client_for(consultant).post(
        reverse("profile"), {"first_name": "Sam", "firm_logo": fake}
    )
    assert response.status_code == 400
    assert "valid image" in response.content.decode()


def test_profile_needs_login(client, db):
    assert "/accounts/login/" in client.get(reverse("profile")).url
