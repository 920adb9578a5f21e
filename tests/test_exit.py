"""The app's process ends after `q`, whatever its reader is stuck in."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

HUNG = os.path.join(os.path.dirname(__file__), "..", "sample_traces", "inspect", "hung.log")

#: The real app, run as `tracetui` runs it (`App.run`, then `cli.entry`'s
#: exit), its reader's polls after the first ones stuck for good, as a
#: read on a dead network mount is; it quits itself after a moment.
STUCK_READER_APP = textwrap.dedent("""
    import os, sys, threading, time
    from tracetui.app.main import build_app

    app = build_app([sys.argv[1]])
    source = app.sources[0]
    read = source.poll
    polls = [0]

    def poll(*args, **kwargs):
        polls[0] += 1
        if polls[0] > 2 and threading.current_thread() is not threading.main_thread():
            threading.Event().wait()  # never returns
        return read(*args, **kwargs)

    source.poll = poll
    app.call_later(lambda: app.set_timer(1.0, app.exit))
    app.run(headless=True)
    print(f"quit; reader stuck: {polls[0] > 2}", flush=True)
    os._exit(0)
""")


def test_the_app_exits_though_its_reader_is_stuck_in_a_read(tmp_path):
    """A reader thread stuck in a read that never returns (a trace on a
    dead network mount) held the process after `q` for good: asyncio.run
    joins every thread of the loop's pool at exit, with no limit. The pool
    now lets them go after a short wait (`tracetui.app.let_go`)."""
    log = tmp_path / "trace-1.log"
    shutil.copy(HUNG, log)
    os.utime(log)  # written just now: followed, polled again and again
    try:
        done = subprocess.run([sys.executable, "-c", STUCK_READER_APP, str(log)],
                              capture_output=True, text=True, timeout=40)
    except subprocess.TimeoutExpired:
        raise AssertionError("the app's process never ended") from None
    assert done.returncode == 0, done.stderr
    assert "quit; reader stuck: True" in done.stdout
