"""A JSONL file's writer seen holding it open (`sources/writers.py`): its
half-written line waits, its hung spans age to now, and its end is seen as
soon as the writer goes. Each writer here is a real process of its own."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import time

import pytest

from writer_process import Writer
from tracetui.clock import ages_cut_short, as_of
from tracetui.cli import main
from tracetui.sources import lines, writers
from tracetui.sources.discover import open_sources
from tracetui.store import Store

T0 = time.time()
ROOT = {"trace_id": "t-9", "span_id": "root", "parent_id": None, "name": "pipeline",
        "type": "agent", "start_time": T0, "status": "running"}
HUNG = {"trace_id": "t-9", "span_id": "fetch", "parent_id": "root", "name": "fetch",
        "type": "tool", "start_time": T0 + 0.1, "status": "running"}
LATE = {"trace_id": "t-9", "span_id": "late", "parent_id": "root", "name": "late-step",
        "type": "tool", "start_time": T0 + 0.2, "end_time": T0 + 0.3, "status": "ok"}

@pytest.fixture(autouse=True)
def records_of_now():
    """The records' times as a writer started now writes them: the
    module's are from when it was imported, minutes before its tests run
    in a busy suite, and a run last written a minute before its writer
    started is not that writer's (`clock.written_before`)."""
    global T0
    T0 = time.time()
    ROOT["start_time"], HUNG["start_time"] = T0, T0 + 0.1
    LATE["start_time"], LATE["end_time"] = T0 + 0.2, T0 + 0.3


@pytest.fixture
def quick(monkeypatch):
    """Liveness looked at on every poll; a file quiet for 0.3 s is not
    live by its writes, and its unfinished line is read after 0.2 s more."""
    monkeypatch.setattr(writers, "RESCAN_FIRST", 0.0)
    monkeypatch.setattr(writers, "SNAPSHOT_TTL", 0.0)
    monkeypatch.setattr(lines, "LIVENESS_INTERVAL", 0.0)
    monkeypatch.setattr(lines, "WRITER_QUIET", 0.3)
    monkeypatch.setattr(lines, "CUT_LINE_QUIET", 0.2)


def follow(path: str, seconds: float, run_id: str = "t-9"):
    """Poll a source as the TUI's reader does for `seconds`; (source, run)."""
    store = Store()
    sources, _ = open_sources([path], store)
    source = sources[0]
    poll_for(source, seconds)
    return source, store.runs.get(run_id)


def poll_for(source, seconds: float) -> None:
    """Poll `source` every 0.05 s for `seconds`, once at least."""
    deadline = time.monotonic() + seconds
    while True:
        source.poll()
        if time.monotonic() >= deadline:
            return
        time.sleep(0.05)


def test_a_line_its_writer_leaves_half_written_waits_for_the_rest(writer, quick):
    """QA: a line left half written longer than the quiet window by a
    pipeline still running was read as a bad line, and the rest, when it
    came, as another: the span was lost. A process holds the file open for
    writing, so the line waits for its newline."""
    path, proc = writer
    late = json.dumps(LATE)
    proc.write(json.dumps(ROOT) + "\n" + json.dumps(HUNG) + "\n" + late[:40])
    source, run = follow(path, 1.0)  # quiet past WRITER_QUIET + CUT_LINE_QUIET
    assert (source.decoder.skipped, len(run.spans), source.live) == (0, 2, True)
    proc.write(late[40:] + "\n")
    store_run = follow_on(source, 0.2)
    assert source.decoder.skipped == 0
    assert store_run.spans["late"].name == "late-step"


def follow_on(source, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        source.poll()
        time.sleep(0.05)
    return source.store.runs["t-9"]


def test_hung_spans_age_to_now_while_the_writer_holds_the_file_then_stop(writer, quick):
    """QA: a native JSONL pipeline hung in a span read `≥0µs` (aged to its
    last record) and its run had no `●`; it read "ended" 30 s after its last
    write though it ran on. With its writer seen, the run is live and the
    span ages to now; once the writer is gone, the source has ended at once
    and the age is a lower bound, frozen where it was last seen."""
    path, proc = writer
    proc.write(json.dumps(ROOT) + "\n" + json.dumps(HUNG) + "\n")
    source, run = follow(path, 0.8)
    hung = run.spans["fetch"]
    now = time.time()
    assert source.live and run.live and run.writer_seen
    assert as_of(run, now) == now
    assert not ages_cut_short(run)
    proc.close()
    follow_on(source, 0.2)
    assert not source.live and not run.live
    assert ages_cut_short(run)
    frozen = as_of(run, time.time()) - hung.start
    time.sleep(0.2)
    assert as_of(run, time.time()) - hung.start == frozen
    assert frozen >= 0.7  # seen at work 0.8 s after the writer began; the span began 0.1 s in


def test_a_finished_run_is_not_live_beside_a_writer(writer, quick):
    """Only runs with spans open are live: a finished trace in a file still
    written reads as done, not `●`."""
    path, proc = writer
    done = dict(LATE, trace_id="t-1", span_id="only", parent_id=None)
    proc.write(json.dumps(done) + "\n" + json.dumps(ROOT) + "\n")
    source, run = follow(path, 0.5)
    assert run.live
    assert not source.store.runs["t-1"].live


def test_the_cli_leaves_a_line_being_written_unread(writer, capsys, quick):
    """A command reading to the end counted the last line a writer had not
    finished as a bad line (QA); it is now said to be still being written.
    The same file once its writer is gone reads that line as it is."""
    path, proc = writer
    proc.write(json.dumps(ROOT) + "\n" + json.dumps(LATE)[:40])
    assert main(["spans", path, "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == f"tracetui: {path}: its last line is still being written: not read\n"
    assert [s["id"] for s in json.loads(captured.out)] == ["root"]
    proc.close()
    assert main(["spans", path, "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == f"tracetui: {path}: skipped 1 bad line(s); first at line 2\n"


def test_writers_sees_only_other_processes_that_write(tmp_path, monkeypatch):
    """Our own descriptors, and another process's read-only one, are not a
    writer; another process's opened for appending is, until it is closed."""
    monkeypatch.setattr(writers, "RESCAN_FIRST", 0.0)
    monkeypatch.setattr(writers, "SNAPSHOT_TTL", 0.0)
    path = str(tmp_path / "f.jsonl")
    open(path, "w").close()
    key = (os.stat(path).st_dev, os.stat(path).st_ino)
    mine = open(path, "a")
    reader = subprocess.Popen(["sh", "-c", f"exec 3<'{path}'; exec sleep 30"])
    try:
        time.sleep(0.2)
        if writers.find_writer(key) is None:
            pytest.skip("this machine cannot list open files (/proc)")
        assert writers.find_writer(key) == ()
        assert writers.open_for_writing(path) is False
        appender = subprocess.Popen(["sh", "-c", f"exec 3>>'{path}'; exec sleep 30"])
        try:
            time.sleep(0.2)
            assert writers.find_writer(key) == (str(appender.pid), "3")
            with open(path, "a") as f:
                f.write("x")  # written since: looked for again
            assert writers.open_for_writing(path) is True
        finally:
            appender.kill()
            appender.wait()
        assert writers.open_for_writing(path) is False  # its descriptor gone
    finally:
        reader.kill()
        reader.wait()
        mine.close()


async def test_the_app_shows_a_jsonl_pipeline_live_then_gone(writer, quick):
    """In the app: the run of a pipeline whose writer holds its JSONL open
    is `● live`, its hung span ageing; when the writer goes, a toast says
    it is gone with its spans still running, and the age is a lower bound.
    A trace of the same stream finished meanwhile is no news (no toast)."""
    from headless import open_app, settle

    path, proc = writer
    done = dict(LATE, trace_id="t-1", span_id="only", parent_id=None, start_time=T0 - 5,
                end_time=T0 - 4)
    proc.write(json.dumps(ROOT) + "\n" + json.dumps(HUNG) + "\n"
               + json.dumps(dict(done, end_time=None, status="running")) + "\n")
    app = open_app(path, now=time.time)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        run = app.store.runs["t-9"]
        for _ in range(100):
            await pilot.pause(0.02)
            if run.live and app.store.runs["t-1"].live:
                break
        assert run.writer_seen
        proc.write(json.dumps(done) + "\n")  # t-1 ends
        for _ in range(100):
            await pilot.pause(0.02)
            if not app.store.runs["t-1"].live:
                break
        proc.close()
        for _ in range(100):
            await pilot.pause(0.02)
            if not run.live:
                break
        await pilot.pause(0.1)
        app.tick()
        await pilot.pause(0.1)
        said = [n.message for n in app._notifications]
        assert said == ["pipeline: gone with 2 spans still running"], said
        panel = "\n".join(app.anomaly_panel.render_line(y).text
                          for y in range(app.anomaly_panel.size.height))
        assert "≥" in panel and "fetch" in panel


#: A writer of a generic SQLite spans database: inserts a running root span
#: begun `argv[2]` s ago, then holds its connection open until stdin closes.
DB_WRITER = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1])
con.execute("INSERT INTO spans (id, trace_id, name, kind, start_ts, status) "
            "VALUES ('n-1', 'new', 'NEW LIVE ROOT', 'http', ?, 'running')", (time.time() - float(sys.argv[2]),))
con.commit()
print("written", flush=True)
sys.stdin.read()
"""


def test_a_database_held_by_its_writer_ages_to_now_and_ends_when_it_goes(tmp_path, quick, monkeypatch):
    """A generic SQLite database's hung span aged to its last write and the
    database read "ended" 30 s after it, while its writer ran (QA). Held
    open for writing by a process here, it is live and its running spans
    age to now; once that process is gone it has ended at once (not 30 s
    later, its ages jumping back to the last write), ages frozen, lower
    bounds."""
    import shutil

    import tracetui.sources.sqlite as sqlite_source
    from test_sqlite import GENERIC_SAMPLE

    monkeypatch.setattr(sqlite_source, "LIVENESS_INTERVAL", 0.0)
    path = str(tmp_path / "spans.db")
    shutil.copy(GENERIC_SAMPLE, path)
    proc = subprocess.Popen([sys.executable, "-c", DB_WRITER, path, "5"], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == "written\n"
        source, run = follow(path, 0.5, "new")
        now = time.time()
        assert source.live and run.live and run.writer_seen
        assert as_of(run, now) == now and not ages_cut_short(run)
        proc.stdin.close()
        proc.wait(timeout=10)
        poll_for(source, 0.25)
        assert not source.live and not run.live
        assert ages_cut_short(run)
        age = as_of(run, time.time()) - run.spans["n-1"].start
        assert age >= 5.0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_writer_that_puts_the_newline_before_each_record_shows_its_newest(writer, quick, capsys):
    """A writer that writes the newline before each record (`"\\n" + json`)
    leaves its newest record, the hung span, without its newline while it
    runs: it was never read while that writer lived (QA). A last line that
    is a whole JSON value is read at once; the newline that comes later
    ends it, and is no line of its own (lines are counted as a command
    reading the finished file counts them)."""
    path, proc = writer
    proc.write(json.dumps(ROOT))
    proc.write("\n" + json.dumps(HUNG))
    source, run = follow(path, 0.3)
    assert sorted(run.spans) == ["fetch", "root"]
    assert main(["spans", path, "--json"]) == 0
    captured = capsys.readouterr()
    assert (captured.err, [s["id"] for s in json.loads(captured.out)]) == ("", ["root", "fetch"])
    proc.write("\nnot json\n" + json.dumps(LATE))
    follow_on(source, 0.5)
    assert "late" in run.spans
    assert (source.decoder.skipped, source.decoder.first_bad_line) == (1, 3)
    proc.close()
    assert main(["spans", path, "--json"]) == 0
    assert capsys.readouterr().err == f"tracetui: {path}: skipped 1 bad line(s); first at line 3\n"


#: A writer that opens the file for each record, holds it `argv[2]` s,
#: closes it, and waits on stdin (a line: the next record; EOF: exit).
STEP_WRITER = """
import sys, time
path, hold = sys.argv[1], float(sys.argv[2])
for line in sys.stdin:
    with open(path, "a") as out:
        out.write(line)
        out.flush()
        time.sleep(hold)
    print("closed", flush=True)
"""


def test_a_writer_that_opens_the_file_for_each_record_is_its_writer_while_it_lives(tmp_path, quick):
    """QA: a pipeline that opens its trace for each step and closes it
    between two read "gone with 1 span still running", and ended, between
    its steps, though it ran on. Seen holding the file once, its process is
    the writer while it lives; the file has ended when it exits."""
    path = str(tmp_path / "steps.jsonl")
    proc = subprocess.Popen([sys.executable, "-c", STEP_WRITER, path, "0.5"], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        proc.stdin.write(json.dumps(ROOT) + "\n")
        proc.stdin.flush()
        time.sleep(0.2)  # the file held
        source, run = follow(path, 0.2)
        assert run.writer_seen
        assert proc.stdout.readline() == "closed\n"
        follow_on(source, 0.6)  # closed, quiet past WRITER_QUIET
        assert source.live and run.live and run.writer_seen
        proc.stdin.close()
        proc.wait(timeout=10)
        follow_on(source, 0.2)
        assert not source.live and not run.live
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_run_written_to_two_files_is_live_while_either_is(tmp_path, quick):
    """QA: a coordinator and a worker writing one trace to files of their
    own: once the worker exited, the run flapped each second between `●`
    and "gone" (each file's source said its own), toasts piling up. The run
    is live while any of its files' writers is at work."""
    coord, worker = str(tmp_path / "coord.jsonl"), str(tmp_path / "worker.jsonl")
    for path in (coord, worker):
        open(path, "w").close()
    held, brief = Writer(coord), Writer(worker)
    try:
        held.write(json.dumps(ROOT) + "\n" + json.dumps(HUNG) + "\n")
        brief.write(json.dumps(LATE) + "\n")
        store = Store()
        sources, _ = open_sources([coord, worker], store)
        for _ in range(6):
            for source in sources:
                source.poll()
            time.sleep(0.05)
        run = store.runs["t-9"]
        assert run.live and run.writer_seen
        brief.close()
        for _ in range(10):
            for source in sources:
                source.poll()
                assert run.live and run.writer_seen
            time.sleep(0.05)
        assert [s.live for s in sources] == [True, False]
    finally:
        held.close()
        brief.close()


def test_a_file_put_in_its_writers_files_place_has_no_writer(tmp_path, monkeypatch):
    """A writer found goes on counting while its process lives, held or not
    (one that opens its file for each record); not for another file put
    under the name since (rotated away, replaced), which it does not write."""
    monkeypatch.setattr(writers, "RESCAN_FIRST", 0.0)
    monkeypatch.setattr(writers, "SNAPSHOT_TTL", 0.0)
    path = str(tmp_path / "spans.jsonl")
    open(path, "w").close()
    proc = Writer(path)
    try:
        assert writers.open_for_writing(path) is True
        other = str(tmp_path / "other.jsonl")
        with open(other, "w") as f:
            f.write(json.dumps(ROOT) + "\n")
        os.replace(other, path)  # the writer holds the old file still
        assert writers.open_for_writing(path) is False
    finally:
        proc.close()


def test_ages_stop_at_the_last_look_that_found_the_writer_not_after_its_kill(writer, quick, monkeypatch):
    """QA: after a kill -9, `≥` ages ran up to a second past the kill: each
    frame drawn before the next look (LIVENESS_INTERVAL) moved the instant
    the writer was last seen to that frame's. It is the last look that
    found the writer at work."""
    monkeypatch.setattr(lines, "LIVENESS_INTERVAL", 10.0)  # no look but the first
    path, proc = writer
    proc.write(json.dumps(ROOT) + "\n" + json.dumps(HUNG) + "\n")
    source, run = follow(path, 0.1)
    looked = time.time()
    assert run.writer_seen
    proc.proc.kill()
    proc.proc.wait()
    killed = time.time()
    time.sleep(0.3)
    as_of(run, time.time())  # frames drawn after the kill, before the next look
    monkeypatch.setattr(lines, "LIVENESS_INTERVAL", 0.0)
    follow_on(source, 0.1)
    assert not run.live
    assert as_of(run, time.time() + 60) <= killed
    assert as_of(run, time.time() + 60) >= looked - 0.5


#: Another viewer of a database: a read-only connection held open (as
#: another tracetui's is), having read it, until stdin closes.
DB_READER = """
import sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
con.execute("SELECT count(*) FROM spans").fetchone()
print("reading", flush=True)
sys.stdin.read()
"""


def test_another_viewer_of_a_wal_database_is_not_its_writer(tmp_path, quick, monkeypatch):
    """QA: every connection to a WAL database, a read-only one too, holds
    its `-wal` and `-shm` open for writing: with a second tracetui open on
    it, a killed pipeline's database read `● live`, its ages running, for
    ever. Its writer is a process holding the database file itself open
    for writing."""
    import shutil

    import tracetui.sources.sqlite as sqlite_source
    from test_sqlite import GENERIC_SAMPLE

    monkeypatch.setattr(sqlite_source, "LIVENESS_INTERVAL", 0.0)
    path = str(tmp_path / "spans.db")
    shutil.copy(GENERIC_SAMPLE, path)
    wal = "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA journal_mode=WAL').fetchone()"
    subprocess.run([sys.executable, "-c", wal, path], check=True)
    writer = subprocess.Popen([sys.executable, "-c", DB_WRITER, path, "5"], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    reader = subprocess.Popen([sys.executable, "-c", DB_READER, path], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert writer.stdout.readline() == "written\n"
        assert reader.stdout.readline() == "reading\n"
        source, run = follow(path, 0.25, "new")
        assert run.live and run.writer_seen
        writer.kill()
        writer.wait()
        poll_for(source, 0.25)
        assert reader.poll() is None  # the other viewer still has it open
        assert not source.live and not run.live and ages_cut_short(run)
    finally:
        for proc in (writer, reader):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_a_run_killed_before_a_new_writer_started_is_not_its(tmp_path, quick):
    """QA: a file held a pipeline run killed ten days before, its span
    left running; a new process appended a run of its own. The old run
    read `● ▶ support-agent 10d03h`, hung all that time, at the top of
    the anomaly panel. Only the new run is its writer's: the old one keeps
    its age up to its last record, a lower bound, with no `●`."""
    from writer_process import Writer

    days_ago = time.time() - 10 * 86400
    old = [dict(ROOT, trace_id="old", start_time=days_ago), dict(HUNG, trace_id="old", start_time=days_ago + 1)]
    path = str(tmp_path / "pipeline.jsonl")
    with open(path, "w") as f:
        f.writelines(json.dumps(rec) + "\n" for rec in old)
    store = Store()
    sources, _ = open_sources([path], store)
    poll_for(sources[0], 0.2)
    proc = Writer(path)
    try:
        proc.write(json.dumps(dict(ROOT, start_time=time.time())) + "\n")
        poll_for(sources[0], 0.5)
        new, killed = store.runs["t-9"], store.runs["old"]
        assert new.live and new.writer_seen
        assert not killed.live and ages_cut_short(killed)
        assert as_of(killed, time.time()) == pytest.approx(days_ago + 1)
    finally:
        proc.close()


def test_a_run_its_writer_handed_on_to_a_newer_process_is_still_live(tmp_path, quick):
    """A run begun by one process and carried on by another it started
    (a worker holding the file from then on, hung in its first step) is
    written seconds before its writer started: live, its ages to now."""
    from writer_process import Writer

    path = str(tmp_path / "pipeline.jsonl")
    begun = time.time() - 20
    with open(path, "w") as f:
        f.write(json.dumps(dict(ROOT, start_time=begun)) + "\n" + json.dumps(dict(HUNG, start_time=begun + 1)) + "\n")
    proc = Writer(path)
    try:
        source, run = follow(path, 0.5)
        assert run.live and run.writer_seen and not ages_cut_short(run)
    finally:
        proc.close()


def console_span(trace: str, span: str, parent: str | None, name: str, start: float, end: float) -> dict:
    """A span as the OTel SDK's ConsoleSpanExporter writes it."""
    def iso(t: float) -> str:
        return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    return {"name": name, "context": {"trace_id": trace, "span_id": span, "trace_state": "[]"},
            "kind": "SpanKind.INTERNAL", "parent_id": parent, "start_time": iso(start), "end_time": iso(end),
            "status": {"status_code": "UNSET"}, "attributes": {}, "events": [], "links": [],
            "resource": {"attributes": {"service.name": "console-live"}, "schema_url": ""}}


def test_an_exporters_indented_spans_are_followed_live(tmp_path, quick, monkeypatch):
    """The console exporter's default output (indented spans, each written
    as it ends) read `not live`, its hung root nowhere (QA), while the
    same spans one per line read `● live` with a running stand-in for the
    root. Held by its writer, the file is live, the root not written yet
    stands in running and ages to now; once the writer is gone, it is not
    live at once (it read live 30 s more), the stand-in's age a lower
    bound."""
    from writer_process import Writer

    from tracetui.model import unwritten

    path = str(tmp_path / "spans.json")
    trace, root = "0x" + "ab" * 16, "0x" + "cd" * 8
    now = time.time()
    steps = [console_span(trace, "0x" + f"{n:016x}", root, f"step {n}", now + n, now + n + 0.5) for n in range(2)]
    proc = Writer(path)
    try:
        proc.write("".join(json.dumps(step, indent=4) + "\n" for step in steps))
        source, run = follow(path, 0.5, "ab" * 16)
        assert source.live and run.live and run.writer_seen
        (stand_in,) = [s for s in run.spans.values() if unwritten(s)]
        assert stand_in.status == "running" and as_of(run, time.time() + 5) == pytest.approx(time.time() + 5, abs=1)
    finally:
        proc.close()
    monkeypatch.setattr(lines, "WRITER_QUIET", 60.0)  # written within it, yet its writer is gone
    poll_for(source, 0.3)
    run = source.store.runs["ab" * 16]
    assert not source.live and not run.live and ages_cut_short(run)
