"""A progress bar on stderr for the long steps of dataset generation.

On a terminal it redraws one line in place; when stderr is a file or a pipe (CI logs)
it prints a plain line every tenth of the way instead, so logs stay readable.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 30
REDRAW_SECONDS = 0.2


def _short(n: float) -> str:
    """1234567 -> '1.23M': counts as people read them at a glance."""
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if n >= limit:
            return f"{n / limit:.2f}{suffix}"
    return f"{n:.0f}"


class ProgressBar:
    """How far one step has got, out of ``total`` units (rows, usually)."""

    def __init__(self, label: str, total: int, *, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = max(total, 0)
        self.done = 0
        self.detail = ""
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty()
        self.started = time.perf_counter()
        self._last_draw = 0.0
        self._last_tenth = -1

    def advance(self, units: int, *, detail: str = "") -> None:
        """Count ``units`` more as done; ``detail`` is shown after the counts."""
        self.done = min(self.done + units, self.total)
        if detail:
            self.detail = detail
        now = time.perf_counter()
        if self.interactive:
            if now - self._last_draw >= REDRAW_SECONDS or self.done == self.total:
                self._draw(end="")
                self._last_draw = now
        else:
            tenth = self.done * 10 // self.total if self.total else 10
            if tenth != self._last_tenth:
                self._last_tenth = tenth
                self._draw(end="\n")

    def finish(self) -> float:
        """End the line; returns the seconds the step took."""
        already_shown = not self.interactive and self._last_tenth == 10 and self.done == self.total
        self.done = self.total
        if not already_shown:
            self._draw(end="\n")
        return time.perf_counter() - self.started

    def _draw(self, *, end: str) -> None:
        fraction = self.done / self.total if self.total else 1.0
        filled = int(BAR_WIDTH * fraction)
        elapsed = time.perf_counter() - self.started
        eta = elapsed / fraction - elapsed if 0 < fraction < 1 else 0.0
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        detail = f"  {self.detail}" if self.detail else ""
        line = (
            f"  {self.label:<12} [{bar}] {fraction:6.1%} {_short(self.done):>7}/{_short(self.total):<7}"
            f" {elapsed:6.1f}s  eta {eta:5.0f}s{detail}"
        )
        prefix = "\r\x1b[K" if self.interactive else ""
        self.stream.write(prefix + line + end)
        self.stream.flush()
