"""Campaigns, live sessions and tactics write through the campaign services: each write
announces campaign.changed (figures stale in the transaction, one recompute after commit), and
the model's rules reach the API as 400 on the field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import RecomputeState
from campaigns.models import Campaign, InteractionTactic, LiveSession
from core import events
from tests.factories import CampaignFactory, CourseFactory, LiveSessionFactory, platform


def stale(owner) -> bool:
    return RecomputeState.objects.filter(owner=owner, stale_since__isnull=False).exists()


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(
        "analytics.tasks.recompute_owner_metrics.delay", lambda *args: calls.append(args)
    )
    return calls


def _launch(days: int = 10) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_creating_a_campaign_goes_through_campaign_create(
    api_a, creator, sent, django_capture_on_commit_callbacks
):
    course = CourseFactory(owner=creator)
    body = {
        "course": course.pk,
        "name": "Launch",
        "launch_date": _launch(),
        "platforms": [platform("douyin").pk],
        "goal_units": 120,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.post("/api/v1/campaigns/", body, format="json")
    assert response.status_code == 201, response.content
    campaign = Campaign.objects.get(pk=response.json()["id"])
    assert campaign.owner == creator and campaign.goal_units == 120
    assert [p.slug for p in campaign.platforms.all()] == ["douyin"]
    assert stale(creator) and sent == [(creator.pk, "campaign.changed")]


def test_a_campaign_window_over_the_limit_is_refused_on_its_field(api_a, creator, sent):
    campaign = CampaignFactory(owner=creator)
    response = api_a.patch(
        f"/api/v1/campaigns/{campaign.pk}/", {"prelaunch_days": 61}, format="json"
    )
    assert response.status_code == 400
    assert "prelaunch_days" in response.json()["error"]["fields"]
    assert not stale(creator) and sent == []


@pytest.mark.parametrize("kind", ["live-sessions", "interaction-tactics"])
def test_campaign_rows_announce_campaign_changed(
    api_a, creator, sent, kind, django_capture_on_commit_callbacks
):
    campaign = CampaignFactory(owner=creator)
    campaign.platforms.set([platform("douyin")])
    start = timezone.now() + timedelta(days=10)
    body = {
        "live-sessions": {
            "campaign": campaign.pk,
            "platform": platform("douyin").pk,
            "title": "Q&A",
            "starts_at": start.isoformat(),
            "duration_minutes": 60,
        },
        "interaction-tactics": {"campaign": campaign.pk, "kind": "hashtag", "text": "#go"},
    }[kind]
    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.post(f"/api/v1/{kind}/", body, format="json")
    assert response.status_code == 201, response.content
    assert stale(creator) and sent == [(creator.pk, "campaign.changed")]

    RecomputeState.objects.update(stale_since=None, queued_at=None)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.delete(f"/api/v1/{kind}/{response.json()['id']}/")
    assert response.status_code == 204
    assert stale(creator) and sent == [(creator.pk, "campaign.changed")]
    assert not LiveSession.objects.exists() and not InteractionTactic.objects.exists()


def test_a_live_session_outside_the_windows_is_refused_and_marks_nothing(
    api_a, creator, sent, django_capture_on_commit_callbacks
):
    session = LiveSessionFactory(campaign=CampaignFactory(owner=creator))
    far = timezone.now() + timedelta(days=200)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api_a.patch(
            f"/api/v1/live-sessions/{session.pk}/", {"starts_at": far.isoformat()}, format="json"
        )
    assert response.status_code == 400
    assert "starts_at" in response.json()["error"]["fields"]
    assert not stale(creator) and callbacks == [] and sent == []


def test_quiet_writes_announce_nothing(creator, django_capture_on_commit_callbacks):
    from webhooks.models import WebhookDelivery as Delivery
    from webhooks.models import WebhookEndpoint as Endpoint

    Endpoint.objects.create(
        owner=creator, url="https://hooks.example.com/x", events=["sale.recorded"]
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks, events.quiet():
        events.emit(events.Event.SALE_RECORDED, owner_id=creator.pk, payload={"sales": []})
    assert callbacks == [] and not Delivery.objects.exists() and not stale(creator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        events.emit(events.Event.SALE_RECORDED, owner_id=creator.pk, payload={"sales": []})
    assert Delivery.objects.count() == 1 and stale(creator) and callbacks
