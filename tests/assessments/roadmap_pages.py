"""Addresses of the roadmap pages and the milestone the member owns, for the roadmap view tests."""

from django.urls import reverse

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, *args, org="acme"):
    return reverse(f"assessments:{name}", args=[org, *args])


def warehouse_step(roadmap):
    return roadmap.milestones.get(owner__isnull=False, kind="step")
