"""The installed `tracetui`, driven in a real terminal (tmux) while its
trace file grows."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from tracetui.demo import write_demo_trace


def _installed_tracetui() -> str | None:
    """`tracetui` on PATH, else the console script installed next to this
    interpreter (a venv's bin/ need not be on PATH)."""
    found = shutil.which("tracetui")
    beside = os.path.join(os.path.dirname(sys.executable), "tracetui")
    return found or (beside if os.access(beside, os.X_OK) else None)


TMUX = shutil.which("tmux")
#: A private tmux server, so an already-running server (with another
#: environment) cannot take our sessions.
TMUX_CMD = [TMUX or "tmux", "-L", f"tracetui-test-{os.getpid()}"]
TRACETUI = _installed_tracetui()

pytestmark = pytest.mark.skipif(not (TMUX and TRACETUI), reason="needs tmux and an installed tracetui")


def capture(session: str) -> str:
    return subprocess.run([*TMUX_CMD, "capture-pane", "-p", "-t", session], capture_output=True,
                          text=True).stdout


def wait_for(session: str, needle: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = capture(session)
        if needle in screen:
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{needle!r} never appeared; screen was:\n{screen}")


def alive(session: str) -> bool:
    return subprocess.run([*TMUX_CMD, "has-session", "-t", session], capture_output=True).returncode == 0


def start(command: str, env: dict | None = None) -> str:
    session = f"tracetui-test-{uuid.uuid4().hex[:10]}"
    subprocess.run([*TMUX_CMD, "new-session", "-d", "-x", "120", "-y", "36", "-s", session, command],
                   check=True, env=dict(env or os.environ, TERM="xterm-256color"))
    return session


def quit_with_q(session: str) -> None:
    subprocess.run([*TMUX_CMD, "send-keys", "-t", session, "q"], check=True)
    deadline = time.monotonic() + 5
    while alive(session):
        if time.monotonic() > deadline:
            pytest.fail("tracetui did not quit on q")
        time.sleep(0.1)


def append(path: str, rec: dict) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(rec) + "\n")


def action(event: str, action: str, detail: str, trace_id: str, **extra) -> dict:
    rec = {"timestamp": "2026-11-23T05:40:00.000000+00:00", "level": "TRACE",
           "message": f"{action}: {detail} ({event})", "action": action, "detail": detail,
           "event": event, "trace_id": trace_id}
    rec.update(extra)
    return rec


def test_growing_file_in_a_real_terminal(tmp_path):
    path = str(tmp_path / "trace-4242.log")
    write_demo_trace(path)
    session = start(f"{shlex.quote(TRACETUI)} {shlex.quote(path)}")
    try:
        first = wait_for(session, "sleep 600")  # the hung subprocess, in the anomaly panel
        assert "5 running" in first and "fetch_flag" not in first
        # The eval carries on: a new action starts while we watch...
        append(path, action("enter", "Tool Call", "fetch_flag(url='http://grow.test/1')",
                            "GrowingTool000000000001", start_time=time.time() - 2))
        screen = wait_for(session, "fetch_flag(url=")
        assert "sleep 600" in screen  # nothing lost on the way
        wait_for(session, "6 running")
        # ...and fails: it leaves the running list; `e` shows it among the errors.
        append(path, action("error", "Tool Call", "fetch_flag(url='http://grow.test/1')",
                            "GrowingTool000000000001", duration=2.5, error="connection refused",
                            error_type="ConnectError", stacktrace="Traceback ...\n"))
        wait_for(session, "5 running")
        subprocess.run([*TMUX_CMD, "send-keys", "-t", session, "a", "e"], check=True)
        screen = wait_for(session, "2 errors")
        assert "fetch_flag(url=" in screen
        quit_with_q(session)
    finally:
        subprocess.run([*TMUX_CMD, "kill-session", "-t", session], capture_output=True)


def test_tracetui_demo_runs_live_and_cleans_up(tmp_path):
    env = dict(os.environ, TMPDIR=str(tmp_path))
    session = start(f"{shlex.quote(TRACETUI)} demo", env)
    try:
        screen = wait_for(session, "generate (openai/")  # cut where a sample tag takes room
        assert "Run Task" in screen
        demo_dirs = [d for d in os.listdir(tmp_path) if d.startswith("tracetui-demo-")]
        assert len(demo_dirs) == 1
        log = os.path.join(tmp_path, demo_dirs[0], os.listdir(os.path.join(tmp_path, demo_dirs[0]))[0])
        size = os.path.getsize(log)
        deadline = time.monotonic() + 5
        while os.path.getsize(log) == size and time.monotonic() < deadline:
            time.sleep(0.1)
        assert os.path.getsize(log) > size  # the writer is live
        quit_with_q(session)
        assert not os.listdir(tmp_path)  # the temporary trace is gone
    finally:
        subprocess.run([*TMUX_CMD, "kill-session", "-t", session], capture_output=True)
