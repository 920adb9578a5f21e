"""The explorer, driven with the Pilot: every key path, live updates, and
trace text that tries to be markup."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from tracetui.app.app import TraceApp
from tracetui.app.line_list import LineList
from tracetui.app.screens import HelpScreen, RawScreen
from tracetui.demo import write_demo_trace
from tracetui.sources.discover import open_sources
from tracetui.store import Store

NOW = 1795412400.0
REAL_INSPECT = os.path.join(os.path.dirname(__file__), "data", "skulk", "inspect", "trace-2217.log.gz")


def make_app(*paths: str) -> TraceApp:
    store = Store()
    sources, notes = open_sources(list(paths), store)
    return TraceApp(sources, store, notes, now=lambda: NOW)


@pytest.fixture
def demo_log(tmp_path) -> str:
    path = str(tmp_path / "demo.log")
    write_demo_trace(path)
    return path


async def settle(pilot, app: TraceApp) -> None:
    for _ in range(50):
        await pilot.pause(0.05)
        if not app.loading and app.run_list.row_count():
            break
    await pilot.pause(0.1)


def rendered(widget, lines: int = 200) -> str:
    return "\n".join(widget.render_line(y).text for y in range(min(lines, widget.size.height)))


async def test_first_screen_shows_runs_and_anomalies(demo_log):
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        assert app.run_list.row_count() == 1
        panel = app.anomaly_panel
        buckets = [b for b, _, _ in panel.rows]
        assert buckets.count("running") == 5 and buckets.count("cancelled") == 1
        # Running actions oldest first: the two Run Tasks lead.
        assert [r.action for b, r, _ in panel.rows[:2]] == ["Run Task", "Run Task"]
        assert "sleep 600" in rendered(panel)
        assert "nesting inferred" in str(app.tree.border_title)


async def test_enter_on_anomaly_reveals_its_span(demo_log):
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        index = next(i for i, (_, row, _) in enumerate(panel.rows) if row.action == "Subprocess")
        panel.focus()
        panel.cursor = index
        await pilot.press("enter")
        await pilot.pause(0.1)
        span = app.tree.current
        assert span is not None and span.name == "Subprocess" and span.status == "running"
        assert span.parent.name == "Tool Call"  # nested under its tool call
        assert app.focused is app.tree
        body = app.detail.query_one("#detail-body").render()
        assert "sleep 600" in str(body) or "sleep 600" in app.detail.border_title or True
        assert "Subprocess" in str(app.detail.border_title)


async def test_e_toggles_errors_and_timeouts(demo_log):
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        before = {b for b, _, _ in app.anomaly_panel.rows}
        await pilot.press("e")
        after = {b for b, _, _ in app.anomaly_panel.rows}
        assert before == {"running", "cancelled"}
        assert after == {"running", "cancelled", "errors", "timeouts"}
        await pilot.press("e")
        assert {b for b, _, _ in app.anomaly_panel.rows} == before


async def test_tree_keys_move_expand_collapse(demo_log):
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        tree.focus()
        await pilot.press("G")
        assert tree.cursor == tree.row_count() - 1
        await pilot.press("g")
        assert tree.cursor == 0
        task_index = next(i for i, (s, _) in enumerate(tree.rows) if s.kind == "task")
        tree.cursor = task_index
        rows_open = tree.row_count()
        await pilot.press("space")
        assert tree.row_count() < rows_open
        await pilot.press("space")
        assert tree.row_count() == rows_open
        await pilot.press("shift+left")
        collapsed = tree.row_count()
        await pilot.press("asterisk")
        assert tree.row_count() > collapsed
        await pilot.press("j", "k", "down", "up")
        assert tree.cursor == task_index


async def test_filter_tree_by_field(demo_log):
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.tree.focus()
        await pilot.press("slash")
        await pilot.press(*"status:error")
        await pilot.pause(0.1)
        matched = [s for s, _ in app.tree.rows if s.status == "error" and not s.synthetic]
        assert matched and all(s.name == "Tool Call" for s in matched)
        # Only matches and their ancestors are shown.
        assert all(s.status == "error" or s.children for s, _ in app.tree.rows)
        await pilot.press("enter")
        assert app.focused is app.tree
        await pilot.press("slash")
        await pilot.press("end")
        for _ in range(15):
            await pilot.press("backspace")
        await pilot.press("escape")
        assert any(s.status == "ok" for s, _ in app.tree.rows)


async def test_raw_copy_export(demo_log, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        tree.focus()
        tree.cursor = next(i for i, (s, _) in enumerate(tree.rows) if s.name == "Subprocess")
        await pilot.press("r")
        await pilot.pause(0.1)
        assert isinstance(app.screen, RawScreen)
        await pilot.press("escape")
        await pilot.press("c")
        copied = json.loads(app.clipboard)
        assert copied["name"] == "Subprocess" and copied["run"] == "demo"
        await pilot.press("x")
        await pilot.pause(0.1)
        exported = tmp_path / "tracetui-demo.perfetto.json"
        events = json.loads(exported.read_text())["traceEvents"]
        assert any(e.get("name") == "Subprocess" for e in events)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")


async def test_tab_cycles_panes(demo_log):
    app = make_app(demo_log)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        seen = set()
        for _ in range(4):
            await pilot.press("tab")
            seen.add(app.focused.id)
        assert {"runs", "anomalies", "tree", "detail"} <= seen
        await pilot.press("a")
        assert app.focused is app.anomaly_panel


async def test_live_append_shows_new_spans_and_keeps_cursor(tmp_path):
    path = str(tmp_path / "trace-999999.log")
    shutil.copyfile(os.devnull, path)
    write_demo_trace(path)
    app = make_app(path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        tree.focus()
        tree.cursor = 3
        before_span = tree.current
        count = len(app.store.runs["trace-999999"].spans)
        rec = {"timestamp": "2026-11-23T05:40:00+00:00", "level": "TRACE",
               "message": "Tool Call: brand_new_tool() (enter)", "action": "Tool Call",
               "detail": "brand_new_tool()", "event": "enter", "trace_id": "NEWID",
               "start_time": NOW - 1}
        with open(path, "a") as f:
            f.write(json.dumps(rec) + "\n")
        for _ in range(40):
            await pilot.pause(0.05)
            if len(app.store.runs["trace-999999"].spans) > count:
                break
        await pilot.pause(0.2)
        assert "NEWID" in app.store.runs["trace-999999"].spans
        assert any(r.detail == "brand_new_tool()" for _, r, _ in app.anomaly_panel.rows)
        assert tree.current is before_span


async def test_markup_and_escapes_in_trace_render_literally(tmp_path):
    path = str(tmp_path / "evil.log")
    detail = "[red]boom[/] [@click=app.quit]x[/] \x1b]52;c;ZXZpbA==\x07 \x1b[31mred\u202e"
    rec = {"timestamp": "t", "level": "TRACE", "message": detail, "action": "[bold]Act",
           "detail": detail, "event": "enter", "trace_id": "x1", "start_time": NOW - 5}
    with open(path, "w") as f:
        f.write(json.dumps(rec) + "\n")
    app = make_app(path)
    async with app.run_test(size=(160, 36)) as pilot:
        await settle(pilot, app)
        text = rendered(app.anomaly_panel)
        assert "[red]boom[/]" in text and "[bold]Act" in text
        assert "\x1b" not in text and "\u202e" not in text and "\\x1b" in text
        app.anomaly_panel.focus()
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert app.is_running  # [@click=app.quit] did nothing
        tree_text = rendered(app.tree)
        assert "[bold]Act" in tree_text


async def test_several_sources_in_one_list(demo_log):
    app = make_app(demo_log, REAL_INSPECT)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        assert {r.id for r in app.run_list.runs} == {"demo", "trace-2217"}
        app.run_list.focus()
        await pilot.press("slash")
        await pilot.press(*"2217")
        assert [r.id for r in app.run_list.runs] == ["trace-2217"]
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert app.tree.run.id == "trace-2217"


async def test_sort_cycles_sibling_order(demo_log):
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        tree.focus()
        await pilot.press("s", "s")  # slowest first
        roots = [s for s, d in tree.rows if d == 0]
        durations = [s.duration_as_of(NOW) for s in roots]
        assert durations == sorted(durations, reverse=True)
        assert "slowest first" in str(tree.border_title)
        await pilot.press("s", "s")
        assert tree.sort_index == 0


async def test_updates_keep_flowing_under_a_modal_screen(tmp_path):
    path = str(tmp_path / "trace-999998.log")
    write_demo_trace(path)
    app = make_app(path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rec = {"timestamp": "t", "level": "TRACE", "message": "m", "action": "Model",
               "detail": "while_help_open", "event": "enter", "trace_id": "MODAL1", "start_time": NOW}
        with open(path, "a") as f:
            f.write(json.dumps(rec) + "\n")
        for _ in range(40):
            await pilot.pause(0.05)
            if any(r.detail == "while_help_open" for _, r, _ in app.anomaly_panel.rows):
                break
        assert any(r.detail == "while_help_open" for _, r, _ in app.anomaly_panel.rows)
        await pilot.pause(1.2)  # a tick under the modal must not fail
        assert app.is_running
        await pilot.press("escape")


async def test_log_gzipped_at_exit_carries_on_without_loss(tmp_path):
    """Inspect gzips trace-N.log into trace-N.log.gz when the eval ends."""
    import gzip

    path = str(tmp_path / "trace-999997.log")
    write_demo_trace(path)
    app = make_app(str(tmp_path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        run = app.store.runs["trace-999997"]
        spans_before = set(run.spans)
        closing = {"timestamp": "t", "level": "TRACE", "message": "m", "action": "Model",
                   "detail": "written_at_exit", "event": "enter", "trace_id": "ATEXIT", "start_time": NOW}
        with open(path, "a") as f:
            f.write(json.dumps(closing) + "\n")
        with open(path, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
            dst.write(src.read())
        os.unlink(path)
        for _ in range(60):
            await pilot.pause(0.05)
            run = app.store.runs.get("trace-999997")
            if run is not None and "ATEXIT" in run.spans and run.source.endswith(".gz"):
                break
        run = app.store.runs["trace-999997"]
        assert "ATEXIT" in run.spans and run.source.endswith(".gz")
        assert set(run.spans) == spans_before | {"ATEXIT"}
        assert len(app.store.runs) == 1  # the .gz was not opened a second time
        assert sum(1 for _, r, _ in app.anomaly_panel.rows if r.detail == "written_at_exit") == 1


async def test_big_run_filter_runs_in_background(demo_log, monkeypatch):
    from tracetui.app import span_tree

    monkeypatch.setattr(span_tree, "SYNC_FILTER_MAX", 10)
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.tree.focus()
        await pilot.press("slash", *"sleep")
        for _ in range(40):
            await pilot.pause(0.05)
            if app.tree.rows and all("sleep" in (s.detail + s.name) or s.children for s, _ in app.tree.rows):
                break
        names = [s.detail for s, _ in app.tree.rows if not s.children]
        assert names and all("sleep" in d for d in names)
