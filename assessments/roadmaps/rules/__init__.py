"""Roadmap arithmetic: milestones from gaps, priority, order, phases, projections, verification
against acceptance criteria. No database.

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
- `verification`: acceptance criteria on telemetry and whether a milestone is verified.

The Gantt, burn-up and projection figures are `assessments.charts.plotly.roadmap`.
"""
