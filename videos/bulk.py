"""Daily statistics sent through the API in batches: checked as a whole, upserted in one go.

The same rules as a file import: counts are whole numbers from 0 to ``IMPORT_MAX_COUNT``,
an absent interactions count is likes + comments + shares + saves, a (video, date) pair may
appear once, and the batch is written all or nothing with the import's upsert, which leaves
rows whose numbers did not change untouched. Afterwards the creator's figures are recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from django.db import transaction

from core.errors import RowsInvalid, merge_row_errors, row_error

from .importing.headers import COUNT_FIELDS, INTERACTION_PARTS
from .importing.writers import stats_upsert
from .models import Video

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class BulkOutcome:
    received: int
    created: int
    updated: int

    @property
    def unchanged(self) -> int:
        return self.received - self.created - self.updated


def stats_bulk_upsert(*, owner, rows: Sequence[dict[str, Any]]) -> BulkOutcome:
    """Insert or update ``rows`` ({video: id, date, views, …}) for the creator's own videos.

    Raises :class:`RowsInvalid` naming each bad row (a video that is not the creator's, a
    (video, date) pair given twice) before anything is written. Two queries plus the upsert,
    whatever the batch size.
    """
    from analytics.services import metrics_recompute_enqueue

    wanted = {row["video"] for row in rows}
    own = set(Video.objects.owned_by(owner).filter(pk__in=wanted).values_list("pk", flat=True))
    errors = []
    seen: dict[tuple[int, date], int] = {}
    for index, row in enumerate(rows):
        key = (row["video"], row["date"])
        if row["video"] not in own:
            errors.append(
                row_error(index, "video", f'Invalid pk "{row["video"]}" - object does not exist.')
            )
        elif key in seen:
            errors.append(
                row_error(index, "date", f"This video and date already appear in row {seen[key]}.")
            )
        else:
            seen[key] = index
    if errors:
        raise RowsInvalid(merge_row_errors(errors))

    video_ids = np.fromiter((row["video"] for row in rows), dtype=np.int64, count=len(rows))
    days = np.fromiter(
        (row["date"].toordinal() - EPOCH_ORDINAL for row in rows), dtype=np.int64, count=len(rows)
    )
    counts = np.array([_counts(row) for row in rows], dtype=np.int64).reshape(
        len(rows), len(COUNT_FIELDS)
    )
    with transaction.atomic():
        created, updated = stats_upsert(video_ids=video_ids, days=days, counts=counts)
        if created or updated:
            metrics_recompute_enqueue(owner_id=owner.pk, trigger="api")
    return BulkOutcome(received=len(rows), created=created, updated=updated)


def _counts(row: dict[str, Any]) -> list[int]:
    values = {name: row.get(name) or 0 for name in COUNT_FIELDS}
    if row.get("interactions") is None:
        values["interactions"] = sum(values[name] for name in INTERACTION_PARTS)
    return [values[name] for name in COUNT_FIELDS]
