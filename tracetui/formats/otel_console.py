"""The OpenTelemetry Python SDK's ConsoleSpanExporter JSON: one span per line, or indented objects back to back.

A span looks like `{"name", "context": {"trace_id": "0x…", "span_id": "0x…"},
"kind": "SpanKind.INTERNAL", "parent_id": "0x…" | null, "start_time",
"end_time" (ISO), "status": {"status_code": "UNSET"|"OK"|"ERROR",
"description"}, "attributes", "events", "resource": {"attributes": …}}`.
Spans are written when they end, so children come before their parents;
ids are normalised to plain hex, so the tree is the one the OTLP decoder
builds from the same spans.
"""

from __future__ import annotations

import re
from typing import Any

from tracetui.formats import DocumentFormat, LineFormat
from tracetui.formats.otlp import finish_span, span_kind
from tracetui.formats.spanbuild import (
    SpanDecoder, epoch_seconds, first_document, is_multiline_json, norm_id, status_word,
)
from tracetui.model import ERROR

FORMAT = "otel-console"


def looks_like(record: Any) -> bool:
    """A span as `ReadableSpan.to_json()` writes it."""
    if not isinstance(record, dict):
        return False
    context = record.get("context")
    return (isinstance(context, dict) and "span_id" in context and "trace_id" in context
            and "name" in record)


def _resource_attributes(resource: Any) -> dict[str, Any]:
    """`{"attributes": {...}, "schema_url"}` (SDK ≥ 1.10) or the bare dict
    older SDKs wrote."""
    if not isinstance(resource, dict):
        return {}
    attrs = resource.get("attributes")
    if isinstance(attrs, dict):
        return attrs
    return {k: v for k, v in resource.items() if k != "schema_url"}


class ConsoleDecoder(SpanDecoder):
    """Feeds console-exporter spans into one run per trace id."""

    format = FORMAT

    def __init__(self, store, path: str, **options: Any) -> None:
        super().__init__(store, path, **options)
        self.rooted: set[str] = set()

    def reset(self) -> None:
        super().reset()
        self.rooted = set()

    def record(self, rec: Any, locator: Any) -> int:
        if not looks_like(rec):
            raise ValueError("not a console span")
        context = rec["context"]
        trace_id = norm_id(context.get("trace_id"))
        span_id = norm_id(context.get("span_id"))
        if trace_id is None or span_id is None:
            raise ValueError("span without ids")
        self.records += 1
        run = self.run(trace_id)
        resource_attrs = _resource_attributes(rec.get("resource"))
        for key, value in resource_attrs.items():
            run.attributes.setdefault(key, value)
        span, _ = self.linker.span(run, span_id)
        status = rec.get("status") if isinstance(rec.get("status"), dict) else {}
        attributes = rec.get("attributes")
        events = []
        for event in rec.get("events") or ():
            if isinstance(event, dict):
                attrs = event.get("attributes")
                events.append((event.get("timestamp"), str(event.get("name") or ""),
                               dict(attrs) if isinstance(attrs, dict) else {}))
        name = rec.get("name")
        finish_span(
            self, run, span,
            name=name if isinstance(name, str) else str(name or ""),
            kind=span_kind(rec.get("kind")),
            start=epoch_seconds(rec.get("start_time")),
            end=epoch_seconds(rec.get("end_time")),
            is_error=status_word(status.get("status_code")) == ERROR,
            status_message=status.get("description"),
            attributes=dict(attributes) if isinstance(attributes, dict) else {},
            events=events, service=resource_attrs.get("service.name"),
            parent_id=norm_id(rec.get("parent_id")),
            locator=locator,
        )
        return 0


def _sniff_lines(records: list[Any]) -> bool:
    return any(looks_like(r) for r in records)


def _sniff_document(head: bytes) -> bool:
    """Indented span objects back to back (the exporter's default format)."""
    if not is_multiline_json(head):
        return False
    parsed, value = first_document(head)
    if parsed:
        if isinstance(value, list):
            return bool(value) and looks_like(value[0])
        return looks_like(value)
    # The first object is longer than the head: the exporter writes "name" first.
    return (re.match(rb'[\s\[]*\{\s*"name"\s*:', head) is not None
            and b'"context"' in head and b'"span_id"' in head)


LINE_FORMATS = [LineFormat(FORMAT, _sniff_lines, ConsoleDecoder)]
DOCUMENT_FORMATS = [DocumentFormat(FORMAT, _sniff_document, ConsoleDecoder)]
