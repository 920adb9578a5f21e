"""`tracetui demo`'s trace: a realistic hung eval, in Inspect's real format,
written live by a thread that stops when asked."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import textwrap
import time
from datetime import datetime

import pytest

import tracetui.app.main
from tracetui import demo
from tracetui.cli import main
from tracetui.demo import DemoWriter, write_demo_trace

from inspect_cli import INSPECT, INSPECT_PYTHON  # noqa: E402
AS_OF = "1795412400"
HUNG = {("Tool Call", "bash(command='sleep 600')"),
        ("Subprocess", "bash --login -c 'sleep 600'"),
        ("Model", "generate (openai/gpt-4.1-mini)")}
RUN_TASKS = {("Run Task", "task: swe_lite (openai/gpt-4.1-mini)"),
             ("Run Task", "task: ctf (openai/gpt-4.1-mini)")}


@pytest.fixture
def demo_log(tmp_path) -> str:
    path = str(tmp_path / "trace-4321.log")
    write_demo_trace(path)
    return path


def records(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def anomalies(capsys, path: str) -> dict:
    assert main(["anomalies", path, "--all", "--json", "--as-of", AS_OF]) == 0
    captured = capsys.readouterr()
    assert "skipped" not in captured.err  # every record is valid
    return json.loads(captured.out)


def walk(nodes):
    for node in nodes:
        yield node
        yield from walk(node["children"])


def test_demo_trace_has_every_kind_of_anomaly(demo_log, capsys):
    out = anomalies(capsys, demo_log)
    running = [(r["action"], r["detail"]) for r in out["running"]]
    # The two hung actions (a tool call with its subprocess, a model call),
    # and the two tasks they keep open: nothing else is left running.
    assert sorted(running) == sorted(HUNG | RUN_TASKS)
    assert len(out["cancelled"]) == 1 and out["cancelled"][0]["action"] == "Model"
    assert [r["error"] for r in out["errors"]] == ["File not found: /challenge/notes.txt"]
    assert {r["action"] for r in out["timeouts"]} == {"Subprocess", "Tool Call"}
    timed_out = next(r for r in out["timeouts"] if r["action"] == "Subprocess")
    assert 2.9 < timed_out["duration"] < 3.1

    assert main(["tree", demo_log, "--json"]) == 0
    nodes = list(walk(json.loads(capsys.readouterr().out)["roots"]))
    hung_tools = [n for n in nodes if n["name"] == "Tool Call" and n["status"] == "running"]
    assert len(hung_tools) == 1
    assert [(c["name"], c["status"]) for c in hung_tools[0]["children"]] == [("Subprocess", "running")]
    # Every subprocess sits under the tool call that ran it, although six
    # samples interleave in the file.
    assert all(n["name"] != "Subprocess" for n in nodes if n["kind"] == "sample")
    samples = [n for n in nodes if n["kind"] == "sample"]
    assert len(samples) == 6


def test_a_working_sample_always_has_an_action_open(demo_log):
    """A sample with nothing open reads as done (✓): the demo's two slow
    samples waited seconds between actions, and flipped from running to ok
    and back every few seconds, folding and unfolding in the tree (QA). An
    agent loop calls the model as soon as a tool returns: the demo leaves
    at most a few milliseconds between one action's end and the next."""
    opened: dict[str, tuple] = {}
    open_count: dict[tuple, int] = {}
    idle_since: dict[tuple, float] = {}
    longest = 0.0
    with open(demo_log) as f:
        for line in f:
            rec = json.loads(line)
            if "action" not in rec or "sample_id" not in rec or rec["action"] == "Log Write":
                continue
            sample = (rec["task"], rec["sample_id"], rec["epoch"])
            when = rec.get("start_time") or datetime.fromisoformat(rec["timestamp"]).timestamp()
            if rec["event"] == "enter":
                if open_count.get(sample, 0) == 0 and sample in idle_since:
                    longest = max(longest, when - idle_since.pop(sample))
                open_count[sample] = open_count.get(sample, 0) + 1
                opened[rec["trace_id"]] = sample
            elif rec["trace_id"] in opened:
                open_count[sample] -= 1
                if open_count[sample] == 0:
                    idle_since[sample] = datetime.fromisoformat(rec["timestamp"]).timestamp()
    assert 0 < longest < 0.05


def test_records_look_like_inspects(demo_log):
    """Keys, key order, separators and message prefixes of Inspect's logger
    (inspect_ai/_util/trace.py TraceFormatter, _util/log_context.py)."""
    with open(demo_log, encoding="utf-8") as f:
        lines = f.read().splitlines()
    recs = [json.loads(line) for line in lines]
    assert [json.dumps(r) for r in recs] == lines  # default separators, nothing else
    assert recs[0]["action"] == "Run Task" and recs[0]["event"] == "enter"
    ids = [r["trace_id"] for r in recs if "trace_id" in r]
    assert all(re.fullmatch(r"[2-9A-HJ-NP-Za-km-z]{22}", i) for i in ids)
    sample_keys = ["task", "sample_id", "epoch"]
    for rec in recs:
        keys = list(rec)
        assert keys[:3] == ["timestamp", "level", "message"]
        if "sample_id" in rec:
            assert keys[-3:] == sample_keys
            assert rec["message"].startswith(
                f"task={rec['task']} sample={rec['sample_id']} epoch={rec['epoch']}\n")
        if rec["level"] == "HTTP":
            assert keys[3:6] == ["module", "function", "line"]
            assert re.search(r'^POST \S+ "HTTP/1\.1 200 OK" $', rec["message"], re.M)
        elif "action" in rec:
            closing = {"enter": ["start_time"], "error": ["duration", "error", "error_type", "stacktrace"]}
            body = ["action", "detail", "event", "trace_id", *closing.get(rec["event"], ["duration"])]
            assert keys[3:3 + len(body)] == body
            assert rec["message"].endswith(f"{rec['action']}: {rec['detail']} ({rec['event']})")
    levels = {r["level"] for r in recs}
    assert levels == {"TRACE", "HTTP"}
    assert {r["event"] for r in recs if "event" in r} == {"enter", "exit", "error", "timeout", "cancel"}


@pytest.mark.skipif(not os.path.exists(INSPECT_PYTHON), reason="inspect-ai not installed here")
def test_key_order_matches_inspects_own_formatter(demo_log):
    """Render one record of each kind with Inspect's TraceFormatter and
    compare key sequences with the demo's."""
    script = textwrap.dedent("""
        import logging, sys
        from inspect_ai._util.constants import HTTP, TRACE
        from inspect_ai._util.trace import TraceFormatter, trace_action
        logging.addLevelName(HTTP, "HTTP"); logging.addLevelName(TRACE, "TRACE")
        handler = logging.StreamHandler(sys.stdout); handler.setFormatter(TraceFormatter())
        class Sample(logging.Filter):
            def filter(self, r):
                r.task, r.sample_id, r.epoch = "t", 1, 1
                r.msg = "task=t sample=1 epoch=1\\n" + r.getMessage(); r.args = None
                return True
        handler.addFilter(Sample())
        log = logging.getLogger("x"); log.addHandler(handler); log.setLevel(1); log.propagate = False
        with trace_action(log, "Model", "generate"):
            log.log(HTTP, 'POST u "HTTP/1.1 200 OK" ')
        for exc in (ValueError("boom"), TimeoutError(), KeyboardInterrupt()):
            try:
                with trace_action(log, "Tool Call", "bash()"):
                    raise exc
            except BaseException:
                pass
    """)
    out = subprocess.run([INSPECT_PYTHON, "-c", script], capture_output=True, text=True,
                         check=True).stdout
    theirs = {(r["level"], r.get("event")): list(r) for r in map(json.loads, out.splitlines())}
    ours = {(r["level"], r.get("event")): list(r) for r in records(demo_log) if "sample_id" in r}
    assert set(theirs) == set(ours)
    for kind, keys in theirs.items():
        assert ours[kind] == keys, kind


@pytest.mark.skipif(not os.path.exists(INSPECT), reason="inspect-ai not installed here")
def test_demo_trace_reads_the_same_in_inspect(demo_log, capsys):
    ours = anomalies(capsys, demo_log)
    proc = subprocess.run([INSPECT, "trace", "anomalies", "--all", "--json", demo_log],
                          capture_output=True, text=True, check=True)
    assert "skipped" not in proc.stderr.lower()
    theirs = json.loads(proc.stdout)
    for bucket in ("cancelled", "errors", "timeouts"):
        assert ours[bucket] == theirs[bucket]
    without_age = lambda rows: [{k: v for k, v in r.items() if k != "duration"} for r in rows]
    assert without_age(ours["running"]) == without_age(theirs["running"])


def test_live_writer_appends_over_time_and_stops(tmp_path):
    path = str(tmp_path / "trace-3.log")
    writer = DemoWriter(path, speed=10.0)
    writer.start()
    try:
        seen = []
        deadline = time.monotonic() + 10
        while len(seen) < 3 and time.monotonic() < deadline:
            count = writer.lines_written
            if count and (not seen or count > seen[-1]):
                seen.append(count)
            time.sleep(0.05)
        assert len(seen) == 3  # growing, not written all at once
        # Flushed line by line: what a follower reads is whole records.
        with open(path, encoding="utf-8") as f:
            text = f.read()
        assert text.endswith("\n") and all(json.loads(line) for line in text.splitlines())
    finally:
        writer.stop()
    assert not writer._thread.is_alive()
    written = writer.lines_written
    time.sleep(0.3)
    assert writer.lines_written == written == len(records(path))


def test_writer_is_bounded(tmp_path):
    path = str(tmp_path / "trace-5.log")
    # Endless heartbeats, but never more than max_lines.
    writer = DemoWriter(path, instant=True, heartbeats=None, max_lines=400)
    writer.write()
    assert writer.lines_written == 400 == len(records(path))
    assert demo.MAX_SECONDS <= 30 * 60


def test_run_demo_opens_the_app_on_a_live_file_and_cleans_up(monkeypatch):
    seen = {}

    def fake_run_app(paths, greeting=None):
        seen["greeting"] = greeting
        path = paths[0]
        seen["path"] = path
        time.sleep(0.5)
        seen["lines"] = len(records(path))
        return 3

    monkeypatch.setattr(tracetui.app.main, "run_app", fake_run_app)
    assert demo.run_demo() == 3
    assert os.path.basename(seen["path"]) == f"trace-{os.getpid()}.log"
    assert seen["lines"] >= 2
    assert "simulated" in seen["greeting"] and "enter" in seen["greeting"]
    assert not os.path.exists(os.path.dirname(seen["path"]))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_demo_ended_by_a_signal_still_removes_its_trace(monkeypatch, signum):
    """Killed, or its terminal closed, the demo left its trace in /tmp, one
    a run (QA)."""
    seen = {}

    def killed_app(paths, greeting=None):
        seen["path"] = paths[0]
        os.kill(os.getpid(), signum)
        time.sleep(1)  # the signal arrives here
        return 0

    monkeypatch.setattr(tracetui.app.main, "run_app", killed_app)
    assert demo.run_demo() == 143
    assert not os.path.exists(os.path.dirname(seen["path"]))
    assert signal.getsignal(signum) is not demo._ended  # put back
