"""Per-creator weights and the result tables the recompute engine fills.

Pages, admin and API read these rows; nothing heavy is computed on a request.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import OwnedQuerySet


class CreatorSettings(models.Model):
    """Weights of the seed's formulas and of the platform ranking, per creator."""

    OWNER_PATH = "owner"

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="creator_settings"
    )
    # D_F = λ1·F + λ2·D
    engagement_weight_f = models.FloatField(_("engagement λ1 (F)"), default=0.5)
    engagement_weight_d = models.FloatField(_("engagement λ2 (D)"), default=0.5)
    # CQ_F = λ1·F + λ2·D + λ3·CQ
    quality_weight_f = models.FloatField(_("quality λ1 (F)"), default=0.3)
    quality_weight_d = models.FloatField(_("quality λ2 (D)"), default=0.3)
    quality_weight_cq = models.FloatField(_("quality λ3 (CQ)"), default=0.4)
    # Platform ranking = audience match, traffic scale and (1 − commission), weighted.
    rank_weight_audience = models.FloatField(_("ranking weight: audience match"), default=0.4)
    rank_weight_traffic = models.FloatField(_("ranking weight: traffic scale"), default=0.3)
    rank_weight_commission = models.FloatField(_("ranking weight: commission"), default=0.3)
    # A sale without a tracking code is credited to the last click on one of the course's links
    # within this many days before it (tracking/attribution.py).
    attribution_window_days = models.PositiveSmallIntegerField(
        _("attribution window (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_(
            "A sale without a tracking code is credited to the last click on one of the "
            "course's links within this many days before it."
        ),
    )

    objects = OwnedQuerySet.as_manager()

    WEIGHT_FIELDS = (
        "engagement_weight_f",
        "engagement_weight_d",
        "quality_weight_f",
        "quality_weight_d",
        "quality_weight_cq",
        "rank_weight_audience",
        "rank_weight_traffic",
        "rank_weight_commission",
    )
    # Everything a creator sets on the settings page and through the API.
    SETTING_FIELDS = (*WEIGHT_FIELDS, "attribution_window_days")

    class Meta:
        verbose_name = _("creator settings")
        verbose_name_plural = _("creator settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"{name}__gte": 0}), name=f"settings_{name}_not_negative"
            )
            for name in (
                "engagement_weight_f",
                "engagement_weight_d",
                "quality_weight_f",
                "quality_weight_d",
                "quality_weight_cq",
                "rank_weight_audience",
                "rank_weight_traffic",
                "rank_weight_commission",
            )
        ] + [
            models.CheckConstraint(
                condition=Q(attribution_window_days__gte=1) & Q(attribution_window_days__lte=90),
                name="settings_attribution_window_1_to_90",
            )
        ]

    def __str__(self) -> str:
        return f"Settings of {self.owner}"

    @property
    def engagement_weights(self) -> tuple[float, float]:
        return (self.engagement_weight_f, self.engagement_weight_d)

    @property
    def quality_weights(self) -> tuple[float, float, float]:
        return (self.quality_weight_f, self.quality_weight_d, self.quality_weight_cq)

    def clean(self) -> None:
        errors = {
            name: _("Weights cannot be negative.")
            for name in self.WEIGHT_FIELDS
            if getattr(self, name) is not None and getattr(self, name) < 0
        }
        if errors:
            raise ValidationError(errors)


class MetricWindow(models.TextChoices):
    LIFETIME = "lifetime", _("Lifetime")
    LAST_7 = "7d", _("Last 7 days")
    LAST_28 = "28d", _("Last 28 days")


class EngagementMetric(models.Model):
    """F, D, D_F (engagement) and CQ, CQ_F (quality) of one video over one window."""

    OWNER_PATH = "video__owner"

    # No index of its own: the unique (video, window) index serves every lookup by video, and
    # each index is one more entry to write for every changed row of a recompute.
    video = models.ForeignKey(
        "videos.Video", on_delete=models.CASCADE, related_name="metrics", db_index=False
    )
    window = models.CharField(_("window"), max_length=10, choices=MetricWindow)
    # Views of the window's days whose views are known; None when the window has days and none
    # of them has known views (a source without views: unknown, not zero).
    views = models.PositiveBigIntegerField(_("views"), null=True, blank=True, default=0)
    interactions = models.PositiveBigIntegerField(_("interactions"), default=0)
    comments = models.PositiveBigIntegerField(_("comments"), default=0)
    likes = models.PositiveBigIntegerField(_("likes"), default=0)
    # Days of the window whose views are unknown: F leaves them out (their interactions too).
    views_unknown_days = models.PositiveIntegerField(_("days with unknown views"), default=0)
    # F, D_F and CQ_F are None when F is unknown (no day of the window has known views); D and
    # CQ never need views.
    frequency = models.FloatField("F", null=True, blank=True, default=0, help_text="F = I / T")
    depth = models.FloatField("D", default=0, help_text="D = (C + P) / I")
    engagement = models.FloatField(
        "D_F", null=True, blank=True, default=0, help_text="D_F = λ1·F + λ2·D"
    )
    content_quality = models.FloatField("CQ", default=0, help_text="CQ = (L + Q + U) / 3")
    composite_quality = models.FloatField(
        "CQ_F", null=True, blank=True, default=0, help_text="CQ_F = λ1·F + λ2·D + λ3·CQ"
    )
    computed_at = models.DateTimeField(_("computed at"))

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["video", "window"]
        verbose_name = _("engagement metric")
        verbose_name_plural = _("engagement metrics")
        constraints = [
            models.UniqueConstraint(fields=["video", "window"], name="metric_unique_video_window")
        ]
        # No (window, engagement) index: every read is one creator's videos, which the unique
        # index finds; that index slowed the dashboard's best/worst query (133 against 5.5 ms
        # at bench scale) and made every recompute rewrite an index entry per changed row.

    def __str__(self) -> str:
        engagement = "—" if self.engagement is None else f"{self.engagement:.3f}"
        return f"{self.video} [{self.window}] D_F={engagement}"


class SalesForecast(models.Model):
    class Model(models.TextChoices):
        EXPONENTIAL = "exponential", _("Exponential S0·(1+r)^t")
        BASS = "bass", _("Bass diffusion (saturating)")
        WEEKLY = "weekly", _("Level with a weekly rhythm")
        DAMPED = "damped", _("Damped trend")
        LAUNCH = "launch", _("Launch spike settling to a base")
        TSB = "tsb", _("Intermittent demand (TSB)")
        WEEKLY_GROWTH = "weekly_growth", _("Growth with a weekly rhythm")
        ENSEMBLE = "ensemble", _("Average of the two best models")
        SEASONAL_NAIVE = "seasonal_naive", _("Same weekday last week")
        MEAN_28 = "mean_28", _("Mean of the last 28 days")

    OWNER_PATH = "course__owner"

    course = models.OneToOneField(
        "courses.Course", on_delete=models.CASCADE, related_name="forecast"
    )
    model = models.CharField(_("model"), max_length=16, choices=Model)
    s0 = models.FloatField(_("S0 (units per day)"))
    growth_rate = models.FloatField(_("r (growth per day)"))
    growth_rate_overridden = models.BooleanField(_("r set by the creator"), default=False)
    # Σ|actual − forecast| / Σ actual over the last 14 days, each model fitted without them.
    backtest_error_exponential = models.FloatField(_("backtest error, exponential"), null=True)
    backtest_error_alternative = models.FloatField(_("backtest error, saturating"), null=True)
    parameters = models.JSONField(_("model parameters"), default=dict, blank=True)
    explanation = models.CharField(_("why this model"), max_length=400, blank=True)
    history_days = models.PositiveIntegerField(_("days of history"), default=0)
    units_next_30 = models.FloatField(_("units, next 30 days"), default=0)
    units_next_30_lower = models.FloatField(_("units, next 30 days, lower bound"), default=0)
    units_next_30_upper = models.FloatField(_("units, next 30 days, upper bound"), default=0)
    revenue_next_30 = models.DecimalField(
        _("net revenue, next 30 days"), max_digits=14, decimal_places=2, default=0
    )
    computed_at = models.DateTimeField(_("computed at"))
    # Why this model, as a code and its numbers (forecasting.CHOSEN, BASELINE_KEPT, …): the
    # page words it in the creator's language. ``explanation`` keeps the English sentence.
    explanation_code = models.CharField(_("explanation code"), max_length=24, blank=True)
    explanation_numbers = models.JSONField(_("explanation numbers"), default=dict, blank=True)
    # Model → {"mase", "total_error"} on the rolling-origin backtest (baselines included).
    backtest = models.JSONField(_("backtest scores"), default=dict, blank=True)
    # Days the fit left out or clipped: [{"day": ISO date, "reason": …, "units": …}, …].
    left_out = models.JSONField(_("days left out"), default=list, blank=True)
    # A hash of everything the forecast was fitted from: a recompute refits only on a change.
    inputs_fingerprint = models.CharField(_("inputs fingerprint"), max_length=64, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("sales forecast")
        verbose_name_plural = _("sales forecasts")

    def __str__(self) -> str:
        return f"Forecast for {self.course}: {self.get_model_display()}"


class ExcludedDay(models.Model):
    """A day of a course's sales that the creator left out of the forecast's fit (a one-off
    bulk order, a test purchase, a day the shop was down). Deleting the row restores it."""

    class Reason(models.TextChoices):
        ONE_OFF = "one_off", _("One-off order")
        TEST = "test", _("Test or internal purchase")
        OUTAGE = "outage", _("Shop or platform outage")
        OTHER = "other", _("Other")
        # Not left out: a day the forecast would leave out by itself (before launch, a stray
        # early sale, a bulk order) that the creator put back into the fit.
        RESTORED = "restored", _("Put back into the fit")

    OWNER_PATH = "course__owner"

    course = models.ForeignKey(
        "courses.Course", on_delete=models.CASCADE, related_name="excluded_days"
    )
    day = models.DateField(_("day"))
    reason = models.CharField(_("reason"), max_length=16, choices=Reason, default=Reason.OTHER)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["course", "day"]
        verbose_name = _("excluded sales day")
        verbose_name_plural = _("excluded sales days")
        constraints = [
            models.UniqueConstraint(fields=["course", "day"], name="excludedday_unique_day"),
        ]

    def __str__(self) -> str:
        return f"{self.course_id} {self.day}"


class ForecastPoint(models.Model):
    OWNER_PATH = "forecast__course__owner"

    forecast = models.ForeignKey(SalesForecast, on_delete=models.CASCADE, related_name="points")
    day = models.DateField(_("day"))
    units = models.FloatField(_("units"))
    lower = models.FloatField(_("lower bound"))
    upper = models.FloatField(_("upper bound"))
    cumulative_units = models.FloatField(_("cumulative units"))
    revenue = models.DecimalField(_("net revenue"), max_digits=14, decimal_places=2)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["forecast", "day"]
        verbose_name = _("forecast point")
        verbose_name_plural = _("forecast points")
        constraints = [
            models.UniqueConstraint(fields=["forecast", "day"], name="forecastpoint_unique_day"),
            models.CheckConstraint(
                condition=Q(lower__lte=models.F("upper")), name="forecastpoint_band_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.units:.1f} [{self.lower:.1f}, {self.upper:.1f}]"


class PlatformRanking(models.Model):
    OWNER_PATH = "course__owner"

    course = models.ForeignKey(
        "courses.Course", on_delete=models.CASCADE, related_name="platform_rankings"
    )
    platform = models.ForeignKey("videos.Platform", on_delete=models.CASCADE, related_name="+")
    audience_match = models.FloatField(_("audience match"), validators=[MinValueValidator(0)])
    traffic_score = models.FloatField(_("traffic score"))
    commission_rate = models.FloatField(_("commission"))
    score = models.FloatField(_("score"))
    rank = models.PositiveSmallIntegerField(_("rank"))
    net_price = models.DecimalField(
        _("net price (cheapest tier)"), max_digits=10, decimal_places=2, null=True
    )
    computed_at = models.DateTimeField(_("computed at"))

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["course", "rank"]
        verbose_name = _("platform ranking")
        verbose_name_plural = _("platform rankings")
        constraints = [
            models.UniqueConstraint(
                fields=["course", "platform"], name="ranking_unique_course_platform"
            )
        ]

    def __str__(self) -> str:
        return f"{self.course}: #{self.rank} {self.platform}"


class RecomputeRun(models.Model):
    """One run of the recompute engine for one creator (or all), for 'last recompute' displays."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    OWNER_PATH = "owner"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recompute_runs"
    )
    trigger = models.CharField(_("trigger"), max_length=40, default="manual")
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.RUNNING)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    error = models.TextField(_("error"), blank=True)
    # The running worker's last sign of life, for the reaper (core.jobs).
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    worker = models.CharField(
        _("worker"), max_length=200, blank=True, help_text=_("Host and process running it.")
    )

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("recompute run")
        verbose_name_plural = _("recompute runs")
        indexes = [models.Index(fields=["owner", "-started_at"])]
        constraints = [
            # The per-creator recompute lock: at most one running run per creator.
            models.UniqueConstraint(
                fields=["owner"], condition=Q(status="running"), name="recompute_one_running"
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class RecomputeState(models.Model):
    """Whether a creator's stored figures are behind their data, and the last enqueue.

    Marked stale inside the transaction of the write that made them so (the event hub's
    in-transaction phase; ``stale_since`` is the latest such write); a run that started after
    it clears it. ``queued_at`` later
    than the last run's start means a recompute is already waiting, so another write does not
    enqueue a second one. A failure to enqueue is kept here, not swallowed.
    """

    OWNER_PATH = "owner"

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recompute_state"
    )
    stale_since = models.DateTimeField(_("stale since"), null=True, blank=True)
    queued_at = models.DateTimeField(_("recompute queued at"), null=True, blank=True)
    run_started_at = models.DateTimeField(_("last run started at"), null=True, blank=True)
    enqueue_error = models.TextField(_("enqueue error"), blank=True)
    enqueue_failed_at = models.DateTimeField(_("enqueue failed at"), null=True, blank=True)
    # What the last successful run computed for (the hourly run's dirty test, issue 18): the
    # local day its windows and forecasts end on, the moment it started (a discount starting
    # or ending since changes today's prices), and the highest click id it could read.
    fresh_day = models.DateField(_("figures computed for day"), null=True, blank=True)
    fresh_as_of = models.DateTimeField(_("figures computed as of"), null=True, blank=True)
    fresh_click_id = models.BigIntegerField(_("last click read"), null=True, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("recompute state")
        verbose_name_plural = _("recompute states")

    def __str__(self) -> str:
        return f"{self.owner}: {'stale' if self.stale_since else 'fresh'}"
