"""The one way views reach organisation-owned data.

Every organisation-scoped URL carries `org_slug`; `org_view` resolves it to the user's
membership or answers 404, so another organisation's pages look exactly like missing ones.
Objects are then fetched with `get_object_for_member`, which filters by the organisation
through the model's `ORG_FIELD` (e.g. "organization" or "assessment__organization").
A viewer's write (any unsafe method) is a 403, so no write view can forget it.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Membership

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LAST_ORG_SESSION_KEY = "ladder_last_org"


def org_view(view=None, *, write=False, facilitate=False, manage=False, personal=False):
    """Decorate a view taking `org_slug`: sets request.org and request.membership.

    `write` keeps viewers out even on GET (a form they could not send), `facilitate` limits
    the view to owners and consultants, `manage` to owners. `personal` lets every role, viewers
    too, send it: for a change to the person's own things (their calendar feed key), not to the
    organisation's data.
    """

    def decorator(func):
        @login_required
        @wraps(func)
        def wrapper(request, org_slug, *args, **kwargs):
            membership = get_membership(request.user, org_slug)
            unsafe = write or (request.method not in SAFE_METHODS and not personal)
            if unsafe and not membership.can_write:
                raise PermissionDenied("Viewers can read but not change anything.")
            if facilitate and not membership.can_facilitate:
                raise PermissionDenied("Only owners and consultants can do this.")
            if manage and not membership.can_manage:
                raise PermissionDenied("Only the organisation's owners can do this.")
            request.membership = membership
            request.org = membership.organization
            if request.session.get(LAST_ORG_SESSION_KEY) != org_slug:
                request.session[LAST_ORG_SESSION_KEY] = org_slug  # saves the session only on change
            return func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view else decorator


def get_membership(user, org_slug) -> Membership:
    try:
        return Membership.objects.select_related("organization").get(
            user=user, organization__slug=org_slug
        )
    except Membership.DoesNotExist:
        raise Http404("No such organisation") from None


def scoped(org, model_or_queryset: type[Model] | QuerySet) -> QuerySet:
    """The model's rows that belong to `org`."""
    queryset = (
        model_or_queryset
        if isinstance(model_or_queryset, QuerySet)
        else model_or_queryset._default_manager.all()
    )
    return queryset.filter(**{queryset.model.ORG_FIELD: org})


def get_object_for_member(request, model_or_queryset, **lookup):
    """One object of the request's organisation, or 404 (also for another organisation's)."""
    return get_object_or_404(scoped(request.org, model_or_queryset), **lookup)
