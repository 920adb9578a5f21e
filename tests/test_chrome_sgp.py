"""Chrome Trace Event JSON (Skulk) and SGP span exports: decoding, nesting, cluster copies, stats, CLI."""

from __future__ import annotations

import glob
import gzip
import json
import os
import re

import pytest

from tracetui.cli import load, main
from tracetui.formats import chrome, sgp, sniff_document, sniff_lines
from tracetui.formats.chrome import ChromeDecoder, category_stats, run_id_for
from tracetui.model import CANCELLED, ERROR, OK, RUNNING
from tracetui.store import Store

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
SKULK = os.path.join(DATA, "skulk")
NODE_A = os.path.join(SKULK, "node-a")
NODE_B = os.path.join(SKULK, "node-b")
SGP = os.path.join(DATA, "sgp")
INSPECT = os.path.join(SKULK, "inspect", "trace-2217.log.gz")
SAMPLES = os.path.join(os.path.dirname(DATA), "..", "sample_traces")

with open(os.path.join(SKULK, "expected.json")) as f:
    EXPECTED = json.load(f)
TASKS = EXPECTED["tasks"]


def task_file(name: str, node: str = NODE_A) -> str:
    return os.path.join(node, f"trace_{TASKS[name]}.json")


def decode(path: str, store: Store | None = None) -> tuple[Store, ChromeDecoder]:
    store = store or Store()
    decoder = ChromeDecoder(store, path)
    with open(path, "rb") as f:
        decoder.feed_document(f.read())
    return store, decoder


def write(tmp_path, name: str, value) -> str:
    path = str(tmp_path / name)
    with open(path, "w") as f:
        f.write(value if isinstance(value, str) else json.dumps(value))
    return path


def children(span) -> list:
    return span.children or []


def shape(span) -> tuple:
    """A subtree's shape: names and kinds, nested, in order."""
    return (span.name, span.kind, tuple(shape(c) for c in children(span)))


# -- Skulk: real files from Skulk's own writer -----------------------------------

def test_sniffing_tells_chrome_and_sgp_apart():
    with open(task_file("image"), "rb") as f:
        head = f.read(4096)
    assert sniff_document(head).name == "chrome"
    assert sniff_document(b'[{"name": "a", "ph": "X", "ts": 1, "dur": 2}]').name == "chrome"
    assert sniff_document(b'  {"displayTimeUnit": "ms", "traceEvents": []}').name == "chrome"
    with open(os.path.join(SGP, "batches.jsonl"), "rb") as f:
        records = [json.loads(line) for line in f.read().splitlines()[:3]]
    assert sniff_lines(records).name == "sgp"


def test_task_id_comes_from_the_file_name():
    assert run_id_for("/x/trace_4f2c-11.json") == "4f2c-11"
    assert run_id_for("/x/trace_4f2c-11.json.gz") == "4f2c-11"
    assert run_id_for("/x/profile.json") == "profile"
    store, _ = decode(task_file("image"))
    run = store.runs[TASKS["image"]]
    assert run.attributes["task_id"] == TASKS["image"]
    assert run.inferred


def test_two_node_folders_merge_into_one_run_per_task():
    store, _ = load([NODE_A, NODE_B])
    assert set(store.runs) == set(TASKS.values())
    for name, task_id in TASKS.items():
        run = store.runs[task_id]
        expected = EXPECTED["list"][task_id]
        assert run.attributes["task_kind"] == expected["task_kind"]
        assert run.attributes["model_id"] == expected["model_id"]
        assert run.attributes["categories"] == expected["categories"]
        assert run.attributes["tags"] == expected["tags"]
        assert run.attributes["tool_activity"] == expected["has_tool_activity"]
        assert run.attributes["nodes"] == expected["source_nodes"]
        held = sorted(run.attributes["held_by"])
        assert held == (["node-a"] if name == "embedding" else ["node-a", "node-b"])
        assert len(run.attributes["copies"]) == len(held)
        # The copy added no spans: same count as reading one folder.
        alone, _ = decode(task_file(name))
        assert len(run.spans) == len(alone.runs[task_id].spans)
    assert store.runs[TASKS["text_a"]].attributes["tool_activity"] is True
    assert store.runs[TASKS["image"]].attributes["task_kind"] == "image"


def test_copy_from_another_node_adds_its_nodes_and_is_forgotten_on_reset(tmp_path):
    with open(task_file("embedding"), encoding="utf-8") as f:
        doc = json.load(f)
    for event in doc["traceEvents"]:
        if event["ph"] == "X":
            event["args"]["node_id"] = "node-c"
    other = tmp_path / "node-c"
    other.mkdir()
    copy_path = write(other, os.path.basename(task_file("embedding")), doc)
    store, _ = decode(task_file("embedding"))
    _, copy = decode(copy_path, store)
    run = store.runs[TASKS["embedding"]]
    assert run.attributes["nodes"] == EXPECTED["list"][TASKS["embedding"]]["source_nodes"] + ["node-c"]
    assert run.attributes["held_by"] == ["node-a", "node-c"]
    assert run.source == task_file("embedding")
    copy.reset()
    assert run.attributes["held_by"] == ["node-a"]
    assert "node-c" not in run.attributes["nodes"]


def test_stats_equal_skulks_own_compute_stats_for_each_task():
    store, _ = load([NODE_A])
    for task_id, expected in EXPECTED["stats"].items():
        result = category_stats([store.runs[task_id]])
        assert result["total_wall_time_us"] == expected["total_wall_time_us"]
        assert result["categories"] == expected["by_category"]
        assert {rank: {"by_category": cell["by_category"]} for rank, cell in result["ranks"].items()} \
            == expected["by_rank"]
        assert result["shared_duplicates"] == 0


def test_shared_decode_steps_are_counted_once_across_batched_tasks():
    a, b = TASKS["text_a"], TASKS["text_b"]
    keys = {}
    for task_id in (a, b):
        with open(os.path.join(NODE_A, f"trace_{task_id}.json")) as f:
            keys[task_id] = {(e["name"], e["ts"], e["dur"], e["tid"]) for e in json.load(f)["traceEvents"]
                             if e["ph"] == "X" and "shared" in e["args"]["tags"]}
    both = len(keys[a] & keys[b])
    assert both >= 8  # 4 steps shared on each of 2 ranks
    store, _ = load([NODE_A, NODE_B])
    result = category_stats([store.runs[a], store.runs[b]])
    naive = sum(EXPECTED["stats"][t]["by_category"]["decode"]["count"] for t in (a, b))
    assert result["shared_duplicates"] == both
    assert result["categories"]["decode"]["count"] == naive - both
    shared_spans = [s for s in store.runs[b].spans.values() if (s.attributes or {}).get("shared")]
    assert shared_spans and all(s.name == "decode_step" for s in shared_spans)


def test_tree_nests_by_time_and_agrees_with_categories():
    store, _ = decode(task_file("image"))
    run = store.runs[TASKS["image"]]
    assert [r.name for r in run.roots] == ["Rank 0", "Rank 1"]
    assert all(r.synthetic for r in run.roots)
    rank1 = run.roots[1]
    steps = [c for c in children(rank1) if c.kind in ("sync", "async")]
    assert [s.name for s in steps] == ["sync 0", "sync 1", "async 2", "async 3"]
    for step in steps:
        assert [c.name for c in children(step)] == ["recv 0", "single blocks"]
        assert all(c.attributes["category"].startswith(step.kind + "/") for c in children(step))
    queued = [c for c in children(rank1) if c.name == "queued"]
    assert queued[0].kind == "marker" and queued[0].duration == 0


def test_lifecycle_markers_are_not_put_under_a_decode_span():
    store, _ = decode(task_file("text_b"))
    run = store.runs[TASKS["text_b"]]
    for track in run.roots:
        decode_span = next(c for c in children(track) if c.name == "decode")
        inside = {c.name for c in children(decode_span)}
        assert inside == {"first_token", "decode_step"}
        error = next(c for c in children(track) if c.name == "error")
        assert error.status == ERROR and error.kind == "marker"
        assert "ContextLengthExceededError" in error.error["message"]
        assert error.start is not None and decode_span.start <= error.start <= decode_span.end
    assert run.status == ERROR
    assert len(run.anomalies.errors) == 2


def test_aborted_task_is_an_error_of_type_aborted():
    store, _ = decode(task_file("aborted"))
    run = store.runs[TASKS["aborted"]]
    aborted = [s for s in run.spans.values() if s.name == "aborted"]
    assert len(aborted) == 2
    assert all(s.status == ERROR and s.error["type"] == "aborted" for s in aborted)
    assert run.status == ERROR


# -- any Chrome trace: hand-written edge cases ------------------------------------

def test_begin_end_pairs_instants_and_unclosed_slices(tmp_path):
    events = [
        {"ph": "B", "name": "outer", "ts": 0, "pid": 1, "tid": 1},
        {"ph": "B", "name": "inner", "ts": 10, "pid": 1, "tid": 1, "args": {"a": 1}},
        {"ph": "i", "name": "tick", "ts": 15, "pid": 1, "tid": 1, "s": "t"},
        {"ph": "E", "ts": 20, "pid": 1, "tid": 1, "args": {"b": 2}},
        {"ph": "E", "ts": 100, "pid": 1, "tid": 1},
        {"ph": "B", "name": "hung", "ts": 200, "pid": 1, "tid": 1},
        {"ph": "X", "name": "work", "ts": 210, "dur": 5, "pid": 1, "tid": 1},
        {"ph": "E", "ts": 5, "pid": 1, "tid": 2},  # an E without its B
        {"ph": "C", "name": "counter", "ts": 1, "pid": 1, "args": {"v": 3}},
        {"ph": "M", "name": "thread_name", "pid": 1, "tid": 1, "args": {"name": "main"}},
    ]
    path = write(tmp_path, "profile.json", {"traceEvents": events})
    store, decoder = decode(path)
    run = store.runs["profile"]
    assert decoder.skipped == 1
    (track,) = run.roots
    assert track.name == "main"
    outer, hung = children(track)
    assert (outer.name, outer.duration) == ("outer", 100e-6)
    (inner,) = children(outer)
    assert inner.attributes == {"a": 1, "b": 2}
    assert [(c.name, c.kind, c.duration) for c in children(inner)] == [("tick", "marker", 0.0)]
    assert hung.status == RUNNING and hung.duration is None
    assert [c.name for c in children(hung)] == ["work"]
    assert list(run.anomalies.running) == [hung.id]
    assert track.status == RUNNING


def test_bare_array_without_closing_bracket_and_plain_time_containment(tmp_path):
    text = ('[{"name": "parent", "cat": "a", "ph": "X", "ts": 0, "dur": 10, "pid": 0, "tid": 0},\n'
            '{"name": "child", "cat": "b", "ph": "X", "ts": 2, "dur": 3, "pid": 0, "tid": 0},\n'
            '{"name": "sibling", "cat": "b", "ph": "X", "ts": 10, "dur": 3, "pid": 0, "tid": 0},\n')
    store, decoder = decode(write(tmp_path, "t.json", text))
    (track,) = store.runs["t"].roots
    parent, sibling = children(track)
    # No slash categories, no Skulk args: nesting by time alone.
    assert [c.name for c in children(parent)] == ["child"]
    assert sibling.name == "sibling" and not children(sibling)
    assert decoder.skipped == 0


def test_cancel_marker_and_bad_events(tmp_path):
    args = {"rank": 0, "node_id": "n", "model_id": "m", "task_kind": "text", "tags": [], "attrs": {}}
    events = [
        {"name": "queued", "cat": "lifecycle", "ph": "X", "ts": 1, "dur": 0, "pid": 0, "tid": 0, "args": args},
        "not an event",
        {"name": "cancel", "cat": "lifecycle", "ph": "X", "ts": 5, "dur": 0, "pid": 0, "tid": 0, "args": args},
        {"name": "no time", "ph": "X", "pid": 0, "tid": 0},
    ]
    text = json.dumps({"traceEvents": events}, indent=2)
    store, decoder = decode(write(tmp_path, "trace_t1.json", text))
    run = store.runs["t1"]
    assert run.status == CANCELLED
    assert decoder.skipped == 2
    assert decoder.first_bad_line == text.splitlines().index('    "not an event",') + 1
    store, decoder = decode(write(tmp_path, "trace_t2.json", "{not json"))
    assert decoder.skipped == 1 and not store.runs


def test_raw_record_of_an_event():
    store, decoder = decode(task_file("text_a"))
    span = next(s for s in store.runs[TASKS["text_a"]].spans.values() if s.name == "tool_call_parsed")
    raw = json.loads(decoder.raw(span.origin[0]))
    assert raw["name"] == "tool_call_parsed" and "tool_call" in raw["args"]["tags"]


def test_perfetto_export_opens_back_with_the_same_tree(tmp_path, capsys):
    out = str(tmp_path / "export.json")
    assert main(["export", INSPECT, "--format", "perfetto", "-o", out]) == 0
    original, _ = load([INSPECT])
    (run,) = original.runs.values()
    samples = [s for s in run.spans.values() if s.kind == "sample"]
    assert len(samples) == 3
    back, _ = load([out])
    (reread,) = back.runs.values()
    assert reread.format == "chrome" and reread.name.startswith(run.name)
    tracks = {t.name: t for t in reread.roots}
    for sample in samples:
        name = f"{sample.parent.name} · {sample.name}"  # the task names it too
        copy, *after = children(tracks[name])
        # Actions that overlap without nesting went to a second lane; a log
        # flush that does not stretch its sample follows it on its track.
        lanes = [t for t in reread.roots if t.name == f"{name} (2)"]
        moved = [shape(s) for lane in lanes for s in children(lane)] + [shape(s) for s in after]
        assert all(s.name.startswith("Log Write") for s in after)
        assert sorted(shape(copy)[2] + tuple(moved)) == sorted(shape(sample)[2])
        assert copy.status == sample.status
    deep = next(s for s in reread.spans.values() if s.name == "Subprocess")
    assert deep.parent.name == "Tool Call" and deep.detail.startswith("bash")


# -- SGP: real exports from the scale-gp-beta SDK --------------------------------

def sgp_runs(path: str):
    store, sources = load([path])
    assert sources[0].format == "sgp"
    return {run.name: run for run in store.runs.values()}, sources[0]


@pytest.mark.parametrize("name", ["batches.jsonl", "spans.jsonl"])
def test_sgp_export_one_span_per_id_completed_copy_wins(name):
    runs, source = sgp_runs(os.path.join(SGP, name))
    assert source.skipped == 0
    assert set(runs) == {"agent_turn", "ingest", "long_job"}
    turn = runs["agent_turn"]
    assert len(turn.spans) == 5
    (root,) = turn.roots
    assert root.kind == "TRACER" and root.status == OK
    assert [c.name for c in children(root)] == ["plan", "search", "calculator", "answer"]
    search = next(c for c in children(root) if c.name == "search")
    assert search.status == OK and search.duration > 0.04
    assert len(search.origin) == 2  # the in-progress copy, then the completed one
    assert root.output == {"answer": "Paris."} and root.attributes == {"user": "u-17", "session": "s-3"}
    plan = children(root)[0]
    assert plan.kind == "COMPLETION" and plan.input["messages"][0]["role"] == "user"
    assert plan.attributes["model"] == "gpt-4o-mini"


def test_sgp_error_fields_become_the_span_error():
    runs, _ = sgp_runs(os.path.join(SGP, "spans.jsonl"))
    calc = next(s for s in runs["agent_turn"].spans.values() if s.name == "calculator")
    assert calc.status == ERROR
    assert calc.error == {"message": "division by zero", "type": "ZeroDivisionError", "category": "unknown"}
    assert "error" not in calc.attributes and calc.attributes["error_category"] == "unknown"
    ingest = runs["ingest"]
    assert ingest.status == ERROR
    assert {s.name for s in ingest.spans.values() if s.status == ERROR} == {"ingest", "embed"}
    embed = next(s for s in ingest.spans.values() if s.name == "embed")
    assert embed.error["type"] == "PlatformError" and embed.error["category"] == "platform"


def test_sgp_span_without_end_is_running():
    runs, _ = sgp_runs(os.path.join(SGP, "batches.jsonl"))
    job = runs["long_job"]
    assert job.status == RUNNING
    assert {s.name: s.status for s in job.spans.values()} == {"long_job": RUNNING, "wait_for_lock": RUNNING}
    assert all(s.duration is None for s in job.spans.values())
    assert len(job.anomalies.running) == 2


def test_sgp_completed_copy_wins_in_either_order(tmp_path):
    with open(os.path.join(SGP, "spans.jsonl")) as f:
        lines = f.read().splitlines()
    reversed_path = write(tmp_path, "reversed.jsonl", "\n".join(reversed(lines)) + "\n")
    forward, _ = sgp_runs(os.path.join(SGP, "spans.jsonl"))
    backward, _ = sgp_runs(reversed_path)
    for name in forward:
        a = {s.id: (s.status, s.duration, s.parent.id if s.parent else None) for s in forward[name].spans.values()}
        b = {s.id: (s.status, s.duration, s.parent.id if s.parent else None) for s in backward[name].spans.values()}
        assert a == b
    assert backward["agent_turn"].status == ERROR


def test_sgp_pretty_printed_batch_body_and_cancelled_status(tmp_path):
    body = {"items": [
        {"id": "s1", "trace_id": "t", "name": "job", "type": "TRACER", "status": "CANCELED",
         "start_timestamp": "2025-01-01T00:00:00+00:00", "end_timestamp": "2025-01-01T00:00:02.500000+00:00",
         "input": {}, "output": {}, "metadata": {}},
        {"id": "s2", "trace_id": "t", "parent_id": "s1", "name": "step", "type": "STANDALONE",
         "status": "SUCCESS", "start_timestamp": "2025-01-01T00:00:01+00:00"},
    ]}
    path = write(tmp_path, "body.json", json.dumps(body, indent=2))
    runs, source = sgp_runs(path)
    run = runs["job"]
    job = run.spans["s1"]
    assert job.status == CANCELLED and job.duration == 2.5 and job.input is None
    assert run.spans["s2"].parent is job and run.spans["s2"].status == RUNNING
    assert source.raw(job.origin[0]) is not None


# -- CLI ---------------------------------------------------------------------------

def cli_json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_runs_tree_stats_on_skulk(capsys):
    rows = cli_json(capsys, "runs", NODE_A, NODE_B, "--json")
    assert sorted(r["id"] for r in rows) == sorted(TASKS.values())
    status = {r["id"]: r["status"] for r in rows}
    assert status[TASKS["text_b"]] == "error" and status[TASKS["image"]] == "ok"
    tree = cli_json(capsys, "tree", task_file("image"), "--json")
    assert tree["inferred"] is True
    assert [r["name"] for r in tree["roots"]] == ["Rank 0", "Rank 1"]
    assert tree["roots"][0]["children"][1]["name"] == "sync 0"
    stats = cli_json(capsys, "stats", task_file("text_a"), "--json")
    expected = EXPECTED["stats"][TASKS["text_a"]]
    assert stats["categories"] == expected["by_category"]
    assert stats["total_wall_time_us"] == expected["total_wall_time_us"]
    assert set(stats["ranks"]) == {"0", "1"}
    assert main(["stats", NODE_A]) == 0
    text = capsys.readouterr().out
    assert "wall time:" in text and "CATEGORY" in text and "rank 1" in text and "counted once" in text


def test_cli_runs_and_tree_on_sgp(capsys):
    rows = cli_json(capsys, "runs", os.path.join(SGP, "batches.jsonl"), "--json")
    assert {r["name"]: r["status"] for r in rows} == {"agent_turn": "error", "ingest": "error",
                                                    "long_job": "running"}
    turn = next(r for r in rows if r["name"] == "agent_turn")
    tree = cli_json(capsys, "tree", os.path.join(SGP, "batches.jsonl"), turn["id"], "--json")
    (root,) = tree["roots"]
    assert root["kind"] == "TRACER"
    assert [c["name"] for c in root["children"]] == ["plan", "search", "calculator", "answer"]
    envelope = cli_json(capsys, "anomalies", os.path.join(SGP, "spans.jsonl"), "--json")
    assert sorted(r["detail"] for r in envelope["running"]) == ["long_job", "wait_for_lock"]
    assert {r["detail"] for r in envelope["errors"]} == {"calculator", "ingest", "embed"}


def test_gzipped_skulk_file(tmp_path):
    with open(task_file("image"), "rb") as f:
        data = f.read()
    path = tmp_path / f"trace_{TASKS['image']}.json.gz"
    path.write_bytes(gzip.compress(data))
    store, _ = load([str(path)])
    assert TASKS["image"] in store.runs


def test_fixture_folders_hold_only_what_the_readme_says():
    assert len(glob.glob(os.path.join(NODE_A, "trace_*.json"))) == 5
    assert len(glob.glob(os.path.join(NODE_B, "trace_*.json"))) == 4
    assert chrome.FORMAT == "chrome" and sgp.FORMAT == "sgp"


def _nest_strictly(events, slack_us: float = 1.0) -> bool:
    """Slices on one thread either nest or follow each other, as Perfetto
    needs of JSON traces (to within the 0.25 µs an epoch-µs double holds)."""
    by_track = {}
    for e in events:
        if e["ph"] == "X":
            by_track.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"]))
    for slices in by_track.values():
        open_ends = []
        for start, end in sorted(slices, key=lambda se: (se[0], -se[1])):
            while open_ends and open_ends[-1] <= start + slack_us:
                open_ends.pop()
            if open_ends and end > open_ends[-1] + slack_us:
                return False
            open_ends.append(end)
    return True


@pytest.mark.parametrize("name", ["inspect/demo.log", "inspect/hung.log", "inspect/mixed.log.gz",
                                  "inspect/cancelled.log.gz", "otel/otlp.jsonl", "flujo/flujo_ops.db",
                                  "skulk/node-a", "trackio/agent-evals.db", "native/spans.jsonl",
                                  "../tests/data/skulk/inspect/trace-2217.log.gz"])
def test_perfetto_slices_on_a_thread_nest(tmp_path, name):
    """Strictly (a child ended a quarter µs after its parent: QA), and every
    span is a slice, those with no start time too (Trackio's tool calls
    were left out: QA)."""
    from tracetui.export import perfetto_events

    store, _ = load([os.path.join(SAMPLES, name)])
    events = perfetto_events(store.runs.values(), 1795419400.0)
    assert _nest_strictly(events, slack_us=0.0)
    assert sum(e["ph"] == "X" for e in events) == sum(len(run.spans) for run in store.runs.values())


def test_a_span_with_no_start_is_drawn_over_its_children_or_at_its_parent(tmp_path):
    from tracetui.export import perfetto_events

    path = tmp_path / "nostart.jsonl"
    spans = [{"span_id": "root", "name": "root", "start_time": 100.0, "end_time": 110.0},
             {"span_id": "ns", "parent_id": "root", "name": "nostart"},
             {"span_id": "gk", "parent_id": "ns", "name": "grandkid", "start_time": 102.0, "end_time": 103.5},
             {"span_id": "leaf", "parent_id": "ns", "name": "timeless"},
             {"span_id": "alone", "name": "a root with no time"}]
    path.write_text("".join(json.dumps({"trace_id": "t", "status": "ok", **s}) + "\n" for s in spans))
    store, _ = load([str(path)])
    slices = {e["name"]: (e["ts"], e["dur"]) for e in perfetto_events(store.runs.values(), 200.0)
              if e["ph"] == "X"}
    assert slices == {"root": (100e6, 10e6), "nostart": (102e6, 1.5e6), "grandkid": (102e6, 1.5e6),
                      "timeless": (102e6, 0.0), "a root with no time": (100e6, 0.0)}


def test_overlapping_siblings_get_a_lane_each():
    from tracetui.export import perfetto_events
    from tracetui.model import Run, Span

    run = Run("r", "x.jsonl", "native")
    root = Span("root", run, "root", "agent", 0.0)
    root.duration = 10.0
    a, b = Span("a", run, "a", "llm", 1.0), Span("b", run, "b", "tool", 4.0)
    a.duration, b.duration = 5.0, 5.0  # b starts before a ends and ends after it
    for child in (a, b):
        child.parent = root
    root.children = [a, b]
    run.spans = {s.id: s for s in (root, a, b)}
    run.roots = [root]
    events = perfetto_events([run], 20.0)
    assert _nest_strictly(events)
    threads = [e["args"]["name"] for e in events if e["name"] == "thread_name"]
    assert threads == ["root", "root (2)"]


async def test_the_exports_toast_names_the_nodes_tracetui_made_by_their_kind(tmp_path, monkeypatch):
    """QA: a Skulk trace's export said "(2 of them task/sample nodes tracetui
    inferred)" of its two rank tracks."""
    import sys

    sys.path.insert(0, os.path.dirname(__file__))
    from headless import open_app, settle

    path = sorted(glob.glob(os.path.join(SAMPLES, "skulk", "node-a", "*.json")))[0]
    monkeypatch.chdir(tmp_path)
    app = open_app(path, now=1795412400.0)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.focus_now(app.tree)
        await pilot.press("x")
        for _ in range(100):
            await pilot.pause(0.05)
            said = [n.message for n in app._notifications if n.message.startswith("exported")]
            if said:
                break
        assert said and "of them track nodes tracetui inferred" in said[-1], said
        assert "task/sample" not in said[-1]


def test_a_run_of_many_samples_shares_threads_among_those_that_never_overlap(tmp_path):
    """QA: a 1M-line eval's export had a thread per sample, 130,852, where
    some 150 ran at once; Perfetto is not usable so. A run of many tracks
    puts each on the first thread of its task free by its start: as many
    threads as ran at once, each sample's slices on one of them, and every
    span still a slice, nesting strictly."""
    import subprocess
    import sys

    from tracetui.export import PACK_MIN_TRACKS, perfetto_events

    path = tmp_path / "trace-7.log"
    gen = os.path.join(os.path.dirname(__file__), "..", "bench", "gen_inspect.py")
    subprocess.run([sys.executable, gen, str(path), "--lines", "20000", "--seed", "3", "--samples", "10",
                    "--start", "1795400000", "-q"], check=True)
    store, _ = load([str(path)])
    (run,) = store.runs.values()
    samples = [s for s in run.spans.values() if s.kind == "sample"]
    assert len(samples) > PACK_MIN_TRACKS
    events = perfetto_events([run], 1795500000.0)
    assert _nest_strictly(events, slack_us=0.0)
    assert sum(e["ph"] == "X" for e in events) == len(run.spans)
    threads = {e["tid"]: e["args"]["name"] for e in events if e["name"] == "thread_name"}
    sample_threads = [name for name in threads.values() if name.split()[0] in {t.name for t in run.roots}]
    assert 0 < len(sample_threads) < len(samples) // 3
    tid_of = {}
    for e in events:
        if e["ph"] == "X":
            tid_of.setdefault(e["args"]["id"], e["tid"])
    for sample in samples:  # a sample's first action on its thread
        if sample.children:
            first = min(sample.children, key=lambda s: s.start)
            assert tid_of[first.id] == tid_of[sample.id], sample.name


# -- the export, written as it is made ---------------------------------------------

#: Real traces of each kind the export draws differently: Inspect's
#: samples (cancelled, failed, hung: running spans end at `as_of`), Skulk's
#: Chrome tracks, Trackio's tool calls with no start, native spans that
#: overlap without nesting (a second lane).
EXPORT_SOURCES = [os.path.join(SAMPLES, name) for name in (
    "inspect/mixed.log.gz", "inspect/cancelled.log.gz", "inspect/interrupted.log.gz", "inspect/hung.log")] + [
    INSPECT] + [os.path.join(SAMPLES, name) for name in (
    "skulk/node-a", "trackio/agent-evals.db", "native/spans.jsonl")]
#: The export of EXPORT_SOURCES, as the whole-list export wrote it.
EXPORT_EXPECTED = os.path.join(DATA, "export", "perfetto-{}.json.gz")
EXPORT_AS_OF = 1795419400.0


def export_runs(tmp_path):
    """The runs of EXPORT_SOURCES, read from copies last written long ago:
    no log counts as live, whenever the repository was checked out."""
    import shutil

    runs = []
    tmp_path.mkdir()
    for source in EXPORT_SOURCES:
        copy = str(tmp_path / os.path.basename(source))
        (shutil.copytree if os.path.isdir(source) else shutil.copy)(source, copy)
        for path in [copy] + glob.glob(os.path.join(copy, "*")):
            os.utime(path, (1_700_000_000, 1_700_000_000))
        store, _ = load([copy])
        runs += store.runs.values()
    return runs


@pytest.mark.parametrize("threads", ["threads", "packed"])
def test_the_export_written_as_it_is_made_is_the_one_made_whole(tmp_path, monkeypatch, capsysbinary, threads):
    """`x` on a 1M-line log made its ~490k events in one list before writing
    any (QA: the app went from 394 to 698 MB, and stayed there); they are
    made as they are written now, and the file is the same, byte for byte,
    to a file and to standard output. The expected files were written by the
    whole-list export (`git show bcae055:tracetui/export.py`) from these
    runs, then again when Trackio's calls with no start got their durations
    (only those four events changed); `packed`: with PACK_MIN_TRACKS 1, every run's lanes share threads
    (`_pack`)."""
    from tracetui import export

    if threads == "packed":
        monkeypatch.setattr(export, "PACK_MIN_TRACKS", 1)
    runs = export_runs(tmp_path / "sources")
    with open(EXPORT_EXPECTED.format(threads), "rb") as f:
        expected = gzip.decompress(f.read())
    out = tmp_path / "out.json"
    count = export.write_perfetto(runs, str(out), EXPORT_AS_OF)
    assert out.read_bytes() == expected
    assert count == sum(len(run.spans) for run in runs) == expected.count(b'"ph":"X"')
    assert export.write_perfetto(runs, "-", EXPORT_AS_OF) == count
    assert capsysbinary.readouterr().out == expected
    # The list, for a caller that wants one, holds the same events.
    assert export.perfetto_events(runs, EXPORT_AS_OF) == json.loads(expected)["traceEvents"]


def test_the_export_holds_a_slice_of_its_events_at_a_time(tmp_path, monkeypatch):
    """The events are made as the writer asks for them: at each slice it
    encodes, no more of them exist than that slice (the whole-list export
    had all of them, ~300 MB for a 1M-line log, when it encoded its first)."""
    import gc

    from tracetui import export

    runs = export_runs(tmp_path / "sources")
    monkeypatch.setattr(export, "WRITE_SLICE", 10)

    def slices() -> int:
        return sum(1 for o in gc.get_objects() if type(o) is dict and o.get("ph") == "X" and "tid" in o)

    before = slices()  # a Chrome trace's own events, read, if any are kept
    encoded, seen = export._encoded, []

    def counting(events):
        seen.append((len(events), slices() - before))
        return encoded(events)

    monkeypatch.setattr(export, "_encoded", counting)
    count = export.write_perfetto(runs, str(tmp_path / "out.json"), EXPORT_AS_OF)
    assert count > 30 * 10 and len(seen) > 30
    assert max(batch for batch, _ in seen) <= 10
    assert max(live for _, live in seen) <= 10


def test_the_cli_export_to_standard_output_is_the_file(tmp_path, capsysbinary):
    out = tmp_path / "export.json"
    assert main(["export", INSPECT, "-o", str(out)]) == 0
    assert capsysbinary.readouterr().err.endswith(b" spans to " + str(out).encode() + b"\n")
    assert main(["export", INSPECT, "-o", "-"]) == 0
    captured = capsysbinary.readouterr()
    assert captured.out == out.read_bytes()
    events = json.loads(captured.out)["traceEvents"]
    spans = sum(e["ph"] == "X" for e in events)
    assert spans > 0 and captured.err == f"tracetui: wrote {spans} spans to standard output\n".encode()


# -- a document cut short (a task killed mid-write, a copy made while it was written) ---------

SKULK_SAMPLES = sorted(glob.glob(os.path.join(SAMPLES, "skulk", "node-a", "trace_*.json")))
#: How Skulk's writer (`json.dump(..., indent=2)`) ends each event of its array.
EVENT_END = re.compile(rb"^    \}", re.MULTILINE)


def sample_bytes(path: str) -> tuple[bytes, list[dict], list[int]]:
    """A real Skulk file, its events, and the byte offset at which each
    event is complete (just past its closing brace)."""
    with open(path, "rb") as f:
        data = f.read()
    events = json.loads(data)["traceEvents"]
    ends = [m.end() for m in EVENT_END.finditer(data)]
    assert len(ends) == len(events) and data.isascii()
    return data, events, ends


def ends_early(size: int, complete: int) -> str:
    """The note on a document cut at `size` bytes after `complete` events."""
    read = {0: "no complete event", 1: "read the 1 complete event"}.get(
        complete, f"read the {complete} complete events")
    return f"the document ends early (cut at byte {size:,}): {read} before it"


def slices_read(store: Store) -> dict[str, str]:
    """Span id (the event's index in the file) → name, of every event read."""
    return {s.id: s.name for run in store.runs.values() for s in run.spans.values() if not s.synthetic}


def slices_of(events: list[dict]) -> dict[str, str]:
    return {str(i): e["name"] for i, e in enumerate(events) if e["ph"] != "M"}


def decode_bytes(path: str, data: bytes) -> tuple[Store, ChromeDecoder]:
    """`data` decoded as the file at `path` (not written: the cuts are many)."""
    store = Store()
    decoder = ChromeDecoder(store, path)
    decoder.feed_document(data)
    return store, decoder


def test_a_document_cut_anywhere_reads_exactly_its_complete_events():
    """Every cut of real Skulk files (every byte across several events, with
    their nested args, strings and commas; every 23rd byte across each
    whole file): the events read are the complete events before the cut,
    never more, in one skipped record and one note saying where."""
    for path in SKULK_SAMPLES:
        data, events, ends = sample_bytes(path)
        begin = data.index(b"[") + 1
        offsets = range(begin, len(data), 23)
        if path == SKULK_SAMPLES[0]:
            offsets = sorted({*offsets, *range(ends[1] - 50, ends[5] + 50)})
        for n in offsets:
            cut = data[:n]
            store, decoder = decode_bytes("trace_cut.json", cut)
            complete = sum(end <= n for end in ends)
            assert slices_read(store) == slices_of(events[:complete]), n
            if cut.rstrip() == data.rstrip():
                assert decoder.skipped == 0 and decoder.note is None, n
                continue
            assert decoder.skipped == decoder.skipped_said == 1, n
            assert decoder.note == f"trace_cut.json: {ends_early(n, complete)}", n
            lines = cut.rstrip().count(b"\n") + 1
            assert 1 <= decoder.first_bad_line <= lines, n  # a line the file has


def test_a_bare_array_cut_anywhere_needs_no_closing_bracket():
    """The JSON Array Format makes its `]` optional (a killed process's
    trace still loads): cut between two events, nothing is skipped; cut
    inside one, the events before it are read and the cut one is skipped."""
    _, events, _ = sample_bytes(SKULK_SAMPLES[0])
    data = json.dumps(events, indent=2).encode()
    ends = [m.end() for m in re.finditer(rb"^  \}", data, re.MULTILINE)]
    assert len(ends) == len(events)
    for n in range(1, len(data), 7):
        cut = data[:n]
        store, decoder = decode_bytes("profile.json", cut)
        complete = sum(end <= n for end in ends)
        assert slices_read(store) == slices_of(events[:complete]), n
        between_events = not cut[ends[complete - 1] if complete else 1:].strip(b" \n,")
        assert decoder.skipped == (0 if between_events else 1), n


def test_a_whole_document_is_parsed_at_once(monkeypatch):
    """The common case costs what it did: only a document that is not whole
    JSON is read event by event."""
    monkeypatch.setattr(chrome, "_salvage", lambda text: pytest.fail("a whole document was salvaged"))
    for path in SKULK_SAMPLES:
        store, decoder = decode(path)
        assert decoder.skipped == 0 and decoder.note is None and store.runs


@pytest.mark.parametrize("path", SKULK_SAMPLES, ids=lambda p: os.path.basename(p)[6:14])
def test_cli_reads_the_first_1500_bytes_of_a_skulk_file(tmp_path, capsys, path):
    """QA: `head -c 1500 trace_….json > trace_half.json` printed the runs
    header alone, with `skipped 1 bad line(s); first at line 72` (a line
    the file does not have); tree and dump printed nothing."""
    data, events, ends = sample_bytes(path)
    half = tmp_path / "trace_half.json"
    half.write_bytes(data[:1500])
    complete = sum(end <= 1500 for end in ends)
    assert complete >= 2
    note = f"tracetui: {half}: {ends_early(1500, complete)}\n"
    (run,) = cli_json(capsys, "runs", str(half), "--json")
    assert run["id"] == "half" and run["spans"] == complete
    assert main(["runs", str(half)]) == 0
    out, err = capsys.readouterr()
    assert err == note and "half" in out  # one note, no line of bad lines
    tree = cli_json(capsys, "tree", str(half), "--json")
    assert [c["name"] for c in tree["roots"][0]["children"]] == [e["name"] for e in events[:complete]]
    (dumped,) = cli_json(capsys, "dump", str(half))
    assert dumped == {"traceEvents": events[:complete]}
    assert half.read_bytes() == data[:1500]


def _hostile_cut(name: str) -> tuple[bytes, int, str]:
    """(file content, events read, what its one note says) of a hostile
    cut of a real Skulk file."""
    data, events, ends = sample_bytes(SKULK_SAMPLES[0])
    text = data.decode()
    if name == "inside a string":
        n = text.index('"admitted_to_batch"') + 9
    elif name == "inside nested args":
        n = text.index('"text_generation"', ends[3]) + 3  # in `tags`, in `args`
    elif name == "right after a comma":
        n = ends[4] + 1
    elif name == "the array opened alone":
        return b'{"traceEvents": [', 0, ends_early(17, 0)
    elif name == "a bare array cut short":
        array = json.dumps(events, indent=2).encode()
        n = array.index(b'"dur"', array.index(b'"name": "admitted_to_batch"'))
        return array[:n], 1, ends_early(n, 1)
    elif name == "garbage after a valid document":
        lines = data.rstrip().count(b"\n") + 2
        return (data.rstrip() + b"\n\x00garbage]}\n", len(events),
                f"what follows the end of the document (from line {lines}) is not read")
    complete = sum(end <= n for end in ends)
    return data[:n], complete, ends_early(n, complete)


HOSTILE_CUTS = ["inside a string", "inside nested args", "right after a comma", "the array opened alone",
                "a bare array cut short", "garbage after a valid document"]


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("name", HOSTILE_CUTS)
def test_hostile_cuts_read_the_complete_events_in_every_command(tmp_path, capsys, name, gz):
    """Each is detected as a Chrome trace, its complete events read by
    `runs`, `tree` and `dump`, the rest said in one note; a gzip of it
    (a cut document compressed whole) reads the same; no traceback, and
    nothing written to the file."""
    content, complete, said = _hostile_cut(name)
    _, events, _ = sample_bytes(SKULK_SAMPLES[0])
    path = tmp_path / ("trace_cut.json.gz" if gz else "trace_cut.json")
    path.write_bytes(gzip.compress(content) if gz else content)
    on_disk = path.read_bytes()
    store, (source,) = load([str(path)])
    assert source.format == "chrome"
    assert capsys.readouterr().err == f"tracetui: {path}: {said}\n"
    assert len(store.runs) == 1 and slices_read(store) == slices_of(events[:complete])
    assert (source.skipped, source.skipped_said) == (1, 1)
    for command in (["runs"], ["tree"], ["anomalies"], ["stats"]):
        assert main([*command, str(path)]) == 0
        assert capsys.readouterr().err == f"tracetui: {path}: {said}\n", command
    assert main(["dump", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == f"tracetui: {path}: {said}\n"
    records = json.loads(out)
    assert (records if name == "a bare array cut short" else records[0]["traceEvents"]) == events[:complete]
    assert path.read_bytes() == on_disk


def test_a_cut_copy_read_again_once_whole_no_longer_says_it_was_cut(tmp_path):
    """A file copied while written is read again when it changes: the note
    and the skipped record of the cut go with it."""
    from tracetui.sources.discover import open_file

    data, events, _ = sample_bytes(SKULK_SAMPLES[0])
    path = tmp_path / os.path.basename(SKULK_SAMPLES[0])
    path.write_bytes(data[:1500])
    store = Store()
    source = open_file(str(path), store)
    source.poll()
    assert source.skipped == 1 and len(source.notes) == 1 and "ends early" in source.notes[0]
    complete = len(slices_read(store))
    assert json.loads(source.raw(complete - 1)) == events[complete - 1]  # the raw record, re-read
    assert source.raw(complete) is None  # (cut: not an event of this file)
    path.write_bytes(data)
    os.utime(path, ns=(1, 1))
    source.poll()
    assert source.skipped == 0 and source.notes == []
    assert slices_read(store) == slices_of(events)


async def test_the_explorer_shows_a_cut_documents_run_with_one_note(tmp_path):
    """QA: the run list said `reading…` for good and the status line
    `0 records 1 skipped`: the file was read, it is just cut short. The
    note says so; the status line does not count the cut as a skipped line
    besides, as the CLI does not (it read `1 skipped (first at line 43)`)."""
    import sys

    sys.path.insert(0, os.path.dirname(__file__))
    from headless import open_app, settle

    data, events, ends = sample_bytes(SKULK_SAMPLES[0])
    path = tmp_path / "trace_half.json"
    path.write_bytes(data[:1500])
    complete = sum(end <= 1500 for end in ends)
    app = open_app(str(path), now=1795412400.0)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        assert [run.id for run in app.run_list.runs] == ["half"]
        assert app.all_notes() == [f"{path}: {ends_early(1500, complete)}"]
        status = str(app._status.render())
        assert f"{complete} records" in status and "skipped" not in status
        assert "the document ends early" in status


def test_trackio_calls_keep_their_durations_and_steps_cover_their_calls():
    """Trackio records a tool call's duration but no start, and logs a step
    when it is done, after its calls began. Exported, `calculator` and
    `web_search` (12.0 ms and 800.0 ms in the tree) were 0 long, at one
    instant, and their step an instant after them (QA). Each call now
    lasts its duration, one after the other from their parent's start,
    and the step covers its calls."""
    from tracetui.export import perfetto_events

    store, _ = load([os.path.join(SAMPLES, "trackio", "agent-evals.db")])
    run = next(run for run in store.runs.values() if any(s.name == "calculator" for s in run.spans.values()))
    slices = {e["name"]: (e["ts"], e["dur"]) for e in perfetto_events([run], 0.0) if e["ph"] == "X"}
    chat, calc, search, step = (slices[n] for n in ("chat.completions", "calculator", "web_search",
                                                    "trace · step 1"))
    assert (calc[1], search[1]) == (12_000.0, 800_000.0)
    assert calc[0] == chat[0] and search[0] == pytest.approx(calc[0] + calc[1])
    assert search[0] + search[1] <= chat[0] + chat[1]
    assert step[0] <= chat[0] and step[0] + step[1] >= chat[0] + chat[1]


def test_a_span_ending_while_it_is_exported_is_written_as_it_was_placed(tmp_path, monkeypatch):
    """The TUI exports a live run from a thread while the reader goes on:
    a span placed while running (drawn to the export's instant) and closed
    before its event is written is written running, its slice's status,
    not ok at its running length (the race left open before)."""
    from tracetui import export
    from tracetui.model import OK, RUNNING

    runs = export_runs(tmp_path / "sources")
    running = [span for run in runs for span in run.spans.values()
               if span.status == RUNNING and span.start is not None and not span.children]
    assert running
    placed = export._placed

    def placing_then_closing(span, as_of, memo):
        where = placed(span, as_of, memo)
        if span in running:  # the reader closes it once it is placed
            span.status, span.duration = OK, 0.001
        return where

    monkeypatch.setattr(export, "_placed", placing_then_closing)
    events = export.perfetto_events(runs, EXPORT_AS_OF)
    ids = {span.id for span in running}
    written = [e for e in events if e.get("ph") == "X" and e["args"]["id"] in ids]
    assert written and all(e["args"]["status"] == RUNNING for e in written)
    assert all(e["dur"] > 1000 for e in written)  # to the export's instant, not 1 ms
