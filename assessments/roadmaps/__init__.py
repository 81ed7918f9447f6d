"""Roadmap services: generate and regenerate from an assessment, edit, track, verify against
telemetry, read for the pages, export, and each person's calendar feed.

The arithmetic (priority, order, phases, projection, acceptance rules) is `assessments.roadmap`;
these modules read the rows it needs, call it and write the results. Every change a person
makes goes through a function here, which writes the activity log in the same transaction.

- `inputs`: what generation reads from an assessment (`process_health_factors`, fed by
  the evidence module).
- `generate`, `regenerate`: a new roadmap; bringing one up to date, keeping people's work.
- `editing`: settings, adding, changing, moving, removing and commenting on milestones.
- `reading`: the plan by phase, the board's cards, the timeline's rows and burn-up.
- `export`: CSV and Excel.
- `acceptance`: acceptance criteria on telemetry: checking, refreshing, editing.
- `feeds`: each person's milestones as an iCalendar feed at a private URL.
"""

from assessments.roadmaps.acceptance import (
    STALE_AFTER,
    VerifyRun,
    criteria_refresh,
    criteria_verify,
    criterion_add,
    criterion_check,
    criterion_figures,
    criterion_remove,
    criterion_update,
)
from assessments.roadmaps.editing import (
    OrderRefused,
    milestone_comment_add,
    milestone_create,
    milestone_move,
    milestone_remove,
    milestone_restore,
    milestone_status_set,
    milestone_update,
    roadmap_update,
)
from assessments.roadmaps.export import EXPORT_COLUMNS, roadmap_csv, roadmap_rows, roadmap_xlsx
from assessments.roadmaps.feeds import (
    feed_key_get,
    feed_key_reset,
    feed_milestones,
    feed_render,
    feed_url,
)
from assessments.roadmaps.generate import roadmap_generate
from assessments.roadmaps.inputs import CONTENT_FIELDS, process_health_factors
from assessments.roadmaps.reading import (
    PhaseView,
    RoadmapPlan,
    board_milestones,
    gantt_rows,
    label_milestones,
    roadmap_burnup,
    roadmap_plan,
)
from assessments.roadmaps.regenerate import RegenerationReport, roadmap_regenerate

__all__ = [
    "CONTENT_FIELDS",
    "EXPORT_COLUMNS",
    "STALE_AFTER",
    "OrderRefused",
    "PhaseView",
    "RegenerationReport",
    "RoadmapPlan",
    "VerifyRun",
    "board_milestones",
    "criteria_refresh",
    "criteria_verify",
    "criterion_add",
    "criterion_check",
    "criterion_figures",
    "criterion_remove",
    "criterion_update",
    "feed_key_get",
    "feed_key_reset",
    "feed_milestones",
    "feed_render",
    "feed_url",
    "gantt_rows",
    "label_milestones",
    "milestone_comment_add",
    "milestone_create",
    "milestone_move",
    "milestone_remove",
    "milestone_restore",
    "milestone_status_set",
    "milestone_update",
    "process_health_factors",
    "roadmap_burnup",
    "roadmap_csv",
    "roadmap_generate",
    "roadmap_plan",
    "roadmap_regenerate",
    "roadmap_rows",
    "roadmap_update",
    "roadmap_xlsx",
]
