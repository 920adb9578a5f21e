"""Flujo runs as they live and end: a run is live only while a process holds
its database open for writing (a killed one left its `-wal`, and read
`● live` for ever), a killed run reads as stopped and is listed as still
running, a paused run's steps wait for a human rather than hang, and a step
timeout reads `timeout`.

The killed database is Flujo's own (tests/data/flujo/make_killed.py: real
Flujo, SIGKILLed mid-step, its `-wal` kept); the paused and timed-out runs
are in sample_traces/flujo/flujo_ops.db (sample_traces/make_flujo.py).
The live writer is a process of its own, holding the database open.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime

import pytest
from rich.console import Console

from headless import open_app, settle
from sqlite_fixtures import FLUJO_SCHEMA, add_run, add_span
from tracetui.analysis import run_duration_cut_short
from tracetui.cli import main
from tracetui.clock import ages_cut_short, as_of
from tracetui.formats import flujo
from tracetui.query import Query
from tracetui.sources import sqlite as sqlite_source
from tracetui.sources import writers
from tracetui.sources.sqlite import open_sqlite
from tracetui.store import Store

HERE = os.path.dirname(os.path.abspath(__file__))
KILLED = os.path.join(HERE, "data", "flujo", "killed.db")
SAMPLE = os.path.join(os.path.dirname(HERE), "sample_traces", "flujo", "flujo_ops.db")
#: Runs of the sample (sample_traces/make_flujo.py).
APPROVAL = "run_785e8ec0350840c6ac45e5e2faa6316c"
SLOW_REPORT = "run_3a84bdfeaab744e99684f37a953e5309"
CRAWL = "run_cbea2cd214ae47a988d4be6b30a4154f"
NOW = 1795412400.0

#: The writer: a Flujo-like process that records a run as begun, then
#: holds the database open for writing (its `-wal` too) until killed.
WRITER = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("PRAGMA journal_mode=WAL")
con.execute("BEGIN")
for statement in sys.argv[2:]:
    con.execute(statement)
con.execute("COMMIT")
print("written", flush=True)
sys.stdin.read()
"""


def start_writer(path: str, *statements: str) -> subprocess.Popen:
    """A WRITER process that has run `statements` and holds the database."""
    writer = subprocess.Popen([sys.executable, "-c", WRITER, path, *statements],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline() == "written\n"
    return writer


def running_run(run_id: str, name: str, created: float, updated: float) -> str:
    """The `runs` row of a run Flujo has begun."""
    return ("INSERT INTO runs (run_id, pipeline_id, pipeline_name, pipeline_version, status, created_at, "
            f"updated_at) VALUES ('{run_id}', 'p', '{name}', '1', 'running', '{iso(created)}', '{iso(updated)}')")


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def iso(t: float) -> str:
    return datetime.fromtimestamp(t).astimezone().isoformat()


def cli_json(capsys, *argv):
    capsys.readouterr()
    assert main(list(argv) + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def cli_text(capsys, *argv) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out


@pytest.fixture
def quick(monkeypatch):
    """The writer looked for on every poll."""
    monkeypatch.setattr(writers, "RESCAN_FIRST", 0.0)
    monkeypatch.setattr(writers, "SNAPSHOT_TTL", 0.0)
    monkeypatch.setattr(sqlite_source, "LIVENESS_INTERVAL", 0.0)


@pytest.fixture
def killed_db(tmp_path) -> str:
    """The killed run's database and its `-wal`, side by side, as Flujo left them."""
    path = str(tmp_path / "flujo_ops.db")
    for suffix in ("", "-wal"):
        with gzip.open(KILLED + suffix + ".gz", "rb") as src, open(path + suffix, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return path


@pytest.fixture
def sample_db(tmp_path) -> str:
    path = str(tmp_path / "flujo_ops.db")
    shutil.copyfile(SAMPLE, path)
    return path


def empty_flujo(path: str) -> None:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.executescript(FLUJO_SCHEMA)
    con.commit()
    con.close()


# -- 1. its writer killed -------------------------------------------------------------

def test_a_killed_flujos_run_is_not_live_and_is_listed_still_running(killed_db, capsys):
    """Flujo SIGKILLed mid-step: its run `running` in the database, no
    spans, the `-wal` left. It read `● live`, its age ticking plainly, for
    ever, and was in no anomaly list (QA). Nothing holds the database now:
    not live; its age runs to its last update, a lower bound (`≥`); and a
    node stands for it, running, in the tree and the anomalies."""
    assert os.path.exists(killed_db + "-wal")
    store = Store()
    source = open_sqlite(killed_db, store)
    source.poll(final=True)
    (run,) = store.runs.values()
    assert run.name == "crawl" and run.status == "running"
    assert not run.live and not source.live
    assert ages_cut_short(run) and run_duration_cut_short(run, run.status)
    # Its window: from its creation to the last step Flujo recorded ending.
    created = epoch(run.attributes["created_at"])
    assert run.start == created and run.end > created
    assert as_of(run, time.time()) == run.end
    (stand_in,) = run.roots
    assert stand_in.synthetic and stand_in.status == "running" and run.span_count() == 0
    assert stand_in.start == created and stand_in.detail == flujo.STAND_IN_GONE
    assert run.anomalies.running[stand_in.id].span is stand_in

    (row,) = cli_json(capsys, "runs", killed_db)
    # No span written, one running: its stand-in (`RUNNING 0` beside a
    # running anomaly, and `spans` listed nothing).
    assert (row["status"], row["spans"], row["running"]) == ("running", 0, 1)
    (listed,) = cli_json(capsys, "spans", killed_db, "--status", "running")
    assert (listed["name"], listed["status"], listed["unwritten"]) == ("pipeline_run", "running", True)
    assert row["duration"] == pytest.approx(run.end - created)
    assert re.search(r" running +\S+ \S+ +≥\d+\.\dms +0 ", cli_text(capsys, "runs", killed_db))
    anomalies = cli_json(capsys, "anomalies", killed_db, "--as-of", str(created + 60))
    assert [(r["action"], r["detail"], r["duration"]) for r in anomalies["running"]] == [
        ("pipeline", "pipeline_run", pytest.approx(60))]
    tree = cli_text(capsys, "tree", killed_db)
    assert re.search(r"▶ pipeline_run  never finished: its writer is gone \(killed\?\)  ≥\d", tree)
    # Read, never written: its -wal stays as Flujo left it.
    assert os.path.exists(killed_db + "-wal")


async def test_the_tui_shows_a_killed_run_stopped_and_running(killed_db):
    """The run list, the panel and the tree agree: no `●`, `▶` running,
    ages `≥`; the status line does not say live."""
    app = open_app(killed_db, now=NOW)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        row = app.run_list.render_row(0, 60).plain
        assert not row.startswith("●") and "▶" in row and "crawl" in row and "≥" in row
        panel = app.anomaly_panel
        ((bucket, anomaly, _),) = panel.rows
        assert bucket == "running" and anomaly.detail == "pipeline_run"
        assert re.match(r"▶ +≥\d+\.\dms pipeline", panel.render_row(0, 100).plain)
        tree_row = app.tree.render_row(0, 100).plain
        assert "pipeline_run" in tree_row and "never finished" in tree_row and "≥" in tree_row
        assert "● live" not in str(app.query_one("#status").render())


def test_a_writer_holding_the_database_is_live_until_it_is_killed(tmp_path, quick):
    """A process holding the database open for writing (as Flujo does while
    it runs a pipeline): its running run is `● live` and ages to now. Then
    it is SIGKILLed, its `-wal` left behind: the run is no longer live, and
    its ages stop where its writer was last seen, as lower bounds."""
    path = str(tmp_path / "flujo_ops.db")
    empty_flujo(path)
    begun = time.time() - 5
    run_id = "run_" + "7" * 32
    writer = start_writer(
        path, running_run(run_id, "crawl", begun, begun),
        "INSERT INTO workflow_state (run_id, pipeline_id, pipeline_name, pipeline_version, "
        f"current_step_index, status, created_at, updated_at) VALUES ('{run_id}', 'p', 'crawl', '1', 1, "
        f"'running', '{iso(begun)}', '{iso(begun + 0.5)}')")
    try:
        store = Store()
        source = open_sqlite(path, store)
        source.poll()
        run = store.runs[run_id]
        assert run.live and run.writer_seen and source.live
        assert not ages_cut_short(run)
        now = time.time()
        assert as_of(run, now) == now  # ages to now, however quiet it is
        source.poll()
        assert run.live  # still there: still live
        last_seen = time.time()
        as_of(run, last_seen)  # the views ask while it lives
        stand_in = run.anomalies.running.get(run_id)
    finally:
        writer.kill()
        writer.wait()
    assert os.path.exists(path + "-wal")  # as a killed Flujo leaves it
    assert source.poll() is True  # its liveness changed: the views redraw
    assert not run.live and not run.writer_seen and not source.live
    assert ages_cut_short(run)
    # Frozen where its writer was last seen, however long after.
    # (The last look that found it at work: at or before the views' last ask.)
    frozen = as_of(run, time.time() + 60)
    assert frozen == as_of(run, time.time() + 3600) and last_seen - 1.0 <= frozen <= last_seen
    source.poll()
    assert not run.live
    # Its stand-in aged to now while it lived; it says now how it ended.
    assert stand_in is not None and stand_in.span.detail == flujo.STAND_IN_GONE
    assert stand_in.duration_as_of(last_seen) == pytest.approx(last_seen - begun, abs=0.01)


def test_a_writer_that_cannot_be_looked_for_falls_back_to_the_wal(tmp_path, quick, monkeypatch):
    """Where `/proc` cannot tell, a `-wal` beside the database says a
    writer may be at work, as before."""
    path = str(tmp_path / "flujo_ops.db")
    empty_flujo(path)
    writer = sqlite3.connect(path)
    add_run(writer, "run_" + "6" * 32, "crawl", "running", iso(time.time()))
    writer.commit()
    monkeypatch.setattr(writers, "open_for_writing", lambda path, companion=None: None)
    try:
        store = Store()
        source = open_sqlite(path, store)
        source.poll()
        assert store.runs["run_" + "6" * 32].live and source.live
    finally:
        writer.close()


def test_the_stand_in_gives_way_to_the_runs_own_spans(tmp_path):
    """The run ends: Flujo sets its status and inserts its spans. The
    node that stood for it goes; its own root (even one named with the
    run's id, the stand-in's) takes the tree."""
    path = str(tmp_path / "flujo_ops.db")
    empty_flujo(path)
    run_id = "run_" + "5" * 32
    writer = sqlite3.connect(path)
    add_run(writer, run_id, "crawl", "running", "2025-06-02T09:00:00+00:00")
    writer.commit()
    try:
        store = Store()
        source = open_sqlite(path, store)
        source.poll()
        run = store.runs[run_id]
        assert [s.synthetic for s in run.roots] == [True] and run.anomalies.running
        writer.execute("UPDATE runs SET status='completed', end_time='2025-06-02T09:00:02+00:00' "
                       "WHERE run_id=?", (run_id,))
        add_span(writer, run_id, run_id, None, "pipeline_run", 50.0, 52.0, "completed")
        add_span(writer, run_id, "s-1", run_id, "download", 50.5, 51.5, "completed")
        writer.commit()
        assert source.poll() is True
        assert run.status == "ok" and run.span_count() == len(run.spans) == 2
        (root,) = run.roots
        assert not root.synthetic and [c.name for c in root.children] == ["download"]
        assert not any(run.anomalies.counts().values())
        assert run.start == epoch("2025-06-02T09:00:00+00:00") and run.end - run.start == pytest.approx(2.0)
    finally:
        writer.close()


# -- 2. a paused run ---------------------------------------------------------------------

def test_a_paused_runs_steps_are_paused_not_running(sample_db, capsys):
    """`approval` paused at its `human_in_the_loop` step: Flujo leaves that
    step `running`, with no end, and its root `paused`. They wait for a
    human: paused, in every view, and in no anomaly bucket (they were
    listed as running, as if hung; QA)."""
    store = Store()
    open_sqlite(sample_db, store).poll(final=True)
    run = store.runs[APPROVAL]
    statuses = {s.name: s.status for s in run.spans.values()}
    assert statuses == {"pipeline_run": "paused", "prepare": "ok", "ask_human": "paused"}
    ask = next(s for s in run.spans.values() if s.name == "ask_human")
    assert ask.attributes["flujo.status"] == "running"  # Flujo's word, kept
    assert run.status == "paused" and not any(run.anomalies.counts().values())

    runs = {r["id"]: r for r in cli_json(capsys, "runs", sample_db)}
    assert (runs[APPROVAL]["status"], runs[APPROVAL]["running"]) == ("paused", 0)
    anomalies = cli_json(capsys, "anomalies", sample_db, "--all")
    listed = {r["detail"] for bucket in ("running", "cancelled", "errors", "timeouts")
              for r in anomalies[bucket]}
    assert "ask_human" not in listed
    tree = cli_json(capsys, "tree", sample_db, APPROVAL)["roots"][0]
    assert tree["status"] == "paused" and [c["status"] for c in tree["children"]] == ["ok", "paused"]
    assert "└─ ‖ ask_human  —" in cli_text(capsys, "tree", sample_db, APPROVAL)
    paused = cli_json(capsys, "spans", sample_db, "--status", "paused")
    assert sorted(s["name"] for s in paused) == ["ask_human", "pipeline_run"]
    # The panes' filter takes it too (it matched nothing, and hinted a typo).
    query = Query("status:paused")
    assert query.matches_run(run) and query.matches_span(ask) and not query.typo_hint()


async def test_the_tui_shows_a_paused_run_paused(sample_db):
    app = open_app(sample_db, now=NOW)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        runs = app.run_list
        index = next(i for i, r in enumerate(runs.runs) if r.id == APPROVAL)
        assert "‖" in runs.render_row(index, 60).plain
        panel = app.anomaly_panel
        assert all(run.id != APPROVAL for _, _, run in panel.rows)
        runs.select_run(runs.runs[index])
        await pilot.pause(0.2)
        tree = app.tree
        rows = [tree.render_row(i, 100).plain for i in range(tree.row_count())]
        ask = next(row for row in rows if "ask_human" in row)
        assert "‖" in ask and "▶" not in ask
        tree.focus()
        tree.cursor = rows.index(ask)
        await pilot.pause(0.2)
        assert app.detail.span.name == "ask_human"
        console = Console(file=io.StringIO(), width=100, color_system=None)
        console.print(app.detail.renderable)
        text = console.file.getvalue()
        assert "‖ ask_human  paused" in text and "(paused: waiting for a human to resume its run)" in text


def test_a_paused_run_resumed_runs_again(tmp_path):
    """Its open steps are re-read when the database changes: resumed (its
    workflow state `running` again), they run."""
    path = str(tmp_path / "flujo_ops.db")
    empty_flujo(path)
    run_id = "run_" + "4" * 32
    writer = sqlite3.connect(path)
    add_run(writer, run_id, "approval", "completed", "2025-06-02T09:00:00+00:00", state="paused")
    add_span(writer, run_id, "root", None, "pipeline_run", 50.0, 50.2, "paused")
    add_span(writer, run_id, "ask", "root", "ask_human", 50.1, None, "running")
    writer.commit()
    try:
        store = Store()
        source = open_sqlite(path, store)
        source.poll()
        run = store.runs[run_id]
        assert run.spans["ask"].status == "paused" and not run.anomalies.running
        writer.execute("UPDATE workflow_state SET status='running' WHERE run_id=?", (run_id,))
        writer.execute("UPDATE runs SET status='running' WHERE run_id=?", (run_id,))
        writer.commit()
        assert source.poll() is True
        assert run.status == "running" and run.spans["ask"].status == "running"
        assert list(run.anomalies.running) == ["ask"]
    finally:
        writer.close()


# -- 3. a step timeout ------------------------------------------------------------------

def test_a_step_flujo_stopped_at_its_timeout_is_a_timeout(sample_db, capsys):
    """`slow_report`: `timeout_s=0.3` on a 2 s step. Flujo records the step
    `failed`, its feedback naming the TimeoutError: it read `error` (QA)."""
    store = Store()
    open_sqlite(sample_db, store).poll(final=True)
    run = store.runs[SLOW_REPORT]
    render = next(s for s in run.spans.values() if s.name == "render_pdf")
    assert render.status == "timeout" and render.attributes["flujo.status"] == "failed"
    assert render.error["message"].startswith("Agent execution failed with TimeoutError")
    assert list(run.anomalies.timeouts) == [render.id]
    anomalies = cli_json(capsys, "anomalies", sample_db, "--all")
    assert [r["detail"] for r in anomalies["timeouts"]] == ["render_pdf"]
    assert "render_pdf" not in {r["detail"] for r in anomalies["errors"]}
    spans = cli_json(capsys, "spans", sample_db, SLOW_REPORT, "--status", "timeout")
    assert [s["name"] for s in spans] == ["render_pdf"]


@pytest.mark.parametrize("feedback, status", [
    ("Agent execution failed with TimeoutError: ", "timeout"),
    ("Agent execution failed with asyncio.TimeoutError: ", "timeout"),
    ("Agent execution failed with OrchestratorRetryError: Agent timed out after 3 attempts", "timeout"),
    ("Agent execution failed with ValueError: column 'timeout' is not a number", "error"),
    ("Agent execution failed with ValueError: the upstream TimeoutErrors table is empty", "error"),
])
def test_only_flujos_own_timeout_feedback_makes_a_timeout(tmp_path, feedback, status):
    path = str(tmp_path / "flujo_ops.db")
    empty_flujo(path)
    run_id = "run_" + "3" * 32
    con = sqlite3.connect(path)
    add_run(con, run_id, "slow", "failed", "2025-06-02T09:00:00+00:00", state="failed")
    add_span(con, run_id, "root", None, "pipeline_run", 50.0, 51.0, "failed")
    add_span(con, run_id, "step", "root", "render", 50.1, 50.4, "failed", feedback=feedback)
    con.commit()
    con.close()
    store = Store()
    open_sqlite(path, store).poll(final=True)
    assert store.runs[run_id].spans["step"].status == status
    assert store.runs[run_id].spans["root"].status == "error"


def test_a_run_killed_before_its_databases_new_writer_started_is_not_its(tmp_path, quick):
    """QA: a shared `flujo_ops.db` held a run killed ten days before
    (`running`, never finished); a new pipeline started and held the
    database. The old run read `● ▶ crawl 10d01h`. Its last update is from
    before that writer started: not live, its age a lower bound; the new
    run is live."""
    path = str(tmp_path / "flujo_ops.db")
    empty_flujo(path)
    killed, fresh = "run_" + "1" * 32, "run_" + "2" * 32
    seed = sqlite3.connect(path)
    add_run(seed, killed, "crawl", "running", iso(time.time() - 10 * 86400))
    seed.commit()
    seed.close()
    writer = start_writer(path, running_run(fresh, "ingest", time.time(), time.time()))
    try:
        store = Store()
        source = open_sqlite(path, store)
        source.poll()
        assert source.live and store.runs[fresh].live and store.runs[fresh].writer_seen
        assert not store.runs[killed].live and ages_cut_short(store.runs[killed])
    finally:
        writer.stdin.close()
        writer.wait(timeout=10)


def test_anomalies_filter_reads_the_runs_name(capsys):
    """`--filter crawl` found nothing in a database whose hung pipeline is
    `crawl`: a span's name and kind were all it read (QA). Its run's name
    is read too, any case; what matches nothing still finds nothing."""
    path = SAMPLE
    found = cli_json(capsys, "anomalies", path, "--all", "--filter", "CRAWL")
    assert [(row["action"], row["detail"]) for row in found["running"]] == [("pipeline", "pipeline_run")]
    assert not any(found[bucket] for bucket in ("cancelled", "errors", "timeouts"))
    nothing = cli_json(capsys, "anomalies", path, "--all", "--filter", "no-such-pipeline")
    assert not any(nothing[bucket] for bucket in ("running", "cancelled", "errors", "timeouts"))
