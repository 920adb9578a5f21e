"""The `/` filter box."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from tracetui.text import safe


class FilterInput(Input):
    """An Input that never holds terminal control characters, and that
    edits in the order keys are typed.

    Users paste filter text copied from traces, which may carry escape
    sequences; Textual's Input would draw them raw (a pasted OSC 52 or
    title change would reach the terminal). They are kept as their visible
    escapes (`\\x1b`), like everywhere else trace text is shown."""

    def validate_value(self, value: str) -> str:
        return safe(value, newlines=False)

    async def _on_key(self, event: events.Key) -> None:
        # Textual runs a widget's key binding once the key has bubbled up
        # to the App, after the letters typed behind it are in: `/`,
        # ctrl+u, `model` in one burst cleared `model` too (QA). The box's
        # own editing bindings run here, in typing order.
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()
                return
        await super()._on_key(event)
