"""Spans not written yet: OTel exporters write a span when it ends, so a hung
pipeline's root and hung step are in no file, and it read ✓ ok, nothing
running, its ended spans roots with "(parent … not found)" (QA). While a
process holds the file open for writing, a placeholder stands for each
parent named and not written, running; the real span takes its place when
it comes; if the writer goes first, it stays, its age a lower bound. A file
never seen written live keeps its orphans.

The traces are real (`data/otel/make_hung_agent.py`, the OpenTelemetry SDK:
not a test dependency): a process of the test's own writes their lines, the
lines before the hang first, holding the file as the pipeline did."""

from __future__ import annotations

import json
import os
import time

import pytest

import test_follow_writers
from writer_process import Writer
from tracetui.cli import main
from tracetui.clock import ages_cut_short, as_of
from tracetui.formats.spanbuild import UNWRITTEN_GONE, UNWRITTEN_MISSING, UNWRITTEN_RUNNING
from tracetui.model import OK, RUNNING, unwritten
from tracetui.sources.discover import open_file, open_sources
from tracetui.store import Store

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "otel")
#: The same real run of the agent, by each exporter.
RECORDED = {
    "otel-console": os.path.join(DATA, "hung_agent.console.jsonl"),
    "otlp": os.path.join(DATA, "hung_agent.otlp.jsonl"),
}


@pytest.fixture(autouse=True)
def replayed_as_written_now(monkeypatch):
    """The recordings keep the times they were made with, days before the
    process that replays them here started: a run last written before its
    writer started is not that writer's (`clock.written_before`, tested in
    test_follow_writers), so that rule is left out of these replays."""
    from tracetui.sources import lines

    monkeypatch.setattr(lines, "writer_since", lambda path: None)


def recorded(path: str) -> tuple[str, str]:
    """The lines its pipeline wrote before it hung in `llm_call_1` (ended
    spans naming `agent`, open, not written), and the rest."""
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    cut = next(i for i, line in enumerate(lines) if '"llm_call_1"' in line)
    return "".join(lines[:cut]), "".join(lines[cut:])


def finished(path: str):
    """The whole recorded file, read as a finished export: (store, run)."""
    store = Store()
    open_file(path, store).poll(final=True)
    (run,) = store.runs.values()
    return store, run


def agent_id(path: str) -> str:
    _, run = finished(path)
    return next(s.id for s in run.spans.values() if s.name == "agent")


def follow(path: str, seconds: float, store: Store | None = None):
    """Poll the file as the TUI's reader does for `seconds`: (source, run)."""
    store = Store() if store is None else store
    (source,), _ = open_sources([path], store)
    return source, follow_on(source, seconds)


def follow_on(source, seconds: float):
    deadline = time.monotonic() + seconds
    while True:
        source.poll()
        if time.monotonic() >= deadline:
            (run,) = source.store.runs.values()
            return run
        time.sleep(0.05)


def shape(span) -> dict:
    return {"id": span.id, "name": span.name, "status": span.status, "orphan": span.orphan,
            "synthetic": span.synthetic, "children": [shape(c) for c in span.children or ()]}


def cli_json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


#: Liveness looked at on every poll (`test_follow_writers.quick`), in every test.
quick = test_follow_writers.quick
pytestmark = pytest.mark.usefixtures("quick")


@pytest.fixture(params=sorted(RECORDED))
def exporter(request):
    return RECORDED[request.param]


@pytest.fixture
def pipeline(tmp_path, exporter):
    """A process holding `spans.jsonl` open for writing, as a pipeline
    exporting to it does: (path, writer, recorded file)."""
    path = str(tmp_path / "spans.jsonl")
    open(path, "w").close()
    proc = Writer(path)
    yield path, proc, exporter
    if proc.proc.poll() is None:
        proc.close()


def test_a_hung_pipelines_unwritten_root_stands_in_running_while_its_writer_lives(pipeline, capsys):
    """The symptom: `✓ qa-agent`, "nothing running", its spans roots with
    "(parent 702211… not found)". With its writer at work, a placeholder
    stands for `agent`, running from its first child's start, ageing to
    now, its children under it; `tracetui runs` counts the spans recorded."""
    path, proc, exporter = pipeline
    hung, _ = recorded(exporter)
    proc.write(hung)
    source, run = follow(path, 0.5)
    agent = agent_id(exporter)
    stand_in = run.spans[agent]
    assert unwritten(stand_in) and stand_in.synthetic and stand_in.status == RUNNING
    assert [c.name for c in stand_in.children] == ["llm_call_0", "tool.search"]
    assert stand_in.start == min(c.start for c in stand_in.children)
    assert run.roots == [stand_in] and not any(s.orphan for s in run.spans.values())
    assert stand_in.detail == UNWRITTEN_RUNNING
    assert (run.status, run.live, run.writer_seen) == (RUNNING, True, True)
    assert list(run.anomalies.running) == [agent]
    assert (run.span_count(), run.synthetic_spans) == (3, 1)
    now = time.time()
    assert as_of(run, now) == now and not ages_cut_short(run)

    # A command asked meanwhile says the same.
    row, = cli_json(capsys, "runs", path, "--json")
    # Three spans written, one running: the one not written yet (`RUNNING 0`
    # beside a running anomaly, before).
    assert (row["status"], row["spans"], row["running"]) == (RUNNING, 3, 1)
    anomalies = cli_json(capsys, "anomalies", path, "--json")
    (hung_row,) = anomalies["running"]
    assert (hung_row["action"], hung_row["detail"], hung_row["start_time"]) == ("span", "(not written yet)",
                                                                                stand_in.start)
    assert hung_row["duration"] == pytest.approx(anomalies["as_of"] - stand_in.start)
    assert anomalies["as_of"] >= now
    tree = cli_json(capsys, "tree", path, "--json")
    (root,) = tree["roots"]
    assert (root["id"], root["status"], root["unwritten"]) == (agent, RUNNING, True)
    assert [c["name"] for c in root["children"]] == ["llm_call_0", "tool.search"]
    assert "orphan" not in json.dumps(tree)
    spans = {s["name"]: s for s in cli_json(capsys, "spans", path, "--json")}
    assert spans["(not written yet)"]["unwritten"] is True
    assert spans["llm_call_0"]["parent"] == agent and "orphan" not in spans["llm_call_0"]
    assert main(["tree", path]) == 0
    text = capsys.readouterr().out
    assert "▶ (not written yet)  " + UNWRITTEN_RUNNING[:50] in text and "not found" not in text


def test_the_real_span_takes_its_placeholders_place(pipeline):
    """A step that ends under the hung root goes under its placeholder; the
    root's own span, when written, is that node (same id, same children),
    made up no longer: the run reads as the finished export does."""
    path, proc, exporter = pipeline
    hung, rest = recorded(exporter)
    proc.write(hung)
    source, run = follow(path, 0.3)
    stand_in = run.spans[agent_id(exporter)]
    late, root = rest.splitlines(keepends=True)
    proc.write(late)
    follow_on(source, 0.2)
    assert unwritten(stand_in) and [c.name for c in stand_in.children] == ["llm_call_0", "tool.search",
                                                                          "llm_call_1"]
    proc.write(root)
    follow_on(source, 0.2)
    assert run.spans[stand_in.id] is stand_in and run.roots == [stand_in]
    assert (stand_in.name, stand_in.status, stand_in.synthetic, stand_in.detail) == ("agent", OK, False, "")
    assert (run.status, run.synthetic_spans, run.span_count(), run.live) == (OK, 0, 5, False)
    assert not run.anomalies.running
    _, whole = finished(exporter)
    assert [shape(r) for r in run.roots] == [shape(r) for r in whole.roots]
    assert stand_in.start == whole.roots[0].start and stand_in.attributes == whole.roots[0].attributes


def test_a_killed_pipelines_placeholder_stays_running_its_age_a_lower_bound(pipeline, capsys):
    """Killed mid-run (SIGKILL), its root never written: the placeholder
    stays, running, saying it never was written; its age stops where the
    writer was last seen, shown `≥`. A command run afterwards never saw the
    file written live: where the spans say their parent is in their
    process (OTLP), the placeholder stands there too, running, its age a
    lower bound; else it reads the file as it is (orphans)."""
    path, proc, exporter = pipeline
    hung, _ = recorded(exporter)
    proc.write(hung)
    source, run = follow(path, 0.4)
    stand_in = run.spans[agent_id(exporter)]
    seen = as_of(run, time.time())
    proc.proc.kill()
    proc.proc.wait(timeout=10)
    follow_on(source, 0.3)
    assert not run.live and not source.live
    assert unwritten(stand_in) and stand_in.status == RUNNING and run.status == RUNNING
    assert stand_in.detail == UNWRITTEN_GONE
    assert ages_cut_short(run)
    frozen = as_of(run, time.time())
    time.sleep(0.2)
    assert as_of(run, time.time()) == frozen >= seen - 1.0  # the last look that found it at work

    assert main(["tree", path]) == 0
    text = capsys.readouterr().out
    if exporter == RECORDED["otlp"]:  # its spans say their parent is in their process
        assert "(parent " + stand_in.id + " not found)" not in text
        assert "▶ (not written yet)  not in the file" in text and "≥" in text
    else:
        assert "(parent " + stand_in.id + " not found)" in text


def test_a_file_never_seen_written_live_keeps_its_orphans(tmp_path, exporter, capsys):
    """A copy of the hung pipeline's file (or its export, read after it was
    killed): no writer holds it, so a parent not in it is just not found,
    the run reads as recorded, as before; unless its spans say that parent
    is in their process (below)."""
    if exporter == RECORDED["otlp"]:
        pytest.skip("OTLP spans say where their parent is: test_a_killed_pipelines_export_read_later")
    hung, _ = recorded(exporter)
    path = str(tmp_path / "copy.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write(hung)
    source, run = follow(path, 0.5)
    agent = agent_id(exporter)
    assert agent not in run.spans and run.synthetic_spans == 0
    assert [(r.name, r.orphan) for r in run.roots] == [("llm_call_0", agent), ("tool.search", agent)]
    assert run.status == OK and not run.anomalies.running and not run.writer_seen
    assert main(["tree", path]) == 0
    text = capsys.readouterr().out
    assert text.count(f"(parent {agent} not found)") == 2
    assert "not written" not in text


def test_a_killed_pipelines_export_read_later_stands_its_parent_in_running(tmp_path, capsys):
    """The same copy as OTLP, which says of each span whether its parent is
    in another process (`flags`): the parent its spans name, local, is
    missing, so their process had not ended it when the file was last
    written. It read ✓ ok to whoever opened the file after the pipeline
    was killed (QA); a placeholder stands for it, running, its age a lower
    bound, saying why, and the anomalies list it."""
    hung, _ = recorded(RECORDED["otlp"])
    path = str(tmp_path / "copy.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write(hung)
    source, run = follow(path, 0.5)
    agent = agent_id(RECORDED["otlp"])
    stand_in = run.spans[agent]
    assert unwritten(stand_in) and stand_in.detail == UNWRITTEN_MISSING
    assert [r.name for r in stand_in.children] == ["llm_call_0", "tool.search"]
    assert run.status == RUNNING and agent in run.anomalies.running and not run.writer_seen
    assert not source.live and ages_cut_short(run)
    assert main(["runs", path, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["status"] == "running" and row["running"] == 1
    assert main(["anomalies", path, "--json"]) == 0
    assert [r["detail"] for r in json.loads(capsys.readouterr().out)["running"]] == ["(not written yet)"]


def _otlp_line(span: dict) -> str:
    return json.dumps({"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "svc"}}]},
        "scopeSpans": [{"scope": {"name": "t"}, "spans": [span]}]}]}) + "\n"


def test_a_parent_in_another_process_gets_no_placeholder(tmp_path):
    """A server span's parent is its caller's, in another process: not this
    file's to write, so no placeholder (its run would read running for ever
    while the server runs). The OTLP flags say whether a parent is remote;
    where they do not, a server or consumer span's is taken to be."""
    now_ns = int(time.time() * 1e9)
    base = {"traceId": "ab" * 16, "startTimeUnixNano": str(now_ns), "endTimeUnixNano": str(now_ns + 10**6),
            "status": {}}
    path = str(tmp_path / "server.jsonl")
    open(path, "w").close()
    proc = Writer(path)
    try:
        proc.write(_otlp_line(dict(base, spanId="1" * 16, parentSpanId="2" * 16, name="remote-flagged",
                                   kind=1, flags=0x300))
                   + _otlp_line(dict(base, traceId="cd" * 16, spanId="3" * 16, parentSpanId="4" * 16,
                                     name="GET /", kind=2))
                   + _otlp_line(dict(base, traceId="ef" * 16, spanId="5" * 16, parentSpanId="6" * 16,
                                     name="local-flagged server", kind=2, flags=0x100)))
        store = Store()
        (source,), _ = open_sources([path], store)
        follow_on_all(source, 0.4)
        remote, unflagged, local = (store.runs[t * 16] for t in ("ab", "cd", "ef"))
        for run in (remote, unflagged):
            assert run.status == OK and run.synthetic_spans == 0 and run.roots[0].orphan
        assert local.status == RUNNING and unwritten(local.spans["6" * 16])
    finally:
        proc.close()


def follow_on_all(source, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        source.poll()
        time.sleep(0.05)


def test_a_native_stream_of_closed_spans_gets_placeholders_too(tmp_path):
    """Every span-stream format: a native JSONL writer that writes a span
    only when it closes (as OTel's exporters do) shows its open root."""
    t0 = time.time() - 5
    path = str(tmp_path / "native.jsonl")
    open(path, "w").close()
    proc = Writer(path)
    try:
        proc.write(json.dumps({"trace_id": "n-1", "span_id": "step-1", "parent_id": "root", "name": "step",
                               "start_time": t0 + 1, "end_time": t0 + 2}) + "\n")
        store = Store()
        (source,), _ = open_sources([path], store)
        follow_on_all(source, 0.3)
        run = store.runs["n-1"]
        stand_in = run.spans["root"]
        assert unwritten(stand_in) and stand_in.start == t0 + 1 and run.status == RUNNING
        # A child that began earlier moves its start back.
        proc.write(json.dumps({"trace_id": "n-1", "span_id": "step-0", "parent_id": "root", "name": "step",
                               "start_time": t0, "end_time": t0 + 1}) + "\n")
        follow_on_all(source, 0.2)
        assert stand_in.start == t0 and run.anomalies.running["root"].start == t0
        assert [c.id for c in stand_in.children] == ["step-0", "step-1"]
    finally:
        proc.close()


async def test_the_app_lists_the_hung_root_running_then_a_lower_bound_once_killed(tmp_path):
    """In the app: the run reads running, the anomaly panel lists the
    placeholder ageing, the detail says the exporter writes spans when they
    end; killed, the panel's age is a lower bound and the detail says the
    span never was written."""
    from headless import open_app, settle
    from test_app import detail_text

    path = str(tmp_path / "spans.jsonl")
    open(path, "w").close()
    proc = Writer(path)
    hung, _ = recorded(RECORDED["otel-console"])
    proc.write(hung)
    try:
        app = open_app(path, now=time.time)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(pilot, app)
            for _ in range(100):
                await pilot.pause(0.02)
                if app.store.runs and next(iter(app.store.runs.values())).live:
                    break
            (run,) = app.store.runs.values()
            app.tick()
            await pilot.pause(0.1)
            assert "▶ qa-agent" in app.run_list.render_row(0, 60).plain  # was ✓
            panel = app.anomaly_panel.render_row(0, 100).plain
            assert "(not written yet)" in panel and "≥" not in panel
            await pilot.press("a", "enter")
            await pilot.pause(0.2)
            assert app.detail.span is run.spans[agent_id(RECORDED["otel-console"])]
            shown = " ".join(detail_text(app, 200).split())
            assert UNWRITTEN_RUNNING in shown
            proc.proc.kill()
            proc.proc.wait(timeout=10)
            for _ in range(100):
                await pilot.pause(0.02)
                if not run.live:
                    break
            app.tick()
            await pilot.pause(0.2)
            assert "≥" in app.anomaly_panel.render_row(0, 100).plain
            app.detail.show(app.detail.span, time.time())
            assert UNWRITTEN_GONE in " ".join(detail_text(app, 200).split())
    finally:
        if proc.proc.poll() is None:
            proc.close()
