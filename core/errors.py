"""Domain errors shared by services and the API."""

from __future__ import annotations

from typing import Any


class RowsInvalid(Exception):
    """A batch refused as a whole. ``rows`` lists each bad row as
    ``{"index": <position in the batch>, "fields": {field: [messages]}}`` so a caller can fix
    exactly those rows; nothing of the batch was written."""

    def __init__(self, rows: list[dict[str, Any]], message: str = "") -> None:
        self.rows = rows
        self.message = message or (
            f"{len(rows)} row(s) are invalid; nothing was written."
            if len(rows) != 1
            else "1 row is invalid; nothing was written."
        )
        super().__init__(self.message)


def row_error(index: int, field: str, message: str) -> dict[str, Any]:
    return {"index": index, "fields": {field: [message]}}


def merge_row_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per row index, fields merged, in index order."""
    merged: dict[int, dict[str, list[str]]] = {}
    for error in errors:
        fields = merged.setdefault(error["index"], {})
        for name, messages in error["fields"].items():
            fields.setdefault(name, []).extend(messages)
    return [{"index": index, "fields": merged[index]} for index in sorted(merged)]
