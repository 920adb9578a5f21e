"""Snapshots of the main screens (pytest-textual-snapshot), on the demo
trace with a fixed clock and a fixed path so they are deterministic.
Update with `pytest tests/test_snapshots.py --snapshot-update` and look at
the diff report before committing."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from tracetui.app.app import TraceApp
from tracetui.demo import write_demo_trace
from tracetui.sources.discover import open_sources
from tracetui.store import Store

NOW = 1795412310.0
FIXED_DIR = "/tmp/tracetui-snapshots"


@pytest.fixture
def demo_app():
    # Wall times are shown in local time: pin the zone as well as the clock.
    old_tz = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    shutil.rmtree(FIXED_DIR, ignore_errors=True)
    os.makedirs(FIXED_DIR)
    path = os.path.join(FIXED_DIR, "demo.log")
    write_demo_trace(path)
    store = Store()
    sources, notes = open_sources([path], store)
    for run in store.runs.values():
        # As `tracetui demo` runs: its own process writes the log, so ages run to now.
        run.writer_seen = True
    yield TraceApp(sources, store, notes, now=lambda: NOW)
    if old_tz is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old_tz
    time.tzset()


async def _loaded(pilot) -> None:
    app = pilot.app
    for _ in range(60):
        await pilot.pause(0.05)
        if not app.loading and app.run_list.row_count():
            break
    await pilot.pause(0.2)


def test_main_screen(snap_compare, demo_app):
    assert snap_compare(demo_app, terminal_size=(120, 36), run_before=_loaded)


def test_drill_down_from_anomaly(snap_compare, demo_app):
    async def drill(pilot):
        await _loaded(pilot)
        app = pilot.app
        panel = app.anomaly_panel
        panel.cursor = next(i for i, (_, r, _) in enumerate(panel.rows) if r.action == "Subprocess")
        await pilot.press("enter")
        await pilot.pause(0.2)

    assert snap_compare(demo_app, terminal_size=(120, 36), run_before=drill)


def test_small_terminal_with_errors(snap_compare, demo_app):
    async def errors(pilot):
        await _loaded(pilot)
        await pilot.press("e")
        await pilot.pause(0.1)

    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=errors)
