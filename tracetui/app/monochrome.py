"""The NO_COLOR filter, made to take segments that have no style.

With `NO_COLOR` set, Textual draws every line through its `Monochrome`
filter, which reads each segment's style and fails on a segment without
one (`monochrome_style(None)`). Such segments are everywhere: a blank or
padded `Strip` has them, and Rich gives them for plain text. The explorer
died on its first frame with NO_COLOR set (QA). `NullSafeMonochrome` gives
those segments the null style first; `use_null_safe_monochrome` puts it in
place of Textual's in an app's filters.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.color import Color
from textual.filter import Monochrome

NULL_STYLE = Style.null()


class NullSafeMonochrome(Monochrome):
    """Textual's `Monochrome`, for segments with or without a style."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return super().apply([segment if segment.style is not None else Segment(segment.text, NULL_STYLE, segment.control)
                              for segment in segments], background)


def use_null_safe_monochrome(app: App) -> None:
    """Replace Textual's `Monochrome` among `app`'s line filters (there
    only when NO_COLOR is set) with `NullSafeMonochrome`."""
    app._filters = [NullSafeMonochrome(enabled=line_filter.enabled) if type(line_filter) is Monochrome else line_filter
                    for line_filter in app._filters]
