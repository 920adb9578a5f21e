"""Write small real OpenTelemetry traces for the tests (run with /work/otel-venv/bin/python).

One small agent-like program is traced once, and the same spans go to three
exporters: the OTLP JSON file exporter (otlp.jsonl), the SDK console exporter
one span per line (console.jsonl), and the console exporter's default
indented format (console_pretty.json). Spans are exported as they end, so
children come before parents; a span that never ends is never written, which
leaves its children as orphans.
"""

from __future__ import annotations

import json
import os
import sys

from opentelemetry import trace
from opentelemetry.exporter.otlp.json.file import FileSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "otel")


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    paths = {name: os.path.join(OUT, name) for name in ("otlp.jsonl", "console.jsonl", "console_pretty.json")}
    for path in paths.values():
        if os.path.exists(path):
            os.remove(path)
    otlp_file = open(paths["otlp.jsonl"], "w", encoding="utf-8")
    line_file = open(paths["console.jsonl"], "w", encoding="utf-8")
    pretty_file = open(paths["console_pretty.json"], "w", encoding="utf-8")

    provider = TracerProvider(resource=Resource.create({"service.name": "demo-agent", "deployment.environment": "test"}))
    provider.add_span_processor(SimpleSpanProcessor(FileSpanExporter(stream=otlp_file)))
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(
        out=line_file, formatter=lambda s: s.to_json(indent=None) + "\n")))
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=pretty_file)))
    tracer = provider.get_tracer("make_otel", "1.0")

    # Trace 1: an agent turn with an LLM call (OpenInference attributes),
    # a failing tool (exception event, error status) and a nested HTTP client span.
    with tracer.start_as_current_span("agent.run", kind=SpanKind.SERVER, attributes={
        "openinference.span.kind": "AGENT",
        "input.value": json.dumps({"question": "What is the weather in Paris?"}),
        "input.mime_type": "application/json",
        "output.value": "It is sunny in Paris.",
    }):
        with tracer.start_as_current_span("llm.chat", kind=SpanKind.CLIENT, attributes={
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-test",
            "llm.input_messages.0.message.role": "system",
            "llm.input_messages.0.message.content": "You are a helpful assistant.",
            "llm.input_messages.1.message.role": "user",
            "llm.input_messages.1.message.content": "What is the weather in Paris?",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": "{\"city\": \"Paris\"}",
            "llm.token_count.prompt": 42,
            "llm.token_count.completion": 7,
            "llm.invocation_parameters": "{\"temperature\": 0}",
        }):
            pass
        try:
            with tracer.start_as_current_span("tool.get_weather", attributes={
                "openinference.span.kind": "TOOL", "tool.name": "get_weather",
                "tags": ["weather", "http"], "retry.enabled": True, "timeout.seconds": 2.5,
            }):
                with tracer.start_as_current_span("GET /weather", kind=SpanKind.CLIENT, attributes={
                    "http.method": "GET", "http.status_code": 503}) as http:
                    http.set_status(Status(StatusCode.ERROR, "503 Service Unavailable"))
                raise TimeoutError("weather service unavailable")
        except TimeoutError:
            pass
        with tracer.start_as_current_span("llm.chat", kind=SpanKind.CLIENT, attributes={
            "openinference.span.kind": "LLM",
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.content": "What is the weather in Paris?",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.content": "It is sunny in Paris.",
        }) as span:
            span.add_event("retry", {"attempt": 2})
            span.set_status(Status(StatusCode.OK))

    # Trace 2: a worker whose root span never ends (the process "hangs"):
    # its finished children are exported, the root never is.
    root = tracer.start_span("worker.loop", kind=SpanKind.CONSUMER)
    ctx = trace.set_span_in_context(root)
    for i in range(2):
        with tracer.start_as_current_span(f"job.step", context=ctx, kind=SpanKind.PRODUCER,
                                          attributes={"step": i}):
            pass

    provider.force_flush()
    for f in (otlp_file, line_file, pretty_file):
        f.close()
    print("wrote", *paths.values(), file=sys.stderr)


if __name__ == "__main__":
    main()
