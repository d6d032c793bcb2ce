"""Outbound webhooks: where a creator wants events sent, and every attempt to send one."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from core.events import Event as HubEvent
from core.models import OwnedQuerySet, TimestampedModel


class Event(models.TextChoices):
    """The hub's events a creator can have sent to a URL (values of ``core.events.Event``)."""

    IMPORT_FINISHED = HubEvent.IMPORT_FINISHED.value, _("Import finished")
    METRICS_RECOMPUTED = HubEvent.METRICS_RECOMPUTED.value, _("Metrics recomputed")
    SALE_RECORDED = HubEvent.SALE_RECORDED.value, _("Sale recorded")
    SALE_REFUNDED = HubEvent.SALE_REFUNDED.value, _("Sale refunded")
    STATS_CHANGED = HubEvent.STATS_CHANGED.value, _("Statistics changed")


def new_secret() -> str:
    """256 random bits: the receiver checks each body's HMAC with it."""
    return secrets.token_hex(32)


class WebhookEndpoint(TimestampedModel):
    OWNER_PATH = "owner"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(
        _("URL"), max_length=500, validators=[URLValidator(schemes=["http", "https"])]
    )
    # Read back to sign every delivery, so encrypted (core.crypto), not hashed.
    secret = EncryptedTextField(_("signing secret"), default=new_secret)
    events = models.JSONField(
        _("events"), default=list, help_text=_("Event names sent to this URL.")
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        if not isinstance(self.events, list) or not self.events:
            raise ValidationError({"events": _("Choose at least one event.")})
        unknown = sorted(set(map(str, self.events)) - set(Event.values))
        if unknown:
            raise ValidationError({"events": _("Unknown events: %s") % ", ".join(unknown)})

    def wants(self, event: str) -> bool:
        return self.active and event in self.events


class WebhookDelivery(TimestampedModel):
    """One event for one endpoint; ``attempts`` counts the POSTs made so far."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Error(models.TextChoices):
        """What went wrong, as a class only: the receiver's answer body is never kept (it
        could be an internal service's reply), and a refused connection, a timeout or a TLS
        failure are one class, so the log cannot be used to scan ports."""

        HTTP_STATUS = "http_status", _("The receiver answered with an error status")
        COULD_NOT_CONNECT = "could_not_connect", _("Could not connect to the receiver")
        ADDRESS_NOT_ALLOWED = "address_not_allowed", _("The receiver's address is not allowed")
        ENDPOINT_DISABLED = "endpoint_disabled", _("The endpoint is switched off")

    OWNER_PATH = "endpoint__owner"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=40, choices=Event)
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True)
    last_error = models.TextField(_("last error"), choices=Error, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["endpoint", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint} ({self.status})"
