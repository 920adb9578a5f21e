"""Helpers for the tests that run the app headless (`App.run_test()`)."""

from __future__ import annotations

import os
from typing import Callable

from tracetui.app.app import TraceApp
from tracetui.sources.discover import open_sources
from tracetui.store import Store


def open_app(*paths: str, now: float | Callable[[], float]) -> TraceApp:
    """The app over `paths`, its clock fixed at `now` (or read from it, a
    callable); directories are watched, as `tracetui DIR` watches them."""
    store = Store()
    sources, notes = open_sources(list(paths), store)
    return TraceApp(sources, store, notes, watch_dirs=[p for p in paths if os.path.isdir(p)],
                    now=now if callable(now) else lambda: now)


async def wait_for(pilot, condition, seconds: float = 6.0) -> bool:
    """Pause until `condition()` holds, at most `seconds`; whether it does."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return True
        await pilot.pause(0.05)
    return condition()


async def settle(pilot, app: TraceApp) -> None:
    """Wait until the first load is done and the run list has a row."""
    for _ in range(200):
        await pilot.pause(0.02)
        if not app.loading and app.run_list.row_count():
            break
    await pilot.pause(0.1)
