"""A JSONL file's writer seen holding it open (`sources/writers.py`): its
half-written line waits, its hung spans age to now, and its end is seen as
soon as the writer goes. Each writer here is a real process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

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

#: The writer: appends each chunk of text it is given on stdin (a JSON
#: string a line), flushing, with the file held open until stdin closes.
WRITER = """
import json, sys
with open(sys.argv[1], "a") as out:
    print("open", flush=True)
    for line in sys.stdin:
        out.write(json.loads(line))
        out.flush()
        print("written", flush=True)
"""


class Writer:
    """A process appending to `path` what `write` is given, holding it open."""

    def __init__(self, path: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", WRITER, path], text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.proc.stdout.readline() == "open\n"

    def write(self, text: str) -> None:
        self.proc.stdin.write(json.dumps(text) + "\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline() == "written\n"

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture
def quick(monkeypatch):
    """Liveness looked at on every poll; a file quiet for 0.3 s is not
    live by its writes, and its unfinished line is read after 0.2 s more."""
    monkeypatch.setattr(writers, "RESCAN_FIRST", 0.0)
    monkeypatch.setattr(writers, "SNAPSHOT_TTL", 0.0)
    monkeypatch.setattr(lines, "LIVENESS_INTERVAL", 0.0)
    monkeypatch.setattr(lines, "WRITER_QUIET", 0.3)
    monkeypatch.setattr(lines, "CUT_LINE_QUIET", 0.2)


def follow(path: str, seconds: float):
    """Poll a source as the TUI's reader does for `seconds`; (source, run)."""
    store = Store()
    sources, _ = open_sources([path], store)
    source = sources[0]
    deadline = time.monotonic() + seconds
    while True:
        source.poll()
        if time.monotonic() >= deadline:
            return source, store.runs.get("t-9")
        time.sleep(0.05)


@pytest.fixture
def writer(tmp_path):
    path = str(tmp_path / "spans.jsonl")
    open(path, "w").close()
    proc = Writer(path)
    yield path, proc
    if proc.proc.poll() is None:
        proc.close()


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
    assert frozen >= 0.8


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
