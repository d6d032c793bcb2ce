"""Fill the Simplified Chinese catalogue from JSON files of {msgid: msgstr} (or, for plurals,
{msgid: [singular, plural]} keyed by the singular msgid), then list what is still untranslated.

    .venv/bin/python manage.py makemessages -l zh_Hans --no-obsolete -i ".venv/*" -i "var/*" \
        -i "test-artifacts/*"
    .venv/bin/python scripts/po_apply.py translations.json [more.json …]
    .venv/bin/python manage.py compilemessages -l zh_Hans
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polib

CATALOGUE = Path(__file__).resolve().parents[1] / "locale/zh_Hans/LC_MESSAGES/django.po"


def main(paths: list[str]) -> None:
    table: dict[str, object] = {}
    for path in paths:
        table.update(json.loads(Path(path).read_text(encoding="utf-8")))
    po = polib.pofile(str(CATALOGUE))
    filled = 0
    for entry in po:
        if entry.obsolete:
            continue
        value = table.get(entry.msgid)
        if entry.msgid_plural:
            if value is None:
                value = table.get(entry.msgid_plural)
            if value is not None and (not entry.msgstr_plural.get(0) or "fuzzy" in entry.flags):
                text = value[0] if isinstance(value, list) else value
                entry.msgstr_plural = {0: text}
                filled += 1
        elif value is not None and (not entry.msgstr or "fuzzy" in entry.flags):
            entry.msgstr = value if isinstance(value, str) else value[0]
            filled += 1
        if value is not None and "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = None
    po.save(str(CATALOGUE))
    missing = [
        e.msgid
        for e in po
        if not e.obsolete
        and ("fuzzy" in e.flags or not (e.msgstr or any(e.msgstr_plural.values())))
    ]
    print(f"filled {filled}; untranslated or fuzzy: {len(missing)}")
    for msgid in missing[:60]:
        print("  ", repr(msgid))


if __name__ == "__main__":
    main(sys.argv[1:])
