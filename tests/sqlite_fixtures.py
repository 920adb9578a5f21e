"""Small SQLite databases for tests/test_sqlite.py: Flujo's schema (shared/formats/flujo.sql) and a generic spans table.

Used only where a real database cannot show the case (Flujo needs Python
3.13 to run; a paused run, a killed run and an orphan span are easiest to
state directly). Times follow Flujo: time.monotonic() seconds by default,
epoch seconds from the OpenTelemetry hook.
"""

from __future__ import annotations

import json
import sqlite3

FLUJO_SCHEMA = """
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY, pipeline_id TEXT NOT NULL, pipeline_name TEXT NOT NULL,
    pipeline_version TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, execution_time_ms INTEGER, memory_usage_mb REAL,
    total_steps INTEGER DEFAULT 0, error_message TEXT,
    "end_time" TEXT, "total_cost" REAL, "final_context_blob" TEXT
);
CREATE TABLE spans (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, span_id TEXT NOT NULL,
    parent_span_id TEXT, name TEXT NOT NULL, start_time REAL NOT NULL, end_time REAL,
    status TEXT NOT NULL, attributes TEXT, created_at TEXT NOT NULL,
    FOREIGN KEY (run_id) REFERENCES runs(run_id) ON DELETE CASCADE
);
CREATE INDEX idx_spans_run_id ON spans(run_id);
CREATE TABLE workflow_state (
    run_id TEXT PRIMARY KEY, pipeline_id TEXT NOT NULL, pipeline_name TEXT NOT NULL,
    pipeline_version TEXT NOT NULL, current_step_index INTEGER NOT NULL, status TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, error_message TEXT
);
"""

RUN_OK = "run_" + "a" * 32
RUN_FAILED = "run_" + "b" * 32
RUN_PAUSED = "run_" + "c" * 32
RUN_KILLED = "run_" + "d" * 32
RUN_EPOCH = "run_" + "e" * 32


def add_run(con: sqlite3.Connection, run_id: str, name: str, status: str, created_at: str,
            end_time: str | None = None, exec_ms: int | None = None, state: str | None = None) -> None:
    con.execute("INSERT INTO runs (run_id, pipeline_id, pipeline_name, pipeline_version, status, "
                "created_at, updated_at, execution_time_ms, end_time) VALUES (?,?,?,?,?,?,?,?,?)",
                (run_id, "pid-" + name, name, "1.0", status, created_at, created_at, exec_ms, end_time))
    if state is not None:
        con.execute("INSERT INTO workflow_state (run_id, pipeline_id, pipeline_name, pipeline_version, "
                    "current_step_index, status, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
                    (run_id, "pid-" + name, name, "1.0", 1, state, created_at, created_at))


def add_span(con: sqlite3.Connection, run_id: str, span_id: str, parent: str | None, name: str,
             start: float, end: float | None, status: str, **attributes: object) -> None:
    con.execute("INSERT INTO spans (run_id, span_id, parent_span_id, name, start_time, end_time, "
                "status, attributes, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (run_id, span_id, parent, name, start, end, status,
                 json.dumps(attributes, separators=(",", ":")), "2025-06-01 10:00:05"))


def make_flujo(path: str, wal: bool = True) -> None:
    con = sqlite3.connect(path)
    if wal:
        con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA user_version = 1")
    con.executescript(FLUJO_SCHEMA)
    # A completed run, monotonic clock, with an orphan whose parent was never written.
    add_run(con, RUN_OK, "summarize", "completed", "2025-06-01T10:00:00.000000+00:00",
            "2025-06-01T10:00:02.500000+00:00", 2500, state="completed")
    add_span(con, RUN_OK, "s-root", None, "pipeline_run", 1000.0, 1002.5, "completed",
             **{"flujo.input": "a long document"})
    add_span(con, RUN_OK, "s-fetch", "s-root", "fetch", 1000.1, 1000.6, "completed",
             **{"flujo.step.type": "agent", "step_input": {"url": "http://x"}, "success": True})
    add_span(con, RUN_OK, "s-write", "s-root", "write", 1000.6, 1002.4, "completed",
             **{"flujo.step.type": "agent", "latency_s": 1.8})
    add_span(con, RUN_OK, "s-orphan", "s-missing", "late_callback", 1001.0, 1001.25, "completed")
    # A failed run.
    add_run(con, RUN_FAILED, "classify", "failed", "2025-06-01T11:00:00+00:00",
            "2025-06-01T11:00:01+00:00", 1000, state="failed")
    add_span(con, RUN_FAILED, "f-root", None, "pipeline_run", 5000.0, 5001.0, "failed")
    add_span(con, RUN_FAILED, "f-step", "f-root", "validate", 5000.2, 5000.9, "failed",
             feedback="schema mismatch: field 'label' missing [red]x[/red]")
    # runs.status lies: the run is paused at a human-in-the-loop step.
    add_run(con, RUN_PAUSED, "approve", "completed", "2025-06-01T12:00:00+00:00", state="paused")
    add_span(con, RUN_PAUSED, "p-root", None, "pipeline_run", 7000.0, None, "paused")
    add_span(con, RUN_PAUSED, "p-draft", "p-root", "draft", 7000.1, 7000.4, "completed")
    add_span(con, RUN_PAUSED, "p-ask", "p-root", "ask_human", 7000.4, None, "paused")
    # Killed: a runs row, no spans.
    add_run(con, RUN_KILLED, "summarize", "running", "2025-06-01T13:00:00+00:00")
    # OpenTelemetry hook: epoch seconds.
    add_run(con, RUN_EPOCH, "otel", "completed", "2025-06-01T14:00:00+00:00", state="completed")
    add_span(con, RUN_EPOCH, "0123456789abcdef", None, "pipeline_run", 1748786400.0, 1748786403.0, "completed")
    add_span(con, RUN_EPOCH, "fedcba9876543210", "0123456789abcdef", "tool", 1748786401.0, 1748786402.0,
             "completed")
    con.commit()
    con.close()


GENERIC_SCHEMA = """
CREATE TABLE traces_spans (
    span_id TEXT, parent_id TEXT, trace_id TEXT, name TEXT, start_time TEXT,
    end_time TEXT, duration_ms REAL, status TEXT, metadata TEXT, colour TEXT, weight INTEGER
);
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
"""


def make_generic(path: str) -> None:
    con = sqlite3.connect(path)
    con.executescript(GENERIC_SCHEMA)
    rows = [
        ("a", None, "t1", "agent", "2025-06-01T10:00:00Z", "2025-06-01T10:00:04Z", None, "OK", '{"k": 1}'),
        ("b", "a", "t1", "llm", "2025-06-01T10:00:01Z", "2025-06-01T10:00:02Z", None, "ok", None),
        ("c", "a", "t1", "tool", "2025-06-01T10:00:02Z", None, 1500, "error", None),
        ("d", None, "t2", "agent", "2025-06-01T11:00:00Z", None, None, "running", None),
        ("e", "zz", "t2", "stray", "2025-06-01T11:00:01Z", "2025-06-01T11:00:02Z", None, "weird", None),
    ]
    con.executemany("INSERT INTO traces_spans (span_id, parent_id, trace_id, name, start_time, end_time, "
                    "duration_ms, status, metadata, colour, weight) VALUES (?,?,?,?,?,?,?,?,?,'red',1)", rows)
    con.commit()
    con.close()


def make_big_generic(path: str, traces: int = 25, per_trace: int = 200) -> None:
    """A generic spans table of `traces` runs of `per_trace` spans: in
    each, a root, nine steps, calls under step `i % 10`; the calls of step
    0, and call 50, name a parent never written; calls 14, 21 … 98 are
    written among the steps, some before their own step (its row comes
    later); call 99 failed; the last run's last 12 spans are still open."""
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE spans (span_id TEXT PRIMARY KEY, parent_id TEXT, trace_id TEXT, name TEXT, "
                "start_time REAL, end_time REAL, status TEXT)")
    rows = []
    for t in range(traces):
        start = 1_795_412_244.0 + 30 * t
        late = []
        rows.append((f"{t}-root", None, f"trace-{t}", "pipeline", start, start + 29, "ok"))
        for i in range(1, per_trace):
            step = f"{t}-step-{i % 10}"
            if i < 10:
                rows.append((f"{t}-step-{i}", f"{t}-root", f"trace-{t}", f"step_{i}", start + i, start + i + 1, "ok"))
                continue
            parent = f"{t}-never" if i == 50 else step
            call = (f"{t}-call-{i}", parent, f"trace-{t}", "llm.call", start + i * 0.1, start + i * 0.1 + 0.05,
                    "error" if i == 99 else "ok")
            if i % 7 == 0 and i < 100:
                late.append(call)
            rows.append(call)
        # Re-root some calls under steps written after them.
        for call in late:
            rows.remove(call)
            rows.insert(len(rows) - per_trace + 5, call)
    last = rows[-12:]
    rows[-12:] = [(sid, parent, trace, name, s0, None, "running") for sid, parent, trace, name, s0, _, _ in last]
    con.executemany("INSERT INTO spans VALUES (?,?,?,?,?,?,?)", rows)
    con.commit()
    con.close()
