"""Record a real OpenTelemetry trace of an agent that hangs, then goes on (tests of spans not written yet).

Run with a throwaway venv holding the SDK (it is no test dependency):

    python3 -m venv /tmp/otel-venv
    /tmp/otel-venv/bin/pip install opentelemetry-sdk opentelemetry-exporter-otlp-json-file
    /tmp/otel-venv/bin/python tests/data/otel/make_hung_agent.py

The agent `qa-agent` runs one turn: a root `agent` span, an LLM call that
ends, a tool call (with an HTTP client span) that ends, then a second LLM
call that hangs a while before it ends, and the root ends. Both exporters
write a span only when it ends, each to a file this process holds open:
`hung_agent.console.jsonl` (ConsoleSpanExporter, one span per line) and
`hung_agent.otlp.jsonl` (the OTLP JSON file exporter, one request per line).

While it hangs, what the files hold is the first three spans, every one
ended, naming as their parent `agent`, which has not been written: the
lines before `llm_call_1`'s are what a hung or killed pipeline leaves. The
tests replay them through a process of their own that holds the file open
(the SDK is not installed where they run).

`--hang SECONDS` makes the hang that long (default: a moment): to watch a
hung pipeline live, run with `--hang 600 --out /tmp/somewhere` and open
that folder's files in tracetui meanwhile (kill it to see one killed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.trace import SpanKind

HERE = os.path.dirname(os.path.abspath(__file__))
CONSOLE = "hung_agent.console.jsonl"
OTLP = "hung_agent.otlp.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hang", type=float, default=0.2, help="how long llm_call_1 hangs (s)")
    parser.add_argument("--out", default=HERE, help="folder to write the two files to")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    console_path, otlp_path = (os.path.join(args.out, name) for name in (CONSOLE, OTLP))
    console_file = open(console_path, "w", encoding="utf-8")
    otlp_file = open(otlp_path, "w", encoding="utf-8")

    provider = TracerProvider(resource=Resource.create({"service.name": "qa-agent"}))
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(
        out=console_file, formatter=lambda span: span.to_json(indent=None) + "\n")))
    try:
        from opentelemetry.exporter.otlp.json.file import FileSpanExporter
    except ImportError:
        print("no opentelemetry-exporter-otlp-json-file: the OTLP file is left empty", file=sys.stderr)
    else:
        provider.add_span_processor(SimpleSpanProcessor(FileSpanExporter(stream=otlp_file)))
    tracer = provider.get_tracer("make_hung_agent", "1.0")

    with tracer.start_as_current_span("agent", attributes={"agent.task": "answer the question"}):
        with tracer.start_as_current_span("llm_call_0", kind=SpanKind.CLIENT, attributes={
                "openinference.span.kind": "LLM", "llm.model_name": "mock-model",
                "input.value": "What is the capital of France?", "output.value": "Let me search."}):
            time.sleep(0.05)
        with tracer.start_as_current_span("tool.search", attributes={"tool.name": "search"}):
            with tracer.start_as_current_span("http.get", kind=SpanKind.CLIENT, attributes={
                    "http.method": "GET", "http.status_code": 200}):
                time.sleep(0.03)
        with tracer.start_as_current_span("llm_call_1", kind=SpanKind.CLIENT, attributes={
                "openinference.span.kind": "LLM", "llm.model_name": "mock-model"}):
            for f in (console_file, otlp_file):
                f.flush()
            print(f"hung, pid {os.getpid()}, for {args.hang:g} s: {console_path}", file=sys.stderr)
            time.sleep(args.hang)  # the model call that does not answer
    provider.force_flush()
    for f in (console_file, otlp_file):
        f.close()
    print("wrote", console_path, otlp_path, file=sys.stderr)


if __name__ == "__main__":
    main()
