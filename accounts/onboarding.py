"""New organisations: the install's first run, a consultant's client organisations and the
`create_org` command. Each creation and membership is written to the audit trail."""

from django.conf import settings
from django.db import connection, transaction
from django.utils.text import slugify

import audit.trail as audit
from accounts.models import Industry, Invitation, Membership, Organization, Role, Site, User
from accounts.services import MEMBERS, invitation_email, invitation_store

_FIRST_RUN_LOCK = 7_411_520_016  # the advisory lock's key on PostgreSQL: the first run only

# The kind of site an organisation of each industry mostly has.
SITE_KINDS = {
    Industry.MANUFACTURING: Site.Kind.PLANT,
    Industry.RETAIL: Site.Kind.STORE,
    Industry.LOGISTICS: Site.Kind.WAREHOUSE,
    Industry.ENERGY: Site.Kind.PLANT,
    Industry.FINANCE: Site.Kind.OFFICE,
}


class SetupClosed(Exception):
    """The first run is over: an account exists."""

    def __init__(self):
        super().__init__("Ladder is already set up: log in, or ask an owner to invite you.")


def first_run_open() -> bool:
    """True while the install has no account at all: only then may anyone set it up."""
    return not User.objects.exists()


def may_add_organisation(memberships) -> bool:
    """Consultants add client organisations; owners only when the install allows it."""
    roles = {m.role for m in memberships}
    owners_may = settings.OWNERS_MAY_ADD_ORGANISATIONS and Role.OWNER in roles
    return Role.CONSULTANT in roles or owners_may


def free_slug(name: str) -> str:
    """A slug for `name` that no organisation has yet: acme, acme-2, acme-3..."""
    base = slugify(name)[:50].strip("-") or "organisation"
    taken = set(Organization.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def organization_create(*, name: str, industry: str = "", slug: str = "", actor=None):
    """A new organisation, with a free slug derived from its name unless one is given."""
    org = Organization(name=name, industry=industry, slug=slug or free_slug(name))
    org.full_clean()
    org.save()
    after = {"name": org.name, "slug": org.slug, "industry": org.get_industry_display()}
    audit.record(
        organization=org,
        actor=actor,
        area=MEMBERS,
        action="created",
        subject=f"Organisation {org.name}",
        obj=org,
        after=after,
    )
    return org


def _join(org: Organization, user: User, role: str) -> Membership:
    membership = Membership.objects.create(user=user, organization=org, role=role)
    audit.record(
        organization=org,
        actor=user,
        area=MEMBERS,
        action="joined",
        subject=f"Membership of {user.email}",
        obj=membership,
        after={"role": membership.get_role_display()},
    )
    return membership


def site_add(*, organization: Organization, user, name: str, kind: str = "") -> Site:
    """A new site, of the kind the organisation's industry mostly has unless given. Audited."""
    kind = kind or SITE_KINDS.get(organization.industry, Site.Kind.OTHER)
    site = Site(organization=organization, name=name, kind=kind)
    site.full_clean()
    site.save()
    audit.record(
        organization=organization,
        actor=user,
        area=MEMBERS,
        action="site added",
        subject=f"Site {site.name}",
        obj=site,
        after={"name": site.name, "kind": site.get_kind_display()},
    )
    return site


def _lock_first_run() -> None:
    # SQLite runs transactions as IMMEDIATE (config.settings): one writer at a time already.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_FIRST_RUN_LOCK])


@transaction.atomic
def first_run_setup(
    *, email: str, password: str, first_name: str, last_name: str, org_name: str, industry: str
) -> tuple[User, Organization]:
    """The install's first account, owner of its first organisation; raises SetupClosed once
    any account exists. Two submissions at once take turns, and the second is refused."""
    _lock_first_run()
    if not first_run_open():
        raise SetupClosed
    user = User.objects.create_user(
        email=email, password=password, first_name=first_name, last_name=last_name
    )
    org = organization_create(name=org_name, industry=industry, actor=user)
    _join(org, user, Role.OWNER)
    return user, org


def invite_owner(*, org: Organization, email: str, inviter=None) -> Invitation:
    """Invite `email` as the organisation's owner; the email goes once the transaction commits."""
    invitation = Invitation(organization=org, email=email, role=Role.OWNER)
    invitation_store(invitation=invitation, user=inviter)
    transaction.on_commit(lambda: invitation_email(invitation=invitation))
    return invitation


@transaction.atomic
def client_organization_create(
    *, user: User, name: str, industry: str, sites: list[str], owner_email: str
) -> tuple[Organization, Invitation | None]:
    """A client organisation with its sites: `user` joins as its consultant and the owner is
    invited. When `user` names themselves as the owner, they join as its owner instead."""
    org = organization_create(name=name, industry=industry, actor=user)
    for site_name in sites:
        site_add(organization=org, user=user, name=site_name)
    if owner_email == user.email:
        _join(org, user, Role.OWNER)
        return org, None
    _join(org, user, Role.CONSULTANT)
    return org, invite_owner(org=org, email=owner_email, inviter=user)
