"""Shop connections that send or hand over sales by themselves, and the events they refused."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from core.models import OwnedQuerySet, TimestampedModel


def receive_token_new() -> str:
    """The unguessable part of a receive URL: 256 random bits."""
    return secrets.token_urlsafe(32)


class SalesConnection(TimestampedModel):
    class Kind(models.TextChoices):
        STRIPE = "stripe", "Stripe"
        XIAOE = "xiaoe", _("Xiaoe-tech")
        GENERIC = "generic", _("Any shop (signed webhook)")

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for the first sale")
        OK = "ok", _("Working")
        ERROR = "error", _("Needs attention")
        PAUSED = "paused", _("Paused")

    PUSH_KINDS = (Kind.STRIPE, Kind.GENERIC)
    OWNER_PATH = "owner"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sales_connections"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    name = models.CharField(_("name"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.WAITING)
    receive_token = models.CharField(
        max_length=64, unique=True, default=receive_token_new, editable=False
    )
    # JSON of the kind's secrets (signing secret, client secret …), encrypted at rest.
    secrets = EncryptedTextField(_("secrets"), blank=True, default="")
    # {"USD": "7.10"}: how many of the course's currency one unit of that currency buys.
    currency_rates = models.JSONField(_("currency rates"), default=dict, blank=True)
    # Xiaoe-tech: {"<resource_id or goods name>": {"course": id, "tier": id|None}}.
    goods_mapping = models.JSONField(_("goods mapping"), default=dict, blank=True)
    # Goods seen in orders that no mapping names: {"<resource_id>": "<goods name>"}.
    unmatched_goods = models.JSONField(_("unmatched goods"), default=dict, blank=True)
    last_event_at = models.DateTimeField(_("last event"), null=True, blank=True)
    last_poll_at = models.DateTimeField(_("last poll"), null=True, blank=True)
    # Orders updated after this moment are what the next poll asks for.
    poll_cursor = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    sales_created = models.PositiveIntegerField(_("sales created"), default=0)
    sales_updated = models.PositiveIntegerField(_("sales updated"), default=0)
    events_refused = models.PositiveIntegerField(_("events refused"), default=0)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("sales connection")
        verbose_name_plural = _("sales connections")

    def __str__(self) -> str:
        return self.name or self.get_kind_display()

    @property
    def is_push(self) -> bool:
        return self.kind in self.PUSH_KINDS


class RefusedEvent(models.Model):
    OWNER_PATH = "connection__owner"

    connection = models.ForeignKey(
        SalesConnection, on_delete=models.CASCADE, related_name="refused_events"
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=300)
    external_id = models.CharField(_("order id"), max_length=120, blank=True)
    # The first few hundred characters of what was sent, never a secret.
    excerpt = models.TextField(_("excerpt"), blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("refused event")
        verbose_name_plural = _("refused events")
        indexes = [models.Index(fields=["connection", "-received_at"])]

    def __str__(self) -> str:
        return f"{self.external_id or '?'}: {self.reason}"
