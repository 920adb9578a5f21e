"""Export runs as Chrome Trace Event JSON, which ui.perfetto.dev opens.

One process per run, one thread (track) per sample or trace root (more
than one where its spans overlap without nesting); a run of many such
tracks shares threads among those that never overlap (`_pack`); spans as
complete (`X`) events; running spans end at `as_of`; failed spans are
coloured and carry their error in `args`. Where each span goes is worked
out first, in flat arrays (`_Layout`); its event is made only as it is
written, a slice at a time (`write_perfetto`).
"""

from __future__ import annotations

import contextlib
import heapq
import json
import os
import sys
from array import array
from itertools import islice
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Sequence

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
            memo: dict) -> tuple[float, float] | None:
    """(start, duration) to draw a span at: its own, or, for a span with no
    start time (a native span written without one), the stretch its
    descendants cover, else an instant where its nearest placed ancestor
    begins (a tool call Trackio records no time for), else where its run
    begins. The tree shows every node: the export left such spans out (QA)."""
    covered = _covered(span, as_of, memo)
    if covered is not None:
        return covered
    # Its own duration, where it has one with no start (Trackio's tool calls:
    # `calculator 12.0ms` in the tree was exported 0 long; QA), after those
    # of its siblings with no time before it: all at one instant, the
    # shorter drew nested in the longer, as if its child.
    duration = max(span.duration or 0.0, 0.0)
    node, hops = span.parent, 0
    while node is not None and hops < MAX_DEPTH:
        covered = _covered(node, as_of, memo)
        if covered is not None:
            return covered[0] + _after_siblings(span, as_of, memo), duration
        node, hops = node.parent, hops + 1
    # No time in its whole branch: an instant where its run begins (QA: a
    # root with no time and no children was still left out).
    return None if span.run.start is None else (span.run.start, 0.0)


def _after_siblings(span: Span, as_of: float, memo: dict) -> float:
    """How long the siblings before `span` with no time (nothing under them
    either) last: where it is drawn after its nearest placed ancestor's
    start. Worked out once per parent."""
    parent = span.parent
    if parent is None:
        return 0.0
    key = ("after", id(parent))
    offsets = memo.get(key)
    if offsets is None:
        offsets = memo[key] = {}
        at = 0.0
        for sibling in parent.children or ():
            if _covered(sibling, as_of, memo) is None:
                offsets[id(sibling)] = at
                at += max(sibling.duration or 0.0, 0.0)
    return offsets.get(id(span), 0.0)


def _covered(span: Span, as_of: float,
             memo: dict) -> tuple[float, float] | None:
    """A span's own (start, duration), or the stretch its descendants with
    times cover (with its start, if it has one but no duration: Trackio
    logs a step when it is done, after its calls began, and the step was
    exported as an instant after them); None if nothing under it has a time."""
    duration = shown_duration(span, as_of) if span.start is not None else None
    if span.start is not None and (duration is not None or not span.children):
        return span.start, max(duration or 0.0, 0.0)
    key = id(span)
    if key in memo:
        return memo[key]
    memo[key] = None  # a parent cycle, were there one, ends here
    ranges = [r for r in (_covered(child, as_of, memo) for child in span.children or ()) if r is not None]
    if span.start is not None:
        ranges.append((span.start, 0.0))
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
    to the run). All in one list: `write_perfetto` writes the same events
    but never holds more than a slice of them."""
    return list(_events(runs, as_of, spans))


def _events(runs: Iterable[Run], as_of: float | Callable[[Run], float],
            spans: Iterable[Iterable[Span]] | None) -> Iterator[dict[str, Any]]:
    """`perfetto_events`, one at a time, each made as it is asked for: a
    list of a 1M-line run's ~490k event dicts took 300 MB, which the app
    kept after the export (QA: 394 → 698 MB; freed dicts leave Python's
    allocator fragmented, `malloc_trim` gave back nothing)."""
    runs = list(runs)
    if spans is None:
        spans = [run.spans.values() for run in runs]
    for pid, (run, run_spans) in enumerate(zip(runs, spans), start=1):
        run_as_of = as_of(run) if callable(as_of) else as_of
        yield {"ph": "M", "pid": pid, "tid": 0, "name": "process_name",
               "args": {"name": f"{run.name} [{run.format}]"}}
        yield from _Layout(run, run_spans, run_as_of).events(pid)


class _Layout:
    """Where a run's spans are drawn: each span's slice (`ts`, `dur`, in
    µs), track, lane and thread, kept in flat arrays (a few large blocks,
    given back whole when freed), not as event dicts: those are made from
    them only as they are written (`events`). Each span is placed once,
    before any is written, so the slice written is the one its thread was
    chosen by, even while a reader adds to the run; and its status is the
    one read as it was placed (`status`): read as its event was written, a
    span that ended in between was drawn at its running length, labelled
    ok."""

    __slots__ = ("run", "spans", "ts", "dur", "status", "roots", "order",
                 "lane_begin", "lane_track", "lane_start", "lane_end")

    def __init__(self, run: Run, spans: Iterable[Span], as_of: float) -> None:
        self.run = run
        self.spans = spans if isinstance(spans, list) else list(spans)
        #: Each span's slice, by its index in `spans`.
        self.ts = array("d", bytes(8 * len(self.spans)))
        self.dur = array("d", bytes(8 * len(self.spans)))
        #: Each span's status as it was placed (read before its slice: a
        #: span that ends meanwhile is drawn at its length, as running).
        self.status: list[str] = [""] * len(self.spans)
        #: The tracks' roots, in the order their first placed span came.
        self.roots: list[Span] = []
        #: Indices of the placed spans, by track, then by lane, each lane
        #: in order of start.
        self.order = array("i")
        #: Where each lane begins in `order` (and, last, where the last ends).
        self.lane_begin = array("i")
        #: Each lane's track (its index in `roots`).
        self.lane_track = array("i")
        #: When each lane's first slice begins and its last one ends (`_pack`).
        self.lane_start = array("d")
        self.lane_end = array("d")
        self._lay_out(self._place(as_of))

    def _place(self, as_of: float) -> array:
        """Each span's slice; returns each span's track (-1: not drawn, no
        time in or under it)."""
        track_of = array("i", bytes(4 * len(self.spans)))
        tracks: dict[str, int] = {}
        placements: dict[int, tuple[float, float] | None] = {}
        breathe = Breather()
        for i, span in enumerate(self.spans):
            if i % 1000 == 0:
                breathe()  # the TUI exports from a thread: let the UI run
            self.status[i] = span.status
            placed = _placed(span, as_of, placements)
            if placed is None:
                track_of[i] = -1
                continue  # no time in it or under it: nowhere to draw it
            start, duration = placed
            root = _track_root(span)
            track = tracks.get(root.id)
            if track is None:
                track = tracks[root.id] = len(self.roots)
                self.roots.append(root)
            track_of[i] = track
            self.ts[i] = round(start * 1e6, 3)
            self.dur[i] = round(max(duration or 0.0, 0.0) * 1e6, 3)
        return track_of

    def _lay_out(self, track_of: array) -> None:
        """`order` and the lanes: the placed spans grouped by track (a
        counting sort, which keeps their order), then each track split into
        lanes (`_lanes`, which may shorten a slice by rounding's worth)."""
        track_begin = array("i", bytes(4 * (len(self.roots) + 1)))
        for track in track_of:
            if track >= 0:
                track_begin[track + 1] += 1
        for track in range(len(self.roots)):
            track_begin[track + 1] += track_begin[track]
        self.order = array("i", bytes(4 * track_begin[-1]))
        filled = array("i", track_begin)
        for i, track in enumerate(track_of):
            if track >= 0:
                self.order[filled[track]] = i
                filled[track] += 1
        breathe = Breather()
        for track in range(len(self.roots)):
            if track % 100 == 0:
                breathe()
            # `_lanes` sorts and splits dicts: small ones, a track's at a time.
            slices = [{"ts": self.ts[i], "dur": self.dur[i], "at": i}
                      for i in self.order[track_begin[track]:track_begin[track + 1]]]
            at = track_begin[track]
            for lane in _lanes(slices):
                self.lane_begin.append(at)
                self.lane_track.append(track)
                self.lane_start.append(lane[0]["ts"])  # a lane is in order of start
                self.lane_end.append(max([piece["ts"] + piece["dur"] for piece in lane]))
                for piece in lane:
                    self.order[at] = piece["at"]
                    self.dur[piece["at"]] = piece["dur"]
                    at += 1
        self.lane_begin.append(len(self.order))

    def _threads(self) -> list[tuple[str, Sequence[int]]]:
        """(name, lanes) of each thread, in order: a lane each, named by its
        track, or, for a run of many, lanes that never overlap put together
        (`_pack`)."""
        lanes = len(self.lane_track)
        if lanes > PACK_MIN_TRACKS:
            return _pack([self._group(track) for track in self.lane_track], self.lane_start, self.lane_end)
        threads: list[tuple[str, Sequence[int]]] = []
        first = 0  # the lane that begins the current track, named by it alone
        for lane, track in enumerate(self.lane_track):
            if lane and self.lane_track[lane - 1] != track:
                first = lane
            name = _track_name(self.roots[track])
            threads.append((name if lane == first else f"{name} ({lane - first + 1})", (lane,)))
        return threads

    def _group(self, track: int) -> str:
        """Whose threads a track's lanes may share (`_pack`): its task's, for
        a sample, else the run's."""
        root = self.roots[track]
        return root.parent.name if root.kind == "sample" and root.parent is not None else self.run.name

    def events(self, pid: int) -> Iterator[dict[str, Any]]:
        """Each thread's name, then its slices, each made as it is asked for."""
        spans, order, ts, dur, status, lane_begin = (self.spans, self.order, self.ts, self.dur, self.status,
                                                     self.lane_begin)
        for tid, (name, lanes) in enumerate(self._threads(), start=1):
            yield {"ph": "M", "pid": pid, "tid": tid, "name": "thread_name", "args": {"name": name}}
            for lane in lanes:
                for at in range(lane_begin[lane], lane_begin[lane + 1]):
                    i = order[at]
                    yield _slice(spans[i], pid, tid, ts[i], dur[i], status[i])


def _slice(span: Span, pid: int, tid: int, ts: float, dur: float, status: str) -> dict[str, Any]:
    """A span's complete (`X`) event; `status`: as it was placed."""
    args: dict[str, Any] = {"id": span.id, "status": status}
    if span.detail:
        args["detail"] = span.detail
    if span.error:
        args["error"] = span.error
    if span.attributes:
        args["attributes"] = span.attributes
    event = {"ph": "X", "pid": pid, "tid": tid, "name": span.name,
             "cat": span.kind or "span", "ts": ts, "dur": dur, "args": args}
    colour = COLOUR.get(status)
    if colour:
        event["cname"] = colour
    return event


def _pack(groups: Sequence[str], starts: Sequence[float],
          ends: Sequence[float]) -> list[tuple[str, Sequence[int]]]:
    """Threads (name, lanes) for one run's lanes (lane n: of `groups[n]`,
    from `starts[n]` to `ends[n]`), put together where they never overlap
    in time, within a group (a task's samples; a run's other roots): each
    goes to the group's first thread free by its start, so there are as
    many as ran at once, named by the group and a number (`swe_bench 3`);
    the slices on them are named as before.

    A group's lanes are sorted by start, group by group, and kept in arrays:
    a sort of all 117k lanes of a 1M-line log by (group, start) made as
    many key tuples and ints, which, freed amid what the UI made meanwhile,
    left the app ~10 MB larger. The order is the same, but where a lane
    starts at NaN (an overflowing timestamp), which no sort places."""
    packed: list[tuple[str, array]] = []
    by_group: dict[str, array] = {}
    for lane, group in enumerate(groups):
        by_group.setdefault(group, array("i")).append(lane)
    for group in sorted(by_group):
        # Its threads by when their last slice ends (a heap: the one free
        # soonest on top).
        free_at: list[tuple[float, int]] = []
        for lane in sorted(by_group[group], key=starts.__getitem__):
            if free_at and free_at[0][0] <= starts[lane]:
                _, index = heapq.heappop(free_at)
                packed[index][1].append(lane)
            else:
                index = len(packed)
                packed.append((f"{group} {len(free_at) + 1}", array("i", [lane])))
            heapq.heappush(free_at, (ends[lane], index))
    return packed


def write_perfetto(runs: Iterable[Run], path: str, as_of: float | Callable[[Run], float],
                   spans: Iterable[Iterable[Span]] | None = None) -> int:
    """Write the file (whole or not at all: written beside it, then moved
    into place; `-`: standard output); returns how many span events it holds.
    The events are made as they are written, a slice at a time (`_events`)."""
    events = _events(runs, as_of, spans)
    if path == "-":
        count = _write_events(sys.stdout.buffer, events)
        sys.stdout.buffer.flush()
        return count
    partial = f"{path}.part"
    try:
        with open(partial, "wb") as f:
            count = _write_events(f, events)
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


def _write_events(f: BinaryIO, events: Iterable[dict[str, Any]]) -> int:
    """Write `events` as they come, `WRITE_SLICE` at a time, each slice
    dropped before the next is made; returns how many were span (`X`)
    events."""
    f.write(b'{"displayTimeUnit":"ms","traceEvents":[')
    breathe = Breather()
    events = iter(events)
    count = 0
    separator = b""
    # In slices: one orjson call holds the GIL throughout (~1 s for a
    # million spans), and the TUI exports from a thread.
    while True:
        batch = list(islice(events, WRITE_SLICE))
        if not batch:
            break
        count += sum(1 for event in batch if event["ph"] == "X")
        f.write(separator)
        f.write(_encoded(batch)[1:-1])
        separator = b","
        del batch  # before the next slice is made
        breathe()  # let a waiting thread (the UI) run
    f.write(b"]}")
    return count
