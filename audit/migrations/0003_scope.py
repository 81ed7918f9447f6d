"""An event's assessment becomes its scope (type and id), as plain text; areas lose their choices.

Every row is kept: the assessment id of each event is copied into its scope before the column
goes. Areas are the callers' words, labelled by them (see assessments.audit_areas)."""

from django.db import migrations, models

ASSESSMENT = "assessments.assessment"


def assessment_to_scope(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    events = AuditEvent.objects.exclude(assessment_id=None)
    for event in events.only("pk", "assessment_id").iterator():
        AuditEvent.objects.filter(pk=event.pk).update(
            scope_type=ASSESSMENT, scope_id=str(event.assessment_id)
        )


def scope_to_assessment(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    for event in AuditEvent.objects.filter(scope_type=ASSESSMENT).only("pk", "scope_id"):
        AuditEvent.objects.filter(pk=event.pk).update(assessment_id=int(event.scope_id))


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_areas_processes_integrations'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='scope_type',
            field=models.CharField(blank=True, max_length=60),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='scope_id',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='text',
            field=models.CharField(blank=True, help_text='The change in words.', max_length=1000),
        ),
        migrations.RunPython(assessment_to_scope, scope_to_assessment),
        migrations.RemoveField(
            model_name='auditevent',
            name='assessment_id',
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='area',
            field=models.CharField(max_length=20),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['scope_type', 'scope_id', '-at'], name='audit_scope_at'),
        ),
    ]
