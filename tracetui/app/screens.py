"""The app's screens: the main one, help, notes and the raw-record viewer."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.reactive import Reactive
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static


class MainScreen(Screen):
    """The panes' screen. A focus change repaints only the two widgets it
    restyles: Textual's `Screen.focused` repaints the whole screen, which
    the jump from an anomaly to its span paid in its first frame (21.2 →
    17.2 ms median without it, `bench_tui.py` on a 1M-line log, 120×40).
    The widgets that gain and lose focus repaint themselves (`:focus`
    styles, the cursor row's colour), and the key bar follows the
    bindings."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    #: The anomaly panel has the focus from the first frame: keys typed
    #: while the app starts go where they will go after.
    AUTO_FOCUS = "#anomalies"
    #: Below 120 columns the screen is `-narrow`, and `tracetui.tcss` stacks
    #: the panes so the anomaly panel's rows have the whole width; from 120
    #: up, two columns, the panel a 50-cell one.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    def on_screen_suspend(self) -> None:
        self._key_bar_follows()

    def on_screen_resume(self) -> None:
        self._key_bar_follows()

    def _key_bar_follows(self) -> None:
        from tracetui.app.key_bar import KeyBar

        for bar in self.query(KeyBar):
            bar.screen_changed()


#: Every key, as the help screen lists it (the footer shows the common ones).
KEYS = [
    ("tab / shift+tab", "next / previous pane"),
    ("j k / ↑ ↓", "move"),
    ("g G / home end", "top / bottom"),
    ("pgup pgdn", "page"),
    ("enter", "select: expand a node, reveal an anomaly's span, read a held archive's run"),
    ("space", "expand / collapse"),
    ("→ l / ← h", "expand / collapse or go to the parent"),
    ("* / shift+→", "expand the whole subtree"),
    ("shift+←", "collapse the whole subtree"),
    ("/", "filter the focused list: words, or field:value (status:error kind:\"Tool Call\" sample:3)"),
    ("enter / esc", "in the filter box: keep the filter / drop it"),
    ("esc", "drop the focused list's filter; close this screen"),
    ("a", "jump to the anomaly panel"),
    ("e", "show errors and timeouts in the anomaly panel"),
    ("f", "follow: keep the newest span in view"),
    ("s", "sort spans: recorded order, start time, slowest first, name"),
    ("n", "notes: what the sources said (skipped, not understood, unreadable)"),
    ("r", "the raw record(s) of the selected span"),
    ("c", "copy the selected span as JSON (OSC 52 clipboard)"),
    ("x", "export the run to a Perfetto JSON file"),
    ("ctrl+p", "command palette"),
    ("▶ ✓ ✗ ◔ ⊘ ‖", "running, ok, error, timeout, cancelled, paused"),
    ("?", "this help"),
    ("q  ctrl+c", "quit (on this screen, q closes it)"),
]


#: j / k / g / G scroll a modal's text as they move the lists' cursors.
SCROLL_KEYS = [
    Binding("j", "scroll('down')", show=False),
    Binding("k", "scroll('up')", show=False),
    Binding("g", "scroll('home')", show=False),
    Binding("G", "scroll('end')", show=False),
]


class ScrollingModal(ModalScreen):
    """A modal whose body (a `VerticalScroll`) scrolls with the list keys."""

    def action_scroll(self, where: str) -> None:
        body = self.query_one(VerticalScroll)
        {"down": body.scroll_down, "up": body.scroll_up, "home": body.scroll_home,
         "end": body.scroll_end}[where](animate=False)


class HelpScreen(ScrollingModal):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close"), *SCROLL_KEYS]

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 3))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for key, what in KEYS:
            table.add_row(key, what)
        body = Group(Text("tracetui — keys", style="bold"), Text(""), table, Text(""),
                     Text("Inspect trees are inferred: an action entered while another of its "
                          "sample is open is shown as its child.", style="dim"))
        with VerticalScroll(id="help-body"):
            yield Static(body)


class NotesScreen(ScrollingModal):
    """Everything the sources said (what was skipped, not understood, or
    could not be read), one note a line: the status line has room for one."""

    BINDINGS = [Binding("escape,q,n", "dismiss", "Close"), *SCROLL_KEYS]

    def __init__(self, notes: list[str]) -> None:
        super().__init__()
        self.notes = notes

    def compose(self) -> ComposeResult:
        body = Group(*(Text("• " + note) for note in self.notes)) if self.notes \
            else Text("no notes: every source was read as it is", style="italic")
        with VerticalScroll(id="notes-body") as scroll:
            scroll.border_title = Text(f"notes ({len(self.notes)})")
            yield Static(body)


class RawScreen(ScrollingModal):
    """The raw record(s) a span came from."""

    BINDINGS = [Binding("escape,q,r", "dismiss", "Close"), *SCROLL_KEYS]

    def __init__(self, title: str, body) -> None:
        super().__init__()
        self._title = title
        self._body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="raw-body") as scroll:
            scroll.border_title = Text(self._title)
            yield Static(self._body)
