"""Pages that still work for someone who makes the text bigger or reads on a small
phone: WCAG 1.4.4 (text resized to 200%) and 1.4.10 (reflow at 320 CSS px, no
scrolling sideways). Data tables may scroll inside their own box (1.4.10 allows it);
the page itself may not."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, Page

# (name, viewport, root font size): the three ways a person enlarges a page.
LAYOUTS = [
    ("text at 200%", {"width": 1280, "height": 800}, "200%"),
    ("320 px wide (reflow)", {"width": 320, "height": 640}, "100%"),
    ("a phone with text at 200%", {"width": 390, "height": 844}, "200%"),
]

# The root font size is set on <html> by a stylesheet added after the pages' own: every
# size in the pages is in rem or em, so this is what a browser's text-size setting does.
_TEXT_SIZE = """document.addEventListener('DOMContentLoaded', () => {{
    const style = document.createElement('style');
    style.textContent = 'html {{ font-size: {size} !important; }}';
    document.head.appendChild(style);
}});"""

_SIDEWAYS = """() => {
    const width = document.documentElement.clientWidth;
    const page = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
    // Elements sticking out past the right edge, outside any box that scrolls itself.
    const out = [];
    for (const e of document.body.querySelectorAll('*')) {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || r.right <= width + 1) continue;
        let p = e.parentElement, contained = false;
        while (p && p !== document.body) {
            const s = getComputedStyle(p);
            if (['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX)) { contained = true; break; }
            p = p.parentElement;
        }
        if (!contained) out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
            (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '') +
            ' (right edge ' + Math.round(r.right) + ')');
    }
    return {width, page, out: out.slice(0, 10)};
}"""


@contextmanager
def enlarged(browser: Browser, storage_state: object, viewport: dict[str, int], size: str) -> Iterator[Page]:
    """A page in a new context (same sign-in) with this viewport and root font size."""
    context = browser.new_context(viewport=viewport, storage_state=storage_state)  # type: ignore[arg-type]
    context.add_init_script(_TEXT_SIZE.format(size=size))
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def layout_problems(page: Page, actions: list[str]) -> list[str]:
    """What stops a person using the page at this size: sideways scrolling, or one of
    its main actions (buttons or links, by name) missing or cut off at the edge."""
    problems = []
    why = sideways_scroll(page)
    if why:
        problems.append(why)
    width = page.viewport_size["width"] if page.viewport_size else 0
    for name in actions:
        action = page.get_by_role("button", name=name).or_(page.get_by_role("link", name=name)).first
        if not action.is_visible():
            problems.append(f"{name!r} is not visible")
            continue
        action.scroll_into_view_if_needed()
        box = action.bounding_box()
        if box is None or box["x"] < 0 or box["x"] + box["width"] > width + 1:
            problems.append(f"{name!r} is cut off at the edge: {box}")
    return problems


def sideways_scroll(page: Page) -> str:
    """Why the page scrolls sideways, or "" when it does not."""
    found = page.evaluate(_SIDEWAYS)
    if found["page"] <= found["width"] + 1 and not found["out"]:
        return ""
    return f"page is {found['page']} px wide in a {found['width']} px window; sticking out: {found['out']}"
