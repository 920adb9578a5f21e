"""A generic SQLite spans table of 1M rows: `tracetui runs`, `tracetui anomalies --json`, and opening it as a source.

Usage (from the repository root, with the venv tracetui is installed in):

    python bench/bench_sqlite.py [--rows 1000000] [--runs 3] [--db PATH] [--keep] [--attributes]

Creates (in a temp dir unless --db names an existing file) a table
`spans(span_id, parent_id, trace_id, name, start_time, end_time, status)`
(and `attributes`, a small JSON object a row, with `--attributes`):
traces of 1,000 spans (a root, 40 steps under it, the rest as LLM/tool calls
under the steps), epoch-second REAL times, about 1% `error`, and the last
trace's last 20 spans still open (`end_time` NULL). Times the installed
`tracetui runs DB --json` and `tracetui anomalies DB --all --json` (wall
time and peak RSS of a fresh process, medians), and, in a fresh child
process, `open_sources([DB])` + `poll()` until done (time, RSS per span).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_bench import find_tracetui, timed  # noqa: E402

SPANS_PER_TRACE = 1000
OPEN_AT_END = 20

CHILD = """
import gc, json, os, sys, time
def rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
from tracetui.sources.discover import open_sources
from tracetui.store import Store
gc.collect()
base = rss()
t0 = time.perf_counter()
store = Store()
sources, notes = open_sources([sys.argv[1]], store)
t_open = time.perf_counter() - t0
for s in sources:
    while s.poll(final=True):
        pass
elapsed = time.perf_counter() - t0
gc.collect()
spans = sum(len(r.spans) for r in store.runs.values())
running = sum(len(r.anomalies.running) for r in store.runs.values())
print(json.dumps({"open_s": t_open, "load_s": elapsed, "runs": len(store.runs), "spans": spans,
                  "running": running, "rss_mb": rss() / 2**20,
                  "bytes_per_span": (rss() - base) / max(1, spans), "notes": notes + [n for s in sources for n in s.notes]}))
"""


#: What `--attributes` gives each kind of span: a small JSON object a row,
#: as an agent pipeline's tracer writes (a model and its token counts on
#: an LLM call, a tool's arguments, a retriever's index), numbers drawn
#: per row, names from a few.
MODELS = ("gpt-4o-mini", "claude-3-5-haiku", "llama-3.1-8b-instruct")


def row_attributes(rng: random.Random, name: str, i: int, status: str) -> dict:
    """The attributes object of one row of `--attributes`' table."""
    if name == "pipeline":
        attributes = {"pipeline": "rag-eval", "version": "1.4.2", "dataset": "dev"}
    elif name.startswith("step_"):
        attributes = {"step": i, "retries": rng.randrange(3)}
    elif name == "llm.call":
        attributes = {"model": rng.choice(MODELS), "input_tokens": rng.randrange(200, 4000),
                      "output_tokens": rng.randrange(10, 800), "temperature": 0.2}
    elif name == "tool.search":
        attributes = {"tool": "search", "query_chars": rng.randrange(10, 200), "results": rng.randrange(20)}
    elif name == "tool.exec":
        attributes = {"tool": "exec", "command": rng.choice(("pytest -q", "ls", "python main.py")),
                      "exit_code": 0}
    else:
        attributes = {"index": "docs-v3", "k": 8, "hits": rng.randrange(9)}
    if status == "error":
        attributes["error.type"] = "TimeoutError"
    return attributes


def make_db(path: str, rows: int, seed: int = 0, attributes: bool = False) -> None:
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE spans (span_id TEXT PRIMARY KEY, parent_id TEXT, trace_id TEXT, name TEXT, "
                 "start_time REAL, end_time REAL, status TEXT" + (", attributes TEXT)" if attributes else ")"))
    insert = "INSERT INTO spans VALUES (?,?,?,?,?,?,?" + (",?)" if attributes else ")")

    # (their own draws: the table's other cells are the same with or without them)
    drawn = random.Random(seed + 1)

    def row(i: int, *cells):
        if not attributes:
            return cells
        name, status = cells[3], cells[6]
        return cells + (json.dumps(row_attributes(drawn, name, i, status), separators=(",", ":")),)
    t = 1_795_412_244.0
    batch = []
    n = 0
    trace = 0
    while n < rows:
        trace_id = f"{trace:032x}"
        root = f"{trace:08x}{0:08x}"
        count = min(SPANS_PER_TRACE, rows - n)
        last_trace = n + count >= rows
        start = t + trace * 30
        batch.append(row(0, root, None, trace_id, "pipeline", start, start + 29, "ok"))
        steps = []
        for i in range(1, count):
            sid = f"{trace:08x}{i:08x}"
            s0 = start + i * 0.028
            end = s0 + rng.uniform(0.001, 0.5)
            if i <= 40:
                parent, name = root, f"step_{i}"
                steps.append(sid)
            else:
                parent, name = steps[i % len(steps)], rng.choice(("llm.call", "tool.search", "tool.exec", "retriever"))
            status = "error" if rng.random() < 0.01 else "ok"
            if last_trace and i >= count - OPEN_AT_END:
                end, status = None, "running"
            batch.append(row(i, sid, parent, trace_id, name, s0, end, status))
        if last_trace:
            batch[-count] = row(0, root, None, trace_id, "pipeline", start, None, "running")
        n += count
        trace += 1
        if len(batch) >= 50_000:
            conn.executemany(insert, batch)
            batch.clear()
    conn.executemany(insert, batch)
    conn.commit()
    conn.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--db", help="use (or create) this database file")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--attributes", action="store_true",
                    help="give the table an attributes column, a small JSON object a row (`row_attributes`)")
    ap.add_argument("--tracetui", help="the tracetui command (default: the installed one)")
    ap.add_argument("--out", help="JSON results file")
    args = ap.parse_args()
    tracetui = find_tracetui(args.tracetui)
    tmp = tempfile.mkdtemp(prefix="tracetui-sqlite-")
    db = args.db or os.path.join(tmp, "spans.db")
    if not os.path.exists(db):
        t0 = time.perf_counter()
        make_db(db, args.rows, attributes=args.attributes)
        print(f"created {db}: {args.rows:,} rows in {time.perf_counter() - t0:.1f} s "
              f"({os.path.getsize(db) / 1e6:.0f} MB)", file=sys.stderr)
    before = os.stat(db)
    commands = {
        "`tracetui runs DB --json`": [tracetui, "runs", db, "--json"],
        "`tracetui anomalies DB --all --json`": [tracetui, "anomalies", db, "--all", "--json"],
        "open_sources + poll (engine, no CLI)": [sys.executable, "-c", CHILD, db],
    }
    results: dict = {"db": db, "rows": args.rows, "bytes": os.path.getsize(db), "commands": {}}
    outputs = {}
    for index, (name, cmd) in enumerate(commands.items()):
        times, peaks = [], []
        for _ in range(args.runs):
            out = os.path.join(tmp, f"out-{index}.json")
            wall, peak, rc = timed(cmd, out)
            if rc != 0:
                print(f"{name}: exit code {rc}", file=sys.stderr)
            times.append(wall)
            peaks.append(peak)
            outputs[name] = out
        results["commands"][name] = {"median_s": statistics.median(times), "runs_s": times, "peak_rss_mb": max(peaks)}
    with open(outputs["open_sources + poll (engine, no CLI)"]) as f:
        engine = json.loads(f.read().strip().splitlines()[-1])
    with open(outputs["`tracetui runs DB --json`"]) as f:
        runs = json.load(f)
    with open(outputs["`tracetui anomalies DB --all --json`"]) as f:
        anomalies = json.load(f)
    after = os.stat(db)
    results["engine"] = engine
    results["checks"] = {
        "runs": len(runs), "spans_in_runs": sum(r["spans"] for r in runs),
        "running": len(anomalies["running"]), "errors": len(anomalies["errors"]),
        "db_untouched": (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)
        and not any(os.path.exists(db + s) for s in ("-wal", "-shm", "-journal")),
    }
    print(f"\n{args.rows:,}-row generic SQLite spans table ({results['bytes'] / 1e6:.0f} MB), "
          f"medians of {args.runs} runs, load {os.getloadavg()[0]:.2f}\n")
    print("| command | median | peak RSS |")
    print("|---|---|---|")
    for name, r in results["commands"].items():
        print(f"| {name} | {r['median_s']:.2f} s | {r['peak_rss_mb']:.0f} MB |")
    c = results["checks"]
    print(f"\nengine: open {engine['open_s'] * 1000:.0f} ms, loaded in {engine['load_s']:.2f} s, {engine['runs']:,} runs, "
          f"{engine['spans']:,} spans, {engine['bytes_per_span']:.0f} B per span held; "
          f"CLI: {c['runs']:,} runs, {c['spans_in_runs']:,} spans, {c['running']} running, {c['errors']:,} errors; "
          f"database untouched: {c['db_untouched']}")
    if engine["notes"]:
        print("notes: " + "; ".join(engine["notes"][:5]))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)
    if not args.keep:  # outputs, and the database unless --db named it
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
