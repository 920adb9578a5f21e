"""OTLP/JSON: `ExportTraceServiceRequest`s, one per line (Collector / SDK file exporters) or pretty-printed.

Each request holds resourceSpans → scopeSpans → spans. One run per trace id;
a trace may be split over many lines and its parents may come after its
children (exporters write spans as they end), which `SpanLinker` handles.
Also tolerated: the protobuf JSON mapping's snake_case names and base64 ids,
kinds and status codes as enum strings, and OTLP's old
`instrumentationLibrarySpans`. OpenInference attributes (`input.value`,
`llm.input_messages.*`, `openinference.span.kind`) become input, output and
kind.
"""

from __future__ import annotations

import re
from typing import Any

from tracetui.formats import DocumentFormat, LineFormat
from tracetui.formats.spanbuild import (
    SpanDecoder, compact_json, first_document, is_multiline_json, iso_of, nanos_between, nanos_to_seconds, norm_id,
    openinference,
    run_name, status_word,
)
from tracetui.model import ERROR, OK, RUNNING, Event, Span

FORMAT = "otlp"
SPAN_KINDS = {0: "", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
#: Bits of an OTLP span's `flags`: whether it says if its parent is remote,
#: and if so, that it is.
HAS_IS_REMOTE, IS_REMOTE = 0x100, 0x200
#: Kinds of span whose parent is, as a rule, in another process: a
#: request's caller, a message's producer.
REMOTE_PARENT_KINDS = ("server", "consumer")
#: AnyValue fields, in both of the protobuf JSON mapping's spellings.
_ANY_FIELDS = {
    "stringValue": "string", "string_value": "string",
    "boolValue": "bool", "bool_value": "bool",
    "intValue": "int", "int_value": "int",
    "doubleValue": "double", "double_value": "double",
    "arrayValue": "array", "array_value": "array",
    "kvlistValue": "kvlist", "kvlist_value": "kvlist",
    "bytesValue": "bytes", "bytes_value": "bytes",
}


def span_record(rec: Any, span_id: str) -> dict[str, Any] | None:
    """Of one request, the part that is the span `span_id`: its resource,
    its scope and the span itself (`r` showed the whole batch, up to
    hundreds of spans, to look for one in). None if it holds no such span."""
    if not looks_like(rec):
        return None
    for resource_spans in rec.get("resourceSpans", rec.get("resource_spans")):
        if not isinstance(resource_spans, dict):
            continue
        scopes = (resource_spans.get("scopeSpans") or resource_spans.get("scope_spans")
                  or resource_spans.get("instrumentationLibrarySpans")
                  or resource_spans.get("instrumentation_library_spans") or [])
        for scope_spans in scopes if isinstance(scopes, list) else ():
            spans = scope_spans.get("spans") if isinstance(scope_spans, dict) else None
            for raw in spans if isinstance(spans, list) else ():
                if isinstance(raw, dict) and norm_id(_get(raw, "spanId", "span_id")) == span_id:
                    scope = scope_spans.get("scope", scope_spans.get("instrumentationLibrary"))
                    return {"resource": resource_spans.get("resource"), "scope": scope, "span": raw}
    return None


def _get(obj: dict, camel: str, snake: str) -> Any:
    value = obj.get(camel)
    return obj.get(snake) if value is None else value


def looks_like(record: Any) -> bool:
    """An ExportTraceServiceRequest (or a bare ResourceSpans list holder)."""
    return isinstance(record, dict) and isinstance(
        record.get("resourceSpans", record.get("resource_spans")), list)


def any_value(value: Any) -> Any:
    """An OTLP `AnyValue` object → a plain Python value (lists and dicts for
    arrayValue / kvlistValue; bytes stay base64 text)."""
    if not isinstance(value, dict):
        return value
    for field, item in value.items():
        kind = _ANY_FIELDS.get(field)
        if kind is None:
            continue
        if kind == "string" or kind == "bytes":
            return item
        if kind == "bool":
            return item if isinstance(item, bool) else str(item).lower() == "true"
        if kind == "int":
            try:
                return int(item)
            except (TypeError, ValueError):
                return item
        if kind == "double":
            try:
                return float(item)
            except (TypeError, ValueError):
                return item
        if kind == "array":
            values = item.get("values") if isinstance(item, dict) else None
            return [any_value(v) for v in values] if isinstance(values, list) else []
        if kind == "kvlist":
            values = item.get("values") if isinstance(item, dict) else None
            return key_values(values)
    return None


def key_values(items: Any) -> dict[str, Any]:
    """A `KeyValue` list → dict. A plain dict (some writers) is taken as is."""
    if isinstance(items, dict):
        return dict(items)
    out: dict[str, Any] = {}
    if not isinstance(items, list):
        return out
    for item in items:
        if isinstance(item, dict):
            key = item.get("key")
            if isinstance(key, str):
                out[key] = any_value(item.get("value"))
    return out


def span_kind(value: Any) -> str:
    """1..5 or `SPAN_KIND_SERVER` / `SpanKind.SERVER` / `server` → `server`."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return SPAN_KINDS.get(value, "")
    if isinstance(value, str):
        word = value.strip().lower()
        for prefix in ("span_kind_", "spankind."):
            if word.startswith(prefix):
                word = word[len(prefix):]
        if word.isdigit():
            return SPAN_KINDS.get(int(word), "")
        return "" if word == "unspecified" else word
    return ""


def is_error_code(code: Any) -> bool:
    """OTLP status code 2 / `STATUS_CODE_ERROR` / `ERROR`."""
    if isinstance(code, bool):
        return False
    if isinstance(code, int):
        return code == 2
    if isinstance(code, str):
        return code.strip() == "2" or status_word(code) == ERROR
    return False


def parent_is_remote(kind: str, flags: Any = None) -> bool:
    """Whether a span's parent is in another process, so not a span this
    file is to write (no placeholder stands for it while it is not:
    `SpanLinker.unwritten`). Its OTLP `flags` say so where they tell
    (recent SDKs); else a server or consumer span's parent is its caller's."""
    if isinstance(flags, int) and not isinstance(flags, bool) and flags & HAS_IS_REMOTE:
        return bool(flags & IS_REMOTE)
    return kind in REMOTE_PARENT_KINDS


def parent_is_local(flags: Any = None) -> bool:
    """Whether a span's OTLP `flags` say its parent is in its own process
    (recent SDKs set HAS_IS_REMOTE, and IS_REMOTE only for a remote one):
    a parent missing from the file then is one its process had not ended
    (`SpanLinker.unwritten`). Without flags, nothing is known."""
    return isinstance(flags, int) and not isinstance(flags, bool) \
        and bool(flags & HAS_IS_REMOTE) and not flags & IS_REMOTE


def apply_events(span: Span, events: list[tuple[float | None, str, dict[str, Any]]]) -> dict[str, Any] | None:
    """Attach span events (time, name, attributes) as model Events; return
    the error the last `exception` event describes, if any."""
    error = None
    span.events = [] if events else None
    for time, name, attrs in events:
        level = "EXCEPTION" if name == "exception" else "EVENT"
        text = name
        if attrs:
            text += " " + compact_json(attrs)
        span.events.append(Event(iso_of(time) if isinstance(time, (int, float)) else time,
                                 level, text, None))
        if name == "exception":
            error = {k: attrs[f"exception.{k2}"] for k, k2 in
                     (("message", "message"), ("type", "type"), ("stacktrace", "stacktrace"))
                     if attrs.get(f"exception.{k2}") not in (None, "")}
    return error


def finish_span(decoder: SpanDecoder, run, span: Span, *, name: str, kind: str,
                start: float | None, end: float | None, is_error: bool,
                status_message: Any, attributes: dict[str, Any],
                events: list[tuple[Any, str, dict[str, Any]]], service: Any,
                parent_id: str | None, locator: Any, duration: float | None = None,
                flags: Any = None) -> None:
    """Fill a span from one OTel record (OTLP or console: same semantics)
    and link it. Shared by both OTel decoders so they build the same tree.
    `flags`: an OTLP span's (`parent_is_remote`)."""
    inputs, outputs, oi_kind = openinference(attributes)
    span.name = name
    span.kind = oi_kind or kind
    span.start = start
    if duration is None and start is not None and end is not None:
        duration = max(0.0, end - start)
    span.duration = duration  # exact from the source's integers when it has them
    if isinstance(service, str) and service and service != run.attributes.get("service.name"):
        attributes.setdefault("service.name", service)
    span.attributes = attributes or None
    span.input = inputs
    span.output = outputs
    error = apply_events(span, events)
    if is_error:
        span.status = ERROR
        if error is None:
            error = {"message": status_message if isinstance(status_message, str) and status_message
                     else "error"}
        elif "message" not in error and isinstance(status_message, str) and status_message:
            error["message"] = status_message
        span.error = error
    else:
        span.status = RUNNING if end is None else OK
        span.error = None
    if not span.origin or span.origin[-1] != locator:
        span.origin += (locator,)
    decoder.linker.link(run, span, parent_id, parent_id is not None and parent_is_remote(kind, flags),
                        parent_id is not None and parent_is_local(flags))
    if parent_id is None:
        decoder.rooted.add(run.id)
        run.name = run_name(name, service) or run.id
    elif run.id not in decoder.rooted and isinstance(service, str) and service and run.name == run.id:
        run.name = service
    decoder.linker.settle(run, span, decoder.listed(span))


class OtlpDecoder(SpanDecoder):
    """Feeds OTLP/JSON requests into one run per trace id."""

    format = FORMAT

    def __init__(self, store, path: str, **options: Any) -> None:
        super().__init__(store, path, **options)
        #: Runs whose name came from their root span (not just the service).
        self.rooted: set[str] = set()

    def reset(self) -> None:
        super().reset()
        self.rooted = set()

    def is_record(self, value: Any) -> bool:
        return looks_like(value)

    def record(self, rec: Any, locator: Any) -> int:
        if not looks_like(rec):
            raise ValueError("not an ExportTraceServiceRequest")
        bad = 0
        for resource_spans in rec.get("resourceSpans", rec.get("resource_spans")):
            if not isinstance(resource_spans, dict):
                bad += 1
                continue
            resource = resource_spans.get("resource")
            resource_attrs = key_values(resource.get("attributes")) if isinstance(resource, dict) else {}
            service = resource_attrs.get("service.name")
            scopes = (resource_spans.get("scopeSpans") or resource_spans.get("scope_spans")
                      or resource_spans.get("instrumentationLibrarySpans")
                      or resource_spans.get("instrumentation_library_spans") or [])
            if not isinstance(scopes, list):
                bad += 1
                continue
            for scope_spans in scopes:
                spans = scope_spans.get("spans") if isinstance(scope_spans, dict) else None
                if not isinstance(spans, list):
                    bad += 1
                    continue
                for raw in spans:
                    try:
                        if not self._span(raw, resource_attrs, service, locator):
                            bad += 1
                    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
                        bad += 1
        return bad

    def _span(self, raw: Any, resource_attrs: dict[str, Any], service: Any, locator: Any) -> bool:
        if not isinstance(raw, dict):
            return False
        trace_id = norm_id(_get(raw, "traceId", "trace_id"))
        span_id = norm_id(_get(raw, "spanId", "span_id"))
        if trace_id is None or span_id is None:
            return False
        self.records += 1
        run = self.run(trace_id)
        for key, value in resource_attrs.items():
            run.attributes.setdefault(key, value)
        span, _ = self.linker.span(run, span_id)
        status = raw.get("status") if isinstance(raw.get("status"), dict) else {}
        events = []
        for event in raw.get("events") or ():
            if isinstance(event, dict):
                events.append((nanos_to_seconds(_get(event, "timeUnixNano", "time_unix_nano")),
                               str(event.get("name") or ""),
                               key_values(event.get("attributes"))))
        name = raw.get("name")
        start_nanos = _get(raw, "startTimeUnixNano", "start_time_unix_nano")
        end_nanos = _get(raw, "endTimeUnixNano", "end_time_unix_nano")
        finish_span(
            self, run, span,
            name=name if isinstance(name, str) else str(name or ""),
            kind=span_kind(raw.get("kind")),
            start=nanos_to_seconds(start_nanos),
            end=nanos_to_seconds(end_nanos),
            duration=nanos_between(start_nanos, end_nanos),
            is_error=is_error_code(status.get("code")),
            status_message=status.get("message"),
            attributes=key_values(raw.get("attributes")),
            events=events, service=service,
            parent_id=norm_id(_get(raw, "parentSpanId", "parent_span_id")),
            locator=locator, flags=raw.get("flags"),
        )
        return True


def _sniff_lines(records: list[Any]) -> bool:
    return any(looks_like(r) for r in records)


def _sniff_document(head: bytes) -> bool:
    """Pretty-printed request(s), or a JSON array of them."""
    if not is_multiline_json(head):
        return False
    parsed, value = first_document(head)
    if parsed:
        if isinstance(value, list):
            return bool(value) and looks_like(value[0])
        return looks_like(value)
    # The first request is longer than the head: it must open with its spans.
    return re.match(rb'[\s\[]*\{\s*"(resourceSpans|resource_spans)"\s*:', head) is not None


LINE_FORMATS = [LineFormat(FORMAT, _sniff_lines, OtlpDecoder)]
DOCUMENT_FORMATS = [DocumentFormat(FORMAT, _sniff_document, OtlpDecoder)]
