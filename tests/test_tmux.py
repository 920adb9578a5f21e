"""The installed `tracetui`, driven in a real terminal (tmux) while its
trace file grows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid

import pytest

from tracetui.demo import write_demo_trace

TMUX = shutil.which("tmux")
TRACETUI = shutil.which("tracetui")

pytestmark = pytest.mark.skipif(not (TMUX and TRACETUI), reason="needs tmux and an installed tracetui")


def capture(session: str) -> str:
    return subprocess.run([TMUX, "capture-pane", "-p", "-t", session], capture_output=True,
                          text=True).stdout


def wait_for(session: str, needle: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = capture(session)
        if needle in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} never appeared; screen was:\n{screen}")


def test_growing_file_in_a_real_terminal(tmp_path):
    path = str(tmp_path / "trace-4242.log")
    write_demo_trace(path)
    session = f"tracetui-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, TERM="xterm-256color")
    subprocess.run([TMUX, "new-session", "-d", "-x", "100", "-y", "30", "-s", session,
                    f"{TRACETUI} {path}"], check=True, env=env)
    try:
        wait_for(session, "sleep 600")
        record = {"timestamp": "2026-11-23T05:40:00+00:00", "level": "TRACE",
                  "message": "Tool Call: appended() (enter)", "action": "Tool Call",
                  "detail": "appended()", "event": "enter", "trace_id": "APPENDED1",
                  "start_time": time.time() - 2}
        with open(path, "a") as f:
            f.write(json.dumps(record) + "\n")
        screen = wait_for(session, "appended()")
        assert "anomalies" in screen and "spans" in screen
        subprocess.run([TMUX, "send-keys", "-t", session, "q"], check=True)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            alive = subprocess.run([TMUX, "has-session", "-t", session], capture_output=True)
            if alive.returncode != 0:
                break
            time.sleep(0.1)
        else:
            pytest.fail("tracetui did not quit on q")
    finally:
        subprocess.run([TMUX, "kill-session", "-t", session], capture_output=True)
