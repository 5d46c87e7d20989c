"""axe-core, run inside the browser tests: the automated WCAG 2.2 AA check every page
must pass with no violation.

axe-core comes from the pinned dev dependency `axe-playwright-python` (it ships
axe.min.js); only that file is used, injected into the page under test, so the app
itself needs no front-end build. `AxeSweep` collects what every page of a walk fails
and reports them all at once, each with its rule, impact, the elements (CSS selectors)
and the page explaining the rule, so one run shows everything to fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page

# WCAG 2.0, 2.1 and 2.2 at levels A and AA: the bar the pages are held to; and axe's
# best practices, which hold the structure a screen-reader user moves by (one main
# landmark, all content in landmarks, headings in order, unique landmark names).
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
AXE_TAGS = [*WCAG_AA_TAGS, "best-practice"]

_RUN = """options => axe.run(document, options).then(r => r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.map(String), summary: n.failureSummary || ""})),
})))"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """What axe-core finds against WCAG 2.2 AA (and its best practices) on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    violations: list[dict[str, Any]] = page.evaluate(
        _RUN, {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    )
    return violations


def describe(where: str, violations: list[dict[str, Any]]) -> str:
    """The violations as a reader fixing them wants them: rule, impact, elements, help."""
    lines = [f"{where}: {len(violations)} accessibility violation(s)"]
    for v in violations:
        lines.append(f"  - {v['id']} ({v['impact']}): {v['help']}  <{v['helpUrl']}>")
        for node in v["nodes"][:8]:
            summary = " ".join(node["summary"].split())
            lines.append(f"      at {', '.join(node['target'])}: {summary[:300]}")
        if len(v["nodes"]) > 8:
            lines.append(f"      … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def assert_accessible(page: Page, where: str = "") -> None:
    """Fail, listing every violation, unless axe finds none on the page."""
    violations = axe_violations(page)
    assert not violations, describe(where or page.url, violations)


@dataclass
class AxeSweep:
    """Checks page after page and fails once at the end, naming every page's problems
    (a walk that stopped at the first bad page would hide the rest)."""

    checked: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def check(self, page: Page, where: str) -> None:
        self.checked.append(where)
        violations = axe_violations(page)
        if violations:
            self.failures.append(describe(f"{where} ({page.url})", violations))

    def assert_clean(self) -> None:
        assert self.checked, "no page was checked"
        assert not self.failures, "\n\n".join(self.failures)
