"""The C path of the Inspect decoder (`tracetui/_fastindex.c`) indexes
exactly as the Python path does: every span, anomaly row, log record, sample state and
string it makes or changes, on logs Inspect wrote, on a generated
million-line-style log, and on real lines mutated into everything a JSON
reader can trip on, fed in batches split anywhere."""

from __future__ import annotations

import functools
import gzip
import json
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_fastfold import REAL, can_compile, mutated_line
from tracetui.formats import inspect as inspect_format
from tracetui.formats.inspect import InspectDecoder
from tracetui.store import Store

try:
    from tracetui._fastindex import Lines
except ImportError:  # the C accelerator is not built: `needs_c` skips what uses it
    Lines = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: The C path as built (None where it is not): tests set and unset
#: `inspect_format.FAST_FEED` to index with and without it.
FAST_FEED = inspect_format.FAST_FEED
needs_c = pytest.mark.skipif(FAST_FEED is None, reason="the C accelerator is not built")

LOGS = [os.path.join(ROOT, "sample_traces", "inspect", name)
        for name in ("hung.log", "cancelled.log.gz", "mixed.log.gz", "interrupted.log.gz", "demo.log")]
LOGS += [os.path.join(ROOT, "tests", "data", "inspect", name)
         for name in sorted(os.listdir(os.path.join(ROOT, "tests", "data", "inspect")))
         if name.endswith((".log", ".log.gz"))]


@pytest.fixture(autouse=True, params=["scanned ahead", "scanned in line", "scanned ahead, no thread"])
def scanning(request, monkeypatch):
    """Each test three ways: every batch's lines scanned ahead by the
    `Scanner`'s worker thread (however short the batch), by `feed` itself,
    and by a `Scanner` with no thread (where none can be made)."""
    if request.param == "scanned in line":
        monkeypatch.setattr(inspect_format, "SCAN_AHEAD_MIN", 10**12)
    else:
        monkeypatch.setattr(inspect_format, "SCAN_AHEAD_MIN", 0)
    if request.param == "scanned ahead, no thread" and inspect_format.SCANNER is not None:
        monkeypatch.setattr(inspect_format, "SCANNER", functools.partial(inspect_format.SCANNER, threads=False))
    return request.param


def read(path: str) -> bytes:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read()


def state(decoder: InspectDecoder) -> tuple:
    """Everything the decoder holds, to compare two readings: spans by
    every field (times by repr: -0.0 and 0.0 differ; a str made in C must
    say whether it is ASCII as Python's would), rows, the decoder's
    samples, open actions and shared strings, the run's times and the
    samples lately active, all in their orders."""
    run = decoder.run

    def rows(bucket):
        return [(tid, r.action, r.detail, repr(r.start), repr(r.duration), r.error,
                 r.span.id if r.span else None, r.sample) for tid, r in bucket.items()]

    spans = [(key, s.id, s.name, s.kind, s.detail, s.status, repr(s.start), repr(s.duration), s.origin,
              s.error, s.attributes, s.synthetic, s.orphan, s.parent.id if s.parent else None,
              [c.id for c in s.children or ()], type(s.children).__name__,
              [(e.time, e.level, type(e.level).__name__, e.message, e.origin) for e in s.events or ()],
              type(s.events).__name__, getattr(getattr(s.events, "indices", None), "typecode", None),
              s.id.isascii(), isinstance(s.name, str) and s.name.isascii())
             for key, s in run.spans.items()]
    samples = [(key, s.node.id, [a.id for a in s.open], type(s.open).__name__, s.errors, s.cancels,
                repr(s.ended), repr(s.last_seen), s.interrupted) for key, s in decoder._samples.items()]
    return (decoder.records, decoder.bad_lines, decoder.invalid_records, decoder.first_bad_line,
            decoder._line_no, spans, [s.id for s in run.roots],
            [(e.time, e.level, type(e.level).__name__, e.message, e.origin) for e in run.events],
            [rows(run.anomalies.bucket(name)) for name in ("running", "cancelled", "errors", "timeouts")],
            repr(run.first_time), repr(run.last_time), run.synthetic_spans, run.attributes,
            [n.id for n in run.lately_active], samples,
            [(tid, span.id, None if sample is None else sample.node.id)
             for tid, (span, sample) in decoder._open.items()],
            list(decoder._shared), [s.node.id for s in decoder._unsettled], list(decoder._stale),
            decoder._task_counts, sorted(decoder._stopped_tasks), repr(decoder._cancels_since),
            {task: [s.node.id for s in decoder._samples_of_task(task)] for task in decoder._tasks},
            [(s.node.id, type(s.node).__name__, s.node.kind, s.node.status) for s in decoder._samples.values()],
            held_as(getattr(run.events, "columns", None)))


def held_as(columns) -> tuple | None:
    """How a run's log columns hold its records' messages and offsets."""
    if columns is None:
        return None
    messages, origins = columns.messages, columns.origins
    return (type(messages).__name__, getattr(messages, "typecode", None), list(columns.message_texts),
            type(origins).__name__, getattr(origins, "typecode", None))


def index(path: str, data: bytes, fast, monkeypatch, cuts: list[int] | None = None,
          message_filter: str | None = None, in_place: bool = False, start_offset: int = 0) -> tuple:
    """`data` (the file at `path`) fed to a decoder as the reader feeds it,
    in batches of lines ending at the line indices `cuts`: lists of bytes,
    or (`in_place`) `Lines` over the batch's bytes, as the reader cuts them;
    the first line at `start_offset` in the file."""
    monkeypatch.setattr(inspect_format, "FAST_FEED", fast)
    decoder = InspectDecoder(Store(), path, message_filter)
    decoder.now = lambda: 1.9e9  # both readings at the same instant
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    pos, start = start_offset, 0
    for end in sorted(set((cuts or []) + [len(lines)])):
        if end <= start:
            continue
        batch = lines[start:end]
        if in_place:
            joined = b"".join(line + b"\n" for line in batch)
            decoder.feed_run(Lines(joined, len(joined)), pos)
        else:
            decoder.feed_run(batch, pos)
        pos += sum(len(line) + 1 for line in batch)
        start = end
    return state(decoder)


@pytest.mark.skipif(not can_compile(), reason="no C compiler or Python headers: the Python path runs")
def test_the_accelerator_is_built():
    """`pip install` compiles it where it can: without it the index is right
    but slower, and this suite would not test it."""
    assert FAST_FEED is not None


@needs_c
@pytest.mark.parametrize("path", LOGS, ids=os.path.basename)
def test_logs_inspect_wrote_index_the_same(path, monkeypatch):
    data = read(path)
    python = index(path, data, None, monkeypatch, cuts=[7, 50, 51])
    assert python[5], "the log holds spans"
    assert index(path, data, FAST_FEED, monkeypatch, cuts=[7, 50, 51]) == python
    assert index(path, data, FAST_FEED, monkeypatch, cuts=[7, 50, 51], in_place=True) == python


@needs_c
def test_a_generated_log_indexes_the_same(tmp_path, monkeypatch):
    """The benchmark's generator: concurrent samples, nested actions, HTTP
    and trace messages, errors with stack traces, timeouts, cancels, a tail
    of actions never closed; escaped details, and samples whose first
    record is an action."""
    path = tmp_path / "trace-1.log"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_inspect.py"), str(path),
                    "--lines", "30000", "--seed", "11", "-q"], check=True)
    data = path.read_bytes()
    python = index(str(path), data, None, monkeypatch, cuts=[1000, 1001, 17000])
    assert index(str(path), data, FAST_FEED, monkeypatch, cuts=[1000, 1001, 17000]) == python
    assert index(str(path), data, FAST_FEED, monkeypatch, cuts=[1000, 1001, 17000], in_place=True) == python
    # and with a filter on the messages, where C steps aside
    assert (index(str(path), data, FAST_FEED, monkeypatch, message_filter="model")
            == index(str(path), data, None, monkeypatch, message_filter="model"))


@needs_c
def test_a_samples_state_in_c_indexes_as_the_python_class_does(tmp_path, monkeypatch):
    """Where C is built, a sample's state is `SampleState` (its times held
    as doubles); without C it is `_SampleSlots`. Both give the same index,
    the same times (by repr) included."""
    assert inspect_format._Sample is not inspect_format._SampleSlots
    path = tmp_path / "trace-1.log"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_inspect.py"), str(path),
                    "--lines", "20000", "--seed", "23", "-q"], check=True)
    data = path.read_bytes()
    with_c = index(str(path), data, FAST_FEED, monkeypatch, cuts=[500, 9000])
    monkeypatch.setattr(inspect_format, "_Sample", inspect_format._SampleSlots)
    slots = index(str(path), data, None, monkeypatch, cuts=[500, 9000])
    assert slots[-2] and all(kind == "sample" for _, _, kind, _ in slots[-2])
    samples = slots[14]
    assert any(s[6] != "None" for s in samples) and any(s[7] != "None" for s in samples)
    assert with_c == slots


@needs_c
def test_a_samples_state_reads_and_writes_as_its_fields_did():
    """`SampleState`'s fields read back what was written: times as floats
    (an int as the float it equals) or None, counts as ints, `interrupted`
    as a bool; what no field held is refused with an error."""
    state = inspect_format._Sample("node")
    assert (state.node, state.open, state.ended, state.last_seen, state.errors, state.cancels,
            state.interrupted) == ("node", (), None, None, 0, 0, False)
    state.open = ["action"]
    state.open.append("another")
    state.ended, state.last_seen = -0.0, 1_700_000_000
    state.errors += 2
    state.cancels = 2**32 - 1
    state.interrupted = True
    assert (state.open, repr(state.ended), state.last_seen, type(state.last_seen), state.errors,
            state.cancels, state.interrupted) == (["action", "another"], "-0.0", 1.7e9, float, 2, 2**32 - 1, True)
    state.ended = None
    assert state.ended is None and state.last_seen == 1.7e9
    state.last_seen = float("nan")
    assert repr(state.last_seen) == "nan"
    with pytest.raises(TypeError):
        state.ended = "12:00"
    with pytest.raises(OverflowError):
        state.errors = 2**32
    with pytest.raises(OverflowError):
        state.cancels = -1
    with pytest.raises(TypeError):
        state.interrupted = 1
    with pytest.raises(AttributeError):
        del state.node
    assert state.errors == 2 and state.cancels == 2**32 - 1 and state.interrupted is True


@needs_c
def test_the_c_path_takes_the_common_actions(tmp_path, monkeypatch):
    """Not a path never taken: with Python's `_enter`, `_close` and
    `_event` broken, a log of common actions and log records still indexes
    (a sample's first record too: C asks Python only to make a task's
    first sample)."""
    path = tmp_path / "trace-2.log"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_inspect.py"), str(path),
                    "--lines", "3000", "--seed", "3", "-q"], check=True)
    lines = [line for line in path.read_bytes().split(b"\n") if line]
    common = []
    for line in lines:
        rec = json.loads(line)
        if not all(b < 128 for b in line):
            continue
        if (rec.get("event") in ("enter", "exit") and rec.get("action") != "Run Task"
                and rec.get("sample_id") is not None and rec.get("detail") and "error" not in rec):
            common.append(line)
        elif "action" not in rec and not rec["message"].startswith(inspect_format.SAMPLE_ERROR):
            common.append(line)  # a log record
    entered = {json.loads(line)["trace_id"] for line in common if b'"enter"' in line}
    common = [line for line in common if json.loads(line).get("trace_id", "") in entered | {""}]
    assert sum(1 for line in common if b'"action"' not in line) > 200
    path.write_bytes(b"\n".join(common) + b"\n")

    def broken(*args, **kwargs):
        raise AssertionError("Python's path was taken")

    made_by_python = []
    sample_for = InspectDecoder._sample_for

    def counted(self, *key):
        made_by_python.append(key)
        return sample_for(self, *key)

    monkeypatch.setattr(InspectDecoder, "_enter", broken)
    monkeypatch.setattr(InspectDecoder, "_close", broken)
    monkeypatch.setattr(InspectDecoder, "_event", broken)
    monkeypatch.setattr(InspectDecoder, "_sample_for", counted)
    monkeypatch.setattr(inspect_format, "FAST_FEED", FAST_FEED)
    decoder = InspectDecoder(Store(), str(path))
    decoder.feed_run(common, 0)
    assert decoder.records == len(common) > 1000
    # Python makes each task's first sample (and its node); C the others.
    assert len(made_by_python) == len(decoder._tasks) < len(decoder._samples) / 10
    assert len(decoder.run.spans) - decoder.run.synthetic_spans == len(entered)


@needs_c
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from(REAL), mutated_line()), min_size=1, max_size=40),
       st.lists(st.integers(0, 40), max_size=4))
def test_mutated_lines_index_the_same(tmp_path, monkeypatch, lines, cuts):
    """Real lines, mutated byte by byte (escapes, surrogates, exponents,
    repeated or escaped keys, control characters, non-ASCII, truncation, a
    CR), in any order, in batches split anywhere."""
    path = str(tmp_path / "trace-3.log")
    data = b"\n".join(line.replace(b"\n", b" ") for line in lines) + b"\n"
    python = index(path, data, None, monkeypatch, cuts)
    assert index(path, data, FAST_FEED, monkeypatch, cuts) == python
    assert index(path, data, FAST_FEED, monkeypatch, cuts, in_place=True) == python


@needs_c
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from(["HTTP", "INFO", "TRACE", "WARNING"]), st.text(max_size=3)),
                min_size=1, max_size=40),
       st.sampled_from([0, 5, 300]))
def test_log_levels_read_back_as_python_reads_them(tmp_path, monkeypatch, levels, more):
    """A log record's level is held as a byte while its run has at most
    256 levels (`LogColumns.levels`), and as itself after: levels, and past
    256 of them (`more` distinct ones after the drawn), read back in C as
    in Python, in the run's log and its samples'. (Inspect's levels are
    str: a record with another is not read; `test_model.py` has the rest.)"""
    path = str(tmp_path / "trace-5.log")
    levels = levels + [f"level {k}" for k in range(more)]
    lines = [json.dumps({"timestamp": "2026-11-23T05:37:25.123456+00:00", "level": level, "message": f"m{n}",
                         **({"task": "t", "sample_id": n % 3, "epoch": 1} if n % 2 else {})}).encode()
             for n, level in enumerate(levels)]
    data = b"\n".join(lines) + b"\n"
    python = index(path, data, None, monkeypatch, [len(lines) // 2])
    assert index(path, data, FAST_FEED, monkeypatch, [len(lines) // 2]) == python
    held = python[7]
    assert [level for _, level, _, _, _ in held] == [level for n, level in enumerate(levels) if not n % 2]


@needs_c
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from(["POST 200", "GET 404", "retry", "é"]), st.text(max_size=3)),
                min_size=1, max_size=40),
       st.sampled_from([0, 3, 65_536]), st.sampled_from([0, 2**32 - 400, 2**40]))
def test_log_messages_and_offsets_read_back_as_python_reads_them(tmp_path, monkeypatch, messages, codes, start):
    """A log record's message is held as a code while its run has at most
    `MESSAGE_CODES` of them (`LogColumns.messages`), and as itself after;
    its offset in 4 bytes while under 4 GiB, then in 8: read back in C as
    in Python, in the run's log and its samples', the columns held alike.
    (Inspect's messages are str: `test_model.py` has the rest.)"""
    from tracetui import model

    monkeypatch.setattr(model, "MESSAGE_CODES", codes)
    path = str(tmp_path / "trace-5.log")
    lines = [json.dumps({"timestamp": "2026-11-23T05:37:25.123456+00:00", "level": "INFO", "message": message,
                         **({"task": "t", "sample_id": n % 3, "epoch": 1} if n % 2 else {})}).encode()
             for n, message in enumerate(messages)]
    data = b"\n".join(lines) + b"\n"
    python = index(path, data, None, monkeypatch, [len(lines) // 2], start_offset=start)
    assert index(path, data, FAST_FEED, monkeypatch, [len(lines) // 2], start_offset=start) == python
    offsets = [start + sum(len(line) + 1 for line in lines[:n]) for n in range(len(lines))]
    held = python[7]
    assert [(message, origin) for _, _, _, message, origin in held] == \
        [(message, offsets[n]) for n, message in enumerate(messages) if not n % 2]


def _enter_exit(tid: str, detail, start, duration, sample_id, epoch, task) -> list[bytes]:
    base = {"timestamp": "2026-11-23T05:37:25.123456+00:00", "level": "TRACE",
            "message": f"task={task} sample={sample_id}\nTool Call: x", "action": "Tool Call",
            "trace_id": tid, "detail": detail, "task": task, "sample_id": sample_id, "epoch": epoch}
    return [json.dumps({**base, "event": "enter", "start_time": start}).encode(),
            json.dumps({**base, "event": "exit", "duration": duration}).encode()]


@needs_c
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.text(min_size=1, max_size=30),
                          st.floats(allow_nan=False, allow_infinity=False),
                          st.floats(allow_nan=False, allow_infinity=False),
                          st.one_of(st.integers(-10**20, 10**20), st.text(max_size=5)),
                          st.one_of(st.none(), st.integers(-3, 10**19)),
                          st.one_of(st.just("t"), st.text(max_size=4))),
                min_size=1, max_size=12),
       st.booleans())
def test_values_read_as_orjson_reads_them(tmp_path, monkeypatch, actions, interleave):
    """Times of every magnitude and precision, ids as ints of any size or as
    strings, details with every escape JSON has: the C path reads each value
    as orjson does, or leaves the line to Python."""
    path = str(tmp_path / "trace-4.log")
    pairs = [_enter_exit(f"id{n}", detail, start, duration, sample_id, epoch, task)
             for n, (detail, start, duration, sample_id, epoch, task) in enumerate(actions)]
    lines = [p[0] for p in pairs] + [p[1] for p in pairs] if interleave else [x for p in pairs for x in p]
    data = b"\n".join(lines) + b"\n"
    assert index(path, data, FAST_FEED, monkeypatch) == index(path, data, None, monkeypatch)



def _decimal(digits: str, places: int, negative: bool) -> str:
    """`digits` written as a JSON number with `places` of them after the point."""
    digits = digits.rjust(places + 1, "0")
    whole = digits[:-places].lstrip("0") or "0"
    return ("-" if negative else "") + whole + "." + digits[-places:]


@needs_c
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.text("0123456789", min_size=1, max_size=21), st.integers(1, 28), st.booleans()),
                min_size=2, max_size=40))
def test_decimals_read_as_python_reads_them(tmp_path, monkeypatch, numbers):
    """Times and durations as writers print them (`time.time()`'s 17
    digits, a duration's leading zeros, up to 28 places): C reads each
    digit string to the double Python reads, by its own division where it
    can prove that is the one, by Python's reader where not."""
    path = str(tmp_path / "trace-5.log")
    texts = [_decimal(digits, places, negative) for digits, places, negative in numbers]
    lines = []
    for n, (start, duration) in enumerate(zip(texts, reversed(texts))):
        base = ('{"timestamp": "2026-11-23T05:37:25.123456+00:00", "level": "TRACE", "message": "x", '
                f'"action": "Model", "trace_id": "t{n}", "detail": "d", "task": "t", "sample_id": 1, "epoch": 1')
        lines.append(f'{base}, "event": "enter", "start_time": {start}}}'.encode())
        lines.append(f'{base}, "event": "exit", "duration": {duration}}}'.encode())
    data = b"\n".join(lines) + b"\n"
    fast = index(path, data, FAST_FEED, monkeypatch)
    assert fast == index(path, data, None, monkeypatch)
    starts = [repr(span[6]) for span in fast[5] if span[1].startswith("t") and span[1] != "task:t"]
    assert [repr(repr(float(text))) for text in texts] == starts


def _near_midpoints(count: int, seed: int) -> list[str]:
    """Decimals of 17 to 19 significant digits nearest to the points
    halfway between two neighbouring doubles (times and durations), and a
    unit of their last digit to either side."""
    import math
    import random
    from decimal import ROUND_DOWN, ROUND_UP, Context, Decimal

    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        t = rng.uniform(1.7e9, 1.8e9) if rng.random() < 0.5 else 10 ** rng.uniform(-4, 3)
        mid = (Decimal(t) + Decimal(math.nextafter(t, math.inf))) / 2  # exact: 60 digits
        for digits in (17, 18, 19):
            for rounding in (ROUND_DOWN, ROUND_UP):
                near = Context(prec=digits, rounding=rounding).plus(mid)
                unit = Decimal(1).scaleb(near.adjusted() - digits + 1)
                for text in (format(near, "f"), format(near - unit, "f"), format(near + unit, "f")):
                    if "." in text and len(text) <= 40:
                        texts.append(text)
    return texts


@needs_c
def test_times_near_halfway_between_two_doubles_read_right(tmp_path, monkeypatch):
    """Where the quotient of a 64-bit division is no proof of the nearest
    double (it rounded to a point halfway between two), Python's reader
    decides: rounding twice would break such ties the wrong way."""
    texts = _near_midpoints(1500, seed=7)
    lines = [('{"timestamp": "2026-11-23T05:37:25.123456+00:00", "level": "TRACE", "message": "x", '
              f'"action": "Model", "trace_id": "h{n}", "detail": "d", "task": "t", "sample_id": 1, '
              f'"epoch": 1, "event": "enter", "start_time": {text}}}').encode() for n, text in enumerate(texts)]
    decoder_state = index(str(tmp_path / "trace-6.log"), b"\n".join(lines) + b"\n", FAST_FEED, monkeypatch)
    starts = {span[1]: span[6] for span in decoder_state[5]}
    assert [starts[f"h{n}"] for n in range(len(texts))] == [repr(float(text)) for text in texts]


@st.composite
def timestamps(draw) -> str:
    """A log record's time: as Inspect writes it (any instant, any zone,
    microseconds or none, `Z`), or a near miss (a field out of range, a
    day the month lacks, another count of fraction digits, no zone, a
    space for the `T`)."""
    # Mostly in range, with the edges drawn often: a leap day, a century
    # year, the 60th second, the 13th month.
    year = draw(st.one_of(st.integers(1969, 2100), st.integers(1, 9999),
                          st.sampled_from([1, 1900, 2000, 2024, 2100, 9999])))
    month = draw(st.one_of(st.integers(1, 12), st.sampled_from([2, 2, 0, 13])))
    day = draw(st.one_of(st.integers(1, 28), st.sampled_from([29, 29, 30, 31, 0, 32])))
    hour = draw(st.one_of(st.integers(0, 23), st.sampled_from([24, 25])))
    minute = draw(st.one_of(st.integers(0, 59), st.just(60)))
    second = draw(st.one_of(st.integers(0, 59), st.sampled_from([59, 60, 61])))
    text = f"{year:04d}-{month:02d}-{day:02d}{draw(st.sampled_from('TT '))}{hour:02d}:{minute:02d}:{second:02d}"
    fraction = draw(st.sampled_from(["", "", "6", "6", "3", "7"]))
    if fraction:
        text += "." + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=int(fraction),
                                            max_size=int(fraction))))
    zone = draw(st.sampled_from(["+00:00", "+00:00", "Z", "-05:00", "+05:30", "+23:59", "+24:00", "-00:00", "",
                                 "+0000", "+01:60"]))
    return text + zone


@needs_c
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(timestamps(), st.booleans()), min_size=1, max_size=30))
def test_log_record_times_read_as_python_reads_them(tmp_path, monkeypatch, records):
    """A log record's time read in C is the one `datetime` reads, to the
    last bit, in every zone; any other string is Python's to read (a field
    out of range, no zone: local time), in the sample's log or the run's."""
    path = str(tmp_path / "trace-7.log")
    lines = []
    for n, (stamp, in_sample) in enumerate(records):
        sample = ', "task": "t", "sample_id": 1, "epoch": 1' if in_sample else ""
        lines.append(f'{{"timestamp": "{stamp}", "level": "HTTP", "message": "m{n}"{sample}}}'.encode())
    data = b"\n".join(lines) + b"\n"
    fast = index(path, data, FAST_FEED, monkeypatch)
    assert fast == index(path, data, None, monkeypatch)
    assert fast[0] == len(records)


EDGE_TIMES = [
    "2026-01-01T00:00:59.999999+00:00", "2026-01-01T00:00:60.000000+00:00", "2026-01-01T23:59:59Z",
    "2026-01-01T24:00:00+00:00", "2026-01-01T00:60:00+00:00", "2024-02-29T12:00:00.000001+00:00",
    "2023-02-29T12:00:00+00:00", "1900-02-29T00:00:00+00:00", "2000-02-29T00:00:00+00:00",
    "2026-04-31T00:00:00+00:00", "2026-13-01T00:00:00+00:00", "2026-00-01T00:00:00+00:00",
    "2026-12-00T00:00:00+00:00", "0000-01-01T00:00:00+00:00", "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59.999999-23:59", "1969-12-31T23:59:59.999999+00:00", "1970-01-01T00:00:00-00:00",
    "2026-11-23T05:37:25.123456+23:59", "2026-11-23T05:37:25.123456+24:00", "2026-11-23T05:37:25.123+00:00",
    "2026-11-23T05:37:25.1234567+00:00", "2026-11-23T05:37:25.123456", "2026-11-23 05:37:25.123456+00:00",
    "2026-11-23T05:37:25.123456+0000", "2026-11-23T05:37:25.123456+05:60", "2026-11-23T05:37:25.12345a+00:00",
]


@needs_c
def test_log_record_times_at_the_edges_read_as_python_reads_them(tmp_path, monkeypatch):
    """The edges of each field, one by one: a leap day in a leap year, a
    century year and a year 2000; the 60th second, the 24th hour, a 13th
    month; a zone of 23:59 and one of 24:00; three and seven fraction
    digits; no zone."""
    path = str(tmp_path / "trace-8.log")
    data = b"".join(f'{{"timestamp": "{stamp}", "level": "HTTP", "message": "m{n}"}}\n'.encode()
                    for n, stamp in enumerate(EDGE_TIMES))
    fast = index(path, data, FAST_FEED, monkeypatch)
    assert fast == index(path, data, None, monkeypatch)
    times = [event[0] for event in fast[7]]
    assert sum(isinstance(t, float) for t in times) >= 10 and sum(isinstance(t, str) for t in times) >= 10


@needs_c
def test_the_scanner_scans_ahead_on_a_thread_and_stops_when_closed(scanning):
    """A batch's worker really runs on its own thread, stops when closed
    midway, and closes twice or never (dropped) without harm; a line that
    is not bytes is left to Python, and the lines after it are read."""
    if scanning != "scanned ahead":
        pytest.skip("one way is enough")
    if sys.platform == "win32":
        pytest.skip("no pthreads: the scanner scans each line when asked")
    lines = [b'{"timestamp": "t", "level": "HTTP", "message": "m%d"}' % n for n in range(5000)]
    scanner = inspect_format.SCANNER(lines, False)
    assert scanner.threaded
    scanner.close()
    assert not scanner.threaded
    scanner.close()
    inspect_format.SCANNER(lines, True)  # dropped at once, its worker running
    mixed = lines[:3000] + [bytearray(b"not json")] + lines[:10]
    decoder = InspectDecoder(Store(), "/tmp/trace-9.log")
    decoder.feed_run(mixed, 0)
    # every line, the bytearray too (not JSON: a bad line), in order
    assert decoder.records == 3010 and decoder.bad_lines == 1
    assert [e.message for e in decoder.run.events][2998:3002] == ["m2998", "m2999", "m0", "m1"]


@needs_c
def test_a_scanner_asked_for_lines_again_scans_them_anew(tmp_path, scanning):
    """`feed` asks a scanner for its lines in order; asked again from the
    start (lines its ring has since written over), it scans them anew, and
    the lines apply as they do without it."""
    if scanning != "scanned ahead":
        pytest.skip("one way is enough")
    path = tmp_path / "trace-10.log"
    # log records of a sample's, all of which C takes: a pass reads them all
    lines = [b'{"timestamp": "2026-11-23T05:37:%02d.%06d+00:00", "level": "HTTP", "message": "m%d", '
             b'"task": "t", "sample_id": %d, "epoch": 1}' % (n % 60, n, n, n % 7) for n in range(5000)]

    def twice(scanner_of) -> tuple:
        decoder = InspectDecoder(Store(), str(path))
        decoder.now = lambda: 1.9e9
        context = decoder._fast_context()
        scanner = scanner_of(lines)
        done = [FAST_FEED(context, lines, 0, 0, False, scanner)[:2] for _ in range(2)]
        if scanner is not None:
            scanner.close()
        return done, state(decoder)

    scanned = twice(lambda lines: inspect_format.SCANNER(lines, False))
    assert scanned[0] == [(5000, sum(len(line) + 1 for line in lines))] * 2
    assert scanned == twice(lambda lines: None)


def _sample_lines(keys: list[tuple[bytes, bytes, bytes]]) -> bytes:
    """An enter and its exit for each (task, sample_id, epoch), spelled as
    given (raw JSON; b"" leaves the field out), each action in its own
    sample's round: every key's enter, then every key's exit."""
    def fields(task: bytes, sample_id: bytes, epoch: bytes) -> bytes:
        out = b""
        for name, raw in ((b"task", task), (b"sample_id", sample_id), (b"epoch", epoch)):
            if raw:
                out += b', "%s": %s' % (name, raw)
        return out

    enters, exits = [], []
    for n, key in enumerate(keys):
        common = (b'"timestamp": "2026-11-23T05:37:25.123456+00:00", "level": "TRACE", "message": "m", '
                  b'"action": "Tool Call", "detail": "d%d", "trace_id": "id%d"' % (n, n))
        enters.append(b'{%s, "event": "enter", "start_time": %d.5%s}' % (common, 1795412244 + n, fields(*key)))
        exits.append(b'{%s, "event": "exit", "duration": 0.25%s}' % (common, fields(*key)))
    return b"\n".join(enters + exits) + b"\n"


@needs_c
def test_a_line_finds_its_sample_however_its_key_is_spelled(tmp_path, monkeypatch):
    """C finds a line's sample among those lately named by the key's bytes
    in the line (`KeyCache`). Spellings of one key (an escaped string,
    `-0`) find the one sample; a string and an int of the same digits are
    two; thousands of samples in turn push each other out of the cache;
    and each line's sample is the one Python finds."""
    path = str(tmp_path / "trace-11.log")
    spellings = [(b'"t"', b'"1"', b"1"), (b'"t"', b"1", b"1"), (b'"t"', b'"\\u0031"', b"1"),
                 (b'"t"', b"0", b"1"), (b'"t"', b"-0", b"1"), (b'"t"', b'"1"', b""), (b"", b'"1"', b"1"),
                 (b'"\\u0074"', b'"1"', b"1"), (b'"t"', b'"' + b"x" * 120 + b'"', b"1")]
    many = [(b'"t%d"' % (n % 3), b'"s%d"' % n, b"%d" % (n % 2 + 1)) for n in range(3000)]
    # A sample first named as -0: its id says 0, as Python's does.
    data = _sample_lines(spellings * 3 + [(b'"t"', b"-0", b"2")] + many + many[::-1])
    python = index(path, data, None, monkeypatch, cuts=[500, 4000])
    assert index(path, data, FAST_FEED, monkeypatch, cuts=[500, 4000]) == python
    assert index(path, data, FAST_FEED, monkeypatch, cuts=[500, 4000], in_place=True) == python
    samples = python[14]  # the decoder's samples (`state`)
    assert len(samples) == 3000 + 7  # "1" and 1, 0 (and -0), no epoch, no task, the long id, "1" of task "t",
    # 0 of epoch 2

    decoder = InspectDecoder(Store(), path)
    decoder.feed_run(data.split(b"\n")[:-1], 0)
    hits, misses = decoder._sample_cache.counts
    # The last named found there; the first, pushed out since, through the dict.
    assert hits > 1000 and misses > len(samples) + 1000
    assert decoder._sample_cache.size == 1024  # grown to its most for so many samples in turn

    few = InspectDecoder(Store(), path)
    few.feed_run(_sample_lines(spellings * 20).split(b"\n")[:-1], 0)
    assert few._sample_cache.size == 32  # a log of a few samples keeps a small one
    # Found there each time but the first: the six keys it holds (escaped
    # strings and an id longer than SAMPLE_KEY_MAX go through the dict).
    assert few._sample_cache.counts[0] == 6 * (20 - 1)


@needs_c
@pytest.mark.parametrize("base", [0, 2**22, 2**41, 2**42 - 3000],
                         ids=["at the start", "past 4 MiB", "past 2 TiB", "where packing ends"])
def test_offsets_far_into_a_file_are_packed_as_python_packs_them(base, monkeypatch):
    """A span's two byte offsets, packed by C in the span's own cell
    (`packed_in_cell`, `_span.h`), are `pack_offset`'s however far into the
    file the lines are: past 64 bits once the second offset passes 4 MiB,
    and as a tuple past `OFFSET_BITS`."""
    path = LOGS[0]
    data = read(path)
    lines = data.split(b"\n")[:-1]

    def fed(fast) -> InspectDecoder:
        monkeypatch.setattr(inspect_format, "FAST_FEED", fast)
        decoder = InspectDecoder(Store(), path)
        decoder.now = lambda: 1.9e9
        decoder.feed_run(lines, base)
        return decoder

    python, c = fed(None), fed(FAST_FEED)
    assert state(c) == state(python)
    closed = [span for span in c.run.spans.values() if len(span.locators) == 2]
    assert closed, "the log closes actions"
    for span in closed:
        first, second = span.locators
        assert base <= first < second < base + len(data)
        assert data[second - base - 1] == ord("\n"), "the exit's line starts there"


@needs_c
def test_a_replaced_file_is_read_with_its_own_samples(tmp_path, monkeypatch):
    """A file replaced (`reset`) names the same samples anew: its actions
    hang under the new run's sample nodes, not under those of the run
    dropped (which C would still find among the samples lately named)."""
    path = str(tmp_path / "trace-12.log")
    data = _sample_lines([(b'"t"', b'"s%d"' % n, b"1") for n in range(40)])
    lines = data.split(b"\n")[:-1]

    def read_twice(fast) -> tuple:
        monkeypatch.setattr(inspect_format, "FAST_FEED", fast)
        decoder = InspectDecoder(Store(), path)
        decoder.now = lambda: 1.9e9
        decoder.feed_run(lines, 0)
        decoder.reset()
        decoder.feed_run(lines, 0)
        return state(decoder)

    python = read_twice(None)
    assert len(python[14]) == 40  # the second reading's samples (`state`)
    assert read_twice(FAST_FEED) == python


@needs_c
def test_details_are_shared_as_python_shares_them(tmp_path, monkeypatch):
    """C finds an enter's detail among the strings lately shared by the
    detail's bytes in the line (`KeyCache`): each span holds the very
    string Python's would (the shared copy, or one of its own where Python
    keeps none: escaped, too long, or once `_shared` is full), and the
    shared strings are the same, in the same order."""
    path = str(tmp_path / "trace-13.log")
    details = [b"generate (openai/gpt-4o)", b"\\u0067enerate (openai/gpt-4o)", b"caf\\u00e9",
               b"x" * (inspect_format.SHARED_MAX_LEN + 1), b"x" * inspect_format.SHARED_MAX_LEN,
               b"bash(command='ls')", b"generate (openai/gpt-4o)", b"late one", b"late two"]
    lines = []
    for n, detail in enumerate(details * 4):
        common = (b'"timestamp": "2026-11-23T05:37:25.123456+00:00", "level": "TRACE", "message": "m", '
                  b'"action": "Model", "detail": "%s", "trace_id": "id%d", "task": "t", "sample_id": %d'
                  % (detail, n, n % 3))
        lines.append(b'{%s, "event": "enter", "start_time": %d.5}' % (common, 1795412244 + n))
    data = b"\n".join(lines) + b"\n"
    monkeypatch.setattr(inspect_format, "SHARED_MAX_ENTRIES", 5)  # "late one" and "late two" are not held

    def sharing(fast) -> tuple:
        monkeypatch.setattr(inspect_format, "FAST_FEED", fast)
        decoder = InspectDecoder(Store(), path)
        decoder.now = lambda: 1.9e9
        decoder.feed_run(data.split(b"\n")[:-1], 0)
        spans = [s for s in decoder.run.spans.values() if not s.synthetic]
        first_holder = {}
        # Which spans hold one and the same string object, and whether it is the shared one.
        held = [(first_holder.setdefault(id(s.detail), s.id), decoder._shared.get(s.detail) is s.detail)
                for s in spans]
        return state(decoder), held, decoder

    python, python_held, _ = sharing(None)
    c, c_held, decoder = sharing(FAST_FEED)
    assert c == python
    assert c_held == python_held
    # Held: "generate (openai/gpt-4o)" (three spellings), "café",
    # SHARED_MAX_LEN x's, "bash(command='ls')" and "late one", in each of
    # the four rounds.
    assert sum(shared for _, shared in python_held) == 7 * 4
    # Found by their bytes: the unescaped held ones but the first time
    # ("generate" twice a round, SHARED_MAX_LEN x's, "bash", "late one");
    # "late two", which is not held, never.
    assert decoder._text_cache.counts == (1 + 3 * 5, 5 + 3)


@needs_c
def test_sample_log_records_are_shared_as_python_shares_them(tmp_path, monkeypatch):
    """C finds the text of a sample's log record (what follows its
    `task=… sample=… epoch=…` line) among those lately shared, by its bytes
    in the line (`KeyCache`): only where the line plainly starts so (no
    escape before its first `\\n`); never a sample's error, which at a level
    other than TRACE is Python's; each record holds the very string
    Python's would, and the shared strings are the same, in order."""
    path = str(tmp_path / "trace-14.log")
    http = b'POST https://api.openai.com/v1/responses \\"HTTP/1.1 200 OK\\"'
    error = b"Sample error (id: 3, epoch: 1): boom"
    messages = [(b"TRACE", b"task=t sample=1 epoch=1\\n" + http),
                (b"HTTP", b"sample=2 epoch=1\\n" + http),
                (b"TRACE", b"\\u0074ask=t sample=1 epoch=1\\n" + http),  # an escape in the first words
                (b"TRACE", b"task=t sample=\\\"1\\\"\\n" + http),  # an escape before the newline
                (b"TRACE", b"task=a\\\\nb\\n" + http),  # a backslash, then n: no newline
                (b"TRACE", b"task=t sample=3 epoch=1\\n" + error),  # taken, not kept
                (b"ERROR", b"task=t sample=3 epoch=1\\n" + error),  # Python's
                # too long to share
                (b"INFO", b"task=t sample=1 epoch=1\\n" + b"y" * (inspect_format.SHARED_MAX_LEN + 1)),
                (b"INFO", b"task=t sample=1 epoch=1\\nlate"),  # not held: `_shared` is full by then
                (b"INFO", b"no sample line\\n" + http)]
    lines = []
    for n, (level, text) in enumerate(messages * 3):
        lines.append(b'{"timestamp": "2026-11-23T05:37:25.%06d+00:00", "level": "%s", "message": "%s", '
                     b'"task": "t", "sample_id": %d, "epoch": 1}' % (n, level, text, n % 4))
    data = b"\n".join(lines) + b"\n"
    monkeypatch.setattr(inspect_format, "SHARED_MAX_ENTRIES", 2)  # the HTTP line and the error

    def sharing(fast) -> tuple:
        monkeypatch.setattr(inspect_format, "FAST_FEED", fast)
        decoder = InspectDecoder(Store(), path)
        decoder.now = lambda: 1.9e9
        decoder.feed_run(data.split(b"\n")[:-1], 0)
        records = [e for s in decoder.run.spans.values() for e in s.events or ()]
        first_holder = {}
        held = [(first_holder.setdefault(id(e.message), n), decoder._shared.get(e.message) is e.message)
                for n, e in enumerate(records)]
        return state(decoder), held, decoder

    python, python_held, _ = sharing(None)
    c, c_held, decoder = sharing(FAST_FEED)
    assert c == python
    assert c_held == python_held
    assert len(python_held) == 10 * 3
    assert sum(shared for _, shared in python_held) == 7 * 3  # the HTTP line five ways, the error twice
    # Looked for by their bytes: the HTTP line after two plain sample lines
    # (found each time but the first), the error (never kept) and "late"
    # (not held); the too long one is not looked for.
    assert decoder._message_cache.counts == (2 * 3 - 1, 1 + 3 * 3)


def _column_values(typecode: str):
    """What an append may be given: numbers in and out of a kind's range,
    floats for ints, bools, and things that are no number."""
    ints = st.one_of(st.integers(-2**64, 2**64), st.integers(0, 2**32 + 1), st.booleans())
    other = st.one_of(st.floats(allow_nan=False), st.text(max_size=2), st.none())
    return st.one_of(ints, other) if typecode != "d" else st.one_of(st.floats(), ints, st.text(max_size=2))


@needs_c
@settings(max_examples=300, deadline=None)
@given(st.sampled_from("dqI").flatmap(lambda code: st.tuples(
    st.just(code), st.lists(_column_values(code), max_size=40),
    st.lists(st.one_of(st.integers(-45, 45), st.tuples(st.one_of(st.none(), st.integers(-45, 45)),
                                                      st.one_of(st.none(), st.integers(-45, 45)),
                                                      st.one_of(st.none(), st.integers(-4, 4).filter(bool)))),
             max_size=10))))
def test_a_column_reads_as_an_array_does(case):
    """A log's `Column` (C's, `_column.h`) stands where an array was: each
    append keeps or refuses a value as `array.append` does (the same
    error), and its length, items, slices (a Column of the same kind),
    iteration and `tolist` read the same numbers, of the same types."""
    from array import array

    from tracetui._fastindex import Column

    code, values, keys = case
    column, expected = Column(code), array(code)
    for value in values:
        try:
            expected.append(value)
        except (TypeError, OverflowError) as exc:
            with pytest.raises(type(exc)):
                column.append(value)
        else:
            column.append(value)
    assert len(column) == len(expected) and column.typecode == code

    def same(a, b) -> bool:
        return [(type(x), repr(x)) for x in a] == [(type(x), repr(x)) for x in b]

    assert same(column.tolist(), expected.tolist()) and same(list(column), list(expected))
    for key in keys:
        if isinstance(key, tuple):
            part = column[slice(*key)]
            assert type(part) is Column and part.typecode == code
            assert same(part.tolist(), expected[slice(*key)].tolist())
        elif -len(expected) <= key < len(expected):
            assert same([column[key]], [expected[key]])
        else:
            with pytest.raises(IndexError):
                column[key]


@needs_c
@pytest.mark.parametrize("fast", [True, False], ids=["C", "Python"])
def test_the_samples_are_filed_under_the_keys_their_states_hold(tmp_path, monkeypatch, fast):
    """Where C is built the decoder's samples are a `SpanIndex` of their
    states, each holding its (task, sample_id, epoch), and a sample's node
    reads its attributes from its state: no tuple, no dict entry a sample.
    Found by an equal key as a dict finds it; once its run is released,
    the node reads its attributes, name and id from a tuple of the key and
    no longer from the state (the state holds the node: a cycle the frozen
    GC would never collect), making nothing it did not hold before."""
    from tracetui.model import SpanIndex
    from tracetui.store import release

    path = tmp_path / "trace-1.log"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_inspect.py"), str(path),
                    "--lines", "3000", "--seed", "5", "-q"], check=True)
    monkeypatch.setattr(inspect_format, "FAST_FEED", FAST_FEED if fast else None)
    decoder = InspectDecoder(Store(), str(path))
    decoder.feed_run(path.read_bytes().split(b"\n")[:-1], 0)
    samples = decoder._samples
    assert type(samples) is SpanIndex and len(samples) > 10
    for key, state in samples.items():
        assert state.key == key and samples[key] is state
        node = state.node
        assert node.attributes == {"task": key[0], "sample_id": key[1], "epoch": key[2]}
        assert any(o is state for o in node._held())
        assert not any(type(o) is dict or o == key for o in node._held())
    task, sample_id, epoch = next(iter(samples))
    assert samples.get((task, float(sample_id), epoch)) is samples[(task, sample_id, epoch)]
    assert samples.get((task, str(sample_id), epoch)) is None
    with pytest.raises(ValueError):
        samples[(task, sample_id, -1)] = samples[(task, sample_id, epoch)]
    nodes = [state.node for state in samples.values()]
    before = [(node.id, node.name, node.attributes, sys.getsizeof(node), node._extra) for node in nodes]
    release(decoder.run)
    assert [(node.id, node.name, node.attributes, sys.getsizeof(node), node._extra) for node in nodes] == before
    for node in nodes:
        assert type(node.attributes) is dict
        assert not any(type(o).__name__ == "SampleState" for o in node._held())
