"""Observing events from outside: webhook outbox rows, the recompute state row, and the
after-commit work run in-process (Celery eager, the project's own app) when a test wants it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import pytest
from django.apps import apps

from tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory


def endpoint_model():
    return WebhookEndpointFactory._meta.get_model_class()


def delivery_model():
    return WebhookDeliveryFactory._meta.get_model_class()


def endpoints_for(owner, event: str, count: int, url: str = "") -> list:
    """``count`` active endpoints of ``owner`` subscribed to ``event`` only."""
    return [
        WebhookEndpointFactory(
            owner=owner,
            events=[event],
            **({"url": f"{url}/{n}"} if url else {}),
        )
        for n in range(count)
    ]


def deliveries(event: str):
    return delivery_model().objects.filter(event=event).order_by("endpoint_id", "pk")


def recompute_state_model():
    """``analytics.RecomputeState`` (one row per creator: stale_since, queued_at, …)."""
    try:
        return apps.get_model("analytics", "RecomputeState")
    except LookupError:
        pass
    pytest.fail("analytics.RecomputeState does not exist yet (the figures' stale mark)")


def recompute_state(owner):
    return recompute_state_model().objects.filter(owner=owner).first()


@contextmanager
def celery_in_process():
    """Run what is sent to Celery right here, in this test's transaction (task_always_eager on
    the project's own app), so after-commit work can be observed through the rows it writes."""
    from config import celery_app

    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.task_eager_propagates)
    conf.task_always_eager, conf.task_eager_propagates = True, True
    try:
        yield
    finally:
        conf.task_always_eager, conf.task_eager_propagates = saved


def run_after_commit(callbacks: Iterable) -> None:
    """What the commit would have run, with the tasks it enqueues run in-process (the worker's
    part of an upload on the imports page)."""
    with celery_in_process():
        for callback in list(callbacks):
            callback()


@contextmanager
def tasks_sent() -> Iterator[list[str]]:
    """Collect the names of the tasks published meanwhile, without running them and without
    leaving messages on the real broker: the project's app publishes to kombu's in-memory
    transport (purged afterwards), and Celery's ``before_task_publish`` signal names each one.
    """
    from celery import signals
    from kombu.transport import memory

    from config import celery_app

    sent: list[str] = []

    def record(sender=None, **kwargs):
        sent.append(str(sender))

    conf = celery_app.conf
    saved = (conf.broker_url, conf.broker_write_url, conf.broker_transport_options)
    saved_pools = (celery_app._pool, celery_app.amqp._producer_pool)
    conf.broker_url, conf.broker_write_url, conf.broker_transport_options = "memory://", None, {}
    # Celery itself drops these two cached pools after a fork; the next publish opens new ones
    # on the in-memory broker.
    celery_app._pool = celery_app.amqp._producer_pool = None
    signals.before_task_publish.connect(record, weak=False)
    try:
        yield sent
    finally:
        signals.before_task_publish.disconnect(record)
        with celery_app.connection_for_write() as connection:
            for name in list(memory.Channel.queues):
                connection.default_channel.queue_purge(name)
        conf.broker_url, conf.broker_write_url, conf.broker_transport_options = saved
        celery_app._pool, celery_app.amqp._producer_pool = saved_pools


def commit_and_count_tasks(callbacks: Iterable) -> list[str]:
    """Run what the commit would have run; return the tasks it sent to the workers."""
    with tasks_sent() as sent:
        for callback in list(callbacks):
            callback()
    return sent
