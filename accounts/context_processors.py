from accounts.models import Membership


def organizations(request):
    """The user's memberships, for the organisation switcher in the header."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {
        "user_memberships": Membership.objects.filter(user=request.user).select_related(
            "organization"
        )
    }
