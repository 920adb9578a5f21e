"""Following a live log: the reader wakes when the log is written, not on a
4 ms poll (`tracetui.sources.wakeup`), and polls again where the watch
does not see the writes."""

from __future__ import annotations

import asyncio
import json
import os
import time

import pytest

from headless import open_app, settle
from tracetui.app import app as app_module
from tracetui.demo import write_demo_trace
from tracetui.sources.lines import LineSource
from tracetui.sources import wakeup as wakeup_module
from tracetui.sources.wakeup import MISSES_TOLERATED, FileWakeup

NOW = 1795412400.0
RUN = "trace-999999"

needs_inotify = pytest.mark.skipif(not FileWakeup().usable, reason="no inotify here")


def _record(trace_id: str) -> str:
    """A Tool Call enter line, as an eval appends it."""
    return json.dumps({"timestamp": "2026-11-23T05:40:00+00:00", "level": "TRACE",
                       "message": f"Tool Call: {trace_id}() (enter)", "action": "Tool Call",
                       "detail": f"{trace_id}()", "event": "enter", "trace_id": trace_id,
                       "start_time": NOW - 1}) + "\n"


@pytest.fixture
def live_log(tmp_path) -> str:
    path = str(tmp_path / f"{RUN}.log")
    write_demo_trace(path)
    return path


@needs_inotify
def test_a_write_to_a_followed_file_wakes_the_wait_at_once(tmp_path):
    log = tmp_path / "trace-1.log"
    log.write_text("")
    wakeup = FileWakeup()
    try:
        assert wakeup.watch(str(log))
        assert wakeup.wait(0.05) is False  # nothing written: a timeout
        with open(log, "a") as f:
            f.write("a line\n")
        started = time.monotonic()
        assert wakeup.wait(5.0) is True
        assert time.monotonic() - started < 1.0
        assert wakeup.wait(0.05) is False  # the events were read with it
        log.rename(tmp_path / "trace-1.log.1")  # rotated away
        assert wakeup.wait(5.0) is True
        log.write_text("")  # and made again
        assert wakeup.wait(5.0) is True
    finally:
        wakeup.close()


@needs_inotify
def test_writes_to_other_files_beside_it_do_not_wake_the_wait(tmp_path):
    """A chatty file beside the log (another eval's trace, a stdout capture)
    woke the reader for every write: up to a core at 300,000 writes a
    second, for a log with nothing new (QA)."""
    log = tmp_path / "trace-1.log"
    log.write_text("")
    other = tmp_path / "other.txt"
    wakeup = FileWakeup()
    try:
        assert wakeup.watch(str(log))
        with open(other, "a", buffering=1) as chatty:
            for n in range(200):
                chatty.write(f"{n}\n")
            (tmp_path / "new-file.txt").write_text("x")
            assert wakeup.wait(0.3) is False
            chatty.write("more\n")
            with open(log, "a") as f:
                f.write("a line\n")
            assert wakeup.wait(5.0) is True
    finally:
        wakeup.close()


@needs_inotify
def test_a_symlinked_log_wakes_the_wait_when_its_target_is_written(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "links").mkdir()
    target = tmp_path / "real" / "trace-1.log"
    target.write_text("")
    link = tmp_path / "links" / "trace-1.log"
    link.symlink_to(target)
    wakeup = FileWakeup()
    try:
        assert wakeup.watch(str(link))
        with open(target, "a") as f:
            f.write("a line\n")
        assert wakeup.wait(5.0) is True
    finally:
        wakeup.close()


def test_a_watch_that_misses_writes_is_given_up():
    wakeup = FileWakeup()
    try:
        was = wakeup.usable
        for _ in range(MISSES_TOLERATED - 1):
            wakeup.missed()
        assert wakeup.usable is was
        wakeup.missed()
        assert wakeup.usable is False
    finally:
        wakeup.close()


async def _until_read(app, trace_id: str, pilot, seconds: float) -> float | None:
    """Seconds until `trace_id`'s span is in the store, None if not within `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        with app.store.lock:
            if trace_id in app.store.runs[RUN].spans:
                return time.monotonic() - started
        await pilot.pause(0.01)
    return None


@needs_inotify
async def test_a_line_appended_is_read_at_its_write_not_at_the_next_poll(live_log, monkeypatch):
    """With the reader resting 5 s between looks on a quiet log, the line
    is read at once all the same: the write wakes the reader (following a
    slow eval, the 4 ms poll was a fifth of the app's CPU)."""
    for name in ("POLL_INTERVAL_IDLE", "WATCH_TIMEOUT"):
        monkeypatch.setattr(app_module, name, 5.0, raising=False)
    monkeypatch.setattr(app_module, "FLOWING", 0.0)  # the log is quiet
    app = open_app(live_log, now=NOW)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.pause(0.3)  # the reader now rests
        with open(live_log, "a") as f:
            f.write(_record("WOKEN"))
        took = await _until_read(app, "WOKEN", pilot, 3.0)
        assert took is not None and took < 1.5


class BlindWakeup(FileWakeup):
    """A watch that never sees a write (a network file system written by
    another host): every wait times out."""

    made: list[BlindWakeup] = []

    def __init__(self) -> None:
        super().__init__()
        self._real_fd = self._fd
        self._fd = max(self._fd, 0)  # "usable", even where inotify is not
        BlindWakeup.made.append(self)

    def watch(self, directory: str) -> bool:
        return True

    def wait(self, timeout: float) -> bool:
        time.sleep(timeout)
        return False

    def pending(self) -> bool:
        return False

    def close(self) -> None:
        if self._real_fd >= 0:  # (not the 0 it pretends to hold)
            os.close(self._real_fd)


async def test_a_watch_blind_to_the_writes_falls_back_to_polling(live_log, monkeypatch):
    """Lines read with no event announcing them: after MISSES_TOLERATED the
    reader polls as before, and every line is read."""
    BlindWakeup.made.clear()
    monkeypatch.setattr(app_module, "FileWakeup", BlindWakeup)
    monkeypatch.setattr(wakeup_module, "MISSES_TOLERATED", 3)
    monkeypatch.setattr(app_module, "WATCH_TIMEOUT", 0.2)
    app = open_app(live_log, now=NOW)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        for k in range(4):
            with open(live_log, "a") as f:
                f.write(_record(f"BLIND{k}"))
            assert await _until_read(app, f"BLIND{k}", pilot, 3.0) is not None
        (wakeup,) = BlindWakeup.made
        assert wakeup.usable is False


@needs_inotify
async def test_a_chatty_file_beside_a_quiet_log_leaves_the_reader_asleep(live_log, monkeypatch):
    """The reader reads its sources when the followed log changes, not when
    any file beside it does (QA: a file written 4,600 times a second beside
    a quiet log cost the app 59 % of a core)."""
    for name in ("POLL_INTERVAL_IDLE", "WATCH_TIMEOUT"):
        monkeypatch.setattr(app_module, name, 5.0, raising=False)
    monkeypatch.setattr(app_module, "FLOWING", 0.0)  # the log is quiet
    passes = []
    poll = LineSource.poll

    def counted_poll(self, *args, **kwargs):
        passes.append(self.path)
        return poll(self, *args, **kwargs)

    app = open_app(live_log, now=NOW)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.pause(0.3)  # the reader now rests
        monkeypatch.setattr(LineSource, "poll", counted_poll)
        other = os.path.join(os.path.dirname(live_log), "stdout.txt")
        with open(other, "a", buffering=1) as chatty:
            for n in range(300):
                chatty.write(f"{n}\n")
                await asyncio.sleep(0.002)
        assert len(passes) <= 2  # (a pass begun as it was written)
        with open(live_log, "a") as f:
            f.write(_record("WOKEN"))
        took = await _until_read(app, "WOKEN", pilot, 3.0)
        assert took is not None and took < 1.5
