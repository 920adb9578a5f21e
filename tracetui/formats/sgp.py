"""SGP span exports: span records as the `scale-gp-beta` tracing SDK sends them (`PUT /v5/spans/batch`).

A record: `id`, `trace_id`, `parent_id`, `name`, `start_timestamp`,
`end_timestamp` (ISO, `+00:00`), `input`, `output`, `metadata`, `status`
(`SUCCESS`/`ERROR`/`CANCELED`), `type` (`TRACER` for roots by default,
`STANDALONE`, `COMPLETION`, ...), sometimes `group_id`. They arrive one per
line, or as the request bodies `{"items": [...]}` (one per line, or
pretty-printed), or as a JSON array.

The SDK queues a span when it starts and again when it ends, and both copies
may be exported (the in-progress one has no `end_timestamp`), in either
order across batches. One span per (trace_id, id): a completed copy always
wins over an in-progress one; between two copies of the same kind the later
one wins (SGP's "newest version"). A span with no completed copy is running.
Errors are recorded in `metadata` (`error`, `error_type`, `error_message`,
`error_category`) and become the span's error. Linking (parents arriving
after children, orphans, cycles) is spanbuild's SpanLinker.
"""

from __future__ import annotations

from typing import Any

from tracetui.formats import DocumentFormat, LineFormat
from tracetui.formats.spanbuild import (
    SpanDecoder, epoch_seconds, first_document, is_multiline_json, status_word,
)
from tracetui.model import CANCELLED, ERROR, OK, RUNNING

FORMAT = "sgp"

_STATUS = {"SUCCESS": OK, "ERROR": ERROR, "CANCELED": CANCELLED, "CANCELLED": CANCELLED}
#: metadata keys the SDK's `set_error` writes; they become `span.error`.
_ERROR_KEYS = ("error", "error_type", "error_message")
#: Top-level record fields kept as attributes (prefixed, so they never
#: collide with user metadata).
_EXTRA_FIELDS = ("group_id", "application_interaction_id", "application_variant_id",
                 "expected", "obs_trace_id", "obs_span_id")


def looks_like(record: Any) -> bool:
    """One SGP span record."""
    return (isinstance(record, dict) and "id" in record and "trace_id" in record
            and "start_timestamp" in record)


def looks_like_batch(record: Any) -> bool:
    """A `{"items": [...]}` request body whose first item is a span record."""
    if not isinstance(record, dict):
        return False
    items = record.get("items")
    return isinstance(items, list) and bool(items) and looks_like(items[0])


def _text_id(value: Any) -> str | None:
    """SGP ids are free text (UUIDs by default); keep them as given."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value
    return None


def _payload(value: Any) -> Any:
    """input/output: the SDK sends `{}` when unset; show nothing then."""
    if value is None or value == {} or value == "":
        return None
    return value


def _error(metadata: dict[str, Any], failed: bool) -> dict[str, Any] | None:
    """The span's error from the metadata the SDK's set_error writes."""
    flag = metadata.get("error")
    message = metadata.get("error_message")
    kind = metadata.get("error_type")
    if not (failed or flag or message or kind):
        return None
    error: dict[str, Any] = {}
    if message not in (None, ""):
        error["message"] = message if isinstance(message, str) else str(message)
    elif isinstance(flag, str) and flag:
        error["message"] = flag
    if kind not in (None, ""):
        error["type"] = kind if isinstance(kind, str) else str(kind)
    category = metadata.get("error_category")
    if category not in (None, ""):
        error["category"] = category
    if "message" not in error:
        error["message"] = error.get("type") or "error"
    return error


class SgpDecoder(SpanDecoder):
    """Feeds SGP span records into one run per trace id."""

    format = FORMAT

    def is_record(self, value: Any) -> bool:
        return looks_like(value) or looks_like_batch(value)

    def record(self, rec: Any, locator: Any) -> int:
        if looks_like(rec):
            self._span(rec, locator)
            return 0
        if isinstance(rec, dict) and isinstance(rec.get("items"), list):
            bad = 0
            for item in rec["items"]:
                try:
                    if not looks_like(item):
                        raise ValueError("not an SGP span")
                    self._span(item, locator)
                except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
                    bad += 1
            return bad
        raise ValueError("not an SGP span record")

    def _span(self, rec: dict[str, Any], locator: Any) -> None:
        trace_id = _text_id(rec.get("trace_id"))
        span_id = _text_id(rec.get("id"))
        if trace_id is None or span_id is None:
            raise ValueError("span without ids")
        start = epoch_seconds(rec.get("start_timestamp"))
        end = epoch_seconds(rec.get("end_timestamp"))
        completed = end is not None
        self.records += 1
        run = self.run(trace_id)
        span, created = self.linker.span(run, span_id)
        if not created and not completed and span.status != RUNNING:
            # An in-progress copy arriving after the completed one: keep the
            # completed one, remember only where this copy was.
            if locator not in span.origin:
                span.origin += (locator,)
            return
        name = rec.get("name")
        span.name = name if isinstance(name, str) else ("" if name is None else str(name))
        kind = rec.get("type")
        span.kind = kind if isinstance(kind, str) else ""
        span.start = start
        span.duration = max(0.0, end - start) if completed and start is not None else None
        metadata = rec.get("metadata")
        metadata = dict(metadata) if isinstance(metadata, dict) else {}
        raw_status = rec.get("status")
        status = _STATUS.get(raw_status.upper()) if isinstance(raw_status, str) else None
        if status is None:
            status = status_word(raw_status) or OK
        span.error = _error(metadata, status == ERROR)
        if status == OK and metadata.get("error") is True:
            status = ERROR
        span.status = status if completed else RUNNING
        for key in _ERROR_KEYS:
            metadata.pop(key, None)
        for key in _EXTRA_FIELDS:
            if rec.get(key) not in (None, "", {}):
                metadata[f"sgp.{key}"] = rec[key]
        span.attributes = metadata or None
        span.input = _payload(rec.get("input"))
        span.output = _payload(rec.get("output"))
        if locator not in span.origin:
            span.origin += (locator,)
        parent_id = _text_id(rec.get("parent_id"))
        self.linker.link(run, span, parent_id)
        if parent_id is None:
            run.name = span.name or run.id
            group = rec.get("group_id")
            if isinstance(group, str) and group:
                run.attributes["group_id"] = group
        self.linker.settle(run, span, self.listed(span))


def _sniff_lines(records: list[Any]) -> bool:
    return any(looks_like(r) or looks_like_batch(r) for r in records)


def _sniff_document(head: bytes) -> bool:
    """Pretty-printed request bodies or spans, or a JSON array of spans."""
    if not is_multiline_json(head):
        return False
    parsed, value = first_document(head)
    if parsed:
        if isinstance(value, list):
            return bool(value) and (looks_like(value[0]) or looks_like_batch(value[0]))
        return looks_like(value) or looks_like_batch(value)
    text = head[:4096]
    return b'"trace_id"' in text and b'"start_timestamp"' in text and (
        b'"items"' in text or b'"id"' in text)


LINE_FORMATS = [LineFormat(FORMAT, _sniff_lines, SgpDecoder)]
DOCUMENT_FORMATS = [DocumentFormat(FORMAT, _sniff_document, SgpDecoder)]
