"""Snapshots of lifetime counts → daily statistics (the one place that derives them).

A platform (through a connector) or a file of running totals reports what a video has *so far*
at a moment. Each observation is stored once (video, moment); the days are then derived from
consecutive observations:

- the first observation of a video is its baseline: no day receives its lifetime total;
- a gain belongs to the day, in the creator's time zone, of the later observation; several
  observations on one day add up to that day's gain (the day's last observation closes it);
- when two observations are more than a day apart, the gain is split evenly over the days
  between them (the later days get the remainder) and those days are marked ``estimated``;
- a count that falls (a platform correcting itself) is recorded on the snapshot
  (``corrections``) and gives that day no gain for that count, never a negative one; the next
  gain is measured from the corrected value;
- a count the source does not report stays unknown: ``views`` None on the derived day (the
  other counts, which are not nullable, count as 0 gained);
- a day already imported as daily numbers (``origin`` imported) is never overwritten: the
  imported row wins and the outcome counts the days it kept.

``interactions`` of a derived day = likes + comments + shares + saves gained; link clicks 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from .models import VideoSnapshot

SNAPSHOT_FIELDS = VideoSnapshot.COUNT_FIELDS


@dataclass(frozen=True)
class Observation:
    """One video's lifetime counts at one moment. ``counts`` maps SNAPSHOT_FIELDS names to a
    count; a name left out or None means the source did not report it."""

    video_id: int
    observed_at: datetime  # aware
    counts: dict[str, int | None]


@dataclass(frozen=True)
class Correction:
    video_id: int
    field: str
    before: int
    after: int
    observed_at: datetime


@dataclass
class SnapshotOutcome:
    received: int = 0
    stored: int = 0  # new observations
    repeated: int = 0  # the same video and moment was already stored: nothing written
    baselines: int = 0  # videos seen for the first time: their first observation is a baseline
    days_created: int = 0  # derived daily rows created
    days_updated: int = 0  # derived daily rows whose numbers changed
    days_estimated: int = 0  # derived days that got an even share of a gain over missed days
    kept_imported: int = 0  # days already imported as daily numbers: left as they are
    corrections: list[Correction] = field(default_factory=list)


def snapshots_record(
    *, owner_id: int, source: str, observations: Iterable[Observation]
) -> SnapshotOutcome:
    """Store the observations (the creator's own videos, checked by the caller) and re-derive
    the days they touch, in the caller's transaction; ``stats.changed`` when days changed.
    Recording the same observations again stores nothing and changes nothing."""
    raise NotImplementedError  # lands on main with its tests (see the module docstring)
