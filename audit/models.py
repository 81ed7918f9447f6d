"""The audit trail: who changed what in an organisation, when, with the values before and after.

Rows are written by `audit.trail.record` from the services that change answers, agreed values,
assessment state, roadmaps and milestones, memberships and ingest tokens. They are never changed
afterwards: `save` refuses an update and `delete` refuses outright; the admin is read-only.

This app sits below every other: it names no model of theirs. An event's area is its caller's
word (each app lists its areas and their labels), its subject and its scope (the assessment or
roadmap it belongs to) are a model label and an id.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ReadOnlyRecord(Exception):
    """An attempt to change or delete an audit record."""


class AuditEvent(models.Model):
    ORG_FIELD = "organization"
    WINDOW_FIELD = "at__date"  # an auditor sees the events of their observation window

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="audit_events"
    )
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.EmailField(blank=True, help_text="Kept if the user is deleted.")
    area = models.CharField(max_length=20)
    action = models.CharField(max_length=40)
    subject = models.CharField(max_length=300)
    subject_type = models.CharField(max_length=60)
    subject_id = models.CharField(max_length=64)
    # Where the event is listed: the assessment, roadmap or milestone whose page shows it. The
    # subject keeps the id it had when the change was made (an imported trail: elsewhere).
    scope_type = models.CharField(max_length=60, blank=True)
    scope_id = models.CharField(max_length=64, blank=True)
    text = models.CharField(max_length=1000, blank=True, help_text="The change in words.")
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "-at"], name="audit_org_at"),
            models.Index(fields=["organization", "area", "-at"], name="audit_org_area_at"),
            models.Index(fields=["scope_type", "scope_id", "-at"], name="audit_scope_at"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.who} {self.action} {self.subject}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ReadOnlyRecord("Audit records cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ReadOnlyRecord("Audit records cannot be deleted.")

    @property
    def who(self) -> str:
        return self.actor_email or "Ladder"

    @classmethod
    def of_scope(cls, obj: models.Model):
        """The events listed on `obj`'s page (an assessment's, a milestone's), newest first."""
        return cls.objects.filter(scope_type=obj._meta.label_lower, scope_id=str(obj.pk))

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field either side names, in a stable order."""
        names = list(self.before) + [n for n in self.after if n not in self.before]
        return [(n, self.before.get(n), self.after.get(n)) for n in names]

    def as_data(self) -> dict:
        """The record as JSON-able data, for the exports."""
        return {
            "at": self.at.isoformat(),
            "actor": self.actor_email or None,
            "area": self.area,
            "action": self.action,
            "subject": self.subject,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "before": self.before,
            "after": self.after,
        }
