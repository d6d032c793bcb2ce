from django.contrib import admin

from core.admin import OwnedModelAdmin, ReadOnlyTabularInline

from . import services
from .models import WebhookDelivery, WebhookEndpoint


class DeliveryInline(ReadOnlyTabularInline):
    model = WebhookDelivery
    fields = ("created_at", "event", "status", "attempts", "last_status_code", "last_error")
    readonly_fields = fields
    ordering = ("-created_at",)
    max_num = 0


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(OwnedModelAdmin):
    list_display = ("url", "events", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("url", "description")
    readonly_fields = ("secret", "created_at", "updated_at")
    inlines = (DeliveryInline,)

    def service_check(self, request, instance) -> None:
        if instance.url:
            services.webhook_endpoint_check(endpoint=instance)

    def service_save(self, request, instance, change: bool):
        return services.webhook_endpoint_save(endpoint=instance)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(OwnedModelAdmin):
    """Deliveries are written by the sender; creators read them."""

    list_display = ("event", "endpoint", "status", "attempts", "last_status_code", "created_at")
    list_filter = ("status", "event")
    list_select_related = ("endpoint",)
    search_fields = ("endpoint__url",)
    readonly_fields = (
        "endpoint",
        "event",
        "payload",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "last_attempt_at",
        "delivered_at",
        "created_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
