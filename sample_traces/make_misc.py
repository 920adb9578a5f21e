"""Make the hand-specified samples: native span JSONL and a generic SQLite spans table.

    python sample_traces/make_misc.py [--out DIR]

Standard library only. Both formats have no reference writer (the native
format is tracetui's own, documented in its README; the generic table stands
for any application's home-grown spans table), so these files are written
by this script, not by a third-party tool.

- `native/spans.jsonl`: trace `t-1`, a support agent: the root opens as
  running and is closed by a later line with the same `span_id`; an LLM span
  whose input is a chat (system/user) and whose output is an assistant tool
  call; a failing tool; an LLM span left running. Trace `t-2`, a batch
  pipeline written the other ways the format allows: ISO 8601 times,
  millisecond epoch times, integer span ids, `kind` instead of `type`,
  `attributes` instead of `metadata`, a child before its parent, a
  `duration` instead of an `end_time`, events, an error object with a stack
  trace, `completed`/`canceled` status words.
- `sqlite/generic_spans.db`: table `spans` (id, parent_id, trace_id, name,
  kind, start_ts, end_ts as epoch seconds, status, input, output,
  error_message, attributes JSON) plus columns tracetui has no role for
  (`cost_usd`, `host`), and an unrelated `users` table. Two traces; a child
  inserted before its parent, a span still running (NULL end_ts), an error,
  an unknown status word. Journal mode DELETE (self-contained).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1795412244.0  # 2026-11-23T05:37:24Z

CALL = {"id": "call_1", "type": "function",
        "function": {"name": "lookup_order", "arguments": "{\"order_id\": \"1234\"}"}}
NATIVE = [
    # t-1: open, then closed by a later line with the same span_id.
    {"trace_id": "t-1", "span_id": "agent", "parent_id": None, "name": "support-agent", "type": "agent",
     "start_time": T0, "status": "running", "input": "Where is my order #1234?"},
    {"trace_id": "t-1", "span_id": "llm-1", "parent_id": "agent", "name": "chat gpt-4.1-mini", "type": "llm",
     "start_time": T0 + 0.1, "end_time": T0 + 1.3, "status": "ok",
     "input": [{"role": "system", "content": "You are a support agent."},
               {"role": "user", "content": "Where is my order #1234?"}],
     "output": [{"role": "assistant", "content": None, "tool_calls": [CALL]}],
     "metadata": {"model": "gpt-4.1-mini", "tokens": 212}},
    {"trace_id": "t-1", "span_id": "tool-1", "parent_id": "agent", "name": "lookup_order", "type": "tool",
     "start_time": T0 + 1.4, "end_time": T0 + 3.9, "status": "error", "input": {"order_id": "1234"},
     "error": {"message": "orders-db timed out", "type": "TimeoutError"}},
    {"trace_id": "t-1", "span_id": "llm-2", "parent_id": "agent", "name": "chat gpt-4.1-mini", "type": "llm",
     "start_time": T0 + 4.0, "status": "running",
     "input": [{"role": "user", "content": "Where is my order #1234?"},
               {"role": "assistant", "content": None, "tool_calls": [CALL]},
               {"role": "tool", "tool_call_id": "call_1", "content": "error: orders-db timed out"}]},
    {"trace_id": "t-1", "span_id": "agent", "end_time": T0 + 6.0, "status": "error",
     "error": "gave up after tool failure"},
    # t-2: the other spellings the format accepts.
    {"trace_id": "t-2", "span_id": 2, "parent_id": 1, "name": "load csv", "kind": "io",
     "start_time": "2026-11-23T03:00:00.250Z", "end_time": "2026-11-23T03:00:01.750Z",
     "status": "completed", "attributes": {"rows": 1200, "path": "s3://bucket/in.csv"}},
    {"trace_id": "t-2", "span_id": 1, "parent_id": None, "name": "nightly-etl", "kind": "chain",
     "start_time": "2026-11-23T03:00:00Z", "status": "running", "input": {"date": "2026-11-22"},
     "events": [{"name": "config loaded", "time": "2026-11-23T03:00:00.100Z", "attributes": {"workers": 4}}]},
    {"trace_id": "t-2", "span_id": 3, "parent_id": 1, "name": "transform", "kind": "compute",
     "start_time": 1795402802000, "duration": 3.5, "status": "ok",
     "output": {"rows_out": 1187, "dropped": 13},
     "events": [{"message": "13 rows dropped: bad dates", "timestamp": 1795402804.0, "level": "warning"}]},
    {"trace_id": "t-2", "span_id": 4, "parent_id": 1, "name": "upload", "kind": "io",
     "start_time": 1795402805800, "end_time": 1795402807100, "status": "failed",
     "error": {"message": "403 Forbidden: s3://bucket/out/", "type": "PermissionError",
               "stacktrace": "Traceback (most recent call last):\n  File \"etl.py\", line 88, in upload\n"
                             "    client.put_object(Bucket=b, Key=k, Body=data)\n"
                             "PermissionError: 403 Forbidden: s3://bucket/out/\n"}},
    {"trace_id": "t-2", "span_id": 5, "parent_id": 1, "name": "notify", "kind": "io",
     "start_time": 1795402807.2, "end_time": 1795402807.3, "status": "canceled", "host": "etl-2"},
    {"trace_id": "t-2", "span_id": 1, "end_time": "2026-11-23T03:00:07.400Z", "status": "failed",
     "output": None, "error": "upload failed"},
]

GENERIC_SCHEMA = """
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, created_at TEXT);
CREATE TABLE spans (
    id TEXT PRIMARY KEY,
    parent_id TEXT,
    trace_id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT,
    start_ts REAL NOT NULL,
    end_ts REAL,
    status TEXT,
    input TEXT,
    output TEXT,
    error_message TEXT,
    attributes TEXT,
    cost_usd REAL,
    host TEXT,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX spans_trace ON spans(trace_id);
"""
B = 1795324800.0  # 2026-11-22T05:20:00Z
GENERIC_ROWS = [
    # (id, parent_id, trace_id, name, kind, start_ts, end_ts, status, input, output, error, attributes, cost, host)
    ("s-2", "s-1", "req-7f3a", "embed query", "embedding", B + 0.02, B + 0.11, "ok",
     '"refund policy for damaged items"', None, None, '{"dims": 1536}', 0.00001, "api-1"),
    ("s-1", None, "req-7f3a", "POST /answer", "http", B, B + 2.4, "ok",
     '{"question": "refund policy for damaged items"}', '{"answer": "Full refund within 30 days."}',
     None, '{"http.status": 200, "user": "u-12"}', None, "api-1"),
    ("s-3", "s-1", "req-7f3a", "vector search", "retrieval", B + 0.12, B + 0.31, "ok",
     None, '["doc-3", "doc-9"]', None, '{"k": 2}', None, "api-1"),
    ("s-4", "s-1", "req-7f3a", "generate", "llm", B + 0.32, B + 2.35, "ok",
     '[{"role": "user", "content": "refund policy for damaged items"}]',
     '[{"role": "assistant", "content": "Full refund within 30 days."}]',
     None, '{"model": "gpt-4.1-mini", "tokens": 402}', 0.0021, "api-1"),
    ("s-5", None, "req-8b01", "POST /answer", "http", B + 10, None, "running",
     '{"question": "where is my parcel?"}', None, None, '{"user": "u-40"}', None, "api-2"),
    ("s-6", "s-5", "req-8b01", "lookup parcel", "tool", B + 10.05, B + 12.05, "error",
     '{"parcel": "P-77"}', None, "carrier API returned 502", None, None, "api-2"),
    ("s-7", "s-5", "req-8b01", "generate", "llm", B + 12.1, None, "in_progress",
     None, None, None, '{"model": "gpt-4.1-mini"}', None, "api-2"),
    ("s-8", "s-5", "req-8b01", "audit log", "io", B + 10.01, B + 10.02, "SKIPPED",
     None, None, None, None, None, "api-2"),
]


def write_native(out_dir: str) -> str:
    path = os.path.join(out_dir, "native", "spans.jsonl")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for rec in NATIVE:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


def write_generic(out_dir: str) -> str:
    path = os.path.join(out_dir, "sqlite", "generic_spans.db")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    con = sqlite3.connect(path)
    con.executescript(GENERIC_SCHEMA)
    con.executemany("INSERT INTO users (name, created_at) VALUES (?, ?)",
                    [("ada", "2026-01-02"), ("lin", "2026-03-04")])
    con.executemany("INSERT INTO spans (id, parent_id, trace_id, name, kind, start_ts, end_ts, status, input,"
                    " output, error_message, attributes, cost_usd, host, created_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,'2026-11-22 05:20:30')", GENERIC_ROWS)
    con.commit()
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=HERE)
    args = parser.parse_args()
    for path in (write_native(args.out), write_generic(args.out)):
        print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
