"""`QuickScrollBar` draws what Textual's `ScrollBar` draws, cell for cell."""

from __future__ import annotations

import os
import random

import pytest
from textual.app import App, ComposeResult
from textual.filter import Monochrome
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from tracetui.app.main import build_app
from tracetui.app.scrollbar import QuickScrollBar, QuickScrollBars


class Scrolled(QuickScrollBars, ScrollView):
    """A pane of blank lines, scrolling both ways, with quick scrollbars."""

    DEFAULT_CSS = "Scrolled { height: 1fr; }"

    def render_line(self, y: int) -> Strip:
        return Strip.blank(self.size.width, self.rich_style)


class ScrolledApp(App):
    def compose(self) -> ComposeResult:
        yield Scrolled()


def drawn(lines: list[Strip]) -> list[tuple]:
    """Lines as their segments (text, style, control) and cell lengths."""
    return [(tuple(line), line.cell_length) for line in lines]


async def compare_at_many_places(app: ScrolledApp, hover: bool = False) -> int:
    """Scroll the pane to many places; at each, both bars' lines, whole and
    cropped, drawn both ways must be the same (the quick bar's as it keeps
    them, if it does). Returns the comparisons made."""
    rng = random.Random(7)
    compared = 0
    async with app.run_test(size=(60, 30)) as pilot:
        pane = app.query_one(Scrolled)
        pane.virtual_size = Size(200, 100_000)
        await pilot.pause()
        bars = [pane.vertical_scrollbar, pane.horizontal_scrollbar]
        assert all(type(bar) is QuickScrollBar for bar in bars)
        places = [0, 1, 7, 500, 50_000, 99_970, 99_999] + [rng.randrange(100_000) for _ in range(30)]
        for y in places:
            pane.scroll_to(x=rng.randrange(150), y=y, animate=False, immediate=True)
            await pilot.pause()
            for bar in bars:
                assert bar.display
                bar.mouse_over = hover
                width, height = bar.size
                # Ends as it starts, the whole bar: at the next place, the
                # lines kept for it must not be drawn again.
                for crop in (Region(0, 0, width, height), Region(0, 3, width, height - 5),
                             Region(0, 0, min(width, 5), height), Region(1, 0, width - 1, height),
                             Region(0, 0, width, height)):
                    bar._styles_cache.clear()  # Textual's own drawing, not what it kept
                    assert drawn(QuickScrollBar.render_lines(bar, crop)) == drawn(ScrollBar.render_lines(bar, crop))
                    compared += 1
    return compared


async def test_a_quick_bar_draws_the_cells_textual_draws():
    """Thumb at the top, the bottom and in between (its partial ends),
    vertical and horizontal, whole and cropped."""
    assert await compare_at_many_places(ScrolledApp()) == 37 * 2 * 5


async def test_a_quick_bar_draws_the_cells_textual_draws_under_the_mouse():
    assert await compare_at_many_places(ScrolledApp(), hover=True) == 37 * 2 * 5


async def test_a_quick_bar_is_filtered_as_textual_filters_it(monkeypatch):
    """NO_COLOR: the app's line filters (monochrome) apply to its lines too."""
    monkeypatch.setenv("NO_COLOR", "1")
    assert any(isinstance(f, Monochrome) for f in ScrolledApp().get_line_filters())
    assert await compare_at_many_places(ScrolledApp()) == 37 * 2 * 5


@pytest.mark.parametrize("pane", ["run_list", "anomaly_panel", "tree", "detail"])
async def test_the_explorers_panes_have_quick_bars(pane, samples):
    """The panes that scroll and redraw most: the lists and the detail."""
    app = build_app([os.path.join(samples, "inspect", "mixed.log.gz")])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        widget = getattr(app, pane)
        assert type(widget.vertical_scrollbar) is QuickScrollBar
        assert type(widget.horizontal_scrollbar) is QuickScrollBar
