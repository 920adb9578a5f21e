"""The `/` filter box."""

from __future__ import annotations

from typing import Callable

from textual import events
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input

from tracetui.text import safe


class FilterInput(Input):
    """An Input that never holds terminal control characters, and that
    edits in the order keys are typed.

    Users paste filter text copied from traces, which may carry escape
    sequences; Textual's Input would draw them raw (a pasted OSC 52 or
    title change would reach the terminal). They are kept as their visible
    escapes (`\\x1b`), like everywhere else trace text is shown."""

    #: Its scroll range, set by Textual's Input at every keystroke, changes
    #: without a layout pass of the whole screen: as `Widget`'s reactive
    #: (`layout=True`) it placed and drew every pane again, 7-14 ms more of
    #: UI time behind each filter keystroke's echo on a 1M-line log. The box's
    #: size comes from the CSS (`width: 100%; height: 3`) and it has no
    #: scrollbar, so a longer filter needs only the box drawn again.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def __init__(self, *args, keep: Callable[[], None] | None = None,
                 drop: Callable[[], None] | None = None, **kwargs) -> None:
        """`keep` / `drop`: what `enter` / `esc` do, at once (see `_on_key`)."""
        super().__init__(*args, **kwargs)
        self._keep = keep
        self._drop = drop

    def validate_value(self, value: str) -> str:
        return safe(value, newlines=False)

    async def _on_key(self, event: events.Key) -> None:
        if self.screen.focused is not self:
            # Typed right behind `enter` or `esc`, which closed the box: the
            # key was on its way here already (QA: `enter` `j` in one burst
            # filtered on `sleepj`). It goes where the focus is now.
            event.stop()
            event.prevent_default()
            self.app.post_message(events.Key(event.key, event.character))
            return
        action = {"enter": self._keep, "escape": self._drop}.get(event.key)
        if action is not None:
            # At once, not as a message or the app's binding: the keys
            # behind it must find the focus moved.
            event.stop()
            event.prevent_default()
            action()
            return
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
