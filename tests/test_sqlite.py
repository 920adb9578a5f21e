"""SQLite sources: Flujo, Trackio (real databases written by Trackio 0.43 and 0.25), a generic spans table; following, read-only, bad files."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import time
from datetime import datetime

import pytest

from sqlite_fixtures import (
    RUN_EPOCH, RUN_FAILED, RUN_KILLED, RUN_OK, RUN_PAUSED, add_run, add_span, make_big_generic, make_flujo,
    make_generic,
)
from tracetui.cli import main
from tracetui.sources.base import SourceError
from tracetui.sources.sqlite import dump_sqlite, open_sqlite
from tracetui.store import Store

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "trackio")
TRACKIO_DBS = [("agent-evals.db", "0.43"), ("agent-evals-025.db", "0.25")]


def cli_json(capsys, *argv):
    capsys.readouterr()
    assert main(list(argv) + ["--json"]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out)


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def snapshot(path: str) -> tuple:
    with open(path, "rb") as f:
        data = f.read()
    return data, os.stat(path).st_mtime_ns


def siblings(path: str) -> list[str]:
    return sorted(n for n in os.listdir(os.path.dirname(path))
                  if n.startswith(os.path.basename(path) + "-"))


@pytest.fixture
def flujo_db(tmp_path):
    path = str(tmp_path / "flujo_ops.db")
    make_flujo(path)
    return path


@pytest.fixture
def trackio_copy(tmp_path):
    """A copy of the 0.43 fixture (with its media) that tests may write to."""
    target = tmp_path / "agent-evals.db"
    shutil.copyfile(os.path.join(DATA, "agent-evals.db"), target)
    shutil.copytree(os.path.join(DATA, "media"), tmp_path / "media")
    return str(target)


# -- Flujo -----------------------------------------------------------------------

def test_flujo_runs_true_status_and_times(capsys, flujo_db):
    runs = {r["id"]: r for r in cli_json(capsys, "runs", flujo_db)}
    assert {k: v["status"] for k, v in runs.items()} == {
        RUN_OK: "ok", RUN_FAILED: "error", RUN_PAUSED: "paused", RUN_KILLED: "running", RUN_EPOCH: "ok"}
    # Monotonic span times are shifted onto runs.created_at; durations stay exact.
    assert runs[RUN_OK]["start_time"] == pytest.approx(epoch("2025-06-01T10:00:00+00:00"))
    assert runs[RUN_OK]["duration"] == pytest.approx(2.5)
    assert runs[RUN_OK]["spans"] == 4
    # Killed: a runs row and no spans still shows, with its status, and a
    # duration to its last update (here its creation), a lower bound.
    assert runs[RUN_KILLED]["spans"] == 0 and runs[RUN_KILLED]["duration"] == 0.0
    # The OpenTelemetry hook's epoch times are kept as they are.
    assert runs[RUN_EPOCH]["start_time"] == 1748786400.0
    failed = cli_json(capsys, "runs", flujo_db, "--status", "failed")
    assert [r["id"] for r in failed] == [RUN_FAILED]
    assert [r["id"] for r in cli_json(capsys, "runs", flujo_db, "--status", "paused")] == [RUN_PAUSED]


def test_flujo_discrepancy_and_clock_are_recorded(flujo_db):
    store = Store()
    open_sqlite(flujo_db, store).poll(final=True)
    paused = store.runs[RUN_PAUSED]
    assert paused.attributes["runs.status"] == "completed"
    assert paused.attributes["workflow_state.status"] == "paused"
    assert paused.attributes["status_discrepancy"] == "runs.status says completed, workflow_state says paused"
    ok = store.runs[RUN_OK]
    assert ok.attributes["clock"] == "monotonic, aligned to runs.created_at"
    assert "status_discrepancy" not in ok.attributes
    root = ok.spans["s-root"]
    assert root.start == pytest.approx(epoch("2025-06-01T10:00:00+00:00"))
    assert ok.spans["s-fetch"].start - root.start == pytest.approx(0.1)
    assert root.input == "a long document"
    assert ok.spans["s-fetch"].input == {"url": "http://x"}
    assert ok.spans["s-fetch"].kind == "agent"
    assert store.runs[RUN_EPOCH].attributes["clock"] == "epoch"


def test_flujo_tree_spans_stats_anomalies(capsys, flujo_db):
    tree = cli_json(capsys, "tree", flujo_db, RUN_OK[:12])
    roots = tree["roots"]
    assert [r["name"] for r in roots] == ["pipeline_run", "late_callback"]
    assert [c["name"] for c in roots[0]["children"]] == ["fetch", "write"]
    assert main(["tree", flujo_db, RUN_OK]) == 0
    assert "late_callback  250.0ms  (parent s-missing not found)" in capsys.readouterr().out

    spans = cli_json(capsys, "spans", flujo_db, RUN_FAILED, "--status", "failed")
    assert {s["name"]: s["error"]["message"] for s in spans}["validate"].startswith("schema mismatch")
    assert [s["name"] for s in cli_json(capsys, "spans", flujo_db, "--name", "writ")] == ["write"]

    stats = cli_json(capsys, "stats", flujo_db, RUN_OK)
    by_name = {row["name"]: row for row in stats["by_name"]}
    assert stats["spans"] == 4
    assert by_name["write"]["mean"] == pytest.approx(1.8)
    assert by_name["pipeline_run"]["max"] == pytest.approx(2.5)

    anomalies = cli_json(capsys, "anomalies", flujo_db, "--as-of", "1748779300")
    # The killed run's stand-in; not the paused run's spans, which wait for a human.
    (running,) = anomalies["running"]
    assert (running["action"], running["detail"]) == ("pipeline", "pipeline_run")
    assert running["start_time"] == epoch("2025-06-01T13:00:00+00:00")
    errors = {r["detail"]: r for r in anomalies["errors"]}
    assert set(errors) == {"pipeline_run", "validate"}
    assert errors["validate"]["duration"] == pytest.approx(0.7)
    assert "[red]x[/red]" in errors["validate"]["error"]
    assert anomalies["cancelled"] == [] and anomalies["timeouts"] == []


def test_flujo_real_sample_if_present(capsys, samples):
    path = os.path.join(samples, "flujo", "flujo_ops.db")
    if not os.path.exists(path):
        pytest.skip("sample_traces/flujo/flujo_ops.db not made yet")
    before = snapshot(path), siblings(path)
    runs = cli_json(capsys, "runs", path)
    assert runs and all(r["status"] in ("ok", "error", "running", "paused", "cancelled", "timeout")
                        for r in runs)
    for run in runs[:3]:
        cli_json(capsys, "tree", path, run["id"])
    assert (snapshot(path), siblings(path)) == before


# -- Trackio -----------------------------------------------------------------------

@pytest.mark.parametrize("name,version", TRACKIO_DBS)
def test_trackio_matches_get_traces(capsys, name, version):
    path = os.path.join(DATA, name)
    with open(os.path.join(DATA, name.replace(".db", ".expected.json"))) as f:
        expected = json.load(f)
    runs = {r["name"]: r for r in cli_json(capsys, "runs", path)}
    assert set(runs) == {"sweep-a", "sweep-b"}
    # Trackio records no run status: a run's status is its spans', as for
    # every other source (a failed span makes it `error`).
    assert all(r["status"] == ("error" if r["errors"] else "ok") for r in runs.values())
    store = Store()
    open_sqlite(path, store).poll(final=True)
    for run_name, traces in expected.get("get_traces", {}).items():
        run = store.find_run(run_name)
        mine = {s.id: s for s in run.roots}
        assert len(mine) == len(traces)
        for trace in traces:
            span = mine[trace["id"]]  # Trackio's own trace id
            assert span.kind == "trace"
            assert span.name.startswith(f"{trace['key']} · step {trace['step']}")
            assert span.input == trace["messages"]
            assert (span.attributes or {}) == trace["metadata"]
            assert span.start == pytest.approx(epoch(trace["timestamp"]))
    run = store.find_run("sweep-a")
    assert run.attributes["status"].startswith("unknown")
    vision = next(s for s in run.roots if s.name.startswith("vision"))
    image = vision.input[0]["content"][1]["image"]
    assert image["_type"] == "trackio.image"
    assert os.path.isfile(os.path.join(run.attributes["media_root"], image["file_path"]))
    assert run.attributes["media_dir"].endswith(os.path.join("media", name[:-3]))


def test_trackio_own_spans_become_children(capsys):
    path = os.path.join(DATA, "agent-evals.db")
    tree = cli_json(capsys, "tree", path, "sweep-a")
    step1 = next(r for r in tree["roots"] if r["name"] == "trace · step 1")
    gen = step1["children"][0]
    assert (gen["name"], gen["kind"], gen["duration"]) == ("chat.completions", "generation", 1.5)
    assert {c["name"]: c["status"] for c in gen["children"]} == {"calculator": "ok", "web_search": "error"}
    anomalies = cli_json(capsys, "anomalies", path)
    assert [(r["detail"], r["error"]) for r in anomalies["errors"]] == [("web_search", "rate limited")]
    stats = cli_json(capsys, "stats", path)
    assert stats["spans"] == 8 and stats["status"]["error"] == 1


def test_trackio_follows_new_traces_by_rowid(trackio_copy):
    store = Store()
    source = open_sqlite(trackio_copy, store)
    assert source.poll() is True
    run = store.find_run("sweep-b")
    assert len(run.roots) == 1
    assert source.poll() is False
    writer = sqlite3.connect(trackio_copy)
    writer.execute("PRAGMA journal_mode=WAL")
    row = writer.execute("SELECT run_id, run_name, timestamp FROM traces WHERE run_name='sweep-b'").fetchone()
    writer.execute("INSERT INTO traces (id, run_id, timestamp, run_name, step, key, messages, metadata, "
                   "search_text, spans) VALUES (?,?,?,?,?,?,?,?,?,?)",
                   (f"{row[0]}:new:trace", row[0], row[2], row[1], 1, "trace",
                    b'[{"role":"user","content":"again"}]', b'{"model":"m"}', "again", b"[]"))
    writer.commit()
    try:
        assert source.poll() is True
        assert [s.name for s in run.roots] == ["trace · step 0", "trace · step 1"]
        assert run.roots[1].input == [{"role": "user", "content": "again"}]
        assert source.poll() is False
    finally:
        writer.close()


# -- generic ---------------------------------------------------------------------------

def test_generic_table_maps_columns_and_says_what_it_did_not(capsys, tmp_path):
    path = str(tmp_path / "spans.db")
    make_generic(path)
    capsys.readouterr()
    assert main(["runs", path, "--json"]) == 0
    captured = capsys.readouterr()
    runs = {r["id"]: r for r in json.loads(captured.out)}
    assert runs["t1"]["status"] == "error" and runs["t2"]["status"] == "running"
    assert "mapped id←span_id, parent←parent_id, run←trace_id" in captured.err
    assert "not understood: colour, weight" in captured.err
    assert "status 'weird' not understood" in captured.err
    tree = cli_json(capsys, "tree", path, "t1")
    agent = tree["roots"][0]
    assert agent["duration"] == 4.0
    assert {c["name"]: c["duration"] for c in agent["children"]} == {"llm": 1.0, "tool": 1.5}
    roots = cli_json(capsys, "tree", path, "t2")["roots"]
    assert [r["name"] for r in roots] == ["agent", "stray"]
    stats = cli_json(capsys, "stats", path)
    assert stats["spans"] == 5 and stats["status"]["running"] == 1
    spans = cli_json(capsys, "spans", path, "--status", "error")
    assert [s["name"] for s in spans] == ["tool"]


def test_a_generic_tables_names_are_held_once_and_its_spans_hold_no_content_slots(tmp_path, monkeypatch):
    """A name repeated over the rows is one str, not one a row (sqlite3
    makes each cell its own), up to `SHARED_STRINGS_MAX` names; a row with
    no name is named by its id. A table without input, output or error
    columns makes `Span`s, which hold none of their slots."""
    import tracetui.formats.sqlite_generic as generic
    from tracetui.model import FullSpan, Span

    monkeypatch.setattr(generic, "SHARED_STRINGS_MAX", 3)
    path = str(tmp_path / "names.db")
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE spans (span_id TEXT, parent_id TEXT, trace_id TEXT, name TEXT, start_time REAL, "
                "end_time REAL)")
    names = ["llm", "tool", "llm", None, "", "plan", "late", "late", "tool"]
    con.executemany("INSERT INTO spans VALUES (?,?,?,?,?,?)",
                    [(f"s{i}", "s0" if i else None, "t", name, 1.7e9 + i, 1.7e9 + i + 0.5)
                     for i, name in enumerate(names)])
    con.commit()
    con.close()
    store = Store()
    open_sqlite(path, store).poll()
    spans = list(store.runs["t"].spans.values())
    assert [s.name for s in spans] == ["llm", "tool", "llm", "s3", "s4", "plan", "late", "late", "tool"]
    assert spans[0].name is spans[2].name and spans[1].name is spans[8].name
    assert spans[6].name is not spans[7].name  # past the most shared: each its own, and right
    assert {type(s) for s in spans} == {Span}
    assert spans[1].input is spans[1].output is spans[1].error is None and not spans[1].orphan
    # Its rowid held as itself, not as a tuple (80 bytes a span), and read so.
    assert [(type(s.origin), s.locators) for s in spans[:2]] == [(int, (1,)), (int, (2,))]

    path = str(tmp_path / "content.db")
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE spans (span_id TEXT, name TEXT, start_time REAL, end_time REAL, input TEXT)")
    con.execute("INSERT INTO spans VALUES ('a', 'llm', 1.7e9, 1.7e9 + 1, '{\"q\": 1}')")
    con.commit()
    con.close()
    store = Store()
    open_sqlite(path, store).poll()
    (span,) = store.runs["content"].spans.values()
    assert type(span) is FullSpan and span.input == {"q": 1}


@pytest.mark.parametrize("cells", [
    (1.7e9, 1.7e9 + 2.5),             # epoch seconds, REAL: read without `to_seconds`
    (1.7e12, 1.7e12 + 2500),          # milliseconds
    (1.7e15, 1.7e15 + 2.5e6),         # microseconds
    (1.7e18, 1.7e18 + 2.5e9),         # nanoseconds, REAL
    (1_700_000_000, 1_700_000_002),   # INTEGER seconds
    (-1e11, -1e11 + 2.5),             # the last negative seconds
    (1e11, 1e11 + 2.5),               # past the last seconds: milliseconds
    ("2023-11-14T22:13:20Z", "2023-11-14T22:13:22.5Z"),
    (1.7e9, float("nan")),
    (float("inf"), 1.7e9),
    (None, 1.7e9),
])
def test_a_generic_tables_time_cells_read_as_to_seconds_reads_them(tmp_path, cells):
    from tracetui.formats.sqlite_generic import to_seconds

    path = str(tmp_path / "times.db")
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE spans (span_id TEXT, name TEXT, start_time, end_time)")
    con.execute("INSERT INTO spans VALUES ('a', 'call', ?, ?)", cells)
    con.commit()
    con.close()
    store = Store()
    open_sqlite(path, store).poll()
    (span,) = store.runs["times"].spans.values()
    start, end = (to_seconds(cell) for cell in cells)
    duration = None if start is None or end is None or end < start else end - start
    assert (span.start, span.duration) == (start, duration)
    assert span.status == ("ok" if end is not None else "running")


def test_generic_big_table_streams_in_batches(tmp_path):
    path = str(tmp_path / "big.db")
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE spans (span_id TEXT, parent_id TEXT, name TEXT, start_time REAL, end_time REAL)")
    con.executemany("INSERT INTO spans VALUES (?,?,?,?,?)",
                    ((f"s{i}", "s0" if i else None, f"n{i % 7}", 1.7e9 + i, 1.7e9 + i + 0.5)
                     for i in range(12_000)))
    con.commit()
    con.close()
    store = Store()
    open_sqlite(path, store).poll(final=True)
    (run,) = store.runs.values()
    assert len(run.spans) == 12_000
    assert len(run.roots) == 1 and len(run.roots[0].children) == 11_999


# -- following -------------------------------------------------------------------------

def test_follow_wal_db_new_and_updated_rows(flujo_db):
    writer = sqlite3.connect(flujo_db)
    writer.execute("PRAGMA journal_mode=WAL")
    new_run = "run_" + "f" * 32
    add_run(writer, new_run, "live", "running", "2025-06-02T09:00:00+00:00")
    writer.commit()
    assert os.path.exists(flujo_db + "-wal")
    store = Store()
    source = open_sqlite(flujo_db, store)
    try:
        assert source.poll() is True
        run = store.runs[new_run]
        assert run.status == "running" and run.span_count() == 0
        assert source.poll() is False  # nothing changed: data_version says so
        # The run ends: Flujo updates runs.status/end_time and inserts its spans.
        writer.execute("UPDATE runs SET status='failed', end_time=? WHERE run_id=?",
                       ("2025-06-02T09:00:03+00:00", new_run))
        add_span(writer, new_run, "l-root", None, "pipeline_run", 50.0, 53.0, "failed")
        add_span(writer, new_run, "l-step", "l-root", "call", 50.5, None, "running")
        writer.commit()
        assert source.poll() is True
        assert run.status == "error"
        assert set(run.spans) == {"l-root", "l-step"}
        assert run.spans["l-root"].start == pytest.approx(epoch("2025-06-02T09:00:00+00:00"))
        assert run.spans["l-step"].status == "running"
        # An open span updated in place is re-read.
        writer.execute("UPDATE spans SET end_time=51.0, status='completed' WHERE span_id='l-step'")
        writer.commit()
        assert source.poll() is True
        assert run.spans["l-step"].status == "ok"
        assert run.spans["l-step"].duration == pytest.approx(0.5)
        assert "l-step" not in run.anomalies.running
        # A deleted run goes away.
        writer.execute("DELETE FROM runs WHERE run_id=?", (RUN_KILLED,))
        writer.commit()
        assert source.poll() is True
        assert RUN_KILLED not in store.runs
    finally:
        writer.close()


#: A Flujo writer that adds a run to the -wal and keeps the database in
#: EXCLUSIVE locking mode: no other connection can share its -wal.
EXCLUSIVE_WRITER = r"""
import sqlite3, sys
sys.path.insert(0, sys.argv[2])
from sqlite_fixtures import add_run
writer = sqlite3.connect(sys.argv[1], isolation_level=None)
writer.execute("PRAGMA journal_mode=WAL")
writer.execute("PRAGMA wal_autocheckpoint=0")
add_run(writer, "run_" + "9" * 32, "late", "running", "2025-06-02T09:00:00+00:00")
writer.execute("PRAGMA locking_mode=EXCLUSIVE")
writer.execute("BEGIN EXCLUSIVE")
writer.execute("COMMIT")  # the lock stays, as locking_mode says
print("ready", flush=True)
sys.stdin.read()
"""


def test_a_writer_holding_its_wal_exclusively_is_read_from_a_copy(capsys, flujo_db, monkeypatch):
    """Its -wal cannot be shared: the main file alone was read, the newest
    runs missing (said, after QA found it silent). The database and its
    -wal are read from a private copy instead; only when no copy can be
    made is the main file read alone, and said."""
    import subprocess
    import sys

    from tracetui.sources import sqlite as sqlite_source

    here = os.path.dirname(os.path.abspath(__file__))
    writer = subprocess.Popen([sys.executable, "-c", EXCLUSIVE_WRITER, flujo_db, here],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready"
        assert main(["runs", flujo_db, "--json"]) == 0
        captured = capsys.readouterr()
        assert "run_" + "9" * 32 in {r["id"] for r in json.loads(captured.out)}
        assert "write-ahead log" not in captured.err
        monkeypatch.setattr(sqlite_source, "private_copy", lambda path: None)
        for command in ("runs", "dump"):  # dump said nothing (QA)
            assert main([command, flujo_db, "--json"] if command == "runs" else [command, flujo_db]) == 0
            captured = capsys.readouterr()
            assert "read without its write-ahead log" in captured.err
            assert "the newest writes may be missing" in captured.err
            assert "9" * 32 not in captured.out
    finally:
        writer.stdin.close()
        writer.wait(10)


@pytest.mark.parametrize("how", ["renamed over", "copied over"])
@pytest.mark.parametrize("wal", [False, True], ids=["rollback journal", "wal"])
def test_a_database_replaced_by_another_drops_the_old_runs(tmp_path, wal, how):
    """A Flujo store replaced by a database of another kind kept its runs,
    their spans emptied, and the anomaly panel its rows (QA). Its runs go,
    and the database is read as what it is now (it was left unread)."""
    path = str(tmp_path / "flujo_ops.db")
    make_flujo(path, wal=wal)
    store = Store()
    source = open_sqlite(path, store)
    assert source.poll() is True and store.runs
    other = str(tmp_path / "other.db")
    make_generic(other)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    if how == "renamed over":
        os.replace(other, path)
    else:  # `cp other.db flujo_ops.db`: the same file, other bytes
        with open(other, "rb") as src, open(path, "r+b") as dst:
            data = src.read()
            dst.write(data)
            dst.truncate(len(data))
    assert source.poll() is True
    assert set(store.runs) == {"t1", "t2"} and source.format == "sqlite"
    assert source.records == 5
    said = source.notes[-1]
    assert said.startswith(f"{path}: ") and said.endswith("; read again")


def test_every_running_row_ages_to_as_of_a_paused_run_has_none(capsys):
    """SPEC: a running action's duration is as_of - start: the killed
    `crawl` run's (its stand-in, from its creation). A paused run's steps
    wait for a human: none is running (they were listed as running, as if
    hung; QA)."""
    path = os.path.join(os.path.dirname(os.path.dirname(DATA)), "..", "sample_traces", "flujo", "flujo_ops.db")
    assert main(["anomalies", path, "--json", "--as-of", "1796100000"]) == 0
    running = json.loads(capsys.readouterr().out)["running"]
    assert [row["detail"] for row in running] == ["pipeline_run"]
    assert running[0]["duration"] == pytest.approx(1796100000 - running[0]["start_time"])


def test_spans_status_paused_lists_the_steps_flujo_paused(capsys):
    """`runs --status paused` took it, `spans --status paused` exited 2 (QA)."""
    path = os.path.join(os.path.dirname(os.path.dirname(DATA)), "..", "sample_traces", "flujo", "flujo_ops.db")
    assert main(["spans", path, "--status", "paused", "--json"]) == 0
    paused = json.loads(capsys.readouterr().out)
    assert sorted(s["name"] for s in paused) == ["ask_human", "pipeline_run"]
    assert all(s["status"] == "paused" for s in paused)


@pytest.mark.parametrize("together", [True, False], ids=["one-read", "two-reads"])
def test_a_span_closed_by_a_row_of_its_own_stays_closed(tmp_path, together):
    """A table written append-only: a span's row when it starts, and
    another row of the same span id when it ends. The span is what its
    last row says, and stays so as the table grows: the first row, still
    open, is not read again over it (it was, and the span read running,
    and was listed as such, after the next write)."""
    path = str(tmp_path / "appended.db")
    writer = sqlite3.connect(path)
    writer.execute("CREATE TABLE spans (span_id TEXT, parent_id TEXT, trace_id TEXT, name TEXT, "
                   "start_time REAL, end_time REAL, status TEXT)")
    row = "INSERT INTO spans VALUES (?,?,?,?,?,?,?)"
    writer.execute(row, ("root", None, "t", "agent", 1.7e9, None, None))
    writer.execute(row, ("step", "root", "t", "llm", 1.7e9 + 1, None, None))
    writer.commit()
    store = Store()
    source = open_sqlite(path, store)
    try:
        if not together:
            assert source.poll() is True
            assert set(store.runs["t"].anomalies.running) == {"root", "step"}
        writer.execute(row, ("step", "root", "t", "llm", 1.7e9 + 1, 1.7e9 + 2, "ok"))
        writer.commit()
        assert source.poll() is True
        run = store.runs["t"]
        assert (run.spans["step"].status, run.spans["step"].duration) == ("ok", 1.0)
        for later in ("tool", "reply"):
            writer.execute(row, (later, "root", "t", later, 1.7e9 + 3, 1.7e9 + 4, "ok"))
            writer.commit()
            assert source.poll() is True
            assert (run.spans["step"].status, run.spans["step"].duration) == ("ok", 1.0)
            assert set(run.anomalies.running) == {"root"}
        # The root closes the same way; then nothing runs, however often read.
        writer.execute(row, ("root", None, "t", "agent", 1.7e9, 1.7e9 + 5, "ok"))
        writer.commit()
        for _ in range(2):
            source.poll()
            assert [s.status for s in run.spans.values()] == ["ok"] * 4
            assert not run.anomalies.running and source.decoder.open_rows == {}
        assert len(run.spans) == 4 and [c.id for c in run.spans["root"].children] == ["step", "tool", "reply"]
    finally:
        writer.close()


def test_follow_db_opened_immutable_when_a_writer_starts(tmp_path):
    path = str(tmp_path / "flujo_ops.db")
    make_flujo(path, wal=False)
    store = Store()
    source = open_sqlite(path, store)
    assert source.poll() is True
    assert siblings(path) == []
    assert source.poll() is False
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=WAL")
    add_run(writer, "run_" + "9" * 32, "late", "running", "2025-06-03T00:00:00+00:00")
    writer.commit()
    try:
        assert source.poll() is True
        assert store.runs["run_" + "9" * 32].name == "late"
    finally:
        writer.close()


def test_a_database_is_live_only_while_it_may_be_written(tmp_path):
    """The status line said `● live` for any database, one untouched for
    days too: a `-wal` beside it, or a write in the last 30 s, says a
    writer may be at work."""
    path = str(tmp_path / "flujo_ops.db")
    make_flujo(path, wal=False)
    source = open_sqlite(path, Store())
    assert source.live  # just written
    old = time.time() - 3600
    os.utime(path, (old, old))
    assert not source.live
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=WAL")
    add_run(writer, "run_" + "8" * 32, "late", "running", "2025-06-03T00:00:00+00:00")
    writer.commit()
    try:
        os.utime(path, (old, old))
        assert os.path.exists(path + "-wal") and source.live
    finally:
        writer.close()


GENERIC_SAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              "sample_traces", "sqlite", "generic_spans.db")


def insert_running_root(path: str, started_ago: float, wal: bool = False) -> sqlite3.Connection:
    """A running root span, begun `started_ago` s ago, written to the sample's
    table now; the writer's connection is returned open."""
    writer = sqlite3.connect(path)
    if wal:
        writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("INSERT INTO spans (id, trace_id, name, kind, start_ts, status) "
                   "VALUES ('n-1', 'new', 'NEW LIVE ROOT', 'http', ?, 'running')", (time.time() - started_ago,))
    writer.commit()
    return writer


def test_a_generic_database_seen_written_ages_to_its_last_write(tmp_path, monkeypatch, real_copy_gap):
    """A running span inserted 30 s after it began (its start the newest
    time in the database) read `≥0µs` and never grew while the database was
    being written: ages ran to the newest time recorded (QA). They run to
    the last write seen (its writer is not seen: a lower bound), and stay
    there once it falls quiet, not back to the last record; a copy (old
    records, new mtime) is not live, and keeps its last record's ages."""
    from tracetui.clock import ages_cut_short, as_of
    import tracetui.sources.sqlite as sqlite_source

    monkeypatch.setattr(sqlite_source, "WRITER_QUIET", 1.0)
    monkeypatch.setattr(sqlite_source, "LIVENESS_INTERVAL", 0.0)
    path = str(tmp_path / "g.db")
    shutil.copyfile(GENERIC_SAMPLE, path)
    store = Store()
    source = open_sqlite(path, store)
    source.poll()
    old = store.runs["req-8b01"]
    assert not source.live and not old.live  # a copy, just made
    assert as_of(old, time.time()) == old.last_time == 1795324812.1
    insert_running_root(path, 30).close()
    written = os.stat(path).st_mtime_ns / 1e9
    assert source.poll() is True
    run = store.runs["new"]
    assert source.live and run.live and not run.writer_seen
    age = run.anomalies.running["n-1"].duration_as_of(as_of(run, time.time() + 5))
    assert age == pytest.approx(30, abs=1) and ages_cut_short(run)
    # Every running span of the database is aged alike (as Flujo's).
    assert old.live and as_of(old, time.time()) == written
    time.sleep(1.1)  # quiet: its writer gone, or hung
    assert source.poll() is True
    assert not source.live and not run.live
    assert as_of(run, time.time() + 60) == written


def test_a_generic_wal_database_ages_to_its_wal_last_write(tmp_path, real_copy_gap):
    """A WAL writer writes the `-wal`, the database only when it
    checkpoints: its last change is the later of their mtimes. A `-wal`
    does not say the writer is there (a reader sharing it keeps it once the
    writer has closed the database), so ages do not run to now: they stop
    where they were."""
    from tracetui.clock import ages_cut_short, as_of

    path = str(tmp_path / "g.db")
    shutil.copyfile(GENERIC_SAMPLE, path)
    store = Store()
    source = open_sqlite(path, store)
    source.poll()
    writer = insert_running_root(path, 30, wal=True)
    try:
        source.poll()
        run = store.runs["new"]
        written = os.stat(path + "-wal").st_mtime_ns / 1e9
        assert run.live and not run.writer_seen and ages_cut_short(run)
        assert as_of(run, time.time() + 60) == written
    finally:
        writer.close()
    source.poll()
    assert as_of(run, time.time() + 60) == pytest.approx(written, abs=1)


def test_the_cli_ages_a_database_written_lately_as_the_tui_does(capsys, tmp_path, real_copy_gap):
    """Read once, a database written in the last 30 s by its writer (its
    newest record as recent as its last write) ages to that write; a copy
    of old records made as recently does not."""
    path = str(tmp_path / "g.db")
    shutil.copyfile(GENERIC_SAMPLE, path)
    insert_running_root(path, 2).close()
    written = os.stat(path).st_mtime_ns / 1e9
    (root,) = cli_json(capsys, "tree", path, "new")["roots"]
    assert root["duration"] == pytest.approx(written - (time.time() - 2), abs=1)
    (root,) = cli_json(capsys, "tree", GENERIC_SAMPLE, "req-8b01")["roots"]
    shutil.copyfile(GENERIC_SAMPLE, path)
    (copied,) = cli_json(capsys, "tree", path, "req-8b01")["roots"]
    assert copied["duration"] == root["duration"] == pytest.approx(2.1)
    # `anomalies` measures to now, or to the last change (-wal too) asked for.
    running = cli_json(capsys, "anomalies", path)["running"]
    assert all(row["duration"] > 86400 for row in running)


# -- read-only guarantee -----------------------------------------------------------------

@pytest.mark.parametrize("kind", ["flujo", "trackio", "trackio025", "generic"])
def test_reading_never_writes_or_leaves_files(capsys, tmp_path, kind):
    path = str(tmp_path / "db.db")
    if kind == "flujo":
        make_flujo(path)  # a WAL database with no -wal beside it: mode=ro alone would make one
    elif kind == "generic":
        make_generic(path)
    else:
        shutil.copyfile(os.path.join(DATA, "agent-evals.db" if kind == "trackio" else "agent-evals-025.db"), path)
    assert siblings(path) == []
    before = snapshot(path)
    os.chmod(path, 0o444)
    for argv in (["runs", path], ["tree", path], ["stats", path], ["anomalies", path], ["dump", path]):
        assert main(argv) == 0
    store = Store()
    source = open_sqlite(path, store)
    source.poll()
    span = next(iter(next(iter(store.runs.values())).spans.values()), None)
    if span is not None:
        (locator,) = span.locators
        raw = json.loads(source.raw(locator))
        assert raw["_rowid"] == (locator if isinstance(locator, int) else locator[1])
        assert span.run.id in json.dumps(raw)
    source.poll()
    capsys.readouterr()
    assert siblings(path) == []
    assert snapshot(path) == before


def test_dump_decodes_json_columns(flujo_db):
    out = io.StringIO()
    count = dump_sqlite(flujo_db, out)
    rows = json.loads(out.getvalue())
    assert count == len(rows) == 5 + 11 + 4
    span = next(r for r in rows if r["_table"] == "spans" and r["span_id"] == "s-fetch")
    assert span["attributes"]["step_input"] == {"url": "http://x"}


# -- bad databases -------------------------------------------------------------------------

def _one_line_error(capsys, argv):
    capsys.readouterr()
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_bad_databases_exit_1_with_one_line(capsys, tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")  # a database about to be created: nothing yet
    capsys.readouterr()
    assert main(["runs", str(empty), "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "[]\n" and "empty file" in captured.err and captured.err.count("\n") == 1

    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"SQLite format 3\x00" + os.urandom(3000))
    assert "garbage.db" in _one_line_error(capsys, ["runs", str(garbage)])

    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.executescript("CREATE TABLE a (x); CREATE TABLE b (y);")
    con.close()
    err = _one_line_error(capsys, ["tree", str(other)])
    assert "no spans table found; tables: a, b" in err
    with pytest.raises(SourceError):
        open_sqlite(str(other), Store())
    assert "no spans table found" in _one_line_error(capsys, ["dump", str(other)])


def test_truncated_database_never_tracebacks(capsys, tmp_path, flujo_db):
    data = open(flujo_db, "rb").read()
    for size in (100, 4096, 4096 * 3, len(data) // 2):
        cut = tmp_path / f"cut{size}.db"
        cut.write_bytes(data[:size])
        capsys.readouterr()
        code = main(["runs", str(cut)])
        err = capsys.readouterr().err
        assert code in (0, 1) and "Traceback" not in err
        if code == 1:
            assert err.count("\n") == 1


def test_directory_with_a_foreign_db_still_reads_the_good_ones(capsys, tmp_path):
    make_flujo(str(tmp_path / "flujo_ops.db"))
    con = sqlite3.connect(tmp_path / "other.db")
    con.execute("CREATE TABLE a (x)")
    con.close()
    capsys.readouterr()
    assert main(["runs", str(tmp_path), "--json"]) == 0
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)) == 5
    assert "other.db: no spans table found; tables: a" in captured.err


def test_a_json_string_cell_is_decoded_as_objects_and_arrays_are():
    from tracetui.formats.sqlite_generic import json_cell

    assert json_cell('"refund policy for damaged items"') == "refund policy for damaged items"
    assert json_cell(b'"caf\\u00e9"') == "café"
    assert json_cell('{"a": 1}') == {"a": 1} and json_cell("[1]") == [1]
    assert json_cell('"Hi," she said') == '"Hi," she said'  # not JSON: as it is
    assert json_cell("plain") == "plain"


@pytest.mark.parametrize("name", ["flujo/flujo_ops.db", "sqlite/generic_spans.db", "trackio/agent-evals.db"])
def test_a_gzipped_database_answers_as_the_database(tmp_path, capsys, name):
    """Any source may be gzipped, a database too: it is read from a
    decompressed copy, which goes at exit; the .gz is never written."""
    import gzip
    import shutil

    from tracetui.sources import sqlite as sqlite_source

    plain = os.path.join(os.path.dirname(__file__), "..", "sample_traces", name)
    gz = str(tmp_path / (os.path.basename(name) + ".gz"))
    with open(plain, "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    before = snapshot(gz)

    def runs(path):
        return [{k: r[k] for k in ("id", "name", "status", "start_time", "duration", "spans", "errors")}
                for r in cli_json(capsys, "runs", path)]

    assert runs(gz) == runs(plain)
    assert cli_json(capsys, "anomalies", gz, "--all")["errors"] == cli_json(capsys, "anomalies", plain, "--all")["errors"]
    copies = list(sqlite_source._COPIES)
    assert copies and all(os.path.isdir(d) for d in copies)
    sqlite_source.remove_copies()
    assert not any(os.path.exists(d) for d in copies)
    assert snapshot(gz) == before and sorted(os.listdir(tmp_path)) == [os.path.basename(gz)]


def test_an_aligned_flujo_span_shows_its_wall_time(flujo_db):
    """QA: the detail said `1795419640.078985 (monotonic clock)` for times
    already aligned to the run's creation."""
    import io

    from rich.console import Console

    from tracetui.app.detail import span_sections
    from tracetui.cli import load

    store, _ = load([flujo_db])
    shown = {}
    for run in store.runs.values():
        span = next(iter(run.spans.values()), None)
        if span is None:
            continue
        console = Console(file=io.StringIO(), width=100, color_system=None)
        for _, part in span_sections(span, time.time()):
            console.print(part)
        shown[run.attributes.get("clock")] = console.file.getvalue()
    aligned = shown["monotonic, aligned to runs.created_at"]
    assert "(monotonic clock)" not in aligned and "start     20" in aligned


def _read_shape(store: Store) -> dict:
    """What a read of a spans table made, span by span, to compare reads."""
    shape = {}
    for run in store.runs.values():
        spans = sorted((s.id, s.parent.id if s.parent else None, s.status, s.orphan, s.start, s.duration,
                        len(s.children or ())) for s in run.spans.values())
        shape[run.id] = (spans, sorted(s.id for s in run.roots),
                         {b: sorted(run.anomalies.bucket(b)) for b in ("running", "cancelled", "errors", "timeouts")})
    return shape


def _read_whole(path: str) -> tuple[dict, object]:
    store = Store()
    source = open_sqlite(path, store)
    source.poll()
    assert not source.behind
    return _read_shape(store), source


def test_a_spans_table_read_in_slices_is_read_as_in_one_go(tmp_path):
    """The app reads a big spans table a slice of rows per poll (its first
    runs shown at once, not after 17 s for 1M rows): the runs, the nesting
    (parents written after their children, one never written), the
    statuses and the anomalies come out as one read makes them, and the
    progress grows to the end."""
    path = str(tmp_path / "spans.db")
    make_big_generic(path)
    whole, whole_source = _read_whole(path)
    store = Store()
    source = open_sqlite(path, store)
    progress, polls = [], 0
    while True:
        source.poll(max_rows=700)
        polls += 1
        if not source.behind:
            break
        progress.append(source.progress)
    assert polls >= 5000 // 700 and progress == sorted(progress) and 0 < progress[0] < progress[-1] < 1
    assert source.progress == 1.0
    assert _read_shape(store) == whole
    assert source.decoder.records == whole_source.decoder.records == 5000
    assert any(s.orphan for run in store.runs.values() for s in run.spans.values())
    assert not source.poll(max_rows=700) and not source.behind  # nothing new: nothing read


def _read_on_in_slices(source) -> None:
    """Read the slices left, then the rows written meanwhile (a change the
    next poll sees), slice by slice."""
    while source.behind:
        source.poll(max_rows=700)
    time.sleep(0.01)
    source.poll(max_rows=700)  # the change, seen
    while source.behind:
        source.poll(max_rows=700)


def test_what_is_written_while_a_table_is_read_in_slices_is_read_too(tmp_path):
    """Rows added and a running span closed between two slices: once the
    read is done, the next poll sees the change, and what is shown is what
    a fresh read of the database shows."""
    path = str(tmp_path / "spans.db")
    make_big_generic(path)
    store = Store()
    source = open_sqlite(path, store)
    source.poll(max_rows=700)
    source.poll(max_rows=700)
    assert source.behind
    writer = sqlite3.connect(path)
    writer.execute("UPDATE spans SET status = 'ok', end_time = start_time + 1 WHERE span_id = '24-call-199'")
    writer.execute("INSERT INTO spans VALUES ('late-root', NULL, 'trace-late', 'pipeline', 1795413000.0, "
                   "NULL, 'running')")
    writer.commit()
    writer.close()
    _read_on_in_slices(source)
    assert _read_shape(store) == _read_whole(path)[0]
    assert "late-root" in store.runs["trace-late"].spans
    assert "24-call-199" not in store.runs["trace-24"].anomalies.running


def _nesting(store: Store) -> dict:
    """Each run's roots and each span's children, in their order."""
    return {run.id: ([s.id for s in run.roots], {s.id: [c.id for c in s.children or ()] for s in run.spans.values()})
            for run in store.runs.values()}


@pytest.mark.parametrize("runs_first_max", [200, 0])
def test_a_big_tables_runs_with_spans_running_are_read_whole_first(tmp_path, monkeypatch, runs_first_max):
    """Read in slices, the runs with spans running (or cancelled) come
    whole after the first slice, wherever their rows lie: a hung run's
    rows are at the end of the table, and the anomaly panel listed them
    only once all of it was read (5.3 s for 1M rows). Then the rest, in
    order. It all reads as one read makes it, in the same order, rows
    written meanwhile included. With more such runs than
    `RUNS_FIRST_MAX`, the table is read in its order."""
    import tracetui.formats.sqlite_generic as generic

    monkeypatch.setattr(generic, "RUNS_FIRST_MAX", runs_first_max)
    path = str(tmp_path / "spans.db")
    make_big_generic(path)  # 25 runs of 200 spans; the last run's last 12 still open
    store = Store()
    source = open_sqlite(path, store)
    source.poll(max_rows=700)
    assert "trace-24" not in store.runs
    source.poll(max_rows=700)
    assert source.behind
    held = sum(len(run.spans) for run in store.runs.values())
    assert 1400 <= held < 5000
    if runs_first_max:
        run = store.runs["trace-24"]
        assert len(run.spans) == 200 and len(run.anomalies.running) == 12
        before = _read_whole(path)[1].store
        assert _nesting(store)["trace-24"] == _nesting(before)["trace-24"]
    else:
        assert "trace-24" not in store.runs
    # Written between slices: a span of the run read first, one of a run
    # not read yet, one of a run read already.
    writer = sqlite3.connect(path)
    for span_id, run_id in (("24-late", "trace-24"), ("20-late", "trace-20"), ("0-late", "trace-0")):
        writer.execute("INSERT INTO spans VALUES (?, ?, ?, 'llm.call', 1795413000.0, 1795413001.0, 'ok')",
                       (span_id, span_id.replace("late", "root"), run_id))
    writer.commit()
    writer.close()
    _read_on_in_slices(source)
    whole, whole_source = _read_whole(path)
    assert _read_shape(store) == whole
    assert _nesting(store) == _nesting(whole_source.store)
    assert source.decoder.records == whole_source.decoder.records == 5003


def _picked_early(tmp_path, monkeypatch, writer: bool = False) -> tuple[str, Store, object, sqlite3.Connection | None]:
    """The big generic table opened as the app opens it: its runs to read
    first picked in a thread before the first slice (`start_early`).
    `writer`: a WAL database, held open by a writer (returned), read as
    it changes (not immutable)."""
    import tracetui.formats.sqlite_generic as generic
    import tracetui.sources.sqlite as sqlite_source
    from tracetui.prescan import start_early

    monkeypatch.setattr(generic, "PICKED_EARLY_MIN", 1000)  # (the table has 5,000 rows)
    path = str(tmp_path / "spans.db")
    make_big_generic(path)  # the last run's last 12 spans still open
    held = None
    if writer:
        held = sqlite3.connect(path)
        held.execute("PRAGMA journal_mode=WAL")
        held.execute("SELECT count(*) FROM spans").fetchone()  # (its -wal made)
        # (a writer in another process: this one's own descriptors are not looked at)
        monkeypatch.setattr(sqlite_source, "database_writer", lambda path: True)
    store = Store()
    source = open_sqlite(path, store)
    assert source._immutable is not writer
    assert start_early([source], []) == {}
    return path, store, source, held


@pytest.mark.parametrize("writer", [False, True], ids=["immutable", "wal with its writer"])
def test_a_big_tables_runs_first_are_picked_in_a_thread_as_the_app_opens_it(tmp_path, monkeypatch, writer):
    """The query picking the runs read first runs in a thread on a
    connection of its own, begun before the app is imported: the reader's
    second slice takes its answer (it no longer queries), and the table
    reads as one read makes it."""
    path, store, source, _ = _picked_early(tmp_path, monkeypatch, writer)
    picker = source.decoder._picker
    assert picker is not None and picker.result() == ["trace-24"]
    monkeypatch.setattr(source.decoder, "_runs_first", lambda conn: pytest.fail("picked again in the read"))
    source.poll(max_rows=700)
    source.poll(max_rows=700)
    run = store.runs["trace-24"]
    assert len(run.spans) == 200 and len(run.anomalies.running) == 12
    _read_on_in_slices(source)
    whole, whole_source = _read_whole(path)
    assert _read_shape(store) == whole
    assert _nesting(store) == _nesting(whole_source.store)


def test_rows_written_after_the_early_pick_are_picked_among(tmp_path, monkeypatch):
    """A run written with spans running between the early pick and the
    first slice is read first too: the early pick, made before it, is not
    taken (the reader picks anew among all the rows)."""
    path, store, source, writer = _picked_early(tmp_path, monkeypatch, writer=True)
    assert source.decoder._picker.result() == ["trace-24"]
    writer.execute("INSERT INTO spans VALUES ('late-root', NULL, 'trace-late', 'pipeline', 1795413000.0, "
                   "NULL, 'running')")
    writer.commit()
    source.poll(max_rows=700)
    source.poll(max_rows=700)
    assert len(store.runs["trace-24"].spans) == 200
    assert "late-root" in store.runs["trace-late"].anomalies.running
    _read_on_in_slices(source)
    assert _read_shape(store) == _read_whole(path)[0]


def test_a_pick_that_cannot_connect_is_made_by_the_reader(tmp_path, monkeypatch):
    """The thread's connection fails (the database gone from under it, a
    private copy removed): the reader picks the runs itself, and still
    reads them first."""
    import tracetui.sources.sqlite as sqlite_source

    def failing(self, conn):
        def connect():
            raise sqlite3.OperationalError("unable to open database file")
        return connect

    monkeypatch.setattr(sqlite_source.SQLiteSource, "_another_connection", failing)
    path, store, source, _ = _picked_early(tmp_path, monkeypatch)
    assert source.decoder._picker.result() is None
    source.poll(max_rows=700)
    source.poll(max_rows=700)
    assert len(store.runs["trace-24"].spans) == 200
    _read_on_in_slices(source)
    assert _read_shape(store) == _read_whole(path)[0]


def test_a_table_replaced_while_read_in_slices_shows_only_what_the_new_one_holds(tmp_path):
    """Another database renamed over the one being read in slices: the
    read does not go on from the old one's rows; what is shown in the end
    is the new database, as a fresh read shows it."""
    path = str(tmp_path / "spans.db")
    make_big_generic(path)
    store = Store()
    source = open_sqlite(path, store)
    source.poll(max_rows=700)
    assert source.behind
    other = str(tmp_path / "other.db")
    make_big_generic(other, traces=3, per_trace=50)
    os.replace(other, path)
    for _ in range(50):
        source.poll(max_rows=700)
        if not source.behind:
            break
    source.poll(max_rows=700)
    while source.behind:
        source.poll(max_rows=700)
    assert _read_shape(store) == _read_whole(path)[0]
    assert sorted(store.runs) == ["trace-0", "trace-1", "trace-2"]


@pytest.mark.parametrize("max_rows", [None, 700])
def test_a_cell_of_bad_utf8_deep_in_a_big_table_is_read_with_replacement_characters(tmp_path, max_rows):
    """Rows are fetched with sqlite3's own text decoding (fast) until a
    cell is not UTF-8: then with the lenient one, from where it was, so
    no row is lost or read twice, whether read whole or in slices."""
    path = str(tmp_path / "spans.db")
    make_big_generic(path)
    con = sqlite3.connect(path)
    con.execute("UPDATE spans SET name = CAST(X'6164EDA080' AS TEXT) WHERE span_id = '17-call-120'")
    con.commit()
    con.close()
    store = Store()
    source = open_sqlite(path, store)
    source.poll(max_rows=max_rows)
    while source.behind:
        source.poll(max_rows=max_rows)
    assert source.decoder.records == 5000
    assert store.runs["trace-17"].spans["17-call-120"].name == "ad\ufffd\ufffd\ufffd"
    assert sum(len(run.spans) for run in store.runs.values()) == 5000
    assert source._conn.text_factory is not str  # the lenient one, for what else reads it


def test_the_app_imports_sqlite_only_once_a_database_is_opened(tmp_path):
    """`sqlite3` (~1 MB of the app's memory) is imported once a database is
    opened, not by the app itself; a log's source is not a database's, a
    database's is (`is_database`, asked without importing it)."""
    import subprocess
    import sys

    from tracetui.sources.base import is_database
    from tracetui.sources.discover import open_sources

    samples = os.path.join(os.path.dirname(__file__), "..", "sample_traces")
    # The app built as `tracetui LOG` builds it: its early scans started too
    # (`prescan.start_early` once imported it, to ask the same question).
    probe = ("import sys; from tracetui.app.main import build_app; build_app(sys.argv[1:]); "
             "print(sorted(m for m in sys.modules if 'sqlite' in m))")
    out = subprocess.run([sys.executable, "-c", probe, os.path.join(samples, "inspect", "hung.log")],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    log, = open_sources([os.path.join(samples, "inspect", "hung.log")], Store())[0]
    db, = open_sources([os.path.join(samples, "sqlite", "spans.db")], Store())[0]
    assert not is_database(log) and is_database(db)
