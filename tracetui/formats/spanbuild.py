"""Shared span building for formats that carry span ids (OTLP, OTel console, native, SGP).

These formats say who a span's parent is, but not in a helpful order: an
exporter writes a span when it ends, so children come before parents; a
writer may send a span twice (open, then closed); a hostile file may name a
span as its own parent or build a cycle. `SpanLinker` turns a stream of
"span X (parent P) looks like this now" into a consistent tree, at O(1)
amortized cost per record:

    linker = SpanLinker.for_store(store)      # one per store, shared by decoders
    run = store.run(run_id, path, FORMAT)
    span, new = linker.span(run, span_id)     # get or create (a new span is a root)
    ... set span.name / kind / start / duration / status / attributes ...
    linker.link(run, span, parent_id)         # None = a root; call again to change
    linker.settle(run, span)                  # anomaly buckets + run time range
    ...
    linker.flush()                            # end of a batch: tidy run.roots

Rules:
- a span whose parent is already known goes under it at once;
- a span whose parent is unknown is a root marked `orphan=True` and waits in
  a pending map (parent id → children); when the parent arrives, it adopts
  its waiting children (children kept in start-time order);
- a later `link` with another parent moves the span (an update);
- a span naming itself as parent, or a parent that would close a cycle, stays
  a root marked `orphan=True`; nothing ever loops;
- while the source's writer is seen at work, a parent waited for gets a
  placeholder (`unwritten`): OTel exporters write a span when it ends, so a
  hung pipeline's root and hung step are named by their ended children and
  never written; made up, running, it shows the run running. The real span,
  when it comes, takes its place (same id: its children stay under it);
- `run.roots` and `children` lists are kept without spans that moved away:
  removals are batched and applied by `flush()` (readers hold the store lock,
  which decoders hold for a whole batch, so they never see a list mid-batch).

The module also holds the small helpers those formats share: ids, times,
statuses, OpenInference attributes, and a splitter for JSON objects written
back to back.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
import weakref
from bisect import bisect_right
from datetime import datetime, timezone
from typing import Any, Iterator

import orjson

from tracetui.clock import last_written, written_before
from tracetui.formats.jsonutil import loads
from tracetui.model import (
    CANCELLED, ERROR, OK, PARENT_LOOPS, RUNNING, TIMEOUT, UNWRITTEN_KIND, UNWRITTEN_NAME, FullSpan, Run, Span,
)
from tracetui.skipped import Lead
from tracetui.store import Store

#: What a placeholder says of itself (`Span.detail`: the tree shows its
#: first words), its writer at work...
UNWRITTEN_RUNNING = "still open: the exporter writes a span when it ends, and this one has not been written yet"
#: ... and once its writer is gone.
UNWRITTEN_GONE = ("never written: its pipeline ended or was killed before this span ended "
                  "(the exporter writes a span when it ends)")
#: ... and where no writer was seen, made because its children's flags say
#: it is in their process.
UNWRITTEN_MISSING = ("not in the file, though its children say it is in their process: that process "
                     "had not ended it when the file was last written (still running, hung or killed; "
                     "the exporter writes a span when it ends)")
#: The note among a placeholder's attributes (the detail pane's).
UNWRITTEN_NOTE = ("made up by tracetui: spans in the file name this one as their parent, but it "
                  "is not in the file. OpenTelemetry exporters write a span only when it ends, "
                  "so a span still running (a pipeline's root, its hung step) is not written yet; "
                  "if its pipeline ends or is killed first, it never is.")


def _unique(spans) -> list[Span]:
    seen: set[int] = set()
    out = []
    for span in spans:
        if id(span) not in seen:
            seen.add(id(span))
            out.append(span)
    return out


def _start_key(span: Span) -> float:
    return span.start if span.start is not None else float("inf")


class _RunLinks:
    """Linking state of one run."""

    __slots__ = ("run", "pending", "waiting", "jumps", "stale_roots", "stale_parents", "dirty",
                 "placeholders", "said_remote")

    def __init__(self, run: Run) -> None:
        self.run = run
        #: parent id never seen yet → the spans waiting for it.
        #: (A dict used as an ordered set: O(1) removal when a span moves.)
        self.pending: dict[str, dict[Span, None]] = {}
        #: orphan span → the parent id it names (waiting, self-parent or cycle).
        self.waiting: dict[Span, str] = {}
        #: span → some ancestor of it: path-compressed shortcuts for the cycle
        #: check. Valid while links are only added above roots; cleared when a
        #: span moves away from a parent.
        self.jumps: dict[Span, Span] = {}
        #: how many entries of run.roots now have a parent.
        self.stale_roots = 0
        #: spans some child moved away from (their lists are tidied by flush).
        self.stale_parents: set[Span] = set()
        #: listed in the linker's to-flush list.
        self.dirty = False
        #: parent id → the made-up span standing for it (`SpanLinker.unwritten`).
        self.placeholders: dict[str, Span] = {}
        #: waiting span → whether its parent is in another process, where
        #: that is known (an OTLP span's flags, or a server span's caller).
        #: True: no placeholder stands for that parent, not this file's to
        #: write. False (in its own process): one missing from the file
        #: was not ended when it was last written, writer seen or not.
        self.said_remote: dict[Span, bool] = {}


class SpanLinker:
    """Parent/child linking by span id across the runs of one store."""

    _by_store: "weakref.WeakKeyDictionary[Store, SpanLinker]" = weakref.WeakKeyDictionary()

    def __init__(self) -> None:
        self._runs: dict[str, _RunLinks] = {}
        #: runs with lists to tidy at the next flush (not every run: a store
        #: may hold thousands of traces and a live batch may be one line).
        self._dirty: list[_RunLinks] = []
        #: run id → {id of a decoder: its writer seen}, of the sources
        #: feeding the run that say it is live (`SpanDecoder.see_writer`).
        self.writers: dict[str, dict[int, bool]] = {}
        #: runs with a span that began waiting for its parent since their
        #: decoder last asked (`fresh_waits`).
        self._fresh: dict[str, _RunLinks] = {}

    @classmethod
    def for_store(cls, store: Store) -> "SpanLinker":
        """The store's linker: decoders of several files feeding one run
        (a trace split across rotated files) then link across files."""
        linker = cls._by_store.get(store)
        if linker is None:
            linker = cls._by_store[store] = cls()
        return linker

    def _links(self, run: Run) -> _RunLinks:
        links = self._runs.get(run.id)
        if links is None or links.run is not run:
            # New run, or the run was dropped and recreated (source reset).
            links = self._runs[run.id] = _RunLinks(run)
        return links

    def forget(self, run_ids) -> None:
        """Drop the state of runs being dropped from the store."""
        for run_id in run_ids:
            self._runs.pop(run_id, None)
            self._fresh.pop(run_id, None)

    # -- building -------------------------------------------------------------

    def span(self, run: Run, span_id: str, name: str = "", kind: str = "") -> tuple[Span, bool]:
        """The span with this id in the run, created (as a root) on first
        sight; returns (span, created). A new span adopts the spans that were
        waiting for it."""
        span = run.spans.get(span_id)
        if span is not None:
            if span.synthetic:
                links = self._runs.get(run.id)
                if links is not None and links.placeholders.get(span_id) is span:
                    self._realize(links, span, name, kind)
                    return span, True  # as new to its decoder: its record fills it
            return span, False
        span = FullSpan(span_id, run, name, kind)
        run.spans[span_id] = span
        run.roots.append(span)
        links = self._links(run)
        waiting = links.pending.pop(span_id, None)
        if waiting:
            # Safe without a cycle check: the new span has no ancestors yet.
            for child in waiting:
                links.waiting.pop(child, None)
                self._attach(links, child, span, ordered=False)
            span.children.sort(key=_start_key)
        return span, True

    def link(self, run: Run, span: Span, parent_id: str | None, remote: bool = False,
             local: bool = False) -> None:
        """Make `parent_id` the span's parent (None: a root). Idempotent; a
        different parent than before moves the span. `remote`: that parent
        is in another process (no placeholder stands for it, `unwritten`);
        `local`: the source says it is in this span's process."""
        links = self._links(run)
        current = span.parent
        if current is not None:
            if current.id == parent_id:
                return
        elif span.orphan:
            if links.waiting.get(span) == parent_id:
                return
        elif parent_id is None:
            return
        self._detach(links, span)
        if parent_id is None:
            return
        if parent_id == span.id:
            span.orphan = PARENT_LOOPS
            links.waiting[span] = parent_id
            return
        parent = run.spans.get(parent_id)
        if parent is None:
            span.orphan = parent_id if isinstance(parent_id, str) and parent_id else True
            links.waiting[span] = parent_id
            links.pending.setdefault(parent_id, {})[span] = None
            if remote or local:
                links.said_remote[span] = remote
            self._fresh[run.id] = links
            return
        # Only a span with descendants can close a cycle.
        if span.children and self._is_ancestor(links, span, parent):
            span.orphan = PARENT_LOOPS
            links.waiting[span] = parent_id
            return
        self._attach(links, span, parent)

    def settle(self, run: Run, span: Span, listed: bool = True) -> None:
        """After a span's status or times changed: refresh its anomaly row
        and the run's time range. `listed=False` keeps it out of the anomaly
        buckets (a filter excluded it)."""
        if listed:
            run.anomalies.place(span)
        run.see_time(span.start)
        if span.duration is not None:
            run.see_time(span.end)

    def flush(self) -> None:
        """End of a batch: drop adopted spans from run.roots, and moved
        spans from their old parents' children (one pass per list that
        needs it)."""
        dirty, self._dirty = self._dirty, []
        for links in dirty:
            links.dirty = False
            if links.stale_parents:
                for parent in links.stale_parents:
                    if parent.children:
                        parent.children[:] = _unique(c for c in parent.children if c.parent is parent)
                links.stale_parents.clear()
            if links.stale_roots:
                # Keep a root where it last became one, as batch-by-batch
                # reading places it (a span adopted and orphaned again in
                # one batch is listed twice): same tree however fed.
                roots = _unique(r for r in reversed(links.run.roots) if r.parent is None)
                roots.reverse()
                links.run.roots[:] = roots
                links.stale_roots = 0

    # -- parents not written (yet) ---------------------------------------------

    def waits(self, run: Run) -> bool:
        """Whether spans of the run wait for a parent not seen."""
        links = self._runs.get(run.id)
        return links is not None and links.run is run and bool(links.pending)

    def fresh_waits(self, run_ids) -> list[Run]:
        """The runs among `run_ids` where a span began waiting for its
        parent since last asked (each told once)."""
        if not self._fresh:
            return []
        runs = []
        for run_id in [run_id for run_id in self._fresh if run_id in run_ids]:
            links = self._fresh.pop(run_id)
            if self._runs.get(run_id) is links:
                runs.append(links.run)
        return runs

    def unwritten(self, run: Run, only_local: bool = False) -> list[Span]:
        """Placeholders for the parents the run's spans wait for, made up
        (`Span.synthetic`), running from their first child's start: called
        while the source's writer is at work, when a parent not seen is
        most likely one not written yet (OTel exporters write a span when
        it ends: a hung pipeline's root and hung step never are, and its
        run read ✓ ok). Not for a parent in another process (`said_remote`).
        `only_local`: with no writer at work, only for a parent all of
        whose children say it is in their own process (`said_remote`): it had
        not ended when the file was last written (a killed pipeline's
        export read ✓ ok to whoever opened it later). Returns those made;
        the caller files them (`Anomalies.place`) and flushes."""
        links = self._runs.get(run.id)
        if links is None or links.run is not run or not links.pending:
            return []
        made = []
        for parent_id, waiting in list(links.pending.items()):
            said = links.said_remote
            if not isinstance(parent_id, str) or not parent_id \
                    or (said and all(said.get(child) is True for child in waiting)) \
                    or (only_local and not all(said.get(child) is False for child in waiting)):
                continue
            start = min((child.start for child in waiting if child.start is not None), default=None)
            span, _ = self.span(run, parent_id, UNWRITTEN_NAME, UNWRITTEN_KIND)  # adopts them
            span.synthetic = True
            span.start = start
            span.detail = UNWRITTEN_MISSING if only_local else UNWRITTEN_RUNNING
            span.attributes = {"note": UNWRITTEN_NOTE}
            run.synthetic_spans += 1
            links.placeholders[parent_id] = span
            made.append(span)
        return made

    def say_unwritten(self, run: Run, at_work: bool) -> None:
        """The run's placeholders say whether their writer is at work (the
        span may still come) or gone (it never will); one made where no
        writer was at work (`UNWRITTEN_MISSING`) keeps saying so."""
        links = self._runs.get(run.id)
        if links is not None and links.run is run:
            for span in links.placeholders.values():
                if at_work:
                    span.detail = UNWRITTEN_RUNNING
                elif span.detail != UNWRITTEN_MISSING:  # (one no writer was seen at says so)
                    span.detail = UNWRITTEN_GONE

    def _realize(self, links: _RunLinks, span: Span, name: str, kind: str) -> None:
        """A placeholder's span has come: it is that span now, blank for its
        record to fill, its children kept (they name its id)."""
        del links.placeholders[span.id]
        run = links.run
        run.synthetic_spans -= 1
        run.anomalies.running.pop(span.id, None)  # filed again as its record says
        span.synthetic = False
        span.name, span.kind, span.detail = name, kind, ""
        span.status, span.start, span.duration = RUNNING, None, None
        span.attributes = span.input = span.output = span.error = span.events = None
        span.origin = ()

    # -- internals ------------------------------------------------------------

    def _attach(self, links: _RunLinks, child: Span, parent: Span, ordered: bool = True) -> None:
        """Put a root under a parent, keeping siblings in start order
        (unless the caller sorts them afterwards)."""
        siblings = parent.children
        if siblings and parent in links.stale_parents:
            # Children moved away this batch are listed until it ends
            # (`flush`): a child's place must not depend on them, nor so on
            # where the batch ended (a span attached after a sibling moved
            # away went after it read whole, before it followed).
            siblings[:] = _unique(c for c in siblings if c.parent is parent)
            links.stale_parents.discard(parent)
        child.parent = parent
        child.orphan = False
        if links.said_remote:
            links.said_remote.pop(child, None)
        if parent.synthetic and child.start is not None and links.placeholders.get(parent.id) is parent \
                and (parent.start is None or child.start < parent.start):
            # A placeholder runs from its first child's start.
            parent.start = child.start
            if parent.id in links.run.anomalies.running:
                links.run.anomalies.place(parent)
        links.stale_roots += 1
        self._mark(links)
        if siblings is None:
            parent.children = [child]
        elif not ordered or child.start is None or not siblings or (
                siblings[-1].start is not None and siblings[-1].start <= child.start):
            siblings.append(child)
        else:
            siblings.insert(bisect_right(siblings, child.start, key=_start_key), child)

    def _mark(self, links: _RunLinks) -> None:
        if not links.dirty:
            links.dirty = True
            self._dirty.append(links)

    def _detach(self, links: _RunLinks, span: Span) -> None:
        """Make the span a plain root again (not waiting, not orphan)."""
        parent = span.parent
        if parent is not None:
            links.stale_parents.add(parent)
            self._mark(links)
            span.parent = None
            links.run.roots.append(span)
            links.jumps.clear()
        elif span.orphan:
            if links.said_remote:
                links.said_remote.pop(span, None)
            claimed = links.waiting.pop(span, None)
            waiters = links.pending.get(claimed) if claimed is not None else None
            if waiters:
                waiters.pop(span, None)
                if not waiters:
                    del links.pending[claimed]
        span.orphan = False

    def _is_ancestor(self, links: _RunLinks, span: Span, node: Span) -> bool:
        """Is `span` (a root) `node` or one of its ancestors? Walks up with
        path compression, so repeated checks stay cheap."""
        jumps = links.jumps
        path = []
        while node is not span:
            up = jumps.get(node) or node.parent
            if up is None:
                break
            path.append(node)
            node = up
        for visited in path:
            jumps[visited] = node
        return node is span


# -- shared field helpers ------------------------------------------------------

_HEX = re.compile(r"[0-9a-fA-F]+")
_ZERO_ID = re.compile(r"0+")


def norm_id(value: Any) -> str | None:
    """A span/trace id as lowercase hex where it is one: `0x…` (console),
    plain hex (OTLP/JSON), base64 of 8/16 bytes (protobuf's JSON mapping);
    any other string or number is kept as text. Empty / all-zero = None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        return None
    if len(value) in (16, 32) and value.islower() and _HEX.fullmatch(value):
        return None if _ZERO_ID.fullmatch(value) else value  # the usual OTLP case
    text = value.strip()
    if text[:2] in ("0x", "0X") and _HEX.fullmatch(text[2:] or "-"):
        text = text[2:]
    if not text or _ZERO_ID.fullmatch(text):
        return None
    if len(text) in (16, 32) and _HEX.fullmatch(text):
        return text.lower()
    if len(text) in (12, 24) and text[-1] == "=":
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return text
        if len(raw) in (8, 16):
            return raw.hex() if any(raw) else None
    return text


_FRACTION = re.compile(r"\.(\d+)")


def parse_iso(text: str) -> float | None:
    """ISO 8601 → epoch seconds. `Z` and any number of fraction digits are
    accepted on every Python; a time without a zone is UTC (as the SQLite
    decoders read it: the answer must not depend on the viewer's `TZ`)."""
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fixed = text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text
        fixed = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], fixed, count=1)
        try:
            moment = datetime.fromisoformat(fixed)
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return moment.timestamp()
    except (OverflowError, OSError, ValueError):
        return None


def epoch_seconds(value: Any) -> float | None:
    """A time as epoch seconds: a number (seconds, or ms/µs/ns told apart by
    magnitude) or an ISO 8601 string (or a numeric string)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            return parse_iso(text)
    if isinstance(value, (int, float)):
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            return None
        magnitude = abs(number)
        if magnitude >= 1e17:
            return number / 1e9
        if magnitude >= 1e14:
            return number / 1e6
        if magnitude >= 1e11:
            return number / 1e3
        return number
    return None


def _nanos(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        nanos = int(value)
    except (TypeError, ValueError):
        try:
            nanos = int(float(value))
        except (TypeError, ValueError, OverflowError):
            return None
    return nanos if nanos > 0 else None


def nanos_to_seconds(value: Any) -> float | None:
    """OTLP `…TimeUnixNano` (string or int; 0 = unset) → epoch seconds."""
    nanos = _nanos(value)
    return None if nanos is None else nanos / 1e9


def nanos_between(start: Any, end: Any) -> float | None:
    """The seconds between two OTLP `…TimeUnixNano` values, from the
    integers: epoch seconds as floats are only good to ≈240 ns, so a 1 µs
    span's duration taken from them came out as 0.715 µs."""
    a, b = _nanos(start), _nanos(end)
    return None if a is None or b is None else max(0, b - a) / 1e9


def iso_of(seconds: float | None) -> str | None:
    """Epoch seconds as an ISO string (UTC), for event timestamps."""
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, timezone.utc).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


_STATUS_WORDS = {
    "ok": OK, "success": OK, "succeeded": OK, "successful": OK, "completed": OK,
    "complete": OK, "done": OK, "finished": OK, "passed": OK, "unset": OK,
    "error": ERROR, "failed": ERROR, "failure": ERROR, "fail": ERROR, "errored": ERROR,
    "exception": ERROR,
    "running": RUNNING, "started": RUNNING, "in_progress": RUNNING, "pending": RUNNING,
    "open": RUNNING, "active": RUNNING,
    "cancelled": CANCELLED, "canceled": CANCELLED, "aborted": CANCELLED, "interrupted": CANCELLED,
    "timeout": TIMEOUT, "timed_out": TIMEOUT, "timedout": TIMEOUT,
}


def status_word(value: Any) -> str | None:
    """A status word (any case; `STATUS_CODE_ERROR`, `StatusCode.OK`,
    `success`, `failed`, …) → a model status, or None if unknown."""
    if not isinstance(value, str):
        return None
    word = value.strip().lower().replace("-", "_").replace(" ", "_")
    for prefix in ("status_code_", "statuscode.", "status."):
        if word.startswith(prefix):
            word = word[len(prefix):]
    return _STATUS_WORDS.get(word)


def error_from(value: Any) -> dict[str, Any] | None:
    """An `error` field (a string, or an object with message/type/stacktrace
    under common names) → the model's {"message", "type", "stacktrace"}."""
    if value is None or value is False or value == "":
        return None
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, names in (("message", ("message", "msg", "error", "description", "detail")),
                           ("type", ("type", "error_type", "exception_type", "name", "kind")),
                           ("stacktrace", ("stacktrace", "stack_trace", "traceback", "stack"))):
            for name in names:
                if value.get(name) not in (None, ""):
                    item = value[name]
                    out[key] = item if isinstance(item, str) else json.dumps(item, default=str)
                    break
        if not out:
            out["message"] = json.dumps(value, default=str)
        return out
    if value is True:
        return {"message": "error"}
    return {"message": value if isinstance(value, str) else json.dumps(value, default=str)}


def compact_json(value: Any) -> str:
    """One-line JSON text of a value (event attributes in a message)."""
    try:
        return orjson.dumps(value, default=str).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, default=str, ensure_ascii=False)


def maybe_json(value: Any, mime: Any = None) -> Any:
    """A string that holds JSON (said by its mime type, or looking like an
    object/array) parsed; anything else unchanged."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    declared = isinstance(mime, str) and "json" in mime.lower()
    if declared or (text[:1] in ("{", "[") and text[-1:] in ("}", "]")):
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            return value
    return value


# -- OpenInference -------------------------------------------------------------

_MESSAGE_KEY = re.compile(r"llm\.(input|output)_messages\.(\d+)\.message\.(.+)")
_TOOL_CALL_KEY = re.compile(r"tool_calls\.(\d+)\.tool_call\.(.+)")
_CONTENT_KEY = re.compile(r"contents\.(\d+)\.message_content\.(.+)")


def _messages(parts: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """Flattened message attributes → OpenAI-style messages, in index order."""
    messages = []
    for index in sorted(parts):
        fields = parts[index]
        message: dict[str, Any] = {}
        calls: dict[int, dict[str, Any]] = {}
        contents: dict[int, dict[str, Any]] = {}
        for rest, value in fields.items():
            call = _TOOL_CALL_KEY.fullmatch(rest)
            if call:
                entry = calls.setdefault(int(call.group(1)), {})
                field = call.group(2)
                if field.startswith("function."):
                    entry.setdefault("function", {})[field[len("function."):]] = value
                else:
                    entry[field] = value
                continue
            part = _CONTENT_KEY.fullmatch(rest)
            if part:
                field = part.group(2)
                if field.startswith("image.image.url"):
                    field = "image_url"
                contents.setdefault(int(part.group(1)), {})[field] = value
                continue
            message[rest] = value
        if contents and "content" not in message:
            message["content"] = [contents[k] for k in sorted(contents)]
        if calls:
            message["tool_calls"] = [dict(calls[k], type="function") if "function" in calls[k] else calls[k]
                                     for k in sorted(calls)]
        messages.append(message)
    return messages


def openinference(attributes: dict[str, Any]) -> tuple[Any, Any, str | None]:
    """Pull OpenInference input/output out of a span's attributes (removing
    the keys used): returns (input, output, span kind or None). Chat messages
    (`llm.input_messages.N.message.*`) win over `input.value`."""
    if not attributes:
        return None, None, None
    kind = attributes.get("openinference.span.kind")
    kind = kind.lower() if isinstance(kind, str) and kind else None
    inputs: dict[int, dict[str, Any]] = {}
    outputs: dict[int, dict[str, Any]] = {}
    used = []
    for key, value in attributes.items():
        if key.startswith("llm.") and "_messages." in key:
            match = _MESSAGE_KEY.fullmatch(key)
            if match:
                target = inputs if match.group(1) == "input" else outputs
                target.setdefault(int(match.group(2)), {})[match.group(3)] = value
                used.append(key)
    input_value: Any = None
    output_value: Any = None
    if inputs:
        input_value = _messages(inputs)
    elif "input.value" in attributes:
        input_value = maybe_json(attributes["input.value"], attributes.get("input.mime_type"))
        used.append("input.value")
    if outputs:
        output_value = _messages(outputs)
    elif "output.value" in attributes:
        output_value = maybe_json(attributes["output.value"], attributes.get("output.mime_type"))
        used.append("output.value")
    for key in used:
        del attributes[key]
    return input_value, output_value, kind


# -- JSON objects back to back -------------------------------------------------

_NEXT_OBJECT = re.compile(r"\n[{\[]")


def iter_documents(text: str) -> Iterator[tuple[int, Any, bool]]:
    """Split JSON values written back to back (pretty-printed or not,
    separated by whitespace or nothing) with `raw_decode` in a loop.
    Yields (char offset, value, ok); an unparseable stretch yields
    (offset, None, False) once and the scan resumes at the next line that
    starts (in column 0) an object or array."""
    decoder = json.JSONDecoder()
    size = len(text)
    pos = 0
    while True:
        while pos < size and text[pos] in " \t\r\n\ufeff":
            pos += 1
        if pos >= size:
            return
        try:
            value, end = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError):
            yield pos, None, False
            found = _NEXT_OBJECT.search(text, pos + 1)
            if found is None:
                return
            pos = found.start() + 1
            continue
        yield pos, value, True
        pos = end


def _cut_at_the_end(text: str, offset: int) -> bool:
    """Is the JSON value from `offset` whole but for the end of the text
    (a record its writer is still writing), rather than bad before it?"""
    try:
        json.JSONDecoder().raw_decode(text, offset)
    except json.JSONDecodeError as exc:
        # A string open at the end is said where it opens: raw line breaks
        # would have been refused before the end.
        return exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
    except (ValueError, RecursionError):
        return False
    return False


def line_number(text: str, offset: int) -> int:
    """1-based line number of a char offset (for the first-bad-line note)."""
    return text.count("\n", 0, offset) + 1


def run_name(root_name: str, service: Any) -> str:
    """`root span (service)`, or whichever of the two is known."""
    if root_name and isinstance(service, str) and service:
        return f"{root_name} ({service})"
    return root_name or (service if isinstance(service, str) else "")


def is_multiline_json(head: bytes) -> bool:
    """Does the file hold JSON spread over lines (pretty-printed objects or an
    array), rather than one JSON value per line? Only if its first line is
    JSON, or JSON's beginning (`opens_json`): a wrapper's banner starting
    with `[` (`[wrapper] starting`, `[INFO] ...`) made a JSONL file one
    document, read as one bad line, the lines after it not counted (QA)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] not in (b"[", b"{"):
        return False
    first, newline, _ = text.partition(b"\n")
    whole = bool(newline)
    if not opens_json(first, whole):
        return False
    if text[:1] == b"[":
        return True
    # A pretty-printed object's first line opens something and stays open.
    # Known once that line is whole: a JSONL file's first record, half
    # written, stays open too where it is cut.
    return whole and first.rstrip()[-1:] in (b"{", b"[", b",")


#: How much of a first line `opens_json` parses: enough to tell a banner
#: from JSON; a longer line (a one-line document) is judged by its start.
OPENS_JSON_MAX = 64 * 1024
#: How a JSON value cut short at the end of what was read may end: in a
#: string, a number or a literal begun.
_CUT_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*\\?|-?\d*\.?\d*(?:[eE][-+]?\d*)?|t(?:r(?:ue?)?)?|f(?:a(?:l(?:se?)?)?)?|n(?:u(?:ll?)?)?')
_JSON = json.JSONDecoder()


def opens_json(line: bytes, whole: bool = True) -> bool:
    """Is a file's first line JSON, or the beginning of JSON that goes on
    past it (`[` alone, `[{"a": 1},`)? Not a line of text that starts as
    JSON does: `[wrapper] starting`. `whole`: the line's end was read (a
    newline follows it); if not, it may also stop in a string, a number or
    a literal, still being written or cut by the head."""
    if len(line) > OPENS_JSON_MAX:
        line, whole = line[:OPENS_JSON_MAX], False
    text = line.decode("utf-8", errors="replace").lstrip("\ufeff \t\r").rstrip()
    try:
        _, end = _JSON.raw_decode(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text):
            return True  # it stops where the line does: the JSON goes on
        # (A whole line cannot stop in a token: no JSON token spans lines.)
        return not whole and _CUT_TOKEN.fullmatch(text, exc.pos) is not None
    except RecursionError:
        return True  # nested deeper than Python parses: JSON nonetheless
    rest = text[end:].lstrip()
    return not rest or rest[:1] in ("{", "[")  # values back to back, or one value


# -- decoder base ----------------------------------------------------------------

#: What a hostile record can raise while being read; it is skipped and counted.
RECORD_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError,
                 OverflowError, RecursionError)


class SpanDecoder:
    """Bookkeeping shared by the span-id decoders: counts, bad-line notes,
    the runs this source made (dropped on reset), the `--filter` option, and
    the two ways records arrive (lines, or one document of objects back to
    back). Subclasses set `format` and implement `record(rec, locator)`,
    which returns how many items inside the record were unusable (0 = all
    fine) and raises one of RECORD_ERRORS for a record that is unusable."""

    format = ""

    def __init__(self, store: Store, path: str, message_filter: str | None = None,
                 **options: Any) -> None:
        self.store = store
        self.path = path
        self.linker = SpanLinker.for_store(store)
        self.filter = message_filter.lower() if message_filter else None
        self.run_ids: set[str] = set()
        self.skipped = 0
        self.first_bad_line: int | None = None
        #: A document of records back to back that its writer may still be
        #: writing (`DocumentSource`): a last record cut at its end waits.
        self.may_grow = False
        #: The one line its document's last reading left to say, or None.
        self.note: str | None = None
        #: Its skipped lines before the first record, kept apart (a banner
        #: a wrapper script printed into the file is no damage; it read
        #: `skipped 2 bad line(s)`, as Inspect logs no longer do).
        self.lead = Lead()
        self.records = 0
        self._line_no = 0
        #: Its writer was seen at work when last told (`see_writer`): a
        #: parent its spans name and it has not written gets a placeholder.
        self.writer_at_work = False

    def set_path(self, path: str) -> None:
        self.path = path
        for run_id in self.run_ids:
            run = self.store.runs.get(run_id)
            if run is not None:
                run.source = path
                self.store.touch(run_id)  # views name the new file

    def reset(self) -> None:
        """The source was replaced: forget everything it said."""
        self.store.drop_runs(self.run_ids)
        self.linker.forget(self.run_ids)
        for run_id in self.run_ids:
            said = self.linker.writers.get(run_id)
            if said is not None:
                said.pop(id(self), None)
                if not said:
                    del self.linker.writers[run_id]
        self.run_ids = set()
        self.skipped = self.records = self._line_no = 0
        self.first_bad_line = None
        self.lead = Lead()
        self.writer_at_work = False  # told again at the next look (the file was replaced)

    def has_open_spans(self) -> bool:
        """Whether a run of this source has spans still open, or spans
        whose parent it has not written (an OTel exporter's hung root)."""
        runs, waits = self.store.runs, self.linker.waits
        return any(run is not None and (run.anomalies.running or waits(run))
                   for run in map(runs.get, self.run_ids))

    def _hold_places(self, runs, only_local: bool = False) -> bool:
        """Placeholders for the parents the spans of `runs` name and this
        source has not written (`SpanLinker.unwritten`; `only_local`: those
        its spans say are in their process), filed as running (unless
        `--filter` leaves them out); True if one was made."""
        made = False
        for run in runs:
            for span in self.linker.unwritten(run, only_local):
                if self.listed(span):
                    run.anomalies.place(span, fresh=True)
                self.store.touch(run.id)
                made = True
        return made

    def _end_batch(self) -> None:
        """After a batch of records: while the writer is at work, the
        parents newly waited for get their placeholders at once (a new
        trace's read ✓ ok until the next look at the writer); then the
        lists are tidied (`SpanLinker.flush`)."""
        fresh = self.linker.fresh_waits(self.run_ids)
        if fresh:
            self._hold_places(fresh, only_local=not self.writer_at_work)
        self.linker.flush()

    def see_writer(self, live: bool, seen: bool, since: float | None = None) -> bool:
        """Say what the source knows of its writer on the runs it may be
        writing, those with spans open: `live`, and `seen` (a process here
        holds the file open for writing), so their hung spans age to now
        (`clock.as_of`) and freeze, as lower bounds, once it is gone; a
        JSONL run's hung span read `≥0µs` while its pipeline ran (QA). True,
        and the runs touched, if one changed.

        Seen at work, the parents its spans name and it has not written get
        placeholders, running (`SpanLinker.unwritten`): an OTel exporter
        writes a span when it ends, so a hung pipeline's run read ✓ ok, its
        root and hung step nowhere (QA). A file never seen written live (an
        export, a copy) keeps its orphans as roots.

        `since`: when the writer seen started (`writers.writer_since`); a
        run last written before then is not its (`clock.written_before`)."""
        changed = False
        claims = self.linker.writers
        self.writer_at_work = at_work = live and seen
        for run_id in self.run_ids:
            run = self.store.runs.get(run_id)
            if run is None:
                continue
            # Not the writer's: its orphans stay roots, as in a file not live.
            before = seen and written_before(last_written(run), since)
            # (Not at work: the parents its spans say are local got theirs
            # as the spans came, `_end_batch`.)
            if at_work and not before and self._hold_places((run,)):
                changed = True
            run_live = live and bool(run.anomalies.running) and not before
            # Live while any file it is written to is: a run of two
            # processes' files, or rotated to a second file, flapped between
            # `●` and "gone" each second, as each source said its own (QA).
            # Only live claims are kept (a file of 10,000 finished traces
            # holds none).
            said = claims.get(run_id)
            if run_live:
                if said is None:
                    said = claims[run_id] = {}
                said[id(self)] = seen
            elif said is not None:
                said.pop(id(self), None)
                if not said:
                    del claims[run_id]
                    said = None
            run_live = said is not None
            run_seen = run_live and any(said.values())
            if run_live and seen:
                run.writer_verified = time.monotonic()  # its writer at work at this look
            if run.live != run_live or run.writer_seen != run_seen:
                run.live, run.writer_seen = run_live, run_seen
                self.linker.say_unwritten(run, run_live and run_seen)
                self.store.touch(run_id)
                changed = True
        if changed:
            self.linker.flush()
        return changed

    def bad(self, line_no: int, whole: bool = True) -> None:
        """Line `line_no` (of a line source; of a document, the line its
        item is on) was skipped, or, not `whole`, some items of its record."""
        self.skipped += 1
        if self.first_bad_line is None:
            self.first_bad_line = line_no
        if whole:
            self.lead.bad(line_no)

    @property
    def skipped_before_records(self) -> int:
        """Of `skipped`, the lines before the first record (a line
        source's only: a document's items are not lines)."""
        return self.lead.before_records(self._line_no)

    @property
    def first_bad_after_records(self) -> int | None:
        return self.lead.first_after

    def run(self, run_id: str) -> Run:
        self.run_ids.add(run_id)
        return self.store.run(run_id, self.path, self.format)

    def listed(self, span: Span) -> bool:
        """Does `--filter` (a substring of name or kind) keep this span in
        the anomaly buckets?"""
        return self.filter is None or self.filter in span.name.lower() or self.filter in span.kind.lower()

    def _one(self, rec: Any, locator: Any, line_no: int) -> None:
        try:
            if self.record(rec, locator):
                self.bad(line_no, whole=False)
        except RECORD_ERRORS:
            self.bad(line_no)

    def feed(self, lines: list[tuple[int, bytes]]) -> None:
        try:
            for offset, line in lines:
                self._line_no += 1
                if not line.strip():
                    self.lead.blank(self._line_no)
                    continue
                try:
                    rec = loads(line)
                except ValueError:
                    self.bad(self._line_no)
                    continue
                self._one(rec, offset, self._line_no)
        finally:
            self._end_batch()

    def feed_document(self, data: bytes) -> None:
        """Objects back to back (or one object, or an array of them); the
        locator of each record is its character offset in the text."""
        text = data.decode("utf-8", errors="replace")
        line_no, counted = 1, 0
        self.note = None
        try:
            for offset, value, ok in iter_documents(text):
                line_no += text.count("\n", counted, offset)
                counted = offset
                if not ok and self.may_grow and _NEXT_OBJECT.search(text, offset + 1) is None \
                        and _cut_at_the_end(text, offset):
                    # The exporter is writing it (an indented span written a
                    # few lines at a time): not a bad record, not read yet
                    # (QA: "1 skipped (first at line 25)" until it was whole).
                    self.note = f"{self.path}: its last record is still being written: not read"
                elif not ok:
                    self.bad(line_no)
                elif isinstance(value, list) and not self.is_record(value):
                    for index, item in enumerate(value):
                        self._one(item, (offset, index), line_no)
                else:
                    self._one(value, offset, line_no)
        finally:
            self._end_batch()

    def is_record(self, value: Any) -> bool:
        """A document value that is one record (as opposed to a list of them)."""
        return isinstance(value, dict)

    def record(self, rec: Any, locator: Any) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def raw(self, locator: Any) -> str | None:
        """The raw text of a record from a document source: by char offset,
        or (offset of an array, index in it)."""
        index = None
        if isinstance(locator, tuple) and len(locator) == 2:
            locator, index = locator
        if not isinstance(locator, int) or isinstance(locator, bool):
            return None
        from tracetui.sources.lines import read_all

        try:
            data, _ = read_all(self.path)
        except OSError:
            return None
        text = data.decode("utf-8", errors="replace")
        try:
            value, end = json.JSONDecoder().raw_decode(text, locator)
        except (ValueError, RecursionError):
            return None
        if index is None:
            return text[locator:end]
        if not isinstance(value, list) or not 0 <= index < len(value):
            return None
        return json.dumps(value[index], indent=2, ensure_ascii=False)


def first_document(head: bytes) -> tuple[bool, Any]:
    """Parse the first JSON value of a file head: (True, value), or
    (False, None) when the head cuts it off or it is not JSON."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    try:
        value, _ = json.JSONDecoder().raw_decode(text)
    except (ValueError, RecursionError):
        return False, None
    return True, value
