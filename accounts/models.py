"""Accounts: users, organisations and their sites, memberships with roles (an auditor's
with an observation window), invitations, and failed logins."""

import secrets
from datetime import date, timedelta

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from accounts import hours
from accounts.addresses import normalise


class UserManager(BaseUserManager):
    """Users are identified by their email address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=normalise(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        """Exactly the normalised address: no database's UPPER() or collation decides."""
        return self.get(email=normalise(email))


class User(AbstractUser):
    username = None
    email = models.EmailField("email address", unique=True)
    # A consultant's firm appears on the reports they make for client organisations.
    firm_name = models.CharField(max_length=120, blank=True)
    firm_logo = models.ImageField(upload_to="firm-logos/", blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.get_full_name() or self.email

    def clean_fields(self, exclude=None):
        self.email = normalise(self.email)  # first: checked and unique in the stored form
        super().clean_fields(exclude)

    def save(self, *args, **kwargs):
        self.email = normalise(self.email)
        super().save(*args, **kwargs)


brand_colour_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", "Enter a colour as # followed by six hex digits, e.g. #1f4e79."
)


class Industry(models.TextChoices):
    """What the organisation mainly does: the framework's areas (assessments.starter suggests
    typical processes and sites for each)."""

    MANUFACTURING = "manufacturing", "Manufacturing"
    RETAIL = "retail", "Retail"
    LOGISTICS = "logistics", "Logistics"
    ENERGY = "energy", "Energy"
    FINANCE = "finance", "Finance and back office"


class Organization(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    industry = models.CharField(max_length=20, choices=Industry.choices, blank=True)
    logo = models.ImageField(upload_to="logos/", blank=True)
    brand_colour = models.CharField(
        max_length=7, default="#1f4e79", validators=[brand_colour_validator]
    )
    evidence_validity_days = models.PositiveIntegerField(
        "evidence counts for (days)",
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(3660)],
        help_text="How long accepted evidence counts after its effective date: 1 to 3660 days.",
    )
    created = models.DateTimeField(auto_now_add=True)
    # Made by an open sign-up: unusable until its owner's email address is verified.
    awaiting_verification = models.BooleanField(default=False)
    # Benchmarks (assessments.benchmarks): anonymous figures of the latest final assessment
    # count in the install's benchmarks only once an owner opts in. The contributor id is
    # random, made at the first opt-in, and is all a pool export says of who contributed.
    benchmark_opt_in = models.BooleanField("share anonymous figures in benchmarks", default=False)
    benchmark_contributor = models.CharField(max_length=32, blank=True, editable=False)
    # Made by `manage.py seed_demo`: never exported to a pool, and benchmarked only against
    # other demo organisations (assessments.pool); a real organisation never counts it.
    is_demo = models.BooleanField("demo data", default=False, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


def _timezone_valid(value):
    try:
        hours.check_timezone(value)
    except hours.HoursError as error:
        raise ValidationError(str(error)) from error


def _hours_valid(value):
    try:
        hours.parse_hours(value)
    except hours.HoursError as error:
        raise ValidationError(str(error)) from error


class Site(models.Model):
    ORG_FIELD = "organization"

    class Kind(models.TextChoices):
        PLANT = "plant", "Plant"
        STORE = "store", "Store"
        WAREHOUSE = "warehouse", "Warehouse"
        OFFICE = "office", "Office"
        OTHER = "other", "Other"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PLANT)
    location = models.CharField(max_length=120, blank=True)
    # Read by checks that count only operating hours (accounts.hours, docs/VERIFICATION.md).
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[_timezone_valid],
        help_text="The site's IANA time zone, e.g. Europe/Berlin.",
    )
    operating_hours = models.CharField(
        max_length=500,
        blank=True,
        validators=[_hours_valid],
        help_text="e.g. Mon-Fri 06:00-22:00; Sat 06:00-14:00. Empty: not set.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="unique_site_name")
        ]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    CONSULTANT = "consultant", "Consultant"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"
    AUDITOR = "auditor", "Auditor"


def year_after(day: date) -> date:
    """The same day a year later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def window_problem(start: date | None, end: date | None) -> str | None:
    """Why an observation window is refused, or None: both dates, in order, at most 12 months."""
    if start is None or end is None:
        return "Give the window's first and last day."
    if end < start:
        return "The window's last day comes before its first."
    if end >= year_after(start):
        return "An observation window is at most 12 months long."
    return None


class ObservationWindow(models.Model):
    """An auditor's observation window: the first and last day they see (None for others)."""

    observe_from = models.DateField("observed from", null=True, blank=True)
    observe_to = models.DateField("observed to", null=True, blank=True)

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        if self.role != Role.AUDITOR:
            self.observe_from = self.observe_to = None
        elif problem := window_problem(self.observe_from, self.observe_to):
            raise ValidationError({"observe_to": problem})

    @property
    def window(self) -> tuple[date, date] | None:
        """(first day, last day) an auditor sees; None: no limit."""
        if self.role != Role.AUDITOR:
            return None
        return (self.observe_from or date.min, self.observe_to or date.min)


class Membership(ObservationWindow):
    ORG_FIELD = "organization"
    Role = Role

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="unique_membership")
        ]

    def __str__(self):
        return f"{self.user} in {self.organization} ({self.get_role_display()})"

    @property
    def can_write(self) -> bool:
        """Members and above change data; viewers and auditors only read."""
        return self.role not in (Role.VIEWER, Role.AUDITOR)

    @property
    def can_facilitate(self) -> bool:
        """Owners and consultants settle agreed answers and edit everything."""
        return self.role in (Role.OWNER, Role.CONSULTANT)

    @property
    def can_audit(self) -> bool:
        """Owners, consultants and auditors read the audit trail and sign attestations
        (owners only read: an attestation is never the owner's alone)."""
        return self.can_facilitate or self.role == Role.AUDITOR

    @property
    def can_attest(self) -> bool:
        """Consultants and auditors sign attestations; never an owner."""
        return self.role in (Role.CONSULTANT, Role.AUDITOR)

    @property
    def can_manage(self) -> bool:
        """Owners invite people, change roles and edit the organisation."""
        return self.role == Role.OWNER


def _invitation_token():
    return secrets.token_urlsafe(32)


class Invitation(ObservationWindow):
    """An owner's invitation for an email address to join with a role (an auditor's with its
    observation window). Open until accepted, revoked or VALID_FOR after it was (re)sent."""

    ORG_FIELD = "organization"
    VALID_FOR = timedelta(days=14)

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"
        ACCEPTED = "accepted", "Accepted"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    token = models.CharField(max_length=64, unique=True, default=_invitation_token)
    # None: made by the install's operator, or its inviter's account was deleted since.
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    # Made by the install's operator (create_org, the first run, the admin), not by an owner:
    # only these make new accounts when SIGNUP is closed. Not invited_by's None, which a
    # deleted inviter leaves too.
    from_operator = models.BooleanField(default=False, editable=False)
    created = models.DateTimeField(default=timezone.now)  # last sent: expiry counts from it
    accepted = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"{self.email} to {self.organization}"

    @property
    def expires(self):
        return self.created + self.VALID_FOR

    def state(self, now=None) -> str:
        if self.accepted:
            return self.State.ACCEPTED
        if self.revoked:
            return self.State.REVOKED
        return self.State.PENDING if (now or timezone.now()) < self.expires else self.State.EXPIRED

    def is_open(self, now=None) -> bool:
        return self.state(now) == self.State.PENDING

    def renew(self, now) -> None:
        """A fresh token and a fresh VALID_FOR: the link sent before stops working."""
        if self.accepted or self.revoked:
            raise ValueError("An accepted or revoked invitation cannot be sent again")
        self.token = _invitation_token()
        self.created = now
        self.save(update_fields=["token", "created"])

    def revoke(self, now) -> None:
        if self.accepted or self.revoked:
            raise ValueError("An accepted or revoked invitation cannot be revoked")
        self.revoked = now
        self.save(update_fields=["revoked"])

    def accept(self, user, now=None) -> Membership:
        """Make `user` a member with the invited role; an existing membership keeps its role."""
        membership, _ = Membership.objects.get_or_create(
            user=user,
            organization=self.organization,
            defaults={
                "role": self.role,
                "observe_from": self.observe_from,
                "observe_to": self.observe_to,
            },
        )
        self.accepted = now or timezone.now()
        self.save(update_fields=["accepted"])
        return membership


class FailedLoginManager(models.Manager):
    """Every method takes the account (`user`, or None when no account has the address) and
    the normalised address: rows count against the account if there is one, else the address."""

    def _counted(self, *, user, email):
        return self.filter(user=user) if user else self.filter(user=None, email=email)

    def record(self, *, user, email: str, now) -> "FailedLogin":
        """Note one wrong password; rows older than the window are dropped."""
        self.filter(created__lte=now - FailedLogin.WINDOW).delete()
        return self.create(user=user, email=email, created=now)

    def lockout_remaining(self, *, user, email: str, now) -> timedelta | None:
        """How long the account or address stays locked, or None when it may try a password."""
        recent = self._counted(user=user, email=email).filter(created__gt=now - FailedLogin.WINDOW)
        times = list(
            recent.order_by("-created").values_list("created", flat=True)[: FailedLogin.LIMIT]
        )
        if len(times) < FailedLogin.LIMIT:
            return None
        return times[-1] + FailedLogin.WINDOW - now

    def locked_users(self, users, *, now) -> set[int]:
        """The ids of those of `users` that are locked out."""
        recent = self.filter(user__in=users, created__gt=now - FailedLogin.WINDOW)
        counts = recent.values("user").annotate(n=models.Count("id"))
        return {row["user"] for row in counts if row["n"] >= FailedLogin.LIMIT}

    def clear(self, *, user=None, email: str = "") -> None:
        """Unlock: after a good password, a password reset or an owner's unlock."""
        self._counted(user=user, email=email).delete()


class FailedLogin(models.Model):
    """A wrong password; LIMIT of them within WINDOW lock the account out.

    Counted by account once the (normalised) address names one, so every spelling of an
    address counts together; by the normalised address otherwise, so guessing at an address
    that has no account costs the same. Not by IP address: behind a reverse proxy every visitor
    shares one, and one person's typos would lock everybody out.
    """

    LIMIT = 5
    WINDOW = timedelta(minutes=15)

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    email = models.CharField(max_length=254)  # normalised, as typed: the key when no account
    created = models.DateTimeField(default=timezone.now)

    objects = FailedLoginManager()

    class Meta:
        indexes = [
            models.Index(fields=["email", "created"]),
            models.Index(fields=["user", "created"]),
        ]

    def __str__(self):
        return f"{self.email} at {self.created:%Y-%m-%d %H:%M}"


# Single sign-on lives in its own package; imported here so that Django finds its models.
from accounts.sso.models import Identity, SingleSignOn  # noqa: E402, F401
