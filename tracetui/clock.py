"""The instant a run's running spans are aged to: the same in every pane of
the TUI and in the CLI's trees, span lists, stats and exports."""

from __future__ import annotations

import os
import time
import weakref
from typing import Mapping

from tracetui.model import RUN_TASK_DETAIL, Anomalies, Run, Span, sample_node_id, task_name, task_node_id


def as_of(run: Run, now: float) -> float:
    """`now` while the run's writer is seen at work (`Run.writer_seen`: its
    process runs here); its last record's time while it is live only by its
    recent writes, and once it is not live, or the last instant its writer
    was seen at work if later (a killed eval's hung actions stop ageing when
    it died, an archived log's when it was closed), so the anomaly panel, the tree, the detail, the run list
    and the CLI agree on every age. Not the file's mtime: a copy, an
    artifact downloaded from CI or a gzipped twin has its own, days later
    (its runs lasted hours and their hung actions days); only a write seen
    as its writer's counts (`last_written`: a database's rows do not say
    when they were written)."""
    if run.live:
        if run.writer_seen:
            verified = run.writer_verified
            seen = now if verified is None else now - max(0.0, time.monotonic() - verified)
            if run.seen_at_work is None or seen > run.seen_at_work:
                run.seen_at_work = seen
            return now
        # Live by its recent writes only (an eval whose process is not seen
        # here): what it last wrote is all that is known. Ageing to now
        # aged every hung action through the quiet window before the log
        # is said to have ended (30 s too old in every pane, then).
        end = last_written(run)
        return now if end is None else end
    end = _latest(last_written(run), run.seen_at_work)
    if end is not None:
        return end
    try:
        return os.stat(run.source).st_mtime  # a run with no times at all
    except OSError:
        return now


def last_written(run: Run) -> float | None:
    """When the run was last written, as far as its source tells: its last
    record's time, or the last write to its source seen if later (a
    database, whose rows carry when their spans began: `Run.last_write`)."""
    return _latest(run.end, run.last_write)


#: Seconds a run's last write may come before its writer's start and
#: still be taken for its: a run begun by one process may be carried on by
#: another it started (its worker), which holds the file or database from
#: then on and writes nothing while it hangs in its first step. A run
#: killed a minute or more before a new writer started is what this tells
#: apart: those seen were days old.
WRITER_START_SLACK = 60.0
#: Times before this (2001) are not epoch seconds but a clock of the
#: source's own (monotonic, relative): no writer's start compares to them.
EPOCH_TIMES_FROM = 1e9


def written_before(last: float | None, since: float | None) -> bool:
    """Was what a run last wrote (`last`, epoch s) written before its
    source's writer (`writers.writer_since`) started, so not by it? A run
    killed long ago, in a file or database a new process writes, is not
    live with it (QA: `● ▶ support-agent 10d03h`, an orphan of ten days
    before shown hung since then)."""
    return (since is not None and last is not None and last >= EPOCH_TIMES_FROM
            and last < since - WRITER_START_SLACK)


def _latest(a: float | None, b: float | None) -> float | None:
    """The later of two instants, either unknown (None)."""
    if a is None:
        return b
    return a if b is None else max(a, b)


def ages_cut_short(run: Run, whole_file: bool = False) -> bool:
    """Whether a running span's age, measured to `as_of`, is only how long
    it had run when its log ends: the writer is gone (a killed eval, a
    crashed pipeline) or not seen from here, so how long it ran on after
    its last record the source cannot say. Views show such an age as a
    lower bound (`≥17.2ms`): a `sleep 600` stuck for an hour, then
    killed, read 17 ms with nothing saying why (QA).

    `whole_file`: the age is of a row found over the whole file (a big
    log's scan, while the index is still reading it), measured to the
    file's end (`Run.known_end`) like the index's will be once it gets
    there: a lower bound already (QA: `2h03m`, then `≥2h03m` once read).

    While a big log is read and its end is not known yet (the first second
    or two, before its scan answers), ages run to the part read so far, and
    whatever runs there ran at least that long: a lower bound too (QA: the
    run read `10m25s`, its Run Task `10m44s`, then both `≥4h55m`). Once
    the end is known, a span running in the part read but not found
    running at the end (not `whole_file`) is aged to that end, which it
    may not reach: provisional, shown plain (the detail says so)."""
    if run.live and run.writer_seen:
        return False  # aged to now
    if run.reading:
        if run.known_end is None:
            return True
        if not whole_file:
            return False
    seen = run.seen_at_work
    if seen is not None and run.live:
        end = last_written(run)
        return end is not None and end > seen
    # Its writer gone: its ages stop at when it was last seen at work (or
    # its last record), however long the action ran on unseen. Shown
    # plain, a killed eval's ages froze at `17.07s (running)`, the screen
    # seemingly stuck (QA).
    return True


def last_seen_at_work(run: Run) -> float | None:
    """When a run whose writer is gone was last seen at work, if that is
    what its ages run to (`as_of`): later than its last record."""
    seen = run.seen_at_work
    if run.live or seen is None:
        return None
    end = last_written(run)
    return seen if end is None or seen >= end else None


def runs_to_the_end(span: Span, early: Mapping[str, Anomalies]) -> bool:
    """Whether the whole-file scan of a log still being read (`early`: its
    buckets by run id, `tracetui.prescan`) found `span` still running at
    the log's end: its age, measured to that end, is already a lower bound
    (`ages_cut_short(..., whole_file=True)`), as the anomaly panel shows it.
    The tree showed `2h03m` beside the panel's `≥2h03m` until the index
    got there (QA). A task's or a sample's made-up node runs to the end
    if something in it does (QA: the task read `4h17m` beside its Run
    Task's `≥4h17m`)."""
    found = early.get(span.run.id)
    if found is None:
        return False
    if span.synthetic:
        return span.id in _nodes_running(found)
    return span.id in found.running


def _nodes_running(found: Anomalies) -> frozenset[str]:
    """The ids of the task and sample nodes (`model.task_node_id`,
    `sample_node_id`) that rows still running in a scan's buckets ran in:
    by the sample their record named, or the task a `Run Task` runs.
    Kept for the last buckets asked of, while they live: a view asks of
    every row drawn. (Held, a log's scan's buckets were kept for as long
    as the app ran: ~4,600 rows and their strings, 2.6 MB of a 1M-line
    log.)"""
    global _nodes_running_of
    key = (id(found), len(found.running))
    if _nodes_running_of is not None and _nodes_running_of[0] == key and _nodes_running_of[1]() is found:
        return _nodes_running_of[2]
    ids: set[str] = set()
    for row in found.running.values():
        if row.sample is not None:
            task, sample_id, epoch = row.sample
            ids.add(sample_node_id(task, sample_id, epoch))
            ids.add(task_node_id(task_name(task)))
        elif row.action == "Run Task":
            match = RUN_TASK_DETAIL.fullmatch(row.detail or "")
            if match is not None:
                ids.add(task_node_id(match.group(1)))
    nodes = frozenset(ids)
    _nodes_running_of = (key, weakref.ref(found), nodes)
    return nodes


#: `_nodes_running`'s last answer: ((id, rows), the buckets (weakly), the ids).
_nodes_running_of: tuple[tuple[int, int], weakref.ref[Anomalies], frozenset[str]] | None = None
