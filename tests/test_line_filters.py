"""With NO_COLOR set, or TEXTUAL_FILTERS=dim, the explorer draws."""

from __future__ import annotations

import os

from textual.geometry import Region

from tracetui.app.main import build_app
from tracetui.app.line_filters import NullSafeMonochrome, SafeDimFilter



def mixed(samples: str) -> str:
    """A real Inspect log (`sample_traces/make_inspect.py`) with failed
    actions: the anomaly panel lists them once `e` is pressed."""
    return os.path.join(samples, "inspect", "mixed.log.gz")


async def jump_to_an_error(app, pilot) -> None:
    """`e`, then `enter` on the panel's first row: the tree and the detail
    show its span, and the focus moves to the tree."""
    await pilot.pause(0.3)
    await pilot.press("e")
    await pilot.pause(0.2)
    row = app.anomaly_panel.current
    assert row is not None, "the panel lists the log's errors"
    await pilot.press("enter")
    await pilot.pause(0.3)
    assert app.focused is app.tree and app.tree.current is row[1].span and app.detail.span is row[1].span


def colours(lines) -> set[tuple[int, int, int]]:
    """Every colour (foreground and background) the lines are drawn in."""
    found = set()
    for line in lines:
        for segment in line:
            style = segment.style
            for colour in (style.color, style.bgcolor) if style is not None else ():
                if colour is not None and colour.triplet is not None:
                    found.add(tuple(colour.triplet))
    return found


async def test_the_explorer_draws_every_pane_in_grey_with_no_color(monkeypatch, samples):
    """Textual's NO_COLOR filter failed on a segment without a style (a
    blank line, a padded row): the app died on its first frame (QA). Every
    pane, the jump to an anomaly and the help screen included."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = build_app([mixed(samples)])
    assert any(isinstance(f, NullSafeMonochrome) for f in app.get_line_filters())
    async with app.run_test(size=(120, 36)) as pilot:
        await jump_to_an_error(app, pilot)
        drawn = set()
        for pane in (app.run_list, app.anomaly_panel, app.tree, app.detail):
            lines = pane.render_lines(Region(0, 0, *pane.outer_size))
            assert lines and all(line.cell_length == pane.outer_size.width for line in lines)
            drawn |= colours(lines)
        assert len(drawn) > 1, "drawn in more than one shade"
        assert all(r == g == b for r, g, b in drawn), drawn
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        assert app.screen.__class__.__name__ == "HelpScreen"


async def test_the_explorer_draws_every_pane_with_textuals_dim_filter(monkeypatch, samples):
    """TEXTUAL_FILTERS=dim: Textual's filter blends a dim segment's colour
    into its background, and failed on the explorer's dim text, which has
    no colour of its own (the first frame, QA). The text it can blend is
    blended (no dim left), the rest stays dim."""
    import textual.constants

    monkeypatch.setattr(textual.constants, "FILTERS", "dim")
    app = build_app([mixed(samples)])
    assert any(isinstance(f, SafeDimFilter) for f in app.get_line_filters())
    async with app.run_test(size=(120, 36)) as pilot:
        await jump_to_an_error(app, pilot)
        for pane in (app.run_list, app.anomaly_panel, app.tree, app.detail):
            lines = pane.render_lines(Region(0, 0, *pane.outer_size))
            assert lines and all(line.cell_length == pane.outer_size.width for line in lines)
            for line in lines:
                for segment in line:
                    style = segment.style
                    if style is not None and style.dim:
                        assert style.color is None or style.color.triplet is None, "a dim colour left unblended"
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        assert app.screen.__class__.__name__ == "HelpScreen"
