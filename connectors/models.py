"""Shop connections that send or hand over sales by themselves, and the events they refused."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from core.models import OwnedQuerySet, TimestampedModel

from . import refusals


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
    # Stripe with a restricted key: {"<price id>": {"course": id, "tier": id|None}}.
    price_mapping = models.JSONField(_("price mapping"), default=dict, blank=True)
    # Prices seen in sessions' line items that no mapping names: {"<price id>": "<name>"}.
    unmatched_prices = models.JSONField(_("unmatched prices"), default=dict, blank=True)
    last_event_at = models.DateTimeField(_("last event"), null=True, blank=True)
    last_poll_at = models.DateTimeField(_("last poll"), null=True, blank=True)
    # Orders updated after this moment are what the next poll asks for.
    poll_cursor = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    # What ``last_error`` says as a code and its parameters (connectors/refusals.py), so the
    # page and the API give it in the reader's language.
    last_error_code = models.CharField(max_length=40, blank=True, editable=False)
    last_error_params = models.JSONField(default=dict, blank=True, editable=False)
    # A poll running now: when it started, its worker's last heartbeat and the worker; a poll
    # whose heartbeat is stale (its worker was killed) is settled by the reaper.
    poll_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    poll_heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    poll_worker = models.CharField(max_length=200, blank=True, editable=False)
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

    @property
    def last_error_message(self) -> str:
        """``last_error`` in the active language (the stored English when it has no code)."""
        return refusals.message(
            self.last_error_code, self.last_error_params, fallback=self.last_error
        )


class RefusedEvent(models.Model):
    OWNER_PATH = "connection__owner"

    connection = models.ForeignKey(
        SalesConnection, on_delete=models.CASCADE, related_name="refused_events"
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=300)
    # The reason as a code and its parameters (connectors/refusals.py): shown translated.
    code = models.CharField(_("code"), max_length=40, blank=True)
    params = models.JSONField(default=dict, blank=True)
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

    @property
    def message(self) -> str:
        """The reason in the active language (the stored English when it has no code)."""
        return refusals.message(self.code, self.params, fallback=self.reason)


class PlatformConnection(TimestampedModel):
    """A creator's account (or list of videos) on a video platform whose lifetime counts
    CourseReel pulls on a cadence by video age (``PLATFORM_SYNC_CADENCE``)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Working")
        FAILING = "failing", _("Failing")
        REAUTHORISE = "reauthorise", _("Needs re-authorisation")
        PAUSED = "paused", _("Paused")

    SLUGS = ("bilibili", "youtube-shorts", "douyin", "kuaishou")
    OAUTH_SLUGS = ("douyin", "kuaishou")
    OWNER_PATH = "owner"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="platform_connections"
    )
    platform = models.ForeignKey(
        "videos.Platform", on_delete=models.PROTECT, related_name="connections"
    )
    # Bilibili: the uploader's mid; YouTube: the channel id (UC…); Douyin/Kuaishou: open_id.
    account_id = models.CharField(_("account id"), max_length=100, blank=True)
    # Videos named one by one (BV ids, YouTube video ids); with an account, its videos too.
    video_ids = models.JSONField(_("video ids"), default=list, blank=True)
    api_key = EncryptedTextField(_("API key"), blank=True, default="")
    access_token = EncryptedTextField(_("access token"), blank=True, default="")
    refresh_token = EncryptedTextField(_("refresh token"), blank=True, default="")
    token_expires_at = models.DateTimeField(_("token expires at"), null=True, blank=True)
    open_id = models.CharField(_("open id"), max_length=100, blank=True)
    secret_hint = models.CharField(_("secret"), max_length=12, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.ACTIVE)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True, db_index=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    # The last error's message id and parameters: shown again in the reader's language
    # (the sync ran in the worker's), see connectors.platforms.messages.
    last_error_detail = models.JSONField(
        _("last error (translatable)"), default=dict, blank=True, editable=False
    )
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    rate_limit_waits = models.PositiveIntegerField(_("rate-limit waits"), default=0)
    rate_limit_wait_seconds = models.FloatField(_("seconds waited for rate limits"), default=0)
    snapshots_stored = models.PositiveIntegerField(_("snapshots stored"), default=0)
    videos_created = models.PositiveIntegerField(_("videos created"), default=0)
    last_fetched = models.PositiveIntegerField(_("videos fetched by the last sync"), default=0)
    # When the account was last asked for its list of videos (new uploads).
    discovered_at = models.DateTimeField(null=True, blank=True, editable=False)
    # {"<platform video id>": "<ISO moment of its last snapshot>"}: the cadence reads it.
    synced_at = models.JSONField(default=dict, blank=True, editable=False)
    # Videos the platform no longer shows: {"<id>": "<plain reason>"}.
    gone = models.JSONField(default=dict, blank=True, editable=False)
    # Counts the platform corrected down in the last sync: how many, and the first few
    # ([{"video": pk, "title": "…", "field": "views", "before": 1200, "after": 1150}]).
    last_corrections_count = models.PositiveIntegerField(
        _("counts corrected down by the last sync"), default=0, editable=False
    )
    last_corrections = models.JSONField(default=list, blank=True, editable=False)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("platform connection")
        verbose_name_plural = _("platform connections")
        indexes = [models.Index(fields=["status", "next_run_at"])]

    def __str__(self) -> str:
        return f"{self.platform.label} {self.account_id or ''}".strip()

    @property
    def last_error_text(self) -> str:
        """The last error in the active language."""
        from .platforms.messages import render

        if not self.last_error:
            return ""
        return render(self.last_error_detail, self.last_error, platform=self.platform.label)

    @property
    def last_corrections_shown(self) -> list[dict]:
        """The last sync's corrections with the count's name in the active language."""
        names = {
            "views": _("views"), "likes": _("likes"), "comments": _("comments"),
            "shares": _("shares"), "saves": _("saves"), "coins": _("coins"),
            "danmaku": _("danmaku"),
        }  # fmt: skip
        return [
            {**item, "field_label": str(names.get(item.get("field"), item.get("field", "")))}
            for item in self.last_corrections or []
        ]

    @property
    def uses_oauth(self) -> bool:
        return self.platform.slug in self.OAUTH_SLUGS
