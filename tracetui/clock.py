"""The instant a run's running spans are aged to: the same in every pane of
the TUI and in the CLI's trees, span lists, stats and exports."""

from __future__ import annotations

import os
import time

from tracetui.model import Run

#: A finished source's mtime is looked up again after this long (s).
STAT_TTL = 1.0

_mtimes: dict[str, tuple[float, float]] = {}
#: The last instant each source's writer was seen able to append. A hung
#: eval writes nothing, so when it is killed its file's mtime is when the
#: hang began: ages shown while it lived must not jump back to that.
_last_live: dict[str, float] = {}


def as_of(run: Run, now: float) -> float:
    """`now` while the run's writer may still append; otherwise the source's
    last write, or the last instant it was seen live if later (a killed
    eval's hung actions stop ageing when it died, an archived log's when it
    was closed), so the anomaly panel, the tree, the detail and the run list
    agree on every age."""
    if run.live:
        _last_live[run.source] = now
        return now
    checked = time.monotonic()
    cached = _mtimes.get(run.source)
    if cached is not None and checked - cached[1] < STAT_TTL:
        return cached[0]
    try:
        mtime = os.stat(run.source).st_mtime
    except OSError:
        mtime = run.end if run.end is not None else now
    mtime = max(mtime, _last_live.get(run.source, mtime))
    _mtimes[run.source] = (mtime, checked)
    return mtime


def last_seen_live(run: Run) -> float | None:
    """When this process last saw the run's writer able to append, if it
    ever did (the TUI, following it)."""
    return _last_live.get(run.source)
