"""Open sources and run the explorer."""

from __future__ import annotations

import os
import sys

from tracetui.sources.base import SourceError
from tracetui.sources.discover import open_sources, resolve_path
from tracetui.store import Store


def run_app(paths: list[str], greeting: str | None = None) -> int:
    """The explorer on `paths`; `greeting`: said once it opens (the demo
    says what it is and where to start)."""
    store = Store()
    resolved = [resolve_path(p) for p in paths]
    try:
        sources, notes = open_sources(resolved, store)
    except SourceError as exc:
        sys.stderr.write(f"tracetui: {exc}\n")
        return 1
    from tracetui.app.app import TraceApp

    app = TraceApp(sources, store, notes, watch_dirs=[p for p in resolved if os.path.isdir(p)])
    if greeting:
        app.call_later(app.notify, greeting, timeout=12, markup=False)
    app.run()
    return app.return_code or 0
