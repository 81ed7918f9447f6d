from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: records are never added, changed or deleted by hand."""

    list_display = ["at", "organization", "who", "area", "action", "subject"]
    list_filter = ["area", "organization"]
    search_fields = ["subject", "actor_email"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
