"""Every sample trace opens, from the CLI and in the explorer; the Inspect
ones give Inspect's own anomaly answers."""

from __future__ import annotations

import gzip
import json
import os

import pytest

from headless import open_app, settle
from tracetui.analysis import run_summary
from tracetui.app.app import TraceApp
from tracetui.cli import load, main
from tracetui.clock import ages_cut_short, as_of
from tracetui.sources.discover import open_sources
from tracetui.store import Store
from tracetui.text import fmt_age

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sample_traces")
SOURCES = ["inspect/hung.log", "inspect/interrupted.log.gz", "inspect/demo.log", "otel/otlp.jsonl",
           "otel/console.jsonl", "otel/console_pretty.json", "native/spans.jsonl", "flujo/flujo_ops.db",
           "sqlite/spans.db", "sgp/spans.jsonl", "sgp/batches.jsonl", "trackio/agent-evals.db",
           "trackio/agent-evals-025.db", "skulk/node-a"]


@pytest.mark.parametrize("name", SOURCES)
def test_cli_reads_every_sample(name, capsys):
    path = os.path.join(SAMPLES, name)
    assert main(["runs", path, "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert runs and all(r["spans"] >= 0 for r in runs)
    assert main(["tree", path, runs[0]["id"], "--json"]) == 0
    assert main(["stats", path, "--json"]) == 0
    assert main(["anomalies", path, "--json"]) == 0
    capsys.readouterr()


INSPECT_SAMPLES = {"hung": "hung.log", "interrupted": "interrupted.log.gz",
                   "cancelled": "cancelled.log.gz", "mixed": "mixed.log.gz"}


def _expected(name: str, what: str):
    with open(os.path.join(SAMPLES, "inspect", "expected", f"{name}.{what}.json")) as f:
        return json.load(f)


@pytest.mark.parametrize("name", list(INSPECT_SAMPLES))
def test_inspect_samples_match_inspect(name, capsys):
    path = os.path.join(SAMPLES, "inspect", INSPECT_SAMPLES[name])
    with open(os.path.join(SAMPLES, "inspect", "expected", f"{name}.anomalies.json")) as f:
        theirs = json.load(f)
    assert main(["anomalies", path, "--all", "--json", "--as-of", str(theirs["as_of"])]) == 0
    ours = json.loads(capsys.readouterr().out)
    for bucket in ("running", "cancelled", "errors", "timeouts"):
        assert ours[bucket] == theirs[bucket], bucket
    assert ours["running"] or ours["cancelled"] or ours["errors"]


def test_http_matches_inspect_trace_http(capsys):
    """`inspect trace http --json` on the eval that talked to a (fake)
    OpenAI server: the same requests, in the same order."""
    theirs = _expected("mixed", "http")
    assert main(["http", os.path.join(SAMPLES, "inspect", "mixed.log.gz"), "--json"]) == 0
    ours = json.loads(capsys.readouterr().out)
    assert ours["requests"] == theirs["requests"] and len(ours["requests"]) >= 5
    assert main(["http", os.path.join(SAMPLES, "inspect", "mixed.log.gz"), "--json", "--failed"]) == 0
    failed = json.loads(capsys.readouterr().out)["requests"]
    assert failed and all("200 OK" not in r["message"] for r in failed)
    assert failed == [r for r in theirs["requests"] if "200 OK" not in r["message"]]


@pytest.mark.parametrize("name", list(INSPECT_SAMPLES))
def test_dump_holds_what_inspect_trace_dump_holds(name, capsys):
    """`tracetui dump` gives the raw records; `inspect trace dump` gives the
    same records through its model, which drops the fields it does not
    know (task, sample_id, epoch): every one of its fields matches."""
    theirs = _expected(name, "dump")
    assert main(["dump", os.path.join(SAMPLES, "inspect", INSPECT_SAMPLES[name])]) == 0
    ours = json.loads(capsys.readouterr().out)
    assert len(ours) == len(theirs)
    for mine, inspects in zip(ours, theirs):
        assert {k: mine.get(k) for k in inspects} == inspects


async def test_explorer_opens_all_samples_at_once():
    store = Store()
    sources, notes = open_sources([os.path.join(SAMPLES, n) for n in SOURCES], store)
    app = TraceApp(sources, store, notes, now=lambda: 1795412400.0)
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(60):
            await pilot.pause(0.05)
            if not app.loading:
                break
        await pilot.pause(0.2)
        assert app.run_list.row_count() >= 15
        # Each row counts spans as `tracetui runs` does: those recorded, not
        # the task, sample and track nodes the explorer makes up; and its
        # duration is the one `runs` prints.
        made_up = 0
        for index, run in enumerate(app.run_list.runs):
            tokens = app.run_list.render_row(index, 100).plain.split()
            shown = tokens[-2] if tokens[-1].endswith("✗") else tokens[-1]
            summary = run_summary(run, as_of(run, 1795412400.0))
            assert int(shown) == summary["spans"], run.id
            duration = tokens[-3] if tokens[-1].endswith("✗") else tokens[-2]
            cut_short = summary["status"] == "running" and ages_cut_short(run)
            assert duration == fmt_age(summary["duration"], cut_short), run.id
            made_up += len(run.spans) - int(shown)
        assert made_up > 0  # the samples do have made-up nodes
        app.run_list.focus()
        for _ in range(app.run_list.row_count()):
            await pilot.press("j")
        app.tree.focus()
        await pilot.press("G", "r")
        await pilot.pause(0.1)
        assert app.is_running


def test_a_running_runs_end_time_is_null_while_it_is_written(tmp_path):
    """`runs --json` of a run still being written: no end yet, and a
    duration up to as_of; once its writer is gone, its last record's time."""
    from tracetui.cli import load

    store, _ = load([os.path.join(SAMPLES, "inspect", "hung.log")])
    run = next(iter(store.runs.values()))
    assert run.status == "running" and run.end is not None
    run.live = run.writer_seen = True  # its eval's process seen running
    live = run_summary(run, as_of(run, run.end + 60))
    assert live["end_time"] is None and live["duration"] == pytest.approx(run.end + 60 - run.start)
    run.live = run.writer_seen = False
    run.seen_at_work = None  # a run this process never saw at work
    dead = run_summary(run, as_of(run, run.end + 60))
    assert dead["end_time"] == run.end and dead["duration"] == pytest.approx(run.end - run.start)


def test_ages_never_go_back_when_a_hung_writer_dies(tmp_path):
    """A hung eval writes nothing, so its file's mtime is when the hang
    began: once seen live, a run is aged at least to when it was last seen
    live, not back to that mtime."""
    from tracetui.cli import load

    path = tmp_path / "trace-1.log"
    path.write_bytes(open(os.path.join(SAMPLES, "inspect", "hung.log"), "rb").read())
    store, _ = load([str(path)])
    run = next(iter(store.runs.values()))
    hang_began = run.end + 1
    os.utime(path, (hang_began, hang_began))
    run.live = run.writer_seen = True  # its eval's process seen running
    assert as_of(run, run.end + 300) == run.end + 300
    run.live = False  # the writer was killed
    assert as_of(run, run.end + 301) == run.end + 300
    other = tmp_path / "trace-2.log"  # never seen live: its last record, whatever its mtime
    other.write_bytes(path.read_bytes())
    os.utime(other, (hang_began + 8 * 86400, hang_began + 8 * 86400))  # copied days later
    store, _ = load([str(other)])
    run = next(iter(store.runs.values()))
    run.live = False
    assert as_of(run, run.end + 301) == run.end


KILLED = os.path.join(os.path.dirname(__file__), "data", "inspect", "sample-error-killed.log")


def test_a_failed_sample_with_only_its_log_flush_has_no_length(capsys):
    """A real eval's sample that failed before any action: only its log
    flush (`Log Write`) under it, which comes after. It was `0µs` in one log
    and `—` in another (QA): its length is unknown, `—`, and it still has a
    place in time."""
    from tracetui.cli import load

    store, _ = load([KILLED])
    run = next(iter(store.runs.values()))
    sample = run.spans["sample:hang:err:1"]
    assert sample.status == "error" and sample.start is not None and sample.duration is None
    assert [child.name for child in sample.children] == ["Log Write"]
    assert main(["tree", KILLED]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if "sample err" in line)
    assert line.endswith("sample err · epoch 1  —"), line


async def test_a_killed_evals_hung_ages_read_as_lower_bounds(capsys):
    """A real eval killed while a tool ran `sleep 600`: its log ends 17 ms
    into the hang, and how long it hung after, nothing says. Every pane
    and the CLI's text showed `17.2ms` as if the action had just started
    (QA): shown as `≥17.2ms`, the detail saying when the log ends. Once
    the eval's process is seen running, the age is exact again."""
    assert main(["spans", KILLED, "--status", "running"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == ["STATUS", "DURATION", "NAME", "SAMPLE", "DETAIL"]
    assert len(rows) == 3 and all("≥" in row for row in rows)
    assert "stuck/e1" in rows[2]  # the sample it hangs in
    assert main(["spans", KILLED, "--status", "ok"]) == 0
    assert "≥" not in capsys.readouterr().out
    app = open_app(KILLED, now=1795412400.0)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        run = next(iter(app.store.runs.values()))
        assert not run.live and ages_cut_short(run)
        panel = app.anomaly_panel
        ages = [panel.render_row(i, 80).plain.split()[1] for i in range(panel.row_count())]
        assert ages == ["≥17.2ms", "≥1.02s", "≥1.26s"]
        await pilot.press("a", "enter")
        await pilot.pause(0.3)
        assert app.tree.current.name == "Subprocess"
        assert "≥17.2ms" in app.tree.render_row(app.tree.cursor, 100).plain
        detail = "\n".join(strip.text for strip in app.detail._lines)
        assert "≥17.2ms  (until its log ends, " in detail
        assert "≥1.26s" in app.run_list.render_row(0, 60).plain
        run.live = run.writer_seen = True  # its eval seen running here: ages to now
        assert not ages_cut_short(run)
        assert not panel.render_row(0, 80).plain.split()[1].startswith("≥")
        assert "≥" not in app.tree.render_row(app.tree.cursor, 100).plain


async def test_a_killed_evals_hung_action_says_how_long_ago_it_began():
    """Opened the next morning, a killed eval's stuck Subprocess read
    `≥17.2ms`, all its log can tell, which looked like nothing was stuck
    (QA): the detail says when that lower bound ends and how long ago the
    action began, the most it can have run."""
    from tracetui.text import fmt_duration

    store, _ = load([KILLED])
    spans = [s for s in store.all_spans() if s.name == "Subprocess" and s.status == "running"]
    assert len(spans) == 1 and spans[0].start is not None
    later = spans[0].start + 9 * 3600 + 125  # nine hours on
    app = open_app(KILLED, now=later)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("a", "enter")
        await pilot.pause(0.3)
        assert app.tree.current.name == "Subprocess"
        # Its words, wherever the pane's width wraps them.
        detail = " ".join(" ".join(strip.text.split()) for strip in app.detail._lines)
        assert "≥17.2ms (until its log ends, " in detail
        assert f"; began {fmt_duration(later - app.tree.current.start)} ago)" in detail
        assert "began 9h02m ago" in detail


@pytest.mark.parametrize("name", SOURCES + ["inspect/mixed.log.gz"])
def test_tree_and_spans_json_are_written_as_they_are_made_byte_for_byte(name, capsys):
    """`tree --json` and `spans --json` are printed one node, one row at a
    time; the text is exactly `json.dumps(whole, indent=2)`'s."""
    import time as time_module

    from tracetui.analysis import shown_duration, span_tree_json
    from tracetui.cli import load
    from tracetui.jsonout import encode
    from tracetui.model import listed_as_a_span, unwritten

    path = os.path.join(SAMPLES, name)
    frozen = time_module.time() + 100  # later than the checkout: the samples are not being written
    store, _ = load([path])
    capsys.readouterr()
    runs = list(store.runs.values())
    trees = [{"run": r.id, "inferred": r.inferred,
              "roots": [span_tree_json(s, as_of(r, frozen)) for s in r.roots]} for r in runs]
    rows = []
    for run in runs:
        for span in run.spans.values():
            if listed_as_a_span(span):
                row = {"run": run.id, "id": span.id, "parent": span.parent.id if span.parent else None,
                       "name": span.name, "kind": span.kind, "detail": span.detail or None,
                       "status": span.status, "start_time": span.start,
                       "duration": shown_duration(span, as_of(run, frozen)), "error": span.error}
                if span.orphan:
                    row["orphan"] = True
                    if isinstance(span.orphan, str):
                        row["missing_parent"] = span.orphan
                if unwritten(span):
                    row["unwritten"] = True
                rows.append(row)
    rows.sort(key=lambda r: (r["start_time"] is None, r["start_time"] or 0))
    real_time = time_module.time
    try:
        time_module.time = lambda: frozen
        assert main(["tree", path, "--json"]) == 0
        tree_out = capsys.readouterr().out
        assert main(["spans", path, "--json"]) == 0
        spans_out = capsys.readouterr().out
    finally:
        time_module.time = real_time
    assert tree_out == encode(trees if len(trees) != 1 else trees[0]) + "\n"
    assert spans_out == encode(rows) + "\n"
    json.loads(tree_out)


def test_an_interrupted_eval_is_cancelled_though_things_failed_in_it(capsys, tmp_path):
    """ctrl+c on an eval cancels its `Run Task`: the run was stopped, which
    says more than the errors inside it (it showed as `error`, and `runs
    --status cancelled` missed it). A cancel deep inside a run that went on
    leaves it failed."""
    path = os.path.join(SAMPLES, "inspect", "interrupted.log.gz")
    assert main(["runs", path, "--status", "cancelled", "--json"]) == 0
    (run,) = json.loads(capsys.readouterr().out)
    assert run["status"] == "cancelled" and run["errors"] > 0
    nested = tmp_path / "spans.jsonl"
    nested.write_text("\n".join(json.dumps(r) for r in [
        {"trace_id": "t", "span_id": "root", "name": "agent", "start_time": 1.0, "end_time": 9.0, "status": "ok"},
        {"trace_id": "t", "span_id": "a", "parent_id": "root", "name": "tool", "start_time": 2.0,
         "end_time": 3.0, "status": "cancelled"},
        {"trace_id": "t", "span_id": "b", "parent_id": "root", "name": "llm", "start_time": 4.0,
         "end_time": 5.0, "status": "error"}]) + "\n")
    assert main(["runs", str(nested), "--json"]) == 0
    assert [r["status"] for r in json.loads(capsys.readouterr().out)] == ["error"]


def test_stats_time_no_running_span_whatever_its_source_records(capsys):
    """A paused Flujo run's root has a duration in the store (its row's
    `end_time`: until it paused), yet it has not ended: `stats` counts it
    but does not time it, as it does a running leaf (QA: the root was in
    the mean, the leaf not)."""
    assert main(["stats", os.path.join(SAMPLES, "flujo/flujo_ops.db"), "--json"]) == 0
    by_name = {row["name"]: row for row in json.loads(capsys.readouterr().out)["by_name"]}
    assert main(["spans", os.path.join(SAMPLES, "flujo/flujo_ops.db"), "--name", "pipeline_run", "--json"]) == 0
    # Written ones, and the stand-in of the running run (Flujo writes its
    # root when the run ends): counted, running, so not timed.
    listed = json.loads(capsys.readouterr().out)
    roots = [s for s in listed if not s.get("unwritten")]
    paused = [s for s in roots if s["status"] == "paused"]  # not running, yet not ended
    assert len(paused) == 1
    assert by_name["pipeline_run"]["count"] == len(listed) == 5 and len(roots) == 4
    assert by_name["pipeline_run"]["timed"] == 3
    finished = sorted(s["duration"] for s in roots if s["status"] != "paused")
    assert by_name["pipeline_run"]["max"] == pytest.approx(finished[-1])
    assert by_name["ask_human"]["count"] == 1 and by_name["ask_human"]["timed"] == 0


def test_stats_count_running_what_runs_and_spans_count_running(capsys):
    """A hung Flujo run whose root is not written yet: `runs` said
    `RUNNING 1` and `spans --status running` listed its stand-in, while
    `stats` said no span was running (QA)."""
    path = os.path.join(SAMPLES, "flujo/flujo_ops.db")
    assert main(["stats", path, "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert main(["runs", path, "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert main(["spans", path, "--status", "running", "--json"]) == 0
    running = json.loads(capsys.readouterr().out)
    assert main(["spans", path, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert stats["status"]["running"] == sum(r["running"] for r in runs) == len(running) == 1
    assert stats["spans"] == len(listed) == sum(stats["status"].values())


def test_stats_text_says_how_many_of_each_name_are_timed(capsys):
    """A killed eval's log (`make_slots_late.py`): 9 Tool Calls, 6 of them
    still running. The text table read `Tool Call  9  14.33s …` with the
    mean of the 3 finished, as if of all 9 (QA); it says how many it
    timed, as the JSON's `timed` does."""
    path = os.path.join(os.path.dirname(__file__), "data", "inspect", "slots-late-killed.log")
    assert main(["stats", path]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if line.startswith("NAME"))
    assert header.split()[:3] == ["NAME", "COUNT", "TIMED"]
    tool_calls = next(line for line in lines if line.startswith("Tool Call "))
    assert tool_calls.split()[2:4] == ["9", "3"]


def test_http_says_the_bad_lines_naming_http_it_skipped(tmp_path, capsys):
    """A log cut mid-request and holding a line of garbage: the requests
    it can read, and one note that says how many lines naming HTTP were
    skipped, and where the first was."""
    lines = gzip.decompress(open(os.path.join(SAMPLES, "inspect", "mixed.log.gz"), "rb").read()).split(b"\n")
    http = [n for n, line in enumerate(lines) if b'"level": "HTTP"' in line]
    cut = lines[http[1]].index(b'"HTTP"') + 30
    lines[http[1]] = lines[http[1]][:cut]  # a request cut short
    lines.insert(3, b"garbage, not naming it")
    path = tmp_path / "trace-77.log"
    path.write_bytes(b"\n".join(lines))
    assert main(["http", str(path), "--json"]) == 0
    captured = capsys.readouterr()
    ours = json.loads(captured.out)["requests"]
    theirs = _expected("mixed", "http")["requests"]
    assert ours == theirs[:1] + theirs[2:]
    assert captured.err.strip().endswith(f"{path}: skipped 1 bad line(s) naming HTTP; first at line {http[1] + 2}")
