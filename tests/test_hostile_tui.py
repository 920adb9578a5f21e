"""The TUI over the hostile corpus: trace text is shown literally (never
markup, never a control sequence), every key path survives it, damage is
counted in the status line, and files changing under it do no harm."""

from __future__ import annotations

import io
import json
import os

import pytest
from rich.cells import cell_len
from rich.console import Console
from textual.widgets import Input

from headless import open_app, settle
from hostile import corpus as c
from tracetui.app.app import TraceApp

NOW = c.T0 + 100
SIZE = (140, 44)
#: Code points that must never reach the terminal from trace text.
FORBIDDEN = set(c.FORBIDDEN_CODEPOINTS) - {"\n"}


def make_app(*paths: str) -> TraceApp:
    return open_app(*paths, now=NOW)


def screen_text(app: TraceApp) -> str:
    """What the terminal would show, as text: every line of the composed screen."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def assert_clean(text: str) -> None:
    bad = sorted({f"U+{ord(ch):04X}" for ch in text if ch in FORBIDDEN})
    assert not bad, f"control/bidi code points reached the screen: {bad}"


async def walk_every_key(pilot, app: TraceApp) -> list[str]:
    """Visit every pane and key path; return the screens seen."""
    screens = [screen_text(app)]
    # Panel → tree (the jump) → detail → panel → runs (`tab` order), and back.
    await pilot.press("a", "enter", "tab", "j", "enter", "space", "tab", "tab", "G", "e", "f", "shift+tab", "j")
    await pilot.pause(0.15)  # the detail pane follows after a short rest
    screens.append(screen_text(app))
    app.tree.focus()
    await pilot.press("j", "j")
    await pilot.pause(0.15)
    screens.append(screen_text(app))
    await pilot.press("r")
    await pilot.pause(0.1)
    screens.append(screen_text(app))
    await pilot.press("escape")
    await pilot.press("c")
    await pilot.press("question_mark")
    await pilot.pause(0.05)
    screens.append(screen_text(app))
    await pilot.press("escape")
    await pilot.press("slash")
    app.query_one("#filter", Input).value = c.MARKUP
    await pilot.pause(0.2)
    screens.append(screen_text(app))
    await pilot.press("escape")
    await pilot.pause(0.05)
    return screens


@pytest.mark.parametrize("builder", [c.nasty_inspect, c.nasty_native, c.nasty_db])
async def test_untrusted_text_is_shown_literally(tmp_path, builder):
    path = builder(str(tmp_path))
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        screens = await walk_every_key(pilot, app)
        assert app.is_running  # `[@click=app.quit]` and friends did nothing
        for text in screens:
            assert_clean(text)
        everything = "\n".join(screens)
        # Markup is printed as the characters it is made of ...
        assert "[red]RED[/]" in everything or "[red]RED" in everything
        # ... and escapes are shown as visible \x.. text.
        assert "\\x1b" in everything
        # Huge names do not break the layout: every screen line fits the terminal.
        assert max(cell_len(line) for line in everything.splitlines()) <= SIZE[0]


@pytest.mark.parametrize("builder", [c.lone_surrogate_inspect, c.lone_surrogate_native])
async def test_a_lone_surrogate_is_drawn_as_its_escape_and_copied_and_exported(tmp_path, builder,
                                                                               monkeypatch):
    """`c` and `x` on such a span ended the app with a traceback, and its
    rows were drawn five cells too wide (QA)."""
    monkeypatch.chdir(tmp_path)
    path = builder(str(tmp_path))
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        screens = await walk_every_key(pilot, app)
        app.tree.focus()
        await pilot.press("x")
        await pilot.pause(0.5)
        assert app.is_running
        everything = "\n".join(screens)
        assert "\\ud800" in everything
        assert max(cell_len(line) for line in everything.splitlines()) <= SIZE[0]
    assert any(name.endswith(".perfetto.json") for name in os.listdir(tmp_path))


async def test_detail_pane_shows_every_nasty_field_literally(tmp_path):
    path = c.nasty_native(str(tmp_path))
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        run = next(iter(app.store.runs.values()))
        span = next(s for s in run.spans.values() if s.status == "error")
        app.detail.show(span, NOW)
        await pilot.pause(0.1)
        text = screen_text(app)
        assert_clean(text)
        assert "[link=https://x]L[/link]" in text and "\\x1b]52;c;" in text


async def test_escapes_pasted_into_the_filter_are_not_drawn_raw(tmp_path):
    app = make_app(c.nasty_inspect(str(tmp_path)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash")
        app.query_one("#filter", Input).value = c.ESCAPES
        await pilot.pause(0.2)
        assert_clean(screen_text(app))


# -- damage shows in the status line, as in the CLI ---------------------------------

# A live file's unfinished last line is held, not counted, until its
# writer ends it (the CLI's one-shot read counts it as bad).
STATUS_CASES = [
    (c.truncated_last_line, "6 records  follow"),
    (c.nul_bytes, "6 records  2 skipped (first at line 7)"),
    (c.invalid_utf8, "6 records  2 skipped (first at line 7)"),
    (c.deep_nesting, "6 records  2 skipped (first at line 7)"),
    (c.crlf, "6 records  follow"),
    (c.bom, "6 records  follow"),
    (c.wrong_shape_inspect, "7 records  39 skipped (first at line 7)"),
]


@pytest.mark.parametrize("builder,status", STATUS_CASES, ids=[b[0].__name__ for b in STATUS_CASES])
async def test_damage_is_counted_in_the_status_line(tmp_path, builder, status):
    path = builder(str(tmp_path))
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        line = str(app.query_one("#status").render())
        assert status in line
        running = [(r.action, r.detail) for b, r, _ in app.anomaly_panel.rows if b == "running"]
        assert ("Subprocess", "sleep 600") in running


async def test_gzip_cut_short_says_so(tmp_path):
    path = c.gzip_truncated(str(tmp_path))
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        line = str(app.query_one("#status").render())
        assert "gzip data ends early or is damaged" in line and "1 skipped" in line
    # QA, at 80 columns: the note was cut off, the file read as any archive.
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        line = app._status.render_line(0).text
        assert "archived, cut short" in line and "2 notes: n" in line


async def test_overflowing_numbers_and_odd_times_render(tmp_path):
    app = make_app(c.overflow_numbers(str(tmp_path)), c.odd_times(str(tmp_path)), c.native_cycles(str(tmp_path)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("tab", "enter", "j", "enter", "tab", "j", "j", "enter", "space")
        for run in list(app.store.runs.values()):
            for span in list(run.spans.values()):
                app.detail.show(span, NOW)
        await pilot.pause(0.1)
        assert_clean(screen_text(app))
        assert app.is_running


async def test_deeply_nested_values_in_the_detail_pane(tmp_path):
    """orjson reads up to 1024 levels: a span whose input is 1000 deep must
    render (or be elided), not blow the stack."""
    deep = b'{"d":' * 1000 + b'{"x": 1}' + b"}" * 1000
    record = c.line(c.native_span("deep", input="@IN@", output=[[[[[[1]]]]]], attributes={"a": "@AT@"}))
    record = record.replace(b'"@IN@"', deep).replace(b'"@AT@"', deep)
    path = c.write(str(tmp_path), "deep.jsonl", record)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        span = app.store.runs["T"].spans["deep"]
        app.detail.show(span, NOW)
        await pilot.pause(0.2)
        app.tree.focus()
        await pilot.press("r")
        await pilot.pause(0.2)
        await pilot.press("escape")
        assert app.is_running


# -- files changing under the TUI -------------------------------------------------------

async def test_followed_file_truncated_replaced_and_deleted(tmp_path):
    path = c.write(str(tmp_path), "trace-77.log", c.good_inspect_bytes())
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert app.store.runs["trace-77"].spans.get("a2") is not None
        with open(path, "wb") as f:  # truncated and rewritten
            f.write(c.line(c.inspect_record("enter", "fresh", "Tool Call", "fresh", start=c.T0 + 50)))
        for _ in range(100):
            await pilot.pause(0.02)
            run = app.store.runs.get("trace-77")
            if run is not None and "fresh" in run.spans:
                break
        spans = app.store.runs["trace-77"].spans
        assert "fresh" in spans and "a2" not in spans
        await pilot.pause(0.1)
        assert [r.detail for b, r, _ in app.anomaly_panel.rows] == ["fresh"]
        os.unlink(path)
        for _ in range(100):  # the status line is refreshed on the next tick
            await pilot.pause(0.05)
            if "file was removed" in str(app.query_one("#status").render()):
                break
        assert "file was removed" in str(app.query_one("#status").render())
        assert "fresh" in app.store.runs["trace-77"].spans
        os.mkfifo(path)  # a FIFO where the file was: must not block the reader
        await pilot.pause(0.2)
        await pilot.press("j")
        assert app.is_running


@pytest.mark.slow
async def test_directory_of_a_thousand_files(tmp_path):
    directory = c.many_files(str(tmp_path))
    app = make_app(directory)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        for _ in range(100):
            if app.run_list.row_count() >= 900:
                break
            await pilot.pause(0.05)
        assert app.run_list.row_count() == 900
        await pilot.press("a", "G", "enter")
        await pilot.pause(0.1)
        assert app.is_running


@pytest.mark.slow
async def test_fifty_megabyte_line(tmp_path):
    path = c.huge_line(str(tmp_path))
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(500):
            await pilot.pause(0.05)
            if not app.loading and "huge" in app.store.runs["trace-huge"].spans:
                break
        screens = await walk_every_key(pilot, app)
        assert max(cell_len(line) for s in screens for line in s.splitlines()) <= SIZE[0]
        assert "after-huge" in json.dumps([r.detail for b, r, _ in app.anomaly_panel.rows])


async def test_a_huge_detail_is_drawn_cut_with_a_note(tmp_path):
    """Drawing a string is not linear in its length: a detail of millions of
    characters took seconds on every visit (QA: 5 s for 30 MB)."""
    path = c.huge_line(str(tmp_path), size=3 * 1024 * 1024)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        detail = app.query_one("#detail")
        detail.show(app.store.runs["trace-huge"].spans["huge"], NOW)
        drawn = "\n".join(strip.text for strip in detail._lines)
        assert "more characters; `r` shows the raw record" in drawn
        assert len(detail._lines) < 5_000  # 1,000,000 characters drew 14,938 lines
        # The raw record is cut too, and says where it is whole (QA: its cut
        # pointed back to `r`).
        app.tree.reveal(app.store.runs["trace-huge"].spans["huge"])
        app.focus_now(app.tree)
        await pilot.pause(0.1)
        await pilot.press("r")
        await pilot.pause(0.2)
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(app.screen._body)
        raw = console.export_text()
        assert "more characters; `tracetui dump` prints every record whole" in raw
        assert "`r` shows" not in raw
        await pilot.press("escape")
        # Copying 3 MB of JSON through the terminal is refused, and said so,
        # not toasted as copied (a terminal drops what it cannot take).
        copied = []
        app.copy_to_clipboard = copied.append
        await pilot.press("c")
        await pilot.pause(0.1)
        assert not copied
        assert any("not copied: 3.1 MB" in n.message for n in app._notifications)


async def test_deep_rows_keep_their_names(tmp_path):
    """Past a third of the pane the indentation stops and says the depth:
    below about 35 levels rows showed `…` and nothing else (QA)."""
    spans = [{"trace_id": "t", "span_id": f"s{i}", "parent_id": f"s{i - 1}" if i else None,
              "name": f"level{i}", "start_time": c.T0 + i / 100, "end_time": c.T0 + 10, "status": "ok"}
             for i in range(200)]
    path = c.write(str(tmp_path), "deep.jsonl", b"".join(json.dumps(s).encode() + b"\n" for s in spans))
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.tree.focus()
        await pilot.press("asterisk", "G")
        await pilot.pause(0.1)
        width = app.tree.scrollable_content_region.width
        last = app.tree.render_row(len(app.tree.rows) - 1, width).plain
        assert "level199" in last and "⋯199" in last and len(last) <= width
