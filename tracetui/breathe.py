"""Background work that leaves the UI thread whole slices of the GIL.

A thread matching a filter over a million spans gives up the GIL only when
the UI thread forces a switch, and Textual's event loop gives it back at
every turn. `time.sleep(0)` hardly helps: the thread that releases the GIL
takes it straight back. So the work pauses for real, briefly and often, and
the UI runs many turns in a rest. Measured in tmux on the 1M-line log, a
letter typed every 250 ms while the tree's filter ran showed in 10–47 ms
(mean 30) with rests, 15–55 ms (mean 41) with `time.sleep(0)`. And while
a key is being handled, until its frame is drawn, the work rests
throughout (`hold_for_key`): a filter keystroke then showed in 12–15 ms
where it took 25–32 ms.
"""

from __future__ import annotations

import threading
import time

#: Work this long (s) between rests.
WORK_SLICE = 0.004
#: Rest this long (s): long enough for the UI to draw a keystroke.
REST = 0.001
#: At most this long (s) after a key came in does background work rest
#: for it (`hold_for_key`): a key whose frame is never drawn (or whose
#: `key_done` is missed) holds no work up for longer.
KEY_HOLD_MAX = 0.05

#: Clear while the UI thread handles a key and draws its frame: background
#: work rests meanwhile. A rest of 1 ms every 4 gave the UI thread the GIL
#: only for those rests and at forced switches, and each turn of its event
#: loop gives the GIL up: a filter keystroke's frame, 8 ms of the UI
#: thread's CPU, came 25–32 ms after the key while the last keystroke's
#: pass ran (`bench/bench_tui.py`).
_no_key_pending = threading.Event()
_no_key_pending.set()
#: When (time.monotonic) the key being handled came in.
_key_since = 0.0


def hold_for_key() -> None:
    """A key has come in: background work rests until `key_done`, or for
    KEY_HOLD_MAX at most."""
    global _key_since
    _key_since = time.monotonic()
    _no_key_pending.clear()


def key_done() -> None:
    """The key is handled and its frame drawn: background work goes on."""
    _no_key_pending.set()


def _wait_for_key() -> bool:
    """Wait while a key is being handled, until KEY_HOLD_MAX after it came
    in at most; whether one was."""
    if _no_key_pending.is_set():
        return False
    left = _key_since + KEY_HOLD_MAX - time.monotonic()
    if left <= 0:
        return False
    _no_key_pending.wait(left)
    return True


def rest_for_key() -> None:
    """Off the main thread: wait while a key is being handled. What a
    reader calls between slices of a big file, where a `Breather` per
    record would cost more, and a thread before its first long step."""
    if threading.current_thread() is not threading.main_thread():
        _wait_for_key()


class Breather:
    """Call it often (every thousand items or so) from a loop: off the main
    thread (the UI's), it rests when a slice of work is done; on it (the
    CLI), never."""

    __slots__ = ("_due", "_background")

    def __init__(self) -> None:
        self._background = threading.current_thread() is not threading.main_thread()
        self._due = time.perf_counter() + WORK_SLICE

    def __call__(self) -> None:
        if not self._background:
            return
        if _wait_for_key():
            self._due = time.perf_counter() + WORK_SLICE
        elif time.perf_counter() >= self._due:
            time.sleep(REST)
            self._due = time.perf_counter() + WORK_SLICE
        else:
            # Between rests, still a hand-over: a UI thread waiting for the
            # GIL takes it now, not at the next forced switch (the tree's
            # layout thread, a few ms a pass, never reaches a rest). A live
            # tail's p99, one 45 s run each (`bench_tail.py --reader app
            # --prefill … --errors`): 42.4 ms with `time.sleep(0)` alone
            # (before), 50.0 and 50.2 ms with rests alone, 46.9 ms with both.
            time.sleep(0)
