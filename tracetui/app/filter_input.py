"""The `/` filter box."""

from __future__ import annotations

from textual.widgets import Input

from tracetui.text import safe


class FilterInput(Input):
    """An Input that never holds terminal control characters.

    Users paste filter text copied from traces, which may carry escape
    sequences; Textual's Input would draw them raw (a pasted OSC 52 or
    title change would reach the terminal). They are kept as their visible
    escapes (`\\x1b`), like everywhere else trace text is shown."""

    def validate_value(self, value: str) -> str:
        return safe(value, newlines=False)
