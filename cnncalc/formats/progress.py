"""Progress bars for long commands (``verify`` on a large network, ``lint`` on many files).

A bar is drawn on a terminal only, and only once the work has taken longer than a moment:
piped or redirected, nothing extra is written, and a quick run shows no flicker. The
library reports progress through a plain callback, ``progress(done, total, what)``, so it
never imports rich; this module turns those calls into a rich bar.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager

DELAY = 0.5  # seconds of work before a bar appears


def on_terminal(stream) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


@contextmanager
def progress(label: str, stream, delay: float = DELAY):
    """Yields a callback ``(done, total, what)`` drawing a bar on ``stream`` (a terminal), or
    None when ``stream`` is not one. ``what`` names the current step; a new step starts a
    new line of the bar. The bar goes away when the work is done."""
    if not on_terminal(stream):
        yield None
        return
    started = time.monotonic()
    state: dict = {"bar": None, "task": None, "what": None}

    def step(done: int, total: int, what: str = label) -> None:
        bar = state["bar"]
        if bar is None:
            if time.monotonic() - started < delay:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=stream, force_terminal=True),
                transient=True,
            )
            bar.start()
            state["bar"] = bar
        if what != state["what"]:
            if state["task"] is not None:
                bar.remove_task(state["task"])
            state["task"], state["what"] = bar.add_task(what, total=total), what
        bar.update(state["task"], completed=done, total=total)

    try:
        yield step
    finally:
        if state["bar"] is not None:
            state["bar"].stop()
