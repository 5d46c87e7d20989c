"""Using a page with the keyboard alone, as a person who cannot use a mouse does:
Tab to move between controls, arrow keys within a radio group, and a focus indicator
they can see wherever they are."""

from __future__ import annotations

from playwright.sync_api import Page

_FOCUSED_NAME = """() => { const e = document.activeElement; if (!e) return '';
    const byLabel = e.labels && e.labels.length ? e.labels[0].innerText : '';
    return (e.getAttribute('aria-label') || byLabel || e.innerText || e.value || '').trim(); }"""


def tab_to(page: Page, name: str, *, limit: int = 60) -> None:
    """Press Tab until the focused element's name (label or text) starts with `name`."""
    _press_until(page, "Tab", name, limit)


def tab_into(page: Page, selector: str, *, limit: int = 60) -> None:
    """Press Tab until focus is on an element matching `selector` (e.g. a radio group)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector!r} within {limit} presses")


def arrow_to(page: Page, name: str, *, limit: int = 40) -> None:
    """Move through a radio group with the down arrow until `name` is chosen."""
    _press_until(page, "ArrowDown", name, limit)


def _press_until(page: Page, key: str, name: str, limit: int) -> None:
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(_FOCUSED_NAME).startswith(name):
            return
    raise AssertionError(f"{key} never reached {name!r} within {limit} presses")


def assert_focus_visible(page: Page) -> None:
    """The focused element shows the pages' own focus indicator (a solid outline at least
    2 px wide, or a box shadow), not the browser's thin default ring or nothing."""
    style = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
            return {outline: s.outlineStyle, width: parseFloat(s.outlineWidth), shadow: s.boxShadow}; }"""
    )
    outlined = style["outline"] not in ("none", "auto") and style["width"] >= 2
    assert outlined or style["shadow"] != "none", f"no visible focus indicator: {style}"
