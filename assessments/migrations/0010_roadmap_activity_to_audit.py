"""The roadmap's activity log moves into the audit trail, which has held the same changes since
audit 0001; RoadmapActivity goes.

Every activity row is kept as an audit event in the roadmaps area carrying the row's text,
scoped (listed on the page of) its milestone, or its roadmap for a row about the roadmap: the
event written with it (same organisation, time, action and subject) when there is one, else a
new event (after = {"change": text}, as `log_activity` writes). An organisation imported from a
document has events whose subject ids are the exporting install's: such an event is matched
without the id, and keeps it.
"""

from django.db import migrations

ROADMAP = "assessments.roadmap"
MILESTONE = "assessments.milestone"
AREA = "roadmaps"  # assessments.audit_areas.AuditArea.ROADMAPS
# An event's action is the activity action's label in lower case: the same word for each.


def activity_to_audit(apps, schema_editor):
    RoadmapActivity = apps.get_model("assessments", "RoadmapActivity")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    rows = RoadmapActivity.objects.select_related("roadmap", "milestone", "actor")
    for row in rows.order_by("created", "pk").iterator():
        roadmap, milestone = row.roadmap, row.milestone
        subject_type, subject = (MILESTONE, milestone) if milestone else (ROADMAP, roadmap)
        candidates = AuditEvent.objects.filter(
            organization_id=roadmap.organization_id,
            area=AREA,
            at=row.created,
            action=row.action,
            subject_type=subject_type,
            scope_type="",
        ).order_by("pk")
        event = candidates.filter(subject_id=str(subject.pk)).first()
        if event is None:
            event = candidates.first()  # an imported event: the subject's id from elsewhere
        scope = {"scope_type": subject_type, "scope_id": str(subject.pk), "text": row.text}
        if event is not None:
            AuditEvent.objects.filter(pk=event.pk).update(**scope)
            continue
        AuditEvent.objects.create(
            organization_id=roadmap.organization_id,
            at=row.created,
            actor=row.actor,
            actor_email=row.actor.email if row.actor else "",
            area=AREA,
            action=row.action,
            subject=f"Milestone {milestone.title}" if milestone else f"Roadmap {roadmap.title}",
            subject_type=subject_type,
            subject_id=str(subject.pk),
            before={},
            after={"change": row.text},
            **scope,
        )


def audit_to_activity(apps, schema_editor):
    RoadmapActivity = apps.get_model("assessments", "RoadmapActivity")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    Milestone = apps.get_model("assessments", "Milestone")
    Roadmap = apps.get_model("assessments", "Roadmap")
    roadmaps = set(Roadmap.objects.values_list("pk", flat=True))
    milestones = dict(Milestone.objects.values_list("pk", "roadmap_id"))
    events = AuditEvent.objects.filter(area=AREA, scope_type__in=[ROADMAP, MILESTONE])
    for event in events.exclude(text="").order_by("at", "pk").iterator():
        milestone_id = int(event.scope_id) if event.scope_type == MILESTONE else None
        roadmap_id = milestones.get(milestone_id) if milestone_id else int(event.scope_id)
        if roadmap_id not in roadmaps:
            continue
        RoadmapActivity.objects.create(
            roadmap_id=roadmap_id,
            milestone_id=milestone_id,
            actor_id=event.actor_id,
            action=event.action,
            text=event.text,
            created=event.at,
        )


class Migration(migrations.Migration):

    dependencies = [
        ('assessments', '0009_assessment_imported_note'),
        ('audit', '0003_scope'),
    ]

    operations = [
        migrations.RunPython(activity_to_audit, audit_to_activity),
        migrations.DeleteModel(
            name='RoadmapActivity',
        ),
    ]
