"""Progress of long numerical routes (issue 14 item 2), told to whoever listens.

The loops of the long routes (gradient descent epochs, gradient flows, trained networks,
exhaustive code chunks) call :func:`tick` with what they do and how far they are; it costs
one context-variable read when nobody listens, and never changes a number. The front door
(``mtl_theory.api.check``) listens during ``--verify`` with a :class:`Throttled` reporter,
which turns ticks into a few whole lines (the CLI writes them on stderr, never stdout).

Examples
--------
>>> lines = []
>>> clock = iter([0.0, 0.0, 5.0, 40.0, 41.0, 90.0]).__next__
>>> report = Throttled(lines.append, every=30.0, quiet_for=30.0, clock=clock)
>>> with listening(report):
...     for k in range(4):
...         tick("epochs", k, 4)
>>> report.finish()
>>> lines
['progress: epochs 2/4 (50 %), 40 s elapsed', 'done: 90 s']
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

Listener = Callable[[str, float, float], None]

#: The clock of :class:`Throttled` reporters made without one (tests replace it).
CLOCK: Callable[[], float] = time.monotonic

_LISTENER: ContextVar[Listener | None] = ContextVar("mtl_theory_progress", default=None)


def tick(what: str, done: float, total: float) -> None:
    """Tell the listener (if any) that ``done`` of ``total`` units of ``what`` are done."""
    listener = _LISTENER.get()
    if listener is not None:
        listener(what, done, total)


@contextlib.contextmanager
def listening(listener: Listener | None) -> Iterator[None]:
    """Route the ticks of this thread's code to ``listener`` (None: nobody listens)."""
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)


def _seconds(s: float) -> str:
    if s >= 3600:
        return f"{s / 3600:.1f} h"
    if s >= 120:
        return f"{s / 60:.1f} min"
    return f"{s:.0f} s"


@dataclass
class Throttled:
    """A listener that says one whole line at most every ``every`` seconds, and nothing
    before the route has run ``quiet_for`` seconds (0 once a long route was announced);
    :meth:`finish` says a final line if anything was said before (or ``always``)."""

    say: Callable[[str], None]
    every: float = 30.0
    quiet_for: float = 30.0
    always: bool = False
    clock: Callable[[], float] | None = None  # None: CLOCK, read when the reporter is made
    start: float = field(init=False)
    last: float = field(init=False, default=-float("inf"))
    lines: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        if self.clock is None:
            self.clock = CLOCK
        self.start = self.clock()

    def __call__(self, what: str, done: float, total: float) -> None:
        now = self.clock()
        if now - self.start < self.quiet_for or now - self.last < self.every:
            return
        self.last = now
        self.lines += 1
        share = f" ({100.0 * done / total:.0f} %)" if total > 0 else ""
        self.say(
            f"progress: {what} {done:.0f}/{total:.0f}{share}, {_seconds(now - self.start)} elapsed"
        )

    def finish(self, suffix: str = "") -> None:
        if self.lines or self.always:
            self.say(f"done: {_seconds(self.clock() - self.start)}{suffix}")
