"""Move a whole organisation between installs: `manage.py export_org` and `import_org`.

One versioned JSON document (format "ladder-organization", version 2; version 1 still imports):
the organisation, its sites, the people it refers to (by email), memberships, its own frameworks
and the shipped ones it uses, processes, integrations with metrics, series, minute and hour
rollups and health events (raw points only when asked), the processes' checks with their
bindings and their criteria's evidence (`verification`), assessments (a final one with its
verification snapshot), roadmaps and the audit trail.

- Assessments travel as the assessment export of `assessments.exchange` (checked on import by
  its reader), with their state, dates and authors around it; the figures in each are checked
  again after the import, so an import that would change one stores nothing.
- Ids are never carried; rows refer to each other by natural keys (names, emails) or by their
  position in the document's lists. Integrations keep their UUID when it is free in the target
  install, since devices are configured with it; otherwise they get a new one and the import
  says so.
- Ingest tokens (secrets), open invitations, logos, PDF reports and people's calendar feed keys
  are not exported: the import says which integrations need new tokens. Nor is the benchmark
  opt-in or contributor id: sharing figures is an owner's consent for one install, so the
  imported organisation shares nothing until an owner opts in there (the import says so, and
  adds "benchmarks opted out" to a trail whose last word was an opt-in). Answers and
  agreements keep their content but are dated at the import.
- People missing in the target install are created with an unusable password.

`organization_export` builds the document, `organization_import` stores it in one transaction
or raises `InvalidExport` listing what is wrong; `document_read` / `document_write` /
`document_text` handle files and standard output (gzip when the name ends in .gz).
"""
