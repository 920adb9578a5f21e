"""The footer: the keys that work in the focused pane, on one line."""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


#: A key that does nothing where the focus is.
DIM = Style(dim=True)


def _cells(entries: list[tuple[str, str, bool, str]], bare: set[int], sep: str) -> int:
    """Cells the bar takes, the entries in `bare` without their words."""
    return sum(cell_len(display) + (0 if n in bare else cell_len(description))
               for n, (display, description, _, _) in enumerate(entries)) + len(sep) * max(0, len(entries) - 1)


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

    def on_resize(self) -> None:
        self._update()

    def screen_changed(self) -> None:
        """A screen was opened over the panes, or closed: after the frame,
        when `app.screen` is the new one."""
        self.call_after_refresh(self._update)

    def _update(self) -> None:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        entries: list[tuple[str, str, bool, str]] = []
        app_keys: list[int] = []  # entries of the app's own keys, which `?` lists
        actions: set[str] = set()
        # A help, notes or raw screen over the panes: its own keys (close,
        # scroll), not the panes', which do nothing while it is open.
        if not self.app.screen_stack:
            return  # closing
        screen = self.app.screen
        over = screen is not self.screen
        for namespace, binding, enabled, _tooltip in screen.active_bindings.values():
            if not binding.show or binding.action in actions or (over and namespace is not screen):
                continue  # one entry per action, as the Footer shows
            actions.add(binding.action)
            if namespace is self.app:
                app_keys.append(len(entries))
            entries.append((self.app.get_key_display(binding), binding.description, enabled, binding.key))
        # Too wide for the terminal (80 columns with the tree focused): one
        # space between keys, then the app's keys without their words, first
        # to last, so the focused pane's keys keep theirs.
        width = self.size.width or 10_000
        bare: set[int] = set()
        sep = "  "
        order = iter(app_keys + [n for n in range(len(entries)) if n not in app_keys])
        while _cells(entries, bare, sep) > width:
            if sep == "  ":
                sep = " "
                continue
            n = next(order, None)
            if n is None:
                break
            bare.add(n)
        text = Text(no_wrap=True, overflow="ellipsis")
        keys: list[tuple[int, int, str]] = []
        for n, (display, description, enabled, key) in enumerate(entries):
            if keys:
                text.append(sep)
            start = text.cell_len
            text.append(display, style=key_style if enabled else key_style + DIM)
            if n not in bare:
                text.append(description, style=description_style if enabled else description_style + DIM)
            keys.append((start, text.cell_len, key))
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
