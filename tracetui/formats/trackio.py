"""Trackio project databases (`$TRACKIO_DIR/<project>.db`): one run per Trackio run, one span per trace.

Trackio 0.26+ keeps traces in a `traces` table; 0.25 keeps them inside metric
rows (`metrics.metrics` JSON, values with `"_type": "trackio.trace"`). Both
are read, by rowid (a batch shares one `timestamp`, so time cannot order
them). A trace becomes a span named "<key> · step <step>" (kind "trace")
whose input is its OpenAI-style messages and whose attributes are its
metadata; Trackio's own `spans` list (0.43+) becomes child spans. Images stay
as Trackio wrote them (`{"_type": "trackio.image", "file_path": …}`, relative
to the media root); the run's attributes name the media folder so a view can
show file sizes. Trackio records no run status: runs read as ok (error if a
trace says so), and their attributes say the status is unknown.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from tracetui.formats.sqlite_generic import (
    Linker, RowsRead, SQLiteFormat, batches, column_list, find_column, iso_to_epoch, json_cell, map_status,
    to_seconds,
)
from tracetui.model import ERROR, OK, FullSpan, Run, Span
from tracetui.store import Store

FORMAT = "trackio"
TRACE_TYPE = "trackio.trace"
TRACE_COLUMNS = ("id", "run_id", "run_name", "step", "key", "trace_index", "messages",
                 "metadata", "spans", "timestamp")
METRIC_COLUMNS = ("run_id", "run_name", "step", "metrics", "timestamp", "log_id")
CONFIG_COLUMNS = ("run_id", "run_name", "config", "created_at")
#: Fields of a Trackio span that are not attributes.
SPAN_FIELDS = {"id", "parent_id", "name", "kind", "start_time", "end_time", "duration_ms",
               "status", "error", "input", "output"}
UNKNOWN_STATUS = "unknown (Trackio records no run status)"


def _has(schema: dict[str, list[str]], table: str, *columns: str) -> bool:
    present = {c.lower() for c in schema.get(table, ())}
    return bool(present) and set(columns) <= present


def sniff(schema: dict[str, list[str]], conn: sqlite3.Connection) -> bool:
    if _has(schema, "traces", "run_name", "step", "key", "messages"):
        return True
    if not _has(schema, "metrics", "run_name", "step", "metrics", "timestamp"):
        return False
    # 0.25: a Trackio database holding traces in its metric rows.
    row = conn.execute("SELECT 1 FROM metrics WHERE instr(CAST(metrics AS TEXT), ?) > 0 LIMIT 1",
                       (TRACE_TYPE,)).fetchone()
    return row is not None or "configs" in schema


def _cols(schema: dict[str, list[str]], table: str, wanted: tuple[str, ...]) -> list[str | None]:
    return [find_column(schema.get(table, []), name) for name in wanted]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


class TrackioDecoder:
    format = FORMAT

    def __init__(self, store: Store, path: str, schema: dict[str, list[str]], **options: Any) -> None:
        self.store = store
        self.path = path
        self.notes: list[str] = []
        self.skipped = 0
        self.first_bad_line: int | None = None
        self.records = 0
        folder = os.path.dirname(os.path.abspath(path))
        self.project = os.path.splitext(os.path.basename(path))[0]
        self.media_root = os.path.join(folder, "media")
        self.media_dir = os.path.join(self.media_root, self.project)
        self._init_state()

    @staticmethod
    def dump_tables(schema: dict[str, list[str]]) -> list[str]:
        tables = ["configs"] if "configs" in schema else []
        tables.append("traces" if "traces" in schema else "metrics")
        return tables

    def _init_state(self) -> None:
        self.last_trace_rowid = 0
        self.last_metric_rowid = 0
        #: The rows read, to tell they are still there (`gone`): traces
        #: (0.26+), or the metric rows that held traces (0.25; not every
        #: metric row is read, so they are not counted).
        self.traces_read = RowsRead("traces", None)
        self.metrics_read = RowsRead("metrics", None, counted=False)
        self.linker = Linker()
        self.configs: dict[str, tuple] = {}
        self.run_ids: set[str] = set()

    def reset(self) -> None:
        self.store.drop_runs(self.run_ids)
        self.records = self.skipped = 0
        self._init_state()

    def gone(self, conn: sqlite3.Connection, schema: dict[str, list[str]], count: bool) -> bool:
        """The database no longer holds the traces read (`RowsRead.gone`)."""
        return self.traces_read.gone(conn, schema, count) or self.metrics_read.gone(conn, schema, count)

    # -- reading ----------------------------------------------------------------

    def read(self, conn: sqlite3.Connection, schema: dict[str, list[str]]) -> bool:
        changed = self._read_configs(conn, schema)
        if "traces" in schema:
            cols = _cols(schema, "traces", TRACE_COLUMNS)
            sql = f"SELECT rowid, {column_list(cols)} FROM traces WHERE rowid > ? ORDER BY rowid"
            self.traces_read.key = cols[0]  # as spelled in this table (None: not there)
            for rows in batches(conn, sql, (self.last_trace_rowid,)):
                with self.store.lock:
                    for row in rows:
                        self._trace_row(row)
                    self.last_trace_rowid = rows[-1][0]
                self.traces_read.see(rows, 1)  # rowid, id
                self.traces_read.held += len(rows)
                changed = True
        if _has(schema, "metrics", "metrics"):
            changed = self._read_metric_traces(conn, schema) or changed
        with self.store.lock:
            self.linker.settle()
        return changed

    def _read_configs(self, conn: sqlite3.Connection, schema: dict[str, list[str]]) -> bool:
        if not _has(schema, "configs", "run_name"):
            return False
        cols = _cols(schema, "configs", CONFIG_COLUMNS)
        changed = False
        rows = conn.execute(f"SELECT {column_list(cols)} FROM configs").fetchall()
        with self.store.lock:
            for row in rows:
                run_id, run_name, config, created_at = row
                key = _text(run_id) or _text(run_name)
                if key is None or self.configs.get(key) == row:
                    continue
                self.configs[key] = row
                run = self._run(key, _text(run_name))
                cfg = json_cell(config)
                if isinstance(cfg, dict):
                    run.attributes["config"] = {k: v for k, v in cfg.items() if not str(k).startswith("_")} or cfg
                if created_at is not None:
                    run.attributes["created_at"] = _text(created_at)
                    run.see_time(iso_to_epoch(_text(created_at)))
                changed = True
        return changed

    def _read_metric_traces(self, conn: sqlite3.Connection, schema: dict[str, list[str]]) -> bool:
        """0.25: traces inside metric rows. Only rows mentioning a trace are parsed."""
        top = conn.execute("SELECT max(rowid) FROM metrics").fetchone()[0]
        if top is None or top <= self.last_metric_rowid:
            return False
        cols = _cols(schema, "metrics", METRIC_COLUMNS)
        sql = (f"SELECT rowid, {column_list(cols)} FROM metrics WHERE rowid > ? AND rowid <= ? "
               f"AND instr(CAST(metrics AS TEXT), ?) > 0 ORDER BY rowid")
        changed = False
        for rows in batches(conn, sql, (self.last_metric_rowid, top, TRACE_TYPE)):
            with self.store.lock:
                for row in rows:
                    self._metric_row(row)
            self.metrics_read.see(rows, None)
            changed = True
        self.last_metric_rowid = top
        return changed

    # -- runs and traces -----------------------------------------------------------

    def _run(self, run_key: str, run_name: str | None) -> Run:
        run = self.store.run(run_key, self.path, FORMAT, run_name or run_key)
        if run_key not in self.run_ids:
            self.run_ids.add(run_key)
            run.attributes.update({"status": UNKNOWN_STATUS, "project": self.project,
                                   "media_dir": self.media_dir, "media_root": self.media_root})
        if run_name:
            run.name = run_name
            run.attributes["run_name"] = run_name
        return run

    def _trace_row(self, row: tuple) -> None:
        rowid, trace_id, run_id, run_name, step, key, index, messages, metadata, spans, timestamp = row
        self.records += 1
        run_key = _text(run_id) or _text(run_name)
        if run_key is None:
            self.skipped += 1
            return
        span_id = _text(trace_id) or f"{run_key}:{rowid}:{_text(key)}"
        self._add_trace(self._run(run_key, _text(run_name)), span_id, step, _text(key) or "trace",
                        index, json_cell(messages), json_cell(metadata), json_cell(spans),
                        _text(timestamp), ("traces", rowid))

    def _metric_row(self, row: tuple) -> None:
        rowid, run_id, run_name, step, metrics, timestamp, log_id = row
        values = json_cell(metrics)
        run_key = _text(run_id) or _text(run_name)
        if not isinstance(values, dict) or run_key is None:
            self.skipped += 1
            return
        run = self._run(run_key, _text(run_name))
        for key, value in values.items():
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                if not (isinstance(item, dict) and item.get("_type") == TRACE_TYPE):
                    continue
                self.records += 1
                # Trackio 0.25's own id (get_traces), made unique if a step logs a key twice.
                span_id = f"{_text(run_name) or run_key}:{step}:{key}" + (f":{i}" if len(items) > 1 else "")
                if span_id in run.spans and run.spans[span_id].origin != (("metrics", rowid),):
                    span_id += f"#{rowid}"
                self._add_trace(run, span_id, step, str(key), i if len(items) > 1 else None,
                                item.get("messages"), item.get("metadata"), item.get("spans"),
                                _text(timestamp), ("metrics", rowid))

    def _add_trace(self, run: Run, span_id: str, step: Any, key: str, index: Any, messages: Any,
                   metadata: Any, spans: Any, timestamp: str | None, origin: tuple) -> None:
        span = run.spans.get(span_id)
        new = span is None
        if new:
            span = run.spans[span_id] = FullSpan(span_id, run)
        span.name = f"{key} · step {step}" + (f" #{index}" if index is not None else "")
        span.kind = "trace"
        span.start = iso_to_epoch(timestamp)
        meta = metadata if isinstance(metadata, dict) else ({} if metadata is None else {"metadata": metadata})
        span.attributes = meta or None
        span.input = messages
        span.detail = str(meta.get("model", "")) if meta.get("model") else ""
        duration = meta.get("duration_ms", meta.get("latency_ms"))
        span.duration = duration / 1000.0 if isinstance(duration, (int, float)) and duration >= 0 else None
        status, _ = map_status(meta.get("status"), ended=True)
        span.status = status
        error = meta.get("error")
        span.error = {"message": error if isinstance(error, str) else str(error)} if error else None
        if span.error and span.status == OK:
            span.status = ERROR
        span.origin = (origin,)
        if new:
            self.linker.attach(run, span, None)
        if isinstance(spans, list) and spans:
            self._add_children(run, span, spans, origin)
        run.anomalies.place(span)
        run.see_time(span.start)
        run.see_time(span.end)
        self.store.touch(run.id)

    def _add_children(self, run: Run, trace: Span, spans: list, origin: tuple) -> None:
        """Trackio's own spans (generation / tool / span), nested by parent_id."""
        prefix = trace.id + "/"
        for i, item in enumerate(spans):
            if not isinstance(item, dict):
                self.skipped += 1
                continue
            own_id = _text(item.get("id")) or str(i)
            span_id = prefix + own_id
            if span_id in run.spans:
                continue
            span = run.spans[span_id] = FullSpan(span_id, run)
            span.name = _text(item.get("name")) or _text(item.get("kind")) or own_id
            span.kind = _text(item.get("kind")) or "span"
            start = to_seconds(item.get("start_time"))
            end = to_seconds(item.get("end_time"))
            duration_ms = item.get("duration_ms")
            if isinstance(duration_ms, (int, float)) and not isinstance(duration_ms, bool) and duration_ms >= 0:
                span.duration = duration_ms / 1000.0
            elif start is not None and end is not None and end >= start:
                span.duration = end - start
            span.start = start
            span.status, _ = map_status(item.get("status"), ended=True)
            error = item.get("error")
            if error:
                span.error = error if isinstance(error, dict) else {"message": str(error)}
                if span.status == OK:
                    span.status = ERROR
            span.input = item.get("input")
            span.output = item.get("output")
            extra = {k: v for k, v in item.items() if k not in SPAN_FIELDS}
            span.attributes = extra or None
            span.origin = (origin,)
            parent = _text(item.get("parent_id"))
            self.linker.attach(run, span, prefix + parent if parent else trace.id)
            run.anomalies.place(span)
            run.see_time(span.start)
            run.see_time(span.end)


SQLITE_FORMATS = [SQLiteFormat(FORMAT, sniff, TrackioDecoder)]
