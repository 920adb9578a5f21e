"""Command line: `tracetui [SOURCE ...]` opens the TUI; subcommands answer
the same questions for scripts, from the same reading and analysis code."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from tracetui import __version__
from tracetui.analysis import (
    anomalies_envelope, enclosing_sample, run_duration_cut_short, run_summary, sample_tag,
    shown_duration, stats,
)
from tracetui.clock import ages_cut_short, as_of as run_as_of
from tracetui.elide import elide_compose
from tracetui.jsonout import encode, write_list, write_tree
from tracetui.model import RUNNING, Run, Span, listed_as_a_span, orphan_note, unwritten
from tracetui.sources.base import Source, SourceError, paused_gc
from tracetui.sources.discover import (
    directory_files, distinct_files, empty_log_note, holds_no_records, inspect_trace_dir,
    line_format_of, newest_file, open_sources, resolve_path, skip_gzipped_copies,
)
from tracetui.skipped import say_skipped
from tracetui.store import Store
from tracetui.text import clip, column, fmt_age, fmt_clock, fmt_duration, safe

SUBCOMMANDS = ("anomalies", "runs", "tree", "spans", "stats", "dump", "export", "http", "demo")
#: Words other tools use for a status (Flujo's `failed`/`completed`), accepted by --status.
STATUS_ALIASES = {"failed": "error", "completed": "ok"}
#: What --status takes: the statuses, `paused` (a Flujo run waiting for a
#: human, and the steps it waits in: `model.PAUSED`), and the aliases.
STATUS_CHOICES = ["running", "ok", "error", "cancelled", "timeout", "paused", *STATUS_ALIASES]
STATUS_HELP = ("only those of this status: running, ok, error, cancelled, timeout; paused (a Flujo step "
               "waiting for a human); failed = error, completed = ok")
STATUS_ICON = {"running": "▶", "ok": "✓", "error": "✗", "cancelled": "⊘", "timeout": "◔", "paused": "‖"}


class CliError(Exception):
    """Exit 1 with this one line on stderr."""


class UsageError(CliError):
    """Exit 2 (a usage error) with this one line on stderr."""


class Terminated(Exception):
    """SIGTERM, raised where the command is so that what it cleans up on
    the way out (a half-written export, a decompressed database copy) is."""


def _terminated(signum, frame) -> None:
    raise Terminated()


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def note(text: str) -> None:
    # Notes quote file names, column names and values from the trace:
    # their control sequences are shown, never sent to the terminal.
    sys.stderr.write(f"tracetui: {safe(text, newlines=False)}\n")


def load(paths: Sequence[str], **options: Any) -> tuple[Store, list[Source]]:
    """Read sources to the end, once; report skipped lines in one note each."""
    store = Store()
    try:
        sources, notes = open_sources(list(paths), store, **options)
    except SourceError as exc:
        if paths and all(holds_no_records(resolve_path(p)) for p in paths):
            # An eval that has just started: nothing yet, which is an answer
            # (a script polling it gets `[]`), as `anomalies` says.
            note(str(exc))
            return store, []
        raise CliError(str(exc)) from None
    # What is read stays until exit and holds no garbage cycles: keep the
    # cyclic GC from rescanning it (full collections over millions of spans
    # cost a third of a big file's load time), then out of its reach.
    with paused_gc(freeze=True):
        for source in sources:
            try:
                source.poll(final=True)
            except SourceError as exc:
                notes.append(str(exc))
    for text in notes:
        note(text)
    for source in sources:
        for text in source.notes:
            note(text)
        if source.skipped_unsaid:
            note(source.skipped_note())
    return store, sources


def default_source() -> str:
    directory = inspect_trace_dir()
    newest = newest_file(directory)
    if newest is None:
        raise CliError(f"no trace files in Inspect's trace directory {directory} "
                       "(give a SOURCE, or try `tracetui demo`)")
    return newest


def pick_runs(store: Store, query: str | None) -> list[Run]:
    if not query:
        return list(store.runs.values())
    try:
        run = store.find_run(query)
    except LookupError as exc:
        raise CliError(str(exc)) from None
    if run is None:
        ids = sorted(store.runs)
        listed = ", ".join(safe(i, newlines=False) for i in ids[:RUNS_LISTED]) + (", …" if len(ids) > RUNS_LISTED else "")
        raise CliError(f"no run matches '{safe(query, newlines=False)}'"
                       + (f" (its runs: {listed})" if ids else ""))
    return [run]


#: Runs named when a `--run`/RUN matches none.
RUNS_LISTED = 5


# -- anomalies ---------------------------------------------------------------

def cmd_anomalies(args: argparse.Namespace) -> int:
    """One file: Inspect's envelope for it. A directory: one envelope per
    trace file in it, newest first (a JSON array; one section each in
    text), so every row says which eval it is from."""
    path = resolve_path(args.source) if args.source else default_source()
    as_of = _as_of_option(args.as_of)
    if not os.path.isdir(path):
        envelope = _anomalies_envelope(args, path, as_of)
        if args.json:
            out(encode(envelope, strict=False))
        else:
            _print_anomalies(args, envelope)
        return 0
    envelopes = []
    for file in _directory_trace_files(path):
        try:
            envelopes.append(_anomalies_envelope(args, file, as_of))
        except CliError as exc:
            note(str(exc))  # not a trace file: said, as every command says it
    if not envelopes:
        raise CliError(f"{path}: no readable trace files in this directory")
    if args.json:
        out(encode(envelopes, strict=False))
        return 0
    for n, envelope in enumerate(envelopes):
        if n:
            out()
        _print_anomalies(args, envelope)
    return 0


def _as_of_option(value: str | None) -> float | None:
    """`--as-of`: epoch seconds; None for now or for each file's `mtime`."""
    if value is None or value == "mtime":
        return None
    try:
        as_of = float(value)
    except ValueError:
        as_of = math.nan
    if not math.isfinite(as_of):
        raise UsageError(f"--as-of takes an epoch time in seconds or 'mtime', not '{value}'")
    return as_of


def _directory_trace_files(directory: str) -> list[str]:
    """The files of a directory that may hold traces, newest first, less
    the gzipped copies of logs beside them (said in a note)."""
    files, listing_note = directory_files(directory)
    if listing_note:
        note(listing_note)
    files, twin_notes = skip_gzipped_copies(distinct_files(files))
    for text in twin_notes:
        note(text)
    return files


def _anomalies_envelope(args: argparse.Namespace, path: str, as_of: float | None) -> dict[str, Any]:
    """Inspect's envelope for one file; `as_of` None: now, once it is read
    (taken before, a live log's last action, entered while it was read,
    ran -0.00s: QA), or the file's mtime for `--as-of mtime`."""
    if holds_no_records(path):
        # What Inspect's trace log is when its eval has just started: empty
        # buckets, as `inspect trace anomalies` says, and a note.
        note(empty_log_note(path))
        return _anomalies_fast(args, path, as_of)
    if line_format_of(path) == "inspect":
        return _anomalies_fast(args, path, as_of)
    options = {"message_filter": args.filter} if args.filter else {}
    store, sources = load([path], **options)
    if as_of is None and args.as_of == "mtime":
        try:
            as_of = max(os.stat(s.path).st_mtime for s in sources)
        except (OSError, ValueError):
            pass
        else:
            as_of = max([as_of] + [run.end for run in store.runs.values() if run.end is not None])
    if as_of is None:
        as_of = time.time()
    # Absolute, as Inspect's envelope gives it (QA: `trace-9917.log` where
    # Inspect said `/tmp/qa1/trace-9917.log`).
    trace_file = _as_inspect_names(sources[0].path if len(sources) == 1 else path)
    keep = _rows_matching(args.filter.lower()) if args.filter else None
    return anomalies_envelope(trace_file, list(store.runs.values()), as_of, keep)


def _rows_matching(needle: str) -> Callable[[Any], bool]:
    """`--filter` on a source with no messages: a span's name and kind are
    what it reads (as the JSONL decoders apply it), and its run's name (QA:
    `--filter crawl` found nothing of the pipeline `crawl` a row of the
    panel names); the databases' readers take no filter, so it is applied
    to the rows, to every source alike."""
    def matches(row: Any) -> bool:
        return (needle in row.action.lower() or needle in row.detail.lower()
                or (row.span is not None and needle in row.span.run.name.lower()))
    return matches


def _as_inspect_names(path: str) -> str:
    """A trace file's path as Inspect's envelope names it (a `pathlib`
    path's: `..` kept, `.` and doubled slashes dropped), a relative one
    made absolute."""
    return (Path(path) if os.path.isabs(path) else Path.cwd() / path).as_posix()


def _anomalies_fast(args: argparse.Namespace, path: str, as_of: float | None) -> dict[str, Any]:
    """One Inspect trace file: the parallel scan (same answers, less time)."""
    from tracetui import fastscan
    from tracetui.formats.inspect import is_live

    try:
        if as_of is None and args.as_of == "mtime":
            as_of = os.stat(path).st_mtime
        result, text = fastscan.scan(path, args.filter)
    except OSError as exc:
        raise CliError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if as_of is None:
        as_of = time.time()
    elif args.as_of == "mtime":
        as_of = not_before_last_record(as_of, result)
    if text:
        note(text)
    skipped = result.bad_lines + result.invalid
    if skipped == 1 and result.first_bad_line == result.lines and result.unfinished and is_live(path):
        # Inspect skips it too: the line its writer has not finished.
        note(f"{path}: its last line is still being written: not read")
    elif skipped:
        note(f"{path}: " + say_skipped(skipped, result.lead.before_records(result.lines), result.first_bad_line,
                                       result.lead.first_after))
    return fastscan.envelope(_as_inspect_names(path), result, as_of)


def not_before_last_record(mtime: float, result: Any) -> float:
    """A file's mtime, or the last record time of its scan (`result`, a
    `fastscan.ChunkResult`) if later. A file's times are the kernel's
    coarse clock (a tick, some ms): a killed eval's last record, the enter
    of its stuck `sleep`, came 5 ms after its file's mtime, and `--as-of
    mtime` aged it -0.01s (QA)."""
    latest = [row.start for row in result.running.values() if row.start is not None]
    if result.last_record_time is not None:
        latest.append(result.last_record_time)
    return max([mtime] + latest)


#: Widest action and detail (with its error) an `anomalies` text row shows.
ANOMALY_ACTION_WIDTH = 40
ANOMALY_DETAIL_WIDTH = 200


def _print_anomalies(args: argparse.Namespace, envelope: dict[str, Any]) -> None:
    """An envelope as `inspect trace anomalies` prints it."""
    out(f"TRACE: {safe(envelope['trace_file'])}")
    shown = [("Running Actions", "running"), ("Cancelled Actions", "cancelled")]
    if args.all:
        shown += [("Error Actions", "errors"), ("Timeout Actions", "timeouts")]
    any_rows = False
    for title, bucket in shown:
        rows = envelope[bucket]
        if not rows:
            continue
        any_rows = True
        out()
        out(title)
        # Clipped, as every list row is (a 100 KB name made one 100 KB line);
        # --json has them whole.
        actions = [clip(safe(r["action"], newlines=False), ANOMALY_ACTION_WIDTH) for r in rows]
        width = max(len(a) for a in actions)
        for action, row in zip(actions, rows):
            error = row.get("error")
            detail = row["detail"] if error is None else f"{row['detail']} {error}"
            started = fmt_clock(row["start_time"], "%H:%M:%S %Z", "None")
            out(f"{action:<{width}} {row['duration']:9.2f}s  "
                f"{clip(safe(detail, newlines=False), ANOMALY_DETAIL_WIDTH)}  {started}")
    if not any_rows:
        out()
        out("No anomalies found in trace log." if args.all else
            "No running or cancelled actions found in trace log (pass --all to see errors and timeouts).")


# -- runs ----------------------------------------------------------------------

def cmd_runs(args: argparse.Namespace) -> int:
    store, _ = load(args.sources)
    now = time.time()
    rows = [run_summary(r, run_as_of(r, now)) for r in store.runs.values()]
    if args.status:
        wanted = STATUS_ALIASES.get(args.status, args.status)
        rows = [r for r in rows if r["status"] == wanted]
    if args.match:
        needle = args.match.lower()
        rows = [r for r in rows if needle in r["id"].lower() or needle in str(r["name"]).lower()]
    rows.sort(key=lambda r: r["start_time"] or 0, reverse=True)
    if args.json:
        out(encode(rows))
        return 0
    out(f"{'RUN':<36} {'STATUS':<10} {'START':<19} {'DURATION':>9} {'SPANS':>7} {'ERR':>5} {'RUNNING':>7}  NAME")
    for r in rows:
        start = fmt_clock(r["start_time"])
        out(f"{column(safe(r['id'], newlines=False), 36)} {r['status']:<10} {start:<19} "
            f"{fmt_age(r['duration'], run_duration_cut_short(store.runs[r['id']], r['status'])):>9} {r['spans']:>7} {r['errors']:>5} {r['running']:>7}  "
            f"{clip(safe(r['name'], newlines=False), 60)}")
    return 0


# -- tree ----------------------------------------------------------------------

#: Levels the text tree indents at most. A chain of parents nested 200,000
#: deep (a broken or hostile file can make one) printed 60 GB of
#: indentation, and held it all first (24 GB). Past this depth the lines
#: are indented no further and say their depth instead: `(65) └─ …`.
TREE_INDENT_MAX = 64


def _tree_lines(run: Run, as_of: float) -> Iterator[str]:
    """The run's tree as text, a line at a time (printed as made)."""
    yield (f"{safe(run.id, newlines=False)}  [{run.format}] {run.status}"
           + ("  (nesting inferred from timing)" if run.inferred else ""))
    stack: list[tuple[Span, str, bool, int]] = [(s, "", i == len(run.roots) - 1, 1)
                                                for i, s in reversed(list(enumerate(run.roots)))]
    cut_short = ages_cut_short(run)
    while stack:
        span, prefix, last, depth = stack.pop()
        branch = "└─ " if last else "├─ "
        if depth > TREE_INDENT_MAX:
            branch = f"({depth}) {branch}"
        label = clip(safe(span.name, newlines=False), 200)
        if span.detail and span.detail != span.name:
            label += "  " + clip(safe(elide_compose(span.detail), newlines=False), 80)
        dur = fmt_age(shown_duration(span, as_of), cut_short and span.status == RUNNING)
        extra = "  " + orphan_note(span) if span.orphan else ""
        yield f"{prefix}{branch}{STATUS_ICON.get(span.status, '?')} {label}  {dur}{extra}"
        children = span.children or []
        child_prefix = prefix if depth >= TREE_INDENT_MAX else prefix + ("   " if last else "│  ")
        for i in range(len(children) - 1, -1, -1):
            stack.append((children[i], child_prefix, i == len(children) - 1, depth + 1))


def cmd_tree(args: argparse.Namespace) -> int:
    store, _ = load([args.source])
    now = time.time()
    runs = pick_runs(store, args.run)
    if args.json:
        write_tree(sys.stdout.write, runs, lambda run: run_as_of(run, now))
        out()
        return 0
    for run in runs:
        for line in _tree_lines(run, run_as_of(run, now)):
            out(line)
    return 0


# -- spans ---------------------------------------------------------------------

def cmd_spans(args: argparse.Namespace) -> int:
    store, _ = load([args.source])
    now = time.time()
    chosen: list[tuple[Run, Span]] = []
    wanted = STATUS_ALIASES.get(args.status, args.status) if args.status else None
    needle = args.name.lower() if args.name else None
    picked = pick_runs(store, args.run)
    for run in picked:
        for span in run.spans.values():
            # Made-up nodes are structure (Inspect's samples), left out; not a
            # placeholder for a span not written yet (`spans --status
            # running` of a hung OTel pipeline, or of a killed Flujo run,
            # listed nothing); nor a sample that raised (`spans --status
            # error` listed its failed tool calls, not the samples that failed).
            if not listed_as_a_span(span) or (wanted and span.status != wanted) \
                    or (needle and needle not in span.name.lower()):
                continue
            chosen.append((run, span))
    chosen.sort(key=lambda rs: (rs[1].start is None, rs[1].start or 0))
    as_of = {run.id: run_as_of(run, now) for run in store.runs.values()}
    # Made one at a time as they are printed: a million-span log's rows,
    # built first, took a gigabyte.
    rows = (_span_row(run, span, as_of[run.id]) for run, span in chosen)
    if args.json:
        write_list(sys.stdout.write, rows)
        out()
        return 0
    # Which sample a span ran in, where runs have samples (Inspect's): which
    # sample failed was only in --json (QA, `spans --status error | head`).
    # And which run, where there are several (a directory).
    samples = any(run.inferred for run in picked)
    cut_short = {run.id: ages_cut_short(run) for run in picked}
    several = len(picked) > 1
    # Two tasks of an eval number their samples alike (QA: `12/e1` of
    # which?): where a run has several, the sample says its task too.
    with_task = {run.id for run in picked if sum(root.kind == "task" for root in run.roots) > 1}
    width = 28 if with_task else 16
    out(f"  {'STATUS':<9} {'DURATION':>9}  " + (f"{'RUN':<16} " if several else "") + f"{'NAME':<32} "
        + (f"{'SAMPLE':<{width}} " if samples else "") + "DETAIL")
    for (run, span), r in zip(chosen, rows):
        run_column = column(safe(run.id, newlines=False), 16) + " " if several else ""
        where = ""
        if samples:
            node = enclosing_sample(span)
            attributes = (node.attributes or {}) if node is not None else {}
            tag = sample_tag(attributes.get("sample_id"), attributes.get("epoch")) if node is not None else ""
            if tag and run.id in with_task and attributes.get("task") is not None:
                tag = f"{attributes['task']} {tag}"
            tag = safe(tag, newlines=False)
            # A long id differs at its end, and the epoch is last: cut in front.
            where += column(tag if len(tag) <= width else "…" + tag[-(width - 1):], width) + " "
        error = (span.error or {}).get("message")
        # A lower bound (`≥`) for what still runs when its log ends with its
        # writer gone (`clock.ages_cut_short`), as the TUI shows it.
        age = fmt_age(r["duration"], r["status"] == RUNNING and cut_short[run.id])
        out(f"{STATUS_ICON.get(r['status'], '?')} {r['status']:<9} {age:>9}  "
            f"{run_column}{column(safe(r['name'], newlines=False), 32)} {where}{clip(safe(elide_compose(r['detail'] or ''), newlines=False), 70)}"
            + (f"  ✗ {clip(safe(str(error), newlines=False), 80)}" if error else ""))
    return 0


def _span_row(run: Run, span: Span, as_of: float) -> dict[str, Any]:
    """One row of `spans --json`."""
    row = {
        "run": run.id, "id": span.id, "parent": span.parent.id if span.parent else None,
        "name": span.name, "kind": span.kind, "detail": span.detail or None,
        "status": span.status, "start_time": span.start,
        "duration": shown_duration(span, as_of), "error": span.error,
    }
    if span.orphan:
        row["orphan"] = True  # it names a parent never seen: not a real root
        if isinstance(span.orphan, str):
            row["missing_parent"] = span.orphan  # which one
    if unwritten(span):
        row["unwritten"] = True  # made up for a span its children name, not written (yet)
    return row


# -- stats ---------------------------------------------------------------------

def cmd_stats(args: argparse.Namespace) -> int:
    store, _ = load([args.source])
    now = time.time()
    runs = pick_runs(store, args.run)
    result = stats(runs, now)
    chrome_runs = [r for r in runs if r.format == "chrome"]
    if chrome_runs:
        # Skulk's stats view: wall time, per-category and per-rank totals.
        from tracetui.formats.chrome import category_stats, category_stats_lines

        result.update(category_stats(chrome_runs))
    if args.json:
        out(encode(result))
        return 0
    out(f"spans: {result['spans']}  " + "  ".join(f"{k}: {v}" for k, v in result["status"].items() if v))
    out()
    # TIMED: how many of COUNT the times are of. A running span has no
    # duration yet: a live eval's 9 Tool Calls read as if the mean of the 3
    # finished were theirs (QA).
    out(f"{'NAME':<40} {'COUNT':>7} {'TIMED':>7} {'MEAN':>9} {'P50':>9} {'P95':>9} {'MAX':>9}")
    for row in result["by_name"]:
        out(f"{column(safe(row['name'], newlines=False), 40)} {row['count']:>7} {row['timed']:>7} "
            f"{fmt_duration(row['mean']):>9} {fmt_duration(row['p50']):>9} "
            f"{fmt_duration(row['p95']):>9} {fmt_duration(row['max']):>9}")
    if chrome_runs:
        out()
        for line in category_stats_lines(result):
            out(line)
    return 0


# -- dump ----------------------------------------------------------------------

def cmd_dump(args: argparse.Namespace) -> int:
    from tracetui.dump import dump_records

    path = resolve_path(args.source)
    try:
        dump_records(path, sys.stdout, note)
    except SourceError as exc:
        raise CliError(str(exc)) from None
    return 0


# -- http ----------------------------------------------------------------------

def cmd_http(args: argparse.Namespace) -> int:
    """One file: `inspect trace http`'s answer. A directory: one per
    Inspect log in it, newest first (a JSON array; one section each)."""
    path = resolve_path(args.source) if args.source else default_source()
    if not os.path.isdir(path):
        answer = _http_answer(args, path)
        if args.json:
            out(encode(answer))
        else:
            _print_http(answer)
        return 0
    answers = []
    for file in _directory_trace_files(path):
        try:
            answers.append(_http_answer(args, file))
        except CliError as exc:
            note(str(exc))
    if not answers:
        raise CliError(f"{path}: no Inspect trace logs in this directory")
    if args.json:
        out(encode(answers))
        return 0
    for n, answer in enumerate(answers):
        if n:
            out()
        out(f"TRACE: {safe(answer['trace_file'])}")
        _print_http(answer)
    return 0


def _http_answer(args: argparse.Namespace, path: str) -> dict[str, Any]:
    from tracetui.http import http_records

    if not os.path.isfile(path):
        raise CliError(f"{path}: no such file" if not os.path.exists(path) else f"{path}: not a file")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:  # said as every command says it, not as "not Inspect's"
        raise CliError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if line_format_of(path) != "inspect" and not holds_no_records(path):
        raise CliError(f"{path}: not an Inspect trace log (HTTP records are Inspect's)")
    rows = http_records(path, args.filter, args.failed, note)
    return {"trace_file": _as_inspect_names(path), "as_of": time.time(), "requests": rows}


def _print_http(answer: dict[str, Any]) -> None:
    last = ""
    for row in answer["requests"]:
        stamp = row["timestamp"].split(".")[0]
        shown = "" if stamp == last else f"[{stamp}]"
        last = stamp
        out(f"{shown:<22} {safe(row['message'], newlines=False)}")


# -- export --------------------------------------------------------------------

def cmd_export(args: argparse.Namespace) -> int:
    from tracetui.export import write_perfetto

    # Said before a big source is read, not after. `-o -`: standard output.
    to_stdout = args.output == "-"
    if os.path.isdir(args.output):
        raise UsageError(f"{args.output}: is a directory: give the export a file name")
    folder = os.path.dirname(os.path.abspath(args.output))
    if not to_stdout and not os.path.isdir(folder):
        raise CliError(f"{args.output}: cannot write: no directory {folder}")
    if not to_stdout and _is_a_source(args.output, resolve_path(args.source)):
        raise UsageError(f"{args.output}: is the source being exported: it is never written to")
    store, _ = load([args.source])
    runs = pick_runs(store, args.run)
    if not runs:
        raise CliError(f"{args.source}: no run to export")
    try:
        now = time.time()
        count = write_perfetto(runs, args.output, lambda run: run_as_of(run, now))
    except BrokenPipeError:
        raise  # `-o - | head`: not an error
    except OSError as exc:
        raise CliError(f"{args.output}: cannot write: {exc.strerror or exc}") from None
    note(f"wrote {count} spans to {'standard output' if to_stdout else args.output}")
    return 0


def _is_a_source(output: str, source: str) -> bool:
    """`output` is `source` or, for a directory, one of its files."""
    if not os.path.exists(output):
        return False
    candidates = directory_files(source)[0] if os.path.isdir(source) else [source]
    for candidate in candidates:
        try:
            if os.path.samefile(output, candidate):
                return True
        except OSError:
            continue
    return False


# -- demo / TUI ----------------------------------------------------------------

def cmd_demo(args: argparse.Namespace) -> int:
    from tracetui.demo import run_demo

    return run_demo()


def run_tui(paths: list[str]) -> int:
    from tracetui.app.main import run_app

    if paths[:1] == ["--"]:  # `tracetui -- -odd-name.log`
        paths = paths[1:]
    else:
        for path in paths:
            if path.startswith("-") and not os.path.exists(path):
                # `tracetui FILE --json`: an option of a subcommand, given to the explorer.
                raise UsageError(f"the explorer takes no option {path} (the commands for scripts take "
                                 "options: tracetui COMMAND --help lists them; tracetui --help the commands)")
    for path in paths:
        if not os.path.lexists(path):
            # Said first: a script's `tracetui typo.log` heard it needed a
            # terminal, not that the file is not there (QA).
            raise CliError(f"{path}: no such file or directory{_command_hint(path, paths)}")
    # Textual draws on stderr: `tracetui FILE 2>err.log` drew the whole UI
    # into the file, the terminal blank.
    if not (sys.stderr.isatty() and sys.stdin.isatty()):
        raise UsageError("the explorer needs a terminal (for scripts: tracetui runs|tree|spans|"
                         "anomalies SOURCE --json)")
    if not paths:
        # Empty, or not created yet: the explorer waits there for the log of
        # the eval the user is starting (QA: it exited, "no trace files").
        paths = [inspect_trace_dir()]
    return run_app(paths)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tracetui",
        usage="%(prog)s [SOURCE ...]\n       %(prog)s COMMAND [ARGS ...]   (tracetui COMMAND --help)",
        description="Explore LLM eval and agent traces: Inspect AI logs, OpenTelemetry JSON "
                    "(OTLP and console), Flujo and Trackio databases, generic SQLite span tables, "
                    "Skulk/Chrome trace files, SGP span exports, native span JSONL. With no "
                    "subcommand, opens the TUI on SOURCE (default: Inspect's trace directory).",
    )
    parser.add_argument("--version", action="version", version=f"tracetui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", prog="tracetui")

    p = sub.add_parser("anomalies", help="running, cancelled, errored and timed-out actions")
    p.add_argument("source", nargs="?", help="trace file or directory (default: newest Inspect trace)")
    p.add_argument("--all", action="store_true", help="also show errors and timeouts")
    p.add_argument("--filter", metavar="TEXT",
                   help="only records whose message contains TEXT (case-insensitive)")
    p.add_argument("--as-of", metavar="EPOCH|mtime",
                   help="measure running ages to EPOCH seconds, or to the file's 'mtime'")
    p.add_argument("--json", action="store_true", help="Inspect's JSON envelope")
    p.set_defaults(func=cmd_anomalies)

    p = sub.add_parser("runs", help="list runs")
    p.add_argument("sources", nargs="+", metavar="SOURCE")
    p.add_argument("--status", choices=STATUS_CHOICES, metavar="STATUS", help=STATUS_HELP)
    p.add_argument("--match", metavar="TEXT", help="only runs whose id or name contains TEXT (any case)")
    p.add_argument("--json", action="store_true", help="a list of runs as JSON")
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("tree", help="span tree of a run")
    p.add_argument("source")
    p.add_argument("run", nargs="?", help="run id or any unique part of one")
    p.add_argument("--json", action="store_true", help="the tree as nested JSON")
    p.set_defaults(func=cmd_tree)

    p = sub.add_parser("spans", help="list spans")
    p.add_argument("source")
    p.add_argument("run", nargs="?", help="run id or any unique part of one (default: every run)")
    p.add_argument("--status", choices=STATUS_CHOICES, metavar="STATUS", help=STATUS_HELP)
    p.add_argument("--name", metavar="TEXT", help="only spans whose name contains TEXT")
    p.add_argument("--json", action="store_true", help="a list of spans as JSON")
    p.set_defaults(func=cmd_spans)

    p = sub.add_parser("stats", help="span counts and durations by name")
    p.add_argument("source")
    p.add_argument("run", nargs="?", help="run id or any unique part of one (default: every run)")
    p.add_argument("--json", action="store_true", help="the figures as JSON")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("dump", help="JSON array of the raw records (gzip-aware)")
    p.add_argument("source")
    p.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # it is JSON already
    p.set_defaults(func=cmd_dump)

    p = sub.add_parser("export", help="export a run for Perfetto")
    p.add_argument("source")
    p.add_argument("run", nargs="?", help="run id or any unique part of one (default: every run)")
    p.add_argument("--format", choices=["perfetto"], default="perfetto",
                   help="Chrome Trace Event JSON, as ui.perfetto.dev opens it (the only one, the default)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the file to write ('-': standard output)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("http", help="HTTP requests in an Inspect trace (like `inspect trace http`)")
    p.add_argument("source", nargs="?", help="trace file or directory (default: newest Inspect trace)")
    p.add_argument("--filter", metavar="TEXT", help="only records whose message contains TEXT (case-insensitive)")
    p.add_argument("--failed", action="store_true", help="only requests without '200 OK'")
    p.add_argument("--json", action="store_true", help="a list of requests as JSON")
    p.set_defaults(func=cmd_http)

    p = sub.add_parser("demo", help="the TUI on a live, simulated hung eval")
    p.set_defaults(func=cmd_demo)
    return parser


def _command_hint(word: str, paths: Sequence[str]) -> str:
    """`, nor a command (did you mean runs?)` for a first argument that
    is no file and reads as a mistyped command: `tracetui frobnicate` said
    only that no such file exists (QA)."""
    if word is not paths[0] or os.sep in word or "." in word:
        return ""
    import difflib  # here: every command's start would pay for it

    close = difflib.get_close_matches(word, SUBCOMMANDS, n=1, cutoff=0.6)
    if close:
        return f", nor a command (did you mean {close[0]}?)"
    return f", nor a command ({', '.join(SUBCOMMANDS)})"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):
        # A lone surrogate from a `\ud800` escape in a trace that reached a
        # line unescaped is written as that escape, not a traceback.
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    try:
        if argv and (argv[0] in SUBCOMMANDS or (argv[0].startswith("-") and argv[0] != "--")):
            args, extra = parser.parse_known_args(argv)
            if extra:
                # Said with the subcommand's usage, not the explorer's.
                commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
                (commands.choices.get(argv[0]) or parser).error(f"unrecognized arguments: {' '.join(extra)}")
            if not getattr(args, "func", None):
                return run_tui([])
            if args.func is cmd_demo:
                return args.func(args)
            previous = signal.signal(signal.SIGTERM, _terminated)
            try:
                return args.func(args)
            finally:
                signal.signal(signal.SIGTERM, previous)
        return run_tui(argv)
    except UsageError as exc:
        note(str(exc))
        return 2
    except CliError as exc:
        note(str(exc))
        return 1
    except BrokenPipeError:
        # `tracetui ... | head` closed the pipe: not an error.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except KeyboardInterrupt:
        return 130
    except Terminated:
        return 128 + signal.SIGTERM


def entry() -> None:
    """Console-script entry point. Exits without tearing down the heap: after
    loading a million spans, freeing them one by one takes seconds and
    changes nothing."""
    code = main()
    from tracetui.sources.sqlite import remove_copies

    remove_copies()  # os._exit skips atexit
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, OSError):
        pass
    os._exit(code)
