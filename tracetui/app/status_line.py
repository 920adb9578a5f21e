"""The one-line status bar under the panes."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class StatusLine(Widget):
    """A fixed one-line bar. Not a `Static`: `Static.update` asks for a
    layout pass of the whole screen, which a live tail would pay on every
    batch; this only repaints its own line, and only when the text changed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text()

    def set_text(self, text: Text) -> None:
        if text != self._text:
            self._text = text
            self.refresh()

    def render(self) -> Text:
        return self._text
