"""Answers computed from the store, shared by the CLI and the TUI:
anomaly buckets, run summaries, span trees, statistics."""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable

from tracetui.clock import ages_cut_short
from tracetui.model import BUCKETS, PAUSED, RUNNING, STATUSES, AnomalyRow, Run, Span, listed_as_a_span, unwritten


def anomaly_rows(runs: Iterable[Run], bucket: str) -> list[AnomalyRow]:
    """One bucket across runs, in Inspect's order (newest first, stable)."""
    rows: list[AnomalyRow] = []
    for run in runs:
        rows.extend(run.anomalies.bucket(bucket).values())
    return sorted(rows, key=AnomalyRow.sort_key, reverse=True)


def anomalies_envelope(trace_file: str, runs: Iterable[Run], as_of: float,
                       keep: Callable[[AnomalyRow], bool] | None = None) -> dict[str, Any]:
    """Exactly the shape of `inspect trace anomalies --json`; `keep`: the
    rows it lists, if not all (`anomalies --filter`)."""
    runs = list(runs)
    out: dict[str, Any] = {"trace_file": trace_file, "as_of": as_of}
    for bucket in BUCKETS:
        out[bucket] = [row.to_json(as_of) for row in anomaly_rows(runs, bucket) if keep is None or keep(row)]
    return out


def run_duration(run: Run, as_of: float) -> float | None:
    """A run's duration, as `tracetui runs` prints it and the run list shows
    it: one the source states; else, while it runs, up to `as_of`, the
    instant `tracetui.clock.as_of` gives (now while it is written; once its
    writer is gone, its last record or when it was last seen alive, so a
    killed hung eval's run does not shrink to its last record, minutes
    before); else from its first record to its last."""
    explicit = run.attributes.get("duration")
    if isinstance(explicit, (int, float)) and not isinstance(explicit, bool):
        return float(explicit)
    start, end = run.start, run.end
    if start is None:
        return None
    if run.status == RUNNING and (run.live or end is not None):
        return max(as_of, end or as_of) - start
    return None if end is None else end - start


def enclosing_sample(node: Span | None) -> Span | None:
    """`node` if it is an inferred sample node (Inspect), else its nearest
    such ancestor; None outside one."""
    while node is not None and node.kind != "sample":
        node = node.parent
    return node


def sample_tag(sample_id: Any, epoch: Any) -> str:
    """How a list row names a sample: `3/e1` (sample 3, epoch 1)."""
    return f"{sample_id}" if epoch is None else f"{sample_id}/e{epoch}"


def run_duration_cut_short(run: Run, status: str) -> bool:
    """Whether `run_duration` of a run shown with `status` is only a lower
    bound: it runs to its last record, its writer gone (`clock.ages_cut_short`)."""
    explicit = run.attributes.get("duration")
    # To the file's end once a scan has found it (`Run.known_end`), as the
    # duration itself is measured.
    return (status == RUNNING and not isinstance(explicit, (int, float))
            and ages_cut_short(run, whole_file=True))


def run_summary(run: Run, as_of: float) -> dict[str, Any]:
    """One row of `tracetui runs --json`."""
    written = errors = running = 0
    for s in run.spans.values():
        if not s.synthetic:
            written += 1
            errors += s.status in ("error", "timeout")
        # What runs, as `spans --status running` lists it: a span not
        # written yet (its stand-in) too (a killed Flujo run read `RUNNING 0`).
        if s.status == RUNNING and listed_as_a_span(s):
            running += 1
    start = run.start
    # A run still being written has no end yet (its last record is not one).
    end = None if run.live and run.status == RUNNING else run.end
    duration = run_duration(run, as_of)
    return {
        "id": run.id,
        "name": run.name,
        "source": run.source,
        "status": run.status,
        "start_time": start,
        "end_time": end,
        "duration": duration,
        "spans": written,
        "errors": errors,
        "running": running,
    }


def shown_duration(span: Span, as_of: float) -> float | None:
    """A span's duration as every view shows it: a running span's age; an
    inferred (synthetic) node that is still running spans up to `as_of`, not
    to its last child's recorded end (a hung sample is as old as its stuck
    action, not the 0.3 s its closed actions took)."""
    if span.synthetic and span.status == RUNNING and span.start is not None:
        return max(as_of - span.start, span.duration or 0.0)
    return span.duration_as_of(as_of)


def span_node_json(s: Span, as_of: float) -> dict[str, Any]:
    """One node of `tree --json`, its children not filled in."""
    d = {"id": s.id, "name": s.name, "kind": s.kind, "status": s.status,
         "start_time": s.start, "duration": shown_duration(s, as_of)}
    if isinstance(s.orphan, str):
        # Which parent, never seen, as `spans --json` says it; before
        # `children`, which `jsonout` finds as the last thing but `orphan`.
        d["missing_parent"] = s.orphan
    if unwritten(s):
        # Made up, standing for a span its children name, not written (yet):
        # a script can tell it from a recorded one.
        d["unwritten"] = True
    d["children"] = []
    if s.orphan:
        d["orphan"] = True  # its parent was never seen, as the text tree says
    return d


def span_tree_json(span: Span, as_of: float) -> dict[str, Any]:
    """Nested dict of a span and its subtree (iterative: trees can be deep)."""
    def node(s: Span) -> dict[str, Any]:
        return span_node_json(s, as_of)

    root = node(span)
    stack = [(span, root)]
    while stack:
        s, d = stack.pop()
        for child in s.children or ():
            cd = node(child)
            d["children"].append(cd)
            stack.append((child, cd))
    return root


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..100)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def stats(runs: Iterable[Run], as_of: float) -> dict[str, Any]:
    """Totals, status breakdown, and duration statistics by span name, of
    the spans written and the stand-ins for spans not written yet: such a
    stand-in counts as running, as `runs` and `spans` count it (a hung
    Flujo run whose root was never written read `RUNNING 1` in `runs` and
    no running span in `stats`). Nodes made up only to group (Inspect's
    tasks and samples) are left out: a sample's error is its action's.
    Durations are the recorded ones (right even for monotonic clocks); spans
    still running are counted but not timed."""
    by_status = {s: 0 for s in STATUSES}
    by_name: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    total = 0
    for run in runs:
        for span in run.spans.values():
            if span.synthetic and not unwritten(span):
                continue
            total += 1
            by_status[span.status] = by_status.get(span.status, 0) + 1
            counts[span.name] = counts.get(span.name, 0) + 1
            # A running span's duration is a lower bound, and a paused
            # one's only how long it ran before it paused, even where its
            # source records one (a paused Flujo run's root): not timed, as
            # a running leaf is not (QA: one was, the other not).
            if span.status not in (RUNNING, PAUSED) and span.duration is not None \
                    and span.duration == span.duration:
                by_name.setdefault(span.name, []).append(span.duration)
    names = []
    for name in sorted(counts, key=lambda n: (-counts[n], n)):
        values = sorted(by_name.get(name, []))
        names.append({
            "name": name,
            "count": counts[name],
            "timed": len(values),
            "mean": sum(values) / len(values) if values else None,
            "p50": percentile(values, 50) if values else None,
            "p95": percentile(values, 95) if values else None,
            "max": values[-1] if values else None,
            "total": sum(values) if values else None,
        })
    return {"spans": total, "status": by_status, "by_name": names}
