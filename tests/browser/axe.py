"""axe-core in the page: the npm package's axe.min.js, fetched pinned by `make axe` (part of
`make test`) into var/tools/axe-core/. Never a CDN at test time."""

from __future__ import annotations

from pathlib import Path

import pytest

AXE_VERSION = "4.14.1"
AXE_JS = (
    Path(__file__).resolve().parents[2] / "var" / "tools" / f"axe-core-{AXE_VERSION}" / "axe.min.js"
)

RUN = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, nodes: v.nodes.length,
                where: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' ' +
                  (n.any[0] && n.any[0].data && n.any[0].data.contrastRatio
                    ? n.any[0].data.fgColor + '/' + n.any[0].data.bgColor + '='
                      + n.any[0].data.contrastRatio
                    : ''))}));
}"""


def axe_serious_violations(page) -> list[dict]:
    if not AXE_JS.exists():
        pytest.fail(f"axe-core {AXE_VERSION} not found at {AXE_JS}: run `make axe` (npm needed)")
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(RUN)
