"""`tracetui anomalies` at the speed of the disk: Inspect's anomaly analysis
over a trace file split across processes, with answers identical to the
sequential algorithm in `formats/inspect.py` (and so to Inspect's).

Why this is exact. The sequential algorithm is a fold over the file's
action records: `enter` sets `running[id]`, a closing record pops it and, if
it is not an `exit`, sets `bucket[id]`. A dict keeps a key's first
position, so every row's place is the file offset of the record that
inserted its key. We cut the file at line boundaries into chunks, fold each
chunk from an empty state in its own process, and merge left to right. A
chunk's local fold differs from the global one only for ids already present
in the state before it (P, which is small: actions open across the cut plus
the few cancelled/errored/timed-out ones):
- ids whose first record in the chunk is a closing record ("tracked") have
  every record logged and are replayed on the global state;
- ids whose first record in the chunk is an enter overwrote any earlier entry
  in place, so their local value wins but their earlier position stays
  (unless the chunk popped and re-entered them); the worker tells which ids of
  P it entered first (it keeps the hashes of every id it saw, and confirms a
  hash hit against the id itself).
Each row carries its inserting offset; the final dict order is offset order.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field
from typing import Any

import orjson

from tracetui.formats.inspect import CLOSING_EVENTS, validate
from tracetui.formats.jsonutil import as_float, loads
from tracetui.model import AnomalyRow

BUCKET_OF_EVENT = {"cancel": "cancelled", "error": "errors", "timeout": "timeouts"}
#: Below this size a single process is faster than forking.
PARALLEL_MIN_BYTES = 16 * 1024 * 1024


class Row:
    """A bucket row plus the offset of the record that inserted its key."""

    __slots__ = ("action", "detail", "start", "duration", "error", "pos", "fresh")

    def __init__(self, action, detail, start, duration, error, pos, fresh=True):
        self.action = action
        self.detail = detail
        self.start = start
        self.duration = duration
        self.error = error
        #: File offset of the record that inserted this key into its dict.
        self.pos = pos
        #: Inserted by the id's first record in its chunk (not re-inserted
        #: after a pop within the chunk).
        self.fresh = fresh

    def as_anomaly(self) -> AnomalyRow:
        return AnomalyRow(self.action, self.detail, self.start, self.duration, self.error, None)


@dataclass
class ChunkResult:
    """The fold of a stretch of the file, from an empty state."""

    running: dict[str, Row] = field(default_factory=dict)
    buckets: dict[str, dict[str, Row]] = field(
        default_factory=lambda: {"cancel": {}, "error": {}, "timeout": {}})
    #: (id, event, offset, record) of ids whose first record here is a closing one.
    tracked: list[tuple[str, str, int, dict]] = field(default_factory=list)
    lines: int = 0
    bad_lines: int = 0
    invalid: int = 0
    first_bad_line: int | None = None
    records: int = 0


class Folder:
    """Folds blocks of whole lines, in file order, into one ChunkResult."""

    def __init__(self, message_filter: str | None) -> None:
        self.result = ChunkResult()
        self.filter = message_filter.lower() if message_filter else None
        #: Every id seen here (to tell the merge which earlier ids we touched).
        self.seen: set[str] = set()
        self._tracked_ids: set[str] = set()

    def finish(self) -> ChunkResult:
        """Turn the open enters (kept as raw records while folding, which is
        cheaper) into rows; call once, after the last feed."""
        rows = {}
        for tid, value in self.result.running.items():
            if isinstance(value, Row):
                rows[tid] = value
                continue
            rec, offset, fresh = value
            rec = _record(rec)
            rows[tid] = Row(rec["action"], rec.get("detail", "") or rec["message"],
                            _num(rec.get("start_time")), _num(rec.get("duration")),
                            rec.get("error"), offset, fresh)
        self.result.running = rows
        return self.result

    def entered_first(self, ids) -> set[str]:
        """Of `ids`, those whose first record here was an enter."""
        return {tid for tid in ids if tid in self.seen and tid not in self._tracked_ids}

    def feed(self, data: bytes, base: int) -> None:
        """Fold `data` (whole lines; the last may lack its newline only at
        the end of the file). `base` is the file offset of data[0]."""
        res = self.result
        running = res.running
        buckets = res.buckets
        tracked_ids = self._tracked_ids
        tracked = res.tracked
        seen = self.seen
        orjson_loads = orjson.loads
        JSONDecodeError = orjson.JSONDecodeError
        needle = self.filter
        line_no = res.lines
        offset = base
        pieces = data.split(b"\n")
        if data.endswith(b"\n"):
            pieces.pop()
        for line in pieces:
            line_offset = offset
            offset += len(line) + 1
            line_no += 1
            try:
                rec = orjson_loads(line)
                get = rec.get
            except JSONDecodeError:
                if not line or line.isspace():
                    continue
                try:
                    rec = loads(line)
                    get = rec.get
                except (ValueError, AttributeError):
                    res.bad_lines += 1
                    if res.first_bad_line is None:
                        res.first_bad_line = line_no
                    continue
            except AttributeError:  # JSON, but not an object
                res.bad_lines += 1
                if res.first_bad_line is None:
                    res.first_bad_line = line_no
                continue
            # Inspect's validation, inlined: this loop runs once per line.
            message = get("message")
            if type(message) is not str or type(get("timestamp")) is not str \
                    or type(get("level")) is not str:
                res.invalid += 1
                if res.first_bad_line is None:
                    res.first_bad_line = line_no
                continue
            action = get("action", _ABSENT)
            if action is _ABSENT:
                if needle is None or needle in message.lower():
                    res.records += 1
                continue
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
                res.invalid += 1
                if res.first_bad_line is None:
                    res.first_bad_line = line_no
                continue
            if needle is not None and needle not in message.lower():
                continue
            res.records += 1
            if tid in tracked_ids:
                tracked.append((tid, event, line_offset, rec))
                continue
            if event == "enter":
                row = running.get(tid)
                if row is None:
                    running[tid] = (rec, line_offset, tid not in seen)
                else:
                    running[tid] = (rec, row[1], row[2])
                seen.add(tid)
                continue
            entered = running.pop(tid, None)
            if entered is None and tid not in seen:
                # Its state before this stretch is unknown here: replay at merge.
                tracked_ids.add(tid)
                tracked.append((tid, event, line_offset, rec))
                continue
            if event != "exit":
                start = _num(start)
                if entered is not None:
                    start = _num(_record(entered[0]).get("start_time"))
                bucket = buckets[event]
                row = bucket.get(tid)
                detail = get("detail", "") or message
                if row is None:
                    bucket[tid] = Row(action, detail, start, _num(duration), get("error"), line_offset)
                else:
                    row.action, row.detail, row.start, row.duration, row.error = (
                        action, detail, start, _num(duration), get("error"))
        res.lines = line_no


_ABSENT = object()


def _record(raw: bytes | dict) -> dict:
    """An enter kept as raw bytes on the fast path, parsed on demand."""
    return orjson.loads(raw) if type(raw) is bytes else raw


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


def _apply(state: ChunkResult, tid: str, event: str, offset: int, rec: dict) -> None:
    """One record of the sequential algorithm on the global state."""
    start, duration = validate(rec)
    detail = rec.get("detail", "") or rec["message"]
    if event == "enter":
        row = state.running.get(tid)
        if row is None:
            state.running[tid] = Row(rec["action"], detail, start, duration, rec.get("error"), offset)
        else:
            row.action, row.detail, row.start, row.duration, row.error = (
                rec["action"], detail, start, duration, rec.get("error"))
        return
    entered = state.running.pop(tid, None)
    if event == "exit":
        return
    if entered is not None:
        start = entered.start
    bucket = state.buckets[event]
    row = bucket.get(tid)
    if row is None:
        bucket[tid] = Row(rec["action"], detail, start, duration, rec.get("error"), offset)
    else:
        row.action, row.detail, row.start, row.duration, row.error = (
            rec["action"], detail, start, duration, rec.get("error"))


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
    if chunk.first_bad_line is not None and state.first_bad_line is None:
        state.first_bad_line = state.lines + chunk.first_bad_line
    state.lines += chunk.lines
    state.bad_lines += chunk.bad_lines
    state.invalid += chunk.invalid
    state.records += chunk.records


def resolved(first: ChunkResult) -> ChunkResult:
    """The first stretch of a file, with its unpaired closings applied to an
    empty state."""
    state = ChunkResult()
    merge(state, first, set())
    return state


# -- reading -------------------------------------------------------------------

def _fold_range(path: str, start: int, end: int, folder: Folder) -> None:
    """Feed bytes [start, end) of a plain file, whole lines at a time."""
    with open(path, "rb") as f:
        f.seek(start)
        pos = start
        carry = b""
        while pos < end:
            block = f.read(min(BLOCK, end - pos))
            if not block:
                break
            pos += len(block)
            block = carry + block
            cut = block.rfind(b"\n") + 1
            if pos >= end:
                cut = len(block)
            folder.feed(block[:cut], pos - len(block))
            carry = block[cut:]
        if carry:
            folder.feed(carry, pos - len(carry))


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


def _scan_plain_parallel(path: str, size: int, message_filter: str | None) -> ChunkResult:
    cut = _cut_point(path, size)
    to_child_r, to_child_w = os.pipe()
    to_parent_r, to_parent_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child folds the second half
        code = 0
        try:
            os.close(to_child_w)
            os.close(to_parent_r)
            folder = Folder(message_filter)
            _fold_range(path, cut, size, folder)
            _send(to_parent_w, folder.finish())
            earlier_ids = _recv(to_child_r)
            _send(to_parent_w, folder.entered_first(earlier_ids))
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(to_child_r)
    os.close(to_parent_w)
    try:
        folder = Folder(message_filter)
        _fold_range(path, 0, cut, folder)
        state = resolved(folder.finish())
        folder.seen = set()  # free it: the first half needs no merge check
        try:
            second = _recv(to_parent_r)
            _send(to_child_w, state_ids(state))
            entered_first = _recv(to_parent_r)
        except (EOFError, OSError, pickle.UnpicklingError):
            # The worker failed: fold the second half here.
            rest = Folder(message_filter)
            _fold_range(path, cut, size, rest)
            second, entered_first = rest.finish(), rest.entered_first(state_ids(state))
        merge(state, second, entered_first)
        return state
    finally:
        os.close(to_child_w)
        os.close(to_parent_r)
        os.waitpid(pid, 0)


def _scan_gzip(path: str, message_filter: str | None) -> tuple[ChunkResult, str | None]:
    """Decompress in blocks and fold them (sequential: a gzip stream has one
    reader). Returns the result and a note if the data ended early."""
    import gzip
    import io
    import zlib

    folder = Folder(message_filter)
    note = None
    with open(path, "rb") as raw:
        stream = io.BufferedReader(gzip.GzipFile(fileobj=raw), 1 << 20)
        pos = 0
        carry = b""
        try:
            while True:
                block = stream.read(BLOCK)
                if not block:
                    break
                block = carry + block
                cut = block.rfind(b"\n") + 1
                folder.feed(block[:cut], pos)
                pos += cut
                carry = block[cut:]
        except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
            note = (f"{path}: gzip data ends early or is damaged ({type(exc).__name__}); "
                    "showing what was readable")
        if carry:
            folder.feed(carry, pos)
    return resolved(folder.finish()), note


BLOCK = 8 * 1024 * 1024


def scan(path: str, message_filter: str | None = None) -> tuple[ChunkResult, str | None]:
    """Inspect's anomaly buckets for one trace file, and a note if any."""
    from tracetui.sources.files import is_gzip

    if is_gzip(path):
        return _scan_gzip(path, message_filter)
    size = os.path.getsize(path)
    if size >= PARALLEL_MIN_BYTES and hasattr(os, "fork") and (os.cpu_count() or 1) > 1:
        return _scan_plain_parallel(path, size, message_filter), None
    folder = Folder(message_filter)
    _fold_range(path, 0, size, folder)
    return resolved(folder.finish()), None


def envelope(trace_file: str, result: ChunkResult, as_of: float) -> dict[str, Any]:
    """Inspect's JSON envelope from a scan."""
    out: dict[str, Any] = {"trace_file": trace_file, "as_of": as_of}
    for name, rows in (("running", result.running), ("cancelled", result.buckets["cancel"]),
                       ("errors", result.buckets["error"]), ("timeouts", result.buckets["timeout"])):
        ordered = sorted((r.as_anomaly() for r in rows.values()), key=AnomalyRow.sort_key, reverse=True)
        out[name] = [row.to_json(as_of) for row in ordered]
    return out
