"""The parallel anomaly scan gives exactly the sequential decoder's answer
(and, where Inspect is installed, Inspect's own), for any order of records,
duplicates, unpaired closings and garbage, wherever the file is cut: plain or
gzipped, in one process or two, whatever the block size."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracetui import fastscan
from tracetui.analysis import anomalies_envelope
from tracetui.formats.inspect import InspectDecoder
from tracetui.model import BUCKETS
from tracetui.prescan import Prescan
from tracetui.sources.discover import open_sources
from tracetui.sources.files import FileFollower
from tracetui.store import Store

AS_OF = 1795412400.0
SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sample_traces")
from inspect_cli import INSPECT  # noqa: E402

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
    if draw(st.booleans()):  # sample context: Inspect ignores these fields, whatever they hold
        base.update(task=draw(st.sampled_from(["t", None, {"name": "t"}])),
                    sample_id=draw(st.sampled_from([7, "s-1", [1], {"k": 1}])),
                    epoch=draw(st.sampled_from([1, None, [2]])))
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
    # Where its notes say they are (`tracetui.skipped`): the scan's must agree.
    env["skipped where"] = (decoder.skipped_before_records, decoder.first_bad_line,
                            decoder.first_bad_after_records)
    return env


def indexed(path: str) -> dict:
    """`sequential`, read as the CLI and the app read a log: a line
    source's poll hands the decoder whole runs of lines at once."""
    store = Store()
    (source,), _ = open_sources([path], store)
    source.poll(final=True)
    decoder = source.decoder
    env = anomalies_envelope(path, store.runs.values(), AS_OF)
    env["skipped"] = decoder.skipped
    env["skipped where"] = (decoder.skipped_before_records, decoder.first_bad_line,
                            decoder.first_bad_after_records)
    return env


def scanned(path: str, message_filter=None) -> dict:
    result, _ = fastscan.scan(path, message_filter)
    env = fastscan.envelope(path, result, AS_OF)
    env["skipped"] = result.bad_lines + result.invalid
    env["skipped where"] = skipped_where(result)
    return env


def skipped_where(result: fastscan.ChunkResult) -> tuple:
    """What a scan's note says of where its skipped lines are: how many
    before the first record, the first, the first after the first record."""
    return result.lead.before_records(result.lines), result.first_bad_line, result.lead.first_after


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
    env["skipped where"] = skipped_where(state)
    return env


@settings(max_examples=int(os.environ.get("PARITY_EXAMPLES", 150)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
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


INSPECT_KEYS = ("action", "detail", "event", "trace_id", "start_time", "duration",
                "error", "error_type", "stacktrace")


@st.composite
def inspect_lines(draw):
    """Lines as Inspect's TraceFormatter writes them (json.dumps, its key
    order, sample keys after), then bent the ways real files bend: odd value
    types, extra and duplicated keys, CRLF, escapes and non-ASCII text."""
    event = draw(st.sampled_from(["enter", "enter", "exit", "exit", "cancel", "error", "timeout",
                                  "message", "http"]))
    tid = draw(st.sampled_from(["aJCCcfV7msvruvYQiHprub", "fzvo6cVdrFj8EoLp7Ah4au", "x", "y"]))
    action = draw(st.sampled_from(["Tool Call", "Subprocess", "Model"]))
    detail = draw(st.sampled_from(["bash(cmd='ls [a]')", 'say "hi"\n', "caf\u00e9 \\ done", ""]))
    rec = {"timestamp": "2026-11-23T05:37:24.844457+00:00",
           "level": "HTTP" if event == "http" else "TRACE",
           "message": f"task=t sample=1 epoch=1\n{action}: {detail} ({event})"}
    if event not in ("message", "http"):
        rec.update(action=action, detail=detail, event=event, trace_id=tid)
        if event == "enter":
            rec["start_time"] = AS_OF - draw(st.integers(0, 9)) - 0.25
        else:
            rec["duration"] = draw(st.integers(0, 9)) + 0.5
        if event == "error":
            rec.update(error="boom", error_type="RuntimeError",
                       stacktrace='Traceback:\n  File "x.py"\nRuntimeError: boom')
    if draw(st.booleans()):
        rec.update(task="swe_bench", sample_id=draw(st.sampled_from([7, "pytest-1"])), epoch=1)
    bend = draw(st.sampled_from(["none"] * 8 + ["type", "extra", "dup", "crlf", "ascii", "ws"]))
    if bend == "type":
        key = draw(st.sampled_from(["start_time", "duration", "detail", "error", "trace_id",
                                    "event", "action", "level", "stacktrace"]))
        rec[key] = draw(st.sampled_from([None, 3, True, "12.5", " 7 ", "abc", [1], {"a": 1}]))
    text = json.dumps(rec, ensure_ascii=bend != "ascii")
    if bend == "extra":
        text = text[:-1] + ', "taskName": null, "model": {"name": "m", "n": [1, 2.5]}}'
    elif bend == "dup":
        key = draw(st.sampled_from(["event", "trace_id", "message", "action"]))
        value = draw(st.sampled_from(['"exit"', '"enter"', '"x"', "5", "null"]))
        text = text[:-1] + f', "{key}": {value}}}'
    elif bend == "crlf":
        text += "\r"
    elif bend == "ws":
        text = " " + text + "\t"
    return text


@st.composite
def inspect_files(draw):
    """A file of Inspect lines, some truncated, merged (a write cut short
    and the next line appended to it), or replaced by garbage."""
    lines = draw(st.lists(inspect_lines(), max_size=30))
    out = []
    for line in lines:
        damage = draw(st.sampled_from(["none"] * 10 + ["truncate", "merge", "garbage", "cr"]))
        if damage == "truncate":
            line = line[:draw(st.integers(0, len(line)))]
        elif damage == "garbage":
            line = draw(st.sampled_from(["\x00\x01", "{", "}", "[]", "null", '"s"', "1e999",
                                        '{"timestamp": "t", "level": "l", "message": NaN}',
                                        '{"timestamp": "t", "level": "l", "message": "\ud800"}',
                                        "\ufeff{}", " ", ""]))
        if damage == "merge" and out:
            out[-1] = out[-1][:draw(st.integers(0, len(out[-1])))] + line
        elif damage == "cr" and out:
            out[-1] = out[-1] + "\r" + line  # a line break to Inspect's text reader
        else:
            out.append(line)
    ending = draw(st.sampled_from(["\n", "", "\n\n"]))
    return "\n".join(out) + ending


def write(path, text: str, gz: bool = False) -> None:
    data = text.encode("utf-8", "surrogatepass")
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)


@settings(max_examples=int(os.environ.get("PARITY_EXAMPLES", 100)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=inspect_files(), cuts=st.lists(st.integers(0, 4000), max_size=3),
       block=st.sampled_from([7, 64, 1 << 20]))
def test_inspect_shaped_lines_in_every_reading(tmp_path, monkeypatch, text, cuts, block):
    """Canonical-looking lines (the hot path) and their bent and damaged
    variants give the sequential decoder's answer however they are read:
    one process or two, plain or gzipped, in small or large blocks."""
    path = str(tmp_path / "trace-3.log")
    write(path, text)
    expected = sequential(path)
    monkeypatch.setattr(fastscan, "BLOCK", block)
    assert scanned(path) == expected
    assert fold_in_pieces(path, cuts) == expected
    monkeypatch.setattr(fastscan, "PARALLEL_MIN_BYTES", 0)
    assert scanned(path) == expected
    gz_path = str(tmp_path / "trace-3.log.gz")
    write(gz_path, text, gz=True)
    for share in (0.0, 0.5, 1.0):
        monkeypatch.setattr(fastscan, "GZIP_HEAD_SHARE", share)
        assert {**scanned(gz_path), "trace_file": path} == expected


def test_lines_a_lone_cr_joins_keep_their_order(tmp_path, monkeypatch):
    """Two enters joined by a lone CR (Inspect reads two lines), the first
    entered again further on: it keeps its place, ahead of the second, as
    the decoder has it. The scan gave both pieces their line's position,
    and listed them in either order (found by Hypothesis)."""
    def enter(trace_id: str, detail: str) -> str:
        return json.dumps({"timestamp": "2026-11-23T05:37:24.844457+00:00", "level": "TRACE",
                           "message": f"task=t sample=1 epoch=1\nTool Call: {detail} (enter)",
                           "action": "Tool Call", "detail": detail, "event": "enter", "trace_id": trace_id,
                           "start_time": 1795412399.75})
    text = "\n" + enter("F", "ls") + "\r" + enter("J", "pwd") + "\n" + enter("F", 'say "hi"\n') + "\n"
    path = str(tmp_path / "trace-3.log")
    write(path, text)
    expected = sequential(path)
    assert [row["detail"] for row in expected["running"]] == ['say "hi"\n', "pwd"]
    for parallel_min in (fastscan.PARALLEL_MIN_BYTES, 0):  # one process, then two
        monkeypatch.setattr(fastscan, "PARALLEL_MIN_BYTES", parallel_min)
        for block in (7, 64, 1 << 20):
            monkeypatch.setattr(fastscan, "BLOCK", block)
            assert scanned(path) == expected, (parallel_min, block)


@pytest.mark.parametrize("accelerated", [True, False], ids=["C accelerator", "Python"])
def test_a_lone_cr_between_two_fields_breaks_the_line(tmp_path, monkeypatch, accelerated):
    """JSON takes a CR between two fields for a space; Inspect, reading its
    log in text mode, for a line break: the record is two bad lines. An
    exit so broken left its enter running in Inspect's answer, and the
    scan and the index paired them (QA: 41 running where Inspect had 120).
    Both read it as they read the file with that CR a newline."""
    if accelerated and fastscan._fastfold is None:
        pytest.skip("the C accelerator is not built")
    if not accelerated:
        monkeypatch.setattr(fastscan, "_fastfold", None)

    def record(event: str, trace_id: str) -> str:
        rec = {"timestamp": "2026-11-23T05:37:24.844457+00:00", "level": "TRACE",
               "message": f"Tool Call: x ({event})", "action": "Tool Call", "detail": "x",
               "event": event, "trace_id": trace_id}
        rec["start_time" if event == "enter" else "duration"] = 1795412399.75 if event == "enter" else 1.5
        return json.dumps(rec)

    broken = [record("enter", "A"), record("exit", "A").replace(", ", ",\r ", 1),
              record("enter", "B").replace(", ", ",\r ", 1), record("exit", "C"),
              record("enter", "D") + "\r", record("exit", "D") + "\r"]  # CRLF: no break
    (tmp_path / "cr").mkdir()
    (tmp_path / "lf").mkdir()
    path, same = str(tmp_path / "cr" / "trace-1.log"), str(tmp_path / "lf" / "trace-1.log")
    write(path, "\n".join(broken) + "\n")
    write(same, "\n".join(line.replace(",\r ", ",\n ") for line in broken) + "\n")
    expected = sequential(same)
    assert [row["detail"] for row in expected["running"]] == ["x"] and expected["skipped"] == 4
    del expected["trace_file"]
    for ours in (sequential(path), indexed(path), scanned(path)):
        del ours["trace_file"]
        assert ours == expected


def test_gzip_cut_mid_line_and_damaged(tmp_path, monkeypatch):
    """The two-process gzip scan cuts inside a line and inside a block, and
    a damaged stream gives the same rows and note however it is split as in
    one process."""
    monkeypatch.setattr(fastscan, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(fastscan, "BLOCK", 1000)
    lines = []
    for i in range(3000):
        event = ["enter", "enter", "exit", "cancel", "exit", "error"][i % 6]
        rec = {"timestamp": "t", "level": "TRACE", "message": f"m{i}", "action": "A",
               "detail": f"d{i}", "event": event, "trace_id": f"id{(i * 7) % 101}"}
        rec["start_time" if event == "enter" else "duration"] = float(i)
        lines.append(json.dumps(rec))
    text = "\n".join(lines) + "\n"
    path = str(tmp_path / "trace-4.log")
    write(path, text)
    expected = sequential(path)
    gz_path = path + ".gz"
    write(gz_path, text, gz=True)
    for share in (0.13, 0.5, 0.77):
        monkeypatch.setattr(fastscan, "GZIP_HEAD_SHARE", share)
        assert {**scanned(gz_path), "trace_file": path} == expected
    damaged = str(tmp_path / "trace-5.log.gz")
    with open(gz_path, "rb") as f:
        data = f.read()
    with open(damaged, "wb") as f:
        f.write(data[: len(data) * 2 // 3])
    notes = set()
    results = []
    for share in (0.1, 0.9):
        monkeypatch.setattr(fastscan, "GZIP_HEAD_SHARE", share)
        result, note = fastscan.scan(damaged)
        notes.add(note)
        results.append(fastscan.envelope(damaged, result, AS_OF))
    monkeypatch.setattr(fastscan, "PARALLEL_MIN_BYTES", 1 << 40)
    result, note = fastscan.scan(damaged)
    assert results == [fastscan.envelope(damaged, result, AS_OF)] * 2
    assert notes == {note} and note and "damaged" in note


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


@pytest.mark.skipif(not os.path.exists(INSPECT), reason="inspect-ai not installed here")
@pytest.mark.parametrize("gz", [False, True])
def test_bent_inspect_lines_match_inspect_itself(tmp_path, monkeypatch, gz):
    """Inspect-shaped lines, truncated, merged, joined by a lone CR, with
    duplicated or odd-typed keys and CRLF endings, through the two-process scan (small blocks, so
    the cut and block edges fall everywhere) against `inspect trace
    anomalies` on the same file."""
    import random

    monkeypatch.setattr(fastscan, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(fastscan, "BLOCK", 300)
    rng = random.Random(7 + gz)
    lines = []
    for i in range(400):
        event = rng.choice(["enter", "enter", "exit", "exit", "cancel", "error", "timeout", "msg"])
        rec = {"timestamp": "2026-11-23T05:37:24.844457+00:00", "level": "TRACE",
               "message": f"Tool Call: run({i}) ({event})"}
        if event != "msg":
            rec.update(action="Tool Call", detail=rng.choice(["", 'run("x")', "caf\u00e9"]),
                       event=event, trace_id=f"id{rng.randrange(60)}")
            rec["start_time" if event == "enter" else "duration"] = float(1795412000 + i if event == "enter" else i % 7)
            if event == "error":
                rec.update(error="boom", error_type="ValueError", stacktrace="Traceback\n...")
        if rng.random() < 0.3:
            rec.update(task="t", sample_id=rng.choice([1, "s-2"]), epoch=1)
        if rng.random() < 0.05 and event != "msg":
            rec[rng.choice(["start_time", "duration", "detail", "trace_id"])] = rng.choice(
                [None, 3, "12.5", "abc", [1]])
        text = json.dumps(rec, ensure_ascii=rng.random() < 0.5)
        roll = rng.random()
        if roll < 0.03:
            text = text[:-1] + ', "event": "exit"}'
        elif roll < 0.06:
            text = text[: rng.randrange(len(text))]
        elif roll < 0.08 and lines:
            lines[-1] = lines[-1][: rng.randrange(len(lines[-1]))] + text
            continue
        elif roll < 0.11 and lines:
            # A lone CR between two records: Inspect reads text with
            # universal newlines, so it ends a line there too (QA).
            lines[-1] = lines[-1] + "\r" + text
            continue
        elif roll < 0.14:
            # A lone CR between two fields of one record: JSON reads it as a
            # space, Inspect as a line break (QA: 41 running, Inspect 120).
            text = text.replace(", ", ",\r ", 1)
        lines.append(text)
    text = ("\r\n" if gz else "\n").join(lines) + "\n"
    path = str(tmp_path / ("trace-9.log.gz" if gz else "trace-9.log"))
    write(path, text, gz=gz)
    theirs = json.loads(subprocess.run([INSPECT, "trace", "anomalies", "--all", "--json", path],
                                       capture_output=True, text=True, check=True).stdout)
    ours = scanned(path)
    assert sum(len(ours[b]) for b in ("running", "cancelled", "errors", "timeouts")) > 20
    for bucket in ("running", "cancelled", "errors", "timeouts"):
        if bucket == "running":
            strip = lambda rows: [{k: v for k, v in r.items() if k != "duration"} for r in rows]
            assert strip(ours[bucket]) == strip(theirs[bucket])
        else:
            assert ours[bucket] == theirs[bucket]


def _rows(anomalies) -> dict:
    return {b: [(tid, r.action, r.detail, r.start, r.duration, r.error)
                for tid, r in anomalies.bucket(b).items()] for b in BUCKETS}


@pytest.mark.parametrize("parallel", [False, True], ids=["one process", "parallel"])
@pytest.mark.parametrize("name", ["hung.log", "demo.log", "cancelled.log.gz", "mixed.log.gz"])
def test_the_apps_prescan_equals_the_index(name, parallel):
    """The app shows the prescan's buckets until its index has every span:
    the child process must hand back the same rows, in the same order."""
    path = os.path.join(SAMPLES, "inspect", name)
    store = Store()
    decoder = InspectDecoder(store, path)
    decoder.feed(FileFollower(path).poll(final=True).lines)
    run = store.runs[decoder.run_id]
    expected = _rows(run.anomalies)
    assert any(expected.values())
    anomalies, end = Prescan(path, parallel=parallel).wait()
    assert _rows(anomalies) == expected
    # Each value the rows repeat is one object (`fastscan.share_repeats`).
    rows = [r for b in BUCKETS for r in anomalies.bucket(b).values()]
    for field in ("action", "detail", "error", "sample"):
        values = [getattr(r, field) for r in rows if getattr(r, field) is not None]
        assert len({id(v) for v in values}) == len(set(values))
    assert len(rows) > len({r.action for r in rows})  # (something repeats)
    # The run's end too, for its ages while it is read (an exit's record is
    # written a few µs after the action ends).
    assert end == pytest.approx(run.end, abs=0.01)


def test_repeated_values_are_shared_with_their_own_type_only():
    """`share_repeats`: equal values of one type become one object; 1, 1.0
    and True stay apart (equal, but not the same to show), and a value that
    cannot be hashed stays as it is."""
    result = fastscan.ChunkResult()
    make = lambda sample: fastscan.Row("Model", "generate", 1.0, 2.0, "boom", 0, sample=sample)  # noqa: E731
    result.running = {"a": make(("t", 1, 1)), "b": make(("t", 1.0, True)), "c": make(("t", [1], 1))}
    result.buckets["error"] = {"d": make(("t", 1, 1)), "e": make(None)}
    apart = lambda text: "".join(list(text))  # noqa: E731  (a str of its own, as a parse makes each)
    for row in [*result.running.values(), *result.buckets["error"].values()]:
        row.action, row.detail, row.error = apart("Model"), apart("generate"), apart("boom")
    fastscan.share_repeats(result)
    a, b, c = result.running.values()
    d, e = result.buckets["error"].values()
    assert a.sample is d.sample and a.sample == ("t", 1, 1)
    assert b.sample == ("t", 1.0, True) and [type(x) for x in b.sample] == [str, float, bool]
    assert a.sample[0] is b.sample[0] is c.sample[0]
    assert c.sample == ("t", [1], 1) and e.sample is None
    assert len({id(r.action) for r in (a, b, c, d, e)}) == 1 and e.detail is a.detail and e.error is a.error


@pytest.mark.parametrize("gentle", [True, False])
def test_a_prescan_gives_way_to_other_processes_only_when_asked(gentle):
    """Beside a live eval the scan runs at a lower priority (`NICENESS`);
    beside none at ours (QA: 9 % of a CPU on a machine busy with something
    else, the killed eval's hung actions listed 12-19 s in)."""
    from tracetui.prescan import NICENESS

    scan = Prescan(os.path.join(SAMPLES, "inspect", "hung.log"), gentle=gentle)
    # Set before the child's exec, so Popen has returned with it set.
    with open(f"/proc/{scan._proc.pid}/stat") as f:
        nice = int(f.read().rsplit(")", 1)[1].split()[16])
    assert scan.wait() is not None
    assert nice == (min(19, os.nice(0) + NICENESS) if gentle else os.nice(0))


def test_no_batch_is_scanned_ahead_while_a_prescan_runs(monkeypatch):
    """A prescan's child process has the second CPU while it runs: a big
    batch is then applied without a scanner thread (which would only take
    turns with the thread it feeds), and with one again once the scan has
    ended, answered or not."""
    from tracetui.formats import inspect as inspect_format

    made = []

    def scanner(lines, crs):
        made.append(len(lines))
        return real_scanner(lines, crs)

    real_scanner = inspect_format.SCANNER
    if real_scanner is None:
        pytest.skip("no C accelerator: nothing is scanned ahead")
    monkeypatch.setattr(inspect_format, "SCANNER", scanner)
    monkeypatch.setattr(inspect_format, "SCAN_AHEAD_MIN", 4)
    path = os.path.join(SAMPLES, "inspect", "demo.log")
    with open(path, "rb") as f:
        lines = f.read().splitlines()
    half = len(lines) // 2

    def read(part, pos):
        decoder.feed_run(part, pos, False)
        return pos + sum(len(line) + 1 for line in part)

    decoder = InspectDecoder(Store(), path)
    for _ in range(500):  # an earlier test's scan, cancelled, still ending
        if inspect_format.scans_beside() == 0:
            break
        time.sleep(0.01)
    assert inspect_format.scans_beside() == 0
    scan = Prescan(os.path.join(SAMPLES, "inspect", "mixed.log.gz"))
    assert inspect_format.scans_beside() == 1  # until its output has ended
    pos = read(lines[:half], 0)
    assert made == []
    assert scan.wait() is not None
    assert inspect_format.scans_beside() == 0
    read(lines[half:], pos)
    assert made == [len(lines) - half]
    cancelled = Prescan(os.path.join(SAMPLES, "inspect", "mixed.log.gz"))
    cancelled.cancel()
    cancelled.wait()  # (None, unless it ended before it was killed)
    assert inspect_format.scans_beside() == 0
    # And the index is the one read in one go.
    whole = InspectDecoder(Store(), path)
    whole.feed_run(lines, 0, False)
    assert [(s.id, s.status, s.parent and s.parent.id) for s in decoder.run.spans.values()] == \
        [(s.id, s.status, s.parent and s.parent.id) for s in whole.run.spans.values()]


def test_a_prescan_that_cannot_read_its_file_gives_nothing(tmp_path):
    assert Prescan(str(tmp_path / "missing.log")).wait() is None


@pytest.mark.parametrize("name", ["demo.log", "cancelled.log.gz", "mixed.log.gz"])
def test_a_scans_rows_so_far_are_its_answers_rows_in_file_order(monkeypatch, name):
    """The app lists a big log's closed rows as its one-process scan finds
    them (`fastscan.Interim`), long before the answer: what it sends, block
    by block, is the answer's cancelled, failed and timed-out rows, in
    file order, each once, up to offsets that grow to the end."""
    path = os.path.join(SAMPLES, "inspect", name)
    monkeypatch.setattr(fastscan, "BLOCK", 2000)
    frames = []
    result, _ = fastscan.scan(path, parallel=False, interim=fastscan.Interim(frames.append, every=0))
    assert len(frames) > 2
    heard = {b: [] for b in BUCKETS}
    for kind, rows, _upto in frames:
        assert kind == "interim" and rows and "running" not in rows
        for bucket, items in rows.items():
            heard[bucket].extend(items)
    offsets = [upto for _, _, upto in frames]
    assert offsets == sorted(set(offsets))
    answer = _rows(result.anomalies())
    assert _rows_of(heard) == {**answer, "running": []}
    assert any(answer[b] for b in ("cancelled", "errors", "timeouts"))


def _rows_of(heard: dict) -> dict:
    """`_rows` of lists of (trace id, row), duplicates kept."""
    return {b: [(tid, r.action, r.detail, r.start, r.duration, r.error) for tid, r in items]
            for b, items in heard.items()}


def test_the_scans_child_sends_rows_so_far_then_its_answer(tmp_path, monkeypatch):
    """What the prescan's child writes (`python -m tracetui.fastscan`) is
    read back frame by frame (`prescan._read_frame`): the rows so far, then
    the answer; a frame cut short ends the reading, with no error."""
    from tracetui import prescan

    path = os.path.join(SAMPLES, "inspect", "demo.log")
    monkeypatch.setattr(fastscan, "BLOCK", 2000)
    monkeypatch.setattr(fastscan, "INTERIM_EVERY", 0)
    out = tmp_path / "frames"
    with open(out, "wb") as f:
        monkeypatch.setattr("sys.stdout", f)
        assert fastscan.main([path]) == 0
    data = out.read_bytes()
    with open(out, "rb") as f:
        frames = list(iter(lambda: prescan._read_frame(f), None))
    assert [frame[0] for frame in frames[:-1]] == ["interim"] * (len(frames) - 1) and len(frames) > 2
    assert frames[-1][0] == "answer"
    result, _note = frames[-1][1]
    assert _rows(result.anomalies()) == _rows(fastscan.scan(path)[0].anomalies())
    with open(out, "wb") as f:
        f.write(data[:-10])
    with open(out, "rb") as f:
        cut = list(iter(lambda: prescan._read_frame(f), None))
    assert len(cut) == len(frames) - 1


def test_the_apps_prescan_hears_of_the_rows_found_so_far():
    """A small log's scan finds its closed rows in its one block and says
    so before its answer: what the app is told (`on_found`) is the
    answer's closed rows. The answer taken, the scan keeps none of them
    (`found_so_far` None)."""
    path = os.path.join(SAMPLES, "inspect", "demo.log")
    heard = []
    scan = Prescan(path, gentle=False)
    anomalies, _ = scan.wait(lambda found, upto: heard.append((_rows(found), upto)))
    closed = {**_rows(anomalies), "running": []}
    assert any(closed.values())
    assert heard == [(closed, os.path.getsize(path))]
    assert scan.found_so_far() is None
