"""A cursor list that draws only its visible rows.

Textual's DataTable and Tree rebuild every row on each change and become
unusable in the tens of thousands; this renders line by line
(`render_line`), so a million rows cost what a screenful does. The run
list, the anomaly panel and the span tree are all LineLists.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.widget import Widget

from tracetui.app.scrollbar import QuickScrollBars
from tracetui.text import kept_before_ellipsis

#: Background of the cursor row (focused / unfocused pane).
CURSOR_FOCUSED = Style(bgcolor="#2d4f7c", bold=False)
CURSOR_BLURRED = Style(bgcolor="#333a44")


def set_scroll_size(view: ScrollView, size: Size) -> None:
    """A new scrollable size for `view` without a layout pass of the whole
    screen.

    Setting `virtual_size` asks for a layout: every widget is placed again
    and repainted. A live tail grows the lists on every batch, and those
    layouts were most of each frame's cost; the detail pane paid one per
    span shown. A view's place on screen does not depend on its content (its
    size comes from the CSS), so only the scroll range and the scrollbar
    need updating: what Textual itself does for a size it learns during
    layout (`Widget._size_updated(layout=False)`). A scrollbar that appears
    or goes away still asks for a layout (`show_vertical_scrollbar` is a
    layout reactive)."""
    if not view.is_mounted or not view.container_size:
        view.virtual_size = size
        return
    view.set_reactive(Widget.virtual_size, size)
    if _same_scrollbar(view, size):
        return
    view._scroll_update(size)


def _same_scrollbar(view: ScrollView, size: Size) -> bool:
    """The scroll range is now `size` and the vertical scrollbar, shown and
    staying so, looks as it did: its new range is noted without drawing it
    again, and the scroll position kept within the range. A live tail grows
    the lists on every batch, mostly by a row or two of thousands, which
    moves the thumb by less than the eighth of a cell it is drawn to; each
    bar was drawn again all the same, a pane's height of lines (at 100
    lines/s, the scrollbars were most of the lines drawn). False: nothing
    done, Textual updates the scrollbars (`Widget._scroll_update`)."""
    bar = view._vertical_scrollbar
    styles = view.styles
    height = view.container_size.height
    if bar is None or not view.show_vertical_scrollbar or view.show_horizontal_scrollbar \
            or styles.overflow_y != "auto" or styles.overflow_x != "hidden" or size.height <= height \
            or bar.window_size != height or bar.grabbed:
        return False

    def drawn(virtual: int) -> list[Segment]:
        window = bar.window_size if bar.window_size < virtual else 0
        return bar.renderer.render_bar(size=bar.size.height, virtual_size=ceil(virtual), window_size=window,
                                       position=bar.position, thickness=bar.thickness, vertical=True).segments

    if drawn(size.height) != drawn(bar.window_virtual_size):
        return False
    bar.set_reactive(ScrollBar.window_virtual_size, size.height)
    view.scroll_y = view.validate_scroll_y(view.scroll_y)
    return True


def fit(segments: list[Segment], width: int) -> list[Segment]:
    """`segments` cut to `width` cells with an ellipsis, as
    `Text.truncate(width, overflow="ellipsis")` cuts the same Text (its
    styles are counted in characters, so each keeps its character range:
    a wide character cut in half leaves a space, a zero-width one stays),
    but never in the middle of a number (`text.whole_number_cut`);
    unchanged if they fit."""
    if sum(cell_len(segment.text) for segment in segments) <= width:
        return segments
    # Not in the middle of a number (`sleep 36…` for `sleep 3600`, QA): the
    # cells given back are blank, after the ellipsis.
    kept, freed = kept_before_ellipsis("".join(segment.text for segment in segments), width)
    text = kept + "…" + " " * freed
    fitted: list[Segment] = []
    start = 0
    for segment in segments:
        if start >= len(text):
            return fitted
        end = start + len(segment.text)
        if end > start:
            fitted.append(Segment(text[start:end], segment.style))
        start = end
    if start < len(text):
        fitted.append(Segment(text[start:]))
    return fitted


def cut_row(text: Text, width: int) -> None:
    """`text.truncate(width, overflow="ellipsis")`, but never in the middle
    of a number (`text.whole_number_cut`): the anomaly panel's rows read
    `sleeper(seconds=360…` (QA); the cells given back are blank."""
    if text.cell_len > width:
        plain = text.plain
        kept, freed = kept_before_ellipsis(plain, width)
        if freed:
            text.right_crop(len(plain) - len(kept))
            text.append("…" + " " * freed)
            return
    text.truncate(width, overflow="ellipsis")


class _Segments(tuple):
    """A row drawn from `row_segments`: its segments are also its key."""


class LiteralTitle:
    """A border title or subtitle taken literally: Textual parses a plain
    str as markup (a run named `[/]` would crash the app, one named
    `[@click=app.quit]` would be a live link), and these titles carry trace
    text."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._inner = vars(Widget)[name]
        self._last = f"_literal_{name}"

    def __get__(self, obj, objtype=None):
        return self if obj is None else self._inner.__get__(obj, objtype)

    def __set__(self, obj, value) -> None:
        value = Text(value) if isinstance(value, str) else value
        # Live updates set it on every batch, and a new title repaints the
        # whole widget: set it only when it changed. (Textual gives it back
        # as markup, which never equals a Text: compare with what was set.)
        if value != getattr(obj, self._last, None):
            setattr(obj, self._last, value)
            line = self._border_line(obj)
            if line is None:
                self._inner.__set__(obj, value)
                return
            # Textual's setter repaints the whole widget; the title is drawn
            # on one border line. The anomaly panel's title counts what runs,
            # which changes with nearly every batch of a live log: its 20-odd
            # rows were drawn again each time (about a third of the lines a
            # 100 lines/s tail drew).
            obj.refresh = _no_refresh
            try:
                self._inner.__set__(obj, value)
            finally:
                del obj.refresh
            obj.refresh(line)

    def _border_line(self, obj: Widget) -> Region | None:
        """The border line the title is drawn on, in the content's
        coordinates (what `refresh` takes); None if there is none yet."""
        width, height = obj.outer_size
        if not obj.is_mounted or not height:
            return None
        top = self._last == "_literal_border_title"
        edge, _ = obj.styles.border_top if top else obj.styles.border_bottom
        if edge in ("", "none", "hidden"):
            return None
        x, y = obj.content_offset
        return Region(-x, (0 if top else height - 1) - y, width, 1)


def _no_refresh(*regions, **kwargs) -> None:
    """Stands in for `Widget.refresh` while a title is set (`LiteralTitle`)."""


class LineList(QuickScrollBars, ScrollView, can_focus=True):
    """Subclasses implement `row_count()` and `render_row(index, width)`."""

    border_title = LiteralTitle()  # type: ignore[assignment]
    border_subtitle = LiteralTitle()  # type: ignore[assignment]

    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False),
        Binding("k,up", "cursor_up", "Up", show=False),
        Binding("g,home", "first", "Top", show=False),
        Binding("G,end", "last", "Bottom", show=False),
        Binding("pagedown", "page_down_rows", "Page down", show=False),
        Binding("pageup", "page_up_rows", "Page up", show=False),
        # `space` too, as the README says (QA: it did nothing on the
        # anomaly panel); the tree's `space` is its own.
        Binding("enter,space", "select", "Select", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)
    #: Said by an empty list while the explorer waits for a trace to appear
    #: (the app's `waiting_text`); empty when it is not waiting.
    waiting = ""
    #: The user has put the cursor on a row (a key, a click) or opened one
    #: since the list had rows; the app notes an `enter` it handles itself.
    #: Until then the cursor is where the list put it, on no row anyone chose.
    chosen = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: Per screen line, the key (`_row_key`) it was last drawn with and
        #: the strip drawn, for the scroll offset and width in `_drawn_view`:
        #: the key tells which lines a change touched, and the strip is drawn
        #: again as it is while the key holds (a pane restyled by a focus
        #: move draws every line again, mostly unchanged).
        self._drawn: dict[int, tuple[tuple, Strip]] = {}
        self._drawn_view: tuple[int, int] = (-1, -1)

    @dataclass
    class Highlighted(Message):
        """The cursor moved to a row."""

        list: "LineList"
        index: int

        @property
        def control(self) -> "LineList":
            return self.list

    @dataclass
    class Activated(Message):
        """Enter (or a double click) on a row."""

        list: "LineList"
        index: int

        @property
        def control(self) -> "LineList":
            return self.list

    # -- to override -----------------------------------------------------------

    def row_count(self) -> int:
        return 0

    def render_row(self, index: int, width: int) -> Text:
        return Text()

    def row_signature(self, index: int, width: int) -> tuple | None:
        """Optional: a cheap tuple that changes whenever `render_row` would
        draw the row differently. Comparing it instead of the row's text
        spares building the text of rows that did not change: a pane that
        loses the focus draws all its lines again (its border changes)."""
        return None

    def empty_text(self) -> str:
        return ""

    # -- drawing ----------------------------------------------------------------

    @property
    def row_width(self) -> int:
        """The cells a row has: the pane's width less its scrollbar (a row
        drawn under the scrollbar loses its last cells, and with them the
        "…" that says it was cut)."""
        return self.scrollable_content_region.width or self.size.width

    def sync_size(self, repaint: bool = True) -> None:
        """Call after the rows changed: sizes the scroll range and repaints
        the rows on screen whose text changed (`repaint=False`: the caller
        scrolls next, and calls `repaint_changed_rows` after)."""
        count = self.row_count()
        size = Size(self.size.width, count)
        if size != self.virtual_size:
            set_scroll_size(self, size)
        if self.cursor >= count:
            self.cursor = max(0, count - 1)
        if repaint:
            self.repaint_changed_rows()

    def repaint_changed_rows(self) -> None:
        """Repaint only the rows on screen that would now be drawn
        differently. A live tail changes a few rows per batch; repainting
        all of every list on every frame cost most of the frame (measured:
        ~70 lines a frame, 8–10 ms)."""
        if self._repainted_if_view_moved():
            return
        top = self.scroll_offset.y
        width = self.row_width
        drawn = self._drawn
        count = self.row_count()
        for y in range(self.size.height):
            line = drawn.get(y)
            if line is None or line[0] != self._row_key(top + y, y, width, count):
                self.refresh_line(top + y)

    def _repainted_if_view_moved(self) -> bool:
        """Repaint the whole pane if it scrolled or was resized since it was
        drawn: every line then shows another row, or the same row cut
        otherwise. True if it did."""
        if (self.scroll_offset.y, self.row_width) != self._drawn_view:
            self.refresh()
            return True
        return False

    def repaint_rows_from(self, index: int) -> None:
        """Repaint the rows on screen from row `index` down without comparing
        them first, after a change that moved or changed them all (a
        subtree opened or closed): a comparison builds each row, and its
        repaint builds it again (`repaint_changed_rows` took 1.0 ms, median,
        of toggling a task of 114k samples)."""
        if self._repainted_if_view_moved():
            return
        top = self.scroll_offset.y
        bottom = top + self.size.height
        if index < bottom:
            first = max(index, top)
            self.refresh_lines(first, bottom - first)

    def _line_text(self, index: int, y: int, width: int, count: int) -> Text | None:
        """The text of screen line `y` (row `index`), cut to `width`; None
        for a blank line."""
        if index >= count:
            # An empty list says why, a line per line of `empty_text`.
            lines = self.empty_text().splitlines() if count == 0 else []
            if y < len(lines):
                text = Text(lines[y], style="dim italic")
                text.truncate(width, overflow="ellipsis")
                return text
            return None
        text = self.render_row(index, width)
        cut_row(text, width)
        return text

    def row_segments(self, index: int, width: int, signature: tuple | None = None) -> list[Segment] | None:
        """Row `index` as segments, for a list whose rows are drawn often and
        all look alike (the span tree): built straight from styles parsed
        once, a row costs a third of what a `Text` does to build and render
        (27–35 µs instead of 115–120). None: `render_row` draws it.
        `signature`: the row's `row_signature`, just made, if it has one
        (what it was made from need not be worked out again)."""
        return None

    def _cursor_style(self, index: int) -> Style | None:
        if index != self.cursor:
            return None
        return CURSOR_FOCUSED if self.has_focus else CURSOR_BLURRED

    def _row_key(self, index: int, y: int, width: int, count: int) -> tuple:
        """What decides how screen line `y` looks: compared with the key it
        was drawn with to tell which lines a change touched. The row's
        text, or its `row_signature` (a tuple) when it has one."""
        if index < count:
            signature = self.row_signature(index, width)
            if signature is not None:
                return signature, self._cursor_style(index)
            segments = self.row_segments(index, width)
            if segments is not None:
                return _Segments(fit(segments, width)), self._cursor_style(index)
        return self._line_text(index, y, width, count), self._cursor_style(index)

    def render_line(self, y: int) -> Strip:
        top = self.scroll_offset.y
        index = top + y
        width = self.row_width
        count = self.row_count()
        if (top, width) != self._drawn_view:
            self._drawn.clear()
            self._drawn_view = (top, width)
        key = self._row_key(index, y, width, count)
        line = self._drawn.get(y)
        if line is not None and line[0] == key:
            return line[1]
        text, cursor = key
        if type(text) is tuple:  # a signature: the row is built only now
            segments = self.row_segments(index, width, text)
            text = self._line_text(index, y, width, count) if segments is None else _Segments(fit(segments, width))
        if type(text) is _Segments:
            strip = Strip(text).adjust_cell_length(width)
        else:
            if text is None:
                strip = Strip.blank(width)
            else:
                strip = Strip(list(text.render(self.app.console)), text.cell_len).adjust_cell_length(width)
        if cursor is not None and text is not None:
            strip = strip.apply_style(cursor)
        self._drawn[y] = (key, strip)
        return strip

    # -- cursor -----------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old)
        self.refresh_line(new)
        self.scroll_to_cursor()
        if self.row_count():
            self.post_message(self.Highlighted(self, new))

    def on_resize(self) -> None:
        # A pane made shorter must still show its cursor row.
        self.call_after_refresh(self.scroll_to_cursor)

    def scroll_to_cursor(self) -> None:
        height = self.scrollable_content_region.height or self.size.height
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif height and self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def move_to(self, index: int) -> None:
        count = self.row_count()
        if count:
            self.chosen = True
            self.cursor = max(0, min(index, count - 1))

    def action_cursor_down(self) -> None:
        self.move_to(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_to(self.cursor - 1)

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(self.row_count() - 1)

    def action_page_down_rows(self) -> None:
        self.move_to(self.cursor + max(1, self.size.height - 1))

    def action_page_up_rows(self) -> None:
        self.move_to(self.cursor - max(1, self.size.height - 1))

    def action_select(self) -> None:
        if self.row_count():
            self.chosen = True
            self.post_message(self.Activated(self, self.cursor))

    def watch_has_focus(self, has_focus: bool) -> None:
        # The focus ring's colour comes from CSS (`:focus`), and a restyle
        # draws every line of the pane again: with the pane that loses the
        # focus, a fifth of the frame of a jump from an anomaly to its span
        # (2.3 of 15 ms on a 1.2M-line log). What the key asked for is drawn first;
        # the rings follow in the next frame, as the key bar does. Keys go
        # to the new pane at once: only the colour waits.
        self.call_after_refresh(self.update_node_styles)

    def on_focus(self) -> None:
        self.refresh_line(self.cursor)

    def _on_blur(self, event: events.Blur) -> None:
        # Instead of Textual's own handler (`Widget._on_blur`), which also
        # repaints the whole pane: the restyle above does that in the next
        # frame, and in this one only the cursor row changes. 2 ms of the
        # frame of a jump from an anomaly to its span.
        event.prevent_default()
        self.has_focus = False
        self.refresh_line(self.cursor)
        if self.parent is not None:
            self.parent.post_message(events.DescendantBlur(self))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = self.scroll_offset.y + offset.y
        if index < self.row_count():
            self.focus()
            self.chosen = True
            self.cursor = index
            if event.chain >= 2:
                self.post_message(self.Activated(self, index))
            else:
                self.row_clicked(index, offset.x)

    def row_clicked(self, index: int, x: int) -> None:
        """A single click on a row (the tree toggles on its expander)."""


def segments_width(segments: list[Segment]) -> int:
    return sum(s.cell_length for s in segments)
