"""The parallel anomaly scan gives exactly the sequential decoder's answer
(and, where Inspect is installed, Inspect's own), for any order of records,
duplicates, unpaired closings and garbage, wherever the file is cut."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracetui import fastscan
from tracetui.analysis import anomalies_envelope
from tracetui.formats.inspect import InspectDecoder
from tracetui.sources.files import FileFollower
from tracetui.store import Store

AS_OF = 1795412400.0
INSPECT = "/work/inspect-venv/bin/inspect"

ids = st.sampled_from(["a", "b", "c", "d", "e"])
events = st.sampled_from(["enter", "enter", "exit", "cancel", "error", "timeout"])


@st.composite
def record_lines(draw):
    kind = draw(st.sampled_from(["action"] * 6 + ["message", "garbage", "invalid", "blank"]))
    if kind == "garbage":
        return draw(st.sampled_from(['{"timestamp": "t", "lev', "not json", "[1, 2]", '"str"', "{}"]))
    if kind == "blank":
        return ""
    base = {"timestamp": "2026-11-23T05:37:24+00:00", "level": "TRACE",
            "message": draw(st.sampled_from(["Tool Call: x (enter)", "Model: KEEP", "HTTP 200 OK"]))}
    if kind == "message":
        return json.dumps(base)
    event = draw(events)
    rec = dict(base, action=draw(st.sampled_from(["Tool Call", "Model"])),
               detail=draw(st.sampled_from(["", "run(x)", "[red]x[/]"])), event=event,
               trace_id=draw(ids))
    if event == "enter":
        rec["start_time"] = AS_OF - draw(st.integers(0, 5))
    else:
        rec["duration"] = float(draw(st.integers(0, 3)))
    if event == "error" and draw(st.booleans()):
        rec["error"] = "boom"
    if kind == "invalid":
        rec[draw(st.sampled_from(["trace_id", "detail", "duration", "event", "message"]))] = \
            draw(st.sampled_from([None, 7, [1], "bogus"]))
    return json.dumps(rec)


def sequential(path: str, message_filter=None) -> dict:
    store = Store()
    decoder = InspectDecoder(store, path, message_filter=message_filter)
    decoder.feed(FileFollower(path).poll(final=True).lines)
    env = anomalies_envelope(path, store.runs.values(), AS_OF)
    env["skipped"] = decoder.skipped
    return env


def scanned(path: str, message_filter=None) -> dict:
    result, _ = fastscan.scan(path, message_filter)
    env = fastscan.envelope(path, result, AS_OF)
    env["skipped"] = result.bad_lines + result.invalid
    return env


def fold_in_pieces(path: str, cuts: list[int]) -> dict:
    """Fold arbitrary line-aligned stretches separately and merge them."""
    data = open(path, "rb").read()
    starts = [0]
    for cut in sorted(cuts):
        nl = data.find(b"\n", cut)
        if nl >= 0 and nl + 1 > starts[-1]:
            starts.append(nl + 1)
    bounds = list(zip(starts, starts[1:] + [len(data)]))
    state = fastscan.ChunkResult()
    for i, (a, b) in enumerate(bounds):
        folder = fastscan.Folder(None)
        folder.feed(data[a:b], a)
        chunk = folder.finish()
        fastscan.merge(state, chunk, folder.entered_first(fastscan.state_ids(state)) if i else set())
    env = fastscan.envelope(path, state, AS_OF)
    env["skipped"] = state.bad_lines + state.invalid
    return env


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(record_lines(), max_size=40), cuts=st.lists(st.integers(0, 4000), max_size=4))
def test_scan_equals_sequential_decoder(tmp_path, lines, cuts):
    path = str(tmp_path / "trace-1.log")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    expected = sequential(path)
    assert scanned(path) == expected
    assert fold_in_pieces(path, cuts) == expected
    assert scanned(path, "keep") == sequential(path, "keep")


def test_parallel_path_equals_sequential(tmp_path, monkeypatch):
    """Force the two-process path on a small file with ids open across the cut."""
    monkeypatch.setattr(fastscan, "PARALLEL_MIN_BYTES", 0)
    lines = []
    for i in range(400):
        tid = f"id{i % 37}"
        event = ["enter", "exit", "enter", "cancel", "enter", "timeout", "error"][i % 7]
        rec = {"timestamp": "t", "level": "TRACE", "message": f"m{i}", "action": "A",
               "detail": f"d{i}", "event": event, "trace_id": tid}
        rec["start_time" if event == "enter" else "duration"] = float(i)
        lines.append(json.dumps(rec))
        if i % 50 == 0:
            lines.append("garbage")
    path = str(tmp_path / "trace-2.log")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    assert scanned(path) == sequential(path)


@pytest.mark.skipif(not os.path.exists(INSPECT), reason="inspect-ai not installed here")
@pytest.mark.parametrize("seed", range(3))
def test_matches_inspect_itself(tmp_path, seed):
    import random

    rng = random.Random(seed)
    lines = []
    for i in range(300):
        tid = f"id{rng.randrange(40)}"
        event = rng.choice(["enter", "enter", "exit", "cancel", "error", "timeout"])
        rec = {"timestamp": "t", "level": "TRACE", "message": f"m{i}", "action": "A",
               "detail": rng.choice(["", "d", "[b]x[/b]"]), "event": event, "trace_id": tid}
        rec["start_time" if event == "enter" else "duration"] = float(rng.randrange(100))
        lines.append(json.dumps(rec))
        if rng.random() < 0.05:
            lines.append(rng.choice(["junk", "[1]", '{"timestamp": 1}']))
    path = str(tmp_path / f"trace-{seed}.log")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    theirs = json.loads(subprocess.run([INSPECT, "trace", "anomalies", "--all", "--json", path],
                                       capture_output=True, text=True, check=True).stdout)
    ours = scanned(path)
    for bucket in ("running", "cancelled", "errors", "timeouts"):
        if bucket == "running":
            strip = lambda rows: [{k: v for k, v in r.items() if k != "duration"} for r in rows]
            assert strip(ours[bucket]) == strip(theirs[bucket])
        else:
            assert ours[bucket] == theirs[bucket]
