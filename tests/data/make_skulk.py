"""Make Skulk trace files with Skulk's own tracing module (src/skulk/shared/tracing.py).

Skulk needs accelerators to run, but its tracing module records and writes
trace files on its own. This script loads that one module from a local copy
of the repository (Foxlight-Foundation/Skulk; not vendored here), stubs its
only import (a logger), and drives it the way Skulk's runners do:

- text generation (`llm_inference/runner.py`, `batch_generator.py`): two
  tasks batched together on a 2-rank ring, `queued`/`admitted_to_batch`
  markers, `decode_step` spans shared by both tasks (`record_shared_span`,
  tagged `shared`), `first_token`, a parsed tool call (`tooling`, tagged
  `tool_call`), an `error` marker on one task, the per-task `decode` span,
  `finish` markers;
- an image task (`image/pipeline/runner.py`): `sync N` / `async N` steps with
  nested `recv`/`send` (`*/comms`) and `joint_blocks`/`single blocks`
  (`*/compute`) on two ranks;
- an embedding task (`embeddings/runner.py`): tokenize/forward/pooling/normalization;
- a text task whose runner died mid-decode (`aborted`, tagged
  `error`/`trace_abort`, as `_flush_unfinished_trace_sessions` writes it).

Each rank runs in its own process (as on a real cluster); the parent merges
the ranks' events the way the master does and writes the merged file with
Skulk's `export_trace` into one folder per node (`node-a/`, `node-b/`),
like each node's API does. node-b missed the embedding task. Skulk's own
`load_trace_file` + `compute_stats` answers and the trace-list fields the
API computes are saved to `expected.json`, for the tests to compare with.

    python tests/data/make_skulk.py /work/.mirror/Foxlight-Foundation+Skulk/repo
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import subprocess
import sys
import time
import types
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent / "skulk"
NODES = {0: "node-a-12D3KooWAlpha", 1: "node-b-12D3KooWBravo"}
TEXT_MODEL = "mlx-community/Qwen3-8B-4bit"
IMAGE_MODEL = "black-forest-labs/FLUX.1-schnell"
EMBED_MODEL = "BAAI/bge-small-en-v1.5"


def load_tracing(repo: str):
    """Skulk's tracing module, read from the repository at HEAD."""
    source = subprocess.run(["git", "--git-dir", repo, "show", "HEAD:src/skulk/shared/tracing.py"],
                            check=True, capture_output=True, text=True).stdout
    import logging

    for name in ("skulk", "skulk.worker", "skulk.worker.runner"):
        sys.modules.setdefault(name, types.ModuleType(name))
    bootstrap = types.ModuleType("skulk.worker.runner.bootstrap")
    bootstrap.logger = logging.getLogger("skulk")
    sys.modules["skulk.worker.runner.bootstrap"] = bootstrap
    module = types.ModuleType("skulk_tracing")
    module.__file__ = "skulk/shared/tracing.py"
    sys.modules["skulk_tracing"] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def work(seconds: float) -> None:
    time.sleep(seconds)


def text_rank(t, rank: int, tasks: dict[str, str]) -> None:
    """Two text tasks batched on one rank (batch_generator.BatchGenerator.step)."""
    a, b = tasks["text_a"], tasks["text_b"]
    for task_id in (a, b):
        t.begin_trace_session(task_id, rank=rank, node_id=NODES[rank], model_id=TEXT_MODEL,
                              task_kind="text", tags=["text_generation"])
        t.record_trace_marker("queued", rank, task_id=task_id)
        work(0.002)
    for size, task_id in enumerate((a, b), start=1):
        t.record_trace_marker("admitted_to_batch", rank, task_id=task_id, category="lifecycle",
                              attrs={"batch_size": size})
    decode_started = {}
    for step in range(6):
        active = [a, b] if step < 5 else [a]
        start = t.now_us()
        work(0.004)
        t.record_shared_span(active, name="decode_step", start_us=start,
                             duration_us=max(t.now_us() - start, 0), rank=rank, category="decode",
                             tags=["shared"],
                             attrs={"shared_span": True, "batch_size": len(active),
                                    "participant_task_ids": [str(x) for x in active]})
        if step == 0:
            for task_id in (a, b):
                decode_started[task_id] = t.now_us()
                t.record_trace_marker("first_token", rank, category="decode", task_id=task_id)
        if step == 3:
            t.record_trace_marker("tool_call_parsed", rank, category="tooling", task_id=a,
                                  tags=["tool_call"], attrs={"tool_call_count": 1})
        if step == 4:
            t.record_trace_marker("error", rank, task_id=b, tags=["error"],
                                  attrs={"message": "ContextLengthExceededError: prompt is 40961 tokens, limit 40960"})
            t.record_shared_span([b], name="decode", start_us=decode_started[b],
                                 duration_us=max(t.now_us() - decode_started[b], 0), rank=rank,
                                 category="decode")
            t.record_trace_marker("finish", rank, task_id=b)
    t.record_shared_span([a], name="decode", start_us=decode_started[a],
                         duration_us=max(t.now_us() - decode_started[a], 0), rank=rank, category="decode")
    t.record_trace_marker("finish", rank, task_id=a)


def image_rank(t, rank: int, task_id: str) -> None:
    """The distributed diffusion loop (image/pipeline/runner.py), 2 sync + 2 async steps."""
    t.begin_trace_session(task_id, rank=rank, node_id=NODES[rank], model_id=IMAGE_MODEL,
                          task_kind="image", tags=["image_generation"])
    t.record_trace_marker("queued", rank, task_id=task_id, attrs={"request_type": "generate"})
    other = 1 - rank
    with t.bind_trace_session(task_id):
        for step in range(4):
            phase = "sync" if step < 2 else "async"
            with t.trace(name=f"{phase} {step}", rank=rank, category=phase):
                if rank == 1:
                    with t.trace(name=f"recv {other}", rank=rank, category="comms"):
                        work(0.003)
                with t.trace(name="joint_blocks" if rank == 0 else "single blocks", rank=rank,
                             category="compute"):
                    work(0.006)
                if rank == 0:
                    with t.trace(name=f"send {other}", rank=rank, category="comms"):
                        work(0.002)
    t.record_trace_marker("finish", rank, task_id=task_id)


def embedding_rank(t, rank: int, task_id: str) -> None:
    t.begin_trace_session(task_id, rank=rank, node_id=NODES[rank], model_id=EMBED_MODEL,
                          task_kind="embedding", tags=["embedding"])
    t.record_trace_marker("queued", rank, task_id=task_id)
    with t.bind_trace_session(task_id):
        for name, seconds in (("tokenize", 0.002), ("forward", 0.01), ("pooling", 0.001),
                              ("normalization", 0.001)):
            with t.trace(name, rank, "embedding"):
                work(seconds)
    t.record_trace_marker("finish", rank, task_id=task_id)


def aborted_rank(t, rank: int, task_id: str) -> None:
    t.begin_trace_session(task_id, rank=rank, node_id=NODES[rank], model_id=TEXT_MODEL,
                          task_kind="text", tags=["text_generation"])
    t.record_trace_marker("queued", rank, task_id=task_id)
    t.record_trace_marker("admitted_to_batch", rank, task_id=task_id, category="lifecycle",
                          attrs={"batch_size": 1})
    for _ in range(2):
        start = t.now_us()
        work(0.003)
        t.record_shared_span([task_id], name="decode_step", start_us=start,
                             duration_us=t.now_us() - start, rank=rank, category="decode",
                             tags=["shared"], attrs={"shared_span": True, "batch_size": 1,
                                                     "participant_task_ids": [task_id]})
    t.record_trace_marker("aborted", rank, task_id=task_id, tags=["error", "trace_abort"])


def rank_process(repo: str, rank: int, tasks: dict[str, str], conn) -> None:
    t = load_tracing(repo)
    text_rank(t, rank, tasks)
    image_rank(t, rank, tasks["image"])
    if rank == 0:
        embedding_rank(t, rank, tasks["embedding"])
    aborted_rank(t, rank, tasks["aborted"])
    conn.send({task_id: [event.__dict__ for event in t.pop_trace_session(task_id)]
               for task_id in tasks.values()})


def main() -> int:
    repo = sys.argv[1] if len(sys.argv) > 1 else "/work/.mirror/Foxlight-Foundation+Skulk/repo"
    tasks = {name: str(uuid.uuid4()) for name in ("text_a", "text_b", "image", "embedding", "aborted")}
    ctx = multiprocessing.get_context("fork")
    pipes, procs = [], []
    for rank in (0, 1):
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=rank_process, args=(repo, rank, tasks, child))
        proc.start()
        pipes.append(parent)
        procs.append(proc)
    per_rank = [pipe.recv() for pipe in pipes]
    for proc in procs:
        proc.join()

    t = load_tracing(repo)
    for node in ("node-a", "node-b"):
        shutil.rmtree(HERE / node, ignore_errors=True)
    expected: dict[str, dict] = {"tasks": tasks, "stats": {}, "list": {}}
    for task_id in tasks.values():
        # The master concatenates the ranks' TracesCollected payloads.
        events = [t.TraceEvent(**{**e, "tags": tuple(e["tags"])})
                  for rank_events in per_rank for e in rank_events.get(task_id, [])]
        if not events:
            continue
        for node in ("node-a", "node-b"):
            if node == "node-b" and task_id == tasks["embedding"]:
                continue  # node-b's API missed this TracesMerged event
            t.export_trace(events, HERE / node / f"trace_{task_id}.json")
        loaded = t.load_trace_file(HERE / "node-a" / f"trace_{task_id}.json")
        stats = t.compute_stats(loaded)
        cat = lambda s: {"total_us": s.total_us, "count": s.count, "min_us": s.min_us,  # noqa: E731
                         "max_us": s.max_us, "avg_us": s.avg_us}
        expected["stats"][task_id] = {
            "total_wall_time_us": stats.total_wall_time_us,
            "by_category": {k: cat(v) for k, v in stats.by_category.items()},
            "by_rank": {str(r): {"by_category": {k: cat(v) for k, v in cats.items()}}
                        for r, cats in stats.by_rank.items()},
        }
        # What the API's _build_trace_list_item reports for the file.
        nodes = []
        for event in loaded:
            if event.node_id and event.node_id not in nodes:
                nodes.append(event.node_id)
        expected["list"][task_id] = {
            "model_id": next((e.model_id for e in loaded if e.model_id), None),
            "task_kind": next((e.task_kind for e in loaded if e.task_kind), None),
            "categories": sorted({e.category for e in loaded if e.category}),
            "tags": sorted({tag for e in loaded for tag in e.tags}),
            "has_tool_activity": any("tool_call" in e.tags for e in loaded),
            "source_nodes": nodes,
        }
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    print(f"wrote {HERE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
