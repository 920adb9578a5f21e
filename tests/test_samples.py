"""Every sample trace opens, from the CLI and in the explorer; the Inspect
ones give Inspect's own anomaly answers."""

from __future__ import annotations

import json
import os

import pytest

from tracetui.app.app import TraceApp
from tracetui.cli import main
from tracetui.sources.discover import open_sources
from tracetui.store import Store

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


@pytest.mark.parametrize("name", ["hung", "interrupted"])
def test_inspect_samples_match_inspect(name, capsys):
    path = os.path.join(SAMPLES, "inspect", "hung.log" if name == "hung" else "interrupted.log.gz")
    with open(os.path.join(SAMPLES, "inspect", "expected", f"{name}.anomalies.json")) as f:
        theirs = json.load(f)
    assert main(["anomalies", path, "--all", "--json", "--as-of", str(theirs["as_of"])]) == 0
    ours = json.loads(capsys.readouterr().out)
    for bucket in ("running", "cancelled", "errors", "timeouts"):
        assert ours[bucket] == theirs[bucket], bucket
    assert ours["running"] if name == "hung" else ours["cancelled"]


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
        app.run_list.focus()
        for _ in range(app.run_list.row_count()):
            await pilot.press("j")
        app.tree.focus()
        await pilot.press("G", "r")
        await pilot.pause(0.1)
        assert app.is_running
