"""Cell parsers that work on a whole column at once and say, per cell, what is wrong.

A million-row file cannot be checked cell by cell in Python, so each parser takes the fast
vectorised path for the usual case (pandas already read clean integers, ISO dates) and falls
back to per-cell work only for the cells that need it ("1,234", "1.2万", "2025/3/1").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

import numpy as np
import pandas as pd
from django.utils import timezone
from django.utils.translation import gettext as _

EPOCH = date(1970, 1, 1)
# No platform export predates this; an earlier date is a typo or a mangled cell.
EARLIEST_DATE = date(2000, 1, 1)
NO_DATA = {"-", "--", "—", "－", "/", "n/a", "N/A", "null", "NULL", "None"}
_MULTIPLIERS = {"万": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000}
_SCIENTIFIC_ID = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
DATE_FORMATS = (
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%Y年%m月%d日",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d %H:%M",
    "ISO8601",
)
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y.%m.%d %H:%M:%S",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
    "%Y年%m月%d日",
)


@dataclass
class Parsed:
    """A parsed column: ``values`` is valid where neither ``blank`` nor ``bad`` is set;
    ``problems`` describes the first bad cells (position in the column → message)."""

    values: np.ndarray
    blank: np.ndarray
    bad: np.ndarray
    problems: dict[int, str]


def _text(value: object) -> str:
    return str(value).strip()


def blank_mask(series: pd.Series) -> np.ndarray:
    """NaN/None, empty or whitespace-only cells, and the "no data" dashes exports use."""
    mask = series.isna().to_numpy().copy()
    if series.dtype.kind not in "biufcmM" and not mask.all():  # text (object or str dtype)
        text = series[~mask].astype(str).str.strip()
        mask[~mask] = (text == "").to_numpy() | text.isin(NO_DATA).to_numpy()
    return mask


def _count_from_text(text: str) -> float | None:
    """'1,234' → 1234, '1.2万' → 12000; None when it is not a number."""
    value = text.replace(",", "").replace("，", "").replace(" ", "").replace("\u00a0", "")
    multiplier = 1
    if value and value[-1] in _MULTIPLIERS:
        multiplier, value = _MULTIPLIERS[value[-1]], value[:-1]
    try:
        return float(value) * multiplier
    except ValueError:
        return None


def parse_counts(series: pd.Series, *, max_value: int, describe: int) -> Parsed:
    """Whole numbers ≥ 0 and ≤ ``max_value``; blank cells are reported as blank, not bad."""
    n = len(series)
    problems: dict[int, str] = {}
    if series.dtype.kind in "iu":
        raw = series.to_numpy()
        blank = np.zeros(n, dtype=bool)
        negative = raw < 0 if series.dtype.kind == "i" else np.zeros(n, dtype=bool)
        over = raw > max_value
        bad = negative | over
        values = np.where(bad, 0, raw).astype(np.int64)
        for pos in np.flatnonzero(bad)[:describe]:
            problems[int(pos)] = _count_problem(float(raw[pos]), max_value, str(raw[pos]))
        return Parsed(values, blank, bad, problems)

    if series.dtype.kind == "f":
        numbers = series.to_numpy(dtype=float, na_value=np.nan)
        blank = np.isnan(numbers)
    else:
        numbers = np.array(pd.to_numeric(series, errors="coerce"), dtype=float, copy=True)
        blank = np.zeros(n, dtype=bool)
        unread = np.flatnonzero(np.isnan(numbers))
        if len(unread):  # only these cells can be blank, dashes, "1,234" or "1.2万"
            blank[unread] = blank_mask(series.iloc[unread])
        for pos in unread[~blank[unread]]:
            number = _count_from_text(_text(series.iat[pos]))
            numbers[pos] = np.nan if number is None else number
    unreadable = np.isnan(numbers) & ~blank
    with np.errstate(invalid="ignore"):
        fractional = ~unreadable & ~blank & (numbers != np.floor(numbers))
        negative = ~unreadable & ~blank & (numbers < 0)
        over = ~unreadable & ~blank & (numbers > max_value)
    bad = unreadable | fractional | negative | over
    values = np.where(bad | blank, 0, np.nan_to_num(numbers)).astype(np.int64)
    for pos in np.flatnonzero(bad)[:describe]:
        shown = _text(series.iat[pos])
        if unreadable[pos]:
            problems[int(pos)] = _('"%(value)s" is not a number') % {"value": shown}
        else:
            problems[int(pos)] = _count_problem(float(numbers[pos]), max_value, shown)
    return Parsed(values, blank, bad, problems)


def _count_problem(number: float, max_value: int, shown: str) -> str:
    if number < 0:
        return _("%(value)s is negative; counts are 0 or more") % {"value": shown}
    if number > max_value:
        return _("%(value)s is above the largest count accepted (%(max)s)") % {
            "value": shown,
            "max": f"{max_value:,}",
        }
    return _("%(value)s is not a whole number") % {"value": shown}


def parse_dates(series: pd.Series, *, describe: int) -> Parsed:
    """Calendar dates as days since 1970-01-01 (int32). ISO dates take the fast path; other
    common spellings (2025/3/1, 20250301, 2025年3月1日, with or without a time) follow."""
    stamps = pd.to_datetime(series, format="%Y-%m-%d", errors="coerce")
    blank = np.zeros(len(series), dtype=bool)
    unread = np.flatnonzero(stamps.isna().to_numpy())
    if len(unread):  # only these cells can be blank or in another spelling
        blank[unread] = blank_mask(series.iloc[unread])
    missing = np.zeros(len(series), dtype=bool)
    missing[unread[~blank[unread]]] = True
    if missing.any():
        rest = series[missing].astype(str).str.strip()
        found = pd.Series(pd.NaT, index=rest.index, dtype="datetime64[us]")
        for fmt in DATE_FORMATS:
            todo = found.isna()
            if not todo.any():
                break
            found[todo] = pd.to_datetime(rest[todo], format=fmt, errors="coerce").to_numpy(
                dtype="datetime64[us]"
            )
        stamps = stamps.astype("datetime64[us]")
        stamps[missing] = found.to_numpy()
    days = stamps.to_numpy(dtype="datetime64[us]").astype("datetime64[D]")
    unreadable = np.isnat(days) & ~blank
    numbers = np.where(np.isnat(days), 0, days.astype(np.int64)).astype(np.int32)
    earliest = (EARLIEST_DATE - EPOCH).days
    latest = (timezone.localdate() - EPOCH).days + 1
    too_early = ~unreadable & ~blank & (numbers < earliest)
    too_late = ~unreadable & ~blank & (numbers > latest)
    bad = unreadable | too_early | too_late
    problems: dict[int, str] = {}
    for pos in np.flatnonzero(bad)[:describe]:
        shown = _text(series.iat[pos])
        if unreadable[pos]:
            problems[int(pos)] = _('"%(value)s" is not a date (expected e.g. 2025-03-01)') % {
                "value": shown
            }
        elif too_early[pos]:
            problems[int(pos)] = _("%(value)s is before %(earliest)s") % {
                "value": shown,
                "earliest": EARLIEST_DATE.isoformat(),
            }
        else:
            problems[int(pos)] = _("%(value)s is in the future") % {"value": shown}
    numbers[bad | blank] = 0
    return Parsed(numbers, blank, bad, problems)


# A unix time above this is in milliseconds: as seconds it would be after the year 5000.
MILLISECONDS_FROM = 100_000_000_000


def parse_moments(series: pd.Series, *, describe: int) -> Parsed:
    """Crawl times as unix seconds (int64): unix seconds or milliseconds (what crawlers and
    browser extensions write) or a date and time in the current time zone."""
    n = len(series)
    numbers = np.array(pd.to_numeric(series, errors="coerce"), dtype=float, copy=True)
    blank = np.zeros(n, dtype=bool)
    seconds = np.where(numbers >= MILLISECONDS_FROM, numbers / 1000, numbers)
    unread = np.flatnonzero(np.isnan(numbers))
    if len(unread):
        blank[unread] = blank_mask(series.iloc[unread])
        todo = unread[~blank[unread]]
        if len(todo):
            rest = series.iloc[todo].astype(str).str.strip()
            found = pd.Series(pd.NaT, index=rest.index, dtype="datetime64[us]")
            for fmt in (*DATETIME_FORMATS, "ISO8601"):
                missing = found.isna()
                if not missing.any():
                    break
                found[missing] = pd.to_datetime(
                    rest[missing], format=fmt, errors="coerce"
                ).to_numpy(dtype="datetime64[us]")
            local = pd.DatetimeIndex(found).tz_localize(
                timezone.get_current_timezone(), ambiguous="NaT", nonexistent="shift_forward"
            )
            read = ~local.isna()
            stamps = np.full(len(todo), np.nan)
            stamps[read] = local[read].as_unit("s").asi8
            seconds[todo] = stamps
    unreadable = np.isnan(seconds) & ~blank
    earliest = datetime.combine(EARLIEST_DATE, time.min).timestamp()
    latest = timezone.now().timestamp() + 86_400
    with np.errstate(invalid="ignore"):
        too_early = ~unreadable & ~blank & (seconds < earliest)
        too_late = ~unreadable & ~blank & (seconds > latest)
    bad = unreadable | too_early | too_late
    problems: dict[int, str] = {}
    for pos in np.flatnonzero(bad)[:describe]:
        shown = _text(series.iat[pos])
        if unreadable[pos]:
            problems[int(pos)] = _(
                '"%(value)s" is not a time (expected unix seconds, milliseconds or e.g. '
                "2025-03-01 08:00:00)"
            ) % {"value": shown}
        elif too_early[pos]:
            problems[int(pos)] = _("%(value)s is before %(earliest)s") % {
                "value": shown,
                "earliest": EARLIEST_DATE.isoformat(),
            }
        else:
            problems[int(pos)] = _("%(value)s is in the future") % {"value": shown}
    values = np.where(bad | blank, 0, np.nan_to_num(seconds)).astype(np.int64)
    return Parsed(values, blank, bad, problems)


def moments_to_days(moments: np.ndarray) -> np.ndarray:
    """Unix seconds → the day (since 1970) each falls on in the current time zone."""
    local = pd.DatetimeIndex(pd.to_datetime(moments, unit="s", utc=True)).tz_convert(
        timezone.get_current_timezone()
    )
    return local.tz_localize(None).to_numpy().astype("datetime64[D]").astype(np.int32)


def days_to_moments(days: np.ndarray) -> np.ndarray:
    """Each day's last second (23:59:59) in the current time zone, as unix seconds: when a
    file of lifetime totals gives only dates, a day's totals are what it ended with."""
    naive = pd.DatetimeIndex(
        np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[s]")
        + np.timedelta64(86_399, "s")
    )
    local = naive.tz_localize(
        timezone.get_current_timezone(),
        ambiguous=np.zeros(len(naive), dtype=bool),
        nonexistent="shift_backward",
    )
    return local.as_unit("s").asi8.astype(np.int64)


def days_to_date(days: int) -> date:
    return date.fromordinal(EPOCH.toordinal() + int(days))


def parse_datetime_cell(value: object) -> datetime | None:
    """A sale's time, aware in TIME_ZONE when the cell gives no offset; None if unreadable.

    Sales lists are small, so this is per cell and accepts what shops write."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time.min)
    else:
        text = _text(value)
        moment = None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            for fmt in DATETIME_FORMATS:
                try:
                    moment = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
        if moment is None:
            return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


def looks_like_mangled_id(text: str) -> bool:
    """Excel shows long numeric ids as 7.23E+18 and saves them so; the real id is lost."""
    return bool(_SCIENTIFIC_ID.match(text))
