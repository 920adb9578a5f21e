"""The explorer, driven with the Pilot: every key path, live updates, and
trace text that tries to be markup."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import os
import re
import shutil
import sqlite3
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input

from headless import open_app, settle, wait_for
from hostile import corpus as c
from tracetui.analysis import enclosing_sample
from tracetui.app import app as app_module
from tracetui.app import span_tree
from tracetui.app.anomaly_panel import SAME_MOMENT, AnomalyPanel, _newest_in_samples, _placement, _sample_where
from tracetui.app.app import GC_YOUNG_THRESHOLD, GIL_SWITCH_INTERVAL, TraceApp
from tracetui.app.detail import log_for
from tracetui.app.key_bar import KeyBar
from tracetui.app.line_list import LineList, fit
from tracetui.app.screens import HelpScreen, NotesScreen, RawScreen
from tracetui.app.style import BUCKET_STATUS, STATUS_STYLE
from tracetui.demo import write_demo_trace
from tracetui.model import Anomalies, AnomalyRow, Span, SpanCore
from tracetui.query import parse
from tracetui.sources.discover import open_sources
from tracetui.store import Store
from tracetui.text import clock_ms

NOW = 1795412400.0
REAL_INSPECT = os.path.join(os.path.dirname(__file__), "data", "skulk", "inspect", "trace-2217.log.gz")


def make_app(*paths: str) -> TraceApp:
    return open_app(*paths, now=NOW)


@pytest.fixture
def demo_log(tmp_path) -> str:
    path = str(tmp_path / "demo.log")
    write_demo_trace(path)
    return path


@pytest.fixture(params=["at once", "in a thread"])
def layout(request, monkeypatch) -> str:
    """The tree laid out on the UI thread, or in a thread as a big tree is
    (every run counts as big)."""
    if request.param == "in a thread":
        monkeypatch.setattr(span_tree, "BACKGROUND_MIN_SPANS", 0)
    return request.param


@pytest.fixture
def live_log(tmp_path) -> str:
    """The demo trace under an Inspect log's name (`trace-<pid>.log`), for
    tests that append to it as a live eval would."""
    path = str(tmp_path / "trace-999999.log")
    write_demo_trace(path)
    return path


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
        # What is stuck first, oldest first; the two Run Tasks, which wait
        # on everything, last.
        running = [r.action for b, r, _ in panel.rows if b == "running"]
        assert running[-2:] == ["Run Task", "Run Task"] and "Run Task" not in running[:-2]
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
        assert app.detail.span is span and "sleep 600" in detail_text(app)
        assert "Subprocess" in str(app.detail.border_title)


async def test_the_focus_ring_follows_the_focus_and_keys_go_to_the_new_pane_at_once(demo_log):
    """The ring's colour is restyled a frame after the key that moved the
    focus (a restyle draws the whole pane again); the keys typed behind it
    must reach the new pane all the same, and the rings must end right."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel, tree = app.anomaly_panel, app.tree
        app.focus_now(panel)
        await pilot.pause()
        ring, plain_border = panel.styles.border_top, tree.styles.border_top
        assert ring != plain_border
        panel.cursor = panel.row_count() - 1
        revealed = panel.current[1].span
        await pilot.press("enter", "k")  # jump to the span, then up a row at once
        assert app.focused is tree
        assert tree.current is tree.rows[tree.index_of(revealed) - 1][0]
        await pilot.pause()
        assert tree.styles.border_top == ring and panel.styles.border_top == plain_border
        await pilot.press("tab")
        await pilot.pause()
        assert tree.styles.border_top == plain_border


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


def _subtrees_in_a_thread(monkeypatch, sync_rows: int = 4) -> None:
    """A whole subtree of more than `sync_rows` rows opened or closed with
    its walk in a thread, as a big one is; in steps and chunks of a few rows."""
    monkeypatch.setattr(span_tree, "SUBTREE_SYNC_ROWS", sync_rows, raising=False)
    monkeypatch.setattr(span_tree, "SUBTREE_STEP", 2, raising=False)
    monkeypatch.setattr(span_tree, "SUBTREE_CHUNK", 3, raising=False)


def _tree_state(app) -> tuple:
    """What the tree shows and will show: its rows, cursor, scroll, title
    and which nodes are open; and the span the detail shows."""
    tree = app.tree
    return ([(span.id, depth) for span, depth in tree.rows], tree.cursor, tree.scroll_offset.y,
            str(tree.border_title), sorted(s.id for s in tree.run.spans.values() if s.children and tree.is_open(s)),
            app.detail.span.id if app.detail.span is not None else None)


async def _first_task(pilot, app) -> int:
    await settle(pilot, app)
    tree = app.tree
    app.focus_now(tree)
    tree.move_to(next(i for i, (s, _) in enumerate(tree.rows) if s.kind == "task"))
    await pilot.pause()
    return tree.cursor


@pytest.mark.parametrize("threaded", [False, True])
async def test_expand_and_collapse_a_subtree_lay_out_what_a_full_layout_would(demo_log, monkeypatch, threaded):
    """`*` lays a subtree out in one pass and opens its nodes in bulk, and
    shift+left closes the nodes it shows from their rows: the rows must be
    those a layout of the whole tree from the same open state gives, in
    every sort order, the cursor staying on the node, and a node opened
    again shows its children closed. `threaded`: a subtree too big to walk
    in a frame shows its first rows at once, those the whole walk gives,
    the title saying `expanding…`, and the rest when a thread has walked
    it; shift+left takes its rows out at once and closes its nodes from a
    thread."""
    if threaded:
        _subtrees_in_a_thread(monkeypatch)
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await _first_task(pilot, app)
        tree = app.tree
        for sort in range(len(tree.SORTS)):
            tree.sort_index = sort
            tree._rebuild()
            task_index = next(i for i, (s, _) in enumerate(tree.rows) if s.kind == "task")
            task = tree.rows[task_index][0]
            tree.cursor = task_index
            tree.action_expand_all()
            if threaded:
                assert tree.subtree_busy and "expanding…" in str(tree.border_title)
                early = list(tree.rows)
                assert tree.current is task
                await _until(pilot, lambda: not tree.subtree_busy)
                assert "expanding" not in str(tree.border_title)
            expanded = list(tree.rows)
            assert len(expanded) - len([1 for _ in task.walk()]) >= task_index
            if threaded:
                shown = task_index + span_tree.SUBTREE_SYNC_ROWS
                assert early[:shown] == expanded[:shown]
            assert tree.cursor == task_index and tree.current is task
            assert all(tree.is_open(s) for s in task.walk() if s.children)
            tree._rebuild()
            assert list(tree.rows) == expanded, sort
            tree.cursor = tree.index_of(task)
            tree.action_collapse_all()
            assert tree.subtree_busy == threaded
            collapsed = list(tree.rows)
            assert tree.rows[tree.cursor + 1][1] <= tree.rows[tree.cursor][1]  # nothing under it shown
            await _until(pilot, lambda: not tree.subtree_busy)
            assert list(tree.rows) == collapsed
            assert not any(tree.is_open(s) for s in task.walk() if s.children)
            tree._rebuild()
            assert list(tree.rows) == collapsed, sort
            tree.cursor = tree.index_of(task)
            tree.action_expand()
            children = tree.rows.spans[tree.cursor + 1:tree.cursor + 1 + len(task.children)]
            assert set(children) == set(task.children)
            assert not any(tree.is_open(s) for s in children), sort


async def test_the_first_frame_of_a_big_subtree_opened_shows_what_the_last_does(demo_log, monkeypatch):
    """The rows shown while a thread walks the rest of a subtree fill the
    pane: every line of it is as it is once the walk is done, but the title."""
    _subtrees_in_a_thread(monkeypatch, sync_rows=30)
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await _first_task(pilot, app)
        tree = app.tree
        assert tree.size.height < span_tree.SUBTREE_SYNC_ROWS - 1 < len([1 for _ in tree.current.walk()])
        tree.action_expand_all()
        assert tree.subtree_busy
        first = rendered(tree)
        await _until(pilot, lambda: not tree.subtree_busy)
        assert rendered(tree) == first


def _press_all(tree, keys: list[str]) -> None:
    """Keys on the tree one after the other, none waiting for a thread to
    finish before the next comes (as `Pilot.press` would)."""
    actions = {"*": tree.action_expand_all, "shift+left": tree.action_collapse_all, "space": tree.action_toggle,
               "j": tree.action_cursor_down, "G": tree.action_last, "s": tree.action_cycle_sort,
               "left": tree.action_collapse, "live": tree.refresh_run,
               # the jump from an anomaly: a sample of the run's last task
               "jump": lambda: tree.reveal([s for s in tree.run.spans.values() if s.kind == "sample"][-1])}
    for key in keys:
        actions[key]()


@pytest.mark.parametrize("keys", [
    ["*", "shift+left"], ["*", "j", "j"], ["*", "j", "j", "j", "j", "j", "j"], ["*", "G"], ["*", "space"],
    ["*", "s"], ["*", "left"], ["*", "live"], ["*", "*"], ["*", "jump", "*", "shift+left"],
    ["*", "shift+left", "space"], ["*", "shift+left", "*"],
])
async def test_keys_while_a_subtree_is_opened_or_closed_in_a_thread_do_what_they_do_after_it(
        demo_log, monkeypatch, layout, keys):
    """A key (or new data) that comes while a thread opens or closes a whole
    subtree waits for it, and leaves the tree as it is when the keys are
    handled one after the other at once: the same rows, cursor, scroll,
    title and open nodes, and the same span in the detail; in a small tree
    and in a big one (laid out, sorted, in a thread)."""
    seen = []
    for sync_rows in (10 ** 9, 4):  # all at once, as a small subtree is; in a thread
        _subtrees_in_a_thread(monkeypatch, sync_rows)
        app = make_app(demo_log)
        async with app.run_test(size=(120, 36)) as pilot:
            await _first_task(pilot, app)
            tree = app.tree
            tree.action_expand_all()
            assert tree.subtree_busy == (sync_rows == 4)
            _press_all(tree, keys[1:])
            await _until(pilot, lambda: not tree.subtree_busy and not tree._relayout_busy)
            await pilot.pause()
            await _until(pilot, lambda: app._detail_timer is None)  # the detail drawn once the cursor rests
            seen.append(_tree_state(app))
    assert seen[1] == seen[0]


async def test_opening_or_closing_a_big_subtree_reads_its_spans_off_the_ui_thread(demo_log, monkeypatch):
    """`*` and shift+left on a subtree too big for a frame (a task of 259k
    nodes took 128–250 ms of the UI thread): the key's handler reads at most
    `SUBTREE_SYNC_ROWS` of its spans' children and none of their ids; a
    thread reads the rest."""
    _subtrees_in_a_thread(monkeypatch)
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await _first_task(pilot, app)
        tree = app.tree
        task = tree.current
        ui_thread = threading.get_ident()
        reads: Counter = Counter()

        class Counted(Span):
            __slots__ = ()

        if SpanCore is not None:  # (a span's class is changed only to one its instances match)
            SpanCore.leave_out_of_gc(Counted)
        for name in ("id", "children"):
            def read(span, slot=getattr(Span, name), name=name):
                if threading.get_ident() == ui_thread:
                    reads[name] += 1
                return slot.__get__(span, Span)

            def write(span, value, slot=getattr(Span, name)):
                slot.__set__(span, value)

            setattr(Counted, name, property(read, write))
        nodes = list(task.walk())
        assert len(nodes) > 2 * span_tree.SUBTREE_SYNC_ROWS
        try:
            for span in nodes:
                span.__class__ = Counted
            tree.action_expand_all()
            assert reads["children"] <= span_tree.SUBTREE_SYNC_ROWS + 1 and reads["id"] <= span_tree.SUBTREE_SYNC_ROWS
            await _until(pilot, lambda: not tree.subtree_busy)
            reads.clear()
            tree.action_collapse_all()
            assert reads["id"] == 0 and reads["children"] <= 1
            await _until(pilot, lambda: not tree.subtree_busy)
        finally:
            for span in nodes:
                span.__class__ = Span
        assert not any(tree.is_open(s) for s in nodes if s.children)


async def test_a_jump_to_a_span_the_kept_filter_hides_drops_it_from_the_border_too(demo_log):
    """QA: the tree kept `status:error`, `a` `enter` on a running anomaly
    showed the whole tree (the span does not match), and the border still
    said `/ status:error` until esc."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.focus_now(app.tree)
        await pilot.press("slash", *"status:error", "enter")
        await pilot.pause(0.2)
        assert app.tree.filtered and "status:error" in str(app.tree.border_subtitle)
        panel = app.anomaly_panel
        app.focus_now(panel)
        panel.cursor = next(i for i, (b, _, _) in enumerate(panel.rows) if b == "running")
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.focused is app.tree and app.tree.current is panel.current[1].span
        assert not app.tree.filtered and not app.tree.border_subtitle
        await pilot.press("slash")
        assert app.query_one("#filter").value == ""  # the box does not bring it back


@pytest.mark.parametrize("pane, typed, hint, fixed", [
    ("tree", "stauts:error", "did you mean status: for stauts:?", ["escape", "slash", *"status:error"]),
    ("anomaly_panel", "status:runing", "did you mean status:running?", ["backspace"] * 3 + [*"ning"]),
    ("tree", "status:eror", "did you mean status:error?", ["backspace", "backspace", *"ror"]),
], ids=["a field", "a value in the panel", "a value in the tree"])
async def test_a_misspelt_filter_that_matches_nothing_gets_a_hint(demo_log, pane, typed, hint, fixed):
    """QA: `/stauts:error` and `/status:eror` said only "no spans match
    the filter" ("no anomalies …"); once mended the rows come back."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        target = getattr(app, pane)
        app.focus_now(target)
        await pilot.press("slash", *typed)
        await pilot.pause(0.2)
        assert target.row_count() == 0 and hint in rendered(target)
        await pilot.press(*fixed)
        await pilot.pause(0.2)
        assert target.row_count() and "did you mean" not in rendered(target)


async def test_a_filter_for_hidden_errors_says_e_shows_them(demo_log):
    """QA: `/status:error` in the panel, errors and timeouts hidden, said
    only "no anomalies match the filter"."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        app.focus_now(panel)
        await pilot.press("slash", *"status:error", "enter")
        await pilot.pause(0.2)
        assert panel.row_count() == 0 and "e shows them" in rendered(panel)
        await pilot.press("e")
        await pilot.pause(0.2)
        assert panel.row_count() and all(bucket == "errors" for bucket, _, _ in panel.rows)


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
        await pilot.press("end", "ctrl+u")
        await pilot.press("escape")
        assert any(s.status == "ok" for s, _ in app.tree.rows)


@pytest.mark.parametrize("big", [False, True])
async def test_the_trees_title_says_how_many_spans_the_filter_matches(demo_log, monkeypatch, big):
    """The matches, not their ancestors' rows, counted in the title (a
    filter over a big run said nothing of how much it found); nothing
    said once the filter is dropped."""
    if big:  # filtered in a thread
        monkeypatch.setattr(span_tree, "BACKGROUND_MIN_SPANS", 10)
    app = make_app(demo_log)
    async with app.run_test(size=(140, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        tree.focus()
        counts = []
        for typed in ("status:error", "Subprocess", "zzz-nothing"):
            await pilot.press("slash", "end", "ctrl+u", *typed)
            await _until(pilot, lambda: tree._filter_worker is None and tree._shown_query is tree._query)
            count = sum(1 for span in tree.run.spans.values() if tree._query.matches_span(span))
            title = str(tree.border_title)
            said = re.search(r"· ([\d,]+) match(es)?\b", title)
            assert said and int(said.group(1).replace(",", "")) == count, (typed, title, count)
            counts.append((count, len(tree.rows)))
            await pilot.press("enter")
        # Matches, not rows: their ancestors are rows too.
        assert 0 < counts[0][0] < counts[0][1] and counts[1][0] > 1 and counts[2] == (0, 0)
        # Dropped: in the box, or with esc on the tree keeping it (QA: a
        # big run's count stayed).
        await pilot.press("slash", "end", "ctrl+u", "escape")
        await _until(pilot, lambda: not tree.filtered and tree._filter_worker is None)
        assert "match" not in str(tree.border_title)
        await pilot.press("slash", *"Subprocess", "enter")
        await _until(pilot, lambda: "match" in str(tree.border_title))
        assert app.focused is tree
        await pilot.press("escape")
        await _until(pilot, lambda: not tree.filtered and tree._filter_worker is None)
        assert "match" not in str(tree.border_title)


async def test_keys_typed_right_after_slash_reach_the_filter(demo_log):
    """A busy app (a big file loading) reads keys in bursts: "/" and the
    letters after it arrive together and must all land in the filter box."""
    from textual import events

    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.tree.focus()
        await pilot.pause()
        for char in "/Tool":
            app.post_message(events.Key("slash" if char == "/" else char, char))
        await _until(pilot, lambda: app.query_one("#filter").value == "Tool" and app.tree._filter_worker is None)
        assert app.query_one("#filter").value == "Tool"
        assert app.tree.rows and all("Tool" in s.name or s.children for s, _ in app.tree.rows)
        # In the box, "/" is a character.
        await pilot.press("slash")
        assert app.query_one("#filter").value == "Tool/"


async def test_a_filter_keystroke_lays_out_nothing_and_a_long_filter_keeps_its_cursor_shown(demo_log):
    """Textual's Input sets its scroll range at every keystroke, and as a
    layout reactive that placed and drew every pane again; the filter box
    only draws itself again (`FilterInput.virtual_size`). A filter longer
    than the box still scrolls it to keep the cursor in view."""
    app = make_app(demo_log)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.tree.focus()
        await pilot.press("slash")
        await pilot.pause()
        box = app.query_one("#filter")
        asked = []  # the box's refreshes: True where one asked for a layout
        refresh = box.refresh

        def recording(*regions, **kwargs):
            asked.append(kwargs.get("layout", False))
            return refresh(*regions, **kwargs)

        box.refresh = recording
        await pilot.press(*"Tool")
        await pilot.pause()
        assert box.value == "Tool"
        assert asked and not any(asked)  # drawn again, and nothing else placed anew
        del box.refresh
        typed = "_kind:Tool" * 8  # 80 characters in a box of 74 columns
        await pilot.press(*typed)
        await pilot.pause()
        assert box.value == "Tool" + typed
        assert box.virtual_size.width > box.content_size.width
        assert box.scroll_x > 0
        x = box.cursor_screen_offset.x
        region = box.content_region
        # On screen, in the box: past the last character, the cursor sits in
        # the box's right padding, as Textual's Input places it.
        assert region.x <= x <= region.right < box.region.right
        await pilot.press("home")
        await pilot.pause()
        assert box.scroll_x == 0


async def test_editing_keys_in_a_burst_apply_in_typing_order(demo_log):
    """`/`, ctrl+u, `model` typed in one burst left the box empty (QA):
    Textual ran the box's ctrl+u only once the key had bubbled up to the
    app, after the letters behind it were in. Every editing key of the
    box applies where it was typed."""
    from textual import events

    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.tree.focus()
        await pilot.pause()
        burst = [("slash", "/"), *[(c, c) for c in "abc"], ("ctrl+u", "\x15"), *[(c, c) for c in "model"],
                 ("ctrl+w", "\x17"), *[(c, c) for c in "tool"], ("left", None), ("backspace", "\x7f"),
                 ("x", "x")]
        for key, char in burst:
            app.post_message(events.Key(key, char))
        await _until(pilot, lambda: app.query_one("#filter").value == "toxl")
        assert app.query_one("#filter").value == "toxl"
        await pilot.press("escape")
        assert app.focused is app.tree
        # `enter` or `esc`, then a key, in one burst: the key goes to the
        # list the box closed onto, not into the box (QA: `sleepj`).
        for key, char in [("slash", "/"), *[(c, c) for c in "Tool"], ("enter", "\r"), ("j", "j")]:
            app.post_message(events.Key(key, char))
        await _until(pilot, lambda: app.query_one("#filter").value == "Tool" and app.focused is app.tree
                     and app.tree.cursor == 1)
        assert app.query_one("#filter").value == "Tool" and app.focused is app.tree
        assert app.tree.border_subtitle == "/ Tool" and app.tree.cursor == 1
        for key, char in [("slash", "/"), ("x", "x"), ("escape", "\x1b"), ("k", "k")]:
            app.post_message(events.Key(key, char))
        box = app.query_one("#filter")
        await _until(pilot, lambda: app.focused is app.tree and box.value == "" and not box.has_class("visible"))
        assert app.focused is app.tree and box.value == "" and not box.has_class("visible")


def _export_dir(tmp_path, monkeypatch):
    """A directory of its own for `x`'s exports (it writes into the
    directory the explorer started in), made the current one."""
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    return out


def _held_exports(monkeypatch):
    """Exports wait for the event returned to be set before they write; the
    list returned gets each one's path as it starts."""
    import threading

    release = threading.Event()
    write = app_module.write_perfetto
    writes = []

    def slow_write(*args, **kwargs):
        writes.append(args[1])
        release.wait(10)
        return write(*args, **kwargs)

    monkeypatch.setattr(app_module, "write_perfetto", slow_write)
    return release, writes


async def test_the_status_line_says_an_export_is_being_written_until_it_is(demo_log, tmp_path, monkeypatch):
    """A million spans take seconds to export, longer than the toast that
    says so stays (QA: 11 s, nothing said after the first three)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(app_module, "EXPORT_NOTICE_MIN", 0)
    release, _ = _held_exports(monkeypatch)
    app = make_app(demo_log)
    async with app.run_test(size=(160, 36)) as pilot:
        await settle(pilot, app)
        spans = len(app.store.runs["demo"].spans)
        await pilot.press("x")
        await pilot.pause(0.1)
        status = app._status.render_line(0).text
        assert f"exporting {spans:,} spans…" in status
        assert status.index("follow off") < status.index("exporting")  # cut last, not `follow off` (QA)
        release.set()
        for _ in range(40):
            await pilot.pause(0.05)
            if "exporting" not in app._status.render_line(0).text:
                break
        assert "exporting" not in app._status.render_line(0).text
        assert any(n.startswith("exported to ") for n in app.notes)
        assert "exported to" in app._status.render_line(0).text
        # Again: its progress alone, not beside the last one's result, which
        # read as this one's (QA).
        release.clear()
        (tmp_path / "tracetui-demo.perfetto.json").unlink()
        await pilot.press("x")
        await pilot.pause(0.1)
        status = app._status.render_line(0).text
        assert f"exporting {spans:,} spans…" in status and "exported to" not in status
        release.set()


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
        await pilot.press("x")  # written by a thread: wait for it
        exported = tmp_path / "tracetui-demo.perfetto.json"
        for _ in range(40):
            await pilot.pause(0.05)
            if exported.exists():
                break
        events = json.loads(exported.read_text())["traceEvents"]
        assert not list(tmp_path.glob("*.part"))
        assert any(e.get("name") == "Subprocess" for e in events)
        await pilot.pause(0.1)
        spans = sum(1 for e in events if e.get("ph") == "X")
        made_up = sum(1 for s in app.store.runs["demo"].spans.values() if s.synthetic)
        said = [n.message for n in app._notifications if n.message.startswith("exported")]
        assert said and said[-1].startswith(f"exported to {exported}: {spans:,} spans ({made_up:,} of them "
                                            "sample/task nodes")
        assert "replacing" not in said[-1]
        assert any(str(exported) in note for note in app.all_notes())  # kept with the notes (`n`)
        await pilot.press("x")  # again: the same file, and the message says it was replaced
        for _ in range(40):
            await pilot.pause(0.05)
            said = [n.message for n in app._notifications if n.message.startswith("exported")]
            if len(said) == 2:
                break
        assert "replacing the run's earlier export" in said[-1]
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("slash")  # no filter opens behind a dialog
        assert isinstance(app.screen, HelpScreen)
        assert not app.query_one("#filter").has_class("visible")
        await pilot.press("escape")


@pytest.mark.parametrize("outcome", ["written", "a directory in the way"])
async def test_an_export_gives_the_memory_it_freed_back(demo_log, tmp_path, monkeypatch, outcome):
    """The export's arrays, freed, stayed with glibc: ~20 MB more after each
    export of a 1M-line log (`x`, measured), given back once it is written
    or has failed."""
    monkeypatch.chdir(tmp_path)
    exported = tmp_path / "tracetui-demo.perfetto.json"
    if outcome != "written":
        exported.mkdir()  # found only when the writing thread moves the file into place
    given_back = []
    monkeypatch.setattr(app_module, "give_back_free_memory",
                        lambda: given_back.append(exported.is_file() or "failed"))
    monkeypatch.setattr(app_module, "SETTLE_DELAY", 0.0)  # the read's own, both before `x`
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        given_back.clear()  # the read's own
        await pilot.press("x")
        for _ in range(40):
            await pilot.pause(0.05)
            if any(n.message.startswith(("exported", "cannot write")) for n in app._notifications):
                break
        assert given_back == [True if outcome == "written" else "failed"]


async def test_the_app_settles_once_the_frames_after_a_load_are_drawn(demo_log, monkeypatch):
    """Free memory is given back as a load ends; then, once the frames
    drawn after it have freed what the load's last ones built
    (`SETTLE_DELAY`: 4.3 MB of a 1M-line log's 145 MB had stayed with
    glibc), each run's index is sized to the spans it holds (`Store.settle`,
    not to take as many more: settling it again frees nothing) and free
    memory given back again. Then no more: a quiet app does no work."""
    given_back = []
    monkeypatch.setattr(app_module, "give_back_free_memory", lambda: given_back.append(time.monotonic()))
    monkeypatch.setattr(app_module, "SETTLE_DELAY", 0.3)
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await wait_for(pilot, lambda: len(given_back) >= 2)
        await pilot.pause(0.5)
        assert len(given_back) == 2 and given_back[1] - given_back[0] >= 0.3
        with app.store.lock:
            for run in app.store.runs.values():
                if not hasattr(run.spans, "settle"):
                    pytest.skip("C not built: Run.spans is a dict")
                held = run.spans.__sizeof__()
                run.spans.settle()
                assert run.spans.__sizeof__() == held


async def test_an_export_in_the_watched_directory_is_not_read_back(tmp_path, monkeypatch):
    """`tracetui .` then `x`: the export landed in the directory being
    watched and came back as a second copy of the run, its running spans
    twice in the anomaly panel (QA)."""
    write_demo_trace(str(tmp_path / "demo.log"))
    monkeypatch.chdir(tmp_path)
    app = make_app(str(tmp_path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        runs = set(app.store.runs)
        await pilot.press("x")
        for _ in range(40):
            await pilot.pause(0.05)
            if (tmp_path / "tracetui-demo.perfetto.json").exists():
                break
        assert app._rescan_dirs() is False
        await pilot.pause(0.2)
        assert set(app.store.runs) == runs
        assert [s.path for s in app.sources] == [str(tmp_path / "demo.log")]
    # Started there again: the export stays out too (it came back as a run: QA).
    app = make_app(str(tmp_path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        assert [s.path for s in app.sources] == [str(tmp_path / "demo.log")]


@pytest.mark.parametrize("obstacle", ["working directory gone", "a directory in the way"])
async def test_an_export_that_cannot_be_written_says_so(demo_log, tmp_path, monkeypatch, obstacle):
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    if obstacle == "working directory gone":
        here.rmdir()
    else:  # found only when the writing thread moves the file into place
        (here / "tracetui-demo.perfetto.json").mkdir()
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("x")
        for _ in range(40):
            await pilot.pause(0.05)
            failed = [n for n in app._notifications if n.message.startswith("cannot write")]
            if failed:
                break
        assert failed and failed[0].severity == "error"
        assert app.is_running
    if obstacle == "a directory in the way":
        assert sorted(p.name for p in here.iterdir()) == ["tracetui-demo.perfetto.json"]  # no .part left



@pytest.mark.parametrize("outcome", ["written", "a directory in the way", "working directory gone"])
async def test_an_exports_result_is_on_the_status_line_at_once(demo_log, tmp_path, monkeypatch, outcome):
    """`x`: the status line kept a source's older note (listed after the
    app's own), and where the file went was only under `n` (QA). The
    export's result, or why there is none, takes its place at once; `n`
    keeps every note."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    export = here / "tracetui-demo.perfetto.json"
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        os.remove(demo_log)  # its source says so, in a note of its own
        await _until(pilot, lambda: "file was removed" in app._status.render_line(0).text)
        if outcome == "working directory gone":
            here.rmdir()
        elif outcome == "a directory in the way":
            export.mkdir()  # found only when the writing thread moves the file into place
        older = app.all_notes()
        await pilot.press("x")
        await _until(pilot, lambda: len(app.all_notes()) > len(older))
        status = app._status.render_line(0).text  # no pause: said as the result came
        assert "file was removed" not in status, status
        if outcome == "written":
            assert export.is_file()
            assert "exported to ./tracetui-demo.perfetto.json" in status or f"exported to {export}" in status
        elif outcome == "a directory in the way":
            assert "tracetui-demo.perfetto.json: Is a directory" in status, status
        else:
            assert "cannot write the export here: No such file or directory" in status, status
        assert set(older) < set(app.all_notes())  # `n` lists the older note and this one
        # Said a while, not for good (QA: still there minutes later); then
        # the newest note again.
        monkeypatch.setattr(app_module, "EXPORT_SAID_FOR", 0.0)
        app.tick()
        await pilot.pause(0.05)
        status = app._status.render_line(0).text
        assert "export" not in status and "file was removed" in status, status


async def test_x_while_a_file_loads_exports_the_whole_run_once_read(tmp_path, monkeypatch):
    """`x` while a big log was still loading exported the part read so far
    and said it was the run (QA: 119,120 spans of ~490k, nothing said).
    The export waits for the file to be read, the status line says so, and
    then the whole run is written."""
    log = tmp_path / "trace-1.log"
    write_demo_trace(str(log))
    path = tmp_path / "trace-1.log.gz"
    path.write_bytes(gzip.compress(log.read_bytes()))
    log.unlink()
    os.utime(path, (NOW - 3600, NOW - 3600))  # an ended eval's archive: no writer, nothing more to come
    out = _export_dir(tmp_path, monkeypatch)
    app = make_app(str(path))
    proceed = _held_after_first_slice(app.sources[0])
    async with app.run_test(size=(160, 36)) as pilot:
        await _until(pilot, lambda: app.tree.run is not None)
        assert app.loading
        run = app.tree.run
        await pilot.press("x")
        await pilot.pause(0.3)
        assert os.listdir(out) == []  # nothing written from the part read so far
        status = app._status.render_line(0).text
        assert re.search(r"export waits for the file to be read \(\d+%\)…", status), status
        assert "100%" not in status and "loading" not in status, status
        assert any("exported once read" in n.message for n in app._notifications)
        proceed.set()
        exported = out / "tracetui-trace-1.perfetto.json"
        await _until(pilot, lambda: any(n.startswith("exported to ") for n in app.notes), tries=300)
        assert not run.reading and not app.loading
        events = json.loads(exported.read_text())["traceEvents"]
        assert len({e["args"]["id"] for e in events if e.get("ph") == "X"}) == len(run.spans)
        said = next(n for n in app.notes if n.startswith("exported to "))
        assert f": {len(run.spans):,} spans (" in said and "so far" not in said, said
        assert "export waits" not in app._status.render_line(0).text


async def test_x_before_any_run_is_read_exports_the_first_once_read(tmp_path, monkeypatch):
    """`x` in the first second of a big log, before any run was read, was
    lost: a toast said "no run to export" and went (QA). The first run
    shown is exported once its file is read."""
    log = tmp_path / "trace-1.log"
    write_demo_trace(str(log))
    os.utime(log, (NOW - 3600, NOW - 3600))
    out = _export_dir(tmp_path, monkeypatch)
    app = make_app(str(log))
    proceed = _held_after_first_slice(app.sources[0], slices=0)  # nothing read until released
    async with app.run_test(size=(160, 36)) as pilot:
        await pilot.pause(0.2)
        assert app.tree.run is None and app.loading
        await pilot.press("x")
        await pilot.pause(0.1)
        assert any("exported once read" in n.message for n in app._notifications)
        proceed.set()
        await _until(pilot, lambda: any(n.startswith("exported to ") for n in app.notes), tries=300)
        run = app.tree.run
        events = json.loads((out / "tracetui-trace-1.perfetto.json").read_text())["traceEvents"]
        assert len({e["args"]["id"] for e in events if e.get("ph") == "X"}) == len(run.spans)


async def test_x_on_a_live_run_exports_at_once_what_is_written_and_says_so(tmp_path, monkeypatch):
    """A live eval's log keeps growing, never read to an end: `x` exports
    what is written by then, at once, and the note says that is all."""
    path = tmp_path / f"trace-{os.getpid()}.log"
    write_demo_trace(str(path))
    out = _export_dir(tmp_path, monkeypatch)
    app = make_app(str(path))
    async with app.run_test(size=(160, 36)) as pilot:
        await settle(pilot, app)
        run = app.tree.run
        assert run.live
        await pilot.press("x")
        await _until(pilot, lambda: any(n.startswith("exported to ") for n in app.notes))
        said = next(n for n in app.notes if n.startswith("exported to "))
        assert f": {len(run.spans):,} spans (" in said and "as written so far: the run is live" in said, said
        assert (out / f"tracetui-{run.id}.perfetto.json").is_file()


async def test_x_again_while_the_runs_export_is_written_starts_no_second_one(demo_log, tmp_path, monkeypatch):
    """`x` twice quickly: two exports raced on the same `.part`, and a false
    red "cannot write …: No such file or directory" came beside the
    success (QA). The second `x` says the export is under way."""
    monkeypatch.chdir(tmp_path)
    release, writes = _held_exports(monkeypatch)
    app = make_app(demo_log)
    async with app.run_test(size=(160, 36)) as pilot:
        await settle(pilot, app)
        spans = len(app.store.runs["demo"].spans)
        await pilot.press("x")
        await _until(pilot, lambda: writes)
        await pilot.press("x")
        await pilot.pause(0.2)
        assert len(writes) == 1
        assert f"exporting {spans:,} spans…" in app._status.render_line(0).text
        assert any("export is under way" in n.message for n in app._notifications)
        release.set()
        await _until(pilot, lambda: any(n.startswith("exported to ") for n in app.notes))
        await pilot.pause(0.2)
        assert len(writes) == 1
        assert not [n for n in app.notes if "cannot write" in n]
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith("tracetui-")] == ["tracetui-demo.perfetto.json"]
        # Written, the run may be exported again.
        await pilot.press("x")
        await _until(pilot, lambda: sum(n.startswith("exported to ") for n in app.notes) == 2)
        assert len(writes) == 2


async def test_tab_cycles_panes(demo_log):
    app = make_app(demo_log)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        seen = []
        for _ in range(4):
            await pilot.press("tab")
            seen.append(app.focused.id)
        assert seen == ["runs", "tree", "detail", "anomalies"]
        await pilot.press("shift+tab", "shift+tab")
        assert app.focused.id == "tree"
        await pilot.press("a")
        assert app.focused is app.anomaly_panel


async def test_tab_from_a_run_to_its_tree_keeps_that_run(tmp_path):
    """QA: in a directory, a run chosen in the run list, then `tab` to the
    tree: the focus passed the anomaly panel, which shows its row's run,
    and the tree showed another run."""
    hung = open(HUNG, "rb").read()
    for pid in (301, 302, 303):
        (tmp_path / f"trace-{pid}.log").write_bytes(hung)
    app = make_app(str(tmp_path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        runs = app.run_list
        app.focus_now(runs)
        await pilot.press("G")
        if runs.current is app.anomaly_panel.current[2]:
            await pilot.press("g")
        await pilot.pause(0.2)
        chosen = runs.current
        assert chosen is not app.anomaly_panel.current[2] and app.tree.run is chosen
        await pilot.press("tab")
        await pilot.pause(0.2)
        assert app.focused is app.tree and app.tree.run is chosen


async def test_live_append_shows_new_spans_and_keeps_cursor(live_log, layout):
    path = live_log
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
        assert any(span.id == "NEWID" for span, _ in tree.rows)
        assert tree.current is before_span
        # A node closed meanwhile stays closed when the new layout lands.
        task_row = next(i for i, (span, _) in enumerate(tree.rows) if span.children)
        await pilot.press(*["k"] * 40, *["j"] * task_row, "space")
        shown = tree.row_count()
        rec.update(trace_id="NEWID2", detail="another_tool()")
        with open(path, "a") as f:
            f.write(json.dumps(rec) + "\n")
        for _ in range(40):
            await pilot.pause(0.05)
            if any(span.id == "NEWID2" for span, _ in tree.rows):
                break
        assert any(span.id == "NEWID2" for span, _ in tree.rows)
        assert tree.row_count() == shown + 1


def lines_out_of_date(widget: LineList) -> list[int]:
    """Screen lines of `widget` whose last drawing differs from what they
    would show now (what the diff repaint must never leave behind)."""
    top, width, count = widget.scroll_offset.y, widget.row_width, widget.row_count()
    return [y for y in range(widget.size.height)
            if widget._drawn.get(y, (None,))[0] != widget._row_key(top + y, y, width, count)]


def _record_drawn_lines(widget) -> list[int]:
    """The lines `widget` draws from now on, in order (a list that grows)."""
    drawn: list[int] = []
    original = widget.render_line

    def recording(y):
        drawn.append(y)
        return original(y)

    widget.render_line = recording
    return drawn


async def test_live_updates_repaint_only_the_rows_that_changed(demo_log):
    path = demo_log
    app = make_app(path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree, panel, runs = app.tree, app.anomaly_panel, app.run_list
        tree.focus()
        await pilot.pause(0.1)
        running = next(i for i, (span, _) in enumerate(tree.rows)
                       if span.status == "running" and not span.children and not span.synthetic)
        span = tree.rows[running][0]
        drawn = _record_drawn_lines(tree)
        # Its exit: that row (and its ancestors' status) changes, and the
        # anomaly panel loses a row.
        rec = {"timestamp": "2026-11-23T05:40:00+00:00", "level": "TRACE",
               "message": f"{span.name}: done (exit)", "action": span.name,
               "detail": span.detail, "event": "exit", "trace_id": span.id, "duration": 1.5}
        with open(path, "a") as f:
            f.write(json.dumps(rec) + "\n")
        for _ in range(60):
            await pilot.pause(0.05)
            if span.status != "running":
                break
        await pilot.pause(0.2)
        assert span.status == "ok"
        for widget in (tree, panel, runs):
            assert lines_out_of_date(widget) == [], type(widget).__name__
        # Only the changed rows were drawn again, not the whole pane.
        del tree.render_line
        assert running - tree.scroll_offset.y in drawn
        assert len(set(drawn)) < tree.size.height // 2
        assert "1.50s" in rendered(tree)
        # And what is on screen is what a full repaint draws.
        shown = app.export_screenshot()
        for widget in (tree, panel, runs):
            widget._drawn.clear()  # drawn afresh, not from the lines kept
            widget.refresh()
        await pilot.pause(0.1)
        assert app.export_screenshot() == shown


class _Numbers(LineList):
    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = rows

    def row_count(self) -> int:
        return self.rows

    def render_row(self, index: int, width: int) -> Text:
        return Text(f"row {index}")


async def test_a_list_grown_under_a_scrollbar_that_looks_the_same_does_not_draw_it_again():
    """A live tail grows the lists by a row or two a batch: the thumb moves
    by less than it is drawn to, and the bar is not drawn again; the scroll
    range is the new one all the same, and a thumb that moves is drawn."""
    from textual.app import App
    from textual.scrollbar import ScrollBar

    class ListApp(App):
        CSS = "_Numbers { height: 12; border: round white; scrollbar-size-vertical: 1; overflow-x: hidden; }"

        def compose(self):
            yield _Numbers(1000)

    app = ListApp()
    async with app.run_test(size=(40, 20)) as pilot:
        numbers = app.query_one(_Numbers)
        numbers.sync_size()
        await pilot.pause()
        bar = numbers.vertical_scrollbar
        drawn = []
        original = ScrollBar.render

        def recording(self):
            drawn.append(self)
            return original(self)

        def on_screen() -> list[list[tuple[str, Style]]]:
            return [_cells(strip) for strip in bar.render_lines(Region(0, 0, *bar.outer_size))]

        def repainted() -> list[list[tuple[str, Style]]]:
            bar.refresh()
            return on_screen()

        ScrollBar.render = recording
        try:
            for rows in (1001, 1002, 999):
                numbers.rows = rows
                numbers.sync_size()
                await pilot.pause()
                assert drawn == [] and bar.window_virtual_size == rows and numbers.max_scroll_y == rows - 10
                assert on_screen() == repainted()
                drawn.clear()  # by `repainted`
            numbers.move_to(998)  # the bottom: a shorter list keeps the view in its range
            await pilot.pause()
            numbers.rows = 998
            numbers.sync_size()
            await pilot.pause()
            assert numbers.scroll_y == numbers.max_scroll_y == 988 and bar.position == 988
            assert on_screen() == repainted()
            drawn.clear()
            numbers.rows = 2000  # the thumb half as long
            numbers.sync_size()
            await pilot.pause()
            assert drawn and bar.window_virtual_size == 2000
            assert on_screen() == repainted()
            numbers.rows = 5  # no scrollbar
            numbers.sync_size()
            await pilot.pause()
            assert not numbers.show_vertical_scrollbar and numbers.scroll_y == 0
        finally:
            ScrollBar.render = original


async def test_a_new_title_repaints_its_border_line_only(demo_log):
    """The anomaly panel's title counts what runs, and changes with nearly
    every batch of a live log: the new title is drawn on its border line
    without drawing the pane's rows again. So is a filter in the bottom
    border."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        assert panel.row_count() > 3
        await pilot.pause(0.2)
        drawn = _record_drawn_lines(panel)
        panel.border_title = "anomalies · 41 running · 7 cancelled"
        panel.border_subtitle = "/ sleep"
        await pilot.pause(0.1)
        del panel.render_line
        assert drawn == []
        # What the compositor gets: lines not marked for repaint come from
        # the styles cache as they were last drawn.
        lines = [strip.text for strip in panel.render_lines(Region(0, 0, *panel.outer_size))]
        assert "41 running · 7 cancelled" in lines[0] and "/ sleep" in lines[-1]
        shown = app.export_screenshot()
        # What a full repaint draws.
        for widget in (app.tree, panel, app.run_list):
            widget._drawn.clear()
            widget.refresh()
        await pilot.pause(0.1)
        assert app.export_screenshot() == shown


async def test_focus_moves_draw_what_a_full_repaint_draws(demo_log):
    # The main screen does not repaint everything on a focus change (see
    # MainScreen): what changed must still be drawn.
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        for key in ("a", "tab", "tab", "tab", "enter", "shift+tab"):
            await pilot.press(key)
            await pilot.pause(0.1)
            shown = app.export_screenshot()
            app.screen.refresh()
            for widget in app.screen.walk_children(Widget):
                if isinstance(widget, LineList):  # drawn afresh, not from the lines kept
                    widget._drawn.clear()
                widget.refresh()
            await pilot.pause(0.1)
            assert app.export_screenshot() == shown, key


async def test_detail_pane_draws_spans_without_laying_out_the_screen(demo_log, monkeypatch):
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        # The spans are shown here by hand: the tick would show the
        # cursor's instead (on a slow machine, during the resize below).
        monkeypatch.setattr(app, "_tick", lambda: None)
        detail = app.detail
        # Two spans whose detail is longer than the pane (a sample's whole log).
        long_ones = [s for s in app.store.runs["demo"].spans.values()
                     if s.kind == "sample" and len(log_for(s)) >= 3]
        first, second = long_ones[0], long_ones[1]
        detail.show(first, NOW)
        await pilot.pause(0.1)
        assert detail.virtual_size.height > detail.size.height
        layouts = []
        original = app.screen._refresh_layout
        monkeypatch.setattr(app.screen, "_refresh_layout", lambda *a, **k: (layouts.append(1), original(*a, **k)))
        detail.scroll_to(y=4, animate=False)
        detail.show(first, NOW + 5)  # the same span redrawn: stays where it was scrolled to
        await pilot.pause(0.1)
        assert detail.scroll_offset.y == 4
        detail.show(second, NOW)  # a new span: from the top
        await pilot.pause(0.1)
        assert detail.scroll_offset.y == 0
        assert layouts == []
        lines = [detail.render_line(y).text for y in range(detail.size.height)]
        assert second.id in "\n".join(lines)
        # A narrower terminal wraps the same text again at the new width.
        await pilot.resize_terminal(90, 36)
        await pilot.pause(0.2)
        width = detail.scrollable_content_region.width
        lines = [detail.render_line(y).text for y in range(detail.size.height)]
        assert second.id in "\n".join(lines)
        assert all(len(line.rstrip()) <= width for line in lines)


async def test_a_running_spans_log_is_drawn_again_only_when_it_grew(demo_log):
    """A running span is drawn again every second for its age; its log (up
    to 100 records) is kept as drawn until a record is added, and the pane
    shows what drawing the whole detail afresh shows."""
    from tracetui.model import Event

    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.store.runs["demo"].writer_seen = True  # its eval's process runs: ages move with the clock
        detail = app.detail
        console = app.console

        def afresh() -> list[str]:
            options = console.options.update(width=detail.scrollable_content_region.width, height=None,
                                             highlight=False)
            return [Strip(line).text for line in console.render_lines(detail.renderable, options, pad=True)]

        running = [s for s in app.store.runs["demo"].spans.values() if s.status == "running" and log_for(s)]
        assert running
        for span in running:
            detail.show(span, NOW)
            first = list(detail._lines)
            log_lines = detail._log_drawn[2]
            assert [line.text for line in first] == afresh()
            detail.show(span, NOW + 61)  # a tick later: its age moved on
            again = list(detail._lines)
            assert [line.text for line in again] == afresh() != [line.text for line in first]
            assert detail._log_drawn[2] is log_lines  # the log was not drawn again...
            assert all(any(line is kept for kept in again) for line in log_lines)  # ...but shown
        span = running[0]
        detail.show(span, NOW)
        kept = detail._log_drawn[2]
        log_for(span).append(Event("2026-11-23T05:40:00+00:00", "INFO", "a brand new record", None))
        detail.show(span, NOW)
        assert detail._log_drawn[2] is not kept
        assert "a brand new record" in "\n".join(line.text for line in detail._lines)
        assert [line.text for line in detail._lines] == afresh()


MIXED = os.path.join(os.path.dirname(__file__), "..", "sample_traces", "inspect", "mixed.log.gz")


async def test_an_actions_detail_lists_the_log_written_while_it_ran():
    """Each `Model` call of a sample showed the sample's whole log, so its
    three HTTP records seemed each call's (and a 429 whichever call one
    looked at, QA): an action shows the records of its own time, saying
    so; the sample's node still shows them all; an action with none says
    so in one line."""
    app = open_app(MIXED, now=NOW)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        sample = next(s for s in tree.run.spans.values() if s.kind == "sample"
                      and s.name == "sample 2 · epoch 1" and s.parent.name == "research")
        https = [e for e in sample.events if e.level == "HTTP"]
        assert len(sample.events) == len(https) == 3
        tree.reveal(sample)
        tree.focus()
        await pilot.press("enter")  # opens it
        seen = {}
        for _ in range(12):  # down its rows, as the user steps through them
            await pilot.pause(0.15)
            span = app.detail.span
            if enclosing_sample(span) is not sample:
                break
            seen[span] = detail_text(app, width=110)
            await pilot.press("j")
        assert "sample log (3 records)" in seen[sample]
        calls = [s for s in seen if s.name == "Model"]
        assert len(calls) == 3
        for call, record in zip(calls, https):
            text = seen[call]
            assert "log during this action (1 of the sample's 3 records)" in text
            # Its own call's record, by its time, and neither of the others.
            assert [time_of(e) in text for e in https] == [e is record for e in https]
        quiet = next(s for s in seen if s.name == "Tool Call")
        assert "no log record during this action (3 in its sample's log)" in seen[quiet]
        assert "POST" not in seen[quiet]


def test_a_running_actions_log_runs_to_the_instant_it_is_aged_to(demo_log):
    """A running action's window ends where its age does (`clock.as_of`):
    a record its sample gains while it runs joins its log, in order."""
    import io
    from datetime import datetime, timezone

    from tracetui.app.detail import log_window, span_sections
    from tracetui.model import Event

    store = Store()
    sources, _ = open_sources([demo_log], store)
    for source in sources:
        source.poll(final=True)
    stuck = next(s for s in store.runs["demo"].spans.values()
                 if s.kind == "Subprocess" and s.status == "running" and enclosing_sample(s) is not None)
    events = log_for(stuck)
    lo, hi = log_window(stuck, events, stuck.start + 60)
    iso = datetime.fromtimestamp(stuck.start + 30, timezone.utc).isoformat()
    events.append(Event(iso, "HTTP", "POST /v1/chat/completions \"HTTP/1.1 429\"", None))
    assert log_window(stuck, events, stuck.start + 29) == (lo, hi)
    assert log_window(stuck, events, stuck.start + 60) == (lo, hi + 1) and hi == len(events) - 1
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(span_sections(stuck, stuck.start + 60, events=events)[1][1])
    text = console.file.getvalue()
    assert "HTTP/1.1 429" in text and f"log during this action ({hi + 1 - lo} of the sample's {len(events)} records)" in text


def test_a_top_level_actions_log_is_the_runs_records_written_while_it_ran(tmp_path):
    """QA: a run-level `Log Write` of 10 ms listed all of its run's log
    records, written minutes later."""
    import io
    from datetime import datetime, timezone

    from tracetui.app.detail import span_sections
    from tracetui.cli import load

    def record(at: float, message: str) -> dict:
        return {"timestamp": datetime.fromtimestamp(at, timezone.utc).isoformat(), "level": "HTTP",
                "message": message}

    path = c.write(str(tmp_path), "trace-5.log", b"".join(map(c.line, [
        c.inspect_record("enter", "w", "Log Write", "x.eval", start=NOW),
        record(NOW + 0.005, "during"),
        c.inspect_record("exit", "w", "Log Write", "x.eval", duration=0.01),
        record(NOW + 60, "a minute later"), record(NOW + 120, "two minutes later")])))
    store, _ = load([path])
    write = store.runs["trace-5"].spans["w"]
    console = Console(file=io.StringIO(), width=100, color_system=None)
    for _, section in span_sections(write, NOW + 200, events=log_for(write))[1:]:
        console.print(section)
    text = console.file.getvalue()
    assert "log during this action (1 of the run's 3 records)" in text
    assert "during" in text and "minute" not in text


def time_of(event) -> str:
    """How the detail shows a record's time (`05:37:25.712`)."""
    from tracetui.app.detail import _event_time

    return _event_time(event.time)


async def keys_shown(pilot, app: TraceApp, pane) -> str:
    """The key bar's text with `pane` focused."""
    pane.focus()
    await pilot.pause(0.1)
    return str(app.query_one(KeyBar).render())


async def test_key_bar_shows_the_focused_panes_keys_and_a_click_presses_one(demo_log):
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree_keys = await keys_shown(pilot, app, app.tree)
        assert "Expand/collapse" in tree_keys and "Sort" in tree_keys and "Quit" in tree_keys
        panel_keys = await keys_shown(pilot, app, app.anomaly_panel)
        assert "Sort" not in panel_keys and "Quit" in panel_keys
        x = panel_keys.index("?Help")
        await pilot.click(KeyBar, offset=(x + 1, 0))
        await pilot.pause(0.1)
        assert isinstance(app.screen, HelpScreen)


async def test_the_key_bar_keeps_every_key_on_80_columns(demo_log):
    """At 80 columns with the tree focused the bar ran out at `fFollow`
    (raw, copy and export gone): now the app's own keys lose their words
    first, the focused pane's keep theirs, and a click still finds its key."""
    app = make_app(demo_log)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        keys = await keys_shown(pilot, app, app.tree)
        assert len(keys) <= 80 and "Expand/collapse" in keys and "sSort" in keys
        assert all(k in keys for k in ("rRaw", "cCopy", "xExport"))
        assert " ? " in keys and "Help" not in keys
        x = keys.index(" ? ") + 1
        await pilot.click(KeyBar, offset=(x, 0))
        await pilot.pause(0.1)
        assert isinstance(app.screen, HelpScreen)


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


async def test_passing_big_runs_in_the_run_list_lays_them_out_in_a_thread(demo_log, monkeypatch):
    """Each run counts as big here: the tree shows its top level at once and
    the rest when the thread lands, whatever runs were passed meanwhile."""
    monkeypatch.setattr(span_tree, "BACKGROUND_MIN_SPANS", 0)
    app = make_app(demo_log, REAL_INSPECT)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.run_list.focus()
        await pilot.press("j", "k", "j", "k", "j")
        tree = app.tree
        assert tree.run is app.run_list.current

        def full_layout() -> span_tree.Rows:
            rows = span_tree.Rows()
            tree._flatten(list(tree.run.roots), 0, rows)
            return rows

        for _ in range(40):
            await pilot.pause(0.05)
            if tree.rows == full_layout():
                break
        assert tree.rows == full_layout() and len(tree.rows) > len(tree.run.roots)


async def test_sort_cycles_sibling_order(demo_log, layout):
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        tree.focus()
        await pilot.press("s", "s")  # slowest first

        def root_durations() -> list:
            return [s.duration_as_of(NOW) for s, d in tree.rows if d == 0]

        for _ in range(40):
            await pilot.pause(0.05)
            if root_durations() == sorted(root_durations(), reverse=True):
                break
        durations = root_durations()
        assert durations == sorted(durations, reverse=True)
        assert "slowest first" in str(tree.border_title)
        await pilot.press("s", "s")
        assert tree.sort_index == 0


async def test_slowest_first_puts_hung_samples_first_and_their_bars_reach_now():
    """A hung sample's recorded duration is only its closed actions'; sorted
    slowest first it still comes before every finished sample, and its bar
    runs to now like its stuck action's (real Inspect log, killed hung;
    the clock three minutes after its last record)."""
    app = open_app(HUNG, now=1795419400.0)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        task = next(s for s in tree.run.roots if s.kind == "task" and s.name == "triage")
        stuck = next(s for s in tree.run.spans.values() if s.status == "running" and s.kind == "Subprocess"
                     and s.parent.parent.parent is task)
        sample = stuck.parent.parent
        assert sample.duration is not None and sample.status == "running"
        # A finished sample took longer than a hung one's closed actions did.
        assert max(s.duration for s in task.children if s.status != "running") > \
            min(s.duration for s in task.children if s.status == "running")
        tree.reveal(stuck)
        tree.focus()
        await pilot.press("s", "s")  # slowest first

        def samples_shown() -> list:
            at = tree.index_of(task)
            depth = tree.rows.depths[at]
            shown = []
            for span, d in zip(tree.rows.spans[at + 1:], tree.rows.depths[at + 1:]):
                if d <= depth:
                    break
                if d == depth + 1:
                    shown.append(span)
            return shown

        for _ in range(40):
            await pilot.pause(0.05)
            if "slowest first" in str(tree.border_title) and samples_shown()[0].status == "running":
                break
        statuses = [s.status for s in samples_shown()]
        assert statuses == sorted(statuses, key=lambda st: st != "running"), statuses
        running = [s for s in samples_shown() if s.status == "running"]
        assert [s.start for s in running] == sorted(s.start for s in running)  # oldest first

        def bar(span) -> str:
            return tree.row_segments(tree.index_of(span), tree.size.width)[-1].text

        assert bar(sample).rstrip() and len(bar(sample).rstrip()) == len(bar(stuck).rstrip()) == len(bar(stuck))


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
        app.tick()  # a tick under the modal must not fail
        await pilot.pause(0.05)
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


async def test_the_detail_names_the_gzipped_log_once_inspect_gzips_it(live_log):
    """A span's detail, drawn while its log was `trace-N.log`, names
    `trace-N.log.gz` once Inspect gzips it at exit (with no record after
    it: nothing else about the span changes). QA: the status line said
    archived, the detail still named the `.log`, gone."""
    import gzip

    app = make_app(live_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        run = app.store.runs["trace-999999"]
        span = next(s for s in run.spans.values() if s.kind == "Model" and s.status == "ok")
        app.tree.reveal(span)
        app.tree.focus()
        for _ in range(20):
            await pilot.pause(0.05)
            if app.detail.span is span:
                break

        def shown() -> str:
            # Every line the pane draws, scrolled to or not, without
            # spaces: the path may be folded over lines.
            return "".join("".join(line.text.split()) for line in app.detail._lines)

        assert f"{live_log}[inspect]" in shown()
        # The eval's last record, read while the detail shows the span (the
        # app takes note of what it shows), then the gzip.
        events = len(run.events)
        last = {"timestamp": "2026-11-23T05:38:06+00:00", "level": "INFO", "message": "eval complete"}
        with open(live_log, "a") as f:
            f.write(json.dumps(last) + "\n")
        for _ in range(40):
            await pilot.pause(0.05)
            if len(run.events) > events:
                break
        await pilot.pause(app_module.DETAIL_LIVE_INTERVAL + 0.1)
        assert len(run.events) > events and app.detail.span is span
        with open(live_log, "rb") as src, gzip.open(live_log + ".gz", "wb") as dst:
            dst.write(src.read())
        os.unlink(live_log)
        for _ in range(60):
            await pilot.pause(0.05)
            if run.source.endswith(".gz") and ".log.gz" in shown():
                break
        assert run.source == live_log + ".gz" and app.detail.span is span
        assert f"{live_log}.gz[inspect]" in shown()


async def test_an_eval_with_a_reused_pid_is_a_run_of_its_own(tmp_path):
    """In a container an eval often gets the pid its previous run had: its
    trace-N.log appears beside that run's trace-N.log.gz. The two evals
    must not merge into one run; and when the new one exits, Inspect gzips
    its log onto the archive (in place), so the archive's run goes."""
    import gzip

    archive = str(tmp_path / "trace-4242.log.gz")
    with open(INTERRUPTED, "rb") as f:
        older = gzip.decompress(f.read())
    with gzip.open(archive, "wb") as f:
        f.write(older)
    app = make_app(str(tmp_path))
    app.watch_dirs = [str(tmp_path)]
    async with app.run_test(size=(120, 36)) as pilot:

        async def until(done) -> None:
            """Until `done()` holds and every source is read to its end (a
            run exists from the moment its file is opened, spans or not)."""
            for _ in range(100):
                await pilot.pause(0.05)
                with app.store.lock:
                    if done() and not any(s.behind for s in app.sources):
                        return
            raise AssertionError(f"runs: {sorted(app.store.runs)}, sources: {[s.path for s in app.sources]}")

        await settle(pilot, app)
        assert set(app.store.runs) == {"trace-4242"}
        older_spans = set(app.store.runs["trace-4242"].spans)
        log = str(tmp_path / "trace-4242.log")
        os.mkdir(tmp_path / "elsewhere")  # not watched: only the directory's own files are
        write_demo_trace(str(tmp_path / "elsewhere" / "newer.log"))
        with open(tmp_path / "elsewhere" / "newer.log", "rb") as src, open(log, "wb") as dst:
            dst.write(src.read())  # the whole eval at once: `until` waits for what is written
        await until(lambda: set(app.store.runs) == {"trace-4242", "trace-4242.log.gz"}
                    and app.store.runs["trace-4242"].source == log)
        runs = app.store.runs
        assert set(runs["trace-4242.log.gz"].spans) == older_spans
        newer_spans = set(runs["trace-4242"].spans)
        assert newer_spans and not newer_spans & (older_spans - {"task:(no task)"})
        await pilot.pause(0.3)
        assert {r.id for r in app.run_list.runs} == {"trace-4242", "trace-4242.log.gz"}
        # The new eval exits.
        with open(log, "rb") as src, gzip.open(archive, "wb") as dst:
            dst.write(src.read())
        os.unlink(log)
        await until(lambda: set(app.store.runs) == {"trace-4242"}
                    and app.store.runs["trace-4242"].source == archive and len(app.sources) == 1)
        assert set(app.store.runs["trace-4242"].spans) == newer_spans
        await pilot.pause(0.3)
        assert [r.id for r in app.run_list.runs] == ["trace-4242"]
        # And the next eval with that pid: the one just archived steps aside.
        with open(log, "wb") as f:
            f.write(older)
        await until(lambda: set(app.store.runs) == {"trace-4242", "trace-4242.log.gz"}
                    and app.store.runs["trace-4242"].source == log)
        assert set(app.store.runs["trace-4242.log.gz"].spans) == newer_spans
        assert set(app.store.runs["trace-4242"].spans) == older_spans


async def test_reveal_splices_rows_as_a_full_layout_would(demo_log):
    """Jumping to a span (enter on an anomaly) opens its ancestors by
    splicing rows in, not by laying the tree out again: the rows must be
    exactly those a full layout gives, with the cursor on the span."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        deep = [s for s in tree.run.spans.values() if s.parent is not None and s.parent.parent is not None]
        assert deep
        for span in deep:
            for node in tree.run.spans.values():
                if node.children:
                    tree.set_open(node, False)
            tree._rebuild()
            full_layouts = []
            tree._rebuild = lambda: full_layouts.append(1)  # type: ignore[method-assign]
            tree.reveal(span)
            del tree._rebuild
            assert not full_layouts
            assert tree.current is span
            spliced = list(tree.rows)
            tree._rebuild()
            assert spliced == tree.rows


async def test_a_jump_scrolls_the_tree_once_with_the_span_in_the_middle(demo_log):
    """The jump scrolls the pane once, to the span in its middle: setting
    the cursor first scrolled it to the pane's edge, and the pane was
    scrolled again (each scroll a millisecond of the jump)."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        for node in tree.run.spans.values():
            if node.children:
                tree.set_open(node, True)
        tree._rebuild()
        tree.sync_size()
        await pilot.pause()
        height = tree.size.height
        far = [s for s, _ in list(tree.rows)[2 * height:-2 * height]]
        assert far, "the tree is taller than two panes"
        tree.scroll_to(y=0, animate=False)
        scrolls = []
        original = tree.scroll_to
        tree.scroll_to = lambda *a, **k: scrolls.append(k.get("y")) or original(*a, **k)  # type: ignore[method-assign]
        span = far[len(far) // 2]
        tree.reveal(span)
        index = tree.index_of(span)
        assert tree.current is span
        assert scrolls == [index - height // 2]
        assert tree.scroll_offset.y == index - height // 2


async def test_a_big_runs_filter_never_writes_out_its_spans_on_the_ui_thread(demo_log, monkeypatch):
    """Each letter refining a big run's filter hands the spans matched so far
    to a worker; Textual wrote the repr of every argument into the worker's
    description, on the UI thread: 150 ms a letter on the 1M-line log (QA)."""
    import traceback

    from tracetui.app import span_tree
    from tracetui.model import Span

    monkeypatch.setattr(span_tree, "BACKGROUND_MIN_SPANS", 10)
    written = []  # the stacks that wrote out a span
    monkeypatch.setattr(Span, "__repr__", lambda self: written.append("".join(traceback.format_stack())) or "Span")
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.tree.focus()
        await pilot.press("slash", "s")
        for _ in range(40):
            await pilot.pause(0.05)
            if app.tree._matched is not None:
                break
        assert app.tree._matched is not None and app.tree._matched[2]  # what the next letter refines
        await pilot.press("l", "e")
        await pilot.pause(0.3)
        assert not any("_work_decorator" in stack for stack in written)


async def test_big_run_filter_runs_in_background(demo_log, monkeypatch):
    from tracetui.app import span_tree

    monkeypatch.setattr(span_tree, "BACKGROUND_MIN_SPANS", 10)
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.tree.focus()
        unfiltered = [span for span, _ in app.tree.rows]
        await pilot.press("slash", *"sleep")
        for _ in range(40):
            await pilot.pause(0.05)
            if app.tree.rows and all("sleep" in (s.detail + s.name) or s.children for s, _ in app.tree.rows):
                break
        names = [s.detail for s, _ in app.tree.rows if not s.children]
        assert names and all("sleep" in d for d in names)
        # Clearing the filter lays the whole tree out again (in a thread
        # too), the cursor staying on its span.
        await pilot.press("enter", "down")
        chosen = app.tree.current
        assert chosen is not None
        await pilot.press("slash")
        await pilot.press("end", "ctrl+u")
        for _ in range(40):
            await pilot.pause(0.05)
            if len(app.tree.rows) == len(unfiltered):
                break
        assert [span for span, _ in app.tree.rows] == unfiltered
        assert app.tree.current is chosen


async def test_a_big_runs_filter_in_slices_gives_the_rows_of_one_pass(demo_log, monkeypatch):
    """A big run's pass copies its spans, keeps its rows' spans and lays
    out a node's children a slice at a time (`spans_snapshot`,
    `SpanSet`, `CHILDREN_AT_ONCE`: each slice short, so a keystroke's
    frame is not held up); a word typed after it reads only the spans
    added since (`spans_after`). Sliced down to a few spans, and with four
    parts to a set, every word gives the rows one pass on the UI thread
    gives, typed and narrowed."""
    monkeypatch.setattr(span_tree, "BACKGROUND_MIN_SPANS", 10)
    monkeypatch.setattr(span_tree, "SNAPSHOT_SLICE", 3)
    monkeypatch.setattr(span_tree, "CHILDREN_AT_ONCE", 2)
    monkeypatch.setattr(span_tree, "SPAN_SET_PARTS", 4)
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        tree.focus()
        await pilot.press("slash")
        typed = ""
        for ch in "sle":
            typed += ch
            await pilot.press(ch)
            expected = _filter_rows_by_hand(tree.run, parse(typed))
            assert list(tree._filtered_rows(query=parse(typed))) == expected
            await _until(pilot, lambda: tree._filter_worker is None and tree._shown_query is tree._query)
            assert list(tree.rows) == expected, typed
            assert expected
        assert span_tree.spans_snapshot(tree.run) == list(tree.run.spans.values())
        assert span_tree.spans_after(tree.run, 4) == list(tree.run.spans.values())[4:]
        assert span_tree.spans_after(tree.run, 10**6) == []


def _filter_rows_by_hand(run, query) -> list:
    """The rows a filter shows, the plain way: each span matching and its
    ancestors, depth first in the order the run holds them."""
    keep = set()
    for span in run.spans.values():
        node = span if query.matches_span(span) else None
        while node is not None and node not in keep:
            keep.add(node)
            node = node.parent
    rows, stack = [], [(root, 0) for root in reversed(run.roots)]
    while stack:
        span, depth = stack.pop()
        if span in keep:
            rows.append((span, depth))
            stack.extend((child, depth + 1) for child in reversed(span.children or ()))
    return rows


def big_run_filter(monkeypatch, before):
    """Every run counts as big (filtered in a thread); `before(query,
    spans)` runs ahead of each filter pass. Returns the real pass."""
    monkeypatch.setattr(span_tree, "BACKGROUND_MIN_SPANS", 10)
    real = span_tree.SpanTree._filtered_rows

    def hooked(self, run=None, query=None, worker=None, spans=None, matched=None):
        before(query, spans)
        return real(self, run, query, worker, spans, matched)

    monkeypatch.setattr(span_tree.SpanTree, "_filtered_rows", hooked)
    return real


def _fresh_enter(n) -> str:
    """A `Subprocess` entered, `zzfresh N`, as a line of a live log."""
    return json.dumps({
        "timestamp": "2026-11-23T05:40:00+00:00", "level": "TRACE",
        "message": f"Subprocess: zzfresh {n} (enter)", "action": "Subprocess",
        "detail": f"zzfresh {n}", "event": "enter", "trace_id": f"fresh{n}",
        "start_time": NOW - 5}) + "\n"


async def test_a_filter_on_a_big_growing_run_keeps_up_with_it(live_log, monkeypatch):
    """New data while a big run's filter is matched asks for one more pass
    after it; it used to cancel the pass, so while an eval kept writing the
    filtered rows never changed (`status:running` on a live hang)."""
    # A big run's pass, longer than the gap between batches.
    big_run_filter(monkeypatch, lambda query, spans: time.sleep(0.15))
    app = make_app(live_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        tree.focus()
        await pilot.press("slash", *"zzfresh", "enter")
        seen_while_writing = set()
        with open(live_log, "a") as f:
            for n in range(30):
                f.write(_fresh_enter(n))
                f.flush()
                await pilot.pause(0.1)
                seen_while_writing |= {s.detail for s in tree.rows.spans if s.detail.startswith("zzfresh")}
        assert len(seen_while_writing) >= 3, seen_while_writing
        for _ in range(200):
            await pilot.pause(0.05)
            if len({s.detail for s in tree.rows.spans if s.detail.startswith("zzfresh")}) == 30 \
                    and tree._filter_worker is None:
                break
        assert len({s.detail for s in tree.rows.spans if s.detail.startswith("zzfresh")}) == 30
        assert "filtering" not in str(tree.border_title)


async def test_a_big_runs_filter_rests_between_passes_while_following(live_log, monkeypatch):
    """New data sets off the next pass only after a pause twice as long as
    the last one (at least RELAYOUT_GAP): passes back to back cost a core
    while following 1,000 lines/s with a filter on (QA, `bench_tail.py
    --filter`). A keystroke is matched at once, and the rows end up
    complete."""
    passes = []
    big_run_filter(monkeypatch, lambda query, spans: (passes.append(time.monotonic()), time.sleep(0.05)))
    app = make_app(live_log)
    async with app.run_test(size=(120, 36)) as pilot:
        tree, _ = await _filter_the_tree(pilot, app, "zzfresh")
        await _until(pilot, lambda: tree._filter_worker is None and passes)
        passes.clear()
        started = time.monotonic()
        with open(live_log, "a") as f:
            for n in range(40):  # a batch every 20 ms for 0.8 s
                f.write(_fresh_enter(n))
                f.flush()
                await pilot.pause(0.02)
        elapsed = time.monotonic() - started
        # One pass at once, then one a gap at most (back to back: ~14).
        assert 1 <= len(passes) <= 2 + elapsed / span_tree.RELAYOUT_GAP, passes
        gaps = [b - a for a, b in zip(passes, passes[1:])]
        assert all(gap >= span_tree.RELAYOUT_GAP - 0.02 for gap in gaps), gaps
        await _until(pilot, lambda: len({s.detail for s in tree.rows.spans if s.detail.startswith("zzfresh")}) == 40)
        assert len({s.detail for s in tree.rows.spans if s.detail.startswith("zzfresh")}) == 40
        # A keystroke does not wait for the pause.
        passes.clear()
        with open(live_log, "a") as f:
            f.write(_fresh_enter("last"))
        await _until(pilot, lambda: "freshlast" in tree.run.spans)
        typed = time.monotonic()
        await pilot.press("slash", "end", "space", *"last")
        await _until(pilot, lambda: [s.id for s in tree.rows.spans if s.detail.startswith("zzfresh")] == ["freshlast"])
        assert passes and passes[0] - typed < span_tree.RELAYOUT_GAP


def _fresh_exit(n) -> str:
    """The exit of `_fresh_enter(n)`'s `Subprocess`."""
    return json.dumps({
        "timestamp": "2026-11-23T05:40:05+00:00", "level": "TRACE",
        "message": f"Subprocess: zzfresh {n} (exit)", "action": "Subprocess",
        "detail": f"zzfresh {n}", "event": "exit", "trace_id": f"fresh{n}",
        "duration": 5.0}) + "\n"


def _fresh_shown(tree) -> list[str]:
    return [s.id for s in tree.rows.spans if s.id.startswith("fresh")]


async def test_a_pass_shows_what_runs_when_it_lands_not_when_it_began(live_log, monkeypatch):
    """While a big log loads, the reader reads on during a filter pass: the
    actions running in the pass's snapshot had ended when it looked, those
    begun since were not in it, and `status:running` showed a finished
    sample, or the running tasks with nothing under them (QA). The rows a
    pass lands are what matches in the part read by then."""
    during = []

    def read_on_meanwhile(query, spans):
        if during:  # the reader ends fresh0 and starts fresh1 while the pass runs
            with open(live_log, "a") as f:
                f.write(_fresh_exit(0) + _fresh_enter(1))
            time.sleep(0.6)
            during.clear()

    big_run_filter(monkeypatch, read_on_meanwhile)
    app = make_app(live_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        with open(live_log, "a") as f:
            f.write(_fresh_enter(0))
        await _until(pilot, lambda: "fresh0" in app.tree.run.spans)
        tree = app.tree
        app.focus_now(tree)
        await pilot.press("slash", *"zzfresh status:running")
        await _until(pilot, lambda: tree._filter_worker is None and _fresh_shown(tree) == ["fresh0"])
        assert _fresh_shown(tree) == ["fresh0"]
        during.append(True)
        await pilot.press("enter", "slash", "end", "space")  # a new query: a full pass
        await _until(pilot, lambda: not during and tree._filter_worker is None)
        assert tree.run.spans["fresh0"].status == "ok"
        assert _fresh_shown(tree) == ["fresh1"]  # as it landed, before any pass for the news


async def test_a_filtered_match_that_ends_goes_before_the_next_pass(live_log, monkeypatch):
    """A span listed under `status:running` goes once its end is read, not
    at the next pass, seconds away while a big log loads (QA: a sample
    finished minutes before stayed listed)."""
    slow = []
    big_run_filter(monkeypatch, lambda query, spans: slow and time.sleep(3.0))
    app = make_app(live_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        with open(live_log, "a") as f:
            f.write(_fresh_enter(0) + _fresh_enter(1))
        await _until(pilot, lambda: "fresh1" in app.tree.run.spans)
        tree, _ = await _filter_the_tree(pilot, app, "zzfresh status:running")
        await _until(pilot, lambda: tree._filter_worker is None and _fresh_shown(tree) == ["fresh0", "fresh1"])
        assert _fresh_shown(tree) == ["fresh0", "fresh1"]
        assert "· 2 matches" in str(tree.border_title)
        slow.append(True)  # every pass from now on lands in 3 s
        with open(live_log, "a") as f:
            f.write(_fresh_exit(0))
        started = time.monotonic()
        await _until(pilot, lambda: _fresh_shown(tree) == ["fresh1"], tries=100)
        assert _fresh_shown(tree) == ["fresh1"] and time.monotonic() - started < 2.5
        # The title's count goes down with it.
        assert re.search(r"· 1 match\b", str(tree.border_title))


async def test_typing_on_in_a_big_runs_filter_matches_only_what_matched_before(demo_log, monkeypatch):
    """Each keystroke that narrows the words looks only at the last pass's
    matches (and spans added since): on a run of 400k spans a keystroke's
    rows took a second. The rows are the ones a full pass gives."""
    looked_at = []
    full = big_run_filter(monkeypatch, lambda query, spans: looked_at.append(
        (query.text if query else None, len(spans) if spans is not None else None)))
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        tree.focus()
        total = len(tree.run.spans)
        await pilot.press("slash")
        for key in "sleep":
            await pilot.press(key)
            for _ in range(250):  # each pass done before the next key, even on a loaded machine
                await pilot.pause(0.02)
                if tree._filter_worker is None:
                    break
        expected = full(tree, tree.run, span_tree.Query("sleep"))
        assert list(tree.rows.spans) == list(expected.spans) and len(tree.rows) > 0
        sizes = dict(looked_at)
        assert sizes["s"] == total
        assert sizes["sleep"] < sizes["s"]
        # A field, or a wider query, looks at everything again.
        await pilot.press("backspace")
        for _ in range(250):
            await pilot.pause(0.02)
            if tree._filter_worker is None:
                break
        assert dict(looked_at)["slee"] == total


# -- the anomaly panel is what `tracetui anomalies` prints ----------------------------

HUNG = os.path.join(os.path.dirname(__file__), "..", "sample_traces", "inspect", "hung.log")
CANCELLED = os.path.join(os.path.dirname(__file__), "..", "sample_traces", "inspect", "cancelled.log.gz")
INTERRUPTED = os.path.join(os.path.dirname(__file__), "..", "sample_traces", "inspect", "interrupted.log.gz")
OTLP = os.path.join(os.path.dirname(__file__), "..", "sample_traces", "otel", "otlp.jsonl")
FLUJO = os.path.join(os.path.dirname(__file__), "..", "sample_traces", "flujo", "flujo_ops.db")
NATIVE = os.path.join(os.path.dirname(__file__), "..", "sample_traces", "native", "spans.jsonl")


def cli_anomalies(path: str, capsys) -> dict:
    from tracetui.cli import main

    capsys.readouterr()
    assert main(["anomalies", path, "--all", "--json", "--as-of", str(NOW)]) == 0
    return json.loads(capsys.readouterr().out)


async def test_anomaly_panel_rows_are_the_cli_rows(capsys):
    """Every source at once in the app; per source, the same rows as the CLI."""
    paths = [HUNG, INTERRUPTED, OTLP, FLUJO, REAL_INSPECT]
    expected = {os.path.realpath(p): cli_anomalies(p, capsys) for p in paths}
    app = make_app(*paths)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("e")
        panel = app.anomaly_panel
        key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
        for path, want_all in expected.items():
            for bucket in ("running", "cancelled", "errors", "timeouts"):
                shown = [row.to_json(NOW) for b, row, run in panel.rows
                         if b == bucket and os.path.realpath(run.source) == path]
                want = want_all[bucket]
                assert sorted(map(key, shown)) == sorted(map(key, want)), (path, bucket)
                if bucket == "running":
                    # The CLI keeps Inspect's order (newest first); the panel
                    # lists the longest-running first, what waits on another
                    # action right after it, a whole task's action last.
                    # Of what began at one moment, the work (a Subprocess)
                    # before a Tool Call with nothing under it.
                    newest = _newest_in_samples(panel.rows)
                    order = []
                    for b, row, run in panel.rows:
                        if b == bucket and os.path.realpath(run.source) == path:
                            level, placed = _placement(row, newest, run, panel.as_of(run))
                            order.append((level == 2, -(panel.as_of(run) - placed), level, row.action,
                                          -row.start if level == 1 else 0.0))
                    for before, after in zip(order, order[1:]):
                        if before[0] == after[0] and abs(before[1] - after[1]) <= SAME_MOMENT:
                            continue  # one moment: by what the rows do (test_a_tool_call_waiting_…)
                        assert before[:3] <= after[:3], (before, after)
                elif bucket != "cancelled":  # the panel lists one stop's cancels as running ones
                    assert shown == want, (path, bucket)


@pytest.mark.parametrize("name", ["cancelled.log.gz", "interrupted.log.gz"])
async def test_after_a_ctrl_c_the_stuck_subprocess_is_the_first_cancelled_row(name):
    """A real eval hung on `sleep 600` and stopped with SIGINT: Inspect
    cancels every open action at once, and lists them newest end first,
    `Run Task` and each `Tool Call` above the `Subprocess` that was stuck
    (QA: `a` `enter` went to `Run Task`). The panel lists one stop's
    cancels as it listed them running."""
    path = os.path.join(os.path.dirname(HUNG), name)
    app = make_app(path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        rows = [row for bucket, row, _ in app.anomaly_panel.rows if bucket == "cancelled"]
        kinds = [row.action for row in rows]
        assert kinds[0] == "Subprocess"
        tasks = [i for i, kind in enumerate(kinds) if kind == "Run Task"]
        assert tasks == list(range(len(kinds) - len(tasks), len(kinds)))
        for i, row in enumerate(rows):
            if row.action == "Tool Call" and any(c.status == "cancelled" for c in row.span.children or ()):
                assert rows[i - 1].span.parent is row.span  # right after what it waited on
        await pilot.press("a", "enter")
        await pilot.pause(0.2)
        assert app.tree.current is rows[0].span


async def test_anomaly_rows_that_look_alike_say_their_sample_and_run():
    """Two hung `sleep 600` subprocesses are two stuck samples: rows with the
    same action and detail say which sample, and which run when the panel
    shows several; a row like no other is left as Inspect words it."""
    app = make_app(HUNG)
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        lines = [panel.render_row(i, 120).plain for i in range(panel.row_count())]
        sleeps = [line for line in lines if "Subprocess" in line]
        assert len(sleeps) == 3 and all("sleep 600" in line for line in sleeps)
        samples = [next(iter(re.findall(r" \d+/e\d+ ", line)), None) for line in sleeps]
        assert None not in samples and len(set(samples)) == 3, sleeps
        for (bucket, row, run), line in zip(panel.rows, lines):
            node = row.span
            while node.kind != "sample" and node.parent is not None:
                node = node.parent
            if "Subprocess" in line:  # its own sample, not another's
                assert f" {node.attributes['sample_id']}/e{node.attributes['epoch']} " in line
        run_tasks = [line for line in lines if "Run Task" in line]
        assert len(run_tasks) == 2 and not any("sample" in line or "hung" in line for line in run_tasks)
    app = make_app(HUNG, CANCELLED)
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("e")
        panel = app.anomaly_panel
        alike = {}
        for i, (bucket, row, run) in enumerate(panel.rows):
            alike.setdefault((bucket, row.action, row.detail), []).append((panel.render_row(i, 160).plain, run))
        twice = [rows for rows in alike.values() if len({run.id for _, run in rows}) > 1]
        assert twice  # the same eval twice: rows alike across the two runs
        for rows in twice:
            assert all(run.name in line for line, run in rows)


async def test_rows_alike_as_far_as_they_show_say_their_sample_in_a_narrow_panel(monkeypatch):
    """QA, a hung eval of swe_bench samples: 38 stuck `Tool Call`s with one
    detail, their samples' ids too long for the room left, said nothing;
    and `docker compose --project-name …` subprocesses, told apart only
    past what the panel shows, read as one. Each now says its sample."""
    from tracetui.app.anomaly_panel import AnomalyPanel

    app = make_app(HUNG)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        run = next(iter(app.store.runs.values()))
        early = Anomalies()
        for n, sample in enumerate(("django__django-11099", "django__django-11133", "sympy__sympy-20590")):
            where = ("swe_bench", sample, 1)
            early.running[f"tool{n}"] = AnomalyRow("Tool Call", "bash(command='sleep 600')", NOW - 900 + n,
                                                   None, None, None, where)
            early.running[f"sub{n}"] = AnomalyRow(
                "Subprocess", f"docker compose --project-name inspect-swe-bench-i{n}{n}f exec sleep 600",
                NOW - 800 + n, None, None, None, where)
        monkeypatch.setattr(AnomalyPanel, "_give_spans", staticmethod(lambda pending: list(pending)))
        panel.early[run.id] = early
        with app.store.lock:
            panel.set_runs([run])
        width = panel.size.width
        assert width < 50  # a third of 120 columns
        for i, (_, row, _) in enumerate(panel.rows):
            line = panel.render_row(i, width).plain
            assert re.search(r"…?\d+/e1 ", line), line  # `…11099/e1`
            # In a 30-cell panel (beside the tree at 80 columns, as it was) the
            # action is cut to say where.
            narrow = panel._line_text(i, 0, 30, panel.row_count()).plain
            assert re.search(r"…?\d+/e1 ", narrow) and len(narrow) == 30, narrow


async def test_the_detail_pane_scrolls_with_the_list_keys(demo_log):
    """`?` says j k g G move in every pane: in the detail pane they scroll."""
    app = make_app(demo_log)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot, app)
        task = next(s for s in app.tree.run.roots if s.kind == "task")
        app.tree.reveal(task)
        detail = app.detail
        for _ in range(40):
            await pilot.pause(0.05)
            if detail.span is task and detail.max_scroll_y > 2:
                break
        assert detail.span is task and detail.max_scroll_y > 2
        detail.focus()
        await pilot.press("G")
        assert detail.scroll_offset.y == detail.max_scroll_y
        await pilot.press("g")
        assert detail.scroll_offset.y == 0
        await pilot.press("j", "j")
        assert detail.scroll_offset.y == 2
        await pilot.press("k")
        assert detail.scroll_offset.y == 1


async def test_running_ages_tick_and_archived_files_stop_ageing(tmp_path):
    clock = [NOW]
    app = open_app(INTERRUPTED, now=lambda: clock[0])
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        run = panel.rows[0][2]
        assert not run.live  # a .gz: its process ended
        first = rendered(panel)
        clock[0] += 3600
        app.tick()  # what the once-a-second timer calls
        await pilot.pause(0.05)
        assert rendered(panel) == first  # measured to the file's mtime, not now
    path = str(tmp_path / f"trace-{os.getpid()}.log")  # its eval (this process) is alive
    write_demo_trace(path)
    store = Store()
    sources, notes = open_sources([path], store)
    clock = [NOW]
    app = TraceApp(sources, store, notes, now=lambda: clock[0])
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        before = rendered(app.anomaly_panel)
        clock[0] += 125
        app.tick()
        await pilot.pause(0.05)
        assert rendered(app.anomaly_panel) != before


async def test_a_span_written_to_a_followed_database_ages_to_the_last_write(tmp_path, real_copy_gap):
    """A copy of a spans database, then a running span begun 30 s before
    it is inserted: the panel read `≥0µs NEW LIVE ROOT` and never grew,
    ages measured to the newest time in the database, its own start (QA).
    Measured to the last write seen, its age is the 30 s it had run then
    (a lower bound: its writer is not seen), and the panel lists what has
    run longest first, each span right before the one waiting on it."""
    path = str(tmp_path / "g.db")
    shutil.copyfile(SQLITE_SAMPLES[1], path)
    store = Store()
    sources, notes = open_sources([path], store)
    app = TraceApp(sources, store, notes, now=time.time)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel

        def running() -> list[str]:
            return [row.detail for bucket, row, _ in panel.rows if bucket == "running"]

        assert running() == ["generate", "POST /answer"]
        assert "not live" in str(app.query_one("#status").render())  # a copy
        writer = sqlite3.connect(path)
        writer.execute("INSERT INTO spans (id, trace_id, name, kind, start_ts, status) "
                       "VALUES ('n-1', 'new', 'NEW LIVE ROOT', 'http', ?, 'running')", (time.time() - 30,))
        writer.commit()
        writer.close()
        for _ in range(150):
            await pilot.pause(0.02)
            if len(running()) == 3:
                break
        assert running() == ["generate", "POST /answer", "NEW LIVE ROOT"]
        assert re.search(r"≥30\.\d+s http", panel.render_row(2, 100).plain)
        assert "● live" in str(app.query_one("#status").render())


# -- trace text is data -------------------------------------------------------------------

def _hostile_native(path) -> None:
    recs = [{"trace_id": "[/]", "span_id": "a", "parent_id": None, "name": "[/]", "type": "[b]agent",
             "start_time": NOW - 10, "end_time": NOW - 4, "status": "error",
             "input": [{"role": "user", "content": "[red]hi[/] \x1b[2J"},
                       {"role": "assistant", "content": None, "tool_calls": [
                           {"id": "c1", "type": "function",
                            "function": {"name": "[@click=app.quit]t", "arguments": "{\"q\": \"[bold]x\"}"}}]},
                       {"role": "tool", "tool_call_id": "c1", "content": "[@click=app.quit]r"}],
             "error": {"message": "[/]", "type": "[x]"}, "attributes": {"[k]": "[/]"}}]
    with open(path, "w") as f:
        for rec in recs:
            f.write(json.dumps(rec) + "\n")


def detail_text(app: TraceApp, width: int = 100) -> str:
    import io

    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(app.detail.renderable)
    return console.file.getvalue()


async def test_markup_in_names_titles_notes_and_filter_never_styles_or_crashes(tmp_path):
    """A run or span named `[/]` used to crash the app through a border
    title, and a filter typed as `[/]` through the filter label."""
    path = str(tmp_path / "evil.jsonl")
    _hostile_native(path)
    app = make_app(path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        tree.focus()
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.is_running
        assert "[/]" in tree._border_title.plain and "[/]" in app.detail._border_title.plain
        text = detail_text(app)
        for literal in ("[red]hi[/]", "\\x1b[2J", "[@click=app.quit]t", "[@click=app.quit]r", '"[bold]x"',
                        "[x]: [/]", '"[k]": "[/]"'):
            assert literal in text, literal
        assert "result of [@click=app.quit]t" in text  # the tool result names its call
        await pilot.press("c")
        await pilot.pause(0.05)
        copied = [n for n in app._notifications if n.message.startswith("copied")]
        assert copied and "[/]" in copied[-1].message and not copied[-1].markup
        await pilot.press("slash", *"[/]", "[", "b")
        await pilot.pause(0.1)
        assert app.is_running and "[/][b" in tree._border_subtitle.plain
        await pilot.press("escape")
        assert app.is_running


# -- detail pane ------------------------------------------------------------------------

async def test_detail_renders_chat_as_a_conversation_and_raw_reads_sqlite():
    app = make_app(NATIVE, FLUJO)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        native = next(r for r in app.run_list.runs if r.format == "native")
        app.run_list.select_run(native)
        await pilot.pause(0.05)
        tree = app.tree
        tree.focus()
        tree.cursor = next(i for i, (s, _) in enumerate(tree.rows) if s.name == "chat gpt-4.1-mini")
        await pilot.press("enter")
        await pilot.pause(0.05)
        text = detail_text(app)
        assert "▌ system" in text and "▌ user" in text and "▌ assistant" in text
        assert "→ call" in text and "Where is my order #1234?" in text
        # A Flujo span's raw record is its database row.
        flujo = next(r for r in app.run_list.runs if r.format == "flujo" and r.spans)
        app.run_list.select_run(flujo)
        await pilot.pause(0.05)
        tree.focus()
        await pilot.press("r")
        await pilot.pause(0.05)
        assert isinstance(app.screen, RawScreen)


async def test_detail_image_parts_name_their_file():
    from rich.text import Text

    from tracetui.app.detail import render_content

    media = os.path.join(os.path.dirname(__file__), "data", "trackio", "media")
    rel = next(os.path.relpath(os.path.join(d, f), media) for d, _, fs in os.walk(media) for f in fs
               if f.endswith(".png"))
    parts = render_content([{"type": "text", "text": "what is this?"},
                            {"type": "image", "image": {"_type": "trackio.image", "file_path": rel,
                                                        "caption": "[b]cap"}},
                            {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 5000}}],
                           media)
    texts = [p.plain for p in parts if isinstance(p, Text)]
    assert texts[0] == "what is this?"
    assert rel in texts[1] and "bytes" in texts[1] and "[b]cap" in texts[1]
    assert texts[2].startswith("[image: data:image/png;base64,…") and len(texts[2]) < 80


def _raw_text(app, body: str = "#raw-body") -> str:
    """The raw screen's text (or that of another screen's `body`), as
    printed at 200 columns without colour."""
    import io

    from rich.console import Console

    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(app.screen.query_one(body).query_one("Static").content)
    return console.file.getvalue()


async def test_raw_of_an_otlp_span_is_its_own_part_of_the_batch():
    """`r` showed the whole request, several spans, to hunt for one in (QA):
    it shows the span with its resource and scope."""
    app = make_app(os.path.join(os.path.dirname(__file__), "..", "sample_traces", "otel", "otlp.jsonl"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        tree.focus()
        # (the first run shown is the killed pipeline's: its first row stands
        # for the parent never written, which has no record)
        tree.cursor = next(i for i, (s, _) in enumerate(tree.rows) if not s.synthetic)
        span = tree.current
        with open(app.sources[0].path) as f:  # its request holds other spans too
            assert max(line.count('"spanId"') for line in f if span.id in line) > 1
        await pilot.press("r")
        await pilot.pause(0.1)
        raw = _raw_text(app)
        assert raw.count('"spanId"') == 1 and f'"spanId": "{span.id}"' in raw
        assert '"resource"' in raw and '"scope"' in raw and "service.name" in raw


async def test_raw_modal_shows_every_record_of_a_span(demo_log):
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        tree.focus()
        tree.cursor = next(i for i, (s, _) in enumerate(tree.rows) if s.status == "ok" and not s.synthetic)
        span = tree.current
        await pilot.press("r")
        await pilot.pause(0.1)
        raw = _raw_text(app)
        assert raw.count(f'"trace_id": "{span.id}"') == len(span.locators) == 2  # enter and exit
        assert '"event": "enter"' in raw and '"event": "exit"' in raw
        await pilot.press("escape")
        assert not isinstance(app.screen, RawScreen)
        # A synthetic node has no record of its own: its screen says so.
        tree.cursor = next(i for i, (s, _) in enumerate(tree.rows) if s.synthetic)
        await pilot.press("r")
        assert isinstance(app.screen, RawScreen) and "no raw record" in _raw_text(app)


# -- shell --------------------------------------------------------------------------------

async def test_status_line_says_source_state_records_skips_and_follow(tmp_path):
    name = f"trace-{os.getpid()}.log"  # its eval runs here: live
    path = str(tmp_path / name)
    write_demo_trace(path)
    with open(path, "a") as f:
        f.write("not json\n")
    with open(path) as f:
        bad_line = sum(1 for _ in f)
    app = make_app(path)
    async with app.run_test(size=(160, 36)) as pilot:
        await settle(pilot, app)
        status = str(app.query_one("#status").render())
        assert name in status and "live" in status and "records" in status
        assert f"1 skipped (first at line {bad_line})" in status and "follow off" in status
        await pilot.press("f")
        assert "follow on" in str(app.query_one("#status").render())
    app = make_app(INTERRUPTED)
    async with app.run_test(size=(160, 36)) as pilot:
        await settle(pilot, app)
        assert "archived" in str(app.query_one("#status").render())


async def test_the_key_bar_shows_an_open_screens_keys(demo_log):
    """Over help, notes or a raw record it listed the panes' keys, which do
    nothing there (QA)."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        bar = app.query_one(KeyBar)
        assert "Quit" in bar._text.plain
        await pilot.press("question_mark")
        await pilot.pause(0.1)
        assert "Close" in bar._text.plain and "Quit" not in bar._text.plain
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert "Quit" in bar._text.plain and "Close" not in bar._text.plain


async def test_a_tick_after_the_last_screen_went_does_nothing(demo_log):
    """The 1 s tick can come as the app closes, its screens gone: it
    raised ScreenStackError out of the app (CI, 1 run in ~1,000 tests)."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.focus_now(app.anomaly_panel)
        await pilot.pause(0.1)
    assert not app.screen_stack
    app.tick()


async def test_runs_of_one_name_are_told_apart_by_their_id_at_80_columns():
    """Three Skulk tasks of one model read `✗ text mlx-co… 26.5ms` alike (QA)."""
    app = make_app(os.path.join(os.path.dirname(__file__), "..", "sample_traces", "skulk", "node-a"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        runs = app.run_list
        width = runs.scrollable_content_region.width
        alike = [(i, r) for i, r in enumerate(runs.runs) if r.name == "text mlx-community/Qwen3-8B-4bit"]
        assert len(alike) == 3
        rows = [runs.render_row(i, width).plain for i, _ in alike]
        assert all(run.id[:6] in row for (_, run), row in zip(alike, rows))
        assert all(len(row) <= width for row in rows)


async def test_a_run_with_no_spans_clears_the_detail(tmp_path):
    """QA: on a Flujo run with no spans, the tree said "no spans yet" (of a
    database nobody writes) and the detail kept the last run's span. (The
    sample's killed `crawl` run has none either: a node stands for it,
    running, shown in the detail in turn.)"""
    path = str(tmp_path / "flujo_ops.db")
    shutil.copyfile(FLUJO, path)
    writer = sqlite3.connect(path)
    writer.execute("INSERT INTO runs (run_id, pipeline_id, pipeline_name, pipeline_version, status, "
                   "created_at, updated_at) VALUES ('run_none', 'p', 'quiet', '1', 'completed', "
                   "'2026-11-23T07:40:50+00:00', '2026-11-23T07:40:51+00:00')")
    writer.commit()
    writer.close()
    os.utime(path, (NOW - 3600, NOW - 3600))
    app = make_app(OTLP, path)
    async with app.run_test(size=(140, 36)) as pilot:
        await settle(pilot, app)
        runs = app.run_list
        app.focus_now(runs)
        await pilot.press("g")
        await pilot.pause(0.2)
        assert app.detail.span is not None
        crawl = next(i for i, run in enumerate(runs.runs) if run.name == "crawl")
        await pilot.press(*["j"] * crawl)
        await _until(pilot, lambda: app.tree.run.name == "crawl" and app.detail.span is not None
                     and app.detail.span.run is app.tree.run)
        assert app.tree.run.name == "crawl" and app.tree.row_count() == 1
        assert app.detail.span is app.tree.run.roots[0] and app.detail.span.synthetic
        assert str(app.detail.border_title) == "detail · pipeline_run"
        quiet = next(i for i, run in enumerate(runs.runs) if run.name == "quiet")
        await pilot.press(*["k" if quiet < crawl else "j"] * abs(quiet - crawl))
        await _until(pilot, lambda: app.tree.run.name == "quiet" and app.detail.span is None)
        assert app.tree.run.name == "quiet" and app.tree.row_count() == 0
        assert app.detail.span is None and "no spans yet" not in rendered(app.tree)
        assert "no spans" in rendered(app.tree)
        # and its title no longer names the last span (QA: `detail · ask_human`
        # above "select a span")
        assert str(app.detail.border_title) == "detail"


async def test_the_detail_cuts_a_huge_run_or_parent_name_it_shows_beside_a_span(tmp_path):
    """A root named with 100,000 characters: its child's detail wrapped the
    name in its `run` and `parent` rows over thousands of lines above the
    child's own start and duration (QA). Cut there, whole in the root's own."""
    name = "n" * 100_000
    path = tmp_path / "wide.jsonl"
    path.write_text("\n".join(json.dumps(rec) for rec in [
        {"trace_id": name, "span_id": "r", "parent_id": None, "name": name,
         "start_time": NOW - 10, "end_time": NOW - 4, "status": "ok"},
        {"trace_id": name, "span_id": "c", "parent_id": "r", "name": "child",
         "start_time": NOW - 9, "end_time": NOW - 5, "status": "ok"}]) + "\n")
    app = make_app(str(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        root = app.store.runs[name].spans["r"]
        app.detail.show(root.children[0], NOW)
        text = detail_text(app, width=80)
        assert len(text.splitlines()) < 30, len(text.splitlines())
        assert "parent    nnn" in text and text.count("… (99,800") == 2  # run and parent
        assert text.index("duration") < 20 * 81
        app.detail.show(root, NOW)
        assert name in detail_text(app, width=80).replace("\n", "").replace(" ", "")


async def test_the_detail_counts_a_spans_children_again_only_when_the_store_moved_on(tmp_path, monkeypatch):
    """A running task's detail is drawn again every second for its age;
    counting its 114k samples' statuses each time held the UI 23-42 ms.
    The counts are kept while the store's version stays, and are right
    again once a child's status changes and the store moves on."""
    import tracetui.app.detail as detail_module

    path = tmp_path / "kids.jsonl"
    path.write_text("\n".join(json.dumps(rec) for rec in [
        {"trace_id": "t", "span_id": "r", "parent_id": None, "name": "root", "start_time": NOW - 10},
        {"trace_id": "t", "span_id": "a", "parent_id": "r", "name": "a",
         "start_time": NOW - 9, "end_time": NOW - 5, "status": "ok"},
        {"trace_id": "t", "span_id": "b", "parent_id": "r", "name": "b", "start_time": NOW - 8}]) + "\n")
    counted = []
    real = detail_module.children_said
    monkeypatch.setattr(detail_module, "children_said",
                        lambda span: (span.id == "r" and counted.append(span)) or real(span))
    app = make_app(str(path))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        root = app.store.runs["t"].spans["r"]
        version = app.store.version
        app.detail.show(root, NOW, version=version)
        assert "children  1 ok, 1 running" in detail_text(app)
        app.detail.show(root, NOW + 1, version=version)  # a tick: its age moved on
        assert "children  1 ok, 1 running" in detail_text(app)
        assert len(counted) == 1
        with app.store.lock:
            root.children[1].status = "error"
            app.store.touch("t")
        app.detail.show(root, NOW + 2, version=app.store.version)
        assert "children  1 ok, 1 error" in detail_text(app)
        assert len(counted) == 2
        app.detail.show(root, NOW + 3)  # no version: counted every time
        assert len(counted) == 3


async def test_what_is_stuck_comes_before_what_waits_on_it():
    """A hung eval's oldest running action is always its `Run Task`, then
    the Tool Call around the stuck Subprocess: `a` `enter` opened `Run
    Task` (QA, a real hung eval). What nothing else runs under comes first,
    and each action that waits on another right after it."""
    app = make_app(HUNG)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        rows = [row for bucket, row, _ in app.anomaly_panel.rows if bucket == "running"]
        kinds = [row.action for row in rows]
        waiting = [any(c.status == "running" for c in row.span.children or ()) for row in rows]
        assert not waiting[0] and any(waiting[:kinds.index("Run Task")])
        for index in range(kinds.index("Run Task")):
            if waiting[index]:  # right below the action running under it
                assert rows[index - 1].span.parent is rows[index].span
        assert kinds[-2:] == ["Run Task", "Run Task"]
        await pilot.press("a", "enter")
        await pilot.pause(0.2)
        span = app.tree.current
        assert span is rows[0].span and not any(c.status == "running" for c in span.children or ())


async def test_a_stuck_model_call_waits_on_nothing_entered_after_it(tmp_path):
    """QA, following a live log: a sample's `Model` call stuck for 11.8 s
    was listed as waiting on the next `Model` of its sample (entered 9.4 s
    after it, so within `WAIT_GAP`), below every younger row, because it
    had nested under it. A model call runs nothing inside it: the second
    call nests under the sample, and the stuck one is listed first."""
    t0 = NOW - 11.76
    sample = {"task": "t", "sample_id": 8, "epoch": 1}
    records = [
        c.inspect_record("enter", "m1", "Model", "generate (m)", start=t0, **sample),
        c.inspect_record("enter", "x1", "Tool Call", "bash(cmd='ls')", start=t0 + 2, **sample),
        c.inspect_record("exit", "x1", "Tool Call", "bash(cmd='ls')", duration=1.0, **sample),
        c.inspect_record("enter", "m2", "Model", "generate (m)", start=t0 + 9.41, **sample),
        c.inspect_record("enter", "y1", "Tool Call", "bash(cmd='ls 2')", start=t0 + 10, **{**sample, "sample_id": 9}),
    ]
    path = c.write(str(tmp_path), "trace-5.log", b"".join(map(c.line, records)))
    app = make_app(path)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        run = app.store.runs["trace-5"]
        spans = run.spans
        assert spans["m2"].parent.kind == "sample" and spans["x1"].parent.kind == "sample"
        order = [row.span.id for bucket, row, _ in app.anomaly_panel.rows if bucket == "running"]
        assert order == ["m1", "m2", "y1"]


async def test_two_runs_with_alike_ages_keep_each_waiting_row_after_its_action(tmp_path):
    """Ages alike to the last digit in two runs (two copies of one log;
    a database's rows aged to one write): the other run's row came between
    a stuck Subprocess and the Tool Call waiting on it."""
    for pid in (301, 302):
        (tmp_path / f"trace-{pid}.log").write_bytes(open(HUNG, "rb").read())
    app = make_app(str(tmp_path))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, app)
        rows = [(row, run) for bucket, row, run in app.anomaly_panel.rows if bucket == "running"]
        waiting = [i for i, (row, _) in enumerate(rows)
                   if any(c.status == "running" for c in row.span.children or ())]
        assert waiting
        for i in waiting:
            assert rows[i - 1][0].span.parent is rows[i][0].span and rows[i - 1][1] is rows[i][1]


@pytest.mark.parametrize("stopped", [False, True])
async def test_two_samples_stuck_alike_list_each_tool_call_after_its_own_subprocess(tmp_path, stopped):
    """QA: two samples whose Tool Call and Subprocess started (and were
    cancelled) at the same instants listed both Subprocesses, then both
    Tool Calls: which waits on which could not be read."""
    records = []
    for n in (1, 2):
        sample = {"task": "t", "sample_id": n, "epoch": 1}
        records += [c.inspect_record("enter", f"tool{n}", "Tool Call", "bash(cmd='sleep 600')", start=NOW - 100,
                                     **sample),
                    c.inspect_record("enter", f"sub{n}", "Subprocess", "bash -c 'sleep 600'", start=NOW - 98,
                                     **sample)]
    if stopped:
        for n in (1, 2):
            sample = {"task": "t", "sample_id": n, "epoch": 1}
            records += [c.inspect_record("cancel", f"sub{n}", "Subprocess", "bash -c 'sleep 600'", duration=98.0,
                                         **sample),
                        c.inspect_record("cancel", f"tool{n}", "Tool Call", "bash(cmd='sleep 600')", duration=100.0,
                                         **sample)]
    path = c.write(str(tmp_path), "trace-5.log", b"".join(map(c.line, records)))
    app = make_app(path)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, app)
        bucket = "cancelled" if stopped else "running"
        order = [row.span.id for b, row, _ in app.anomaly_panel.rows if b == bucket]
        assert order in (["sub1", "tool1", "sub2", "tool2"], ["sub2", "tool2", "sub1", "tool1"]), order



def _detail_on_screen(app: TraceApp) -> list[str]:
    """The detail pane's lines as drawn, unscrolled: what is read without scrolling."""
    detail = app.detail
    assert detail.scroll_offset.y == 0
    return [detail.render_line(y).text.rstrip() for y in range(detail.scrollable_content_region.height)]


def _said_when_and_how_long(app: TraceApp, span) -> None:
    """The detail on screen gives `span`'s status on its first line, then
    its start and its age, a lower bound as the tree's row says it."""
    from tracetui.text import clock_ms

    tree = app.tree
    row = tree.render_row(tree.index_of(span), tree.scrollable_content_region.width).plain
    lines = _detail_on_screen(app)
    assert lines[0].startswith("▶ ") and lines[0].endswith("  running"), lines
    words = " ".join(lines).split()
    date, time_of_day = clock_ms(span.start, "%Y-%m-%d %H:%M:%S").split()
    assert words[words.index("start") + 1:words.index("start") + 3] == [date, time_of_day], lines
    age = words[words.index("age") + 1]
    assert age.startswith("≥") and age in row.split(), (lines, row)


async def test_a_stuck_subprocess_says_its_start_and_age_first_at_80x24():
    """`a`, `enter` at 80x24 on a real hung eval: the detail (30 columns, 7
    lines) showed the Subprocess's kind, command, id, run and parent; its
    start and age were below the fold (QA). Its status, start and age, as
    the tree shows it, come first; the other fields follow, in order."""
    app = make_app(HUNG)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("a", "enter")
        await pilot.pause(0.3)
        tree = app.tree
        span = tree.current
        assert span.kind == "Subprocess" and span.status == "running" and app.detail.span is span
        assert len(_detail_on_screen(app)) <= 8  # the pane is that small
        _said_when_and_how_long(app, span)
        text = detail_text(app)
        keys = [line.split()[0] for line in text.splitlines()[1:] if line[:1].isalpha()]
        assert keys[:6] == ["start", "age", "kind", "detail", "id", "run"], keys


@pytest.mark.parametrize("size", [(80, 24), (120, 36), (200, 50)])
async def test_a_long_name_keeps_the_status_start_and_age_on_screen(tmp_path, size):
    """A span's name wrapped over the pane above its status; a long one
    (a prompt as a span name) hid everything else. The first line keeps the
    status, the name cut to fit it; a `name` row says it whole, after the
    start and the age."""
    name = "summarise " + "the quarterly figures " * 300
    path = tmp_path / "long.jsonl"
    path.write_text("\n".join(json.dumps(rec) for rec in [
        {"trace_id": "t", "span_id": "r", "parent_id": None, "name": "job",
         "start_time": NOW - 300, "end_time": None, "status": "running"},
        {"trace_id": "t", "span_id": "c", "parent_id": "r", "name": name,
         "start_time": NOW - 200, "end_time": None, "status": "running"},
        {"trace_id": "t", "span_id": "d", "parent_id": "r", "name": "step",
         "start_time": NOW - 100, "end_time": NOW - 10, "status": "ok"}]) + "\n")
    os.utime(path, (NOW - 3600,) * 2)  # no writer: ages stop at its last record
    app = make_app(str(path))
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        tree = app.tree
        span = app.store.runs["t"].spans["c"]
        tree.reveal(span)
        await pilot.pause(0.3)
        assert app.detail.span is span
        _said_when_and_how_long(app, span)
        lines = _detail_on_screen(app)
        assert "…" in lines[0] and lines[0].startswith("▶ summarise the")
        assert name.strip() in " ".join(detail_text(app).split())

def test_the_detail_says_which_sample_an_action_is_in():
    """The stuck Subprocess's pane named its parent Tool Call; its task and
    sample were only in the raw record (QA)."""
    from tracetui.app.detail import span_sections
    from tracetui.cli import load

    store, _ = load([HUNG])
    spans = store.runs["hung"].spans.values()
    sub = next(s for s in spans if s.kind == "Subprocess" and s.status == "running")
    tool = sub.parent
    assert tool.parent.kind == "sample"

    def fields(span):
        import io

        from rich.console import Console

        console = Console(file=io.StringIO(), width=120, color_system=None)
        console.print(span_sections(span, NOW)[0][1])
        return console.file.getvalue()

    where = f"{tool.parent.parent.name} · {tool.parent.name}"
    assert f"sample    {where}" in fields(sub)
    assert f"parent    {where}" in fields(tool)  # its parent is the sample itself


async def test_the_cursor_stays_on_its_action_when_ctrl_c_cancels_it(tmp_path):
    """QA: with a killed eval's log beside it, ctrl+c on a hung eval turned
    its running rows into cancelled ones; the cursor stayed on its row
    number, now another log's row, and the run list, tree and detail went
    to that log. It stays on its action, a cancelled row now."""
    old = c.write(str(tmp_path), "trace-1.log", c.line(c.inspect_record(
        "enter", "old", "Subprocess", "sleep 600", start=NOW - 900)))
    os.utime(old, (NOW - 800, NOW - 800))
    hung = tmp_path / "trace-2.log"
    sample = {"task": "t", "sample_id": 1, "epoch": 1}
    hung.write_bytes(b"".join(map(c.line, [
        c.inspect_record("enter", "tool", "Tool Call", "bash(cmd='sleep 600')", start=NOW - 60, **sample),
        c.inspect_record("enter", "sub", "Subprocess", "bash -c 'sleep 600'", start=NOW - 59, **sample)])))
    app = make_app(str(tmp_path))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        app.focus_now(panel)
        panel.cursor = next(i for i, (_, row, _) in enumerate(panel.rows) if row.span.id == "tool")
        await pilot.pause(0.3)
        tool = panel.current[1].span
        assert panel.cursor > 0 and app.tree.run is tool.run  # below the stuck Subprocess
        with open(hung, "ab") as f:
            f.writelines(c.line(c.inspect_record("cancel", tid, kind, detail, duration=61.0, **sample))
                         for tid, kind, detail in (
                ("sub", "Subprocess", "bash -c 'sleep 600'"), ("tool", "Tool Call", "bash(cmd='sleep 600')")))
        await _until(pilot, lambda: tool.status == "cancelled")
        await pilot.pause(0.3)
        bucket, row, run = panel.current
        assert bucket == "cancelled" and row.span is tool and app.tree.run is tool.run


async def test_the_live_evals_hang_is_listed_above_old_archives(tmp_path):
    """A trace directory: a week-old archive's never-closed actions started
    earlier than anything of the live eval, and by start time they were
    listed first, `a` `enter` going to one of them (QA)."""
    import gzip as gz

    week = 7 * 86400.0
    old_lines = []
    with open(HUNG) as f:
        for line in f:
            rec = json.loads(line)
            rec["start_time"] = rec["start_time"] - week if "start_time" in rec else None
            if rec["start_time"] is None:
                del rec["start_time"]
            old_lines.append(json.dumps(rec))
    archive = tmp_path / "trace-1.log.gz"
    archive.write_bytes(gz.compress(("\n".join(old_lines) + "\n").encode()))
    live = tmp_path / "trace-2.log"
    live.write_bytes(open(HUNG, "rb").read())
    app = make_app(str(archive), str(live))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        run = app.store.runs["trace-2"]
        run.live = run.writer_seen = True  # its eval runs here
        app.anomaly_panel.set_runs(list(app.store.runs.values()))
        await pilot.pause(0.1)
        firsts = {r.id for _, _, r in app.anomaly_panel.rows[:len(run.anomalies.running)]}
        assert firsts == {"trace-2"}


SQLITE_SAMPLES = [os.path.join(os.path.dirname(__file__), "..", "sample_traces", "sqlite", name)
                  for name in ("spans.db", "generic_spans.db")]


async def test_a_run_row_keeps_its_span_count_beside_a_scrollbar(demo_log):
    """At 120 columns with a scrollbar the list is 46 wide: the span count
    went, leaving the error count where it had been (QA)."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        run = app.run_list.runs[0]
        assert f" {run.span_count()} " in app.run_list.render_row(0, 46).plain


async def test_the_status_line_says_which_source_skipped_lines(tmp_path):
    """Of several sources, `1 skipped (first at line 9412)` could be any's (QA)."""
    bad = tmp_path / "trace-8.log"
    bad.write_bytes(open(HUNG, "rb").read() + b"not json\n")
    app = make_app(str(bad), *SQLITE_SAMPLES)
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot, app)
        lines = open(HUNG, "rb").read().count(b"\n") + 1
        assert f"1 skipped (first at trace-8.log line {lines})" in str(app.query_one("#status").render())
        # and `n` lists it with the rest (it said "no notes": QA)
        assert f"{bad}: skipped 1 bad line(s); first at line {lines}" in app.all_notes()


async def test_a_status_line_too_narrow_for_where_lines_were_skipped_says_n_tells(tmp_path):
    """At 80 columns the skipped count was cut to `2 skipped (first at`
    (QA): where goes, while the count, `n` (whose notes say where) and
    what follows them stay."""
    bad = tmp_path / "trace-from-a-long-running-eval-of-ours.log"
    bad.write_bytes(open(HUNG, "rb").read() + b"not json\n\xff\xfe\n")
    app = make_app(str(bad))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        status = str(app.query_one("#status").render())
        assert "2 skipped: n  follow off" in status and "first at" not in status, status
        assert any("skipped 2 bad line(s); first at line" in n for n in app.all_notes())


@pytest.mark.parametrize("bad_after", [False, True], ids=["a banner alone", "and a bad line after it"])
async def test_a_banner_before_the_records_is_said_apart_from_bad_lines(tmp_path, bad_after):
    """A `tee`d log starting with its shell line, and a wrapper's banner:
    counted with the skipped lines, as Inspect counts them, but said apart.
    "first at line 1" hid where a real bad line was (QA)."""
    records = open(HUNG, "rb").readlines()
    banner = b"$ inspect eval task.py --model mockllm/model 2>&1 | tee trace-3.log\nstarting the eval\n\n"
    path = tmp_path / "trace-3.log"
    path.write_bytes(banner + b"".join(records[:20]) + (b"not json\n" if bad_after else b"") + b"".join(records[20:]))
    app = make_app(str(path))
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, app)
        status = str(app.query_one("#status").render())
        if bad_after:
            assert "3 skipped (2 before the first record; first after at line 24)" in status, status
            assert app.all_notes() == [f"{path}: skipped 3 bad line(s): 2 before the first record; "
                                       "the first after it at line 24"]
        else:
            assert "2 skipped (before the first record)" in status, status
            assert app.all_notes() == [f"{path}: skipped 2 line(s) before the first record"]


async def test_every_note_can_be_read_at_80_columns():
    """Two databases say three things (columns not understood, a status not
    understood): the status line has room for one note at most, so it says
    how many there are and `n` lists them all."""
    app = make_app(*SQLITE_SAMPLES)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        status = str(app.query_one("#status").render())
        assert "3 notes: n" in status and "not live" in status
        await pilot.press("n")
        assert isinstance(app.screen, NotesScreen)
        shown = " ".join(app.screen.notes)
        assert "not understood: colour, weight" in shown and "not understood: cost_usd, host" in shown
        assert "status 'weird' not understood" in shown
        await pilot.press("escape")
        assert not isinstance(app.screen, NotesScreen)
    # The status line names the note's file, not its path, so the note
    # itself fits (QA: `…/generic_spans.db:` and nothing of it).
    app = make_app(*SQLITE_SAMPLES)
    async with app.run_test(size=(200, 24)) as pilot:
        await settle(pilot, app)
        status = str(app.query_one("#status").render())
        last = app._said()[-1]
        assert os.sep in last.partition(": ")[0] and os.sep not in status.split("notes: n")[1]
        assert last.partition(": ")[2][:40] in status


async def test_mouse_click_selects_and_double_click_drills_down(demo_log):
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        index = next(i for i, (_, row, _) in enumerate(panel.rows) if row.action == "Subprocess")
        await pilot.click(panel, offset=(5, index + 1))  # +1: the border
        assert app.focused is panel and panel.cursor == index
        await pilot.click(panel, offset=(5, index + 1), times=2)
        await pilot.pause(0.1)
        assert app.tree.current is panel.rows[index][1].span


async def test_reader_posts_batches_not_lines(tmp_path):
    """500 lines appended at once reach the UI as a handful of updates."""
    path = str(tmp_path / "trace-7.log")
    write_demo_trace(path)
    app = make_app(path)
    calls = []
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        original = app.apply_changes
        app.apply_changes = lambda: (calls.append(1), original())[1]
        with open(path, "a") as f:
            for n in range(500):
                f.write(json.dumps({"timestamp": "t", "level": "TRACE", "message": "m", "action": "Model",
                                    "detail": f"bulk {n}", "event": "enter", "trace_id": f"B{n}",
                                    "start_time": NOW}) + "\n")
        for _ in range(40):
            await pilot.pause(0.05)
            if "B499" in app.store.runs["trace-7"].spans:
                break
        await pilot.pause(0.1)
        assert "B499" in app.store.runs["trace-7"].spans
        assert 1 <= len(calls) <= 5


async def test_run_highlight_shows_that_run_in_the_tree(demo_log):
    messages = []
    app = make_app(demo_log, REAL_INSPECT)
    async with app.run_test(size=(120, 36), message_hook=messages.append) as pilot:
        await settle(pilot, app)
        app.run_list.focus()
        first = app.run_list.current
        await pilot.press("j")
        await pilot.pause(0.05)
        second = app.run_list.current
        assert second is not first and app.tree.run is second
        assert any(isinstance(m, LineList.Highlighted) and m.list is app.run_list for m in messages)


HUNG_LOG = os.path.join(os.path.dirname(__file__), "..", "sample_traces", "inspect", "hung.log")


@pytest.mark.parametrize("created", [False, True], ids=["not created yet", "empty"])
async def test_the_explorer_waits_in_inspects_trace_directory_for_the_evals_log(tmp_path, monkeypatch, created):
    """QA: `tracetui` started before the eval exited, "no trace files in
    Inspect's trace directory". It opens, says it waits and where, creates
    nothing, and shows the eval's log once Inspect creates it (empty first,
    then its records)."""
    from tracetui.app.main import build_app

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    traces = tmp_path / "inspect_ai" / "traces"
    if created:
        traces.mkdir(parents=True)
    app = build_app([str(traces)], now=lambda: NOW)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause(0.3)
        for pane in (app.anomaly_panel, app.tree):
            assert "waiting for a trace log to appear in" in rendered(pane)
            said = pane.empty_text()  # the path is cut to the pane's width
            assert said.startswith(f"waiting for a trace log to appear in\n{traces}")
            assert ("not created yet: an eval creates it" in said) is not created
        assert f"waiting for a trace log in {traces}" in str(app._status.render())
        assert traces.exists() is created  # never made by tracetui
        traces.mkdir(parents=True, exist_ok=True)
        log = traces / "trace-4242.log"
        log.write_bytes(b"")  # as Inspect opens it, before its first record
        assert await wait_for(pilot, lambda: list(app.store.runs) == ["trace-4242"])
        # Once the UI has taken the run (the store has it a moment before).
        assert await wait_for(pilot, lambda: "waiting" not in rendered(app.anomaly_panel) + str(app._status.render()))
        log.write_bytes(open(HUNG_LOG, "rb").read())
        assert await wait_for(pilot, lambda: app.anomaly_panel.row_count() > 0)
        await pilot.pause(0.2)
        assert app.tree.run is app.store.runs["trace-4242"] and app.tree.row_count()
        assert "Subprocess" in {row.action for _, row, _ in app.anomaly_panel.rows}
        assert "Tool Call" in rendered(app.anomaly_panel)


async def test_the_explorer_waits_in_an_empty_directory_given_to_it(tmp_path):
    """An empty directory given by name waited for as Inspect's does (QA:
    "no readable trace files in this directory", exit 1), an empty file in
    it too; a trace copied in is shown."""
    from tracetui.app.main import build_app

    empty = tmp_path / "logs"
    empty.mkdir()
    (empty / "eval.log").write_bytes(b"")  # its writer has not written yet
    app = build_app([str(empty)], now=lambda: NOW)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause(0.3)
        assert "waiting for a trace log to appear in" in rendered(app.anomaly_panel)
        assert app.anomaly_panel.empty_text() == f"waiting for a trace log to appear in\n{empty}"
        assert not app.all_notes()  # an empty file is no fault
        shutil.copy(HUNG_LOG, empty / "hung.log")
        assert await wait_for(pilot, lambda: app.anomaly_panel.row_count() > 0)
        assert await wait_for(pilot, lambda: app.tree.row_count() > 0)
        assert list(app.store.runs) == ["hung"] and "Tool Call" in rendered(app.anomaly_panel)


def test_a_directory_of_files_that_are_no_traces_is_still_refused(tmp_path, capsys):
    """Waiting there would hide why nothing shows: it says so and exits, as
    before; a missing file too."""
    from tracetui.app.main import run_app

    (tmp_path / "notes.txt").write_text("hello\n")
    assert run_app([str(tmp_path)]) == 1
    assert capsys.readouterr().err == (f"tracetui: {tmp_path}: no readable trace files in this directory; "
                                       f"{tmp_path}/notes.txt: not a trace source (no record of a known "
                                       "trace format in its first lines)\n")


def test_tracetui_alone_opens_the_explorer_on_inspects_trace_directory_while_it_is_empty(tmp_path, monkeypatch, capsys):
    """The explorer waits there (tested above); the commands for scripts
    answer as before: nothing to read is an error for `anomalies` and
    `http`, and an empty directory for `runs`."""
    import tracetui.app.main
    from tracetui import cli

    class Terminal:
        def isatty(self) -> bool:
            return True

        def write(self, text: str) -> int:
            return len(text)

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    traces = tmp_path / "inspect_ai" / "traces"
    opened = []
    monkeypatch.setattr(tracetui.app.main, "run_app", lambda paths: opened.append(paths) or 0)
    with monkeypatch.context() as terminal:
        terminal.setattr(sys, "stdin", Terminal())
        terminal.setattr(sys, "stderr", Terminal())
        assert cli.main([]) == 0
        traces.mkdir(parents=True)
        assert cli.main([]) == 0
    assert opened == [[str(traces)], [str(traces)]] and not os.listdir(traces)
    for command in ("anomalies", "http"):
        assert cli.main([command]) == 1
        assert capsys.readouterr().err == (f"tracetui: no trace files in Inspect's trace directory {traces} "
                                           "(give a SOURCE, or try `tracetui demo`)\n")
    assert cli.main(["runs", str(traces)]) == 1
    assert capsys.readouterr().err == f"tracetui: {traces}: no readable trace files in this directory\n"


def test_run_app_reports_a_bad_source_in_one_line(tmp_path, capsys):
    from tracetui.app.main import run_app

    assert run_app([str(tmp_path / "missing.log")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.log" in err


async def test_a_killed_eval_stops_being_live_and_every_pane_ages_alike(tmp_path, monkeypatch):
    """The 2 a.m. case after the kill: the eval writing trace-<pid>.log dies
    mid-hang. The run loses its live mark and its hung actions stop ageing
    when it was last seen alive, in the anomaly panel and the tree alike:
    not at the file's last write, which for a hang is when the hang began
    (ages would jump back on screen)."""
    import subprocess

    import tracetui.sources.lines as lines_module

    monkeypatch.setattr(lines_module, "LIVENESS_INTERVAL", 0.0)
    monkeypatch.setattr(lines_module, "CUT_LINE_QUIET", 0.3)
    writer = subprocess.Popen([sys.executable, "-c", "print(flush=True); import time; time.sleep(60)"],
                              stdout=subprocess.PIPE)  # an eval: a Python process
    writer.stdout.readline()  # started
    path = tmp_path / f"trace-{writer.pid}.log"
    start = NOW - 100
    path.write_text(json.dumps({
        "timestamp": "2026-11-23T05:37:24+00:00", "level": "TRACE",
        "message": "Subprocess: sleep 600 (enter)", "action": "Subprocess", "detail": "sleep 600",
        "event": "enter", "trace_id": "hung1", "start_time": start}) + "\n")
    os.utime(path, (NOW - 40, NOW - 40))  # last written 60 s after the action began
    clock = [NOW]
    store = Store()
    sources, notes = open_sources([str(path)], store)
    app = TraceApp(sources, store, notes, now=lambda: clock[0])
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot, app)
            run = app.run_list.current
            assert run.live
            assert "1m40s" in rendered(app.anomaly_panel)  # aged to now while alive
            writer.kill()
            writer.wait()
            for _ in range(100):
                await pilot.pause(0.02)
                if not run.live:
                    break
            await pilot.pause(0.1)
            assert not run.live
            clock[0] += 100  # no longer ageing
            app.tick()
            await pilot.pause(0.1)
            assert "●" not in rendered(app.run_list)
            # Its ages stopped: lower bounds now, not a screen frozen on
            # `1m40s (running)` (QA). Stopped at the last look that found
            # the eval at work, up to a second before the clock's 1m40s.
            stopped = re.search(r"≥1m(39|40)s", rendered(app.anomaly_panel))
            assert stopped, rendered(app.anomaly_panel)
            assert stopped.group(0) in rendered(app.tree)
            assert stopped.group(0)[1:] in rendered(app.run_list)  # the run's duration too
            assert "ended" in str(app.query_one("#status").render())
            app.detail.show(run.spans["hung1"], clock[0])
            assert f"{stopped.group(0)}  (until its writer was last seen, " in detail_text(app)
            # and a toast says it ended, and how (QA: the view went to another
            # eval's with nothing said)
            said = [n.message for n in app._notifications]
            assert f"{run.name}: gone with 1 action still running" in said, said
    finally:
        writer.kill()
        writer.wait()


def _append_enter(path: str, trace_id: str) -> None:
    """A Model action entered a second ago, appended to a followed log."""
    rec = {"timestamp": "2026-11-23T05:40:00+00:00", "level": "TRACE", "message": "m", "action": "Model",
           "detail": "d", "event": "enter", "start_time": NOW - 1, "trace_id": trace_id}
    with open(path, "a") as f:
        f.write(json.dumps(rec) + "\n")


async def test_following_never_freezes_garbage_for_good(live_log, monkeypatch):
    """The reader freezes what is alive out of the cyclic GC's reach every
    FREEZE_INTERVAL while data flows (here every 0.3 s). Garbage cycles
    already in the oldest generation must be collected first, not frozen
    with the rest (Textual makes such cycles: frozen, they leaked ~0.8 KB
    per span followed)."""
    import gc
    import weakref

    class Cycle:
        pass

    monkeypatch.setattr(app_module, "FREEZE_INTERVAL", 0.3)
    path = live_log
    app = make_app(path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        garbage = Cycle()
        garbage.me = garbage
        gone = weakref.ref(garbage)
        gc.collect()  # alive now: it goes to the oldest generation
        del garbage  # garbage from here on, found only by a full collection
        for k in range(30):
            _append_enter(path, f"G{k}")
            await pilot.pause(0.1)
            if gone() is None:
                break
        assert gone() is None


@pytest.mark.parametrize("spans_to_freeze, frozen", [(5, True), (10 ** 9, False)])
async def test_following_freezes_once_enough_spans_came(live_log, monkeypatch, spans_to_freeze, frozen):
    """While following, what is alive is frozen once FREEZE_SPANS more
    spans are held than at the last freeze (or FREEZE_INTERVAL after it),
    not at every change: each freeze keeps for good the cycles it finds
    alive that die later (Textual's render caches make some)."""
    import gc

    monkeypatch.setattr(app_module, "FREEZE_INTERVAL", 1e9)
    monkeypatch.setattr(app_module, "FREEZE_SPANS", spans_to_freeze)
    path = live_log
    app = make_app(path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        freezes = []
        freeze = gc.freeze
        monkeypatch.setattr(gc, "freeze", lambda: (freezes.append(time.monotonic()), freeze()))
        for k in range(12):
            _append_enter(path, f"F{k}")
            await pilot.pause(0.05)
        for _ in range(40):
            if any("F11" in run.spans for run in app.store.runs.values()):
                break
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        assert any("F11" in run.spans for run in app.store.runs.values())
        assert bool(freezes) is frozen, freezes


async def test_while_loading_each_slice_is_frozen_out_of_the_collectors_reach(tmp_path, monkeypatch):
    """A big log loads a slice at a time, a big one a pass. While it loads,
    what each slice adds is frozen at once: left young, the collections
    between two slices walked all of it, though it all stays (8% of the
    reader's time on a 1M-line log). Once loaded, nothing is frozen as it
    is read: following, the garbage is collected first (the test above).
    Seen as `gc.freeze` called, or not, between one slice read and the
    next (spans and samples' states are not the collector's, `_span.h`,
    so what a slice of an Inspect log adds that it tracks is little)."""
    import gc

    from tracetui.sources.files import FileFollower

    path = tmp_path / "trace-1.log"
    _gen_inspect(path, 3000, 7, start=NOW - 600)
    slices = []  # [loading, frozen since] for each slice read, in order
    follower_poll, freeze = FileFollower.poll, gc.freeze

    def watched(self, *args, **kwargs):
        slices.append([app.loading, False])
        return follower_poll(self, *args, **kwargs)

    def frozen():
        if slices:
            slices[-1][1] = True
        freeze()

    monkeypatch.setattr(FileFollower, "poll", watched)
    monkeypatch.setattr(gc, "freeze", frozen)
    monkeypatch.setattr("tracetui.app.app.SLICE_BYTES", 4096)  # loading: 8 of them a slice
    app = make_app(str(path))
    assert os.path.getsize(path) > 8 * app_module.SHOWN_SLICES * 4096
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        for k in range(2):
            with open(path, "ab") as f:
                f.write(c.line(c.inspect_record("enter", f"F{k}", "Model", "d", start=NOW - 1)))
            for _ in range(50):
                await pilot.pause(0.05)
                if f"F{k}" in app.store.runs["trace-1"].spans:
                    break
            assert f"F{k}" in app.store.runs["trace-1"].spans
    # (the last slice read while loading is the one that finds the end)
    loading = [was_frozen for is_loading, was_frozen in slices if is_loading]
    assert len(loading) >= 8 and all(loading[:-1]), slices
    # The line read once loaded that made the first new span was not
    # frozen before the next read.
    first = next(k for k, (is_loading, _) in enumerate(slices) if not is_loading)
    assert not any(was_frozen for _, was_frozen in slices[first:-1]), slices


async def test_the_status_line_says_how_many_sources_are_in_each_state(tmp_path):
    """A directory of a killed eval's log and two archives: `1 ended  2
    archived`, not one word for all of them (QA: "ended")."""
    ended = tmp_path / "trace-1.log"
    write_demo_trace(str(ended))
    os.utime(ended, (NOW - 5000, NOW - 5000))
    for n in (2, 3):
        _gen_inspect(tmp_path / f"trace-{n}.log.gz", 500, n, start=NOW - 90_000 * n)
    app = make_app(str(tmp_path))
    async with app.run_test(size=(160, 36)) as pilot:
        await settle(pilot, app)
        status = str(app.query_one("#status").render())
        assert re.search(r"  1 ended \d+m\d+s ago  2 archived  ", status), status  # the demo's end, NOW
    app = make_app(str(tmp_path / "trace-2.log.gz"))
    async with app.run_test(size=(160, 36)) as pilot:
        await settle(pilot, app)
        status = str(app.query_one("#status").render())
        # One archive says how long ago it ended, as a plain log does.
        assert re.search(r"  archived, ended 2d0\dh ago  ", status) and "1 archived" not in status, status


async def test_the_cut_off_last_line_of_a_killed_eval_is_counted_once_it_is_gone(tmp_path, monkeypatch):
    """An eval killed while writing a line leaves it cut off. While the eval
    runs, the line waits for the rest of it; once it is gone, the line is
    read as it is and counted as a bad line, as `tracetui runs` counts it
    (QA: the status line said nothing, and `n` "no notes")."""
    import subprocess

    import tracetui.sources.lines as lines_module

    monkeypatch.setattr(lines_module, "LIVENESS_INTERVAL", 0.0)
    writer = subprocess.Popen([sys.executable, "-c", "print(flush=True); import time; time.sleep(60)"],
                              stdout=subprocess.PIPE)  # an eval: a Python process
    writer.stdout.readline()
    path = tmp_path / f"trace-{writer.pid}.log"
    whole = json.dumps({
        "timestamp": "2026-11-23T05:37:24+00:00", "level": "TRACE",
        "message": "Subprocess: sleep 600 (enter)", "action": "Subprocess", "detail": "sleep 600",
        "event": "enter", "trace_id": "hung1", "start_time": NOW - 100})
    path.write_text(whole + "\n" + whole.replace("hung1", "hung2")[:70])
    store = Store()
    sources, notes = open_sources([str(path)], store)
    app = TraceApp(sources, store, notes, now=lambda: NOW)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot, app)
            source = app.sources[0]
            assert app.run_list.current.live and source.skipped == 0
            assert "skipped" not in str(app.query_one("#status").render())
            writer.kill()
            writer.wait()
            await _until(pilot, lambda: source.skipped)
            await pilot.pause(0.1)
            assert source.skipped == 1 and source.first_bad_line == 2
            assert "1 skipped (first at line 2)" in str(app.query_one("#status").render())
            assert set(app.store.runs[app.run_list.current.id].spans) >= {"hung1"}
    finally:
        writer.kill()
        writer.wait()


async def test_a_record_written_in_two_pieces_to_a_quiet_log_is_read_whole(tmp_path, monkeypatch, real_copy_gap):
    """QA: a log quiet for a while (not live: its records old, no writer
    seen) gets a record in two writes, 0.05–3 s apart (a hung eval's next
    record, an error's long stack trace). The first piece was read at once
    as a cut-off line: two bad lines, and the record lost. An unfinished
    line is read as it is only once it has stayed so for CUT_LINE_QUIET."""
    import tracetui.sources.lines as lines_module

    monkeypatch.setattr(lines_module, "CUT_LINE_QUIET", 1.5)
    path = tmp_path / "trace-31341.log"
    old = [c.inspect_record("enter", f"a{n}", "Model", "generate (m)", start=NOW - 3400 + n) for n in range(3)]
    path.write_bytes(b"".join(map(c.line, old)))
    app = make_app(str(path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        source = app.sources[0]
        assert not source.live
        record = c.line(c.inspect_record("enter", "split", "Subprocess", "sleep 3600 SPLITREC", start=NOW - 10))
        with open(path, "ab") as f:
            f.write(record[:100])
        await pilot.pause(0.6)
        with open(path, "ab") as f:
            f.write(record[100:])
        await _until(pilot, lambda: "split" in app.store.runs["trace-31341"].spans)
        assert source.skipped == 0 and "split" in app.store.runs["trace-31341"].spans


async def test_a_followed_log_rotated_by_rename_keeps_both_files(tmp_path):
    """One file followed (no directory): logrotate renames it to `.1` and
    starts a new one. The old run carries on under the new name, nothing
    re-read; the new file under the old name is followed as a new run."""
    def enter(tid: str) -> str:
        return json.dumps({"timestamp": "2026-11-23T05:37:24+00:00", "level": "TRACE",
                           "message": f"Tool Call: {tid} (enter)", "action": "Tool Call", "detail": tid,
                           "event": "enter", "trace_id": tid, "start_time": NOW - 5}) + "\n"

    path = tmp_path / "trace-5.log"
    path.write_text(enter("old1") + enter("old2"))
    app = make_app(str(path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        os.rename(path, str(path) + ".1")
        path.touch()  # logrotate's `create`: empty until the writer reopens it
        await pilot.pause(0.1)
        path.write_text(enter("new1"))
        for _ in range(100):
            await pilot.pause(0.02)
            if "new1" in getattr(app.store.runs.get("trace-5"), "spans", {}) and app.run_list.row_count() == 2:
                break
        runs = {r.id: {s for s in r.spans} for r in app.store.runs.values()}
        assert runs == {"trace-5.log.1": {"old1", "old2"}, "trace-5": {"new1"}}
        assert sorted(s.path for s in app.sources) == [str(path), str(path) + ".1"]
        assert sum(s.records for s in app.sources) == 3  # nothing read twice


def _quick_pairs(count: int) -> list[dict]:
    """`count` actions entered and closed at once: filler between the
    records a test is about."""
    return [c.inspect_record(event, f"Q{i}", "Model", f"quick {i}", start=NOW)
            for i in range(count) for event in ("enter", "exit")]


def _app_reading_first_slice(tmp_path, records: list[dict], make=make_app):
    """The app on `trace-1.log` of `records`, its reader held after the
    first slice (`_held_after_first_slice`): the app and the event that
    lets it read on."""
    path = str(tmp_path / "trace-1.log")
    with open(path, "wb") as f:
        f.writelines(map(c.line, records))
    app = make(path)
    return app, _held_after_first_slice(app.sources[0])


def _frames_of(app: TraceApp, look) -> list:
    """What `look()` says as each frame the app draws is drawn, in order."""
    seen = []
    display = app._display

    def recorded(screen, renderable) -> None:
        seen.append(look())
        display(screen, renderable)

    app._display = recorded
    return seen


async def test_the_first_frame_shows_a_big_logs_run_and_first_spans(tmp_path):
    """The first slice of a big log is read before the first frame, not
    by the reader beside the first layout: the first frame drawn shows the
    run and the tree (it was an empty layout, the runs a frame later: first
    screen 0.55-0.61 s on a 1M-line log, 0.41-0.53 s since)."""
    records = [c.inspect_record("enter", "LATE", "Model", "closes_late", start=NOW), *_quick_pairs(20_000)]
    path = str(tmp_path / "trace-1.log")
    with open(path, "wb") as f:
        f.writelines(map(c.line, records))
    app = make_app(path)
    seen = _frames_of(app, lambda: (app.run_list.row_count(), app.tree.row_count()))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: seen)
        runs, rows = seen[0]
        assert runs == 1 and rows > 0, seen[:3]
    assert os.path.getsize(path) > app_module.SLICE_BYTES  # more than the slice read first


async def test_the_first_frame_shows_what_a_big_logs_early_scan_has_found(tmp_path, monkeypatch):
    """The scan of a big log starts before the app is imported (`start_early`)
    and its first closed rows come before the first frame: that frame lists
    them (they came a frame later, 0.1-0.2 s, when only the prescan worker,
    started after the first frame, heard of them)."""
    from tracetui.prescan import Prescan

    monkeypatch.setattr("tracetui.app.app.worth_prescanning", lambda path: True)
    records = [*_quick_pairs(6000),
               c.inspect_record("enter", "C1", "Model", "cancelled_late", start=NOW + 5),
               c.inspect_record("cancel", "C1", "Model", "cancelled_late", duration=3.0),
               *_quick_pairs(6000)]
    path = str(tmp_path / "trace-1.log")
    with open(path, "wb") as f:
        f.writelines(map(c.line, records))
    assert os.path.getsize(path) // 2 > app_module.SLICE_BYTES  # the cancel is beyond the first slice
    scan = Prescan(path, gentle=False)
    for _ in range(500):
        if scan.found_so_far():
            break
        time.sleep(0.01)
    store = Store()
    sources, notes = open_sources([path], store)
    app = TraceApp(sources, store, notes, now=lambda: NOW + 60, prescans={path: scan})
    seen = _frames_of(app, lambda: [(b, r.detail) for b, r, _ in app.anomaly_panel.rows])
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: seen)
        assert seen[0] == [("cancelled", "cancelled_late")], seen[:3]
        await settle(pilot, app)


def _big_table_held(tmp_path, after: int) -> tuple[TraceApp, object, threading.Event, list[int]]:
    """The app on a big generic spans table (25 runs of 200 spans, the
    last run's last 12 still open), its reader held at each poll after
    the first `after` until `proceed` is set; `polls` counts them."""
    from sqlite_fixtures import make_big_generic

    path = str(tmp_path / "spans.db")
    make_big_generic(path)
    store = Store()
    sources, notes = open_sources([path], store)
    source = sources[0]
    proceed = threading.Event()
    poll, polls = source.poll, [0]

    def held_poll(*args, **kwargs):
        polls[0] += 1
        if polls[0] > after:
            proceed.wait(10)
        return poll(*args, **kwargs)

    source.poll = held_poll
    return TraceApp(sources, store, notes, now=lambda: NOW), source, proceed, polls


async def test_a_big_spans_table_shows_its_first_runs_while_it_is_read(tmp_path, monkeypatch):
    """A generic spans table is read a slice of rows per poll: its first
    runs are in the first frame, the status says how far the read is, and
    the rest comes after (a 1M-row table showed `reading…` for 17 s)."""
    monkeypatch.setattr(app_module, "DB_SLICE_ROWS", 500)
    app, source, proceed, _ = _big_table_held(tmp_path, after=1)
    seen = _frames_of(app, lambda: app.run_list.row_count())
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: seen)
        assert seen[0] == 3, seen[:3]  # 500 rows: two runs of 200, the third begun
        assert app.loading and source.behind
        app.update_status()
        assert re.search(r" loading 10%", app._status.render_line(0).text)
        proceed.set()
        await settle(pilot, app)
        assert not app.loading and app.run_list.row_count() == 25
        assert sum(b == "running" for b, _, _ in app.anomaly_panel.rows) == 12


async def test_a_big_tables_running_spans_are_shown_once_their_runs_are_read_whole(tmp_path, monkeypatch):
    """The runs of a big table with spans running are read first, over a
    few slices; once they are whole the anomaly panel shows them at once,
    not at the load's next redraw (`LOAD_UPDATE_INTERVAL`, half a second:
    the 1M-row table's first anomaly rows came at 0.50 s, now 0.33 s)."""
    monkeypatch.setattr(app_module, "DB_SLICE_ROWS", 100)  # the last run's rows: two slices and a look
    monkeypatch.setattr(app_module, "LOAD_UPDATE_INTERVAL", 60)
    app, source, proceed, polls = _big_table_held(tmp_path, after=4)  # the first slice, the last run's rows
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: len(app.anomaly_panel.rows) == 12)
            assert app.loading and polls[0] == 5
            assert {run.id for _, _, run in app.anomaly_panel.rows} == {"trace-24"}
            proceed.set()
            await settle(pilot, app)
            assert not app.loading and app.run_list.row_count() == 25
    finally:
        proceed.set()


async def test_e_lists_the_errors_without_a_layout_of_the_screen(tmp_path):
    """The anomaly panel keeps its scrollbar: `e`, listing errors past the
    panel's height where its running rows fit, made the bar appear, and
    with it a layout of the whole screen (a second frame 23-26 ms after the
    key on a 1M-row table). The panel is drawn again, nothing laid out."""
    from textual.screen import Screen

    from sqlite_fixtures import make_big_generic

    path = str(tmp_path / "spans.db")
    make_big_generic(path)  # 12 spans running, 25 failed
    app = make_app(path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        assert panel.row_count() == 12 < panel.size.height
        layouts = []
        refresh_layout = Screen._refresh_layout

        def counted(screen, *args, **kwargs):
            layouts.append(args)
            return refresh_layout(screen, *args, **kwargs)

        Screen._refresh_layout = counted
        try:
            panel.focus()
            await pilot.press("e")
            await settle(pilot, app)
        finally:
            Screen._refresh_layout = refresh_layout
        assert panel.row_count() == 37 > panel.size.height
        assert layouts == []


async def test_a_first_slice_that_hangs_keeps_neither_the_frame_nor_q_waiting(tmp_path):
    """The first slices are read before the first frame, in a thread the
    frame waits for a moment: a read that hangs (a dead network mount)
    still lets the app draw its layout, and `q` quit it, as when only the
    reader thread read."""
    records = [c.inspect_record("enter", "A", "Model", "a", start=NOW), *_quick_pairs(10)]
    path = str(tmp_path / "trace-1.log")
    with open(path, "wb") as f:
        f.writelines(map(c.line, records))
    app = make_app(path)
    hung = threading.Event()
    read = app.sources[0].poll

    def hanging_poll(*args, **kwargs):
        hung.wait(30)  # released at the end of the test
        return read(*args, **kwargs)

    app.sources[0].poll = hanging_poll
    frames = _frames_of(app, lambda: app.run_list.row_count())
    started = time.monotonic()
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            assert await wait_for(pilot, lambda: frames, seconds=3)
            assert frames[0] == 0 and time.monotonic() - started < 3  # the layout, no run yet
            await pilot.press("q")
            await pilot.pause(0.2)
            assert not app.is_running
    finally:
        hung.set()


def _hold_back_prescans(monkeypatch):
    """Make the app's prescans answer only once the event returned is set."""
    import threading

    from tracetui import prescan

    answer = threading.Event()

    class HeldBackPrescan(prescan.Prescan):
        def wait(self, on_found=None):
            answer.wait(10)
            return super().wait(on_found)

    monkeypatch.setattr("tracetui.app.app.Prescan", HeldBackPrescan)
    return answer


@pytest.mark.parametrize("live", [True, False])
async def test_a_big_logs_scan_gives_way_only_beside_a_live_eval(tmp_path, monkeypatch, live):
    """QA: the scan of a killed eval's log, at low priority on a machine
    busy with something else, got 9 % of a CPU; the hung actions came only
    with the whole index. It gives way to a live eval, not to others."""
    from tracetui import prescan

    monkeypatch.setattr("tracetui.app.app.worth_prescanning", lambda path: True)
    asked = []

    class RecordingPrescan(prescan.Prescan):
        def __init__(self, path, message_filter=None, **options):
            asked.append(options.get("gentle"))
            super().__init__(path, message_filter, **options)

    monkeypatch.setattr("tracetui.app.app.Prescan", RecordingPrescan)
    path = tmp_path / (f"trace-{os.getpid()}.log" if live else "trace-1.log")  # this process, or no eval
    shutil.copyfile(HUNG, path)
    if not live:
        os.utime(path, (time.time() - 3600,) * 2)  # and not written for an hour
    app = make_app(str(path))
    proceed = _held_after_first_slice(app.sources[0], slices=0)  # not read whole before the scan starts
    async with app.run_test(size=(120, 36)) as pilot:
        await _until(pilot, lambda: asked)
        proceed.set()
        await settle(pilot, app)
        assert asked == [live]


async def test_a_big_trees_title_says_it_is_sorting_until_the_rows_are_sorted(monkeypatch):
    """QA, a 1.1M-line log: `s` said `sorted: name` at once, the rows came
    1.4 s later, and keys pressed in between went by the old order. The
    title says `sorting…` until the thread's rows land."""
    import threading

    monkeypatch.setattr(span_tree, "BACKGROUND_MIN_SPANS", 0)  # every run counts as big
    app = make_app(HUNG)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        release = threading.Event()
        flatten = span_tree.SpanTree._flatten

        def held(self, *args, **kwargs):
            if kwargs.get("yield_gil"):  # the thread's layout
                release.wait(10)
            return flatten(self, *args, **kwargs)

        monkeypatch.setattr(span_tree.SpanTree, "_flatten", held)
        app.focus_now(app.tree)
        await pilot.press("s")
        await pilot.pause(0.1)
        assert "sorting…" in app.tree.border_title
        release.set()
        await _until(pilot, lambda: "sorting…" not in app.tree.border_title)
        assert "sorted: start time" in app.tree.border_title



@pytest.mark.parametrize("back", ["before the rows land", "after they landed"])
async def test_a_sort_left_for_another_run_is_not_said_pending_on_coming_back(monkeypatch, back):
    """`s` on a big run, then another run and back: the switch lays the
    run out anew, its top level at once in the new order, and a sort is
    pending no more. The title said `sorting…` over the switch's layout
    (however long it took) once the sort's own rows had been dropped, the
    other run small; it says so again only for a new `s`."""
    import threading

    app = make_app(HUNG, INTERRUPTED)  # 61 spans and 41: one big, one small
    monkeypatch.setattr(span_tree, "BACKGROUND_MIN_SPANS", 50)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree, runs = app.tree, app.run_list
        assert runs.current.id == "interrupted"
        app.focus_now(runs)
        await pilot.press("j")
        hung = tree.run
        assert hung.id == "hung" and tree._big()
        await _until(pilot, lambda: len(tree.rows) > len(hung.roots))  # its layout landed
        release, landed = threading.Event(), []
        flatten = span_tree.SpanTree._flatten

        def held(self, *args, **kwargs):
            if kwargs.get("yield_gil"):  # the thread's layout
                release.wait(10)
                flatten(self, *args, **kwargs)
                landed.append(kwargs.get("run"))
                return None
            return flatten(self, *args, **kwargs)

        monkeypatch.setattr(span_tree.SpanTree, "_flatten", held)
        app.focus_now(tree)
        await pilot.press("s")
        await pilot.pause(0.1)
        assert "sorting…" in tree.border_title
        app.focus_now(runs)
        await pilot.press("k")
        await pilot.pause(0.1)
        assert tree.run.id == "interrupted" and "sorting…" not in tree.border_title
        if back == "after they landed":
            release.set()
            await _until(pilot, lambda: landed)
            await pilot.pause(0.1)
            release.clear()  # the switch's layout is held
        await pilot.press("j")
        await pilot.pause(0.1)
        assert tree.run is hung
        assert "sorting…" not in tree.border_title and "sorted: start time" in tree.border_title
        # A new `s` is pending until its rows land, and then no more.
        release.set()
        await _until(pilot, lambda: not tree._relayout_busy)
        release.clear()
        app.focus_now(tree)
        await pilot.press("s")
        await pilot.pause(0.1)
        assert "sorting…" in tree.border_title
        release.set()
        await _until(pilot, lambda: "sorting…" not in tree.border_title)
        assert "sorted: slowest first" in tree.border_title


async def test_a_sort_a_filter_overtook_is_not_said_pending_once_it_is_dropped(monkeypatch):
    """`s` on a big run, then a filter typed before the rows land: the
    filter's rows replace them, and dropping it lays the tree out anew. The
    title said `sorting…` over that layout; no sort was pending."""
    import threading

    monkeypatch.setattr(span_tree, "BACKGROUND_MIN_SPANS", 0)  # every run counts as big
    app = make_app(HUNG)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        release = threading.Event()
        flatten = span_tree.SpanTree._flatten

        def held(self, *args, **kwargs):
            if kwargs.get("yield_gil"):  # the thread's layout
                release.wait(10)
            return flatten(self, *args, **kwargs)

        monkeypatch.setattr(span_tree.SpanTree, "_flatten", held)
        app.focus_now(tree)
        await pilot.press("s")
        await pilot.pause(0.1)
        assert "sorting…" in tree.border_title
        await pilot.press("slash", *"Subprocess")
        await _until(pilot, lambda: tree.filtered and "filtering…" not in tree.border_title)
        await pilot.press("escape")  # the filter dropped: the layout is held
        await pilot.pause(0.1)
        assert not tree.filtered and "sorting…" not in tree.border_title
        release.set()
        await _until(pilot, lambda: len(tree.rows) > len(tree.run.roots))
        assert "sorting…" not in tree.border_title and "sorted: start time" in tree.border_title

def _held_after_first_slice(source, slices: int = 1):
    """Let `source` read one slice (or `slices`), then hold the reader (the
    app's one thread that reads every source, or the one that reads the
    first slices before the first frame) until released."""
    import threading

    source.follower.read_size = 4096
    proceed = threading.Event()
    poll = source.poll
    polls = [0]

    def held_poll(*args, **kwargs):
        polls[0] += 1
        if polls[0] > slices:
            proceed.wait(10)
        return poll(*args, **kwargs)

    source.poll = held_poll
    return proceed


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
async def test_while_loading_the_anomalies_say_so_far_and_the_status_how_far(tmp_path, gz):
    """A big log shows its first screen before it is read to the end: an
    action listed as running may close further on, so the panel says "so
    far" and the status line how much is read, until the end is reached."""
    import gzip

    data = b"".join(map(c.line, [
        c.inspect_record("enter", "LATE", "Model", "closes_late", start=NOW),
        *_quick_pairs(300),
        c.inspect_record("exit", "LATE", "Model", "closes_late", duration=1.0)]))
    path = str(tmp_path / ("trace-1.log.gz" if gz else "trace-1.log"))
    with open(path, "wb") as f:
        f.write(gzip.compress(data) if gz else data)
    app = make_app(path)
    proceed = _held_after_first_slice(app.sources[0])
    async with app.run_test(size=(120, 36)) as pilot:
        await _until(pilot, lambda: app.anomaly_panel.rows, tries=100)
        assert app.loading
        # The first slice ends mid-file, maybe between an enter and its exit.
        assert app.anomaly_panel.rows[0][1].detail == "closes_late"
        assert str(app.anomaly_panel.border_title).startswith("anomalies so far · ")
        # Narrower, the counts lose their words, never the "so far".
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        narrow = str(app.anomaly_panel.border_title)
        assert "so far" in narrow and "running" in narrow, narrow
        # Shortened, in the same words and dots (QA: it lost them mid-load).
        await pilot.resize_terminal(120, 36)
        await pilot.pause()
        assert app.anomaly_panel._title({"running": 44, "cancelled": 104}) == "so far · 44 running · 104 cancelled"
        status = app._status.render_line(0).text
        assert "loading " in status and "100%" not in status and " 0%" not in status
        proceed.set()
        await settle(pilot, app)
        assert app.anomaly_panel.rows == []
        assert "so far" not in str(app.anomaly_panel.border_title)
        assert "loading" not in app._status.render_line(0).text


async def test_a_big_logs_whole_anomalies_show_before_its_tree_is_indexed(tmp_path, monkeypatch):
    """The prescan folds the whole file in a child process while the reader
    is still at its start: the panel shows what `tracetui anomalies` prints,
    and a row whose span the reader has not reached says so on enter."""
    monkeypatch.setattr("tracetui.app.app.worth_prescanning", lambda path: True)
    late, early, entered_late = "closes_late", "cancelled_entered_early", "cancelled_entered_late"
    records = [c.inspect_record("enter", "LATE", "Model", late, start=NOW),
               c.inspect_record("enter", "C1", "Model", early, start=NOW),
               *_quick_pairs(300),
               c.inspect_record("enter", "C2", "Model", entered_late, start=NOW),
               c.inspect_record("cancel", "C2", "Model", entered_late, duration=2.0),
               c.inspect_record("cancel", "C1", "Model", early, duration=3.0),
               c.inspect_record("exit", "LATE", "Model", late, duration=1.0)]
    app, proceed = _app_reading_first_slice(tmp_path, records)
    async with app.run_test(size=(120, 36)) as pilot:
        panel = app.anomaly_panel
        await _until(pilot, lambda: panel.early)
        assert app.loading and panel.early
        assert [(b, r.detail) for b, r, _ in panel.rows] == [
            ("cancelled", "cancelled_entered_early"), ("cancelled", "cancelled_entered_late")]
        assert str(panel.border_title) == "anomalies · 2 cancelled"
        early, late = (r.span for _, r, _ in panel.rows)
        assert early is not None and early.id == "C1" and late is None
        app.focus_now(panel)
        panel.cursor = 1
        await pilot.press("enter")
        assert app.focused is panel  # nothing to reveal yet
        proceed.set()
        await settle(pilot, app)
        assert not panel.early and not panel.provisional
        assert [(b, r.detail, r.span.id) for b, r, _ in panel.rows] == [
            ("cancelled", "cancelled_entered_early", "C1"), ("cancelled", "cancelled_entered_late", "C2")]


async def test_the_hidden_errors_are_sorted_before_the_first_e(tmp_path):
    """Once a log is read, the errors and timeouts the panel hides are
    sorted and grouped after the load's frame, not by the first `e` (on a
    1M-line log's 3,353 errors that press took 11-17 ms before its frame):
    `e` shows the very rows made ahead, in the same order as made at once."""
    records = [c.inspect_record("enter", f"E{i}", "Model", f"fails {i}", start=NOW + i, task="t", sample_id=i,
                                epoch=1) for i in range(6)]
    records += [c.inspect_record("error", f"E{i}", "Model", f"fails {i}", duration=1.0 + i, error="boom",
                                 task="t", sample_id=i, epoch=1) for i in range(6)]
    path = str(tmp_path / "trace-1.log")
    with open(path, "wb") as f:
        f.writelines(map(c.line, records))
    app = make_app(path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        ahead = panel._closed_parts.get("errors")
        assert ahead is not None and len(ahead[1]) == 6, "sorted before any `e`"
        app.focus_now(panel)
        await pilot.press("e")
        await settle(pilot, app)
        assert panel.show_failures and panel._closed_parts["errors"] is ahead
        shown = [row.detail for bucket, row, _ in panel.rows if bucket == "errors"]
        assert shown == [f"fails {i}" for i in reversed(range(6))]


async def test_a_big_logs_scan_keeps_none_of_its_rows_once_the_log_is_read(tmp_path, monkeypatch):
    """Once a big log is read to its end, the only anomaly rows alive are
    its index's: neither the scan (its rows so far and its answer) nor a
    cache of what runs in its buckets (`clock._nodes_running`) keeps the
    rows it found. They did, with their strings, for as long as the app
    ran: 5.1 MB of a 1M-line log."""
    import gc

    from tracetui import fastscan
    from tracetui.model import BUCKETS

    monkeypatch.setattr("tracetui.app.app.worth_prescanning", lambda path: True)
    sample = {"task": "t", "sample_id": 1, "epoch": 1}  # (a made-up node runs to the end: `_nodes_running`)
    records = [c.inspect_record("enter", "LATE", "Model", "scan-kept closes late", start=NOW, **sample),
               c.inspect_record("enter", "C1", "Model", "scan-kept cancelled early", start=NOW, **sample),
               *_quick_pairs(300),
               c.inspect_record("enter", "C2", "Model", "scan-kept cancelled late", start=NOW),
               c.inspect_record("cancel", "C2", "Model", "scan-kept cancelled late", duration=2.0),
               c.inspect_record("cancel", "C1", "Model", "scan-kept cancelled early", duration=3.0, **sample),
               c.inspect_record("exit", "LATE", "Model", "scan-kept closes late", duration=1.0, **sample)]
    app, proceed = _app_reading_first_slice(tmp_path, records)
    async with app.run_test(size=(120, 36)) as pilot:
        panel = app.anomaly_panel
        await _until(pilot, lambda: panel.early)
        await pilot.pause()  # a frame drawn with the scan's buckets
        proceed.set()
        await settle(pilot, app)
        assert not panel.early and not app.loading
        # (a detail asked for as the rows changed is drawn: the index's row)
        await _until(pilot, lambda: app._detail_timer is None and app._live_detail_timer is None)
        gc.collect()
        gc.unfreeze()  # (what the app froze is not among `get_objects`)
        try:
            index = {id(row) for run in app.store.runs.values() for name in BUCKETS
                     for row in run.anomalies.bucket(name).values()}
            # (this log's, by details no other test writes: other tests'
            # apps may live on in this process)
            ours = {"scan-kept cancelled early", "scan-kept cancelled late", "scan-kept closes late"}
            alive = [o for o in gc.get_objects() if type(o) in (AnomalyRow, fastscan.Row) and o.detail in ours]
            assert len(index) == 2 and {id(o) for o in alive} == index, [(type(o), o.detail) for o in alive]
        finally:
            gc.freeze()


async def test_the_detail_ends_on_the_indexed_row_when_the_scans_rows_go_while_it_waits(tmp_path, monkeypatch):
    """The cursor moved onto a scan's row just before the index took the
    panel over: the detail, waiting to draw that row (DETAIL_DELAY), drew
    it once the index's row was under the cursor, and kept saying the span
    was not indexed yet (and held the scan's row) until the cursor moved
    again. It ends on the index's span."""
    monkeypatch.setattr("tracetui.app.app.worth_prescanning", lambda path: True)
    monkeypatch.setattr(app_module, "DETAIL_DELAY", 0.5)
    records = [*_quick_pairs(300),  # (past the first slice: the scan's rows have no span yet)
               c.inspect_record("enter", "C1", "Model", "stale-detail one", start=NOW),
               c.inspect_record("enter", "C2", "Model", "stale-detail two", start=NOW + 1),
               c.inspect_record("cancel", "C2", "Model", "stale-detail two", duration=2.0),
               c.inspect_record("cancel", "C1", "Model", "stale-detail one", duration=3.0)]
    app, proceed = _app_reading_first_slice(tmp_path, records)
    async with app.run_test(size=(120, 36)) as pilot:
        panel = app.anomaly_panel
        await _until(pilot, lambda: panel.early and len(panel.rows) >= 2)
        await pilot.press("j")  # a scan's row: its detail waits DETAIL_DELAY
        assert app._detail_timer is not None and panel.current[1].span is None
        proceed.set()
        await _until(pilot, lambda: not app.loading and not panel.early)
        await _until(pilot, lambda: app._detail_timer is None)
        await pilot.pause(0.1)
        row = panel.current[1]
        assert row.span is not None and row.detail.startswith("stale-detail")
        assert app.detail.span is row.span and app._noted_row is None


async def test_a_big_logs_running_rows_wait_for_its_whole_file_scan(tmp_path, monkeypatch):
    """What the index of a big log has open while it is read is what runs
    where the reader has got to: on a 1M-line log the panel listed 150-162
    such rows for 6-14 s (46 ran at the end), its top row changing every
    few hundred ms, and `enter` showed a span timed out by then (QA). Until
    the whole-file scan answers, the panel lists its cancelled rows (final)
    and says it is finding what runs; then the scan's running rows."""
    monkeypatch.setattr("tracetui.app.app.worth_prescanning", lambda path: True)
    answer = _hold_back_prescans(monkeypatch)
    records = [c.inspect_record("enter", "LATE", "Model", "closes_late", start=NOW),
               c.inspect_record("enter", "C1", "Model", "cancelled_early", start=NOW),
               c.inspect_record("cancel", "C1", "Model", "cancelled_early", duration=3.0),
               c.inspect_record("enter", "HUNG", "Subprocess", "sleep 3600", start=NOW),
               *_quick_pairs(300),
               c.inspect_record("exit", "LATE", "Model", "closes_late", duration=1.0)]
    app, proceed = _app_reading_first_slice(tmp_path, records, make=lambda path: open_app(path, now=NOW + 3600))
    async with app.run_test(size=(120, 36)) as pilot:
        panel = app.anomaly_panel
        await _until(pilot, lambda: panel.rows, tries=100)
        run = app.store.runs["trace-1"]
        assert app.loading and {"LATE", "HUNG"} <= set(run.anomalies.running)  # the index's, so far
        assert [(b, r.detail) for b, r, _ in panel.rows] == [("cancelled", "cancelled_early")]
        assert str(panel.border_title).endswith("so far · finding what runs… · 1 cancelled")
        # A filter for what runs says it is still being found (QA: "no
        # anomalies match" for 3 s).
        app._apply_filter(panel, "status:running")
        assert "(still finding what runs at the log's end…)" in panel.empty_text()
        app._apply_filter(panel, "")
        # How long ago it ended is measured to its last record, read from
        # its end, not to the part read so far (QA: 4 h off), nor left out
        # until the scan answers (QA: `ended` with nothing after it).
        app.update_status()
        assert re.search(r" ended 59m5\ds ago ", app._status.render_line(0).text)
        answer.set()
        await _until(pilot, lambda: panel.early)
        await pilot.pause(0.1)
        assert app.loading and panel.early
        assert [(b, r.detail) for b, r, _ in panel.rows] == [
            ("running", "sleep 3600"), ("cancelled", "cancelled_early")]
        assert str(panel.border_title) == "anomalies · 1 running · 1 cancelled"
        app.update_status()
        assert re.search(r" ended 59m5\ds ago ", app._status.render_line(0).text)  # to the file's end
        proceed.set()
        await settle(pilot, app)
        assert [(b, r.detail) for b, r, _ in panel.rows] == [
            ("running", "sleep 3600"), ("cancelled", "cancelled_early")]


async def test_a_big_logs_cancelled_rows_come_as_its_scan_finds_them(tmp_path, monkeypatch):
    """The whole-file scan says which closed rows it has found as it goes
    (`fastscan.Interim`): the panel lists a cancel far beyond where the
    index has read, long before the scan's answer (on a 1M-line log the
    first anomaly rows came 0.7 s in, with the index's first cancel), and
    `enter` on it says the reader is not there yet."""
    from tracetui import fastscan, prescan

    monkeypatch.setattr("tracetui.app.app.worth_prescanning", lambda path: True)
    monkeypatch.setattr(fastscan, "BLOCK", 4096)
    import threading

    answer = threading.Event()

    class FoundAsItGoes(prescan.Prescan):
        """The scan in this process, each block's rows sent at once."""

        def wait(self, on_found=None):
            self.cancel()
            self._pipe.join()
            self._on_found = on_found
            interim = fastscan.Interim(lambda frame: self._add_found(*frame[1:]), every=0)
            result, _ = fastscan.scan(self.path, parallel=False, interim=interim)
            answer.wait(10)
            return result.anomalies(), result.last_record_time

    monkeypatch.setattr("tracetui.app.app.Prescan", FoundAsItGoes)
    records = [c.inspect_record("enter", "HUNG", "Subprocess", "sleep 3600", start=NOW),
               *_quick_pairs(300),
               c.inspect_record("enter", "C1", "Model", "cancelled_late", start=NOW + 5),
               c.inspect_record("cancel", "C1", "Model", "cancelled_late", duration=3.0),
               *_quick_pairs(300)]
    app, proceed = _app_reading_first_slice(tmp_path, records, make=lambda path: open_app(path, now=NOW + 3600))
    async with app.run_test(size=(120, 36)) as pilot:
        panel = app.anomaly_panel
        await _until(pilot, lambda: panel.rows, tries=150)
        run = app.store.runs["trace-1"]
        assert app.loading and not run.anomalies.cancelled  # the index has not got there
        assert [(b, r.detail, r.span) for b, r, _ in panel.rows] == [("cancelled", "cancelled_late", None)]
        assert str(panel.border_title).endswith("so far · finding what runs… · 1 cancelled")
        await pilot.press("enter")
        await pilot.pause(0.05)
        assert any("not indexed yet" in str(n.message) for n in app._notifications)
        answer.set()
        await _until(pilot, lambda: panel.early)
        assert [(b, r.detail) for b, r, _ in panel.rows] == [
            ("running", "sleep 3600"), ("cancelled", "cancelled_late")]
        proceed.set()
        await settle(pilot, app)
        assert [(b, r.detail) for b, r, _ in panel.rows] == [
            ("running", "sleep 3600"), ("cancelled", "cancelled_late")]
        assert all(r.span is not None for _, r, _ in panel.rows) and not app._interim


async def test_a_scan_behind_the_index_leaves_the_index_its_rows(tmp_path, monkeypatch):
    """A scan that gives way to a live eval may lag behind the index on a
    busy machine: what it found so far is then less than what the index
    has, and the panel keeps the index's rows."""
    monkeypatch.setattr("tracetui.app.app.worth_prescanning", lambda path: True)
    answer = _hold_back_prescans(monkeypatch)
    records = [c.inspect_record("enter", "C0", "Model", "cancelled_first", start=NOW),
               c.inspect_record("cancel", "C0", "Model", "cancelled_first", duration=1.0),
               *_quick_pairs(300)]
    app, proceed = _app_reading_first_slice(tmp_path, records, make=lambda path: open_app(path, now=NOW + 3600))
    async with app.run_test(size=(120, 36)) as pilot:
        panel = app.anomaly_panel
        await _until(pilot, lambda: panel.rows, tries=150)
        source = app.sources[0]
        assert 100 < source.follower.offset
        app._hear_interim(source, Anomalies(), 100)  # found nothing in its first 100 bytes
        await pilot.pause(0.05)
        assert app._interim and not panel.interim
        assert [(b, r.detail) for b, r, _ in panel.rows] == [("cancelled", "cancelled_first")]
        answer.set()
        proceed.set()
        await settle(pilot, app)


async def test_the_scans_rows_are_drawn_at_most_every_load_update(tmp_path, monkeypatch):
    """The scan says what it found a few times a second: it is drawn as the
    reader's news of a load is, at most once a LOAD_UPDATE_INTERVAL, the
    last of it too (each redraw shares the GIL with the reader)."""
    monkeypatch.setattr("tracetui.app.app.worth_prescanning", lambda path: True)
    monkeypatch.setattr("tracetui.app.app.LOAD_UPDATE_INTERVAL", 0.4)
    answer = _hold_back_prescans(monkeypatch)
    app, proceed = _app_reading_first_slice(tmp_path, _quick_pairs(300),
                                            make=lambda path: open_app(path, now=NOW + 3600))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause(0.5)  # the first frame's redraws done, the reader held
        source = app.sources[0]
        run_id = source.decoder.run_id
        applies = []
        apply = app.apply_changes

        def counted() -> None:
            applies.append(app.anomaly_panel.interim.get(run_id))
            apply()

        app.apply_changes = counted
        found = [Anomalies() for _ in range(5)]
        for anomalies in found:
            app._hear_interim(source, anomalies, 10**9)
            await pilot.pause(0.02)
        assert len(applies) == 1 and app.anomaly_panel.interim[run_id] is found[0]
        await pilot.pause(0.5)
        assert len(applies) == 2 and app.anomaly_panel.interim[run_id] is found[-1]
        answer.set()
        proceed.set()
        await settle(pilot, app)


def _big_log_with_cancels_first(tmp_path, monkeypatch, cancelled: int = 60):
    """A big log (prescanned) that begins with a hung `Subprocess` and
    `cancelled` cancelled actions, more than the panel shows, read by the
    app up to them (`_held_after_first_slice`), its scan held back: the
    app (its clock an hour on), the event that lets the scan answer and
    the one that lets the reader read on."""
    monkeypatch.setattr("tracetui.app.app.worth_prescanning", lambda path: True)
    answer = _hold_back_prescans(monkeypatch)
    records = [c.inspect_record("enter", "HUNG", "Subprocess", "sleep 3600", start=NOW)]
    for i in range(cancelled):
        records += [c.inspect_record("enter", f"C{i}", "Model", f"cancelled {i}", start=NOW + i),
                    c.inspect_record("cancel", f"C{i}", "Model", f"cancelled {i}", duration=3.0)]
    records += _quick_pairs(300)
    path = str(tmp_path / "trace-1.log")
    with open(path, "wb") as f:
        f.writelines(map(c.line, records))
    app = open_app(path, now=NOW + 3600)
    proceed = _held_after_first_slice(app.sources[0])
    app.sources[0].follower.read_size = 64 * 1024  # a first slice with every cancelled action
    assert len(b"".join(map(c.line, records[:1 + 2 * cancelled]))) < 64 * 1024 < os.path.getsize(path)
    return app, answer, proceed


async def _scrolled_by_the_wheel(pilot, panel, times: int = 3) -> None:
    """Turn the mouse wheel over `panel` (the pilot has no call for it)."""
    from textual import events

    for _ in range(times):
        await pilot._post_mouse_events([events.MouseScrollDown], panel, offset=(2, 2))


async def test_a_big_logs_running_rows_take_the_cursor_the_user_never_moved(tmp_path, monkeypatch):
    """While the scan runs, the panel's cursor is on its first row, a
    cancelled one nobody chose; the user may scroll the list meanwhile.
    When the scan's running rows (the hung actions) arrive above, the
    cursor goes to the top one and the view shows it (QA: it stayed on
    the cancelled row, the running rows above it out of view, only the
    title counting them)."""
    app, answer, proceed = _big_log_with_cancels_first(tmp_path, monkeypatch)
    async with app.run_test(size=(120, 36)) as pilot:
        panel = app.anomaly_panel
        await _until(pilot, lambda: panel.row_count() == 60, tries=100)
        assert panel.row_count() == 60 and app.loading and panel.scanning
        assert panel.cursor == 0 and panel.rows[0][0] == "cancelled"
        await _scrolled_by_the_wheel(pilot, panel)
        assert panel.scroll_offset.y > 0 and panel.cursor == 0
        answer.set()
        await _until(pilot, lambda: panel.early)
        await pilot.pause(0.1)
        assert panel.rows[0][0] == "running"
        assert panel.cursor == 0 and panel.current[1].detail == "sleep 3600"
        assert panel.scroll_offset.y == 0
        await _until(pilot, lambda: app.detail.noted or app.detail.span is not None)
        assert "sleep 3600" in rendered(app.detail)  # the detail is the row's
        proceed.set()
        await settle(pilot, app)


@pytest.mark.parametrize("far", [False, True])
async def test_a_big_logs_running_rows_leave_a_cursor_the_user_moved(tmp_path, monkeypatch, far):
    """A cursor the user moved while the scan ran stays on their row when
    the running rows arrive above it, and in view, with as many of them
    in view above it as fit. If none would be (its row far down), the
    cursor goes to the top, and says why (QA: under a title of 46 running,
    only cancelled rows were in view)."""
    app, answer, proceed = _big_log_with_cancels_first(tmp_path, monkeypatch)
    notes = []
    monkeypatch.setattr(AnomalyPanel, "notify", lambda self, text, **kw: notes.append(text))
    async with app.run_test(size=(120, 36)) as pilot:
        panel = app.anomaly_panel
        await _until(pilot, lambda: panel.row_count() == 60, tries=100)
        assert panel.row_count() == 60 and app.loading and panel.scanning
        app.focus_now(panel)
        await pilot.press(*(["G"] if far else ["j", "j"]))
        chosen = panel.current[1].detail
        assert panel.cursor == (59 if far else 2) and chosen.startswith("cancelled")
        answer.set()
        await _until(pilot, lambda: panel.early)
        await pilot.pause(0.1)
        assert panel.rows[0][0] == "running"
        top, height = panel.scroll_offset.y, panel.scrollable_content_region.height
        if far:
            assert panel.cursor == 0 == top and notes == [
                "the whole file read: 1 running, on top (the cursor is on the first)"]
        else:
            assert panel.cursor > 2 and panel.current[1].detail == chosen and not notes
            assert top <= panel.cursor < top + height
            assert top == max(0, panel.cursor - height + 1) and panel.rows[top][0] == "running", top
        proceed.set()
        await settle(pilot, app)


async def test_a_big_log_whose_scan_fails_lists_its_running_rows_so_far(tmp_path, monkeypatch):
    """Without a scan's answer, the index's rows are all there is: shown
    as soon as the scan fails, even while the reader has nothing new to
    say (it failed 0.3 s in, the reader held after its first slice)."""
    import time as time_module

    from tracetui import prescan

    monkeypatch.setattr("tracetui.app.app.worth_prescanning", lambda path: True)

    class FailingPrescan(prescan.Prescan):
        def wait(self, on_found=None):
            time_module.sleep(0.3)
            return None

    monkeypatch.setattr("tracetui.app.app.Prescan", FailingPrescan)
    app, proceed = _app_reading_first_slice(
        tmp_path, [c.inspect_record("enter", "HUNG", "Subprocess", "sleep 3600", start=NOW), *_quick_pairs(300)])
    async with app.run_test(size=(120, 36)) as pilot:
        panel = app.anomaly_panel
        await _until(pilot, lambda: panel.rows, tries=150)
        assert app.loading and ("running", "sleep 3600") in [(b, r.detail) for b, r, _ in panel.rows]
        assert str(panel.border_title).startswith("anomalies so far · ")
        assert "finding" not in str(panel.border_title)
        proceed.set()
        await settle(pilot, app)


async def test_big_logs_are_prescanned_one_at_a_time_newest_first(tmp_path, monkeypatch):
    """A directory of big logs starts one child process at a time, not one
    per log at once."""
    import threading

    from tracetui import prescan

    monkeypatch.setattr("tracetui.app.app.worth_prescanning", lambda path: True)
    active, most, scanned = [0], [0], []
    lock = threading.Lock()

    class CountingPrescan(prescan.Prescan):
        def __init__(self, path, message_filter=None, **options):
            with lock:
                active[0] += 1
                most[0] = max(most[0], active[0])
                scanned.append(os.path.basename(path))
            super().__init__(path, message_filter, **options)

        def wait(self, on_found=None):
            try:
                return super().wait(on_found)
            finally:
                with lock:
                    active[0] -= 1

    monkeypatch.setattr("tracetui.app.app.Prescan", CountingPrescan)
    for n in (1, 2, 3):
        with open(tmp_path / f"trace-{n}.log", "wb") as f:
            f.writelines(c.line(c.inspect_record("enter", f"T{n}-{i}", "Model", "d", start=NOW))
                         for i in range(200))
        os.utime(tmp_path / f"trace-{n}.log", (NOW - n, NOW - n))
    app = make_app(str(tmp_path))
    newest = app.sources[0]
    assert os.path.basename(newest.path) == "trace-1.log"
    proceeds = [_held_after_first_slice(source, slices=0) for source in app.sources]  # nothing read yet
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(250):
            await pilot.pause(0.02)
            if len(app.anomaly_panel.early) == 3:
                break
        assert set(app.anomaly_panel.early) == {"trace-1", "trace-2", "trace-3"}
        assert len(app.anomaly_panel.rows) == 600
        for proceed in proceeds:
            proceed.set()
        await settle(pilot, app)
        assert not app.anomaly_panel.early and len(app.anomaly_panel.rows) == 600
    assert most[0] == 1 and scanned == ["trace-1.log", "trace-2.log", "trace-3.log"]


async def test_follow_puts_the_cursor_on_the_newest_span(live_log, layout):
    path = live_log
    app = make_app(path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        tree.focus()
        await pilot.press("f")
        assert tree.follow
        with open(path, "ab") as f:
            f.write(c.line(c.inspect_record("enter", "NEWEST", "Tool Call", "newest_tool()", start=NOW + 60)))
        for _ in range(60):
            await pilot.pause(0.05)
            if tree.current is not None and tree.current.id == "NEWEST":
                break
        assert tree.current.id == "NEWEST"
        assert tree.cursor == max(range(tree.row_count()), key=lambda i: tree.rows[i][0].start or 0)


async def test_follow_shows_the_newest_span_with_its_parents(tmp_path, layout):
    """Following, a span new in a sample listed above the view was put on
    the pane's top line, its sample and task scrolled off (QA): the rows of
    its parents are shown above it."""
    path = tmp_path / "trace-9.log"
    records = []
    for n in range(1, 40):  # samples enough to scroll, each with an action done
        records += [_sample_records(n, "enter", f"a{n}", start=NOW - 100 + n),
                    _sample_records(n, "exit", f"a{n}", duration=0.5)]
    path.write_bytes(b"".join(map(c.line, records)))
    app = make_app(str(path))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        app.focus_now(tree)
        await pilot.press("asterisk", "G", "f")  # every sample open, at the bottom, following
        await pilot.pause(0.2)
        assert tree.follow and tree.scroll_offset.y > 10
        with open(path, "ab") as f:  # new in sample 2, near the top
            f.write(c.line(_sample_records(2, "enter", "newest", start=NOW)))
        await _until(pilot, lambda: tree.current is not None and tree.current.id == "newest")
        await pilot.pause(0.1)
        span = tree.current
        top = tree.scroll_offset.y
        assert top <= tree.index_of(span.parent) < tree.cursor  # its sample
        assert top <= tree.index_of(span.parent.parent)  # and its task


async def test_a_jump_to_an_anomaly_stops_following(live_log):
    """Following, `a` `enter` moved the cursor to the span, and the next
    batch carried it off to the newest rows (QA)."""
    app = make_app(live_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        tree.focus()
        await pilot.press("f", "a")
        row = app.anomaly_panel.current[1]
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert tree.current is row.span and not tree.follow
        with open(live_log, "ab") as f:
            f.write(c.line(c.inspect_record("enter", "NEWEST", "Tool Call", "newest_tool()", start=NOW + 60)))
        for _ in range(20):
            await pilot.pause(0.05)
            if "NEWEST" in tree.run.spans:
                break
        await pilot.pause(0.1)
        assert "NEWEST" in tree.run.spans and tree.current is row.span


async def test_the_shown_log_is_read_before_the_others(tmp_path, monkeypatch):
    """Opening a directory of big logs, the one the tree shows (the newest)
    is read ahead of the others, not in step with them."""
    monkeypatch.setattr("tracetui.app.app.SLICE_BYTES", 4096)
    monkeypatch.setattr("tracetui.app.app.worth_prescanning", lambda path: False)
    sizes = {"trace-1.log": 2000, "trace-2.log": 1200}  # the newest is the bigger
    for n, (name, count) in enumerate(sizes.items()):
        with open(tmp_path / name, "wb") as f:
            f.writelines(c.line(c.inspect_record("enter", f"{name}-{i}", "Model", "d", start=NOW - 100 * n + i,
                                                 message="m" * 200)) for i in range(count))
        os.utime(tmp_path / name, (NOW - 100 * n, NOW - 100 * n))
    app = make_app(str(tmp_path))
    newest, older = sorted(app.sources, key=lambda s: s.path)
    other_behind_when_newest_done = []
    poll = newest.poll

    def watched_poll(*args, **kwargs):
        changed = poll(*args, **kwargs)
        if not newest.behind and not other_behind_when_newest_done:
            other_behind_when_newest_done.append(older.behind)
        return changed

    newest.poll = watched_poll
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        assert app.tree.run.id == "trace-1"
    assert other_behind_when_newest_done == [True]


async def test_the_shown_log_loads_in_big_slices_and_is_followed_in_small_ones(tmp_path, monkeypatch):
    """While the app loads, the shown run's log is read one big slice a
    pass (its next read ahead meanwhile); once loaded, what is appended is
    read in small slices, which keep the store's lock short."""
    monkeypatch.setattr("tracetui.app.app.SLICE_BYTES", 4096)
    monkeypatch.setattr("tracetui.app.app.worth_prescanning", lambda path: False)
    path = tmp_path / "trace-1.log"
    with open(path, "wb") as f:
        f.writelines(c.line(c.inspect_record("enter", f"s{i}", "Model", "d", start=NOW + i, message="m" * 200))
                     for i in range(2000))
    app = make_app(str(path))
    (source,) = app.sources
    sizes: list[tuple[bool, int]] = []
    poll = source.follower.poll

    def watched_poll(*args, **kwargs):
        sizes.append((app.loading, source.follower.read_size))
        return poll(*args, **kwargs)

    source.follower.poll = watched_poll
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        with open(path, "ab") as f:
            f.writelines(c.line(c.inspect_record("enter", f"t{i}", "Model", "d", start=NOW + 3000 + i,
                                                 message="m" * 200)) for i in range(100))
        assert await wait_for(pilot, lambda: "t99" in app.tree.run.spans)
    loading = [size for load, size in sizes if load]
    # The first slice, for the first frame, is a small one.
    assert loading[0] == 4096 and set(loading[1:]) == {app_module.SHOWN_SLICES * 4096}
    assert len(loading) > 10
    assert {size for load, size in sizes if not load} == {4096}


async def test_closed_screens_are_let_go(demo_log, monkeypatch):
    """Textual's `StylesCache.get_inner_outer` lru_cache keeps every widget
    it styled, and each one's drawn lines (Textualize/textual#6665): the
    tick lets go of closed help and raw screens."""
    import gc

    from textual._styles_cache import StylesCache

    monkeypatch.setattr("tracetui.app.app.STYLES_CACHE_ENTRIES", 4)
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        widgets = len(list(app.screen.walk_children(with_self=True)))
        for _ in range(10):  # six widgets' styles each time
            await pilot.press("question_mark")
            await pilot.pause(0.01)
            await pilot.press("escape")
            await pilot.press("r")
            await pilot.pause(0.01)
            await pilot.press("escape")
        app.tick()
        await pilot.pause(0.05)
        gc.collect()
        alive = sum(1 for o in gc.get_objects() if type(o) is StylesCache)
        assert alive <= widgets + 4


def _rows_by_definition(tree, run) -> list:
    """The tree's rows as `is_open` defines them: a plain recursive walk."""
    rows = []

    def walk(spans, depth):
        for span in tree._ordered(spans):
            rows.append((span, depth))
            if span.children and tree.is_open(span):
                walk(span.children, depth + 1)

    walk(run.roots, 0)
    return rows


@pytest.mark.parametrize("path", [
    "sample_traces/inspect/hung.log", "sample_traces/inspect/demo.log",
    "sample_traces/inspect/mixed.log.gz", "tests/data/skulk/inspect/trace-2217.log.gz",
    "sample_traces/otel/otlp.jsonl", "sample_traces/native/spans.jsonl",
])
@pytest.mark.parametrize("index_lookups", [span_tree.INDEX_LOOKUPS, 0])
def test_the_layout_shows_exactly_the_open_nodes(path, index_lookups, monkeypatch):
    """The layout finds open nodes its own fast way (in an inferred run, by
    looking up running actions and what the user opened, not by testing
    every sibling, a few by a scan each and more in one pass); its rows
    must be those a walk by `is_open` gives, with nodes opened and closed
    by hand, in every sort order."""
    from tracetui.cli import load

    monkeypatch.setattr(span_tree, "INDEX_LOOKUPS", index_lookups)  # 0: every lookup in one pass

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    store, _ = load([os.path.join(root, path)])
    for run in store.runs.values():
        tree = span_tree.SpanTree()
        tree.run = run
        branches = [s for s in run.spans.values() if s.children]
        for sort_index in range(len(tree.SORTS)):
            tree.sort_index = sort_index
            for step in range(3):  # default, then some opened, then some closed too
                if step == 1:
                    for span in branches[::3]:
                        tree.set_open(span, True)
                if step == 2:
                    for span in branches[1::4]:
                        tree.set_open(span, False)
                rows = span_tree.Rows()
                tree._flatten(list(run.roots), 0, rows)
                assert list(rows) == _rows_by_definition(tree, run), (path, run.id, sort_index, step)


def test_open_nodes_found_in_one_pass_follow_a_growing_run_and_a_reordered_list(monkeypatch):
    """Children lists of an Inspect run only grow, and the layout finds the
    open ones among them in one pass each time (`indices_of`): as the run
    grows, as nodes are closed and opened by hand, and once a list is
    reordered in place, its rows are those a walk by `is_open` gives."""
    from tracetui.formats.inspect import InspectDecoder
    from tracetui.sources.files import FileFollower
    from tracetui.store import Store

    passes = []

    def counted(items, objs):
        passes.append(len(objs))
        return span_tree.indices_of.__wrapped__(items, objs)

    counted.__wrapped__ = span_tree.indices_of
    monkeypatch.setattr(span_tree, "indices_of", counted)
    monkeypatch.setattr(span_tree, "INDEX_LOOKUPS", 0)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "sample_traces/inspect/demo.log")
    lines = FileFollower(path).poll(final=True).lines
    decoder = InspectDecoder(Store(), path)
    tree = span_tree.SpanTree()
    tree.run = decoder.run
    for part in range(4):
        decoder.feed(lines[part * len(lines) // 4:(part + 1) * len(lines) // 4])
        rows = span_tree.Rows()
        tree._flatten(list(decoder.run.roots), 0, rows)
        assert list(rows) == _rows_by_definition(tree, decoder.run), part
    assert passes and max(passes) > 1  # the path under test was taken
    tree.rows = rows
    tree.sync_size = lambda repaint=True: None  # not mounted
    for span in [s for s, _ in rows if s.children]:  # closed and opened again, by hand
        for expand in (False, True):
            tree._toggle(tree.rows.index(span), expand=expand)
            assert list(tree.rows) == _rows_by_definition(tree, decoder.run), (span, expand)
    in_place = 0
    for parent in [s for s, _ in rows if s.children]:
        if type(parent.children) is list:
            parent.children.reverse()
            in_place += 1
        else:  # a few children, a tuple (`Span.add_child_compact`): replaced
            parent.children = parent.children[::-1]
    assert in_place, "a list was reordered in place"
    rows = span_tree.Rows()
    tree._flatten(list(decoder.run.roots), 0, rows)
    assert list(rows) == _rows_by_definition(tree, decoder.run)


async def test_a_big_tree_growing_in_small_batches_is_laid_out_after_a_pause(live_log, monkeypatch):
    """A live log growing every few ms must not have a big tree laid out
    after every batch (fast passes came back to back, 18 a second, and the
    tail's latency rose); a sort, the user's, is laid out at once."""
    monkeypatch.setattr(span_tree, "BACKGROUND_MIN_SPANS", 0)
    monkeypatch.setattr(span_tree, "RELAYOUT_GAP", 0.5)
    path = live_log
    app = make_app(path)
    passes = []
    original = span_tree.SpanTree._relayout_in_background
    monkeypatch.setattr(span_tree.SpanTree, "_relayout_in_background",
                        lambda self, handoff, version: (passes.append(time.monotonic()),
                                                        original(self, handoff, version)))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        await pilot.pause(0.4)
        passes.clear()
        started = time.monotonic()
        for i in range(60):  # a batch every 20 ms for 1.2 s
            tree.refresh_run()
            await pilot.pause(0.02)
        live = [t - started for t in passes]
        assert 2 <= len(live) <= 6, live  # one at once, then one per pause
        assert all(b - a >= 0.45 for a, b in zip(live, live[1:])), live
        tree.focus()
        await pilot.pause(0.5)
        tree.refresh_run()  # a live pass: the next live one waits RELAYOUT_GAP
        for _ in range(50):
            await pilot.pause(0.01)
            if not tree._relayout_busy:
                break
        passes.clear()
        asked = time.monotonic()
        await pilot.press("s")  # sort: the user's, at once
        await pilot.pause(0.05)
        assert passes and passes[0] - asked < 0.2


@pytest.mark.parametrize("depths", [[0], [0, 1, 2, 1, 0, 1], [0, 1, 1, 1], [0, 1, 2, 3, 2, 1, 2, 0, 0],
                                    [0, *range(1, 40), 5, 0], [3, 4, 5, 4, 3, 2, 9]])
def test_a_rows_subtree_ends_at_the_next_row_as_shallow(depths):
    for index in range(len(depths)):
        end = index + 1
        while end < len(depths) and depths[end] > depths[index]:
            end += 1
        assert span_tree.subtree_end(depths, index) == end, (depths, index)


async def test_the_gil_switch_interval_and_gc_threshold_are_the_apps_while_it_runs_and_put_back_after(demo_log):
    """The app shortens the switch interval so its UI thread gets the GIL
    back promptly from the reader and layout threads, and collects the
    young generation less often; a process that goes on must get its own
    settings back."""
    import gc
    import sys

    before = sys.getswitchinterval()
    thresholds = gc.get_threshold()
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)):
        assert sys.getswitchinterval() == pytest.approx(GIL_SWITCH_INTERVAL)
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *thresholds[1:])
    assert sys.getswitchinterval() == pytest.approx(before)
    assert gc.get_threshold() == thresholds


async def test_reveal_from_the_rows_the_layout_noted_lands_on_the_span(demo_log):
    """The jump starts its search at the row the layout noted for an open
    top-level node (kept right through splices) plus the span's place among
    its siblings; it must land on the span, with the rows a full layout
    gives, whatever was opened or closed before."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        spans = [s for s in tree.run.spans.values() if s.parent is not None]
        branches = [s for s in tree.run.spans.values() if s.children]
        assert any(tree.is_open(s) and s.parent is None for s in branches)
        for i, span in enumerate(spans):
            if i % 3 == 0:  # close one that is open: rows after it move up
                row = next((r for r, (s, _) in enumerate(tree.rows) if s.children and tree.is_open(s)), None)
                if row is not None:
                    tree._toggle(row, expand=False)
            for node, row in tree.rows.anchors.items():
                assert tree.rows.spans[row] is node
            full_layouts = []
            tree._rebuild = lambda: full_layouts.append(1)  # type: ignore[method-assign]
            tree.reveal(span)
            del tree._rebuild
            assert not full_layouts  # found where it was looked for
            assert tree.current is span
            spliced = list(tree.rows)
            tree._rebuild()
            assert spliced == list(tree.rows)


def _held_clock(widget: LineList) -> list[float]:
    """The widget's `now`, held at one instant the test moves on by hand."""
    clock = [time.time()]
    widget.now = lambda: clock[0]
    return clock


def _changes(widget: LineList, draw, index: int, width: int, change) -> tuple[bool, bool]:
    """Whether `change` (which may return a new width) changed row `index`'s
    signature, and whether it changed the row as `draw` makes it."""
    before = widget.row_signature(index, width), draw(index, width)
    width = change() or width
    after = widget.row_signature(index, width), draw(index, width)
    return before[0] != after[0], before[1] != after[1]


async def test_an_anomaly_rows_signature_changes_whenever_its_text_would(demo_log):
    """The panel compares a row's signature, not its text, to tell whether
    to draw it again: whatever changes the text must change the signature."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        clock = _held_clock(panel)
        assert panel.row_count()

        for index in range(panel.row_count()):
            _, row, _ = panel.rows[index]
            steps = [lambda: clock.__setitem__(0, clock[0] + 0.4), lambda: clock.__setitem__(0, clock[0] + 1),
                     lambda: clock.__setitem__(0, clock[0] + 3600), lambda: 60,
                     lambda: setattr(row, "detail", row.detail + " more"),
                     lambda: setattr(row, "error", "boom"), lambda: setattr(row, "action", "Other")]
            for step in steps:
                signature_changed, text_changed = _changes(panel, panel.render_row, index, panel.size.width, step)
                assert signature_changed or not text_changed, (index, step)


async def test_a_tree_rows_signature_changes_whenever_its_segments_would(demo_log):
    """The tree, like the panel, compares a row's signature, not the row
    built, to tell whether to draw it again (a live tail's batch compares
    every row on screen): whatever changes the row must change it."""
    from tracetui.model import OK, Span

    app = make_app(demo_log)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        clock = _held_clock(tree)
        await pilot.press("tab", "*")  # every node open: rows of every depth
        await pilot.pause()
        assert tree.row_count() > 20

        def adopt(span):
            child = Span(span.id + "/child", span.run, "child", "Tool", start=span.start)
            span.add_child(child)

        changed_rows = 0
        for index in range(min(tree.row_count(), 60)):
            span = tree.rows.spans[index]
            steps = [lambda: clock.__setitem__(0, clock[0] + 0.4), lambda: clock.__setitem__(0, clock[0] + 1),
                     lambda: clock.__setitem__(0, clock[0] + 3600), lambda: 59, lambda: 60, lambda: 200,
                     lambda: setattr(span, "name", span.name + " more"),
                     lambda: setattr(span, "detail", span.detail + " more"),
                     lambda: setattr(span, "orphan", "parent-id"),
                     lambda: setattr(span, "duration", (span.duration or 0) + 7.5),
                     lambda: setattr(span, "status", OK),
                     lambda: setattr(span, "start", (span.start or clock[0]) - 60),
                     lambda: span.run.see_time(clock[0] + 7200),
                     lambda: adopt(span),
                     lambda: setattr(tree, "_query", "x"), lambda: setattr(tree, "_query", "")]
            for step in steps:
                signature_changed, row_changed = _changes(tree, tree.row_segments, index, tree.size.width, step)
                assert signature_changed or not row_changed, (index, step)
                changed_rows += row_changed
        assert changed_rows  # the steps changed rows: the check checked something


def test_a_spans_bar_is_never_empty_not_even_at_its_runs_very_end():
    """A span whose start is in its run's range draws at least an eighth of
    a cell: an action begun at the last instant the run has seen (a live
    tail's newest) drew no bar at all, its first eighth past the last cell."""
    waterfall = span_tree.waterfall
    assert waterfall(10.0, None, 0.0, 10.0, 16) == " " * 15 + "▕"
    assert waterfall(10.0, 10.0, 0.0, 10.0, 16) == " " * 15 + "▕"
    assert waterfall(0.0, 0.0, 0.0, 10.0, 16) == "▏" + " " * 15
    assert waterfall(0.0, 10.0, 0.0, 10.0, 16) == "█" * 16
    assert waterfall(5.0, 10.0, 0.0, 10.0, 16) == " " * 8 + "█" * 8
    for start in (0.0, 3.3, 9.99, 10.0):
        bar = waterfall(start, None, 0.0, 10.0, 16)
        assert len(bar) == 16 and bar.strip()


def _cells(strip: Strip) -> list[tuple[str, Style]]:
    """A strip as (character, style) pairs: how it looks, whatever its
    segments."""
    return [(ch, segment.style or Style()) for segment in strip for ch in segment.text]


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.tuples(st.text(alphabet="ab界 …\u0301", max_size=8),
                                st.sampled_from(["", "bold", "dim", "italic dim", "bold yellow"])),
                      max_size=5),
       width=st.integers(1, 30))
def test_fit_cuts_segments_where_text_truncate_cuts_text(parts, width):
    """The span tree draws its rows from segments (`row_segments`), cut by
    `fit`; it must look exactly as the `Text` it replaced, cut by
    `Text.truncate`: wide characters, zero-width marks, the ellipsis's style."""
    styled = [(text, Style.parse(style) if style else Style()) for text, style in parts]
    reference = Text.assemble(*styled, no_wrap=True)
    reference.truncate(width, overflow="ellipsis")
    expected = Strip(list(reference.render(Console(width=200))))
    got = Strip(fit([Segment(text, style) for text, style in styled], width))
    assert _cells(got) == _cells(expected)


@pytest.mark.parametrize("text, width, shown", [
    ("sleep 3600", 9, "sleep …  "), ("sleeper(seconds=3600)", 20, "sleeper(seconds=…   "),
    ("sleep 3600 and more", 11, "sleep 3600…"), ("generate (openai/gpt-4.1-mini)", 22, "generate (openai/gpt-…"),
    ("36000000000000000000", 8, "3600000…"), ("took 1.25s", 9, "took …   "), ("gpt-4.1-mini", 7, "gpt-4.…")])
def test_a_row_is_never_cut_in_the_middle_of_a_number(text, width, shown):
    """`sleep 36…` read as a 36 s sleep where the command was `sleep 3600`
    (QA, the tree at 80x24). The number goes whole, the row keeps its width;
    a row that is all number is cut where it must be."""
    assert "".join(segment.text for segment in fit([Segment(text)], width)) == shown
    # and the CLI's columns and clipped cells alike
    from tracetui.text import clip, column

    assert column(text, width) == shown and clip(text, width) == shown.rstrip(" ")


async def test_tree_rows_drawn_from_segments_look_as_their_text_does(tmp_path):
    """Hostile names (wide, long, escapes) at every width a pane can have:
    the tree's drawn lines equal its rows' `Text` rendered and cut the
    generic way (`render_row`, then `Text.truncate`)."""
    records = [c.inspect_record("enter", f"a{i}", action, detail, start=c.T0 + i, task="t界", sample_id=1, epoch=1)
               for i, (action, detail) in enumerate([
                   ("Tool Call", "界" * 40), ("Model", "x" * 300), ("Subprocess", "\x1b[31mred\x07"),
                   ("Tool Call", ""), ("Model", "e\u0301" * 50)])]
    path = c.write(str(tmp_path), "trace-5.log", b"".join(map(c.line, records)))
    app = make_app(path)
    for width in (24, 41, 60, 77, 133):
        async with app.run_test(size=(width * 2 + 4, 30)) as pilot:
            await settle(pilot, app)
            tree = app.tree
            tree.action_expand_all()
            await pilot.pause()
            w = tree.size.width
            for y in range(min(tree.row_count(), tree.size.height)):
                text = tree.render_row(tree.scroll_offset.y + y, w)
                text.truncate(w, overflow="ellipsis")
                expected = Strip(list(text.render(app.console)), text.cell_len).adjust_cell_length(w)
                line = tree.render_line(y)
                if tree.scroll_offset.y + y == tree.cursor:
                    continue  # the cursor row carries the cursor's background too
                assert _cells(line) == _cells(expected), (w, y)
        app = make_app(path)


async def test_after_every_toggle_the_screen_shows_what_a_full_repaint_would(demo_log):
    """Opening or closing a node repaints the rows from it down without
    comparing them first: the lines above must still be right, and so must
    every line when the view scrolls (closing a node near the end)."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        app.focus_now(tree)
        tree.action_expand_all()
        await pilot.pause()

        def on_screen() -> list[list[tuple[str, Style]]]:
            # What the compositor gets: lines not marked for repaint come
            # from the styles cache as they were last drawn.
            return [_cells(strip) for strip in tree.render_lines(Region(0, 0, *tree.outer_size))]

        def repainted() -> list[list[tuple[str, Style]]]:
            tree.refresh()
            return on_screen()

        for target in (3, tree.row_count() // 2, tree.row_count() - 4, 1, tree.row_count() - 2):
            for _ in range(2):
                index = min(target, tree.row_count() - 1)
                while index > 0 and not tree.rows[index][0].children:
                    index -= 1
                tree.move_to(index)
                await pilot.pause()
                await pilot.press("space")
                await pilot.pause()
                assert on_screen() == repainted(), (target, tree.scroll_offset.y)
        # Scrolled to the end, close an open node on screen: the list
        # shrinks under the view, which scrolls back.
        tree.move_to(tree.row_count() - 1)
        await pilot.pause()
        top = tree.scroll_offset.y
        index = next(i for i in range(top, tree.row_count())
                     if tree.rows[i][0].children and tree.is_open(tree.rows[i][0]))
        tree.move_to(index)
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()
        assert tree.scroll_offset.y < top
        assert on_screen() == repainted()


def _gen_inspect(path, lines: int, seed: int, start: float) -> None:
    """A realistic Inspect log from the bench generator (the same records,
    keys and escaping Inspect writes)."""
    import subprocess
    import sys

    gen = os.path.join(os.path.dirname(__file__), "..", "bench", "gen_inspect.py")
    subprocess.run([sys.executable, gen, str(path), "--lines", str(lines), "--seed", str(seed),
                    "--open", "5", "--start", str(start), "-q"], check=True)


async def until_scanned(pilot, app: TraceApp, *run_ids: str) -> None:
    """Wait until the prescan has answered for every one of `run_ids`."""
    for _ in range(250):
        if set(run_ids) <= app.anomaly_panel.early.keys():
            return
        await pilot.pause(0.02)


def _hold_every_archive(monkeypatch, slice_bytes: int | None = 64 * 1024) -> None:
    """Hold every gzipped archive beside a directory's newest file, however
    small, on any machine; read in small slices (a first slice is a part)."""
    monkeypatch.setattr("tracetui.app.app.HOLD_MIN_BYTES", 0)
    monkeypatch.setattr("tracetui.app.app.usable_cpus", lambda: 2)
    if slice_bytes is not None:
        monkeypatch.setattr("tracetui.app.app.SLICE_BYTES", slice_bytes)


def _cli_runs(path: str, capsys) -> dict:
    from tracetui.cli import main

    capsys.readouterr()
    assert main(["runs", path, "--json"]) == 0
    return {run["id"]: run for run in json.loads(capsys.readouterr().out)}


async def test_big_archives_in_a_directory_are_read_when_their_run_is_asked_for(tmp_path, monkeypatch,
                                                                                capsys):
    """Opening a trace directory reads its newest log. The big gzipped
    archives beside it show their runs and their whole anomalies (from the
    prescan), but are read past their first slice only when their run is
    asked for: enter on the run, or the cursor resting on it. Moving past
    one reads nothing."""
    _hold_every_archive(monkeypatch)
    # Resting means longer than keys pressed in a row take on a loaded machine.
    monkeypatch.setattr("tracetui.app.app.HOLD_RELEASE_DELAY", 1.5)
    archives = {}
    for n, seed in ((2, 5), (3, 6)):
        path = str(tmp_path / f"trace-{n}.log.gz")
        _gen_inspect(path, 6000, seed, start=NOW - 100_000 * n)
        os.utime(path, (NOW - 1000 * n, NOW - 1000 * n))
        archives[f"trace-{n}"] = path
    write_demo_trace(str(tmp_path / "trace-1.log"))
    expected = {run_id: cli_anomalies(path, capsys) for run_id, path in archives.items()}
    cli_runs = {run_id: _cli_runs(path, capsys)[run_id] for run_id, path in archives.items()}
    spans = {run_id: run["spans"] for run_id, run in cli_runs.items()}
    answer = _hold_back_prescans(monkeypatch)
    app = make_app(str(tmp_path))
    held = {_run_id: source for source in app.sources
            if (_run_id := source.decoder.run_id) in archives}
    assert set(app._held) == set(held.values())
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        # Before its prescan answers, what the first slice of an archive
        # holds in flight is not listed as running.
        assert app.store.runs["trace-2"].anomalies.running
        assert {run.id for _, _, run in panel.rows} == {"trace-1"}
        assert "so far" in str(panel.border_title)
        assert app.run_list.render_row(1, 100).plain.startswith("  … trace-2")
        answer.set()
        for _ in range(250):
            await pilot.pause(0.02)
            if set(panel.early) == set(archives):
                break
        await pilot.press("e")
        await pilot.pause(0.1)
        assert set(panel.early) == set(archives) and not panel.provisional
        for run_id, source in held.items():
            assert source.behind and 0 < source.records < 6000  # its first slice only
            # Its ages run to the file's end, not to its first slice's.
            run = app.store.runs[run_id]
            assert panel.as_of(run) == pytest.approx(cli_runs[run_id]["end_time"], abs=0.01)
            for bucket in ("running", "cancelled", "errors", "timeouts"):
                shown = [row.to_json(NOW) for b, row, run in panel.rows if b == bucket and run.id == run_id]
                want = expected[run_id][bucket]
                assert sorted(map(json.dumps, shown)) == sorted(map(json.dumps, want)), (run_id, bucket)
        runs = app.run_list
        assert [r.id for r in runs.runs] == ["trace-1", "trace-2", "trace-3"]
        assert "unread" in runs.render_row(1, 100).plain and "unread" not in runs.render_row(0, 100).plain
        for index, run_id in ((1, "trace-2"), (2, "trace-3")):  # the whole file's failures
            failed = len(expected[run_id]["errors"]) + len(expected[run_id]["timeouts"])
            assert runs.render_row(index, 100).plain.endswith(f" {failed}✗"), run_id
        assert "2 archives unread" in app._status.render_line(0).text

        # The cursor passing over a held run reads nothing.
        app.focus_now(runs)
        await pilot.press("j", "j", "k", "k")
        await pilot.pause(0.6)
        assert runs.current.id == "trace-1" and set(app._held) == set(held.values())

        # Enter on a held run reads it to its end; the other stays held.
        await pilot.press("j", "enter")
        assert app.focused is app.tree and app.tree.run.id == "trace-2"
        await settle(pilot, app)
        assert not held["trace-2"].behind and held["trace-3"].behind
        assert app.store.runs["trace-2"].span_count() == spans["trace-2"]
        assert "trace-2" not in panel.early and "trace-3" in panel.early
        assert "unread" not in runs.render_row(1, 100).plain
        assert "1 archive unread" in app._status.render_line(0).text

        # The cursor resting on one reads it too.
        app.focus_now(runs)
        await pilot.press("j")
        for _ in range(100):
            await pilot.pause(0.05)
            # `loading` ends on the reader's side; the panel lets go of
            # the scan's rows at the next update it draws.
            if not app._held and not app.loading and not panel.early:
                break
        assert not app._held and not held["trace-3"].behind
        assert app.store.runs["trace-3"].span_count() == spans["trace-3"]
        assert not panel.early
        for run_id in archives:  # the index's rows, now with their spans
            for bucket in ("running", "cancelled", "errors", "timeouts"):
                shown = [row for b, row, run in panel.rows if b == bucket and run.id == run_id]
                assert sorted(json.dumps(r.to_json(NOW)) for r in shown) == sorted(
                    map(json.dumps, expected[run_id][bucket])), (run_id, bucket)
                assert all(r.span is not None for r in shown)
        assert "unread" not in app._status.render_line(0).text


async def test_a_directory_opens_on_its_newest_files_run(tmp_path):
    """The tree first shows the run of the directory's newest file (the log
    being written), even when an older file's run started later."""
    # trace-1 is written on after trace-2 (the panel lists the eval written
    # last first: `test_a_killed_evals_old_log_is_listed_after_…`)
    for name, start, step, mtime in (("trace-1.log", NOW - 50, 12, NOW), ("trace-2.log", NOW - 10, 1, NOW - 600)):
        with open(tmp_path / name, "wb") as f:
            f.writelines(c.line(c.inspect_record("enter", f"{name}-{i}", "Model", "d", start=start + step * i))
                         for i in range(5))
        os.utime(tmp_path / name, (mtime, mtime))
    app = make_app(str(tmp_path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        assert [r.id for r in app.run_list.runs] == ["trace-2", "trace-1"]  # by start
        assert app.tree.run.id == "trace-1" and app.run_list.current.id == "trace-1"


async def test_the_tree_shows_the_run_of_the_anomaly_the_detail_shows(tmp_path):
    """A directory whose newest file is a clean run beside an older hung
    one: the panel's top row and the detail were the hung run's while the
    run list and the tree showed the clean one (QA). They follow the panel's
    row, at the start and as its cursor moves."""
    # The hung run's last record is the later one (the panel lists the eval
    # written last first), its file the older one.
    for name, mtime, closed, start in (("trace-1.log", NOW - 600, False, NOW - 800),
                                       ("trace-2.log", NOW, True, NOW - 900)):
        with open(tmp_path / name, "wb") as f:
            f.write(c.line(c.inspect_record("enter", f"{name}-a", "Model", "d", start=start)))
            if closed:
                f.write(c.line(c.inspect_record("exit", f"{name}-a", "Model", "d", duration=1.0)))
                f.write(c.line(c.inspect_record("cancel", f"{name}-b", "Tool Call", "d", duration=2.0)))
        os.utime(tmp_path / name, (mtime, mtime))
    app = make_app(str(tmp_path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.pause(0.3)
        panel = app.anomaly_panel
        assert app.focused is panel and panel.current[2].id == "trace-1"
        assert app.detail.span.run.id == "trace-1"
        assert app.tree.run.id == "trace-1" and app.run_list.current.id == "trace-1"
        await pilot.press("j")
        await pilot.pause(0.3)
        assert panel.current[2].id == "trace-2" and app.detail.span.run.id == "trace-2"
        assert app.tree.run.id == "trace-2" and app.run_list.current.id == "trace-2"
        # A filter set on the run list stays: only the tree follows.
        app.focus_now(app.run_list)
        await pilot.press("slash", *"trace-2", "enter")
        await pilot.pause(0.2)
        app.focus_now(panel)
        await pilot.press("k")
        await pilot.pause(0.3)
        assert app.tree.run.id == "trace-1" and [r.id for r in app.run_list.runs] == ["trace-2"]


def _a_log_beside_a_held_archive(tmp_path, monkeypatch) -> TraceApp:
    """The app on a directory: the demo's log (`trace-1`) and a held
    4,000-line archive (`trace-2`)."""
    _hold_every_archive(monkeypatch)
    archive = tmp_path / "trace-2.log.gz"
    _gen_inspect(archive, 4000, 8, start=NOW - 100_000)
    os.utime(archive, (NOW - 1000, NOW - 1000))
    write_demo_trace(str(tmp_path / "trace-1.log"))
    return make_app(str(tmp_path))


async def test_enter_on_an_anomaly_of_a_held_archive_reads_it(tmp_path, monkeypatch):
    """An anomaly row of a held archive has no span yet: enter on it reads
    the archive and, once it is read, reveals the span."""
    app = _a_log_beside_a_held_archive(tmp_path, monkeypatch)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        await until_scanned(pilot, app, "trace-2")
        index = next(i for i, (bucket, row, run) in enumerate(panel.rows)
                     if run.id == "trace-2" and bucket == "running" and row.span is None)
        trace_id = next(tid for tid, row in panel.early["trace-2"].running.items()
                        if row is panel.rows[index][1])
        app.focus_now(panel)
        panel.cursor = index
        await pilot.press("enter")
        assert not app._held
        await _until(pilot, lambda: app.focused is app.tree)
        assert app.focused is app.tree and app.tree.current.id == trace_id


async def test_a_held_archives_tree_shows_nothing_until_it_is_read(tmp_path, monkeypatch):
    """QA: the tree moved by itself to a held archive's run (the panel's top
    row is of it) and showed its first slice: what was in flight there, as
    running for hours, where the whole file closes it. Until the archive is
    read the tree says so, and shows its spans once it is."""
    app = _a_log_beside_a_held_archive(tmp_path, monkeypatch)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        run = app.store.runs["trace-2"]
        assert run.spans  # its first slice is read
        with app.store.lock:
            tree.show_run(run)
        await pilot.pause(0.1)
        assert tree.row_count() == 0 and "not read yet" in tree.empty_text()
        app.read_held(app._held_source(run))
        # While it is read, it says so (QA: `not read yet` at `loading 0%`).
        assert tree.empty_text() == "reading…"
        await _until(pilot, lambda: not app.loading and tree.row_count() > 0)
        assert tree.run is run and tree.row_count() > 0


async def test_the_panels_kept_rows_are_the_rows_it_would_sort_afresh(live_log):
    """The panel keeps each closed bucket's sorted rows until a run's
    bucket is written to. Following a log that opens and closes actions,
    fails some, closes one trace id twice with the same event (its row
    replaced in place) and with another, and with a filter typed and
    cleared, the rows are always the ones sorted from scratch."""
    app = make_app(live_log)
    steps = [
        [c.inspect_record("enter", "E1", "Model", "fails", start=NOW), *_quick_pairs(3),
         c.inspect_record("error", "E1", "Model", "fails", duration=1.0, error="boom")],
        _quick_pairs(5),  # nothing closed with a failure: the kept rows serve
        [c.inspect_record("enter", "E1", "Model", "fails again", start=NOW + 5),
         c.inspect_record("error", "E1", "Model", "fails again", duration=2.0, error="bang")],
        [c.inspect_record("enter", "E1", "Model", "times out", start=NOW + 9),
         c.inspect_record("timeout", "E1", "Model", "times out", duration=3.0)],
        [c.inspect_record("enter", "C1", "Tool Call", "cancelled", start=NOW - 7),
         c.inspect_record("cancel", "C1", "Tool Call", "cancelled", duration=0.5)],
    ]

    def afresh() -> list:
        panel = app.anomaly_panel
        kept = panel.rows
        panel._closed_parts.clear()
        with app.store.lock:
            panel.set_runs(app._panel_runs(app.store.runs.values()))
        fresh = panel.rows
        assert [(b, id(r), run.id) for b, r, run in kept] == [(b, id(r), run.id) for b, r, run in fresh]
        return fresh

    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("e")
        panel = app.anomaly_panel
        for n, records in enumerate(steps):
            with open(live_log, "ab") as f:
                f.writelines(map(c.line, records))
            for _ in range(100):
                await pilot.pause(0.02)
                if any(s.records and not s.behind for s in app.sources) and \
                        app.sources[0].records == sum(1 for _ in open(live_log, "rb")):
                    break
            await pilot.pause(0.05)
            rows = afresh()
            details = [(b, r.detail) for b, r, run in rows if r.span is not None and r.span.id in ("E1", "C1")]
            if n == 0:
                assert details == [("errors", "fails")]
            if n == 2:
                assert details == [("errors", "fails again")]
            if n == 3:
                assert sorted(details) == [("errors", "fails again"), ("timeouts", "times out")]
        app.focus_now(panel)
        await pilot.press("slash", *"again")
        await pilot.pause(0.1)
        assert [r.detail for _, r, _ in panel.rows] == ["fails again"]
        afresh()
        await pilot.press("escape")
        await pilot.press("slash", "ctrl+u")
        await pilot.pause(0.1)
        afresh()
        assert any(r.detail == "cancelled" for _, r, _ in panel.rows)


@pytest.mark.parametrize("text, expected", [
    ("status:error", {("errors", "Tool Call")}),
    ("status:running kind:Subprocess", {("running", "Subprocess")}),
    ("kind:Subprocess", {("running", "Subprocess")}),
    ("status:cancelled", set()),
    ("purpose", {("errors", "Tool Call")}),  # the error message the row shows
    ("sample:2 status:error", {("errors", "Tool Call")}),
])
async def test_anomaly_filter_fields_and_words(text, expected):
    """`/` in the anomaly panel: `field:value` terms narrow the rows (they
    were ignored there once), and words match the error each row shows."""
    app = make_app(HUNG)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("e", "a", "slash", *text)
        await pilot.pause(0.1)
        rows = app.anomaly_panel.rows
        assert {(b, r.action) for b, r, _ in rows} == expected
        assert len(rows) < 12 or not expected


async def test_the_detail_follows_the_anomaly_filter_as_it_is_typed():
    """Typing a filter into the anomaly panel: the detail shows the row the
    cursor is on now, not the one the filter hid (QA: 433 cancelled rows
    listed beside the detail of a running Model call until enter), and
    nothing once nothing matches."""
    app = make_app(HUNG)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("e", "a")
        await _until(pilot, lambda: app.anomaly_panel.current is not None
                     and app.detail.span is app.anomaly_panel.current[1].span)
        first = app.anomaly_panel.current
        assert first[0] == "running" and app.detail.span is first[1].span
        await pilot.press("slash", *"status:error")
        await _until(pilot, lambda: app.detail.span is not first[1].span)
        shown = app.anomaly_panel.current
        assert shown[0] == "errors" and app.detail.span is shown[1].span
        assert isinstance(app.focused, Input)  # still typing
        await pilot.press(*" zzz-nothing")
        await _until(pilot, lambda: app.detail.span is None)
        assert app.anomaly_panel.current is None
        # Nor does the next tick bring the tree's running span back there
        # (QA: a Run Task, beside "no anomalies match the filter").
        assert app.tree.current is not None and app.tree.current.status == "running"
        app.tick()
        await pilot.pause(0.1)
        assert app.detail.span is None


def test_a_prescanned_anomaly_matches_by_its_bucket_and_action_only():
    """Before the index has its span, a row can answer `status` (its
    bucket), `kind` and `name` (its action), and words in its text."""
    from tracetui.query import parse

    def matches(text: str) -> bool:
        return parse(text).matches_anomaly("error", "Tool Call", "bash(cmd='fail')", "boom", None)

    assert matches("status:error") and matches("kind:tool") and matches("boom fail")
    assert not matches("status:running") and not matches("kind:model") and not matches("sample:2")


def test_the_detail_pane_folds_long_values_it_cannot_wrap():
    """A path, URL or id with no space in it is shown whole, folded over
    lines, never cut with an ellipsis (SPEC: huge strings shown whole)."""
    import io

    from rich.console import Console

    from tracetui.app.detail import span_sections
    from tracetui.model import Run, Span

    path = "/data/logs/" + "x" * 150 + "/2026-11-23T07-33-34-00-00_triage_Y2UHeHnnu2zLojm2Unbpe8.eval"
    run = Run("trace-1", "/very/long/" + "d" * 80 + "/trace-1.log", "inspect")
    span = Span("BczQwsULx2F4ggNVhk7mLp", run, "Log Write", "Log Write", NOW)
    span.detail = path
    console = Console(file=io.StringIO(), width=40, color_system=None)
    for _, renderable in span_sections(span, NOW):
        console.print(renderable)
    text = console.file.getvalue()
    assert "…" not in text
    joined = "".join(line.strip() for line in text.splitlines())
    assert path in joined.replace("detail", "") and span.id in joined and run.source in joined


async def _filter_the_tree(pilot, app: TraceApp, text: str):
    """Once loaded, focus the tree and keep `text` as its filter (enter);
    returns the tree and how many rows it had unfiltered."""
    await settle(pilot, app)
    tree = app.tree
    app.focus_now(tree)
    everything = len(tree.rows)
    await pilot.press("slash", *text, "enter")
    return tree, everything


async def test_esc_drops_a_filter_and_enter_keeps_it(demo_log):
    """In the box, enter keeps the filter and esc drops it; on a list whose
    filter is kept, esc drops it too."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        tree, everything = await _filter_the_tree(pilot, app, "status:error")
        await pilot.pause(0.1)
        kept = len(tree.rows)
        assert app.focused is tree and kept < everything and tree.border_subtitle
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert len(tree.rows) == everything and not tree.border_subtitle
        await pilot.press("slash", *"status:error")
        await pilot.pause(0.1)
        assert len(tree.rows) == kept
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert app.focused is tree and len(tree.rows) == everything and not tree.border_subtitle
        await pilot.press("slash")  # the box opens empty again
        assert app.query_one("#filter").value == ""


async def test_every_key_is_in_the_command_palette(demo_log):
    """The README says so; QA found only Textual's own commands there."""
    from textual.command import CommandPalette

    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for wanted in ("Filter", "anomaly panel", "Errors and timeouts", "Follow", "Sort", "Raw record",
                       "Copy", "Export", "Help", "Expand the whole subtree", "Next pane", "Previous pane",
                       "Expand or collapse", "Top of the list", "Bottom of the list", "Quit"):
            assert any(wanted in title for title in titles), wanted
        tree = app.tree
        assert tree.sort_index == 0
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"sort the spans")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, CommandPalette) and tree.sort_index == 1


async def test_help_scrolls_with_j_and_k(demo_log):
    app = make_app(demo_log)
    async with app.run_test(size=(80, 20)) as pilot:
        await settle(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause(0.1)
        body = app.screen.query_one("#help-body")
        assert body.max_scroll_y > 0
        await pilot.press("j", "j")
        await pilot.pause(0.1)
        assert body.scroll_y == 2
        await pilot.press("k")
        await pilot.pause(0.1)
        assert body.scroll_y == 1
        await pilot.press("G")
        await pilot.pause(0.1)
        assert body.scroll_y == body.max_scroll_y


async def test_narrow_panes_keep_what_matters(tmp_path, monkeypatch):
    """At 80 columns: a held archive's row says `unread` (where its
    duration goes), the status line keeps its state and counts however
    long the file names, and the empty anomaly panel's hint to press `e`
    is on a line of its own."""
    _hold_every_archive(monkeypatch, slice_bytes=None)
    long_name = "trace_e66b24b6-4bab-41ba-9393-224a4384aa43-" + "x" * 40 + ".log"
    with open(tmp_path / long_name, "wb") as f:
        f.writelines(c.line(r) for r in _quick_pairs(3))
    archive = tmp_path / "trace-2.log.gz"
    _gen_inspect(archive, 3000, 4, start=NOW - 100_000)
    os.utime(archive, (NOW - 1000, NOW - 1000))
    os.utime(tmp_path / long_name, (NOW, NOW))
    app = make_app(str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await until_scanned(pilot, app, "trace-2")
        rows = app.run_list
        held = next(i for i, run in enumerate(rows.runs) if run.id == "trace-2")
        assert "unread" in rows.render_row(held, rows.row_width).plain
        status = app._status.render_line(0).text
        assert "archived" in status or "ended" in status or "live" in status
        assert " 6 records" in status and "1 archive unread" in status  # the held first slice is no count
    app = make_app(str(tmp_path / long_name))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        assert panel.rows == []
        lines = [panel.render_line(y).text.strip() for y in range(3)]
        assert lines[:2] == ["nothing running or cancelled", "(e: errors and timeouts too)"]
        # `e` with none to show: the title and the text say so, not a toast
        # alone (QA)
        await pilot.press("e")
        await pilot.pause(0.05)
        assert panel.render_line(0).text.strip() == "nothing running, cancelled, failed or timed out"
        assert str(panel.border_title) == "anomalies · no errors"


async def test_a_narrow_screen_shows_what_a_stuck_subprocess_runs():
    """QA, 80×24: beside the tree the anomaly panel had 31 cells, and a
    stuck `Subprocess` row showed its age and action but not its command.
    Below 120 columns the panel has the whole width: each stuck
    subprocess on screen shows its command whole, with its age and sample;
    the four panes stay on screen and `tab` reaches each. From 120 columns
    up, the two columns as before."""
    app = make_app(HUNG)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        lines = rendered(panel).splitlines()
        stuck = [line for line in lines if "Subproc" in line]
        assert len(stuck) >= 2, lines
        for line in stuck:
            assert "bash -c 'sleep 600'" in line and re.search(r"≥\d+\.\dms .*\d/e\d", line), line
        screen = app.screen.region
        panes = [app.run_list, panel, app.tree, app.detail]
        for pane in panes:
            assert pane.content_region.height >= 1 and screen.contains_region(pane.region), pane
        app.focus_now(app.run_list)
        reached = []
        for _ in panes:
            await pilot.press("tab")
            reached.append(app.focused)
        assert set(reached) == set(panes)
        # One run: the run list takes one line, the rest go to the panes below.
        assert app.run_list.content_region.height == 1
    app = make_app(HUNG)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        panel, tree = app.anomaly_panel, app.tree
        assert panel.region.right <= tree.region.x and panel.region.width == 50

async def test_the_anomaly_cursor_stays_on_top_or_in_view(tmp_path, monkeypatch):
    """Rows found above it (a prescan's, a filter cleared) never leave the
    cursor off screen: on the top row it stays on top; elsewhere it keeps
    its row and the view follows it."""
    app = make_app(HUNG)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        app.focus_now(panel)
        await pilot.press("e")
        # Rows the prescan finds: older than any, so above the cursor's.
        run = panel.rows[0][2]
        early = Anomalies()
        early.running.update(run.anomalies.running)
        for i in range(30):
            row = AnomalyRow("Model", f"older {i}", NOW - 10_000 - i, None, None, None)
            early.running[f"OLD{i}"] = row
        early.errors.update(run.anomalies.errors)
        panel.early[run.id] = early
        with app.store.lock:
            panel.set_runs(app.store.runs.values())
        await pilot.pause(0.05)
        assert panel.cursor == 0 and panel.rows[0][1].detail.startswith("older")
        # Off the top row: the cursor keeps its row, and its row stays in view.
        del panel.early[run.id]
        with app.store.lock:
            panel.set_runs(app.store.runs.values())
        await pilot.press("j", "j", "j")
        on = panel.rows[3][1]
        panel.early[run.id] = early
        with app.store.lock:
            panel.set_runs(app.store.runs.values())
        await pilot.pause(0.05)
        assert panel.rows[panel.cursor][1].span is on.span and panel.cursor > 30
        top = panel.scroll_offset.y
        assert top <= panel.cursor < top + panel.scrollable_content_region.height


async def test_a_big_logs_anomalies_keep_their_order_and_detail_as_it_is_indexed(monkeypatch):
    """A big log's panel first shows the prescan's rows, spans not read yet,
    then the index's. The order changed between the two (QA: `a` `enter`
    during the load was on another row once it ended), and the detail kept
    a span of the part read so far, an action that closes further on."""
    from tracetui.app.anomaly_panel import AnomalyPanel
    from tracetui.prescan import Prescan

    app = make_app(HUNG)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        run = next(iter(app.store.runs.values()))
        indexed = [(b, row.action, row.detail, row.start) for b, row, _ in panel.rows]
        # Each hung Subprocess with the Tool Call waiting on it, then the two
        # approval Tool Calls with nothing under them, begun at the same
        # moment (`SAME_MOMENT`, QA), then Run Task.
        assert [a for _, a, _, _ in indexed[:10]] == ["Subprocess", "Tool Call"] * 3 + ["Tool Call"] * 2 \
            + ["Run Task"] * 2
        early, end = Prescan(HUNG).wait()
        # As while the reader has not got to them: no spans yet.
        monkeypatch.setattr(AnomalyPanel, "_give_spans", staticmethod(lambda pending: list(pending)))
        panel.early[run.id] = early
        run.known_end = end  # as `_show_prescan` sets it
        # The reader has more to read.
        monkeypatch.setattr(type(app.sources[0]), "behind", property(lambda self: True, lambda self, value: None))
        app.focus_now(panel)
        await pilot.pause(0.1)
        app.apply_changes()
        await pilot.pause(0.05)
        assert all(row.span is None for _, row, _ in panel.rows)
        assert [(b, row.action, row.detail, row.start) for b, row, _ in panel.rows] == indexed
        assert app.detail.noted and app.detail.span is None
        assert "not got to it yet" in "\n".join(line.text for line in app.detail._lines)
        # The scan's rows are the whole file's, aged to its end: lower bounds
        # of a log that has ended, as the index's will be (QA: `2h03m`, then
        # `≥2h03m` once read), and so are the tree's and the detail's ages
        # of the same spans (QA: the tree said `2h03m` beside the panel's
        # `≥2h03m`). A span of the part read so far is not: it may close
        # further on.
        assert run.reading
        running = [i for i in range(panel.row_count()) if panel.rows[i][0] == "running"]
        assert running and all("≥" in panel.render_row(i, 80).plain for i in running)
        span = next(s for s in run.spans.values() if s.status == "running" and not s.synthetic)
        tree = app.tree
        tree.reveal(span)
        await pilot.pause(0.1)

        def tree_age_is_a_lower_bound() -> bool:
            return "≥" in tree.render_row(tree.rows.spans.index(span), 100).plain

        app.detail.show(span, NOW)
        assert tree_age_is_a_lower_bound()
        assert "(until its log ends" in "\n".join(s.text for s in app.detail._lines)
        # And so are the made-up nodes it runs in, its sample's and its
        # task's (QA: the task read `4h17m` beside its Run Task's `≥4h17m`),
        # while something in them runs at the end.
        sample = next(enclosing_sample(s) for s in run.spans.values()
                      if s.status == "running" and not s.synthetic and s.id in early.running
                      and enclosing_sample(s) is not None)
        tree.reveal(sample)
        await pilot.pause(0.1)
        for node in (sample, sample.parent):
            assert node.synthetic and node.status == "running"
            assert "≥" in tree.render_row(tree.rows.spans.index(node), 100).plain, node
        kept = dict(early.running)
        for trace_id, row in kept.items():
            if enclosing_sample(row.span if row.span is not None else run.spans.get(trace_id)) is sample:
                del early.running[trace_id]
        assert "≥" not in tree.render_row(tree.rows.spans.index(sample), 100).plain
        assert "≥" in tree.render_row(tree.rows.spans.index(sample.parent), 100).plain
        early.running.update(kept)
        del early.running[span.id]  # as if it closes further on
        app.detail.show(span, NOW)
        assert "(running in the part of its log read so far)" in "\n".join(s.text for s in app.detail._lines)
        assert not any("≥" in line.text for line in app.detail._lines)
        assert not tree_age_is_a_lower_bound()
        # Before the scan has found the log's end, ages run to the part read
        # so far, which whatever runs there outlasts: lower bounds, in the
        # tree, the detail and the run list (QA: the run read `10m25s`, its
        # Run Task `10m44s`, then both `≥4h55m`).
        run.known_end = None
        app.detail.show(span, NOW)
        assert tree_age_is_a_lower_bound()
        said = "\n".join(s.text for s in app.detail._lines)
        assert "(running in the part of its log read so far)" in said and "≥" in said
        assert "≥" in app.run_list.render_row(0, 60).plain


async def _tool_calls_kept(pilot, app: TraceApp):
    """The tree, loaded and focused, with the filter `kind:"Tool Call"` kept."""
    await settle(pilot, app)
    tree = app.tree
    app.focus_now(tree)
    await pilot.press("slash", *'kind:"Tool Call"', "enter")
    await pilot.pause(0.2)
    return tree


async def test_a_filtered_node_shows_open_only_over_what_matches_under_it():
    app = make_app(HUNG)
    async with app.run_test(size=(140, 40)) as pilot:
        tree = await _tool_calls_kept(pilot, app)
        rows = tree.rows
        lone = 0
        for index in range(len(rows)):
            span, depth = rows[index]
            text = tree.render_row(index, 120).plain
            nested = index + 1 < len(rows) and rows[index + 1][1] > depth
            assert text.lstrip().startswith("▾") == nested, text
            lone += bool(span.children) and not nested
        assert lone  # Tool Calls whose Subprocess does not match: nothing to open


@pytest.mark.parametrize("gap", [0.6, 1.5, None], ids=["new file 0.6 s later", "1.5 s later", "never"])
async def test_a_directory_log_rotated_before_its_successor_exists_is_read_once(tmp_path, gap):
    """logrotate without `create`: the log is renamed, and the writer makes
    the new one only later (or never). The directory's rescan must not open
    the renamed file as a source of its own while its follower moves there
    too: every record once, two runs at most."""
    path = tmp_path / "trace-5.log"
    with open(path, "wb") as f:
        f.writelines(c.line(r) for r in _quick_pairs(20))
    app = make_app(str(tmp_path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        os.rename(path, str(path) + ".1")
        if gap is not None:
            await pilot.pause(gap)
            with open(path, "wb") as f:
                f.writelines(c.line(r) for r in _quick_pairs(3))
        await pilot.pause(2.5)  # past the directory's rescans
        paths = sorted(os.path.basename(s.path) for s in app.sources)
        expected = ["trace-5.log", "trace-5.log.1"] if gap is not None else ["trace-5.log.1"]
        assert paths == expected
        assert sum(s.records for s in app.sources) == 40 + (6 if gap is not None else 0)
        assert sorted(app.store.runs) == sorted(["trace-5.log.1"] + (["trace-5"] if gap is not None else []))


async def test_a_held_archive_removed_unread_keeps_what_its_scan_found_and_x_takes_the_cursors_run(
        tmp_path, monkeypatch):
    _hold_every_archive(monkeypatch)
    for n in (2, 3):
        archive = tmp_path / f"trace-{n}.log.gz"
        _gen_inspect(archive, 4000, 10 + n, start=NOW - 100_000 * n)
        os.utime(archive, (NOW - 1000 * n, NOW - 1000 * n))
    write_demo_trace(str(tmp_path / "trace-1.log"))
    out = _export_dir(tmp_path, monkeypatch)
    app = make_app(str(tmp_path))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        await until_scanned(pilot, app, "trace-2", "trace-3")
        scanned = {b: list(panel.early["trace-2"].bucket(b)) for b in ("running", "cancelled")}
        os.remove(tmp_path / "trace-2.log.gz")
        runs = app.run_list
        app.focus_now(runs)
        assert runs.current.id == "trace-1"
        await pilot.press("j", "enter")
        await pilot.pause(0.5)
        held = {s.decoder.run_id for s in app._held}
        assert "trace-2" in held and {b: list(panel.early["trace-2"].bucket(b)) for b in scanned} == scanned
        assert any("removed before it was read" in n.message for n in app._notifications)
        # x typed right behind a move exports the run moved to: an archive
        # not read yet is read first, then exported whole (QA: "press x
        # again once it is read", and nothing said when).
        app.focus_now(runs)
        await pilot.press("j", "x")
        assert "trace-3" not in {s.decoder.run_id for s in app._held}
        assert any("exported once read" in n.message for n in app._notifications)
        await _until(pilot, lambda: os.listdir(out) == ["tracetui-trace-3.perfetto.json"], tries=500)
        run = app.store.runs["trace-3"]
        assert not run.reading
        with open(out / "tracetui-trace-3.perfetto.json") as f:
            events = json.load(f)["traceEvents"]
        assert len({e["args"]["id"] for e in events if e.get("ph") == "X"}) == len(run.spans)


async def test_the_gzipped_copy_note_goes_once_the_copy_is_what_is_read(tmp_path):
    import gzip

    path = str(tmp_path / "trace-600.log")
    write_demo_trace(path)
    with open(path, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
        dst.write(src.read())
    app = make_app(str(tmp_path))
    async with app.run_test(size=(160, 36)) as pilot:
        await settle(pilot, app)
        assert any("a gzipped copy of trace-600.log" in n for n in app.notes)
        os.unlink(path)  # the eval's exit, done: only the copy is left
        for _ in range(60):
            await pilot.pause(0.05)
            if app.sources[0].path.endswith(".gz"):
                break
        await pilot.pause(1.2)  # the status line is redrawn by then (the 1 s tick)
        assert app.sources[0].path == path + ".gz" and len(app.sources) == 1
        assert not any("gzipped copy" in n for n in app.notes)
        assert "gzipped copy" not in app._status.render_line(0).text


async def test_the_tree_title_keeps_its_sort_on_a_narrow_pane():
    """At 80 columns the title ran out at `nesting inferred ·…`: which sort
    is on could not be seen. The note on inference (the detail pane says it
    of every inferred span) goes first."""
    app = make_app(HUNG)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.tree.focus()
        await pilot.press("s", "s")
        title = str(app.tree.border_title)
        assert "slowest first" in title and len(title) <= app.tree.size.width - 4
        assert "inferred" in title  # said shorter, not dropped (QA)
    app = make_app(HUNG)
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot, app)
        assert "nesting inferred" in str(app.tree.border_title)
    # A long run name is cut before the note goes (QA: at 100 columns
    # `… · sorted: sta…`, no "inferred"); at 80 columns every sort of an
    # eval's log keeps it (QA: `spans · trace-3141 · start time`, …).
    import shutil, tempfile

    cases = [("trace-1234567-production-eval.log", (100, 30), ["start time"]),
             ("trace-3141.log", (80, 24), ["start", "slowest", "name"])]
    with tempfile.TemporaryDirectory() as tmp:
        for name, size, sorts in cases:
            shutil.copyfile(HUNG, os.path.join(tmp, name))
            app = make_app(os.path.join(tmp, name))
            async with app.run_test(size=size) as pilot:
                await settle(pilot, app)
                app.tree.focus()
                for sort in sorts:
                    await pilot.press("s")
                    title = str(app.tree.border_title)
                    assert "inferred" in title and sort in title and len(title) <= app.tree.size.width - 4, title


async def test_the_status_line_names_the_live_log_first(tmp_path):
    """A trace directory of archives and one live log: the status line
    names the live one first and says how many of its sources are live
    (it said `archive.gz, …, live.log  ● live`)."""
    import shutil

    live = tmp_path / f"trace-{os.getpid()}.log"  # its eval runs here: live
    write_demo_trace(str(live))
    shutil.copy(INTERRUPTED, tmp_path / "trace-1.log.gz")  # gzipped since: listed first
    shutil.copy(CANCELLED, tmp_path / "trace-2.log.gz")
    app = make_app(str(tmp_path))
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, app)
        status = str(app.query_one("#status").render())
        assert status.lstrip().startswith(live.name) and "● 1 live" in status, status


async def test_a_layout_due_at_once_after_a_late_pass_still_comes(demo_log, monkeypatch):
    """A pass of the tree's layout that lands after the next was due, with
    updates waiting, lays the tree out again at once. It asked Textual for
    a timer of 0 s, whose task divides by its delay and dies (textual 8:
    ZeroDivisionError, the callback never called): the tree stayed busy and
    showed no new row again. Seen in a slow run, the machine loaded."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        await _until(pilot, lambda: not tree._relayout_busy)
        # Every pass lands late: the next was due long before it.
        monkeypatch.setattr(span_tree.SpanTree, "_relayout_next",
                            property(lambda self: 0.0, lambda self, value: None), raising=False)
        tree._relayout_soon(live=True)
        tree._relayout_soon(live=True)  # news while the pass runs: one more pass after it
        assert tree._relayout_busy and tree._relayout_pending
        await _until(pilot, lambda: not tree._relayout_busy)
        assert not tree._relayout_busy and not tree._relayout_pending


async def _until(pilot, condition, tries: int = 250) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)


async def test_dropping_a_filter_keeps_the_span_it_found_in_view(tmp_path, layout):
    """Filter to find a span, move to it, esc: the whole tree is back with
    that span under the cursor and on screen (QA: the tree showed its top,
    no cursor row, while the detail still showed the span)."""
    path = str(tmp_path / "trace-5.log")
    _gen_inspect(path, 3000, 7, start=NOW - 5000)
    app = make_app(path)
    async with app.run_test(size=(100, 30)) as pilot:
        tree, everything = await _filter_the_tree(pilot, app, "status:error")
        await _until(pilot, lambda: 0 < len(tree.rows) < everything)
        await pilot.press("G")
        await pilot.pause(0.05)
        found = tree.current
        assert found is not None and found.status == "error"
        await pilot.press("escape")
        await _until(pilot, lambda: len(tree.rows) >= everything and tree.current is found)
        await pilot.pause(0.1)
        assert tree.current is found and not tree.border_subtitle
        top, height = tree.scroll_offset.y, tree.scrollable_content_region.height
        assert tree.cursor >= height  # below the first screen: the view moved to it
        assert top <= tree.cursor < top + height


async def test_a_span_stays_where_it_was_on_screen_as_rows_come_above_it(tmp_path, layout):
    """Spans arriving above the cursor's span (a big log still being read,
    a live eval) move the view with it: QA jumped to a span while a log was
    loading and found the tree elsewhere, no cursor row, once it was read."""
    def sample_action(task: str, sample: int) -> list[dict]:
        extra = {"task": task, "sample_id": sample, "epoch": 1}
        tid = f"{task}{sample}"
        return [c.inspect_record("enter", tid, "Model", f"{task} {sample}", start=NOW, **extra),
                c.inspect_record("exit", tid, "Model", f"{task} {sample}", duration=1.0, **extra)]

    path = tmp_path / "trace-6.log"
    path.write_bytes(b"".join(map(c.line, [rec for task in "ab" for n in range(1, 6)
                                           for rec in sample_action(task, n)])))
    app = make_app(str(path))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        spans = tree.run.spans
        tree.reveal(spans["a1"])
        tree.reveal(spans["b5"])
        await pilot.pause(0.1)
        target = spans["b5"]
        assert tree.current is target
        seen_at = tree.cursor - tree.scroll_offset.y
        with open(path, "ab") as f:
            f.write(b"".join(map(c.line, [rec for n in range(6, 16) for rec in sample_action("a", n)])))
        await _until(pilot, lambda: "a15" in spans and tree.current is target and tree.cursor > 20)
        await pilot.pause(0.3)
        assert tree.current is target
        assert tree.cursor - tree.scroll_offset.y == seen_at


def test_the_name_sort_reads_numbers_as_numbers():
    """QA: sorted by name, samples went 1, 10, 11… 2."""
    names = ["sample 10 · epoch 1", "sample 2 · epoch 1", "sample 1 · epoch 2", "Sample 1 · epoch 1",
             "django__django-11099", "django__django-9", "42"]
    assert sorted(names, key=span_tree.natural_key) == [
        "42", "django__django-9", "django__django-11099", "Sample 1 · epoch 1", "sample 1 · epoch 2",
        "sample 2 · epoch 1", "sample 10 · epoch 1"]


async def test_the_detail_follows_the_anomaly_panels_cursor(demo_log):
    """With the anomaly panel focused, the detail shows the row under its
    cursor (what `r` and `c` take), and keeps showing it as ages tick."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        # The panel has the focus from the start: the detail shows its top
        # row on open (QA: it showed the tree's first span, or nothing).
        await pilot.pause(0.2)
        assert app.focused is panel and app.detail.span is panel.current[1].span
        app.focus_now(app.tree)
        await pilot.pause(0.2)
        await pilot.press("a")
        await pilot.pause(0.2)
        spans = [row.span for _, row, _ in panel.rows]
        assert len(set(spans)) > 1 and None not in spans
        assert app.detail.span is panel.current[1].span  # from the focus on, not the first move (QA)
        for _ in range(len(spans) - 1):
            await pilot.press("j")
            await pilot.pause(0.2)
            assert app.detail.span is panel.current[1].span
        app.tick()
        await pilot.pause(0.1)
        assert app.detail.span is panel.current[1].span and app.detail.span is not app.tree.current
        app.focus_now(app.tree)  # back on the tree: its span again
        await pilot.pause(0.2)
        assert app.detail.span is app.tree.current


async def test_new_rows_under_the_panels_cursor_are_shown_a_few_times_a_second(live_log):
    """Following a busy eval, the row under the panel's cursor changes with
    nearly every batch; drawing the detail for each one took a quarter of
    the CPU that following 1,000 lines/s cost (`bench_tail.py`). It is
    drawn as a live change is, at most every DETAIL_LIVE_INTERVAL, and
    ends on the row under the cursor."""
    app = make_app(live_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        await pilot.pause(0.3)
        assert app.focused is panel and panel.cursor == 0
        drawn = []
        show = app.detail.show
        app.detail.show = lambda span, now, **kw: (drawn.append(span), show(span, now, **kw))
        started = time.monotonic()
        for n in range(12):  # each a longer-running action: the new top row
            with open(live_log, "ab") as f:
                f.write(c.line(c.inspect_record("enter", f"OLD{n}", "Tool Call", f"tool_{n}()",
                                                start=NOW - 10_000 - 100 * n)))
            await _until(pilot, lambda: panel.current is not None and panel.current[1].span is not None
                         and panel.current[1].span.id == f"OLD{n}", tries=100)
        await pilot.pause(2 * app_module.DETAIL_LIVE_INTERVAL)
        elapsed = time.monotonic() - started
        assert app.detail.span.id == "OLD11" and panel.current[1].span is app.detail.span
        # One at once, then one an interval at most; and the tick's, once a second.
        most = 1 + elapsed / app_module.DETAIL_LIVE_INTERVAL + elapsed
        assert 2 <= len(drawn) <= most < 12


async def test_a_narrow_anomaly_title_keeps_every_count(tmp_path):
    """QA at 80 columns: `anomalies ▶40 ⊘279 ✗2092 ◔…`, the timeouts' count
    cut off: the counts go before the pane's name (here smaller counts at
    72 columns)."""
    path = str(tmp_path / "trace-8.log")
    _gen_inspect(path, 40000, 3, start=NOW - 50000)
    app = make_app(path)
    async with app.run_test(size=(72, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("e")
        await pilot.pause(0.2)
        panel = app.anomaly_panel
        counts = [n for n in panel._counts.values() if n]
        assert len(counts) == 4 and sum(counts) > 150
        title = str(panel.border_title)
        assert len(title) <= panel.size.width - 4
        assert all(str(n) in title for n in counts), title


async def test_a_held_archives_anomaly_says_it_is_not_read_and_enter_jumps_once_it_is(tmp_path, monkeypatch):
    """QA: on a held archive's anomaly the detail kept the last span it
    could show and `r` said "select a span first"; enter read the archive
    but a second enter was needed to reach the span."""
    _hold_every_archive(monkeypatch)
    archive = str(tmp_path / "trace-2.log.gz")
    _gen_inspect(archive, 6000, 5, start=NOW - 200_000)
    os.utime(archive, (NOW - 2000, NOW - 2000))
    write_demo_trace(str(tmp_path / "trace-1.log"))
    app = make_app(str(tmp_path))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        await until_scanned(pilot, app, "trace-2")
        panel = app.anomaly_panel
        await pilot.press("a")
        await _until(pilot, lambda: any(run.id == "trace-2" for _, _, run in panel.rows))
        index = next(i for i, (_, row, run) in enumerate(panel.rows) if run.id == "trace-2" and row.span is None)
        panel.cursor = index
        await pilot.pause(0.2)
        row = panel.current[1]
        assert row.span is None and app.detail.noted
        assert "not read yet" in "\n".join(line.text for line in app.detail._lines)
        # Its run is shown and named, though its archive is not read (QA: the
        # run list and the tree stayed on the live eval; the note said
        # "its archive" of two), and resting there does not read it.
        shown = [line.text.rstrip() for line in app.detail._lines]
        assert "trace-2.log.gz, is not read yet" in "\n".join(shown)
        # What the scan knows of it comes first, as a span's detail says it
        # (QA: only its command and the note; its age in the panel alone).
        bucket = panel.current[0]
        status = BUCKET_STATUS[bucket]
        assert shown[0] == f"{STATUS_STYLE[status][0]} {row.action}  {status}"
        assert shown[1].split()[0] == "start" and shown[1].endswith(clock_ms(row.start, "%H:%M:%S"))
        assert shown[2].split()[0] == ("age" if bucket == "running" else "duration")
        assert panel.age_of(panel.current) in shown[2]
        assert app.run_list.current.id == "trace-2" and app.tree.run.id == "trace-2"
        await pilot.pause(2 * app_module.HOLD_RELEASE_DELAY)
        assert app._held and app.focused is panel
        # Every row says which eval it is from: the part of the run's name
        # that differs (`trace-1`, `trace-2`: `1`, `2`).
        for index, (_, shown, run) in enumerate(panel.rows):
            tag = run.id.removeprefix("trace-")
            assert panel.where(shown, run, 40).endswith(tag), (panel.where(shown, run, 40), run.id)
            assert f" {tag}  " in panel.render_row(index, 60).plain
        app.tick()  # the detail keeps the note as ages tick
        await pilot.pause(0.05)
        assert app.detail.noted
        # Its row says where it ran, and filters by it, before the archive is read.
        from tracetui.app.anomaly_panel import _sample_where, alike_key
        from tracetui.query import parse

        bucket, in_sample, run = next(item for item in panel.rows if item[2].id == "trace-2"
                                      and item[1].span is None and item[1].sample is not None)
        task, sample_id, epoch = in_sample.sample
        assert _sample_where(in_sample) == (task, sample_id, epoch)
        panel._ambiguous.add(alike_key(in_sample))
        assert f"{sample_id}/e{epoch}" in panel.where(in_sample, run, 40)
        assert parse(f"task:{task} sample:{sample_id}").matches_anomaly(
            BUCKET_STATUS[bucket], in_sample.action, in_sample.detail, in_sample.error, None, run, in_sample.sample)
        assert not parse("sample:no-such-sample").matches_anomaly(
            BUCKET_STATUS[bucket], in_sample.action, in_sample.detail, in_sample.error, None, run, in_sample.sample)
        await pilot.press("r")
        await pilot.pause(0.05)
        assert any("not read yet" in n.message for n in app._notifications)
        said = []
        notify = app.notify
        app.notify = lambda message, **kw: (said.append(message), notify(message, **kw))
        await pilot.press("enter")

        def on_its_span() -> bool:  # the index's own span for that anomaly
            span = app.tree.current
            return span is not None and app.focused is app.tree and span.run.id == "trace-2" \
                and (span.name, span.detail, span.start) == (row.action, row.detail, row.start)

        await _until(pilot, on_its_span, tries=500)
        assert on_its_span()
        # Landed: the toast that said it was being read is gone (QA: it
        # stayed, out of date, over the status line).
        await pilot.pause(0.05)
        assert any("once read" in message for message in said)
        assert not any("once read" in n.message for n in app._notifications)


async def test_typing_a_filter_keeps_the_span_it_started_on(demo_log, layout):
    """QA: typed key by key, `/status:running` passes through `st`, which
    matches nothing, and the cursor fell to the top and stayed there though
    the span it was on matches the whole filter."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        app.focus_now(tree)
        running = next(s for s in app.store.runs["demo"].spans.values()  # not the first row
                       if s.status == "running" and s.name == "Subprocess")
        tree.reveal(running)
        await pilot.pause(0.1)
        assert tree.current is running
        await pilot.press("slash")
        for key in "status:running":
            await pilot.press(key)
            await pilot.pause(0.05)
        await pilot.press("enter")
        await _until(pilot, lambda: tree.current is running and len(tree.rows) > 1)
        assert tree.current is running
        await pilot.press("k")  # the user moves: the filter no longer pulls the cursor back
        await pilot.pause(0.1)
        moved_to = tree.current
        app.apply_changes()
        await pilot.pause(0.1)
        assert tree.current is moved_to


def _sample_records(sample: int, event: str, tid: str, action: str = "Model", **extra) -> dict:
    return c.inspect_record(event, tid, action, f"call {sample}", **{"task": "t", "sample_id": sample,
                                                                       "epoch": 1, **extra})


async def test_an_action_stuck_while_its_sample_went_on_is_listed_by_its_own_age(tmp_path):
    """QA: an action open for two minutes while its sample went on entering
    actions (nested under it by inference) counted as waiting on them, and
    sank below every young action of the eval's other samples, changing
    place with every batch. It waits on another only if that one came early
    in its life (a `Tool Call` on its `Subprocess`); else it is listed by
    its own age, at the top, and stays there as young actions come and go.
    (Live: a stopped log's running ages are lower bounds, and an action
    waits on any begun after it in its sample, `running_order`.)"""
    path = tmp_path / f"trace-{os.getpid()}.log"  # its eval runs here: live
    records = [c.inspect_record("enter", "run", "Run Task", "task: t (m)", start=NOW - 300),
               _sample_records(1, "enter", "stuck", "Tool Call", start=NOW - 120)]
    records += [_sample_records(n, "enter", f"young{n}", start=NOW - 1.5) for n in range(2, 40)]
    records += [_sample_records(1, "enter", "young1", start=NOW - 1.0),  # its sample went on
                _sample_records(40, "enter", "tool", "Tool Call", start=NOW - 60),  # a hang: a tool call
                _sample_records(40, "enter", "sub", "Subprocess", start=NOW - 59.99)]  # on its subprocess
    path.write_bytes(b"".join(map(c.line, records)))
    app = make_app(str(path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel

        def order() -> list[str]:
            return [row.span.id for b, row, _ in panel.rows if b == "running"]

        assert order()[:3] == ["stuck", "sub", "tool"] and order()[-1] == "run"
        with open(path, "ab") as f:  # young actions close, others enter
            f.write(b"".join(c.line(_sample_records(n, "exit", f"young{n}", duration=1.0)) for n in range(2, 20)))
            f.write(c.line(_sample_records(1, "exit", "young1", duration=1.0)))
            f.write(c.line(_sample_records(1, "enter", "young1b", start=NOW - 0.5)))
        await _until(pilot, lambda: "young1b" in order())
        assert order()[:3] == ["stuck", "sub", "tool"]


async def test_the_cursors_span_stays_when_its_sample_finishes(tmp_path, layout):
    """QA: a running sample is open by default and closes when it
    finishes; with the cursor on one of its actions the row under the
    cursor silently became another span (the detail moved on, the
    highlight did not). The nodes above the cursor's span stay open."""
    path = tmp_path / "trace-7.log"
    path.write_bytes(b"".join(map(c.line, [
        _sample_records(1, "enter", "a1", start=NOW - 30), _sample_records(2, "enter", "a2", start=NOW - 20)])))
    app = make_app(str(path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        app.focus_now(tree)
        target = tree.run.spans["a1"]
        tree.cursor = tree.index_of(target)  # moved to, as with j: nothing pinned
        await pilot.pause(0.2)
        with open(path, "ab") as f:
            f.write(c.line(_sample_records(1, "exit", "a1", duration=5.0)))
        await _until(pilot, lambda: target.status == "ok")
        await pilot.pause(0.5)
        assert tree.current is target and app.detail.span is target


def _five_running_samples(tmp_path):
    """A log of five samples, one action running in each; and the app on it."""
    path = tmp_path / "trace-8.log"
    path.write_bytes(b"".join(map(c.line, [_sample_records(n, "enter", f"a{n}", start=NOW - 40 + n)
                                            for n in range(1, 6)])))
    return path, make_app(str(path))


async def test_a_small_runs_kept_filter_matches_new_data_off_the_ui_thread(tmp_path, monkeypatch):
    """QA: typing lagged while a log grew 1,000 lines/s with a filter kept:
    each batch matched the whole run again on the UI thread (82 % of a
    core, tail p50 33 ms). New data is matched from a thread, resting
    between passes, and the title does not blink "filtering…" for it."""
    import threading

    path, app = _five_running_samples(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        tree, _ = await _filter_the_tree(pilot, app, "status:error")
        await pilot.pause(0.2)
        on_ui_thread, titles = [], []
        matched = span_tree.SpanTree._filtered_rows

        def spy(self, *args, **kwargs):
            on_ui_thread.append(threading.current_thread() is threading.main_thread())
            titles.append(str(self.border_title))
            return matched(self, *args, **kwargs)

        monkeypatch.setattr(span_tree.SpanTree, "_filtered_rows", spy)
        for n in range(1, 4):
            with open(path, "ab") as f:
                f.write(c.line(_sample_records(n, "error", f"a{n}", duration=1.0, error="boom")))
            await pilot.pause(0.1)
        await _until(pilot, lambda: {"a1", "a2", "a3"} <= {s.id for s in tree.rows.spans})
        assert {"a1", "a2", "a3"} <= {s.id for s in tree.rows.spans}
        assert on_ui_thread and not any(on_ui_thread)
        assert not any("filtering" in str(title) for title in titles)


async def test_a_sample_between_two_actions_stays_open_for_a_while(tmp_path, layout):
    """QA, following: a sample is open while it runs, and closed and opened
    again with each of its actions, as nothing runs between two; the tree
    changed shape under the user. It stays open for `LINGER` seconds after
    its last action (as its run's ages run), then closes. Meanwhile it
    reads running (QA: ✓ between two actions, though not finished), and
    done once quiet as long (`SAMPLE_QUIET`)."""
    path = tmp_path / "trace-7.log"
    path.write_bytes(b"".join(map(c.line, [
        _sample_records(1, "enter", "a1", start=NOW - 30), _sample_records(2, "enter", "a2", start=NOW - 20)])))
    app = make_app(str(path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        sample = tree.run.spans["a1"].parent
        assert sample.kind == "sample" and tree.index_of(tree.run.spans["a1"]) is not None
        with open(path, "ab") as f:  # its action ends 5 s before the log does
            f.write(c.line(_sample_records(1, "exit", "a1", duration=5.0)))
        await _until(pilot, lambda: tree.run.spans["a1"].status == "ok")
        await pilot.pause(0.4)
        assert sample.status == "running"
        assert tree.is_open(sample) and tree.index_of(tree.run.spans["a1"]) is not None
        with open(path, "ab") as f:  # the log goes on for 35 s more
            f.write(c.line(_sample_records(2, "exit", "a2", duration=30.0)))
        await _until(pilot, lambda: tree.run.spans["a2"].status == "ok")
        await _until(pilot, lambda: tree.index_of(tree.run.spans["a1"]) is None)
        assert not tree.is_open(sample) and tree.index_of(sample) is not None
        assert sample.status == "ok"


async def test_a_sample_whose_actions_last_milliseconds_stays_open_too(tmp_path, layout):
    """QA: a sample acting every 3 s with actions of 3 ms stayed closed: no
    layout saw it running. Its last action's close keeps it open as long."""
    path = tmp_path / "trace-7.log"
    path.write_bytes(c.line(_sample_records(2, "enter", "a2", start=NOW - 20)))
    app = make_app(str(path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        with open(path, "ab") as f:  # entered and closed in one write, 3 ms long
            f.write(c.line(_sample_records(1, "enter", "q1", start=NOW - 19)))
            f.write(c.line(_sample_records(1, "exit", "q1", duration=0.003)))
        await _until(pilot, lambda: "q1" in tree.run.spans and tree.index_of(tree.run.spans["q1"]) is not None)
        sample = tree.run.spans["q1"].parent
        assert sample.status == "running" and tree.is_open(sample)  # between actions
        assert tree.index_of(tree.run.spans["q1"]) is not None


SIGINT_CANCEL = os.path.join(os.path.dirname(__file__), "data", "inspect", "sigint-cancel.log.gz")


def _glyph(tree, index: int) -> str:
    """The ▸ or ▾ drawn on row `index` (blank if it has none)."""
    return tree.render_row(index, 120).plain.lstrip()[:1]


def _nested(tree, index: int) -> bool:
    """Whether the rows under row `index` are its own: it is drawn open."""
    depths = tree.rows.depths
    return index + 1 < len(depths) and depths[index + 1] > depths[index]


def _at(line: bytes) -> float:
    """An Inspect trace record's time, in epoch seconds."""
    return datetime.fromisoformat(json.loads(line)["timestamp"]).timestamp()


@contextlib.asynccontextmanager
async def _a_sample_ended_while_watched(tmp_path):
    """A real eval's log (sigint-cancel.log.gz) followed as it was written,
    up to the end of its `done` sample, the other three hanging; its
    writer seen (ages run to the clock). Yields the pilot, the app, the
    sample (just ended: open for LINGER) and the clock, a list to move."""
    lines = gzip.open(SIGINT_CANCEL, "rb").readlines()
    done = [i for i, line in enumerate(lines) if b'"sample_id": "done"' in line]
    echo = next(i for i in done if b'"Subprocess' in lines[i])  # `done` runs its echo
    ends = next(i for i in done if b'"Log Write' in lines[i]) + 2  # its eval log flushed: it has ended
    path = tmp_path / f"trace-{os.getpid()}.log"  # its eval runs here: ages run to now
    path.write_bytes(b"".join(lines[:echo + 1]))
    clock = [_at(lines[echo]) + 0.1]
    app = open_app(str(path), now=lambda: clock[0])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        sample = next(s for s in tree.run.spans.values() if s.kind == "sample" and "done" in s.name)
        await _until(pilot, lambda: tree.index_of(sample) is not None and _nested(tree, tree.index_of(sample)))
        assert sample.status == "running" and _glyph(tree, tree.index_of(sample)) == "▾"
        with open(path, "ab") as f:
            f.write(b"".join(lines[echo + 1:ends]))
        clock[0] = _at(lines[ends - 1]) + 0.1
        await _until(pilot, lambda: sample.status == "ok")
        await pilot.pause(0.4)
        index = tree.index_of(sample)
        assert _nested(tree, index) and _glyph(tree, index) == "▾"  # lingering: still open
        yield pilot, app, sample, clock


async def test_a_sample_that_ends_while_watched_closes_with_its_rows(tmp_path, layout):
    """QA, a live eval: a sample that ended while the tree showed it was
    drawn ▸ about `LINGER` after its end, its rows still under it, until a
    key was pressed on it (the first space drew ▾ and changed nothing
    else): the log was quiet, and nothing laid the tree out again. The
    linger's end does."""
    async with _a_sample_ended_while_watched(tmp_path) as (pilot, app, sample, clock):
        tree = app.tree
        clock[0] += span_tree.LINGER + 5  # the log quiet all along
        app.tick()  # what the once-a-second timer calls
        await _until(pilot, lambda: not _nested(tree, tree.index_of(sample)))
        index = tree.index_of(sample)
        assert not _nested(tree, index) and _glyph(tree, index) == "▸"
        assert not any(s.parent is sample for s in tree.rows.spans)
        app.focus_now(tree)
        tree.cursor = index
        await pilot.press("space")  # one key opens it
        await pilot.pause(0.1)
        assert _nested(tree, index) and _glyph(tree, index) == "▾"


async def test_a_nodes_glyph_and_keys_go_by_its_rows(tmp_path, layout):
    """Between a sample's linger end and the layout that closes it (the
    next tick; a big tree's pass later still) it reads closed with its
    rows under it. It is drawn ▾, as its rows are, and space or left
    closes it at once (QA: drawn ▸, the first space drew ▾ and changed
    nothing else)."""
    async with _a_sample_ended_while_watched(tmp_path) as (pilot, app, sample, clock):
        tree = app.tree
        clock[0] += span_tree.LINGER + 5
        # No await from here on: no tick runs, and no layout lands.
        index = tree.index_of(sample)
        assert not tree.is_open(sample) and _nested(tree, index)
        assert _glyph(tree, index) == "▾"
        tree.cursor = index
        tree.action_toggle()
        assert not _nested(tree, index) and _glyph(tree, index) == "▸"
        tree.action_toggle()
        assert _nested(tree, index) and _glyph(tree, index) == "▾"
        tree.set_open(sample, False)  # read closed under its rows again, as at its linger's end
        tree.action_collapse()  # left: closed, not a move to its task
        assert tree.cursor == index and not _nested(tree, index) and _glyph(tree, index) == "▸"


async def test_a_filtered_cursor_stays_put_when_its_span_stops_matching(tmp_path, layout):
    """QA: filtered on `status:running`, the cursor went to the top when
    the span under it finished; it stays where it was, on the next match."""
    path, app = _five_running_samples(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        tree, _ = await _filter_the_tree(pilot, app, "status:running")
        await _until(pilot, lambda: tree.rows and all(s.status == "running" for s in tree.rows.spans))
        await pilot.press("G")
        await pilot.pause(0.1)
        last = tree.current
        assert last is tree.run.spans["a5"] and tree.cursor > 2
        with open(path, "ab") as f:
            f.write(c.line(_sample_records(5, "exit", "a5", duration=5.0)))
        await _until(pilot, lambda: last.status == "ok" and tree.current is not last)
        await pilot.pause(0.3)
        assert tree.cursor > 2 and tree.current is not None and tree.current.status == "running"
        assert app.detail.span is tree.current


async def test_e_toggles_failures_but_types_into_the_filter_box(demo_log):
    """`e` is read as the app reads keys (so `e` typed right before `/` is
    not lost, as QA found in tmux): in the filter box it is a letter, and
    on a dialog it does nothing."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        await pilot.press("e")
        assert panel.show_failures
        await pilot.press("slash", "e", "r", "r")
        assert app.query_one("#filter").value == "err" and panel.show_failures
        await pilot.press("escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("e")
        assert panel.show_failures and isinstance(app.screen, HelpScreen)


def test_a_sample_row_too_long_for_its_room_keeps_its_epoch():
    """`sample sympy__sympy-15413 · epoc…` at 120 columns: three epochs of
    one sample read alike (QA)."""
    from tracetui.model import Run, Span

    node = Span("sample:x", Run("r", "s", "inspect"), "sample sympy__sympy-15413 · epoch 2", "sample")
    node.synthetic = True
    node.attributes = {"task": "swe_bench", "sample_id": "sympy__sympy-15413", "epoch": 2}
    short = span_tree.short_sample_label
    assert short(node, 40) == "sample sympy__sympy-15413 · epoch 2"
    assert short(node, 30) == "sample sympy__sympy-15413/e2"
    assert short(node, 22) == "sympy__sympy-15413/e2"
    assert short(node, 12) == "…py-15413/e2"


async def test_the_tree_shows_a_long_sample_rows_epoch():
    app = make_app(HUNG)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        index = next(i for i, (s, _) in enumerate(tree.rows) if s.kind == "sample")
        node = tree.rows[index][0]
        node.name = "sample sympy__sympy-15413 · epoch 2"
        node.attributes = {"sample_id": "sympy__sympy-15413", "epoch": 2}
        row = tree.render_row(index, 50).plain
        assert "15413/e2" in row, row


@pytest.mark.parametrize("focus", ["tree", "filter"])
async def test_ctrl_c_quits(demo_log, focus):
    """Textual only says to press ctrl+q; a user hangs up with ctrl+c (QA),
    from the filter box too."""
    app = make_app(demo_log)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        app.tree.focus()
        if focus == "filter":
            await pilot.press("slash", "x")
        await pilot.press("ctrl+c")
        await pilot.pause(0.2)
        assert not app.is_running


async def test_a_kept_filters_nodes_fold_and_unfold():
    """QA: with a filter kept, enter, space and left did nothing on a sample
    row. They fold what matched under it and back; a jump into a folded
    node opens it; a new filter starts unfolded."""
    app = make_app(HUNG)
    async with app.run_test(size=(140, 40)) as pilot:
        tree = await _tool_calls_kept(pilot, app)
        index = next(i for i, (s, _) in enumerate(tree.rows) if s.kind == "sample")
        sample = tree.rows[index][0]
        under = [s for s, _ in tree.rows][index + 1:index + 3]
        assert under and all(s.parent is sample for s in under)
        before = len(tree.rows)
        tree.cursor = index
        await pilot.press("space")
        assert len(tree.rows) < before and tree.rows[index + 1][0] not in under
        assert tree.render_row(index, 100).plain.lstrip().startswith("▸")
        await pilot.press("space")
        assert len(tree.rows) == before and tree.rows[index + 1][0] is under[0]
        await pilot.press("left")
        assert len(tree.rows) < before and tree.current is sample
        with app.store.lock:
            tree._rebuild()  # new data: the filter's rows made again, the fold kept
        await pilot.pause(0.1)
        assert len(tree.rows) < before
        tree.reveal(under[0])
        assert tree.current is under[0] and len(tree.rows) == before
        await pilot.press("left")
        await pilot.press("slash", "backspace", "l", "enter")
        await pilot.pause(0.2)
        assert not tree._folds


async def test_a_tick_ages_every_pane_to_one_instant():
    """The detail read 1m30s beside its anomaly row's 1m31s on a live log
    (QA): each pane read the clock when it was drawn. A tick reads it once."""
    reads = []

    def clock() -> float:
        reads.append(1)
        return NOW + 0.7 * len(reads)

    store = Store()
    sources, notes = open_sources([HUNG], store)
    app = TraceApp(sources, store, notes, now=clock)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        run = next(iter(store.runs.values()))
        run.live = run.writer_seen = True  # aged to now: every pane asks the clock
        app.focus_now(app.anomaly_panel)
        await pilot.pause(0.2)
        assert app.detail.span is app.anomaly_panel.current[1].span
        reads.clear()
        app._tick()
        assert len(reads) == 1


async def test_a_tree_filter_matching_nothing_clears_the_detail(demo_log):
    """The tree said `no spans match the filter` while the detail still
    showed a span the filter hides (QA)."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.focus_now(app.tree)
        await pilot.press("j")
        await pilot.pause(0.2)
        assert app.detail.span is not None
        await pilot.press("slash", *"zzzqqq")
        await pilot.pause(0.3)
        assert len(app.tree.rows) == 0
        assert app.detail.span is None


def test_a_count_of_one_takes_the_singular():
    """QA: `sample log (1 records)`."""
    from tracetui.text import counted

    assert counted(1, "record") == "1 record" and counted(2000, "record") == "2,000 records"
    assert counted(0, "record") == "0 records"


async def test_a_killed_evals_old_log_is_listed_after_the_eval_stopped_since(tmp_path):
    """Inspect's trace directory opened after a ctrl+c: an older eval,
    killed, left its actions open; the newer one's were cancelled. The old
    log's `≥` rows came first, and the app opened on that eval, not on the
    one just stopped (QA). The rows of logs no longer written are listed
    eval by eval, the one written last first."""
    from datetime import datetime, timezone

    def at(t: float) -> str:
        return datetime.fromtimestamp(t, timezone.utc).isoformat()

    old, new = tmp_path / "trace-1.log", tmp_path / "trace-2.log"
    old.write_bytes(c.line(c.inspect_record("enter", "o1", "Subprocess", "sleep 3600", start=NOW - 7200,
                                            timestamp=at(NOW - 7200))))
    new.write_bytes(b"".join([
        c.line(c.inspect_record("enter", "n1", "Tool Call", "bash", start=NOW - 300, timestamp=at(NOW - 300))),
        c.line(c.inspect_record("enter", "n2", "Subprocess", "sleep 3600", start=NOW - 299,
                                timestamp=at(NOW - 299))),
        c.line(c.inspect_record("cancel", "n2", "Subprocess", "sleep 3600", duration=289.0, timestamp=at(NOW - 10))),
        c.line(c.inspect_record("cancel", "n1", "Tool Call", "bash", duration=290.0, timestamp=at(NOW - 10))),
    ]))
    os.utime(old, (NOW - 7000, NOW - 7000))
    os.utime(new, (NOW - 10, NOW - 10))
    app = make_app(str(tmp_path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.pause(0.3)
        panel = app.anomaly_panel
        assert [(b, run.id) for b, _, run in panel.rows] == [
            ("cancelled", "trace-2"), ("cancelled", "trace-2"), ("running", "trace-1")]
        assert "1 running" in panel.border_title and "2 cancelled" in panel.border_title
        assert app.detail.span.run.id == "trace-2" and app.tree.run.id == "trace-2"
        # Each eval's rows together, the one written last first (QA: three
        # killed evals' rows interleaved).
        app.store.runs["trace-1"].last_time = NOW - 5
        panel.set_runs(list(app.store.runs.values()))
        assert [(b, run.id) for b, _, run in panel.rows] == [
            ("running", "trace-1"), ("cancelled", "trace-2"), ("cancelled", "trace-2")]


async def test_a_tool_call_waiting_for_a_subprocess_slot_comes_after_the_stuck_subprocesses():
    """A real eval: three samples started together, two subprocess slots,
    every tool a `sleep 3600`, then killed. The third sample's `Tool Call`
    waits for a slot with nothing under it; entered 2 ms before the two
    `Subprocess`, it came first, and `a` `enter` landed on it, not on a
    stuck subprocess (QA). Of what began at one moment, the work comes
    first; the Tool Call waiting on nothing the log shows, after."""
    path = os.path.join(os.path.dirname(__file__), "data", "inspect", "slots-killed.log")
    app = make_app(path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        rows = [(row.action, row.span.parent and row.span.parent.name) for _, row, _ in app.anomaly_panel.rows]
        assert rows == [("Subprocess", "Tool Call"), ("Tool Call", "sample 1 · epoch 1"),
                        ("Subprocess", "Tool Call"), ("Tool Call", "sample 2 · epoch 1"),
                        ("Tool Call", "sample 3 · epoch 1"), ("Run Task", None)]
        app.focus_now(app.tree)
        await pilot.press("a", "enter")
        await pilot.pause(0.2)
        assert app.focused is app.tree and app.tree.current.name == "Subprocess"


async def test_an_ended_log_says_how_long_it_has_been_silent():
    """A real eval killed while its samples hung: the last hang began at
    the log's last record, so its age, a lower bound, reads `≥0µs`, as if
    it had just begun (QA). The status line says how long ago the log
    ended: how long it may have hung; and ticks on."""
    path = os.path.join(os.path.dirname(__file__), "data", "inspect", "slots-killed.log")
    clock = [NOW]
    app = open_app(path, now=lambda: clock[0])
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        run = app.run_list.current
        assert not run.live
        end = run.end
        clock[0] = end + 2 * 3600 + 7 * 60 + 5
        app.tick()
        await pilot.pause(0.05)
        assert "ended 2h07m ago" in str(app.query_one("#status").render())
        clock[0] = end + 0.5  # just ended: no "ago"
        app.tick()
        await pilot.pause(0.05)
        status = str(app.query_one("#status").render())
        assert "ended " in status and "ago" not in status


def test_a_tool_call_waiting_for_a_slot_comes_after_subprocesses_begun_just_after_it():
    """A real eval, 5 samples on 2 slots: samples 1-3's Tool Calls began
    within 4 ms, the two stuck Subprocesses 0.19 s later, beside samples 4
    and 5's Tool Calls. The 1-second moments were counted from the oldest
    row, `Run Task`, 0.9 s before: sample 3's Tool Call, waiting for a
    slot, fell in its moment, the Subprocesses in the next, and `a`
    `enter` landed on it (QA). A Tool Call with nothing under it comes
    after the work begun up to a second after it."""
    from tracetui.app.anomaly_panel import running_order
    from tracetui.cli import load

    store, _ = load([os.path.join(os.path.dirname(__file__), "data", "inspect", "slots-five-head.log")])
    (run,) = store.runs.values()
    part = [("running", row, run) for row in run.anomalies.running.values()]
    running_order(part, {id(run): run.end})
    assert [(row.action, row.span.parent and row.span.parent.name) for _, row, _ in part] == [
        ("Subprocess", "Tool Call"), ("Tool Call", "sample 1 · epoch 1"),
        ("Subprocess", "Tool Call"), ("Tool Call", "sample 2 · epoch 1"),
        ("Tool Call", "sample 3 · epoch 1"), ("Tool Call", "sample 4 · epoch 1"),
        ("Tool Call", "sample 5 · epoch 1"), ("Run Task", None)]


SLOTS_LATE = os.path.join(os.path.dirname(__file__), "data", "inspect", "slots-late-killed.log")


def _running_as_listed(path: str, hung_for: float | None) -> list[tuple[str, AnomalyRow, object]]:
    """The running rows of a real eval's one-run log, in the panel's order:
    aged to `hung_for` s after its last Subprocess began, its eval live; or,
    None, to its log's end, its eval gone."""
    from tracetui.app.anomaly_panel import running_order
    from tracetui.cli import load

    store, _ = load([path])
    (run,) = store.runs.values()
    part = [("running", row, run) for row in run.anomalies.running.values()]
    run.live = hung_for is not None
    end = run.end if hung_for is None else \
        max(row.start for _, row, _ in part if row.action == "Subprocess") + hung_for
    running_order(part, {id(run): end})
    return part


def _slots_late_order(hung_for: float | None) -> list[tuple[str, str]]:
    return [(row.action, row.detail.split("(")[0].split(" #")[0])
            for _, row, _ in _running_as_listed(SLOTS_LATE, hung_for)]


#: A stuck Subprocess, the Tool Call waiting on it, the other, its Tool
#: Call; the four Tool Calls still waiting for a slot; both Run Tasks.
SLOTS_LATE_ORDER = [("Subprocess", "sh -c 'sleep 3600"), ("Tool Call", "sleeper"),
                    ("Subprocess", "sh -c 'sleep 3600"), ("Tool Call", "sleeper")] + sorted(
    [("Tool Call", "sleeper")] + [("Tool Call", "breaker")] * 3) + [("Run Task", "task: failing "),
                                                                    ("Run Task", "task: hang ")]


@pytest.mark.parametrize("live", [True, False])
def test_a_tool_call_that_waited_long_for_a_slot_comes_after_the_subprocess_that_took_it(live):
    """A real eval (`make_slots_late.py`): its Tool Calls waited 20 s for a
    subprocess slot, then two Subprocesses took the slots and hung. Two
    minutes in, the Tool Calls still waiting, 20 s older, came first, and
    `a` `enter` landed on one (QA). Killed: every age is a lower bound
    measured to the log's end, the Subprocesses' a few ms, and the Tool
    Calls came first again."""
    order = _slots_late_order(100.0 if live else None)
    assert order[:4] + sorted(order[4:8]) + sorted(order[8:]) == SLOTS_LATE_ORDER


SLOTS_QUEUED = os.path.join(os.path.dirname(SLOTS_LATE), "slots-queued-killed.log")
#: A stuck Subprocess and the Tool Call that waited 30 s for its slot, the
#: other; then sample 5's Tool Call, still waiting; Run Task.
SLOTS_QUEUED_ORDER = [("Subprocess", "sample 3 · epoch 1"), ("Tool Call", "sample 3 · epoch 1"),
                      ("Subprocess", "sample 4 · epoch 1"), ("Tool Call", "sample 4 · epoch 1"),
                      ("Tool Call", "sample 5 · epoch 1"), ("Run Task", None)]


def _in_their_samples(part) -> list[tuple[str, str | None]]:
    return [(row.action, getattr(enclosing_sample(row.span), "name", None)) for _, row, _ in part]


@pytest.mark.parametrize("hung_for", [0.4, 5.0, None], ids=["live 0.4 s", "live 5 s", "killed"])
def test_a_tool_call_still_waiting_comes_after_subprocesses_that_waited_for_their_slots(hung_for):
    """A real eval (`make_slots_queued.py`): three Tool Calls waited 30 s for
    a subprocess slot, then two got theirs and hung. For as long as the
    Subprocesses were younger than that wait (up to 30 s; a slot waited on
    ten minutes, ten), the Tool Call still waiting came first, and `a`
    `enter` landed on it (QA). That the other two waited for their slots
    says the slots are taken."""
    assert _in_their_samples(_running_as_listed(SLOTS_QUEUED, hung_for)) == SLOTS_QUEUED_ORDER


def test_actions_cancelled_while_a_tool_call_waited_for_a_slot_are_listed_stuck_subprocesses_first():
    """The same eval stopped by ctrl+c 10 s into the hang: the cancelled
    rows kept the wrong order for good, the Tool Call waiting for a slot
    first (QA)."""
    from tracetui.app.anomaly_panel import cancelled_order
    from tracetui.cli import load

    store, _ = load([os.path.join(os.path.dirname(SLOTS_LATE), "slots-queued-sigint.log.gz")])
    (run,) = store.runs.values()
    part = [("cancelled", row, run) for row in run.anomalies.cancelled.values()]
    cancelled_order(part)
    assert _in_their_samples(part) == SLOTS_QUEUED_ORDER


async def test_the_running_rows_are_listed_again_as_time_alone_changes_their_order(tmp_path):
    """A hung eval writes nothing: its panel kept the order of the moment
    its last action began until another log appeared (QA). The tick sorts
    the rows again: a Tool Call whose sample began another action 20 s
    after it is listed by its own age at first (`WAIT_SHARE`), then, once
    that wait is a small part of its age, after what it waits on. The
    cursor stays on its row; on the top row it stays on top, and the detail
    shows the row now there (QA: it kept the old one's span, and `enter`
    opened the other)."""
    path = tmp_path / f"trace-{os.getpid()}.log"  # its eval runs here: live
    path.write_bytes(b"".join(map(c.line, [
        _sample_records(1, "enter", "tool", "Tool Call", start=NOW - 20),
        _sample_records(2, "enter", "sub", "Subprocess", start=NOW - 10),
        _sample_records(1, "enter", "later", "Sandbox", start=NOW)])))
    clock = [NOW + 0.5]
    app = open_app(str(path), now=lambda: clock[0])
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        assert app.run_list.current.live

        def order() -> list[str]:
            return [row.span.id for _, row, _ in panel.rows]

        assert order() == ["tool", "sub", "later"]
        app.focus_now(panel)
        await pilot.pause(0.2)
        assert app.detail.span.id == "tool"
        clock[0] += 100
        app.tick()
        await pilot.pause(0.3)
        assert order() == ["sub", "later", "tool"]
        assert panel.cursor == 0 and app.detail.span.id == "sub"
        await pilot.press("down")  # on `later`, then it moves: the cursor goes with it
        await pilot.pause(0.2)
        clock[0] = NOW + 0.5
        app.tick()
        await pilot.pause(0.3)
        assert order() == ["tool", "sub", "later"] and panel.current[1].span.id == "later"
        assert app.detail.span.id == "later"


async def test_rows_of_an_eval_of_several_tasks_name_their_task_beside_another_evals(tmp_path):
    """Two evals listed: where the row had no room for both, it kept the
    eval's name and dropped its task's, and `failing 1/e1` read
    `1/e1 · 2920`, beside the `limited` task's `1/e1 · 2920` (QA). The
    eval's rows are listed together: the task is kept."""
    shutil.copyfile(SLOTS_LATE, tmp_path / "trace-2920.log")
    shutil.copyfile(os.path.join(os.path.dirname(SLOTS_LATE), "slots-killed.log"), tmp_path / "trace-4260.log")
    app = make_app(str(tmp_path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        rows = [panel.render_row(i, panel.size.width).plain for i, (_, row, _) in enumerate(panel.rows)
                if "breaker" in row.detail]
        assert len(rows) == 3 and all(re.search(r" failing [123]/e1 ", text) for text in rows), rows
        # With less room than its tasks' whole names need, a row names its
        # task by the start that tells them apart (QA: two evals' rows read
        # `Model 10/e1 · 17825` alike, their tasks dropped).
        wheres = {panel.where(row, run, 12) for _, row, run in panel.rows if "breaker" in row.detail}
        assert wheres == {"fail… 1/e1", "fail… 2/e1", "fail… 3/e1"}, wheres


async def test_the_anomaly_filters_words_match_the_task_and_sample_a_row_names():
    """QA: `/django` matched none of the rows reading
    `django__django-22546/e2`, and `/swe_bench` only its `Run Task`; the
    CLI's `--filter` (Inspect's: the record's message, which begins
    `task=… sample=…`) matched them all."""
    app = make_app(SLOTS_LATE)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        app.focus_now(panel)
        await pilot.press("slash", *"failing", "enter")
        await pilot.pause(0.1)
        assert sorted(row.detail.split("(")[0] for _, row, _ in panel.rows) == [
            "breaker", "breaker", "breaker", "task: failing "]
        await pilot.press("slash", "ctrl+u", *"2/e1", "enter")
        await pilot.pause(0.1)
        assert {(_sample_where(row)[0], _sample_where(row)[1]) for _, row, _ in panel.rows} == {
            ("hang", 2), ("failing", 2), ("limited", 2)}
        # Filtered, the rows still say which task's sample they are (QA).
        breaker = next(i for i, (_, row, _) in enumerate(panel.rows) if "breaker" in row.detail)
        assert "failing 2/e1" in panel.render_row(breaker, panel.size.width).plain


def _compose_exec(*command: str) -> str:
    """A sandboxed command's `Subprocess` detail as Inspect writes it: its
    docker sandbox's arguments (`compose_command`, `DockerSandboxEnvironment.exec`)
    through `shlex.join` (`inspect_ai.util.subprocess`)."""
    import shlex

    return shlex.join(["docker", "compose", "--ansi", "never", "--project-name", "inspect-swe-bench-i05nl2r",
                       "-f", "/tmp/tmpk3j2/compose.yaml", "exec", "--workdir", "/testbed", "--user", "root",
                       "--env", "GREETING=hello world", "default", "/usr/bin/timeout", "-k", "5s", "180s",
                       *command])


def test_a_sandboxed_commands_options_are_elided_from_rows():
    from tracetui.elide import elide_compose

    assert elide_compose(_compose_exec("bash", "--login", "-c", "sleep 3600")) == "exec default: sleep 3600"
    assert elide_compose(_compose_exec("bash", "-c", "pytest -x 2>&1 | tail -n 30")) == \
        "exec default: pytest -x 2>&1 | tail -n 30"
    assert elide_compose(_compose_exec("python3", "-m", "http.server")) == "exec default: python3 -m http.server"
    assert elide_compose(_compose_exec("/var/tmp/.da7be258e003d428/inspect-sandbox-tools", "exec")) == \
        "exec default: inspect-sandbox-tools exec"
    assert elide_compose("docker compose --project-name inspect-x up --detach --wait") == \
        "docker compose … up --detach --wait"
    for kept in ("docker compose up --detach", "bash -c 'sleep 600'", "docker compose --project-name x exec",
                 "docker compose --project-name 'unclosed exec default ls"):
        assert elide_compose(kept) == kept


async def test_a_stuck_sandboxed_commands_row_shows_what_it_runs(tmp_path):
    """Inspect's docker sandbox runs each command as `docker compose
    --project-name … -f … exec --workdir … default …`: at any width the
    row showed options and never reached the command (QA). Rows and the
    tree elide the options; the detail and filters keep them."""
    detail = _compose_exec("bash", "--login", "-c", "sleep 3600")
    log = tmp_path / "trace-1.log"
    log.write_bytes(c.line(c.inspect_record("enter", "s1", "Subprocess", detail, start=NOW - 60)))
    app = make_app(str(log))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        assert "Subprocess  exec default: sleep 3600" in panel.render_row(0, 78).plain
        span = panel.rows[0][1].span
        assert "exec default: sleep 3600" in app.tree.render_row(app.tree.rows.spans.index(span), 100).plain
        await pilot.press("slash", *"i05nl2r", "enter")
        await pilot.pause(0.1)
        assert panel.row_count() == 1


async def test_a_tool_call_waiting_for_a_subprocess_slot_comes_after_the_stuck_subprocesses_when_cancelled(
        tmp_path):
    """The same eval stopped by a ctrl+c instead (its open actions
    cancelled at one instant, as Inspect cancels them): the cancelled rows
    are listed as the running ones were, the stuck Subprocesses first."""
    lines = open(os.path.join(os.path.dirname(__file__), "data", "inspect", "slots-killed.log"), "rb").readlines()
    records = [json.loads(line) for line in lines]
    closed = {r["trace_id"] for r in records if r.get("event") in ("exit", "cancel")}
    stop = max(r["start_time"] for r in records if "start_time" in r) + 12.0
    cancels = [dict(r, event="cancel", duration=stop - r.pop("start_time"),
                    message=r["message"].replace("(enter)", "(cancel)"))
               for r in reversed(records) if r.get("event") == "enter" and r["trace_id"] not in closed]
    log = tmp_path / "trace-1653.log"
    log.write_bytes(b"".join(lines) + b"".join(c.line(r) for r in cancels))
    app = make_app(str(log))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        rows = [(b, row.action, row.span.parent and row.span.parent.name) for b, row, _ in app.anomaly_panel.rows]
        assert rows == [("cancelled", "Subprocess", "Tool Call"), ("cancelled", "Tool Call", "sample 1 · epoch 1"),
                        ("cancelled", "Subprocess", "Tool Call"), ("cancelled", "Tool Call", "sample 2 · epoch 1"),
                        ("cancelled", "Tool Call", "sample 3 · epoch 1"), ("cancelled", "Run Task", None)]


async def test_the_detail_follows_a_cursor_that_never_rests(demo_log):
    """A tree following a busy log moves its cursor more often than the
    detail waits for it to rest: the detail showed a span long gone from
    the tree (QA). It is drawn at least every DETAIL_MAX_WAIT."""
    app = make_app(demo_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        app.focus_now(tree)
        await pilot.pause(0.2)
        shown = []
        for i in range(1, 40):  # a move every 20 ms, for 0.8 s
            tree.cursor = i % tree.row_count()
            await pilot.pause(0.02)
            shown.append(app.detail.span)
        assert len({id(span) for span in shown if span is not None}) >= 2
        await pilot.pause(0.2)
        assert app.detail.span is tree.current


async def test_the_status_line_names_the_log_the_tree_shows_first(tmp_path):
    """Of a directory's logs, none live: the line named the newest file
    first while the tree showed another eval (QA: after the followed eval
    exited)."""
    import shutil

    shutil.copy(INTERRUPTED, tmp_path / "trace-1.log.gz")
    shutil.copy(CANCELLED, tmp_path / "trace-2.log.gz")
    app = make_app(str(tmp_path))
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, app)
        for run_id in ("trace-1", "trace-2"):
            app.tree.show_run(app.store.runs[run_id])
            app.update_status()
            assert str(app.query_one("#status").render()).lstrip().startswith(f"{run_id}.log.gz")


async def test_a_just_begun_evals_run_reads_running_in_the_run_list(tmp_path):
    """Its log holds half a record: its row read ✓ (QA), as nothing had
    failed yet."""
    from tracetui.app.style import STATUS_STYLE

    path = tmp_path / f"trace-{os.getpid()}.log"  # its eval runs here
    path.write_bytes(open(HUNG, "rb").readline()[:80])
    app = make_app(str(path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        assert app.run_list.render_row(0, 60).plain.split()[1] == STATUS_STYLE["running"][0]


async def test_the_never_closed_rows_of_several_killed_evals_are_listed_eval_by_eval(tmp_path):
    """QA, a trace directory of killed evals: their hung rows were listed by
    age across the evals, interleaved. Eval by eval, the one written last
    first."""
    for name, offset in (("trace-1.log", 0.0), ("trace-2.log", 0.5)):
        (tmp_path / name).write_bytes(b"".join(
            c.line(c.inspect_record("enter", f"{name}-{i}", "Subprocess", f"sleep {i}", start=NOW - 60 + 2 * i + offset))
            for i in range(3)))
    app = make_app(str(tmp_path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        assert [run.id for _, _, run in app.anomaly_panel.rows] == ["trace-2"] * 3 + ["trace-1"] * 3


async def test_a_then_slash_in_one_burst_filters_the_anomaly_panel():
    """Both keys read at once (typed fast, or `tmux send-keys a /`): `/` is
    handled as it is read, `a` only once the pane it went to got it, and
    the tree was filtered, not the panel (QA). Typed in the box, `a` is a
    letter."""
    from textual import events

    app = make_app(HUNG)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.focus_now(app.tree)
        await pilot.pause(0.1)
        app.post_message(events.Key("a", "a"))
        app.post_message(events.Key("slash", "/"))
        await _until(pilot, lambda: app._filter_target is app.anomaly_panel
                     and app.focused is app.query_one("#filter"))
        assert app._filter_target is app.anomaly_panel
        await pilot.press(*"Task")
        assert app.query_one("#filter").value == "Task" and app.focused is app.query_one("#filter")
        # `tab` `/` and the letters after, in one burst: the box is the next
        # pane's, and the letters are its text (QA: they ran as keys).
        await pilot.press("escape")
        app.focus_now(app.run_list)
        await pilot.pause(0.1)
        for key, char in (("tab", "\t"), ("slash", "/"), ("x", "x"), ("q", "q")):
            app.post_message(events.Key(key, char))
        await _until(pilot, lambda: app._filter_target is app.tree and app.query_one("#filter").value == "xq")
        assert app._filter_target is app.tree and app.query_one("#filter").value == "xq"


async def test_no_errors_is_said_of_a_run_with_none_not_of_a_filter_hiding_them():
    """`e` then `/status:cancelled` on a run with 3 errors said `no errors`
    (QA): the filter's counts are of what it matched."""
    app = make_app(MIXED)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.focus_now(app.anomaly_panel)
        await pilot.press("e")
        await pilot.pause(0.05)
        assert "error" in str(app.anomaly_panel.border_title)
        await pilot.press("slash", *"status:cancelled", "enter")
        await pilot.pause(0.2)
        assert "no errors" not in str(app.anomaly_panel.border_title)


def test_the_anomaly_panel_never_cuts_a_number_short():
    """`sleeper(seconds=360…` in the panel at 120 columns (QA): its rows are
    `Text`s, cut by `cut_row`, as the tree's segments are by `fit`."""
    from tracetui.app.line_list import cut_row

    row = Text("▶   ≥3.2ms Tool Call  1/e1  sleeper(seconds=3600)")
    cut_row(row, 46)
    assert row.plain.rstrip().endswith(" sleeper(seconds=…") and row.cell_len == 46, row.plain
    plain = Text("generate (openai/gpt-4.1-mini)")
    cut_row(plain, 22)
    assert plain.plain == "generate (openai/gpt-…"


async def test_a_enter_slash_in_one_burst_filters_the_tree_at_the_stuck_span():
    """`a` `enter` `/` `sleep` read at once (`tmux send-keys a Enter /sleep`):
    `enter` moved the focus to the tree only once the panel got it, after
    `/` had opened the panel's filter, and the tree took `sleep` as keys
    (`e` toggling errors). `enter` on the panel or the run list is done as
    it is read."""
    from textual import events

    app = make_app(HUNG)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.focus_now(app.tree)
        await pilot.pause(0.1)
        stuck = app.anomaly_panel.rows[0][1].span
        for key, char in (("a", "a"), ("enter", "\r"), ("slash", "/"), *((c, c) for c in "sleep")):
            app.post_message(events.Key(key, char))
        await _until(pilot, lambda: app.query_one("#filter").value == "sleep")
        assert app._filter_target is app.tree and app.query_one("#filter").value == "sleep"
        assert not app.anomaly_panel.show_failures
        await pilot.press("enter")
        await _until(pilot, lambda: app.focused is app.tree and app.tree.current is stuck)
        assert app.focused is app.tree and app.tree.current is stuck
        # A filter typed in the same burst first: `enter` reveals a row it
        # kept, not the row under the cursor before it (QA: `a` `/approve`
        # `enter` `enter` went to the first row's span).
        await pilot.press("escape")
        for key, char in (("a", "a"), ("slash", "/"), *((c, c) for c in "approve"), ("enter", "\r"),
                          ("enter", "\r")):
            app.post_message(events.Key(key, char))
        await _until(pilot, lambda: app.focused is app.tree and app.tree.current is not None
                     and app.tree.current.detail == "bash(cmd='approve')")
        assert app.focused is app.tree and app.tree.current.detail == "bash(cmd='approve')", app.tree.current
        app.focus_now(app.anomaly_panel)
        await pilot.press("escape")  # the panel's filter dropped
        assert app.anomaly_panel.row_count() > 2
        # The run list's `enter` likewise; the tree's own `enter` is its own.
        app.focus_now(app.run_list)
        await pilot.pause(0.1)
        for key, char in (("enter", "\r"), ("slash", "/"), ("x", "x")):
            app.post_message(events.Key(key, char))
        await _until(pilot, lambda: app._filter_target is app.tree and app.query_one("#filter").value == "x")
        assert app._filter_target is app.tree and app.query_one("#filter").value == "x"
        await pilot.press("escape")
        # `space` on the panel as `enter` (README: enter / space select; QA:
        # it did nothing there), and a space typed in the box is a space.
        app.focus_now(app.anomaly_panel)
        app.anomaly_panel.cursor = 0
        await pilot.press("space")
        await pilot.pause(0.2)
        assert app.focused is app.tree and app.tree.current is stuck
        await pilot.press("slash", "a", "space", "b")
        assert app.query_one("#filter").value == "a b"
        await pilot.press("escape")
        folded = len(app.tree.rows)
        app.tree.cursor = next(i for i, (s, _) in enumerate(app.tree.rows) if s.children)
        await pilot.press("enter")  # expands or collapses, as before
        await pilot.pause(0.1)
        assert app.focused is app.tree and len(app.tree.rows) != folded


async def test_a_cancelled_action_shows_what_it_ran():
    """A real eval stopped by SIGINT (tests/data/inspect/sigint-cancel.log.gz):
    its Tool Call, open while it ran, closed once cancelled and hid the ⊘
    Subprocess it had waited on (QA). Its sample opened, it is open."""
    path = os.path.join(os.path.dirname(__file__), "data", "inspect", "sigint-cancel.log.gz")
    app = make_app(path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        tool_call = next(s for s in tree.run.spans.values()
                         if s.name == "Tool Call" and s.status == "cancelled" and s.children)
        node = tool_call.parent
        while node is not None:  # its sample and task opened, as a user would
            tree.set_open(node, True)
            node = node.parent
        with app.store.lock:
            tree.refresh_run()
        await pilot.pause(0.2)
        assert tree.is_open(tool_call) and tree.index_of(tool_call.children[0]) is not None


@pytest.mark.parametrize("slices", [0, 1])
async def test_a_log_not_read_yet_says_how_long_ago_its_last_record_was_written(tmp_path, slices):
    """QA: before a big log's first record was read, the status line said
    `ended 18m08s ago`: its file's mtime (a copy's, days after its eval),
    then nothing of the kind until it was read. It says how long ago its
    last record was written, read from the file's end (the record's own
    time, as the whole-file scan will say it)."""
    written = datetime.fromtimestamp(NOW - 3600, timezone.utc).isoformat()  # an hour before the clock
    records = [c.inspect_record("enter", "LATE", "Model", "x", start=NOW - 7200),
               *(c.inspect_record(event, f"Q{i}", "Model", f"slow {i}", start=NOW - 7200, duration=3600.0,
                                  timestamp=written)
                 for i in range(300) for event in ("enter", "exit"))]
    path = tmp_path / "trace-1.log"
    path.write_bytes(b"".join(map(c.line, records)))
    os.utime(path, (NOW - 600,) * 2)  # ten minutes before the clock
    app = make_app(str(path))
    proceed = _held_after_first_slice(app.sources[0], slices=slices)
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(5):
            await pilot.pause(0.05)
            status = app._status.render_line(0).text
            assert "loading" in status and " ended 1h00m ago " in status, status
        proceed.set()
        await settle(pilot, app)
        assert " ended 1h00m ago " in app._status.render_line(0).text


async def test_a_big_logs_scan_starts_before_the_app_and_is_taken_up_once(tmp_path, monkeypatch):
    """`build_app` starts the big log's scan before the app is imported and
    laid out (its answer came a third of a second later); the app takes it
    up instead of starting another, and none is left running."""
    from tracetui import prescan
    from tracetui.app.main import build_app

    monkeypatch.setattr(prescan, "PRESCAN_MIN_BYTES", 0)
    path = tmp_path / "trace-7.log"
    _gen_inspect(path, 3000, 7, start=NOW - 5000)
    os.utime(path, (NOW - 1000, NOW - 1000))  # an old log, not being written
    started = []
    real_init = prescan.Prescan.__init__

    def spy(self, *args, **kwargs):
        started.append(args[0])
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(prescan.Prescan, "__init__", spy)
    app = build_app([str(path)], now=lambda: NOW)
    assert started == [str(path)] and list(app._early_prescans) == [str(path)]
    (early,) = app._early_prescans.values()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        assert await wait_for(pilot, lambda: not app._early_prescans)
        assert started == [str(path)]  # taken up (or cancelled, the log read first), not started again
    assert early._proc is not None and early._proc.poll() is not None  # done, or killed


@pytest.mark.parametrize("detail, wide", [
    (_compose_exec("sleep", "600"), "exec default: sleep 600"),
    # A local sandbox's: `bash -c 'sl…` (QA).
    ("bash --login -c 'sleep 600'", "bash --login -c 'sleep 600'"),
])
async def test_a_compact_panel_says_what_a_stuck_sandbox_command_runs(tmp_path, detail, wide):
    """At 120 columns the panel has 46 cells: every stuck `Subprocess` read
    `…sympy-21028/e1  exec d…`, the sample's tag taking the room of what it
    runs (QA). A long sample id is cut to a quarter of the panel, and the
    command is said without `exec default:` or the shell running it (the
    detail pane says those)."""
    from tracetui.app.anomaly_panel import COMPACT_WIDTH

    path = tmp_path / "trace-5.log"
    lines = []
    for n in range(3):
        where = {"task": "swe_bench", "sample_id": f"django__django-1109{n}", "epoch": 1}
        lines.append(c.line(c.inspect_record("enter", f"s{n}", "Subprocess", detail,
                                             start=NOW - 100 + n, **where)))
    path.write_bytes(b"".join(lines))
    os.utime(path, (NOW - 50, NOW - 50))
    app = make_app(str(path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        panel = app.anomaly_panel
        assert panel.size.width < COMPACT_WIDTH and panel.row_count() == 3
        rows = [panel.render_row(i, panel.size.width).plain.rstrip() for i in range(3)]
        assert all(row.endswith("  sleep 600") and len(row) <= panel.size.width for row in rows), rows
        assert sorted(re.search(r"…(\S+)", row).group(1) for row in rows) == [
            "go-11090/e1", "go-11091/e1", "go-11092/e1"]
    async with make_app(str(path)).run_test(size=(200, 36)) as pilot:  # wide: as it was
        app = pilot.app
        await settle(pilot, app)
        row = app.anomaly_panel.render_row(0, app.anomaly_panel.size.width).plain
        assert "django__django-1109" in row and wide in row


async def test_a_panes_key_then_a_focus_key_in_one_burst_do_both_in_order():
    """`*` then `tab` read at once (`tmux send-keys '*' Tab`, a paste, ssh
    coalescing keys): `*` went to the tree's queue, `tab` moved the focus
    before the tree had it, and the app then looked `*` up among the next
    pane's keys: the subtree stayed shut (QA). Likewise `←` `tab` kept the
    node open, and `*` `a` `enter` opened nothing. The keys are done in the
    order they were typed, each by the pane focused when it comes."""
    from textual import events

    app = make_app(HUNG)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        app.focus_now(tree)
        tree.cursor = next(i for i, (s, _) in enumerate(tree.rows) if s.kind == "task")
        await pilot.press("shift+left")
        shut = tree.row_count()
        node = tree.current
        for key, char in (("asterisk", "*"), ("tab", "\t")):
            app.post_message(events.Key(key, char))
        await _until(pilot, lambda: tree.row_count() > shut and tree.is_open(node))
        assert tree.row_count() > shut and tree.is_open(node)
        assert app.focused is app.detail
        app.focus_now(tree)
        await pilot.pause(0.1)
        for key, char in (("shift+left", None), ("tab", "\t")):
            app.post_message(events.Key(key, char))
        await _until(pilot, lambda: tree.row_count() == shut and not tree.is_open(node))
        assert tree.row_count() == shut and not tree.is_open(node)
        assert app.focused is app.detail
        # A key held for a pane, then a key that leaves it and one that
        # acts on where it lands: the tree opened, then the stuck span.
        app.focus_now(tree)
        await pilot.pause(0.1)
        stuck = app.anomaly_panel.rows[0][1].span
        for key, char in (("asterisk", "*"), ("a", "a"), ("enter", "\r")):
            app.post_message(events.Key(key, char))
        await _until(pilot, lambda: tree.is_open(node) and app.focused is tree and tree.current is stuck)
        assert tree.is_open(node) and app.focused is tree and tree.current is stuck


async def test_the_help_screen_opened_and_closed_in_one_burst_then_a_key_for_the_pane():
    """`?` `q` `j` read at once: the help opens and closes, and `j` moves
    the tree's cursor (the help screen dropped keys sent in a burst)."""
    from textual import events

    app = make_app(HUNG)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        app.focus_now(tree)
        tree.cursor = 0
        await pilot.pause(0.1)
        for key, char in (("question_mark", "?"), ("q", "q"), ("j", "j"), ("j", "j")):
            app.post_message(events.Key(key, char))
        await _until(pilot, lambda: len(app.screen_stack) == 1 and tree.cursor == 2)
        assert len(app.screen_stack) == 1 and app.is_running
        assert app.focused is tree and tree.cursor == 2


async def test_keys_held_for_one_whose_way_back_is_lost_go_on_after_a_while(monkeypatch):
    """Should a key's `KeyDone` never come back (the widget it went to
    removed meanwhile), the keys read after it are not held for good: they
    go on after `KEY_WAIT`."""
    from textual import events

    from tracetui.app import key_order

    async def lost(self, message):
        message.stop()

    monkeypatch.setattr(key_order.KeysInOrder, "on_keys_in_order_key_done", lost)
    monkeypatch.setattr(key_order, "KEY_WAIT", 1.0)
    app = make_app(HUNG)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        app.focus_now(tree)
        tree.cursor = 0
        await pilot.pause(0.1)
        for key in ("j", "j", "j"):
            app.post_message(events.Key(key, key))
        assert await wait_for(pilot, lambda: tree.cursor == 1, 0.8)
        assert tree.cursor == 1  # the first; the others held
        assert await wait_for(pilot, lambda: tree.cursor == 3, 3.0)


async def test_esc_and_a_key_read_as_one_alt_key_are_both_done():
    """`esc` then `q` typed within tmux's escape-time (or sent at once)
    reach the app as alt+q, as a terminal sends alt+q: the filter stayed
    and the app did not quit (QA). Nothing is bound to alt: it is `esc`
    then the key."""
    from textual import events

    app = make_app(HUNG)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        app.focus_now(tree)
        await pilot.press("slash", *"sleep", "enter")
        await pilot.pause(0.2)
        assert app._filter_texts.get("tree") == "sleep"
        # `esc` `a` `/` `x`: the filter dropped, the panel's box opened.
        for key, char in (("alt+a", "a"), ("slash", "/"), ("x", "x")):
            app.post_message(events.Key(key, char))
        await _until(pilot, lambda: not app._filter_texts.get("tree") and app._filter_target is app.anomaly_panel
                     and app.query_one("#filter").value == "x")
        assert not app._filter_texts.get("tree")
        assert app._filter_target is app.anomaly_panel and app.query_one("#filter").value == "x"
        await pilot.press("escape")
        app.post_message(events.Key("alt+q", "q"))
        await _until(pilot, lambda: not app.is_running)
        assert not app.is_running


async def test_esc_then_tab_or_enter_read_as_one_are_both_done():
    """`esc` `tab` typed within tmux's escape-time reach the app as ESC TAB,
    which Textual's parser read as shift+tab: the filter stayed and the
    focus went back a pane. ESC CR was a plain enter. The terminal's bytes
    go through the parser here, as the driver feeds them."""
    import time as clock

    from textual._xterm_parser import XTermParser

    app = make_app(HUNG)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)

        def typed(data: str) -> list:
            parser = XTermParser()
            keys = list(parser.feed(data))
            clock.sleep(0.12)  # past the parser's wait for more of a sequence
            return keys + list(parser.tick())

        assert [(k.key, k.character) for k in typed("\x1b\t")] == [("escape", "\x1b"), ("tab", "\t")]
        assert [k.key for k in typed("\x1b\r")] == ["escape", "enter"]
        assert [k.key for k in typed("\x1b[Z")] == ["shift+tab"]  # a real shift+tab
        tree = app.tree
        app.focus_now(tree)
        await pilot.press("slash", *"sleep", "enter")
        await _until(pilot, lambda: app._filter_texts.get("tree") == "sleep")
        for key in typed("\x1b\t"):
            app.post_message(key)
        await _until(pilot, lambda: not app._filter_texts.get("tree") and app.focused is not tree)
        assert not app._filter_texts.get("tree")
        assert app.focused is app.detail  # the pane after the tree, not the one before


async def test_rows_shown_say_their_spans_ages_while_the_tree_waits_to_be_laid_out(tmp_path, monkeypatch):
    """A big run (or a filtered one) is laid out again from a thread, at
    most every so often: meanwhile the rows on screen were not drawn again,
    and while a big log loaded the tree kept ages seconds old beside the
    run list's (QA: the run `≥10m16s`, its Run Task `≥35.32s`)."""
    path = tmp_path / "trace-1.log"
    shutil.copy(HUNG, path)
    os.utime(path, (NOW - 3600,) * 2)
    app = make_app(str(path))
    async with app.run_test(size=(140, 36)) as pilot:
        await settle(pilot, app)
        tree = app.tree
        app.focus_now(tree)
        await pilot.press("slash", *"Run Task", "enter")
        await pilot.pause(0.3)
        y = next(i for i, (s, _) in enumerate(tree.rows) if s.name == "Run Task")
        before = tree._drawn[y][1].text
        laid_out = []
        monkeypatch.setattr(tree, "_lay_out_in_background", lambda live=False: laid_out.append(live))
        # Another record, a minute after the log's last: the run's end, and
        # its Run Tasks' ages, a minute on.
        with open(path, "ab") as f:
            f.write(json.dumps({"timestamp": "2026-11-23T07:34:35.877391+00:00", "level": "TRACE",
                                "message": "a minute on"}).encode() + b"\n")
        assert await wait_for(pilot, lambda: laid_out, 5)
        await pilot.pause(0.2)
        after = tree._drawn[y][1].text
        assert "≥1.49s" in before and "≥1m01s" in after, (before, after)


async def test_n_with_no_notes_and_r_on_an_inferred_node_open_what_q_closes():
    """`n` with nothing to say, and `r` on a node tracetui inferred, said
    so in a toast: the `q` typed next to close what they open quit the app
    (QA). They open their screen, which says so."""
    app = make_app(HUNG)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        assert not app.all_notes()
        app.focus_now(app.tree)
        await pilot.press("n")
        await pilot.pause(0.1)
        assert len(app.screen_stack) == 2 and "no notes" in _raw_text(app, "#notes-body")
        await pilot.press("q")
        await pilot.pause(0.1)
        assert len(app.screen_stack) == 1 and app.is_running
        tree = app.tree
        tree.move_to(next(i for i, (s, _) in enumerate(tree.rows) if s.synthetic))
        await pilot.pause(0.2)
        await pilot.press("r")
        await pilot.pause(0.1)
        assert len(app.screen_stack) == 2 and "this node is inferred" in _raw_text(app)
        await pilot.press("q")
        await pilot.pause(0.1)
        assert len(app.screen_stack) == 1 and app.is_running


@pytest.mark.parametrize("wait", [0.0, 0.002, 0.005, 0.01, 0.5])
async def test_keys_held_as_the_app_closes_are_dropped_quietly(wait):
    """Keys read in one burst as the app closes (`q` and keys behind it,
    or the app told to exit): those still held are not handed to screens
    that are gone (ScreenStackError at exit, 1 run of the suite in 3)."""
    from textual import events

    app = make_app(HUNG)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.focus_now(app.tree)
        await pilot.pause(0.1)
        for key in ("j", "q", "j", "j", "k", "j", "j", "j"):
            app.post_message(events.Key(key, key))
        await asyncio.sleep(wait)
    assert app.return_code in (0, None)


async def test_the_tree_title_counts_the_matches_of_the_run_it_shows():
    """Filtered, the tree moved to another run: its title kept the last
    run's count (QA: `nightly-etl · 0 matches` over its cancelled span)."""
    app = make_app(NATIVE)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        runs = {run.name: run for run in app.run_list.runs}
        app.run_list.select_run(runs["support-agent"])
        await pilot.pause()
        tree, _ = await _filter_the_tree(pilot, app, "status:cancelled")
        await _until(pilot, lambda: tree._filter_worker is None)
        assert "0 matches" in str(tree.border_title), tree.border_title
        app.run_list.select_run(runs["nightly-etl"])
        await _until(pilot, lambda: tree.run is runs["nightly-etl"] and tree._filter_worker is None)
        await pilot.pause()
        assert [s.name for s, _ in tree.rows if s.status == "cancelled"] == ["notify"]
        assert "nightly-etl · 1 match" in str(tree.border_title), tree.border_title


async def test_a_panel_row_names_its_run_where_there_are_several_runs():
    """A Flujo database of five pipelines, one hung: its row read
    `pipeline  pipeline_run`, not saying it was `crawl`'s (QA). With rows
    of one run, but several runs to choose from, the row names its run; a
    single eval's log (one run) does not."""
    app = make_app(FLUJO)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert len(app.run_list.runs) > 1
        (row,) = [app.anomaly_panel.render_row(i, 78).plain for i in range(len(app.anomaly_panel.rows))]
        assert "crawl" in row and "pipeline_run" in row
    app = make_app(HUNG)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        run = app.run_list.runs[0]
        assert len(app.run_list.runs) == 1
        assert not any(run.name in app.anomaly_panel.render_row(i, 118).plain
                       for i in range(len(app.anomaly_panel.rows)))


def test_a_live_spans_detail_signature_is_the_same_until_it_changes():
    """The detail of a live span is redrawn when what it shows changes
    (`detail_signature`), not with every batch of its run: a NaN duration
    (read as a new float each time) must compare equal to itself, and a
    new child, log record or status must not."""
    from tracetui.app.app import detail_signature
    from tracetui.model import RUNNING, Run, Span

    span = Span("a", Run("r", "s", "inspect"), "Tool Call", "Tool Call", 1.0e9)
    span.status = RUNNING
    span.duration = float("nan")
    first = detail_signature(span)
    assert detail_signature(span) == first
    span.children = [Span("b", span.run, "Subprocess", "Subprocess", 1.0e9)]
    assert detail_signature(span) != first
    second = detail_signature(span)
    span.duration = 2.5
    assert detail_signature(span) != second


def test_the_status_line_reads_the_runs_while_the_reader_adds_more():
    """QA: an OTLP export of 40,000 traces (a run a trace) crashed the app
    as it loaded: the status line's `ended … ago` walked the store's runs
    on the UI thread while the reader added more (`dictionary changed size
    during iteration`). Here a run's `source`, read in that walk, adds a
    run as the reader would between two of its steps."""
    from types import SimpleNamespace

    from tracetui.app.app import TraceApp
    from tracetui.model import Run
    from tracetui.store import Store

    store = Store()

    class ReaderAddsARun(Run):
        __slots__ = ()

        @property
        def source(self) -> str:
            store.run(f"added-{len(store.runs)}", "/other.jsonl", "otlp")
            return Run.source.__get__(self)

        @source.setter
        def source(self, value: str) -> None:
            Run.source.__set__(self, value)

    store.runs["a"] = ReaderAddsARun("a", "/x.jsonl", "otlp")
    store.runs["a"].last_time = 1_795_412_244.0
    store.run("b", "/x.jsonl", "otlp").last_time = 1_795_412_200.0
    app = SimpleNamespace(now=lambda: 1_795_412_244.0 + 90, store=store)
    said = TraceApp._ended_ago(app, SimpleNamespace(path="/x.jsonl", behind=False))
    assert said == " 1m30s ago" and len(store.runs) > 2
