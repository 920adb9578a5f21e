"""Open sources and run the explorer."""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Callable

from tracetui.sources.base import SourceError
from tracetui.sources.discover import (
    directory_files, holds_no_records, is_inspect_trace_dir, open_sources, resolve_path, waits_for_traces,
)
from tracetui.memory import share_one_heap
from tracetui.prescan import start_early
from tracetui.store import Store

if TYPE_CHECKING:
    from tracetui.app.app import TraceApp


def build_app(paths: list[str], now: Callable[[], float] = time.time) -> TraceApp:
    """The explorer on `paths`, its directories watched for new files.
    Directories with nothing to read yet that an eval is about to write in
    (`waits_for_traces`) open empty, waiting for it; so do files with
    nothing yet that says what they are, that a pipeline started with the
    explorer writes (`AwaitingRecord`), until their first record. Raises
    SourceError when nothing can be read and nothing is awaited."""
    share_one_heap()  # before any thread allocates
    store = Store()
    resolved = [resolve_path(p) for p in paths]
    awaited: list[str] = []
    try:
        sources, notes = open_sources(resolved, store, awaited=awaited)
    except SourceError as exc:
        if not resolved or not all(waits_for_traces(p) for p in resolved):
            raise
        # Files there that are no traces are said with the notes (`n`);
        # empty ones, and an empty directory, have nothing to say.
        sources, notes = [], [str(exc)] if any(map(_holds_other_files, resolved)) else []
    watched = [p for p in resolved if os.path.isdir(p) or is_inspect_trace_dir(p)]
    scans = start_early(sources, watched)  # while the app is imported and laid out
    from tracetui.app.app import TraceApp

    return TraceApp(sources, store, notes, watch_dirs=watched, awaited_files=awaited, now=now,
                    prescans=scans)


def _holds_other_files(directory: str) -> bool:
    """A directory holds files with something in them (no traces, then)."""
    return not all(holds_no_records(file) for file in directory_files(directory)[0])


def run_app(paths: list[str], greeting: str | None = None) -> int:
    """The explorer on `paths`; `greeting`: said once it opens (the demo
    says what it is and where to start)."""
    try:
        app = build_app(paths)
    except SourceError as exc:
        sys.stderr.write(f"tracetui: {exc}\n")
        return 1
    if greeting:
        app.call_later(app.notify, greeting, timeout=12, markup=False)
    app.run()
    return app.return_code or 0
