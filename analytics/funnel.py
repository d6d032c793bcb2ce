"""The funnel step of the recompute: attribute every sale, then views → link clicks → sales →
net revenue per video, course, platform, campaign phase, topic and posting hour.

Reads a fixed number of queries per run (sales, links, clicks per link and day, clicks for
the last-click rule, videos with their lifetime figures, campaigns, posts and the daily views
inside campaign windows), computes on DataFrames and writes with upserts. Net revenue is the
price paid × quantity less the commission of the platform the sale was made on (none for a
sale in the creator's own shop), as in the forecasts.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from scipy.stats import gamma

from campaigns import phases
from campaigns.models import Campaign, ScheduledPost
from core import codes
from core.db import upsert_rows
from courses.models import Sale
from tracking import attribution
from tracking.models import FunnelScope, FunnelStat, LinkClick, SaleAttribution, TrackingLink
from videos.models import Video, VideoDailyStat

from .models import CreatorSettings, EngagementMetric, MetricWindow

FIGURES = ["views", "clicks", "visitors", "sales", "sales_inferred", "units", "gross", "net"]
SCORE_QUANTILE = 0.1
DEFAULT_WINDOW_DAYS = CreatorSettings._meta.get_field("attribution_window_days").default


def _frame(rows, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=columns)


def window_days(owner_ids: list[int]) -> dict[int, int]:
    windows = dict.fromkeys(owner_ids, DEFAULT_WINDOW_DAYS)
    windows.update(
        CreatorSettings.objects.filter(owner_id__in=owner_ids).values_list(
            "owner_id", "attribution_window_days"
        )
    )
    return windows


def links_frame(owner_ids: list[int]) -> pd.DataFrame:
    """Each link with what it stands for: its video (a post link: the post's), course (a post
    link: the campaign's), platform (a post link: the post's) and campaign."""
    links = _frame(
        TrackingLink.objects.filter(owner_id__in=owner_ids).values_list(
            "id",
            "owner_id",
            "code",
            "video_id",
            "video__course_id",
            "video__platform_id",
            "post__video_id",
            "post__platform_id",
            "post__campaign_id",
            "post__campaign__course_id",
        ),
        [
            "link_id",
            "owner_id",
            "code",
            "own_video",
            "own_course",
            "own_platform",
            "post_video",
            "post_platform",
            "campaign_id",
            "post_course",
        ],
    )
    links = links.astype({name: float for name in links.columns if name != "code"})
    links["video_id"] = links["own_video"].fillna(links["post_video"])
    links["course_id"] = links["post_course"].fillna(links["own_course"])
    links["platform_id"] = links["post_platform"].fillna(links["own_platform"])
    links["owner_id"] = links["owner_id"].astype(np.int64)
    return links[
        ["link_id", "owner_id", "code", "video_id", "course_id", "platform_id", "campaign_id"]
    ]


def sales_frame(owner_ids: list[int]) -> pd.DataFrame:
    sales = _frame(
        Sale.objects.filter(course__owner_id__in=owner_ids).values_list(
            "id",
            "course__owner_id",
            "course_id",
            "sold_at",
            "tracking_code",
            "source_video_id",
            "quantity",
            "unit_price",
            "platform__commission_rate",
            "refund_amount",
        ),
        [
            "sale_id",
            "owner_id",
            "course_id",
            "sold_at",
            "code",
            "source_video_id",
            "units",
            "unit_price",
            "commission",
            "refund",
        ],
    )
    sales = sales.astype({"sale_id": np.int64, "owner_id": np.int64, "course_id": np.int64,
                          "source_video_id": float, "units": np.int64})  # fmt: skip
    sales["sold_at"] = pd.to_datetime(sales["sold_at"], utc=True)
    sales["code"] = sales["code"].map(codes.code_normalize)
    # Money in exact cents: the funnel's gross revenue sums to the raw rows' to the cent.
    cents = (sales["unit_price"].map(lambda price: int(price * 100))).astype(np.int64)
    refunds = sales["refund"].map(lambda amount: int((amount or 0) * 100)).astype(np.int64)
    # Refunds (partial ones too) reduce the revenue the sale brought in.
    sales["gross_cents"] = cents * sales["units"].astype(np.int64) - refunds
    # Units the buyers kept (as courses.models.sale_units_kept counts them): less the whole
    # units the refunds paid back.
    paid_back = np.where(cents > 0, refunds // np.maximum(cents, 1), 0)
    sales["units_kept"] = np.maximum(sales["units"].astype(np.int64) - paid_back, 0)
    commission = sales["commission"].map(lambda rate: float(rate or 0)).astype(float)
    sales["net_cents"] = sales["gross_cents"] * (1 - commission)
    return sales


def click_times(
    *, owner_ids: list[int], link_ids: list[int], since: datetime, until: datetime
) -> pd.DataFrame:
    """The clicks on ``link_ids`` from ``since`` to ``until`` (the last-click rule's
    candidates): link id and moment (UTC).

    On PostgreSQL the moments travel as microseconds since the epoch (bigint, exact to the
    microsecond as the column is) on a plain cursor: parsing hundreds of thousands of
    timestamps in psycopg and Django's converters was most of the attribution's time."""
    if connection.vendor != "postgresql":
        clicks = _frame(
            LinkClick.objects.filter(
                link__owner_id__in=owner_ids,
                link__in=link_ids,
                clicked_at__gte=since,
                clicked_at__lte=until,
            ).values_list("link_id", "clicked_at"),
            attribution.CLICK_COLUMNS,
        )
        clicks["clicked_at"] = pd.to_datetime(clicks["clicked_at"], utc=True)
        return clicks
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT c.link_id, (EXTRACT(EPOCH FROM c.clicked_at) * 1000000)::bigint
            FROM {LinkClick._meta.db_table} c
            JOIN {TrackingLink._meta.db_table} l ON l.id = c.link_id
            WHERE c.link_id = ANY(%s::bigint[]) AND l.owner_id = ANY(%s::integer[])
              AND c.clicked_at >= %s AND c.clicked_at <= %s
            """,
            [link_ids, list(owner_ids), since, until],
        )
        rows = cursor.fetchall()
    clicks = pd.DataFrame(rows, columns=attribution.CLICK_COLUMNS)
    clicks["clicked_at"] = pd.to_datetime(
        clicks["clicked_at"].astype(np.int64), unit="us", utc=True
    )
    return clicks


def attribution_recompute(
    sales: pd.DataFrame, links: pd.DataFrame, *, owner_ids: list[int], now: datetime
) -> pd.DataFrame:
    """Attribute every sale of the creators and store the result; returns the attribution
    joined to the sales."""
    if sales.empty:
        return sales.assign(method=[], link_id=[], video_id=[], click_at=[])
    open_sales = sales[(sales["code"] == "") & sales["source_video_id"].isna()]
    clicks = pd.DataFrame(columns=attribution.CLICK_COLUMNS)
    if not open_sales.empty and not links.empty:
        windows = window_days(owner_ids)
        since = open_sales["sold_at"].min() - timedelta(days=max(windows.values()))
        clicks = click_times(
            owner_ids=owner_ids,
            link_ids=links["link_id"][links["course_id"].isin(open_sales["course_id"])]
            .astype(int)
            .tolist(),
            since=since.to_pydatetime(),
            until=open_sales["sold_at"].max().to_pydatetime(),
        )
    else:
        windows = {}
    result = attribution.attribute(sales, links, clicks, window_days=windows)
    rows = [
        {
            "sale_id": int(row.sale_id),
            "method": row.method,
            "link_id": None if pd.isna(row.link_id) else int(row.link_id),
            "video_id": None if pd.isna(row.video_id) else int(row.video_id),
            "click_at": None if pd.isna(row.click_at) else row.click_at.to_pydatetime(),
        }
        for row in result.itertuples(index=False)
    ]
    upsert_rows(
        SaleAttribution,
        rows,
        unique_fields=["sale"],
        update_fields=["method", "link", "video", "click_at", "computed_at"],
        compare_fields=["method", "link", "video", "click_at"],
        constants={"computed_at": now},
    )
    return sales.merge(result, on="sale_id")


def _local_days(moments: pd.Series) -> pd.Series:
    zone = timezone.get_current_timezone()
    return moments.dt.tz_convert(zone).dt.date


def funnel_recompute(*, owner_ids: list[int], today: date, now: datetime) -> int:
    """Attribute the creators' sales and store their funnel figures. Returns rows written."""
    links = links_frame(owner_ids)
    sales = attribution_recompute(sales_frame(owner_ids), links, owner_ids=owner_ids, now=now)
    events = _events(owner_ids, links, sales)
    videos = _videos(owner_ids)
    rows = _rows(owner_ids, videos, events, links, sales)
    if rows:
        upsert_rows(
            FunnelStat,
            rows,
            unique_fields=["owner", "scope", "key"],
            update_fields=[
                *(k for k in rows[0] if k not in ("owner_id", "scope", "key")),
                "computed_at",
            ],
            constants={"computed_at": now},
        )
    # Groups that no longer exist (a deleted video, a topic renamed) go.
    FunnelStat.objects.filter(owner_id__in=owner_ids, computed_at__lt=now).delete()
    return len(rows) + len(sales)


# --- inputs -----------------------------------------------------------------------------------


def _videos(owner_ids: list[int]) -> pd.DataFrame:
    videos = _frame(
        Video.objects.filter(owner_id__in=owner_ids).values_list(
            "id", "owner_id", "course_id", "platform_id", "topic", "published_at"
        ),
        ["video_id", "owner_id", "course_id", "platform_id", "topic", "published_at"],
    )
    lifetime = _frame(
        EngagementMetric.objects.filter(
            video__owner_id__in=owner_ids, window=MetricWindow.LIFETIME
        ).values_list("video_id", "views", "engagement"),
        ["video_id", "views", "engagement"],
    )
    videos = videos.merge(lifetime, on="video_id", how="left")
    # Lifetime views are the known ones; a video whose views were never reported (None) adds
    # none, and its unknown D_F (NaN) stays out of the groups' mean D_F.
    videos["views_known"] = videos["views"].notna()
    videos["views"] = videos["views"].fillna(0).astype(np.int64)
    videos["engagement"] = pd.to_numeric(videos["engagement"], errors="coerce").astype(float)
    published = pd.to_datetime(videos["published_at"], utc=True)
    videos["hour"] = published.dt.tz_convert(timezone.get_current_timezone()).dt.hour
    videos["topic"] = videos["topic"].fillna("").str.strip()
    return videos


def daily_clicks(owner_ids: list[int]) -> pd.DataFrame:
    """Clicks and distinct visitors per link and local day of the creators' links.

    On PostgreSQL the days travel as integers (days since 1970-01-01) on a plain cursor and
    become dates in one numpy conversion: a link has a row for about every day it was
    clicked, and the ORM's per-row date converters cost more than the GROUP BY."""
    columns = ["link_id", "day", "clicks", "visitors"]
    if connection.vendor != "postgresql":
        return _frame(
            LinkClick.objects.filter(link__owner_id__in=owner_ids)
            .annotate(day=TruncDate("clicked_at", tzinfo=timezone.get_current_timezone()))
            .values("link_id", "day")
            .annotate(clicks=Count("id"), visitors=Count("visitor", distinct=True))
            .order_by()
            .values_list(*columns),
            columns,
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT c.link_id, (c.clicked_at AT TIME ZONE %s)::date - DATE '1970-01-01',
                   COUNT(*), COUNT(DISTINCT c.visitor)
            FROM {LinkClick._meta.db_table} c
            JOIN {TrackingLink._meta.db_table} l ON l.id = c.link_id
            WHERE l.owner_id = ANY(%s::integer[])
            GROUP BY 1, 2
            """,
            [timezone.get_current_timezone_name(), list(owner_ids)],
        )
        clicks = pd.DataFrame(cursor.fetchall(), columns=columns)
    days = clicks["day"].to_numpy(dtype=np.int64).astype("datetime64[D]").astype(object)
    clicks["day"] = pd.Series(days, index=clicks.index, dtype=object)
    return clicks


def _events(owner_ids: list[int], links: pd.DataFrame, sales: pd.DataFrame) -> pd.DataFrame:
    """Clicks (per link and day) and credited sales as one frame of events, each carrying
    its owner, video, course, platform, campaign, link and local day."""
    clicks = daily_clicks(owner_ids).astype({"link_id": float})
    clicks = clicks.merge(links, on="link_id")
    credited = sales[sales["method"].isin(attribution.CREDITED)].copy()
    credited["day"] = _local_days(credited["sold_at"])
    credited = credited.merge(
        links[["link_id", "platform_id", "campaign_id"]], on="link_id", how="left"
    )
    video_platforms = dict(
        Video.objects.filter(owner_id__in=owner_ids).values_list("id", "platform_id")
    )
    credited["platform_id"] = credited["platform_id"].fillna(
        credited["video_id"].map(video_platforms)
    )
    sale_events = pd.DataFrame(
        {
            "owner_id": credited["owner_id"],
            "video_id": credited["video_id"],
            "course_id": credited["course_id"],
            "platform_id": credited["platform_id"],
            "campaign_id": credited["campaign_id"],
            "link_id": credited["link_id"],
            "day": credited["day"],
            "sales": 1,
            "sales_inferred": (credited["method"] == attribution.LAST_CLICK).astype(int),
            "units": credited["units_kept"].astype(np.int64),
            "gross": credited["gross_cents"].astype(float),
            "net": credited["net_cents"].astype(float),
        }
    )
    click_events = clicks[
        ["owner_id", "video_id", "course_id", "platform_id", "campaign_id", "link_id", "day"]
    ].assign(clicks=clicks["clicks"], visitors=clicks["visitors"])
    events = pd.concat([click_events, sale_events], ignore_index=True)
    for name in FIGURES:
        events[name] = events[name].fillna(0) if name in events else 0
    return events


# --- grouping ---------------------------------------------------------------------------------


def _sum(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    figures = [f for f in FIGURES if f in frame]
    if frame.empty:
        return pd.DataFrame(columns=[*keys, *figures])
    return frame.dropna(subset=keys).groupby(keys, as_index=False)[figures].sum()


def _combine(views: pd.DataFrame, events: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Views (and video count, mean engagement) of a grouping next to its events' sums."""
    grouped_views = (
        views.dropna(subset=keys)
        .groupby(keys, as_index=False)
        .agg(
            views=("views", "sum"), videos=("video_id", "count"), engagement=("engagement", "mean")
        )
        if not views.empty
        else pd.DataFrame(columns=[*keys, "views", "videos", "engagement"])
    )
    summed = _sum(events.drop(columns=["views"], errors="ignore"), keys)
    merged = grouped_views.merge(summed, on=keys, how="outer")
    for name in [*FIGURES, "videos"]:
        merged[name] = merged[name].fillna(0) if name in merged else 0
    if "engagement" not in merged:
        merged["engagement"] = np.nan  # unknown until _row: the topic and hour means skip it
    return merged


def _rows(owner_ids, videos, events, links, sales) -> list[dict]:
    rows: list[dict] = []
    video_events = events.dropna(subset=["video_id"]).astype({"video_id": np.int64})
    per_video = _combine(videos, video_events, ["owner_id", "video_id"])
    placed = per_video.merge(
        videos[["video_id", "course_id", "platform_id"]], on="video_id", how="inner"
    )
    for row in placed.itertuples(index=False):
        rows.append(
            _row(row, FunnelScope.VIDEO, f"v{int(row.video_id)}", video_id=row.video_id,
                 course_id=row.course_id, platform_id=row.platform_id)
        )  # fmt: skip

    course_views = videos.dropna(subset=["course_id"])
    for row in _combine(course_views, events, ["owner_id", "course_id"]).itertuples(index=False):
        rows.append(
            _row(row, FunnelScope.COURSE, f"c{int(row.course_id)}", course_id=row.course_id)
        )

    for row in _combine(videos, events, ["owner_id", "platform_id"]).itertuples(index=False):
        rows.append(
            _row(row, FunnelScope.PLATFORM, f"p{int(row.platform_id)}", platform_id=row.platform_id)
        )
    per_course_platform = _combine(course_views, events, ["owner_id", "course_id", "platform_id"])
    for row in per_course_platform.itertuples(index=False):
        rows.append(
            _row(row, FunnelScope.PLATFORM, f"c{int(row.course_id)}p{int(row.platform_id)}",
                 course_id=row.course_id, platform_id=row.platform_id)
        )  # fmt: skip

    rows.extend(_phase_rows(owner_ids, events, links))

    # Topics and posting hours, from the per-video figures (events without a video have no
    # topic or hour).
    per_video_full = per_video.merge(
        videos[["video_id", "topic", "hour"]], on="video_id", how="left"
    )
    # The oldest video's spelling names the topic.
    topics = per_video_full[per_video_full["topic"].fillna("") != ""].sort_values("video_id")
    # "Python" and "python" are one topic.
    topics = topics.assign(topic_key=topics["topic"].str.casefold())
    by_topic = topics.groupby(["owner_id", "topic_key"], as_index=False).agg(
        **{name: (name, "sum") for name in [*FIGURES, "videos"]},
        engagement=("engagement", "mean"),
        topic=("topic", "first"),
    )
    for row in by_topic.itertuples(index=False):
        rows.append(_row(row, FunnelScope.TOPIC, f"t:{row.topic_key}", topic=row.topic))
    hours = per_video_full.dropna(subset=["hour"]).astype({"hour": int})
    by_hour = hours.groupby(["owner_id", "hour"], as_index=False).agg(
        **{name: (name, "sum") for name in [*FIGURES, "videos"]},
        engagement=("engagement", "mean"),
    )
    for row in by_hour.itertuples(index=False):
        rows.append(_row(row, FunnelScope.HOUR, f"h{row.hour}", hour=int(row.hour)))
    _score(rows, videos)
    return rows


def _known(value) -> float:
    """A mean D_F; 0 when no video of the group has a known one (the stored field is not
    nullable: 0 is also what a group without views gets)."""
    return 0.0 if value is None or pd.isna(value) else float(value)


def _id(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _row(figures, scope: str, key: str, **dimensions) -> dict:
    row = {
        "owner_id": int(figures.owner_id),
        "scope": str(scope),
        "key": key,
        "video_id": None,
        "course_id": None,
        "platform_id": None,
        "campaign_id": None,
        "phase": "",
        "topic": "",
        "hour": None,
        "videos": int(getattr(figures, "videos", 0) or 0),
        "views": int(figures.views),
        "clicks": int(figures.clicks),
        "visitors": int(figures.visitors),
        "sales": int(figures.sales),
        "sales_inferred": int(figures.sales_inferred),
        "units": int(figures.units),
        "gross_revenue": round(float(figures.gross) / 100, 2),
        "net_revenue": round(float(figures.net) / 100, 2),
        "engagement": _known(getattr(figures, "engagement", None)),
        "score": 0.0,
    }
    for name, value in dimensions.items():
        row[name] = _id(value) if name.endswith("_id") else value
    return row


def _phase_rows(owner_ids, events: pd.DataFrame, links: pd.DataFrame) -> list[dict]:
    """Per campaign and phase: daily views of the campaign's videos on the phase's days, and
    the clicks and credited sales of its links and videos on those days."""
    campaigns = list(
        Campaign.objects.filter(owner_id__in=owner_ids).values(
            "id", "owner_id", "course_id", "launch_date", "prelaunch_days", "followup_days"
        )
    )
    if not campaigns:
        return []
    posts = _frame(
        ScheduledPost.objects.filter(
            campaign__owner_id__in=owner_ids, is_suggestion=False
        ).values_list("id", "campaign_id", "video_id"),
        ["post_id", "campaign_id", "video_id"],
    )
    first = min(c["launch_date"] - timedelta(days=c["prelaunch_days"]) for c in campaigns)
    last = max(c["launch_date"] + timedelta(days=c["followup_days"]) for c in campaigns)
    post_videos = posts["video_id"].dropna().astype(int).unique().tolist()
    daily = _frame(
        VideoDailyStat.objects.filter(
            video_id__in=post_videos, date__range=(first, last)
        ).values_list("video_id", "date", "views"),
        ["video_id", "day", "views"],
    )
    post_links = links.dropna(subset=["campaign_id"])
    rows = []
    for campaign in campaigns:
        videos = set(
            posts.loc[posts["campaign_id"] == campaign["id"], "video_id"].dropna().astype(int)
        )
        link_ids = set(
            post_links.loc[post_links["campaign_id"] == campaign["id"], "link_id"]
        ) | set(links.loc[links["campaign_id"].isna() & links["video_id"].isin(videos), "link_id"])
        mine = events[
            events["link_id"].isin(link_ids)
            | (events["link_id"].isna() & events["video_id"].isin(videos))
        ]
        views = daily[daily["video_id"].isin(videos)]
        window = dict(
            launch_date=campaign["launch_date"],
            prelaunch_days=campaign["prelaunch_days"],
            followup_days=campaign["followup_days"],
        )
        phase_of = partial(phases.campaign_phase, **window)
        event_phase = mine["day"].map(phase_of)
        view_phase = views["day"].map(phase_of)
        for phase in (phases.PRELAUNCH, phases.LAUNCH, phases.FOLLOWUP):
            in_phase = mine[event_phase == phase]
            figures = {name: in_phase[name].sum() if name in in_phase else 0 for name in FIGURES}
            figures["views"] = int(views.loc[view_phase == phase, "views"].sum())
            figures["videos"] = len(videos)
            figures["owner_id"] = campaign["owner_id"]
            rows.append(
                _row(pd.Series(figures), FunnelScope.PHASE, f"k{campaign['id']}:{phase}",
                     campaign_id=campaign["id"], course_id=campaign["course_id"], phase=phase)
            )  # fmt: skip
    return rows


def _score(rows: list[dict], videos: pd.DataFrame) -> None:
    """Rank topics, platforms and hours for "what to post next" by a cautious estimate of net
    revenue per view: the 10th percentile of the group's sales rate (Gamma–Poisson: the
    creator's overall sales per view as the prior, weighted like one typical video's views)
    times the group's net revenue per sale. A handful of views with one lucky sale cannot top
    a group with steady sales over many views. A creator with no credited sales yet gets the
    mean D_F (engagement) instead."""
    typical = {
        owner_id: _known(group.loc[group["views_known"], "views"].median()) or 1.0
        for owner_id, group in videos.groupby("owner_id")
    }
    totals: dict[int, list[float]] = {}
    for row in rows:
        if row["scope"] == FunnelScope.PLATFORM and row["course_id"] is None:
            total = totals.setdefault(row["owner_id"], [0.0, 0, 0])
            total[0] += row["net_revenue"]
            total[1] += row["sales"]
            total[2] += row["views"]
    for row in rows:
        if row["scope"] not in (FunnelScope.TOPIC, FunnelScope.PLATFORM, FunnelScope.HOUR):
            continue
        net, sales, views = totals.get(row["owner_id"], (0.0, 0, 0))
        if sales == 0 or net <= 0:
            row["score"] = row["engagement"]
            continue
        weight = typical.get(row["owner_id"], 1.0)
        prior_rate = sales / views if views else 0.0
        shape = prior_rate * weight + row["sales"]
        rate = (
            gamma.ppf(SCORE_QUANTILE, shape, scale=1 / (weight + row["views"]))
            if shape > 0
            else 0.0
        )
        per_sale = row["net_revenue"] / row["sales"] if row["sales"] else net / sales
        row["score"] = float(rate * per_sale)
