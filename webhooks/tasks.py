"""Celery entry point for sending webhook deliveries: an id in, one attempt, retry policy."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import services


class WebhookRetryError(Exception):
    """The receiver could not take the delivery now (network error, 429, 5xx)."""


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(WebhookRetryError,),
    retry_backoff=True,
    retry_backoff_max=settings.WEBHOOK_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=settings.WEBHOOK_MAX_RETRIES,
    soft_time_limit=60,
    time_limit=90,
)
def webhook_deliver(self, delivery_id: int) -> str | None:
    outcome = services.webhook_delivery_attempt(
        delivery_id=delivery_id, final=self.request.retries >= self.max_retries
    )
    if outcome == services.RETRY:
        raise WebhookRetryError(f"delivery {delivery_id} will be retried")
    return outcome
