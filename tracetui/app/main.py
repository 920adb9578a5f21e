"""Open sources and run the explorer."""

from __future__ import annotations

import os
import sys

from tracetui.sources.base import SourceError
from tracetui.sources.discover import open_sources, resolve_path
from tracetui.store import Store


def run_app(paths: list[str]) -> int:
    store = Store()
    resolved = [resolve_path(p) for p in paths]
    try:
        sources, notes = open_sources(resolved, store)
    except SourceError as exc:
        sys.stderr.write(f"tracetui: {exc}\n")
        return 1
    from tracetui.app.app import TraceApp

    app = TraceApp(sources, store, notes, watch_dirs=[p for p in resolved if os.path.isdir(p)])
    app.run()
    return app.return_code or 0
