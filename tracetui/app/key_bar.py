"""The footer: the keys that work in the focused pane, on one line."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


#: A key that does nothing where the focus is.
DIM = Style(dim=True)


class KeyBar(Widget):
    """What Textual's `Footer` shows, drawn as one line of text.

    The Footer is a widget per key and mounts them all again whenever the
    focus moves to a pane with other keys: a layout of the whole screen,
    about a third of the UI thread's work when enter on an anomaly moves the
    focus to the span tree. This repaints one line. A click on a key presses
    it, as on the Footer."""

    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description"}

    DEFAULT_CSS = """
    KeyBar {
        height: 1;
        background: $footer-background;
        .key-bar--key {
            color: $footer-key-foreground;
            text-style: bold;
        }
        .key-bar--description {
            color: $footer-description-foreground;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: (first cell, cell after the last, key) of each key drawn.
        self._keys: list[tuple[int, int, str]] = []
        self._text = Text()

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._update()

    def _bindings_changed(self, screen: Screen) -> None:
        # After the frame, as the Footer does: the key that moved the focus
        # is drawn first, this line in the next frame.
        if screen is self.screen:
            self.call_after_refresh(self._update)

    def _update(self) -> None:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        text = Text(no_wrap=True, overflow="ellipsis")
        keys: list[tuple[int, int, str]] = []
        actions: set[str] = set()
        for _, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in actions:
                continue  # one entry per action, as the Footer shows
            actions.add(binding.action)
            if keys:
                text.append("  ")
            start = text.cell_len
            text.append(self.app.get_key_display(binding), style=key_style if enabled else key_style + DIM)
            text.append(binding.description,
                        style=description_style if enabled else description_style + DIM)
            keys.append((start, text.cell_len, binding.key))
        self._keys = keys
        if text != self._text:
            self._text = text
            self.refresh()

    def render(self) -> Text:
        return self._text

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._keys:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
