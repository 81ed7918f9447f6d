"""A report's cover: the organisation's and, for a consultant, the firm's names and logos."""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass

from accounts.models import Role
from assessments.models import Report


@dataclass(frozen=True)
class Branding:
    """The cover's names, colour and logos; logos as data URIs, so the PDF fetches nothing."""

    organization: str
    colour: str
    logo: str = ""
    author: str = ""
    firm: str = ""
    firm_logo: str = ""


def branding_for(report: Report) -> Branding:
    org = report.organization
    user = report.requested_by
    firm = firm_logo = ""
    if user is not None and user.firm_name:
        is_consultant = user.memberships.filter(organization=org, role=Role.CONSULTANT).exists()
        if is_consultant:
            firm = user.firm_name
            # A firm logo field belongs to accounts; used as soon as it exists.
            firm_logo = _data_uri(getattr(user, "firm_logo", None))
    return Branding(
        organization=org.name,
        colour=org.brand_colour,
        logo=_data_uri(org.logo),
        author=str(user) if user else "",
        firm=firm,
        firm_logo=firm_logo,
    )


def _data_uri(image) -> str:
    """An uploaded image as a data: URI, or "" when there is none or it cannot be read."""
    if not image:
        return ""
    try:
        with image.open("rb") as f:
            data = f.read()
    except (OSError, ValueError):
        return ""  # a missing logo file leaves the cover without it, not the report unbuilt
    kind = mimetypes.guess_type(image.name)[0] or "image/png"
    if kind not in ("image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp"):
        return ""
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"
