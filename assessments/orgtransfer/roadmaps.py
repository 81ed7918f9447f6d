"""Roadmaps in the document: milestones, acceptance criteria and comments; the outcome KPIs
the milestones name (by name), each with its integration (by name).

Processes are named, people are emails, integrations are named, the assessment and the
framework are positions in the document's lists. The activity log is in the audit section (its
events name a roadmap, and a milestone, by position); a document written before that has an
"activity" list in each roadmap, which `audit_import` turns into events.

A generated milestone's key and the baseline name a process by its id; in the document they
name it by its name ("(gone) <id>" for a process deleted since).
"""

from assessments.models import (
    AcceptanceCriterion,
    Milestone,
    MilestoneComment,
    OutcomeKpi,
    Roadmap,
)
from assessments.orgtransfer.checks import Lookup, refuse, saved
from assessments.orgtransfer.document import (
    ActivityLine,
    KpiEntry,
    MilestoneEntry,
    RoadmapEntry,
)
from assessments.orgtransfer.references import day, stamp
from assessments.roadmaps.rules.priority import ProcessInput

STEP_PREFIX = "step:"
GONE = "(gone) "  # a step's process deleted since: never read as a process id again
MILESTONE_FIELDS = (
    "kind",
    "from_level",
    "to_level",
    "dimension_key",
    "action_key",
    "title",
    "description",
    "responsibility",
    "benefit",
    "priority",
    "priority_explanation",
    "phase",
    "position",
    "status",
    "edited",
    "retired_reason",
)
MILESTONE_TIMES = ("completed", "retired", "created", "updated")
CRITERION_FIELDS = ("kind", "window_days", "threshold", "metric", "aggregate", "comparison")
CRITERION_CHECK = ("last_value", "last_passed", "last_explanation")


def roadmaps_export(*, organization, people, refs) -> list[dict]:
    """`refs`: positions of assessments and frameworks, process names, by id. Adds the
    positions of roadmaps, and of milestones as (roadmap, milestone), for the audit section."""
    roadmaps = list(organization.roadmaps.order_by("created", "pk"))
    refs["roadmaps"] = {r.pk: i for i, r in enumerate(roadmaps)}
    refs["milestones"] = {}
    return [_roadmap_export(r, people, refs) for r in roadmaps]


def _roadmap_export(roadmap: Roadmap, people, refs) -> dict:
    processes = refs["processes"]
    milestones = list(roadmap.milestones.order_by("pk"))
    at = refs["roadmaps"][roadmap.pk]
    refs["milestones"].update({m.pk: (at, i) for i, m in enumerate(milestones)})
    return {
        "title": roadmap.title,
        "assessment": refs["assessments"].get(roadmap.assessment_id),
        "framework": refs["frameworks"][roadmap.framework_id],
        "start_date": day(roadmap.start_date),
        "phase_days": roadmap.phase_days,
        "capacity": roadmap.capacity,
        "baseline": [
            {**row, "key": processes.get(_int(row.get("key")))} for row in roadmap.baseline
        ],
        "created_by": people.email(roadmap.created_by_id),
        "created": stamp(roadmap.created),
        "regenerated": stamp(roadmap.regenerated),
        "milestones": [_milestone_export(m, people, processes) for m in milestones],
    }


def _milestone_export(milestone: Milestone, people, processes: dict) -> dict:
    key = milestone.key
    if key.startswith(STEP_PREFIX):  # step:<process id>:<level> -> step:<process name>:<level>
        process_id, level = key[len(STEP_PREFIX) :].rsplit(":", 1)
        name = processes.get(_int(process_id))
        if name is None:
            name = process_id if process_id.startswith(GONE) else GONE + process_id
        key = f"{STEP_PREFIX}{name}:{level}"
    return {
        "key": key,
        "process": processes.get(milestone.process_id),
        **{name: getattr(milestone, name) for name in MILESTONE_FIELDS},
        "owner": people.email(milestone.owner_id),
        "due_date": day(milestone.due_date),
        **{name: stamp(getattr(milestone, name)) for name in MILESTONE_TIMES},
        "kpi": milestone.kpi.name if milestone.kpi_id else None,
        "start_date": day(milestone.start_date),
        "expected_change": milestone.expected_change,
        "effort_days": _decimal(milestone.effort_days),
        "cost": _decimal(milestone.cost),
        "baseline": milestone.baseline,
        "baseline_frozen": stamp(milestone.baseline_frozen),
        "outcome_from": day(milestone.outcome_from),
        "criteria": [
            {
                "integration": c.integration.name,
                **{name: getattr(c, name) for name in CRITERION_FIELDS + CRITERION_CHECK},
                "created": stamp(c.created),
                "last_checked": stamp(c.last_checked),
            }
            for c in milestone.criteria.select_related("integration").order_by("pk")
        ],
        "comments": [
            {"author": people.email(c.author_id), "text": c.text, "created": stamp(c.created)}
            for c in milestone.comments.order_by("created", "pk")
        ],
    }


def _decimal(value):
    return None if value is None else str(value)


KPI_FIELDS = ("name", "description", "benefit", "metric", "aggregate", "unit", "better")


def kpis_export(*, organization) -> list[dict]:
    return [
        {
            **{name: getattr(kpi, name) for name in KPI_FIELDS},
            "integration": kpi.integration.name,
            "window_days": kpi.window_days,
            "created": stamp(kpi.created),
        }
        for kpi in organization.outcome_kpis.select_related("integration").order_by("name")
    ]


def kpis_import(*, organization, entries: list[KpiEntry], refs: dict) -> Lookup:
    """The organisation's outcome KPIs, by name; `refs` has the integrations by name."""
    found = Lookup({}, "outcome KPIs")
    for i, item in enumerate(entries):
        path = f"outcome_kpis[{i}]"
        integration = refs["integrations"].get_ref(
            item.integration, f"{path}.integration", null=False
        )
        kpi = OutcomeKpi(
            organization=organization, integration=integration, **item.values("integration")
        )
        found[kpi.name] = saved(kpi, path)
    return found


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def roadmaps_import(*, organization, entries: list[RoadmapEntry], refs: dict) -> list[Roadmap]:
    """`refs`: Lookups of users (email), processes and integrations (name), assessments and
    frameworks (position). Adds to `refs` the roadmaps and their milestones by position, and
    the activity lines of an older document."""
    roadmaps = []
    refs["milestones"] = {}
    refs["activity"] = []
    for i, item in enumerate(entries):
        path = f"roadmaps[{i}]"
        roadmap = Roadmap(
            organization=organization,
            assessment=refs["assessments"].get_ref(item.assessment, f"{path}.assessment"),
            framework=refs["frameworks"].get_ref(item.framework, f"{path}.framework", null=False),
            created_by=refs["users"].get_ref(item.created_by, f"{path}.created_by"),
            baseline=_baseline(item.baseline, path, refs["processes"]),
            **item.values(
                "assessment", "framework", "created_by", "baseline", "milestones", "activity"
            ),
        )
        saved(roadmap, path)
        milestones = [
            _milestone_import(roadmap, m, f"{path}.milestones[{j}]", refs)
            for j, m in enumerate(item.milestones)
        ]
        positions = Lookup(enumerate(milestones), "milestones of this roadmap")
        refs["milestones"][roadmap.pk] = positions
        for j, line in enumerate(item.activity):
            where = f"{path}.activity[{j}]"
            refs["activity"].append(_activity_line(roadmap, positions, line, where, refs))
        roadmaps.append(roadmap)
    refs["roadmaps"] = Lookup(enumerate(roadmaps), "roadmaps")
    return roadmaps


def _activity_line(roadmap, positions: Lookup, line: ActivityLine, where: str, refs) -> dict:
    """An activity line of an older document; `audit_import` stores it as an event."""
    return {
        "roadmap": roadmap,
        "milestone": positions.get_ref(line.milestone, f"{where}.milestone"),
        "actor": refs["users"].get_ref(line.actor, f"{where}.actor"),
        "actor_email": line.actor or "",
        "action": line.action,
        "text": line.text,
        "at": line.created,
    }


def _baseline(rows: list[dict], path: str, processes: Lookup) -> list:
    baseline = []
    for i, row in enumerate(rows):
        where = f"{path}.baseline[{i}]"
        process = processes.get_ref(row.get("key"), f"{where}.key")
        # A process gone since the plan was made keeps a key that matches no process.
        baseline.append({**row, "key": str(process.pk) if process else f"gone-{i}"})
        try:
            ProcessInput(**baseline[-1])
        except TypeError as exc:
            refuse(where, f"not a process as the plan keeps it ({exc})")
    return baseline


def _milestone_import(roadmap, item: MilestoneEntry, path: str, refs: dict) -> Milestone:
    key = item.key
    if isinstance(key, str) and key.startswith(STEP_PREFIX):
        name, _, level = key[len(STEP_PREFIX) :].rpartition(":")
        if name in refs["processes"] or not name.startswith(GONE):
            process = refs["processes"].get_ref(name, f"{path}.key")
            key = f"{STEP_PREFIX}{process.pk}:{level}"
    milestone = saved(
        Milestone(
            roadmap=roadmap,
            key=key,
            process=refs["processes"].get_ref(item.process, f"{path}.process"),
            owner=refs["users"].get_ref(item.owner, f"{path}.owner"),
            kpi=refs["kpis"].get_ref(item.kpi, f"{path}.kpi") if "kpis" in refs else None,
            **item.values("key", "process", "owner", "criteria", "comments", "kpi"),
        ),
        path,
    )
    for i, c in enumerate(item.criteria):
        where = f"{path}.criteria[{i}]"
        integration = refs["integrations"].get_ref(
            c.integration, f"{where}.integration", null=False
        )
        saved(
            AcceptanceCriterion(
                milestone=milestone, integration=integration, **c.values("integration")
            ),
            where,
        )
    for i, c in enumerate(item.comments):
        where = f"{path}.comments[{i}]"
        author = refs["users"].get_ref(c.author, f"{where}.author")
        saved(MilestoneComment(milestone=milestone, author=author, **c.values("author")), where)
    return milestone
