"""The one way views reach organisation-owned data.

Every organisation-scoped URL carries `org_slug`; `org_view` resolves it to the user's
membership or answers 404, so another organisation's pages look exactly like missing ones.
Objects are then fetched with `get_object_for_member`, which filters by the organisation
through the model's `ORG_FIELD` (e.g. "organization" or "assessment__organization").
An organisation made by open sign-up shows only "verify your email" until its owner's address
is verified (accounts.signup). A viewer's write (any unsafe method) is a 403, so no write view
can forget it; a view's own rule about who may change what (depending on the object or the
request) is `refuse_unless`.

An auditor sees only their observation window (`membership.window`): a model that names its
dates in `WINDOW_FIELD` (one lookup, or several that must all fall in the window; those in
`WINDOW_OPTIONAL` must when they are set) is cut to
the window by `windowed`, in `get_object_for_member` and in `visible` for lists; an object
outside it is a 404 like another organisation's.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, render

from accounts.models import Membership
from accounts.sso import policy as sso_policy

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LAST_ORG_SESSION_KEY = "ladder_last_org"


def org_view(
    view=None,
    *,
    methods=None,
    lookup=None,
    write=False,
    facilitate=False,
    manage=False,
    personal=False,
):
    """Decorate a view taking `org_slug`: sets request.org and request.membership.

    `write` keeps viewers out even on GET (a form they could not send), `facilitate` limits
    the view to owners and consultants, `manage` to owners. `personal` lets every role, viewers
    too, send it: for a change to the person's own things (their calendar feed key), not to the
    organisation's data.

    `methods` are the HTTP methods the view answers; any other is a 405 naming them in Allow,
    after the membership and role checks (an outsider still meets a 404, a viewer's write a 403).
    `lookup(request, **url_args)` fetches the page's objects before that 405: another
    organisation's object is then a 404 whatever the method.
    """

    def decorator(func):
        @login_required
        @wraps(func)
        def wrapper(request, org_slug, *args, **kwargs):
            membership = get_membership(request.user, org_slug)
            if membership.organization.awaiting_verification:  # open sign-up, not yet verified
                context = {"waiting": membership.organization}
                return render(request, "accounts/verify_email.html", context, status=403)
            unsafe = write or (request.method not in SAFE_METHODS and not personal)
            if unsafe and not membership.can_write:
                raise PermissionDenied("Viewers can read but not change anything.")
            if facilitate and not membership.can_facilitate:
                raise PermissionDenied("Only owners and consultants can do this.")
            if manage and not membership.can_manage:
                raise PermissionDenied("Only the organisation's owners can do this.")
            if reason := sso_policy.refusal(request, membership.organization):
                return sso_policy.refused(request, membership.organization, reason)
            request.membership = membership
            request.org = membership.organization
            if request.session.get(LAST_ORG_SESSION_KEY) != org_slug:
                request.session[LAST_ORG_SESSION_KEY] = org_slug  # saves the session only on change
            if methods is not None and request.method not in methods:
                if lookup is not None:
                    lookup(request, *args, **kwargs)
                return HttpResponseNotAllowed(methods)
            return func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view else decorator


def refuse_unless(allowed: bool, message: str) -> None:
    """A 403 saying `message` unless `allowed`: for a refusal that depends on the object or
    the request (a member edits only their own milestones), where org_view's flags cannot."""
    if not allowed:
        raise PermissionDenied(message)


def staff_view(view):
    """For the people who run Ladder (staff or superusers): anyone else signed in gets a 404,
    as for a page that is not there; anonymous visitors go to the login page."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_staff or request.user.is_superuser):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper


def get_membership(user, org_slug) -> Membership:
    try:
        return Membership.objects.select_related(
            "organization", "organization__single_sign_on"
        ).get(user=user, organization__slug=org_slug)
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


def windowed(membership: Membership | None, queryset: QuerySet) -> QuerySet:
    """The rows of `queryset` inside an auditor's observation window (all rows for others)."""
    window = membership.window if membership is not None else None
    fields = getattr(queryset.model, "WINDOW_FIELD", None)
    if window is None or not fields:
        return queryset
    fields = (fields,) if isinstance(fields, str) else fields
    queryset = queryset.filter(**{f"{field}__range": window for field in fields})
    for field in getattr(queryset.model, "WINDOW_OPTIONAL", ()):  # in the window when set
        queryset = queryset.filter(
            Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__range": window})
        )
    return queryset


def visible(request, model_or_queryset) -> QuerySet:
    """The rows of the request's organisation its member may see: `scoped`, then `windowed`."""
    membership = getattr(request, "membership", None)  # set by org_view
    return windowed(membership, scoped(request.org, model_or_queryset))


def get_object_for_member(request, model_or_queryset, **lookup):
    """One object of the request's organisation, or 404 (also for another organisation's, and
    for an auditor one outside their observation window)."""
    return get_object_or_404(visible(request, model_or_queryset), **lookup)
