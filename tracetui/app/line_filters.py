"""Textual's line filters, made to take the segments the explorer draws.

Textual draws every line through the app's line filters. Two of them,
set by the environment, read styles the explorer's lines do not always
have, and the app died on its first frame (QA):

- `NO_COLOR`: `Monochrome` reads every segment's style, and fails on a
  segment without one (a blank or padded line has them; Rich gives them
  for plain text). `NullSafeMonochrome` gives those the null style first.
- `TEXTUAL_FILTERS=dim`: `DimFilter` blends a dim segment's colour into
  its background, and fails where either is unset or the terminal's
  default. `SafeDimFilter` blends only the colours it can (the rest stay
  dim, as the terminal draws them).

`use_safe_line_filters` puts them in place of Textual's in an app's
filters.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.color import Color
from textual.filter import DimFilter, LineFilter, Monochrome

NULL_STYLE = Style.null()


class NullSafeMonochrome(Monochrome):
    """Textual's `Monochrome`, for segments with or without a style."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return super().apply([segment if segment.style is not None else Segment(segment.text, NULL_STYLE, segment.control)
                              for segment in segments], background)


def _blendable(style: Style | None) -> bool:
    """A dim style `DimFilter` can blend: its colour is an RGB one, and its
    background one too, or unset or the default (the widget's is used)."""
    if style is None or not style.dim or style.color is None or style.color.triplet is None:
        return False
    return style.bgcolor is None or style.bgcolor.is_default or style.bgcolor.triplet is not None


class SafeDimFilter(DimFilter):
    """Textual's `DimFilter`, for dim segments whose colours it cannot blend."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        blendable = [_blendable(segment.style) for segment in segments]
        blended = iter(super().apply([s for s, b in zip(segments, blendable) if b], background))
        return [next(blended) if b else s for s, b in zip(segments, blendable)]


def _safe(line_filter: LineFilter) -> LineFilter:
    if type(line_filter) is Monochrome:
        return NullSafeMonochrome(enabled=line_filter.enabled)
    if type(line_filter) is DimFilter:
        return SafeDimFilter(line_filter.dim_factor, enabled=line_filter.enabled)
    return line_filter


def use_safe_line_filters(app: App) -> None:
    """Replace Textual's `Monochrome` and `DimFilter` among `app`'s line
    filters (there only when the environment asks for them) with the safe
    ones above."""
    app._filters = [_safe(line_filter) for line_filter in app._filters]
