"""The organisation document's structure: the keys of each entry, and the values the import
uses itself (times of rows stored without the models' checks, telemetry, references).

A value handed to a model is `Any` here: the model's `full_clean()` checks it, as it turns ISO
text into dates and times and checks choices, lengths and ranges. An assessment's `export` is
read by `assessments.exchange.reading`.
"""

from typing import Any, Literal

from assessments.audit_areas import AREAS
from assessments.exchange.validation import (
    Entry,
    Moment,
    MomentOrNull,
    Number,
    WholeNumber,
    choice,
    row,
    text,
)
from assessments.roadmaps.activity import Action


class OrganizationEntry(Entry):
    name: Any
    slug: Any
    brand_colour: Any
    created: Moment


class PersonEntry(Entry):
    email: text(blank=False)
    first_name: Any
    last_name: Any
    firm_name: Any


class MembershipEntry(Entry):
    user: Any
    role: Any
    created: Moment
    observe_from: Any = None  # an auditor's observation window (absent from older exports)
    observe_to: Any = None


class SiteEntry(Entry):
    name: Any
    kind: Any
    location: Any


class FrameworkEntry(Entry):
    key: Any
    version: Any
    title: Any
    data: dict
    own: Any
    uploaded_by: Any = None
    created: Any = None


class ProcessEntry(Entry):
    name: Any
    area: Any
    site: Any = None
    owner: Any = None
    business_value: Any
    description: Any
    archived: Any
    created: Any
    integrations: list


class HealthEventEntry(Entry):
    previous: Any
    status: Any
    at: Any
    note: Any


# bucket, count, min, max, sum, last, last_ts[, uncertain, bad[, first_arrival, last_arrival]]:
# the counts are newer, the arrivals newer still (null: arrived at the bucket's time).
Rollup = row(
    Moment,
    WholeNumber,
    Number,
    Number,
    Number,
    Number,
    Moment,
    WholeNumber,
    WholeNumber,
    MomentOrNull,
    MomentOrNull,
    defaults=(0, 0, None, None),
)
# ts, value[, quality]: the quality is newer, and null (or left out) when good.
QualityName = Literal["uncertain", "bad"] | None


class SeriesEntry(Entry):
    labels: Any
    minute_rollups: list[Rollup]
    hour_rollups: list[Rollup]
    points: list[row(Moment, Number, QualityName, defaults=(None,))] = []


class MetricEntry(Entry):
    name: Any
    unit: Any
    expected_min: Any
    expected_max: Any
    created: Any
    series: list[SeriesEntry]


class IntegrationEntry(Entry):
    id: Any
    name: Any
    description: Any
    source_system: Any
    target_system: Any
    interval_seconds: Any
    grace_seconds: Any
    paused: Any
    created: Any
    last_seen: Any
    last_failed: Any
    last_status: Any
    last_status_at: Any
    metrics: list[MetricEntry]
    health_events: list[HealthEventEntry]


class AssessmentEntry(Entry):
    framework: Any
    based_on: Any = None
    created_by: Any = None
    created: Any
    finalized: Any
    imported_note: text() = ""
    renamed_processes: dict[str, Any] = {}
    export: dict


class CriterionEntry(Entry):
    integration: Any
    kind: Any
    window_days: Any
    threshold: Any
    metric: Any
    aggregate: Any
    comparison: Any
    last_value: Any
    last_passed: Any
    last_explanation: Any
    created: Any
    last_checked: Any


class CommentEntry(Entry):
    author: Any = None
    text: Any
    created: Any


class MilestoneEntry(Entry):
    key: Any
    process: Any = None
    owner: Any = None
    kind: Any
    from_level: Any
    to_level: Any
    dimension_key: Any
    action_key: Any
    title: Any
    description: Any
    responsibility: Any
    benefit: Any
    priority: Any
    priority_explanation: Any
    phase: Any
    position: Any
    status: Any
    edited: Any
    retired_reason: Any
    due_date: Any
    completed: Any
    retired: Any
    created: Any
    updated: Any
    criteria: list[CriterionEntry]
    comments: list[CommentEntry]
    # version 3 on: the outcome it should bring, and its frozen baseline
    kpi: Any = None
    start_date: Any = None
    expected_change: Any = None
    effort_days: Any = None
    cost: Any = None
    baseline: dict[str, Any] = {}
    baseline_frozen: Any = None
    outcome_from: Any = None  # optional in version 3: without it, from `completed`


class KpiEntry(Entry):
    name: Any
    description: Any = ""
    benefit: Any
    integration: Any
    metric: Any
    aggregate: Any
    unit: Any = ""
    better: Any
    window_days: Any
    created: Any


class ActivityLine(Entry):
    """A line of a roadmap's activity log, in a document written before it moved to the audit."""

    action: choice(Action.values)
    text: text(max_length=1000)
    created: Moment
    milestone: Any = None
    actor: Any = None


class RoadmapEntry(Entry):
    title: Any
    assessment: Any = None
    framework: Any
    start_date: Any
    phase_days: Any
    capacity: Any
    baseline: list[dict[str, Any]]
    created_by: Any = None
    created: Any
    regenerated: Any
    milestones: list[MilestoneEntry]
    activity: list[ActivityLine] = []


class AuditEntry(Entry):
    at: Moment
    actor: text(null=True) = None  # an email, or a person deleted since
    area: choice([name for name, _ in AREAS])
    action: Any
    subject: Any
    subject_type: Any
    subject_id: Any
    before: Any
    after: Any
    text: Any = ""
    assessment: Any = None
    roadmap: Any = None
    milestone: Any = None


class BindingEntry(Entry):
    role: Any
    integration: Any
    metric: Any = ""
    bound_by: Any = None
    created: Any


class ProcessCheckEntry(Entry):
    process: Any
    framework: Any
    check_key: Any
    threshold: Any = None
    grace_days: Any = None
    created_by: Any = None
    created: Any
    state: Any
    measured: Any = None
    reason: Any = ""
    evaluated: Any = None
    failing_since: Any = None
    bindings: list[BindingEntry] = []


class EvidenceEntry(Entry):
    process: Any
    criterion_key: Any
    description: Any
    effective: Any
    valid_days: Any
    added_by: Any = None
    added: Any
    accepted_by: Any = None
    accepted: Any = None


class OrganizationDocument(Entry):
    """The document after its header (format and version), which is checked first."""

    organization: OrganizationEntry
    people: list[PersonEntry]
    memberships: list[MembershipEntry]
    sites: list[SiteEntry]
    frameworks: list[FrameworkEntry]
    processes: list[ProcessEntry]
    integrations: list[IntegrationEntry]
    assessments: list[AssessmentEntry]
    roadmaps: list[RoadmapEntry]
    audit: list[AuditEntry] = []
    checks: list[ProcessCheckEntry] = []  # version 2 on
    evidence: list[EvidenceEntry] = []  # version 2 on
    outcome_kpis: list[KpiEntry] = []  # version 3 on
