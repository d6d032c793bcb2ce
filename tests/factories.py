"""factory_boy factories for every model; related rows always share one owner."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from analytics.models import (
    CreatorSettings,
    EngagementMetric,
    ExcludedDay,
    ForecastPoint,
    PlatformRanking,
    RecomputeRun,
    RecomputeState,
    SalesForecast,
)
from campaigns.models import Campaign, InteractionTactic, LiveSession, ScheduledPost
from core import codes
from core.services import creator_create
from courses.models import CompetitorPrice, Course, Discount, Level, PriceTier, Sale
from imports.models import ImportJob
from tracking.models import FunnelStat, LinkClick, SaleAttribution, TrackingLink
from videos.models import PipelineStatus, Platform, Video, VideoDailyStat, VideoSnapshot
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint


class CreatorFactory(factory.django.DjangoModelFactory):
    """A creator: staff, not superuser, in the Creators group (password = username)."""

    class Meta:
        model = "auth.User"

    username = factory.Sequence(lambda n: f"creator{n}")

    @classmethod
    def _create(cls, model_class, *args, username, **kwargs):
        return creator_create(username=username, password=username)


def platform(slug: str = "douyin") -> Platform:
    return Platform.objects.get(slug=slug)


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    owner = factory.SubFactory(CreatorFactory)
    title = factory.Sequence(lambda n: f"Course {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    topic = "Python"
    level = Level.BEGINNER
    launch_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=10))


class PriceTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceTier

    course = factory.SubFactory(CourseFactory)
    level = Level.BEGINNER
    name = factory.Sequence(lambda n: f"Tier {n}")
    list_price = Decimal("99.00")


class DiscountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Discount

    course = factory.SubFactory(CourseFactory)
    name = "Early bird"
    kind = Discount.Kind.PERCENT
    value = Decimal("20")
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))


class CompetitorPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompetitorPrice

    course = factory.SubFactory(CourseFactory)
    competitor = factory.Sequence(lambda n: f"Rival {n}")
    price = Decimal("129.00")


class VideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Video

    owner = factory.SubFactory(CreatorFactory)
    course = factory.SubFactory(CourseFactory, owner=factory.SelfAttribute("..owner"))
    platform = factory.LazyFunction(platform)
    platform_video_id = factory.Sequence(lambda n: f"vid-{n}")
    title = factory.Sequence(lambda n: f"Video {n}")
    length_seconds = 300
    production_level = 4
    usefulness = 3
    status = PipelineStatus.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))


class SaleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sale

    course = factory.SubFactory(CourseFactory)
    tier = factory.SubFactory(PriceTierFactory, course=factory.SelfAttribute("..course"))
    platform = factory.LazyFunction(platform)
    quantity = 1
    unit_price = Decimal("99.00")
    sold_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))


class VideoDailyStatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VideoDailyStat

    video = factory.SubFactory(VideoFactory)
    # Always in the past (yesterday and before), whatever the sequence has reached.
    date = factory.Sequence(lambda n: timezone.localdate() - timedelta(days=1 + n % 3650))
    views = 1000
    interactions = 100
    comments = 10
    likes = 50
    shares = 20
    saves = 20


class VideoSnapshotFactory(factory.django.DjangoModelFactory):
    """A lifetime-counts observation (stored as is: no days derived; use snapshots_record)."""

    class Meta:
        model = VideoSnapshot

    video = factory.SubFactory(VideoFactory)
    observed_at = factory.Sequence(lambda n: timezone.now() - timedelta(hours=1 + n))
    source = "connector"
    views = 5000
    likes = 300
    comments = 40
    shares = 10
    saves = 25


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    owner = factory.SubFactory(CreatorFactory)
    course = factory.SubFactory(CourseFactory, owner=factory.SelfAttribute("..owner"))
    name = factory.Sequence(lambda n: f"Campaign {n}")
    launch_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=10))


class ScheduledPostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScheduledPost

    campaign = factory.SubFactory(CampaignFactory)
    video = factory.SubFactory(VideoFactory, owner=factory.SelfAttribute("..campaign.owner"))
    platform = factory.LazyFunction(platform)
    planned_at = factory.LazyAttribute(
        lambda o: (
            timezone.make_aware(
                timezone.datetime.combine(o.campaign.launch_date, timezone.datetime.min.time())
            )
            + timedelta(hours=19)
        )
    )


class LiveSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiveSession

    campaign = factory.SubFactory(CampaignFactory)
    platform = factory.LazyFunction(platform)
    title = "Launch live"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))


class InteractionTacticFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InteractionTactic

    campaign = factory.SubFactory(CampaignFactory)
    kind = InteractionTactic.Kind.HASHTAG
    text = "#python"


class CreatorSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreatorSettings

    owner = factory.SubFactory(CreatorFactory)


class EngagementMetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EngagementMetric

    video = factory.SubFactory(VideoFactory)
    window = "lifetime"
    computed_at = factory.LazyFunction(timezone.now)


class SalesForecastFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesForecast

    course = factory.SubFactory(CourseFactory)
    model = SalesForecast.Model.EXPONENTIAL
    s0 = 10.0
    growth_rate = 0.01
    computed_at = factory.LazyFunction(timezone.now)


class ExcludedDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExcludedDay

    course = factory.SubFactory(CourseFactory)
    day = factory.Sequence(lambda n: timezone.localdate() - timedelta(days=n + 1))
    reason = ExcludedDay.Reason.OTHER


class ForecastPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForecastPoint

    forecast = factory.SubFactory(SalesForecastFactory)
    day = factory.Sequence(lambda n: date(2026, 1, 1) + timedelta(days=n))
    units = 10.0
    lower = 8.0
    upper = 12.0
    cumulative_units = 10.0
    revenue = Decimal("900.00")


class PlatformRankingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlatformRanking

    course = factory.SubFactory(CourseFactory)
    platform = factory.LazyFunction(platform)
    audience_match = 0.5
    traffic_score = 1.0
    commission_rate = 0.1
    score = 0.7
    rank = 1
    computed_at = factory.LazyFunction(timezone.now)


class RecomputeRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecomputeRun

    owner = factory.SubFactory(CreatorFactory)
    status = RecomputeRun.Status.SUCCEEDED
    started_at = factory.LazyFunction(timezone.now)


class ImportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportJob

    owner = factory.SubFactory(CreatorFactory)
    kind = ImportJob.Kind.STATS
    original_filename = factory.Sequence(lambda n: f"export-{n}.csv")
    file = factory.django.FileField(filename="export.csv", data=b"platform_video_id,date\n")


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    owner = factory.SubFactory(CreatorFactory)
    url = factory.Sequence(lambda n: f"https://hooks.example.com/{n}")
    events = factory.LazyFunction(lambda: [Event.SALE_RECORDED])


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event = Event.SALE_RECORDED
    payload = factory.LazyFunction(lambda: {"sale": 1})


# Every creator-owned model → a factory that makes one row owned by the given creator.
class TrackingLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrackingLink

    video = factory.SubFactory(VideoFactory)
    owner = factory.SelfAttribute("video.owner")
    code = factory.LazyFunction(codes.code_generate)


class LinkClickFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LinkClick

    link = factory.SubFactory(TrackingLinkFactory)
    clicked_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    visitor = "0123456789abcdef"


class SaleAttributionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SaleAttribution

    sale = factory.SubFactory(SaleFactory)
    method = "none"
    computed_at = factory.LazyFunction(timezone.now)


class FunnelStatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FunnelStat

    owner = factory.SubFactory(CreatorFactory)
    scope = "topic"
    key = factory.Sequence(lambda n: f"t:topic {n}")
    topic = factory.Sequence(lambda n: f"Topic {n}")
    computed_at = factory.LazyFunction(timezone.now)


def owned_row(model, owner):
    """Make one row of ``model`` belonging to ``owner`` (used by isolation matrices)."""
    course = lambda: CourseFactory(owner=owner)  # noqa: E731
    makers = {
        Course: lambda: CourseFactory(owner=owner),
        PriceTier: lambda: PriceTierFactory(course=course()),
        Discount: lambda: DiscountFactory(course=course()),
        CompetitorPrice: lambda: CompetitorPriceFactory(course=course()),
        Sale: lambda: SaleFactory(course=course()),
        Video: lambda: VideoFactory(owner=owner),
        VideoDailyStat: lambda: VideoDailyStatFactory(video=VideoFactory(owner=owner)),
        VideoSnapshot: lambda: VideoSnapshotFactory(video=VideoFactory(owner=owner)),
        Campaign: lambda: CampaignFactory(owner=owner),
        ScheduledPost: lambda: ScheduledPostFactory(campaign=CampaignFactory(owner=owner)),
        LiveSession: lambda: LiveSessionFactory(campaign=CampaignFactory(owner=owner)),
        InteractionTactic: lambda: InteractionTacticFactory(campaign=CampaignFactory(owner=owner)),
        CreatorSettings: lambda: CreatorSettingsFactory(owner=owner),
        EngagementMetric: lambda: EngagementMetricFactory(video=VideoFactory(owner=owner)),
        SalesForecast: lambda: SalesForecastFactory(course=course()),
        ForecastPoint: lambda: ForecastPointFactory(forecast=SalesForecastFactory(course=course())),
        PlatformRanking: lambda: PlatformRankingFactory(course=course()),
        ExcludedDay: lambda: ExcludedDayFactory(course=course()),
        RecomputeRun: lambda: RecomputeRunFactory(owner=owner),
        RecomputeState: lambda: RecomputeState.objects.create(owner=owner),
        ImportJob: lambda: ImportJobFactory(owner=owner),
        WebhookEndpoint: lambda: WebhookEndpointFactory(owner=owner),
        WebhookDelivery: lambda: WebhookDeliveryFactory(
            endpoint=WebhookEndpointFactory(owner=owner)
        ),
        TrackingLink: lambda: TrackingLinkFactory(video=VideoFactory(owner=owner)),
        LinkClick: lambda: LinkClickFactory(
            link=TrackingLinkFactory(video=VideoFactory(owner=owner))
        ),
        SaleAttribution: lambda: SaleAttributionFactory(sale=SaleFactory(course=course())),
        FunnelStat: lambda: FunnelStatFactory(owner=owner),
    }
    return makers[model]()
