"""Templates link with {% url %}: a path typed by hand breaks silently when a URL moves."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# An attribute whose value starts with a literal path or with "{{ x.id }}/".
HAND_WRITTEN = re.compile(
    r'(?:href|action|hx-get|hx-post|data-[a-z-]+-url)="(?:/|\{\{[^}]*\.id *\}\}/)'
)


def test_no_template_writes_a_path_by_hand():
    offenders = [
        f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()[:80]}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if HAND_WRITTEN.search(line)
    ]
    assert offenders == []
