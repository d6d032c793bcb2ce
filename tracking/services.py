"""Writes for tracking: links for videos and campaign posts, and counting a click.

The redirect path is the hot one: ``link_resolve`` reads a code's target from the cache
(one query on a miss) and ``click_record`` hands the click to the batch writer (or, with
TRACKING_CLICK_FLUSH_SECONDS = 0, is one INSERT); nothing else touches the database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from campaigns.models import Campaign, ScheduledPost
from core import codes
from videos.models import Video

from . import clicks
from .models import TrackingLink

CODE_ATTEMPTS = 8
UTM_MEDIUM = "short_video"
# Everything the redirect needs about a link, read in one query.
TARGET_FIELDS = (
    "id",
    "code",
    "is_active",
    "video__platform__slug",
    "video__course__slug",
    "video__course__sales_page_url",
    "post__platform__slug",
    "post__campaign__id",
    "post__campaign__name",
    "post__campaign__course__slug",
    "post__campaign__course__sales_page_url",
)


@dataclass(frozen=True)
class Target:
    link_id: int
    url: str  # empty: the course has no sales page yet
    active: bool


# --- links ------------------------------------------------------------------------------------


def _link_create(**fields) -> TrackingLink:
    """Insert with a fresh random code; retry on the (rare) collision."""
    for _attempt in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                return TrackingLink.objects.create(code=codes.code_generate(), **fields)
        except IntegrityError:
            existing = TrackingLink.objects.filter(
                **{k: v for k, v in fields.items() if k in ("video", "post")}
            )
            if "post" not in fields:
                existing = existing.filter(post__isnull=True)
            link = existing.first()
            if link is not None:  # a concurrent request created it
                return link
    raise RuntimeError("could not find a free tracking code")  # pragma: no cover


def link_for_video(*, owner, video: Video) -> TrackingLink:
    """The video's tracking link, created on first use."""
    if video.owner_id != owner.pk:
        raise ValidationError({"video": _("Choose one of your own videos.")})
    link = TrackingLink.objects.filter(video=video, post__isnull=True).first()
    return link or _link_create(owner=owner, video=video)


def link_for_post(*, owner, post: ScheduledPost) -> TrackingLink:
    """The campaign post's tracking link (carries the post's platform and campaign)."""
    if post.campaign.owner_id != owner.pk:
        raise ValidationError({"post": _("Choose one of your own campaign posts.")})
    if post.is_suggestion:
        raise ValidationError({"post": _("Accept the suggested post before giving it a link.")})
    link = TrackingLink.objects.filter(post=post).first()
    return link or _link_create(owner=owner, post=post)


def links_for_campaign(*, owner, campaign: Campaign) -> int:
    """A link for every planned (non-suggested) post of the campaign; returns how many were
    new."""
    if campaign.owner_id != owner.pk:
        raise ValidationError({"campaign": _("Choose one of your own campaigns.")})
    posts = campaign.posts.filter(is_suggestion=False, tracking_links__isnull=True)
    created = 0
    for post in posts.select_related("campaign"):
        link_for_post(owner=owner, post=post)
        created += 1
    return created


def link_set_active(*, link: TrackingLink, active: bool) -> TrackingLink:
    if link.is_active != active:
        link.is_active = active
        link.save(update_fields=["is_active", "updated_at"])
        target_forget(link.code)
    return link


# --- the redirect ----------------------------------------------------------------------------


def _cache_key(code: str) -> str:
    return f"tracking:target:{code}"


# code → (monotonic expiry, cached target): a first level in front of the shared cache, so a
# click does not pay a cache server round trip (with Redis, about as much as the rest of the
# redirect). Entries live TRACKING_TARGET_LOCAL_SECONDS; forgetting a target drops it here at
# once, other processes keep theirs until it expires.
_local_targets: dict[str, tuple[float, tuple]] = {}
LOCAL_TARGETS_MAX = 10_000


def target_forget(*codes_: str) -> None:
    """Drop cached targets after a change to a link, its video, post, campaign or course: now,
    and again once the change commits (a redirect in between may have cached the old row)."""

    def forget() -> None:
        cache.delete_many([_cache_key(code) for code in codes_])  # shared first: a redirect
        for code in codes_:  # in between would copy the old entry back into this process
            _local_targets.pop(code, None)

    forget()
    transaction.on_commit(forget)


def targets_local_clear() -> None:
    """Forget this process's first-level copies (tests that edit rows behind the services)."""
    _local_targets.clear()


def target_url(row: dict) -> str:
    """The course's sales page with the UTM parameters of the link's platform, campaign and
    code (existing query parameters kept, our UTM ones replaced)."""
    page = row["post__campaign__course__sales_page_url"] or row["video__course__sales_page_url"]
    if not page:
        return ""
    if row["post__campaign__id"]:
        campaign = slugify(row["post__campaign__name"]) or f"campaign-{row['post__campaign__id']}"
    else:
        campaign = row["video__course__slug"] or ""
    utm = {
        "utm_source": row["post__platform__slug"] or row["video__platform__slug"] or "",
        "utm_medium": UTM_MEDIUM,
        "utm_campaign": campaign,
        "utm_content": row["code"],
    }
    parts = urlsplit(page)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in utm]
    query += [(k, v) for k, v in utm.items() if v]
    return urlunsplit(parts._replace(query=urlencode(query)))


def link_resolve(code: str) -> Target | None:
    """Where ``code`` goes, or None for a code nobody owns.

    Cached in two levels: this process for TRACKING_TARGET_LOCAL_SECONDS, then the shared
    cache for TRACKING_TARGET_CACHE_SECONDS, then one query. Changes through the services
    forget both at once in the process that makes them; another process may serve the old
    target until its own copy expires."""
    if not codes.is_code(code):
        return None  # not even the shape of a code: no cache entry, no query
    now = time.monotonic()
    local = _local_targets.get(code)
    if local is not None and local[0] > now:
        cached = local[1]
    else:
        key = _cache_key(code)
        cached = cache.get(key)
        if cached is None:
            row = TrackingLink.objects.filter(code=code).values(*TARGET_FIELDS).first()
            cached = (row["id"], target_url(row), row["is_active"]) if row else ()
            cache.set(key, cached, settings.TRACKING_TARGET_CACHE_SECONDS)
        if settings.TRACKING_TARGET_LOCAL_SECONDS > 0:
            if len(_local_targets) >= LOCAL_TARGETS_MAX:
                _local_targets.clear()
            _local_targets[code] = (now + settings.TRACKING_TARGET_LOCAL_SECONDS, cached)
    return Target(*cached) if cached else None


def click_record(*, link_id: int, visitor: str, at: datetime | None = None) -> None:
    """Count one click: with TRACKING_CLICK_FLUSH_SECONDS > 0 (the default) it joins this
    process's buffer and the writer thread inserts it with its batch, so the redirect touches
    no database; with 0 it is one INSERT committed before the redirect answers. Both are in
    ``tracking.clicks``, with what each trades."""
    row = (link_id, at or timezone.now(), visitor)
    if settings.TRACKING_CLICK_FLUSH_SECONDS > 0:
        clicks.buffer.add(row)
    else:
        clicks.click_insert_now(row)


def targets_forget_related(*, instance) -> None:
    """Forget the cached targets of every link whose URL depends on ``instance`` (a course, a
    video, a campaign, a post or a link)."""
    from courses.models import Course

    lookups = {
        Course: Q(video__course=instance) | Q(post__campaign__course=instance),
        Video: Q(video=instance),
        Campaign: Q(post__campaign=instance),
        ScheduledPost: Q(post=instance),
    }
    if isinstance(instance, TrackingLink):
        target_forget(instance.code)
        return
    condition = lookups.get(type(instance))
    if condition is not None and instance.pk:
        found = list(TrackingLink.objects.filter(condition).values_list("code", flat=True))
        if found:
            target_forget(*found)
