"""`tracetui anomalies` at the speed of the disk: Inspect's anomaly analysis
over a trace file split across processes, with answers identical to the
sequential algorithm in `formats/inspect.py` (and so to Inspect's).

Why this is exact. The sequential algorithm is a fold over the file's
action records: `enter` sets `running[id]`, a closing record pops it and, if
it is not an `exit`, sets `bucket[id]`. A dict keeps a key's first
position, so every row's place is the position of the record that inserted
its key. We cut the file at line boundaries into chunks, fold each chunk
from an empty state in its own process, and merge left to right. A chunk's
local fold differs from the global one only for ids already present in the
state before it (P, which is small: actions open across the cut plus the few
cancelled/errored/timed-out ones):
- ids whose first record in the chunk is a closing record ("tracked") have
  every record logged and are replayed on the global state;
- ids whose first record in the chunk is an enter overwrote any earlier entry
  in place, so their local value wins but their earlier position stays
  (unless the chunk popped and re-entered them); the folder of the later
  chunk keeps every id it saw and says which ids of P it entered first.
The first chunk has nothing before it, so it tracks nothing.
A row's position is its block's file offset plus its line's index in the
block: ordered like file offsets (a line is at least one byte), so the final
dict order is file order whichever process folded what.

Every line is parsed (orjson, then Python's json for what orjson refuses):
a line's validity decides both the skipped-line count and whether it pairs,
and no cheaper test can decide it (see below). The hot loop checks the
common shapes inline (a plain message; an enter or exit whose fields have
the types Inspect's writer gives them) and sends anything else, record for
record, to `Folder._record`, which is Inspect's full validation. A line
orjson rejects, or that is not an object, is handled exactly and the loop
resumes after it.

Why not a regex over each block instead of parsing (measured here, 2 cores,
CPython 3.11, see bench/profile_scan.py): capturing `"event": "(enter|exit)",
"trace_id": "…"` with `re.findall` costs ≈0.43 µs/line and each C-level
`bytes.count` framing check ≈0.13 µs/line, about the cost of orjson itself
(≈0.7 µs/line + 0.22 µs to split lines); and framing counts cannot prove a
line valid (a raw control character, a bad escape, invalid UTF-8, a
duplicated key or two half-lines joined all pass them, and Inspect skips
such a line, so an exit would wrongly pop its enter). A regex that does
prove validity (JSON strings with escapes, control characters excluded,
keys checked) costs 0.9–1.6 µs/line in `re`: more than orjson. So the scan
parses everything and spends its effort on the Python per line instead.
In C that proof is cheap: where it is built, the accelerator
(`_fastfold.c`, `Folder._feed_fast`) checks each line against a strict
subset of JSON as it scans it and folds the common shapes itself, making
only their trace ids Python objects (0.58 µs a line against 2.2 µs here,
the file read included), and leaves any line it is not sure of to the
code below, which reads it in full.

gzip: read with zlib directly (Python's gzip module adds its own CRC pass
and buffering, doubling the cost; members, padding and damage are handled
as it handles them). One stream has one way in, so the child decompresses
and folds the head of the file while this process decompresses (and skips)
the head and folds the tail; the head is the larger share (`GZIP_HEAD_SHARE`) so both
finish together. The cut is an offset in the decompressed stream (from the
gzip trailer; a wrong guess only unbalances the work): a line belongs to the
chunk where it starts.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import time
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Callable

import orjson

try:  # built by `pip install` where a C compiler is (setup.py); else Python alone
    from tracetui import _fastfold
except ImportError:  # pragma: no cover - depends on the install
    _fastfold = None

from tracetui.formats.inspect import cr_lines, timestamp_to_epoch, validate
from tracetui.formats.jsonutil import as_float, loads
from tracetui.sources.files import GZIP_DAMAGE, damaged_gzip_note, inflate, trailer_size
from tracetui.model import BUCKETS, Anomalies, AnomalyRow, epoch_seconds
from tracetui.skipped import Lead

BUCKET_OF_EVENT = {"cancel": "cancelled", "error": "errors", "timeout": "timeouts"}
#: Below this size a single process is faster than forking.
PARALLEL_MIN_BYTES = 16 * 1024 * 1024


class Row:
    """A bucket row plus the offset of the record that inserted its key."""

    __slots__ = ("action", "detail", "start", "duration", "error", "pos", "fresh", "sample")

    def __init__(self, action, detail, start, duration, error, pos, fresh=True, sample=None):
        self.action = action
        self.detail = detail
        self.start = start
        self.duration = duration
        self.error = error
        #: (task, sample id, epoch) of the record, or None (`sample_of`).
        self.sample = sample
        #: File offset of the record that inserted this key into its dict.
        self.pos = pos
        #: Inserted by the id's first record in its chunk (not re-inserted
        #: after a pop within the chunk).
        self.fresh = fresh

    def as_anomaly(self) -> AnomalyRow:
        return AnomalyRow(self.action, self.detail, self.start, self.duration, self.error, None,
                          self.sample)


def sample_of(rec: dict) -> tuple | None:
    """(task, sample id, epoch) of a record inside a sample: a prescanned
    row says where it ran before the index has made its span."""
    sample_id = rec.get("sample_id")
    return None if sample_id is None else (rec.get("task"), sample_id, rec.get("epoch"))


@dataclass
class ChunkResult:
    """The fold of a stretch of the file, from an empty state."""

    running: dict[str, Row] = field(default_factory=dict)
    buckets: dict[str, dict[str, Row]] = field(
        default_factory=lambda: {"cancel": {}, "error": {}, "timeout": {}})
    #: (id, event, offset, record) of ids whose first record here is a
    #: closing one (a record as its line's bytes, from the accelerator).
    tracked: list[tuple[str, str, int, dict | bytes]] = field(default_factory=list)
    lines: int = 0
    bad_lines: int = 0
    invalid: int = 0
    first_bad_line: int | None = None
    #: Its skipped lines before its first record, kept apart (a banner).
    lead: Lead = field(default_factory=Lead)
    records: int = 0
    #: The time of the stretch's last record (as a run's end counts
    #: them), from its last block: a big log's end, for its ages, long
    #: before the index reads that far. None if that block holds none.
    last_record_time: float | None = None
    #: The stretch ends in a line with no newline yet (read as it was when
    #: the scan reached it: a live log's writer may finish it a moment later).
    unfinished: bool = False

    def anomalies(self) -> Anomalies:
        """The buckets in the model's shape, keyed by trace id, in file
        order, rows without spans."""
        anomalies = Anomalies()
        for name, rows in (("running", self.running), ("cancelled", self.buckets["cancel"]),
                           ("errors", self.buckets["error"]), ("timeouts", self.buckets["timeout"])):
            anomalies.bucket(name).update((tid, row.as_anomaly()) for tid, row in rows.items())
        return anomalies


class Folder:
    """Folds blocks of whole lines, in file order, into one ChunkResult.

    `first`: this stretch starts the file, so nothing comes before it and no
    id needs tracking for a merge (saves a set insertion per enter)."""

    def __init__(self, message_filter: str | None, first: bool = False) -> None:
        self.result = ChunkResult()
        self.filter = message_filter.lower() if message_filter else None
        self.first = first
        #: Every id seen here (to tell the merge which earlier ids we touched).
        self.seen: set[str] = set()
        self._tracked_ids: set[str] = set()
        #: The lines of the last block fed (`finish` looks there for the
        #: last record's time); None: they are `_last_block`'s (data,
        #: start, end), unsplit.
        self._last_pieces: list[bytes] | None = []
        self._last_block: tuple[bytes, int, int] = (b"", 0, 0)
        #: Called with this folder and the file offset folded up to after
        #: each `feed` (`Interim`), if set.
        self.on_fed: Callable[["Folder", int], None] | None = None

    def finish(self) -> ChunkResult:
        """Turn the open enters (kept as raw records while folding, which is
        cheaper) into rows; call once, after the last feed."""
        rows = {}
        for tid, value in self.result.running.items():
            if isinstance(value, Row):
                rows[tid] = value
                continue
            rec, offset, fresh = value
            rec = _as_record(rec)
            rows[tid] = Row(rec["action"], rec.get("detail", "") or rec["message"],
                            _num(rec.get("start_time")), _num(rec.get("duration")),
                            rec.get("error"), offset, fresh, sample_of(rec))
        self.result.running = rows
        pieces = self._last_pieces
        if pieces is None:  # the accelerator's stretch of a block, not split
            data, start, end = self._last_block
            pieces = data[start:end].split(b"\n")
            if data[end - 1:end] == b"\n":
                pieces.pop()
        self.result.last_record_time = _last_record_time(pieces, self.filter)
        return self.result

    def entered_first(self, ids) -> set[str]:
        """Of `ids`, those whose first record here was an enter."""
        return {tid for tid in ids if tid in self.seen and tid not in self._tracked_ids}

    def feed(self, data: bytes, base: int, start: int = 0, end: int | None = None) -> None:
        """Fold `data[start:end]` (whole lines; the last may lack its
        newline only at the end of the file). `base` is the file offset of
        data[0]; a row's position is `base + start` plus its line's index
        in the stretch, which orders rows like file offsets do (a line is
        at least one byte long). A stretch of a block, not a copy of it."""
        if end is None:
            end = len(data)
        self._feed(data, base, start, end)
        if self.on_fed is not None:
            self.on_fed(self, base + end)

    def _feed(self, data: bytes, base: int, start: int, end: int) -> None:
        if start >= end:
            return  # a block inside a line longer than a block: no line yet
        if _fastfold is not None and self.filter is None:
            self._feed_fast(data, base + start, start, end)
            return
        if start or end != len(data):
            data = data[start:end]
        base += start
        pieces = data.split(b"\n")
        if data.endswith(b"\n"):
            pieces.pop()
        # A lone CR: Inspect breaks the line there even between two fields,
        # where orjson reads it as a space. Rare: line by line. Looked for
        # with a memchr first: counting `\r\n` costs 0.45 µs a line.
        if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
            self._last_pieces = pieces
            res = self.result
            for i, line in enumerate(pieces):
                self._slow_line(line, base + i, res.lines + 1 + i)
            res.lines += len(pieces)
            return
        self._last_pieces = pieces
        n = len(pieces)
        i = 0
        while i < n:
            i = self._fold(pieces, i, base)
        self.result.lines += n

    def _feed_fast(self, data: bytes, base: int, at: int, end: int) -> None:
        """`feed` with the C accelerator (`_fastfold.c`): it folds the lines
        it is sure of as `_fold` does and stops at any other, which is
        read here in full (`_slow_line`), and so on to the block's end.
        An enter is kept as its line's bytes, parsed if still open at the
        end (`finish`) or replayed at a merge (`_apply`)."""
        res = self.result
        running, seen, tracked_ids, tracked = res.running, self.seen, self._tracked_ids, res.tracked
        track = not self.first
        fold = _fastfold.fold
        first = at
        index = 0
        while at < end:
            at, index, records, stopped = fold(data, at, end, index, base, running, seen, tracked_ids,
                                               tracked, track)
            res.records += records
            if not stopped:
                break
            eol = data.find(b"\n", at, end)
            if eol < 0:
                eol = end
            # Numbered as `_fold` numbers it: a lone CR's lines (`_line`)
            # have moved `result.lines` on since the block began.
            self._slow_line(data[at:eol], base + index, res.lines + 1 + index)
            index += 1
            at = eol + 1
        res.lines += index
        self._last_pieces = None
        self._last_block = (data, first, end)

    def _slow_line(self, line: bytes, pos: int, line_no: int) -> None:
        """One line the accelerator left (or a block with a lone CR held):
        read as `_fold` reads a line, but a lone CR splits it first, where
        JSON would take it for a space (Inspect reads it as a line break)."""
        if b"\r" in line:
            self._line(line, pos, line_no)
            return
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError:
            self._line(line, pos, line_no)
            return
        if type(rec) is not dict:
            self._bad(line_no, invalid=False)
            return
        self.result.records += self._record(rec, pos, line_no)

    def _fold(self, pieces: list[bytes], start: int, base: int) -> int:
        """The hot loop: orjson over the lines from `start`, with the common
        record shapes (canonical enter/exit, plain messages) checked and
        applied inline and everything else sent to `_record`, which does
        Inspect's full validation. Returns where to resume after a line that
        orjson rejects or that is not an object (handled here, exactly)."""
        res = self.result
        running = res.running
        tracked_ids = self._tracked_ids
        tracked = res.tracked
        seen = self.seen
        track = not self.first
        needle = self.filter
        line0 = res.lines + 1  # line number of pieces[0]
        records = 0
        i = start - 1
        try:
            for i, rec in enumerate(map(orjson.loads, islice(pieces, start, None)), start):
                get = rec.get  # AttributeError: JSON, but not an object
                message = get("message")
                if type(message) is not str or type(get("timestamp")) is not str \
                        or type(get("level")) is not str:
                    self._bad(line0 + i, invalid=True)
                    continue
                action = get("action", _ABSENT)
                if action is _ABSENT:
                    if needle is None or needle in message.lower():
                        records += 1
                    continue
                event = get("event")
                tid = get("trace_id")
                if needle is None and type(tid) is str and type(action) is str \
                        and type(get("detail", "")) is str \
                        and "error" not in rec and "error_type" not in rec \
                        and "stacktrace" not in rec:
                    if event == "exit":
                        if type(get("duration", 0.0)) is float and "start_time" not in rec:
                            records += 1
                            if tid in tracked_ids:
                                tracked.append((tid, event, base + i, rec))
                            elif running.pop(tid, None) is None and track and tid not in seen:
                                tracked_ids.add(tid)
                                tracked.append((tid, event, base + i, rec))
                            continue
                    elif event == "enter":
                        if type(get("start_time", 0.0)) is float and "duration" not in rec:
                            records += 1
                            if tid in tracked_ids:
                                tracked.append((tid, event, base + i, rec))
                                continue
                            row = running.get(tid)
                            if row is None:
                                if track:
                                    running[tid] = (rec, base + i, tid not in seen)
                                    seen.add(tid)
                                else:
                                    running[tid] = (rec, base + i, True)
                            else:
                                running[tid] = (rec, row[1], row[2])
                            continue
                records += self._record(rec, base + i, line0 + i)
        except orjson.JSONDecodeError:
            res.records += records
            i += 1
            self._line(pieces[i], base + i, line0 + i)
            return i + 1
        except AttributeError:
            res.records += records
            self._bad(line0 + i, invalid=False)
            return i + 1
        res.records += records
        return len(pieces)

    def _bad(self, line_no: int, invalid: bool) -> None:
        res = self.result
        if invalid:
            res.invalid += 1
        else:
            res.bad_lines += 1
        if res.first_bad_line is None:
            res.first_bad_line = line_no
        res.lead.bad(line_no)

    def _line(self, line: bytes, pos: int, line_no: int) -> None:
        """A line orjson rejects: blank (ignored), JSON only Python's parser
        reads (NaN, huge integers), lines joined by a lone CR (as Inspect
        reads them: `cr_lines`), or not JSON at all."""
        pieces = cr_lines(line)
        if pieces is not None:
            # The lines after the first are numbered on, and so is the rest
            # of the block (`_fold` numbers from `result.lines`).
            # Each piece at its own position, between its line's and the
            # next line's (`fold`): rows are ordered by position, and two
            # pieces sharing their line's tied (a lone CR between two
            # enters listed them in either order).
            self.result.lines += len(pieces) - 1
            for n, piece in enumerate(pieces):
                self._line(piece, pos + n / len(pieces), line_no + n)
            return
        if not line.strip():
            self.result.lead.blank(line_no)
            return
        try:
            rec = loads(line)
        except ValueError:
            self._bad(line_no, invalid=False)
            return
        if type(rec) is not dict:
            self._bad(line_no, invalid=False)
            return
        self.result.records += self._record(rec, pos, line_no)

    def _record(self, rec: dict, pos: int, line_no: int) -> int:
        """One parsed object, with Inspect's full validation; returns 1 if
        it counts as a record (passes validation and --filter)."""
        get = rec.get
        message = get("message")
        if type(message) is not str or type(get("timestamp")) is not str \
                or type(get("level")) is not str:
            self._bad(line_no, invalid=True)
            return 0
        action = get("action", _ABSENT)
        needle = self.filter
        if action is _ABSENT:
            return 1 if needle is None or needle in message.lower() else 0
        tid = get("trace_id")
        event = get("event")
        start = get("start_time")
        duration = get("duration")
        if (type(action) is not str or type(tid) is not str or type(event) is not str
                or event not in EVENTS
                or type(get("detail", "")) is not str
                or (start is not None and type(start) is not float and not _ok_float(start))
                or (duration is not None and type(duration) is not float
                    and not _ok_float(duration))
                or (("error" in rec or "error_type" in rec or "stacktrace" in rec)
                    and not _ok_optional(get))):
            self._bad(line_no, invalid=True)
            return 0
        if needle is not None and needle not in message.lower():
            return 0
        res = self.result
        running = res.running
        tracked_ids = self._tracked_ids
        seen = self.seen
        if tid in tracked_ids:
            res.tracked.append((tid, event, pos, rec))
            return 1
        if event == "enter":
            row = running.get(tid)
            if row is None:
                running[tid] = (rec, pos, tid not in seen)
            else:
                running[tid] = (rec, row[1], row[2])
            if not self.first:
                seen.add(tid)
            return 1
        entered = running.pop(tid, None)
        if entered is None and not self.first and tid not in seen:
            # Its state before this stretch is unknown here: replay at merge.
            tracked_ids.add(tid)
            res.tracked.append((tid, event, pos, rec))
            return 1
        if event != "exit":
            start = _num(start)
            if entered is not None:
                start = _num(_as_record(entered[0]).get("start_time"))
            bucket = res.buckets[event]
            row = bucket.get(tid)
            detail = get("detail", "") or message
            if row is None:
                bucket[tid] = Row(action, detail, start, _num(duration), get("error"), pos,
                                  sample=sample_of(rec))
            else:
                row.action, row.detail, row.start, row.duration, row.error, row.sample = (
                    action, detail, start, _num(duration), get("error"), sample_of(rec))
        return 1


_ABSENT = object()


def _num(value: Any) -> float | None:
    return value if value is None or type(value) is float else as_float(value)


EVENTS = frozenset(("enter", "exit", "cancel", "error", "timeout"))


def _ok_float(value: Any) -> bool:
    try:
        as_float(value)
        return True
    except (ValueError, TypeError, OverflowError):
        return False


def _ok_optional(get) -> bool:
    """error / error_type / stacktrace are strings or absent."""
    for key in ("error", "error_type", "stacktrace"):
        value = get(key)
        if value is not None and type(value) is not str:
            return False
    return True


def _as_record(rec: dict | bytes) -> dict:
    """A record kept as its line by the accelerator (`Folder._feed_fast`:
    a line it accepted, which orjson reads), parsed."""
    return orjson.loads(rec) if type(rec) is bytes else rec


def _apply(state: ChunkResult, tid: str, event: str, offset: int, rec: dict | bytes) -> None:
    """One record of the sequential algorithm on the global state."""
    rec = _as_record(rec)
    start, duration = validate(rec)
    detail = rec.get("detail", "") or rec["message"]
    if event == "enter":
        row = state.running.get(tid)
        if row is None:
            state.running[tid] = Row(rec["action"], detail, start, duration, rec.get("error"), offset,
                                     sample=sample_of(rec))
        else:
            row.action, row.detail, row.start, row.duration, row.error, row.sample = (
                rec["action"], detail, start, duration, rec.get("error"), sample_of(rec))
        return
    entered = state.running.pop(tid, None)
    if event == "exit":
        return
    if entered is not None:
        start = entered.start
    bucket = state.buckets[event]
    row = bucket.get(tid)
    if row is None:
        bucket[tid] = Row(rec["action"], detail, start, duration, rec.get("error"), offset,
                          sample=sample_of(rec))
    else:
        row.action, row.detail, row.start, row.duration, row.error, row.sample = (
            rec["action"], detail, start, duration, rec.get("error"), sample_of(rec))


def _last_record_time(pieces: list[bytes], needle: str | None) -> float | None:
    """The time of the last valid record among `pieces`: an enter's start,
    another action's end (start and duration if it has both, else when it
    was written), when any other record was written: as the index's
    `Run.end` counts them."""
    for line in reversed(pieces):
        try:
            rec = orjson.loads(line)
            start, duration = validate(rec)
        except (orjson.JSONDecodeError, ValueError, TypeError, AttributeError, OverflowError):
            continue
        if needle is not None and needle not in rec["message"].lower():
            continue
        if "action" not in rec:
            written = epoch_seconds(rec["timestamp"])  # as the index's log columns read it
            if written is None:
                continue
            return written
        if rec["event"] == "enter" and start is not None:
            return start
        if start is not None and duration is not None:
            return start + duration
        return timestamp_to_epoch(rec["timestamp"])
    return None


def state_ids(state: ChunkResult) -> set[str]:
    ids = set(state.running)
    for bucket in state.buckets.values():
        ids.update(bucket)
    return ids


def merge(state: ChunkResult, chunk: ChunkResult, entered_first: set[str]) -> None:
    """Fold `chunk` (computed from an empty state) into `state` (everything
    before it). `entered_first`: ids of `state` whose first record in the
    chunk was an enter."""
    # 1. Ids the chunk entered first overwrote their earlier entry in place.
    for tid in entered_first:
        if tid in state.running:
            row = chunk.running.pop(tid, None)
            earlier = state.running.pop(tid)
            if row is not None:
                if row.fresh:
                    row.pos = earlier.pos
                state.running[tid] = row
        for event, bucket in state.buckets.items():
            if tid in bucket:
                row = chunk.buckets[event].pop(tid, None)
                if row is not None:
                    row.pos = bucket[tid].pos
                    bucket[tid] = row
    # 2. Everything else the chunk holds is new to the state.
    state.running.update(chunk.running)
    for event, bucket in chunk.buckets.items():
        state.buckets[event].update(bucket)
    # 3. Replay ids whose first record in the chunk was a closing one.
    for tid, event, offset, rec in chunk.tracked:
        _apply(state, tid, event, offset, rec)
    # Offsets, not the order of merging, decide dict order.
    state.running = dict(sorted(state.running.items(), key=lambda kv: kv[1].pos))
    for event in list(state.buckets):
        state.buckets[event] = dict(sorted(state.buckets[event].items(), key=lambda kv: kv[1].pos))
    state.lead.then(chunk.lead, state.lines, chunk.first_bad_line)
    if chunk.first_bad_line is not None and state.first_bad_line is None:
        state.first_bad_line = state.lines + chunk.first_bad_line
    state.lines += chunk.lines
    state.bad_lines += chunk.bad_lines
    state.invalid += chunk.invalid
    state.records += chunk.records
    if chunk.last_record_time is not None:
        state.last_record_time = chunk.last_record_time
    state.unfinished = chunk.unfinished  # the later stretch's end is the file's


def share_repeats(result: ChunkResult) -> None:
    """One object for each value its rows repeat (an action, a detail, an
    error, a sample's key and its parts), so the pickle sent to the app
    holds each once (its memo) and the app makes one. The 4,570 rows of a
    1M-line log hold 4 actions, 702 details and 13 errors, sent as 12,579
    strings: 1.6 MB the app held while it loaded and freed as the load
    ended, leaving holes among what stays (2026-12-05). A value is shared
    only with one of its own type (1 and 1.0 and True are equal)."""
    same: dict = {}

    def one(value):
        if value is None:
            return None
        if type(value) is tuple:
            parts = tuple(map(one, value))
            key = (tuple, tuple(map(id, parts)))  # its parts are the ones `same` holds
            return same.setdefault(key, parts)
        try:
            return same.setdefault((type(value), value), value)
        except TypeError:  # unhashable: held as it is
            return value

    for rows in (result.running, *result.buckets.values()):
        for row in rows.values():
            row.action, row.detail, row.error, row.sample = (
                one(row.action), one(row.detail), one(row.error), one(row.sample))


def resolved(first: ChunkResult) -> ChunkResult:
    """The first stretch of a file, with its unpaired closings applied to an
    empty state."""
    state = ChunkResult()
    merge(state, first, set())
    return state


#: How often a one-process scan says which closed rows it has found since
#: it last said (`Interim`): the first it finds at once, then after a gap
#: that starts at `INTERIM_FIRST_GAP` and doubles up to `INTERIM_EVERY`.
#: The app's first frame comes 0.35-0.5 s after its start, the scan's
#: first rows about 0.1 s after that start, often errors only (hidden
#: until `e`); a first cancel 10k lines in came with the next, 0.25 s
#: later (`INTERIM_EVERY` from the start), after the first frame. The
#: whole scan of a 1M-line log takes 1.4-2 s.
INTERIM_FIRST_GAP = 0.02
INTERIM_EVERY = 0.25


class Interim:
    """While one process folds a whole file from its start, sends now and
    then the cancelled, failed and timed-out rows found since it last sent,
    with the offset folded up to: the app lists them before the whole
    file's answer comes (a second later on a 1M-line log), where its index
    has found few yet. Those rows are already the answer's: a closing
    record puts a row in its bucket and nothing takes it out (a row written
    again later is sent as it ends up with the answer). Running rows are
    not sent: what is open midway mostly closes further on."""

    def __init__(self, send: Callable[[Any], None], every: float | None = None) -> None:
        """`every`: the longest gap, `INTERIM_EVERY` unless given."""
        self._send = send
        self._every = INTERIM_EVERY if every is None else every
        #: When it may send again (0: as soon as it has found a row), and
        #: the gap after its next send.
        self._due = 0.0
        self._gap = min(INTERIM_FIRST_GAP, self._every)
        #: How many rows of each bucket (dicts in file order) were sent.
        self._sent = dict.fromkeys(BUCKET_OF_EVENT, 0)

    def __call__(self, folder: Folder, upto: int) -> None:
        now = time.monotonic()
        if now < self._due:
            return
        rows: dict[str, list[tuple[str, AnomalyRow]]] = {}
        for event, bucket in folder.result.buckets.items():
            sent = self._sent[event]
            if len(bucket) > sent:
                rows[BUCKET_OF_EVENT[event]] = [(tid, row.as_anomaly())
                                                for tid, row in islice(bucket.items(), sent, None)]
                self._sent[event] = len(bucket)
        if rows:
            self._send(("interim", rows, upto))
            self._due = now + self._gap
            self._gap = min(2 * self._gap, self._every)


# -- reading -------------------------------------------------------------------

def _fold_range(path: str, start: int, end: int, folder: Folder) -> None:
    """Feed bytes [start, end) of a plain file, whole lines at a time: each
    block's whole lines where they lie (a copy of each block cost a tenth
    of the scan), a line cut by a block's end joined to its rest alone."""
    with open(path, "rb") as f:
        f.seek(start)
        pos = start
        held: list[bytes] = []  # the start of a line not ended yet
        held_size = 0
        last = b"\n"
        while pos < end:
            block = f.read(min(BLOCK, end - pos))
            if not block:
                break
            at = pos  # the file offset of block[0]
            pos += len(block)
            last = block[-1:]
            final = pos >= end
            first_end = block.find(b"\n") + 1
            if not first_end and not final:
                held.append(block)  # a line longer than a block
                held_size += len(block)
                continue
            i = 0
            if held:
                i = first_end or len(block)
                held.append(block[:i])
                folder.feed(b"".join(held), at - held_size)
                held, held_size = [], 0
            cut = len(block) if final else block.rfind(b"\n") + 1
            folder.feed(block, at, i, cut)
            if cut < len(block):
                held.append(block[cut:])
                held_size = len(block) - cut
        folder.result.unfinished = last != b"\n"
        if held:  # the file ended before `end` (it shrank meanwhile)
            rest = b"".join(held)
            folder.feed(rest, pos - len(rest))


class _LineJoiner:
    """Whole lines out of blocks read in turn. The start of a line is kept
    in pieces until its newline comes: joining it to every next block
    instead copied a line longer than a block again for each block
    (a 300 MB line took 78 s)."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        #: Bytes held back: the start of a line not ended yet.
        self.pending = 0

    def whole(self, block: bytes, final: bool = False) -> bytes:
        """The whole lines that `block` ends (with what was held before
        them); holds back its unfinished last line unless `final`."""
        cut = len(block) if final else block.rfind(b"\n") + 1
        if not cut:
            self._pieces.append(block)
            self.pending += len(block)
            return b""
        head = block[:cut]
        if self._pieces:
            head = b"".join(self._pieces) + head
        rest = block[cut:]
        self._pieces = [rest] if rest else []
        self.pending = len(rest)
        return head

    def rest(self) -> bytes:
        """What is held back (the last line, with no newline after it)."""
        rest = b"".join(self._pieces)
        self._pieces, self.pending = [], 0
        return rest


def _cut_point(path: str, size: int) -> int:
    """An offset just past a newline near the middle of the file."""
    with open(path, "rb") as f:
        f.seek(size // 2)
        tail = f.read(1 << 20)
    i = tail.find(b"\n")
    return size if i < 0 else size // 2 + i + 1


def _send(fd: int, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    os.write(fd, len(data).to_bytes(8, "little"))
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _recv(fd: int) -> Any:
    header = _read_exact(fd, 8)
    return pickle.loads(_read_exact(fd, int.from_bytes(header, "little")))


def _read_exact(fd: int, n: int) -> bytes:
    parts = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError("worker went away")
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def _in_two(fold_head, fold_tail, message_filter: str | None):
    """Fold the head of the file in a forked child and the tail here, then
    merge. `fold_head(folder)` and `fold_tail(folder)` feed their stretch and
    return a note or None. One message crosses the pipe (the child's resolved
    head); this process knows which ids its stretch entered first."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the head of the file
        code = 0
        try:
            os.close(read_fd)
            gc.disable()
            folder = Folder(message_filter, first=True)
            head_note = fold_head(folder)
            _send(write_fd, (resolved(folder.finish()), head_note))
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    try:
        folder = Folder(message_filter)
        tail_note = fold_tail(folder)
        tail = folder.finish()
        try:
            state, head_note = _recv(read_fd)
        except (EOFError, OSError, pickle.UnpicklingError):
            # The child failed: fold the head here.
            head = Folder(message_filter, first=True)
            head_note = fold_head(head)
            state = resolved(head.finish())
        merge(state, tail, folder.entered_first(state_ids(state)))
        return state, head_note or tail_note
    except BaseException:  # ^C or SIGTERM: the child's half is not wanted
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        raise
    finally:
        os.close(read_fd)
        os.waitpid(pid, 0)


def _scan_plain_parallel(path: str, size: int, message_filter: str | None) -> ChunkResult:
    cut = _cut_point(path, size)
    state, _ = _in_two(lambda folder: _fold_range(path, 0, cut, folder),
                       lambda folder: _fold_range(path, cut, size, folder),
                       message_filter)
    return state


def _gzip_blocks(path: str):
    """Decompressed blocks of whole lines (the last may lack its newline),
    with their offsets; then (None, note), the note saying whether the data
    ended early or is damaged."""
    note = None
    pos = 0
    lines = _LineJoiner()
    with open(path, "rb") as raw:
        try:
            for piece in inflate(raw, BLOCK):
                whole = lines.whole(piece)
                if whole:
                    yield whole, pos
                    pos += len(whole)
        except GZIP_DAMAGE as exc:
            note = damaged_gzip_note(path, exc, pos + lines.pending)
    rest = lines.rest()
    if rest:
        yield rest, pos
    yield None, note


def _fold_gzip(path: str, folder: Folder, lo: int, hi: int | None) -> str | None:
    """Fold the decompressed lines that start in [lo, hi) (hi None: to the
    end); lines are assigned by where they start, so two calls with a shared
    bound split the file exactly. Everything before `lo` is decompressed and
    skipped (a gzip stream has one way in)."""
    for block, pos in _gzip_blocks(path):
        if block is None:
            return pos  # the note
        end = pos + len(block)
        if end <= lo:
            continue
        a = 0 if pos >= lo else _line_start(block, lo - pos)
        b = len(block) if hi is None or end <= hi else _line_start(block, hi - pos)
        if a < b:
            folder.feed(block, pos, a, b)
        if hi is not None and end >= hi:
            return None
    return None


def _line_start(block: bytes, i: int) -> int:
    """Index of the first line of `block` that starts at or after i."""
    if i <= 0:
        return 0
    j = block.find(b"\n", i - 1)
    return len(block) if j < 0 else j + 1


def _gzip_size(path: str) -> int:
    """The uncompressed size from the gzip trailer (a guess for several
    members or 4 GiB and more: it only decides where to cut)."""
    with open(path, "rb") as f:
        return trailer_size(f)


#: Share of a gzip file's lines the child folds: the tail's owner also
#: decompresses the head to reach it, so the head is the larger part.
GZIP_HEAD_SHARE = 0.58


def _scan_gzip(path: str, message_filter: str | None, parallel: bool,
               interim: Interim | None = None) -> tuple[ChunkResult, str | None]:
    size = _gzip_size(path)
    if size >= PARALLEL_MIN_BYTES and parallel:
        cut = int(size * GZIP_HEAD_SHARE)
        return _in_two(lambda folder: _fold_gzip(path, folder, 0, cut),
                       lambda folder: _fold_gzip(path, folder, cut, None),
                       message_filter)
    folder = Folder(message_filter, first=True)
    folder.on_fed = interim
    note = _fold_gzip(path, folder, 0, None)
    return resolved(folder.finish()), note


BLOCK = 1024 * 1024


def usable_cpus() -> int:
    """The CPUs this process may run on (a container's or taskset's share,
    not the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def scan(path: str, message_filter: str | None = None, parallel: bool = True,
         interim: Interim | None = None) -> tuple[ChunkResult, str | None]:
    """Inspect's anomaly buckets for one trace file, and a note if any;
    `parallel=False` keeps to one process (the app's prescan leaves the
    other core to the reader). `interim` hears of the closed rows found as
    one process goes (not two: each half's rows wait for the merge). The
    cyclic GC is paused: the fold allocates millions of short-lived dicts
    and no cycles."""
    from tracetui.sources.files import is_gzip

    enabled = gc.isenabled()
    gc.disable()
    try:
        parallel = parallel and hasattr(os, "fork") and usable_cpus() > 1
        if is_gzip(path):
            return _scan_gzip(path, message_filter, parallel, interim)
        size = os.path.getsize(path)
        if size >= PARALLEL_MIN_BYTES and parallel:
            return _scan_plain_parallel(path, size, message_filter), None
        folder = Folder(message_filter, first=True)
        folder.on_fed = interim
        _fold_range(path, 0, size, folder)
        return resolved(folder.finish()), None
    finally:
        if enabled:
            gc.enable()


def envelope(trace_file: str, result: ChunkResult, as_of: float) -> dict[str, Any]:
    """Inspect's JSON envelope from a scan."""
    out: dict[str, Any] = {"trace_file": trace_file, "as_of": as_of}
    anomalies = result.anomalies()
    for name in BUCKETS:
        out[name] = [row.to_json(as_of) for row in anomalies.sorted(name)]
    return out


def main(argv: list[str] | None = None) -> int:
    """`python -m tracetui.fastscan [--parallel] PATH [FILTER]`: the scan
    (one process's unless `--parallel`) for the app's prescan
    (`tracetui.prescan`), as framed pickles on stdout (`_send`): the
    closed rows found so far, `("interim", rows by bucket, offset)`, now
    and then as one process goes, then `("answer", (result, note))`."""
    import sys

    # Run as `-m`, this module is `__main__`: scan with the importable
    # one, so the pickles name classes the app can load.
    from tracetui import fastscan as importable

    args = sys.argv[1:] if argv is None else argv
    parallel = bool(args) and args[0] == "--parallel"
    if parallel:
        args = args[1:]
    out = sys.stdout.fileno()
    try:
        answer = importable.scan(args[0], args[1] if len(args) > 1 else None, parallel=parallel,
                                 interim=importable.Interim(lambda frame: _send(out, frame)))
        share_repeats(answer[0])
        _send(out, ("answer", answer))
    except (OSError, IndexError):  # BrokenPipeError too: the app went away
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
