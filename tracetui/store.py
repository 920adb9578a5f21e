"""The one in-memory index every reader feeds and every view reads.

Decoders mutate it under `lock` (from a reader thread in the TUI); views read
it under the same lock. `take_changes()` tells a view which runs changed since
it last asked, so it redraws only those.
"""

from __future__ import annotations

import threading
from typing import Iterable

from tracetui.model import BUCKETS, Run, Span


class Store:
    def __init__(self) -> None:
        self.runs: dict[str, Run] = {}
        self.lock = threading.RLock()
        self._changed: set[str] = set()
        #: Bumped on every change; a cheap "anything new?" for views.
        self.version = 0

    # -- writing (decoders) -------------------------------------------------

    def run(self, run_id: str, source: str, format: str, name: str = "") -> Run:
        """The run with this id, created on first sight."""
        run = self.runs.get(run_id)
        if run is None:
            run = self.runs[run_id] = Run(run_id, source, format, name)
        self.touch(run_id)
        return run

    def touch(self, run_id: str) -> None:
        self._changed.add(run_id)
        self.version += 1

    def rename_run(self, old_id: str, new_id: str) -> bool:
        """Give a run a new id (its file was renamed); False if the new id
        is taken."""
        run = self.runs.get(old_id)
        if run is None or new_id in self.runs:
            return False
        del self.runs[old_id]
        if run.name == run.id:
            run.name = new_id
        run.id = new_id
        self.runs[new_id] = run
        self.touch(old_id)
        self.touch(new_id)
        return True

    def drop_runs(self, run_ids: Iterable[str]) -> None:
        """Forget runs (their source was replaced and is being re-read)."""
        for run_id in list(run_ids):
            run = self.runs.pop(run_id, None)
            if run is not None:
                release(run)
            self.touch(run_id)

    def settle(self) -> None:
        """A load has ended (the app, `SETTLE_DELAY` after): each run's
        index sized to the spans it holds, not to take as many more
        (`SpanIndex.settle`; 2.5 MB of a 1M-line log's). A run that grows
        later grows it again."""
        with self.lock:
            for run in self.runs.values():
                settle = getattr(run.spans, "settle", None)  # (a dict where C is not built)
                if settle is not None:
                    settle()

    # -- reading (views, CLI) ----------------------------------------------

    def take_changes(self) -> set[str]:
        with self.lock:
            changed, self._changed = self._changed, set()
            return changed

    def find_run(self, query: str) -> Run | None:
        """A run by id, or by any unique part of its id or name (in any case
        if no run has it as typed).

        Raises LookupError naming the candidates when the part is ambiguous.
        """
        if query in self.runs:
            return self.runs[query]
        hits = [r for r in self.runs.values() if query in r.id or query in r.name]
        if not hits:  # hex ids copied in capitals, a name typed in lower case
            folded = query.lower()
            hits = [r for r in self.runs.values() if folded in r.id.lower() or folded in r.name.lower()]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            names = ", ".join(sorted(r.id for r in hits)[:5])
            raise LookupError(f"'{query}' matches {len(hits)} runs: {names}")
        return None

    def all_spans(self) -> Iterable[Span]:
        for run in self.runs.values():
            yield from run.spans.values()


def release(run: Run) -> None:
    """Break the reference cycles of a dropped run (span ↔ parent, run →
    span → run, run → anomaly row → span → run) so reference counting frees
    it: spans and Inspect samples' states are not the cyclic GC's
    (`_span.h`), and the app freezes its other long-lived objects out of
    the GC's reach (see `TraceApp.read_sources`), so the GC would never
    collect them.
    `span.run` stays: a view may still be drawing the span. A sample's node
    may read its attributes from its decoder's state, which holds it
    (`_sample.h`): it reads them from a tuple of the key instead (where C
    is built; else they are read once more and held as they read)."""
    for span in run.spans.values():
        span.parent = None
        span.children = None
        if span.kind == "sample":
            key_from_state = getattr(span, "key_from_state", None)
            if key_from_state is not None:
                key_from_state()
            else:
                span.attributes = span.attributes
    run.spans.clear()
    run.lately_active.clear()
    run.synthetic_spans = 0
    run.roots.clear()
    for name in BUCKETS:
        run.anomalies.bucket(name).clear()
    run.anomalies.closed_version += 1
