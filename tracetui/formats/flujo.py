"""Flujo's SQLite state store (`flujo_ops.db`): runs, their true status, and span trees.

What `flujo lens` gets wrong and this gets right:
- Span times are usually `time.monotonic()` seconds (epoch only from the
  OpenTelemetry hook; told apart by size, epoch > 1e9). Durations (end − start)
  are right either way; wall times are not, so a monotonic run's spans are
  shifted so its earliest span starts at `runs.created_at`, and the run says
  so in `attributes["clock"]`.
- `runs.status` says "completed" for paused and cancelled runs;
  `workflow_state.status` is the truth. Both are kept in the run's
  attributes, the discrepancy is spelled out, and the truth wins.

Status mapping: completed→ok, failed→error, running→running,
cancelled→cancelled, timeout→timeout, paused→paused (`model.PAUSED`), of
runs (`status_override`) and spans. A paused run's spans Flujo left open
(its root says `paused`, the `human_in_the_loop` step still `running`) are
paused with it: they wait for a human, nothing runs them, so they are in no
anomaly bucket (listed as running, they read as hung; QA). A step Flujo
stopped at its `timeout_s` is recorded `failed`; its feedback says why
(`TIMED_OUT`): shown as a timeout. Where the status shown is not Flujo's
word, that is kept in the span's attributes (`flujo.status`).

Its writer: Flujo holds the database open for writing while it runs a
pipeline, and a run killed (SIGKILL) stays `running` in it, its `-wal`
left behind. So a run is live only while a process here holds the
database open for writing (`sources.writers`; the `-wal` test only where
that cannot be told): then its ages run to now; once that process is gone
they stop, as lower bounds (`clock.as_of`). A running run has no spans
(Flujo inserts them when it ends): a made-up node stands for it
(`_settle_stand_in`), so the tree, the anomaly panel and `tracetui
anomalies` show it running (a killed run was in none of them; QA).

Runs are re-read whole on every change (Flujo updates `runs.status` and
`end_time` in place; the table is small); spans are read by rowid (they are
inserted when a run ends), and spans still open are re-read on each change.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from inspect import getattr_static
from typing import Any

from tracetui.clock import written_before
from tracetui.formats.sqlite_generic import (
    IN_CHUNK, Linker, OpenRows, RowsRead, SharedStrings, SQLiteFormat, batches, column_list, detach, find_column,
    iso_to_epoch, json_cell,
)
from tracetui.model import (
    BUCKETS, CANCELLED, ERROR, OK, PAUSED, RUNNING, STAND_IN_KIND, STAND_IN_NAME, TIMEOUT, FullSpan, Run, Span,
    origin_of,
)
from tracetui.sources.writers import database_writer, writer_since
from tracetui.store import Store

FORMAT = "flujo"
#: Epoch seconds are above this; smaller start times are monotonic.
EPOCH_MIN = 1e9
RUN_STATUS = {"completed": OK, "succeeded": OK, "success": OK, "ok": OK, "failed": ERROR,
              "error": ERROR, "running": RUNNING, "pending": RUNNING, "cancelled": CANCELLED,
              "canceled": CANCELLED, "timeout": TIMEOUT, "timed_out": TIMEOUT, "paused": PAUSED}
SPAN_STATUS = {"completed": OK, "succeeded": OK, "success": OK, "ok": OK, "failed": ERROR,
               "error": ERROR, "running": RUNNING, "paused": PAUSED, "cancelled": CANCELLED,
               "canceled": CANCELLED, "timeout": TIMEOUT, "timed_out": TIMEOUT}
#: Flujo's own span statuses, shown as it says them: any other is kept in
#: the span's attributes (`flujo.status`), as is one shown otherwise.
PLAIN_STATUSES = ("completed", "failed", "running")
#: What a `failed` step's feedback says when Flujo stopped it at its
#: `timeout_s`: `Agent execution failed with TimeoutError: ` (its step
#: runner's asyncio.wait_for), or its agent wrapper's `Agent timed out
#: after 3 attempts`. Flujo records no other sign of it (QA: `slow_report`,
#: `timeout_s=0.3` on a 2 s step, read `error`).
TIMED_OUT = re.compile(r"\bfailed with (?:\w+\.)*TimeoutError\b|\bAgent timed out\b")
#: What the stand-in says of its run, its writer at work, or not.
STAND_IN_RUNNING = "running; Flujo records its spans when it ends"
STAND_IN_GONE = "never finished: its writer is gone (killed?)"
RUN_COLUMNS = ("run_id", "pipeline_name", "status", "created_at", "updated_at", "end_time",
               "execution_time_ms", "error_message", "total_steps", "pipeline_id",
               "pipeline_version", "total_cost", "memory_usage_mb")
SPAN_COLUMNS = ("run_id", "span_id", "parent_span_id", "name", "start_time", "end_time",
                "status", "attributes", "created_at")
STATE_COLUMNS = ("run_id", "status", "current_step_index", "error_message", "updated_at")


def sniff(schema: dict[str, list[str]], conn: sqlite3.Connection) -> bool:
    runs = {c.lower() for c in schema.get("runs", ())}
    spans = {c.lower() for c in schema.get("spans", ())}
    return ({"run_id", "pipeline_name", "status", "created_at"} <= runs
            and {"run_id", "span_id", "parent_span_id", "name", "start_time"} <= spans)


def timed_out(attrs: dict[str, Any]) -> bool:
    """Does a failed step's feedback say Flujo stopped it at its timeout
    (`TIMED_OUT`)?"""
    feedback = attrs.get("feedback")
    return isinstance(feedback, str) and TIMED_OUT.search(feedback) is not None


def _columns(schema: dict[str, list[str]], table: str, wanted: tuple[str, ...]) -> list[str | None]:
    present = schema.get(table, [])
    return [find_column(present, name) for name in wanted]


class _RunClock:
    """How one run's monotonic span times become wall times.

    Spans are placed with `applied` (the offset when they arrived); when the
    offset changes (an earlier span, or created_at, arrives) every monotonic
    span of the run is moved once, at the end of the read, not once per row.
    """

    __slots__ = ("wall0", "mono0", "applied", "epoch_ids", "updated")

    def __init__(self) -> None:
        #: runs.created_at as epoch seconds.
        self.wall0: float | None = None
        #: The earliest monotonic start seen; it is placed at wall0.
        self.mono0: float | None = None
        #: The offset the run's monotonic spans currently carry.
        self.applied = 0.0
        #: Spans whose start is epoch (OpenTelemetry hook): never shifted.
        self.epoch_ids: set[str] = set()
        #: The run's last update (runs or workflow_state `updated_at`, as
        #: epoch seconds) while it runs: all that says how long a killed
        #: run ran (`_apply_run`).
        self.updated: float | None = None

    def offset(self) -> float:
        if self.wall0 is None or self.mono0 is None:
            return 0.0
        return self.wall0 - self.mono0


#: The slot's own descriptor (on `Span`'s base), which `FlujoSpan`'s
#: property stands in front of.
_SLOT_ATTRIBUTES = getattr_static(Span, "attributes")
_SLOT_INPUT = FullSpan.__dict__["input"]
_SLOT_OUTPUT = FullSpan.__dict__["output"]


class FlujoSpan(FullSpan):
    """A span that keeps its attributes as the row's JSON text and parses
    them when a view asks: a million spans' attribute dicts would cost more
    memory than everything else together."""

    __slots__ = ("attributes_json",)

    def __init__(self, id: str, run: Run) -> None:
        self.attributes_json: str | None = None
        super().__init__(id, run)

    def _parsed(self) -> dict[str, Any] | None:
        value = _SLOT_ATTRIBUTES.__get__(self, Span)
        if value is None and self.attributes_json is not None:
            value = parse_attributes(self.attributes_json) or None
            _SLOT_ATTRIBUTES.__set__(self, value)
            self.attributes_json = None
        return value

    def _set_attributes(self, value: Any) -> None:
        _SLOT_ATTRIBUTES.__set__(self, value)

    def _get_input(self) -> Any:
        value = _SLOT_INPUT.__get__(self, FullSpan)
        if value is None:
            attrs = self._parsed() or {}
            value = attrs.get("flujo.input", attrs.get("step_input"))
        return value

    def _get_output(self) -> Any:
        value = _SLOT_OUTPUT.__get__(self, FullSpan)
        if value is None:
            attrs = self._parsed() or {}
            for key in ("flujo.output", "output", "step_output"):
                if key in attrs:
                    return attrs[key]
        return value

    attributes = property(_parsed, _set_attributes)
    input = property(_get_input, lambda self, v: _SLOT_INPUT.__set__(self, v))
    output = property(_get_output, lambda self, v: _SLOT_OUTPUT.__set__(self, v))


def parse_attributes(text: Any) -> dict[str, Any]:
    attrs = json_cell(text)
    if isinstance(attrs, dict):
        return attrs
    return {} if attrs is None else {"attributes": attrs}


class FlujoDecoder:
    format = FORMAT
    #: The table an integer locator in `Span.origin` names.
    row_table = "spans"

    def __init__(self, store: Store, path: str, schema: dict[str, list[str]], **options: Any) -> None:
        self.store = store
        self.path = path
        self.notes: list[str] = []
        self.skipped = 0
        self.first_bad_line: int | None = None
        self.records = 0
        #: True while its writer is at work: a process here holds the
        #: database open for writing (`database_writer`), or, where that
        #: cannot be told, a `-wal` is beside it. Looked at by
        #: `check_writer`, which the source calls after every change and
        #: every `LIVENESS_INTERVAL`: a killed writer changes nothing.
        self.live = False
        #: What `database_writer` last said (None: cannot tell): the
        #: source's `● live`, as its runs say it.
        self.writer_alive: bool | None = None
        #: When the process found writing it started (`writers.writer_since`).
        self.writer_since: float | None = None
        self._looked = False
        self._init_state()

    @staticmethod
    def dump_tables(schema: dict[str, list[str]]) -> list[str]:
        return [t for t in ("runs", "spans", "workflow_state") if t in schema]

    def _init_state(self) -> None:
        self.last_span_rowid = 0
        #: The span rows read, to tell they are still there (`gone`).
        self.spans_read = RowsRead("spans", "span_id")
        self.linker = Linker()
        self.clocks: dict[str, _RunClock] = {}
        #: run id → the (runs row, workflow_state row) last applied.
        self.run_rows: dict[str, tuple] = {}
        #: The rows of spans still open (or paused), read again on every change.
        self.open_rows = OpenRows()
        self.run_ids: set[str] = set()
        #: Runs changed during this read (touched once at its end, not per row).
        self._touched: set[Run] = set()
        #: Runs whose monotonic offset changed during this read.
        self._unaligned: set[Run] = set()
        #: Runs whose row was applied during this read (`_settle_stand_in`).
        self._restated: set[Run] = set()
        #: Run id → the node standing for it while it has no spans.
        self.stand_ins: dict[str, Span] = {}
        self._strings = SharedStrings()

    def reset(self) -> None:
        self.store.drop_runs(self.run_ids)
        self.records = self.skipped = 0
        self._init_state()

    def gone(self, conn: sqlite3.Connection, schema: dict[str, list[str]], count: bool) -> bool:
        """The database no longer holds the spans read, or has no runs table
        (deleted runs are dropped as the runs table is read)."""
        return (bool(self.run_ids) and "runs" not in schema) or self.spans_read.gone(conn, schema, count)

    # -- reading --------------------------------------------------------------

    def read(self, conn: sqlite3.Connection, schema: dict[str, list[str]]) -> bool:
        if not self._looked:  # its runs are live as they are first read
            self.live = self._look_for_writer()
        changed = self._read_runs(conn, schema)
        span_cols = _columns(schema, "spans", SPAN_COLUMNS)
        select = f"SELECT rowid, {column_list(span_cols)} FROM spans"
        if self.open_rows:
            ids = list(self.open_rows)
            for i in range(0, len(ids), IN_CHUNK):
                chunk = ids[i:i + IN_CHUNK]
                rows = conn.execute(f"{select} WHERE rowid IN ({','.join('?' * len(chunk))})",
                                    chunk).fetchall()
                with self.store.lock:
                    for row in rows:
                        self._span_row(row)
                changed = changed or bool(rows)
        for rows in batches(conn, f"{select} WHERE rowid > ? ORDER BY rowid", (self.last_span_rowid,)):
            with self.store.lock:
                for row in rows:
                    self.records += 1
                    self._span_row(row)
                self.last_span_rowid = rows[-1][0]
            self.spans_read.see(rows, 2)  # rowid, run_id, span_id
            changed = True
        with self.store.lock:
            for run in self._restated:
                self._settle_stand_in(run)
            self._restated.clear()
            self._align()
            self.linker.settle()
            for run in self._touched:
                if run.span_count():
                    run.attributes.pop("duration", None)  # the spans give the real window
                self.store.touch(run.id)
            self._touched.clear()
        return changed

    # -- its writer -------------------------------------------------------------

    def _look_for_writer(self) -> bool:
        """Is its writer at work (`live`)? Sets `writer_alive`."""
        self._looked = True
        self.writer_alive = database_writer(self.path)
        self.writer_since = writer_since(self.path) if self.writer_alive else None
        if self.writer_alive is not None:
            return self.writer_alive
        return os.path.exists(self.path + "-wal")  # cannot tell: a writer may have it open

    def check_writer(self) -> bool:
        """Look for its writer again (the source calls this after every
        change and every `LIVENESS_INTERVAL`; it takes the store's lock
        itself, not while `/proc` is scanned). A killed Flujo writes
        nothing more and leaves its `-wal`: its running runs read `● live`
        for ever, their ages ticking (QA). True, and those runs touched,
        if their liveness changed."""
        live = self._look_for_writer()
        if live == self.live:
            if live:
                now = time.monotonic()
                for run in map(self.store.runs.get, self.run_ids):
                    if run is not None and run.writer_seen:
                        run.writer_verified = now  # its writer at work at this look
            return False
        changed = False
        with self.store.lock:
            self.live = live
            for run_id in self.run_ids:
                run = self.store.runs.get(run_id)
                if run is not None and self._see_liveness(run):
                    self.store.touch(run_id)
                    changed = True
        return changed

    def _see_liveness(self, run: Run) -> bool:
        """A running run is live while its writer is at work, and its
        writer then seen (`Run.writer_seen`): its ages run to now, and once
        it is gone stop where it was last seen (`clock.as_of`), as lower
        bounds. True if that changed."""
        clock = self.clocks.get(run.id)
        live = (run.status_override == RUNNING and self.live
                and not written_before(clock.updated if clock is not None else None, self.writer_since))
        if run.live == live and run.writer_seen == live:
            return False
        run.live = run.writer_seen = live
        if live:
            run.writer_verified = time.monotonic()
        stand_in = self.stand_ins.get(run.id)
        if stand_in is not None:
            stand_in.detail = STAND_IN_RUNNING if live else STAND_IN_GONE
        return True

    # -- the stand-in of a run with no spans ----------------------------------------

    def _settle_stand_in(self, run: Run) -> None:
        """A run Flujo says is running has no spans (Flujo inserts them when
        the run ends): a made-up root node (`Span.synthetic`) stands for it
        from `runs.created_at`, running, so the tree, the anomaly panel and
        `tracetui anomalies` show it (a killed run was in none of them,
        its run listed `running` for ever with nothing under it; QA).
        Gone once the run has spans or is not running."""
        stand_in = self.stand_ins.get(run.id)
        wanted = run.status_override == RUNNING and not run.span_count()
        if stand_in is not None and not wanted:
            self._drop_stand_in(run)
        elif stand_in is None and wanted:
            self._add_stand_in(run)
        elif stand_in is not None:
            stand_in.attributes = self._stand_in_attributes(run)

    def _add_stand_in(self, run: Run) -> None:
        clock = self.clocks[run.id]
        span = FullSpan(run.id, run, STAND_IN_NAME, STAND_IN_KIND, clock.wall0)
        span.synthetic = True
        span.detail = STAND_IN_RUNNING if run.live else STAND_IN_GONE
        span.attributes = self._stand_in_attributes(run)
        origin = run.attributes.get("origin")
        span.origin = (origin,) if origin else ()  # its runs row
        self.stand_ins[run.id] = span
        run.spans[span.id] = span
        run.roots.append(span)
        run.synthetic_spans += 1
        clock.epoch_ids.add(span.id)  # a wall time: never shifted
        run.anomalies.place(span, fresh=True)
        self._touched.add(run)

    @staticmethod
    def _stand_in_attributes(run: Run) -> dict[str, Any]:
        attrs = {"note": "made up by tracetui, standing for the run: Flujo records its spans when it ends"}
        for key in ("current_step_index", "workflow_state.status", "runs.status", "updated_at"):
            if run.attributes.get(key) is not None:
                attrs[key] = run.attributes[key]
        return attrs

    def _drop_stand_in(self, run: Run) -> None:
        span = self.stand_ins.pop(run.id)
        if run.spans.get(span.id) is span:
            del run.spans[span.id]
            run.synthetic_spans -= 1
        detach(run, span)
        for name in BUCKETS:
            bucket = run.anomalies.bucket(name)
            if bucket.get(span.id) is not None and bucket[span.id].span is span:
                del bucket[span.id]
                run.anomalies.closed_version += 1
        clock = self.clocks.get(run.id)
        if clock is not None:
            clock.epoch_ids.discard(span.id)
        self._touched.add(run)

    def _read_runs(self, conn: sqlite3.Connection, schema: dict[str, list[str]]) -> bool:
        cols = _columns(schema, "runs", RUN_COLUMNS)
        rows = conn.execute(f"SELECT rowid, {column_list(cols)} FROM runs").fetchall()
        states: dict[str, tuple] = {}
        if "workflow_state" in schema:
            state_cols = _columns(schema, "workflow_state", STATE_COLUMNS)
            if state_cols[0] and state_cols[1]:
                for row in conn.execute(f"SELECT {column_list(state_cols)} FROM workflow_state"):
                    states[str(row[0])] = row
        changed = False
        seen = set()
        with self.store.lock:
            for row in rows:
                run_id = row[1]
                if run_id is None:
                    continue
                run_id = str(run_id)
                seen.add(run_id)
                key = (row, states.get(run_id))
                if self.run_rows.get(run_id) == key:
                    continue
                self.run_rows[run_id] = key
                self._apply_run(row, states.get(run_id))
                changed = True
            gone = [r for r in self.run_rows if r not in seen]
            if gone:  # deleted (flujo lens delete, retention): forget them
                for run_id in gone:
                    self.run_rows.pop(run_id, None)
                    self.stand_ins.pop(run_id, None)
                    self.clocks.pop(run_id, None)
                    self.linker.forget_run(run_id)
                    self.run_ids.discard(run_id)
                self.open_rows.forget_runs(gone)
                runs = [self.store.runs.get(run_id) for run_id in gone]
                # The spans read from rows, not a stand-in (`_settle_stand_in`).
                self.spans_read.held -= sum(run.span_count() for run in runs if run is not None)
                self.store.drop_runs(gone)
                changed = True
        return changed

    # -- runs -------------------------------------------------------------------

    def _run(self, run_id: str) -> Run:
        run = self.store.run(run_id, self.path, FORMAT)
        if run_id not in self.run_ids:
            self.run_ids.add(run_id)
            self.clocks[run_id] = _RunClock()
        return run

    def _apply_run(self, row: tuple, state: tuple | None) -> None:
        (rowid, run_id, name, status, created_at, updated_at, end_time, exec_ms, error_message,
         total_steps, pipeline_id, pipeline_version, total_cost, memory_mb) = row
        run_id = str(run_id)
        run = self._run(run_id)
        run.name = str(name) if name is not None else run_id
        attrs = run.attributes
        for key, value in (("pipeline_id", pipeline_id), ("pipeline_version", pipeline_version),
                           ("created_at", created_at), ("updated_at", updated_at),
                           ("end_time", end_time), ("execution_time_ms", exec_ms),
                           ("total_steps", total_steps), ("total_cost", total_cost),
                           ("memory_usage_mb", memory_mb), ("error_message", error_message)):
            if value is not None:
                attrs[key] = value
        attrs["origin"] = ("runs", rowid)
        runs_status = str(status) if status is not None else None
        state_status = str(state[1]) if state is not None and state[1] is not None else None
        attrs["runs.status"] = runs_status
        if state is not None:
            attrs["workflow_state.status"] = state_status
            if state[2] is not None:
                attrs["current_step_index"] = state[2]
            if state[3] and "error_message" not in attrs:
                attrs["error_message"] = state[3]
        attrs.pop("status_discrepancy", None)
        if state_status and runs_status and state_status.lower() != runs_status.lower():
            attrs["status_discrepancy"] = (f"runs.status says {runs_status}, "
                                           f"workflow_state says {state_status}")
        true_status = (state_status or runs_status or "").lower()
        run.status_override = RUN_STATUS.get(true_status, true_status or None)
        clock = self.clocks[run_id]
        wall0 = iso_to_epoch(created_at)
        if wall0 is not None and wall0 != clock.wall0:
            clock.wall0 = wall0
            if clock.offset() != clock.applied:
                self._unaligned.add(run)
            stand_in = self.stand_ins.get(run_id)
            if stand_in is not None:
                stand_in.start = wall0
                run.anomalies.place(stand_in)
        _see_start(run, wall0)
        run.see_time(iso_to_epoch(end_time))
        clock.updated = None
        if run.status_override == RUNNING:
            # Flujo updates workflow_state as each step ends: a killed
            # run's last sign of life, so its window, and its ages once its
            # writer is gone, run at least to there (not `—`; QA).
            clock.updated = _latest_time(updated_at, state[4] if state is not None else None)
            run.see_time(clock.updated)
        self._see_liveness(run)  # by its last update: a run killed before its writer started is not its
        if isinstance(exec_ms, (int, float)) and not run.span_count():
            attrs["duration"] = exec_ms / 1000.0
        elif "duration" in attrs and run.span_count():
            attrs.pop("duration")
        self._restated.add(run)
        self.store.touch(run_id)

    # -- spans ------------------------------------------------------------------

    def _span_row(self, row: tuple) -> None:
        rowid, run_id, span_id, parent_id, name, start, end, status, attributes, created_at = row
        if run_id is None or span_id is None:
            self.skipped += 1
            return
        run = self.store.runs.get(run_id) if run_id in self.run_ids else None
        if run is None:
            run_id = str(run_id)
            run = self._run(run_id)
            if run_id not in self.run_rows:
                run.attributes.setdefault("note", "no runs row for this run")
        if run.id in self.stand_ins:
            self._drop_stand_in(run)  # its own spans now: before one can take the stand-in's id
        span_id = str(span_id)
        span = run.spans.get(span_id)
        new = span is None
        if new:
            span = run.spans[span_id] = FlujoSpan(span_id, run)
            self.spans_read.held += 1  # a run's spans saved again are the same spans
        was_anomaly = not new and span.status != OK
        strings = self._strings
        text = str(name) if name is not None else span_id
        span.name = strings.get(text) or strings.share(text)
        attrs = parse_attributes(attributes)
        step_type = attrs.get("flujo.step.type") or attrs.get("step_type")
        span.kind = (strings.get(step_type) or strings.share(str(step_type))) if step_type else (
            "pipeline" if span.name == "pipeline_run" else "step")
        raw_status = str(status).lower() if status is not None else ""
        start_f = _float(start)
        end_f = _float(end)
        span.duration = end_f - start_f if start_f is not None and end_f is not None and end_f >= start_f else None
        if raw_status in SPAN_STATUS:
            span.status = SPAN_STATUS[raw_status]
        else:
            span.status = RUNNING if end_f is None else OK
        if span.status == RUNNING and run.status_override == PAUSED:
            span.status = PAUSED  # left open when its run paused: it waits with it
        elif span.status == ERROR and timed_out(attrs):
            span.status = TIMEOUT
        span.detail = ""
        if raw_status and (raw_status not in PLAIN_STATUSES or span.status != SPAN_STATUS[raw_status]):
            attrs["flujo.status"] = status  # shown as something else: keep Flujo's word
            span.attributes_json = None
            span.attributes = attrs or None
        else:
            if not new:
                span.attributes = None  # parsed again from the row text when asked
            span.attributes_json = attributes.decode("utf-8", "replace") if isinstance(attributes, bytes) \
                else attributes if isinstance(attributes, str) else None
            if span.attributes_json is None and attrs:
                span.attributes = attrs
        if not new:
            span.input = span.output = None  # derived from the attributes when asked
        if span.status in (ERROR, TIMEOUT):
            message = attrs.get("feedback") or attrs.get("error") or attrs.get("error_message") or "failed"
            span.error = {"message": message if isinstance(message, str) else str(message)}
        else:
            span.error = None
        span.origin = origin_of(rowid)
        self._place_time(run, span, start_f)
        if new:
            self.linker.attach(run, span, str(parent_id) if parent_id is not None else None)
        elif span.parent is None and not span.orphan and parent_id is not None \
                and str(parent_id) in run.spans:
            detach(run, span)  # re-inserted with a parent we now know
            self.linker.attach(run, span, str(parent_id))
        if span.status in (RUNNING, PAUSED):  # re-read as it ends, or its run resumes
            self.open_rows.hold(rowid, (run.id, span_id))
        elif not new:
            self.open_rows.let_go((run.id, span_id))
        if span.status != OK or was_anomaly:
            run.anomalies.place(span)
        run.see_time(span.start)
        run.see_time(span.end)
        self._touched.add(run)

    def _place_time(self, run: Run, span: Span, start: float | None) -> None:
        """Epoch starts as they are; monotonic ones moved onto created_at."""
        clock = self.clocks[run.id]
        if start is None:
            span.start = None
            return
        if start > EPOCH_MIN:
            span.start = start
            clock.epoch_ids.add(span.id)
            run.attributes.setdefault("clock", "epoch")
            return
        clock.epoch_ids.discard(span.id)
        if clock.mono0 is None or start < clock.mono0:
            clock.mono0 = start
            if clock.offset() != clock.applied:
                self._unaligned.add(run)
        if clock.wall0 is None:
            run.attributes["clock"] = "monotonic, not aligned (no runs.created_at)"
        else:
            run.attributes["clock"] = "monotonic, aligned to runs.created_at"
        span.start = start + clock.applied

    def _align(self) -> None:
        """Move the monotonic spans of runs whose offset changed, once per read,
        and recompute those runs' time windows."""
        for run in self._unaligned:
            clock = self.clocks.get(run.id)
            if clock is None:
                continue
            delta = clock.offset() - clock.applied
            if not delta:
                continue
            clock.applied = clock.offset()
            for span in run.spans.values():
                if span.start is not None and span.id not in clock.epoch_ids:
                    span.start += delta
            for name in ("running", "cancelled", "errors", "timeouts"):
                for row in run.anomalies.bucket(name).values():
                    if row.span is not None:
                        row.start = row.span.start
            run.first_time = run.last_time = None
            _see_start(run, clock.wall0)
            run.see_time(iso_to_epoch(run.attributes.get("end_time")))
            run.see_time(clock.updated)
            for span in run.spans.values():
                run.see_time(span.start)
                run.see_time(span.end)
            self._touched.add(run)
        self._unaligned.clear()


def _see_start(run: Run, t: float | None) -> None:
    """created_at starts the run's window but does not end it: a killed run
    (a runs row, no spans, no end_time) has no known duration, not zero."""
    if t is not None and (run.first_time is None or t < run.first_time):
        run.first_time = t


def _latest_time(*values: Any) -> float | None:
    """The latest of some ISO times (None if none can be read)."""
    times = [t for t in map(iso_to_epoch, values) if t is not None]
    return max(times) if times else None


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if x == x else None


SQLITE_FORMATS = [SQLiteFormat(FORMAT, sniff, FlujoDecoder)]
