"""Outbound webhooks against a real HTTP receiver on 127.0.0.1: signature, retry, events."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from analytics.services import metrics_recompute_owner
from tests.factories import CourseFactory, VideoDailyStatFactory, VideoFactory
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_event_emit
from webhooks.tasks import webhook_deliver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _receivers_on_this_machine(settings):
    """The receivers below listen on 127.0.0.1 at a random port: allowed here as a self-hosted
    install would allow its own network (tests/security/test_outbound.py tests the refusals)."""
    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.OUTBOUND_PORTS = "1-65535"


@dataclass
class Receiver:
    """Answers with the scripted status codes in turn (then 200) and records each request."""

    url: str
    statuses: list[int] = field(default_factory=list)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append((dict(self.headers), body))
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"try again later")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/coursereel"
    yield state
    server.shutdown()
    server.server_close()


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (the README's snippet): HMAC-SHA256 of the raw body."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def endpoint_for(owner, url: str, events=(Event.SALE_RECORDED,)) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(owner=owner, url=url, events=list(events))


def test_registering_an_endpoint_returns_its_secret(api_a, creator):
    response = api_a.post(
        "/api/v1/webhook-endpoints/",
        {"url": "https://93.184.215.14/hook", "events": ["sale.recorded", "sale.recorded"]},
        format="json",
    )
    assert response.status_code == 201
    data = response.json()
    assert len(data["secret"]) == 64
    assert data["events"] == ["sale.recorded"]
    assert WebhookEndpoint.objects.get(pk=data["id"]).owner == creator

    assert api_a.delete(f"/api/v1/webhook-endpoints/{data['id']}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://a.example/h", "events": []},
        {"url": "https://a.example/h", "events": ["video.deleted"]},
        {"url": "ftp://a.example/h", "events": ["sale.recorded"]},
    ],
)
def test_bad_endpoints_are_refused(api_a, body):
    assert api_a.post("/api/v1/webhook-endpoints/", body, format="json").status_code == 400


def test_a_recorded_sale_is_delivered_signed(
    api_a, creator, receiver, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(creator, receiver.url)
    endpoint_for(creator, receiver.url, events=[Event.IMPORT_FINISHED])  # not interested
    course = CourseFactory(owner=creator)

    with django_capture_on_commit_callbacks() as callbacks:
        response = api_a.post(
            "/api/v1/sales/",
            {"course": course.pk, "unit_price": "99.00", "sold_at": "2026-03-01T12:00:00Z"},
            format="json",
        )
    assert response.status_code == 201
    assert len(callbacks) == 2  # sending (and the recompute) wait for the commit
    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint == endpoint
    assert delivery.status == WebhookDelivery.Status.PENDING

    assert webhook_deliver.apply(args=[delivery.pk]).get() == "succeeded"

    [(headers, body)] = receiver.requests
    assert verify(endpoint.secret, body, headers["X-CourseReel-Signature"])
    assert not verify("another secret", body, headers["X-CourseReel-Signature"])
    assert headers["X-CourseReel-Event"] == "sale.recorded"
    assert headers["X-CourseReel-Delivery"] == str(delivery.pk)
    assert headers["Content-Type"] == "application/json"
    envelope = json.loads(body)
    assert envelope["event"] == "sale.recorded"
    assert envelope["data"]["sales"][0]["id"] == response.json()["id"]
    assert envelope["data"]["sales"][0]["unit_price"] == "99.00"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert delivery.delivered_at is not None


def test_a_5xx_is_retried_until_it_succeeds(creator, receiver):
    endpoint = endpoint_for(creator, receiver.url)
    receiver.statuses = [500, 503]
    [delivery_id] = webhook_event_emit(
        owner_id=creator.pk, event=Event.SALE_RECORDED, payload={"sales": []}
    )

    webhook_deliver.apply(args=[delivery_id])

    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 3, 200)
    bodies = [body for _, body in receiver.requests]
    assert len(bodies) == 3 and len(set(bodies)) == 1  # the same signed body every time
    assert all(
        verify(endpoint.secret, body, headers["X-CourseReel-Signature"])
        for headers, body in receiver.requests
    )


def test_retries_stop_after_the_limit_and_the_delivery_fails(creator, receiver, settings):
    endpoint_for(creator, receiver.url)
    receiver.statuses = [500] * 20
    [delivery_id] = webhook_event_emit(
        owner_id=creator.pk, event=Event.SALE_RECORDED, payload={"sales": []}
    )

    webhook_deliver.apply(args=[delivery_id])

    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 1 + webhook_deliver.max_retries == 6
    assert delivery.last_status_code == 500
    assert delivery.last_error == "http_status"  # the class, never the receiver's answer


def test_a_4xx_is_not_retried(creator, receiver):
    endpoint_for(creator, receiver.url)
    receiver.statuses = [410]
    [delivery_id] = webhook_event_emit(
        owner_id=creator.pk, event=Event.SALE_RECORDED, payload={"sales": []}
    )

    webhook_deliver.apply(args=[delivery_id])

    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 410)


def test_a_network_error_is_retried_and_logged(creator):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint_for(creator, f"http://127.0.0.1:{port}/hook")
    [delivery_id] = webhook_event_emit(
        owner_id=creator.pk, event=Event.SALE_RECORDED, payload={"sales": []}
    )

    webhook_deliver.apply(args=[delivery_id])

    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 6
    assert delivery.last_status_code is None
    assert delivery.last_error == "could_not_connect"


def test_running_a_delivered_task_again_sends_nothing(creator, receiver):
    endpoint_for(creator, receiver.url)
    [delivery_id] = webhook_event_emit(
        owner_id=creator.pk, event=Event.SALE_RECORDED, payload={"sales": []}
    )
    webhook_deliver.apply(args=[delivery_id])
    webhook_deliver.apply(args=[delivery_id])
    assert len(receiver.requests) == 1


def test_no_endpoint_means_no_delivery_and_nothing_enqueued(
    creator, other_creator, django_capture_on_commit_callbacks
):
    endpoint_for(other_creator, "http://127.0.0.1:9/hook")  # another creator's
    endpoint_for(creator, "http://127.0.0.1:9/hook").__class__.objects.filter(owner=creator).update(
        active=False
    )
    with django_capture_on_commit_callbacks() as callbacks:
        ids = webhook_event_emit(owner_id=creator.pk, event=Event.SALE_RECORDED, payload={})
    assert ids == [] and callbacks == []


def test_bulk_sales_emit_one_event(api_a, creator, receiver):
    endpoint_for(creator, receiver.url)
    course = CourseFactory(owner=creator)
    rows = [
        {"course": course.pk, "unit_price": "10.00", "sold_at": "2026-03-01T12:00:00Z"}
        for _ in range(3)
    ]
    assert api_a.post("/api/v1/sales/bulk/", {"rows": rows}, format="json").status_code == 201
    delivery = WebhookDelivery.objects.get()
    assert len(delivery.payload["sales"]) == 3


def test_a_recompute_emits_metrics_recomputed(creator, receiver):
    endpoint = endpoint_for(creator, receiver.url, events=[Event.METRICS_RECOMPUTED])
    VideoDailyStatFactory(video=VideoFactory(owner=creator))

    run = metrics_recompute_owner(owner_id=creator.pk, trigger="test")

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.event == "metrics.recomputed"
    assert delivery.payload["run"] == run.pk
    webhook_deliver.apply(args=[delivery.pk])
    headers, body = receiver.requests[0]
    assert headers["X-CourseReel-Event"] == "metrics.recomputed"
    assert verify(endpoint.secret, body, headers["X-CourseReel-Signature"])


def test_deliveries_are_listed_for_their_owner_only(api_a, api_b, creator):
    endpoint_for(creator, "http://127.0.0.1:9/hook")
    webhook_event_emit(owner_id=creator.pk, event=Event.SALE_RECORDED, payload={"sales": []})
    assert api_a.get("/api/v1/webhook-deliveries/").json()["count"] == 1
    assert api_b.get("/api/v1/webhook-deliveries/").json()["count"] == 0
