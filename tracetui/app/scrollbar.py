"""Scrollbars drawn straight into strips, for the explorer's busy panes.

Textual draws a scrollbar as it draws any widget: its bar as a Rich
renderable, then each of its lines through the styles cache (borders,
padding, tint, opacity, filters). For a bar one cell wide that machinery is
nearly all the cost: 1.1-1.9 ms a bar of 20-33 lines in the explorer, and
a Strip made twice a line (the line, then the line filtered), at ~8 us
each. A bar is drawn again whenever its pane scrolls or changes focus:
1.0-2.4 ms of bars in the first frame after `enter` on an anomaly, 6-15 ms
over the frames it sets off (the 1M-line log, 120x40). `QuickScrollBar`
makes the same cells from the same segments (`ScrollBarRender.render_bar`,
the colours `ScrollBar.render` picks) and applies the app's line filters
(NO_COLOR, ANSI colours) as the styles cache does, but nothing else: a
scrollbar has no border, padding, tint or opacity of its own. Where one
has (a stylesheet that gives it some), Textual draws it.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.geometry import Region
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip


class QuickScrollBar(ScrollBar):
    """A `ScrollBar` whose lines are made from its segments directly."""

    #: The lines drawn last, and the (crop, size) they were drawn for: a
    #: frame that repaints the pane asks for the bar's lines again, and
    #: Textual's styles cache gave them back as kept until the bar was
    #: marked dirty; so are these.
    _quick_lines: tuple[tuple[Region, object], list[Strip]] | None = None

    def _set_dirty(self, *regions: Region) -> None:
        # Where Textual marks a widget as needing to be drawn again (its
        # reactives, its styles, its size): what was kept is out of date.
        self._quick_lines = None
        super()._set_dirty(*regions)

    def render_lines(self, crop: Region) -> list[Strip]:
        kept = self._quick_lines
        if kept is not None and kept[0] == (crop, self.size):
            return kept[1]
        lines = self._draw(crop)
        self._quick_lines = ((crop, self.size), lines)
        return lines

    def _draw(self, crop: Region) -> list[Strip]:
        styles = self.styles
        width, height = self.size
        renderable = self.render()
        if (type(renderable) is not ScrollBarRender or any(styles.gutter)
                or any(kind for kind, _ in styles.outline) or styles.tint.a or self.opacity != 1.0
                or styles.text_opacity != 1.0 or (styles.has_rule("hatch") and styles.hatch != "none")):
            return super().render_lines(crop)
        style = renderable.style
        back = style.bgcolor
        bar = style.color
        vertical = self.vertical
        segments = ScrollBarRender.render_bar(
            size=height if vertical else width,
            virtual_size=renderable.virtual_size,
            window_size=renderable.window_size,
            position=renderable.position,
            thickness=width if vertical else height,
            vertical=vertical,
            **({} if back is None else {"back_color": back}),
            **({} if bar is None else {"bar_color": bar}),
        ).segments
        base = self.visual_style.rich_style
        filters = self.get_line_filters()
        _, background = self.background_colors
        # A bar has a handful of distinct lines (track above and below, the
        # thumb, its two partial ends): each is made once, and shared. A
        # `Strip` costs ~8 us to make (seven caches of its own), and Textual
        # made two a line (the line, then the line filtered).
        made: dict[object, Strip] = {}  # by segment, or segments (a horizontal bar)

        def strip_of(segments: list[Segment], cells: int) -> Strip:
            key = segments[0] if len(segments) == 1 else tuple(segments)
            strip = made.get(key)
            if strip is None:
                # Under the widget's own style, as `Visual.to_strips` renders it.
                strip = Strip(Segment.apply_style(segments, base), cells)
                for line_filter in filters:
                    strip = strip.apply_filter(line_filter, background)
                made[key] = strip
            return strip

        if vertical:
            lines = [strip_of([segment], width) for segment in segments[crop.y:crop.bottom]]
        else:
            lines = [strip_of(segments[:width], width)] * crop.height
        if crop.column_span != (0, width):
            x1, x2 = crop.column_span
            lines = [line.crop(x1, x2) for line in lines]
        return lines


class QuickScrollBars:
    """For a scrolling widget: its scrollbars are `QuickScrollBar`s.

    Textual makes a widget's scrollbars itself, as plain `ScrollBar`s, the
    first time it asks for one (`Widget.vertical_scrollbar`); each is made a
    `QuickScrollBar` there, before it is first drawn."""

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        return _made_quick(super().vertical_scrollbar)  # type: ignore[misc]

    @property
    def horizontal_scrollbar(self) -> ScrollBar:
        return _made_quick(super().horizontal_scrollbar)  # type: ignore[misc]


def _made_quick(bar: ScrollBar) -> ScrollBar:
    if type(bar) is ScrollBar:
        bar.__class__ = QuickScrollBar  # adds no state: only how its lines are made
    return bar
