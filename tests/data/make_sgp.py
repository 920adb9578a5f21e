"""Record real SGP span exports: the scale-gp-beta SDK talking to a local HTTP server.

Run with a venv that has `scale-gp-beta` (not a tracetui dependency):

    python -m venv /work/sgp-venv && /work/sgp-venv/bin/pip install scale-gp-beta
    /work/sgp-venv/bin/python tests/data/make_sgp.py

A tiny server on 127.0.0.1 records the body of every `PUT /v5/spans/batch`
(`{"items": [...]}`). The SDK queues a span at start and again at end, but
queues a reference, so an in-progress copy (no `end_timestamp`) only reaches
the wire when the queue is flushed while the span is open: the script
flushes mid-trace to capture both copies, and leaves one span open at exit.

Writes tests/data/sgp/:
  batches.jsonl  one request body per line, as sent
  spans.jsonl    the same span records, one per line
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sgp")
BODIES: list[bytes] = []


class Recorder(BaseHTTPRequestHandler):
    def do_PUT(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path.startswith("/v5/spans/batch"):
            BODIES.append(body)
        reply = json.dumps({"items": [], "object": "list", "total_item_count": 0}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args) -> None:
        pass


def main() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ["SGP_API_KEY"] = "local-test"
    os.environ["SGP_ACCOUNT_ID"] = "local-test"
    os.environ["SGP_CLIENT_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"

    from scale_gp_beta import SGPClient
    import scale_gp_beta.lib.tracing as tracing

    tracing.init(SGPClient())

    # 1. An agent turn: a plan step, a tool call, a failing tool, an answer.
    with tracing.create_trace("agent_turn", input={"question": "What is the capital of France?"},
                              metadata={"user": "u-17", "session": "s-3"}) as trace:
        with tracing.create_span("plan", span_type="COMPLETION",
                                 input={"messages": [{"role": "user", "content": "What is the capital of France?"}]},
                                 metadata={"model": "gpt-4o-mini", "temperature": 0}) as plan:
            time.sleep(0.03)
            plan.output = {"completion": "Look it up with the search tool."}
        with tracing.create_span("search", span_type="DOCUMENT_SEARCH",
                                 input={"query": "capital of France"}) as search:
            tracing.flush_queue()  # in-progress copies of agent_turn and search go out now
            time.sleep(0.05)
            search.output = {"documents": ["Paris is the capital of France."]}
        try:
            with tracing.create_span("calculator", span_type="CODE_EXECUTION",
                                     input={"expression": "1/0"}):
                time.sleep(0.01)
                1 / 0
        except ZeroDivisionError:
            pass
        with tracing.create_span("answer", span_type="COMPLETION",
                                 input={"prompt": "Answer briefly."}) as answer:
            time.sleep(0.02)
            answer.output = {"completion": "Paris."}
        trace.output = {"answer": "Paris."}
    tracing.flush_queue()

    # 2. A trace whose root fails with a categorized error.
    try:
        with tracing.create_trace("ingest", span_type="AGENT_WORKFLOW", input={"files": 2}):
            with tracing.create_span("parse", span_type="DATA_MANIPULATION", input={"file": "a.pdf"}) as parse:
                parse.output = {"pages": 3}
            with tracing.create_span("embed", span_type="CUSTOM", input={"chunks": 12}):
                raise tracing.PlatformError("embedding service unavailable")
    except Exception:
        pass
    tracing.flush_queue()

    # 3. A trace still running when the process exits (its spans never end).
    hung = tracing.create_trace("long_job", input={"job": "reindex"})
    hung.start()
    step = tracing.create_span("wait_for_lock", span_type="CUSTOM", metadata={"lock": "index"})
    step.start()
    time.sleep(0.01)
    tracing.flush_queue()

    server.shutdown()
    os.makedirs(HERE, exist_ok=True)
    items = []
    with open(os.path.join(HERE, "batches.jsonl"), "wb") as f:
        for body in BODIES:
            f.write(json.dumps(json.loads(body), separators=(",", ":")).encode() + b"\n")
            items.extend(json.loads(body)["items"])
    with open(os.path.join(HERE, "spans.jsonl"), "w") as f:
        for item in items:
            f.write(json.dumps(item, separators=(",", ":")) + "\n")
    print(f"{len(BODIES)} batches, {len(items)} span records", file=sys.stderr)
    os._exit(0)  # skip the SDK's atexit flush: the open spans stay open


if __name__ == "__main__":
    raise SystemExit(main())
