"""Where uploaded files are stored, under names that are always safe to store."""

from __future__ import annotations

import re
import unicodedata
import uuid
from pathlib import PurePath

MAX_STEM_CHARS = 60  # at most 4 bytes each in UTF-8: well below a filesystem's 255-byte limit
MAX_SUFFIX_CHARS = 10
UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"/\\|?*]+")


def safe_filename(name: str, *, default: str = "upload") -> str:
    """A creator's file name made safe to store: no directories, control characters or
    characters filesystems refuse, NFC Unicode (Chinese stays), at most MAX_STEM_CHARS before
    an extension that is kept (lower-cased) — a 300-character name is shortened, not a 500."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" or ch == " ")
    name = UNSAFE.sub("_", name).strip(" ._")
    path = PurePath(name or default)
    suffix = path.suffix if 1 < len(path.suffix) <= MAX_SUFFIX_CHARS else ""
    stem = (path.name[: -len(suffix)] if suffix else path.name).strip(" ._") or default
    return f"{stem[:MAX_STEM_CHARS].rstrip(' ._') or default}{suffix.lower()}"


def import_upload_to(job, filename: str) -> str:
    """Uploads live under MEDIA_ROOT/imports/<owner>/ with a random prefix so two uploads of
    "数据.csv" never overwrite each other."""
    return f"imports/{job.owner_id}/{uuid.uuid4().hex[:12]}_{safe_filename(filename)}"
