"""Demo data: two creators with realistic, deterministic rows (same data on every run)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.utils import timezone

from analytics.models import CreatorSettings, RecomputeRun
from campaigns import services as campaign_services
from campaigns.models import Campaign, InteractionTactic, LiveSession, ScheduledPost
from core import events
from core.services import creator_create
from courses import services as course_services
from courses.models import CompetitorPrice, Course, Discount, Level, PriceTier
from tracking import services as tracking_services
from tracking.clicks import clicks_insert
from tracking.models import FunnelStat, TrackingLink
from videos import services as video_services
from videos.models import PipelineStatus, Platform, Video, VideoDailyStat

COUNT_FIELDS = VideoDailyStat.COUNT_FIELDS
EPOCH = date(1970, 1, 1).toordinal()
CLICK_BATCH = 5000

AUDIENCES = ["应届生", "转行新人", "后端工程师", "测试工程师", "技术经理"]
HASHTAGS = ["#程序员", "#编程", "#Python", "#Go语言", "#面试", "#系统设计", "#干货", "#职场"]
TITLE_HOOKS = ["3 分钟讲透", "新手必看", "踩坑实录", "面试官视角", "一图看懂"]
# Posting hours vary so "what to post next" has hours to compare.
POST_HOURS = (8, 12, 18, 19, 21, 22)
# Share of a day's viewers who click the link in the description; sales carry the code this
# often (the rest: the creator named the video, or nothing and the last-click rule decides).
CLICK_RATE = 0.002
CODED_SHARE, NAMED_SHARE = 0.45, 0.6
UNPUBLISHED_STATES = [
    PipelineStatus.IDEA,
    PipelineStatus.SCRIPT,
    PipelineStatus.SHOOTING,
    PipelineStatus.EDITING,
    PipelineStatus.SCHEDULED,
]


@dataclass(frozen=True)
class CourseSpec:
    slug: str
    title: str
    topic: str
    level: str
    audience: str
    launch_offset_days: int  # launch date relative to today
    tiers: tuple[tuple[str, str, str], ...]  # (level, name, price)
    daily_sales_peak: float
    audience_tags: tuple[str, ...] = ()
    # What the course's videos are about: each video takes one, so they match the course.
    video_topics: tuple[str, ...] = ()
    # The course's own hashtags (a Go course's videos are not tagged #Python).
    hashtags: tuple[str, ...] = ()


DEMO_COURSES = (
    CourseSpec(
        "python-office",
        "Python 自动化办公入门",
        "Python 自动化",
        Level.BEGINNER,
        "转行新人、职场白领",
        -120,
        ((Level.BEGINNER, "基础版", "99"), (Level.INTERMEDIATE, "进阶版", "199")),
        14,
        ("beginners", "career changers", "mass market"),
        ("Python 自动化", "Excel 自动化", "办公脚本", "爬虫入门", "数据清洗"),
        hashtags=("#Python", "#办公自动化", "#Excel", "#职场", "#干货"),
    ),
    CourseSpec(
        "go-microservices",
        "Go 微服务实战",
        "Go 并发",
        Level.INTERMEDIATE,
        "后端工程师",
        -60,
        (
            (Level.BEGINNER, "入门版", "149"),
            (Level.INTERMEDIATE, "实战版", "299"),
            # Priced below the intermediate tier on purpose: the demo's pricing alert.
            (Level.ADVANCED, "架构师版", "259"),
        ),
        9,
        ("developers", "professionals"),
        ("Go 并发", "微服务拆分", "gRPC 实战", "Go 性能调优", "服务治理"),
        hashtags=("#Go语言", "#微服务", "#后端", "#编程", "#干货"),
    ),
    CourseSpec(
        "system-design",
        "系统设计面试进阶",
        "系统设计",
        Level.ADVANCED,
        "准备跳槽的中高级工程师",
        3,
        ((Level.INTERMEDIATE, "标准版", "399"), (Level.ADVANCED, "旗舰版（含模拟面试）", "899")),
        0,
        ("developers", "professionals", "managers"),
        ("系统设计", "面试刷题", "高并发架构", "缓存设计", "消息队列"),
        hashtags=("#系统设计", "#面试", "#架构", "#程序员", "#职场"),
    ),
)
DEMO2_COURSES = (
    CourseSpec(
        "rust-basics",
        "Rust 从零到一",
        "Rust",
        Level.BEGINNER,
        "想学系统编程的工程师",
        -45,
        ((Level.BEGINNER, "标准版", "129"),),
        5,
        ("developers", "students"),
        ("Rust 所有权", "Rust 并发", "Cargo 工具链", "Rust 错误处理", "Rust 与 C 对比"),
    ),
)


def _aware(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def demo_seed(*, username: str, password: str, variant: str = "demo", reset: bool = False) -> dict:
    """Create the creator and its data set; a second call finds it and changes nothing."""
    user = creator_create(username=username, password=password)
    if reset:
        demo_clear(owner=user)
    if Course.objects.owned_by(user).exists():
        return {"created": False, "username": username}
    specs = DEMO_COURSES if variant == "demo" else DEMO2_COURSES
    videos_per_course = 22 if variant == "demo" else 6
    rng = np.random.default_rng(20261128 if variant == "demo" else 7)
    # Clicks draw from their own stream so the rest of the data stays as it always was.
    click_rng = np.random.default_rng(11 if variant == "demo" else 12)
    today = timezone.localdate()
    platforms = list(Platform.objects.order_by("id"))
    # Made-up data announces nothing (no webhooks, no queued recompute): seed_demo computes
    # the figures itself. Every row still goes through its entity's service and rules.
    with transaction.atomic(), events.quiet():
        courses = [_seed_course(user, spec, today, platforms, rng) for spec in specs]
        for course, spec in zip(courses, specs, strict=True):
            videos = _seed_videos(user, course, spec, today, platforms, rng, videos_per_course)
            links = _seed_links(user, videos, click_rng)
            _seed_sales(course, spec, today, platforms, videos, links, rng)
        upcoming = (
            next(c for c, s in zip(courses, specs, strict=True) if s.launch_offset_days > 0)
            if any(s.launch_offset_days > 0 for s in specs)
            else courses[0]
        )
        campaign = _seed_campaign(user, upcoming, today, platforms, variant)
        _seed_post_links(user, campaign, today, click_rng)
    return {"created": True, "username": username}


def demo_clear(*, owner) -> None:
    """Remove every row the creator owns (the cascade takes tiers, stats, posts and results).

    A recompute run still holding the creator's lock is kept: its worker will finish it."""
    with transaction.atomic():
        Campaign.objects.owned_by(owner).delete()
        Video.objects.owned_by(owner).delete()
        Course.objects.owned_by(owner).delete()
        CreatorSettings.objects.owned_by(owner).delete()
        TrackingLink.objects.owned_by(owner).delete()
        FunnelStat.objects.owned_by(owner).delete()
        RecomputeRun.objects.owned_by(owner).exclude(status=RecomputeRun.Status.RUNNING).delete()


def _seed_course(user, spec: CourseSpec, today: date, platforms, rng) -> Course:
    launch = today + timedelta(days=spec.launch_offset_days)
    course = Course(
        owner=user,
        slug=spec.slug,
        title=spec.title,
        topic=spec.topic,
        level=spec.level,
        target_audience=spec.audience,
        audience_tags=list(spec.audience_tags),
        launch_date=launch,
        status=Course.Status.ON_SALE if spec.launch_offset_days <= 0 else Course.Status.PRESALE,
        description=f"{spec.title}：面向{spec.audience}的实战课程，配套源码与答疑群。",
        sales_page_url=f"https://shop.example.com/courses/{spec.slug}",
    )
    course_services.course_row_save(row=course)
    for level, name, price in spec.tiers:
        tier = PriceTier(course=course, level=level, name=name, list_price=Decimal(price))
        course_services.course_row_save(row=tier)
    now = timezone.now()
    if spec.launch_offset_days <= 0:
        # A limited-time discount that is running now and ends within two days.
        discount = Discount(
            course=course,
            name="双十二早鸟价",
            kind=Discount.Kind.PERCENT,
            value=Decimal("20"),
            starts_at=now - timedelta(days=3),
            ends_at=now + timedelta(hours=36),
            code="EARLY20",
            max_redemptions=300,
        )
    else:
        discount = Discount(
            course=course,
            name="开课首周立减",
            kind=Discount.Kind.FIXED,
            value=Decimal("50"),
            starts_at=_aware(launch, 0),
            ends_at=_aware(launch + timedelta(days=7), 0),
        )
    course_services.course_row_save(row=discount)
    base = float(spec.tiers[0][2])
    for i, factor in enumerate([0.6, 0.8, 1.0, 1.2, 1.5, 2.1]):
        price = CompetitorPrice(
            course=course,
            competitor=f"竞品{chr(65 + i)}",
            platform=platforms[i % len(platforms)],
            price=Decimal(str(round(base * factor))),
            observed_on=today - timedelta(days=i * 3),
        )
        course_services.course_row_save(row=price)
    return course


def _views_curve(age_days: np.ndarray, peak: float, half_life: float, tail: float) -> np.ndarray:
    """A post's daily views: a launch spike decaying to a long tail."""
    return peak * np.power(0.5, age_days / half_life) + tail


def _seed_videos(user, course, spec, today, platforms, rng, count) -> list[Video]:
    videos = []
    for i in range(count):
        platform = platforms[i % len(platforms)]
        published = i < count * 0.75 or (spec.launch_offset_days > 0 and i < count * 0.4)
        state = PipelineStatus.PUBLISHED if published else UNPUBLISHED_STATES[i % 5]
        age = int(rng.integers(5, 150)) if published else 0
        topics = spec.video_topics or (spec.topic,)
        tags = spec.hashtags or HASHTAGS
        # Topic and hook change together so no two videos of a course share a title.
        topic = topics[i % len(topics)]
        hook = TITLE_HOOKS[(i // len(topics) + i) % len(TITLE_HOOKS)]
        unique = i < len(topics) * len(TITLE_HOOKS)
        video = Video(
            owner=user,
            course=course,
            platform=platform,
            platform_video_id=f"{spec.slug[:6]}-{platform.slug[:3]}-{i:03d}" if published else "",
            title=f"{topic}：{hook}" if unique else f"{topic}：{hook}（{i + 1}）",
            topic=topic,
            target_audience=AUDIENCES[i % len(AUDIENCES)],
            length_seconds=int(rng.integers(30, 420)),
            production_level=int(rng.integers(2, 6)),
            usefulness=int(rng.integers(2, 6)),
            hashtags=" ".join(tags[j % len(tags)] for j in range(i, i + 3)),
            script_opening="你是不是也遇到过这个问题？" if i % 2 else "先说结论：",
            script_body=f"用一个真实例子讲清楚{topic}的关键步骤。",
            script_closing="完整代码在课程里，评论区领取资料。",
            status=state,
            published_at=_aware(
                today - timedelta(days=age), POST_HOURS[(i // 3) % len(POST_HOURS)], 30
            )
            if published
            else None,
            scheduled_at=_aware(today + timedelta(days=2 + i % 5), 19, 30)
            if state == PipelineStatus.SCHEDULED
            else None,
        )
        video.full_clean()
        videos.append(video)
    video_services.videos_create_imported(owner_id=user.pk, videos=videos)
    stats = []
    for video in videos:
        if video.status != PipelineStatus.PUBLISHED:
            continue
        first = timezone.localdate(video.published_at)
        days = np.arange((today - first).days)  # up to yesterday
        viral = rng.random() < 0.15
        views = _views_curve(
            days,
            peak=rng.uniform(3000, 40000) * (6 if viral else 1),
            half_life=rng.uniform(2, 9),
            tail=rng.uniform(20, 300),
        )
        views = rng.poisson(views)
        like_rate, comment_rate = rng.uniform(0.02, 0.09), rng.uniform(0.002, 0.012)
        share_rate, save_rate = rng.uniform(0.001, 0.01), rng.uniform(0.003, 0.02)
        for offset, v in zip(days, views, strict=True):
            likes, comments = rng.binomial(v, like_rate), rng.binomial(v, comment_rate)
            shares, saves = rng.binomial(v, share_rate), rng.binomial(v, save_rate)
            day = first + timedelta(days=int(offset))
            values = {
                "views": int(v),
                "likes": int(likes),
                "comments": int(comments),
                "shares": int(shares),
                "saves": int(saves),
                "interactions": int(likes + comments + shares + saves),
                "link_clicks": int(rng.binomial(v, 0.004)),
            }
            stats.append((video.pk, day.toordinal() - EPOCH, values))
    if stats:
        video_services.stats_upsert(
            owner_id=user.pk,
            video_ids=np.array([video_id for video_id, _, _ in stats], dtype=np.int64),
            days=np.array([day for _, day, _ in stats], dtype=np.int64),
            counts=np.array(
                [[values.get(name, 0) for name in COUNT_FIELDS] for _, _, values in stats],
                dtype=np.int64,
            ),
        )
    return videos


def _seed_clicks(link_days: list[tuple[TrackingLink, date, int]], rng) -> None:
    """``views`` viewers on a day; about CLICK_RATE of them click, at some time that day."""
    clicks = []
    for link, day, views in link_days:
        for _ in range(int(rng.binomial(views, CLICK_RATE))):
            at = _aware(day, int(rng.integers(0, 24)), int(rng.integers(0, 60)))
            clicks.append((link.pk, at, f"{rng.integers(2**63):016x}"))
    for start in range(0, len(clicks), CLICK_BATCH):
        clicks_insert(clicks[start : start + CLICK_BATCH])


def _seed_links(user, videos, rng) -> dict[int, TrackingLink]:
    """A tracking link on every published video, clicked in proportion to its daily views."""
    published = [v for v in videos if v.status == PipelineStatus.PUBLISHED]
    links = [tracking_services.link_for_video(owner=user, video=v) for v in published]
    by_video = {link.video_id: link for link in links}
    # Days without reported views (None) draw no clicks.
    views = VideoDailyStat.objects.filter(video__in=published, views__isnull=False).values_list(
        "video_id", "date", "views"
    )
    _seed_clicks([(by_video[video_id], day, n) for video_id, day, n in views], rng)
    return by_video


def _seed_post_links(user, campaign, today, rng) -> None:
    """Links on the campaign's posts; the posts already out have drawn clicks."""
    posts = list(campaign.posts.all())
    links = [tracking_services.link_for_post(owner=user, post=p) for p in posts]
    _seed_clicks(
        [
            (link, day, 3000)
            for link, post in zip(links, posts, strict=True)
            for day in [timezone.localdate(post.planned_at)]
            if day < today
        ],
        rng,
    )


def _seed_sales(course, spec, today, platforms, videos, links, rng) -> None:
    """Sales that jump at launch and flatten: a saturating curve with Poisson noise."""
    if spec.launch_offset_days > 0:
        return
    tiers = list(course.tiers.order_by("list_price"))
    published = [v for v in videos if v.status == PipelineStatus.PUBLISHED]
    sales = []
    for offset in range(-spec.launch_offset_days, 0, -1):
        day = today - timedelta(days=offset)
        age = (day - course.launch_date).days
        expected = spec.daily_sales_peak * (0.35 + 0.65 * math.exp(-age / 25))
        for n in range(int(rng.poisson(expected))):
            tier = tiers[0] if rng.random() < 0.7 else tiers[-1]
            video = published[int(rng.integers(len(published)))] if published else None
            price = tier.list_price * (Decimal("0.8") if rng.random() < 0.2 else 1)
            credit = rng.random()
            link = links.get(video.pk) if video else None
            sales.append(
                {
                    "course": course.pk,
                    "tier": tier.pk,
                    "platform": (video.platform if video else platforms[0]).pk,
                    "tracking_code": link.code if link and credit < CODED_SHARE else "",
                    "source_video": video.pk if CODED_SHARE <= credit < NAMED_SHARE else None,
                    "quantity": 1,
                    "unit_price": price.quantize(Decimal("0.01")),
                    "sold_at": _aware(day, int(rng.integers(8, 24)), int(rng.integers(0, 60))),
                    "order_ref": f"{course.slug[:4].upper()}-{day:%Y%m%d}-{n:03d}",
                }
            )
    if sales:  # a shop coupon typed where the tracking code goes: shown as an unknown code
        sales[0].update(tracking_code="SHOP10", source_video=None)
    # The API's bulk path: every rule checked for the whole batch in a fixed number of queries.
    if sales:
        course_services.sales_record_bulk(owner=course.owner, rows=sales)


def _seed_campaign(user, course, today, platforms, variant) -> Campaign:
    by_slug = {p.slug: p for p in platforms}
    chosen = [by_slug["douyin"], by_slug["bilibili"], by_slug["wechat-channels"]]
    launch = (
        course.launch_date
        if course.launch_date and course.launch_date > today
        else today + timedelta(days=5)
    )
    campaign = campaign_services.campaign_create(
        owner=user,
        course=course,
        name=f"{course.title} 开课冲刺",
        launch_date=launch,
        platforms=chosen,
        goal="开课首周卖出 300 份",
        goal_units=300,
        hashtags="#程序员 #面试 #系统设计",
    )
    videos = list(Video.objects.filter(course=course).order_by("id"))
    posts = []
    for day in campaign.days:
        offset = (day - launch).days
        for p_index, platform in enumerate(chosen):
            # Douyin daily (one gap two days before launch), Bilibili every other day,
            # WeChat Channels only around the launch: the planner shows the gaps.
            if platform.slug == "douyin" and offset == -2:
                continue
            if platform.slug == "bilibili" and offset % 2:
                continue
            if platform.slug == "wechat-channels" and abs(offset) > 1:
                continue
            video = videos[(offset + p_index) % len(videos)] if videos else None
            posts.append(
                ScheduledPost(
                    campaign=campaign,
                    video=video,
                    platform=platform,
                    planned_at=_aware(day, 19 if platform.slug == "douyin" else 12, 30),
                    title=video.title if video else "",
                    hashtags=campaign.hashtags,
                )
            )
    campaign_services.posts_record(campaign=campaign, posts=posts)
    campaign_services.campaign_row_create(
        model=LiveSession,
        data={
            "campaign": campaign,
            "platform": chosen[0],
            "title": "开课直播：系统设计答疑",
            "starts_at": _aware(launch, 20),
            "duration_minutes": 90,
            "topic": "现场拆解一道高频面试题",
        },
    )
    tactics = [
        {"kind": InteractionTactic.Kind.HASHTAG, "text": "#系统设计"},
        {"kind": InteractionTactic.Kind.TOPIC, "text": "你面试被问过最难的系统设计题是什么？"},
        *[
            {
                "kind": InteractionTactic.Kind.COMMENT_REPLY,
                "text": "回复前 50 条评论，置顶优质问题",
                "platform": chosen[0],
                "starts_at": _aware(launch + timedelta(days=d), 21),
                "duration_minutes": 30,
            }
            for d in (-1, 0, 1)
        ],
    ]
    for data in tactics:
        campaign_services.campaign_row_create(
            model=InteractionTactic, data={"campaign": campaign, **data}
        )
    return campaign
