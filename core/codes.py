"""Tracking codes: short, unambiguous when read aloud or typed from a screen, case-blind.

A code is 7 characters from an alphabet without 0/o, 1/i/l (31⁷ ≈ 2.7·10¹⁰ codes). It is
stored in lower case and printed in upper case ("K7M-3XPQ" for platforms that forbid links);
whatever a shop or a creator types back — any case, dashes or spaces, the whole ``/r/<code>``
link, or a landing URL carrying ``utm_content=<code>`` — reads back to the stored code.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, urlsplit

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
LENGTH = 7
MAX_LENGTH = 12
_SEPARATORS = re.compile(r"[\s\-_.]+")
_CODE = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")
_LINK_PATH = re.compile(r"/r/([A-Za-z0-9\-]+)/?$")


def code_generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def printable(code: str) -> str:
    code = code.upper()
    return f"{code[:3]}-{code[3:]}" if len(code) == LENGTH else code


def is_code(value: str) -> bool:
    return bool(_CODE.match(value))


def code_normalize(value: str) -> str:
    """The stored form of what a sale carries: a code as typed, a ``/r/<code>`` link or a
    landing URL with ``utm_content``. Something that is none of these is kept as typed
    (trimmed) so the creator can see what came in; attribution marks it as unknown."""
    value = (value or "").strip()
    if not value:
        return ""
    if "/" in value or "?" in value:
        parts = urlsplit(value if "://" in value or value.startswith("/") else f"//{value}")
        match = _LINK_PATH.search(parts.path)
        if match:
            return _fold(match.group(1)) or value
        content = parse_qs(parts.query).get("utm_content")
        if content:
            return _fold(content[0]) or value
        return value
    return _fold(value) or value


def _fold(value: str) -> str:
    folded = _SEPARATORS.sub("", value).lower()
    return folded if is_code(folded) else ""
