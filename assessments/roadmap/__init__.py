"""Roadmap arithmetic: milestones from gaps, priority, order, phases, projections, acceptance
criteria. No database.

The published rules (the page shows them, the tests spell each one out), one module each:

- `priority`: priority of a step = gap weight max((1 + target − current)² − 1, 0) × business
  value × telemetry health; every step of a process carries its process's priority.
- `milestones`: one milestone per level step from the framework's actions; a readiness
  dimension whose IT or OT side is below 2 gates every step to level 2 or above and gets one
  readiness milestone, placed first, with the highest priority among the steps it gates.
- `ordering`: a step after the step below it, a gated step after the readiness milestones,
  security before connectivity; phases filled in priority order up to `capacity`.
- `phasing`: now, next and later, each `phase_days` long from the start date.
- `projection`: the SAMR index after each phase, and the burn-up of done work.
- `charts`: the Gantt, burn-up and projection figures.
- `acceptance`: acceptance criteria on telemetry and whether a milestone is verified.

Callers import from here (`from assessments import roadmap as plan`); the modules are the
places to read and test each rule.
"""

from assessments.roadmap.acceptance import (
    AGGREGATE,
    AGGREGATES,
    COMPARISONS,
    FAILED,
    FRESHNESS,
    KINDS,
    UNCHECKED,
    UPTIME,
    VERIFIED,
    Figures,
    Result,
    Rule,
    Totals,
    Verification,
    aggregate_reads,
    aggregate_window,
    evaluate,
    totals,
    verification,
)
from assessments.roadmap.charts import (
    DAY_MS,
    STATUS_COLOURS,
    STATUS_NAMES,
    GanttRow,
    burnup_figure,
    gantt_figure,
    projection_figure,
)
from assessments.roadmap.milestones import (
    CUSTOM,
    GATED_FROM_LEVEL,
    READINESS,
    STEP,
    Planned,
    Slot,
    milestones_for,
    readiness_key,
    step_key,
)
from assessments.roadmap.ordering import (
    READINESS_PREREQUISITES,
    OrderProblem,
    arrange,
    order_problems,
    prerequisites,
    schedule,
)
from assessments.roadmap.phasing import PHASE_NAMES, PHASES, PhaseWindow, phase_rank, phase_windows
from assessments.roadmap.priority import (
    READINESS_MINIMUM,
    DimensionInput,
    ProcessInput,
    format_priority,
)
from assessments.roadmap.projection import (
    Burnup,
    burnup,
    phase_projections,
    projected_index,
    projected_levels,
)

__all__ = [
    "AGGREGATE",
    "AGGREGATES",
    "COMPARISONS",
    "CUSTOM",
    "DAY_MS",
    "FAILED",
    "FRESHNESS",
    "GATED_FROM_LEVEL",
    "KINDS",
    "PHASES",
    "PHASE_NAMES",
    "READINESS",
    "READINESS_MINIMUM",
    "READINESS_PREREQUISITES",
    "STATUS_COLOURS",
    "STATUS_NAMES",
    "STEP",
    "UNCHECKED",
    "UPTIME",
    "VERIFIED",
    "Burnup",
    "DimensionInput",
    "Figures",
    "GanttRow",
    "OrderProblem",
    "PhaseWindow",
    "Planned",
    "ProcessInput",
    "Result",
    "Rule",
    "Slot",
    "Totals",
    "Verification",
    "aggregate_reads",
    "aggregate_window",
    "arrange",
    "burnup",
    "burnup_figure",
    "evaluate",
    "format_priority",
    "gantt_figure",
    "milestones_for",
    "order_problems",
    "phase_projections",
    "phase_rank",
    "phase_windows",
    "prerequisites",
    "projected_index",
    "projected_levels",
    "projection_figure",
    "readiness_key",
    "schedule",
    "step_key",
    "totals",
    "verification",
]
