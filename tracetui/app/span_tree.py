"""The span tree: collapsible, a status and duration per node, and a
waterfall bar placing each span in its run's time range.

Rows are a flat sequence of (span, depth) for the expanded part of the
tree only, so a run of a million spans costs what its visible part costs;
expanding splices a subtree's rows in, collapsing slices them out.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress, islice
from operator import attrgetter, lt
from typing import Callable, Iterable, Iterator

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.worker import get_current_worker

from tracetui.analysis import shown_duration
from tracetui.app.handoff import Handoff
from tracetui.app.line_list import LineList, fit
from tracetui.app.style import STATUS_STYLE, plain
from tracetui.breathe import Breather
from tracetui.clock import ages_cut_short, as_of, runs_to_the_end
from tracetui.elide import elide_compose
from tracetui.listops import extend_slice, index_of, index_of_int, indices_of, splice_moving
from tracetui.model import CANCELLED, RUNNING, Anomalies, Run, Span, orphan_note
from tracetui.query import Query, refines
from tracetui.text import clip, fmt_age

BAR_WIDTH = 16
#: Rows narrower than this draw no bar (the name and age keep the room).
BAR_MIN_WIDTH = 60
#: A run of more spans than this is filtered and laid out (on a live update,
#: a sort, a run switch) in a thread: a 1M-line eval's 120k rows took
#: ~100 ms to lay out (8 ms since open nodes are looked up, not tested row
#: by row; more for recorded trees) and take ~1 s to filter, which would
#: block every key. Counted in
#: spans, not rows: the rows may be a filter's few, or not laid out yet.
BACKGROUND_MIN_SPANS = 20_000
#: Rows laid out between two looks whether the UI thread is due the GIL
#: (`tracetui.breathe`).
YIELD_EVERY = 1000
#: Open nodes among siblings found one by one (`index_of`, a C scan each:
#: 0.1 ms at worst over the 114k samples of the 1M-line log's biggest
#: task) up to this many; more, in one pass (`indices_of`: in C, ~0.15 ms
#: over the same, comparing pointers; a Python scan took 6.5 ms). A dict
#: of every child's position, kept from layout to layout, cost the TUI
#: 11 bytes a span of that log.
INDEX_LOOKUPS = 3
#: Rows at most this deep find their subtree's end with a C scan per level
#: (`subtree_end`); deeper subtrees are small, and a loop is cheaper.
SCANNED_LEVELS = 8
#: At most this many rounds bring a filter pass's matches up to what the
#: reader read while it ran (`SpanTree._catch_up`): each round is shorter
#: than the one before, the reader's news in its time.
CATCH_UP_ROUNDS = 4
#: Least pause (s) between two layouts of a big tree in a thread.
RELAYOUT_GAP = 0.25
#: A whole subtree of more rows than this is opened (`*`) or closed
#: (shift+left) with its walk in a thread (`_SubtreeWork`); up to this many
#: (about 1.5 ms) at once. On the UI thread, a task of 259,115 nodes took
#: 128–250 ms to open and 72–175 ms to close on the seed-6007 log, and no
#: cheaper walk fits a frame: each span read is a cache miss (asking 259k
#: spans for their children took 56 ms, putting 81k ids in a set 16 ms,
#: measured on that log's spans).
SUBTREE_SYNC_ROWS = 2000
#: Rows a thread opening a subtree walks between two looks whether the UI
#: thread is due the GIL (`tracetui.breathe`), and the steps in which the UI
#: thread walks the first `SUBTREE_SYNC_ROWS`.
SUBTREE_STEP = 500
#: Rows or ids a thread opening or closing a subtree hands to one C call
#: (a slice, a set update, the scan for the nodes shown open): such a call
#: keeps the GIL to its end, and over a task's 259k rows the scan held it
#: 90 ms. About 1 ms each.
SUBTREE_CHUNK = 2500
#: A filter's pass lays out the children of one node this many at a time,
#: resting and looking whether a newer keystroke cancelled it between:
#: about 0.1 ms each (`_rows_of`).
CHILDREN_AT_ONCE = 1000
#: A filter's pass copies a run's spans this many at a time, handing the
#: GIL over between (`spans_snapshot`): under 1 ms each on a 1M-line log.
SNAPSHOT_SLICE = 5_000
#: How long (s) at most a thread opening or closing a subtree, or filtering
#: a big run, waits for the key's frame to be drawn before it starts
#: (`_SubtreeWork.go`, `_filter_in_background`).
SUBTREE_FRAME_WAIT = 0.1
#: How long (s) a thread that opened a subtree waits for the UI thread to
#: take its rows, to let go of those they replaced: freeing a list of 264k
#: rows is 3 ms the UI thread need not spend.
SUBTREE_HANDOVER_WAIT = 5.0
#: A made-up node (an Inspect sample, its task), open while it runs, stays
#: open this long (s) after its last action ends: between two actions a
#: sample runs none, and followed live its node closed and opened again
#: with each, the tree changing shape under the user (QA). Its age is
#: measured as the run's are (`clock.as_of`): the samples a ctrl+c
#: stopped stay open in the log it leaves.
LINGER = 10.0
_EIGHTHS = " ▏▎▍▌▋▊▉█"
#: Row styles, parsed once: a row is drawn from segments (`row_segments`).
_NULL = Style()
_DIM = Style.parse("dim")
_BOLD = Style.parse("bold")
_ITALIC_DIM = Style.parse("italic dim")
_CYAN = Style.parse("cyan")
_WHITE = Style.parse("white")
_ICONS = {status: Segment(icon, Style.parse(style)) for status, (icon, style) in STATUS_STYLE.items()}
_UNKNOWN_ICON = Segment("?", _WHITE)
_BAR_STYLES = {status: Style.parse(style.replace("bold ", "")) for status, (_, style) in STATUS_STYLE.items()}


class Rows:
    """The tree's rows, (span, depth) each, kept as two parallel lists.

    Not a list of tuples: while a big log grows, its tree (120k rows for a
    1M-line eval) is laid out again every few hundred ms, and 120k new
    tuples were scanned by every full garbage collection, about 20 ms once
    a second on the thread that reads the log. Two lists are two objects to
    the collector, however long."""

    __slots__ = ("spans", "depths", "anchors")

    def __init__(self, spans: list[Span] | None = None, depths: list[int] | None = None) -> None:
        self.spans: list[Span] = [] if spans is None else spans
        self.depths: list[int] = [] if depths is None else depths
        #: The rows of the open top-level nodes (an Inspect run's tasks), as
        #: the layout put them and splices moved them: the jump to an
        #: anomaly searched 120k rows for its task's row (`anchor`).
        self.anchors: dict[Span, int] = {}

    def __len__(self) -> int:
        return len(self.spans)

    def __getitem__(self, index: int) -> tuple[Span, int]:
        return self.spans[index], self.depths[index]

    def __iter__(self) -> Iterator[tuple[Span, int]]:
        return zip(self.spans, self.depths)

    def __eq__(self, other: object) -> bool:
        try:
            return list(self) == list(other)  # type: ignore[call-overload]
        except TypeError:
            return NotImplemented

    def append(self, span: Span, depth: int) -> None:
        self.spans.append(span)
        self.depths.append(depth)

    def splice(self, start: int, end: int, rows: "Rows") -> None:
        """Replace rows [start, end) with `rows`."""
        self.spans[start:end] = rows.spans
        self.depths[start:end] = rows.depths
        self.anchors = self._anchors_after(start, end, len(rows.spans))

    def splice_taking(self, start: int, end: int, rows: "Rows") -> None:
        """Replace rows [start, end) with `rows`, which are left empty:
        their references are moved, not copied and let go of (`splice`
        did both, two passes over the objects of a task's 114k samples,
        ~4.5 ms when their memory is not in the cache)."""
        self.anchors = self._anchors_after(start, end, len(rows.spans))
        splice_moving(self.spans, start, end, rows.spans)
        splice_moving(self.depths, start, end, rows.depths)

    def replaced(self, start: int, end: int, rows: "Rows") -> "Rows":
        """New rows: these with rows [start, end) replaced by `rows`; these
        stay as they are (for a thread to read, or to let go of)."""
        new = Rows(self.spans[:start] + rows.spans + self.spans[end:],
                   self.depths[:start] + rows.depths + self.depths[end:])
        new.anchors = self._anchors_after(start, end, len(rows.spans))
        return new

    def _anchors_after(self, start: int, end: int, count: int) -> dict[Span, int]:
        """The anchors once rows [start, end) are replaced by `count` rows."""
        shift = count - (end - start)
        return {span: row + shift if row >= end else row
                for span, row in list(self.anchors.items()) if row < start or row >= end}

    def anchor(self, span: Span) -> int | None:
        """The row of an open top-level node, if the layout noted it."""
        row = self.anchors.get(span)
        if row is not None and row < len(self.spans) and self.spans[row] is span:
            return row
        return None

    def index(self, span: Span, start: int = 0) -> int | None:
        """The row of `span` at or after row `start` (a descendant's row
        comes after its ancestor's: searching from there saves a pass),
        found by identity (`index_of`: `list.index` took up to 10 ms over
        120k rows)."""
        return index_of(self.spans, span, start)


def _open_candidates(run: Run, opened: set[str], lingering: Iterable[Span] = ()) -> dict[Span, list[Span]]:
    """The nodes of an inferred run that may be open below its top level,
    by parent: those the user opened, the running actions with every
    ancestor (a sample or task runs while an action in it does), the
    actions a cancelled one ran under (`SpanTree.default_open`), and the
    made-up nodes still `lingering` after they ran."""
    by_parent: dict[Span, list[Span]] = {}
    seen: set[int] = set()
    # Copied by `list` first, in C: a layout in a thread runs while the
    # reader fills the buckets and the UI thread opens nodes.
    starts = [row.span for row in list(run.anomalies.running.values())]
    starts += [row.span.parent for row in list(run.anomalies.cancelled.values())
               if row.span is not None and row.span.parent is not None and not row.span.parent.synthetic]
    starts += [run.spans.get(span_id) for span_id in list(opened)]
    starts += lingering
    for node in starts:
        while node is not None and node.parent is not None and id(node) not in seen:
            seen.add(id(node))
            by_parent.setdefault(node.parent, []).append(node)
            node = node.parent
    return by_parent


def _depth(span: Span) -> int:
    depth, node = 0, span.parent
    while node is not None:
        depth, node = depth + 1, node.parent
    return depth


#: How many sets a `SpanSet` splits its spans' ids into (a power of two).
SPAN_SET_PARTS = 256


class SpanSet:
    """Spans by identity (their ids), in SPAN_SET_PARTS sets chosen by
    address: a filter's rows (its matches and their ancestors). Why not
    one set: as one grew to a big run's 490k spans, each doubling rehashed
    it in one C call, which kept the GIL up to 25 ms (a keystroke's frame
    waited as long); a part of ~2k ids rehashes in microseconds. Where it
    runs for every span (`_add_with_ancestors`, `_rows_of`), `parts` is
    indexed inline, as `__contains__` does."""

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[set[int]] = [set() for _ in range(SPAN_SET_PARTS)]

    def __contains__(self, span: Span) -> bool:
        i = id(span)
        return i in self.parts[i >> 4 & SPAN_SET_PARTS - 1]

    def let_go(self, breathe: Callable[[], None]) -> None:
        """Empty it a part at a time (freeing 490k ids at once kept the
        GIL 8 ms)."""
        for part in self.parts:
            part.clear()
            breathe()


def _add_with_ancestors(keep: SpanSet, span: Span) -> None:
    """`span` and every ancestor of its into `keep`: a filter's rows."""
    parts = keep.parts
    node: Span | None = span
    while node is not None:
        i = id(node)
        part = parts[i >> 4 & SPAN_SET_PARTS - 1]
        if i in part:
            return
        part.add(i)
        node = node.parent


def spans_snapshot(run: Run) -> list[Span]:
    """Every span of the run, in the order they came, copied a slice at a
    time with the GIL handed over between. The caller holds the store's
    lock, so nothing is added meanwhile. Why: one `list` of the 490k spans
    of a 1M-line log held the GIL 16-36 ms (each span a cache miss, to
    count a reference to it), and the frame of the keystroke behind it
    waited as long."""
    values = iter(run.spans.values())
    spans: list[Span] = []
    while True:
        part = list(islice(values, SNAPSHOT_SLICE))
        spans += part
        if len(part) < SNAPSHOT_SLICE:
            return spans
        time.sleep(0)


def spans_after(run: Run, since: int) -> list[Span]:
    """The run's spans after its first `since`, in the order they came
    (the caller holds the store's lock): read from the end of the run's
    spans, so the others are not touched (`spans_snapshot`)."""
    tail = list(islice(reversed(run.spans.values()), max(0, len(run.spans) - since)))
    tail.reverse()
    return tail


def _with_ancestors(spans: Iterable[Span]) -> SpanSet:
    keep = SpanSet()
    for span in spans:
        _add_with_ancestors(keep, span)
    return keep


#: The fewest characters of a run's name the tree's title keeps before it
#: says the rest shorter.
TITLE_NAME_MIN = 12
#: The fewest it keeps at all, before the note that the nesting is inferred goes.
TITLE_NAME_LEAST = 6
#: A sort's name where the tree's title has little room.
SHORT_SORTS = {"start time": "by start", "slowest first": "slowest", "name": "by name"}


def indentation(depth: int, width: int) -> str:
    """Two cells a level, up to a third of the row; deeper, the depth as a
    number where the indentation stops (10,000 levels left rows of `…`
    with no name: QA)."""
    most = max(8, width // 3) // 2 * 2
    if 2 * depth <= most:
        return "  " * depth
    tag = f"⋯{depth} "
    return tag.rjust(most) if len(tag) <= most else tag


def subtree_end(depths: list[int], index: int) -> int:
    """The row after the last descendant of row `index`: the next row as
    shallow or shallower. Near the top, C scans (`index_of_int`), one per
    level, each bounded by the last: collapsing a task of 114k samples
    took 12.8 ms as a Python loop over its rows, 2 ms with `list.index`.
    Deeper subtrees are small."""
    depth = depths[index]
    end = index + 1
    if depth > SCANNED_LEVELS:
        while end < len(depths) and depths[end] > depth:
            end += 1
        return end
    end = len(depths)
    for level in range(depth, -1, -1):
        found = index_of_int(depths, level, index + 1, end)
        if found is not None:
            end = found
    return end


def _walked(walk: Iterator[None], rows: Rows, limit: int) -> bool:
    """Go on with `walk` until it ends (True) or `rows` holds `limit` rows
    and more are to come (False)."""
    for _ in walk:
        if len(rows) >= limit:
            return False
    return True


def _opened_ids(node: Span, spans: list[Span], depths: list[int], first: int, end: int,
                breathe: Callable[[], None] | None = None) -> list[str]:
    """The ids of `node` and of the nodes drawn open in its rows, rows
    [first, end) of `spans` and `depths`: those followed by a deeper row,
    found from the depths in C (walking the subtree took 0.2 s for a task
    opened whole). One hidden under a closed node keeps its state. With
    `breathe`, in chunks of `SUBTREE_CHUNK` rows, calling it between them."""
    ids = [node.id]
    step = max(1, end - first) if breathe is None else SUBTREE_CHUNK
    for lo in range(first, end - 1, step):
        hi = min(lo + step, end - 1)
        deeper = map(lt, depths[lo:hi], depths[lo + 1:hi + 1])
        ids += map(attrgetter("id"), compress(spans[lo:hi], deeper))
        if breathe is not None:
            breathe()
    return ids


def _extend_in_chunks(out: list, source: list, start: int, stop: int, breathe: Callable[[], None]) -> None:
    """`out += source[start:stop]`, a chunk at a time."""
    for lo in range(start, stop, SUBTREE_CHUNK):
        out += source[lo:min(lo + SUBTREE_CHUNK, stop)]
        breathe()


def _let_go(items: list, breathe: Callable[[], None]) -> None:
    """Empty `items` a chunk at a time if the caller's reference is the
    only one (freeing 264k rows in one call keeps the GIL 3 ms); else
    leave it to whoever holds it."""
    if sys.getrefcount(items) > 3:  # the caller's, this call's, getrefcount's
        return
    while items:
        del items[-SUBTREE_CHUNK:]
        breathe()


def _update_in_chunks(update: Callable[[list[str]], None], ids: list[str], breathe: Callable[[], None]) -> None:
    """`update(ids)` (a set's `update` or `difference_update`), a chunk at a time."""
    for lo in range(0, len(ids), SUBTREE_CHUNK):
        update(ids[lo:lo + SUBTREE_CHUNK])
        breathe()


def newest_row(rows: Rows) -> int:
    """The row of the span that started last (the first such); 0 if none."""
    starts = [span.start or 0 for span in rows.spans]
    return starts.index(max(starts)) if starts else 0


def waterfall(start: float | None, end: float | None, r0: float, r1: float, width: int) -> str:
    """Where [start, end] sits in [r0, r1], drawn in `width` cells with
    eighth-cell precision at the edges."""
    if start is None or r1 <= r0:
        return " " * width
    try:  # a hostile trace's NaN or infinite times draw no bar
        scale = width * 8 / (r1 - r0)
        # A span begun at the range's very end gets its last eighth, not none.
        a = max(0, min(width * 8 - 1, int((start - r0) * scale)))
        b = max(0, min(width * 8, int(((end if end is not None else r1) - r0) * scale)))
    except (ValueError, OverflowError, ZeroDivisionError):
        return " " * width
    return _bar(a, max(b, a + 1), width)


@lru_cache(maxsize=4096)
def _bar(a: int, b: int, width: int) -> str:
    """The cells of a bar from eighth `a` to eighth `b` of `width` cells.
    Cached: the tree's rows on screen, compared at each batch of a live
    tail, draw the same few bars again and again (building one cell by
    cell was a quarter of comparing a row)."""
    cells = []
    for i in range(width):
        lo, hi = i * 8, i * 8 + 8
        covered = max(0, min(hi, b) - max(lo, a))
        if covered == 0:
            cells.append(" ")
        elif covered == 8:
            cells.append("█")
        elif a > lo:  # the bar starts inside this cell: right-aligned part
            cells.append("▕" if covered <= 2 else "▐")
        else:
            cells.append(_EIGHTHS[covered])
    return "".join(cells)


_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """Sorts names as people read them: `sample 2` before `sample 10`."""
    parts = _DIGITS.split(text.lower())
    parts[1::2] = map(int, parts[1::2])
    return tuple(parts)


def short_sample_label(node: Span, room: int) -> str:
    """An inferred sample node's name in `room` cells if it can: `sample
    ID · epoch N`, else `sample ID/eN`, else `…D/eN` (a long id differs at
    its end), the epoch kept."""
    attributes = node.attributes or {}
    sample = plain(str(attributes.get("sample_id", "")))
    epoch = attributes.get("epoch")
    tag = "" if epoch is None else f"/e{plain(str(epoch))}"
    for text in (plain(node.name), f"sample {sample}{tag}", f"{sample}{tag}"):
        if cell_len(text) <= room:
            return text
    keep = room - cell_len(tag) - 1
    if keep < 3:
        return f"{sample}{tag}"  # `fit` cuts it
    return "…" + sample[-keep:] + tag


class _SubtreeWork:
    """A `*` or shift+left on a big subtree, its walk done in a thread
    (`SpanTree._start_subtree_work`). The key's frame shows the rows at
    once: closing, all of them; opening, the first `SUBTREE_SYNC_ROWS` of
    the subtree, which are those the full walk gives (the title says
    `expanding…` until the rest land). The thread reads the rows the UI
    thread left, sets the nodes' open state in place and makes the new
    rows, which the UI thread puts in place (`SpanTree._finish_subtree`):
    until then nothing else reads or changes the rows or the open state,
    as whatever would first waits for the thread
    (`SpanTree._settle_subtree`)."""

    __slots__ = ("run", "span", "index", "expand", "version", "state", "rows", "shown", "walk", "whole",
                 "nodes", "removed", "result", "error", "urgent", "go", "done", "handed_over", "garbage")

    def __init__(self, run: Run, span: Span, index: int, expand: bool, version: int,
                 state: tuple[set[str], set[str]]) -> None:
        self.run, self.span, self.index, self.expand = run, span, index, expand
        #: The tree's `_layout_version` the result is for: after a change
        #: since (which should have waited), the tree is laid out anew.
        self.version = version
        #: The run's (opened, closed) sets the thread reads.
        self.state = state
        #: Opening: the rows shown meanwhile and how many of the subtree's
        #: are in them, after row `index`; the walk to go on with, its rows
        #: so far (the node's first) and the ids of the nodes it opens.
        self.rows: Rows | None = None
        self.shown = 0
        self.walk: Iterator[None] | None = None
        self.whole: Rows | None = None
        self.nodes: list[str] = []
        #: Closing: (spans, depths, first, end): the lists that held the
        #: rows taken out, and where they sit in them.
        self.removed: tuple[list[Span], list[int], int, int] | None = None
        #: (the new rows, if opening; the ids set open or closed).
        self.result: tuple[Rows | None, list[str]] | None = None
        self.error: BaseException | None = None
        #: The UI thread waits for the result: no rests.
        self.urgent = False
        #: The key's frame is drawn (or the UI thread waits): the thread
        #: starts. Sharing the GIL with it, the frame took 3× as long.
        self.go = threading.Event()
        self.done = threading.Event()
        #: The UI thread took the result (`SpanTree._finish_subtree`).
        self.handed_over = threading.Event()
        #: Opening: the rows the node showed before, for the thread to let go of.
        self.garbage: tuple[list[Span], list[int], int, int] | None = None


class SpanTree(LineList):
    """Spans of one run as a tree."""

    BINDINGS = [
        Binding("space", "toggle", "Expand/collapse"),
        Binding("right,l", "expand", "Expand", show=False),
        Binding("left,h", "collapse", "Collapse/parent", show=False),
        Binding("asterisk,shift+right", "expand_all", "Expand subtree", show=False),
        Binding("shift+left", "collapse_all", "Collapse subtree", show=False),
        Binding("s", "cycle_sort", "Sort"),
    ]

    #: Orders the tree can show siblings in: (label, key, reverse).
    SORTS = [
        ("recorded", None, False),
        ("start time", lambda s: (s.start is None, s.start or 0.0), False),
        # Running spans first, oldest first: a hung sample's recorded
        # duration is only its closed actions', and it is the point of a hang.
        ("slowest first", lambda s: (0, s.start or 0.0) if s.status == RUNNING else
         (1, -(s.duration if s.duration is not None else float("inf"))), False),
        ("name", lambda s: (natural_key(s.name), natural_key(s.detail)), False),
    ]

    follow: reactive[bool] = reactive(False)

    @dataclass
    class SpanHighlighted(Message):
        span: Span | None

    @dataclass
    class SpanSelected(Message):
        span: Span

    class SubtreeDone(Message, bubble=False):
        """From the thread opening or closing a whole subtree: its result is ready."""

        def __init__(self, work: _SubtreeWork) -> None:
            super().__init__()
            self.work = work

    def __init__(self, *args, now=time.time, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.run: Run | None = None
        self.rows = Rows()
        self._expanded: dict[str, tuple[set[str], set[str]]] = {}
        self._query = Query()
        #: Filtered, the nodes folded (`_fold`) by span id, and the rows
        #: under each, put back when it opens.
        self._folds: dict[str, Rows] = {}
        self.now = now
        #: Whole-file buckets of logs still being read, by run id: the
        #: anomaly panel's (`AnomalyPanel.early`), set by the app.
        self.early: dict[str, Anomalies] = {}
        self.sort_index = 0
        #: Bumped whenever the rows are laid out anew or a node opens or
        #: closes: a layout made in a thread from an older state is dropped.
        self._layout_version = 0
        #: A thread is laying out the rows (or will after a pause); another
        #: live update came meanwhile.
        self._relayout_busy = False
        self._relayout_pending = False
        #: The filter's newest worker on a big run, while it matches; new
        #: data meanwhile asks for one more pass after it (`_filter_pending`)
        #: instead of cancelling it: a log growing in batches every few
        #: hundred ms cancelled every pass, and the filtered rows never
        #: changed while the eval ran.
        self._filter_worker = None
        self._filter_pending = False
        #: The pass running is for new data, not a keystroke.
        self._filter_live = False
        #: New data waits for this instant (monotonic) to be matched: a
        #: pause after each pass, twice as long as the pass, as the layout's
        #: (`_relayout_soon`); and the timer that ends the pause.
        self._filter_next = 0.0
        self._filter_timer: Timer | None = None
        #: The last pass's (run, query, spans matched, spans looked at).
        self._matched: tuple[Run, Query, list[Span], int] | None = None
        #: How many spans match the filter shown (`_shown_query`), its
        #: rows' ancestors not counted: the title says it (QA: a filter
        #: over 374k spans said nothing of how much it found).
        self._match_count: int | None = None
        #: Filtered, the spans shown as matches that were running when
        #: matched: when one ends it may match no more, and its row goes
        #: then, not at the next pass (`_drop_ended_matches`).
        self._unsettled: set[Span] = set()
        #: The span under the cursor when the filter was dropped: shown
        #: (its ancestors opened) once the whole tree's rows are back. A
        #: user filters to find a span; dropping the filter must not lose it.
        self._unfiltered_at: Span | None = None
        #: The span the cursor was on when the filter box opened: each
        #: keystroke's rows put the cursor back on it if it matches (typing
        #: `status:running` passes through `st`, which matches nothing).
        self.filter_anchor: Span | None = None
        #: The box closed while a pass was in flight: the anchor goes once it lands.
        self._release_anchor = False
        #: The query whose rows are shown (new rows for it are live data).
        self._shown_query: Query | None = None
        #: No live relayout starts before this (time.monotonic()).
        self._relayout_next = 0.0
        #: The big run whose rows a thread is sorting anew (`s`): the title
        #: says so until they land (QA: it said `sorted: name` at once, the
        #: rows came 1.4 s later, and keys in between went by the old order).
        #: Only while the rows shown are in the old order: whatever lays the
        #: run out anew in the new one ends it (`_sorted`).
        self._sorting: Run | None = None
        #: Made-up nodes seen running by a layout, kept open for LINGER
        #: after they stop (`_lingering`); one run's at a time.
        self._ran: dict[Span, None] = {}
        self._ran_run: Run | None = None
        #: The run of the last layout and the instant (as its ages run,
        #: `clock.as_of`) the first node it left open for LINGER stops
        #: lingering: the tick lays the tree out again then
        #: (`linger_over`). Nothing else would while the log is quiet, and
        #: the node was drawn closed with its rows still under it (QA).
        self._linger_end: tuple[Run, float] | None = None
        #: Ids of runs whose source is not read yet but for a first slice
        #: (a directory's held archives): no rows. What was in flight in
        #: that slice read as running for hours, where the whole file
        #: closes it (QA).
        self.unread: set[str] = set()
        #: A whole subtree being opened or closed, its walk in a thread
        #: (`_SubtreeWork`); and whether new data came meanwhile: the tree
        #: is laid out anew once it is done (`refresh_run`).
        self._subtree_op: _SubtreeWork | None = None
        self._refresh_deferred = False

    # -- content ----------------------------------------------------------------

    def row_count(self) -> int:
        return len(self.rows)

    @property
    def subtree_busy(self) -> bool:
        """A whole subtree is being opened or closed in a thread (`_SubtreeWork`)."""
        return self._subtree_op is not None

    @property
    def filtered(self) -> bool:
        """A filter is on: the rows are its matches and their ancestors."""
        return bool(self._query)

    def empty_text(self) -> str:
        if self.run is None:
            return self.waiting or "no run selected"
        if self.run.id in self.unread:
            return "not read yet: enter on its run reads it"
        if self.run.reading and not self._query:
            # Its spans come as it is read (QA: an archive `enter` had set
            # reading still said `not read yet` at `loading 0%`).
            return "reading…"
        if self._query:
            return "\n".join(filter(None, ["no spans match the filter", self._query.typo_hint()]))
        # "yet" of a source still being written, not of a database nobody writes (QA).
        return "no spans yet" if self.run.live else "no spans"

    def _state(self, run: Run | None = None) -> tuple[set[str], set[str]]:
        """(opened, closed) by the user in `run` (the one shown by default):
        they override the default."""
        run = run or self.run
        assert run is not None
        state = self._expanded.get(run.id)
        if state is None:
            state = self._expanded[run.id] = (set(), set())
        return state

    def is_open(self, span: Span) -> bool:
        if not span.children or self.run is None:
            return False
        opened, closed = self._state()
        if span.id in opened:
            return True
        if span.id in closed:
            return False
        return self.default_open(span)

    def default_open(self, span: Span) -> bool:
        """Roots are open; so is what leads to something still running in an
        inferred (Inspect) run, and an action cancelled with what it ran
        under it (after a ctrl+c, the Tool Call open while it ran closed,
        hiding the stuck ⊘ Subprocess it waited on; QA); small recorded
        trees open two levels deep."""
        if span.parent is None:
            return True
        if span.synthetic:
            return span.status == RUNNING or (span in self._ran and self._lingers(span))
        if not span.run.inferred:
            depth, node = 0, span.parent
            while node is not None and depth < 3:
                depth, node = depth + 1, node.parent
            return depth < 3
        return span.status == RUNNING or (span.status == CANCELLED and bool(span.children))

    def _lingers(self, node: Span) -> bool:
        """A made-up node that stopped running within LINGER of its run's
        present instant."""
        end = node.end
        return end is not None and as_of(node.run, self.now()) - end <= LINGER

    def _lingering(self, run: Run) -> list[Span]:
        """Made-up nodes of `run` open though no action of theirs runs
        (`LINGER`): those a layout saw running or whose actions closed
        lately (`Run.lately_active`), while they read running (a sample
        between two actions) and until they have been still for LINGER.
        Noted from the running actions' ancestors and those nodes: a few
        hundred at most a layout."""
        if self._ran_run is not run:
            self._ran_run, self._ran = run, {}
        ran = self._ran
        for row in list(run.anomalies.running.values()):
            node = row.span.parent if row.span is not None else None
            while node is not None and node.synthetic:
                ran[node] = None
                node = node.parent
        # And, following, those whose actions closed lately: one of a few ms
        # is seldom seen running by a layout (QA: a sample acting every 3 s
        # stayed closed). Not in a log read after the fact: every sample of
        # a short one ended within LINGER of its end, and all were open.
        for node in list(run.lately_active) if run.live else ():
            while node is not None and node.synthetic:
                ran[node] = None
                node = node.parent
        lingering = []
        first_end: float | None = None
        for node in list(ran):
            if node.status == RUNNING:
                # No running action leads a layout to it (a sample between
                # two actions): it is open all the same.
                lingering.append(node)
                continue
            if self._lingers(node):
                lingering.append(node)
                first_end = node.end if first_end is None else min(first_end, node.end)
            else:
                ran.pop(node, None)
        self._linger_end = None if first_end is None else (run, first_end + LINGER)
        return lingering

    def linger_over(self) -> bool:
        """Whether a node the last layout left open for LINGER has stopped
        lingering since: the tree is to be laid out again (`refresh_run`),
        though nothing new came. True once a layout."""
        due = self._linger_end
        if due is None or self._query or due[0] is not self.run:
            return False  # filtered, the rows are the matches: nothing lingers open
        run, end = due
        if as_of(run, self.now()) <= end:
            return False
        self._linger_end = None  # the next layout says when the next one ends
        return True

    def set_open(self, span: Span, value: bool) -> None:
        self._layout_version += 1
        opened, closed = self._state()
        (opened if value else closed).add(span.id)
        (closed if value else opened).discard(span.id)

    def _set_open_all(self, span_ids: list[str], value: bool, run: Run | None = None) -> None:
        """`set_open` for many nodes at once (of `run`, the one shown by default)."""
        self._layout_version += 1
        opened, closed = self._state(run)
        (opened if value else closed).update(span_ids)
        (closed if value else opened).difference_update(span_ids)

    def _walk_whole(self, span: Span, depth: int, out: Rows, nodes: list[str]) -> Iterator[None]:
        """Append the rows of `span` and of every node under it, all open,
        to `out`, in the tree's order, and the ids of the nodes with
        children (the ones to open) to `nodes`. One pass with no
        open-or-closed test per node: 432k rows in ~0.25 s where `_flatten`
        took ~1 s. Yields every `SUBTREE_STEP` rows: the walk may stop there
        and go on in a thread (`_SubtreeWork`)."""
        key = self.SORTS[self.sort_index][1]
        out_spans, out_depths = out.spans, out.depths
        next_step = len(out_spans) + SUBTREE_STEP
        stack = [(iter([span]), depth)]
        while stack:
            siblings, d = stack[-1]
            for node in siblings:
                if len(out_spans) >= next_step:  # in this loop: a node may have 100k leaves
                    next_step += SUBTREE_STEP
                    yield
                out_spans.append(node)
                out_depths.append(d)
                children = node.children
                if children:
                    nodes.append(node.id)
                    stack.append((iter(children if key is None else sorted(children, key=key)), d + 1))
                    break
            else:
                stack.pop()

    def _ordered(self, spans: list[Span]) -> list[Span]:
        key = self.SORTS[self.sort_index][1]
        return list(spans) if key is None else sorted(spans, key=key)

    def _flatten(self, spans: list[Span], depth: int, out: Rows,
                 yield_gil: bool = False, run: Run | None = None) -> None:
        """Append the rows of `spans` (of `run`, the one shown by default)
        and their open descendants to `out`. The hot loop of every layout
        (120k rows for a 1M-line eval, 117k of them closed samples): each
        list of siblings is scanned once for its open nodes, in a
        comprehension with `is_open` inlined, and the stretches between
        them are copied in C (`extend_slice`). `spans` is copied first (the
        reader may add to a node's children meanwhile), but in an inferred
        run in recorded order, where lists of children only grow."""
        run = run or self.run
        if run is None or run.id in self.unread:
            return
        opened, closed = self._state(run)
        key = self.SORTS[self.sort_index][1]
        default_open = self.default_open
        # In an inferred (Inspect) run a node below the top is open when the
        # user opened it or it is running: the few such nodes are looked up
        # (running actions and their ancestors) instead of testing every
        # sibling, 117k closed samples in a 1M-line log.
        lingering = set(self._lingering(run)) if run.inferred else set()
        candidates = _open_candidates(run, opened, lingering) if run.inferred else None

        def open_nodes(siblings: list[Span], parent: Span | None) -> Iterator[int]:
            if candidates is None or parent is None:
                found = [i for i, s in enumerate(siblings) if s.children and (
                    s.id in opened or (s.id not in closed and default_open(s)))]
            else:
                wanted = {s for s in candidates.get(parent, ()) if s.children and (
                    s.id in opened or (s.id not in closed and (
                        s.status == RUNNING or s in lingering or (s.status == CANCELLED and not s.synthetic))))}
                if len(wanted) <= INDEX_LOOKUPS:  # a C scan each
                    places = [index_of(siblings, s) for s in wanted]
                    found = sorted(i for i in places if i is not None)
                else:  # one pass
                    found = indices_of(siblings, wanted)
            return iter(found)

        out_spans, out_depths = out.spans, out.depths
        next_yield = len(out_spans) + YIELD_EVERY
        breathe = Breather()
        # An inferred run's lists of children only grow:
        # laid out as they are, up to their length now, not copied first.
        top = spans if run.inferred and key is None else self._ordered(spans)
        parent = top[0].parent if top else None
        # Siblings still to lay out: (list, its open nodes left, next index,
        # depth); one entry per open node on the way down, not per row.
        top_end = len(top)
        stack = [(top, open_nodes(top, parent), 0, depth)]
        while stack:
            siblings, opens, pos, d = stack.pop()
            branch = next(opens, None)
            end = (top_end if siblings is top else len(siblings)) if branch is None else branch
            if end > pos:
                # No slice made and let go of: each was a pass over the
                # rows' objects, 114k samples expanding a task. The count
                # copied, not `end - pos`: a list sorted meanwhile (another
                # kind of run) is empty while it is.
                out_depths.extend([d] * extend_slice(out_spans, siblings, pos, end))
            if branch is not None:
                node = siblings[branch]
                if d == 0:
                    out.anchors[node] = len(out_spans)
                out_spans.append(node)
                out_depths.append(d)
                stack.append((siblings, opens, branch + 1, d))
                children = node.children if key is None else sorted(node.children, key=key)
                stack.append((children, open_nodes(children, node), 0, d + 1))
            if yield_gil and len(out_spans) >= next_yield:
                next_yield = len(out_spans) + YIELD_EVERY
                breathe()  # let the UI thread draw the key that is waiting

    def _rebuild(self) -> None:
        self._settle_subtree()
        self._layout_version += 1
        self._sorted()  # laid out here, in the order chosen
        rows = Rows()
        if self.run is not None:
            if self._query:
                matched: list[Span] = []
                rows = self._filtered_rows(matched=matched) or Rows()
                self._match_count = len(matched)
            else:
                self._flatten(list(self.run.roots), 0, rows)
        self.rows = rows
        if self._query:
            self._refold()

    def _filtered_rows(self, run: Run | None = None, query: Query | None = None,
                       worker=None, spans: list[Span] | None = None,
                       matched: list[Span] | None = None) -> Rows | None:
        """Matching spans with their ancestors, in tree order (None if the
        worker doing it was cancelled by a newer keystroke); the matching
        spans themselves are added to `matched` if given."""
        run = run or self.run
        query = query or self._query
        assert run is not None
        if run.id in self.unread:
            return Rows()
        keep = SpanSet()
        breathe = Breather()
        match = query.matcher()
        for n, span in enumerate(list(run.spans.values()) if spans is None else spans):
            if worker is not None and n % 1000 == 0:
                if worker.is_cancelled:
                    keep.let_go(breathe)
                    return None
                # Leave the UI thread the GIL: the keystroke that started
                # this must be drawn now, not after the whole run is matched.
                breathe()
            if match(span):
                if matched is not None:
                    matched.append(span)
                _add_with_ancestors(keep, span)
        rows = self._rows_of(run, keep, worker)
        if worker is not None:
            keep.let_go(breathe)
        return rows

    def _rows_of(self, run: Run, keep: SpanSet, worker=None) -> Rows | None:
        """The rows of the spans in `keep` (matches and their ancestors),
        in tree order; None if the worker doing it was cancelled by a
        newer keystroke."""
        breathe = Breather()
        rows = Rows()
        parts, mask = keep.parts, SPAN_SET_PARTS - 1
        stack = [(s, 0) for s in reversed(run.roots) if s in keep]
        while stack:
            if worker is not None and len(rows) % 1000 == 0:
                if worker.is_cancelled:
                    return None
                breathe()
            span, d = stack.pop()
            rows.append(span, d)
            children = span.children
            if not children:
                continue
            if worker is None or len(children) <= CHILDREN_AT_ONCE:
                stack.extend((c, d + 1) for c in reversed(children) if id(c) in parts[id(c) >> 4 & mask])
                continue
            # A task's hundred thousand samples, a slice at a time: in one
            # go, 15-20 ms without a rest or a look at `is_cancelled`, and a
            # pass a keystroke had cancelled held the GIL against that
            # keystroke's frame (`er` typed on a 1M-line log: drawn 25 ms
            # after the key, 8 ms of it the UI thread's).
            kept = []
            for lo in range(0, len(children), CHILDREN_AT_ONCE):
                if worker.is_cancelled:
                    return None
                breathe()
                kept.extend((c, d + 1) for c in children[lo:lo + CHILDREN_AT_ONCE]
                            if id(c) in parts[id(c) >> 4 & mask])
            kept.reverse()
            stack.extend(kept)
        return rows

    # -- API for the app ---------------------------------------------------------

    @property
    def current(self) -> Span | None:
        if 0 <= self.cursor < len(self.rows):
            return self.rows.spans[self.cursor]
        return None

    def show_run(self, run: Run | None) -> None:
        if run is self.run:
            return
        self._settle_subtree()
        self.run = run
        self._folds = {}
        # A sort left pending is over: the run shown is laid out anew, its
        # top level at once, in the order chosen. Kept, the title said
        # `sorting…` over the layout of a run switched back to (QA).
        self._sorting = None
        # The last run's matches are not this one's (QA: `nightly-etl · 0
        # matches` over its cancelled span): counted as its rows are laid out.
        self._match_count = None
        if self._big():
            # Passing a big run in the run list must not cost ~100 ms a
            # step: its top level at once, the rest from a thread.
            self._layout_version += 1
            roots = [] if run.id in self.unread else self._ordered(run.roots)
            self.rows = Rows(roots, [0] * len(roots))
            self._lay_out_in_background()
        else:
            self._rebuild()
        self.border_title = self._title()
        self.sync_size()
        self.scroll_to(y=0, animate=False)
        self.cursor = 0
        if not self.rows:
            # A run with no spans: the detail lets go of the last run's span
            # (QA: it kept showing it under this run's empty tree).
            self.post_message(self.SpanHighlighted(None))

    def on_resize(self) -> None:
        self.border_title = self._title()  # what fits depends on the width

    def _title(self) -> str:
        if self.run is None:
            return "spans"
        name = plain(self.run.name)
        # Rows: the last filter's, while a keystroke's pass runs (not said
        # of the passes new data sets off: the title blinked with each).
        # Filtered while the run's log is still being read: the matches are
        # those of the part read so far (QA: nothing said so).
        filtering = " · filtering…" if self._filter_worker is not None and not self._filter_live else (
            " · expanding…" if self._subtree_op is not None and self._subtree_op.expand else
            " · sorting…" if self._sorting is self.run and not self._query else
            " · reading…" if self._query and self.run.reading else "")
        filtering = self._matches_said() + filtering
        sort = self.SORTS[self.sort_index][0] if self.sort_index else ""
        sorts = [f" · sorted: {sort}", f" · {sort}", f" · {SHORT_SORTS.get(sort, sort)}"] if sort else [""]
        # SPEC: say in the UI that the nesting is inferred. On a narrow pane
        # the run's name is cut first (to TITLE_NAME_MIN, then to
        # TITLE_NAME_LEAST: the run list above names it), and the note and
        # the sort are said shorter; last, the note goes (QA: at 80x24 any
        # sort dropped it, with room for it once the name was cut).
        inferreds = [" · nesting inferred", " · inferred"] if self.run.inferred else [""]
        room = (self.size.width or 10_000) - 4 - len("spans · " + filtering)
        combos = [(i, s) for s in sorts for i in inferreds]
        for fits in (min(len(name), TITLE_NAME_MIN, 40), min(len(name), TITLE_NAME_LEAST)):
            found = next(((i, s) for i, s in combos if len(i + s) + fits <= room), None)
            if found is not None:
                break
        inferred, state = found if found is not None else ("", sorts[-1])
        name = clip(name, max(fits, min(40, room - len(inferred + state))))
        return f"spans · {name}{inferred}{state}{filtering}"

    def _matches_said(self) -> str:
        """` · 1,234 matches` while a filter's rows are shown; nothing while
        a keystroke's pass runs (the count is the last query's)."""
        count = self._match_count
        if not self._query or count is None or self._shown_query is not self._query:
            return ""
        if self._filter_worker is not None and not self._filter_live:
            return ""
        return f" · {count:,} match{'' if count == 1 else 'es'}"

    def refresh_run(self) -> None:
        """The run changed (live data): keep the cursor on its span, the
        expanded nodes expanded, and the scroll position, unless following."""
        if self.run is None:
            return
        if self._subtree_op is not None:
            # After the subtree's rows and open state are in place: laid out
            # from the state it reads, they would be dropped.
            self._refresh_deferred = True
            return
        self._keep_cursor_shown()
        if self._query:
            self._drop_ended_matches()
        if self._big() or self._query:
            # Filtered, a small run too: matching every span again on the
            # UI thread for each batch of a log growing 1,000 lines/s took
            # most of a core (82 %, tail p50 33 ms) and typing lagged (QA);
            # from a thread, resting between passes, as a big run's.
            self._lay_out_in_background(live=True)
            # Meanwhile the rows shown say what their spans say now: while
            # a big log loads, its ages run to the part read so far, and
            # the tree kept ages of seconds before, the run list's newer
            # (QA: a run `≥10m16s` beside its Run Task's `≥35.32s`, and a
            # sample read older than its task).
            self.repaint_changed_rows()
            return
        current = self.current
        self._rebuild()
        self._show_relayout(current)

    def _drop_ended_matches(self) -> None:
        """Filtered, on new data: the rows of matches that ended and match
        no more (`status:running`) go now, with the ancestors only they
        were shown for. The next pass, which may be seconds away while a
        big log loads, would drop them too; until then a sample finished
        was listed as running (QA). Looks only at the matches seen
        running: a few hundred at most. If a match is left with none of
        its matches under it, the next pass is due now: the actions begun
        since, which it has, are shown by no row yet."""
        ended = [span for span in self._unsettled if span.status != RUNNING]
        if not ended:
            return
        self._unsettled.difference_update(ended)
        query = self._query
        gone = [span for span in ended if not query.matches_span(span)]
        if gone and self._match_count is not None:
            self._match_count -= len(gone)
            self.border_title = self._title()
        current = self.current
        emptied = removed = False
        for span in sorted(gone, key=_depth, reverse=True):  # the deepest first
            node: Span | None = span
            while node is not None:
                index = self.index_of(node)
                if index is None or self.shown_open(index):
                    break  # not shown, or shown for the matches under it
                if node is not span and query.matches_span(node):
                    emptied |= bool(node.children)
                    break
                self.rows.splice(index, index + 1, Rows())
                removed = True
                node = node.parent
        if removed:
            self._show_relayout(current)
        if emptied:
            self._filter_next = 0.0  # no pause before the pass that fills it
            if self._filter_timer is not None:
                self._filter_timer.stop()
                self._filter_timer = None

    def _move_cursor(self, index: int, was: Span | None) -> None:
        """The cursor to row `index`, in view; the detail told if the span
        under it is not `was`, even when the row number is the same."""
        same_row = index == self.cursor
        self.cursor = index
        self.scroll_to_cursor()
        span = self.current
        if same_row and span is not None and span is not was:
            self.refresh_line(index)
            self.post_message(self.SpanHighlighted(span))
        elif span is None and was is not None:
            # No row left (a filter that matches nothing): the detail lets go
            # of the span it showed, which the filter hides (QA).
            self.post_message(self.SpanHighlighted(None))

    def _keep_cursor_shown(self) -> None:
        """The nodes above the cursor's span stay open when they stop
        running (a running sample is open by default, a finished one
        closed): closing took the span under the cursor off the rows, and
        the cursor's row silently became another span."""
        span = self.current
        if span is None or span.parent is None:
            return
        opened, _ = self._state()
        node = span.parent
        while node is not None:
            if node.id not in opened:
                self.set_open(node, True)
            node = node.parent

    def _big(self) -> bool:
        return self.run is not None and len(self.run.spans) > BACKGROUND_MIN_SPANS

    def _lay_out_in_background(self, live: bool = False) -> None:
        """The rows of a big run anew, from a thread: matched to the filter,
        or laid out (`live`: for new data, not for the user)."""
        if self._query:
            if live and (self._filter_worker is not None or self._filter_timer is not None):
                self._filter_pending = True
                return
            wait = self._filter_next - time.monotonic()
            if live and wait > 0:
                # As `_relayout_soon` does for the layout: a pass over a
                # big run takes a while, and new data every few ms set off
                # the next one as soon as the last landed (a core's worth
                # of matching while following, QA).
                self._filter_timer = self.set_timer(wait, self._filter_again)
                return
            if self._filter_timer is not None:  # a keystroke: matched now
                self._filter_timer.stop()
                self._filter_timer = None
            self._filter_pending = False
            last = self._matched
            # The pass starts once the frame showing the keystroke is drawn:
            # begun at once, it held the GIL against that frame (a filter
            # keystroke's echo took 25 ms on a 1M-line log, 8 ms of it the
            # UI thread's). Not `breathe.rest_for_key`: the key is done (its
            # `KeyDone` back) before the box's `Changed` starts this pass,
            # so that hold may be over already.
            go = threading.Event()
            if live or not self.call_after_refresh(go.set):
                go.set()
            self._filter_live = live
            if not live and last is not None and last[0] is self.run and refines(self._query, last[1]) \
                    and len(self.run.spans) >= last[3]:
                # A keystroke that narrows the words: only what matched
                # before, and what came since, can match now.
                self._filter_worker = self._filter_in_background(Handoff(self.run, last[2]), self._query, last[3],
                                                                 go=go)
            else:
                self._filter_worker = self._filter_in_background(Handoff(self.run, None), self._query, go=go)
            self.border_title = self._title()
        else:
            self._relayout_soon(live)

    def _sorted(self) -> None:
        """No sort is pending any more: the title stops saying `sorting…`."""
        if self._sorting is not None:
            self._sorting = None
            self.border_title = self._title()

    def _show_relayout(self, current: Span | None, newest: int | None = None) -> None:
        """New rows are in place: keep the cursor on its span (or on the
        newest span when following: row `newest`, if the caller knows it)
        and redraw."""
        self._sorted()
        self.sync_size()
        if self.follow and self.rows:
            self.cursor = newest_row(self.rows) if newest is None else newest
            self._show_parents_of_cursor()
        elif self._reveal_unfiltered():
            return
        elif current is not None:
            index = self.index_of(current)
            if index is None and self.rows:
                if self._query:
                    # It stopped matching (a running action ended): the cursor
                    # stays where it was, on the next match, not at the top.
                    self._move_cursor(min(self.cursor, len(self.rows) - 1), current)
                    return
                # Gone from the rows (its run replaced, say): the cursor goes
                # to its nearest ancestor still shown, and the detail with it.
                node = current.parent
                while node is not None and self.index_of(node) is None:
                    node = node.parent
                if node is not None:
                    self._move_cursor(self.index_of(node), current)
                return
            if index is not None and index != self.cursor:
                was, top = self.cursor, self.scroll_offset.y
                self.set_reactive(SpanTree.cursor, index)
                if top <= was < top + self.scrollable_content_region.height:
                    # Rows came or went above it: the view moves with it, so
                    # it stays where the user saw it (a big log still being
                    # read pushed a span jumped to off the pane).
                    self.scroll_to(y=max(0, top + index - was), animate=False)
                self.repaint_changed_rows()

    def _show_parents_of_cursor(self) -> None:
        """Following: the newest row is shown with the rows of its parents
        above it, as many as fit (QA: a span new in a sample listed higher
        up sat on the pane's top line, its sample and task scrolled off)."""
        height = self.scrollable_content_region.height or self.size.height
        index = self.cursor
        if not height or not 0 <= index < len(self.rows):
            return
        depths = self.rows.depths
        depth = depths[index]
        first = index
        # The nearest row above with a smaller depth is the parent, and so on up.
        for i in range(index - 1, max(-1, index - height), -1):
            if depth == 0:
                break
            if depths[i] < depth:
                first, depth = i, depths[i]
        if first < self.scroll_offset.y:
            self.scroll_to(y=first, animate=False)

    def _filter_again(self) -> None:
        """The pause after a filter pass is over: match the news."""
        self._filter_timer = None
        if self._query and self.run is not None:
            self._lay_out_in_background(live=True)

    def _relayout_soon(self, live: bool = False) -> None:
        """Lay out a big tree again in a thread: one pass at a time, the
        updates that come meanwhile folded into one more pass after a pause
        (`RELAYOUT_GAP`, or twice the last pass), so the reader and the UI
        thread keep most of the GIL while a busy log grows. Until a pass
        lands the old rows stay: their spans are live objects, so statuses
        and ages show the news at once; only new rows wait. For new data
        (`live`) the pause is kept even when nothing came during the last
        pass: with passes of 3 ms, a log growing in batches every few ms
        had the tree laid out 18 times a second, and its tail latency rose
        (p50 17 → 22 ms)."""
        if self._relayout_busy:
            self._relayout_pending = True
            return
        self._relayout_busy = True
        self._relayout_pending = False
        wait = self._relayout_next - time.monotonic()
        if live and wait > 0:
            self.set_timer(wait, self._relayout_again)
            return
        self._relayout_in_background(Handoff(self.run), self._layout_version)

    @work(thread=True, group="span-relayout", description="lay out the tree")
    def _relayout_in_background(self, handoff: Handoff, version: int) -> None:
        """Lay the run handed (`Handoff`: not kept with the finished
        worker) out in rows, off the UI thread, and show them."""
        run: Run
        run, = handoff.take()
        started = time.monotonic()
        rows = Rows()
        self._flatten(list(run.roots), 0, rows, yield_gil=True, run=run)
        # Here, not on the UI thread: it looks at every row (120k in a
        # 1M-line log: ~10 ms a pass while following).
        newest = newest_row(rows) if self.follow else None
        cost = time.monotonic() - started
        self._relayout_next = time.monotonic() + max(RELAYOUT_GAP, 2 * cost)

        def apply() -> None:
            if self._query or self.run is None:
                self._relayout_busy = False  # a filter took over the rows
                return
            if self.run is not run:  # another run is shown; lay it out now if it waits
                if self._relayout_pending:
                    self._relayout_again()
                else:
                    self._relayout_busy = False
                return
            if self._layout_version == version and self._subtree_op is None:
                current = self.current
                self.rows = rows
                self._show_relayout(current, newest if self.follow else None)
                if not self._relayout_pending:
                    self._relayout_busy = False
                    return
            # Newer updates, or the user opened or closed a node meanwhile.
            wait = self._relayout_next - time.monotonic()
            if wait > 0:
                self.set_timer(wait, self._relayout_again)
            else:  # (due already: Textual's timer of 0 s divides by it and never calls back)
                self.call_later(self._relayout_again)

        try:
            self.app.call_from_thread(apply)
        except RuntimeError:  # the app is shutting down
            pass

    def _relayout_again(self) -> None:
        self._relayout_busy = False
        if self.run is not None and not self._query:
            self._relayout_soon()

    def index_of(self, span: Span) -> int | None:
        return self.rows.index(span)

    def reveal(self, span: Span) -> None:
        """Expand the span's ancestors, put the cursor on it. Each closed
        ancestor's children are spliced in, as a keypress would: laying a
        big tree out again would cost ~100 ms on the jump from an anomaly."""
        self._settle_subtree()
        if span.run is not self.run:
            self.show_run(span.run)
        ancestors = []
        node = span.parent
        while node is not None:
            ancestors.append(node)
            node = node.parent
        if self._query:
            # The filtered rows hold every match and its ancestors; a span
            # the filter hides clears it.
            for node in ancestors:
                self.set_open(node, True)
            if not self._query.matches_span(span):
                self._query = Query()
                self._folds = {}
                self._rebuild()
            elif any(node.id in self._folds for node in ancestors):
                for node in reversed(ancestors):  # from the top: an outer fold holds an inner one's row
                    folded = self._folds.pop(node.id, None)
                    index = self.index_of(node) if folded is not None else None
                    if index is not None:
                        self.rows.splice(index + 1, index + 1, folded)
                self.sync_size()
            index = self.index_of(span)
        else:
            # Each search starts past the rows that must come before: a
            # pass over 120k rows is ~0.1 ms (`index_of`), but the jump
            # searches once for each ancestor.
            above, placed = self._open_down_to(reversed(ancestors))
            index = self.rows.index(span, self._first_possible_row(span, above, placed))
        if index is None:  # rows not laid out since the span arrived
            self._rebuild()
            index = self.index_of(span)
        # Scroll before repainting: a scroll repaints the whole pane, and
        # telling which rows changed first would be wasted.
        self.sync_size(repaint=False)
        if index is not None:
            # The view first, centred on the span, then the cursor, which
            # is then in view: set first, it scrolled the pane to its edge,
            # and the pane was scrolled again (each scroll ~1 ms of the jump).
            height = self.size.height or 10
            self.scroll_to(y=max(0, index - height // 2), animate=False)
            self.cursor = index
            self.post_message(self.SpanSelected(span))
        self.repaint_changed_rows()

    def _open_down_to(self, ancestors) -> tuple[int, Span | None]:
        """Open `ancestors` (root first), splicing in the rows each one
        shows; any not in the rows (laid out before it arrived) is left to
        the caller's full layout. Returns the row of the last one placed
        (0 if none) and that ancestor: the descendants' rows come after it."""
        above, placed = 0, None
        for node in ancestors:
            if self.is_open(node):
                self.set_open(node, True)  # pinned: it stays open once it stops running
                row = self.rows.anchor(node)
                if row is not None:
                    above, placed = row, node
                continue
            index = self.rows.index(node, self._first_possible_row(node, above, placed))
            if index is None:
                self.set_open(node, True)
            else:
                above, placed = index, node
                self._toggle(index, expand=True, repaint=False)  # reveal repaints
        return above, placed

    def _first_possible_row(self, span: Span, above: int, placed: Span | None) -> int:
        """Where to start looking for `span`'s row: past `above`, the row of
        `placed`, and, if that is its parent, in recorded order, past one
        row for each sibling before it (a sample among a task's 114k)."""
        parent = span.parent
        if parent is None or parent is not placed or self.SORTS[self.sort_index][1] is not None:
            return above
        found = index_of(parent.children or [], span)
        return above if found is None else above + 1 + found

    def set_filter(self, query: Query) -> None:
        self._settle_subtree()
        self._unfiltered_at = (self.filter_anchor or self.current) if self._query and not query else None
        self._query = query
        self._folds = {}
        self.border_title = self._title()  # a dropped filter's count goes now (QA: a big run's stayed)
        # A filter's rows replace those of a sort in flight (its layout is
        # dropped when it lands), and dropping the filter lays the tree out
        # anew: either way, no sort is pending.
        self._sorted()
        if self._big():  # typing stays responsive
            self._lay_out_in_background()
            return
        self._show_filtered(None)

    def _show_filtered(self, rows: Rows | None, unsettled: set[Span] | None = None) -> None:
        """The filter's rows in place: `rows` from a thread (with the
        matches it saw running), or matched here if None."""
        current = self.current
        if rows is None:
            self._rebuild()
            unsettled = {span for span in self.rows.spans if span.status == RUNNING}
        else:
            self._layout_version += 1
            self.rows = rows
            self._refold()
        self._unsettled = unsettled or set()
        self.sync_size()
        if self._reveal_unfiltered():
            self.border_title = self._title()
            return
        index = None
        for span in (self.filter_anchor, current):
            index = self.index_of(span) if span is not None else None
            if index is not None:
                break
        if index is None and self._query is self._shown_query and self.rows:
            # The same filter's rows, new data: the span under the cursor
            # stopped matching (a running action ended). The cursor stays
            # where it was, on the next match, not at the top.
            index = min(self.cursor, len(self.rows) - 1)
        self._shown_query = self._query
        self.border_title = self._title()
        self._move_cursor(index if index is not None else 0, current)

    def hold_filter_anchor(self) -> None:
        """The filter box opened: keystrokes keep the cursor's span."""
        self.filter_anchor = self.current
        self._release_anchor = False

    def release_filter_anchor(self) -> None:
        """The filter box closed: the anchor holds until the pass in flight
        (a big run's) has placed the cursor."""
        if self._filter_worker is None:
            self.filter_anchor = None
        else:
            self._release_anchor = True

    def _reveal_unfiltered(self) -> bool:
        """Once a dropped filter's rows are in place: the span it left the
        cursor on, shown and under the cursor again."""
        span, self._unfiltered_at = self._unfiltered_at, None
        if span is None or self._query or span.run is not self.run:
            return False
        self.reveal(span)
        return True

    def _catch_up(self, run: Run, query: Query, worker, matched: list[Span],
                  count: int) -> tuple[list[Span], int, set[Span], bool] | None:
        """A pass's matches brought up to what the reader has read since its
        snapshot of the run's spans (None if a newer keystroke's worker
        runs). While a big log loads, a pass takes a second and the reader
        reads on: the actions running in the snapshot had ended when the
        pass looked at them, the ones begun since were not in it, and
        `status:running` showed its tasks with nothing under them (QA).
        So the matches are looked at again and the new spans matched, in
        rounds (each shorter than the last), until a round finds no news.
        Returns (matches, spans looked at, the matches seen running,
        whether anything changed): those are the rows whose match may end
        before the next pass (`_drop_ended_matches`)."""
        changed = False
        unsettled: set[Span] = set()
        for _ in range(CATCH_UP_ROUNDS):
            with self.app.store.lock:
                added = spans_after(run, count)
            candidates = matched + added
            # A status read before the match: a span seen ended stays so, one
            # seen running is looked at again when it ends.
            unsettled = {span for span in candidates if span.status == RUNNING}
            match = query.matcher()
            still = [span for span in candidates if match(span)]
            if worker.is_cancelled:
                return None
            news = bool(added) or len(still) != len(matched)
            matched, count = still, count + len(added)
            unsettled.intersection_update(still)
            changed |= news
            if not news:
                break
        return matched, count, unsettled, changed

    # A `description`: without one, Textual writes the repr of every argument
    # into the worker's, on the UI thread: the spans a refining keystroke
    # passes took 150 ms, and each typed letter showed that late (QA).
    @work(thread=True, exclusive=True, group="span-filter", description="filter the tree")
    def _filter_in_background(self, handoff: Handoff, query: Query, since: int = 0,
                              go: threading.Event | None = None) -> None:
        """Match `query` over the spans of the run handed (`Handoff`: the
        run and `candidates`, not kept with the finished worker), or over
        `candidates` and the spans added after the first `since`, once `go`
        is set (the keystroke's frame drawn) or SUBTREE_FRAME_WAIT has
        passed."""
        run: Run
        candidates: list[Span] | None
        run, candidates = handoff.take()
        worker = get_current_worker()
        if go is not None:
            go.wait(SUBTREE_FRAME_WAIT)
            if worker.is_cancelled:
                return  # a newer keystroke's worker runs
        started = time.monotonic()
        # Match a snapshot, not under the store lock: the UI thread takes it
        # for every live update and every keystroke, and matching a big run
        # takes a second.
        with self.app.store.lock:
            if candidates is None:
                spans = spans_snapshot(run)
                count = len(spans)
            else:
                # A keystroke that narrows the words: only the spans
                # added since the last pass are read.
                count = len(run.spans)
                spans = candidates + spans_after(run, since)
        matched: list[Span] = []
        rows = self._filtered_rows(run, query, worker, spans, matched)
        # Let go of what was read a slice at a time: freed at the return,
        # the 490k spans of a 1M-line log kept the GIL 6 ms, and a pass
        # cancelled by a keystroke did so as that keystroke was drawn.
        rest = Breather()
        _let_go(spans, rest)
        if rows is None or worker.is_cancelled:
            _let_go(matched, rest)
            return  # a newer keystroke's worker runs
        if run.reading or run.live:  # else nothing was read meanwhile, nor ended
            caught_up = self._catch_up(run, query, worker, matched, count)
            if caught_up is None:
                return
            matched, count, unsettled, changed = caught_up
            if changed:
                rows = self._rows_of(run, _with_ancestors(matched), worker)
                if rows is None:
                    return  # a newer keystroke's worker runs
        else:
            unsettled = set()
        cost = time.monotonic() - started

        def apply() -> None:
            if worker is not self._filter_worker:
                return
            self._filter_worker = None
            self._filter_next = time.monotonic() + max(RELAYOUT_GAP, 2 * cost)
            self._matched = (run, query, matched, count)
            if self.run is run and self._query is query:
                self._match_count = len(matched)
                self._show_filtered(rows, unsettled)
                if self._release_anchor:
                    self.filter_anchor = None
                    self._release_anchor = False
            if self._filter_pending and self._query:
                self._filter_pending = False
                self._lay_out_in_background(live=True)
            self.border_title = self._title()

        self.app.call_from_thread(apply)

    # -- expand / collapse ------------------------------------------------------

    def _toggle(self, index: int, expand: bool | None = None, deep: bool = False,
                repaint: bool = True) -> None:
        """Open or close the node at row `index` (`deep`: its whole subtree),
        splicing its rows in or out; `repaint=False` when the caller
        repaints after moving the view."""
        self._settle_subtree()
        if not (0 <= index < len(self.rows)):
            return
        if self._query:
            self._fold(index, expand, repaint)
            return
        span, depth = self.rows[index]
        if not span.children:
            return
        # What is drawn, not `is_open`: the key does what the row shows it will.
        drawn_open = self.shown_open(index)
        want = (not drawn_open) if expand is None else expand
        # Slice the old subtree rows out...
        end = subtree_end(self.rows.depths, index)
        sub = Rows()
        if deep and want:
            # Every node under it opens: its rows are the whole subtree,
            # laid out in one pass that also names the nodes, set open in
            # bulk (a task of 114k samples took 1 s node by node).
            whole, nodes = Rows(), []
            walk = self._walk_whole(span, depth, whole, nodes)
            if not _walked(walk, whole, SUBTREE_SYNC_ROWS):
                self._expand_in_background(index, end, walk, whole, nodes, repaint)
                return
            self._set_open_all(nodes, True)
            sub = Rows(whole.spans[1:], whole.depths[1:])
        elif deep and end - index - 1 > SUBTREE_SYNC_ROWS:
            self._collapse_in_background(index, end, repaint)
            return
        elif deep:
            self._set_open_all(_opened_ids(span, self.rows.spans, self.rows.depths, index + 1, end), False)
        else:
            self.set_open(span, want)
            if want:
                # Not a copy: `_flatten` copies what it lays out (a task's
                # 114k samples were copied twice, each a pass over them).
                self._flatten(span.children, depth + 1, sub)
        # ...and splice the new ones in (this call's own: moved, not copied).
        self.rows.splice_taking(index + 1, end, sub)
        self.sync_size(repaint=False)
        if repaint:
            self.repaint_rows_from(index)

    # -- a whole big subtree opened or closed, its walk in a thread -------------

    def _expand_in_background(self, index: int, end: int, walk: Iterator[None], whole: Rows,
                              nodes: list[str], repaint: bool) -> None:
        """`*` on a node with more than `SUBTREE_SYNC_ROWS` rows under it:
        the rows walked so far are shown now, in place of those it showed,
        and a thread walks the rest."""
        shown = Rows(whole.spans[1:], whole.depths[1:])
        work = _SubtreeWork(self.run, whole.spans[0], index, True, self._layout_version + 1, self._state())
        work.garbage = self._put_rows(index + 1, end, shown)
        self._layout_version += 1
        work.rows, work.shown, work.walk, work.whole, work.nodes = self.rows, len(shown), walk, whole, nodes
        self._start_subtree_work(work)
        self.sync_size(repaint=False)
        if repaint:
            self.repaint_rows_from(index)
        self.border_title = self._title()

    def _collapse_in_background(self, index: int, end: int, repaint: bool) -> None:
        """shift+left on a node with more than `SUBTREE_SYNC_ROWS` rows
        under it: its rows go now, and a thread names the nodes they showed
        open, to close them."""
        span = self.rows.spans[index]
        work = _SubtreeWork(self.run, span, index, False, self._layout_version + 1, self._state())
        work.removed = self._put_rows(index + 1, end, Rows())
        self._layout_version += 1
        self._start_subtree_work(work)
        self.sync_size(repaint=False)
        if repaint:
            self.repaint_rows_from(index)

    def _put_rows(self, start: int, end: int, rows: Rows) -> tuple[list[Span], list[int], int, int]:
        """Rows [start, end) replaced by `rows`, the old ones not let go of
        here (a thread does, or reads them): the cheaper of a new list of
        the rows kept and a slice of those taken out. Returns the lists that
        held the rows taken out, and where in them they were."""
        old = self.rows
        if len(old) - (end - start) <= end - start:
            self.rows = old.replaced(start, end, rows)
            return old.spans, old.depths, start, end
        spans, depths = old.spans[start:end], old.depths[start:end]
        old.splice(start, end, rows)
        return spans, depths, 0, len(spans)

    def _start_subtree_work(self, work: _SubtreeWork) -> None:
        """The thread, started now: not a Textual worker, which starts when
        the event loop next turns, while a key handled before that may wait
        for it (`_settle_subtree`)."""
        self._subtree_op = work
        threading.Thread(target=self._subtree_in_background, args=(work,), daemon=True,
                         name="tracetui-subtree").start()
        if not self.call_after_refresh(work.go.set):
            work.go.set()

    def _subtree_in_background(self, work: _SubtreeWork) -> None:
        """The thread's part: the rest of the walk and the new rows
        (opening), or the nodes shown open (closing), and their open state,
        set in place: nothing reads it until the UI thread has taken the
        result (`_settle_subtree`). Long C calls are cut in chunks with
        rests between (`tracetui.breathe`): each keeps the GIL to its end."""
        breathe = Breather()

        def rest() -> None:
            if not work.urgent:  # else the UI thread waits for the result
                breathe()

        work.go.wait(SUBTREE_FRAME_WAIT)
        try:
            if work.garbage is not None:  # the rows the node showed before
                spans = work.garbage[0]
                work.garbage = None
                _let_go(spans, rest)
                del spans
            work.result = self._open_whole(work, rest) if work.expand else self._close_whole(work, rest)
        except BaseException as error:  # raised on the UI thread (`_finish_subtree`)
            work.error = error
        finally:
            work.done.set()
        try:
            posted = self.post_message(self.SubtreeDone(work))
        except RuntimeError:  # the app is shutting down
            posted = False
        if posted and work.handed_over.wait(SUBTREE_HANDOVER_WAIT):
            # Let go here of the rows the UI thread replaced, and of the rest.
            work.rows = work.whole = work.result = work.walk = None
            work.nodes = []

    def _open_whole(self, work: _SubtreeWork, rest: Callable[[], None]) -> tuple[Rows | None, list[str]]:
        """The rest of the subtree's walk, the rows with it in place of
        those shown meanwhile, and its nodes set open."""
        for _ in work.walk or ():
            rest()
        whole, rows = work.whole, work.rows
        assert whole is not None and rows is not None
        start, stop = work.index + 1, work.index + 1 + work.shown
        count = len(whole) - 1
        # The rows before the subtree's put before them (its first row is the
        # node's, their last), the rows after it after them: the subtree's
        # rows are moved, not copied, and the others copied a chunk at a time.
        before: list[Span] = []
        _extend_in_chunks(before, rows.spans, 0, start, rest)
        whole.spans[:1] = before
        _extend_in_chunks(whole.spans, rows.spans, stop, len(rows), rest)
        whole.depths[:1] = rows.depths[:start]  # small ints, shared: no span read
        _extend_in_chunks(whole.depths, rows.depths, stop, len(rows), rest)
        whole.anchors = rows._anchors_after(start, stop, count)
        opened, closed = work.state
        _update_in_chunks(opened.update, work.nodes, rest)
        _update_in_chunks(closed.difference_update, work.nodes, rest)
        return whole, work.nodes

    def _close_whole(self, work: _SubtreeWork, rest: Callable[[], None]) -> tuple[Rows | None, list[str]]:
        """The nodes the subtree's rows showed open, set closed."""
        assert work.removed is not None
        spans, depths, first, end = work.removed
        work.removed = None  # the rows taken out are let go of here, once read
        ids = _opened_ids(work.span, spans, depths, first, end, rest)
        _let_go(spans, rest)
        del spans, depths
        opened, closed = work.state
        _update_in_chunks(closed.update, ids, rest)
        _update_in_chunks(opened.difference_update, ids, rest)
        return None, ids

    def on_span_tree_subtree_done(self, message: "SpanTree.SubtreeDone") -> None:
        self._finish_subtree(message.work)

    def _settle_subtree(self) -> None:
        """A subtree's walk in a thread (`_SubtreeWork`), finished and put
        in place before anything reads or changes what it changes: a second
        key is done as if the first had been done whole."""
        work = self._subtree_op
        if work is not None:
            work.urgent = True
            work.go.set()
            work.done.wait()
            self._finish_subtree(work)

    def _finish_subtree(self, work: _SubtreeWork) -> None:
        """A subtree's walk is done: its rows in place (its nodes' open
        state is already), the old ones left to the thread to let go of."""
        if self._subtree_op is not work:
            return  # put in place already (`_settle_subtree`)
        self._subtree_op = None
        try:
            if work.error is not None:
                raise work.error
            assert work.result is not None
            rows, _ = work.result
            run = work.run
            unchanged = self._layout_version == work.version and self.run is run and self.rows is work.rows
            self._layout_version += 1  # the open state changed
            if rows is not None and unchanged:
                self.rows = rows
            elif rows is not None and self.run is run:
                self.refresh_run()  # the rows changed meanwhile (nothing should have): laid out anew
        finally:
            work.handed_over.set()
        self.sync_size()
        self.border_title = self._title()
        if self._refresh_deferred:
            self._refresh_deferred = False
            self.refresh_run()

    def _fold(self, index: int, expand: bool | None = None, repaint: bool = True) -> None:
        """Filtered, a node shows what matches under it; this folds those
        rows away or back (QA: a kept filter's samples could not be
        collapsed). Kept by span id until the filter changes (`_refold`)."""
        span = self.rows.spans[index]
        folded = span.id in self._folds
        if not (folded or self.shown_open(index)):
            return
        want_open = folded if expand is None else expand
        if want_open and folded:
            self.rows.splice(index + 1, index + 1, self._folds.pop(span.id))
        elif not want_open and not folded:
            end = subtree_end(self.rows.depths, index)
            self._folds[span.id] = Rows(self.rows.spans[index + 1:end], self.rows.depths[index + 1:end])
            self.rows.splice(index + 1, end, Rows())
        else:
            return
        self.sync_size(repaint=False)
        if repaint:
            self.repaint_rows_from(index)

    def _refold(self) -> None:
        """The filter's rows made again (new data): the nodes folded stay so."""
        for span_id in list(self._folds):
            span = self.run.spans.get(span_id) if self.run is not None else None
            index = self.index_of(span) if span is not None else None
            if index is None:
                del self._folds[span_id]
                continue
            end = subtree_end(self.rows.depths, index)
            self._folds[span_id] = Rows(self.rows.spans[index + 1:end], self.rows.depths[index + 1:end])
            self.rows.splice(index + 1, end, Rows())

    def action_cycle_sort(self) -> None:
        """Siblings in recorded order, by start time, slowest first, or by name."""
        self._settle_subtree()
        current = self.current
        self.sort_index = (self.sort_index + 1) % len(self.SORTS)
        self.border_title = self._title()
        self.notify(f"spans sorted: {self.SORTS[self.sort_index][0]}", timeout=2)
        if self._big():
            self._layout_version += 1  # a layout in flight has the old order
            # Filtered, the rows are the filter's: the pass says `filtering…`.
            self._sorting = None if self._query else self.run
            self.border_title = self._title()
            self._lay_out_in_background()
            return
        self._rebuild()
        self.sync_size()
        index = self.index_of(current) if current is not None else None
        self.cursor = index or 0

    def action_toggle(self) -> None:
        self._toggle(self.cursor)

    def action_expand(self) -> None:
        self._toggle(self.cursor, expand=True)

    def action_collapse(self) -> None:
        self._settle_subtree()
        span = self.current
        if span is None:
            return
        index = self.cursor
        if self._query and self.shown_open(index):
            self._fold(index, expand=False)
        elif span.children and self.shown_open(index) and not self._query:
            self._toggle(self.cursor, expand=False)
        elif span.parent is not None:
            index = self.index_of(span.parent)
            if index is not None:
                self.cursor = index

    def move_to(self, index: int) -> None:
        """As a list does; past the rows of a subtree being opened shown so
        far (`_SubtreeWork`), once they are all in place."""
        work = self._subtree_op
        if work is not None and work.expand and index > work.index + work.shown:
            self._settle_subtree()
        super().move_to(index)

    def action_last(self) -> None:
        self._settle_subtree()
        super().action_last()

    def action_expand_all(self) -> None:
        self._toggle(self.cursor, expand=True, deep=True)

    def action_collapse_all(self) -> None:
        self._toggle(self.cursor, expand=False, deep=True)

    def action_select(self) -> None:
        span = self.current
        if span is None:
            return
        if span.children:
            self._toggle(self.cursor)
        self.post_message(self.SpanSelected(span))

    def row_clicked(self, index: int, x: int) -> None:
        span, depth = self.rows[index]
        indent = len(indentation(depth, self.scrollable_content_region.width))
        if span.children and indent <= x < indent + 2:
            self._toggle(index)

    def watch_cursor(self, old: int, new: int) -> None:
        super().watch_cursor(old, new)
        span = self.current
        if span is not None:
            self.post_message(self.SpanHighlighted(span))

    # -- drawing ---------------------------------------------------------------

    def _range(self) -> tuple[float, float]:
        run = self.run
        assert run is not None
        r0 = run.start or 0.0
        r1 = run.end or r0
        if run.status == RUNNING or run.anomalies.running:  # a failed run can still hang
            r1 = max(r1, as_of(run, self.now()))
        return r0, r1

    def render_row(self, index: int, width: int) -> Text:
        return Text.assemble(*((segment.text, segment.style) for segment in self.row_segments(index, width)),
                             no_wrap=True)

    def shown_open(self, index: int) -> bool:
        """Whether row `index` is drawn open: the rows under it are its
        own. The rows say it, not `is_open`, which runs ahead of them until
        the next layout (a sample's linger over, a node begun running while
        a big tree's layout waits): drawn from `is_open`, a closed ▸ had its
        rows still under it, and a space on it opened it again (QA)."""
        depths = self.rows.depths
        return index + 1 < len(depths) and depths[index + 1] > depths[index]

    def _row_state(self, index: int, width: int) -> tuple:
        """What row `index` shows that its span's fields alone do not say:
        its span and depth, its marker (`▾`, `▸` or none), the count of
        children a closed node shows, its duration or age as shown, and its
        bar. Both the row and its signature are made from it."""
        span, depth = self.rows[index]
        drawn_open = self.shown_open(index)
        if self._query:
            # Filtered, a node shows what matches under it: open if any
            # does (the next row is nested), else nothing to open here.
            marker = "▾ " if drawn_open else "▸ " if span.id in self._folds else None
        elif span.children:
            marker = "▾ " if drawn_open else "▸ "
        else:
            marker = None
        children = len(span.children) if span.children and not drawn_open and not self._query else 0
        now = as_of(span.run, self.now())
        duration = shown_duration(span, now)
        shown = fmt_age(duration, span.status == RUNNING and ages_cut_short(
            span.run, whole_file=runs_to_the_end(span, self.early)))
        bar = None
        if width >= BAR_MIN_WIDTH and self.run is not None:
            r0, r1 = self._range()
            # Running spans reach now (an inferred node's recorded end is only
            # its last closed child's); others without an end are a point.
            if span.status == RUNNING:
                end = now if span.end is None else max(now, span.end)
            else:
                end = span.end if span.duration is not None else span.start
            bar = waterfall(span.start, end, r0, r1, BAR_WIDTH)
        return span, depth, marker, children, shown, bar

    def row_signature(self, index: int, width: int) -> tuple:
        """The row's state and the span fields it draws: a live tail's
        batch compares the ~20 rows of the tree on screen and repaints the
        few it changed; built in full to be compared, they took ~45 % of
        the batch's UI time (`cProfile` over `bench/bench_tail.py`)."""
        state = self._row_state(index, width)
        span = state[0]
        return state, span.status, span.name, span.detail, span.orphan, width

    def row_segments(self, index: int, width: int, signature: tuple | None = None) -> list[Segment]:
        state = self._row_state(index, width) if signature is None else signature[0]
        span, depth, marker, children, shown, bar = state
        indent = indentation(depth, width)
        segments = [Segment(indent, _DIM)] if depth else []
        segments.append(Segment(marker, _BOLD) if marker else Segment("  ", _NULL))
        icon = _ICONS.get(span.status, _UNKNOWN_ICON)
        segments.append(icon)
        segments.append(Segment(" ", _NULL))
        right_w = 10 + (BAR_WIDTH + 1 if width >= BAR_MIN_WIDTH else 0)
        room = max(4, width - (len(indent) + 3 + cell_len(icon.text)) - right_w - 1)
        label = [Segment(plain(span.name), _BOLD)]
        if span.detail and span.detail != span.name:
            label.append(Segment("  " + plain(elide_compose(span.detail)), _DIM))
        if span.orphan:
            label.append(Segment("  " + orphan_note(span), _ITALIC_DIM))
        if children:
            label.append(Segment(f"  ({children})", _DIM))
        used = sum(cell_len(segment.text) for segment in label)
        if used > room and span.synthetic and span.kind == "sample":
            # `sample sympy__sympy-15413 · epoc…`: three epochs of one
            # sample read alike (QA). The short form, the id cut in front.
            rest = used - cell_len(label[0].text)
            label[0] = Segment(short_sample_label(span, max(1, room - rest)), _BOLD)
            used = sum(cell_len(segment.text) for segment in label)
        if used > room:
            label = fit(label, room)  # exactly `room` cells, "…" last
            used = room
        segments.extend(label)
        if used < room:
            segments.append(Segment(" " * (room - used), _NULL))
        segments.append(Segment(" " + shown.rjust(9), icon.style if span.status == RUNNING else _CYAN))
        if bar is not None:
            segments.append(Segment(" ", _NULL))
            segments.append(Segment(bar, _BAR_STYLES.get(span.status, _WHITE)))
        return segments
