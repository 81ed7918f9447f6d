from accounts.models import Membership
from accounts.onboarding import may_add_organisation


def organizations(request):
    """The user's memberships, for the organisation switcher in the header, and whether it
    offers "Add a client organisation" (read from the same rows: no query of its own)."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    memberships = Membership.objects.filter(user=request.user).select_related("organization")
    return {
        "user_memberships": memberships,
        "may_add_organisation": lambda: may_add_organisation(memberships),
    }
