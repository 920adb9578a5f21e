"""The explorer: four panes over the store, fed by a reader thread.

The reader (a thread worker) polls every source and hands the UI batched
"what changed" callbacks, a few per second at most during a bulk load and
at once while following; the panes then redraw only what they show.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import re
import sys
import threading
import time
from collections import Counter
from typing import Any, Callable, Iterable

from rich.cells import cell_len
from rich.text import Text
from textual import events, on, work
from textual.message import Message
from textual.actions import SkipAction
from textual._styles_cache import StylesCache
from textual.app import ComposeResult, ScreenStackError, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input
from textual.worker import get_current_worker

from tracetui.app.anomaly_panel import AnomalyPanel
from tracetui.app.detail import IN_DUMP, DetailPane, _json, _t
from tracetui.app.filter_input import FilterInput
from tracetui.app.handoff import Handoff
from tracetui.app.key_bar import KeyBar
from tracetui.app.key_order import KeysInOrder
from tracetui.app.let_go import LetGoExecutor
from tracetui.app.line_list import LineList
from tracetui.app.line_filters import use_safe_line_filters
from tracetui.app.run_list import RunList
from tracetui.app.screens import HelpScreen, MainScreen, NotesScreen, RawScreen
from tracetui.app.span_tree import SpanTree
from tracetui.app.status_line import StatusLine
from tracetui.app.style import BUCKET_STATUS, plain
from tracetui.clock import as_of
from tracetui.export import write_perfetto
from tracetui.fastscan import usable_cpus
from tracetui.formats.inspect import is_live
from tracetui.model import BUCKETS, Anomalies, AnomalyRow, Run, Span
from tracetui.memory import give_back_free_memory
from tracetui.prescan import Prescan, last_record_time, worth_prescanning
from tracetui.query import parse
from tracetui.sources.base import Source, SourceError, is_database
from tracetui.sources.discover import AwaitingRecord, is_our_export, open_file
from tracetui.sources.files import is_gzip, size_of
from tracetui.sources.lines import LineSource
from tracetui.skipped import where_skipped
from tracetui.sources.wakeup import FileWakeup
from tracetui.store import Store
from tracetui.text import counted, fmt_duration, kept_before_ellipsis, safe

#: How often the reader looks for new data while following (s): often while
#: data is flowing (it sets the tail's latency), less when all is quiet.
POLL_INTERVAL = 0.004
POLL_INTERVAL_IDLE = 0.02
#: Where inotify sees the followed files' writes, the reader wakes at each
#: write instead (`FileWakeup`), and at least this often (s): for what is
#: not a write (a writer's liveness, archives, rescans, all once a second;
#: a held archive asked for), and to notice a watch that misses writes.
#: At 20 ms it woke 50 times a second for nothing: 3.2 % of a core against
#: 1.7 % following 20 lines/s.
WATCH_TIMEOUT = 0.1
#: Formats whose run is one whole job (an eval, a pipeline run): its end
#: is news, said in a toast. A span stream's run is one trace of many
#: (native, OTel, SGP): only one left with spans running when its writer
#: goes is (a toast for every trace done was noise).
WHOLE_JOB_FORMATS = frozenset(("inspect", "flujo", "trackio", "chrome"))
#: How long (s) the status line says where an export went (or why it was
#: not written), unless another note comes first; `n` keeps it. It stayed
#: there for good, minutes after, beside another run (QA).
EXPORT_SAID_FOR = 20.0
#: An awaited file (`open_sources`' `awaited`) that has not changed is
#: looked at again this often (s): once quiet past WRITER_QUIET with no
#: writer holding it, it may not grow any more, and is refused as no trace
#: (a text file, a crashed pipeline's traceback, waited for for good; QA).
AWAIT_LOOK_AGAIN = 5.0
#: Data within this long (s) counts as flowing.
FLOWING = 1.0
#: Settled sources (gzipped, gone, whole documents) are polled this often
#: (s): a trace directory holds many finished files.
SETTLED_INTERVAL = 1.0
#: At most this often the UI is told about a bulk load in progress (s).
LOAD_UPDATE_INTERVAL = 0.5
#: While following (a load freezes each pass), what is alive is frozen out
#: of the cyclic GC's reach, after a full collection, once this many more
#: spans are held than at the last freeze (every 30 s at 1,000 lines/s):
#: what stays unfrozen meanwhile is what a full collection scans.
FREEZE_SPANS = 15_000
#: ... or once this long (s) has passed since the last freeze, if anything
#: came. Not every second, nor every 30 s: each freeze keeps for good what
#: it finds alive and dies later in a reference cycle, and Textual's render
#: caches make such cycles all the time (a `Strip` caching itself in its own
#: `FIFOCache`). Following 1,000 lines/s for 60 s, freezing each second left
#: 29,470 such objects; each freeze keeps ~400 (33–38 KB): every 30 s,
#: that was ~4.5 MB an hour however slowly the log grew. Runs dropped free
#: themselves (`store.release`).
FREEZE_INTERVAL = 600.0
#: How long (s) after a load ends the app settles, once the frames drawn
#: after it are done: its runs' indexes sized to the spans they hold
#: (`Store.settle`, 8 ms for a 1M-line log's: not before the load's last
#: frame), and free memory given back again. Those frames free what the
#: load's last ones built (the tree's rows, the anomaly rows, the
#: terminal's text) after the load's own give-back: 4.3 MB of a 1M-line
#: log's 145 MB had stayed with glibc.
SETTLE_DELAY = 1.0
#: How often directories are rescanned for new trace files (s).
RESCAN_INTERVAL = 1.0
#: The detail pane follows the tree cursor after it rests this long (s),
DETAIL_DELAY = 0.06
#: or, while it never rests (following a busy log, a key held down), at
#: least this often (s).
DETAIL_MAX_WAIT = 0.2
#: Said of a held archive's anomaly, whose span is made when it is read.
NOT_READ_YET = "its archive is not read yet: enter reads it"
#: The same for a row of a big log the reader has not got to yet.
NOT_INDEXED_YET = "the reader has not got to it yet: enter shows it in the tree once it has"
#: The most characters of JSON `c` sends to the terminal's clipboard (OSC
#: 52): terminals cap what they take, and drop what is over without a word.
MAX_COPY = 1_000_000
#: A live span shown in the detail pane is redrawn at most this often (s):
#: a sample gaining an event per line would otherwise be rendered again on
#: every batch (2–13 ms each, its log included).
DETAIL_LIVE_INTERVAL = 0.25
#: A gzipped Inspect log of at least this many bytes on disk (≈100k lines),
#: in a directory beside a newer log, is read no further than its first
#: slice until its run is asked for (see `archives_to_hold`).
HOLD_MIN_BYTES = 4 * 1024 * 1024
#: A held archive's run is read once the run list's cursor rests on it this
#: long (s): holding j down past it must not start reading it.
HOLD_RELEASE_DELAY = 0.3
#: How often the prescan looks whether a load has ended, to scan the held
#: archives after it (s).
PRESCAN_HELD_WAIT = 0.05
#: The status line's source names get at least this many cells.
STATUS_NAMES_MIN = 16
#: How a toast says a run ended, by its status (`TraceApp._say_ended`).
STATUS_WORDS = {"ok": "✓ ok", "error": "✗ with errors", "cancelled": "⊘ cancelled", "timeout": "◔ timed out"}
#: Exports of more spans than this say so when they start (they take a while).
EXPORT_NOTICE_MIN = 50_000
#: Bytes per reader slice while following (small slices keep the lock short).
SLICE_BYTES = 1024 * 1024
#: New rows of a database read per poll by a decoder that reads in slices
#: (the generic spans table's): ~3 ms of the reader here (1.4-1.6 µs a row
#: since C makes the plain rows' spans; 13-20 ms before, at 6-10 µs).
#: 4,000 and 8,000 loaded the 1M-row table no sooner, within the machine's
#: swings (1.95-2.47 s against 2.16 s, 2026-12-05); 5,000 no sooner
#: either at the old speed. Read whole in one poll, that table showed no
#: run for 17 s.
DB_SLICE_ROWS = 2000
#: How long the app may spend reading its sources' first slices before its
#: first frame (s): a big log's run and first spans are then in that frame.
#: Read by the reader thread instead, the first slice shared the GIL with
#: the mount and the first layout, and took ~200 ms for 2,600 records; the
#: runs came a frame later still (first screen 0.55–0.61 s on the 1M-line
#: log, `bench/bench_tui.py`). Bounded: a directory of many files shows its
#: layout first, and the reader reads the rest.
FIRST_SLICES_BUDGET = 0.1
#: How much longer than its budget the first frame waits for the first
#: slices (a slice begun just before the budget ran out) before it is drawn
#: without them (s).
FIRST_SLICES_GRACE = 0.1
#: Slices per pass for the source of the run the tree shows, against one for
#: every other source: opening Inspect's trace directory, the newest log
#: (the one shown) is read whole first instead of in step with the rest.
SHOWN_SLICES = 8
#: How long a thread may hold the GIL while another waits for it (s), for
#: this process while the app runs; CPython's default is 5 ms. The UI
#: thread gives the GIL up at every wait of its event loop, and got it
#: back only after the reader or a background layout had had its 5 ms:
#: several times a frame. Following a 1M-line log that grows by 1,000
#: lines/s, a line reached the screen at p99 52–68 ms; at 1 ms, 33–55 ms
#: in six runs, and 31–47 ms with the tree's relayout pause
#: (`bench/bench_tail.py --reader app --prefill`).
GIL_SWITCH_INTERVAL = 0.001
#: Allocations between two young collections while the app runs (Python's
#: default is 700). Textual allocates many short-lived containers a frame,
#: and each young collection also walks whatever the reader made since the
#: last freeze: fewer, larger collections spread less pause over the lines
#: being followed. Growing 1M-line log, `bench/bench_tail.py --reader app
#: --prefill … --seconds 85 --warmup 25`, alternating runs: p99 40.1 / 39.5 ms
#: at 700, 37.2 / 33.4 ms at 10,000; 43.4 ms at 50,000 (longer pauses).
GC_YOUNG_THRESHOLD = 10_000


#: More entries than the app's long-lived widgets make in Textual's
#: `StylesCache.get_inner_outer` cache (10, measured after using every pane
#: of the main screen): the rest belong to closed screens and toasts.
STYLES_CACHE_ENTRIES = 64


def release_styles_caches() -> None:
    """Let go of the widgets of closed screens and toasts. Textual caches
    `StylesCache.get_inner_outer` with `lru_cache` on the instance, so up to
    1,024 widgets' styles caches, and every line they drew, outlive their
    widgets (Textualize/textual#6665): ~740 objects per help screen opened
    and closed. The cache is two `Style`s per entry; refilling it is free."""
    cached = StylesCache.get_inner_outer
    if cached.cache_info().currsize > STYLES_CACHE_ENTRIES:
        cached.cache_clear()


def detail_signature(span: Span) -> tuple:
    """What of a live span the detail shows may change (its status,
    duration, children and log records, its run's file): its redraw waits
    until this does. A NaN duration is said as a string: read as a new
    float each time (`SpanCore`), it would never equal the last."""
    duration = span.duration
    return (id(span), span.status, duration if duration == duration else "NaN",
            len(span.children or ()), len(span.events or ()), span.run.source)


def _archive_state(source: LineSource) -> str:
    """A gzipped log's state for the status line."""
    return "archived, cut short" if source.follower.cut_short else "archived"


def _run_id_of(source: Source) -> str | None:
    """The run a one-run source (an Inspect log) feeds, if it says."""
    return getattr(getattr(source, "decoder", None), "run_id", None)


def archives_to_hold(sources: list[Source], watch_dirs: list[str]) -> list[LineSource]:
    """The big gzipped Inspect logs a directory holds beside its newest file.
    Inspect's trace directory keeps the last 10 logs, and a user who opens
    it wants the eval that runs now: indexing every archive cost 0.6–0.8 KB
    per span each (a directory of four 1M-line logs: 1.5 GB, 32 s). Their
    anomalies come from the prescan instead, and a tree is read when its run
    is asked for. Files named on the command line are always read: the user
    asked for them. Needs a second CPU, as the prescan does."""
    if usable_cpus() < 2:
        return []
    dirs = {os.path.abspath(d) for d in watch_dirs}
    held: list[LineSource] = []
    seen_dirs: set[str] = set()
    for source in sources:  # a directory's files come newest first
        directory = os.path.dirname(os.path.abspath(source.path))
        if directory not in dirs:
            continue
        if directory not in seen_dirs:
            seen_dirs.add(directory)  # its newest file: the one to show
            continue
        if isinstance(source, LineSource) and source.format == "inspect" \
                and is_gzip(source.path) and size_of(source.path) >= HOLD_MIN_BYTES:
            held.append(source)
    return held


def _short_note(note: str) -> str:
    """A note as the status line says it: its file by name, not by path
    (QA: a long path left `…/generic_spans.db:` and nothing of the note;
    `n` shows it whole)."""
    where, sep, what = note.partition(": ")
    if sep and os.sep in where:
        return f"{os.path.basename(where)}: {what}"
    return note


def _fitted(forms: list[str], room: int) -> str:
    """The first of `forms` (longest first) that fits in `room` cells, else
    the last cut to fit: the status line wraps what does not, and the
    line's first row, all that is shown, ended at `exported to` (80 columns)."""
    for form in forms:
        if cell_len(form) <= room:
            return form
    return kept_before_ellipsis(forms[-1], max(room, 2))[0] + "…"


def _export_places(path: str) -> list[str]:
    """Ways to say where an export is, longest first: its path (the home
    directory as `~`), then its name in the working directory, where `x`
    always writes it."""
    return list(dict.fromkeys([_home_as_tilde(path), os.path.join(".", os.path.basename(path))]))


def _home_as_tilde(path: str) -> str:
    """An absolute path, `~` for the home directory: Inspect's trace
    directory (`~/.local/share/inspect_ai/traces`) fits a pane's width."""
    path = os.path.abspath(path)
    home = os.path.expanduser("~")
    if home != os.sep and (path == home or path.startswith(home + os.sep)):
        return "~" + path[len(home):]
    return path


def span_as_json(span: Span) -> str:
    return json.dumps({
        "id": span.id, "name": span.name, "kind": span.kind, "detail": span.detail or None,
        "status": span.status, "run": span.run.id, "parent": span.parent.id if span.parent else None,
        "start_time": span.start, "duration": span.duration, "attributes": span.attributes,
        "input": span.input, "output": span.output, "error": span.error,
    }, indent=2, default=str, ensure_ascii=False).encode("utf-8", "backslashreplace").decode()
    # ^ a lone surrogate (read from a `\ud800` escape) becomes that escape again


def _show_nothing() -> None:
    """What the detail's timer shows when nothing is asked of it."""


class TraceApp(KeysInOrder):
    """tracetui's TUI."""

    TITLE = "tracetui"
    CSS_PATH = "tracetui.tcss"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        # What a user reaches for at 2 a.m.; Textual only says to press
        # ctrl+q (QA). The filter box has nothing worth copying.
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help"),
        # Priority: handled as the app reads the key, so the letters typed
        # right behind it land in the filter box (see `focus_now`).
        Binding("slash", "filter", "Filter", priority=True),
        # Priority as well: `a` `/` in one burst filtered the tree, not the
        # panel (QA: `/` is handled as read, `a` only once the pane got it).
        Binding("a", "focus_anomalies", "Anomalies", priority=True),
        # And the panes' cycle (QA: `tab` `/` in one burst opened the box for
        # the pane left, and the letters after ran as keys: an export, a quit).
        Binding("tab", "focus_next", show=False, priority=True),
        Binding("shift+tab", "focus_previous", show=False, priority=True),
        # And `enter` on the anomaly panel or the run list, which moves the
        # focus to the tree (QA: `a` `enter` `/` `sleep` in one burst
        # filtered the panel, and the tree took the letters as keys).
        Binding("enter", "activate_list", show=False, priority=True),
        # Priority too, so an `e` typed right before `/` is not lost: `/`
        # moves the focus to the filter box at once, and the box would take
        # an `e` still on its way to the pane as text (and drop it).
        Binding("e", "toggle_failures", "Errors", priority=True),
        Binding("f", "toggle_follow", "Follow"),
        Binding("n", "notes", "Notes", show=False),
        Binding("r", "raw", "Raw"),
        Binding("c", "copy", "Copy"),
        Binding("x", "export", "Export"),
        Binding("escape", "close_filter", "Close filter", show=False),
    ]

    def __init__(self, sources: list[Source], store: Store, notes: list[str] | None = None,
                 watch_dirs: list[str] | None = None, now: Callable[[], float] = time.time,
                 awaited_files: list[str] | None = None, prescans: dict[str, Prescan] | None = None) -> None:
        """`prescans`: scans of big logs already under way, by path
        (`prescan.start_early`), taken up by `prescan` in its turn."""
        super().__init__()
        use_safe_line_filters(self)  # NO_COLOR or TEXTUAL_FILTERS=dim: Textual's filters failed on the first frame
        self.sources = sources
        self.store = store
        self.notes = list(notes or [])
        #: The time of the last record of each big log, read from its
        #: end while the reader has not got there (`_tail_end`), by path.
        self._tail_ends: dict[str, float | None] = {}
        self.watch_dirs = list(watch_dirs or [])
        #: Files named to it that hold nothing yet that says what they are
        #: (`AwaitingRecord`): opened once their first record is written.
        self.awaited = list(awaited_files or [])
        #: Each awaited file as last looked at, and when (`_open_awaited`):
        #: looked at again once it changed, or AWAIT_LOOK_AGAIN later.
        self._awaited_marks: dict[str, tuple[tuple[int, int, int], float]] = {}
        #: Why awaited files were found no traces when their lines came.
        self._refused: list[str] = []
        self._clock = now
        #: The instant every pane ages to while a tick redraws them.
        self._tick_instant: float | None = None
        self.loading = True
        #: Whether the hidden errors and timeouts were sorted since the
        #: last load ended (`_sort_failures_ahead`).
        self._failures_sorted = False
        self._filter_target: LineList | None = None
        self._detail_timer = None
        #: What the detail timer will show, and when it was first asked to
        #: (`_show_detail_soon`).
        self._detail_show: Callable[[], None] = _show_nothing
        self._detail_asked = 0.0
        self._detail_signature: tuple = ()
        self._live_detail_timer: Timer | None = None
        #: Names of followed files that moved away, whose new file is awaited.
        self._successors: set[str] = set()
        #: The span the last live redraw showed, and when.
        self._last_live_detail: tuple[Span | None, float] = (None, 0.0)
        self._panes: dict = {}
        self._filter_texts: dict[str, str] = {}
        #: Runs `x` asked for while their source is not read yet (a held
        #: archive's, a big log still loading), by id: exported once read.
        #: Exported at once, a loading log's export held the part read so
        #: far, said as if it were the run (QA: 119k spans of 490k).
        self._export_when_read: set[str] = set()
        #: `x` was pressed before any run was read (the first second of a
        #: big log): the first run shown is exported once read (QA: the
        #: key was lost, said only by a toast that went).
        self._export_first_run = False
        #: The spanless anomaly row whose note the detail shows (`anomaly_highlighted`).
        self._noted_row: AnomalyRow | None = None
        #: An anomaly row `enter` was pressed on before its span was made,
        #: its run's id and its trace id (`_jump_if_read`).
        self._jump_when_read: tuple[AnomalyRow, str, str | None] | None = None
        #: The runs live at the last redraw (`_say_ended`).
        self._live_run_ids: set[str] = set()
        #: Exports being written, by path: how many spans (the status line
        #: says so until each is written). An `x` for one of them starts
        #: no other: two writers raced on its `.part`, and the second said
        #: "cannot write" beside the first's success (QA).
        self._exporting: dict[str, int] = {}
        #: What the status line says of the last export (written, or why
        #: not): its forms, longest first (`_say_export`), their style, and
        #: the notes said by then. Until another note is said, it stands in
        #: place of the newest one: a source's older note, listed after the
        #: app's own, stayed there, and where the file went was only under
        #: `n` (QA).
        self._export_said: tuple[list[str], str, frozenset[str], float] | None = None
        #: Child processes folding big Inspect logs' anomalies (`prescan`).
        self._prescans: list[Prescan] = []
        #: Run ids of the logs being read whose prescan has not answered
        #: yet (or is queued): what their index lists as running is only
        #: what is open where the reader has got to (`AnomalyPanel.scanning`).
        self._scanning: set[str | None] = set()
        #: Run id -> (its source, the cancelled, failed and timed-out rows
        #: its scan has found so far, the offset it found them up to), while
        #: the scan runs (`fastscan.Interim`): listed where the scan has
        #: read further than the index (`AnomalyPanel.interim`).
        self._interim: dict[str | None, tuple[LineSource, Anomalies, int]] = {}
        #: When `apply_changes` last ran, and the timer that draws the
        #: scan's rows once LOAD_UPDATE_INTERVAL has passed since
        #: (`_show_interim`).
        self._applied_at = 0.0
        self._interim_timer: Timer | None = None
        #: Archives read no further than their first slice until their run
        #: is asked for (`archives_to_hold`). Both threads may remove one:
        #: iterate over a copy (`list()` copies a set without letting the
        #: other thread run).
        self._held: set[Source] = set(archives_to_hold(sources, self.watch_dirs))
        self._early_prescans: dict[str, Prescan] = dict(prescans or {})
        #: Held archives whose first slice the reader has read (the reader's own).
        self._sliced: set[Source] = set()
        #: Files found moved (gzipped, rotated) as their first slices were
        #: read before the reader started (`_read_first_slices`).
        self._moved_first: list[str] = []
        #: The thread reading the first slices (`_read_first_slices`), and
        #: whether what it read is yet to be drawn.
        self._first_slices: threading.Thread | None = None
        self._first_slices_undrawn = False
        self._release_timer: Timer | None = None
        #: How many held archives were let go: a pass of the reader that
        #: began before one was does not end the load it starts.
        self._releases = 0
        #: Spans held at the reader's last freeze (`_freeze_due`).
        self._held_at_freeze = 0
        self._closing = False
        #: Files this app exported (and their `.part` while written): a
        #: watched directory that holds them does not read them as sources.
        self._exports: set[str] = set()
        #: When the current bulk load began (the first one, or a held
        #: archive's): its first seconds are redrawn more often.
        self._load_started = time.monotonic()
        #: The GIL switch interval to put back when the app ends.
        self._switch_interval = sys.getswitchinterval()
        self._gc_thresholds = gc.get_threshold()
        for source in sources:
            if isinstance(source, LineSource):
                source.follower.read_size = SLICE_BYTES

    def get_default_screen(self) -> MainScreen:
        return MainScreen(id="_default")

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield RunList(id="runs", now=self.now)
                yield AnomalyPanel(id="anomalies", now=self.now)
            with Vertical(id="right"):
                yield SpanTree(id="tree", now=self.now)
                yield DetailPane(id="detail")
        yield FilterInput(placeholder="filter: words, or field:value (status:error kind:\"Tool Call\" sample:3)",
                          id="filter", keep=self._hide_filter, drop=self.action_close_filter)
        yield StatusLine(id="status")
        yield KeyBar(id="keys")

    # -- panes -------------------------------------------------------------------

    # The panes live on the default screen; keep direct references so the
    # reader's updates still land while a modal screen (help, raw) is on top.

    @property
    def run_list(self) -> RunList:
        return self._panes["runs"]

    @property
    def anomaly_panel(self) -> AnomalyPanel:
        return self._panes["anomalies"]

    @property
    def tree(self) -> SpanTree:
        return self._panes["tree"]

    @property
    def detail(self) -> DetailPane:
        return self._panes["detail"]

    async def run_async(self, *args: Any, **kwargs: Any) -> Any:
        """As Textual's, with a thread pool the loop lets go of at exit: a
        reader stuck in a read that never returns (a dead mount) held the
        process after `q` (`let_go`)."""
        asyncio.get_running_loop().set_default_executor(LetGoExecutor())
        return await super().run_async(*args, **kwargs)

    def on_mount(self) -> None:
        sys.setswitchinterval(GIL_SWITCH_INTERVAL)
        gc.set_threshold(GC_YOUNG_THRESHOLD, *self._gc_thresholds[1:])
        self._panes = {"runs": self.query_one(RunList), "anomalies": self.query_one(AnomalyPanel),
                       "tree": self.query_one(SpanTree), "detail": self.query_one(DetailPane)}
        self._status = self.query_one("#status", StatusLine)
        # One dict: the run list shows the prescan's failures as the panel
        # does, and the tree and the detail its running ages as lower bounds.
        self.run_list.early = self.tree.early = self.detail.early = self.anomaly_panel.early
        self.run_list.border_title = "runs"
        self.anomaly_panel.border_title = "anomalies"
        self.tree.border_title = "spans"
        self.detail.border_title = "detail"
        self.anomaly_panel.focus()
        self._say_waiting()
        self.update_status()
        self.set_interval(1.0, self.tick)
        big_logs = [source for source in self.sources if source in self._held or (
            isinstance(source, LineSource) and source.format == "inspect"
            and worth_prescanning(source.path))]
        if big_logs:
            self._scanning = {_run_id_of(source) for source in big_logs if source not in self._held}
            self.prescan(big_logs)
        # The first slices, for the first frame: after `_scanning` is known
        # (the panel must not list what is open in a big log's first slice
        # as running), in a thread the UI waits a while for, not on the UI
        # thread (a read that hangs, on a dead network mount, must not keep
        # the app from drawing, nor from quitting).
        first = self._first_slices = threading.Thread(target=self._read_first_slices, daemon=True,
                                                       name="first slices")
        first.start()
        first.join(FIRST_SLICES_BUDGET + FIRST_SLICES_GRACE)
        # What the big logs' scans, started before the app was imported,
        # have found meanwhile: for the first frame (the prescan worker,
        # which hears of it too, starts only after this method).
        found = False
        for source in big_logs:
            scan = self._early_prescans.get(source.path)
            so_far = None if scan is None else scan.found_so_far()
            if so_far is not None:
                self._hear_interim(source, *so_far)
                found = True
        slices = not first.is_alive() and self._first_slices_undrawn
        if slices:
            self._first_slices_undrawn = False
        if slices or found:
            self.apply_changes()

    def on_ready(self) -> None:
        # The reader starts once the first frame is drawn (Textual's `Ready`):
        # it would share the GIL with the first layout (~100 ms of UI work,
        # the first slices in it already). Not after the frames that follow
        # it (`call_after_refresh`: 0.1 s later, the index as much later).
        self.read_sources()

    def _read_first_slices(self) -> None:
        """Read the first slice of each log the reader would read at once,
        before the first frame (`FIRST_SLICES_BUDGET`);
        `_first_slices_undrawn` says if anything was. Only line sources and
        databases read in slices (`DB_SLICE_ROWS`): another's poll reads it
        whole."""
        deadline = time.monotonic() + FIRST_SLICES_BUDGET
        changed = False
        for source in list(self.sources):
            if time.monotonic() > deadline:
                break
            sliced_db = is_database(source) and source.reads_in_slices
            if not (isinstance(source, LineSource) or sliced_db) or source in self._held:
                continue
            path = source.path
            try:
                changed |= (source.poll(max_rows=DB_SLICE_ROWS, freeze=True) if sliced_db
                            else source.poll(max_chunks=1, freeze=True))
            except SourceError as exc:
                self.notes.append(str(exc))
            except Exception as exc:  # a reader bug must not kill the UI
                self.notes.append(f"{source.path}: read failed: {type(exc).__name__}: {exc}")
            if source.path != path:
                self._moved_first.append(path)  # the reader's first pass sees to it
        self._first_slices_undrawn = changed

    def on_unmount(self) -> None:
        self._closing = True
        sys.setswitchinterval(self._switch_interval)
        gc.set_threshold(*self._gc_thresholds)
        for scan in [*self._prescans, *self._early_prescans.values()]:
            scan.cancel()

    @work(thread=True, group="prescan", name="prescan", description="prescan big logs")
    def prescan(self, sources: list[LineSource]) -> None:
        """Fold big Inspect logs' anomalies in a child process while the
        reader indexes them, and show each answer as soon as it is known.
        One log at a time (newest first, as a directory lists them): a
        directory of big logs must not start a process per log at once.
        Held archives are scanned after the logs being read."""
        for source in sorted(sources, key=lambda s: s in self._held):
            if not source.behind:
                early = self._early_prescans.pop(source.path, None)
                if early is not None:
                    early.cancel()
                continue  # already read whole: the index's buckets are exact
            held = source in self._held
            while held and self.loading and not self._closing:
                time.sleep(PRESCAN_HELD_WAIT)
            if self._closing:
                return
            decoder = source.decoder
            # A held archive waits for the load in progress: then the reader
            # only follows, and the scan may take both CPUs (it gives way to
            # them: `prescan.NICENESS`).
            scan = None if held else self._early_prescans.pop(source.path, None)
            if scan is None:
                scan = Prescan(source.path, decoder.filter, parallel=held, gentle=self._an_eval_runs())
            self._prescans.append(scan)
            if self._closing:  # unmounted while it started: on_unmount missed it
                scan.cancel()
                return
            answer = scan.wait(lambda found, upto, source=source: self._hear_interim(source, found, upto))
            self._prescans.remove(scan)  # ended: nothing to cancel, nothing kept
            if answer is None:
                # Failed: the panel shows what the index finds, so far, at
                # once (not at the reader's next batch).
                self._scanning.discard(_run_id_of(source))
                shown = (self.apply_changes,)
            elif source.behind:
                shown = (self._show_prescan, source, *answer)
            else:
                continue
            try:
                self.call_from_thread(*shown)
            except RuntimeError:  # the app is shutting down
                return

    def _hear_interim(self, source: LineSource, found: Anomalies, upto: int) -> None:
        """From any thread: closed rows the scan of `source` has found so
        far (`Prescan.found_so_far`). The UI is told without waiting for
        it: the first rows come as it lays out its first frame, and the
        scan's output is read on meanwhile."""
        run_id = _run_id_of(source)
        if not source.behind or run_id not in self._scanning:
            return  # read whole, or the scan failed
        self._interim[run_id] = (source, found, upto)
        self.post_message(self.ScanFoundRows())

    class ScanFoundRows(Message):
        """A big log's scan found closed rows (`_hear_interim`): to be drawn."""

    @on(ScanFoundRows)
    def _show_interim(self) -> None:
        """Draw the scan's rows so far, as the reader's news of a load is
        drawn: at most every LOAD_UPDATE_INTERVAL. The scan finds rows a few
        times a second (`fastscan.INTERIM_EVERY`), and each redraw of the
        panel and the tree shares the GIL with the reader: six while the
        scan of a 1M-line log ran (its first 0.7 s), ~15-20 ms of the UI
        thread each."""
        wait = self._applied_at + LOAD_UPDATE_INTERVAL - time.monotonic()
        if wait <= 0:
            self.apply_changes()
        elif self._interim_timer is None:
            asked = time.monotonic()
            self._interim_timer = self.set_timer(wait, lambda: self._show_interim_due(asked))

    def _show_interim_due(self, asked: float) -> None:
        self._interim_timer = None
        if self._applied_at < asked:  # (else a redraw since has drawn them)
            self.apply_changes()

    def _an_eval_runs(self) -> bool:
        """Whether one of the logs read is being written by its eval (whose
        CPUs a prescan must leave it)."""
        return any(is_live(source.path) for source in self.sources
                   if isinstance(source, LineSource) and source.format == "inspect")

    def _show_prescan(self, source: LineSource, anomalies: Anomalies, end: float | None) -> None:
        if source.behind:  # else the index got there first, with the same buckets
            run_id = _run_id_of(source)
            self.anomaly_panel.early[run_id] = anomalies
            run = self.store.runs.get(run_id)
            if run is not None:
                # Ages run to the file's end, not to the part read so far.
                run.known_end = end
            self.apply_changes()

    # -- reading -----------------------------------------------------------------

    @work(thread=True, exclusive=True, name="reader", description="read the sources")
    def read_sources(self) -> None:
        wakeup = FileWakeup()
        try:
            self._read_sources(wakeup)
        finally:
            wakeup.close()

    def _spans_held(self) -> int:
        with self.store.lock:
            return sum(len(run.spans) for run in self.store.runs.values())

    def _freeze_due(self, since_freeze: float) -> bool:
        """While following: whether what is alive is to be frozen now
        (FREEZE_SPANS, FREEZE_INTERVAL)."""
        if since_freeze > FREEZE_INTERVAL:
            return True
        held = self._spans_held()
        # (Runs dropped since: what comes after counts from here.)
        self._held_at_freeze = min(self._held_at_freeze, held)
        return held - self._held_at_freeze >= FREEZE_SPANS

    def _read_sources(self, wakeup: FileWakeup) -> None:
        worker = get_current_worker()
        if self._first_slices is not None:
            # Still reading (slower than the UI waits for it): one poll of a
            # source at a time. What it read is drawn after this pass.
            self._first_slices.join()
        last_post = 0.0
        last_rescan = last_freeze = last_change = last_settled = time.monotonic()
        # The first slices, if read after the UI stopped waiting for them.
        pending = self._first_slices_undrawn
        #: When the app settles, once a load ended (`SETTLE_DELAY`).
        settle_at: float | None = None
        #: Whether a change woke the last rest: False for a watch's timeout,
        #: None when the reader slept (`_rest`).
        woke: bool | None = None
        # `_closing` too: a reader that began as the app closed (behind a
        # first slice that hung until then) is not among the workers the
        # app cancelled, and kept the process from ending (a test's `q`).
        while not worker.is_cancelled and not self._closing:
            # New data read after a timeout, with no event waiting, was written
            # where the watch does not see (`FileWakeup.missed`).
            ends = self._read_ends() if woke is False else {}
            moved, self._moved_first = self._moved_first, []
            started_pass = time.monotonic()
            releases = self._releases
            settled_turn = started_pass - last_settled >= SETTLED_INTERVAL
            if settled_turn:
                last_settled = started_pass
            changed, behind, show_now = self._poll_sources(settled_turn, moved)
            if ends and self._read_on(ends) and not wakeup.pending():
                wakeup.missed()
            pending |= changed
            now = time.monotonic()
            if moved:
                pending |= self._drop_overwritten_archives()
                # "X.log.gz: skipped, a gzipped copy of X.log": X.log has
                # just become X.log.gz, which is now read.
                gone = tuple(f"{path}.gz: skipped, a gzipped copy of " for path in moved)
                self.notes = [n for n in self.notes if not n.startswith(gone)]
            if moved or self._successors:
                # Rotated (renamed, a new file in its place) or gzipped away:
                # the follower kept the old file; a successor under the old
                # name is followed too, and the directory may hold more.
                pending |= self._open_successors(moved)
            if self.watch_dirs and (moved or now - last_rescan > RESCAN_INTERVAL):
                last_rescan = now
                pending |= self._rescan_dirs()
            if self.awaited:
                pending |= self._open_awaited()
            loaded = self.loading and not behind and releases == self._releases
            if loaded or (changed and (self.loading or self._freeze_due(now - last_freeze))):
                # Loading and following keep adding objects that live as
                # long as the app; left in the GC's generations, every full
                # collection rescans all of them (seconds, with millions
                # held: a third of a big file's load time). Collect the
                # garbage, then freeze the survivors. A full collection: it
                # scans only what is not frozen yet (a second's worth), and
                # garbage cycles already in the oldest generation (Textual
                # makes some) would otherwise be frozen for good: a leak of
                # ~0.8 KB per span while following 1,000 lines/s. Not while
                # the first load runs: the reader makes no cycles and the UI
                # little, so its few seconds freeze ~1 MB of garbage once,
                # while collecting would cost a tenth of the load. Then each
                # pass is frozen at once, not once a second: left young, a
                # pass's spans were scanned again by the automatic
                # collections the UI thread set off (the app indexed the
                # 1M-line log in 1.05–1.12× the engine's time, now ~0.98×).
                if loaded:
                    self.loading = False
                    pending = True
                last_freeze = now
                if not self.loading:
                    self._held_at_freeze = self._spans_held()
                    gc.collect()
                gc.freeze()
                if loaded:
                    give_back_free_memory()
                    settle_at = now + SETTLE_DELAY
            if settle_at is not None and now >= settle_at:
                settle_at = None
                self.store.settle()
                give_back_free_memory()
            # During a long bulk load, redraw less and less often: every
            # redraw holds the GIL the reader needs.
            interval = LOAD_UPDATE_INTERVAL if now - self._load_started < 5 else 4 * LOAD_UPDATE_INTERVAL
            if pending and (not behind or show_now or now - last_post > interval):
                pending = False
                last_post = now
                try:
                    self.call_from_thread(self.apply_changes)
                except RuntimeError:  # the app is shutting down
                    return
            if changed:
                last_change = now
            if not behind:
                woke = self._rest(wakeup, flowing=now - last_change < FLOWING)

    def _poll_sources(self, settled_turn: bool, moved: list[str]) -> tuple[bool, bool, bool]:
        """One pass of the reader over its sources: whether any changed,
        whether one is behind (has more waiting to be read), and whether
        one read what is to be shown at once (`Source.show_now`). The
        paths of files that moved meanwhile are added to `moved`."""
        changed = False
        behind = False
        show_now = False
        shown = self.tree.run
        # Loading, what each slice adds is frozen out of the collector's
        # reach at once (`freeze`): left young, the collections between two
        # slices walked all of it, though it all stays (8% of the reader's
        # time indexing a 1M-line log). Following, garbage is collected
        # before anything is frozen, once a second (`_read_sources`).
        freeze = self.loading
        for source in list(self.sources):
            if source in self._held:
                if source in self._sliced:
                    continue  # read when its run is asked for
                self._sliced.add(source)  # its first slice: the run's start and first spans
            elif not (settled_turn or self.loading or not source.settled or source.behind):
                continue  # gzipped, gone, or a whole document: looked at once a second
            try:
                if isinstance(source, LineSource):
                    path = source.path
                    slices = self._slicing(source, shown is not None and shown.source == path)
                    changed |= source.poll(max_chunks=slices, freeze=freeze)
                    behind |= source.behind
                    if source.path != path:
                        moved.append(path)
                elif is_database(source):
                    changed |= source.poll(max_rows=DB_SLICE_ROWS, freeze=freeze)
                    behind |= source.behind
                    show_now |= source.show_now
                    source.show_now = False
                else:
                    changed |= source.poll()
            except SourceError as exc:
                self.notes.append(str(exc))
            except Exception as exc:  # a reader bug must not kill the UI
                self.notes.append(f"{source.path}: read failed: {type(exc).__name__}: {exc}")
        return changed, behind, show_now

    def _slicing(self, source: LineSource, shown: bool) -> int:
        """How many slices of `source` this pass reads, its follower's slice
        size set. Following, small slices keep the store's lock short
        (SLICE_BYTES), the shown run's source more of them (SHOWN_SLICES).
        Loading, the shown run's source is read in slices as big as all of
        those, one a pass, each read ahead while the one before is decoded
        (`files.ReadAhead`, `READ_AHEAD_MIN`): each slice decoded starts a
        scan ahead on another thread and ends with its samples' statuses
        told again. A 1M-line log in 390 slices took 1.50-1.55 s to index
        with `cli.load`, in 49 slices 1.41-1.42 s, read in line. The store's
        lock is then held ~25 ms a slice, which the UI waits for only to
        draw what was read, or for a key that reads the store."""
        if self.loading and shown:
            source.follower.read_size = SHOWN_SLICES * SLICE_BYTES
            return 1
        source.follower.read_size = SLICE_BYTES
        return SHOWN_SLICES if shown else 1

    def _rest(self, wakeup: FileWakeup, flowing: bool) -> bool | None:
        """Wait for more data: until a followed file changes (or
        WATCH_TIMEOUT passes) when every source that may grow is watched,
        while data flows no sooner than POLL_INTERVAL after this pass; else
        sleep POLL_INTERVAL while data flows. True: a change woke it;
        False: the watch timed out; None: it slept."""
        if wakeup.usable and self._all_watched(wakeup):
            # A pass per write would be a batch, and a frame, per line: a
            # log written 1,000 lines/s cost 85 % of a core, against 52 %
            # polling every 4 ms. Writes that close together wait as they did.
            # (From the end of the pass, as the poll slept: spaced from its
            # start, a busy log was read in more, smaller batches: 75 %.)
            if flowing:
                time.sleep(POLL_INTERVAL)
            return wakeup.wait(WATCH_TIMEOUT)
        time.sleep(POLL_INTERVAL if flowing else POLL_INTERVAL_IDLE)
        return None

    def _all_watched(self, wakeup: FileWakeup) -> bool:
        """Every source that may still grow is a plain file `wakeup` watches
        (through its directory; a database is polled)."""
        for source in list(self.sources):
            if source.settled:
                continue
            if not isinstance(source, LineSource):
                return False
            if not wakeup.watch(source.path):
                return False
        return all(wakeup.watch(path) for path in list(self.awaited))

    def _read_ends(self) -> dict[int, int]:
        """Where the reading of each plain file that may grow has got to."""
        return {id(source): source.follower.pending_end for source in list(self.sources)
                if isinstance(source, LineSource) and not source.settled}

    def _read_on(self, ends: dict[int, int]) -> bool:
        """A source in `ends` (`_read_ends`) has been read further since
        (one opened since has no say)."""
        return any(ends.get(key, end) != end for key, end in self._read_ends().items())

    def _known_paths(self) -> set[str]:
        return {s.path for s in self.sources}

    def _add_source(self, path: str) -> bool:
        archive = next((s for s in self.sources if s.path == path + ".gz"), None)
        step_aside = getattr(getattr(archive, "decoder", None), "step_aside", None)
        if step_aside is not None:
            # A log beside a .gz we read: a newer eval whose pid the archived
            # one had (a followed log being gzipped is known already).
            with self.store.lock:
                step_aside()
        try:
            source = open_file(path, self.store)
        except SourceError:
            return False
        if isinstance(source, LineSource):
            source.follower.read_size = SLICE_BYTES
        self.sources.append(source)
        return True

    def _drop_overwritten_archives(self) -> bool:
        """A followed `trace-N.log` gzipped at exit onto an older eval's
        `trace-N.log.gz` (the same pid) wrote over that archive: its
        follower now reads the new eval again. Forget it and its run."""
        archives = [s for s in self.sources if getattr(getattr(s, "decoder", None), "archive", False)]
        followed = {s.path for s in self.sources if s not in archives}
        overwritten = [s for s in archives if s.path in followed]
        for source in overwritten:
            self.sources.remove(source)
            self._held.discard(source)
            with self.store.lock:
                self.store.drop_runs([source.decoder.run_id])
        return bool(overwritten)

    def _open_successors(self, paths: list[str]) -> bool:
        """Follow the files now under names that followed files had. One
        still empty (logrotate creates it before the writer reopens) is
        tried again on every pass until it can be read."""
        self._successors.update(paths)
        known = self._known_paths()
        added = False
        for path in list(self._successors):
            if path in known:
                self._successors.discard(path)
            elif os.path.isfile(path) and os.path.getsize(path) > 0 and self._add_source(path):
                self._successors.discard(path)
                added = True
        return added

    def _followed_files(self) -> set[tuple[int, int]]:
        """(device, inode) of every file a follower reads."""
        return {ino for s in self.sources if isinstance(s, LineSource)
                and (ino := s.follower.file_id) is not None}

    def _rescan_dirs(self) -> bool:
        known = self._known_paths()
        followed = self._followed_files()
        added = False
        for directory in self.watch_dirs:
            try:
                entries = [e.path for e in os.scandir(directory) if e.is_file()]
            except OSError:
                continue
            for path in entries:
                name = os.path.basename(path)
                if path in known or name.startswith(".") or name.endswith(("-wal", "-shm", "-journal")):
                    continue
                if os.path.abspath(path) in self._exports or is_our_export(name):
                    continue  # our own export, in the directory we were started in
                if path.endswith(".gz") and path[:-3] in known:
                    continue  # a followed .log being gzipped: its follower carries on
                try:
                    st = os.stat(path)
                    if (st.st_dev, st.st_ino) in followed:
                        continue  # a followed file renamed: its follower moves there itself
                except OSError:
                    continue
                if self._add_source(path):
                    known.add(path)
                    added = True
        return added

    def _open_awaited(self) -> bool:
        """Open the awaited files whose first record has come (each looked
        at again once it changed, or AWAIT_LOOK_AGAIN later: one nothing
        writes any more is then no trace, its quiet past). One whose lines say it is no trace
        is awaited no more: said in a note, and by the panes if nothing
        else is shown. True if one was opened or refused."""
        changed = False
        for path in list(self.awaited):
            try:
                st = os.stat(path)
            except OSError:
                continue  # gone for now: its pipeline may make it again
            mark = (st.st_ino, st.st_size, st.st_mtime_ns)
            now = time.monotonic()
            last = self._awaited_marks.get(path)
            if last is not None and last[0] == mark and now - last[1] < AWAIT_LOOK_AGAIN:
                continue
            self._awaited_marks[path] = (mark, now)
            try:
                source = open_file(path, self.store)
            except AwaitingRecord:
                continue  # more banner, or its first record still half written
            except SourceError as exc:
                self._refused.append(str(exc))
                self.notes.append(str(exc))
            else:
                if isinstance(source, LineSource):
                    source.follower.read_size = SLICE_BYTES
                self.sources.append(source)
            self.awaited.remove(path)
            changed = True
        return changed

    def _waiting_for(self) -> tuple[str, str] | None:
        """What the explorer waits for while it has nothing to show: what
        the empty panes say, and the status line; None when it is not
        waiting (a source is read, or nothing is awaited). Files named to
        it that have no record yet (QA: it exited, "empty file, nothing to
        show yet", when started with the pipeline that writes one), or the
        directories opened, that hold no trace yet (QA: `tracetui` exited,
        "no trace files", when started before the eval)."""
        if self.sources:
            return None
        awaited = list(self.awaited)
        if awaited:
            where = ", ".join(safe(path, newlines=False) for path in awaited)
            return f"waiting for the first record in\n{where}", f" waiting for the first record in {where}"
        if not self.watch_dirs:
            return None
        where = ", ".join(safe(_home_as_tilde(d), newlines=False) for d in self.watch_dirs)
        if all(os.path.isdir(d) for d in self.watch_dirs):
            return f"waiting for a trace log to appear in\n{where}", f" waiting for a trace log in {where}"
        # Never created here: Inspect makes its trace directory when an eval starts.
        return (f"waiting for a trace log to appear in\n{where}\n(not created yet: an eval creates it)",
                f" waiting for a trace log in {where} (not created yet)")

    def waiting_text(self) -> str:
        """What the empty panes say while the explorer waits (`_waiting_for`),
        or, once the one file it waited for proved no trace, why."""
        waiting = self._waiting_for()
        if waiting is not None:
            return waiting[0]
        if not self.sources and self._refused:
            return "\n".join(safe(why, newlines=False) for why in self._refused)
        return ""

    def _say_waiting(self) -> None:
        text = self.waiting_text()
        for pane in (self.run_list, self.anomaly_panel, self.tree):
            # The run list says only "waiting…": not once nothing is awaited.
            said = text if pane is not self.run_list or self._waiting_for() else ""
            if pane.waiting != said:
                pane.waiting = said
                pane.refresh()

    def apply_changes(self) -> None:
        """On the UI thread: redraw what the reader changed."""
        if not self.screen_stack:
            return  # the app is closing: the reader's last word came after the screen went
        self._applied_at = time.monotonic()
        self._say_waiting()
        with self.store.lock:
            changed = self.store.take_changes()
            runs = list(self.store.runs.values())
            panel = self.anomaly_panel
            unread = [_run_id_of(source) for source in self.sources if source.behind]
            for run in runs:
                run.reading = run.id in unread
            for run_id in list(panel.early):
                if run_id not in unread:  # read to its end: the index's buckets are exact
                    del panel.early[run_id]
                    run = self.store.runs.get(run_id)
                    if run is not None:
                        run.known_end = None  # and its end
            panel.provisional = (self.loading or bool(self._held)) and any(
                r not in panel.early for r in unread)
            panel.scanning = {r for r in list(self._scanning) if r in unread and r not in panel.early}
            # (A copy: the prescan's thread adds to it.)
            interim = list(self._interim.items())
            for run_id, _ in interim:
                if run_id not in panel.scanning:  # the scan answered, or the index read it all
                    self._interim.pop(run_id, None)
            # The scan's rows so far, where it has read further than the
            # index (on a busy machine a gentle scan may lag behind it).
            panel.interim = {run_id: anomalies for run_id, (source, anomalies, upto) in interim
                             if run_id in panel.scanning and upto > source.follower.offset}
            self.run_list.held = self.tree.unread = self._held_run_ids()
            self.run_list.loaded = not self.loading
            self._say_ended(runs)
            self.run_list.set_runs(runs)
            panel.set_runs(self._panel_runs(runs))
            if not self.loading and not self._failures_sorted:
                self._failures_sorted = True
                self.call_after_refresh(self._sort_failures_ahead)
            tree = self.tree
            read_again = tree.run is not None and self.store.runs.get(tree.run.id) is not tree.run
            if read_again:
                # Its source was read again (a database or a log replaced):
                # its run anew, or none if it is gone, and then the run the
                # list is on, as at first (the tree said "no run selected"
                # beside a list of the new database's runs, QA).
                tree.show_run(self.store.runs.get(tree.run.id))
            if tree.run is None and self.run_list.current is not None:
                # First the run of the newest file (a directory's live log),
                # wherever its start sorts it.
                first = self.store.runs.get(_run_id_of(self.sources[0]) or "") if self.sources else None
                if first is not None:
                    self.run_list.select_run(first)
                tree.show_run(first or self.run_list.current)
            elif tree.run is not None and tree.run.id in changed and not read_again:
                tree.refresh_run()
            current = self._detail_subject()
            if not self.loading and current is not None and current.run.id in changed:
                # Redraw the detail only if what it shows changed: a full
                # render per appended line would cost the tail its latency.
                # Its run's file too: gzipped at exit, with nothing else new
                # (the detail kept naming the `.log`, QA).
                signature = detail_signature(current)
                if signature != self._detail_signature:
                    self._detail_signature = signature
                    self._redraw_live_detail()
            self._jump_if_read()
            self._export_if_read()
            if self._panel_row_moved():
                # The panel has the focus from the start: the detail shows its
                # top row (what has run longest) as soon as there is one, and
                # the row now under the cursor when the rows change (a big
                # log's prescan answering: the detail kept a row of the part
                # read so far, an action that closes further on, QA). Following
                # a busy eval, that row changes with nearly every batch: drawn
                # as a live change is, at most every DETAIL_LIVE_INTERVAL.
                self._redraw_live_detail(panel_row=True)
        self.update_status()

    def _panel_row_moved(self) -> bool:
        """The focused panel's row under the cursor is not what the detail
        shows (and no keypress is about to show something else)."""
        panel = self.anomaly_panel
        item = panel.current
        if self.focused is not panel or item is None or self._detail_timer is not None:
            return False
        row = item[1]
        return row.span is not self.detail.span if row.span is not None else self._noted_row is not row

    def _show_run_of_row(self, run: Run) -> None:
        """The run list and the tree show the run of the anomaly the detail
        shows: a directory opened on its newest run, a clean one, while the
        panel and the detail showed an older eval's hang (QA)."""
        if run is not self.tree.run:
            if run in self.run_list.runs:  # not through a filter the user set on the list
                self.run_list.select_run(run)
            with self.store.lock:
                self.tree.show_run(run)

    def _jump_if_read(self) -> None:
        """The jump asked for on an anomaly whose span was not made yet
        (an archive held, a big log being read), once it is: if the user is
        still on that row."""
        if self._jump_when_read is None:
            return
        row, run_id, trace_id = self._jump_when_read
        run = self.store.runs.get(run_id)
        span = row.span or (run.spans.get(trace_id) if run is not None and trace_id else None)
        if span is None:
            return
        self._jump_when_read = None
        item = self.anomaly_panel.current
        # Read to its end, the run shows the index's rows, not the prescan's.
        if self.focused is self.anomaly_panel and item is not None and (item[1] is row or item[1].span is span):
            # The toast that said it was not read yet is out of date now (QA).
            self.clear_notifications()
            self._jump_to(span, item[2])

    def _redraw_live_detail(self, panel_row: bool = False) -> None:
        """Redraw the detail for a live change, at most every
        DETAIL_LIVE_INTERVAL; a change inside the interval is drawn at its
        end. `panel_row`: the change is a new row under the panel's cursor
        (new data, not a key), shown the same way."""
        if self._live_detail_timer is not None:
            return  # a redraw is already due, and will show this change
        shown, at = self._last_live_detail
        wait = at + DETAIL_LIVE_INTERVAL - time.monotonic()
        if wait > 0 and (panel_row or self._detail_subject() is shown):
            self._live_detail_timer = self.set_timer(wait, self._draw_live_detail)
        else:
            self._draw_live_detail()

    def _detail_subject(self) -> Span | None:
        """The span the detail is about: the one it shows (the tree's or
        an anomaly's), else the tree's; none while it shows a note."""
        if self.detail.noted:
            return None
        panel = self.anomaly_panel
        if panel.current is None and panel.filtered and self._detail_is_the_panels():
            # The panel's filter hides every row: the detail shows none,
            # not the tree's span (QA: a running Run Task came back with
            # the next tick beside "no anomalies match the filter").
            return None
        return self.detail.span or self.tree.current

    def _draw_live_detail(self) -> None:
        self._live_detail_timer = None
        if not self.screen_stack:
            return  # the app is closing: its timer came after the screen went
        if self._panel_row_moved():
            self.anomaly_highlighted(None, at_once=True)
            self._last_live_detail = (self._detail_subject(), time.monotonic())
            return
        current = self._detail_subject()
        self._last_live_detail = (current, time.monotonic())
        if current is not None:
            self._show_detail(current)

    def tick(self) -> None:
        """Once a second: running ages move on."""
        if not self.screen_stack:
            return  # the app is closing: its timer came after the screen went
        try:
            self._tick()
        except (NoMatches, ScreenStackError):  # the app is closing (the last screen went meanwhile)
            pass

    def now(self) -> float:
        """The time ages run to: one instant for every pane a tick redraws
        (the detail read 1m30s beside its anomaly row's 1m31s, QA)."""
        instant = self._tick_instant
        return self._clock() if instant is None else instant

    def _tick(self) -> None:
        self._tick_instant = self._clock()
        try:
            current = self._detail_subject()
            if current is not None and current.status == "running" and not self.loading:
                self._show_detail(current)
            if not self.loading:
                with self.store.lock:
                    self.anomaly_panel.reorder_as_ages_grow(self._panel_runs(self.store.runs.values()))
                if self._panel_row_moved():
                    # Sorted again, another row is under the cursor (kept
                    # on top): the detail shows it, as after new data (QA:
                    # it kept the old row's span, `enter` opened the new one).
                    self._redraw_live_detail(panel_row=True)
            # Only the rows whose text moved on (an age, a bar) are drawn again.
            self.anomaly_panel.repaint_changed_rows()
            self.run_list.repaint_changed_rows()
            if self.tree.linger_over():
                # A sample open for a while after it ended closes then, the
                # log quiet or not (`span_tree.LINGER`).
                with self.store.lock:
                    self.tree.refresh_run()
            self.tree.repaint_changed_rows()
            self.update_status()
        finally:
            self._tick_instant = None
        release_styles_caches()

    def _show_new_detail(self, span: Span) -> None:
        """Show `span` unless it is shown already (a jump to it shows it at
        once; a running span's age is redrawn by the tick)."""
        if span is not self.detail.span:
            self._show_detail(span)

    def _show_detail(self, span: Span) -> None:
        try:
            self.detail.show(span, self.now(), version=self.store.version)
        except NoMatches:  # the app is closing
            pass

    def read_percent(self) -> int:
        """How far the least-read source is, in percent (held archives
        aside: they are not being read)."""
        held = list(self._held)
        return int(100 * min((s.progress for s in self.sources if s not in held), default=1.0))

    def _panel_runs(self, runs: Iterable[Run]) -> list[Run]:
        """The runs whose anomalies the panel lists: a held archive's only
        once its prescan answered (its first slice alone would list what
        was in flight there as running)."""
        hidden = self._held_run_ids() - self.anomaly_panel.early.keys()
        return [run for run in runs if run.id not in hidden] if hidden else list(runs)

    def _held_run_ids(self) -> set[str | None]:
        return {_run_id_of(source) for source in list(self._held)}

    def _held_source(self, run: Run) -> Source | None:
        source = self._source_for(run)
        return source if source in self._held else None

    def read_held(self, source: Source) -> None:
        """Read a held archive to its end: its run was asked for."""
        if source not in self._held:
            return
        if not os.path.exists(source.path):
            # Deleted unread (Inspect keeps its last 10 logs): its first
            # slice alone would list what was in flight there as running.
            # It stays as its scan found it.
            self.notify(f"{safe(os.path.basename(source.path), newlines=False)} was removed before it "
                        "was read: its anomalies are the ones its scan found", severity="warning",
                        timeout=4, markup=False)
            return
        self._held.discard(source)
        self._load_started = time.monotonic()
        self._releases += 1
        self.loading = True
        self._failures_sorted = False
        self.notify(f"reading {safe(os.path.basename(source.path), newlines=False)}…", timeout=3,
                    markup=False)
        with self.store.lock:
            self.run_list.held.discard(_run_id_of(source))
            self.run_list.repaint_changed_rows()
        self.tree.refresh()  # its `not read yet` is not so any more
        self.update_status()

    def _release_if_still_shown(self, run: Run) -> None:
        self._release_timer = None
        source = self._held_source(run)
        if source is not None and self.run_list.current is run:
            self.read_held(source)

    def update_status(self) -> None:
        live = {id(s) for s in self.sources if s.live}
        # What is being written first: it is what the user came for; then
        # the log the tree shows (QA: once the followed eval had exited, the
        # line named an older log of the directory, not the one on screen).
        tree_source = self.tree.run.source if self.tree.run is not None else None
        shown = sorted(self.sources, key=lambda s: (id(s) not in live, s.path != tree_source))
        basenames = [os.path.basename(s.path) for s in shown]
        names = ", ".join(basenames[:3]) + (f" +{len(basenames) - 3}" if len(basenames) > 3 else "")
        # The names give way to what follows them (live or not, the counts,
        # the load): at most a third of the line.
        room = max(STATUS_NAMES_MIN, (self._status.size.width or 80) // 3)
        if len(names) > room and basenames:
            more = f" +{len(basenames) - 1}" if len(basenames) > 1 else ""
            names = plain(basenames[0], max(4, room - len(more))) + more
        held = list(self._held)
        records = sum(s.records for s in self.sources if s not in held)  # a held first slice is no count
        # What a source's own note says (a Chrome trace cut short: where,
        # and how many events were read) is not counted again as skipped
        # lines, as the CLI and the notes (`n`) leave it (QA: "1 skipped
        # (first at line 343)" beside "the document ends early").
        unsaid = [s for s in self.sources if s.skipped_unsaid]
        skipped = sum(s.skipped_unsaid for s in unsaid)
        text = Text(no_wrap=True, overflow="ellipsis")
        waiting = self._waiting_for()
        if waiting is not None:
            text.append(waiting[1], style="bold yellow")
        else:
            text.append(" " + safe(names, newlines=False), style="bold")
        # A plain log whose writer is gone ended (killed, or quiet for good);
        # a gzipped log is an archive; a database or a trace document written
        # whole is neither, just not being written. Of several sources, how
        # many of each: one word read as all of them (QA: a directory of
        # three archives and a killed eval's log said "ended").
        state_of = {id(s): "live" if id(s) in live else _archive_state(s)
                    if isinstance(s, LineSource) and s.follower.compressed
                    else "ended" if isinstance(s, LineSource) and not s.settled else "not live"
                    for s in self.sources}
        states = Counter(state_of.values())
        for state in ("live", "ended", "archived", "archived, cut short", "not live"):
            count = states.get(state)
            if not count:
                continue
            word = f"● {state}" if state == "live" else state
            if len(states) > 1 or (state == "live" and count < len(self.sources)):
                word = f"● {count} live" if state == "live" else f"{count} {state}"
            if state == "ended" and count == 1:
                word += self._ended_ago(next(s for s in self.sources if state_of[id(s)] == "ended"))
            elif state.startswith("archived") and count == 1 and len(self.sources) == 1:
                # As a plain log says it (QA: the gzipped copy of a log said
                # `archived` alone beside the plain one's `ended 9d19h ago`).
                ago = self._ended_ago(self.sources[0])
                word += f", ended{ago}" if ago else ""
            # A gzip cut short looked like any archive but in a note the
            # line had no room for (QA): said where the state is.
            style = "green" if state == "live" else "yellow" if "cut short" in state else "dim"
            text.append(f"  {word}", style=style)
        if waiting is None:
            text.append(f"  {counted(records, 'record')}")
        notes = self.all_notes()
        if len(notes) > 1:
            # Before what a narrow line cuts: there is more to read than fits.
            text.append(f"  {len(notes)} notes: n", style="yellow")
        tail = Text()
        waiting_export = self._export_wait_percent()
        if waiting_export is not None:
            # In place of "loading": the same read, and why `x` did nothing yet.
            tail.append(f"  export waits for the file to be read ({waiting_export}%)…", style="yellow")
        elif self.loading:
            tail.append(f"  loading {self.read_percent()}%…", style="yellow")
        if self._held:
            held = len(self._held)
            tail.append(f"  {held} archive{'s' if held > 1 else ''} unread", style="dim")
        tail.append("  follow on" if self.tree.follow else "  follow off",
                    style="cyan" if self.tree.follow else "dim")
        if self._exporting:
            # After `follow`: a narrow line cuts what comes last, and
            # `follow off` cut to `follow` read as on (QA).
            tail.append(f"  exporting {sum(self._exporting.values()):,} spans…", style="yellow")
        if skipped:
            bad = unsaid[0]
            # Of several sources, which one: a line number alone could be any's.
            name = safe(os.path.basename(bad.path), newlines=False) if len(self.sources) > 1 else ""
            text.append(f"  {skipped:,} skipped", style="yellow")
            # Where, only if the line has room for it and what follows: at
            # 80 columns the count was cut to "2 skipped (first at" (QA).
            where_at = " ({})".format(where_skipped(bad.skipped_unsaid, bad.skipped_before_records,
                                                   bad.first_bad_line,
                                                   bad.first_bad_after_records, name))
            if text.cell_len + len(where_at) + tail.cell_len <= (self._status.size.width or 80):
                text.append(where_at, style="yellow")
            elif len(notes) <= 1:
                text.append(": n", style="yellow")  # the notes say where
        text.append_text(tail)
        said = self._said()  # skipped lines are said above
        export = self._export_said
        if export is not None and time.monotonic() - export[3] >= EXPORT_SAID_FOR:
            export = self._export_said = None  # said long enough: `n` keeps it
        if export is not None and export[2].issuperset(said):
            room = (self._status.size.width or 80) - text.cell_len - 2
            text.append("  " + _fitted([safe(form, newlines=False) for form in export[0]], room), style=export[1])
        elif said:
            text.append("  " + safe(_short_note(said[-1]), newlines=False), style="italic")
        self._status.set_text(text)

    def _say_ended(self, runs: list[Run]) -> None:
        """A toast for each run seen live that is not any more: how its
        eval ended. When the eval followed finished, the panel's top row,
        and so the tree and the detail, went to another eval's, with
        nothing said (QA)."""
        live = {run.id for run in runs if run.live}
        for run_id in self._live_run_ids - live:
            run = self.store.runs.get(run_id)
            if run is None:
                continue
            status = run.status
            running = len(run.anomalies.running)
            unit = "action" if run.format == "inspect" else "span"
            if status != "running":
                if run.format not in WHOLE_JOB_FORMATS:
                    continue  # one trace of many done: the stream's normal course
                how = f"ended {STATUS_WORDS.get(status, status)}"
            elif run.seen_at_work is not None:  # its process was seen, and is gone
                how = f"gone with {counted(running, unit)} still running"
            else:  # live by its writes alone (an eval in a container): quiet, maybe not gone
                how = f"no longer written, with {counted(running, unit)} running"
            self.notify(f"{run.name}: {how}", timeout=6, markup=False,
                        severity="warning" if status != "ok" else "information")
        self._live_run_ids = live

    def _ended_ago(self, source: Source) -> str:
        """` 2h26m ago`: how long ago an ended log was last known written
        (or its writer seen at work: the instant its ages run to). A killed
        eval's hung actions read `≥0µs` in every pane when the hang began
        at the log's last record, as if just begun (QA): this says how
        long the log has been silent, so how long they may have hung.
        Empty under a second."""
        now = self.now()
        # (a copy: the reader may add runs meanwhile, as an OTel export's
        # thousands of traces are read; a run a trace)
        runs = [run for run in list(self.store.runs.values()) if run.source == source.path]
        if source.behind and not all(run.known_end is not None for run in runs):
            # Its end is not read yet (QA: 4 h off while a big log loaded;
            # before its first record, the file's mtime, 18 min off): its
            # last record's time, read from its last bytes, is.
            tail = self._tail_end(source)
            if tail is None:
                return ""
            # As `Run.end` will once the scan says where the file ends.
            end = max([tail, *(run.last_time for run in runs if run.last_time is not None)])
            return f" {fmt_duration(now - end)} ago" if now - end >= 1 else ""
        end = max((as_of(run, now) for run in runs), default=now)
        return f" {fmt_duration(now - end)} ago" if now - end >= 1 else ""

    def _tail_end(self, source: Source) -> float | None:
        """The time of the last record of an Inspect log still being read
        (`prescan.last_record_time`), read once; None for any other source."""
        if source.path not in self._tail_ends:
            readable = isinstance(source, LineSource) and source.format == "inspect" \
                and not source.follower.compressed
            self._tail_ends[source.path] = last_record_time(source.path, source.decoder.filter) \
                if readable else None
        return self._tail_ends[source.path]

    # -- pane messages -----------------------------------------------------------

    @on(LineList.Highlighted, "#runs")
    def run_highlighted(self, message: LineList.Highlighted) -> None:
        if not self.screen_stack:
            return  # the app is closing: a cursor moved by the last update (ScreenStackError, 1 run in ~30)
        run = self.run_list.current
        if self._release_timer is not None:
            self._release_timer.stop()
            self._release_timer = None
        if run is not None and self._held_source(run) is not None and self.focused is self.run_list:
            # The user resting on it, not the list following the anomaly
            # panel's cursor over a held archive's rows (`_show_run_of_row`).
            self._release_timer = self.set_timer(
                HOLD_RELEASE_DELAY, lambda: self._release_if_still_shown(run))
        if run is not None and run is not self.tree.run:
            with self.store.lock:
                self.tree.show_run(run)

    @on(SpanTree.SpanHighlighted)
    def span_highlighted(self, message: SpanTree.SpanHighlighted) -> None:
        if not self.screen_stack:
            return  # the app is closing: a cursor moved by the last load
        if self.focused is self.anomaly_panel and self.anomaly_panel.current is not None:
            return  # the detail is the panel's (the tree moves by itself: loading, following)
        span = message.span
        self._show_detail_soon(lambda: self._show_new_detail(span))

    @on(LineList.Highlighted, "#anomalies")
    def anomaly_highlighted(self, message: LineList.Highlighted | None, at_once: bool = False) -> None:
        """The detail shows the anomaly under the cursor while the panel has
        the focus, as `r` and `c` take it (QA: it kept the tree's span)."""
        if not self.screen_stack:
            return  # the app is closing (see `run_highlighted`)
        item = self.anomaly_panel.current
        if not self._detail_is_the_panels() or item is None:
            return
        _, row, run = item
        if row.span is not None:
            self._noted_row = None
            self._show_run_of_row(run)
            show = lambda: self._show_new_detail(row.span)  # noqa: E731
        else:  # a held archive's or a big log's row: its span is made when the reader gets there
            self._noted_row = row
            # Its run is shown all the same (QA: the run list and the tree
            # stayed on another eval), and named: a directory's rows are
            # from several.
            self._show_run_of_row(run)
            held = self._held_source(run)
            why = (f"its archive, {os.path.basename(held.path)}, is not read yet: enter reads it"
                   if held is not None else f"{run.name}: {NOT_INDEXED_YET}")
            age = self.anomaly_panel.age_of(item)
            show = lambda: self.detail.show_unread(  # noqa: E731
                BUCKET_STATUS[item[0]], row.action, row.detail, row.start, age, why)
        if at_once:
            show()
        else:
            self._show_detail_soon(show)

    def _detail_is_the_panels(self) -> bool:
        """Does the detail show the anomaly panel's row: the panel has the
        focus, or the filter box typing into it has (QA: typing
        `status:cancelled` listed 433 cancelled rows beside the detail of
        a running Model call, until enter)."""
        focused = self.focused
        return focused is self.anomaly_panel or (
            self._filter_target is self.anomaly_panel and isinstance(focused, FilterInput))

    @on(events.DescendantFocus)
    def pane_focused(self, event: events.DescendantFocus) -> None:
        """The detail is about the focused list's selection: an anomaly's
        once the panel has the focus (on open too, where it starts), the
        tree's again when it has."""
        if event.widget is self.anomaly_panel:
            self.anomaly_highlighted(None)
        elif event.widget is self.tree and self.tree.current is not None \
                and self.tree.current is not self.detail.span:
            span = self.tree.current
            self._show_detail_soon(lambda: self._show_new_detail(span))

    def _show_detail_soon(self, show: Callable[[], None]) -> None:
        # Holding j down moves the cursor many times a second: draw the
        # detail once the cursor rests, so each keypress stays within a frame.
        # But at least every DETAIL_MAX_WAIT: a tree following a busy log
        # moves its cursor more often than DETAIL_DELAY, and the detail
        # showed a span long gone from it (QA: sample 168 beside samples 7–9).
        self._detail_show = show
        now = time.monotonic()
        if self._detail_timer is not None:
            if now - self._detail_asked < DETAIL_MAX_WAIT:
                self._detail_timer.stop()
            else:
                return  # the timer set already draws the newest
        else:
            self._detail_asked = now

        def due() -> None:
            self._detail_timer = None
            show, self._detail_show = self._detail_show, _show_nothing  # (what it shows is let go)
            show()
            if self.screen_stack and self._panel_row_moved():  # (none: the app is closing)
                # The panel's rows changed while it waited (a big log's
                # scan's rows gave way to the index's): the row under the
                # cursor now, not the one it was asked for (found by a
                # test's flake: the detail kept saying "not indexed yet",
                # holding the scan's row, until the cursor moved).
                self.anomaly_highlighted(None, at_once=True)

        self._detail_timer = self.set_timer(DETAIL_DELAY, due)

    @on(SpanTree.SpanSelected)
    def span_selected(self, message: SpanTree.SpanSelected) -> None:
        self.detail.show(message.span, self.now(), version=self.store.version)

    @on(LineList.Activated, "#anomalies")
    def anomaly_activated(self, message: LineList.Activated | None = None) -> None:
        item = self.anomaly_panel.current
        if item is None:
            return
        self.anomaly_panel.chosen = True  # `enter` comes here, not to the panel's own binding
        _, row, run = item
        if row.span is None:  # from the prescan: the reader is not there yet
            early = self.anomaly_panel.early.get(run.id) or self.anomaly_panel.interim.get(run.id)
            trace_id = None if early is None else next(
                (tid for name in BUCKETS for tid, r in early.bucket(name).items() if r is row), None)
            self._jump_when_read = (row, run.id, trace_id)
            held = self._held_source(run)
            if held is not None:
                self.read_held(held)
                self.notify("reading its archive: the tree shows its span once read", timeout=3)
                return
            self.notify(f"not indexed yet ({self.read_percent()}% read): the tree shows its span "
                        "once the reader reaches it", timeout=3)
            return
        self._jump_to(row.span, run)

    def _jump_to(self, span: Span, run: Run) -> None:
        if self.tree.follow:
            # Following, the tree would carry the cursor off to the newest
            # rows at once (QA: the span jumped to was never on screen).
            self.tree.follow = False
            self.update_status()
            self.notify("follow off: showing the anomaly's span (f follows again)", timeout=3)
        self.run_list.select_run(run)
        with self.store.lock:
            self.tree.show_run(run)
            self.tree.reveal(span)  # SpanSelected: the detail shows it
        if self._filter_texts.get(self.tree.id or "") and not self.tree.filtered:
            # The span is not among what the kept filter shows: the tree
            # dropped it, and so does its border (QA: it still said
            # `/ status:error` over the whole tree).
            self._filter_texts[self.tree.id or ""] = ""
            self.tree.border_subtitle = None
            self.notify("the tree's filter is dropped: the anomaly's span does not match it", timeout=3,
                        markup=False)
        self.focus_now(self.tree)

    @on(LineList.Activated, "#runs")
    def run_activated(self, message: LineList.Activated | None = None) -> None:
        run = self.run_list.current
        held = None if run is None else self._held_source(run)
        if held is not None:
            self.read_held(held)
        self.focus_now(self.tree)

    def focus_now(self, widget: Widget) -> None:
        """Move focus at once. `Widget.focus()` moves it only after the
        messages already queued, and a busy app (a big file loading) reads
        keys in bursts: the letters typed behind "/" would go to the pane
        instead of the filter box."""
        self.screen.set_focus(widget)

    # -- actions -----------------------------------------------------------------

    def get_system_commands(self, screen) -> Iterable[SystemCommand]:
        """Textual's commands, then every key's action (`ctrl+p`): a user
        who forgot a key finds it by what it does."""
        yield from super().get_system_commands(screen)
        if not isinstance(screen, MainScreen):
            return  # help, a raw record: their keys are theirs
        tree = self.tree
        for title, help_text, callback in (
            ("Filter the focused list", "/: words, or field:value (status:error kind:Model sample:3)",
             self.action_filter),
            ("Jump to the anomaly panel", "a", self.action_focus_anomalies),
            ("Errors and timeouts: show or hide", "e: in the anomaly panel", self.action_toggle_failures),
            ("Follow the newest span", "f: keep it in view as spans arrive", self.action_toggle_follow),
            ("Sort the spans", "s: recorded order, start time, slowest first, name", tree.action_cycle_sort),
            ("Expand the whole subtree", "* / shift+→ on the tree's selected span", tree.action_expand_all),
            ("Collapse the whole subtree", "shift+← on the tree's selected span", tree.action_collapse_all),
            ("Raw record", "r: the selected span's record(s) as the source wrote them", self.action_raw),
            ("Notes", "n: what the sources said: lines skipped, fields not understood, files unreadable",
             self.action_notes),
            ("Copy the span as JSON", "c: to the clipboard (OSC 52)", self.action_copy),
            ("Export the run for Perfetto", "x: a Chrome trace JSON file ui.perfetto.dev opens",
             self.action_export),
            ("Next pane", "tab", self.action_focus_next),
            ("Previous pane", "shift+tab", self.action_focus_previous),
            ("Expand or collapse", "space / enter on the tree's selected span", tree.action_toggle),
            ("Top of the list", "g: the focused list's first row", lambda: self._in_focused_list("first")),
            ("Bottom of the list", "G: the focused list's last row", lambda: self._in_focused_list("last")),
            ("Help", "?: every key", self.action_help),
        ):
            yield SystemCommand(title, help_text, callback)

    def _in_focused_list(self, action: str) -> None:
        target = self.focused if isinstance(self.focused, LineList) else self.tree
        getattr(target, f"action_{action}")()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def all_notes(self) -> list[str]:
        """What the app and every source said, oldest first, each once, and
        which sources skipped lines (the status line counts them all)."""
        # (Those a source's own notes say are not said again.)
        skipped = [s.skipped_note(grouped=True) for s in self.sources if s.skipped_unsaid]
        return list(dict.fromkeys(self._said() + skipped))

    def _said(self) -> list[str]:
        """The notes the app and the sources gave, oldest first."""
        return self.notes + [n for s in self.sources for n in s.notes]

    def action_notes(self) -> None:
        # With none, the screen says so, as a toast did: the `q` that closes
        # the screen, typed next, then quit the app (QA).
        self.push_screen(NotesScreen([safe(n, newlines=False) for n in self.all_notes()]))

    def action_activate_list(self) -> None:
        """`enter` on the anomaly panel (to its span in the tree) or the run
        list (to its tree), done as the key is read; anywhere else, the
        focused widget's own `enter`."""
        focused = self.focused
        if isinstance(focused, LineList) and self._filter_texts.get(focused.id or "", "") != self._filter_typed(focused):
            # A filter typed in the same burst, not applied yet: the pane's
            # own `enter`, after it (QA: `/approve` `enter` `enter` in one
            # burst jumped to the row under the cursor before the filter).
            raise SkipAction()
        if len(self.screen_stack) == 1 and focused is self.anomaly_panel:
            self.anomaly_activated()
        elif len(self.screen_stack) == 1 and focused is self.run_list:
            if self.run_list.row_count():
                self.run_activated()
        else:
            raise SkipAction()

    def _filter_typed(self, pane: LineList) -> str:
        """What the filter box holds for `pane`, if it is the box's pane,
        else what is applied to it."""
        if self._filter_target is pane:
            return self.query_one("#filter", Input).value
        return self._filter_texts.get(pane.id or "", "")

    def action_focus_anomalies(self) -> None:
        if len(self.screen_stack) > 1 or isinstance(self.focused, Input):
            raise SkipAction()  # an `a` typed in a box, or a dialog is open
        self.focus_now(self.anomaly_panel)

    def _pane_cycle(self) -> list[Widget]:
        """The order `tab` goes through the panes: from a run to its tree
        and a span's detail, then the anomalies. Not the screen's order
        (runs, anomalies, tree): tabbing from the run list to the tree
        passed the panel, whose focus shows its row's run, and the tree
        showed another run than the one just chosen (QA)."""
        return [self.run_list, self.tree, self.detail, self.anomaly_panel]

    def action_focus_next(self) -> None:
        self._cycle_focus(1)

    def action_focus_previous(self) -> None:
        self._cycle_focus(-1)

    def _cycle_focus(self, step: int) -> None:
        panes = self._pane_cycle()
        if not isinstance(self.screen, MainScreen) or self.focused not in panes:
            # A dialog, or the filter box: Textual's own order.
            (self.screen.focus_next if step > 0 else self.screen.focus_previous)()
            return
        self.focus_now(panes[(panes.index(self.focused) + step) % len(panes)])

    def _sort_failures_ahead(self) -> None:
        """Once a load has ended, after its frame: the errors and timeouts
        the panel hides, sorted and grouped now (`AnomalyPanel.sort_ahead`),
        not by the first `e`. On a 1M-line log's 3,353 errors that press
        took 11-17 ms before its frame was drawn; later presses reuse them
        (1.2-5 ms) until a run's buckets change."""
        with self.store.lock:
            self.anomaly_panel.sort_ahead(self._panel_runs(self.store.runs.values()))

    def action_toggle_failures(self) -> None:
        if len(self.screen_stack) > 1 or isinstance(self.focused, Input):
            raise SkipAction()  # an `e` typed in a box, or a dialog is open
        panel = self.anomaly_panel
        panel.show_failures = not panel.show_failures
        with self.store.lock:
            panel.set_runs(self._panel_runs(self.store.runs.values()))
        self.notify("errors and timeouts shown" if panel.show_failures else "errors and timeouts hidden",
                    timeout=2)

    def action_toggle_follow(self) -> None:
        self.tree.follow = not self.tree.follow
        if self.tree.follow:
            with self.store.lock:
                self.tree.refresh_run()
        self.update_status()

    def _no_span_said(self) -> str:
        """Why `r`, `c` have nothing to take."""
        item = self.anomaly_panel.current if self.focused is self.anomaly_panel else None
        return NOT_READ_YET if item is not None and item[1].span is None else "select a span first"

    def _selected_span(self) -> Span | None:
        if self.focused is self.anomaly_panel and self.anomaly_panel.current is not None:
            return self.anomaly_panel.current[1].span
        return self.tree.current

    def _source_for(self, run: Run) -> Source | None:
        for source in self.sources:
            if source.path == run.source or getattr(source, "path", None) == run.source:
                return source
        return None

    def action_raw(self) -> None:
        span = self._selected_span()
        if span is None:
            self.notify(self._no_span_said(), severity="warning")
            return
        source = self._source_for(span.run)
        parts = []
        for raw in source.raws(span.locators) if source is not None else ():
            if raw is None:
                continue
            try:
                record = json.loads(raw)
            except (ValueError, RecursionError):
                parts.append(_t(raw, rest=IN_DUMP))
                continue
            if span.run.format == "otlp":
                from tracetui.formats.otlp import span_record

                # One request holds a batch: the span's own part of it.
                record = span_record(record, span.id) or record
            parts.append(_json(record, rest=IN_DUMP))
        if not parts:
            # Said in the screen `r` opens, not in a toast: the `q` that
            # closes such a screen, typed next, quit the app (QA).
            parts.append(Text("no raw record: this node is inferred by tracetui" if span.synthetic
                              else "the raw record could not be read back", style="italic"))
        from rich.console import Group

        self.push_screen(RawScreen(f"raw · {safe(span.name, newlines=False)}", Group(*parts)))

    def action_copy(self) -> None:
        span = self._selected_span()
        if span is None:
            self.notify(self._no_span_said(), severity="warning")
            return
        text = span_as_json(span)
        if len(text) > MAX_COPY:
            # Sent all the same, a terminal drops it without a word, and the
            # toast said "copied" (QA: 21 MB, a second's freeze).
            self.notify(f"not copied: {len(text) / 1e6:.1f} MB of JSON is more than a terminal takes "
                        "through its clipboard; `tracetui dump FILE` prints the record", severity="warning",
                        timeout=6, markup=False)
            return
        self.copy_to_clipboard(text)
        # Sent, not known to be received: a terminal (or tmux, by default)
        # may drop OSC 52 without a word (QA: "copied", tmux's buffer empty).
        self.notify(f"copied {safe(span.name, newlines=False)[:40]} as JSON (sent to the terminal's clipboard "
                    "by OSC 52; tmux needs set-clipboard on)", markup=False)

    def action_export(self) -> None:
        # The run under the run list's cursor when it has the focus: the
        # tree follows it only once its highlight is handled, after an `x`
        # typed right behind the move.
        run = self.run_list.current if self.focused is self.run_list else None
        run = run or self.tree.run or self.run_list.current
        if run is None:
            if self.loading:
                self._export_first_run = True
                self.notify("nothing read yet: the run is exported once read", timeout=4)
                return
            self.notify("no run to export", severity="warning")
            return
        held = self._held_source(run)
        if held is not None:
            self.read_held(held)
            # Exported once read (QA: "press x again once it is read", and
            # nothing said when that was).
            self._export_when_read.add(run.id)
            self.notify("only its first spans are read: it is exported once read", timeout=4)
            self.update_status()
            return
        if self.loading and self._being_read(run):
            # Read for the first time (a big log opened a moment ago): the
            # whole run, once read. A live log's growth is no load: it is
            # exported at once (`_export`, which says it is what was written
            # so far).
            self._export_when_read.add(run.id)
            self.notify(f"its file is still being read ({self._export_wait_percent()}%): "
                        "it is exported once read", timeout=4, markup=False)
            self.update_status()
            return
        self._export(run)

    def _being_read(self, run: Run) -> bool:
        """Whether the source of `run` has more to read than the reader has
        got to (a big file loading, or a burst on a followed one)."""
        source = self._source_for(run)
        return source is not None and source.behind

    def _export_wait_percent(self) -> int | None:
        """How far the file of an export waiting to be read is (the least
        read of them), or None when none waits."""
        waiting = [run for run_id in list(self._export_when_read)
                   if (run := self.store.runs.get(run_id)) is not None]
        if not waiting:
            return None
        sources = [source for run in waiting if (source := self._source_for(run)) is not None]
        return int(100 * min((source.progress for source in sources), default=1.0))

    def _export_if_read(self) -> None:
        """The exports asked for on runs not read yet, once each is."""
        if self._export_first_run:
            run = self.tree.run or self.run_list.current
            if run is not None:
                self._export_first_run = False
                self._export_when_read.add(run.id)
                self.update_status()
        for run_id in list(self._export_when_read):
            run = self.store.runs.get(run_id)
            if run is not None and self._held_source(run) is None and not self._being_read(run):
                self._export_when_read.discard(run_id)
                self._export(run)

    def _export(self, run: Run) -> None:
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", run.id)[:80] or "run"
        try:
            path = os.path.abspath(f"tracetui-{name}.perfetto.json")
        except OSError as exc:  # the working directory is gone
            self._export_failed(None, f"cannot write the export here: {exc.strerror or exc}")
            return
        if any(os.path.abspath(s.path) == path for s in self.sources):
            # Its own earlier export, opened as a source: never written to.
            self._export_failed(path, "it is a source being read", doing="not exporting over")
            return
        if path in self._exporting:
            # One writer per file: a second would race the first on its
            # `.part` (QA: a red "cannot write" beside the success).
            self.notify(f"the run's export is under way: {self._exporting[path]:,} spans to "
                        f"{os.path.basename(path)}", timeout=3, markup=False)
            self.update_status()
            return
        self._exports.update((path, f"{path}.part"))
        with self.store.lock:
            spans = list(run.spans.values())
        if len(spans) > EXPORT_NOTICE_MIN:
            self.notify(f"exporting {len(spans):,} spans…", timeout=3, markup=False)
        # And on the status line until written: a million spans take
        # seconds more than the toast stays (QA: 11 s, nothing said). Not
        # beside the last export's result, which read as this one's (QA).
        self._exporting[path] = len(spans)
        self._export_said = None
        self.update_status()
        self._export_in_background(Handoff(run, spans), path, as_of(run, self.now()), os.path.exists(path),
                                   self._export_so_far(run))

    def _export_so_far(self, run: Run) -> str:
        """What the note of an export taken now adds when the run has more
        to come: it holds what was written, or read, by then."""
        if run.live:
            return ", as written so far: the run is live"
        if self._being_read(run):
            return ", as read so far: its file is still being read"
        return ""

    # A `description`, or Textual would repr the million spans passed (`SpanTree._filter_in_background`).
    @work(thread=True, group="export", description="export a run")
    def _export_in_background(self, handoff: Handoff, path: str, now: float,
                              replacing: bool = False, so_far: str = "") -> None:
        """Write the export off the UI thread (a million spans take seconds),
        from a snapshot of the run's spans, so the reader keeps reading (the
        run and the snapshot handed: `Handoff`, not kept with the worker)."""
        run: Run
        spans: list[Span]
        run, spans = handoff.take()
        try:
            count = write_perfetto([run], path, now, [spans])
        except OSError as exc:
            self.call_from_thread(self._export_failed, path, str(exc.strerror or exc))
            return
        finally:
            # The export's layout arrays (MBs each for a big run), freed,
            # stay with glibc: ~20 MB after a 490k-span export.
            give_back_free_memory()
        made_up = [span.kind for span in spans if span.synthetic]
        # The run list counts recorded spans only: say what the rest are, by
        # their kind (Inspect's task and sample nodes, a Chrome trace's
        # process tracks: QA, those were called task/sample nodes too).
        kinds = set(made_up)
        named = "/".join(sorted(kinds)) + " " if len(kinds) <= 3 else ""
        what = f"{count:,} spans" + (f" ({len(made_up):,} of them {named}nodes tracetui inferred)"
                                     if made_up else "")
        replaced = ", replacing the run's earlier export" if replacing else ""
        self.call_from_thread(self._exported, path, f"{what}{so_far}{replaced}")

    def _exported(self, path: str, what: str) -> None:
        """Said in a toast, kept with the notes (`n`): the file's path was
        only in a toast, gone in six seconds (QA); and on the status line."""
        self._exporting.pop(path, None)
        # The path first: the status line has room for little more (QA: cut
        # before it at 130 columns).
        opened = "open it in ui.perfetto.dev"
        text = f"exported to {path}: {what}; {opened}"
        self._say_export(text, [f"exported to {where}{rest}" for where in _export_places(path)
                                for rest in (f": {what}; {opened}", f"; {opened}", "")], "italic")
        self.notify(text, timeout=6, markup=False)

    def _export_failed(self, path: str | None, why: str, doing: str = "cannot write") -> None:
        """Why an export was not written: in a toast, with the notes, and on
        the status line, as a written one is."""
        if path is None:
            text, forms = why, [why]
        else:
            self._exporting.pop(path, None)
            text = f"{doing} {path}: {why}"
            forms = [f"{doing} {where}: {why}" for where in _export_places(path)] + [f"export failed: {why}"]
        self._say_export(text, forms, "red")
        self.notify(text, severity="error", markup=False)

    def _say_export(self, text: str, forms: list[str], style: str) -> None:
        """`text` kept with the notes (`n`), and `forms` of it (the longest
        that fits, `update_status`) on the status line at once, in place of
        the notes said before it."""
        self.notes.append(text)
        self._export_said = (forms, style, frozenset(self._said()), time.monotonic())
        self.update_status()

    # -- filtering ---------------------------------------------------------------

    def action_filter(self) -> None:
        if len(self.screen_stack) > 1 or isinstance(self.focused, Input):
            raise SkipAction()  # a "/" typed in a box, or a dialog is open
        focused = self.focused
        if not isinstance(focused, LineList):
            focused = self.tree
        self._filter_target = focused
        if isinstance(focused, SpanTree):
            focused.hold_filter_anchor()
        box = self.query_one("#filter", Input)
        box.value = self._filter_texts.get(focused.id or "", "")
        box.add_class("visible")
        box.border_title = f"filter {focused.id}"
        self.focus_now(box)

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        target = self._filter_target
        if target is None:
            return
        self._apply_filter(target, event.value)

    def _apply_filter(self, target: LineList, text: str) -> None:
        self._filter_texts[target.id or ""] = text
        query = parse(text)
        with self.store.lock:
            if isinstance(target, AnomalyPanel):
                before = target.current
                target.set_filter(query, self._panel_runs(self.store.runs.values()))
                # Its cursor stays on its row where it can: another row, or
                # none, under it is news to the detail.
                after = target.current
                if after is None and before is not None and self._detail_is_the_panels():
                    # It matches nothing: the detail lets go of the anomaly
                    # it hides, as the tree's does.
                    self._noted_row = None
                    self._show_detail_soon(lambda: self._show_detail(None))
                elif after is not None and (before is None or after[1] is not before[1]):
                    self.anomaly_highlighted(None)
            else:
                target.set_filter(query)  # type: ignore[attr-defined]
        # The filter shows in the pane's bottom border (the top one is the
        # pane's own title, which live updates rewrite).
        target.border_subtitle = f"/ {safe(text, newlines=False)}" if text else None

    def action_close_filter(self) -> None:
        """Esc drops the filter: typed in the box (enter keeps it), or, on a
        list whose filter is kept, the one it shows in its border."""
        box = self.query_one("#filter", Input)
        if box.has_class("visible"):
            if self._filter_target is not None:
                self._apply_filter(self._filter_target, "")
            box.value = ""
            self._hide_filter()
            return
        focused = self.focused
        if isinstance(focused, LineList) and self._filter_texts.get(focused.id or ""):
            self._apply_filter(focused, "")
            if self._filter_target is focused:
                with box.prevent(Input.Changed):  # (applied already)
                    box.value = ""  # what `_filter_typed` reads: nothing pending

    def _hide_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.remove_class("visible")
        if isinstance(self._filter_target, SpanTree):
            self._filter_target.release_filter_anchor()
        if self._filter_target is not None:
            self.focus_now(self._filter_target)
