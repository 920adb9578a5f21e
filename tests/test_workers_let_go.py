"""A finished worker keeps nothing it was started with.

Textual keeps a finished worker alive as long as a context made while it
ran lives, and the tree's layouts chained their workers so: a followed file
replaced again and again kept every old run, with its log's columns
(`tracetui.app.handoff`). Workers are handed their runs and spans in a
`Handoff`, which they empty as they start.
"""

from __future__ import annotations

import gc

import pytest
from headless import open_app, settle, wait_for
from textual.dom import DOMNode
from textual.worker import Worker

from tracetui.app import span_tree
from tracetui.app.handoff import Handoff
from tracetui.demo import write_demo_trace
from tracetui.model import Run, Span

NOW = 1795412400.0


def what_workers_hold(workers: list[Worker]) -> list[str]:
    """The runs and spans these workers hold through what they were
    started with (not through their widget or app, which hold them anyway)."""
    found = []
    for worker in workers:
        todo, seen = list(gc.get_referents(worker)), set()
        while todo:
            obj = todo.pop()
            if id(obj) in seen or isinstance(obj, (DOMNode, Worker, type)) or callable(obj) and not hasattr(obj, "args"):
                continue
            seen.add(id(obj))
            if isinstance(obj, (Run, Span)):
                found.append(f"{worker.description}: a {type(obj).__name__}")
            elif isinstance(obj, (tuple, list, dict, Handoff)) or hasattr(obj, "args"):  # (a partial's)
                todo.extend(gc.get_referents(obj))
    return found


async def test_finished_workers_hold_no_run_nor_spans(tmp_path, monkeypatch):
    """The tree laid out, filtered and exported in workers: once they are
    done, none of them holds the run or its spans."""
    monkeypatch.setattr(span_tree, "BACKGROUND_MIN_SPANS", 0)  # every layout and filter in a worker
    started: list[Worker] = []  # (kept: whatever else keeps them or not)
    start = Worker._start
    monkeypatch.setattr(Worker, "_start", lambda self, *args: (started.append(self), start(self, *args))[1])
    monkeypatch.chdir(tmp_path)  # (`x` writes the export in the working directory)
    path = str(tmp_path / "trace-999999.log")
    write_demo_trace(path)
    app = open_app(path, now=NOW)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.tree.focus()
        await pilot.press("slash", "s", "l", "e", "e", "p", "enter")
        await settle(pilot, app)
        app._export(app.tree.run)
        assert await wait_for(pilot, lambda: not app._exporting)
        await pilot.pause(0.2)
        finished = [w for w in started if w.is_finished]
        assert {"lay out the tree", "filter the tree", "export a run"} <= {w.description for w in finished}
        assert what_workers_hold(finished) == []


def test_a_handoff_gives_its_arguments_once():
    run, spans = object(), [1, 2]
    handoff = Handoff(run, spans)
    assert repr(handoff) == "Handoff(2 arguments)"
    assert handoff.take() == (run, spans)
    assert repr(handoff) == "Handoff(taken)"
    with pytest.raises(RuntimeError):
        handoff.take()
