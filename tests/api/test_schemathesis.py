"""schemathesis against our own OpenAPI schema, in process through the WSGI application.

Every operation is called with generated data by a seeded creator's token; the checks are
"no 5xx" and "the response matches the schema". Bounded and repeatable: a fixed number of
examples per operation, derandomized (the same examples on every run), no example database.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from analytics.models import SalesForecast
from campaigns.models import Campaign
from core.tokens import api_token_rotate
from courses.models import Course
from tests.factories import (
    CampaignFactory,
    CourseFactory,
    DiscountFactory,
    EngagementMetricFactory,
    ForecastPointFactory,
    FunnelStatFactory,
    LinkClickFactory,
    PlatformRankingFactory,
    PriceTierFactory,
    SaleAttributionFactory,
    SaleFactory,
    SalesForecastFactory,
    ScheduledPostFactory,
    TrackingLinkFactory,
    VideoDailyStatFactory,
    VideoFactory,
    platform,
)
from tracking.models import AttributionMethod

from .makers import import_job, webhook_endpoint

# CI runs 50 generated examples per operation (about 2.5 minutes for the whole API). For a
# deeper local run: SCHEMATHESIS_MAX_EXAMPLES=500 SCHEMATHESIS_COVERAGE=1 (adds schemathesis'
# boundary-value "coverage" cases, ~1,000 per write operation; many minutes).
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "50"))
PHASES = (
    [Phase.explicit, Phase.generate]
    if os.environ.get("SCHEMATHESIS_COVERAGE")
    else [Phase.generate]
)
CHECKS = [not_a_server_error, response_schema_conformance]


def seed(owner) -> None:
    """A little of everything, so generated ids sometimes hit real rows."""
    course: Course = CourseFactory(owner=owner, audience_tags=["developers"])
    tier = PriceTierFactory(course=course)
    DiscountFactory(course=course, tier=tier)
    sale = SaleFactory(course=course, tier=tier)
    video = VideoFactory(owner=owner, course=course)
    link = TrackingLinkFactory(video=video)
    LinkClickFactory(link=link)
    SaleAttributionFactory(sale=sale, method=AttributionMethod.CODE, link=link, video=video)
    FunnelStatFactory(owner=owner)
    VideoDailyStatFactory(video=video)
    EngagementMetricFactory(video=video)
    forecast: SalesForecast = SalesForecastFactory(course=course)
    ForecastPointFactory(forecast=forecast)
    PlatformRankingFactory(course=course)
    campaign: Campaign = CampaignFactory(owner=owner, course=course)
    campaign.platforms.add(platform())
    post = ScheduledPostFactory(campaign=campaign, video=video)
    TrackingLinkFactory(video=None, post=post, owner=owner)
    ScheduledPostFactory(campaign=campaign, video=video)  # without a link yet
    webhook_endpoint(owner)
    import_job(owner)


@pytest.fixture
def token(db, creator):
    """A seeded creator's token; the WSGI app runs inside this test's transaction."""
    seed(creator)
    # The WSGI handler closes "old" connections at the end of each request, which would end
    # this test's transaction; Django's own test client unhooks the same signal.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    original_rates = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = {"user": None, "anon": None}
    yield api_token_rotate(user=creator).key
    SimpleRateThrottle.THROTTLE_RATES = original_rates
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# Loading the schema needs no database: it is public and generated from the code.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=PHASES,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
