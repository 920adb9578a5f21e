"""Chrome Trace Event JSON: Skulk's per-task trace files, tracetui's own Perfetto exports, anything Perfetto opens.

What is read: `{"traceEvents": [...]}` or a bare array (its closing `]` may
be missing, as the format allows). A document cut short (a task killed
mid-write, a copy of a file being written) or not JSON from some point on
is read, as Perfetto reads it, up to its last complete event: the rest is
one skipped record, said in one note (whole documents are parsed at once;
only one that is not is read event by event). Events: complete events
`X` (`ts`/`dur` in µs), `B`/`E` pairs per (pid, tid), instants
`i`/`I`/`R` and `X` with `dur` 0 (markers), and `M` metadata
(`process_name`, `thread_name`), which Skulk writes last. Other phases
(counters, async, flows) are ignored.

One file is one run. Skulk writes `trace_<task_id>.json` per task, so the
run id is the task id from the file name (else the file stem); `args`
carries `rank`, `node_id`, `model_id`, `task_kind`, `tags`, `attrs`.

Nesting is not recorded: it is inferred per (pid, tid) from time
containment — events sorted by (start, longest first), each one goes under
the innermost still-open event that contains it. In files with
slash-separated categories (Skulk: a `trace()` inside a `sync` block is
recorded as `sync/compute`) the category must agree too: an event nests
only under an event of the same category or of a category its own extends
(`sync` holds `sync/compute`; a `lifecycle` marker is never put under a
`decode` span just because it happened during it). Each (pid, tid) gets a
synthetic root named by its `thread_name` (Skulk: "Rank N").

Statuses: events tagged `error` are errors (message from `attrs.message`);
Skulk's `aborted` marker (tags `error`, `trace_abort`: a runner died and
flushed its trace) and events tagged `aborted` are errors too, of type
`aborted` — the task failed, it was not cancelled by anyone; Skulk's
`cancel` lifecycle marker (and a `cancelled` tag) is a cancellation. A `B`
never closed by its `E` is running. tracetui's own exports carry the span's
status, error, detail and attributes in `args`; they are read back.

Skulk's "cluster scope": every node keeps its own copy of a task's file.
When several folders are opened, the first file read for a task makes the
run; any other copy adds only its nodes (`nodes`) and its path (`copies`,
`held_by` = the folder names), never its spans. Decode steps shared by
batched tasks are copied into each task's file (tagged `shared`): they are
marked `shared=True` and `category_stats` counts each one once.
"""

from __future__ import annotations

import gc
import json
import math
import os
import re
import weakref
from typing import Any, Iterable

import orjson

from tracetui.formats import DocumentFormat
from tracetui.model import CANCELLED, ERROR, OK, RUNNING, STATUSES, Run, Span
from tracetui.store import Store

FORMAT = "chrome"

_TASK_FILE = re.compile(r"trace_(.+?)\.json(?:\.gz)?", re.IGNORECASE)
_POINT_PHASES = frozenset(("i", "I", "R"))
#: How deep the open-interval stack is searched for a category-compatible
#: parent (keeps hostile files linear).
_MAX_SCAN = 64
#: What a hostile document can still raise deep inside; caught per file.
_HOSTILE = (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError, RecursionError)
#: Keys Skulk's exporter puts in `args`.
_SKULK_ARGS = ("rank", "node_id", "model_id", "task_kind", "tags", "attrs")


def run_id_for(path: str) -> str:
    """`trace_<task_id>.json` → the task id; anything else → the file stem."""
    name = os.path.basename(path)
    match = _TASK_FILE.fullmatch(name)
    if match:
        return match.group(1)
    for suffix in (".gz", ".json"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or path


def _sniff_document(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] == b"{":
        return b'"traceEvents"' in text[:8192]
    if text[:1] == b"[":
        return re.match(rb'\[\s*\{', text) is not None and re.search(rb'"ph"\s*:\s*"', text[:4096]) is not None
    return False


# -- shared state across the decoders of one store (cluster copies) ------------

class _Copies:
    """Which decoder made each task's run, and the other copies of its file."""

    def __init__(self) -> None:
        self.owner: dict[str, "ChromeDecoder"] = {}
        #: run id → the nodes named in the owner's own file.
        self.own_nodes: dict[str, list[str]] = {}
        #: run id → {path: (nodes in that copy)} for copies that are not the owner.
        self.copies: dict[str, dict[str, list[str]]] = {}


_registries: "weakref.WeakKeyDictionary[Store, _Copies]" = weakref.WeakKeyDictionary()


def _registry(store: Store) -> _Copies:
    registry = _registries.get(store)
    if registry is None:
        registry = _registries[store] = _Copies()
    return registry


def _folder(path: str) -> str:
    return os.path.basename(os.path.dirname(os.path.abspath(path)))


def _apply_copies(run: Run, registry: _Copies) -> None:
    """Fold the copies known for this run into its attributes."""
    nodes = list(registry.own_nodes.get(run.id, ()))
    paths = [run.source]
    for path, copy_nodes in sorted(registry.copies.get(run.id, {}).items()):
        if path in paths:
            continue
        paths.append(path)
        for node in copy_nodes:
            if node not in nodes:
                nodes.append(node)
    run.attributes["nodes"] = nodes
    run.attributes["copies"] = paths
    run.attributes["held_by"] = [_folder(p) for p in paths]


# -- parsing ---------------------------------------------------------------------

#: How a document that is not whole JSON stops being read (`_salvage`):
#: it ends inside a value (a task killed mid-write, a copy of a file being
#: written); it is not JSON from some point on, with more after it; or it
#: is whole, followed by more that is no part of it.
_CUT, _BAD, _AFTER = "cut", "bad", "after"
#: How an array or object being read ended: at its closing bracket, or at
#: the end of the text between two of its values (a bare event array may
#: end so: the format makes its `]` optional).
_CLOSED, _OPEN = "closed", "open"
#: JSON's whitespace, skipped between the values a damaged document is read by.
_WS = re.compile(r"[ \t\n\r]*")
#: What is left of a text that ends inside a bare token (`tr`, `1.`, `-`,
#: the `u12` of an escape): nothing that opens, closes or separates a value.
_CUT_TOKEN = re.compile(r'[^\s{}\[\],:"]*\s*')
#: The stdlib's parser, one value at a time (it reads NaN, Infinity and
#: integers beyond 64 bits, which orjson refuses).
_DECODER = json.JSONDecoder()


class _Damage:
    """Where the reading of a document that is not whole JSON stopped."""

    __slots__ = ("kind", "at")

    def __init__(self, kind: str, at: int) -> None:
        #: _CUT, _BAD or _AFTER.
        self.kind = kind
        #: Offset in the text of the first thing not read (the cut-off event,
        #: the bad JSON, what follows the document).
        self.at = at


def _parse(data: bytes) -> tuple[Any, _Damage | None]:
    """The document, or what of it could be read, and where its reading
    stopped if it is not whole JSON. A whole document is parsed at once
    (orjson); only one that is not is read value by value."""
    try:
        return orjson.loads(data), None
    except orjson.JSONDecodeError:
        pass
    return _salvage(data.decode("utf-8", errors="replace"))


def _salvage(text: str) -> tuple[Any, _Damage | None]:
    """A document orjson refused, read by the stdlib's parser one event at a
    time: every complete event before a cut or bad JSON, the way Perfetto
    loads a trace whose writer was killed. Also what orjson refuses in a
    whole document (NaN, integers beyond 64 bits, bad UTF-8), with no
    damage. Raises ValueError if it does not start as an array or object."""
    start = _WS.match(text, 1 if text.startswith("\ufeff") else 0).end()
    if text.startswith("[", start):
        doc, state, at = _read_array(text, start)
        if state == _OPEN:
            return doc, None  # the format makes the closing `]` optional
    elif text.startswith("{", start):
        doc, state, at = _read_object(text, start)
        if state == _CUT:
            # Cut before its events began: a trace of none yet, said cut
            # (one bad from its start is no trace: it is not read).
            doc.setdefault("traceEvents", [])
    else:
        raise ValueError("not JSON")
    if state != _CLOSED:
        return doc, _Damage(state, at)
    rest = _WS.match(text, at).end()
    return doc, (None if rest >= len(text) else _Damage(_AFTER, rest))


def _failed_at(text: str, exc: BaseException) -> str:
    """Why a value could not be read: the text ends inside it (_CUT), or it
    is bad JSON with more after it (_BAD)."""
    if not isinstance(exc, json.JSONDecodeError):
        return _BAD  # nested too deep
    if exc.msg.startswith("Unterminated string"):
        return _CUT  # raised only when the text ends before the closing quote
    return _CUT if _CUT_TOKEN.fullmatch(text, exc.pos) else _BAD


def _read_value(text: str, pos: int) -> tuple[Any, int] | str:
    """The value at `pos` and where it ends, or why it cannot be read."""
    try:
        return _DECODER.raw_decode(text, pos)
    except (ValueError, RecursionError) as exc:
        return _failed_at(text, exc)


def _read_array(text: str, pos: int) -> tuple[list[Any], str, int]:
    """The complete values of the array opening at `pos`; how it ended
    (_CLOSED, _OPEN, _CUT, _BAD) and where (past its `]`, or at the first
    value not read)."""
    items: list[Any] = []
    end = len(text)
    pos = _WS.match(text, pos + 1).end()
    while pos < end:
        if text[pos] == "]":  # also after a trailing comma, as trace viewers allow
            return items, _CLOSED, pos + 1
        read = _read_value(text, pos)
        if isinstance(read, str):
            return items, read, pos
        value, after = read
        items.append(value)
        pos = _WS.match(text, after).end()
        if text.startswith(",", pos):
            pos = _WS.match(text, pos + 1).end()
        elif text.startswith("]", pos):
            return items, _CLOSED, pos + 1
        elif pos < end:
            return items, _BAD, pos
    return items, _OPEN, end


def _read_object(text: str, pos: int) -> tuple[dict[str, Any], str, int]:
    """The complete members of the object opening at `pos`, its
    `traceEvents` read event by event; how it ended (_CLOSED, _CUT, _BAD)
    and where (past its `}`, or at the first thing not read)."""
    doc: dict[str, Any] = {}
    end = len(text)
    pos = _WS.match(text, pos + 1).end()
    while pos < end:
        if text[pos] == "}":
            return doc, _CLOSED, pos + 1
        member = pos
        read = _read_value(text, pos)
        if isinstance(read, str):
            return doc, read, member
        key, after = read
        pos = _WS.match(text, after).end()
        if not isinstance(key, str) or (pos < end and text[pos] != ":"):
            return doc, _BAD, member
        pos = _WS.match(text, pos + 1).end()
        if pos >= end:
            return doc, _CUT, member
        if key == "traceEvents" and text[pos] == "[":
            events, state, after = _read_array(text, pos)
            doc[key] = events
            if state != _CLOSED:
                # Open at the end of the text: the object is cut, events whole.
                return doc, (_CUT if state == _OPEN else state), after
        else:
            read = _read_value(text, pos)
            if isinstance(read, str):
                return doc, read, member
            doc[key], after = read
        pos = _WS.match(text, after).end()
        if text.startswith(",", pos):
            pos = _WS.match(text, pos + 1).end()
        elif text.startswith("}", pos):
            return doc, _CLOSED, pos + 1
        elif pos < end:
            return doc, _BAD, pos
    return doc, _CUT, end


def _line_at(data: bytes, text_offset: int) -> int:
    """1-based line of a text offset into `data` decoded (a line of the
    file: at the end, the line of its last character, not the empty one
    after its last newline)."""
    text = data.decode("utf-8", errors="replace")
    offset = min(text_offset, max(0, len(text.rstrip()) - 1))
    return text.count("\n", 0, offset) + 1


def _damage_note(path: str, damage: _Damage, size: int, line: int, events: int) -> str:
    """The one line that says how a document of `size` bytes was read
    short of its end, at `line`."""
    read = (f"read the {events} complete event{'s' if events != 1 else ''} before it" if events
            else "no complete event before it")
    if damage.kind == _CUT:
        return f"{path}: the document ends early (cut at byte {size:,}): {read}"
    if damage.kind == _BAD:
        return f"{path}: the document is not JSON from line {line} on: {read}"
    return f"{path}: what follows the end of the document (from line {line}) is not read"


def _events_of(doc: Any) -> list[Any] | None:
    if isinstance(doc, dict):
        events = doc.get("traceEvents")
        return events if isinstance(events, list) else None
    return doc if isinstance(doc, list) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _thread_key(value: Any) -> Any:
    if value is None:
        return 0
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return str(value)


def _sort_key(value: Any) -> tuple:
    return (0, value, "") if isinstance(value, int) else (1, 0, str(value))


def _fits(parent_cat: str, child_cat: str) -> bool:
    """Does a child's category agree with nesting under this parent?"""
    return (not parent_cat or not child_cat or child_cat == parent_cat
            or child_cat.startswith(parent_cat + "/"))


class _Item:
    """One slice (X, a B/E pair, or a point) before it becomes a Span."""

    __slots__ = ("index", "ev", "pid", "tid", "ts", "dur", "end_ev", "end_index", "cat", "span")

    def __init__(self, index: int, ev: dict, pid: Any, tid: Any, ts: float, dur: float | None) -> None:
        self.index = index
        self.ev = ev
        self.pid = pid
        self.tid = tid
        self.ts = ts
        #: µs; None = a B never closed (running).
        self.dur = dur
        self.end_ev: dict | None = None
        self.end_index: int | None = None
        cat = ev.get("cat")
        self.cat = cat if isinstance(cat, str) else ""
        self.span: Span | None = None

    @property
    def end(self) -> float:
        return math.inf if self.dur is None else self.ts + self.dur

    def contains(self, other: "_Item") -> bool:
        if self.dur == 0:
            return False  # a point holds nothing
        if other.ts < self.ts or other.end > self.end:
            return False
        # A slice starting exactly where this one ends is its sibling.
        return other.dur == 0 or other.ts < self.end


# -- the decoder -----------------------------------------------------------------

class ChromeDecoder:
    """One Chrome trace file → one run (unless it is another copy of a
    task already read from another folder)."""

    def __init__(self, store: Store, path: str, message_filter: str | None = None,
                 **options: Any) -> None:
        self.store = store
        self.path = path
        self.filter = message_filter.lower() if message_filter else None
        self.skipped = 0
        self.first_bad_line: int | None = None
        self.records = 0
        #: The run this file made (owner) or added a copy to.
        self.run_id: str | None = None
        self.owner = False
        #: The one line saying the document was read short of its end (cut,
        #: or not JSON from some line on), or None; its source shows it.
        self.note: str | None = None
        #: How many of `skipped` that note says (its source does not say them
        #: again as bad lines).
        self.skipped_said = 0

    # -- protocol --------------------------------------------------------------

    def reset(self) -> None:
        """The file was replaced: forget what it said."""
        registry = _registry(self.store)
        if self.run_id is not None:
            if self.owner:
                if registry.owner.get(self.run_id) is self:
                    del registry.owner[self.run_id]
                    registry.own_nodes.pop(self.run_id, None)
                self.store.drop_runs([self.run_id])
            else:
                registry.copies.get(self.run_id, {}).pop(self.path, None)
                run = self.store.runs.get(self.run_id)
                if run is not None:
                    _apply_copies(run, registry)
                    self.store.touch(run.id)
        self.run_id = None
        self.owner = False
        self.skipped = self.records = self.skipped_said = 0
        self.first_bad_line = None
        self.note = None

    def feed(self, lines: list[tuple[int, bytes]]) -> None:
        """Not a line format; a whole document given as lines still reads."""
        self.feed_document(b"".join(line if line.endswith(b"\n") else line + b"\n" for _, line in lines))

    def feed_document(self, data: bytes) -> None:
        # Parsing and indexing make millions of small containers that all
        # live on: the cyclic GC would rescan them over and over (measured:
        # 600k events take 9 s with it, 3.6 s without).
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._feed_document(data)
        except _HOSTILE:  # a shape no rule above expected: never a traceback
            self.skipped += 1
            if self.first_bad_line is None:
                self.first_bad_line = 1
        finally:
            if enabled:
                gc.enable()

    def _feed_document(self, data: bytes) -> None:
        try:
            doc, damage = _parse(data)
        except ValueError:
            self._bad_whole(data)
            return
        events = _events_of(doc)
        if events is None:
            self._bad_whole(data)
            return
        self._build(events, data)
        if damage is not None:
            self._read_short(damage, data, len(events))

    def raw(self, locator: Any) -> str | None:
        """The raw event at an index of the file's event list."""
        if not isinstance(locator, int) or isinstance(locator, bool):
            return None
        from tracetui.sources.lines import read_all

        try:
            data, _ = read_all(self.path)
            events = _events_of(_parse(data)[0])
        except (OSError, ValueError):
            return None
        if events is None or not 0 <= locator < len(events):
            return None
        return json.dumps(events[locator], indent=2, ensure_ascii=False)

    # -- bad records -------------------------------------------------------------

    def _bad_whole(self, data: bytes) -> None:
        self.skipped += 1
        if self.first_bad_line is None:
            try:
                json.loads(data.decode("utf-8", errors="replace"))
                self.first_bad_line = 1
            except json.JSONDecodeError as exc:
                self.first_bad_line = exc.lineno
            except (ValueError, RecursionError):
                self.first_bad_line = 1

    def _read_short(self, damage: _Damage, data: bytes, events: int) -> None:
        """The document was read short of its end: what was not read counts
        as one bad record, where it begins, said in one note."""
        self.skipped += 1
        self.skipped_said += 1
        line = _line_at(data, damage.at)
        if self.first_bad_line is None:  # (bad events before it were counted first)
            self.first_bad_line = line
        self.note = _damage_note(self.path, damage, len(data), line, events)

    # -- building ------------------------------------------------------------------

    def _build(self, events: list[Any], data: bytes) -> None:
        process_names: dict[Any, str] = {}
        thread_names: dict[tuple, str] = {}
        items: list[_Item] = []
        open_b: dict[tuple, list[_Item]] = {}
        pending_b: list[tuple[int, dict, Any, Any, float, str]] = []
        skulk = False
        slashed = False
        bad_first: int | None = None
        bad = 0
        for index, ev in enumerate(events):
            if not isinstance(ev, dict):
                bad += 1
                bad_first = index if bad_first is None else bad_first
                continue
            ph = ev.get("ph")
            if type(ph) is not str:
                continue  # not a trace event we know
            if ph == "M":
                args = ev.get("args")
                name = args.get("name") if isinstance(args, dict) else None
                if isinstance(name, str):
                    pid = _thread_key(ev.get("pid"))
                    if ev.get("name") == "process_name":
                        process_names[pid] = name
                    elif ev.get("name") == "thread_name":
                        thread_names[(pid, _thread_key(ev.get("tid")))] = name
                continue
            if ph not in ("X", "B", "E") and ph not in _POINT_PHASES:
                continue  # counters, async, flows...: not slices
            ts = _number(ev.get("ts"))
            if ts is None:
                bad += 1
                bad_first = index if bad_first is None else bad_first
                continue
            pid = _thread_key(ev.get("pid"))
            tid = _thread_key(ev.get("tid"))
            args = ev.get("args")
            if isinstance(args, dict) and ("task_kind" in args or "node_id" in args):
                skulk = True
            cat = ev.get("cat")
            if isinstance(cat, str) and "/" in cat:
                slashed = True
            if ph in ("B", "E"):
                pending_b.append((index, ev, pid, tid, ts, ph))
                continue
            dur = 0.0 if ph in _POINT_PHASES else max(0.0, _number(ev.get("dur")) or 0.0)
            items.append(_Item(index, ev, pid, tid, ts, dur))
        # B/E: pair per thread in time order (file order among equal times).
        pending_b.sort(key=lambda p: p[4])
        for index, ev, pid, tid, ts, ph in pending_b:
            stack = open_b.setdefault((pid, tid), [])
            if ph == "B":
                item = _Item(index, ev, pid, tid, ts, None)
                stack.append(item)
                items.append(item)
                continue
            if not stack:
                bad += 1
                bad_first = index if bad_first is None else min(bad_first, index)
                continue
            at = len(stack) - 1
            name = ev.get("name")
            if isinstance(name, str) and name and stack[at].ev.get("name") != name:
                for j in range(len(stack) - 1, -1, -1):
                    if stack[j].ev.get("name") == name:
                        at = j
                        break
            item = stack.pop(at)
            item.dur = max(0.0, ts - item.ts)
            item.end_ev = ev
            item.end_index = index
        if bad:
            self.skipped += bad
            if self.first_bad_line is None:
                self.first_bad_line = _line_of_event(data, bad_first or 0)
        self.records += len(items)
        self._make_run(items, process_names, thread_names, strict=skulk or slashed)

    def _make_run(self, items: list[_Item], process_names: dict, thread_names: dict,
                  strict: bool) -> None:
        run_id = run_id_for(self.path)
        is_task = _TASK_FILE.fullmatch(os.path.basename(self.path)) is not None
        registry = _registry(self.store)
        existing = self.store.runs.get(run_id)
        owner = registry.owner.get(run_id)
        summary = _summary(items)
        if existing is not None and owner is not self:
            if is_task and owner is not None and existing.format == FORMAT:
                # Another copy of a task already read (another node's folder).
                registry.copies.setdefault(run_id, {})[self.path] = summary["nodes"]
                _apply_copies(existing, registry)
                self.store.touch(run_id)
                self.run_id, self.owner = run_id, False
                return
            # Same stem as another run (another format, or an unrelated
            # file with the same name elsewhere): never replace it.
            base = f"{run_id}@{_folder(self.path)}"
            run_id, n = base, 2
            while run_id in self.store.runs and registry.owner.get(run_id) is not self:
                run_id, n = f"{base}#{n}", n + 1
        if run_id in self.store.runs:
            self.store.drop_runs([run_id])  # fed twice without a reset
        registry.owner[run_id] = self
        registry.own_nodes[run_id] = summary["nodes"]
        self.run_id, self.owner = run_id, True
        name = " ".join(str(x) for x in (summary.get("task_kind"), summary.get("model_id")) if x)
        if not name and len(set(process_names.values())) == 1:
            name = next(iter(process_names.values()))  # e.g. a tracetui export of one run
        run = self.store.run(run_id, self.path, FORMAT, name or run_id)
        run.inferred = True
        run.attributes.update(summary)
        if is_task:
            run.attributes["task_id"] = run_id_for(self.path)
        _apply_copies(run, registry)

        tracks: dict[tuple, list[_Item]] = {}
        for item in items:
            tracks.setdefault((item.pid, item.tid), []).append(item)
        pids = {pid for pid, _ in tracks}
        for key in sorted(tracks, key=lambda k: (_sort_key(k[0]), _sort_key(k[1]))):
            pid, tid = key
            track_items = tracks[key]
            label = thread_names.get(key)
            if label is None:
                ranks = {i.ev["args"].get("rank") for i in track_items if isinstance(i.ev.get("args"), dict)
                         and type(i.ev["args"].get("rank")) in (int, str)}
                label = f"rank {ranks.pop()}" if len(ranks) == 1 else f"thread {tid}"
            if len(pids) > 1:
                label = f"{process_names.get(pid, f'pid {pid}')} / {label}"
            root = Span(f"track:{pid}:{tid}", run, label, "track")
            root.synthetic = True
            root.status = OK
            root.attributes = {"pid": pid, "tid": tid}
            if root.id not in run.spans:
                run.synthetic_spans += 1
            run.spans[root.id] = root
            run.roots.append(root)
            self._nest(run, root, track_items, strict)

    def _nest(self, run: Run, root: Span, items: list[_Item], strict: bool) -> None:
        """Time containment per track, via a stack of open slices."""
        inf = math.inf
        items.sort(key=lambda i: (i.ts, -inf if i.dur is None else -i.dur, i.index))
        stack: list[_Item] = []
        ends: list[float] = []  # stack[k].end, kept alongside for speed
        first = inf
        last = -inf
        running = False
        spans = run.spans
        place = run.anomalies.place
        for item in items:
            ts = item.ts
            while ends and ends[-1] < ts:
                stack.pop()
                ends.pop()
            parent_span = root
            depth = len(stack) - 1
            floor = max(-1, depth - _MAX_SCAN)
            while depth > floor:
                candidate = stack[depth]
                if candidate.contains(item) and (not strict or _fits(candidate.cat, item.cat)):
                    parent_span = candidate.span
                    break
                depth -= 1
            span = _span_of(run, item)
            item.span = span
            span.parent = parent_span
            if parent_span.children is None:
                parent_span.children = [span]
            else:
                parent_span.children.append(span)
            spans[span.id] = span
            dur = item.dur
            if dur is None:
                running = True
                stack.append(item)
                ends.append(inf)
            else:
                if dur:
                    stack.append(item)
                    ends.append(ts + dur)
                if ts + dur > last:
                    last = ts + dur
            if ts < first:
                first = ts
            if span.status != OK and (self.filter is None or self.filter in span.name.lower()
                                      or self.filter in span.kind.lower()):
                place(span)
        if first != inf:
            root.start = first / 1e6
            root.duration = None if running else max(0.0, last - first) / 1e6
            if running:
                root.status = RUNNING
            run.see_time(root.start)
            if last != -inf:
                run.see_time(last / 1e6)


_CANCEL_TAGS = ("cancelled", "canceled", "cancel")


def _span_of(run: Run, item: _Item) -> Span:
    ev = item.ev
    name = ev.get("name")
    if type(name) is not str:
        name = "" if name is None else str(name)
    cat = item.cat
    dur = item.dur
    span = Span(str(item.index), run, name, "marker" if dur == 0 else (cat or "slice"), item.ts / 1e6)
    span.origin = (item.index,)
    if dur is None:
        span.status = RUNNING
    else:
        span.duration = dur / 1e6
        span.status = OK
    args = ev.get("args")
    if type(args) is not dict:
        args = {}
    if item.end_ev is not None:
        span.origin += (item.end_index,)
        end_args = item.end_ev.get("args")
        if type(end_args) is dict:
            args = {**args, **end_args}
    if "status" in args and "id" in args and _is_tracetui_export(args):
        _read_back(span, args, item)
        return span
    # The parsed event is ours alone (raw records are re-read from the file):
    # its args become the attributes without a copy.
    if cat:
        args.setdefault("category", cat)
    span.attributes = args or None
    span.detail = cat
    tags = args.get("tags")
    if not tags or type(tags) is not list:
        if name == "cancel" and cat.rsplit("/", 1)[-1] == "lifecycle":
            span.status = CANCELLED
        return span
    if "shared" in tags:
        args["shared"] = True
    aborted = "aborted" in tags or (name == "aborted" and "trace_abort" in tags)
    if "error" in tags or aborted:
        span.status = ERROR
        attrs = args.get("attrs")
        message = attrs.get("message") if type(attrs) is dict else None
        if not isinstance(message, str) or not message:
            message = "task aborted before it finished (trace flushed on the abort path)" if aborted else name
        span.error = {"message": message}
        if aborted:
            span.error["type"] = "aborted"
        span.detail = message
    elif any(t in tags for t in _CANCEL_TAGS) or (
            name == "cancel" and cat.rsplit("/", 1)[-1] == "lifecycle"):
        span.status = CANCELLED
    return span


def _is_tracetui_export(args: dict) -> bool:
    """`args` as tracetui's Perfetto export writes them: {"id", "status", ...}."""
    return "id" in args and args.get("status") in STATUSES and not any(k in args for k in _SKULK_ARGS)


def _read_back(span: Span, args: dict, item: _Item) -> None:
    span.status = args["status"]
    detail = args.get("detail")
    span.detail = detail if isinstance(detail, str) else ""
    error = args.get("error")
    if isinstance(error, dict):
        span.error = error
    elif isinstance(error, str) and error:
        span.error = {"message": error}
    attributes = args.get("attributes")
    span.attributes = dict(attributes) if isinstance(attributes, dict) else None
    if item.cat and span.kind == "marker":
        span.kind = item.cat  # a zero-length action is still an action


def _summary(items: list[_Item]) -> dict[str, Any]:
    """Skulk's trace-list fields (as its API computes them) for a file."""
    nodes: list[str] = []
    model_id = task_kind = None
    categories: set[str] = set()
    tags: set[str] = set()
    ranks: set[Any] = set()
    tool = False
    for item in items:
        if item.cat:
            categories.add(item.cat)
        args = item.ev.get("args")
        if not isinstance(args, dict):
            continue
        node = args.get("node_id")
        if isinstance(node, str) and node and node not in nodes:
            nodes.append(node)
        if model_id is None and isinstance(args.get("model_id"), str) and args["model_id"]:
            model_id = args["model_id"]
        if task_kind is None and isinstance(args.get("task_kind"), str) and args["task_kind"]:
            task_kind = args["task_kind"]
        rank = args.get("rank")
        if isinstance(rank, (int, str)) and not isinstance(rank, bool):
            ranks.add(rank)
        event_tags = args.get("tags")
        if isinstance(event_tags, list):
            for tag in event_tags:
                tag = tag if isinstance(tag, str) else str(tag)
                tags.add(tag)
                if tag == "tool_call":
                    tool = True
    summary: dict[str, Any] = {
        "categories": sorted(categories),
        "tags": sorted(tags),
        "tool_activity": tool,
        "nodes": nodes,
    }
    if task_kind is not None:
        summary["task_kind"] = task_kind
    if model_id is not None:
        summary["model_id"] = model_id
    if ranks:
        summary["ranks"] = sorted(ranks, key=_sort_key)
    return summary


def _line_of_event(data: bytes, index: int) -> int:
    """1-based line of the index-th element of the event array (only for
    the first bad event: one extra pass over the text)."""
    text = data.decode("utf-8", errors="replace")
    start = text.find('"traceEvents"')
    start = text.find("[", start if start >= 0 else 0)
    if start < 0:
        return 1
    decoder = json.JSONDecoder()
    pos = start + 1
    for _ in range(index + 1):
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text):
            break
        found = pos
        try:
            _, pos = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError):
            return text.count("\n", 0, found) + 1
    else:
        return text.count("\n", 0, found) + 1
    return text.count("\n", 0, pos) + 1


# -- Skulk's stats view ----------------------------------------------------------

def _cell() -> dict[str, Any]:
    return {"total_us": 0, "count": 0, "min_us": 0, "max_us": 0, "avg_us": 0.0}


def _add(cell: dict[str, Any], duration: int) -> None:
    if cell["count"] == 0:
        cell["min_us"] = cell["max_us"] = duration
    else:
        cell["min_us"] = min(cell["min_us"], duration)
        cell["max_us"] = max(cell["max_us"], duration)
    cell["total_us"] += duration
    cell["count"] += 1
    cell["avg_us"] = cell["total_us"] / cell["count"]


def category_stats(runs: Iterable[Run]) -> dict[str, Any]:
    """Skulk's stats view (`compute_stats`) over the chrome runs given:
    wall time from the earliest start to the latest end, and total / count /
    min / max / avg duration (µs) per category and per rank (overall and by
    category). For one task the numbers are Skulk's own; across tasks a
    decode step shared by batched tasks (tagged `shared`, copied into each
    task's file) is counted once. Slices still running are not timed."""
    categories: dict[str, dict[str, Any]] = {}
    ranks: dict[str, dict[str, Any]] = {}
    seen_shared: set[tuple] = set()
    duplicates = 0
    first: int | None = None
    last: int | None = None
    tasks = 0
    for run in runs:
        if run.format != FORMAT:
            continue
        tasks += 1
        for span in run.spans.values():
            if span.synthetic or span.start is None or span.duration is None:
                continue
            attributes = span.attributes or {}
            category = attributes.get("category")
            if not isinstance(category, str):
                category = span.kind if span.kind not in ("marker", "slice") else ""
            rank = attributes.get("rank")
            if rank is None:  # Skulk's reader falls back to the thread id
                track = span
                while track.parent is not None:
                    track = track.parent
                rank = (track.attributes or {}).get("tid")
            start = round(span.start * 1e6)
            duration = round(span.duration * 1e6)
            if attributes.get("shared") is True:
                key = (span.name, start, duration, str(rank), category)
                if key in seen_shared:
                    duplicates += 1
                    continue
                seen_shared.add(key)
            first = start if first is None else min(first, start)
            last = start + duration if last is None else max(last, start + duration)
            _add(categories.setdefault(category, _cell()), duration)
            by_rank = ranks.setdefault(str(rank), {**_cell(), "by_category": {}})
            _add(by_rank, duration)
            _add(by_rank["by_category"].setdefault(category, _cell()), duration)
    return {
        "tasks": tasks,
        "total_wall_time_us": 0 if first is None else last - first,
        "categories": dict(sorted(categories.items())),
        "ranks": dict(sorted(ranks.items(), key=lambda kv: _rank_order(kv[0]))),
        "shared_duplicates": duplicates,
    }


def _rank_order(rank: str) -> tuple:
    try:
        return (0, int(rank), rank)
    except ValueError:
        return (1, 0, rank)


def category_stats_lines(result: dict[str, Any]) -> list[str]:
    """The stats view as text lines (names are trace content: the caller
    passes them through text.safe)."""
    from tracetui.text import clip, fmt_duration, safe

    def row(label: str, cell: dict[str, Any]) -> str:
        return (f"{clip(safe(label, newlines=False), 32):<32} {cell['count']:>7} "
                f"{fmt_duration(cell['total_us'] / 1e6):>9} {fmt_duration(cell['avg_us'] / 1e6):>9} "
                f"{fmt_duration(cell['min_us'] / 1e6):>9} {fmt_duration(cell['max_us'] / 1e6):>9}")

    header = f"{'':<32} {'COUNT':>7} {'TOTAL':>9} {'AVG':>9} {'MIN':>9} {'MAX':>9}"
    lines = [f"wall time: {fmt_duration(result['total_wall_time_us'] / 1e6)}"
             + (f"  (shared decode steps counted once: {result['shared_duplicates']} duplicate(s) skipped)"
                if result["shared_duplicates"] else ""), "", "CATEGORY" + header[8:]]
    for category, cell in result["categories"].items():
        lines.append(row(category or "(none)", cell))
    lines += ["", "RANK" + header[4:]]
    for rank, cell in result["ranks"].items():
        lines.append(row(f"rank {rank}", cell))
        for category, sub in cell["by_category"].items():
            lines.append(row(f"  {category or '(none)'}", sub))
    return lines


def dump_records(path: str, data: bytes) -> tuple[list[Any], list[str]]:
    """What `tracetui dump` writes of a Chrome trace, read as the other
    commands read it: a bare array's events, or the `{"traceEvents": …}`
    document as one record; of a document cut short, what was read of it,
    and the note that says so. Nothing of one that is no JSON."""
    try:
        doc, damage = _parse(data)
    except ValueError:
        return [], [f"{path}: not JSON: nothing to dump"]
    records = doc if isinstance(doc, list) else [doc]
    if damage is None:
        return records, []
    events = _events_of(doc)
    line = _line_at(data, damage.at)
    if events is None:  # bad before its events: what the other commands skip whole
        return [], [f"{path}: not JSON from line {line} on, before any event: nothing to dump"]
    return records, [_damage_note(path, damage, len(data), line, len(events))]


DOCUMENT_FORMATS = [DocumentFormat(FORMAT, _sniff_document, ChromeDecoder, dump_records)]
