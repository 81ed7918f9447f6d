from django.contrib import admin
from django.utils import timezone

from integration.models import (
    IngestToken,
    Integration,
    Metric,
    MqttCount,
    MqttListener,
    MqttStrayCount,
    ReadToken,
    SparkplugLease,
    SparkplugNode,
)
from integration.mqtt import brokerauth
from integration.services import seen_minutes_recount


class IngestTokenInline(admin.TabularInline):
    model = IngestToken
    fields = ["name", "hint", "created", "last_used", "revoked"]
    readonly_fields = ["hint", "created", "last_used", "revoked"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        # A token's plain text is shown once, by the app's pages or create_integration.
        return False


class ReadTokenInline(IngestTokenInline):
    model = ReadToken


class MetricInline(admin.TabularInline):
    model = Metric
    fields = ["name", "unit", "expected_min", "expected_max", "created"]
    readonly_fields = ["name", "created"]
    extra = 0


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = [
        "name", "organization", "interval_seconds", "paused", "last_seen", "sparkplug_binding"
    ]  # fmt: skip
    list_filter = ["paused", "organization"]
    search_fields = [
        "name", "source_system", "target_system", "organization__name", "sparkplug_node"
    ]  # fmt: skip
    readonly_fields = ["id", "last_seen", "last_failed"]
    inlines = [MetricInline, IngestTokenInline, ReadTokenInline]

    # A changed binding changes the broker rights: pushed after the commit.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        brokerauth.push_soon(obj.pk)

    # The broker drops a deleted integration's account after the commit.
    def delete_model(self, request, obj):
        pk = obj.pk
        super().delete_model(request, obj)
        brokerauth.push_soon(pk)

    def delete_queryset(self, request, queryset):
        pks = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        for pk in pks:
            brokerauth.push_soon(pk)


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    """A metric deleted takes its rollups along: its integration's seen minutes are counted
    again from those left."""

    list_display = ["name", "unit", "integration", "created"]
    search_fields = ["name", "integration__name"]
    readonly_fields = ["integration", "name", "created"]

    def delete_model(self, request, obj):
        integration = obj.integration
        super().delete_model(request, obj)
        seen_minutes_recount(integration)

    def delete_queryset(self, request, queryset):
        integrations = list(Integration.objects.filter(metrics__in=queryset).distinct())
        super().delete_queryset(request, queryset)
        for integration in integrations:
            seen_minutes_recount(integration)


@admin.register(IngestToken)
class IngestTokenAdmin(admin.ModelAdmin):
    list_display = ["__str__", "integration", "created", "last_used", "revoked"]
    list_filter = ["revoked"]
    search_fields = ["name", "hint", "integration__name"]
    fields = ["integration", "name", "hint", "hash", "created", "last_used", "revoked"]
    readonly_fields = ["integration", "hint", "hash", "created", "last_used", "revoked"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        now = timezone.now()
        for token in queryset:
            token.revoke(now=now)
            brokerauth.push_soon(token.integration_id)


@admin.register(ReadToken)
class ReadTokenAdmin(IngestTokenAdmin):
    pass


class ReadOnlyAdmin(admin.ModelAdmin):
    """Counts written by the MQTT listeners: to read, not to edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MqttCount)
class MqttCountAdmin(ReadOnlyAdmin):
    list_display = ["integration", "hour", *MqttCount.OUTCOMES]
    list_filter = ["integration__organization"]
    search_fields = ["integration__name"]
    date_hierarchy = "hour"
    ordering = ["-hour"]


@admin.register(MqttStrayCount)
class MqttStrayCountAdmin(ReadOnlyAdmin):
    """Messages that belong to no integration: wrong topics, unknown ids (see the log)."""

    list_display = ["hour", "listener", "unknown_topic", "unknown_integration"]
    list_filter = ["listener"]
    date_hierarchy = "hour"


@admin.register(MqttListener)
class MqttListenerAdmin(ReadOnlyAdmin):
    """The listeners' heartbeats: a stale one holds a broker session that strands telemetry
    until it runs again or is retired (`telemetry_listen --retire-id`); see docs/MQTT.md."""

    list_display = ["client_id", "group", "state", "started", "last_seen", "stopped", "retired"]
    list_filter = ["group"]
    search_fields = ["client_id"]

    @admin.display(description="State")
    def state(self, obj):
        state = obj.state(now=timezone.now())
        return "STALE: retire it or start it" if state == MqttListener.STALE else state


@admin.register(SparkplugNode)
class SparkplugNodeAdmin(ReadOnlyAdmin):
    """What the Sparkplug host learnt from each edge node's births (its aliases); deleting a
    row makes the host ask that edge node for a rebirth at its next message."""

    list_display = ["__str__", "born", "online", "bdseq", "updated", "rebirth_requested"]
    list_filter = ["group", "online"]
    search_fields = ["group", "node"]


@admin.register(SparkplugLease)
class SparkplugLeaseAdmin(ReadOnlyAdmin):
    """Which listener is the Sparkplug primary host, until when (renewed every 5 s)."""

    list_display = ["host_id", "holder", "expires"]
