"""Native span JSONL: one span per line, the format to write by hand or from any program.

Format
------

One JSON object per line (UTF-8). Only `span_id` is required:

    {"trace_id": "run-42", "span_id": "1", "parent_id": null, "name": "pipeline",
     "type": "chain", "start_time": 1718000000.0, "status": "running"}
    {"trace_id": "run-42", "span_id": "2", "parent_id": "1", "name": "llm call",
     "type": "llm", "start_time": "2024-06-10T06:13:20.5Z", "end_time": "2024-06-10T06:13:22Z",
     "input": [{"role": "user", "content": "hi"}], "output": "hello",
     "metadata": {"model": "gpt-4o", "tokens": 12}}
    {"trace_id": "run-42", "span_id": "1", "end_time": 1718000003.2, "status": "ok"}

| field | meaning |
|---|---|
| `span_id` | the span's id (string or integer), unique within its trace. Required. |
| `trace_id` | the run the span belongs to. Absent: one run per file, named after the file. |
| `parent_id` | the parent span's id; `null`/absent = a root. The parent may come later in the file; a parent that never comes leaves the span at the top of its run, marked orphan. |
| `name` | what the span did. |
| `type` (or `kind`) | its kind: `llm`, `tool`, `agent`, `chain`… (free text). |
| `start_time`, `end_time` | epoch seconds as numbers (milliseconds, microseconds and nanoseconds are recognised by their size), numeric strings, or ISO 8601 strings (`Z` or an offset; without one, UTC). |
| `duration` | seconds; used when there is no `end_time`. |
| `status` | `ok`, `error`, `running`, `cancelled`, `timeout` (any case; also `success`/`completed`/`done` → ok, `failed`/`failure` → error, `canceled`/`aborted` → cancelled, `timed_out` → timeout). Absent: `running` while there is no end time, else `error` if `error` is set, else `ok`. |
| `input`, `output` | any JSON; a list of `{"role", "content", "tool_calls"}` messages is shown as a conversation. |
| `metadata`, `attributes` | objects, merged into the span's attributes. |
| `error` | a string, or `{"message", "type", "stacktrace"}`. |
| `events` | optional list of `{"name" or "message", "time" or "timestamp", "level", "attributes"}`. |
| anything else | kept as an attribute. |

Updates: a later line with the same `span_id` (in the same trace) updates
that span. Fields present in the later line win; absent fields keep their
values (`metadata`/`attributes` are merged; `events` are appended). So a
writer can emit a span when it opens (no `end_time`: it shows as running)
and again when it closes. A line without `trace_id` updates the span of
that id in the trace it was seen in (if two traces use that id, it is
skipped: it does not say which it updates). Once closed, a span stays closed: an
open copy written after the close (or a close written before its open)
does not make it running again.

A pretty-printed JSON array of such objects (or objects back to back) is
read too, as a whole document.
"""

from __future__ import annotations

import math
import os
from typing import Any

from tracetui.formats import DocumentFormat, LineFormat
from tracetui.formats.spanbuild import (
    SpanDecoder, compact_json, epoch_seconds, error_from, first_document, is_multiline_json, iso_of,
    status_word,
)
from tracetui.model import ERROR, OK, RUNNING, Event, Span

FORMAT = "native"
#: How many statuses not understood are said, each in a note; then one
#: note says there are more (a hostile file may hold thousands).
STATUS_NOTES_MAX = 10
#: Fields with a meaning; every other key of a record becomes an attribute.
KNOWN = frozenset((
    "span_id", "trace_id", "parent_id", "name", "type", "kind", "start_time", "end_time",
    "duration", "status", "input", "output", "metadata", "attributes", "error", "error_type",
    "stacktrace", "events",
))
_ID_KEYS = ("trace_id", "name", "parent_id", "start_time", "end_time", "status", "type")


def looks_like(record: Any) -> bool:
    """A native span: `span_id` plus one of the span fields, and none of the
    shapes other formats use (console `context`, OTLP `resourceSpans`,
    Inspect `timestamp`/`level`/`message`)."""
    return (isinstance(record, dict) and "span_id" in record
            and any(k in record for k in _ID_KEYS)
            and "context" not in record and "resourceSpans" not in record
            and not ("timestamp" in record and "level" in record and "message" in record))


def _native_id(value: Any) -> str | None:
    """Ids are taken as written (no hex normalising), numbers as text."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value if value.strip() else None
    raise ValueError("id must be a string or a number")


def _time(rec: dict, key: str) -> float | None:
    """A time field; a value that is present but not a time makes the
    record bad (so it is counted), rather than silently dropped."""
    value = rec.get(key)
    if value is None:
        return None
    seconds = epoch_seconds(value)
    if seconds is None:
        raise ValueError(f"{key} is not a time")
    return seconds


class NativeDecoder(SpanDecoder):
    """Feeds native span lines into one run per trace id."""

    format = FORMAT

    def __init__(self, store, path: str, **options: Any) -> None:
        super().__init__(store, path, **options)
        self.file_run_id = _file_run_id(path)
        #: run id → the root span it is named after.
        self.rooted: dict[str, Span] = {}
        #: Statuses met that are none of ours, said once each (`new_notes`).
        self.statuses_not_understood: set[str] = set()
        #: Notes for its source to take (`LineSource._take_decoder_notes`).
        self.new_notes: list[str] = []
        self._init_updates()

    def _init_updates(self) -> None:
        #: span id → the trace it was first seen in (None: in several), so a
        #: later line that names only the span (`{"span_id", "output"}`)
        #: updates it instead of opening a run of its own.
        self.trace_of: dict[str, str | None] = {}
        #: spans whose end came before their start (a close written before
        #: its open): the end, until the start is known.
        self.early_end: dict[Span, float] = {}

    def reset(self) -> None:
        super().reset()
        self.rooted = {}
        self._init_updates()

    def record(self, rec: Any, locator: Any) -> int:
        if not isinstance(rec, dict) or "span_id" not in rec:
            raise ValueError("not a native span")
        span_id = _native_id(rec["span_id"])
        if span_id is None:
            raise ValueError("span without an id")
        trace_id = _native_id(rec.get("trace_id"))
        if trace_id is None:
            seen_in = self.trace_of.get(span_id, "")
            if seen_in is None and "name" not in rec:
                # An update of a span whose id two traces use: which one it
                # closes it does not say. Skipped and counted, not made a
                # span of its own in a run named after the file (QA: a run
                # `reuse` of one span `✗ root —`, neither trace closed).
                raise ValueError("an update naming no trace, of a span id two traces use")
            trace_id = seen_in or self.file_run_id
        elif self.trace_of.setdefault(span_id, trace_id) != trace_id:
            self.trace_of[span_id] = None  # in two traces: an update must name its trace
        start = _time(rec, "start_time") if "start_time" in rec else None
        end = _time(rec, "end_time") if "end_time" in rec else None
        duration = rec.get("duration")
        if duration is not None:
            if isinstance(duration, bool) or not isinstance(duration, (int, float, str)):
                raise ValueError("duration")
            duration = float(duration)
            if not math.isfinite(duration):
                duration = None

        self.records += 1
        run = self.run(trace_id)
        span, created = self.linker.span(run, span_id)
        if "name" in rec:
            span.name = rec["name"] if isinstance(rec["name"], str) else str(rec["name"])
            if self.rooted.get(run.id) is span:
                # Renamed as it closes (QA: the run kept `draft-name` beside
                # its root's `final-name`).
                run.name = span.name or run.id
        elif created:
            span.name = span_id
        kind = rec.get("type", rec.get("kind"))
        if kind is not None:
            span.kind = kind if isinstance(kind, str) else str(kind)

        # Times: keep the end fixed when only the start moves.
        ended = False
        if "start_time" in rec or "end_time" in rec or duration is not None:
            old_end = span.end
            if "start_time" in rec:
                span.start = start
            if "end_time" not in rec:
                end = old_end if old_end is not None else self.early_end.get(span)
            if end is not None and span.start is not None:
                self.early_end.pop(span, None)
                span.duration = max(0.0, end - span.start)
                ended = True
            elif duration is not None:
                span.duration = max(0.0, duration)
                ended = True
            elif "end_time" in rec:
                span.duration = None
            ended = ended or (end is not None)
            if end is not None and span.start is None:
                run.see_time(end)
                self.early_end[span] = end

        if "input" in rec:
            span.input = rec["input"]
        if "output" in rec:
            span.output = rec["output"]
        self._attributes(span, rec)
        self._error(span, rec)
        self._events(span, rec)

        explicit = status_word(rec.get("status"))
        closed = span.status != RUNNING and (span.duration is not None or span in self.early_end)
        if explicit == RUNNING and closed and "end_time" not in rec and duration is None:
            # The open copy of a span already closed (written late, or sent
            # again): the completed one wins, as for SGP.
            explicit = span.status
        if explicit is not None:
            span.status = explicit
        elif "status" in rec and rec["status"] is not None:
            # A status we do not know: keep the word, go by the times.
            span.attributes = dict(span.attributes or {}, status=rec["status"])
            word = str(rec["status"])[:40]
            known = self.statuses_not_understood
            if word not in known and len(known) <= STATUS_NOTES_MAX:
                # Said once, as a database's is (QA: `WEIRD` read ok, silently).
                known.add(word)
                self.new_notes.append(
                    f"{self.path}: status '{word}' not understood; read by its times (ended: ok, else running; "
                    "an error: error)" if len(known) <= STATUS_NOTES_MAX else
                    f"{self.path}: more statuses not understood (the first {STATUS_NOTES_MAX} are said)")
        if explicit is None:
            if created or span.status == RUNNING:
                # Opening, or closing an open span: go by the times and error.
                if span.error and (ended or "error" in rec):
                    span.status = ERROR
                else:
                    span.status = OK if ended or span.duration is not None else RUNNING
            elif span.error and "error" in rec:
                span.status = ERROR

        if not span.origin or span.origin[-1] != locator:
            span.origin += (locator,)
        if "parent_id" in rec or created:
            parent_id = _native_id(rec.get("parent_id"))
            self.linker.link(run, span, parent_id)
            if parent_id is None and (run.id not in self.rooted or run.name == run.id):
                self.rooted[run.id] = span
                run.name = span.name or run.id
        self.linker.settle(run, span, self.listed(span))
        return 0

    @staticmethod
    def _attributes(span, rec: dict) -> None:
        merged = None
        for key in ("metadata", "attributes"):
            value = rec.get(key)
            if isinstance(value, dict):
                merged = merged or {}
                merged.update(value)
            elif value is not None:
                merged = merged or {}
                merged[key] = value
        for key, value in rec.items():
            if key not in KNOWN:
                merged = merged or {}
                merged[key] = value
        if merged:
            span.attributes = dict(span.attributes, **merged) if span.attributes else merged

    @staticmethod
    def _error(span, rec: dict) -> None:
        if "error" in rec:
            span.error = error_from(rec["error"])
        for key, field in (("error_type", "type"), ("stacktrace", "stacktrace")):
            value = rec.get(key)
            if isinstance(value, str) and value:
                span.error = dict(span.error or {}, **{field: value})

    @staticmethod
    def _events(span, rec: dict) -> None:
        events = rec.get("events")
        if not isinstance(events, list):
            return
        for event in events:
            if not isinstance(event, dict):
                continue
            when = event.get("time", event.get("timestamp"))
            if isinstance(when, (int, float)) and not isinstance(when, bool):
                when = iso_of(epoch_seconds(when))
            text = event.get("name", event.get("message", ""))
            text = text if isinstance(text, str) else str(text)
            attrs = event.get("attributes")
            if attrs:
                text += " " + compact_json(attrs)
            level = event.get("level")
            if span.events is None:
                span.events = []
            span.events.append(Event(when, level if isinstance(level, str) else "EVENT", text, None))


def _file_run_id(path: str) -> str:
    name = os.path.basename(path)
    for suffix in (".gz", ".jsonl", ".ndjson", ".json", ".log"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name or "spans"


def _sniff_lines(records: list[Any]) -> bool:
    return any(looks_like(r) for r in records)


def _sniff_document(head: bytes) -> bool:
    """A pretty-printed array of native spans, or such objects back to back."""
    if not is_multiline_json(head):
        return False
    parsed, value = first_document(head)
    if not parsed:
        return False
    if isinstance(value, list):
        return bool(value) and looks_like(value[0])
    return looks_like(value)


LINE_FORMATS = [LineFormat(FORMAT, _sniff_lines, NativeDecoder)]
DOCUMENT_FORMATS = [DocumentFormat(FORMAT, _sniff_document, NativeDecoder)]
