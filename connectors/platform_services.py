"""Writes for platform connections: connecting an account or a list of videos, and the sync
that turns what a platform reports into snapshots of lifetime counts.

Every snapshot goes through ``videos.snapshots.snapshots_record`` (once per sync) and every
video a platform shows that the creator does not have yet through
``videos.services.videos_create_imported``. This module keeps the connection's cadence, counts,
last error and secrets (encrypted; only a hint is ever shown back).
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection as db
from django.db import transaction
from django.db.models import F, Func, JSONField, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from core.events import Event, emit
from videos.models import PipelineStatus, Platform, Video
from videos.services import videos_create_imported
from videos.snapshots import Observation, snapshots_record

from .models import PlatformConnection
from .platforms import FetchedVideo, PlatformError, VideoGone
from .platforms import messages as platform_messages
from .platforms.bilibili import BilibiliClient
from .platforms.douyin import DouyinClient
from .platforms.kuaishou import KuaishouClient
from .platforms.oauth import Tokens
from .platforms.youtube import YouTubeClient

logger = logging.getLogger(__name__)

BV_ID = re.compile(r"BV[0-9A-Za-z]{10}")
YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
YOUTUBE_CHANNEL = re.compile(r"UC[A-Za-z0-9_-]{22}")
MID = re.compile(r"[0-9]{1,20}")
MAX_VIDEO_IDS = 10_000
STATE_SALT = "connectors.platform-oauth"
STATE_MAX_AGE = 900
FAILURE_BACKOFF = timedelta(minutes=15)
FAILURE_BACKOFF_MAX = timedelta(days=1)
# After a sync stopped by something other than the platform (time limit, database): soon.
STOPPED_RETRY = timedelta(minutes=1)
CORRECTIONS_KEPT = 20


def secret_hint(value: str) -> str:
    """What the page and the API show of a secret: its last four characters (nothing of a
    secret too short to hide the rest)."""
    if not value:
        return ""
    return f"…{value[-4:]}" if len(value) >= 12 else "…"


# --- connecting ------------------------------------------------------------------------------


def _clean_ids(platform: str, video_ids: Iterable[str]) -> list[str]:
    pattern = BV_ID if platform == "bilibili" else YOUTUBE_ID
    cleaned, bad = [], []
    for value in video_ids:
        value = str(value).strip()
        if not value:
            continue
        if platform == "youtube-shorts" and "v=" in value:
            value = value.split("v=", 1)[1][:11]
        (cleaned if pattern.fullmatch(value) else bad).append(value)
    if bad:
        if platform == "bilibili":
            message = _("Not a Bilibili BV id: %(ids)s (they look like BV1xx411c7mD).")
        else:
            message = _("Not a YouTube video id: %(ids)s (11 characters, as in watch?v=…).")
        raise ValidationError({"video_ids": message % {"ids": ", ".join(bad[:5])}})
    if len(cleaned) > MAX_VIDEO_IDS:
        raise ValidationError(
            {"video_ids": _("At most %(count)s videos per connection.") % {"count": MAX_VIDEO_IDS}}
        )
    return list(dict.fromkeys(cleaned))


@transaction.atomic
def platform_connection_create(
    *,
    owner,
    platform: str,
    account_id: str = "",
    video_ids: Iterable[str] | None = None,
    api_key: str = "",
) -> PlatformConnection:
    """Bilibili (BV ids or the uploader's mid) and YouTube (the creator's API key with video ids
    or a channel id). Douyin and Kuaishou connect through their OAuth flow instead."""
    if platform in PlatformConnection.OAUTH_SLUGS:
        raise ValidationError(
            {
                "platform": _(
                    "Douyin and Kuaishou connect through their sign-in: use Connect on "
                    "the Connections page."
                )
            }
        )
    if platform not in PlatformConnection.SLUGS:
        raise ValidationError({"platform": _("Choose bilibili or youtube-shorts.")})
    account_id = (account_id or "").strip()
    ids = _clean_ids(platform, video_ids or [])
    errors = {}
    if not ids and not account_id:
        errors["video_ids"] = _("Give the video ids, or the account id to find the videos.")
    if account_id and platform == "bilibili" and not MID.fullmatch(account_id):
        errors["account_id"] = _(
            "A Bilibili uploader id (mid) is a number, as in space.bilibili.com/<mid>."
        )
    if account_id and platform == "youtube-shorts" and not YOUTUBE_CHANNEL.fullmatch(account_id):
        errors["account_id"] = _("A YouTube channel id starts with UC and has 24 characters.")
    api_key = (api_key or "").strip()
    if platform == "youtube-shorts" and not api_key:
        errors["api_key"] = _("YouTube needs your API key for the YouTube Data API v3.")
    if errors:
        raise ValidationError(errors)
    connection = PlatformConnection(
        owner=owner,
        platform=Platform.objects.get(slug=platform),
        account_id=account_id,
        video_ids=ids,
        api_key=api_key,
        secret_hint=secret_hint(api_key),
        next_run_at=timezone.now(),
    )
    connection.full_clean()
    with transaction.atomic():
        connection.save()
        _sync_requested(connection)  # the first numbers now, not at the next beat
    return connection


def platform_connection_delete(*, connection: PlatformConnection) -> None:
    """The connection goes; the videos and snapshots it brought stay."""
    connection.delete()


def platform_connection_sync_request(*, connection: PlatformConnection) -> None:
    """The "Sync now" of the page and the API: a sync of every video of the connection,
    whatever the cadence, queued once the caller's transaction commits
    (``platform.sync_requested``, which the connectors' subscriber turns into the task). A
    connection whose authorisation was revoked cannot sync until the creator connects again."""
    if connection.status == PlatformConnection.Status.REAUTHORISE:
        raise ValidationError(
            _("%(platform)s no longer accepts this connection: connect it again first.")
            % {"platform": connection.platform.label}
        )
    _sync_requested(connection)


def _sync_requested(connection: PlatformConnection) -> None:
    emit(
        Event.PLATFORM_SYNC_REQUESTED,
        owner_id=connection.owner_id,
        payload={"connection": connection.pk, "platform": connection.platform.slug},
    )


def platform_connection_pause(*, connection: PlatformConnection, paused: bool) -> None:
    """Pause or resume the schedule. A connection whose authorisation was revoked is neither:
    resuming would show it as working while every sync is refused."""
    if connection.status == PlatformConnection.Status.REAUTHORISE:
        raise ValidationError(
            _(
                "%(platform)s no longer accepts this connection: connect it again first, "
                "then pause or resume it."
            )
            % {"platform": connection.platform.label}
        )
    if paused:
        connection.status = PlatformConnection.Status.PAUSED
    elif connection.status == PlatformConnection.Status.PAUSED:
        connection.status = PlatformConnection.Status.ACTIVE
        connection.next_run_at = timezone.now()
    connection.save(update_fields=["status", "next_run_at", "updated_at"])


# --- OAuth (Douyin, Kuaishou) ----------------------------------------------------------------

OAUTH_CLIENTS = {"douyin": DouyinClient, "kuaishou": KuaishouClient}


def oauth_configured(platform: str) -> bool:
    if platform == "douyin":
        return bool(settings.DOUYIN_CLIENT_KEY and settings.DOUYIN_CLIENT_SECRET)
    if platform == "kuaishou":
        return bool(settings.KUAISHOU_APP_ID and settings.KUAISHOU_APP_SECRET)
    return False


def oauth_state_new(*, owner, platform: str) -> str:
    return signing.dumps({"owner": owner.pk, "platform": platform}, salt=STATE_SALT)


def oauth_authorize_url(*, owner, platform: str, redirect_uri: str) -> str:
    if platform not in OAUTH_CLIENTS:
        raise ValidationError({"platform": _("Choose douyin or kuaishou.")})
    if not oauth_configured(platform):
        raise ValidationError(
            {
                "platform": _(
                    "This server has no app on that platform yet: the operator sets "
                    "its app id and secret (see the README)."
                )
            }
        )
    state = oauth_state_new(owner=owner, platform=platform)
    return OAUTH_CLIENTS[platform].authorize_url(redirect_uri=redirect_uri, state=state)


def _state_check(*, owner, platform: str, state: str) -> None:
    try:
        value = signing.loads(state or "", salt=STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.BadSignature:
        raise ValidationError(
            _(
                "The sign-in came back without a valid or recent state: start it again from the "
                "Connections page."
            )
        ) from None
    if value.get("owner") != owner.pk or value.get("platform") != platform:
        raise ValidationError(
            _(
                "The sign-in came back without a valid or recent state: start it again from the "
                "Connections page."
            )
        )


def _tokens_store(connection: PlatformConnection, tokens: Tokens) -> list[str]:
    connection.access_token = tokens.access_token
    if tokens.refresh_token:
        connection.refresh_token = tokens.refresh_token
    connection.token_expires_at = tokens.expires_at
    if tokens.open_id:
        connection.open_id = tokens.open_id
        connection.account_id = connection.account_id or tokens.open_id
    connection.secret_hint = secret_hint(tokens.access_token)
    return ["access_token", "refresh_token", "token_expires_at", "open_id", "account_id",
            "secret_hint", "updated_at"]  # fmt: skip


def platform_connection_authorise(
    *, owner, platform: str, code: str, state: str
) -> PlatformConnection:
    """The OAuth callback: check the signed state, exchange the code for tokens, then create
    the connection (or renew the one this account already has)."""
    _state_check(owner=owner, platform=platform, state=state)
    if not code:
        raise ValidationError(_("The platform sent no authorisation code: connect again."))
    try:
        tokens = OAUTH_CLIENTS[platform]().exchange_code(code)
    except PlatformError as error:
        raise ValidationError(str(error)) from None
    with transaction.atomic():
        connection = (
            PlatformConnection.objects.owned_by(owner)
            .filter(platform__slug=platform, open_id=tokens.open_id)
            .exclude(open_id="")
            .first()
        ) or PlatformConnection(owner=owner, platform=Platform.objects.get(slug=platform))
        _tokens_store(connection, tokens)
        connection.status = PlatformConnection.Status.ACTIVE
        connection.last_error, connection.last_error_detail = "", {}
        connection.failures = 0
        connection.next_run_at = timezone.now()
        connection.full_clean()
        connection.save()
        _sync_requested(connection)  # the first numbers now, not at the next beat
    return connection


# --- cadence ---------------------------------------------------------------------------------


def cadence_interval(age: timedelta) -> timedelta | None:
    """How often a video of this age is synced; None once it is older than the cadence."""
    for up_to, every in settings.PLATFORM_SYNC_CADENCE:
        if age <= up_to:
            return every
    return None


def _age_words(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds and seconds % 86400 == 0:
        n = seconds // 86400
        return ngettext("%(n)s day", "%(n)s days", n) % {"n": n}
    if seconds and seconds % 3600 == 0:
        n = seconds // 3600
        return ngettext("%(n)s hour", "%(n)s hours", n) % {"n": n}
    n = max(seconds // 60, 1)
    return ngettext("%(n)s minute", "%(n)s minutes", n) % {"n": n}


def _every_words(every: timedelta) -> str:
    seconds = int(every.total_seconds())
    named = {3600: _("hourly"), 86400: _("daily"), 7 * 86400: _("weekly")}
    if seconds in named:
        return named[seconds]
    if seconds and seconds % 86400 == 0:
        n = seconds // 86400
        return ngettext("every day", "every %(n)s days", n) % {"n": n}
    if seconds and seconds % 3600 == 0:
        n = seconds // 3600
        return ngettext("every hour", "every %(n)s hours", n) % {"n": n}
    n = max(seconds // 60, 1)
    return ngettext("every minute", "every %(n)s minutes", n) % {"n": n}


def cadence_text() -> str:
    """``PLATFORM_SYNC_CADENCE`` in plain words, in the active language."""
    steps = []
    for index, (up_to, every) in enumerate(settings.PLATFORM_SYNC_CADENCE):
        params = {"every": _every_words(every), "age": _age_words(up_to)}
        if index == 0:
            steps.append(_("%(every)s until a video is %(age)s old") % params)
        else:
            steps.append(_("%(every)s until %(age)s") % params)
    if not steps:
        return _("Video platforms whose numbers CourseReel pulls by itself: no schedule is set.")
    text = _("Video platforms whose numbers CourseReel pulls by itself: %(cadence)s, then no more.")
    return text % {"cadence": pgettext("list separator", ", ").join(steps)}


def _due(*, last: datetime | None, published_at: datetime | None, now: datetime) -> bool:
    """Whether a video last synced at ``last`` is due at ``now``: its age now (since it was
    published, or first seen by CourseReel when the platform gave no date) picks the
    interval. :func:`_next_due` gives the first moment this is true."""
    if last is None:
        return True
    age = now - published_at if published_at else timedelta(0)
    every = cadence_interval(age)
    return every is not None and last + every <= now + timedelta(seconds=60)


def _next_due(last: datetime, published_at: datetime | None) -> datetime | None:
    """The first moment :func:`_due` holds for a video last synced at ``last``: the earliest
    ``t`` with ``last + interval(age at t) <= t``. The cadence's steps are age bands in time
    order, so the first band holding such a ``t`` gives it; None once past the cadence."""
    if published_at is None:
        every = cadence_interval(timedelta(0))
        return last + every if every is not None else None
    lower = None
    for up_to, every in settings.PLATFORM_SYNC_CADENCE:
        candidate = last + every
        if lower is not None:
            # ages above the previous step's bound only (cadence_interval takes age <= bound)
            candidate = max(candidate, published_at + lower + timedelta(seconds=1))
        if candidate - published_at <= up_to:
            return candidate
        lower = up_to
    return None


def _next_run(connection: PlatformConnection, published: dict[str, datetime | None], now):
    moments = []
    for video_id, last_iso in connection.synced_at.items():
        if video_id in connection.gone:
            continue
        moment = _next_due(datetime.fromisoformat(last_iso), published.get(video_id))
        if moment is not None:
            moments.append(moment)
    if connection.account_id:
        moments.append(
            (connection.discovered_at or now)
            + timedelta(seconds=settings.PLATFORM_DISCOVERY_SECONDS)
        )
    pending = [v for v in connection.video_ids if v not in connection.synced_at
               and v not in connection.gone]  # fmt: skip
    if pending:
        moments.append(now)
    return min(moments) if moments else None


# --- the sync --------------------------------------------------------------------------------


@dataclass
class SyncOutcome:
    connection_id: int
    platform: str
    fetched: int = 0
    videos_created: int = 0
    snapshots_stored: int = 0
    snapshots_repeated: int = 0
    gone: list[str] = field(default_factory=list)
    rate_limit_waits: int = 0
    error: str = ""
    next_run_at: datetime | None = None
    # counts the platform corrected down (how many; the first few as video/field/before/after)
    corrections: int = 0
    corrections_shown: list[dict] = field(default_factory=list)
    # the per-run budget ran out: the rest is left to the next run (planned now)
    stopped_early: bool = False

    def as_dict(self) -> dict:
        return {
            "connection": self.connection_id,
            "platform": self.platform,
            "fetched": self.fetched,
            "videos_created": self.videos_created,
            "snapshots_stored": self.snapshots_stored,
            "snapshots_repeated": self.snapshots_repeated,
            "gone": self.gone,
            "rate_limit_waits": self.rate_limit_waits,
            "error": self.error,
            "corrections": self.corrections,
            "corrections_shown": self.corrections_shown,
            "stopped_early": self.stopped_early,
            "next_run_at": self.next_run_at.isoformat() if self.next_run_at else None,
        }


class _Waits:
    def __init__(self) -> None:
        self.count, self.seconds = 0, 0.0

    def __call__(self, seconds: float) -> None:
        self.count += 1
        self.seconds += float(seconds or 0)


def _client(connection: PlatformConnection, waits: _Waits):
    slug = connection.platform.slug
    if slug == "bilibili":
        return BilibiliClient(on_rate_wait=waits)
    if slug == "youtube-shorts":
        return YouTubeClient(api_key=connection.api_key, on_rate_wait=waits)

    def saved(tokens: Tokens) -> None:
        connection.save(update_fields=_tokens_store(connection, tokens))

    tokens = Tokens(
        access_token=connection.access_token,
        refresh_token=connection.refresh_token,
        expires_at=connection.token_expires_at,
        open_id=connection.open_id,
    )
    return OAUTH_CLIENTS[slug](tokens=tokens, on_tokens=saved, on_rate_wait=waits)


def _fetch(
    connection: PlatformConnection,
    client,
    *,
    now: datetime,
    force: bool,
    known: dict,
    plan: dict | None = None,
) -> tuple[Iterable[FetchedVideo], dict[str, str], bool]:
    """What the platform reports for the videos due now: (fetched, gone, discovered). For
    Bilibili and YouTube ``fetched`` is a generator that asks the platform as it is read, and
    fills ``gone`` as it goes. ``plan["total"]`` says how many videos are asked for."""
    plan = {} if plan is None else plan
    slug = connection.platform.slug
    gone: dict[str, str] = {}
    discovery_due = bool(connection.account_id) and (
        force
        or connection.discovered_at is None
        or connection.discovered_at + timedelta(seconds=settings.PLATFORM_DISCOVERY_SECONDS) <= now
    )

    def due(video_id: str, published_at: datetime | None) -> bool:
        if force:
            return True
        if video_id in connection.gone:
            return False
        last = connection.synced_at.get(video_id)
        return _due(
            last=datetime.fromisoformat(last) if last else None,
            published_at=known.get(video_id) or published_at,
            now=now,
        )

    if slug in PlatformConnection.OAUTH_SLUGS:
        margin = timedelta(seconds=settings.PLATFORM_TOKEN_REFRESH_MARGIN_SECONDS)
        if connection.token_expires_at and connection.token_expires_at <= now + margin:
            client.refresh()
        rows = [
            row
            for row in client.uploads(connection.account_id)
            if row.platform_video_id not in known or due(row.platform_video_id, row.published_at)
        ]
        plan["total"] = len(rows)
        return rows, gone, True

    listed: dict[str, FetchedVideo] = {}
    if discovery_due:
        for row in client.uploads(connection.account_id):
            listed[row.platform_video_id] = row
    ids = list(dict.fromkeys([*connection.video_ids, *listed]))
    wanted = [
        i for i in ids
        if i not in known or due(i, listed[i].published_at if i in listed else None)
    ]  # fmt: skip
    plan["total"] = len(wanted)

    def fetched() -> Iterator[FetchedVideo]:
        for row in client.videos(wanted) if wanted else []:
            if isinstance(row, VideoGone):
                gone[_gone_id(row, wanted)] = str(row)
                continue
            base = listed.get(row.platform_video_id)
            if base is not None:
                row.title = row.title or base.title
                row.published_at = row.published_at or base.published_at
            yield row

    return fetched(), gone, discovery_due


def _gone_id(gone: VideoGone, wanted: list[str]) -> str:
    text = str(gone)
    return next((video_id for video_id in wanted if video_id in text), text[:40])


_DONE = object()


def _chunks_ahead(rows: Iterable[FetchedVideo], *, size: int, ahead: bool) -> Iterator[list]:
    """``rows`` in lists of ``size``. With ``ahead``, a thread reads the next ones while the
    caller stores these: the platform's answers and the database's work overlap instead of
    adding up. Only for clients without database side effects (the OAuth clients save
    refreshed tokens, so they are read in the caller's thread). An error while reading is
    raised here, after the chunks read before it."""
    if not ahead:
        chunk: list = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
        return
    handoff: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()
    language = translation.get_language()

    def offer(item) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        with translation.override(language):
            try:
                chunk: list = []
                for row in rows:
                    chunk.append(row)
                    if len(chunk) >= size:
                        if not offer(chunk):
                            return
                        chunk = []
                    if stop.is_set():
                        return
                if chunk and not offer(chunk):
                    return
                offer(_DONE)
            except BaseException as error:  # handed to the caller's thread
                offer(error)

    reader = threading.Thread(target=read, name="platform-sync-reader", daemon=True)
    reader.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join(timeout=30)


@dataclass
class _Progress:
    """What the chunks stored so far. Each chunk saves its part on the connection in its own
    transaction (``synced_at`` merged, the counters incremented), so a sync that stops for any
    reason keeps what it stored and the next one asks only for the rest."""

    synced: dict[str, str] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    corrections: list[dict] = field(default_factory=list)
    corrections_count: int = 0


def _store_chunk(
    connection: PlatformConnection,
    rows: list[FetchedVideo],
    *,
    existing: dict,
    moment: datetime,
    outcome: SyncOutcome,
    progress: _Progress,
) -> None:
    """Create the videos the creator does not have yet, record one observation each, and save
    this chunk's progress on the connection, in one transaction."""
    created_count = stored = repeated = 0
    corrections: list = []
    stamp = moment.isoformat()
    with transaction.atomic():
        if db.vendor == "postgresql":
            # What a sync stores can be fetched again: its commit need not wait for the WAL
            # flush (a crash loses at most the last moments' syncs, never consistency).
            with db.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        missing = [row for row in rows if row.platform_video_id not in existing]
        if missing:
            created = videos_create_imported(
                owner_id=connection.owner_id,
                videos=[
                    Video(
                        owner_id=connection.owner_id,
                        platform_id=connection.platform_id,
                        platform_video_id=row.platform_video_id[:100],
                        title=(row.title or row.platform_video_id)[:200],
                        status=PipelineStatus.PUBLISHED,
                        published_at=row.published_at or moment,
                    )
                    for row in missing
                ],
            )
            created_count = len(created)
            existing.update(
                (video.platform_video_id, (video.pk, video.published_at)) for video in created
            )
        observations = [
            Observation(
                video_id=existing[row.platform_video_id][0],
                observed_at=moment,
                counts={name: value for name, value in row.counts.items() if value is not None},
            )
            for row in rows
            if row.counts and any(value is not None for value in row.counts.values())
        ]
        if observations:
            result = snapshots_record(
                owner_id=connection.owner_id, source="connector", observations=observations
            )
            stored, repeated = result.stored, result.repeated
            corrections = list(result.corrections)
        # this chunk's progress, with the chunk: merged into what is stored in the database
        # (only the chunk's part is sent), the counters incremented there
        PlatformConnection.objects.filter(pk=connection.pk).update(
            synced_at=_json_merged("synced_at", {row.platform_video_id: stamp for row in rows}),
            snapshots_stored=F("snapshots_stored") + stored,
            videos_created=F("videos_created") + created_count,
        )
    outcome.videos_created += created_count
    outcome.snapshots_stored += stored
    outcome.snapshots_repeated += repeated
    outcome.fetched += len(rows)
    progress.synced.update((row.platform_video_id, stamp) for row in rows)
    progress.seen.update(row.platform_video_id for row in rows)
    if corrections:
        progress.corrections_count += len(corrections)
        room = CORRECTIONS_KEPT - len(progress.corrections)
        if room > 0:
            kept = corrections[:room]
            titles = dict(
                Video.objects.filter(pk__in={c.video_id for c in kept}).values_list("pk", "title")
            )
            progress.corrections.extend(
                {"video": c.video_id, "title": titles.get(c.video_id, ""), "field": c.field,
                 "before": c.before, "after": c.after}
                for c in kept
            )  # fmt: skip
    outcome.corrections = progress.corrections_count
    outcome.corrections_shown = list(progress.corrections)


def _json_merged(name: str, part: dict) -> Func:
    """The JSON object column ``name`` with ``part``'s keys set, computed by the database."""
    if db.vendor == "postgresql":
        return Func(
            F(name), Value(part, output_field=JSONField()), template="(%(expressions)s)",
            arg_joiner=" || ", output_field=JSONField(),
        )  # fmt: skip
    return Func(F(name), Value(json.dumps(part)), function="json_patch", output_field=JSONField())


def _corrections_fields(connection: PlatformConnection, progress: _Progress) -> list[str]:
    connection.last_corrections_count = progress.corrections_count
    connection.last_corrections = list(progress.corrections)
    return ["last_corrections_count", "last_corrections"]


def _progress_reload(connection: PlatformConnection) -> None:
    """The chunks saved the counters in the database: read them back (and the tokens a refresh
    may have saved, and the status a pause may have set) before the connection is saved. Their
    synced_at is merged in memory too (the lock keeps two syncs of a connection apart)."""
    connection.refresh_from_db(
        fields=["access_token", "refresh_token", "token_expires_at", "snapshots_stored",
                "videos_created", "status"]
    )  # fmt: skip


def _failure_record(
    connection: PlatformConnection,
    error: PlatformError,
    waits: _Waits,
    now,
    *,
    outcome: SyncOutcome,
    progress: _Progress,
):
    _progress_reload(connection)
    connection.last_attempt_at = now
    connection.last_error = str(error)[:300]
    connection.last_error_detail = error.detail
    connection.failures += 1
    connection.rate_limit_waits += waits.count
    connection.rate_limit_wait_seconds += waits.seconds
    connection.last_fetched = outcome.fetched
    retry_at = getattr(error, "retry_at", None)
    if error.reauthorise:
        connection.status = PlatformConnection.Status.REAUTHORISE
        connection.next_run_at = None
    else:
        if connection.status != PlatformConnection.Status.PAUSED:
            connection.status = PlatformConnection.Status.FAILING
        if retry_at is not None:
            # the platform said when it answers again (YouTube's daily quota): not before
            connection.next_run_at = retry_at
        else:
            backoff = min(FAILURE_BACKOFF * 2 ** (connection.failures - 1), FAILURE_BACKOFF_MAX)
            connection.next_run_at = now + backoff
    connection.save(
        update_fields=["last_attempt_at", "last_error", "last_error_detail", "failures",
                       "rate_limit_waits", "rate_limit_wait_seconds", "last_fetched", "status",
                       "next_run_at", "updated_at", *_corrections_fields(connection, progress)]
    )  # fmt: skip


def _stop_record(
    connection: PlatformConnection,
    error: BaseException,
    waits: _Waits,
    now,
    *,
    outcome: SyncOutcome,
    progress: _Progress,
    total: int | None,
) -> None:
    """A sync stopped by something other than the platform (the task's time limit, the
    database): what the chunks stored stays, the creator reads how far it got, and the next
    run comes soon and continues (the videos stored are not due again)."""
    from celery.exceptions import SoftTimeLimitExceeded

    from .platforms.messages import gettext as _  # remembers its msgid: shown translated

    timed_out = isinstance(error, SoftTimeLimitExceeded)
    params = {"done": outcome.fetched}
    if total is not None:
        params["total"] = total
        if timed_out:
            message = _(
                "The sync stopped after %(done)s of %(total)s videos (time limit); the next "
                "run continues."
            )
        else:
            message = _(
                "The sync stopped after %(done)s of %(total)s videos (an unexpected error); "
                "the next run continues."
            )
    elif timed_out:
        message = _("The sync stopped after %(done)s videos (time limit); the next run continues.")
    else:
        message = _(
            "The sync stopped after %(done)s videos (an unexpected error); the next run continues."
        )
    message = message % params
    # the failed statement may have left the connection's transaction unusable: a fresh start
    try:
        _progress_reload(connection)
    except Exception:  # recording must not hide the error being raised
        logger.exception("platform connection %s: could not read its progress", connection.pk)
        return
    connection.last_attempt_at = now
    connection.last_error = str(message)[:300]
    connection.last_error_detail = platform_messages.detail(message)
    connection.failures += 1
    connection.rate_limit_waits += waits.count
    connection.rate_limit_wait_seconds += waits.seconds
    connection.last_fetched = outcome.fetched
    if connection.status != PlatformConnection.Status.PAUSED:
        connection.status = PlatformConnection.Status.FAILING
    connection.next_run_at = timezone.now() + STOPPED_RETRY
    try:
        connection.save(
            update_fields=["last_attempt_at", "last_error", "last_error_detail", "failures",
                           "rate_limit_waits", "rate_limit_wait_seconds", "last_fetched",
                           "status", "next_run_at", "updated_at",
                           *_corrections_fields(connection, progress)]
        )  # fmt: skip
    except Exception:
        logger.exception("platform connection %s: could not record its stop", connection.pk)


def _clock() -> float:
    return time.monotonic()


def platform_connection_sync(
    *, connection: PlatformConnection, force: bool = False, now: datetime | None = None
) -> SyncOutcome:
    """Fetch the lifetime counts of the connection's videos that are due (all of them with
    ``force``), create the videos the creator does not have, and record one observation per
    video at the sync's minute: two syncs in the same minute store one snapshot.

    The videos are stored in chunks (``PLATFORM_SYNC_CHUNK_VIDEOS``, one transaction each,
    which also saves the chunk's progress on the connection) while the next ones are fetched.
    A sync is bounded: after ``PLATFORM_SYNC_MAX_SECONDS`` it stops after the chunk in hand,
    keeps what it stored and plans the next run now (the videos stored are not due again, so
    it continues with the rest). A refusal is recorded on the connection in plain words and
    raised as PlatformError; a revoked authorisation marks it "needs re-authorisation" and
    takes it off the schedule; anything else (the task's time limit, the database) is recorded
    as how far the sync got, with the next run soon, and raised."""
    now = now or timezone.now()
    moment = now.replace(second=0, microsecond=0)
    slug = connection.platform.slug
    outcome = SyncOutcome(connection_id=connection.pk, platform=slug)
    waits = _Waits()
    progress = _Progress()
    budget = float(getattr(settings, "PLATFORM_SYNC_MAX_SECONDS", 600))
    started = _clock()
    stopped_early = False
    # platform video id → (pk, published_at or, when the platform gave none, the moment
    # CourseReel first saw the video): tuples, not model instances (10,000 a sync)
    existing = {
        video_id: (pk, published_at)
        for video_id, pk, published_at in Video.objects.filter(
            owner_id=connection.owner_id, platform_id=connection.platform_id
        )
        .exclude(platform_video_id="")
        # a video without a publish time ages from when CourseReel first saw it
        .annotate(aged_from=Coalesce("published_at", "created_at"))
        .values_list("platform_video_id", "pk", "aged_from")
    }
    known = {video_id: published_at for video_id, (_, published_at) in existing.items()}
    plan: dict = {}
    chunks = None
    try:
        fetched, gone, discovered = _fetch(
            connection, _client(connection, waits), now=now, force=force, known=known, plan=plan
        )
        chunks = _chunks_ahead(
            fetched,
            size=settings.PLATFORM_SYNC_CHUNK_VIDEOS,
            ahead=slug not in PlatformConnection.OAUTH_SLUGS,
        )
        for chunk in chunks:
            _store_chunk(
                connection, chunk, existing=existing, moment=moment, outcome=outcome,
                progress=progress,
            )  # fmt: skip
            left = plan.get("total", 0) - outcome.fetched - len(gone)
            if left > 0 and _clock() - started >= budget:
                stopped_early = True
                break
    except PlatformError as error:
        _failure_record(connection, error, waits, now, outcome=outcome, progress=progress)
        outcome.error, outcome.rate_limit_waits = str(error), waits.count
        raise
    except Exception as error:
        if chunks is not None:
            chunks.close()  # the reader thread stops before the error is recorded
        _stop_record(
            connection, error, waits, now, outcome=outcome, progress=progress,
            total=plan.get("total"),
        )  # fmt: skip
        outcome.error = connection.last_error
        raise
    finally:
        if chunks is not None:
            chunks.close()
    outcome.gone = sorted(gone)
    outcome.rate_limit_waits = waits.count
    outcome.stopped_early = stopped_early
    with transaction.atomic():
        _progress_reload(connection)
        connection.synced_at = {**connection.synced_at, **progress.synced}
        # what this sync read: shown again or gone now (the others stay as they were)
        connection.gone = {
            **{k: v for k, v in connection.gone.items() if k not in progress.seen},
            **gone,
        }
        if discovered and not stopped_early:
            connection.discovered_at = now
        if connection.status != PlatformConnection.Status.PAUSED:
            connection.status = PlatformConnection.Status.ACTIVE
        connection.last_attempt_at = connection.last_success_at = now
        connection.last_error, connection.last_error_detail = "", {}
        connection.failures = 0
        connection.rate_limit_waits += waits.count
        connection.rate_limit_wait_seconds += waits.seconds
        connection.last_fetched = outcome.fetched
        if stopped_early:
            connection.next_run_at = outcome.next_run_at = timezone.now()
        else:
            published = {vid: published_at for vid, (_, published_at) in existing.items()}
            connection.next_run_at = outcome.next_run_at = _next_run(connection, published, now)
        connection.save(
            update_fields=["gone", "discovered_at", "status", "last_attempt_at",
                           "last_success_at", "last_error", "last_error_detail", "failures",
                           "rate_limit_waits", "rate_limit_wait_seconds", "last_fetched",
                           "next_run_at", "updated_at", *_corrections_fields(connection, progress)]
        )  # fmt: skip
    logger.info(
        "platform connection %s (%s): fetched %s, stored %s, created %s%s",
        connection.pk, slug, outcome.fetched, outcome.snapshots_stored, outcome.videos_created,
        " (stopped at the time budget)" if stopped_early else "",
    )  # fmt: skip
    return outcome


def platform_connections_due(*, now: datetime | None = None) -> list[int]:
    """Connections whose next run has come (working or failing; never paused or waiting for
    re-authorisation)."""
    now = now or timezone.now()
    return list(
        PlatformConnection.objects.filter(
            status__in=[PlatformConnection.Status.ACTIVE, PlatformConnection.Status.FAILING],
            next_run_at__lte=now,
        )
        .order_by("next_run_at")
        .values_list("pk", flat=True)
    )
