"""The anomaly panel: what is still running (oldest first, ages ticking)
and what was cancelled; `e` adds errors and timeouts. The rows are the ones
`tracetui anomalies` prints, from the same buckets."""

from __future__ import annotations

import os
import time
from operator import itemgetter
from typing import Callable, Iterable

from rich.text import Text

from tracetui.analysis import enclosing_sample, sample_tag
from tracetui.app.line_list import LineList
from tracetui.app.style import BUCKET_STATUS, STATUS_STYLE, plain, status_icon
from tracetui.clock import ages_cut_short, as_of as run_as_of, last_written
from tracetui.elide import elide_compose
from tracetui.formats.inspect import LEAF_ACTIONS, LOG_WRITES
from tracetui.model import RUNNING, Anomalies, AnomalyRow, Run
from tracetui.query import Query
from tracetui.text import fmt_age


#: Cells of its detail a row keeps before it says where it ran. Rows that
#: say where they ran read alike, so where is what tells them apart: at
#: 120 columns, 16 left a stuck `Tool Call` of a `django__django-11099`
#: sample no room to say so, and at 80 no row said where (QA).
DETAIL_KEEPS = 2
#: Rows whose details begin alike read alike: a panel shows about this
#: much of a detail, and 38 stuck `docker compose --project-name …`
#: subprocesses, told apart only past that, read as one (QA).
ALIKE_PREFIX = 24
#: The least room in which a long sample id is shown by its end.
WHERE_MIN_CLIPPED = 6
#: The least of a task's name a row shows when the names are cut to the
#: start that tells a run's tasks apart (`mmlu…`): one letter reads as a code.
TASK_CUT_MIN = 4
#: A panel narrower than this is narrow: its rows that read alike cut their
#: action to NARROW_ACTION cells to say where. (Beside the tree it had 31
#: cells at 80 columns; below 120 columns it now has the whole width,
#: `tracetui.tcss`, so only a terminal under 40 columns is this narrow.)
NARROW_WIDTH = 40
NARROW_ACTION = 8
#: A panel narrower than this is compact (beside the tree at 120 columns it
#: has 46 cells): a row's sample gets a quarter of it, not a third, and a
#: sandbox's command is said without `exec SERVICE:` (the detail pane says
#: it). Every stuck `Subprocess` there read `…sympy-21028/e1  exec d…`,
#: saying nothing of what it runs (QA); now `…-21028/e1  sleep 600`.
COMPACT_WIDTH = 60


def run_tags(runs: list[Run]) -> dict[str, str]:
    """What the panel's rows say of their runs: each run's name less the
    start all of them share up to a separator (`trace-31001` and
    `trace-16023` say `31001` and `16023`: Inspect names its logs after the
    eval's pid), or the whole name if nothing is left of one."""
    names = {run.id: run.name for run in runs}
    common = os.path.commonprefix(list(names.values()))
    cut = max(common.rfind(sep) for sep in "-_. /:") + 1
    if cut and all(len(name) > cut for name in names.values()):
        return {run_id: name[cut:] for run_id, name in names.items()}
    return names


def alike_key(row: AnomalyRow) -> tuple[str, str]:
    """What a row reads as in the panel (`_alike`)."""
    return row.action, row.detail[:ALIKE_PREFIX]


def _alike(part: list[tuple[str, AnomalyRow, Run]]) -> set[tuple[str, str]]:
    """Of one bucket's rows: the (action, detail) pairs more than one row
    shows."""
    seen: set[tuple[str, str]] = set()
    twice: set[tuple[str, str]] = set()
    for _, row, _ in part:
        key = alike_key(row)
        if key in seen:
            twice.add(key)
        else:
            seen.add(key)
    return twice


def _made_of(sources: list[tuple[Run, Anomalies, bool]]) -> tuple:
    """What a closed bucket's rows are made from (`AnomalyPanel._closed_part`):
    each run's buckets and the version of their closed rows."""
    return tuple((id(run), id(anomalies), anomalies.closed_version) for run, anomalies, _ in sources)


def _sample_where(row: AnomalyRow) -> tuple[str | None, object, object] | None:
    """(task name, sample id, epoch) of the sample a row ran in: from
    its span's sample node, or, before the index has made its span (a
    held archive's row), from the record the scan read."""
    node = enclosing_sample(row.span)
    if node is not None:
        attributes = node.attributes or {}
        task = node.parent.name if node.parent is not None else None
        # (Its name only if it has no sample id: a sample's name is made
        # as it is read, and this runs for every row of a bucket.)
        sample_id = attributes["sample_id"] if "sample_id" in attributes else node.name
        return task, sample_id, attributes.get("epoch")
    if row.span is None and row.sample is not None:
        task, sample, epoch = row.sample
        return (None if task is None else str(task)), sample, epoch
    return None


def stopped_runs_grouped(running: list[tuple[str, AnomalyRow, Run]],
                         cancelled: list[tuple[str, AnomalyRow, Run]]) -> list[tuple[str, AnomalyRow, Run]]:
    """The running and cancelled rows as the panel lists them: the live
    runs' (their running rows, then their cancelled ones), then each run
    no longer written, newest first (by its last write), its never-closed
    actions then its cancelled ones, each part in its own order. By bucket
    across runs, a week-old killed log's `≥` rows came before the eval
    stopped a minute ago, and several killed evals' rows were interleaved
    (QA: reopening Inspect's trace directory after a ctrl+c opened on the
    old eval)."""
    rows = [t for t in running if t[2].live] + [t for t in cancelled if t[2].live]
    stopped: dict[int, list[tuple[str, AnomalyRow, Run]]] = {}
    runs: dict[int, Run] = {}
    for item in running + cancelled:
        run = item[2]
        if not run.live:
            stopped.setdefault(id(run), []).append(item)
            runs[id(run)] = run
    newest_first = sorted(runs.values(), key=lambda run: -(last_written(run) or float("-inf")))
    for run in newest_first:
        rows.extend(stopped[id(run)])
    return rows


#: Actions that stand for a whole task (Inspect's): open while anything of
#: it runs, never what is stuck.
WHOLE_TASK_ACTIONS = frozenset(("Run Task",))


#: An action waits on the newest action of its sample still running (which
#: nests under it) only if that one was entered within WAIT_GAP seconds of
#: it, or within WAIT_SHARE of its age: a `Tool Call` on the `Subprocess`
#: it started a moment later (a second later in a real eval killed 17 ms
#: into the hang). One that has run two minutes while its sample went on to
#: enter actions a second old is stuck itself, and is listed by its own age
#: (QA: it sank below ninety young rows, and changed place with every batch).
WAIT_GAP = 10.0
WAIT_SHARE = 0.9


def _placement(row: AnomalyRow, newest_in_sample: dict, run: Run, end: float,
               wheres: dict[int, tuple | None] | None = None,
               slot_starts: set | None = None) -> tuple[int, float | None]:
    """Where a running row goes: (0 for an action that waits on no other,
    1 for one that waits on another, 2 for a whole task's action; the start
    it is placed by), its own start, or, for one that waits, the start of
    what it waits on, right after which it is listed.

    In a sample (Inspect), an action waits if another action of its sample
    entered after it still runs (`newest_in_sample`, `_newest_in_samples`),
    entered early enough in its life (`WAIT_GAP`): actions nest under the
    newest action of their sample still open; a `Model` call (`LEAF_ACTIONS`)
    runs nothing inside it, so waits on nothing. Known from the rows alone, it
    is the same before the index has made their spans (a big log's
    prescanned rows) as after: the order stays put as the log is indexed
    (QA: `a` `enter` during the load was on another row by the end of it).
    A `Tool Call` waits on a `Subprocess` begun after it in its sample
    however late it began (`slot_starts`: (sample key, start) of the
    bucket's `SLOT_ACTIONS` rows): it waited for a subprocess slot first.
    Elsewhere, an action waits on its running children."""
    if row.action in WHOLE_TASK_ACTIONS:
        return 2, row.start
    start = row.start
    if start is None:
        return 0, None
    where = wheres[id(row)] if wheres is not None else _sample_where(row)
    if where is not None:
        if row.action in LOG_WRITES or row.action in LEAF_ACTIONS:
            return 0, start  # runs nothing inside it: waits on nothing
        later = newest_in_sample.get(_sample_key(run, where))
    else:
        span = row.span
        later = max((c.start for c in span.children or () if c.status == RUNNING and c.start is not None),
                    default=None) if span is not None else None
    if later is not None and later > start and (
            later - start <= max(WAIT_GAP, WAIT_SHARE * (end - start))
            or (where is not None and row.action in HOLDING_ACTIONS and slot_starts is not None
                and (_sample_key(run, where), later) in slot_starts)):
        return 1, later
    return 0, start


def _slot_starts(part: Iterable[tuple[str, AnomalyRow, Run]], wheres: dict[int, tuple | None]) -> set:
    """(sample key, start) of the rows of `SLOT_ACTIONS` (`_placement`)."""
    return {(_sample_key(run, wheres[id(row)]), row.start) for _, row, run in part
            if row.action in SLOT_ACTIONS and wheres[id(row)] is not None}


def running_order(part: list[tuple[str, AnomalyRow, Run]], ends: dict[int, float]) -> None:
    """Sort running rows as the panel lists them: live runs' first; what has
    run longest first, each action that waits on another right after it
    (a hung `Subprocess`, then its `Tool Call`), a whole task's action
    (`Run Task`, always the oldest) last. `ends`: the instant each run's
    rows are aged to, by `id(run)`."""
    # Each row's sample found once a sort (every batch, following).
    wheres = {id(row): _sample_where(row) for _, row, _ in part}
    newest = _newest_in_samples(part, wheres)
    rank = _run_ranks(part)
    # A stopped run's running rows ran on past its log's end for as long
    # as nobody knows: an action begun at its last record waited on by one
    # begun seconds before (its own age, a lower bound, says nothing).
    slots = _slot_starts(part, wheres)
    placements = {id(row): _placement(row, newest, run, ends[id(run)] if run.live else float("inf"), wheres, slots)
                  for _, row, run in part}
    idle = _idle_holders(part, placements, wheres)
    # Oldest first: the start each row is placed by, less its run's end.
    ages = {id(row): float("inf") if placements[id(row)][1] is None else placements[id(row)][1] - ends[id(run)]
            for _, row, run in part}
    idle_ages = _idle_ages(part, idle, newest, wheres, placements, ages, lambda run: not run.live)

    def key(item: tuple[str, AnomalyRow, Run]) -> tuple:
        _, row, run = item
        level, _ = placements[id(row)]
        age = ages[id(row)]
        # Several waiting on one action: the innermost (latest entered) first.
        # Ages alike to the last digit (a database's rows aged to one
        # write, two samples stuck alike): a run's rows, and a sample's,
        # stay together, so no other row comes between an action and the
        # one waiting on it.
        return (not run.live, level == 2, idle_ages.get(id(row), age), id(row) in idle,
                age, rank[id(run)], _group(wheres[id(row)]), level, -(row.start or 0.0) if level == 1 else 0.0)

    part.sort(key=key)


#: Actions that do their work through others nested in them (a `Tool Call`
#: runs its `Subprocess`): one running with nothing under it waits on
#: something its log does not show (a free subprocess slot, a human).
HOLDING_ACTIONS = frozenset(("Tool Call", "Subtask"))
#: Rows whose ages differ by less than this began at one moment (samples
#: started together): a `HOLDING_ACTIONS` row waiting on nothing the log
#: shows (`_idle_holders`) is listed as if it began this much later, after
#: the work begun up to SAME_MOMENT after it. Not by groups of rows begun
#: within SAME_MOMENT of the group's oldest: a group's edge fell between
#: a Tool Call waiting for a slot and the Subprocesses begun 0.19 s after
#: it, the `Run Task` 0.9 s older anchoring the group (QA: `a` `enter`
#: on the waiting Tool Call again).
SAME_MOMENT = 1.0


def _idle_holders(part: list[tuple[str, AnomalyRow, Run]], placements: dict[int, tuple[int, float | None]],
                  wheres: dict[int, tuple | None]) -> set[int]:
    """The rows (by `id(row)`) of `HOLDING_ACTIONS` with nothing of their
    sample running under them, and those waiting on one: listed after what
    began at the same moment (`SAME_MOMENT`). Three samples of a real eval
    started together on two subprocess slots: the third's `Tool Call`,
    entered 2 ms before the two `sleep 3600`, came first, and `a` `enter`
    landed on it, not on a stuck Subprocess (QA)."""
    idle = {id(row) for _, row, _ in part
            if row.action in HOLDING_ACTIONS and placements[id(row)][0] == 0 and wheres[id(row)] is not None}
    if not idle:
        return idle
    # A row waiting on an idle one goes with it.
    idle_at = {(_sample_key(run, wheres[id(row)]), row.start) for _, row, run in part if id(row) in idle}
    for _, row, run in part:
        level, placed = placements[id(row)]
        where = wheres[id(row)]
        if level == 1 and where is not None and (_sample_key(run, where), placed) in idle_at:
            idle.add(id(row))
    return idle


#: Actions that hold one of an eval's subprocess slots while they run.
SLOT_ACTIONS = frozenset(("Subprocess",))
#: A `HOLDING_ACTIONS` row waiting on nothing its log shows is listed after
#: the `SLOT_ACTIONS` rows of its run that have run at least this share of
#: its own age: they may hold the slot it waits for. A `Tool Call` that
#: waited 20 s for a slot, then 2 minutes more while the `Subprocess` that
#: took it hung, came before it, and `a` `enter` landed on the Tool Call
#: (QA). One that has waited two hours beside Subprocesses a few seconds
#: old (slots come and go; a tool of its own hangs) is listed by its age.
SLOT_SHARE = 0.5
#: A `Subprocess` begun this long (s) after the `Tool Call` that runs it
#: waited for a slot: the slots are taken, and a Tool Call with nothing
#: under it is listed after the Subprocesses that waited so, whatever their
#: age (QA: for as long as the Tool Calls had waited, 20 s to a minute, the
#: one still waiting came first, and a ctrl+c then kept that order).
SLOT_QUEUE = 1.0


def _idle_ages(part: list[tuple[str, AnomalyRow, Run]], idle: set[int], newest: dict,
               wheres: dict[int, tuple | None], placements: dict[int, tuple[int, float | None]],
               ages: dict[int, float], any_slot: Callable[[Run], bool]) -> dict[int, float]:
    """The age each idle row (`_idle_holders`) is listed by, by `id(row)`:
    SAME_MOMENT after its own, or, for one that may wait for a slot
    (`_slot_waiters`), after that of the youngest slot holder of its run
    it may wait on, if younger: one that waited for its own slot
    (`SLOT_QUEUE`), one that has run long enough (`SLOT_SHARE`), or any
    where `any_slot(run)` (a stopped log's ages are only lower bounds).
    `ages`: as the rows are sorted, oldest the lowest (negative: how long
    ago)."""
    if not idle:
        return {}
    # When a Tool Call waiting on each Subprocess began: one that waited
    # SLOT_QUEUE for it shows the slots are all taken.
    waited_from = {(_sample_key(run, wheres[id(row)]), placements[id(row)][1]): row.start for _, row, run in part
                   if placements[id(row)][0] == 1 and wheres[id(row)] is not None and row.start is not None}
    holders: dict[int, list[tuple[float, bool]]] = {}
    for _, row, run in part:
        age = ages[id(row)]
        if row.action in SLOT_ACTIONS and id(row) not in idle and placements[id(row)][0] == 0 \
                and age != float("inf"):
            where = wheres[id(row)]
            began = waited_from.get((_sample_key(run, where), row.start)) if where is not None else None
            queued = began is not None and row.start - began >= SLOT_QUEUE
            holders.setdefault(id(run), []).append((age, queued))
    waiters = _slot_waiters(part, idle, newest, wheres, placements) if holders else set()
    listed = {}
    for _, row, run in part:
        if id(row) in idle:
            age = ages[id(row)]
            if id(row) in waiters:
                anyone = any_slot(run)
                age = max([age, *(a for a, queued in holders.get(id(run), ())
                                  if anyone or queued or a <= SLOT_SHARE * age)])
            listed[id(row)] = age + SAME_MOMENT
    return listed


def _slot_waiters(part: list[tuple[str, AnomalyRow, Run]], idle: set[int], newest: dict,
                  wheres: dict[int, tuple | None], placements: dict[int, tuple[int, float | None]]) -> set[int]:
    """Of the idle rows, those with nothing of their sample begun after
    them still running (a `Tool Call` waiting for a subprocess slot), and
    those waiting on one. One whose sample went on (`WAIT_GAP`) is not
    waiting for a slot."""
    waiters = set()
    for _, row, run in part:
        if id(row) in idle and placements[id(row)][0] == 0 \
                and newest.get(_sample_key(run, wheres[id(row)])) == row.start:
            waiters.add(id(row))
    at = {(_sample_key(run, wheres[id(row)]), row.start) for _, row, run in part if id(row) in waiters}
    for _, row, run in part:
        level, placed = placements[id(row)]
        if id(row) in idle and level == 1 and (_sample_key(run, wheres[id(row)]), placed) in at:
            waiters.add(id(row))
    return waiters


#: Cancelled actions that ended within this many seconds of the next one
#: ended in one stop: a ctrl+c, or a sample's limit, cancels every action
#: open at once (a `Subprocess` killed after Inspect's grace of a few
#: seconds).
BURST_GAP = 5.0


def cancelled_order(part: list[tuple[str, AnomalyRow, Run]]) -> None:
    """Sort cancelled rows as the panel lists them: newest stop first (as
    Inspect lists them), and the actions one stop cancelled together
    (`BURST_GAP`) as running ones are listed (`running_order`): what had
    run longest first, what waited on it right after, a whole task's
    `Run Task` last. After a ctrl+c on a hung eval, `Run Task` and each
    `Tool Call` came above the `Subprocess` that was stuck (they end last),
    and `a` `enter` went to `Run Task` (QA)."""
    part.sort(key=lambda t: t[1].sort_key(), reverse=True)
    ordered: list[tuple[str, AnomalyRow, Run]] = []
    i = 0
    while i < len(part):
        j = i + 1
        while j < len(part) and part[j - 1][1].sort_key() - part[j][1].sort_key() <= BURST_GAP:
            j += 1
        burst = part[i:j]
        if len(burst) > 1:
            _order_one_stop(burst)
        ordered.extend(burst)
        i = j
    part[:] = ordered


def _order_one_stop(burst: list[tuple[str, AnomalyRow, Run]]) -> None:
    """`cancelled_order` within one stop: by how long each ran (its
    recorded duration; one cancelled first, while it waited for a human,
    ran shorter), each action that waited on another (`_placement`) right
    after it, as long as that one ran."""
    wheres = {id(row): _sample_where(row) for _, row, _ in burst}
    newest = _newest_in_samples(burst, wheres)
    rank = _run_ranks(burst)
    # What a waiting row waits on: its sample's latest-entered row.
    latest = {(_sample_key(run, wheres[id(row)]), row.start): row for _, row, run in burst
              if wheres[id(row)] is not None}

    slots = _slot_starts(burst, wheres)
    placements = {id(row): _placement(row, newest, run, row.sort_key(), wheres, slots) for _, row, run in burst}
    idle = _idle_holders(burst, placements, wheres)
    ran: dict[int, float] = {}
    for _, row, run in burst:
        level, placed = placements[id(row)]
        where = wheres[id(row)]
        waited_on = latest.get((_sample_key(run, where), placed)) if level == 1 and where is not None else None
        ran[id(row)] = -((waited_on or row).duration or 0.0)
    idle_ran = _idle_ages(burst, idle, newest, wheres, placements, ran, lambda run: False)

    def key(item: tuple[str, AnomalyRow, Run]) -> tuple:
        _, row, run = item
        level, _ = placements[id(row)]
        # A Tool Call that waited on nothing the log shows as if it ran
        # SAME_MOMENT less, as running rows are listed.
        how_long = ran[id(row)]
        return (level == 2, idle_ran.get(id(row), how_long), id(row) in idle, how_long,
                rank[id(run)], _group(wheres[id(row)]), level, -(row.start or 0.0) if level == 1 else 0.0)

    burst.sort(key=key)


def _run_ranks(part: list[tuple[str, AnomalyRow, Run]]) -> dict[int, int]:
    """Each run's place among the rows' runs, as given, by `id(run)`: what
    orders rows whose ages tie (not `id` itself: the order must not change
    from one process to the next)."""
    rank: dict[int, int] = {}
    for _, _, run in part:
        rank.setdefault(id(run), len(rank))
    return rank


def _group(where: tuple | None) -> str:
    """What keeps a sample's rows together where the ages tie to the last
    digit (two stuck samples alike: each Tool Call right after its own
    Subprocess, not both after both)."""
    return "" if where is None else repr(where)


def _sample_key(run: Run, where: tuple) -> tuple:
    """A sample's key, the same for a prescanned row as for its span's (a
    sample id may be a list in a hostile record: by its repr)."""
    task, sample, epoch = where
    return id(run), task or "(no task)", repr(sample), repr(epoch)


def _newest_in_samples(part: Iterable[tuple[str, AnomalyRow, Run]],
                       wheres: dict[int, tuple | None] | None = None) -> dict:
    """Sample key (`_sample_key`) -> the latest start among a bucket's
    rows in that sample that others can run under (`_placement`).
    `wheres`: each row's `_sample_where` by `id(row)`, if found already."""
    newest: dict = {}
    for _, row, run in part:
        if row.start is None or row.action in LOG_WRITES or row.action in WHOLE_TASK_ACTIONS:
            continue
        where = wheres[id(row)] if wheres is not None else _sample_where(row)
        if where is not None:
            key = _sample_key(run, where)
            if row.start > newest.get(key, float("-inf")):
                newest[key] = row.start
    return newest


class AnomalyPanel(LineList):
    #: The sources are still being read: an action listed as running may
    #: close further on, so the title says "so far".
    provisional = False
    #: Ids of runs being read whose whole-file scan has not answered yet
    #: (`tracetui.prescan`): their running rows are not listed meanwhile.
    #: What their index has open is what runs where the reader has got to,
    #: most of it closing a moment later in the file: on a 1M-line log the
    #: panel listed 150-162 such rows for 6-14 s on a busy machine (46 run
    #: at the end), its top row changing every few hundred ms, and `enter`
    #: showed a span that had timed out by then (QA). Their cancelled,
    #: failed and timed-out rows are final, and listed.
    scanning: set = frozenset()

    def __init__(self, *args, now=time.time, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rows: list[tuple[str, AnomalyRow, Run]] = []
        self.show_failures = False
        self._query = Query()
        self.now = now
        self._counts: dict[str, int] = {}
        #: Whole-file buckets of runs still being indexed, by run id (from
        #: `tracetui.prescan`), shown instead of the index's partial ones.
        #: Their rows get their span once the reader has made it.
        self.early: dict[str, Anomalies] = {}
        #: The cancelled, failed and timed-out rows the scan of a run in
        #: `scanning` has found so far, by run id, where it has read further
        #: than the index (`fastscan.Interim`): listed instead of the
        #: index's, which are fewer. Their rows get their span as `early`'s do.
        self.interim: dict[str, Anomalies] = {}
        #: Per closed bucket (cancelled, errors, timeouts): what its rows
        #: were made from (each run's buckets and their `closed_version`),
        #: the rows sorted, and the prescanned rows still without a span.
        #: Following a log, most updates only open and close actions: the
        #: 9,000 failure rows of a 1.5M-line log were sorted again on every
        #: batch (4-5 ms of each frame with `e` on).
        self._closed_parts: dict[str, tuple[tuple, list, list]] = {}
        #: (action, detail) shown by more than one row of a bucket: those
        #: rows say where they ran (three `Subprocess sleep 3600` rows are
        #: three stuck samples), and their run when the panel shows several.
        self._ambiguous: set[tuple[str, str]] = set()
        #: Run id -> what a row says of its run, while the rows come from
        #: several runs (`run_tags`; empty for one): a directory's hung rows
        #: did not say which eval they were from (QA).
        self._run_tags: dict[str, str] = {}
        #: run id -> (roots, task nodes among them, longest task name).
        self._task_counts: dict[str, tuple[int, int, int, int]] = {}
        #: `scanning` as the rows were last listed (`_running_rows_arrived`).
        self._scanned_before: frozenset | set = frozenset()

    def row_count(self) -> int:
        return len(self.rows)

    @property
    def filtered(self) -> bool:
        """A filter is on: the rows are its matches."""
        return bool(self._query)

    def empty_text(self) -> str:
        if self._query:
            # Errors and timeouts hidden, `status:error` matched nothing and
            # said nothing of `e` (QA).
            hidden = None if self.show_failures else "(errors and timeouts are hidden: e shows them)"
            # While a big log's scan runs, its running rows are not in yet
            # (QA: `/status:running` said nothing matched for 3 s).
            pending = "(still finding what runs at the log's end…)" if self.scanning else None
            return "\n".join(filter(None, ["no anomalies match the filter", pending, self._query.typo_hint(),
                                            hidden]))
        if self.waiting:
            return self.waiting
        if self.scanning:
            return "finding what still runs at the log's end (a scan of the whole file)…"
        if self.provisional:
            return "nothing running or cancelled in what is read so far"
        if self.show_failures:
            return "nothing running, cancelled, failed or timed out"
        return "nothing running or cancelled\n(e: errors and timeouts too)"

    @property
    def current(self) -> tuple[str, AnomalyRow, Run] | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def as_of(self, run: Run) -> float:
        return run_as_of(run, self.now())

    def set_runs(self, runs: Iterable[Run]) -> None:
        current = self.current
        # Each run's buckets: the prescan's while it is the whole file's.
        sources = self._sources(runs)
        buckets = ["running", "cancelled"] + (["errors", "timeouts"] if self.show_failures else [])
        counts: dict[str, int] = {}
        ambiguous: set[tuple[str, str]] = set()
        parts: dict[str, list[tuple[str, AnomalyRow, Run]]] = {}
        # What the closed buckets' rows were made from, once for them all:
        # a database's 1,000 runs cost 1.2 ms a bucket.
        made_of = _made_of(sources)
        for bucket in buckets:
            if bucket == "running":
                part = self._running_part(sources)
                alike = None
            else:
                part, alike = self._closed_part(bucket, sources, made_of)
            if alike is None:
                alike = _alike(part)
            if self._query:
                # Rows say where they ran as they do unfiltered: those that
                # read alike then still do beside the others (QA: `/2/e1`
                # listed sample 2's rows of three tasks, none saying which).
                part = [t for t in part if self._matches(t)]
            ambiguous |= alike
            counts[bucket] = len(part)
            parts[bucket] = part
        rows = stopped_runs_grouped(parts["running"], parts["cancelled"])
        for bucket in buckets[2:]:
            rows.extend(parts[bucket])
        self.rows = rows
        self._ambiguous = ambiguous
        shown = set(map(itemgetter(2), rows))  # every batch: in C, not a loop over the rows
        # Which run, where there are several to choose from, even with rows
        # of one alone: QA read `pipeline  pipeline_run` in a database of
        # five pipelines, not saying it was `crawl`'s.
        self._run_tags = run_tags(list(shown)) if len(shown) > 1 or (shown and len(sources) > 1) else {}
        moved = False
        arrived = self._running_rows_arrived()
        if arrived and rows and not self.chosen:
            # A scan's running rows come above the cancelled ones listed
            # while it ran: the cursor, on the first of those, nobody's
            # choice, goes to the top one, what the user opened the tool
            # for (QA: it stayed on the cancelled row, the list scrolled
            # with the wheel, the running rows above out of view).
            if self.cursor:
                self.set_reactive(AnomalyPanel.cursor, 0)
            moved = True
        elif current is not None and (self.cursor or self.scroll_offset.y):
            # The cursor stays on its row as rows come and go above it. On
            # the top row of a list scrolled to its top, it stays on top:
            # the panel watches what has run longest, and rows found while
            # it opens (a prescan's, an archive's) must not push it away.
            was = current[1]
            # A prescanned row without a span is the same anomaly as the
            # index's row for it once its file is read: same action, detail, start.
            same = (lambda row: row.span is was.span) if was.span is not None else (
                lambda row: row is was or (row.action, row.detail, row.start) == (was.action, was.detail, was.start))
            # In its bucket, or, its span's, in another: an action running
            # when ctrl+c stopped its eval is a cancelled row now, and the
            # cursor left on its row number showed another eval's (QA).
            found = next((i for i, (b, row, run) in enumerate(rows)
                          if b == current[0] and run is current[2] and same(row)), None)
            if found is None and was.span is not None:
                found = next((i for i, (_, row, _) in enumerate(rows) if row.span is was.span), None)
            if found is not None and found != self.cursor:
                self.set_reactive(AnomalyPanel.cursor, found)
                moved = True
        self.sync_size()
        if moved:
            self.scroll_to_cursor()
        if arrived and self.chosen and self.cursor:
            self._show_running_arrived(counts["running"])
        self._counts = counts
        self.border_title = self._title(self._counts)

    def reorder_as_ages_grow(self, runs: list[Run]) -> None:
        """List the running rows again if time alone has changed their
        order: where a row goes depends on how long it and its neighbours
        have run (`WAIT_SHARE`, `SLOT_SHARE`). Sorted only when records
        came, a hung eval's panel kept the order of the moment its last
        `Subprocess` began, its waiting `Tool Call` on top, for as long as
        nothing was written (QA). Called by the tick; the running rows are
        few (the prescan's while a big log loads: tens)."""
        if not any(run.live for run in runs):
            return  # a stopped log's ages are fixed: so is its order
        sources = self._sources(runs)
        listed = [id(row) for bucket, row, _ in self.rows if bucket == "running"]
        ordered = [id(item[1]) for item in self._running_part(sources) if not self._query or self._matches(item)]
        if ordered != listed:
            self.set_runs(runs)

    def _sources(self, runs: Iterable[Run]) -> list[tuple[Run, Anomalies, bool]]:
        """Each run's buckets, and whether their rows may lack spans: the
        whole file's from its scan (`early`), else the closed rows its scan
        has found so far (`interim`), else the index's."""
        sources = []
        for run in runs:
            found = self.early.get(run.id) or self.interim.get(run.id)
            sources.append((run, run.anomalies, False) if found is None else (run, found, True))
        return sources

    def _show_running_arrived(self, running: int) -> None:
        """The scan's running rows, just come above the row the user chose
        while it ran: in view, as many as fit with that row at the bottom;
        if none would, the cursor goes to the top row, and says why (QA:
        under a title of 46 running, only cancelled rows were in view, the
        chosen one now among the whole file's 338)."""
        height = self.scrollable_content_region.height or self.size.height
        top = max(0, self.cursor - height + 1)
        if not running or any(bucket == "running" for bucket, _, _ in self.rows[top:top + height]):
            self.scroll_to(y=top, animate=False)
            return
        self.chosen = False
        self.set_reactive(AnomalyPanel.cursor, 0)
        self.scroll_to(y=0, animate=False)
        self.notify(f"the whole file read: {running:,} running, on top (the cursor is on the first)",
                    timeout=4, markup=False)

    def _running_rows_arrived(self) -> bool:
        """Runs have left `scanning` since the last call: their running
        rows are listed now (their scan answered or failed, or their file
        was read to its end)."""
        arrived = bool(self._scanned_before - self.scanning)
        self._scanned_before = self.scanning
        return arrived

    @staticmethod
    def _give_spans(pending: Iterable[tuple[Run, str, AnomalyRow]]) -> list[tuple[Run, str, AnomalyRow]]:
        """Give prescanned rows (run, trace id, row) the spans the index has
        made since; returns the ones still waiting for theirs."""
        waiting = []
        for run, trace_id, row in pending:
            row.span = run.spans.get(trace_id)
            if row.span is None:
                waiting.append((run, trace_id, row))
        return waiting

    @staticmethod
    def _spanless(run: Run, bucket: dict[str, AnomalyRow]) -> Iterable[tuple[Run, str, AnomalyRow]]:
        return ((run, trace_id, row) for trace_id, row in bucket.items() if row.span is None)

    def _running_part(self, sources) -> list[tuple[str, AnomalyRow, Run]]:
        """Running rows: those of live runs first (a trace directory's
        week-old archives listed their never-closed actions above the live
        eval's hang: QA); in each, longest-running first, what waits right
        after what it waits on (`running_order`: a hung `Subprocess`, then
        its `Tool Call`), the whole task's `Run Task`, which is always the
        oldest, last (`a` `enter` opened `Run Task`, QA). Rebuilt every
        time, as every action entered or closed changes them."""
        part = []
        ends: dict[int, float] = {}
        for run, anomalies, spans_pending in sources:
            if spans_pending:
                self._give_spans(self._spanless(run, anomalies.running))
            elif run.id in self.scanning:
                continue
            if anomalies.running:  # (of a database's 1,000 runs, a few: 9 ms a call for all)
                part.extend(("running", row, run) for row in anomalies.running.values())
                ends[id(run)] = run_as_of(run, self.now())
        # Longest-running: the oldest start against the instant its run is aged to.
        running_order(part, ends)
        return part

    def sort_ahead(self, runs: Iterable[Run]) -> None:
        """The closed buckets it hides (errors and timeouts, until `e`)
        sorted and grouped now, kept for when they are shown."""
        if self.show_failures:
            return
        sources = self._sources(runs)
        made_of = _made_of(sources)
        for bucket in ("errors", "timeouts"):
            self._closed_part(bucket, sources, made_of)

    def _closed_part(self, bucket: str, sources, made_of: tuple) -> tuple[list[tuple[str, AnomalyRow, Run]], tuple]:
        """A closed bucket's rows across runs, newest first, sorted again
        only when one of its runs' buckets was written to (`made_of`, the
        same for every bucket); and their `_alike`, made with them."""
        cached = self._closed_parts.get(bucket)
        if cached is not None and cached[0] == made_of:
            _, part, waiting, alike = cached
            if waiting:
                self._closed_parts[bucket] = (made_of, part, self._give_spans(waiting), alike)
            return part, alike
        part = []
        waiting: list[tuple[Run, str, AnomalyRow]] = []
        for run, anomalies, spans_pending in sources:
            rows = anomalies.bucket(bucket)
            if spans_pending:
                waiting.extend(self._give_spans(self._spanless(run, rows)))
            part.extend((bucket, row, run) for row in rows.values())
        if bucket == "cancelled":
            cancelled_order(part)
        else:
            part.sort(key=lambda t: t[1].sort_key(), reverse=True)
        alike = _alike(part)
        self._closed_parts[bucket] = (made_of, part, waiting, alike)
        return part, alike

    def on_resize(self) -> None:
        # The title's wording depends on the width, unknown before the first layout.
        self.border_title = self._title(self._counts)

    def _title(self, counts: dict[str, int]) -> str:
        """The non-empty buckets' counts, in words if they fit (50 cells at
        120 columns hold few), else as the rows' icons."""
        words = [f"{n} {b[:-1] if n == 1 and b in ('errors', 'timeouts') else b}"
                 for b, n in counts.items() if n]
        if self.scanning:  # its running rows are not listed yet
            words.insert(0, "finding what runs…")
        # (Not under a filter: its counts are of what it matched, QA.)
        failures_shown_but_none = self.show_failures and not self._query and not (
            counts.get("errors") or counts.get("timeouts"))
        if failures_shown_but_none:
            # `e` on a run with none: the title read as before, only a
            # toast said `e` had done anything (QA).
            words.append("no errors")
        room = self.size.width - 4
        name = "anomalies so far" if self.provisional else "anomalies"
        # Counts from a file not read to the end must say so at any width:
        # an action listed as running may close further on.
        # Shorter forms, in the same words: "anomalies" goes first, then
        # the separators' dots (QA: the title changed form mid-load).
        shorter = [" · ".join(["so far"] + words)] if self.provisional and words else []
        short = "  ".join(words)
        if self.provisional and short:
            short = f"so far · {short}"
        for title in (" · ".join([name] + words), *shorter, short):
            if title and len(title) <= room:
                return title
        icons = [f"{STATUS_STYLE[BUCKET_STATUS[b]][0]}{n}" for b, n in counts.items() if n]
        if self.scanning:
            icons.insert(0, f"{STATUS_STYLE[BUCKET_STATUS['running']][0]}…")
        if failures_shown_but_none:
            icons.append(f"{STATUS_STYLE[BUCKET_STATUS['errors']][0]}0")
        with_name = " ".join([name] + icons)
        if len(with_name) <= room or not icons:
            return with_name
        # Every count rather than the pane's name (QA, 80 columns: the
        # timeouts' count was cut off).
        return " ".join((["so far"] if self.provisional else []) + icons)

    def _matches(self, item: tuple[str, AnomalyRow, Run]) -> bool:
        bucket, row, run = item
        where = _sample_where(row)
        place = None if where is None else f"{where[0] or ''} {sample_tag(where[1], where[2])}"
        return self._query.matches_anomaly(BUCKET_STATUS[bucket], row.action, row.detail, row.error, row.span,
                                           run, row.sample, place)

    def set_filter(self, query: Query, runs: Iterable[Run]) -> None:
        self._query = query
        self.set_runs(runs)

    def where(self, row: AnomalyRow, run: Run, room: int, clipped: int | None = None) -> str:
        """What tells a row from others, in `room` cells if it can: its run
        when the panel shows several (`31001` of `trace-31001`), and, for a
        row showing the same action and detail as others, its sample (`3/e1`:
        sample 3, epoch 1; with its task if the run has several and there
        is room). A long sample id that fits in none is cut to its end in
        `clipped` cells (default `room`)."""
        tag = self._run_tags.get(run.id)
        run_name = [tag] if tag else []
        if alike_key(row) not in self._ambiguous:
            return tag if tag and len(tag) <= room else ""
        where = _sample_where(row)
        candidates = [run_name]
        if where is not None:
            task_name, sample, epoch = where
            short = sample_tag(sample, epoch)
            # Two tasks of one eval number their samples alike. Every row of
            # the run names its task, or none does (`ctf 1/e1` above a bare
            # `2/e1` of another task read as ctf's).
            task = self._task_tag(run, task_name, room // 2)
            # One form for every row (`3/e1`, not `sample 3 · epoch 1` where
            # it fits and `41235/e3` where it does not). The run's name is
            # dropped before the task's: a stopped eval's rows are listed
            # together, its tasks' rows mixed (QA: `failing 1/e1` became
            # `1/e1 · 2920`, beside the `limited` task's `1/e1 · 2920`).
            candidates = [[" ".join(task + [short])] + run_name, [" ".join(task + [short])],
                          [short] + run_name, [short]]
        for parts in candidates:
            text = " · ".join(parts)
            if len(text) <= room:
                return text
        room = room if clipped is None else clipped
        if where is not None and room >= WHERE_MIN_CLIPPED:
            # A long sample id (`django__django-11099`) differs at its end:
            # in `clipped` cells, what is left to the detail in a compact panel.
            return "…" + short[-(room - 1):]
        return ""  # no room: the detail says more

    def _task_tag(self, run: Run, task_name: str | None, room: int) -> list[str]:
        """How a row of a run of several tasks names its task, in `room`
        cells: whole if every task's name fits; else cut to the start
        that tells the run's tasks apart (`mmlu…`, `inte…`: QA, two evals'
        rows read `Model 10/e1 · 17825` alike, their tasks dropped); [] if
        even that does not fit, or the run has one task."""
        tasks, longest, apart = self._tasks(run)
        if task_name is None or tasks < 2:
            return []
        if longest <= room:
            return [task_name]
        cut = max(apart, TASK_CUT_MIN)
        if len(task_name) <= cut:
            return [task_name]
        return [task_name[:cut] + "…"] if cut + 1 <= room else []

    def _tasks(self, run: Run) -> tuple[int, int, int]:
        """How many task nodes a run has, its longest task name, and how
        much of the start of each tells them apart; found again only when
        its roots change (an Inspect run has thousands: its top-level Log
        Writes)."""
        roots = len(run.roots)
        cached = self._task_counts.get(run.id)
        if cached is None or cached[0] != roots:
            names = sorted({root.name for root in run.roots if root.kind == "task"})
            # Neighbours in sorted order share the longest starts.
            apart = max((len(os.path.commonprefix(pair)) + 1 for pair in zip(names, names[1:])), default=0)
            cached = self._task_counts[run.id] = (roots, len(names), max(map(len, names), default=0), apart)
        return cached[1], cached[2], cached[3]

    def row_signature(self, index: int, width: int) -> tuple:
        bucket, row, run = self.rows[index]
        age = self._age(bucket, row, run)
        alike = alike_key(row) in self._ambiguous
        return bucket, row, row.action, row.detail, row.error, age, alike, self._run_tags.get(run.id), width

    def age_of(self, item: tuple[str, AnomalyRow, Run]) -> str:
        """A row's age (or duration) as the panel shows it."""
        return self._age(*item)

    def _age(self, bucket: str, row: AnomalyRow, run: Run) -> str:
        age = row.duration_as_of(self.as_of(run))
        return fmt_age(age, bucket == "running" and ages_cut_short(run, whole_file=run.id in self.early))

    def render_row(self, index: int, width: int) -> Text:
        bucket, row, run = self.rows[index]
        text = Text(no_wrap=True)
        text.append_text(status_icon(BUCKET_STATUS[bucket]))
        text.append(" ")
        text.append(f"{self._age(bucket, row, run):>8} ", style="bold yellow" if bucket == "running" else "cyan")
        # Narrow (NARROW_WIDTH), rows alike give their sample the room of the
        # action's tail and of the detail, alike too (QA: six stuck
        # `Subprocess  docker…` rows read as one).
        narrow = width < NARROW_WIDTH and alike_key(row) in self._ambiguous
        text.append(plain(row.action, NARROW_ACTION if narrow else max(8, min(24, width // 3))), style="bold")
        text.append("  ")
        compact = width < COMPACT_WIDTH
        # What a sandboxed command runs, not its options.
        detail = elide_compose(row.detail, service=not compact)
        if row.error is not None:
            detail = f"{detail}  {row.error}"
        # The same room for every row of a width (not what each detail
        # leaves), so alike rows say where in the same form.
        room = min(width // 3, width - len(text) - (0 if narrow else DETAIL_KEEPS) - 2)
        where = self.where(row, run, room, clipped=min(room, width // 4) if compact else room)
        if where:
            text.append(plain(where) + "  ", style="dim")
        text.append(plain(detail), style="red" if row.error else "")
        return text
