"""The one model every source feeds: runs, spans, events and anomaly buckets.

Plain Python with `__slots__`: a million spans must fit in memory, so nothing
here keeps the raw record — only where it came from (`origin`), so the raw
record can be read back on demand.
"""

from __future__ import annotations

import re
import time
from array import array
from datetime import datetime
from operator import attrgetter
from typing import Any, Iterable, Iterator

#: `SpanCore`: `Span`'s base, where C is built (`_span.h`). `Column`: a
#: log's column of numbers ('d', 'q' or 'I'), C's where built (`_column.h`:
#: the decoder's C appends to it in place, where appending to an array
#: cost it ~1,800 instructions a log record), else an array, read alike.
#: `SpanIndex`: `Run.spans`, a run's spans by id in the order they came,
#: C's where built (`_spanindex.h`: the spans' own ids are its keys, half
#: the bytes of a dict of them), else a dict, read alike.
#: `EventLogCore`: `EventLog`'s base, C's where built (`_eventlog.h`: a
#: sample's few record indices held in the log itself), else `_EventLogSlots`.
try:
    from tracetui._fastindex import Column, EventLogCore, SpanCore, SpanIndex
except ImportError:  # not compiled (no C compiler): `_SpanSlots`, arrays and a dict instead
    SpanCore = EventLogCore = None
    Column = array
    SpanIndex = dict

#: Times beyond a year from now (either way from the epoch) are not when a
#: run began or ended: a run's start and end ignore them.
PLAUSIBLE_TIME = time.time() + 366 * 86400

RUNNING = "running"
OK = "ok"
ERROR = "error"
CANCELLED = "cancelled"
TIMEOUT = "timeout"
STATUSES = (RUNNING, OK, ERROR, CANCELLED, TIMEOUT)
#: A run, or a step of it, waiting for a human to answer (Flujo's
#: `human_in_the_loop`): not among SPEC's STATUSES, which every source has;
#: only Flujo says it, of a run (`Run.status_override`) and of the spans it
#: left open when it paused. Not running: nothing runs them until someone
#: resumes the run, so no anomaly bucket holds them and they do not age
#: (listed as running, a paused run's steps read as hung; QA).
PAUSED = "paused"

#: Anomaly bucket names, in the order (and with the names) of Inspect's JSON.
BUCKETS = ("running", "cancelled", "errors", "timeouts")
#: Which bucket a closed span of a given status belongs to.
BUCKET_OF_STATUS = {RUNNING: "running", CANCELLED: "cancelled", ERROR: "errors", TIMEOUT: "timeouts"}


#: An Inspect `Run Task` action's detail: `task: NAME (MODEL)`.
RUN_TASK_DETAIL = re.compile(r"task: (.+) \(([^()]+)\)")


def task_name(task: Any) -> str:
    """How a record's `task` names its task's node: records with none go
    under one node of their own."""
    return str(task) if task is not None else "(no task)"


def task_node_id(task: str) -> str:
    """The id of the node tracetui makes up for a task (Inspect records
    none): one place, so a view can name it from a scan's row."""
    return f"task:{task}"


def sample_node_id(task: Any, sample_id: Any, epoch: Any) -> str:
    """The id of the node made up for one epoch of a sample, from the
    `task`, `sample_id` and `epoch` of the records in it."""
    return f"sample:{task_name(task)}:{sample_id}:{epoch}"


class SpanExtra:
    """The fields of a span that most spans leave at their defaults: an
    Inspect log's spans have no input, output, missing parent, and seldom
    an error, and 8 bytes a slot on each of half a million spans is 4 MB
    for nothing. A span holds one (`Span._extra`) only once one of them is
    set to something else; until then it shares NO_EXTRA.

    Where C is built (`SpanCore`, `_span.h`), a span that holds an extra of
    its own holds it in place of its detail and events, and the extra holds
    them (`detail`, `events`); and a kind, status or synthetic that the span
    cannot hold in a byte or a bit, or a run it cannot read up its parents,
    is held here (the rest of the time these four are left as they are,
    unread); and the name of a span made without room for one (`_span.h`,
    `room`) once it is not its kind, and the attributes of one made without
    room for them once set, `name` and `attributes` left unset till then."""

    __slots__ = ("input", "output", "error", "orphan", "events", "detail", "kind", "status", "synthetic", "run",
                 "name", "attributes")

    def __init__(self) -> None:
        self.input: Any = None
        self.output: Any = None
        #: {"message", "type", "stacktrace"} — any may be missing.
        self.error: dict[str, Any] | None = None
        #: The id of the parent it names when that was never seen (True if
        #: that id is not a string); PARENT_LOOPS when the parent it names
        #: is itself or under it; else False.
        self.orphan: bool | str | _ParentLinkLoops = False
        self.events: Any = None
        self.detail: Any = ""
        self.kind: Any = None
        self.status: Any = None
        self.synthetic: Any = None
        self.run: Any = None


#: The extra of every span whose extra fields are all at their defaults:
#: shared, so never written to (`_extra_field`'s setter gives a span its
#: own first).
NO_EXTRA = SpanExtra()


def _extra_field(name: str, default: Any) -> property:
    """A `Span` field held in its `_extra`. Set to its default on a span
    without an extra of its own, it allocates nothing. A read costs a
    property call (~60 ns more than a slot's): what reads one per span in
    a loop should not (`Span.carries_content`)."""
    def set_field(span: "Span", value: Any) -> None:
        extra = span._extra
        if extra is NO_EXTRA:
            if value is default:
                return
            extra = span._extra = SpanExtra()
        setattr(extra, name, value)

    return property(attrgetter(f"_extra.{name}"), set_field,
                    doc=f"`SpanExtra.{name}` (default {default!r}).")


class _SpanSlots:
    """`Span`'s fields as plain slots: its base where `_fastindex` is not
    built. Where it is, `SpanCore` (`_span.h`) holds the same fields, its
    start, duration and origin unboxed: 85 bytes a span less."""

    __slots__ = (
        "id", "run", "parent", "name", "kind", "detail", "status", "start",
        "duration", "attributes", "origin", "children", "events", "synthetic",
        "_extra",
    )


class Span(SpanCore or _SpanSlots):  # type: ignore[misc]
    """One unit of work. `duration` is kept rather than `end` because some
    sources (Flujo) have monotonic clocks: their durations are right even when
    their wall times are not.

    `input`, `output`, `error` and `orphan` read and write as plain
    fields; they live in a `SpanExtra` the span holds only once one is set
    (most spans have none: 24 bytes less a span). Its fields are its
    base's (`_SpanSlots`, or `SpanCore` where C is built)."""

    __slots__ = ()

    def __init__(self, id: str, run: "Run", name: str = "", kind: str = "",
                 start: float | None = None) -> None:
        # First: where C is built, a kind or status held in an extra (not
        # one of the first 253 strings, `_span.h`) gives the span its own.
        self._extra = NO_EXTRA
        self.id = id
        self.run = run
        self.parent: Span | None = None
        self.name = name
        self.kind = kind
        self.detail = ""
        self.status = RUNNING
        self.start = start
        self.duration: float | None = None
        # `attributes` and `events` are slots, not in `_extra`: most sources'
        # spans have attributes, and the tree's filter reads them up every
        # span's chain of parents (a property costs ~60 ns a read); a
        # quarter of an Inspect log's spans are samples, which have both
        # (a `SpanExtra` each would cost more than the slots cost every
        # span). A subclass for samples, holding their attributes as the
        # decoder's key tuple, saved 42 bytes a span more but ran the index
        # 4% more instructions: the decoder's attribute reads, specialised
        # for one class, saw two (Python 3.11).
        self.attributes: dict[str, Any] | None = None
        #: Where the raw record(s) came from: locators the source understands
        #: (byte offsets for files, rowids for SQLite). A tuple: most spans
        #: have one or two, and a list would cost ~50 bytes more a span. Or
        #: an int: one or two byte offsets packed (`pack_offset`). Read it
        #: with `locators`.
        self.origin: tuple[Any, ...] | int = ()
        #: A list, or a tuple of a few (`add_child_compact`), or None.
        self.children: list[Span] | tuple[Span, ...] | None = None
        #: Non-span records attached here (Inspect HTTP/TRACE messages...).
        self.events: EventLog | list[Event] | None = None
        #: True for nodes tracetui made up (Inspect task/sample nodes).
        self.synthetic = False

    input = _extra_field("input", None)
    output = _extra_field("output", None)
    error = _extra_field("error", None)
    orphan = _extra_field("orphan", False)

    def carries_content(self) -> bool:
        """Has it an input or an output? What the filter asks of every span
        a word is not in (`Query._matches_content`): one call, not two
        property reads (`FullSpan`'s reads its own, or a subclass's)."""
        extra = self._extra
        return extra is not NO_EXTRA and (extra.input is not None or extra.output is not None)

    @property
    def end(self) -> float | None:
        if self.start is None or self.duration is None:
            return None
        return self.start + self.duration

    @property
    def locators(self) -> tuple[Any, ...]:
        """`origin` as a tuple, whatever form it is held in."""
        return locators(self.origin)

    def duration_as_of(self, as_of: float) -> float | None:
        """Recorded duration, or time since start for a span still running."""
        if self.duration is not None:
            return self.duration
        if self.status == RUNNING and self.start is not None:
            return as_of - self.start
        return None

    def add_child(self, child: "Span") -> None:
        """`child` last among its children, which are then a list (a few
        kept as a tuple, `add_child_compact`, become one)."""
        children = self.children
        if children is None:
            self.children = [child]
        elif type(children) is tuple:
            self.children = [*children, child]
        else:
            children.append(child)

    def add_child_compact(self, child: "Span") -> None:
        """`add_child`, its children kept as a tuple while they are few
        (`SMALL_FAN_OUT`), for a decoder that never changes them but by
        this (Inspect's, in Python and in C)."""
        children = self.children
        if children is None:
            self.children = (child,)
        elif type(children) is tuple:
            self.children = children + (child,) if len(children) < SMALL_FAN_OUT else [*children, child]
        else:
            children.append(child)

    def walk(self) -> Iterable["Span"]:
        """This span and all its descendants, depth first, iteratively
        (parent chains from hostile input can be very deep)."""
        stack = [self]
        while stack:
            span = stack.pop()
            yield span
            if span.children:
                stack.extend(reversed(span.children))

    def __repr__(self) -> str:
        return f"Span({self.id!r}, {self.name!r}, {self.status})"


class FullSpan(Span):
    """A span of a source whose spans mostly carry content (OTel, native,
    SGP, SQLite, Trackio, Flujo): `input`, `output`, `error` and `orphan`
    in slots of its own, which stand in for `Span`'s. There a `SpanExtra`
    each would cost 40 bytes a span more than these slots, and their
    decoders' writes would each call a property setter (3% more
    instructions reading an OTel file). Its unused `_extra` costs 8 bytes."""

    __slots__ = ("input", "output", "error", "orphan")

    def __init__(self, id: str, run: "Run", name: str = "", kind: str = "",
                 start: float | None = None) -> None:
        Span.__init__(self, id, run, name, kind, start)  # (no super(): 0.3% of an OTel read)
        self.input: Any = None
        self.output: Any = None
        self.error: dict[str, Any] | None = None
        self.orphan: bool | str | _ParentLinkLoops = False

    def carries_content(self) -> bool:
        return self.input is not None or self.output is not None


#: Bits of a packed origin holding its first byte offset; the second
#: offset, plus one, sits above them. 4 TiB is past any trace file.
OFFSET_BITS = 42
_OFFSET_MASK = (1 << OFFSET_BITS) - 1


def pack_offset(origin: tuple[Any, ...] | int, offset: int) -> tuple[Any, ...] | int:
    """`origin` with a byte offset added after what it holds. The first two
    offsets are packed in one int: a span of a line-based file has its
    start and end records, and two ints in a tuple cost 112 bytes where one
    int costs 36 (a 1M-line Inspect log holds 490k spans). A third, or an
    offset too big to pack, turns it into a tuple."""
    if offset < _OFFSET_MASK:
        if origin == ():
            return offset
        if type(origin) is int and not origin >> OFFSET_BITS:
            return origin | (offset + 1) << OFFSET_BITS
    return locators(origin) + (offset,)


def origin_of(locator: Any) -> tuple[Any, ...] | int:
    """An origin of one locator (a database's rowid): an int below 2^42
    as itself, which reads as a packed one (`locators`) and which a span
    holds unboxed, where a tuple of it cost 80 bytes (the tuple and the
    int: a third of a generic SQLite table's memory a span); anything else
    as a tuple of it."""
    return locator if type(locator) is int and 0 <= locator < _OFFSET_MASK else (locator,)


def locators(origin: tuple[Any, ...] | int) -> tuple[Any, ...]:
    """The locators of an origin, packed (`pack_offset`) or not."""
    if type(origin) is not int:
        return origin
    second = origin >> OFFSET_BITS
    first = origin & _OFFSET_MASK
    return (first, second - 1) if second else (first,)


#: A span's children, added by `Span.add_child_compact`, are a tuple up to
#: this many, then a list. Most spans that have any have one to three (an
#: Inspect sample's actions, a tool call's subprocess): as a list, 96 bytes
#: (the list, and room for four); as a tuple, 48 to 64. A tuple grows by
#: a copy, so only the few are tuples. Readers take either (`listops`).
SMALL_FAN_OUT = 8


class _ParentLinkLoops:
    """The type of PARENT_LOOPS: no string, so no parent id read from a
    trace can be taken for it."""

    def __repr__(self) -> str:
        return "PARENT_LOOPS"


#: `Span.orphan` of a span whose named parent is itself or one of its own
#: descendants: a root, said as such, not as a parent never seen (QA).
PARENT_LOOPS = _ParentLinkLoops()
#: The name and kind of a placeholder for a parent not written (yet)
#: (`spanbuild.SpanLinker.unwritten`): all that is known of it is its id,
#: named by its children.
UNWRITTEN_NAME = "(not written yet)"
UNWRITTEN_KIND = "span"


#: The name and kind of the node standing for a running Flujo run's root
#: span, which Flujo writes only when the run ends (`formats.flujo`).
STAND_IN_NAME = "pipeline_run"
STAND_IN_KIND = "pipeline"
#: (kind, name) of the made-up nodes that stand for a real span (`unwritten`).
_STANDING_FOR_SPANS = {(UNWRITTEN_KIND, UNWRITTEN_NAME), (STAND_IN_KIND, STAND_IN_NAME)}

if SpanCore is not None:
    # Not the cyclic GC's: a dropped run's spans are freed by
    # `store.release`, which cuts their links (`_span.h`).
    SpanCore.leave_out_of_gc(Span)
    # Where C is built, a span's kind and status are codes of strings the
    # process keeps, the first ones given (`_span.h`). These come first:
    # model's statuses, so a status reads as the very constant, and the
    # kinds the decoders give the spans they make up (and the default, ""),
    # so that no trace read before can leave them without a code.
    SpanCore.span_setup(NO_EXTRA, SpanExtra, (RUNNING, OK, ERROR, CANCELLED, TIMEOUT, PAUSED),
                        ("", "sample", "task", UNWRITTEN_KIND, STAND_IN_KIND))


def unwritten(span: "Span") -> bool:
    """Is it a placeholder for a span not written (yet): made up, but
    standing for a real span, still running as far as is known (a parent
    its children name, or a running Flujo run's root)? The other made-up
    nodes are structure: Inspect's tasks and samples, Chrome's tracks."""
    return span.synthetic and (span.kind, span.name) in _STANDING_FOR_SPANS


def listed_as_a_span(span: "Span") -> bool:
    """Does `spans` list it (and `runs` count it running): written by its
    source; made up but standing for a span not written yet (`unwritten`);
    or a made-up sample that raised (Inspect's `Sample error`, its error)."""
    return not span.synthetic or span.error is not None or unwritten(span)


#: How much of a missing parent's id a list row shows (`orphan_note`).
ORPHAN_ID_SHOWN = 16


def orphan_note(span: "Span", whole: bool = False) -> str:
    """How a row says why a span that names a parent is a root, with the id
    it names when that parent was never seen (cut to ORPHAN_ID_SHOWN unless
    `whole`): a killed OTel pipeline's spans name parents never exported,
    and which ones was shown nowhere (QA)."""
    orphan = span.orphan
    if orphan is PARENT_LOOPS:
        return "(parent link loops back)"
    if isinstance(orphan, str):
        shown = orphan if whole or len(orphan) <= ORPHAN_ID_SHOWN else orphan[:ORPHAN_ID_SHOWN - 1] + "…"
        return f"(parent {shown} not found)"
    return "(parent not found)"


class Event:
    """A log record that is not a span (Inspect HTTP, TRACE message, WARNING)."""

    __slots__ = ("time", "level", "message", "origin")

    def __init__(self, time: float | None, level: str, message: str, origin: Any) -> None:
        self.time = time
        self.level = level
        self.message = message
        self.origin = origin


_from_iso = datetime.fromisoformat
NAN = float("nan")


def epoch_seconds(value: Any) -> float | None:
    """A log record's time (Inspect: an ISO string with its zone; a number
    elsewhere) in epoch seconds; None if it is neither (or NaN)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        ts = float(value)
        return ts if ts == ts else None
    if isinstance(value, str):
        try:
            # Python 3.10 reads no `Z`; 3.11 does.
            return _from_iso(value[:-1] + "+00:00" if value[-1:] == "Z" else value).timestamp()
        except (ValueError, OverflowError, OSError):
            return None
    return None


#: How many distinct messages a run's log holds as codes (`LogColumns.messages`).
MESSAGE_CODES = 65_536


class LogColumns:
    """The log records of one run (those of all its samples), as columns.

    Why columns: a 1M-line Inspect log holds ~250k such records (HTTP,
    TRACE messages), about two to a sample. As `Event` objects in a list
    a sample, with Inspect's ISO time strings and int offsets, they cost
    ~470 bytes a sample; here a record costs its time (8 bytes), its
    offset (4, or 8 in a file past 4 GiB), a byte for its level and two for
    its message (each held once: `level_names`, `message_texts`), and a
    sample's log (`EventLog`) 4-byte indices into them. Times are read to
    epoch seconds as the record comes (0.2 µs) rather than each time the
    detail pane bisects a log."""

    __slots__ = ("times", "levels", "level_names", "_level_codes", "messages", "message_texts", "_message_codes",
                 "origins", "_odd_times")

    def __init__(self) -> None:
        #: Epoch seconds; NaN where the record's own time is in `_odd_times`.
        self.times = Column("d")
        #: Each record's level as a byte, its index in `level_names`: a log
        #: has a few levels, and a pointer each was 8 bytes a record (1.8 MB
        #: of a 1M-line Inspect log). A list of the levels themselves once
        #: one is not a str, or past 256 of them (`_add_level`).
        self.levels: bytearray | list[Any] = bytearray()
        self.level_names: list[str] = []
        #: The byte of each level in `level_names` (empty once `levels` is a list).
        self._level_codes: dict[str, int] = {}
        #: Each record's message as two bytes, its index in `message_texts`:
        #: a log repeats a few hundred messages (752 in the 252k records of
        #: a 1M-line Inspect log), and a pointer each was 8 bytes a record
        #: (1.5 MB). A list of the messages themselves once one is not a
        #: str, or past 65,536 of them (`_add_message`).
        self.messages: Any = Column("H")
        self.message_texts: list[str] = []
        #: The code of each message in `message_texts` (empty once `messages` is a list).
        self._message_codes: dict[str, int] = {}
        #: Byte offsets, 4 bytes each while every one fits (a file under
        #: 4 GiB: 1 MB less for a 1M-line log), then 8; a list once one is
        #: not an int that fits (`_add_origin`).
        self.origins: Any = Column("I")
        #: {index: the record's time as written}, for the few times that are
        #: neither an ISO string nor a number (shown as they are).
        self._odd_times: dict[int, Any] | None = None

    def add(self, when: Any, level: str, message: str, origin: Any) -> int:
        """One record, `when` an ISO string (Inspect's) or epoch seconds;
        returns its index. Once per HTTP or TRACE record: kept lean."""
        index = len(self.messages)
        if type(when) is str and when[-1:] != "Z":
            try:
                ts = _from_iso(when).timestamp()
            except (ValueError, OverflowError, OSError):
                ts = self._other_time(index, when)
        else:
            ts = self._other_time(index, when)
        self.times.append(ts)
        code = self._level_codes.get(level) if type(level) is str else None
        if code is not None:
            self.levels.append(code)
        else:
            self._add_level(level)
        code = self._message_codes.get(message) if type(message) is str else None
        if code is not None:
            self.messages.append(code)
        else:
            self._add_message(message)
        try:
            self.origins.append(origin)  # a list's never raises
        except (TypeError, OverflowError):
            self._add_origin(origin)
        return index

    def _add_message(self, message: Any) -> None:
        """A record's message that has no code yet: given the next one,
        or, if it is not a str or the codes are all taken, every message
        held as itself from now on (`_fastindex` appends a code it finds
        in `_message_codes`, and leaves any other message to this)."""
        messages = self.messages
        if type(messages) is not list:
            texts = self.message_texts
            if type(message) is str and len(texts) < MESSAGE_CODES:
                self._message_codes[message] = len(texts)
                messages.append(len(texts))
                texts.append(message)
                return
            self.messages = messages = [texts[code] for code in messages]
            self.message_texts, self._message_codes = [], {}
        messages.append(message)

    def _add_origin(self, origin: Any) -> None:
        """An origin the origins' column refused: an int past 4 GiB (or
        below 0) makes them 8 bytes each; anything else a list."""
        origins = self.origins
        if origins.typecode == "I" and type(origin) is int and -2**63 <= origin < 2**63:
            wider = Column("q")
            for held in origins:
                wider.append(held)
            wider.append(origin)
            self.origins = wider
        else:
            self.origins = origins.tolist()
            self.origins.append(origin)

    def _add_level(self, level: Any) -> None:
        """A record's level that has no byte yet: given the next one, or,
        if it is not a str or the bytes are all taken, every level held as
        itself from now on (`_fastindex` appends a byte it finds in
        `_level_codes`, and leaves any other level to this)."""
        levels = self.levels
        if type(levels) is bytearray:
            names = self.level_names
            if type(level) is str and len(names) < 256:
                self._level_codes[level] = len(names)
                levels.append(len(names))
                names.append(level)
                return
            self.levels = levels = [names[code] for code in levels]
            self._level_codes = {}
        levels.append(level)

    def level(self, index: int) -> Any:
        """The level of the `index`th record."""
        levels = self.levels
        return self.level_names[levels[index]] if type(levels) is bytearray else levels[index]

    def message(self, index: int) -> Any:
        """The message of the `index`th record."""
        messages = self.messages
        return messages[index] if type(messages) is list else self.message_texts[messages[index]]

    def _other_time(self, index: int, when: Any) -> float:
        """Epoch seconds of a time that is not an ISO string without a `Z`
        (`epoch_seconds`); NaN, with the time kept as written, if it is
        neither a number nor an ISO string."""
        ts = epoch_seconds(when)
        if ts is not None:
            return ts
        if self._odd_times is None:
            self._odd_times = {}
        self._odd_times[index] = when
        return NAN

    def event(self, index: int) -> "Event":
        odd = self._odd_times
        when = odd[index] if odd is not None and index in odd else self.times[index]
        return Event(when, self.level(index), self.message(index), self.origins[index])


class _EventLogSlots:
    """`EventLog`'s storage where C is not built: its records' indices in
    an array, read through the methods `EventLogCore` has."""

    __slots__ = ("columns", "_indices")

    def __init__(self) -> None:
        self._indices = Column("I")

    def _append_index(self, index: int) -> None:
        self._indices.append(index)

    def _indices_of(self, key: int | slice | None) -> Any:
        """One index (an int key), those a slice takes, or all (None)."""
        return self._indices if key is None else self._indices[key]

    def __len__(self) -> int:
        return len(self._indices)


#: Where `EventLog`'s base keeps its columns (a getset of `EventLogCore`,
#: else a slot): `EventLog.columns` makes them on first use through it.
_LOG_COLUMNS = (EventLogCore or _EventLogSlots).columns


class EventLog(EventLogCore or _EventLogSlots):  # type: ignore[misc]
    """A sample's or a run's log records, in file order: indices into its
    run's `LogColumns`, handed out as `Event`s (a list that only grows, as
    the detail pane reads it). A record's time is in epoch seconds, or as
    written if it is neither an ISO string nor a number. Its length is its
    base's (`EventLogCore` where C is built, else `_EventLogSlots`)."""

    __slots__ = ()

    def __init__(self, columns: LogColumns | None = None) -> None:
        super().__init__()
        if columns is not None:
            _LOG_COLUMNS.__set__(self, columns)

    @property
    def columns(self) -> LogColumns:
        """Its run's `LogColumns`, made on first use for a run's own log:
        most runs of a trace of many (an OTel export's, a run a trace) log
        nothing, and empty columns took ~600 of the 1,800 bytes a run.
        C reads them where they are and asks for them here where not
        (`_fastindex.c`'s `new_log`, `log_add`)."""
        try:
            return _LOG_COLUMNS.__get__(self)
        except AttributeError:
            columns = LogColumns()
            _LOG_COLUMNS.__set__(self, columns)
            return columns

    @columns.setter
    def columns(self, columns: LogColumns) -> None:
        _LOG_COLUMNS.__set__(self, columns)

    def add(self, when: Any, level: str, message: str, origin: Any) -> float:
        """One record; returns its time in epoch seconds (NaN if none)."""
        columns = self.columns
        index = columns.add(when, level, message, origin)
        self._append_index(index)
        return columns.times[index]

    def append(self, event: "Event") -> None:
        self.add(event.time, event.level, event.message, event.origin)

    # Read, an empty log makes no columns.

    def times_from(self, start: int) -> list[float]:
        """The epoch times of its records from the `start`th on (NaN where
        a record's time could not be read)."""
        indices = self._indices_of(slice(start, None))
        if not len(indices):
            return []
        times = self.columns.times
        return [times[i] for i in indices]

    def __getitem__(self, index: int | slice) -> "Event | list[Event]":
        indices = self._indices_of(index)  # (IndexError for a record it has not)
        if isinstance(index, slice):
            if not len(indices):
                return []
            event = self.columns.event
            return [event(i) for i in indices]
        return self.columns.event(indices)

    def __iter__(self) -> Iterator["Event"]:
        if not len(self):
            return iter(())
        event = self.columns.event
        return (event(i) for i in self._indices_of(None))


if EventLogCore is not None:
    EventLogCore.leave_out_of_gc(EventLog)  # (it holds no object: in no cycle; `_eventlog.h`)


class AnomalyRow:
    """One row of an anomaly bucket, as Inspect reports it: from the record
    that put it there (the enter for running, the closing record otherwise)."""

    __slots__ = ("action", "detail", "start", "duration", "error", "span", "sample")

    def __init__(self, action: str, detail: str, start: float | None,
                 duration: float | None, error: str | None, span: Span | None,
                 sample: tuple | None = None) -> None:
        self.action = action
        self.detail = detail
        self.start = start
        self.duration = duration
        self.error = error
        self.span = span
        #: (task, sample id, epoch) of a row found before its span was made
        #: (a big log's scan), to tell alike rows apart; else None: the span says.
        self.sample = sample

    def sort_key(self) -> float:
        return (self.start or 0) + (self.duration or 0)

    def duration_as_of(self, as_of: float) -> float:
        if self.duration is not None:
            return self.duration
        if self.start is not None:
            return as_of - self.start
        return 0.0

    def to_json(self, as_of: float) -> dict[str, Any]:
        row: dict[str, Any] = {
            "action": self.action,
            "detail": self.detail,
            "start_time": self.start,
            "duration": self.duration_as_of(as_of),
        }
        if self.error is not None:
            row["error"] = self.error
        return row


class Anomalies:
    """Running / cancelled / errored / timed-out actions of one run.

    Dicts keyed by span id, so a repeated id replaces its row in place (the
    dict keeps the first position), exactly as Inspect's analysis does.
    """

    # (`__weakref__`: a cache may name one without keeping it, `clock._nodes_running`.)
    __slots__ = ("running", "cancelled", "errors", "timeouts", "closed_version", "_stopped", "__weakref__")

    def __init__(self) -> None:
        self.running: dict[str, AnomalyRow] = {}
        self.cancelled: dict[str, AnomalyRow] = {}
        self.errors: dict[str, AnomalyRow] = {}
        self.timeouts: dict[str, AnomalyRow] = {}
        #: Bumped by every write to the cancelled / errors / timeouts
        #: buckets (`running` changes on every action, and is not tracked):
        #: the anomaly panel keeps those buckets sorted until it moves.
        self.closed_version = 0
        #: (closed_version, whether a top-level action was cancelled).
        self._stopped: tuple[int, bool] = (-1, False)

    def bucket(self, name: str) -> dict[str, AnomalyRow]:
        return getattr(self, name)

    def sorted(self, name: str) -> list[AnomalyRow]:
        """Newest first, stable — Inspect's order."""
        return sorted(self.bucket(name).values(), key=AnomalyRow.sort_key, reverse=True)

    def place(self, span: Span, fresh: bool = False) -> None:
        """Put a span in the bucket its status says (generic sources);
        `fresh`: the span is new, so no bucket holds it yet."""
        self.closed_version += 1
        if not fresh:
            for name in BUCKETS:
                self.bucket(name).pop(span.id, None)
        bucket = BUCKET_OF_STATUS.get(span.status)
        if bucket is not None:
            error = span.error  # once: a property (`SpanExtra`)
            err = error.get("message") if error else None
            # A running row's age runs to the instant asked for (SPEC), even
            # where the source recorded an end: a paused Flujo step's
            # pipeline kept its 0.11 s while the step it waits on aged (QA).
            duration = None if bucket == "running" else span.duration
            self.bucket(bucket)[span.id] = AnomalyRow(
                span.kind or span.name, span.name, span.start, duration,
                None if err is None else str(err), span)

    def counts(self) -> dict[str, int]:
        return {name: len(self.bucket(name)) for name in BUCKETS}

    def status(self) -> str:
        """The status of a run whose buckets these are: running while
        anything runs; cancelled if the run itself was stopped (a top-level
        action cancelled: Inspect's `Run Task` on ctrl+c), whatever failed
        inside it before; then failed, then cancelled."""
        if self.running:
            return RUNNING
        if self.cancelled and self._stopped_run():
            return CANCELLED
        if self.errors or self.timeouts:
            return ERROR
        if self.cancelled:
            return CANCELLED
        return OK

    def _stopped_run(self) -> bool:
        version, stopped = self._stopped
        if version != self.closed_version:
            stopped = any(row.span is not None and row.span.parent is None
                          for row in self.cancelled.values())
            self._stopped = (self.closed_version, stopped)
        return stopped


#: How many lately active nodes a run remembers (`Run.lately_active`).
LATELY_KEPT = 256


class Run:
    """One unit a user thinks of as "a run": an Inspect trace file, a Flujo
    run, an OTel trace id."""

    __slots__ = (
        "id", "name", "source", "format", "spans", "roots", "anomalies",
        "attributes", "events", "status_override", "inferred", "live",
        "_error_count", "first_time", "last_time", "synthetic_spans", "known_end", "writer_seen",
        "seen_at_work", "writer_verified", "reading", "last_write", "lately_active",
    )

    def __init__(self, id: str, source: str, format: str, name: str = "") -> None:
        self.id = id
        self.name = name or id
        self.source = source
        self.format = format
        #: Its spans by id, in the order they came: each filed under its
        #: own id (`SpanIndex`, a dict where C is not built).
        self.spans: dict[str, Span] = SpanIndex()
        self.roots: list[Span] = []
        self.anomalies = Anomalies()
        self.attributes: dict[str, Any] = {}
        #: Its log records in no span's (Inspect: outside any sample).
        self.events = EventLog()
        #: A status the source states for the run (Flujo `runs.status`).
        self.status_override: str | None = None
        #: True when the tree's nesting was inferred, not recorded (Inspect).
        self.inferred = False
        #: True while the source is being written (a live Inspect `.log`).
        self.live = False
        self._error_count = 0
        self.first_time: float | None = None
        self.last_time: float | None = None
        #: How many of `spans` tracetui made up (`Span.synthetic`), so the
        #: run list can show the count of recorded spans, as `tracetui runs`
        #: does, without walking a million spans per redraw.
        self.synthetic_spans = 0
        #: The source's last record's time, known before the reader gets
        #: there (a scan of the whole file, `tracetui.prescan`): a big log's
        #: ages and duration are right while it is read. None once it is.
        self.known_end: float | None = None
        #: The last instant its writer was seen at work (`clock.as_of`): a
        #: hung eval writes nothing, so when it is killed its last record is
        #: from when the hang began, and ages shown while it lived must not
        #: jump back to that. Kept on the run, not by file name: Inspect
        #: gzips the log as it exits, and ages jumped back then (QA).
        self.seen_at_work: float | None = None
        #: When (time.monotonic) its source last found its writer at work
        #: (`writer_seen`): `seen_at_work` is that instant, not the last
        #: frame drawn before the next look found it gone (ages ran up to a
        #: second past an eval's kill -9, QA).
        self.writer_verified: float | None = None
        #: Its writer is seen at work here: its process runs (an Inspect
        #: eval's pid, a process holding a Flujo database open for
        #: writing). Only then do its ages
        #: run to now, and, once it is gone, to when it was last seen
        #: (`clock.as_of`); a log live only by its recent writes (a copy, an
        #: eval in a container) is aged to its last record.
        self.writer_seen = False
        #: Its source is still being read to its end (the TUI opening a big
        #: log): what it lists as running so far may close further on.
        self.reading = False
        #: The last write to its source seen, where its records' own times
        #: do not tell it (`clock.as_of`): a database row carries when its
        #: span began, not when it was written, so a running span inserted
        #: late made the newest time in the database its own start, and its
        #: age stayed 0 while the database was being written (QA). None
        #: where the records tell it (a log is written as it is logged).
        self.last_write: float | None = None
        #: Made-up nodes (Inspect samples) whose actions closed lately,
        #: newest last, at most LATELY_KEPT: the tree keeps a sample open a
        #: while after its last action (`SpanTree._lingering`), which it
        #: cannot see run when its actions last milliseconds (QA).
        self.lately_active: dict[Span, None] = {}

    def span_count(self) -> int:
        """Spans the source recorded: `spans` less the made-up nodes."""
        return len(self.spans) - self.synthetic_spans

    def see_time(self, t: float | None) -> None:
        if t is None or not -PLAUSIBLE_TIME < t < PLAUSIBLE_TIME:
            return  # NaN, an infinity, or a year past now: one such record
            # would set every age in the run
        if self.first_time is None or t < self.first_time:
            self.first_time = t
        if self.last_time is None or t > self.last_time:
            self.last_time = t

    @property
    def start(self) -> float | None:
        return self.first_time

    @property
    def end(self) -> float | None:
        known = self.known_end
        if known is None or not -PLAUSIBLE_TIME < known < PLAUSIBLE_TIME or (self.last_time is not None and self.last_time >= known):
            return self.last_time
        return known

    @property
    def status(self) -> str:
        return self.status_of(self.anomalies)

    def status_of(self, anomalies: Anomalies) -> str:
        """Its status as told by `anomalies`: its own, or a whole-file
        scan's while it is read (the run list)."""
        if self.status_override:
            return self.status_override
        if self.live and not self.spans:
            # An eval just begun: nothing recorded yet, its writer at work
            # (it read ✓ ok until its first action opened; QA).
            return RUNNING
        return anomalies.status()

    def error_count(self) -> int:
        return sum(1 for s in self.spans.values() if s.status in (ERROR, TIMEOUT))

    def __repr__(self) -> str:
        return f"Run({self.id!r}, {len(self.spans)} spans)"
