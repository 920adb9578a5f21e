"""Make the OpenTelemetry sample traces with the real SDK and exporters.

    /work/otel-venv/bin/python sample_traces/make_otel.py [--out DIR]

Needs `opentelemetry-sdk`, `opentelemetry-exporter-otlp-json-file` and
`openinference-semantic-conventions` (attribute names come from its
constants). One small traced support-agent program; every span goes to three
exporters:

- `otlp.jsonl`: the OTLP JSON file exporter behind a `BatchSpanProcessor`
  (batches of up to 4 spans, flushed between steps), so each line is one
  `ExportTraceServiceRequest` holding several spans, traces are split across
  lines, and children arrive before their parents.
- `console.jsonl`: `ConsoleSpanExporter` one span per line
  (`formatter=lambda s: s.to_json(indent=None) + "\\n"`).
- `console_pretty.json`: `ConsoleSpanExporter`'s default formatter
  (indented objects back to back, not JSONL).

Traces: (1) an agent turn: retriever, an LLM span with OpenInference
`llm.input_messages.N.message.*`, `llm.output_messages...` with a tool call,
`input.value`/`output.value`, token counts, a tool span with a nested HTTP
client span, a second LLM span with the answer; (2) an agent turn whose tool
raises: the tool span has ERROR status and an `exception` event (type,
message, stacktrace), the root is set to ERROR by hand; (3) a feedback span
linked to trace 1; (4) a batch job whose root never ends, so only its
children are exported (orphans), one still running when the program stops
is never exported either. Two instrumentation scopes, typed attributes
(int, double, bool, string and int arrays), non-ASCII text.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from openinference.semconv.trace import (
    MessageAttributes,
    OpenInferenceSpanKindValues,
    SpanAttributes,
    ToolCallAttributes,
)
from opentelemetry import trace
from opentelemetry.exporter.otlp.json.file import FileSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

HERE = os.path.dirname(os.path.abspath(__file__))
KIND = SpanAttributes.OPENINFERENCE_SPAN_KIND


def messages(prefix: str, msgs: list[dict]) -> dict:
    """OpenInference flattened message attributes."""
    out: dict = {}
    for i, m in enumerate(msgs):
        base = f"{prefix}.{i}."
        out[base + MessageAttributes.MESSAGE_ROLE] = m["role"]
        if m.get("content") is not None:
            out[base + MessageAttributes.MESSAGE_CONTENT] = m["content"]
        for j, call in enumerate(m.get("tool_calls", [])):
            cbase = f"{base}{MessageAttributes.MESSAGE_TOOL_CALLS}.{j}."
            out[cbase + ToolCallAttributes.TOOL_CALL_ID] = call["id"]
            out[cbase + ToolCallAttributes.TOOL_CALL_FUNCTION_NAME] = call["name"]
            out[cbase + ToolCallAttributes.TOOL_CALL_FUNCTION_ARGUMENTS_JSON] = json.dumps(call["arguments"])
        if m.get("tool_call_id"):
            out[base + MessageAttributes.MESSAGE_TOOL_CALL_ID] = m["tool_call_id"]
    return out


def llm_attributes(inputs: list[dict], outputs: list[dict], prompt: int, completion: int) -> dict:
    return {
        KIND: OpenInferenceSpanKindValues.LLM.value,
        SpanAttributes.LLM_MODEL_NAME: "gpt-4.1-mini",
        SpanAttributes.LLM_PROVIDER: "openai",
        SpanAttributes.LLM_INVOCATION_PARAMETERS: json.dumps({"temperature": 0.2, "max_tokens": 512}),
        SpanAttributes.INPUT_VALUE: json.dumps({"messages": inputs}),
        SpanAttributes.INPUT_MIME_TYPE: "application/json",
        SpanAttributes.OUTPUT_VALUE: json.dumps(outputs[0]),
        SpanAttributes.OUTPUT_MIME_TYPE: "application/json",
        SpanAttributes.LLM_TOKEN_COUNT_PROMPT: prompt,
        SpanAttributes.LLM_TOKEN_COUNT_COMPLETION: completion,
        SpanAttributes.LLM_TOKEN_COUNT_TOTAL: prompt + completion,
        **messages(SpanAttributes.LLM_INPUT_MESSAGES, inputs),
        **messages(SpanAttributes.LLM_OUTPUT_MESSAGES, outputs),
    }


def run(out_dir: str) -> dict[str, str]:
    os.makedirs(out_dir, exist_ok=True)
    paths = {n: os.path.join(out_dir, n) for n in ("otlp.jsonl", "console.jsonl", "console_pretty.json")}
    files = {n: open(p, "w", encoding="utf-8") for n, p in paths.items()}

    provider = TracerProvider(resource=Resource.create({
        "service.name": "support-agent", "service.version": "0.3.0",
        "deployment.environment": "staging", "host.name": "worker-7"}))
    batch = BatchSpanProcessor(FileSpanExporter(stream=files["otlp.jsonl"]),
                               max_export_batch_size=4, schedule_delay_millis=60_000)
    provider.add_span_processor(batch)
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(
        out=files["console.jsonl"], formatter=lambda s: s.to_json(indent=None) + "\n")))
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=files["console_pretty.json"])))
    agent = provider.get_tracer("support_agent", "0.3.0")
    llm = provider.get_tracer("openinference.instrumentation.openai", "0.1.30")

    question = "Where is my order #1234? It was due on Friday — merci!"
    system = {"role": "system", "content": "You are a support agent. Use tools to look up orders."}

    # -- trace 1: a complete agent turn ----------------------------------------
    with agent.start_as_current_span("support.turn", kind=SpanKind.SERVER, attributes={
            KIND: OpenInferenceSpanKindValues.AGENT.value,
            SpanAttributes.INPUT_VALUE: question, SpanAttributes.SESSION_ID: "sess-42",
            SpanAttributes.USER_ID: "user-9", "tags": ["support", "orders"]}) as turn:
        turn1 = turn.get_span_context()
        with agent.start_as_current_span("retrieve_policies", attributes={
                KIND: OpenInferenceSpanKindValues.RETRIEVER.value,
                SpanAttributes.INPUT_VALUE: "late delivery policy",
                "retrieval.documents.0.document.id": "kb-17",
                "retrieval.documents.0.document.score": 0.83,
                "retrieval.documents.0.document.content": "Orders late by 3+ days get free shipping.",
                "retrieval.documents.1.document.id": "kb-4",
                "retrieval.documents.1.document.score": 0.41,
                "retrieval.documents.1.document.content": "Tracking updates can lag by 24 hours."}):
            time.sleep(0.03)
        call = {"id": "call_7Qx", "name": "lookup_order", "arguments": {"order_id": "1234"}}
        with llm.start_as_current_span("ChatCompletion", kind=SpanKind.CLIENT, attributes=llm_attributes(
                [system, {"role": "user", "content": question}],
                [{"role": "assistant", "content": None, "tool_calls": [call]}], 212, 18)):
            time.sleep(0.12)
        batch.force_flush()
        with agent.start_as_current_span("lookup_order", attributes={
                KIND: OpenInferenceSpanKindValues.TOOL.value, SpanAttributes.TOOL_NAME: "lookup_order",
                SpanAttributes.TOOL_PARAMETERS: json.dumps({"order_id": {"type": "string"}}),
                SpanAttributes.INPUT_VALUE: json.dumps(call["arguments"]),
                SpanAttributes.OUTPUT_VALUE: json.dumps({"status": "in transit", "eta": "2026-11-25"}),
                "retry.count": 0, "cache.hit": False}):
            with agent.start_as_current_span("GET /orders/1234", kind=SpanKind.CLIENT, attributes={
                    "http.request.method": "GET", "url.full": "https://orders.internal/orders/1234",
                    "http.response.status_code": 200, "server.port": 443,
                    "http.retry_delays_ms": [0, 250]}) as http:
                time.sleep(0.05)
                http.add_event("response.headers", {"content-length": 182, "x-cache": "MISS"})
        answer = "Your order #1234 is in transit and should arrive on 25 November."
        with llm.start_as_current_span("ChatCompletion", kind=SpanKind.CLIENT, attributes=llm_attributes(
                [system, {"role": "user", "content": question},
                 {"role": "assistant", "content": None, "tool_calls": [call]},
                 {"role": "tool", "content": '{"status": "in transit", "eta": "2026-11-25"}',
                  "tool_call_id": "call_7Qx"}],
                [{"role": "assistant", "content": answer}], 268, 21)) as span:
            time.sleep(0.09)
            span.set_status(Status(StatusCode.OK))
        turn.set_attribute(SpanAttributes.OUTPUT_VALUE, answer)
    batch.force_flush()

    # -- trace 2: a tool raises; the agent gives up ------------------------------
    with agent.start_as_current_span("support.turn", kind=SpanKind.SERVER, attributes={
            KIND: OpenInferenceSpanKindValues.AGENT.value,
            SpanAttributes.INPUT_VALUE: "Cancel order #9999", SpanAttributes.SESSION_ID: "sess-43"}) as turn:
        call = {"id": "call_Zr1", "name": "cancel_order", "arguments": {"order_id": "9999"}}
        with llm.start_as_current_span("ChatCompletion", kind=SpanKind.CLIENT, attributes=llm_attributes(
                [system, {"role": "user", "content": "Cancel order #9999"}],
                [{"role": "assistant", "content": None, "tool_calls": [call]}], 190, 15)):
            time.sleep(0.08)
        try:
            with agent.start_as_current_span("cancel_order", attributes={
                    KIND: OpenInferenceSpanKindValues.TOOL.value, SpanAttributes.TOOL_NAME: "cancel_order",
                    SpanAttributes.INPUT_VALUE: json.dumps(call["arguments"])}):
                time.sleep(0.04)
                raise PermissionError("order 9999 belongs to another account")
        except PermissionError as exc:
            turn.set_status(Status(StatusCode.ERROR, f"tool failed: {exc}"))
            turn.set_attribute(SpanAttributes.OUTPUT_VALUE, "Sorry, I cannot cancel that order.")

    # -- trace 3: feedback arriving later, linked to trace 1 ---------------------
    with agent.start_as_current_span("feedback", links=[Link(turn1, {"link.kind": "rates"})],
                                     attributes={"feedback.score": 5, "feedback.comment": "quick 👍"}):
        time.sleep(0.01)
    batch.force_flush()

    # -- trace 4: a batch job whose root never ends ------------------------------
    root = agent.start_span("nightly.reindex", kind=SpanKind.CONSUMER, attributes={"shard.count": 3})
    ctx = trace.set_span_in_context(root)
    for shard in range(2):
        with agent.start_as_current_span("reindex.shard", context=ctx, kind=SpanKind.INTERNAL,
                                         attributes={"shard": shard, "docs": 1000 + shard}):
            time.sleep(0.02)
    agent.start_span("reindex.shard", context=ctx, attributes={"shard": 2})  # still running: never exported
    batch.force_flush()
    for f in files.values():
        f.close()
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "otel"))
    args = parser.parse_args()
    for name, path in run(args.out).items():
        with open(path, encoding="utf-8") as f:
            text = f.read()
        print(f"{name}: {os.path.getsize(path)} bytes, {text.count(chr(10))} lines")


if __name__ == "__main__":
    main()
