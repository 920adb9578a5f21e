"""Export runs as Chrome Trace Event JSON, which ui.perfetto.dev opens.

One process per run, one thread (track) per sample or trace root; spans as
complete (`X`) events; running spans end at `as_of`; failed spans are
coloured and carry their error in `args`.
"""

from __future__ import annotations

from typing import Any, Iterable

import orjson

from tracetui.model import ERROR, RUNNING, TIMEOUT, Run, Span

#: Chrome trace viewer colour names for failed / still-running spans.
COLOUR = {ERROR: "terrible", TIMEOUT: "bad", RUNNING: "yellow"}


def _track_root(span: Span) -> Span:
    """The span whose subtree gets one track: a sample, else the root."""
    node = span
    while node.parent is not None and node.kind != "sample":
        node = node.parent
    return node


def perfetto_events(runs: Iterable[Run], as_of: float) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for pid, run in enumerate(runs, start=1):
        events.append({"ph": "M", "pid": pid, "tid": 0, "name": "process_name",
                       "args": {"name": f"{run.name} [{run.format}]"}})
        tracks: dict[str, int] = {}
        for span in run.spans.values():
            if span.start is None:
                continue
            root = _track_root(span)
            tid = tracks.get(root.id)
            if tid is None:
                tid = tracks[root.id] = len(tracks) + 1
                events.append({"ph": "M", "pid": pid, "tid": tid, "name": "thread_name",
                               "args": {"name": root.name}})
            duration = span.duration_as_of(as_of)
            args: dict[str, Any] = {"id": span.id, "status": span.status}
            if span.detail:
                args["detail"] = span.detail
            if span.error:
                args["error"] = span.error
            if span.attributes:
                args["attributes"] = span.attributes
            event = {"ph": "X", "pid": pid, "tid": tid, "name": span.name,
                     "cat": span.kind or "span", "ts": round(span.start * 1e6, 3),
                     "dur": round(max(duration or 0.0, 0.0) * 1e6, 3), "args": args}
            colour = COLOUR.get(span.status)
            if colour:
                event["cname"] = colour
            events.append(event)
    return events


def write_perfetto(runs: Iterable[Run], path: str, as_of: float) -> int:
    """Write the file; returns how many span events it holds."""
    events = perfetto_events(runs, as_of)
    data = orjson.dumps({"traceEvents": events, "displayTimeUnit": "ms"},
                        option=orjson.OPT_NON_STR_KEYS, default=str)
    with open(path, "wb") as f:
        f.write(data)
    return sum(1 for e in events if e["ph"] == "X")
