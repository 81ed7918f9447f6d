"""What an upgrade must keep, read by the code of one version: `python upgrade_dump.py TREE AT OUT`.

Run with TREE as the code to read with (an older release's tree, or this one), so the same
script reads the same database before and after the migrations. Writes JSON to OUT: every
assessment's figures as the export rounds them, every roadmap's rows as its CSV has them, every
audit event, and each roadmap's activity log as its page lists it, all at the instant AT (the
clock stopped, so both reads see the same "now").

Only APIs both versions have are used; the two places where the versions differ (the audit
event's assessment, the roadmap's activity) are read each in its version's way.
"""

import json
import os
import sys
from datetime import datetime

tree, at, out = sys.argv[1], datetime.fromisoformat(sys.argv[2]), sys.argv[3]
sys.path.insert(0, tree)
os.chdir(tree)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402
import time_machine  # noqa: E402

django.setup()

from assessments.exchange.export import figures_data  # noqa: E402
from assessments.figures import assessment_figures  # noqa: E402
from assessments.models import Assessment, Roadmap  # noqa: E402
from assessments.roadmaps.export import roadmap_rows  # noqa: E402
from audit.models import AuditEvent  # noqa: E402

OLD = not hasattr(AuditEvent, "scope_type")  # before issue 12: events carried an assessment


def event_row(event) -> dict:
    if OLD:
        assessment = event.assessment_id
    else:
        is_assessment = event.scope_type == "assessments.assessment"
        assessment = int(event.scope_id) if is_assessment else None
    return {
        "pk": event.pk,
        "organization": event.organization_id,
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "actor_email": event.actor_email,
        "area": event.area,
        "action": event.action,
        "subject": event.subject,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "assessment": assessment,
        "before": event.before,
        "after": event.after,
    }


def activity(roadmap) -> list:
    if OLD:
        lines = [(a, a.created, a.milestone_id) for a in roadmap.activity.all()]
    else:
        from assessments.roadmaps.activity import roadmap_activity

        lines = [
            (e, e.at, e.milestone.pk if e.milestone else None) for e in roadmap_activity(roadmap)
        ]
    return [
        [when.isoformat(), line.actor_id, line.action, line.text, milestone]
        for line, when, milestone in lines
    ]


with time_machine.travel(at, tick=False):
    dump = {
        "figures": {
            a.pk: figures_data(assessment_figures(a)) for a in Assessment.objects.order_by("pk")
        },
        "roadmaps": {
            r.pk: roadmap_rows(r, today=at.date()) for r in Roadmap.objects.order_by("pk")
        },
        "activity": {r.pk: activity(r) for r in Roadmap.objects.order_by("pk")},
        "events": [event_row(e) for e in AuditEvent.objects.order_by("pk")],
    }
with open(out, "w") as f:
    json.dump(dump, f, indent=1, sort_keys=True, default=str)
