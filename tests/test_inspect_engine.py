"""The Inspect decoder and file follower: Inspect-exact anomalies, tree
inference, and reading a file that grows, is truncated, or is gzipped away."""

from __future__ import annotations

import gzip
import json
import os
import sys
import time
from datetime import datetime, timezone

import pytest
from hostile import corpus as c

from tracetui.cli import main
from tracetui.formats.inspect import InspectDecoder
from tracetui.sources.files import FileFollower
from tracetui.store import Store

T0 = 1795412244.0


def rec(event, trace_id, action="Tool Call", detail="run(x)", sample=None, **extra):
    r = {"timestamp": "2026-11-23T05:37:24.374187+00:00", "level": "TRACE",
         "message": (f"sample={sample}\n" if sample else "") + f"{action}: {detail} ({event})",
         "action": action, "detail": detail, "event": event, "trace_id": trace_id}
    if sample is not None:
        r.update(task="t", sample_id=sample, epoch=1)
    r.update(extra)
    return json.dumps(r)


def write(path, lines, newline_at_end=True):
    with open(path, "w") as f:
        f.write("\n".join(lines) + ("\n" if newline_at_end else ""))


def anomalies(capsys, path, *args):
    assert main(["anomalies", str(path), "--json", "--as-of", str(T0 + 100), *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_pairing_and_buckets(tmp_path, capsys):
    p = tmp_path / "trace-1.log"
    write(p, [
        rec("enter", "a", start_time=T0),
        rec("enter", "b", start_time=T0 + 1),
        rec("exit", "a", duration=2.0),
        rec("enter", "c", start_time=T0 + 2),
        rec("cancel", "c", duration=1.0),
        rec("error", "zz", duration=3.0, error="boom"),   # closing with no enter
        rec("enter", "d", start_time=T0 + 3),
        rec("timeout", "d", duration=0.5),
    ])
    out = anomalies(capsys, p)
    assert [r["detail"] for r in out["running"]] == ["run(x)"]
    assert out["running"][0]["duration"] == pytest.approx(99.0)
    assert out["cancelled"] == [{"action": "Tool Call", "detail": "run(x)", "start_time": T0 + 2, "duration": 1.0}]
    assert out["errors"] == [{"action": "Tool Call", "detail": "run(x)", "start_time": None,
                              "duration": 3.0, "error": "boom"}]
    assert out["timeouts"][0]["start_time"] == T0 + 3


def test_repeated_enter_overwrites_in_place_and_sort_is_stable(tmp_path, capsys):
    p = tmp_path / "trace-2.log"
    write(p, [
        rec("enter", "a", detail="first", start_time=T0 + 5),
        rec("enter", "b", detail="second", start_time=T0 + 5),
        rec("enter", "a", detail="again", start_time=T0 + 5),
    ])
    out = anomalies(capsys, p)
    # Same sort key: dict position decides, and "a" kept its first position.
    assert [r["detail"] for r in out["running"]] == ["again", "second"]


def test_filter_applies_before_pairing(tmp_path, capsys):
    p = tmp_path / "trace-3.log"
    write(p, [
        rec("enter", "a", detail="keep me", start_time=T0),
        json.dumps({"timestamp": "x", "level": "TRACE", "message": "unrelated (exit)",
                    "action": "Tool Call", "detail": "other", "event": "exit",
                    "trace_id": "a", "duration": 1.0}),
    ])
    out = anomalies(capsys, p, "--filter", "KEEP")
    assert [r["detail"] for r in out["running"]] == ["keep me"]
    assert anomalies(capsys, p)["running"] == []


def test_bad_and_invalid_lines_are_skipped_and_counted(tmp_path, capsys):
    p = tmp_path / "trace-4.log"
    lines = [
        rec("enter", "a", start_time=T0),
        "not json at all",
        json.dumps([1, 2]),
        rec("bogus", "b"),                      # unknown event: Inspect skips it
        json.dumps({"timestamp": "t", "level": "TRACE", "message": "m", "action": "A",
                    "event": "enter", "trace_id": 7}),   # trace_id not a string
        '{"timestamp": "t", "level": "TRACE", "message": "m", "action": "A", "event": "enter", '
        '"trace_id": "n", "start_time": NaN}',
        rec("enter", "trunc", start_time=T0)[:40],  # truncated last line
    ]
    write(p, lines, newline_at_end=False)
    assert main(["anomalies", str(p), "--json", "--as-of", str(T0 + 100)]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert "skipped 5 bad line(s); first at line 2" in captured.err
    assert sorted(r["action"] for r in out["running"]) == ["A", "Tool Call"]
    store = Store()
    d = InspectDecoder(store, str(p))
    f = FileFollower(str(p))
    d.feed(f.poll(final=True).lines)
    assert d.bad_lines == 3 and d.invalid_records == 2 and d.first_bad_line == 2


def test_bad_line_note_on_stderr(tmp_path, capsys):
    p = tmp_path / "trace-5.log"
    write(p, [rec("enter", "a", start_time=T0), "garbage", "{oops"])
    assert main(["anomalies", str(p), "--json"]) == 0
    err = capsys.readouterr().err
    assert "skipped 2 bad line(s); first at line 2" in err


def test_tree_nests_subprocess_under_tool_call(tmp_path, capsys):
    p = tmp_path / "trace-6.log"
    write(p, [
        rec("enter", "run", action="Run Task", detail="task", start_time=T0),
        rec("enter", "tc", sample=1, start_time=T0 + 1),
        rec("enter", "sp", action="Subprocess", detail="sleep 600", sample=1, start_time=T0 + 2),
        rec("enter", "m", action="Model", detail="generate", sample=2, start_time=T0 + 2),
    ])
    assert main(["tree", str(p), "--json"]) == 0
    tree = json.loads(capsys.readouterr().out)
    assert tree["inferred"] is True
    task = next(r for r in tree["roots"] if r["kind"] == "task")
    sample1 = next(s for s in task["children"] if s["name"].startswith("sample 1"))
    (tool_call,) = sample1["children"]
    assert tool_call["name"] == "Tool Call" and tool_call["status"] == "running"
    assert [c["name"] for c in tool_call["children"]] == ["Subprocess"]
    assert any(r["name"] == "Run Task" for r in tree["roots"])


def test_a_log_flush_hangs_under_its_sample_and_does_not_stretch_it(tmp_path, capsys):
    """Inspect flushes the eval log from whichever sample's task is
    running: the `Log Write` carries that sample's context but is not its
    work. It nests under the sample, never under an open action nor over
    one entered while it runs, and the sample ends with its own actions
    (a real eval's sample 12 lasted a minute longer by a late flush)."""
    p = tmp_path / "trace-6.log"
    write(p, [
        rec("enter", "m", action="Tool Call", detail="bash", sample=1, start_time=T0),
        rec("enter", "lw", action="Log Write", detail="x.eval", sample=1, start_time=T0 + 1),
        rec("enter", "sp", action="Subprocess", detail="ls", sample=1, start_time=T0 + 2),
        rec("exit", "sp", action="Subprocess", detail="ls", sample=1, duration=1.0),
        rec("exit", "m", action="Tool Call", detail="bash", sample=1, duration=4.0),
        rec("exit", "lw", action="Log Write", detail="x.eval", sample=1, duration=64.0),
    ])
    assert main(["tree", str(p), "--json"]) == 0
    tree = json.loads(capsys.readouterr().out)
    task = next(r for r in tree["roots"] if r["kind"] == "task")
    (sample,) = task["children"]
    assert [c["name"] for c in sample["children"]] == ["Tool Call", "Log Write"]
    assert [c["name"] for c in sample["children"][0]["children"]] == ["Subprocess"]
    assert sample["start_time"] == T0 and sample["duration"] == pytest.approx(4.0)


def test_missing_file_and_not_a_trace_exit_1(tmp_path, capsys):
    assert main(["anomalies", str(tmp_path / "nope.log")]) == 1
    assert "no such file" in capsys.readouterr().err
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\nworld\n")
    assert main(["runs", str(junk)]) == 1
    err = capsys.readouterr().err
    assert "not a trace source" in err and err.count("\n") == 1
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    capsys.readouterr()
    assert main(["runs", str(empty), "--json"]) == 0  # nothing yet: an answer
    assert capsys.readouterr().out == "[]\n"


def test_brackets_are_printed_not_swallowed(tmp_path, capsys):
    p = tmp_path / "trace-7.log"
    write(p, [rec("enter", "a", detail="[red]x[/] [bold]", start_time=T0)])
    assert main(["anomalies", str(p)]) == 0
    assert "[red]x[/] [bold]" in capsys.readouterr().out


# -- following ---------------------------------------------------------------

def test_follower_holds_split_line_until_newline(tmp_path):
    p = tmp_path / "f.log"
    p.write_bytes(b'{"a": 1}\n{"b"')
    f = FileFollower(str(p))
    assert [l for _, l in f.poll().lines] == [b'{"a": 1}']
    with open(p, "ab") as fh:
        fh.write(b': 2}\n')
    assert f.poll().lines == [(9, b'{"b": 2}')]
    assert f.poll().lines == []


def test_follower_truncation_resets(tmp_path):
    p = tmp_path / "f.log"
    p.write_bytes(b"one\ntwo\n")
    f = FileFollower(str(p))
    assert len(f.poll().lines) == 2
    p.write_bytes(b"x\n")
    chunk = f.poll()
    assert chunk.reset and chunk.lines == [(0, b"x")]


def test_follower_carries_on_when_gzipped_away(tmp_path):
    p = tmp_path / "trace-9.log"
    lines = [rec("enter", f"id{i}", start_time=T0 + i).encode() for i in range(50)]
    p.write_bytes(b"\n".join(lines[:30]) + b"\n" + lines[30][:10])
    f = FileFollower(str(p))
    first = f.poll()
    assert len(first.lines) == 30
    with gzip.open(str(p) + ".gz", "wb") as gz:
        gz.write(b"\n".join(lines) + b"\n")
    os.unlink(p)
    second = f.poll()
    assert not second.reset
    assert [l for _, l in second.lines] == lines[30:]
    assert f.path.endswith(".gz")
    assert f.poll().lines == []


def test_live_decode_equals_one_shot(tmp_path, capsys):
    """Appending in odd-sized pieces gives the same anomalies as one read."""
    p = tmp_path / "trace-10.log"
    lines = [rec("enter", "a", start_time=T0), rec("enter", "b", sample=1, start_time=T0 + 1),
             rec("cancel", "b", sample=1, duration=1.5), rec("enter", "c", start_time=T0 + 3)]
    data = ("\n".join(lines) + "\n").encode()
    p.write_bytes(b"")
    store = Store()
    decoder = InspectDecoder(store, str(p))
    follower = FileFollower(str(p))
    for i in range(0, len(data), 37):
        with open(p, "ab") as fh:
            fh.write(data[i:i + 37])
        decoder.feed(follower.poll().lines)
    run = store.runs["trace-10"]
    assert list(run.anomalies.running) == ["a", "c"]
    assert list(run.anomalies.cancelled) == ["b"]
    assert decoder.records == 4 and decoder.skipped == 0


def test_a_killed_writer_is_noticed_while_following(tmp_path, monkeypatch):
    """`trace-<pid>.log` is live while its eval runs; when the process dies
    (killed mid-hang, so the file stays `.log`), the next poll says so."""
    import subprocess

    import tracetui.sources.lines as lines_module
    from tracetui.formats import LINE_FORMATS
    from tracetui.sources.lines import LineSource

    monkeypatch.setattr(lines_module, "LIVENESS_INTERVAL", 0.0)
    writer = subprocess.Popen([sys.executable, "-c", "print(flush=True); import time; time.sleep(60)"],
                              stdout=subprocess.PIPE)  # an eval: a Python process
    writer.stdout.readline()  # started
    try:
        path = tmp_path / f"trace-{writer.pid}.log"
        write(path, [rec("enter", "a", "Run Task", "task: t", start_time=T0),
                     rec("enter", "b", "Subprocess", "sleep 600", start_time=T0 + 1)])
        hung_since = time.time() - 120  # a hang: nothing written for two minutes
        os.utime(path, (hung_since, hung_since))
        store = Store()
        source = LineSource(str(path), next(f for f in LINE_FORMATS if f.name == "inspect"), store)
        assert source.poll()
        run = next(iter(store.runs.values()))
        assert source.live and run.live
        assert not source.poll()  # nothing new, writer alive: no change
    finally:
        writer.kill()
        writer.wait()
    assert source.poll()  # the change is the writer's death
    assert not source.live and not run.live
    assert len(run.anomalies.running) == 2  # what it left running stays listed


def test_a_writer_killed_mid_write_ends_its_run_at_once(tmp_path, monkeypatch, real_copy_gap):
    """An eval killed while it was writing (a crash, the OOM killer): its
    recent writes kept the run live 30 s more, its ages ticking on, then
    frozen 30 s too old (QA). Seen running here, then gone, it has ended;
    and it stays ended though the file was written lately."""
    import subprocess

    import tracetui.sources.lines as lines_module
    from tracetui.clock import as_of
    from tracetui.formats import LINE_FORMATS
    from tracetui.sources.lines import LineSource

    monkeypatch.setattr(lines_module, "LIVENESS_INTERVAL", 0.0)
    writer = subprocess.Popen([sys.executable, "-c", "print(flush=True); import time; time.sleep(60)"],
                              stdout=subprocess.PIPE)
    writer.stdout.readline()
    try:
        path = tmp_path / f"trace-{writer.pid}.log"
        now = datetime.now(timezone.utc)
        write(path, [rec("enter", "b", "Subprocess", "sleep 600", start_time=now.timestamp() - 1,
                         timestamp=now.isoformat())])
        store = Store()
        source = LineSource(str(path), next(f for f in LINE_FORMATS if f.name == "inspect"), store)
        assert source.poll()
        run = next(iter(store.runs.values()))
        assert run.live and run.writer_seen
        seen = as_of(run, time.time())  # the app asks every second
    finally:
        writer.kill()
        writer.wait()
    assert source.poll()
    assert not source.live and not run.live
    assert source.poll() is False and not run.live  # its recent writes do not bring it back
    # Aged to when it was last seen: the last look that found it at work,
    # at or before the last time the app asked (LIVENESS_INTERVAL apart).
    assert seen - 1.0 <= as_of(run, time.time() + 60) <= seen


def test_a_log_written_lately_is_live_whatever_its_pid(tmp_path, real_copy_gap):
    """An eval in a container writes trace-<pid>.log with a pid this machine
    cannot see: recent writes say it is live; a quiet one is not."""
    from tracetui.formats.inspect import WRITER_QUIET, is_live

    path = tmp_path / "trace-999999999.log"  # no such process here
    now = datetime.now(timezone.utc)
    write(path, [rec("enter", "a", start_time=now.timestamp(), timestamp=now.isoformat())])
    assert is_live(str(path))
    quiet = time.time() - WRITER_QUIET - 5
    os.utime(path, (quiet, quiet))
    assert not is_live(str(path))
    assert not is_live(str(path) + ".gz") and not is_live(str(tmp_path / "trace-1.log.1"))


def test_a_copied_log_is_not_live(tmp_path, real_copy_gap):
    """A log copied, downloaded or generated a moment ago holds records of
    long ago: its fresh mtime says nothing of its eval (it was live for the
    whole session, every hung action aged to now: 8 days)."""
    from tracetui.formats.inspect import is_live

    path = tmp_path / "trace-999999999.log"
    write(path, [rec("enter", "a", start_time=T0), "{truncated"], newline_at_end=False)
    assert not is_live(str(path))


def test_a_pid_of_another_program_is_not_the_eval(tmp_path):
    """`trace-1.log` from a container, or a pid that is a kernel thread or
    another program here: that process is not the eval."""
    import subprocess

    from tracetui.formats.inspect import could_be_inspect, process_alive

    other = subprocess.Popen(["sleep", "60"])
    try:
        for _ in range(100):  # until it is `sleep`, not the forked Python
            with open(f"/proc/{other.pid}/cmdline", "rb") as f:
                if f.read().startswith(b"sleep"):
                    break
            time.sleep(0.01)
        assert not process_alive(str(tmp_path / f"trace-{other.pid}.log"))
    finally:
        other.kill()
        other.wait()
    assert could_be_inspect(os.getpid())  # pytest is a Python process
    assert process_alive(str(tmp_path / f"trace-{os.getpid()}.log"))



def test_sample_ids_that_are_not_ids_still_make_spans(tmp_path, capsys):
    """Inspect reads a record whose task or sample_id is a list or an
    object (it ignores extra fields): so does the tree, nothing skipped."""
    p = tmp_path / "trace-1.log"
    write(p, [
        rec("enter", "a", start_time=T0, task={"name": "t"}, sample_id=[1, 2], epoch=1),
        rec("exit", "a", duration=1.5, task={"name": "t"}, sample_id=[1, 2], epoch=1),
        rec("enter", "b", start_time=T0 + 1, task={"name": "t"}, sample_id=[1, 2], epoch=1),
    ])
    store = Store()
    decoder = InspectDecoder(store, str(p))
    with open(p, "rb") as f:
        offsets, lines, pos = [], [], 0
        for line in f:
            offsets.append(pos)
            lines.append(line.rstrip(b"\n"))
            pos += len(line)
    decoder.feed(list(zip(offsets, lines)))
    assert decoder.skipped == 0
    run = store.runs["trace-1"]
    a, b = run.spans["a"], run.spans["b"]
    assert a.status == "ok" and b.status == "running"
    assert a.parent is b.parent and a.parent.kind == "sample"
    assert list(run.anomalies.running) == ["b"]


def _decoded(decoder: InspectDecoder) -> tuple:
    """Everything a decoder made of a file, to compare two readings."""
    run = decoder.run

    def rows(bucket):
        return [(tid, r.action, r.detail, r.start, r.duration, r.error, r.span.id if r.span else None)
                for tid, r in bucket.items()]

    spans = [(s.id, s.name, s.kind, s.detail, s.status, s.start, s.duration, s.origin, s.error,
              s.attributes, s.parent.id if s.parent else None, [c.id for c in s.children or ()],
              [(e.time, e.level, e.message, e.origin) for e in s.events or ()])
             for s in run.spans.values()]
    return (decoder.records, decoder.bad_lines, decoder.invalid_records, decoder.first_bad_line,
            spans, [s.id for s in run.roots], [(e.time, e.message, e.origin) for e in run.events],
            [rows(run.anomalies.bucket(name)) for name in ("running", "cancelled", "errors", "timeouts")],
            run.first_time, run.last_time)


def _odd_lines() -> list[bytes]:
    """Lines the reader's fast path must hand to the full validation, or
    skip exactly as it would."""
    def sample(rec):
        return {**rec, "task": "t", "sample_id": 3, "epoch": 1}

    recs = [
        sample(c.inspect_record("enter", "e1", "Tool Call", "bash", start=T0)),
        sample(c.inspect_record("error", "e1", "Tool Call", "bash", duration=1.0, error="boom",
                              error_type="RuntimeError", stacktrace="Traceback\n  x")),
        sample(c.inspect_record("enter", "e2", "Model", "gpt", start=T0 + 1)),
        {**sample(c.inspect_record("enter", "e3", "Model", "gpt")), "start_time": 1795412245},  # an int
        sample(c.inspect_record("timeout", "e2", "Model", "gpt", duration=120.0)),
        sample(c.inspect_record("exit", "e3", "Model", "gpt", duration=2)),  # an int duration
        sample(c.inspect_record("exit", "nope", "Model", "gpt", duration=0.5)),  # no enter
        {**sample(c.inspect_record("enter", "e4", "Model", "gpt", start=T0 + 2)), "duration": 1.0},
        sample(c.inspect_record("exit", "e4", "Model", "gpt", duration=1.0, start_time=T0 + 2)),
        {**sample(c.inspect_record("enter", "e10", "Model", "gpt", start=T0 + 4)), "duration": 3.0},  # stays open
        sample(c.inspect_record("exit", "e11", "Model", "gpt", duration=1.0, start_time=T0 + 6)),  # no enter
        sample(c.inspect_record("enter", "e12", "Model", "gpt", start=T0 + 7)),
        sample(c.inspect_record("exit", "e12", "Model", "gpt", duration=1.0, error=5)),  # invalid: skipped
        c.inspect_record("enter", "e5", "Model", None, start=T0 + 3),  # detail null
        c.inspect_record("enter", "e6", 7, "x", start=T0),  # action not a string
        c.inspect_record("enter", "e7", "Model", "gpt", start="soon"),  # start_time not a number
        c.inspect_record("bogus", "e8", "Model", "gpt"),  # not one of the five events
        {**c.inspect_record("enter", "e9"), "trace_id": None},
        {"timestamp": "t", "level": 5, "message": "m"},
        sample(c.inspect_record(message="HTTP 200")),
        sample(c.inspect_record("enter", "e1", "Tool Call", "again", start=T0 + 5)),  # a repeated enter
        *c.WRONG_SHAPES,
    ]
    lines = [c.line(r).rstrip(b"\n") for r in recs]
    lines += [b"", b"   ", b"garbage", b'{"timestamp": "t", "level": "T", "message": "m", "x": NaN}',
              b'{"timestamp": "t", "level": "T", "message": "\xff\xfe"}', b'{"timestamp": "2026',
              c.line(c.inspect_record("exit", "e1", "Tool Call", "again", duration=5.0))[:-1]]
    return lines


@pytest.mark.parametrize("name", ["hung.log", "demo.log", "mixed.log.gz", "odd"])
@pytest.mark.parametrize("message_filter", [None, "model"])
def test_reading_in_runs_equals_reading_record_by_record(tmp_path, name, message_filter):
    """The reader's hot path (`feed_run`: consecutive lines, offsets
    counted, common records checked inline) must make exactly what the
    record-by-record path (`_slow_line`: every record through `_record`'s
    full validation) makes, offsets and line numbers included."""
    if name == "odd":
        path = tmp_path / "trace-7.log"
        path.write_bytes(b"\n".join(_odd_lines() * 3))  # no newline at the end
        path = str(path)
    else:
        path = os.path.join(os.path.dirname(__file__), "..", "sample_traces", "inspect", name)
    chunk = FileFollower(path).poll(final=True)
    fast = InspectDecoder(Store(), path, message_filter)
    for pos, lines in chunk.runs:
        fast.feed_run(lines, pos)
    slow = InspectDecoder(Store(), path, message_filter)
    for offset, line in chunk.lines:
        slow._line_no += 1
        slow._slow_line(line, offset)
    slow._refresh_stale()  # as `feed_run` does at a batch's end
    assert _decoded(fast) == _decoded(slow)
    assert fast.records > 0 and (name != "odd" or fast.skipped > 0)
    follower = FileFollower(path)
    follower.poll(final=True)
    for span in fast.run.spans.values():
        for offset in span.locators:
            assert json.loads(follower.read_line_at(offset))["trace_id"] == span.id


def test_repeated_details_and_log_messages_are_held_once(tmp_path, monkeypatch):
    """A model call's detail and an HTTP status line recur on most spans and
    records of a big log: each is held once. Sample records lose their
    `task=… sample=… epoch=…` line (the sample they are filed under says
    it); the run's own records keep theirs."""
    import tracetui.formats.inspect as inspect_format

    monkeypatch.setattr(inspect_format, "SHARED_MAX_ENTRIES", 3)
    http = 'POST https://api.openai.com/v1/responses "HTTP/1.1 200 OK"'
    long_detail = "bash(command='" + "x" * inspect_format.SHARED_MAX_LEN + "')"
    lines = []
    for i in range(2):
        lines += [rec("enter", f"m{i}", "Model", "generate (openai/gpt-4o)", sample=1, start_time=T0 + i),
                  json.dumps({"timestamp": "2026-11-23T05:37:25+00:00", "level": "HTTP",
                              "message": f"task=t sample=1 epoch=1\n{http}",
                              "task": "t", "sample_id": 1, "epoch": 1}),
                  rec("exit", f"m{i}", "Model", "generate (openai/gpt-4o)", sample=1, duration=1.0),
                  rec("enter", f"b{i}", "Tool Call", long_detail, sample=1, start_time=T0 + i)]
    lines += [rec("enter", f"u{i}", "Tool Call", f"think({i})", sample=1, start_time=T0) for i in range(4)]
    lines.append(json.dumps({"timestamp": "2026-11-23T05:37:26+00:00", "level": "INFO",
                             "message": f"task=t sample=9\n{http}"}))
    p = tmp_path / "trace-3.log"
    write(p, lines)
    d = InspectDecoder(Store(), str(p))
    d.feed(FileFollower(str(p)).poll(final=True).lines)
    spans = d.run.spans
    assert spans["m0"].detail == "generate (openai/gpt-4o)" and spans["m0"].detail is spans["m1"].detail
    assert d.run.anomalies.running["b0"].detail == long_detail
    assert spans["b0"].detail is not spans["b1"].detail  # too long to look up
    sample_log = spans["sample:t:1:1"].events
    assert [e.message for e in sample_log] == [http, http] and sample_log[0].message is sample_log[1].message
    assert [e.message for e in d.run.events] == [f"task=t sample=9\n{http}"]
    assert len(d._shared) == 3  # capped: the later details are held as they come
    assert [spans[f"u{i}"].detail for i in range(4)] == [f"think({i})" for i in range(4)]


def test_the_strings_a_load_remembered_are_let_go_once_it_reaches_the_end(tmp_path):
    """The table of short strings seen (`share`) lasts while a log loads:
    once its first read reaches the end, the finished samples' strings it
    remembered are let go (a 0.9 MB table for a 1M-line log); what is
    appended then is shared again."""
    from tracetui.sources.discover import open_sources

    p = tmp_path / "trace-4.log"
    write(p, [rec("enter", f"a{i}", detail=f"run({i % 3})", sample=1, start_time=T0 + i) for i in range(6)])
    (source,), _ = open_sources([str(p)], Store())
    source.poll()
    d = source.decoder
    spans = d.run.spans
    assert spans["a0"].detail is spans["a3"].detail  # shared while loading
    assert d._shared == {}
    if hasattr(d._samples, "settle"):  # the samples' index sized to what it holds: settled again, no less
        held = d._samples.__sizeof__()
        d._samples.settle()
        assert d._samples.__sizeof__() == held
    with open(p, "a") as f:
        f.write("\n".join(rec("enter", f"b{i}", detail="tail(x)", sample=2, start_time=T0 + 9) for i in range(2)) + "\n")
    source.poll()
    assert spans["b0"].detail == "tail(x)" and spans["b0"].detail is spans["b1"].detail
    assert d._shared == {"tail(x)": "tail(x)"}


def test_log_records_keep_their_times_levels_and_offsets(tmp_path):
    """A sample's and the run's log records are held as columns of their
    run (`EventLog`): each reads back its time in epoch seconds (a `Z`
    zone too), or as written when it is no time at all, its level, its
    message and its line's offset; the detail pane's bisection takes a
    record with no time as written with the one before."""
    from tracetui.app.detail import log_window

    def log(ts, message, sample=None, level="HTTP"):
        extra = {"task": "t", "sample_id": sample, "epoch": 1} if sample is not None else {}
        text = f"task=t sample={sample} epoch=1\n{message}" if sample is not None else message
        return json.dumps({"timestamp": ts, "level": level, "message": text, **extra})

    lines = [rec("enter", "m", "Model", "generate", sample=1, start_time=T0),
             log("2026-11-23T05:37:25.500000+00:00", "first", sample=1),
             log("2026-11-23T05:37:26.250000Z", "zulu", sample=1, level="WARNING"),
             log("not a time", "odd", sample=1),
             log("2026-11-23T05:37:27+00:00", "outside", level="INFO"),
             rec("exit", "m", "Model", "generate", sample=1, duration=1.0)]
    p = tmp_path / "trace-4.log"
    write(p, lines)
    d = InspectDecoder(Store(), str(p))
    d.feed(FileFollower(str(p)).poll(final=True).lines)
    sample_log = d.run.spans["sample:t:1:1"].events
    epoch = datetime(2026, 11, 23, 5, 37, 25, 500000, tzinfo=timezone.utc).timestamp()
    offsets = [0]
    for line in lines[:-1]:
        offsets.append(offsets[-1] + len(line) + 1)
    assert [(e.time, e.level, e.message, e.origin) for e in sample_log] == [
        (epoch, "HTTP", "first", offsets[1]), (epoch + 0.75, "WARNING", "zulu", offsets[2]),
        ("not a time", "HTTP", "odd", offsets[3])]
    assert [(e.time, e.message) for e in sample_log[1:]] == [(epoch + 0.75, "zulu"), ("not a time", "odd")]
    assert sample_log[-1].message == "odd" and len(sample_log) == 3
    assert [(e.time, e.level, e.message) for e in d.run.events] == [(epoch + 1.5, "INFO", "outside")]
    # The run's log and its samples' share one set of columns.
    assert d.run.events.columns is sample_log.columns
    span = d.run.spans["m"]
    span.start, span.duration = epoch - 0.5, 1.3  # through "zulu", and "odd" with it
    assert log_window(span, sample_log, until=0.0) == (0, 3)
    span.duration = 0.9  # "first" alone
    assert log_window(span, sample_log, until=0.0) == (0, 1)


def test_a_log_record_whose_origin_is_no_offset_is_kept_as_it_is():
    """Offsets are held as 8-byte ints until one is not (a test's, another
    source's): the rest are then kept as they are, none lost."""
    from tracetui.model import EventLog

    log = EventLog()
    log.add(1.5, "INFO", "a", 7)
    log.add(2.5, "INFO", "b", ("metrics", 3))
    log.add("2026-11-23T05:37:25+00:00", "INFO", "c", 2**70)
    assert [e.origin for e in log] == [7, ("metrics", 3), 2**70]
    assert [e.time for e in log][:2] == [1.5, 2.5]


@pytest.mark.parametrize("offsets", [[0], [5, 9], [2**42 - 2, 7], [7, 2**42 + 3], [3, 4, 5], [2**50]])
def test_a_spans_byte_offsets_read_back_in_order_however_they_are_held(offsets):
    """Two offsets are packed in one int (a tuple of two costs three times
    as much); a third, or one too big to pack, makes a tuple."""
    from tracetui.model import locators, pack_offset

    origin = ()
    for offset in offsets:
        origin = pack_offset(origin, offset)
    assert locators(origin) == tuple(offsets)
    assert isinstance(origin, int) == (len(offsets) <= 2 and max(offsets) < 2**42 - 1)


def test_a_log_live_only_by_its_writes_is_aged_to_its_last_record(tmp_path, monkeypatch, real_copy_gap):
    """A log written a moment ago, by no process seen here (an eval in a
    container), is live for WRITER_QUIET once it is seen written. Not
    written since it was opened, its pid no eval here, it is an eval killed
    a moment ago, not live (QA: opened 10 s after a kill -9, it read
    `● live` above the newer eval). Its ages run to its last record, then
    and after: aged to now, every hung action gained the quiet window (QA:
    5m53s in every pane against 5m24s), and a copy of a log killed 30 s
    before kept those 30 s for good."""
    import tracetui.sources.lines as lines_module
    from tracetui import clock
    from tracetui.formats import LINE_FORMATS
    from tracetui.sources.lines import LineSource

    monkeypatch.setattr(lines_module, "LIVENESS_INTERVAL", 0.0)
    now = time.time()

    def at(t):
        return datetime.fromtimestamp(t, timezone.utc).isoformat()

    path = tmp_path / "trace-999999999.log"
    write(path, [rec("enter", "a", "Subprocess", "sleep 600", start_time=now - 5, timestamp=at(now - 5))])
    store = Store()
    source = LineSource(str(path), next(f for f in LINE_FORMATS if f.name == "inspect"), store)
    source.poll()
    run = next(iter(store.runs.values()))
    assert not run.live
    with open(path, "a") as f:
        f.write(rec("enter", "b", "Model", "gpt", start_time=now - 1, timestamp=at(now - 1)) + "\n")
    source.poll()
    assert run.live and not run.writer_seen
    assert clock.as_of(run, now + 10) == run.end == now - 1  # live: aged to what it last wrote
    quiet = now - 600
    os.utime(path, (quiet, quiet))
    source.poll()
    assert not run.live and clock.as_of(run, now + 20) == run.end


def test_a_task_whose_sample_was_cancelled_reads_cancelled(tmp_path, capsys):
    """As a run's status is told (failed, else cancelled, else ok), so is a
    task's: one cancelled sample and one that ended well make it cancelled."""
    path = tmp_path / "trace-9.log"
    write(path, [rec("enter", "r", "Run Task", "task: t (m)", start_time=T0),
                 rec("enter", "a", sample=1, start_time=T0), rec("exit", "a", sample=1, duration=1.0),
                 rec("enter", "b", sample=2, start_time=T0), rec("cancel", "b", sample=2, duration=2.0),
                 rec("exit", "r", "Run Task", "task: t (m)", duration=3.0)])
    assert main(["tree", str(path), "--json"]) == 0
    tree = json.loads(capsys.readouterr().out)
    task = next(node for node in tree["roots"] if node["kind"] == "task")
    assert (task["name"], task["status"]) == ("t", "cancelled")
    assert sorted(s["status"] for s in task["children"]) == ["cancelled", "ok"]


def test_ages_stop_where_the_eval_was_last_seen_even_once_gzipped(tmp_path):
    """Inspect gzips its log as it exits: the run's source becomes the
    `.gz`, and its hung actions' ages jumped back from when the eval was
    last seen to its last record (QA: 14m45s, then 13m21s)."""
    from tracetui.clock import as_of
    from tracetui.model import Run

    run = Run("trace-7", str(tmp_path / "trace-7.log"), "inspect")
    run.see_time(T0)
    run.live = run.writer_seen = True
    assert as_of(run, T0 + 885) == T0 + 885  # hung, its eval running
    run.source += ".gz"  # it exits: the follower carries on into the archive
    run.live = run.writer_seen = False
    assert as_of(run, T0 + 900) == T0 + 885


def test_a_sample_that_raised_reads_failed(capsys):
    """A real eval (tests/data/inspect/make_sample_error.py): a sample whose
    solver raised has no action that failed, only Inspect's `Sample error`
    WARNING; its node read ✓ (QA). The anomaly buckets stay Inspect's."""
    path = os.path.join(os.path.dirname(__file__), "data", "inspect", "sample-error-killed.log")
    assert main(["tree", path, "--json"]) == 0
    tree = json.loads(capsys.readouterr().out)
    task = next(node for node in tree["roots"] if node["kind"] == "task")
    samples = {s["name"]: s["status"] for s in task["children"]}
    assert samples["sample err · epoch 1"] == "error"
    assert samples["sample fast1 · epoch 1"] == "ok" and samples["sample stuck · epoch 1"] == "running"
    assert main(["anomalies", path, "--all", "--json", "--as-of", str(T0 + 10 ** 7)]) == 0
    assert json.loads(capsys.readouterr().out)["errors"] == []
    # Why it failed is said with its status, first after its fields (QA:
    # at the foot of its log, 14 lines down at 120 columns).
    from tracetui.app.detail import span_sections
    from tracetui.cli import load

    store, _ = load([path])
    node = next(s for s in next(iter(store.runs.values())).spans.values() if s.name == "sample err · epoch 1")
    assert node.error == {"message": "Sample error (id: err, epoch: 1): "
                                     "RuntimeError('deliberate sample error for QA'))"}
    fields, rule, reason = span_sections(node, T0)[0][1].renderables[:3]
    assert rule.title == "error" and "RuntimeError('deliberate" in str(reason)



def test_a_sample_fails_only_if_it_raised(tmp_path, capsys):
    """QA: 2,991 of a 1M-line log's samples read ✗ because one of their
    actions failed (a 429 retried, a tool's error given back to the model),
    and none of them raised. A sample fails when it raised (Inspect's
    `Sample error` warning) and was not retried; one whose actions were
    cancelled was stopped."""
    def sample_error(sample: int, message: str) -> str:
        return json.dumps({"timestamp": "2026-11-23T05:37:30+00:00", "level": "WARNING", "task": "t",
                           "sample_id": sample, "epoch": 1, "message": message})

    p = tmp_path / "trace-9.log"
    write(p, [
        rec("enter", "r", "Run Task", "task: t (m)", start_time=T0),
        rec("enter", "m1", action="Model", detail="generate", sample=1, start_time=T0),
        rec("error", "m1", action="Model", detail="generate", sample=1, duration=1.0, error="429"),
        rec("enter", "m2", action="Model", detail="generate", sample=1, start_time=T0 + 2),
        rec("exit", "m2", action="Model", detail="generate", sample=1, duration=1.0),
        rec("enter", "t2", sample=2, start_time=T0),
        rec("cancel", "t2", sample=2, duration=5.0),
        rec("enter", "t3", sample=3, start_time=T0),
        rec("exit", "t3", sample=3, duration=1.0),
        sample_error(3, "Sample error (id: 3, epoch: 1): RuntimeError('boom')"),
        # Failed once, retried, passed (QA: it read ✗).
        rec("enter", "t4", sample=4, start_time=T0),
        sample_error(4, "Sample error (id: 4, epoch: 1): RuntimeError('first time'). Sample will be retried."),
        rec("exit", "t4", sample=4, duration=1.0),
        rec("exit", "r", "Run Task", "task: t (m)", duration=6.0),  # the eval ends
    ])
    assert main(["tree", str(p), "--json"]) == 0
    task = next(r for r in json.loads(capsys.readouterr().out)["roots"] if r["kind"] == "task")
    status = {s["name"].split(" ·")[0]: s["status"] for s in task["children"]}
    assert status == {"sample 1": "ok", "sample 2": "cancelled", "sample 3": "error", "sample 4": "ok"}
    assert task["status"] == "error"


SIGINT_TRACES = os.path.join(os.path.dirname(__file__), "data", "inspect")


def _sample_statuses(capsys, path) -> dict[str, str]:
    assert main(["tree", str(path), "--json"]) == 0
    task = next(r for r in json.loads(capsys.readouterr().out)["roots"] if r["kind"] == "task")
    return {s["name"].split(" ·")[0].removeprefix("sample "): s["status"] for s in task["children"]}


@pytest.mark.parametrize("name", ["sigint-exit.log.gz", "sigint-cancel.log.gz"])
def test_samples_a_ctrl_c_stopped_read_cancelled_though_their_actions_exited(capsys, name):
    """Real evals interrupted by SIGINT to their process group
    (tests/data/inspect/make_sigint.py). In `sigint-exit` the terminal's
    SIGINT killed `sleep` first: the `tool` sample's Subprocess and Tool
    Call closed with `exit`, and it read ✓ (QA), though Inspect's own log
    says it was cancelled; `idle`, waiting between two actions, had none to
    cancel. Only `done` had finished (its flush of the eval log came before
    the ctrl+c)."""
    path = os.path.join(SIGINT_TRACES, name)
    statuses = _sample_statuses(capsys, path)
    assert statuses == {"tool": "cancelled", "model": "cancelled", "idle": "cancelled", "done": "ok"}
    assert main(["tree", path, "--json"]) == 0
    tree = json.loads(capsys.readouterr().out)
    task = next(r for r in tree["roots"] if r["kind"] == "task")
    idle = next(s for s in task["children"] if s["name"].startswith("sample idle"))
    assert idle["duration"] > 3  # it ran until the ctrl+c, not only through its last action
    if name == "sigint-exit.log.gz":
        tool = next(s for s in task["children"] if s["name"].startswith("sample tool"))
        assert {a["status"] for a in tool["children"] if a["name"] != "Log Write"} == {"ok"}


def test_samples_whose_sleep_the_terminal_killed_first_read_cancelled(capsys):
    """A real eval of five samples on two subprocess slots, ctrl+c'd
    (tests/data/inspect/make_slots.py 5): the terminal's SIGINT killed
    both stuck `sleep`s, and their Subprocess and Tool Call closed with
    `exit` 1-3 ms before Inspect's first `cancel`; the two samples that
    were stuck read ✓ while the three waiting for a slot read ⊘ (QA)."""
    statuses = _sample_statuses(capsys, os.path.join(SIGINT_TRACES, "slots-sigint.log.gz"))
    assert statuses == {str(n): "cancelled" for n in range(1, 6)}


def test_a_sample_a_ctrl_c_stopped_without_a_record_reads_done(capsys):
    """Inspect's `.eval` log says `idle` was cancelled, but its trace holds
    nothing of it after its last action, 13 s before the ctrl+c: no
    cancel, no flush of its own. A sample done before a ctrl+c looks the
    same (Inspect flushes the eval log every few samples, from the last
    one's task), and must not read cancelled: it reads done."""
    statuses = _sample_statuses(capsys, os.path.join(SIGINT_TRACES, "sigint-quiet.log.gz"))
    assert statuses == {"tool": "cancelled", "model": "cancelled", "idle": "ok", "done": "ok"}


def test_a_ctrl_c_stops_only_the_samples_that_ran_then(tmp_path, capsys):
    """Only the samples that left a record once the cancels began were
    stopped by them: one done before, with no flush of its own (Inspect
    flushes the eval log every few samples), is done; so is one that acted
    after an earlier cancel (a sample's time limit) and ended before."""
    p = tmp_path / "trace-9.log"
    write(p, [
        rec("enter", "r", "Run Task", "task: t (m)", start_time=T0),
        rec("enter", "a", sample=1, start_time=T0), rec("exit", "a", sample=1, duration=1.0),
        rec("enter", "b", sample=2, start_time=T0), rec("cancel", "b", sample=2, duration=2.0),
        rec("enter", "c", sample=3, start_time=T0 + 3), rec("exit", "c", sample=3, duration=1.0),
        rec("enter", "d", sample=4, start_time=T0 + 5), rec("exit", "d", sample=4, duration=10.0),
        rec("enter", "e", sample=5, start_time=T0 + 5), rec("cancel", "e", sample=5, duration=10.0),
        rec("cancel", "r", "Run Task", "task: t (m)", duration=15.0),
    ])
    assert _sample_statuses(capsys, p) == {"1": "ok", "2": "cancelled", "3": "ok", "4": "cancelled",
                                          "5": "cancelled"}


def test_a_followed_sample_between_two_actions_reads_running_until_it_ends(tmp_path, monkeypatch):
    """QA: followed live, a sample with no action open (between its model
    call and its tool call) read ✓ though it had not finished. Inspect
    writes no record when a sample completes; a flush of the eval log in a
    sample's context comes only once it ended (`done` in this real eval,
    tests/data/inspect/make_sigint.py). A sample without one reads running
    while it acted within SAMPLE_QUIET, done once quiet that long or once
    its log ends."""
    from tracetui.formats import inspect
    from tracetui.formats.inspect import SAMPLE_QUIET, timestamp_to_epoch

    with gzip.open(os.path.join(SIGINT_TRACES, "sigint-exit.log.gz"), "rb") as f:
        lines = f.read().splitlines()
    # Up to `done`'s flush, before the ctrl+c: `idle` waits in its solver.
    before = next(i for i, line in enumerate(lines) if b'"Log Write"' in line and b'"done"' in line
                  and b'"exit"' in line) + 1
    store = Store()
    decoder = InspectDecoder(store, str(tmp_path / "trace.log"))  # followed: its eval runs here
    decoder.run.live = decoder.run.writer_seen = True
    monkeypatch.setattr(inspect, "is_live", lambda path, opened=None: True)
    clock = [timestamp_to_epoch(json.loads(lines[before - 1])["timestamp"]) + 1]
    decoder.now = lambda: clock[0]

    def statuses():
        return {span.attributes["sample_id"]: span.status for span in decoder.run.spans.values()
                if span.kind == "sample"}

    decoder.feed(list(enumerate(lines[:before])))
    assert statuses() == {"tool": "running", "model": "running", "idle": "running", "done": "ok"}
    clock[0] += SAMPLE_QUIET
    assert decoder.check_writer()  # quiet that long: taken to be done
    assert statuses() == {"tool": "running", "model": "running", "idle": "ok", "done": "ok"}
    decoder.feed(list(enumerate(lines[before:], before)))  # the ctrl+c
    assert statuses() == {"tool": "cancelled", "model": "cancelled", "idle": "cancelled", "done": "ok"}


def test_a_sample_between_two_actions_reads_done_once_its_log_ends(tmp_path, monkeypatch):
    """Nothing says the sample ended, but nothing more will come: its eval
    exited (the log gzipped). (Its task's `Run Task` closing says as much:
    the two tests above whose tasks end.)"""
    from tracetui.formats import inspect

    store = Store()
    decoder = InspectDecoder(store, str(tmp_path / "trace.log"))
    decoder.run.live = decoder.run.writer_seen = True
    decoder.now = lambda: T0 + 2
    decoder.feed([(0, rec("enter", "a", sample=1, start_time=T0).encode()),
                  (1, rec("exit", "a", sample=1, duration=1.0).encode())])
    sample = decoder.run.spans["a"].parent
    assert sample.status == "running" and decoder.run.spans["task:t"].status == "running"
    monkeypatch.setattr(inspect, "is_live", lambda path, opened=None: False)
    decoder.set_path(str(tmp_path / "trace.log.gz"))
    assert sample.status == "ok" and decoder.run.spans["task:t"].status == "ok"


@pytest.mark.parametrize("ending", ["exit", "cancel"])
def test_a_task_ending_tells_each_of_its_samples(tmp_path, ending):
    """Followed live, a task's `Run Task` closing tells every sample of
    that task with no action open that it ended: each reads done at once,
    not running until quiet. Cancelled (a ctrl+c), the ones that acted
    then read cancelled. Its samples are found from its node, whatever
    their ids (a list is filed by its repr), and no other task's are."""
    store = Store()
    decoder = InspectDecoder(store, str(tmp_path / "trace.log"))
    decoder.run.live = decoder.run.writer_seen = True
    decoder.now = lambda: T0 + 7
    ids = [1, "two", [3, "x"], 4]
    lines = [rec("enter", "r", "Run Task", "task: t (m)", start_time=T0)]
    for k, sample_id in enumerate(ids):  # the first ends long before the rest, which end by T0 + 4.3
        lines += [rec("enter", f"a{k}", sample=sample_id, start_time=T0 + 3 + k / 10 if k else T0),
                  rec("exit", f"a{k}", sample=sample_id, duration=1.0)]
    other = json.loads(rec("enter", "o", sample=9, start_time=T0))
    other["task"] = "other"
    lines += [json.dumps(other), json.dumps({**other, "event": "exit", "duration": 1.0}),
              rec(ending, "r", "Run Task", "task: t (m)", duration=5.0)]
    decoder.feed([(k, line.encode()) for k, line in enumerate(lines)])

    def status_of(sample_id, task="t"):
        return next(span.status for span in decoder.run.spans.values() if span.kind == "sample"
                    and span.attributes["sample_id"] == sample_id and span.attributes["task"] == task)

    told = "ok" if ending == "exit" else "cancelled"
    # (sample 1 acted last before the stop began: done, with nothing to say it ran on)
    assert [status_of(i) for i in ids] == ["ok", told, told, told]
    assert status_of(9, "other") == "running"


def test_a_runs_log_makes_its_columns_on_first_use(tmp_path):
    """A run that logs nothing holds no log columns (~600 bytes: an OTel
    export has a run a trace), and reading its empty log makes none. Its
    first record makes them; an Inspect sample's log, whose first record
    may come before any of the run's own, is kept in the same columns."""
    from tracetui.model import _LOG_COLUMNS, Run

    def made(log) -> bool:
        try:
            _LOG_COLUMNS.__get__(log)
        except AttributeError:
            return False
        return True

    run = Run("r", "/x", "otlp")
    assert not made(run.events)
    assert (len(run.events), list(run.events), run.events[0:3], run.events.times_from(0)) == (0, [], [], [])
    with pytest.raises(IndexError):
        run.events[0]
    assert not made(run.events)
    run.events.add("2026-11-23T05:37:24+00:00", "info", "hello", 0)
    assert made(run.events) and [e.message for e in run.events] == ["hello"]

    store = Store()
    decoder = InspectDecoder(store, str(tmp_path / "trace.log"))
    first = {"timestamp": "2026-11-23T05:37:24+00:00", "level": "INFO", "task": "t", "sample_id": 1, "epoch": 1,
             "message": "task=t sample=1 epoch=1\nstarting"}
    decoder.feed([(0, json.dumps(first).encode()),
                  (1, json.dumps({**first, "sample_id": None, "message": "the eval's own"}).encode())])
    sample = next(s for s in decoder.run.spans.values() if s.kind == "sample")
    assert [e.message for e in sample.events] == ["starting"]
    assert [e.message for e in decoder.run.events] == ["the eval's own"]
    assert sample.events.columns is decoder.run.events.columns


def test_the_text_of_tree_and_spans_shows_what_a_sandboxed_command_runs(tmp_path, capsys):
    """QA: `tracetui spans --status running` cut a stuck Subprocess's
    `docker compose --project-name … exec --wor…` before what it ran, where
    the TUI said `exec default: sleep 600`. JSON keeps the command whole."""
    detail = ("docker compose --project-name inspect-intercode-ct-iibtrvm exec --workdir /testbed default "
              "bash --login -c 'sleep 600'")
    path = tmp_path / "trace-9.log"
    write(path, [rec("enter", "s", "Subprocess", detail, sample=1, start_time=T0)])
    for command in (["tree", str(path)], ["spans", str(path), "--status", "running"]):
        assert main(command) == 0
        assert "exec default: sleep 600" in capsys.readouterr().out
    assert main(["spans", str(path), "--json"]) == 0
    assert detail in capsys.readouterr().out


def test_a_task_a_ctrl_c_stopped_reads_cancelled_whatever_failed_in_it(capsys):
    """A real eval interrupted by SIGINT (sample_traces/inspect/cancelled.log.gz):
    the run read ⊘ and its `Run Task` ⊘, but the task node ✗, from a sample
    that had failed before (QA). A task node is told as a run is."""
    path = os.path.join(os.path.dirname(__file__), "..", "sample_traces", "inspect", "cancelled.log.gz")
    assert main(["tree", path, "--json"]) == 0
    tree = json.loads(capsys.readouterr().out)
    assert {r["name"]: r["status"] for r in tree["roots"] if r["name"] == "Run Task"} == {"Run Task": "cancelled"}
    assert {r["name"]: r["status"] for r in tree["roots"] if r["kind"] == "task"} == {
        "triage": "cancelled", "patch": "cancelled"}


@pytest.mark.parametrize("stamp, shown", [
    ("2026-12-02T05:00:02.100000+00:00", "05:00:02.100"),
    ("2026-12-02T05:00:02.999999+00:00", "05:00:02.999"),
    ("2026-12-02T05:00:59.999500+00:00", "05:00:59.999"),
    ("2026-12-02T05:00:03.700000Z", "05:00:03.700"),
    ("2026-12-02T05:00:04+00:00", "05:00:04.000"),
])
def test_a_log_records_time_is_shown_to_its_millisecond(stamp, shown, monkeypatch):
    """`.100000` is a float a hair under .1 s: cut to milliseconds, it read
    `.099` (QA, in the detail's log and its span times)."""
    from tracetui.app.detail import _event_time, _when
    from tracetui.model import EventLog

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        log = EventLog()
        log.add(stamp, "HTTP", "x", 0)
        assert _event_time(log[0].time) == shown
        assert _when(log[0].time, monotonic=False) == "2026-12-02 " + shown
    finally:
        monkeypatch.undo()  # the zone as it was, then read again
        time.tzset()


def test_a_hung_calls_retries_written_after_it_are_within_the_logs_end(tmp_path, capsys):
    """A log whose eval is not seen here is aged to its last record: that
    includes the HTTP records a hung Model call's retries write after its
    enter (QA: its age froze at the enter, `≥0µs`, and its detail said no
    log record was written while it ran, hiding the six 429s). The
    whole-file scan finds the same end as the index."""
    from tracetui import fastscan
    from tracetui.cli import load

    enter = T0 + 0.5
    lines = [rec("enter", "model-1", "Model", "generate (openai/gpt-4o)", sample=1, start_time=enter)]
    for n in range(1, 7):
        lines.append(json.dumps({
            "timestamp": datetime.fromtimestamp(enter + 2 * n, timezone.utc).isoformat(),
            "level": "HTTP", "message": f"task=t sample=1 epoch=1\nPOST /v1/chat/completions \"HTTP/1.1 429\" ({n})",
            "task": "t", "sample_id": 1, "epoch": 1}))
    path = tmp_path / "trace-99998.log"  # no such eval runs here
    write(path, lines)
    store, _ = load([str(path)])
    (run,) = store.runs.values()
    assert run.end == pytest.approx(enter + 12, abs=1e-3)  # (epochs: an absolute tolerance)
    assert fastscan.scan(str(path))[0].last_record_time == pytest.approx(run.end, abs=1e-3)

    assert main(["spans", str(path), "--status", "running", "--json"]) == 0
    (model,) = [s for s in json.loads(capsys.readouterr().out) if s["name"] == "Model"]
    assert model["duration"] == pytest.approx(12.0, abs=1e-3)

    from tracetui.app.detail import log_for, log_window
    span = run.spans["model-1"]
    events = log_for(span)
    assert log_window(span, events, until=run.end) == (0, 6)
