"""Where uploaded files are stored."""

from __future__ import annotations

import uuid


def import_upload_to(job, filename: str) -> str:
    """Uploads live under MEDIA_ROOT/imports/<owner>/ with a random prefix so two uploads of
    "数据.csv" never overwrite each other."""
    return f"imports/{job.owner_id}/{uuid.uuid4().hex[:12]}_{filename}"
