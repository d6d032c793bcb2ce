"""Writes for campaigns: one place for the rules the planner, the API and tasks share."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.events import Event, emit
from core.services import instance_create, instance_update
from videos.models import PipelineStatus, Platform, Video

from .models import Campaign, InteractionTactic, LiveSession, ScheduledPost
from .selectors import campaign_posts_by_cell

DEFAULT_POST_TIME = time(19, 30)  # evening peak on the short-video platforms


def _local(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


@transaction.atomic
def campaign_create(
    *,
    owner,
    course,
    name: str,
    launch_date: date,
    prelaunch_days: int = 7,
    followup_days: int = 7,
    platforms: Iterable[Platform] = (),
    goal: str = "",
    goal_units: int | None = None,
    hashtags: str = "",
) -> Campaign:
    campaign = Campaign(
        owner=owner,
        course=course,
        name=name,
        launch_date=launch_date,
        prelaunch_days=prelaunch_days,
        followup_days=followup_days,
        goal=goal,
        goal_units=goal_units,
        hashtags=hashtags,
    )
    campaign.full_clean()
    campaign.save()
    campaign.platforms.set(platforms)
    _announce(campaign)
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, data: dict[str, Any]) -> Campaign:
    """Change a campaign's fields (windows, platforms, goal); the model's rules hold."""
    campaign = instance_update(instance=campaign, data=data)
    _announce(campaign)
    return campaign


@transaction.atomic
def campaign_save(*, campaign: Campaign) -> Campaign:
    """Save a campaign whose fields a form has already set (the admin)."""
    campaign.full_clean()
    campaign.save()
    _announce(campaign)
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign) -> None:
    owner_id, pk = campaign.owner_id, campaign.pk
    campaign.delete()
    emit(Event.CAMPAIGN_CHANGED, owner_id=owner_id, payload={"campaigns": [pk]})


# Live sessions and interaction tactics: rows of a campaign whose rules (inside the windows,
# a start for a comment-reply slot, at least one minute) live in the model's clean().
CampaignRow = LiveSession | InteractionTactic


@transaction.atomic
def campaign_row_create(*, model: type[CampaignRow], data: dict[str, Any]) -> CampaignRow:
    """A live session or a tactic of one of the creator's campaigns (the caller checked the
    campaign is theirs); ``campaign.changed`` for its campaign."""
    row = instance_create(model=model, data=data)
    _announce(row.campaign)
    return row


@transaction.atomic
def campaign_row_update(*, row: CampaignRow, data: dict[str, Any]) -> CampaignRow:
    row = instance_update(instance=row, data=data)
    _announce(row.campaign)
    return row


@transaction.atomic
def campaign_row_save(*, row: CampaignRow) -> CampaignRow:
    """A row whose fields a form has already set (the admin, its inlines)."""
    row.full_clean()
    row.save()
    _announce(row.campaign)
    return row


@transaction.atomic
def campaign_row_delete(*, row: CampaignRow) -> None:
    campaign = row.campaign
    row.delete()
    _announce(campaign)


def _check_not_past(planned_at: datetime, *, today: date) -> None:
    if timezone.localdate(planned_at) < today:
        raise ValidationError({"planned_at": _("That day is over: plan posts from today on.")})


def _check_platform(campaign: Campaign, platform: Platform) -> None:
    chosen = {p.id for p in campaign.platforms.all()}
    if chosen and platform.id not in chosen:
        raise ValidationError(
            {
                "platform": _("%(platform)s is not one of this campaign's platforms.")
                % {"platform": platform.label}
            }
        )


def post_check(
    *,
    campaign: Campaign,
    platform: Platform,
    planned_at: datetime,
    post: ScheduledPost | None = None,
    today: date | None = None,
) -> None:
    """The planning rules every surface shares (the model adds "inside the windows"): a post
    whose day is over stays as it was, a new day may not be over, and the platform must be one
    of the campaign's. Raises ValidationError on the field concerned."""
    today = today or timezone.localdate()
    if post is not None and post.pk:
        stored = ScheduledPost.objects.filter(pk=post.pk).values_list("planned_at", flat=True)
        before = stored.first()
        if before is not None and timezone.localdate(before) < today:
            raise ValidationError(_("This post's day is over; it can no longer be changed."))
    _check_not_past(planned_at, today=today)
    _check_platform(campaign, platform)


@transaction.atomic
def post_create(
    *,
    campaign: Campaign,
    platform: Platform,
    planned_at: datetime,
    video: Video | None = None,
    title: str = "",
    hashtags: str = "",
    is_suggestion: bool = False,
    today: date | None = None,
) -> ScheduledPost:
    """A post inside the campaign's windows, on one of its platforms, not in the past."""
    post_check(campaign=campaign, platform=platform, planned_at=planned_at, today=today)
    post = ScheduledPost(
        campaign=campaign,
        platform=platform,
        planned_at=planned_at,
        video=video,
        title=title or (video.title if video else ""),
        hashtags=hashtags or campaign.hashtags,
        is_suggestion=is_suggestion,
    )
    post.full_clean()
    post.save()
    _announce(campaign)
    return post


@transaction.atomic
def post_update(*, post: ScheduledPost, today: date | None = None, **changes) -> ScheduledPost:
    today = today or timezone.localdate()
    if post.pk and timezone.localdate(post.planned_at) < today:
        raise ValidationError(_("This post's day is over; it can no longer be changed."))
    changes = {name: value for name, value in changes.items() if getattr(post, name) != value}
    if not changes:
        return post
    for name, value in changes.items():
        setattr(post, name, value)
    _check_not_past(post.planned_at, today=today)
    _check_platform(post.campaign, post.platform)
    post.full_clean()
    post.save(update_fields=[*changes, "updated_at"])
    _announce(post.campaign)
    return post


@transaction.atomic
def post_save(*, post: ScheduledPost, today: date | None = None) -> ScheduledPost:
    """Save a post whose fields a form has already set (the admin): the same rules as
    ``post_create`` and ``post_update``."""
    post_check(
        campaign=post.campaign,
        platform=post.platform,
        planned_at=post.planned_at,
        post=post,
        today=today,
    )
    post.full_clean()
    post.save()
    _announce(post.campaign)
    return post


@transaction.atomic
def posts_record(*, campaign: Campaign, posts: list[ScheduledPost]) -> list[ScheduledPost]:
    """A campaign's posting record written at once (the demo's history): each post keeps the
    model's rules (inside the windows) and the campaign's platforms; unlike a plan made in the
    planner, days already over are accepted, since these posts happened."""
    for post in posts:
        post.campaign = campaign
        _check_platform(campaign, post.platform)
        post.full_clean()
    created = ScheduledPost.objects.bulk_create(posts)
    _announce(campaign)
    return created


def _announce(campaign: Campaign) -> None:
    """The funnel's phase figures follow the posts."""
    emit(Event.CAMPAIGN_CHANGED, owner_id=campaign.owner_id, payload={"campaigns": [campaign.pk]})


def post_move(
    *, post: ScheduledPost, day: date, platform: Platform | None = None, today: date | None = None
) -> ScheduledPost:
    """Move a post to another day (and platform), keeping its time of day."""
    local_time = timezone.localtime(post.planned_at).time()
    changes = {"planned_at": _local(day, local_time)}
    if platform is not None:
        changes["platform"] = platform
    return post_update(post=post, today=today, **changes)


@transaction.atomic
def post_delete(*, post: ScheduledPost, today: date | None = None) -> None:
    if timezone.localdate(post.planned_at) < (today or timezone.localdate()):
        raise ValidationError(_("This post's day is over; it stays in the record."))
    campaign = post.campaign
    post.delete()
    _announce(campaign)


def usual_posting_times(*, owner) -> dict[int, time]:
    """Per platform, the creator's most frequent local posting time (hour and minute)."""
    counts: dict[int, Counter] = {}
    for platform_id, planned_at in (
        ScheduledPost.objects.owned_by(owner)
        .filter(is_suggestion=False)
        .values_list("platform_id", "planned_at")
    ):
        local = timezone.localtime(planned_at)
        counts.setdefault(platform_id, Counter())[time(local.hour, local.minute)] += 1
    return {pid: counter.most_common(1)[0][0] for pid, counter in counts.items()}


@transaction.atomic
def schedule_suggest(
    *, campaign: Campaign, per_day: int = 1, today: date | None = None
) -> list[ScheduledPost]:
    """Fill open slots (today on) with draft posts the creator reviews: up to ``per_day`` posts
    a day on each of the campaign's platforms, at the creator's usual time there, using the
    course's videos that this campaign does not post yet (ready ones first). Earlier
    suggestions are replaced, so asking twice does not pile them up."""
    if not 1 <= per_day <= 3:
        raise ValidationError({"per_day": _("Suggest 1 to 3 posts a day per platform.")})
    today = today or timezone.localdate()
    campaign.posts.filter(is_suggestion=True).delete()
    platforms = list(campaign.platforms.order_by("name"))
    cells = campaign_posts_by_cell(campaign=campaign)
    used = set(campaign.posts.exclude(video=None).values_list("video_id", flat=True))
    ready_first = [
        PipelineStatus.SCHEDULED,
        PipelineStatus.EDITING,
        PipelineStatus.SHOOTING,
        PipelineStatus.SCRIPT,
        PipelineStatus.IDEA,
        PipelineStatus.PUBLISHED,
    ]
    videos = sorted(
        (
            v
            for v in Video.objects.owned_by(campaign.owner).filter(course=campaign.course)
            if v.id not in used
        ),
        key=lambda v: (ready_first.index(v.status), v.id),
    )
    times = usual_posting_times(owner=campaign.owner)
    created = []
    for day in campaign.days:
        if day < today:
            continue
        for platform in platforms:
            missing = per_day - len(cells.get((day, platform.id), []))
            for n in range(max(missing, 0)):
                video = videos.pop(0) if videos else None
                at = times.get(platform.id, DEFAULT_POST_TIME)
                planned = _local(day, at) + timedelta(hours=3 * n)
                created.append(
                    post_create(
                        campaign=campaign,
                        platform=platform,
                        planned_at=planned,
                        video=video,
                        title="" if video else _("New post idea"),
                        is_suggestion=True,
                        today=today,
                    )
                )
    return created


def suggestions_accept(*, campaign: Campaign, ids: Iterable[int] | None = None) -> int:
    posts = campaign.posts.filter(is_suggestion=True)
    if ids is not None:
        posts = posts.filter(id__in=list(ids))
    return posts.update(is_suggestion=False, updated_at=timezone.now())


def suggestions_discard(*, campaign: Campaign, ids: Iterable[int] | None = None) -> int:
    posts = campaign.posts.filter(is_suggestion=True)
    if ids is not None:
        posts = posts.filter(id__in=list(ids))
    deleted, _by_model = posts.delete()
    return deleted
