"""Short videos that promote a course, the platforms they run on, and their daily numbers."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import OwnedQuerySet, TimestampedModel

from .platforms import LABELS


class Platform(models.Model):
    """Shared reference data (seeded by a migration); creators read it, operators edit it."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    audience_tags = models.JSONField(
        _("audience tags"),
        default=list,
        blank=True,
        help_text=_('Who watches here, e.g. ["students", "developers"].'),
    )
    traffic_scale = models.PositiveSmallIntegerField(
        _("traffic scale"),
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("Relative reach, 1 (niche) to 10 (largest)."),
    )
    commission_rate = models.DecimalField(
        _("commission rate"),
        max_digits=4,
        decimal_places=3,
        help_text=_("Share of the price the platform keeps, 0 to 1."),
    )
    ideal_length_seconds = models.PositiveIntegerField(_("ideal length (s)"), default=60)

    class Meta:
        ordering = ["name"]
        verbose_name = _("platform")
        verbose_name_plural = _("platforms")
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_rate__gte=0) & Q(commission_rate__lte=1),
                name="platform_commission_between_0_and_1",
            ),
            models.CheckConstraint(
                condition=Q(traffic_scale__gte=1) & Q(traffic_scale__lte=10),
                name="platform_traffic_scale_1_to_10",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name a creator reads, in the active language (抖音 in Chinese)."""
        label = LABELS.get(self.slug)
        return str(label) if label is not None else self.name


class PipelineStatus(models.TextChoices):
    IDEA = "idea", _("Idea")
    SCRIPT = "script", _("Script")
    SHOOTING = "shooting", _("Shooting")
    EDITING = "editing", _("Editing")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")


class Video(TimestampedModel):
    OWNER_PATH = "owner"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="videos"
    )
    course = models.ForeignKey(
        "courses.Course", on_delete=models.SET_NULL, null=True, blank=True, related_name="videos"
    )
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="videos")
    platform_video_id = models.CharField(
        _("platform video id"),
        max_length=100,
        blank=True,
        help_text=_("The id in the platform's export; joins imported statistics to this video."),
    )
    title = models.CharField(_("title"), max_length=200)
    topic = models.CharField(_("topic"), max_length=120, blank=True)
    target_audience = models.CharField(_("target audience"), max_length=200, blank=True)
    length_seconds = models.PositiveIntegerField(_("length (s)"), default=60)
    production_level = models.PositiveSmallIntegerField(
        _("production level"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("Q in the quality score, 1 (phone, one take) to 5 (studio)."),
    )
    usefulness = models.PositiveSmallIntegerField(
        _("usefulness"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("U in the quality score, 1 to 5: how much a viewer can apply."),
    )
    hashtags = models.CharField(
        _("hashtags"),
        max_length=400,
        blank=True,
        help_text=_("Space separated, e.g. #python #面试"),
    )
    script_opening = models.TextField(_("script: opening"), blank=True)
    script_body = models.TextField(_("script: body"), blank=True)
    script_closing = models.TextField(_("script: closing"), blank=True)
    status = models.CharField(
        _("pipeline status"), max_length=12, choices=PipelineStatus, default=PipelineStatus.IDEA
    )
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name = _("video")
        verbose_name_plural = _("videos")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "platform", "platform_video_id"],
                condition=~Q(platform_video_id=""),
                name="video_unique_platform_id_per_owner",
            ),
            models.CheckConstraint(
                condition=Q(production_level__gte=1) & Q(production_level__lte=5),
                name="video_production_level_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(usefulness__gte=1) & Q(usefulness__lte=5),
                name="video_usefulness_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["owner", "course"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def length_minutes(self) -> float:
        """L in the quality score is measured in minutes."""
        return self.length_seconds / 60

    @property
    def hashtag_list(self) -> list[str]:
        return [tag for tag in self.hashtags.replace(",", " ").split() if tag]

    def clean(self) -> None:
        if self.course_id and self.owner_id and self.course.owner_id != self.owner_id:
            raise ValidationError({"course": _("Choose one of your own courses.")})
        if self.status == PipelineStatus.PUBLISHED and not self.published_at:
            raise ValidationError({"published_at": _("A published video needs its publish time.")})


class StatOrigin(models.TextChoices):
    """Where a day's numbers came from. A day imported as daily numbers wins over a day derived
    from snapshots: the derivation never overwrites it."""

    IMPORTED = "imported", _("Imported as daily numbers")
    DERIVED = "derived", _("Derived from snapshots")


class VideoDailyStat(models.Model):
    """One video's numbers for one day (daily, not running totals): imported as such, or
    derived from consecutive snapshots (``origin``). ``views`` is None when the source does not
    report views (unknown, not zero); ``estimated`` marks a day that received an even share of
    a gain spread over days without an observation."""

    OWNER_PATH = "video__owner"

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="daily_stats")
    date = models.DateField(_("date"))
    views = models.PositiveBigIntegerField(_("views"), null=True, blank=True, default=0)
    interactions = models.PositiveBigIntegerField(_("interactions"), default=0)
    comments = models.PositiveBigIntegerField(_("comments"), default=0)
    likes = models.PositiveBigIntegerField(_("likes"), default=0)
    shares = models.PositiveBigIntegerField(_("shares"), default=0)
    saves = models.PositiveBigIntegerField(_("saves"), default=0)
    link_clicks = models.PositiveBigIntegerField(_("link clicks"), default=0)
    origin = models.CharField(
        _("origin"), max_length=10, choices=StatOrigin, default=StatOrigin.IMPORTED
    )
    estimated = models.BooleanField(_("estimated"), default=False)

    objects = OwnedQuerySet.as_manager()

    COUNT_FIELDS = ("views", "interactions", "comments", "likes", "shares", "saves", "link_clicks")

    class Meta:
        ordering = ["video", "date"]
        verbose_name = _("daily statistic")
        verbose_name_plural = _("daily statistics")
        constraints = [
            models.UniqueConstraint(fields=["video", "date"], name="dailystat_unique_video_date"),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 0}), name=f"dailystat_{name}_not_negative"
                )
                for name in (
                    "views",
                    "interactions",
                    "comments",
                    "likes",
                    "shares",
                    "saves",
                    "link_clicks",
                )
            ],
        ]
        indexes = [models.Index(fields=["date"])]

    def __str__(self) -> str:
        return f"{self.video} {self.date}: {self.views} views"


class SnapshotSource(models.TextChoices):
    FILE = "file", _("File")
    CONNECTOR = "connector", _("Connector")


class VideoSnapshot(models.Model):
    """What a platform reported at one moment: a video's lifetime counts (running totals).
    A count the platform does not report is None. Daily statistics are derived from
    consecutive snapshots (``videos.snapshots``); ``corrections`` records the counts that fell
    since the previous snapshot ({"views": [before, after]}), which never become negative days."""

    OWNER_PATH = "video__owner"
    COUNT_FIELDS = ("views", "likes", "comments", "shares", "saves", "coins", "danmaku")

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="snapshots")
    observed_at = models.DateTimeField(_("observed at"))
    source = models.CharField(_("source"), max_length=10, choices=SnapshotSource)
    views = models.PositiveBigIntegerField(_("views"), null=True, blank=True)
    likes = models.PositiveBigIntegerField(_("likes"), null=True, blank=True)
    comments = models.PositiveBigIntegerField(_("comments"), null=True, blank=True)
    shares = models.PositiveBigIntegerField(_("shares"), null=True, blank=True)
    saves = models.PositiveBigIntegerField(_("saves"), null=True, blank=True)
    coins = models.PositiveBigIntegerField(_("coins"), null=True, blank=True)
    danmaku = models.PositiveBigIntegerField(_("danmaku"), null=True, blank=True)
    corrections = models.JSONField(_("corrections"), default=dict, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["video", "observed_at"]
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["video", "observed_at"], name="snapshot_unique_video_moment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.video} @ {self.observed_at:%Y-%m-%d %H:%M}"
