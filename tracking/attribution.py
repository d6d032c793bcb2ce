"""Which video sold the course: the attribution rules, on DataFrames (no queries here).

For each sale, the first rule that applies decides, and the sale is marked with it:

1. ``code`` — the sale carries a tracking code (or a link or landing URL holding one) that
   names one of the creator's own links: credited to that link and its video. Another
   creator's code never matches.
2. ``manual`` — the creator named the video (``source_video``) themselves.
3. ``unknown_code`` — the sale carries a code none of the creator's links has: not credited
   (the course page counts these so a typo can be fixed), and never guessed by rule 4.
4. ``last_click`` (inferred) — no code: credited to the most recent click on any link to the
   same course at or before the moment of sale, if that click is at most the creator's
   attribution window (default 7 days) older than the sale. Clicks after the sale never count.
5. ``none`` — nothing applies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CODE, MANUAL, LAST_CLICK = "code", "manual", "last_click"
UNKNOWN_CODE, NONE = "unknown_code", "none"
CREDITED = (CODE, MANUAL, LAST_CLICK)
SALE_COLUMNS = ["sale_id", "owner_id", "course_id", "sold_at", "code", "source_video_id"]
LINK_COLUMNS = ["link_id", "owner_id", "code", "video_id", "course_id"]
CLICK_COLUMNS = ["link_id", "clicked_at"]
RESULT_COLUMNS = ["sale_id", "method", "link_id", "video_id", "click_at"]


def attribute(
    sales: pd.DataFrame,
    links: pd.DataFrame,
    clicks: pd.DataFrame,
    *,
    window_days: dict[int, int],
) -> pd.DataFrame:
    """One row per sale: method, credited link and video (NaN when none), credited click time.

    ``sales``: SALE_COLUMNS (``code`` already normalised, "" for none; ``sold_at`` tz-aware);
    ``links``: LINK_COLUMNS (``video_id``/``course_id`` the link's own or its post's);
    ``clicks``: CLICK_COLUMNS; ``window_days``: per owner id.
    """
    if sales.empty:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    result = sales[["sale_id", "owner_id", "course_id", "sold_at", "code", "source_video_id"]]
    result = result.reset_index(drop=True)
    by_code = links[["owner_id", "code", "link_id", "video_id"]].rename(
        columns={"link_id": "code_link_id", "video_id": "code_video_id"}
    )
    result = result.merge(by_code, on=["owner_id", "code"], how="left")
    has_code = result["code"].astype(str) != ""
    coded = has_code & result["code_link_id"].notna()
    manual = ~coded & result["source_video_id"].notna()
    unknown = ~coded & ~manual & has_code

    method = np.full(len(result), NONE, dtype=object)
    method[manual.to_numpy()] = MANUAL
    method[unknown.to_numpy()] = UNKNOWN_CODE
    method[coded.to_numpy()] = CODE
    link_id = np.where(coded, result["code_link_id"].astype(float), np.nan)
    video_id = np.where(
        coded,
        result["code_video_id"].astype(float),
        np.where(manual, result["source_video_id"].astype(float), np.nan),
    )
    click_at = pd.Series(pd.NaT, index=result.index, dtype="datetime64[ns, UTC]")

    open_ = (~coded & ~manual & ~has_code).to_numpy()
    if open_.any() and not clicks.empty:
        inferred = _last_click(result[open_], links, clicks, window_days=window_days)
        if not inferred.empty:
            rows = np.flatnonzero(open_)[inferred["position"].to_numpy(dtype=np.int64)]
            method[rows] = LAST_CLICK
            link_id[rows] = inferred["link_id"].to_numpy(dtype=float)
            video_id[rows] = inferred["video_id"].to_numpy(dtype=float)
            click_at.iloc[rows] = inferred["clicked_at"].to_numpy()
    result["method"] = method
    result["link_id"] = link_id
    result["video_id"] = video_id
    result["click_at"] = click_at
    return result[RESULT_COLUMNS]


def _last_click(
    open_sales: pd.DataFrame,
    links: pd.DataFrame,
    clicks: pd.DataFrame,
    *,
    window_days: dict[int, int],
) -> pd.DataFrame:
    """For the sales without a code: the latest click on the course's links at or before the
    sale, kept when it is inside the owner's window. Returns positions into ``open_sales``."""
    candidates = clicks.merge(links[["link_id", "course_id", "video_id"]], on="link_id")
    candidates = candidates.dropna(subset=["course_id"])
    if candidates.empty:
        return pd.DataFrame(columns=["position", "link_id", "video_id", "clicked_at"])
    candidates = candidates.astype({"course_id": np.int64}).sort_values("clicked_at")
    left = open_sales[["course_id", "sold_at", "owner_id"]].copy()
    left["position"] = np.arange(len(left))
    left = left.astype({"course_id": np.int64}).sort_values("sold_at")
    matched = pd.merge_asof(
        left,
        candidates[["course_id", "clicked_at", "link_id", "video_id"]],
        left_on="sold_at",
        right_on="clicked_at",
        by="course_id",
        direction="backward",
        allow_exact_matches=True,
    )
    window = pd.to_timedelta(matched["owner_id"].map(window_days).fillna(7), unit="D")
    keep = matched["clicked_at"].notna() & (matched["sold_at"] - matched["clicked_at"] <= window)
    return matched.loc[keep, ["position", "link_id", "video_id", "clicked_at"]]
