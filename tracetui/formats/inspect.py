"""Inspect AI trace logs: JSONL from Inspect's trace logger.

Two jobs, kept exact:
- the anomaly buckets, record for record as `inspect trace anomalies`
  computes them (validation, `--filter`, pairing by `trace_id` in file order,
  later duplicates replacing earlier ones in place);
- the span tree, which Inspect does not record and we infer:
  run → task → sample (task, sample_id, epoch) → actions, an action entered
  while another action of the same sample is open nesting under the newest
  such action (a `Subprocess` under its `Tool Call`).
"""

from __future__ import annotations

import os
import re
import stat
import sys
import threading
import time
from datetime import datetime
from typing import Any, Sequence

import orjson

try:  # built by `pip install` where a C compiler is (setup.py); else Python alone
    from tracetui import _fastindex
except ImportError:  # pragma: no cover - depends on the install
    _fastindex = None

from tracetui.clock import as_of
from tracetui.formats.jsonutil import as_float, loads
from tracetui.model import (
    CANCELLED, ERROR, LATELY_KEPT, OFFSET_BITS, OK, PLAUSIBLE_TIME, RUNNING, TIMEOUT, AnomalyRow,
    EventLog, LogColumns, Run, Span, SpanCore, SpanIndex, pack_offset, RUN_TASK_DETAIL, sample_node_id, task_name,
    task_node_id,
)
from tracetui.skipped import Lead
from tracetui.sources.files import open_regular
from tracetui.store import Store

FORMAT = "inspect"
CLOSING_EVENTS = {"exit": OK, "cancel": CANCELLED, "error": ERROR, "timeout": TIMEOUT}
BUCKET_OF_EVENT = {"cancel": "cancelled", "error": "errors", "timeout": "timeouts"}
_STR_FIELDS = ("timestamp", "level", "message")
_OPTIONAL_STR = ("error", "error_type", "stacktrace")


def looks_like(record: Any) -> bool:
    """True for a record Inspect's trace logger writes."""
    return (isinstance(record, dict) and "timestamp" in record and "level" in record
            and "message" in record and "span_id" not in record)


def run_id_for(path: str) -> str:
    """`trace-10513.log.gz` → `trace-10513`: one run per eval process."""
    name = os.path.basename(path)
    for suffix in (".gz", ".log", ".jsonl", ".json"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def archived_beside_log(path: str) -> bool:
    """`trace-N.log.gz` while `trace-N.log` exists: an older eval's archive
    beside the log of a newer one. Inspect names a trace log by its pid, and
    an eval in a container often has the pid its previous run had; the two
    evals must not merge into one run. A `.gz` that copies the log (written
    at exit, before the log is deleted) is not an archive: opened with the
    log, it is skipped (`discover.skip_gzipped_copies`); opened alone, it is
    that eval's run."""
    if not (path.endswith(".gz") and os.path.isfile(path[:-3])):
        return False
    from tracetui.sources.discover import same_start  # discover imports the formats

    return not same_start(path[:-3], path)


def unclaimed_run_id(store: Store, run_id: str, path: str) -> str:
    """`run_id`, unless another file's run has it: logs gathered from two
    machines or containers are often both `trace-1.log`, and must not merge
    into one run. Then the directory names the run (`b/trace-1`), and a
    number if that is taken too."""
    def taken(candidate: str) -> bool:
        run = store.runs.get(candidate)
        return run is not None and run.source != path

    if not taken(run_id):
        return run_id
    directory = os.path.basename(os.path.dirname(os.path.abspath(path)))
    candidate = f"{directory}/{run_id}" if directory else run_id
    n = 2
    while taken(candidate):
        candidate = f"{directory}/{run_id} ({n})" if directory else f"{run_id} ({n})"
        n += 1
    return candidate


_EVENTS = frozenset(("enter", *CLOSING_EVENTS))
#: Inspect's flushes of the eval log. One runs in whichever sample's task
#: happens to flush the buffer, so it carries that sample's context but is
#: not its work: it hangs under the sample, never under one of its actions
#: nor over them, and does not stretch it (seen on a real eval: a sample
#: done at 10:04:09 lasted to 10:05:13 by a flush, and sorted as slow).
LOG_WRITES = frozenset(("Log Write", "Log Conditional Write"))
#: Actions nothing runs inside: a `Model` action is one call to the model's
#: API (its HTTP requests are log records, not actions). An action entered
#: while one is open ran beside it, not in it: a second `Model` of the same
#: sample nested under a first one stuck for minutes, and the anomaly panel
#: listed the stuck one as waiting on it (QA).
LEAF_ACTIONS = frozenset(("Model",))
#: Open actions a newly entered one never nests under (`_parent_in`).
_NOT_PARENTS = LOG_WRITES | LEAF_ACTIONS
#: `dict.get`'s default for a key that is absent (None may be a value).
_ABSENT = object()
#: Details and log messages up to this long are held once however often
#: they repeat: a model call's detail (`generate (openai/gpt-4o)`) and an
#: HTTP status line recur on most spans and records. On the 200k-line bench
#: log, 9.3 MB of details were 1.4 MB of distinct ones and 7.4 MB of log
#: messages (sample prefix cut) 16 KB: about 150 bytes a span. Up to 255
#: (the most C's `KeyCache` keys), not 160: a sandbox's command
#: (`docker compose --project-name … exec …`) is 160-250 characters and
#: recurs within its sample; on a 1M-line log, 2.3 MB less RSS
#: (`cli.load`, 2026-12-05), in the same time.
SHARED_MAX_LEN = 255
#: At most this many distinct strings are remembered (a log whose details
#: never repeat must not pay a table entry for each).
SHARED_MAX_ENTRIES = 100_000
#: The most samples and shared strings C keeps by their keys' bytes (its
#: `KeyCache`s): an eval runs tens to hundreds of samples at once; a
#: thousand details found lately were 92% of the enters of the 1M-line
#: bench log (4,096: 93%); its samples' log records say a few dozen
#: things (HTTP status lines, sandbox notes) over and over.
SAMPLES_LATELY_NAMED = 1024
STRINGS_LATELY_SHARED = 1024
MESSAGES_LATELY_SHARED = 256


def cr_lines(line: bytes) -> list[bytes] | None:
    """The lines a lone CR splits `line` (no LF in it) into, as Inspect's
    reader (text mode: universal newlines) reads them; None if it has none.
    A CR that ends the line is its CRLF's, not a break."""
    body = line[:-1] if line.endswith(b"\r") else line
    return body.split(b"\r") if b"\r" in body else None


def validate(rec: dict) -> tuple[float | None, float | None]:
    """Check a record the way Inspect's reader does (pydantic, lax mode);
    returns (start_time, duration). Raises ValueError/TypeError/OverflowError
    for a record Inspect would skip. Runs once per line: keep it lean."""
    get = rec.get
    if type(get("message")) is not str or type(get("timestamp")) is not str \
            or type(get("level")) is not str:
        raise ValueError("timestamp/level/message")
    if "action" not in rec:
        return None, None
    event = get("event")
    if (type(rec["action"]) is not str or type(get("trace_id")) is not str
            or type(event) is not str or event not in _EVENTS
            or type(get("detail", "")) is not str):
        raise ValueError("action")
    if "error" in rec or "error_type" in rec or "stacktrace" in rec:
        for key in _OPTIONAL_STR:
            if get(key) is not None and type(get(key)) is not str:
                raise ValueError(key)
    start = get("start_time")
    if start is not None and type(start) is not float:
        start = as_float(start)
    duration = get("duration")
    if duration is not None and type(duration) is not float:
        duration = as_float(duration)
    return start, duration


def process_alive(path: str) -> bool | None:
    """Is the eval that writes `trace-<pid>.log` still running here? None
    when the name carries no pid. (A hung eval writes nothing for a long
    time, so the file's mtime cannot tell a hang from a death.)"""
    match = re.fullmatch(r"trace-(\d+)\.log", os.path.basename(path))
    if not match:
        return None
    pid = int(match.group(1))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but someone else's
        return could_be_inspect(pid)
    except (OverflowError, ValueError):
        return None
    return could_be_inspect(pid)


#: What the command line of a process writing an Inspect trace holds: the
#: pid in the name is the Python interpreter's (`python -m inspect_ai`, a
#: venv's `bin/inspect` run by its `python`).
WRITER_COMMANDS = (b"python", b"pypy", b"inspect")


def could_be_inspect(pid: int) -> bool:
    """Whether the live process `pid` may be the eval that named a log
    after it. A log copied from a container or CI is often `trace-1.log`,
    or has the pid of some other process here (init, a kernel thread): it
    must not count as written forever. Where /proc cannot tell, yes."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            command = f.read(4096).lower()
    except FileNotFoundError:
        return not os.path.isdir("/proc/self")  # no /proc here (macOS): cannot tell
    except OSError:
        return True
    # A kernel thread or a zombie has no command line.
    return any(word in command for word in WRITER_COMMANDS)


#: A `.log` written to within this long (s) is live even if its pid is not
#: seen here (an eval in a container, a file synced from another machine).
WRITER_QUIET = 30.0


#: A file whose last record is this much (s) older than its last write was
#: not written by its eval: copied, downloaded or generated since. Inspect's
#: writer flushes each record as it logs it (milliseconds apart); a copy
#: made within this of its last record still looks live for WRITER_QUIET.
COPY_GAP = 10.0
#: How much of a file's end is read to find its last record's time.
TAIL_BYTES = 64 * 1024


def last_record_time(path: str) -> float | None:
    """The time of the last whole record of a plain log, from its end."""
    try:
        with open_regular(path) as f:  # (a FIFO in its place would block)
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - TAIL_BYTES))
            tail = f.read(TAIL_BYTES)
    except OSError:
        return None
    for line in reversed(tail.split(b"\n")[1:] if size > TAIL_BYTES else tail.split(b"\n")):
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("timestamp"), str):
            t = timestamp_to_epoch(rec["timestamp"])
            if t is not None:
                return t
    return None


def _written_by_its_eval_within(path: str, seconds: float) -> bool:
    """Written within `seconds`, and by the eval it logs: its last record is
    about as old as its last write (a log copied here a minute ago from an
    eval of last week is not being written)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    mtime = st.st_mtime
    if not stat.S_ISREG(st.st_mode) or time.time() - mtime >= seconds:  # a FIFO in its place
        return False
    last = last_record_time(path)
    return last is None or mtime - last < COPY_GAP


def is_live(path: str, opened: tuple[int, int] | None = None) -> bool:
    """A plain log whose writer may still be appending: its eval's pid is
    alive, or its eval wrote it within WRITER_QUIET. `opened`: the file's
    `written_mark` when tracetui opened it."""
    if path.endswith(".gz") or re.search(r"\.log\.\d+$", path):
        return False  # gzipped at exit, or rotated away (`trace-N.log.1`)
    # A file written to lately is live whatever its pid says: the eval may
    # run in a container, whose pids this machine cannot see. A name with
    # no pid is not Inspect's own (a copy kept for a post-mortem, say):
    # only its last write can tell.
    alive = process_alive(path)
    if alive:
        return True
    if alive is False and opened is not None and written_mark(path) == opened:
        # Its pid is no eval here and nothing has written since it was
        # opened: an eval killed seconds ago, not one in a container (which
        # counts as live again at its next write). Opened within 30 s of a
        # kill -9, it read `● live` with its hung ages as lower bounds,
        # above the newer eval (QA).
        return False
    return _written_by_its_eval_within(path, WRITER_QUIET)


def written_mark(path: str) -> tuple[int, int] | None:
    """What changes when a file is written: its size and mtime (to the ns;
    two writes within a clock tick keep the mtime, not the size)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def timestamp_to_epoch(ts: str) -> float | None:
    """A record's `timestamp` in epoch seconds (Inspect writes it with its
    zone; one without is local time, as Python reads it)."""
    try:
        return datetime.fromisoformat(ts).timestamp()
    except (ValueError, TypeError):
        return None


#: How Inspect's log of a sample that raised begins (a WARNING record with
#: the sample's fields): `Sample error (id: 2, epoch: 1): RuntimeError(...)`.
SAMPLE_ERROR = "Sample error (id: "
#: How that warning ends for an attempt Inspect retries (`--retry-on-error`):
#: the sample failed only if a later attempt does too (QA: one that passed
#: on its retry read ✗).
SAMPLE_RETRIED = "Sample will be retried"
#: A `Model` action's detail: `generate (MODEL)`; the model is the last
#: parenthesis.
MODEL_DETAIL = re.compile(r".*\(([^()]+)\)\s*")


def action_field(action: str, detail: str, field: str) -> str | None:
    """The model a `Model` or `Run Task` action names in its detail, or the
    task a `Run Task` names; None where it names none."""
    if action == "Run Task":
        match = RUN_TASK_DETAIL.fullmatch(detail)
        return None if match is None else match.group(1 if field == "task" else 2)
    if action == "Model" and field == "model":
        match = MODEL_DETAIL.fullmatch(detail)
        return None if match is None else match.group(1)
    return None


def _remember(attributes: dict, key: str, value: str) -> None:
    """Add `value` to the list under `key` once (a run's tasks, models)."""
    values = attributes.setdefault(key, [])
    if value not in values:
        values.append(value)


#: A sample with no action open, nothing saying it ended, and no record for
#: this long (s, to its run's present instant, `clock.as_of`) is taken to
#: have finished: Inspect writes no record when a sample completes (only a
#: flush of the eval log, and only for some samples: `_Sample.ended`), so
#: until then it reads running, as it may be between two actions. The same
#: as the tree's `LINGER`: a sample stays open as long as it reads running.
SAMPLE_QUIET = 10.0
#: A ctrl+c's stop begins this long (s) before Inspect's first `cancel`:
#: the terminal's SIGINT reaches the eval's subprocesses too, and a stuck
#: `sleep` it kills ends its Subprocess and Tool Call with `exit` a few ms
#: before Inspect cancels what is left (QA: two stuck samples read ✓).
STOP_LEAD = 1.0


class _SampleSlots:
    """Inference state for one (task, sample_id, epoch). Where C is built,
    `_Sample` is `_fastindex.SampleState` instead, which holds the same
    fields in less memory (`_sample.h`)."""

    __slots__ = ("node", "open", "errors", "cancels", "ended", "last_seen", "interrupted")

    def __init__(self, node: Span, key: tuple | None = None) -> None:
        # (`key`: what it is filed under; the C state holds it, this one
        # is filed in a dict, which does)
        self.node = node
        #: Actions of this sample entered and not yet closed, oldest first:
        #: a list while there are any, else an empty tuple (an empty list
        #: is 56 bytes, and most samples have ended: 13 bytes a span of an
        #: Inspect log). Not through methods: once per action, inline.
        self.open: list[Span] | tuple[()] = ()
        #: Its `Sample error` records: it raised.
        self.errors = 0
        #: Its actions that were cancelled.
        self.cancels = 0
        #: When a flush of the eval log ran in its context (`LOG_WRITES`):
        #: Inspect flushes from a sample's task only once it has logged that
        #: sample (it hit the buffer's threshold, or armed the 60 s timer),
        #: so the sample had ended, done or stopped. None before, or if it
        #: acted again since. Only some samples get one: the buffer holds
        #: up to 10 samples, and the flush runs in the last one's context.
        self.ended: float | None = None
        #: Its newest record's time (a flush's included; a log is written
        #: in time order).
        self.last_seen: float | None = None
        #: Its task was stopped (`Run Task` cancelled, ctrl+c) while it ran,
        #: though no action of it was cancelled (`_interrupt_task`).
        self.interrupted = False

    def unchanged(self, ended_by_log: bool) -> bool:
        """Whether `InspectDecoder._refresh_now` would leave its node's
        status as it is: an action open and the sample running, or nothing
        open, failed nor stopped in a sample that ended (or whose log is not
        written, `ended_by_log`) and is done. The first rules of
        `InspectDecoder._sample_status`, read without its calls (nearly
        every sample of a log read after the fact; 2 % of the index's
        instructions, callgrind); `SampleState.unchanged` (`_sample.h`)
        reads them in C: change the three together."""
        status = self.node.status
        if self.open:
            return status == RUNNING
        return status == OK and not (self.errors or self.cancels or self.interrupted) \
            and (ended_by_log or self.ended is not None)


_Sample = _SampleSlots if _fastindex is None else _fastindex.SampleState


class InspectDecoder:
    """Feeds Inspect trace lines into one Run of the store."""

    format = FORMAT

    def __init__(self, store: Store, path: str, message_filter: str | None = None) -> None:
        self.store = store
        self.path = path
        self.filter = message_filter.lower() if message_filter else None
        self.run_id = run_id_for(path)
        #: This is an older eval's archive beside the log of a newer one
        #: (`archived_beside_log`); its run goes by the file's name.
        self.archive = False
        if archived_beside_log(path):
            self.run_id = os.path.basename(path)
            self.archive = True
        self.run_id = unclaimed_run_id(store, self.run_id, path)
        #: Lines that are not JSON objects.
        self.bad_lines = 0
        #: JSON objects that are not valid trace records (Inspect skips these too).
        self.invalid_records = 0
        self.first_bad_line: int | None = None
        #: The skipped lines before the first record, kept apart (a banner).
        self.lead = Lead()
        self.records = 0
        self._line_no = 0
        self._init_state()

    def _init_state(self) -> None:
        self.run: Run = self.store.run(self.run_id, self.path, FORMAT)
        self.run.inferred = True
        #: The file as it was when opened (`is_live`), and when lines
        #: written since were last seen not live (`feed_run`).
        self._opened = written_mark(self.path)
        self._growth_checked = float("-inf")
        self._see_writer(is_live(self.path, self._opened))
        #: Its eval was seen running here and then gone (`check_writer`).
        self._writer_died = False
        #: Its samples' states by (task, sample_id, epoch): where C is built
        #: a SpanIndex, each state holding its own key (`_sample.h`), else a dict.
        self._samples: dict[tuple, _Sample] = SpanIndex() if _Sample is not _SampleSlots else {}
        self._tasks: dict[str, Span] = {}
        #: The model each task runs with, from its `Run Task` record.
        self._task_models: dict[str, str] = {}
        #: Per task node: how many of its samples are running / errored / ok,
        #: so a task's status updates in O(1) as its samples change.
        self._task_counts: dict[str, dict[str, int]] = {}
        #: Closed spans by trace id are still in run.spans; this maps the
        #: span each trace id's *open* action is, for fast pairing.
        self._open: dict[str, tuple[Span, _Sample | None]] = {}
        #: Short strings seen before (`share`), until the first read reaches
        #: the file's end (`caught_up`).
        self._shared: dict[str, str] = {}
        #: Its first read has not reached the file's end yet (`caught_up`).
        self._loading = True
        #: The samples lately named, the details lately shared and the
        #: texts of samples' log records lately shared, by their keys as a
        #: line spells them: C finds them without the dicts (`_fastindex.c`'s
        #: `KeyCache`).
        self._sample_cache = self._text_cache = self._message_cache = None
        if _fastindex is not None:
            self._sample_cache = _fastindex.KeyCache(_fastindex.SAMPLE_KEY_MAX, SAMPLES_LATELY_NAMED)
            self._text_cache = _fastindex.KeyCache(0, STRINGS_LATELY_SHARED)
            self._message_cache = _fastindex.KeyCache(SHARED_MAX_LEN, MESSAGES_LATELY_SHARED)
        #: Task nodes whose `Run Task` was cancelled, by id (`_tell_task`).
        self._stopped_tasks: set[str] = set()
        #: Samples with no action open that read running: nothing said they
        #: ended and they acted within SAMPLE_QUIET (`_settle_samples`).
        self._unsettled: dict[_Sample, None] = {}
        #: Samples an action or record of this batch touched, whose status
        #: is told once the batch is read (`_refresh_stale`): a sample flips
        #: running and done with every action of a log read after the fact,
        #: and telling it (and its task) each time cost 6 % of the index's
        #: instructions.
        self._stale: dict[_Sample, None] = {}
        #: When the cancels that stop an eval began: the time of the first
        #: `cancel` since the last action entered (ctrl+c cancels every
        #: open action at once, then the tasks; nothing new starts).
        self._cancels_since: float | None = None
        #: The wall clock (a test's, in tests).
        self.now = time.time

    def share(self, text: str) -> str:
        """The copy of `text` already held, if it is short and was seen."""
        if len(text) > SHARED_MAX_LEN:
            return text
        held = self._shared.get(text)
        if held is None:
            if len(self._shared) < SHARED_MAX_ENTRIES:
                self._shared[text] = text
            return text
        return held

    def caught_up(self) -> None:
        """The read reached the file's end (`LineSource.poll`). The first
        time, the strings the load remembered are let go: they are the
        finished samples' (37,742 of them, a 0.9 MB table, for a 1M-line
        log: 2 B a span), while what follows shares what the running
        samples repeat, most of it found by C among the strings lately seen
        (`_text_cache`) before the table is asked. And the samples' index is
        sized to the samples it holds (`SpanIndex.settle`)."""
        if not self._loading:
            return
        self._loading = False
        with self.store.lock:  # (the UI may be reading the samples)
            self._shared = {}
            settle = getattr(self._samples, "settle", None)  # (`Store.settle` for the run's spans)
            if settle is not None:
                settle()

    def reset(self) -> None:
        """The file was replaced: forget everything it said."""
        self.store.drop_runs([self.run_id])
        self.bad_lines = self.invalid_records = self.records = self._line_no = 0
        self.first_bad_line = None
        self.lead = Lead()
        self._init_state()

    def set_path(self, path: str) -> None:
        """The file moved: gzipped at exit (same run id), or renamed by a
        rotation (the run takes the new name's id, freeing the old one for
        the file that now has the old name)."""
        self.path = path
        self.run.source = path
        self._see_writer(is_live(path, self._opened) and not self._writer_died)
        self._settle_samples()
        new_id = run_id_for(path)
        if new_id != self.run_id and self.store.rename_run(self.run_id, new_id):
            self.run_id = new_id
        self.store.touch(self.run_id)  # its source and liveness changed: views redraw them

    def step_aside(self) -> None:
        """A newer eval's `trace-N.log` appeared beside this `trace-N.log.gz`
        (a reused pid): both would be run `trace-N`. The live log keeps
        that id; this archive's run takes the file's name."""
        new_id = os.path.basename(self.path)
        if not self.archive and self.path.endswith(".gz") and self.store.rename_run(self.run_id, new_id):
            self.run_id = new_id
            self.archive = True

    @property
    def writer_alive(self) -> bool:
        return self.run.live

    def _see_writer(self, live: bool) -> None:
        """Set the run's liveness, and whether its writer's process is seen."""
        self.run.live = live
        self.run.writer_seen = live and bool(process_alive(self.path))
        if self.run.writer_seen:
            self.run.writer_verified = time.monotonic()

    def check_writer(self) -> bool:
        """Look again whether the eval writing this file still runs; True
        (and the run touched) if that changed."""
        live = is_live(self.path, self._opened) and not self._writer_died
        if live and self.run.writer_seen and process_alive(self.path) is False:
            # Seen running here, now gone: it died, and the log has ended.
            # Its recent writes kept it live 30 s more, ages ticking on, then
            # frozen 30 s too old (QA, an eval killed mid-write). An eval in
            # a container is never seen here, and keeps that grace.
            self._writer_died = True
            live = False
        changed = live != self.run.live
        if changed:
            self._see_writer(live)
        elif live and self.run.writer_seen:
            self.run.writer_verified = time.monotonic()  # alive at this look
        changed |= self._settle_samples()
        if changed:
            self.store.touch(self.run_id)
        return changed

    def _settle_samples(self) -> bool:
        """Samples read running between two actions that have been quiet
        for SAMPLE_QUIET, or whose log has ended, read as done; True if
        any did."""
        if not self._unsettled:
            return False
        before = len(self._unsettled)
        for sample in list(self._unsettled):
            self._refresh_now(sample)
        return len(self._unsettled) != before

    @property
    def skipped(self) -> int:
        return self.bad_lines + self.invalid_records

    @property
    def skipped_before_records(self) -> int:
        return self.lead.before_records(self._line_no)

    @property
    def first_bad_after_records(self) -> int | None:
        return self.lead.first_after

    def _bad(self, invalid: bool) -> None:
        if invalid:
            self.invalid_records += 1
        else:
            self.bad_lines += 1
        if self.first_bad_line is None:
            self.first_bad_line = self._line_no
        self.lead.bad(self._line_no)

    def feed(self, lines: list[tuple[int, bytes]]) -> None:
        """Lines with their offsets, in file order (any offsets: a test's,
        or lines that are not consecutive)."""
        for offset, line in lines:
            self.feed_run([line], offset)

    def feed_run(self, lines: Sequence[bytes], pos: int, crs: bool = True) -> None:
        """`feed` for consecutive lines, the first at offset `pos`: the
        reader's hot path; `crs`: a line may hold a CR (else none is looked
        for, line by line). A big batch's lines are scanned ahead on
        another thread (`SCANNER`) while `_feed_lines` applies them."""
        opened = self._opened
        if opened is not None and pos >= opened[0] and not self.run.live and not self._writer_died:
            # Written since it was opened: its writer is at work, wherever
            # it runs (`is_live`), as these lines are read, not a second
            # later. Once a second at most: a copy being written is no eval.
            now = time.monotonic()
            if now - self._growth_checked >= 1.0:
                self._growth_checked = now
                self.check_writer()
        needle = self.filter
        fast = FAST_FEED if needle is None else None
        count = len(lines)
        context = scanner = None
        if fast is not None:
            context = self._fast_context()
            if count >= SCAN_AHEAD_MIN and not _scans_beside:
                scanner = SCANNER(lines, crs)
        try:
            line_no, records = self._feed_lines(lines, pos, crs, fast, context, scanner)
        finally:
            if scanner is not None:
                scanner.close()
        self._line_no = line_no
        self.records += records
        self._refresh_stale()
        # The log's present moved on: samples quiet since are done.
        self._settle_samples()
        self.store.touch(self.run_id)

    def _fast_context(self) -> tuple:
        """What `FAST_FEED` reads and changes: the decoder's state, as
        `_fastindex.feed`'s docstring lists it."""
        return (self, self.run, self.run.spans, self._samples, self._open, self._stale,
                self.run.anomalies.running, self._shared, self.run.lately_active,
                SHARED_MAX_LEN, SHARED_MAX_ENTRIES, LATELY_KEPT, self.run.events,
                self._sample_cache, self._text_cache, self._message_cache, self._tasks,
                self._task_counts)

    def _feed_lines(self, lines: Sequence[bytes], pos: int, crs: bool, fast: Any, context: tuple | None,
                    scanner: Any) -> tuple[int, int]:
        """`feed_run`'s loop; returns the line count and the records taken.
        C (`fast`, with `scanner`'s scans if any) applies the common lines
        as far as it goes; of the others, records of the shapes Inspect's
        writer gives (a plain message; an enter or exit without error
        fields, its fields of the right types) are checked and dispatched
        inline, as `validate` and `_record` would; anything else takes
        `_record`."""
        parse = orjson.loads
        record = self._record
        enter = self._enter
        close = self._close
        event_record = self._event
        intern = sys.intern
        needle = self.filter
        line_no = self._line_no
        records = 0
        count = len(lines)
        i = 0
        while i < count:
            if fast is not None:
                # The common enters, exits and log records, applied in C
                # until a line that is not one (`_fastindex.c`); that line
                # is read here.
                done, pos, taken = fast(context, lines, i, pos, crs, scanner)
                line_no += done - i
                records += taken
                i = done
                if i == count:
                    break
            line = lines[i]
            i += 1
            offset = pos
            pos += len(line) + 1
            line_no += 1
            if crs:
                cr = line.find(b"\r")
                if 0 <= cr < len(line) - 1:
                    # A lone CR: Inspect breaks the line there, even between
                    # two fields, where orjson would read it as a space.
                    self._line_no = line_no
                    self._slow_line(line, offset)
                    line_no = self._line_no
                    continue
            try:
                rec = parse(line)
                get = rec.get
            except orjson.JSONDecodeError:
                self._line_no = line_no
                self._slow_line(line, offset)
                line_no = self._line_no  # one more per lone CR in it
                continue
            except AttributeError:  # JSON, but not an object
                self._line_no = line_no
                self._bad(invalid=False)
                continue
            try:  # as `_record` is: a record its handling refuses counts as invalid
                message = get("message")
                if type(message) is str and type(get("timestamp")) is str \
                        and type(get("level")) is str:
                    action = get("action", _ABSENT)
                    if action is _ABSENT:
                        if needle is None or needle in message.lower():
                            records += 1
                            event_record(rec, offset)
                        continue
                    tid = get("trace_id")
                    detail = get("detail", "")
                    if type(action) is str and type(tid) is str and type(detail) is str \
                            and "error" not in rec and "error_type" not in rec \
                            and "stacktrace" not in rec:
                        event = get("event")
                        if event == "enter":
                            start = get("start_time")
                            if type(start) is float and "duration" not in rec:
                                if needle is None or needle in message.lower():
                                    records += 1
                                    enter(rec, intern(action), detail, tid, start, None, offset)
                                continue
                        elif event == "exit":
                            duration = get("duration")
                            if type(duration) is float and "start_time" not in rec:
                                if needle is None or needle in message.lower():
                                    records += 1
                                    close(rec, intern(action), detail, tid, event, None, duration,
                                          offset)
                                continue
            except (ValueError, TypeError, OverflowError):
                self._line_no = line_no
                self._bad(invalid=True)
                continue
            self._line_no = line_no
            try:
                record(rec, offset)
            except (ValueError, TypeError, OverflowError):
                self._bad(invalid=True)
        return line_no, records

    def _slow_line(self, line: bytes, offset: int) -> None:
        """A line orjson refuses: blank (ignored), JSON only Python's parser
        reads (NaN, huge integers), lines joined by a lone CR, or not JSON
        at all."""
        pieces = cr_lines(line)
        if pieces is not None:
            for n, piece in enumerate(pieces):
                self._line_no += 1 if n else 0
                self._slow_line(piece, offset)
            return
        if not line.strip():
            self.lead.blank(self._line_no)
            return
        try:
            rec = loads(line)
        except ValueError:
            self._bad(invalid=False)
            return
        if type(rec) is not dict:
            self._bad(invalid=False)
            return
        try:
            self._record(rec, offset)
        except (ValueError, TypeError, OverflowError):
            self._bad(invalid=True)

    def _record(self, rec: dict, offset: int) -> None:
        start, duration = validate(rec)
        if self.filter and self.filter not in rec["message"].lower():
            return
        self.records += 1
        if "action" not in rec:
            self._event(rec, offset)
            return
        # One string per action name, not one per span (a 1M-line log has
        # half a million spans and a few dozen names).
        action = sys.intern(rec["action"])
        if rec["event"] == "enter":
            self._enter(rec, action, rec.get("detail", ""), rec["trace_id"], start, duration, offset)
        else:
            self._close(rec, action, rec.get("detail", ""), rec["trace_id"], rec["event"],
                        start, duration, offset)

    # -- tree inference -----------------------------------------------------

    def _sample(self, rec: dict) -> _Sample | None:
        sample_id = rec.get("sample_id")
        if sample_id is None:
            return None
        return self._sample_for(rec.get("task"), sample_id, rec.get("epoch"))

    def _sample_for(self, task: Any, sample_id: Any, epoch: Any) -> _Sample:
        """The sample of this key, made (with its node) the first time it
        is named. Also called from C (`_fastindex.c`), for a sample's first
        action."""
        key = (task, sample_id, epoch)
        try:
            state = self._samples.get(key)
        except TypeError:  # a list or object where an id belongs: Inspect reads it all the same
            key = tuple(map(repr, key))
            state = self._samples.get(key)
        if state is None:
            name = task_name(task)
            label = f"sample {sample_id}"
            if epoch is not None:
                label += f" · epoch {epoch}"
            node = Span(sample_node_id(task, sample_id, epoch), self.run, label, "sample")
            node.synthetic = True
            self.run.synthetic_spans += 1
            node.status = OK
            state = _Sample(node, key)
            if key[1] is sample_id and SpanCore is not None:
                # Read as the dict below from the key (the C state's, which
                # holds it), not held as one (`_span.h`); not a key spelled
                # by `repr`, which holds other values.
                node.attributes_of_key(key if type(state) is _SampleSlots else state)
                # And its name, the label above, from the key: not a str of
                # its own (~96 bytes a sample).
                node.name_from_key()
            else:
                node.attributes = {"task": task, "sample_id": sample_id, "epoch": epoch}
            task_node = self._task(name)
            self._attach(node, task_node)
            counts = self._task_counts.setdefault(task_node.id, {RUNNING: 0, ERROR: 0, OK: 0, CANCELLED: 0})
            counts[OK] += 1
            self._samples[key] = state
        return state

    def _samples_of_task(self, task: str) -> list[_Sample]:
        """The states of a task's samples (a `Run Task` names its task), in
        the order they came: its node's children that are samples. Not a
        list of them kept a task: a `Run Task` ends or is cancelled once,
        and a list of a 1M-line log's 117k samples took 1 MB."""
        node = self._tasks.get(task)
        states = []
        for child in node.children or () if node is not None else ():
            if child.kind != "sample":
                continue
            attributes = child.attributes or {}
            key = (attributes.get("task"), attributes.get("sample_id"), attributes.get("epoch"))
            try:
                state = self._samples.get(key)
            except TypeError:  # (filed under its parts' reprs, as `_sample_for` files it)
                state = self._samples.get(tuple(map(repr, key)))
            if state is not None and state.node is child:
                states.append(state)
        return states

    def _run_task(self, detail: str) -> None:
        """`task: NAME (MODEL)`: the run and the task's node say which task
        and model, for the `task:` and `model:` filters (Inspect writes no
        model field; the detail is where it says it)."""
        match = RUN_TASK_DETAIL.fullmatch(detail)
        if match is None:
            return
        task, model = match.groups()
        _remember(self.run.attributes, "task", task)
        _remember(self.run.attributes, "model", model)
        self._task_models[task] = model
        node = self._tasks.get(task)
        if node is not None:
            node.attributes = {"model": model}

    def _task(self, task: str) -> Span:
        node = self._tasks.get(task)
        if node is None:
            node = self._tasks[task] = Span(task_node_id(task), self.run, task, "task")
            node.synthetic = True
            self.run.synthetic_spans += 1
            node.status = OK
            model = self._task_models.get(task)
            if model is not None:
                node.attributes = {"model": model}
            self._attach(node, None)
            _remember(self.run.attributes, "task", task)
        return node

    def _attach(self, span: Span, parent: Span | None) -> None:
        self.run.spans[span.id] = span
        span.parent = parent
        if parent is None:
            self.run.roots.append(span)
        else:
            parent.add_child_compact(span)

    def _widen(self, node: Span | None, start: float | None, end: float | None) -> None:
        """Stretch synthetic ancestors so they cover a child's time range.
        Each one already covers its descendants, so the walk stops at the
        first that needs no stretching."""
        while node is not None and node.synthetic:
            stretched = False
            if start is not None and (node.start is None or start < node.start):
                if node.start is not None and node.duration is not None:
                    node.duration += node.start - start
                node.start = start
                stretched = True
            if end is not None and node.start is not None:
                if node.duration is None or end - node.start > node.duration:
                    node.duration = end - node.start
                    stretched = True
            if not stretched:
                return
            node = node.parent

    def _sample_status(self, sample: _Sample) -> str:
        """Running while an action of it is open; failed if it raised;
        cancelled if an action of it was, or its task was stopped while it
        ran; done once the log says it ended (`_Sample.ended`), or has
        ended itself, or the sample has been quiet for SAMPLE_QUIET; until
        then, running: between two actions a sample runs none (QA: a
        sample followed live read ✓ between its model call and its tool
        call). `_Sample.unchanged` reads its first rules (in Python and in
        C): change them there too."""
        if sample.open:
            return RUNNING
        if sample.errors:
            return ERROR
        if sample.cancels or sample.interrupted:
            return CANCELLED
        run = self.run
        if sample.ended is not None or not run.live:
            return OK
        end = sample.node.end
        if end is None or as_of(run, self.now()) - end > SAMPLE_QUIET:
            return OK
        return RUNNING

    def _refresh_sample(self, sample: _Sample | None) -> None:
        """Tell `sample`'s status (and its task's) once this batch is read:
        what it reads then depends only on what the log said by then, not
        on where a batch ended."""
        if sample is not None:
            self._stale[sample] = None

    def _refresh_stale(self) -> None:
        stale = self._stale
        if stale:
            self._stale = {}
            refresh = self._refresh_now
            # What `_refresh_now` would find unchanged is skipped, where no
            # sample waits to be told done (`_unsettled`).
            ended_by_log = not self.run.live
            for sample in stale:
                if not (not self._unsettled and sample.unchanged(ended_by_log)):
                    refresh(sample)

    def _refresh_now(self, sample: _Sample) -> None:
        node = sample.node
        status = self._sample_status(sample)
        if status == RUNNING and not sample.open:
            self._unsettled[sample] = None
        elif self._unsettled:  # (empty reading a log not being written: the hot path)
            self._unsettled.pop(sample, None)
        if status == node.status:
            return
        counts = self._task_counts.get(node.parent.id)
        if counts is None:
            counts = self._task_counts[node.parent.id] = {RUNNING: 0, ERROR: 0, OK: 0, CANCELLED: 0}
        counts[node.status] = counts.get(node.status, 0) - 1
        counts[status] = counts.get(status, 0) + 1
        node.status = status
        self._tell_task(node.parent)

    def _tell_task(self, task: Span) -> None:
        """A task node's status, as a run's is told: running while a sample
        runs; cancelled if the task itself was stopped (its `Run Task`
        cancelled: ctrl+c), whatever failed in it before; else failed if a
        sample did; else cancelled if one was; else ok (QA: an interrupted
        eval's task read ✗ under a ⊘ run)."""
        counts = self._task_counts.get(task.id) or {}
        task.status = (RUNNING if counts.get(RUNNING) else CANCELLED if task.id in self._stopped_tasks
                       else ERROR if counts.get(ERROR) else CANCELLED if counts.get(CANCELLED) else OK)

    # -- records ------------------------------------------------------------

    def _enter(self, rec: dict, action: str, detail: str, trace_id: str,
               start: float | None, duration: float | None, offset: int) -> None:
        run = self.run
        sample = self._sample(rec)
        detail = self.share(detail)
        span = run.spans.get(trace_id)
        if span is None or span.synthetic:
            span = Span(trace_id, run, action, action, start)  # running, no duration
            self._attach(span, self._parent_in(sample, action))
        else:
            # A repeated enter overwrites the earlier one (as Inspect does).
            span.name = span.kind = action
            span.start = start
            span.status = RUNNING
            span.duration = None
            if trace_id in self._open:
                _, old_sample = self._open.pop(trace_id)
                if old_sample is not None and span in old_sample.open:
                    old_sample.open.remove(span)
                    if not old_sample.open:
                        old_sample.open = ()
                    self._stale[old_sample] = None
            # The span stays where it was first placed, which may be under
            # another sample (a hostile log's id reused): that sample's node
            # is widened below and a child of it runs again, so its status
            # is told anew. Not telling it left it as the batches had cut
            # the log: running read whole, done when followed (a property
            # test, in CI).
            home = self._sample_above(span)
            if home is not None and home is not sample:
                self._stale[home] = None
        span.detail = detail
        span.origin = pack_offset((), offset)
        self._open[trace_id] = (span, sample)
        if action == "Run Task":
            self._run_task(detail)
        run.anomalies.running[trace_id] = AnomalyRow(
            action, detail or rec["message"], start, duration, rec.get("error"), span)
        run.see_time(start)
        parent = span.parent
        if parent is not None and parent.synthetic:
            if action not in LOG_WRITES:
                self._widen(parent, start, start)
            elif parent.start is None:
                # A log flush places a node in time but says nothing of how
                # long it ran (it comes after): a failed sample whose only
                # action it was read `0µs` (QA), where its length is unknown.
                self._widen(parent, start, None)
        if action in LOG_WRITES:
            if sample is not None and sample.ended is None:
                sample.ended = start if start is not None else sample.last_seen
        else:
            self._cancels_since = None  # work goes on: no stop under way
            if sample is not None:
                sample.ended = None  # acting again (a retry)
        if sample is not None:
            if start is not None:
                sample.last_seen = start
            if sample.open:
                sample.open.append(span)
            else:
                sample.open = [span]
            self._stale[sample] = None  # (`_refresh_sample`, inline)

    def _sample_above(self, span: Span) -> _Sample | None:
        """The sample whose node `span` lies under, if any: found by the
        key its node's attributes name (as `_sample_for` files it)."""
        node = span.parent
        while node is not None and not (node.synthetic and node.kind == "sample"):
            node = node.parent
        if node is None:
            return None
        attributes = node.attributes or {}
        key = (attributes.get("task"), attributes.get("sample_id"), attributes.get("epoch"))
        try:
            state = self._samples.get(key)
        except TypeError:  # filed under its parts' `repr` (`_sample_for`)
            state = self._samples.get(tuple(map(repr, key)))
        return state if state is not None and state.node is node else None

    @staticmethod
    def _parent_in(sample: _Sample | None, action: str) -> Span | None:
        """Where an action entered now nests: under the newest action of
        its sample still open (a `Subprocess` under its `Tool Call`) that
        can hold others (not a `LEAF_ACTIONS` call), else under the sample;
        a log flush, under the sample (`LOG_WRITES`)."""
        if sample is None:
            return None
        open_ = sample.open
        if open_ and action not in LOG_WRITES:
            newest = open_[-1]  # once per enter: the usual answer without a loop
            if newest.name not in _NOT_PARENTS:
                return newest
            for span in reversed(open_):
                if span.name not in _NOT_PARENTS:
                    return span
        return sample.node

    def _interrupt_task(self, task: str | None) -> None:
        """A task's `Run Task` was cancelled: the eval was stopped (ctrl+c).
        Its samples that still ran then were stopped too, though their
        actions may all have closed with `exit`: one between two actions
        has none open to cancel, and `sleep` killed by the terminal's
        SIGINT ends its Subprocess and Tool Call with `exit` before Inspect
        cancels the sample (QA; tests/data/inspect/make_sigint.py). Inspect
        writes no record of a sample stopped so. One ran then if it left a
        record once the stop began (STOP_LEAD before the first cancel: an
        action closing, the flush of its log) and had not been seen to end
        before it. One quiet since before, with no flush of its own, may
        have finished or been waiting: the log cannot tell, and it reads
        done."""
        if task is None:
            return
        cancelled = self._cancels_since
        if cancelled is None:
            return
        since = cancelled - STOP_LEAD
        for sample in self._samples_of_task(task):
            if sample.cancels or sample.errors or sample.last_seen is None or sample.last_seen < since:
                continue
            if sample.ended is not None and sample.ended < since:
                continue
            sample.interrupted = True
            # It ran until it was stopped, not only until its last action.
            self._widen(sample.node, None, cancelled)
            self._refresh_sample(sample)

    def _end_task(self, task: str | None, end: float | None) -> None:
        """A task's `Run Task` closed, however: its samples have all ended."""
        for sample in self._samples_of_task(task) if task is not None else ():
            if sample.ended is None and not sample.open:
                sample.ended = end if end is not None else sample.last_seen
                self._refresh_sample(sample)

    def _close(self, rec: dict, action: str, detail: str, trace_id: str, event: str,
               start: float | None, duration: float | None, offset: int) -> None:
        run = self.run
        entered = run.anomalies.running.pop(trace_id, None)
        if entered is not None:
            start = entered.start
        opened = self._open.pop(trace_id, None)
        if opened is not None:
            span, sample = opened
            if sample is not None and span in sample.open:
                sample.open.remove(span)
                if not sample.open:
                    sample.open = ()
        else:
            sample = self._sample(rec)
            span = run.spans.get(trace_id)
            if span is None or span.synthetic:
                # A closing record with no enter (truncated start, or --filter).
                shown_start = start
                if shown_start is None and duration is not None:
                    t = timestamp_to_epoch(rec["timestamp"])
                    shown_start = None if t is None else t - duration
                span = Span(trace_id, run, action, action, shown_start)
                span.detail = self.share(detail)
                self._attach(span, sample.node if sample else None)
        span.status = CLOSING_EVENTS[event]
        span.duration = duration
        span.origin = pack_offset(span.origin, offset)
        if event != "exit":
            error = rec.get("error")
            if error is not None or rec.get("error_type") or rec.get("stacktrace"):
                span.error = {k: v for k, v in (("message", error), ("type", rec.get("error_type")),
                                                 ("stacktrace", rec.get("stacktrace"))) if v is not None}
            run.anomalies.closed_version += 1
            run.anomalies.bucket(BUCKET_OF_EVENT[event])[trace_id] = AnomalyRow(
                action, detail or rec["message"], start, duration, error, span)
            # An action's error or timeout is not its sample's: a 429 is
            # retried, a tool's error goes back to the model, and the sample
            # carries on (QA: 2,991 of a 1M-line log's samples read ✗, none
            # of which raised). Only a sample that raised fails (`_event`);
            # one whose actions were cancelled was stopped.
            if sample is not None and span.status == CANCELLED:
                sample.cancels += 1
        end = span.end
        run.see_time(end)
        if event == "cancel" and self._cancels_since is None:
            self._cancels_since = end if end is not None else timestamp_to_epoch(rec["timestamp"])
        if sample is not None and end is not None:
            sample.last_seen = end
        parent = span.parent
        if parent is not None and parent.synthetic and not (action in LOG_WRITES and parent.start is not None):
            self._widen(parent, span.start, end)
        if action == "Run Task":
            task = action_field(action, detail, "task")
            if event == "cancel":
                self._interrupt_task(task)
                node = self._tasks.get(task) if task is not None else None
                if node is not None:
                    self._stopped_tasks.add(node.id)
                    self._tell_task(node)
            self._end_task(task, end)
        if sample is not None:
            self._stale[sample] = None  # (`_refresh_sample`, inline)
            active = run.lately_active
            active.pop(sample.node, None)
            active[sample.node] = None
            if len(active) > LATELY_KEPT:
                del active[next(iter(active))]

    def _event(self, rec: dict, offset: int) -> None:
        level = sys.intern(rec["level"])  # a handful of levels, like action names
        message = rec["message"]
        sample = self._sample(rec) if "sample_id" in rec else None
        if sample is not None:
            if message.startswith(("sample=", "task=")) and "\n" in message:
                # Inspect's `task=… sample=… epoch=…` line: the sample this
                # record is filed under says it.
                message = message.split("\n", 1)[1]
            if level != "TRACE" and message.startswith(SAMPLE_ERROR) and SAMPLE_RETRIED not in message:
                # The sample itself failed (an exception out of its solver,
                # not an action's error): its node read ✓ (QA, a real eval).
                # The anomaly buckets stay Inspect's: only actions go there.
                sample.errors += 1
                if sample.node.error is None:
                    # Why it failed, said with its status (QA: at the foot
                    # of its log, 14 lines down).
                    sample.node.error = {"message": message}
                self._refresh_sample(sample)
            # The sample's own log, in file (= time) order: the detail pane
            # shows it with the sample and its actions.
            target = sample.node
            if target.events is None:
                target.events = EventLog(self.run.events.columns)
            written = target.events.add(rec["timestamp"], level, self.share(message), offset)
        else:
            written = self.run.events.add(rec["timestamp"], level, self.share(message), offset)
        # The log got this far (QA: a hung Model call's 429 retries, written
        # after its enter, fell past the end of a log whose eval is not seen
        # here, and out of the action's log window).
        self.run.see_time(written)


#: The C path for the common enters, exits and log records
#: (`_fastindex.feed`), or None:
#: Python reads every line (where no compiler built it; tests set it to
#: None to compare the two).
FAST_FEED = None
#: `_fastindex.Scanner`: a batch's lines scanned on another core while C
#: applies them (None without C).
SCANNER = None
#: Batches of fewer lines are scanned by `FAST_FEED` itself: a thread
#: costs ~50 us to start, a line ~0.5 us to scan (a live log's polls bring
#: a few lines; a big file's, tens of thousands).
SCAN_AHEAD_MIN = 2048
#: `_fastindex.plain_rows`: a generic SQLite table's plain rows made spans
#: in C (`formats/sqlite_generic.py`; `_tablerows.h`), set up here with the
#: rest of `_fastindex`; None without C (tests set it to None to compare).
FAST_TABLE_ROWS = None
#: `_fastindex.TableFetcher`: a SQLite table's rows fetched by SQLite
#: itself (`_tablefetch.h`, `sources/sqlite.py`); None without C.
FAST_TABLE_FETCHER = None
#: `_fastindex.AttributeTexts`: a SQLite table's attributes held as their
#: JSON texts (`_attrtext.h`, `sqlite_generic`); None without C (tests set
#: it to None to compare).
ATTRIBUTE_TEXTS = None
#: How many scans of big logs run beside this process now (`scans_beside`).
_scans_beside = 0
_scans_lock = threading.Lock()


def scans_beside(change: int = 0) -> int:
    """Scans running in child processes (`prescan.Prescan`), after adding
    `change` (+1 as one starts, -1 as it ends). While one runs it has the
    second CPU, and a batch's lines are not scanned ahead (`feed_run`): the
    scanner's thread would only take turns on the CPU with the thread it
    feeds. The TUI indexed a 1M-line log in 1.77-1.93 s this way, against
    1.78-2.26 s scanning ahead beside the scan (five alternating pairs,
    `bench/bench_tui.py`'s app); once the scan ends, scanning ahead is back."""
    global _scans_beside
    with _scans_lock:
        _scans_beside += change
        return _scans_beside


if _fastindex is not None:
    _fastindex.setup(Span, AnomalyRow, _Sample, Run, {
        "RUNNING": RUNNING, "OK": OK, "LOG_WRITES": LOG_WRITES,
        "NOT_PARENTS": _NOT_PARENTS, "pack_offset": pack_offset, "PLAUSIBLE_TIME": PLAUSIBLE_TIME,
        "OFFSET_BITS": OFFSET_BITS, "EventLog": EventLog, "LogColumns": LogColumns,
        "SAMPLE_ERROR": SAMPLE_ERROR, "NO_TASK": task_name(None)})
    FAST_FEED = _fastindex.feed
    SCANNER = _fastindex.Scanner
    FAST_TABLE_ROWS = _fastindex.plain_rows
    FAST_TABLE_FETCHER = getattr(_fastindex, "TableFetcher", None)  # (a build before it: sqlite3 fetches)
    ATTRIBUTE_TEXTS = getattr(_fastindex, "AttributeTexts", None)
