"""Sales lists from a shop or a platform's order export: check the whole file, then upsert it.

Sales files are small next to daily statistics (thousands of rows, not millions), so rows are
checked one by one in Python against the creator's own courses, tiers and videos, looked up
once up front. Rows with an order reference upsert on (course, order reference); rows without
one are matched on all their values, so importing the same list twice adds nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.codes import code_normalize
from courses.models import Course, PriceTier, Sale
from courses.services import sale_values, sales_upsert
from videos.models import Platform, Video

from .headers import (
    COURSE,
    ORDER_REF,
    PLATFORM,
    QUANTITY,
    SALE_HEADERS,
    SALE_REQUIRED,
    SOLD_AT,
    SOURCE_VIDEO,
    TIER,
    TRACKING_CODE,
    UNIT_PRICE,
    ColumnMapping,
    map_headers,
    normalize_platform_name,
    platform_slug_for,
)
from .results import ImportResult, IssueLog
from .stats import PREVIEW_ROWS, Progress
from .tables import table_chunks, table_open
from .values import NO_DATA, parse_datetime_cell

MAX_QUANTITY = 1_000_000
MAX_PRICE = Decimal("99999999.99")
CENT = Decimal("0.01")
ORDER_REF_MAX = Sale._meta.get_field("order_ref").max_length
TRACKING_CODE_MAX = Sale._meta.get_field("tracking_code").max_length


def _fold(text: object) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip().casefold()


def _cell(value: object) -> str:
    """A cell as trimmed text; blank, NaN and the exports' dashes are ''."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = str(value).strip()
    return "" if text in NO_DATA else text


@dataclass
class _Lookups:
    """The creator's own rows a sales list may name, fetched once."""

    courses_by_slug: dict[str, Course]
    courses_by_title: dict[str, list[Course]]
    tiers: dict[tuple[int, str], PriceTier]
    platforms: dict[str, Platform]
    platform_names: dict[str, str]
    videos: dict[str, list[tuple[int, int]]]  # platform video id → [(platform id, video id)]

    @classmethod
    def load(cls, owner, *, with_videos: bool) -> _Lookups:
        courses = list(Course.objects.owned_by(owner))
        by_title: dict[str, list[Course]] = {}
        for course in courses:
            by_title.setdefault(_fold(course.title), []).append(course)
        platforms = {p.slug: p for p in Platform.objects.all()}
        videos: dict[str, list[tuple[int, int]]] = {}
        if with_videos:
            rows = (
                Video.objects.owned_by(owner)
                .exclude(platform_video_id="")
                .values_list("platform_video_id", "platform_id", "pk")
            )
            for video_id, platform_id, pk in rows:
                videos.setdefault(video_id, []).append((platform_id, pk))
        return cls(
            courses_by_slug={_fold(c.slug): c for c in courses},
            courses_by_title=by_title,
            tiers={(t.course_id, _fold(t.name)): t for t in PriceTier.objects.owned_by(owner)},
            platforms=platforms,
            platform_names={
                normalize_platform_name(text): p.slug
                for p in platforms.values()
                for text in (p.name, p.slug)
            },
            videos=videos,
        )


def sales_import_file(
    *,
    owner,
    path: str | Path,
    dry_run: bool = False,
    progress: Progress | None = None,
    on_write: Callable[[ImportResult], None] | None = None,
) -> ImportResult:
    """Check a sales list as a whole and, if it has no problem, upsert it in one transaction.

    Columns: time of sale, course (slug or title), quantity and unit price are required; tier
    (name), platform, order reference, source video (platform video id) and tracking code are
    optional. Only the creator's own courses, tiers and videos can be named.
    """
    log = IssueLog(settings.IMPORT_MAX_ERRORS)
    result = ImportResult(kind="sales", dry_run=dry_run)
    table = table_open(Path(path), log)
    if table is None:
        return result.refuse(log)
    result.encoding = table.encoding
    result.rows_total = table.rows_total or 0
    mapping = map_headers(table.header, general=SALE_HEADERS, required=SALE_REQUIRED)
    result.column_mapping = mapping.describe()
    for column, message in mapping.problems:
        log.add(1, column, message)
    if log:
        return result.refuse(log)

    lookups = _Lookups.load(owner, with_videos=SOURCE_VIDEO in mapping.fields)
    sales: list[tuple[int, Sale]] = []
    total = table.rows_total or 0
    if progress:
        progress("validating", 0, total)
    for chunk in table_chunks(
        table,
        mapping.fields,
        text_fields=set(mapping.fields),
        chunk_rows=settings.IMPORT_CHUNK_ROWS,
        log=log,
        max_rows=settings.IMPORT_MAX_ROWS,
    ):
        for row, values in zip(chunk.index.tolist(), chunk.to_dict("records"), strict=True):
            sale = _sale_from_row(row, values, mapping, lookups, log)
            if sale is not None:
                sales.append((row, sale))
        if progress:
            done = int(chunk.index[-1]) - 1
            progress("validating", done, max(total, done))
    result.rows = len(sales)
    sales = _drop_duplicate_orders(sales, mapping, log, result)
    result.preview = [_preview(row, sale) for row, sale in sales[:PREVIEW_ROWS]]
    if log:
        return result.refuse(log)

    if progress:
        progress("running", result.rows_total, result.rows_total)
    with transaction.atomic():
        outcome = sales_upsert(owner_id=owner.pk, sales=[sale for _, sale in sales])
        result.created, result.updated, result.unchanged = outcome
        if dry_run:
            transaction.set_rollback(True)
        else:
            result.committed = True
            if on_write:
                on_write(result)  # in the transaction: what it records commits with the rows
    return result


def _sale_from_row(
    row: int, values: dict, mapping: ColumnMapping, lookups: _Lookups, log: IssueLog
) -> Sale | None:
    cells = {name: _cell(value) for name, value in values.items()}
    if not any(cells.values()):
        return None  # a blank line
    problems = len(log)

    def fail(name: str, message: str) -> None:
        log.add(row, mapping.header_of(name), message)

    sold_at = None
    if not cells[SOLD_AT]:
        fail(SOLD_AT, _("the time of sale is missing"))
    else:
        sold_at = parse_datetime_cell(values[SOLD_AT])
        if sold_at is None:
            fail(
                SOLD_AT,
                _('"%(value)s" is not a date and time (e.g. 2025-03-01 20:15)')
                % {"value": cells[SOLD_AT]},
            )
        elif sold_at > timezone.now() + timedelta(days=1):
            fail(SOLD_AT, _("%(value)s is in the future") % {"value": cells[SOLD_AT]})

    course = _course(cells[COURSE], lambda message: fail(COURSE, message), lookups)
    tier = None
    if course and cells.get(TIER):
        tier = lookups.tiers.get((course.pk, _fold(cells[TIER])))
        if tier is None:
            fail(
                TIER,
                _('course "%(course)s" has no tier "%(tier)s"')
                % {"course": course.title, "tier": cells[TIER]},
            )

    platform = None
    if cells.get(PLATFORM):
        slug = platform_slug_for(cells[PLATFORM], lookups.platform_names)
        platform = lookups.platforms.get(slug) if slug else None
        if platform is None:
            fail(PLATFORM, _('unknown platform "%(name)s"') % {"name": cells[PLATFORM]})

    quantity = _quantity(cells[QUANTITY], lambda message: fail(QUANTITY, message))
    unit_price = _price(cells[UNIT_PRICE], lambda message: fail(UNIT_PRICE, message))

    order_ref = cells.get(ORDER_REF, "")
    if len(order_ref) > ORDER_REF_MAX:
        fail(
            ORDER_REF,
            _("the order reference is longer than %(limit)s characters") % {"limit": ORDER_REF_MAX},
        )
    tracking_code = code_normalize(cells.get(TRACKING_CODE, ""))
    if len(tracking_code) > TRACKING_CODE_MAX:
        fail(
            TRACKING_CODE,
            _("the tracking code is longer than %(limit)s characters")
            % {"limit": TRACKING_CODE_MAX},
        )

    source_video_id = None
    if cells.get(SOURCE_VIDEO):
        candidates = lookups.videos.get(cells[SOURCE_VIDEO], [])
        if platform:
            candidates = [c for c in candidates if c[0] == platform.pk]
        if not candidates:
            fail(
                SOURCE_VIDEO,
                _('none of your videos has the id "%(id)s"') % {"id": cells[SOURCE_VIDEO]},
            )
        elif len(candidates) > 1:
            fail(SOURCE_VIDEO, _("videos on several platforms have this id; add a platform column"))
        else:
            source_video_id = candidates[0][1]

    if len(log) > problems:
        return None
    sale = Sale(
        course=course,
        tier=tier,
        platform=platform,
        source_video_id=source_video_id,
        quantity=quantity,
        unit_price=unit_price,
        sold_at=sold_at,
        order_ref=order_ref,
        tracking_code=tracking_code,
    )
    # Field checks only: course, tier and video were resolved among the owner's own rows, which
    # is what Sale.clean() checks (it would query per row); uniqueness is the upsert's business.
    try:
        sale.clean_fields(exclude=["course", "tier", "platform", "source_video"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            log.add(row, mapping.header_of(name), "; ".join(messages))
        return None
    return sale


def _course(text: str, fail, lookups: _Lookups) -> Course | None:
    if not text:
        fail(_("the course is missing"))
        return None
    course = lookups.courses_by_slug.get(_fold(text))
    if course:
        return course
    matches = lookups.courses_by_title.get(_fold(text), [])
    if len(matches) == 1:
        return matches[0]
    if matches:
        fail(
            _('several of your courses are titled "%(title)s"; use the course slug')
            % {"title": text}
        )
    else:
        fail(_('none of your courses has the slug or title "%(text)s"') % {"text": text})
    return None


def _quantity(text: str, fail) -> int | None:
    if not text:
        fail(_("the quantity is missing"))
        return None
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        fail(_('"%(value)s" is not a number') % {"value": text})
        return None
    if number != number.to_integral_value() or not 1 <= number <= MAX_QUANTITY:
        fail(
            _("%(value)s is not a whole number from 1 to %(limit)s")
            % {"value": text, "limit": f"{MAX_QUANTITY:,}"}
        )
        return None
    return int(number)


def _price(text: str, fail) -> Decimal | None:
    if not text:
        fail(_("the unit price is missing"))
        return None
    cleaned = text
    for symbol in ("¥", "￥", "元", "CNY", "RMB", "$", ",", " "):
        cleaned = cleaned.replace(symbol, "")
    try:
        price = Decimal(cleaned)
    except InvalidOperation:
        fail(_('"%(value)s" is not an amount') % {"value": text})
        return None
    if not price.is_finite() or price < 0 or price > MAX_PRICE:
        fail(
            _("%(value)s is not an amount from 0 to %(limit)s")
            % {"value": text, "limit": f"{MAX_PRICE:,}"}
        )
        return None
    if price != price.quantize(CENT):
        fail(_("%(value)s has more than two decimals") % {"value": text})
        return None
    return price.quantize(CENT)


def _drop_duplicate_orders(
    sales: list[tuple[int, Sale]], mapping: ColumnMapping, log: IssueLog, result: ImportResult
) -> list[tuple[int, Sale]]:
    """The same order twice in a file is harmless if identical, a conflict otherwise."""
    seen: dict[tuple[int, str], tuple[int, Sale]] = {}
    kept = []
    repeats = 0
    for row, sale in sales:
        if not sale.order_ref:
            kept.append((row, sale))
            continue
        key = (sale.course_id, sale.order_ref)
        if key not in seen:
            seen[key] = (row, sale)
            kept.append((row, sale))
        elif sale_values(seen[key][1]) == sale_values(sale):
            repeats += 1
        else:
            log.add(
                row,
                mapping.header_of(ORDER_REF),
                _('order "%(order)s" appears on row %(row)s with other values')
                % {"order": sale.order_ref, "row": seen[key][0]},
            )
    if repeats:
        result.notes.append(
            ngettext(
                "%(count)s row repeated an order exactly; counted once",
                "%(count)s rows repeated an order exactly; counted once",
                repeats,
            )
            % {"count": repeats}
        )
    return kept


def _preview(row: int, sale: Sale) -> dict:
    return {
        "row": row,
        "sold_at": sale.sold_at.isoformat(),
        "course": sale.course.title,
        "tier": sale.tier.name if sale.tier else "",
        "platform": sale.platform.label if sale.platform else "",
        "quantity": sale.quantity,
        "unit_price": str(sale.unit_price),
        "order_ref": sale.order_ref,
        "source_video_id": sale.source_video_id,
        "tracking_code": sale.tracking_code,
    }
