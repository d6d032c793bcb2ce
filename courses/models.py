"""Courses and what they sell for: tiers, limited-time discounts, market prices, sales."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast, Floor, Least
from django.utils.translation import gettext_lazy as _

from core.codes import code_normalize
from core.models import OwnedQuerySet, TimestampedModel
from core.outbound import link_target_validate


class Level(models.TextChoices):
    BEGINNER = "beginner", _("Beginner")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


# Tiers must not get cheaper as the level rises; this order is what "out of order" means.
LEVEL_ORDER = {Level.BEGINNER: 0, Level.INTERMEDIATE: 1, Level.ADVANCED: 2}


class Course(TimestampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PRESALE = "presale", _("Pre-sale")
        ON_SALE = "on_sale", _("On sale")
        ARCHIVED = "archived", _("Archived")

    OWNER_PATH = "owner"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="courses"
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, allow_unicode=True)
    topic = models.CharField(_("topic"), max_length=120, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=Level, default=Level.BEGINNER)
    target_audience = models.CharField(_("target audience"), max_length=200, blank=True)
    audience_tags = models.JSONField(
        _("audience tags"),
        default=list,
        blank=True,
        help_text=_(
            "Who the course is for, in the platforms' audience vocabulary, e.g. "
            '["developers", "students"]; drives the platform ranking.'
        ),
    )
    description = models.TextField(_("description"), blank=True)
    launch_date = models.DateField(_("launch date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.DRAFT)
    # Where /r/<code> sends a visitor's browser: http(s) only, no user name or password.
    sales_page_url = models.URLField(
        _("sales page URL"), blank=True, validators=[link_target_validate]
    )
    growth_rate_override = models.FloatField(
        _("growth rate override"),
        null=True,
        blank=True,
        help_text=_("Daily growth rate r used instead of the fitted one; leave empty to fit."),
    )
    # The seed's courses.csv id, kept so its file can be re-imported and reported on.
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    # What revenue is counted in: a sale in another currency is converted at the rate its
    # shop connection sets, never summed as if the currencies were the same.
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # Figures a file imported as they were (e.g. the seed's per-video F, D and sales columns),
    # kept so nothing in an imported file is lost even where CourseReel recomputes its own.
    import_snapshot = models.JSONField(_("imported figures"), default=dict, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        constraints = [
            models.UniqueConstraint(fields=["owner", "slug"], name="course_unique_slug_per_owner"),
            models.UniqueConstraint(
                fields=["owner", "external_id"],
                condition=~Q(external_id=""),
                name="course_unique_external_id_per_owner",
            ),
        ]
        indexes = [models.Index(fields=["owner", "status"])]

    def __str__(self) -> str:
        return self.title


# How a course's tiers are listed: the creator's order, then the price (tiers from before
# positions existed are all at 0), then the oldest first.
TIER_ORDER = ("position", "list_price", "pk")


class PriceTier(models.Model):
    OWNER_PATH = "course__owner"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="tiers")
    level = models.CharField(_("level"), max_length=16, choices=Level, default=Level.BEGINNER)
    name = models.CharField(_("name"), max_length=100)
    list_price = models.DecimalField(
        _("list price"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # The order the creator lists the tiers in (the course page, the sales page); ties, and
    # tiers from before the field existed (all 0), fall back to the price.
    position = models.PositiveIntegerField(_("position"), default=0)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["course", "position", "list_price"]
        verbose_name = _("price tier")
        verbose_name_plural = _("price tiers")
        constraints = [
            models.UniqueConstraint(fields=["course", "name"], name="tier_unique_name_per_course"),
            models.CheckConstraint(
                condition=Q(list_price__gte=0), name="tier_list_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course} · {self.name} ({self.list_price} {self.currency})"


class Discount(models.Model):
    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percent off")
        FIXED = "fixed", _("Fixed amount off")

    OWNER_PATH = "course__owner"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="discounts")
    tier = models.ForeignKey(
        PriceTier,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="discounts",
        help_text=_("Leave empty to apply to every tier of the course."),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind, default=Kind.PERCENT)
    value = models.DecimalField(
        _("value"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Percent (0–100) or an amount in the tier's currency."),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    code = models.CharField(_("code"), max_length=40, blank=True)
    max_redemptions = models.PositiveIntegerField(_("redemption cap"), null=True, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("discount")
        verbose_name_plural = _("discounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="discount_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="discount_value_not_negative"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100),
                name="discount_percent_at_most_100",
            ),
        ]
        indexes = [models.Index(fields=["course", "starts_at", "ends_at"])]

    def __str__(self) -> str:
        suffix = "%" if self.kind == self.Kind.PERCENT else ""
        return f"{self.name} (−{self.value}{suffix})"

    def clean(self) -> None:
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The end must be after the start.")
        if self.kind == self.Kind.PERCENT and self.value is not None and self.value > 100:
            errors["value"] = _("A percent discount is at most 100.")
        if self.tier_id and self.course_id and self.tier.course_id != self.course_id:
            errors["tier"] = _("The tier must belong to the same course.")
        if errors:
            raise ValidationError(errors)


class CompetitorPrice(models.Model):
    OWNER_PATH = "course__owner"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="competitor_prices")
    competitor = models.CharField(_("competitor"), max_length=120)
    platform = models.ForeignKey(
        "videos.Platform", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    level = models.CharField(_("level"), max_length=16, choices=Level, blank=True)
    observed_on = models.DateField(_("observed on"), null=True, blank=True)
    url = models.URLField(_("link"), blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["course", "price"]
        verbose_name = _("competitor price")
        verbose_name_plural = _("competitor prices")
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="competitor_price_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.competitor}: {self.price} {self.currency}"


def sale_units_kept() -> models.Expression:
    """A sale's units less the whole units its refunds paid back, as a database expression:
    a sale refunded in full keeps none, a partial refund of one unit (a goodwill discount)
    keeps it, 2 of 3 units' worth keeps 1. Forecasts and the dashboard count these units, on
    the sale's day (README "Connecting shops": refunds)."""
    refunded_units = Least(
        Cast(
            Floor(
                # A hair over: 99.99 refunded of 3 × 33.33 is 3 units in floating point too.
                models.ExpressionWrapper(
                    F("refund_amount") / F("unit_price") + models.Value(0.000001),
                    output_field=models.FloatField(),
                )
            ),
            models.IntegerField(),
        ),
        F("quantity"),
        output_field=models.IntegerField(),
    )
    return models.ExpressionWrapper(
        F("quantity")
        - models.Case(
            models.When(unit_price__gt=0, refund_amount__gt=0, then=refunded_units),
            default=models.Value(0),
        ),
        output_field=models.IntegerField(),
    )


class Sale(models.Model):
    OWNER_PATH = "course__owner"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sales")
    tier = models.ForeignKey(
        PriceTier, on_delete=models.SET_NULL, null=True, blank=True, related_name="sales"
    )
    platform = models.ForeignKey(
        "videos.Platform", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_video = models.ForeignKey(
        "videos.Video", on_delete=models.SET_NULL, null=True, blank=True, related_name="sales"
    )
    # Validators, not only the CHECK constraints: the admin, the API and the importers then
    # refuse a bad value with the same message on the field.
    quantity = models.IntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(
        _("unit price paid"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    sold_at = models.DateTimeField(_("sold at"))
    order_ref = models.CharField(
        _("order reference"),
        max_length=80,
        blank=True,
        help_text=_("The shop's order id; re-imports update the sale with the same reference."),
    )
    tracking_code = models.CharField(
        _("tracking code"),
        max_length=300,
        blank=True,
        help_text=_(
            "The code or link the buyer came through: a printed code (K7M-3XPQ), the /r/ link "
            "or a landing URL with utm_content. Credits the sale to that video."
        ),
    )
    # A sale a shop connection sent: keyed by (connection, order_ref), the shop's own id.
    # A higher app's model by string label only (README "Layout").
    connection = models.ForeignKey(
        "connectors.SalesConnection",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,  # set by the sale service only, never by a form
        related_name="sales",
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # What the buyer paid in their currency and the rate that turned it into ``currency``.
    original_amount = models.DecimalField(
        _("original amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    original_currency = models.CharField(_("original currency"), max_length=3, blank=True)
    exchange_rate = models.DecimalField(
        _("exchange rate"), max_digits=14, decimal_places=6, null=True, blank=True
    )
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    refund_amount = models.DecimalField(
        _("refunded amount"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    # The shop's refund ids already applied, so a refund sent twice counts once.
    refund_ids = models.JSONField(_("refund ids"), default=list, blank=True)
    # Where the shop says the buyer came from (Xiaoe-tech's channel_type, channel_bus_id …).
    channel = models.JSONField(_("channel"), default=dict, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-sold_at"]
        verbose_name = _("sale")
        verbose_name_plural = _("sales")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="sale_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="sale_price_not_negative"),
            models.UniqueConstraint(
                fields=["course", "order_ref"],
                condition=~Q(order_ref=""),
                name="sale_unique_order_ref_per_course",
            ),
            models.UniqueConstraint(
                fields=["connection", "order_ref"],
                condition=Q(connection__isnull=False) & ~Q(order_ref=""),
                name="sale_unique_order_ref_per_connection",
            ),
        ]
        indexes = [models.Index(fields=["course", "sold_at"])]

    def __str__(self) -> str:
        return f"{self.course} × {self.quantity} @ {self.unit_price}"

    def clean(self) -> None:
        self.tracking_code = code_normalize(self.tracking_code)
        errors = {}
        if self.tier_id and self.course_id and self.tier.course_id != self.course_id:
            errors["tier"] = _("The tier must belong to the same course.")
        if (
            self.source_video_id
            and self.course_id
            and self.source_video.owner_id != self.course.owner_id
        ):
            errors["source_video"] = _("The video must belong to the course's creator.")
        if errors:
            raise ValidationError(errors)
