"""Roadmaps: the rules that plan one, and the services that generate, edit, verify and read it.

`rules` is the arithmetic (priority, order, phases, projection, verification), pure and without
a database. The other modules are services: they read the rows the rules need, call them and
write the results. Every change a person makes goes through a function here, which writes the
activity log in the same transaction.

- `inputs`: what generation reads from an assessment (`process_health_factors`, from the
  verified levels and the integrations' health).
- `generate`, `regenerate`: a new roadmap; bringing one up to date, keeping people's work.
- `editing`: settings, adding, changing, moving, removing and commenting on milestones.
- `reading`: the plan by phase, the board's cards, the timeline's rows and burn-up.
- `export`: CSV and Excel.
- `acceptance`: acceptance criteria on telemetry: checking, refreshing, editing.
- `feeds`: each person's milestones as an iCalendar feed at a private URL.
- `activity`: the roadmap's activity log.
"""
