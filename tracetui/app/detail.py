"""The detail pane: everything about the selected span, as Rich renderables
built from data (never from markup strings, so trace text stays literal)."""

from __future__ import annotations

import json
import os
from bisect import bisect_left, bisect_right
from collections import Counter
from datetime import datetime
from operator import attrgetter
from typing import Any, Callable, Sequence

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.rule import Rule
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tracetui.analysis import enclosing_sample, shown_duration
from tracetui.app.line_list import LiteralTitle, set_scroll_size
from tracetui.app.scrollbar import QuickScrollBars
from tracetui.app.style import STATUS_STYLE, status_icon
from tracetui.clock import ages_cut_short, as_of, last_seen_at_work, runs_to_the_end
from tracetui.model import PAUSED, RUNNING, Anomalies, Event, EventLog, Span, epoch_seconds, orphan_note
from tracetui.text import clock_ms, counted, fmt_age, fmt_duration, kept_before_ellipsis, safe

#: Strings longer than this are cut in the pane (with a note saying so;
#: `r` shows the record whole). Drawing is not linear in a string's length:
#: a 1,000,000-character detail took 0.39 s a visit (a 30 MB one, cut to
#: that, 5 s in QA); 100,000 characters are 1,700 lines at 60 columns.
MAX_SHOWN = 100_000
#: Another span's name or a run's, shown beside this span's fields (its
#: run, its parent, its sample), is cut at this many characters: a 100 KB
#: root name wrapped over thousands of lines above the span's own start
#: and duration (QA). The other span shows its own name whole.
OTHER_NAME_SHOWN = 200
#: How many log records the pane lists (the newest; rendering thousands on
#: every cursor move would cost more than a frame).
MAX_EVENTS = 100


#: Where the rest of a value cut at MAX_SHOWN is: the detail points to
#: the raw record, which points to the CLI (QA: the raw view's own cut
#: said "`r` shows the raw record").
IN_RAW = "`r` shows the raw record"
IN_DUMP = "`tracetui dump` prints every record whole"


def _t(value: Any, style: str = "", rest: str = IN_RAW) -> Text:
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_SHOWN:
        # Cut before escaping: escaping 30 MB took 0.1 s to show 100 KB of it.
        text = safe(text[:MAX_SHOWN]) + f"\n… ({len(text) - MAX_SHOWN:,} more characters; {rest})"
    else:
        text = safe(text)
    return Text(text, style=style)


def _other_name(name: str | None) -> str | None:
    """A run's or another span's name for a row of this span's detail,
    cut at OTHER_NAME_SHOWN (escaped by `_t` as it is shown)."""
    if name is None or len(name) <= OTHER_NAME_SHOWN:
        return name
    return f"{name[:OTHER_NAME_SHOWN]}… ({len(name) - OTHER_NAME_SHOWN:,} more characters)"


def _json(value: Any, rest: str = IN_RAW) -> RenderableType:
    try:
        dumped = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except (ValueError, TypeError, RecursionError):
        try:
            dumped = repr(value)
        except RecursionError:  # a hostile record nested ~1000 levels deep
            dumped = "(nested too deeply to show here)"
    dumped = safe(dumped)
    if len(dumped) > MAX_SHOWN:
        return _t(dumped, rest=rest)
    # Imported here: rich.syntax brings pygments, 16 ms of the app's start
    # (`python -X importtime`), paid before the first screen for a pane
    # that shows JSON only once a span is chosen.
    from rich.syntax import Syntax

    return Syntax(dumped, "json", theme="ansi_dark", word_wrap=True, background_color="default")


def _maybe_json(value: Any) -> Any:
    """A string that holds JSON (OpenInference input.value) as data."""
    if isinstance(value, str) and value[:1] in "[{" and len(value) < MAX_SHOWN:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def is_chat(value: Any) -> bool:
    return (isinstance(value, list) and bool(value)
            and all(isinstance(m, dict) for m in value)
            and any("role" in m for m in value))


def _when(ts: float | None, monotonic: bool) -> str:
    if ts is None:
        return "—"
    if monotonic:
        return f"{ts:.6f} (monotonic clock)"
    try:
        return clock_ms(ts, "%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return str(ts)


def _event_time(value: Any) -> str:
    """A log record's time as local HH:MM:SS.mmm (Inspect writes ISO
    strings with microseconds and a zone: too long for every line)."""
    ts = epoch_seconds(value)
    if ts is None and isinstance(value, str):
        return safe(value, newlines=False)
    if ts is None:
        return "—"
    try:
        return clock_ms(ts, "%H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return safe(str(value), newlines=False)


def render_content(content: Any, media_root: str | None = None) -> list[RenderableType]:
    """A message's content: text, parts, images as placeholders."""
    if content is None:
        return []
    if isinstance(content, str):
        return [_t(content)]
    if isinstance(content, list):
        out: list[RenderableType] = []
        for part in content:
            if isinstance(part, dict):
                kind = part.get("type") or part.get("_type")
                if kind == "text" and "text" in part:
                    out.append(_t(part["text"]))
                elif kind in ("image_url", "image", "trackio.image", "input_image") or "image_url" in part:
                    out.append(_image_placeholder(part, media_root))
                else:
                    out.append(_json(part))
            else:
                out.append(_t(part))
        return out
    if isinstance(content, dict) and (content.get("_type") == "trackio.image"):
        return [_image_placeholder(content, media_root)]
    return [_json(content)]


def _image_placeholder(part: dict, media_root: str | None) -> Text:
    """An image as one line naming its file (Trackio keeps images under the
    project's media directory; OpenAI parts carry a URL or a data: URI)."""
    inner = part.get("image") if isinstance(part.get("image"), dict) else part
    path = inner.get("file_path") or inner.get("path") or ""
    url = inner.get("image_url") or inner.get("url") or part.get("image_url")
    if isinstance(url, dict):
        url = url.get("url")
    name = str(path or url or "(no file named)")
    if name.startswith("data:"):
        name = name.split(",", 1)[0] + ",… (" + f"{len(name):,} characters inline)"
    note = ""
    if path and media_root:
        try:
            note = f", {os.path.getsize(os.path.join(media_root, str(path))):,} bytes"
        except (OSError, TypeError, ValueError):
            note = ", file not found"
    caption = inner.get("caption")
    text = Text("[image: ", style="italic magenta")
    text.append(safe(name, newlines=False))
    text.append(note)
    if caption:
        text.append(" · " + safe(caption, newlines=False))
    text.append("]")
    return text


def _tool_calls(message: dict) -> list[dict]:
    calls = message.get("tool_calls") or []
    out = []
    for call in calls if isinstance(calls, list) else []:
        if not isinstance(call, dict):
            continue
        fn = call.get("function") or call.get("tool_call", {}).get("function") or call
        name = fn.get("name") if isinstance(fn, dict) else None
        args = fn.get("arguments") if isinstance(fn, dict) else None
        out.append({"id": call.get("id") or call.get("tool_call_id"), "name": name or "?",
                    "arguments": _maybe_json(args)})
    return out


def render_chat(messages: list, media_root: str | None = None) -> list[RenderableType]:
    """Messages as a conversation: role headers, text, tool calls with their
    arguments, tool results matched to the call they answer."""
    out: list[RenderableType] = []
    call_names: dict[str, str] = {}
    role_style = {"system": "bold magenta", "user": "bold green", "assistant": "bold cyan",
                  "tool": "bold yellow"}
    for message in messages:
        if not isinstance(message, dict):
            out.append(_t(message))
            continue
        role = str(message.get("role", "?"))
        header = Text("▌ ", style=role_style.get(role, "bold"))
        header.append(safe(role, newlines=False), style=role_style.get(role, "bold"))
        if role == "tool":
            call_id = message.get("tool_call_id")
            name = message.get("name") or call_names.get(str(call_id), "")
            header.append(f"  result of {safe(name, newlines=False) or 'call'}", style="yellow")
            if call_id:
                header.append(f" ({safe(call_id, newlines=False)})", style="dim")
        out.append(header)
        out.extend(render_content(message.get("content"), media_root))
        for call in _tool_calls(message):
            if call["id"]:
                call_names[str(call["id"])] = call["name"]
            line = Text("  → call ", style="yellow")
            line.append(safe(call["name"], newlines=False), style="bold yellow")
            if call["id"]:
                line.append(f" ({safe(call['id'], newlines=False)})", style="dim")
            out.append(line)
            if call["arguments"] not in (None, "", {}):
                out.append(_json(call["arguments"]))
        out.append(Text(""))
    return out


def _duration_row(span: Span, now: float, monotonic: bool, at_end: bool,
                  wall_now: float | None = None) -> str:
    """`4.21s`; a running span's age, and, when that is all its log can
    tell (`clock.ages_cut_short`), as a lower bound with the instant, and
    how long ago it began (`wall_now`: the clock's now), the most it can
    have run: a hung eval writes nothing, so killed and opened the next
    morning its stuck Subprocess read `≥266.1ms`, which looked like
    nothing was stuck (QA). `at_end`: the span is known to run to its
    log's end, which is still being read (`clock.runs_to_the_end`)."""
    duration = shown_duration(span, now)
    if span.status == PAUSED:
        # What it ran before its run paused, if recorded; it waits for a human now.
        return f"{fmt_duration(duration)}  (paused: waiting for a human to resume its run)"
    if span.status != RUNNING:
        return fmt_duration(duration)
    if span.run.reading and not at_end:
        # `≥` until the log's end is known: the tree's form (`ages_cut_short`).
        return f"{fmt_age(duration, ages_cut_short(span.run))}  (running in the part of its log read so far)"
    if ages_cut_short(span.run, whole_file=at_end):
        when = _when(now, monotonic)
        when = when[11:] if not monotonic else when
        began = ""
        if wall_now is not None and not monotonic and span.start is not None and duration is not None \
                and wall_now - span.start >= duration + 1:
            began = f"; began {fmt_duration(wall_now - span.start)} ago"
        if last_seen_at_work(span.run) is not None:
            return f"{fmt_age(duration, True)}  (until its writer was last seen, {when}{began})"
        return f"{fmt_age(duration, True)}  (until its log ends, {when}{began})"
    return f"{fmt_duration(duration)}  (running)"


class _Fields:
    """A span's heading and fields, laid out for the width they are drawn
    at: the heading's one line says the status whatever the name's length
    (cut to fit, it is shown whole in a `name` row), and the fields `top`
    (its start and duration or age) come right under it, before any long
    one. At 80x24 the pane is 30 columns by 7 lines: a stuck Subprocess
    showed its kind, command, id, run and parent there, its start and age
    below the fold (QA)."""

    def __init__(self, span: Span, top: list[tuple[str, Any]], rest: list[tuple[str, Any]]) -> None:
        self.span = span
        self.top = top
        self.rest = rest

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        heading, cut = _heading(self.span, options.max_width)
        yield heading
        yield _FieldGrid(self.top + ([("name", self.span.name)] if cut else []) + self.rest)


def _heading(span: Span, width: int) -> tuple[Text, bool]:
    """`▶ name  status` in `width` cells, the name cut to make room for the
    status; and whether it was cut."""
    status = f"  {span.status}"
    icon = status_icon(span.status)
    name = safe(span.name[:MAX_SHOWN], newlines=False)
    room = width - icon.cell_len - 1 - cell_len(status)
    cut = cell_len(name) > room
    if cut:
        name = kept_before_ellipsis(name, max(2, room))[0] + "…"
    heading = Text(no_wrap=True, overflow="ellipsis")
    heading.append_text(icon)
    heading.append(" ")
    heading.append(name, style="bold")
    heading.append(status, style=STATUS_STYLE.get(span.status, ("", ""))[1])
    return heading, cut


#: A field's key column is at least this wide (`duration`), for every span
#: (a running one's `age` is its `duration`): the values do not shift
#: sideways as the cursor moves between spans.
KEY_WIDTH = len("duration")
#: The key column's own style, and that of the two spaces after it.
_KEY_STYLE = Style.parse("dim")


class _FieldGrid:
    """The fields as `key  value` rows, those with no value left out, each
    value wrapped under itself and a word with no room folded, never cut:
    what Rich's `Table.grid` drew (`_grid`), cell for cell and style for
    style, at a fraction of its cost. The grid measured and rendered each
    cell through its padding: 3-5 ms for a span's ten fields, on each
    cursor move's detail and on the jump to an anomaly."""

    def __init__(self, rows: list[tuple[str, Any]]) -> None:
        self.rows = [(key, value) for key, value in rows if value not in (None, "")]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.rows:
            return
        key_width = max(KEY_WIDTH, max(cell_len(key) for key, _ in self.rows))
        room = options.max_width - key_width - 2
        values = [_t(value) for _, value in self.rows]
        widest = max(max((cell_len(line) for line in value.plain.split("\n")), default=0) for value in values)
        if room < 1 or widest == 0:
            # A pane too narrow for the keys, or values of no width (a lone
            # newline): Rich's own rules, which shrink columns and rows.
            yield _grid(self.rows)
            return
        width = min(room, widest)
        blank = Segment(" " * (key_width + 2), _KEY_STYLE)
        new_line = Segment.line()
        for (key, _), value in zip(self.rows, values):
            lines = value.wrap(console, width, justify="left", overflow="fold")
            for i, line in enumerate(lines):
                yield Segment(key + " " * (key_width + 2 - cell_len(key)), _KEY_STYLE) if i == 0 else blank
                yield from line.render(console)
                yield new_line


def _grid(rows: list[tuple[str, Any]]) -> Table:
    """The fields as `key  value` rows, those with no value left out, as a
    Rich grid: `_FieldGrid` draws the same, faster, and leaves to this
    only what its own layout does not cover."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True, min_width=KEY_WIDTH)
    # Shown whole: a path, URL or id with no space to wrap at is folded,
    # never cut with an ellipsis.
    grid.add_column(overflow="fold")
    for key, value in rows:
        if value not in (None, ""):
            grid.add_row(key, _t(value))
    return grid


def children_said(span: Span) -> str | None:
    """How many of a span's children are in each status, in the order the
    statuses first come (`3 ok, 1 running`); None without children."""
    if not span.children:
        return None
    # One C pass: a task of 114k samples took 23-42 ms as a Python loop,
    # each second its running age was drawn again.
    counts = Counter(map(attrgetter("status"), span.children))
    return ", ".join(f"{n} {s}" for s, n in counts.items())


def span_sections(span: Span, now: float, events: list[Any] | None = None,
                  at_end: bool = False, wall_now: float | None = None,
                  children: str | None = None) -> list[tuple[tuple | None, RenderableType]]:
    """The detail of a span in sections, each with what decides how it
    looks: None for the fields (a running span's age moves on), or, for the
    log, its list of records, the slice of it shown and the log's title:
    records are only ever appended, so the pane draws a log again only
    when what it shows grew (not every second a running action ages).
    `at_end`, `wall_now`: as `_duration_row`'s. `children`: what
    `children_said` says of it, if the caller knows already."""
    run = span.run
    # Flujo's monotonic times are shown as wall time once aligned to its
    # run's creation; only unaligned ones are raw monotonic seconds.
    clock = str(run.attributes.get("clock", ""))
    monotonic = "monotonic" in clock and "not aligned" in clock
    # Which sample (and task) an action is in was only in its raw record
    # (QA): said with the parent.
    sample = enclosing_sample(span.parent)
    where = _other_name(_sample_label(sample)) if sample is not None else None
    parent = _other_name(span.parent.name) if span.parent else (orphan_note(span, whole=True) if span.orphan else "—")
    run_name = _other_name(run.name) if run.name == run.id else f"{_other_name(run.name)} ({_other_name(run.id)})"
    # When it started and how long it ran (a running span: its age, as the
    # tree and the anomaly panel show it), first: what is asked of a hang.
    top = [
        ("start", _when(span.start, monotonic)),
        ("age" if span.status == RUNNING else "duration", _duration_row(span, now, monotonic, at_end, wall_now)),
    ]
    rows = [
        ("kind", span.kind), ("id", span.id), ("run", run_name),
        ("parent", where if sample is not None and span.parent is sample else parent),
        ("sample", where if sample is not None and span.parent is not sample else None),
        ("source", f"{run.source} [{run.format}]"),
    ]
    if span.detail and span.detail != span.name:
        rows.insert(1, ("detail", span.detail))
    if span.children:
        rows.append(("children", children if children is not None else children_said(span)))
    parts: list[RenderableType] = [_Fields(span, top, rows)]
    if span.error:
        parts.append(Rule("error", style="red"))
        err = span.error
        head = Text()
        if err.get("type"):
            head.append(safe(err["type"], newlines=False) + ": ", style="bold red")
        head.append_text(_t(err.get("message", ""), "red"))
        parts.append(head)
        if err.get("stacktrace"):
            parts.append(_t(err["stacktrace"], "dim red"))
        extra = {k: v for k, v in err.items() if k not in ("type", "message", "stacktrace")}
        if extra:
            parts.append(_json(extra))
    media_root = run.attributes.get("media_root") or run.attributes.get("media_dir")
    for label, value in (("input", span.input), ("output", span.output)):
        value = _maybe_json(value)
        if value in (None, "", [], {}):
            continue
        parts.append(Rule(label, style="cyan"))
        if is_chat(value):
            parts.extend(render_chat(value, media_root))
        elif isinstance(value, dict) and is_chat(value.get("messages")):
            parts.extend(render_chat(value["messages"], media_root))
            rest = {k: v for k, v in value.items() if k != "messages"}
            if rest:
                parts.append(_json(rest))
        elif isinstance(value, str):
            parts.append(_t(value))
        else:
            parts.append(_json(value))
    if span.attributes:
        parts.append(Rule("attributes", style="blue"))
        parts.append(_json(span.attributes))
    sections: list[tuple[tuple | None, RenderableType]] = [(None, Group(*parts))]
    shown_events = events if events is not None else (span.events or [])
    if shown_events:
        sections.append(_log_section(span, now, shown_events))
    if run.inferred and span.parent is not None:
        sections.append((None, Text("nesting inferred from timing (Inspect records no parent links)",
                                    style="dim italic")))
    return sections


class _LogTimes:
    """The epoch times of one sample's log records, parsed once each (a
    sample can hold thousands; records are only ever appended, so a live
    one's new records are parsed as they come) and never decreasing, so an
    action's records are found by bisection.

    Never decreasing: records are in file order, and Inspect's threads
    may write one a little after a later-stamped one; such a record counts
    as written with the one before it (as does one whose time cannot be
    read), off by that overlap at most."""

    __slots__ = ("events", "times")

    def __init__(self, events: list) -> None:
        self.events = events
        self.times: list[float] = []

    def update(self) -> list[float]:
        times, events = self.times, self.events
        if len(events) < len(times):  # not a list that only grows: read again
            times.clear()
        last = times[-1] if times else float("-inf")
        if type(events) is EventLog:  # its times read as they came; NaN if none
            for ts in events.times_from(len(times)):
                if ts > last:
                    last = ts
                times.append(last)
            return times
        parse = datetime.fromisoformat
        for event in events[len(times):]:
            # Inspect's ISO string read inline: `epoch_seconds` for each of 10k
            # records doubled the time (6 ms), the pane's whole budget.
            try:
                ts = parse(event.time).timestamp()
            except (TypeError, ValueError, OverflowError, OSError):
                ts = epoch_seconds(event.time)
            if ts is not None and ts > last:
                last = ts
            times.append(last)
        return times


#: The samples whose log times are kept (`_log_times`): the detail moves
#: between the actions of one sample, and back to the last one or two.
TIMES_KEPT = 4
_times_kept: dict[int, _LogTimes] = {}


def _log_times(events: list) -> list[float]:
    """The never-decreasing times of a sample's `events` (`_LogTimes`),
    kept for the few samples shown last."""
    kept = _times_kept.pop(id(events), None)
    if kept is None or kept.events is not events:  # an id reused by a new list
        kept = _LogTimes(events)
    _times_kept[id(events)] = kept  # the newest, last
    while len(_times_kept) > TIMES_KEPT:
        del _times_kept[next(iter(_times_kept))]
    return kept.update()


def log_window(span: Span, events: list, until: float) -> tuple[int, int] | None:
    """The records of `events`, its sample's log (or its run's, for an
    action in no sample: a top-level `Log Write`), written while `span`, an
    action, ran: `events[lo:hi]`, from its start to its end (a running
    one's: `until`, the instant it is aged to). None for a made-up node (a
    sample, a task), or if its start or end is not known (the whole log is
    shown then).

    By time only: Inspect's HTTP and TRACE records name their sample, not
    their action; one written meanwhile by another action of the sample
    (a parallel tool call) is in the window too."""
    end = until if span.status == RUNNING else span.end
    if span.synthetic or span.kind in ("sample", "task") or span.start is None or end is None:
        return None
    times = _log_times(events)
    lo = bisect_left(times, span.start)
    return lo, max(lo, bisect_right(times, end))


def _log_section(span: Span, now: float, events: list) -> tuple[tuple, RenderableType]:
    """The log records shown with a span, and what decides how they look
    (`span_sections`): an action in a sample shows those written while it
    ran, a sample, a task or a run its whole log."""
    window = log_window(span, events, now) if span.run.inferred else None
    if window is None:
        lo, hi = 0, len(events)
        label = "sample log" if span.kind == "sample" or (span.parent and span.run.inferred) else "log"
        title = f"{label} ({counted(hi, 'record')})"
    else:
        lo, hi = window
        # Said to be by time (QA: a 429 and its retry, in every call of the
        # sample, seemed to be each call's), and where the rest is: its
        # sample's log, or its run's (a top-level action showed all of it).
        whose, where = ("sample", "") if enclosing_sample(span.parent) is not None \
            else ("run", ", on a task's node")
        title = f"log during this action ({hi - lo:,} of the {whose}'s {counted(len(events), 'record')})"
        if lo == hi:
            # One line: a rule over nothing looked like a log not drawn.
            # (QA: "shows all 1" read oddly.)
            title = f"no log record during this action ({len(events):,} in its {whose}'s log{where})"
            return (events, lo, hi, title), Text(title, style="dim italic")
    def make() -> Group:
        log: list[RenderableType] = [Rule(title, style="blue")]
        if hi - lo > MAX_EVENTS:
            log.append(Text(f"… {hi - lo - MAX_EVENTS:,} earlier records not shown "
                            "(tracetui dump / http show them all)", style="dim italic"))
        for event in events[max(lo, hi - MAX_EVENTS):hi]:
            line = Text()
            line.append(_event_time(event.time) + " ", style="dim")
            line.append(safe(event.level, newlines=False) + " ", style="yellow" if event.level != "HTTP" else "blue")
            line.append_text(_t(event.message))
            log.append(line)
        return Group(*log)

    return (events, lo, hi, title), _MadeWhenDrawn(make)


class _MadeWhenDrawn:
    """A renderable made only once something draws it. The pane draws a
    log again only when its key changed (`DetailPane._draw`); a running
    task's 100 records were made into Text each second all the same, 12 ms
    of the UI thread's tick."""

    __slots__ = ("_make", "_made")

    def __init__(self, make: Callable[[], RenderableType]) -> None:
        self._make: Callable[[], RenderableType] | None = make
        self._made: RenderableType | None = None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self._make is not None:
            self._made, self._make = self._make(), None
        yield self._made


def _sample_label(sample: Span) -> str:
    """`task · sample 3 · epoch 1`."""
    return f"{sample.parent.name} · {sample.name}" if sample.parent is not None else sample.name


def log_for(span: Span) -> Sequence[Event]:
    """The log records that belong with a span: its sample's (Inspect HTTP,
    TRACE and WARNING records, in file order: time order but for a thread's
    record written a moment late; an action shows those of its time,
    `log_window`), or the run's for top-level nodes."""
    node = enclosing_sample(span)
    if node is not None:
        return node.events or []
    if span.events:
        return span.events
    if span.parent is None or span.kind == "task":
        return span.run.events
    return []


class DetailPane(QuickScrollBars, ScrollView, can_focus=True):
    """Scrollable view of one span, drawn line by line.

    Not a `Static` in a `VerticalScroll`: updating a Static asks for a
    layout of the whole screen, and every span the cursor rested on cost
    ~30 ms of the UI thread, of which rendering the span was 2 ms. Here a
    span is rendered once into lines at the pane's width, and only this
    pane repaints."""

    border_title = LiteralTitle()  # type: ignore[assignment]

    # The list keys scroll it, as `?` says of every pane; at once, as the
    # lists move (Textual's own scroll actions glide for up to a second).
    BINDINGS = [
        Binding("j", "scroll_by(1)", show=False),
        Binding("k", "scroll_by(-1)", show=False),
        Binding("g", "scroll_to_end(False)", show=False),
        Binding("G", "scroll_to_end(True)", show=False),
    ]

    def action_scroll_by(self, lines: int) -> None:
        self.scroll_relative(y=lines, animate=False)

    def action_scroll_to_end(self, bottom: bool) -> None:
        if bottom:
            self.scroll_end(animate=False)
        else:
            self.scroll_home(animate=False)

    #: The span shown, or None.
    span: Span | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: What the pane shows, as a Rich renderable (built from data).
        self.renderable: RenderableType = PLACEHOLDER
        #: The same in sections, with what decides each one's look (`span_sections`).
        self._sections: list[tuple[tuple | None, RenderableType]] = [(None, PLACEHOLDER)]
        #: The log section last drawn: (its key, width, lines). A running
        #: span is drawn again every second for its age; its log, up to
        #: 100 records, took most of that (17 ms for a Run Task's).
        self._log_drawn: tuple[tuple, int, list[Strip]] | None = None
        self._lines: list[Strip] = []
        self._width = 0
        #: A note is shown instead of a span (`show_note`).
        self.noted = False
        #: Whole-file buckets of logs still being read, by run id: the
        #: anomaly panel's (`AnomalyPanel.early`), set by the app.
        self.early: dict[str, Anomalies] = {}
        #: (span, its children list, how long it was, the store's version,
        #: `children_said` of it): a running task is drawn again every
        #: second for its age, and counting its 114k samples' statuses each
        #: time held the UI 23-42 ms.
        self._children_said: tuple[Span, list, int, int, str | None] | None = None

    def show(self, span: Span | None, now: float, version: int | None = None) -> None:
        """Show `span`, its running age measured to its run's instant
        (`clock.as_of`), as every other pane measures it. A new span starts
        at the top; the same span redrawn (its age, live news) keeps the
        scroll position. `version`: the store's (`Store.version`), which
        moves on whenever a status may have changed; with it, the counts
        of the span's children are not made again until it does."""
        new = span is not self.span or self.noted
        self.span = span
        self.noted = False
        if span is None:
            self._sections = [(None, PLACEHOLDER)]
            self.border_title = "detail"  # not the last span's name (QA)
        else:
            self._sections = span_sections(span, as_of(span.run, now), events=log_for(span),
                                           at_end=runs_to_the_end(span, self.early), wall_now=now,
                                           children=self._children_of(span, version))
            self.border_title = f"detail · {safe(span.name, newlines=False)[:40]}"
        self.renderable = Group(*(part for _, part in self._sections))
        self._draw()
        if new:
            self.scroll_to(y=0, animate=False)

    def _children_of(self, span: Span, version: int | None) -> str | None:
        """`children_said` of `span`, counted again only if the store moved
        on (or no version was given) or its children changed."""
        children = span.children
        if version is None or not children:
            return children_said(span)
        kept = self._children_said
        if kept is not None and kept[0] is span and kept[1] is children and kept[2] == len(children) \
                and kept[3] == version:
            return kept[4]
        said = children_said(span)
        self._children_said = (span, children, len(children), version, said)
        return said

    def show_unread(self, status: str, action: str, detail: str, start: float | None, age: str,
                    why: str) -> None:
        """An anomaly whose span is not read yet (a big log being read, an
        archive held): what the scan knows of it first, as a span's detail
        says it (status, start, age), then why there is no more. It showed
        only its command and the note, its age in the panel row alone (QA).
        `noted`, as `show_note`."""
        heading = Text(no_wrap=True, overflow="ellipsis")
        heading.append_text(status_icon(status))
        heading.append(" ")
        heading.append(safe(action, newlines=False), style="bold")
        heading.append(f"  {status}", style=STATUS_STYLE.get(status, ("", ""))[1])
        grid = _grid([("start", _when(start, False)), ("age" if status == RUNNING else "duration", age),
                      ("detail", detail)])
        self.span = None
        self.noted = True
        self._sections = [(None, heading), (None, grid), (None, Text(safe(why, newlines=False), style="dim italic"))]
        self.border_title = f"detail · {safe(action, newlines=False)[:40]}"
        self.renderable = Group(*(part for _, part in self._sections))
        self._draw()
        self.scroll_to(y=0, animate=False)

    def show_note(self, title: str, text: str) -> None:
        """A note instead of a span (an anomaly whose archive is not read
        yet): `noted` until a span is shown, so live redraws leave it."""
        self.span = None
        self.noted = True
        self._sections = [(None, Text(text, style="dim italic"))]
        self.border_title = f"detail · {safe(title, newlines=False)[:40]}"
        self.renderable = Group(*(part for _, part in self._sections))
        self._draw()
        self.scroll_to(y=0, animate=False)

    def _draw(self) -> None:
        width = self.scrollable_content_region.width
        self._width = width
        if width <= 0:
            self._lines = []
        else:
            console = self.app.console
            options = console.options.update(width=width, height=None, highlight=False)
            self._lines = []
            for key, part in self._sections:
                drawn = self._log_drawn
                if key is not None and drawn is not None and drawn[1] == width and _same_log(drawn[0], key):
                    self._lines.extend(drawn[2])
                    continue
                lines = [Strip(line, width) for line in console.render_lines(part, options, pad=True)]
                if key is not None:
                    self._log_drawn = (key, width, lines)
                self._lines.extend(lines)
        set_scroll_size(self, Size(width, len(self._lines)))
        self.refresh()

    def on_resize(self) -> None:
        if self.scrollable_content_region.width != self._width:
            self._draw()

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if index < len(self._lines):
            return self._lines[index].adjust_cell_length(width)
        return Strip.blank(width)


PLACEHOLDER = Text("select a span", style="dim italic")


def _same_log(a: tuple, b: tuple) -> bool:
    """The same list of records (the very list: a run dropped and read again
    has new ones), the same slice of it, under the same title."""
    return a[0] is b[0] and a[1:] == b[1:]
