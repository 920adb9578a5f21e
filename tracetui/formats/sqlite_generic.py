"""A generic SQLite spans table, its columns mapped by name; plus what every SQLite decoder shares.

The shared part: JSON cells (text or UTF-8 bytes), times in any common unit,
batched reads by rowid, and `Linker`, which nests spans under parents that
may arrive later (or never: then the span stays at the root, `orphan`).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

import orjson

from tracetui.formats import inspect as _c_set_up  # (sets `_fastindex` up: `FAST_TABLE_ROWS`)
from tracetui.formats.jsonutil import loads
from tracetui.model import (
    BUCKET_OF_STATUS, CANCELLED, ERROR, OK, PARENT_LOOPS, RUNNING, TIMEOUT, FullSpan, Run, Span, origin_of,
)
from tracetui.store import Store

#: Rows per fetchmany batch (keep in step with tracetui.sources.sqlite.BATCH).
BATCH = 5000
#: Rowids re-read per query when checking spans that were still open.
IN_CHUNK = 500


@dataclass(frozen=True)
class SQLiteFormat:
    """How tracetui.sources.sqlite finds a decoder: `sniff(schema, conn)`,
    schema = table name → column names."""
    name: str
    sniff: Callable[[dict[str, list[str]], sqlite3.Connection], bool]
    decoder: Callable[..., Any]


# -- cells and times -----------------------------------------------------------

def json_cell(value: Any) -> Any:
    """A JSON column (text or UTF-8 bytes) decoded; anything else as it is.
    A JSON string (`"refund policy"`, as `json.dumps` stores text) is
    decoded too, as objects and arrays are; text that is not JSON is kept."""
    if value is None:  # most optional cells: the fast way out (1M rows)
        return None
    if isinstance(value, (bytes, str)) and value[:1] in ("{", "[", '"', b"{", b"[", b'"'):
        try:
            return loads(value)
        except ValueError:
            pass
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def iso_to_epoch(text: Any) -> float | None:
    """ISO-8601 (with `Z`, a space separator, or no zone = UTC) → epoch seconds."""
    if not isinstance(text, str) or not text:
        return None
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


#: The largest epoch time in seconds, in magnitude (year 5138): a bigger
#: number is milliseconds, microseconds or nanoseconds (`to_seconds`).
EPOCH_SECONDS_MAX = 1e11


def to_seconds(value: Any) -> float | None:
    """A time cell → seconds: epoch (s/ms/µs/ns told apart by size), ISO text,
    or small numbers (monotonic or relative seconds) as they are."""
    if type(value) is float:  # the common cell: REAL epoch seconds
        if value != value:
            return None
        x = value
    else:
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, (bytes, str)):
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            try:
                value = float(text)
            except ValueError:
                return iso_to_epoch(text)
        if not isinstance(value, (int, float)) or value != value:
            return None
        x = float(value)
    size = abs(x)
    if size > EPOCH_SECONDS_MAX:
        return x / 1e9 if size > 1e17 else x / 1e6 if size > 1e14 else x / 1e3
    return x


def duration_seconds(value: Any, column: str) -> float | None:
    """A duration cell in the unit its column name says (default seconds)."""
    if isinstance(value, (bytes, str)):
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
        return None
    divisor = duration_divisor(column)
    return float(value) if divisor == 1.0 else value / divisor


def duration_divisor(column: str) -> float:
    """What a duration column's cells are divided by to be seconds: the
    unit its name says (default seconds, 1)."""
    name = column.lower()
    if name.endswith(("_ns", "nanos")):
        return 1e9
    if name.endswith(("_us", "micros")):
        return 1e6
    if name.endswith(("_ms", "millis")):
        return 1e3
    return 1.0


STATUS_WORDS = {
    OK: ("ok", "success", "succeeded", "successful", "completed", "complete", "done", "finished",
         "passed", "pass", "status_code_ok", "unset", "status_code_unset", "true"),
    ERROR: ("error", "errored", "failed", "failure", "fail", "exception", "err", "status_code_error",
            "false", "crashed"),
    RUNNING: ("running", "in_progress", "in progress", "started", "pending", "active", "open",
              "queued", "waiting", "paused"),
    CANCELLED: ("cancelled", "canceled", "aborted", "killed", "interrupted", "skipped"),
    TIMEOUT: ("timeout", "timed_out", "timedout", "deadline_exceeded"),
}
_STATUS_OF_WORD = {w: status for status, words in STATUS_WORDS.items() for w in words}


def map_status(value: Any, ended: bool) -> tuple[str, bool]:
    """(status, understood). OTel's numeric codes (0 unset, 1 ok, 2 error) are
    understood; no status means ok when the span ended, running when not."""
    if value is None or value == "":
        return (OK if ended else RUNNING), True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ({0: OK, 1: OK, 2: ERROR}.get(int(value), ERROR if value >= 400 else OK)), value in (0, 1, 2)
    word = str(value).strip().lower()
    status = _STATUS_OF_WORD.get(word)
    if status is None:
        return (OK if ended else RUNNING), False
    return status, True


# -- reading -------------------------------------------------------------------

def batches(conn: sqlite3.Connection, sql: str, params: tuple = (), size: int = BATCH,
            fetcher: Any = None) -> Iterator[list[tuple]]:
    """Rows of a query in batches (a 1M-row table streams; never fetchall),
    in the order the query gives (ORDER BY). Fetched by `fetcher`, SQLite's
    own (`_fastindex.TableFetcher`, on the file `conn` reads: 0.58 s for
    the 1M rows sqlite3 fetches in 1.0 s), where the reader has one;
    where it fails, sqlite3 reads on (`_fetched`)."""
    given = 0
    strict = True
    if fetcher is not None:
        try:
            fetcher.execute(sql, params)
            while rows := fetcher.fetchmany(size):
                given += len(rows)
                yield rows
            return
        except UnicodeDecodeError:
            strict = False  # a cell of bad UTF-8: sqlite3 cannot decode it either
        except (RuntimeError, OSError, ValueError, TypeError, OverflowError):
            pass  # (SQLite's own error, if any, is sqlite3's too, and raised by it)
        finally:
            fetcher.reset()
    yield from _fetched(conn, sql, params, size, given, strict)


def _fetched(conn: sqlite3.Connection, sql: str, params: tuple, size: int, given: int,
             strict: bool) -> Iterator[list[tuple]]:
    """`batches` by sqlite3, past the first `given` rows. Text is read by
    sqlite3 itself: the connection's lenient text factory (`sources.sqlite`),
    a Python call per text cell, took half the fetch (2.3 s of 4.8 for 1M
    rows). Only for the fetch itself: the connection is the app's, which
    reads a raw record from another thread. A cell of bad UTF-8 fails it
    (`strict`): the query is run again with that factory, past the rows
    given."""
    lenient = conn.text_factory
    strict = strict and lenient is not str
    cur = None
    try:
        while True:
            if cur is None:
                cur = conn.execute(sql, params)
                skipped = 0
                while skipped < given and (past := cur.fetchmany(min(size, given - skipped))):
                    skipped += len(past)
            if strict:
                conn.text_factory = str
            try:
                rows = cur.fetchmany(size)
            except sqlite3.OperationalError as exc:
                if not (strict and "decode" in str(exc)):
                    raise
                strict = False
                cur.close()
                cur = None
                continue
            finally:
                conn.text_factory = lenient
            if not rows:
                return
            given += len(rows)
            yield rows
    finally:
        if cur is not None:
            cur.close()


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def column_list(columns: list[str | None]) -> str:
    """SELECT list for optional columns (a missing one reads as NULL)."""
    return ", ".join("NULL" if c is None else quote_ident(c) for c in columns)


def find_column(columns: list[str], *candidates: str) -> str | None:
    """The first candidate name present (case-insensitive), as spelled in the table."""
    lower = {c.lower(): c for c in columns}
    for name in candidates:
        if name in lower:
            return lower[name]
    return None


#: The most distinct strings a decoder keeps one copy of (`SharedStrings`):
#: a table of names that never repeat (each with an id in it) holds no more.
SHARED_STRINGS_MAX = 100_000


#: The longest attribute value held once (`share_values`; `_tablerows.h`
#: has it too). Longer ones (a prompt, a document) seldom repeat.
SHARED_VALUE_LENGTH = 255


def share_values(attributes: dict, shared: "SharedStrings") -> dict:
    """A row's attributes with each str value of up to SHARED_VALUE_LENGTH
    characters the one copy `shared` holds: a table's attributes repeat a
    few values (a model's name, a step's) over a million rows, and each
    row's JSON, parsed, makes every value a str of its own (~120 B a span
    of `bench_sqlite.py`'s table with attributes). Only the dict's own
    values; those nested in them stay as parsed."""
    for key, value in attributes.items():
        if type(value) is str and len(value) <= SHARED_VALUE_LENGTH:
            held = shared.get(value)
            if held is None:
                shared.share(value)
            elif held is not value:
                attributes[key] = held  # (a key it has: the dict's keys stay as they are)
    return attributes


class SharedStrings(dict):
    """Span names and kinds, one copy of each: a table has a few dozen over
    a million rows, and sqlite3 makes every cell read a str of its own
    (58 B a span on `bench_sqlite.py`'s table). Read `get(text) or
    share(text)`: the lookup inline, the call only for a string new here."""

    def share(self, text: str) -> str:
        return self.setdefault(text, text) if len(self) < SHARED_STRINGS_MAX else text


# -- nesting -------------------------------------------------------------------

class Linker:
    """Nests spans by parent id within a run, whatever order they arrive in.

    A span whose parent is not known yet waits at the root, marked `orphan`;
    when the parent arrives it is adopted (unless that would make a cycle).
    """

    def __init__(self) -> None:
        self._waiting: dict[tuple[str, str], list[Span]] = {}
        self._dirty_roots: set[Run] = set()

    def reset(self) -> None:
        self._waiting.clear()
        self._dirty_roots.clear()

    def attach(self, run: Run, span: Span, parent_id: str | None) -> None:
        parent = run.spans.get(parent_id) if parent_id else None
        if parent is not None and parent is not span:
            span.parent = parent
            parent.add_child(span)
        else:
            run.roots.append(span)
            if parent_id and parent_id != span.id:
                span.orphan = parent_id if isinstance(parent_id, str) else True
                self._waiting.setdefault((run.id, parent_id), []).append(span)
            elif parent_id:
                span.orphan = PARENT_LOOPS  # its own parent
        if not self._waiting:  # a table written parents first: none ever waits
            return
        for child in self._waiting.pop((run.id, span.id), ()):
            if child is span or self._is_ancestor(child, span):
                continue  # a parent cycle: leave the child at the root, orphaned
            child.parent = span
            child.orphan = False
            span.add_child(child)
            self._dirty_roots.add(run)

    @property
    def awaited(self) -> dict[tuple[str, str], list[Span]]:
        """(run id, span id) → the spans waiting for that span, their
        parent (C files no span awaited: it is to adopt them)."""
        return self._waiting

    @staticmethod
    def _is_ancestor(candidate: Span, span: Span) -> bool:
        node = span.parent
        while node is not None:
            if node is candidate:
                return True
            node = node.parent
        return False

    def settle(self) -> None:
        """Drop adopted spans from their runs' root lists (once per read, not per span)."""
        for run in self._dirty_roots:
            run.roots = [s for s in run.roots if s.parent is None]
        self._dirty_roots.clear()

    def forget_run(self, run_id: str) -> None:
        for key in [k for k in self._waiting if k[0] == run_id]:
            del self._waiting[key]


class RowsRead:
    """What a decoder read of one table, kept to tell whether the database
    still holds it (`gone`).

    A decoder reads a table once, then only rows past the last rowid read:
    rows deleted (`DELETE FROM spans`, a retention sweep) or a file
    rewritten in place with other rows (`cp other.db`) went unseen, and
    every pane kept showing spans no longer there (QA). Two checks: the
    first and last rows read are still there (a lookup by rowid, on every
    change), and the table has at least as many rows as spans were read
    from it (a scan of the table: `count`, not on every change).

    A row may move: `INSERT OR REPLACE` on a span id, or Flujo saving a
    run's spans again (DELETE, then INSERT), gives it a new rowid, higher.
    A row not found at its rowid is looked for by its key before it counts
    as gone, and a span updated by a row of its own counts once (`held`)."""

    def __init__(self, table: str, key: str | None, counted: bool = True) -> None:
        self.table = table
        #: The column naming what a row holds (a span id): a row not at its
        #: rowid is looked for by it. None: the row must be at its rowid.
        self.key = key
        #: Whether `held` says what the table must count (not of a read that
        #: takes some rows only).
        self.counted = counted
        #: (rowid, key cell) of the first and last rows read.
        self.first: tuple[int, Any] | None = None
        self.last: tuple[int, Any] | None = None
        #: The least rows the table must hold: the spans (or rows) read
        #: from it, each once; kept by the decoder.
        self.held = 0

    def see(self, rows: list[tuple], key_index: int | None) -> None:
        """A batch read, in rowid order (rowid first; its key cell at
        `key_index`)."""
        if not rows:
            return
        def mark(row: tuple) -> tuple[int, Any]:
            return row[0], (row[key_index] if key_index is not None else None)
        if self.first is None:
            self.first = mark(rows[0])
        self.last = mark(rows[-1])

    def gone(self, conn: sqlite3.Connection, schema: dict[str, list[str]], count: bool) -> bool:
        """The database no longer holds what was read: the table is not
        there, its first or last row read is gone, or (`count`) it holds
        fewer rows than spans were read from it. Raises sqlite3.Error."""
        if self.first is None:
            return False  # nothing read: nothing to lose
        if self.table not in schema:
            return True
        table = quote_ident(self.table)
        cell = quote_ident(self.key) if self.key is not None else "NULL"
        for which in ("first", "last"):
            rowid, key = getattr(self, which)
            row = conn.execute(f"SELECT {cell} FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
            if row is not None and row[0] == key:
                continue
            moved = None if self.key is None or key is None else conn.execute(
                f"SELECT rowid FROM {table} WHERE {cell} = ? ORDER BY rowid DESC LIMIT 1", (key,)).fetchone()
            if moved is None or moved[0] < rowid:
                # Gone; or renumbered, as VACUUM renumbers a table with no
                # INTEGER PRIMARY KEY: rows past the last read may now have
                # rowids already read past.
                return True
            setattr(self, which, (moved[0], key))  # replaced (a new rowid, higher): there now
        if count and self.counted:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] < self.held
        return False


#: The most runs a big table's read in slices takes first (`RunsFirst`):
#: a table with more runs running is read in its order.
RUNS_FIRST_MAX = 200


#: A table with fewer rows than this is not worth a thread picking its
#: runs first before the app opens (`pick_early`): a few slices of it are
#: read in a few tens of ms.
PICKED_EARLY_MIN = 20_000


@dataclass
class RunsFirst:
    """Runs a read in slices takes whole first (their rows up to `upto`,
    the table's last row as they were picked), then the rest."""

    #: SQL: a row is of one of them (`runs` its parameters).
    among: str
    runs: tuple[Any, ...]
    upto: int
    #: The last of their rows read.
    cursor: int
    #: Whether all of their rows (up to `upto`) are read.
    read: bool = False


class RunsPicker:
    """The query that picks the runs read first (`_runs_first`), run in a
    thread on a connection of its own, begun as the app opens the database
    (`pick_early`) or with the first slice: SQLite runs it without the
    GIL, beside the app's import, its first slice and its first frame.
    Run by the reader at the second slice, it held the reader 0.16-0.18 s
    of the 1M-row table's load, and the anomaly panel's first rows came at
    0.47-0.60 s (2026-12-05)."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], sql: str, params: tuple) -> None:
        #: The runs picked, once the thread ends; None if the query failed.
        self.runs: list[Any] | None = None
        #: Among the rows after `after` up to `upto` (`_picking`'s parameters).
        self.after, self.upto = params[:2]
        self._thread = threading.Thread(target=self._pick, args=(connect, sql, params),
                                        name="tracetui: runs first", daemon=True)
        self._thread.start()

    def _pick(self, connect: Callable[[], sqlite3.Connection], sql: str, params: tuple) -> None:
        try:
            conn = connect()
            try:
                self.runs = [row[0] for row in conn.execute(sql, params)]
            finally:
                conn.close()
        except (sqlite3.Error, OSError):
            self.runs = None  # the reader picks them itself

    def result(self) -> list[Any] | None:
        """The runs picked (waits for the query's end)."""
        self._thread.join()
        return self.runs


class OpenRows(dict):
    """rowid → (run id, span id) of the spans still open, whose rows are
    read again on every change: one row a span, the last read of it.

    A table written append-only has a row as a span starts and another as
    it ends, and Flujo saves a run's spans again as new rows: the row
    before is read no more once a later one is (else the start row, read
    again on the next change, said the ended span ran)."""

    def __init__(self) -> None:
        super().__init__()
        #: The other way: (run id, span id) → its rowid here.
        self._rowid_of: dict[tuple[str, str], int] = {}

    def hold(self, rowid: int, span: tuple[str, str]) -> None:
        """An open span's row, read again on every change (in place of
        the span's row held before)."""
        before = self._rowid_of.get(span)
        if before is not None and before != rowid:
            self.pop(before, None)
        self[rowid] = span
        self._rowid_of[span] = rowid

    def let_go(self, span: tuple[str, str]) -> None:
        """A span ended (said by any row of it): its row is read no more."""
        rowid = self._rowid_of.pop(span, None)
        if rowid is not None:
            self.pop(rowid, None)

    def forget_runs(self, runs: set[str]) -> None:
        """Runs dropped: their spans' rows are read no more."""
        for span in [span for span in self._rowid_of if span[0] in runs]:
            self.let_go(span)


def detach(run: Run, span: Span) -> None:
    """Take a span out of its run's tree (its children go with it)."""
    if span.parent is not None:
        if span.parent.children and span in span.parent.children:
            span.parent.children.remove(span)
        span.parent = None
    elif span in run.roots:
        run.roots.remove(span)


# -- the generic decoder ---------------------------------------------------------

#: The cells `plain_rows` reads, in its order (`_tablerows.h`): a table
#: with a column of another role (content, an error) is read in Python.
PLAIN_CELLS = ("id", "parent", "run", "name", "start", "end", "status", "kind", "duration", "attributes")

#: Role → column names it may have, most specific first.
ROLES: dict[str, tuple[str, ...]] = {
    "id": ("span_id", "spanid", "span_uuid", "id", "uuid"),
    "parent": ("parent_span_id", "parent_id", "parentid", "parent_span", "parent_uuid", "parent"),
    "run": ("trace_id", "traceid", "run_id", "runid", "session_id", "conversation_id", "thread_id", "job_id"),
    "name": ("name", "span_name", "operation_name", "operation", "step_name", "title", "action"),
    "start": ("start_time", "start_timestamp", "started_at", "start_ts", "start", "begin_time",
              "start_time_unix_nano", "start_time_ms", "start_ms", "timestamp", "ts", "time"),
    "end": ("end_time", "end_timestamp", "ended_at", "end_ts", "end", "finish_time", "finished_at",
            "completed_at", "end_time_unix_nano", "end_time_ms", "end_ms"),
    "duration": ("duration", "duration_s", "duration_ms", "duration_us", "duration_ns", "latency",
                 "latency_s", "latency_ms", "elapsed", "elapsed_ms"),
    "status": ("status", "status_code", "state", "outcome", "result_status"),
    "kind": ("kind", "span_kind", "span_type", "type", "category", "cat"),
    "input": ("input", "inputs", "prompt", "request", "input_value"),
    "output": ("output", "outputs", "response", "completion", "result", "output_value"),
    "error": ("error", "error_message", "exception", "err", "status_message", "feedback"),
    "attributes": ("attributes", "metadata", "attrs", "tags", "extra", "properties", "meta", "data"),
}
#: Columns known to carry nothing a span needs (not reported as "not understood").
IGNORED = {"created_at", "updated_at", "inserted_at", "rowid"}


def map_columns(columns: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for role, candidates in ROLES.items():
        for name in candidates:
            col = find_column([c for c in columns if c not in taken], name)
            if col is not None:
                mapping[role] = col
                taken.add(col)
                break
    return mapping


def spans_table(schema: dict[str, list[str]]) -> tuple[str, dict[str, str]] | None:
    """The table that looks most like a spans table, and its column mapping."""
    best: tuple[int, str, dict[str, str]] | None = None
    for table, columns in schema.items():
        mapping = map_columns(columns)
        if not {"id", "name"} <= mapping.keys():
            continue
        if "start" not in mapping and "end" not in mapping:
            continue
        if "parent" not in mapping and "span" not in table.lower():
            continue
        score = len(mapping) + (5 if "span" in table.lower() else 0) + (3 if "parent" in mapping else 0)
        if best is None or score > best[0]:
            best = (score, table, mapping)
    return None if best is None else (best[1], best[2])


def sniff(schema: dict[str, list[str]], conn: sqlite3.Connection) -> bool:
    return spans_table(schema) is not None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


class GenericSpansDecoder:
    """Any table with span id / parent / name / start / end-ish columns."""

    format = "sqlite"

    def __init__(self, store: Store, path: str, schema: dict[str, list[str]], **options: Any) -> None:
        self.store = store
        self.path = path
        self.notes: list[str] = []
        self.skipped = 0
        self.first_bad_line: int | None = None
        self.records = 0
        found = spans_table(schema)
        assert found is not None
        self.table, self.mapping = found
        #: The table an integer locator in `Span.origin` names.
        self.row_table = self.table
        self.columns = schema[self.table]
        self._roles = list(self.mapping)
        #: Where each role's cell is in a row read (`SELECT rowid, <roles>`):
        #: -1 for a role with no column, which reads the None `_row` puts
        #: at a row's end (a dict of each row's cells cost a third of a 1M-row read).
        self._cells = tuple(1 + self._roles.index(role) if role in self.mapping else -1 for role in ROLES)
        self.default_run = os.path.splitext(os.path.basename(path))[0]
        #: `FullSpan` where the table has input, output or error columns;
        #: else `Span`, 32 bytes less a span (the rare orphan in an extra).
        self._span_type = FullSpan if {"input", "output", "error"} & set(self.mapping) else Span
        self._names = SharedStrings()
        #: Attribute values, one copy of each (`share_values`): apart from
        #: the names, so that a table of many values leaves names room.
        self._values = SharedStrings()
        #: C for the plain rows (`plain_rows`, `_tablerows.h`), of a table
        #: it reads every column of (and where built); else None.
        self._plain_rows = _c_set_up.FAST_TABLE_ROWS if set(self.mapping) <= set(PLAIN_CELLS) and \
            {"id", "start", "end"} <= set(self.mapping) else None
        understood = set(self.mapping.values()) | {c for c in self.columns if c.lower() in IGNORED}
        self.unmapped = [c for c in self.columns if c not in understood]
        mapped = ", ".join(f"{role}←{col}" for role, col in self.mapping.items())
        note = f"{path}: generic spans table '{self.table}': mapped {mapped}"
        if self.unmapped:
            note += f"; not understood: {', '.join(self.unmapped)}"
        if "run" not in self.mapping:
            note += f"; no trace/run column, so one run '{self.default_run}'"
        self.notes.append(note)
        self._init_state()

    @staticmethod
    def dump_tables(schema: dict[str, list[str]]) -> list[str]:
        found = spans_table(schema)
        return [found[0]] if found else []

    def _init_state(self) -> None:
        self.last_rowid = 0
        #: The last `read` stopped at its `max_rows` with rows left: the next
        #: goes on from `last_rowid`. `end_rowid`: the table's last rowid
        #: when that read began, for `progress`.
        self.more = False
        self.end_rowid = 0
        #: Where a read in slices began (`last_rowid` then), and the rows it
        #: has taken since, for `progress`.
        self._slices_from = 0
        self._slices_taken = 0
        #: The runs a read in slices takes whole before the rest of the
        #: table (`_runs_first`); None when there are none (or not yet
        #: looked for: `_first_looked`).
        self._first: RunsFirst | None = None
        self._first_looked = False
        #: The runs read first are whole since the reader last looked
        #: (it clears this): the reader shows them at once.
        self.runs_first_whole = False
        #: The runs-first query at work in a thread (`RunsPicker`), when the
        #: reader gave a way to connect.
        self._picker: RunsPicker | None = None
        #: The rows read of the span table, to tell they are still there.
        self.rows_read = RowsRead(self.table, self.mapping["id"])
        self.linker = Linker()
        self.open_rows = OpenRows()
        self.unknown_status: set[str] = set()
        self.run_ids: set[str] = set()
        #: The run of the last row (rows of a run mostly come together).
        self._last_run_id: str | None = None
        self._last_run: Run | None = None
        #: Runs changed by the rows of the batch being read.
        self._touched: set[str] = set()
        #: Runs last said live by `see_writer`.
        self._live_runs: set[str] = set()
        #: The plain rows' attributes held as their JSON texts, where that
        #: takes less memory than their dicts (`_attrtext.h`: 213 → ~55 B a
        #: span of `bench_sqlite.py --attributes`' table); None: as dicts.
        #: Anew with each reset, so that the texts of the spans it dropped
        #: go with them (and the plain rows' context that holds it).
        self._texts = None if _c_set_up.ATTRIBUTE_TEXTS is None else _c_set_up.ATTRIBUTE_TEXTS(orjson.loads)
        #: `plain_rows`' context, for the run it was made for (`_context_for`).
        self._plain_context: tuple | None = None

    def reset(self) -> None:
        self.store.drop_runs(self.run_ids)
        self.records = self.skipped = 0
        self.first_bad_line = None
        self._init_state()

    def gone(self, conn: sqlite3.Connection, schema: dict[str, list[str]], count: bool) -> bool:
        """The database no longer holds the rows read (`RowsRead.gone`)."""
        return self.rows_read.gone(conn, schema, count)

    def _touch_runs(self) -> None:
        """Tell the store which runs the batch changed (once per run, not per row)."""
        for run_id in self._touched:
            self.store.touch(run_id)
        self._touched.clear()
        self._last_run_id = None  # the next row's run is touched again

    def see_writer(self, live: bool, written_at: float | None, seen: bool = False) -> bool:
        """Say what the source knows of its writer on the runs it may be
        writing, those with running spans (as Flujo's running runs): `live`
        (written lately, or held open for writing) and `written_at`, its
        last write seen, which their ages run to (`clock.as_of`), or to now
        while the writer is `seen`: a process here holds the database open
        for writing (`Run.writer_seen`; an open `-wal` alone does not say
        so, as tracetui's own connection keeps it when the writer closes).
        A hung span's age stayed at its last write's, the database "ended"
        30 s later, while its writer ran (QA). True, and the runs touched,
        if a run's liveness changed."""
        running = {run_id for run_id, _ in self.open_rows.values()} if live else set()
        changed = False
        for run_id in running | self._live_runs:
            run = self.store.runs.get(run_id)
            if run is None:
                continue
            run_live = run_id in running
            if run_live:
                run.last_write = written_at
            run_seen = run_live and seen
            if run_seen:
                run.writer_verified = time.monotonic()  # its writer at work at this look
            if run.live != run_live or run.writer_seen != run_seen:
                run.live, run.writer_seen = run_live, run_seen
                self.store.touch(run_id)
                changed = True
        self._live_runs = running
        return changed

    @property
    def progress(self) -> float:
        """How far a read in slices has got through the table, 0..1."""
        if not self.more or self.end_rowid <= 0:
            return 1.0
        return min(1.0, (self._slices_from + self._slices_taken) / self.end_rowid)

    def read(self, conn: sqlite3.Connection, schema: dict[str, list[str]], max_rows: int | None = None,
             connect: Callable[[], sqlite3.Connection] | None = None, fetcher: Any = None) -> bool:
        """Read the rows new since the last read (and those of spans still
        open, again); at most `max_rows` new ones (the app reads a big
        table a slice per poll, so its first runs are shown at once, not
        when all of it is read: 17 s for 1M rows): `more` says it stopped
        with rows left, which the next read goes on from. `connect` opens
        another connection to the database `conn` reads, for the runs-first
        query (`RunsPicker`); without it, that query runs in the read.
        `fetcher`: SQLite's own fetcher of rows on that database (`batches`)."""
        if self.table not in schema:
            return False
        select = f"SELECT rowid, {column_list([self.mapping[r] for r in self._roles])} FROM " \
                 f"{quote_ident(self.table)}"
        changed = False
        resume, self.more = self.more, False
        if not resume and max_rows is not None:
            self.end_rowid = self._top_rowid(conn)
            self._slices_from, self._slices_taken = self.last_rowid, 0
            if connect is not None and self.end_rowid - self.last_rowid > max_rows:
                self.pick_runs_first(connect, self.end_rowid)
        # The open spans' rows were read in the slice before, just now.
        if self.open_rows and not resume:
            ids = list(self.open_rows)
            for i in range(0, len(ids), IN_CHUNK):
                chunk = ids[i:i + IN_CHUNK]
                rows = conn.execute(f"{select} WHERE rowid IN ({','.join('?' * len(chunk))})",
                                    chunk).fetchall()
                with self.store.lock:
                    for row in rows:
                        self._row(row, update=True)
                    self._touch_runs()
                changed = changed or bool(rows)
        size = BATCH if max_rows is None else min(BATCH, max_rows)
        if resume and not self._first_looked:  # a big table's second slice
            self._first_looked = True
            picker, self._picker = self._picker, None
            # (none, or begun before rows were read or written since, or failed: picked here)
            runs = picker.result() if picker is not None and (picker.after, picker.upto) == (
                self._slices_from, self.end_rowid) else None
            self._first = self._runs_first(conn) if runs is None else self._runs_picked(runs, self.end_rowid)
        first = self._first
        taken = 0
        if first is not None and not first.read:
            # The runs first, whole: their rows up to the table's end as
            # the read began, past the first slice, in order.
            for rows in batches(conn, f"{select} WHERE rowid > ? AND rowid <= ? AND {first.among} ORDER BY rowid",
                                (first.cursor, first.upto, *first.runs), size, fetcher):
                changed = True
                taken += self._take(rows)
                first.cursor = rows[-1][0]
                if max_rows is not None and taken >= max_rows:
                    self.more = True
                    break
            else:
                first.read = self.runs_first_whole = True
        where, params = "rowid > ?", (self.last_rowid,)
        if first is not None:
            if self.last_rowid < first.upto:  # the rest: past the rows the runs first had
                where += f" AND NOT (rowid <= ? AND {first.among})"
                params += (first.upto, *first.runs)
            else:
                self._first = None
        for rows in () if self.more else batches(conn, f"{select} WHERE {where} ORDER BY rowid", params, size,
                                                 fetcher):
            changed = True
            taken += self._take(rows)
            self.last_rowid = rows[-1][0]
            if max_rows is not None and taken >= max_rows:
                self.more = True  # perhaps none: the next read finds out
                break
        with self.store.lock:
            self.linker.settle()
        return changed

    def _take(self, rows: list[tuple]) -> int:
        """A batch of new rows read, in rowid order: how many. C makes
        the plain ones spans (`plain_rows`), from the row after one Python
        read, which set the run: Python reads the rest."""
        plain = self._plain_rows
        with self.store.lock:
            i, n = 0, len(rows)
            while i < n:
                self._row(rows[i], update=False)
                i += 1
                if plain is not None and i < n and self._last_run_id is not None:
                    taken = plain(self._context_for(self._last_run), rows, i)
                    self.records += taken
                    self.rows_read.held += taken
                    i += taken
            self._touch_runs()
        self.rows_read.see(rows, self._cells[0])  # the id's cell
        self._slices_taken += len(rows)
        return len(rows)

    def _context_for(self, run: Run) -> tuple:
        """`plain_rows`'s context for the rows of `run`: made once a run."""
        context = self._plain_context
        if context is None or context[2] is not run or context[3] is not run.roots:  # (`settle` makes roots anew)
            cells = dict(zip(ROLES, self._cells))
            context = self._plain_context = (
                tuple(cells[role] for role in PLAIN_CELLS), run.id, run, run.roots, self._names,
                SHARED_STRINGS_MAX, _STATUS_OF_WORD, "span", EPOCH_SECONDS_MAX, self.linker.awaited,
                duration_divisor(self.mapping.get("duration", "")), orjson.loads, self._values, self._texts)
        return context

    def _top_rowid(self, conn: sqlite3.Connection) -> int:
        """The table's last rowid now (0 when empty)."""
        return conn.execute(f"SELECT max(rowid) FROM {quote_ident(self.table)}").fetchone()[0] or 0

    def pick_early(self, conn: sqlite3.Connection, schema: dict[str, list[str]],
                   connect: Callable[[], sqlite3.Connection]) -> None:
        """Begin picking the runs to read first (`pick_runs_first`) now, if
        the table is big (`PICKED_EARLY_MIN` rows): asked as the database
        opens, before the app is imported (`prescan.start_early`). Raises
        sqlite3.Error."""
        if self.table not in schema:
            return
        upto = self._top_rowid(conn)
        if upto - self.last_rowid >= PICKED_EARLY_MIN:
            self.pick_runs_first(connect, upto)

    def pick_runs_first(self, connect: Callable[[], sqlite3.Connection], upto: int) -> None:
        """Begin picking the runs to read first (`_runs_first`) in a thread
        on a connection `connect` opens, among the rows past the last read
        up to `upto` (the table's last row now), unless begun already or
        looked for. The reader may ask before its first slice: the app
        asks as the database opens, before it is imported (`prescan.start_early`)."""
        if self._first_looked or self._picker is not None and self._picker.upto == upto:
            return
        picking = self._picking(self.last_rowid, upto)
        if picking is not None:
            self._picker = RunsPicker(connect, *picking)

    def _runs_first(self, conn: sqlite3.Connection) -> RunsFirst | None:
        """The runs with spans running or cancelled in the rows not read
        yet, to read whole before the rest of a big table: those rows may
        be anywhere (a hung pipeline's are at the end), and the anomaly
        panel, which lists them, showed nothing until the whole table was
        read (5.3 s for 1M rows). None without a run column, or with more
        such runs than `RUNS_FIRST_MAX`, or none."""
        upto = self._top_rowid(conn)
        picking = self._picking(self.last_rowid, upto)
        if picking is None:
            return None
        return self._runs_picked([row[0] for row in conn.execute(*picking)], upto)

    def _picking(self, after: int, upto: int) -> tuple[str, tuple] | None:
        """The query (and its parameters) that picks the runs read first,
        among the rows past `after` up to `upto`; None without a run column.

        The rows are picked as most tables write them (a status word in
        lower case, no end time), a guess that only orders the reading:
        each row is read as any other."""
        run_column = self.mapping.get("run")
        if run_column is None:
            return None
        unended = [f"{quote_ident(self.mapping[role])} IS NULL" for role in ("end", "duration") if role in self.mapping]
        status = self.mapping.get("status")
        if status is None:
            picked, params = " AND ".join(unended) or "1", ()
        else:
            stopped = [w for which in (RUNNING, CANCELLED) for w in STATUS_WORDS[which]]
            others = [word for word, which in _STATUS_OF_WORD.items() if which not in (RUNNING, CANCELLED)]
            column = quote_ident(status)
            unsaid = f"({column} IS NULL OR {column} NOT IN ({', '.join('?' * len(others))}))"
            picked = f"{column} IN ({', '.join('?' * len(stopped))}) OR " + " AND ".join([*unended, unsaid])
            params = (*stopped, *others)
        return (f"SELECT DISTINCT {quote_ident(run_column)} FROM {quote_ident(self.table)} "
                f"WHERE rowid > ? AND rowid <= ? AND {quote_ident(run_column)} IS NOT NULL AND ({picked}) LIMIT ?",
                (after, upto, *params, RUNS_FIRST_MAX + 1))

    def _runs_picked(self, runs: list[Any], upto: int) -> RunsFirst | None:
        """The runs to read first, from those the query picked among the
        rows up to `upto`: None if none, or too many."""
        if not runs or len(runs) > RUNS_FIRST_MAX:
            return None
        return RunsFirst(f"{quote_ident(self.mapping['run'])} IN ({', '.join('?' * len(runs))})", tuple(runs),
                         upto, self.last_rowid)

    def _row(self, row: tuple, update: bool) -> None:
        rowid = row[0]
        row += (None,)  # what a role with no column reads (`_cells`)
        (i_id, i_parent, i_run, i_name, i_start, i_end, i_duration, i_status, i_kind, i_input, i_output,
         i_error, i_attributes) = self._cells
        # Text cells are mostly str already: `_text` only for the others.
        span_id = row[i_id]
        if type(span_id) is not str:
            span_id = _text(span_id)
            if span_id is None:
                self.skipped += 1
                return
        if not update:
            self.records += 1
        run_id = row[i_run]
        run_id = (run_id if type(run_id) is str else _text(run_id)) or self.default_run
        if run_id == self._last_run_id:  # rows of a run mostly come together: touched already
            run = self._last_run
        else:
            run = self._last_run = self.store.run(run_id, self.path, self.format)
            self._last_run_id = run_id
            self._touched.add(run_id)
            if run_id not in self.run_ids:
                self.run_ids.add(run_id)
                run.attributes["columns"] = {"table": self.table, "mapped": dict(self.mapping),
                                             "not_understood": list(self.unmapped)}
        name = row[i_name]
        if type(name) is not str:
            name = _text(name)
        name = (self._names.get(name) or self._names.share(name)) if name else span_id
        if i_kind < 0:
            kind = "span"
        else:
            kind = row[i_kind]
            kind = (kind if type(kind) is str else _text(kind)) or "span"
        # `to_seconds` only for a cell other than epoch seconds (REAL).
        start = row[i_start]
        if type(start) is not float or not -EPOCH_SECONDS_MAX <= start <= EPOCH_SECONDS_MAX:
            start = to_seconds(start)
        end = row[i_end]
        if type(end) is not float or not -EPOCH_SECONDS_MAX <= end <= EPOCH_SECONDS_MAX:
            end = to_seconds(end)
        duration = duration_seconds(row[i_duration], self.mapping["duration"]) if i_duration >= 0 else None
        if duration is None and start is not None and end is not None:
            duration = end - start
        if start is None and end is not None and duration is not None:
            start = end - duration
        ended = end is not None or duration is not None
        if duration is not None and duration < 0:
            duration = None  # (ended all the same)
        span = run.spans.get(span_id)
        new = span is None
        if new:
            span = run.spans[span_id] = self._span_type(span_id, run, name, kind, start)
            self.rows_read.held += 1
        else:
            span.name, span.kind, span.start = name, kind, start
        span.duration = duration
        raw_status = row[i_status]
        # A status word as most tables write it, looked up as it is (the
        # words are lower case): else read as `map_status` reads any cell.
        status = _STATUS_OF_WORD.get(raw_status) if type(raw_status) is str else None
        if status is None:
            status, understood = map_status(json_cell(raw_status), ended)
            if not understood and raw_status is not None:
                word = str(raw_status)[:40]
                if word not in self.unknown_status:
                    self.unknown_status.add(word)
                    self.notes.append(f"{self.path}: status '{word}' not understood; shown as {status}")
        # The cells of roles with no column are never set: None, as made.
        if i_attributes >= 0:
            cell = row[i_attributes]
            attrs = json_cell(cell)
            attrs = share_values(attrs, self._values) if isinstance(attrs, dict) else \
                ({"value": attrs} if attrs is not None else None)
            # As its text if that takes less, as C holds plain rows' (an
            # open span's row read again holds the text it held: nothing
            # is written twice), else as the dict.
            if not (self._texts is not None and type(attrs) is dict and type(cell) is str
                    and self._texts.hold(span, cell, self._values)):
                span.attributes = attrs
        if i_input >= 0:
            span.input = json_cell(row[i_input])
        if i_output >= 0:
            span.output = json_cell(row[i_output])
        if i_error >= 0:
            err = json_cell(row[i_error])
            if err not in (None, ""):
                span.error = err if isinstance(err, dict) else {"message": str(err)}
                if status == OK and i_status < 0:
                    status = ERROR
            else:
                span.error = None
        span.status = status
        span.origin = origin_of(rowid)
        if new:
            parent = row[i_parent]
            self.linker.attach(run, span, parent if type(parent) is str else _text(parent))
        if status == RUNNING:
            self.open_rows.hold(rowid, (run_id, span_id))
        elif not new:
            self.open_rows.let_go((run_id, span_id))
        if not new or status in BUCKET_OF_STATUS:  # (a new span in no bucket changes none)
            run.anomalies.place(span, fresh=new)
        run.see_time(start)
        if start is not None and duration is not None:
            run.see_time(start + duration)  # its end

SQLITE_FORMATS = [SQLiteFormat("sqlite", sniff, GenericSpansDecoder)]
