"""What the dashboard shows, read with a fixed number of queries from stored rows.

Headline engagement uses the same formulas as the engine, applied to the period's summed
counts (two aggregates, not a recompute). Rates change in percentage points, counts in percent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Max, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext

from campaigns.models import Campaign
from courses import pricing
from courses.models import Discount, PriceTier, Sale, sale_units_kept
from videos.models import VideoDailyStat
from videos.selectors import videos_without_course_count

from . import formulas
from .engine import creator_weights
from .figures import FIGURES
from .models import EngagementMetric, MetricWindow, RecomputeRun, SalesForecast
from .selectors import underperforming_videos

PERIODS = (7, 28, 90)
PERIOD_WINDOW = {7: MetricWindow.LAST_7, 28: MetricWindow.LAST_28, 90: MetricWindow.LIFETIME}
STALE_IMPORT_DAYS = 3
UPCOMING_DAYS = 7
TABLE_ROWS = 5
TABLE_SORTS = ("engagement", "views", "frequency", "depth", "composite_quality")
MIN_VIEWS = 100


@dataclass
class Kpi:
    key: str
    label: str
    value: float | None
    definition: str
    delta: float | None = None  # percent for counts, percentage points for rates
    delta_unit: str = "%"
    higher_is_better: bool = True
    spark: list[float] = field(default_factory=list)
    money: bool = False
    rate: bool = False

    @property
    def delta_class(self) -> str:
        if not self.delta:
            return ""
        return "good" if (self.delta > 0) == self.higher_is_better else "bad"


@dataclass
class Alert:
    text: str
    link: str
    level: str = "warn"  # warn or bad


@dataclass
class Dashboard:
    period: int
    kpis: list[Kpi]
    chart_labels: list[str]
    chart_views: list[int | None]  # None: no views reported that day
    chart_interactions: list[int]
    best: list[EngagementMetric]
    worst: list[EngagementMetric]
    sort: str
    alerts: list[Alert]
    has_stats: bool
    last_stats_day: date | None
    last_run: RecomputeRun | None
    # The last day the figures count: yesterday at the latest (the period ends there), or the
    # last day with statistics when that is earlier. Statistics of today wait for tomorrow.
    figures_through: date | None = None
    has_today: bool = False


def _delta_percent(current: float, previous: float) -> float | None:
    if not previous:
        return None
    return (current - previous) / previous * 100


def _engagement(totals: dict, weights: tuple[float, float]) -> float:
    # F over the rows whose views are known (their interactions over their views); D over all.
    frequency = formulas.interaction_frequency(totals["known_interactions"], totals["views"])
    depth = formulas.interaction_depth(totals["comments"], totals["likes"], totals["interactions"])
    return formulas.engagement(frequency, depth, weights)


def _stats_by_day(owner, start: date, end: date) -> dict[date, dict]:
    rows = (
        VideoDailyStat.objects.owned_by(owner)
        .filter(date__gte=start, date__lte=end)
        .values("date")
        .annotate(
            # First, while the names still mean the columns (the sums below take them over).
            known_interactions=Sum("interactions", filter=Q(views__isnull=False)),
            unknown_views=Count("pk", filter=Q(views__isnull=True)),
            known_views=Count("views"),
            views=Sum("views"),  # the known views: a row without views adds none
            interactions=Sum("interactions"),
            comments=Sum("comments"),
            likes=Sum("likes"),
        )
        .order_by()
    )
    return {row.pop("date"): row for row in rows}


def _sales_by_day(owner, start_at: datetime, end_at: datetime) -> dict[date, dict]:
    net = ExpressionWrapper(
        # A refund (partial or whole) takes its amount out of the day the sale was made, as
        # the funnel and the forecasts count it (README "Connecting shops": refunds).
        (F("quantity") * F("unit_price") - F("refund_amount"))
        * (Value(1) - Coalesce("platform__commission_rate", 0)),
        output_field=DecimalField(max_digits=16, decimal_places=4),
    )
    rows = (
        Sale.objects.owned_by(owner)
        .filter(sold_at__gte=start_at, sold_at__lt=end_at)
        .annotate(day=TruncDate("sold_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(units=Sum(sale_units_kept()), net=Sum(net))
        .order_by()
    )
    return {row["day"]: row for row in rows}


def _sum(days: list[date], by_day: dict[date, dict], key: str) -> float:
    return sum(float(by_day.get(d, {}).get(key) or 0) for d in days)


def _totals(days: list[date], by_day: dict[date, dict]) -> dict[str, float]:
    keys = ("views", "interactions", "known_interactions", "comments", "likes")
    totals = {k: _sum(days, by_day, k) for k in keys}
    totals["unknown_views"] = int(_sum(days, by_day, "unknown_views"))
    totals["known_views"] = int(_sum(days, by_day, "known_views"))
    return totals


def _views(totals: dict) -> float | None:
    """The period's known views; None when it has rows and none of them reports views."""
    return None if totals["unknown_views"] and not totals["known_views"] else totals["views"]


def _day_views(day: date, by_day: dict[date, dict]) -> int | None:
    """A chart point: None (a gap) for a day whose rows all lack views."""
    row = by_day.get(day, {})
    return (
        None
        if row.get("unknown_views") and not row.get("known_views")
        else int(row.get("views") or 0)
    )


def _views_definition(totals: dict):
    definition = _("Plays of all your videos in the period (T in F = I / T).")
    days = totals["unknown_views"]
    if not days:
        return definition
    note = ngettext(
        "%(n)d video-day has no views reported: it counts in no views total and not in F.",
        "%(n)d video-days have no views reported: they count in no views total and not in F.",
        days,
    ) % {"n": days}
    return format_lazy("{} {}", definition, note)


def dashboard_data(
    *, owner, period: int = 28, sort: str = "engagement", now: datetime | None = None
) -> Dashboard:
    now = now or timezone.now()
    period = period if period in PERIODS else 28
    sort = sort if sort in TABLE_SORTS else "engagement"
    today = timezone.localdate(now)
    # The period ends yesterday: today's numbers are not in the exports yet.
    current = [today - timedelta(days=i) for i in range(period, 0, -1)]
    previous = [d - timedelta(days=period) for d in current]
    stats = _stats_by_day(owner, previous[0], current[-1])
    start_at = timezone.make_aware(datetime.combine(previous[0], datetime.min.time()))
    end_at = timezone.make_aware(datetime.combine(today, datetime.min.time()))
    sales = _sales_by_day(owner, start_at, end_at)
    weights = creator_weights([owner.id])[owner.id]
    df_weights = (weights["engagement_weight_f"], weights["engagement_weight_d"])

    now_totals, before_totals = _totals(current, stats), _totals(previous, stats)
    # D_F is unknown (—) without views to divide by: none in the period, or none reported.
    engagement_now = _engagement(now_totals, df_weights) if now_totals["views"] else None
    engagement_before = _engagement(before_totals, df_weights) if before_totals["views"] else None
    views_now, views_before = _views(now_totals), _views(before_totals)
    forecast = SalesForecast.objects.owned_by(owner).aggregate(
        units=Sum("units_next_30"), revenue=Sum("revenue_next_30")
    )
    kpis = [
        Kpi(
            "views",
            _("Views"),
            views_now,
            _views_definition(now_totals),
            delta=_delta_percent(views_now, views_before)
            if views_now is not None and views_before is not None
            else None,
            spark=[_sum([d], stats, "views") for d in current],
        ),
        Kpi(
            "engagement",
            FIGURES["D_F"].name,
            engagement_now,
            _(
                "Interaction rate and depth together, over the period's totals: "
                "D_F = λ1·F + λ2·D, F = I / T, D = (C + P) / I."
            ),
            delta=(engagement_now - engagement_before) * 100
            if engagement_now is not None and engagement_before is not None
            else None,
            delta_unit="pp",
            rate=True,
        ),
        Kpi(
            "units",
            _("Units sold"),
            _sum(current, sales, "units"),
            _("Course units sold in the period, all tiers and platforms; refunded units left out."),
            delta=_delta_percent(_sum(current, sales, "units"), _sum(previous, sales, "units")),
            spark=[_sum([d], sales, "units") for d in current],
        ),
        Kpi(
            "revenue",
            _("Net revenue"),
            _sum(current, sales, "net"),
            _("Units × price paid × (1 − platform commission)."),
            delta=_delta_percent(_sum(current, sales, "net"), _sum(previous, sales, "net")),
            spark=[_sum([d], sales, "net") for d in current],
            money=True,
        ),
        Kpi(
            "forecast",
            _("Forecast, next 30 days"),
            forecast["units"],
            _("Units the stored forecasts expect in the next 30 days, all courses."),
            money=False,
        ),
        Kpi(
            "forecast_revenue",
            _("Forecast revenue, 30 days"),
            forecast["revenue"],
            _("Net revenue of the forecast units at each day's effective price."),
            money=True,
        ),
    ]

    window = PERIOD_WINDOW[period]
    measured = (
        EngagementMetric.objects.owned_by(owner)
        .filter(window=window, views__gte=MIN_VIEWS)
        .select_related("video", "video__platform")
    )
    best = list(measured.order_by(f"-{sort}", "video_id")[:TABLE_ROWS])
    worst = list(measured.order_by(sort, "video_id")[:TABLE_ROWS])
    last_stats_day = VideoDailyStat.objects.owned_by(owner).aggregate(last=Max("date"))["last"]
    last_run = RecomputeRun.objects.owned_by(owner).order_by("-started_at").first()
    return Dashboard(
        period=period,
        kpis=kpis,
        chart_labels=[d.isoformat() for d in current],
        chart_views=[_day_views(d, stats) for d in current],
        chart_interactions=[int(_sum([d], stats, "interactions")) for d in current],
        best=best,
        worst=worst,
        sort=sort,
        alerts=_alerts(
            owner, now=now, today=today, last_stats_day=last_stats_day, last_run=last_run
        ),
        has_stats=last_stats_day is not None,
        last_stats_day=last_stats_day,
        last_run=last_run,
        figures_through=min(last_stats_day, current[-1]) if last_stats_day else None,
        has_today=last_stats_day is not None and last_stats_day >= today,
    )


def _alerts(owner, *, now, today, last_stats_day, last_run) -> list[Alert]:
    alerts: list[Alert] = []
    if last_stats_day is None:
        alerts.append(Alert(_("No stats imported yet — import a platform export."), "/imports/"))
    elif (today - last_stats_day).days > STALE_IMPORT_DAYS:
        alerts.append(
            Alert(
                _("Last stats are from %(day)s, %(n)d days ago — import a newer export.")
                % {"day": date_format(last_stats_day), "n": (today - last_stats_day).days},
                "/imports/",
            )
        )
    if last_run and last_run.status == RecomputeRun.Status.RUNNING:
        alerts.append(Alert(_("Recompute running: figures will refresh shortly."), "/"))
    elif last_run and last_run.status == RecomputeRun.Status.FAILED:
        alerts.append(
            Alert(
                _("The last recompute failed: %(error)s") % {"error": last_run.error},
                "/admin/analytics/recomputerun/",
                "bad",
            )
        )

    alerts.extend(_campaign_gap_alerts(owner, today=today))

    # A video without a course has a tracking link to nowhere and no sales to credit.
    without_course = videos_without_course_count(owner=owner)
    if without_course:
        alerts.append(
            Alert(
                ngettext(
                    "%(count)s video has no course yet: choose the course it sells.",
                    "%(count)s videos have no course yet: choose the courses they sell.",
                    without_course,
                )
                % {"count": without_course},
                "/videos/?course=none",
            )
        )

    median, weak = underperforming_videos(owner=owner)
    for metric in weak[:3]:
        alerts.append(
            Alert(
                _(
                    "“%(title)s” is underperforming: D_F %(value).3f, "
                    "under half your median %(median).3f."
                )
                % {"title": metric.video.title, "value": metric.engagement, "median": median},
                f"/videos/{metric.video_id}/",
            )
        )

    tiers = list(PriceTier.objects.owned_by(owner).select_related("course"))
    by_course: dict[int, list[PriceTier]] = {}
    for tier in tiers:
        by_course.setdefault(tier.course_id, []).append(tier)
    for course_tiers in by_course.values():
        for low, high in pricing.tiers_out_of_order(course_tiers):
            alerts.append(
                Alert(
                    _(
                        "%(course)s: “%(high)s” (%(high_level)s) is cheaper than "
                        "“%(low)s” (%(low_level)s)."
                    )
                    % {
                        "course": high.course.title,
                        "high": high.name,
                        "high_level": high.get_level_display(),
                        "low": low.name,
                        "low_level": low.get_level_display(),
                    },
                    f"/courses/{high.course_id}/",
                    "bad",
                )
            )

    ending = (
        Discount.objects.owned_by(owner)
        .filter(starts_at__lte=now, ends_at__gt=now, ends_at__lte=now + timedelta(hours=48))
        .select_related("course")
    )
    for discount in ending:
        hours = (discount.ends_at - now).total_seconds() / 3600
        alerts.append(
            Alert(
                _("%(course)s: discount “%(name)s” ends in %(hours).0f h (%(end)s).")
                % {
                    "course": discount.course.title,
                    "name": discount.name,
                    "hours": hours,
                    "end": date_format(timezone.localtime(discount.ends_at), "MONTH_DAY_FORMAT")
                    + timezone.localtime(discount.ends_at).strftime(" %H:%M"),
                },
                f"/courses/{discount.course_id}/",
            )
        )
    return alerts


def _campaign_gap_alerts(owner, *, today: date) -> list[Alert]:
    """Open slots in the coming week of campaigns that are running or about to start: three
    queries for all campaigns together (campaigns, their platforms, their posts)."""
    soon = today + timedelta(days=UPCOMING_DAYS)
    campaigns = [
        c
        for c in Campaign.objects.owned_by(owner)
        .prefetch_related("platforms")
        .filter(
            launch_date__gte=today - timedelta(days=60), launch_date__lte=soon + timedelta(days=60)
        )
        if c.days[0] <= soon and c.days[-1] >= today
    ]
    if not campaigns:
        return []
    from campaigns.models import ScheduledPost

    filled = set(
        (post.campaign_id, timezone.localdate(post.planned_at), post.platform_id)
        for post in ScheduledPost.objects.filter(campaign__in=campaigns, is_suggestion=False).only(
            "campaign_id", "planned_at", "platform_id"
        )
    )
    alerts = []
    for campaign in campaigns:
        open_slots = [
            (day, platform)
            for day in campaign.days
            if today <= day <= soon
            for platform in campaign.platforms.all()
            if (campaign.id, day, platform.id) not in filled
        ]
        if open_slots:
            names = sorted({p.label for _d, p in open_slots})
            alerts.append(
                Alert(
                    _("%(campaign)s: %(n)d open slots in the next %(days)d days (%(platforms)s).")
                    % {
                        "campaign": campaign.name,
                        "n": len(open_slots),
                        "days": UPCOMING_DAYS,
                        "platforms": pgettext("between the items of a list", ", ").join(names),
                    },
                    f"/campaigns/{campaign.id}/",
                )
            )
    return alerts
