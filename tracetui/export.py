"""Export runs as Chrome Trace Event JSON, which ui.perfetto.dev opens.

One process per run, one thread (track) per sample or trace root (more
than one where its spans overlap without nesting); a run of many such
tracks shares threads among those that never overlap (`_pack`); spans as
complete (`X`) events; running spans end at `as_of`; failed spans are
coloured and carry their error in `args`.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import os
import sys
from typing import Any, BinaryIO, Callable, Iterable

import orjson

from tracetui.analysis import shown_duration
from tracetui.breathe import Breather
from tracetui.model import ERROR, RUNNING, TIMEOUT, Run, Span

#: Events serialised per orjson call when writing (see `write_perfetto`):
#: a call holds the GIL throughout, ~2 ms for these.
WRITE_SLICE = 2_000
#: Overlap (µs) below which two slices count as nested or consecutive in
#: `_lanes`: rounding, not concurrency.
NEST_SLACK_US = 1.0
#: Chrome trace viewer colour names for failed / still-running spans.
COLOUR = {ERROR: "terrible", TIMEOUT: "bad", RUNNING: "yellow"}
#: A run of more tracks than this has them share threads (`_pack`): a
#: 1M-line eval's 117k samples made as many threads, more than Perfetto
#: shows usably (QA), where some 150 ran at once.
PACK_MIN_TRACKS = 64


def _track_root(span: Span) -> Span:
    """The span whose subtree gets one track: a sample, else the root."""
    node = span
    while node.parent is not None and node.kind != "sample":
        node = node.parent
    return node


def _track_name(root: Span) -> str:
    """A sample's track names its task too: two tasks number samples alike."""
    if root.kind == "sample" and root.parent is not None:
        return f"{root.parent.name} · {root.name}"
    return root.name


def _lanes(track_events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """A track's events split into lanes in which they nest strictly, as the
    Chrome JSON format needs on one thread: siblings that overlap (an
    inferred sample's concurrent actions, clocks a few µs apart) drew as
    wrong nesting in Perfetto. Each event goes to the first lane where it
    starts after the open events end or ends inside the innermost one, to
    within `NEST_SLACK_US` (epoch microseconds in a double are exact only to
    0.25 µs: a child that ends with its parent must not look like it
    overhangs it). Most tracks keep one lane."""
    lanes: list[list[dict[str, Any]]] = []
    # Per lane, its open events and their ends, innermost last.
    open_ends: list[list[tuple[float, dict[str, Any]]]] = []
    for event in sorted(track_events, key=lambda e: (e["ts"], -e["dur"])):
        start = event["ts"]
        end = start + event["dur"]
        for lane, ends in enumerate(open_ends):
            closed = []
            while ends and ends[-1][0] <= start + NEST_SLACK_US:
                closed.append(ends.pop())
            if not ends or end <= ends[-1][0] + NEST_SLACK_US:
                if ends and end > ends[-1][0]:
                    # Inside its parent but for rounding: drawn inside it, as
                    # the format needs (it overhung by a quarter µs; QA).
                    end = ends[-1][0]
                    event["dur"] = max(0.0, end - start)
                for closed_end, before in closed:
                    if closed_end > start:
                        # Ended as this begins but for rounding: it ends
                        # where this begins (a Model and the Tool Call
                        # after it overlapped by a third of a µs, which
                        # Perfetto reads as nesting).
                        before["dur"] = max(0.0, start - before["ts"])
                ends.append((end, event))
                lanes[lane].append(event)
                break
        else:
            open_ends.append([(end, event)])
            lanes.append([event])
    return lanes


def _placed(span: Span, as_of: float,
            memo: dict[int, tuple[float, float] | None]) -> tuple[float, float] | None:
    """(start, duration) to draw a span at: its own, or, for a span with no
    start time (a native span written without one), the stretch its
    descendants cover, else an instant where its nearest placed ancestor
    begins (a tool call Trackio records no time for), else where its run
    begins. The tree shows every node: the export left such spans out (QA)."""
    covered = _covered(span, as_of, memo)
    if covered is not None:
        return covered
    node, hops = span.parent, 0
    while node is not None and hops < MAX_DEPTH:
        covered = _covered(node, as_of, memo)
        if covered is not None:
            return covered[0], 0.0
        node, hops = node.parent, hops + 1
    # No time in its whole branch: an instant where its run begins (QA: a
    # root with no time and no children was still left out).
    return None if span.run.start is None else (span.run.start, 0.0)


def _covered(span: Span, as_of: float,
             memo: dict[int, tuple[float, float] | None]) -> tuple[float, float] | None:
    """A span's own (start, duration), or the stretch its descendants with
    times cover; None if nothing under it has a time."""
    if span.start is not None:
        return span.start, max(shown_duration(span, as_of) or 0.0, 0.0)
    key = id(span)
    if key in memo:
        return memo[key]
    memo[key] = None  # a parent cycle, were there one, ends here
    ranges = [r for r in (_covered(child, as_of, memo) for child in span.children or ()) if r is not None]
    if ranges:
        start = min(r[0] for r in ranges)
        memo[key] = (start, max(r[0] + r[1] for r in ranges) - start)
    return memo[key]


#: How far up `_placed` looks for an ancestor with a time.
MAX_DEPTH = 10_000


def perfetto_events(runs: Iterable[Run], as_of: float | Callable[[Run], float],
                    spans: Iterable[Iterable[Span]] | None = None) -> list[dict[str, Any]]:
    """The events of `runs`, running spans ending at `as_of` (or at
    `as_of(run)`: each run's own instant, `tracetui.clock.as_of`); `spans`:
    each run's spans, if not all of `run.spans` as they are now (a snapshot
    taken under the store's lock, so the export can run while a reader adds
    to the run)."""
    events: list[dict[str, Any]] = []
    runs = list(runs)
    breathe = Breather()
    if spans is None:
        spans = [run.spans.values() for run in runs]
    for pid, (run, run_spans) in enumerate(zip(runs, spans), start=1):
        run_as_of = as_of(run) if callable(as_of) else as_of
        events.append({"ph": "M", "pid": pid, "tid": 0, "name": "process_name",
                       "args": {"name": f"{run.name} [{run.format}]"}})
        tracks: dict[str, tuple[Span, list[dict[str, Any]]]] = {}
        placements: dict[int, tuple[float, float] | None] = {}
        for n, span in enumerate(run_spans):
            if n % 1000 == 0:
                breathe()  # the TUI exports from a thread: let the UI run
            placed = _placed(span, run_as_of, placements)
            if placed is None:
                continue  # no time in it or under it: nowhere to draw it
            start, duration = placed
            root = _track_root(span)
            track = tracks.get(root.id)
            if track is None:
                track = tracks[root.id] = (root, [])
            args: dict[str, Any] = {"id": span.id, "status": span.status}
            if span.detail:
                args["detail"] = span.detail
            if span.error:
                args["error"] = span.error
            if span.attributes:
                args["attributes"] = span.attributes
            event = {"ph": "X", "pid": pid, "tid": 0, "name": span.name,
                     "cat": span.kind or "span", "ts": round(start * 1e6, 3),
                     "dur": round(max(duration or 0.0, 0.0) * 1e6, 3), "args": args}
            colour = COLOUR.get(span.status)
            if colour:
                event["cname"] = colour
            track[1].append(event)
        threads = []
        for root, track_events in tracks.values():
            name = _track_name(root)
            group = root.parent.name if root.kind == "sample" and root.parent is not None else run.name
            threads += [(name if not lane else f"{name} ({lane + 1})", group, lane_events)
                        for lane, lane_events in enumerate(_lanes(track_events))]
        if len(threads) > PACK_MIN_TRACKS:
            threads = _pack(threads)
        for tid, (name, _, lane_events) in enumerate(threads, start=1):
            events.append({"ph": "M", "pid": pid, "tid": tid, "name": "thread_name", "args": {"name": name}})
            for event in lane_events:
                event["tid"] = tid
            events.extend(lane_events)
    return events


def _pack(threads: list[tuple[str, str, list[dict[str, Any]]]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """Threads (name, group, events) of one run put together where they
    never overlap in time, within a group (a task's samples; a run's other
    roots): each goes to the group's first thread free by its start, so
    there are as many as ran at once, named by the group and a number
    (`swe_bench 3`); the slices on them are named as before."""
    packed: list[tuple[str, str, list[dict[str, Any]]]] = []
    # Per group, its threads by when their last slice ends (a heap: the
    # one free soonest on top), and how many it has.
    free_at: dict[str, list[tuple[float, int]]] = {}
    # A lane's events are in order of start (`_lanes`): its first begins it.
    spans = [(events[0]["ts"], max([e["ts"] + e["dur"] for e in events]), group, events)
             for _, group, events in threads if events]
    for start, end, group, events in sorted(spans, key=lambda t: (t[2], t[0])):
        slots = free_at.setdefault(group, [])
        if slots and slots[0][0] <= start:
            _, index = heapq.heappop(slots)
            packed[index][2].extend(events)
        else:
            index = len(packed)
            packed.append((f"{group} {len(slots) + 1}", group, list(events)))
        heapq.heappush(slots, (end, index))
    return packed


def write_perfetto(runs: Iterable[Run], path: str, as_of: float | Callable[[Run], float],
                   spans: Iterable[Iterable[Span]] | None = None) -> int:
    """Write the file (whole or not at all: written beside it, then moved
    into place; `-`: standard output); returns how many span events it holds."""
    events = perfetto_events(runs, as_of, spans)
    count = sum(1 for e in events if e["ph"] == "X")
    if path == "-":
        _write_events(sys.stdout.buffer, events)
        sys.stdout.buffer.flush()
        return count
    partial = f"{path}.part"
    try:
        with open(partial, "wb") as f:
            _write_events(f, events)
        os.replace(partial, path)
    except BaseException:  # a full disk, or ^C / SIGTERM midway: no .part left behind
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
    return count


def _encoded(events: list[dict[str, Any]]) -> bytes:
    try:
        return orjson.dumps(events, option=orjson.OPT_NON_STR_KEYS, default=str)
    except TypeError:  # orjson.JSONEncodeError is one
        # A lone surrogate (from a `\ud800` escape in the trace), which
        # orjson refuses: Python's encoder writes it back as that escape.
        return json.dumps(events, default=str).encode()


def _write_events(f: BinaryIO, events: list[dict[str, Any]]) -> None:
    f.write(b'{"displayTimeUnit":"ms","traceEvents":[')
    breathe = Breather()
    # In slices: one orjson call holds the GIL throughout (~1 s for a
    # million spans), and the TUI exports from a thread.
    for i in range(0, len(events), WRITE_SLICE):
        if i:
            f.write(b",")
        f.write(_encoded(events[i:i + WRITE_SLICE])[1:-1])
        breathe()  # let a waiting thread (the UI) run
    f.write(b"]}")
