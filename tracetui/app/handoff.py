"""What a thread worker is handed, taken out of the worker's keeping as it starts.

Why: Textual keeps a finished worker alive for as long as a context made
while it ran lives. A callback it hands the UI thread (`call_from_thread`)
runs in a copy of the worker's context (`textual.worker.active_worker` set
to it); the next worker started from there copies that context into its
task; and so each tree layout kept the one before it, and what it was
started with. A followed file replaced ten times left ten old runs alive
this way, each with its log's columns (~0.75 MB for a 200k-line log, ~4 MB
for a 1M-line one). A worker handed its arguments in a `Handoff` keeps
only the empty box once it has taken them.
"""

from __future__ import annotations

from typing import Any


class Handoff:
    """Arguments for a worker, given back once (`take`), then let go of."""

    __slots__ = ("_items",)

    def __init__(self, *items: Any) -> None:
        self._items: tuple[Any, ...] | None = items

    def take(self) -> tuple[Any, ...]:
        """The arguments, taken out of the box; a second take is an error
        (a worker must not read arguments it let go of)."""
        items, self._items = self._items, None
        if items is None:
            raise RuntimeError("a Handoff's arguments were taken already")
        return items

    def __repr__(self) -> str:  # (Textual writes a worker's arguments in its repr)
        return "Handoff(taken)" if self._items is None else f"Handoff({len(self._items)} arguments)"
