"""Tracking links, the clicks they counted, which video each sale is credited to, and the
funnel figures the recompute derives from them (views → clicks → sales → net revenue).

Clicks carry no personal data: no IP address, no user agent, only a hash of them salted with
a key that changes every day (see ``visitors.py``), so one visitor's clicks can be told apart
within a day and never linked across days or back to a person.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import codes
from core.models import OwnedQuerySet, TimestampedModel


class TrackingLink(TimestampedModel):
    """``/r/<code>`` for one video, or for one campaign post (which knows its platform and
    campaign). The code doubles as the printable code for platforms that forbid links."""

    OWNER_PATH = "owner"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracking_links"
    )
    code = models.CharField(_("code"), max_length=codes.MAX_LENGTH, unique=True, editable=False)
    video = models.ForeignKey(
        "videos.Video",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tracking_links",
    )
    post = models.ForeignKey(
        "campaigns.ScheduledPost",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tracking_links",
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("A switched-off link answers 'not found' and counts nothing."),
    )

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("tracking link")
        verbose_name_plural = _("tracking links")
        constraints = [
            models.CheckConstraint(
                condition=Q(video__isnull=False, post__isnull=True)
                | Q(video__isnull=True, post__isnull=False),
                name="trackinglink_video_xor_post",
            ),
            models.UniqueConstraint(
                fields=["video"], condition=Q(post__isnull=True), name="trackinglink_one_per_video"
            ),
            models.UniqueConstraint(
                fields=["post"], condition=Q(post__isnull=False), name="trackinglink_one_per_post"
            ),
        ]

    def __str__(self) -> str:
        return codes.printable(self.code)

    @property
    def printable_code(self) -> str:
        return codes.printable(self.code)

    def clean(self) -> None:
        if bool(self.video_id) == bool(self.post_id):
            raise ValidationError(_("A tracking link is for one video or for one campaign post."))
        if self.video_id and self.owner_id and self.video.owner_id != self.owner_id:
            raise ValidationError({"video": _("Choose one of your own videos.")})
        if self.post_id and self.owner_id and self.post.campaign.owner_id != self.owner_id:
            raise ValidationError({"post": _("Choose one of your own campaign posts.")})

    @property
    def path(self) -> str:
        return f"/r/{self.code}"


class LinkClick(models.Model):
    """One counted click: when, and a daily-salted visitor hash (never an IP address)."""

    OWNER_PATH = "link__owner"

    id = models.BigAutoField(primary_key=True)
    link = models.ForeignKey(TrackingLink, on_delete=models.CASCADE, related_name="clicks")
    clicked_at = models.DateTimeField(_("clicked at"))
    visitor = models.CharField(_("visitor (daily hash)"), max_length=16)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-clicked_at"]
        verbose_name = _("link click")
        verbose_name_plural = _("link clicks")
        indexes = [models.Index(fields=["link", "clicked_at"])]

    def __str__(self) -> str:
        return f"{self.link} @ {self.clicked_at:%Y-%m-%d %H:%M}"


class AttributionMethod(models.TextChoices):
    CODE = "code", _("tracking code on the sale")
    MANUAL = "manual", _("video chosen by the creator")
    LAST_CLICK = "last_click", _("inferred: last click before the sale")
    UNKNOWN_CODE = "unknown_code", _("unknown tracking code")
    NONE = "none", _("not attributed")


class SaleAttribution(models.Model):
    """Which link and video a sale is credited to, and how that was decided. Filled by the
    recompute for every sale (rules in ``attribution.py``)."""

    OWNER_PATH = "sale__course__owner"

    sale = models.OneToOneField(
        "courses.Sale", on_delete=models.CASCADE, primary_key=True, related_name="attribution"
    )
    method = models.CharField(_("method"), max_length=12, choices=AttributionMethod)
    link = models.ForeignKey(
        TrackingLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    video = models.ForeignKey(
        "videos.Video", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    click_at = models.DateTimeField(
        _("credited click"),
        null=True,
        blank=True,
        help_text=_("For inferred attributions: the click the sale is credited to."),
    )
    computed_at = models.DateTimeField()

    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("sale attribution")
        verbose_name_plural = _("sale attributions")

    def __str__(self) -> str:
        return f"{self.sale_id}: {self.get_method_display()}"

    @property
    def inferred(self) -> bool:
        return self.method == AttributionMethod.LAST_CLICK


class FunnelScope(models.TextChoices):
    VIDEO = "video", _("video")
    COURSE = "course", _("course")
    PLATFORM = "platform", _("platform")
    PHASE = "phase", _("campaign phase")
    TOPIC = "topic", _("topic")
    HOUR = "hour", _("posting hour")


class FunnelStat(models.Model):
    """Views → link clicks → sales → net revenue for one group of the creator's videos.

    ``scope`` says what the row groups by; the matching columns (video, course, platform,
    campaign + phase, topic, hour) are set and the others empty. ``score`` ranks topics,
    platforms and hours for "what to post next": revenue per view shrunk towards the creator's
    overall rate, so a group with few views cannot top the list by luck.
    """

    OWNER_PATH = "owner"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="funnel_stats"
    )
    scope = models.CharField(_("scope"), max_length=8, choices=FunnelScope)
    key = models.CharField(max_length=160)
    video = models.ForeignKey(
        "videos.Video", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    course = models.ForeignKey(
        "courses.Course", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    platform = models.ForeignKey(
        "videos.Platform", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    phase = models.CharField(_("phase"), max_length=12, blank=True)
    topic = models.CharField(_("topic"), max_length=120, blank=True)
    hour = models.PositiveSmallIntegerField(_("posting hour"), null=True, blank=True)
    videos = models.PositiveIntegerField(_("videos"), default=0)
    views = models.PositiveBigIntegerField(_("views"), default=0)
    clicks = models.PositiveBigIntegerField(_("link clicks"), default=0)
    visitors = models.PositiveBigIntegerField(_("visitors (per day)"), default=0)
    sales = models.PositiveIntegerField(_("sales"), default=0)
    sales_inferred = models.PositiveIntegerField(_("of which inferred"), default=0)
    units = models.PositiveIntegerField(_("units"), default=0)
    gross_revenue = models.DecimalField(_("revenue"), max_digits=14, decimal_places=2, default=0)
    net_revenue = models.DecimalField(
        _("revenue after commission"), max_digits=14, decimal_places=2, default=0
    )
    engagement = models.FloatField(_("mean D_F"), default=0)
    score = models.FloatField(_("score"), default=0)
    computed_at = models.DateTimeField()

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["scope", "-net_revenue", "-views"]
        verbose_name = _("funnel figure")
        verbose_name_plural = _("funnel figures")
        constraints = [
            models.UniqueConstraint(fields=["owner", "scope", "key"], name="funnel_unique_key")
        ]
        indexes = [
            models.Index(fields=["owner", "scope", "course"]),
            models.Index(fields=["owner", "scope", "campaign"]),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"

    @property
    def click_rate(self) -> float:
        """Link clicks per view."""
        return self.clicks / self.views if self.views else 0.0

    @property
    def conversion(self) -> float:
        """Sales per link click."""
        return self.sales / self.clicks if self.clicks else 0.0

    @property
    def revenue_per_1000_views(self) -> float:
        return float(self.net_revenue) * 1000 / self.views if self.views else 0.0
