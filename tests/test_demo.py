"""`tracetui demo`'s trace: a realistic hung eval, in Inspect's real format."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from tracetui.cli import main
from tracetui.demo import DemoWriter, write_demo_trace

INSPECT = "/work/inspect-venv/bin/inspect"
AS_OF = "1795412400"


def anomalies(capsys, path):
    assert main(["anomalies", path, "--all", "--json", "--as-of", AS_OF]) == 0
    return json.loads(capsys.readouterr().out)


def test_demo_trace_has_every_kind_of_anomaly(tmp_path, capsys):
    path = str(tmp_path / "trace-1.log")
    write_demo_trace(path)
    out = anomalies(capsys, path)
    running = [(r["action"], r["detail"]) for r in out["running"]]
    assert ("Subprocess", "bash --login -c 'sleep 600'") in running
    assert ("Model", "generate (openai/gpt-4.1-mini)") in running
    assert len(out["cancelled"]) == 1 and len(out["errors"]) == 2 and len(out["timeouts"]) == 1
    assert main(["tree", path, "--json"]) == 0
    tree = json.loads(capsys.readouterr().out)
    stack = list(tree["roots"])
    hung_tool = None
    while stack:
        node = stack.pop()
        if node["name"] == "Tool Call" and node["status"] == "running":
            hung_tool = node
        stack.extend(node["children"])
    assert hung_tool is not None
    assert [c["name"] for c in hung_tool["children"]] == ["Subprocess"]


@pytest.mark.skipif(not os.path.exists(INSPECT), reason="inspect-ai not installed here")
def test_demo_trace_reads_the_same_in_inspect(tmp_path, capsys):
    path = str(tmp_path / "trace-2.log")
    write_demo_trace(path)
    ours = anomalies(capsys, path)
    proc = subprocess.run([INSPECT, "trace", "anomalies", "--all", "--json", path],
                          capture_output=True, text=True, check=True)
    assert "skipped" not in proc.stderr
    theirs = json.loads(proc.stdout)
    for bucket in ("cancelled", "errors", "timeouts"):
        assert ours[bucket] == theirs[bucket]
    drop = lambda rows: [{k: v for k, v in r.items() if k != "duration"} for r in rows]
    assert drop(ours["running"]) == drop(theirs["running"])


def test_live_writer_appends_and_stops(tmp_path):
    path = str(tmp_path / "trace-3.log")
    writer = DemoWriter(path, speed=20.0)
    writer.start()
    try:
        deadline = time.monotonic() + 10
        while writer.lines_written < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert writer.lines_written >= 10
    finally:
        writer.stop()
    written = writer.lines_written
    time.sleep(0.3)
    assert writer.lines_written == written
    with open(path) as f:
        lines = [json.loads(line) for line in f]
    assert len(lines) == written and lines[0]["action"] == "Run Task"
