"""The user-text page walk: every user-writable text field gets a marker, every page is read.

Used by test_user_text (is every marker inert?) and by the token pages' tests."""

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

from accounts.models import Invitation, User
from accounts.sso.models import SingleSignOn
from assessments.models import (
    AcceptanceCriterion,
    Milestone,
    MilestoneComment,
    OutcomeKpi,
    Process,
    Report,
)
from audit.models import AuditEvent
from integration.models import (
    HealthEvent,
    Integration,
    Metric,
    MqttListener,
    ReadToken,
    ServiceHeartbeat,
    SparkplugLease,
)
from tests.assessments.conftest import (  # noqa: F401 (fixtures)
    NOW,
    build_client_data,
    framework,
    frozen,
    media,
    scored,
)
from tests.conftest import make_user
from tests.test_tenancy import fill, org_scoped_routes

APPS = ("accounts", "assessments", "integration", "audit")

# Text fields no user writes: keys, tokens, codes, validated formats and system state.
NOT_USER_TEXT = {
    "accounts.Organization.slug",  # a slug, validated
    "accounts.Organization.brand_colour",  # "#" and six hex digits, validated
    "accounts.Organization.benchmark_contributor",  # 32 random hex digits made by Ladder
    "assessments.BenchmarkEntry.contributor",  # 32 hex digits, validated at import
    "assessments.BenchmarkEntry.industry",  # one of Industry's values, validated at import
    "accounts.User.password",
    "accounts.Invitation.token",
    "accounts.SingleSignOn.client_secret_sealed",  # ciphertext, never shown
    "assessments.FrameworkVersion.key",
    "assessments.Milestone.key",
    "assessments.Milestone.dimension_key",
    "assessments.Milestone.action_key",
    "assessments.ExcludedDimension.dimension_key",
    "assessments.CriterionAnswer.criterion_key",
    "assessments.CriterionAgreement.criterion_key",
    "assessments.ReadinessAnswer.question_key",
    "assessments.ReadinessAgreement.question_key",
    "assessments.Report.assessment_state",
    "assessments.ProcessScore.frozen_area",  # Process.area kept at finalize: a framework key
    "assessments.FeedKey.key",
    "assessments.ProcessCheck.check_key",  # a framework check's key
    "assessments.CheckBinding.role",  # one of the framework check's roles, validated
    "assessments.CriterionEvidence.criterion_key",
    "assessments.NaAcceptance.criterion_key",
    "integration.IngestToken.hint",
    "integration.IngestToken.hash",
    "integration.ReadToken.hint",
    "integration.ReadToken.hash",
    "integration.Series.labels",  # canonical JSON the pages parse
    "integration.ServiceHeartbeat.name",  # a loop's key, set by its command
    "audit.AuditEvent.action",
    "audit.AuditEvent.area",  # a key its callers name (answers, roadmaps, ...)
    "audit.AuditEvent.scope_type",  # a model label
    "audit.AuditEvent.scope_id",  # a primary key
    "audit.AuditEvent.subject_type",
    "audit.AuditEvent.subject_id",
}

# User text that no HTML page shows (so no marker of theirs can be found on one).
NOT_ON_PAGES = {
    "accounts.FailedLogin.email",  # counted, never listed
    "accounts.Identity.issuer",  # a provider's (issuer, subject): matched, never listed
    "accounts.Identity.subject",
    "integration.MqttStrayCount.listener",  # a listener's client id, in the admin only
    "integration.MqttListener.group",  # the shared subscription's group, in the admin only
    "integration.SparkplugNode.group",  # what edge nodes send, kept for the host, no page
    "integration.SparkplugNode.node",
    "assessments.BenchmarkEntry.source",  # typed at benchmark_import; counted, never listed
}


def text_fields():
    """(label, model, field name, max_length) of every user-writable text field."""
    for config in (apps.get_app_config(label) for label in APPS):
        for model in config.get_models():
            for field in model._meta.concrete_fields:
                label = f"{config.label}.{model.__name__}.{field.name}"
                if (
                    isinstance(field, models.CharField | models.TextField)
                    and not field.choices
                    and label not in NOT_USER_TEXT
                ):
                    yield label, model, field.name, field.max_length


def mark(n: int) -> str:
    """Marker n: its name, and a payload that gives itself away if it is ever parsed as HTML."""
    return f"qz_{n:03d}_<i hx-get=/qz_{n:03d}_ hx-trigger=load>"


# The underscores keep random page text (a CSRF token is letters and digits) from ever
# spelling a marker: "qz123" turned up in a token and failed the test now and then.
MARKER = re.compile(r"qz_(\d{3})_")


def put_markers() -> dict[str, str]:
    """Prefix every user text field of every row with its field's marker: {name: label}."""
    names = {}
    for n, (label, model, name, max_length) in enumerate(text_fields()):
        names[f"qz_{n:03d}_"] = label
        for pk, value in model._default_manager.values_list("pk", name):
            value = mark(n) + (value or "")
            model._default_manager.filter(pk=pk).update(**{name: value[:max_length]})
    return names


# htmx never processes text in these, and Django escapes it there like anywhere else.
INERT_TEXT = {
    "title",  # the document title
    "option",  # a select's choices
    "textarea",  # a field's value: the form posts it, nothing reads it as markup
}


class Page(HTMLParser):
    """Every marker's place on a page: in text under hx-disable or not, in which attribute."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.exposed: list[tuple[str, str]] = []  # (where, text) for text htmx would process
        self.in_hx_attr: list[str] = []
        self.seen: set[str] = set()
        self.controls_disabled: list[dict] = []  # the page's own htmx under an hx-disable
        self.elements: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append(attrs)
        for name, value in attrs.items():
            found = MARKER.findall(f"{name} {value or ''}")
            self.seen.update(f"qz_{n}_" for n in found)
            # Attribute values are escaped by Django and htmx reads only its own attributes:
            # an input's value=, a title= or an aria-label= is fine; an hx-* one never is, even
            # |urlencode'd (the chart's links are boosted and keep user text in their href).
            if found and name.startswith(("hx-", "data-hx-")):
                self.in_hx_attr.append(f"{name}={value!r}")
        if any(name.startswith(("hx-", "data-hx-")) and name != "hx-disable" for name in attrs):
            for _, outer in self.stack:
                if "hx-disable" in outer:
                    self.controls_disabled.append(attrs)
        if tag not in self.VOID:
            self.stack.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        found = MARKER.findall(data)
        if not found:
            return
        self.seen.update(f"qz_{n}_" for n in found)
        tags = [tag for tag, _ in self.stack]
        if set(tags) & INERT_TEXT:
            return
        if tags and tags[-1] == "script" and self.stack[-1][1].get("type") == "application/json":
            return  # json_script: \u003C-escaped data for charts.js, which htmx never reads
        if not any("hx-disable" in attrs or "data-hx-disable" in attrs for _, attrs in self.stack):
            where = " > ".join(
                tag + "".join(f".{c}" for c in (attrs.get("class") or "").split()[:1])
                for tag, attrs in self.stack[-4:]
            )
            self.exposed.append((where, data))


def elements(html: str) -> list[dict]:
    page = Page()
    page.feed(html)
    return page.elements


def urls(org, owner, data) -> list[str]:
    """Every organisation page, and the pages outside one that show its data.

    test_tenancy fills each URL with a sample object of its own; the pages of the objects that
    hold the richest data are added here."""
    found = [fill(route, org, owner) for route, _ in org_scoped_routes()]
    integration, assessment, final = data["integration"], data["scored"], data["baseline"]
    for name in ("integration-detail", "integration-edit"):
        found.append(reverse(f"integration:{name}", args=[org.slug, integration.pk]))
    found += [
        reverse("assessments:assessment-detail", args=[org.slug, assessment.pk]),
        # a final assessment shows the names its processes had at finalize
        reverse("assessments:assessment-detail", args=[org.slug, final.pk]),
        *(
            reverse("assessments:process-score", args=[org.slug, final.pk, score.pk])
            for score in final.process_scores.all()
        ),
        reverse("assessments:assessment-agreement", args=[org.slug, assessment.pk]) + "?show=all",
        *(
            reverse("assessments:process-score", args=[org.slug, assessment.pk, score.pk])
            for score in assessment.process_scores.all()
        ),
        *(
            reverse("assessments:readiness", args=[org.slug, assessment.pk, key])
            for key in ("connectivity", "security", "people-skills", "collaboration")
        ),
        *(
            reverse("assessments:report-detail", args=[org.slug, report.pk])
            for report in Report.objects.filter(organization=org)
        ),
    ]
    invitation = Invitation.objects.create(
        organization=org, email="new@acme.test", invited_by=owner
    )
    return [
        *found,
        reverse("home"),
        reverse("profile"),
        reverse("portfolio"),
        reverse("operations"),  # staff only: the walk's owner is staff too
        reverse("invitation-accept", args=[invitation.token]),
    ]


@pytest.fixture
def everything(org, owner, member, consultant, viewer, framework, scored, media, frozen):  # noqa: F811
    """The client data of the report tests, the scored assessment, and one of each other thing."""
    Process.objects.filter(organization=org, name="Stock counts").update(name="Stock takes")
    data = build_client_data(org, owner, framework)  # has a "Stock counts" of its own
    roadmap = data["roadmap"]
    milestone = roadmap.milestones.order_by("position").first()
    milestone.owner = member
    milestone.description, milestone.responsibility, milestone.benefit = "Why", "COO", "Less"
    milestone.save()
    Milestone.objects.create(
        roadmap=roadmap,
        title="Retired one",
        retired=NOW,
        retired_reason="No longer needed",
        due_date=date(2027, 1, 1),
    )
    MilestoneComment.objects.create(milestone=milestone, author=member, text="On it")
    integration = data["integration"]
    milestone.kpi = OutcomeKpi.objects.create(
        organization=org,
        name="Unplanned downtime",
        description="Hours a day",
        benefit="Less",
        integration=integration,
        metric="vibration.rms",
        unit="h",
    )
    milestone.start_date = date(2026, 11, 1)
    milestone.save()
    Metric.objects.filter(integration=integration).update(unit="mm/s")
    # Every integration bound to a Sparkplug device of its own (the binding is unique), so
    # the page shows the binding and each row gets its own marked value.
    for n, pk in enumerate(Integration.objects.values_list("pk", flat=True)):
        Integration.objects.filter(pk=pk).update(
            sparkplug_group="plant", sparkplug_node=f"press{n}", sparkplug_device="oven"
        )
    ReadToken.objects.issue(integration=integration, name="Grafana")
    SingleSignOn.objects.create(organization=org, issuer="https://idp.example", client_id="l")
    HealthEvent.objects.create(
        integration=integration, previous="up", status="down", at=NOW, note="Sensor gateway"
    )
    gone = make_user("gone@acme.test", first_name="Gone", last_name="Away", firm_name="Firm")
    Process.objects.filter(pk=data["press"].pk).update(owner=gone, description="Stamping")
    site = org.sites.get()
    site.location = "Sheffield"
    site.save()
    for state in ("running", "failed"):
        Report.objects.create(
            organization=org,
            assessment=data["current"],
            requested_by=consultant,
            state=state,
            step="Drawing",
            error="Out of memory",
        )
    AcceptanceCriterion.objects.filter(milestone=milestone).update(
        last_checked=NOW, last_passed=True, last_explanation="Fresh"
    )
    AuditEvent.objects.create(
        organization=org,
        actor=member,
        actor_email=member.email,
        area="processes",
        action="changed",
        subject="Press line",
        subject_type="process",
        subject_id="1",
        before={"name": "Old"},
        after={"name": "New"},
    )
    # The operations page's rows: a listener's and a Sparkplug host's ids, a loop's last error.
    User.objects.filter(pk=owner.pk).update(is_staff=True)
    MqttListener.note_started(client_id="ladder-1", group="ladder", now=NOW)
    SparkplugLease.objects.create(host_id="ladder-host", holder="ladder-1", expires=NOW)
    ServiceHeartbeat.beat(name="health", instance="web-1", interval=60, now=NOW, error="Boom")
    press = scored.process_scores.filter(process__area="manufacturing").first().process
    verification_rows(scored, press, data["integration"], owner)
    return {**data, "scored": scored}


def verification_rows(assessment, process, integration, owner):
    """A bound check with a result and a history run, evidence and an accepted N/A, and what a
    facilitator did to the check and the evidence."""
    import audit.trail as audit
    from assessments.audit_areas import AuditArea
    from assessments.models.verification import (
        CheckBinding,
        CheckResult,
        CriterionEvidence,
        NaAcceptance,
        ProcessCheck,
    )

    check = ProcessCheck.objects.create(
        process=process,
        framework=assessment.framework,
        check_key="mfg-2-machine-data-arrives",
        state="failing",
        measured=0.5,
        reason="Too few intervals",
        evaluated=NOW,
        failing_since=NOW,
    )
    role = assessment.framework.definition.check(check.check_key).roles[0]
    CheckBinding.objects.create(
        process_check=check, role=role, integration=integration, metric="temp", bound_by=owner
    )
    CheckResult.objects.create(
        process_check=check,
        state="failing",
        measured=0.5,
        threshold=0.95,
        reason="Too few intervals",
        first=NOW,
        last=NOW,
    )
    evidence = CriterionEvidence.objects.create(
        process=process,
        criterion_key="mfg-1-digital-records",
        description="Shift log",
        effective=NOW.date(),
        accepted=NOW,
        accepted_by=owner,
    )
    score = assessment.process_scores.get(process=process)
    NaAcceptance.objects.create(process_score=score, criterion_key="mfg-1-digital-records")
    # What a facilitator did, listed under the check and the evidence: who, and the names.
    for obj, action in ((check, "bind"), (evidence, "evidence accept")):
        audit.record(
            organization=process.organization,
            actor=owner,
            area=AuditArea.CHECKS,
            action=action,
            subject=f"{action} on {process.name}",
            obj=obj,
            before={"integration": "", "accepted": False},
            after={"integration": integration.name, "accepted": True},
            scope=process,
        )
