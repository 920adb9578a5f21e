"""The C accelerator of the anomaly scan (`tracetui/_fastfold.c`) folds
exactly as the pure-Python fold does: on real Inspect lines, and on those
lines mutated byte by byte into everything a JSON reader can trip on
(escapes, surrogates, exponents, repeated or escaped keys, control
characters, non-ASCII, nesting, truncation, lines joined or split by a CR)."""

from __future__ import annotations

import gzip
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracetui import fastscan

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sample_traces")


def real_lines() -> list[bytes]:
    """Lines Inspect wrote (sample_traces/make_inspect.py): every shape it
    writes, enters and exits paired and not, errors, cancels, messages."""
    lines = []
    for name in ("hung.log", "cancelled.log.gz", "mixed.log.gz"):
        path = os.path.join(SAMPLES, "inspect", name)
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rb") as f:
            lines += f.read().splitlines()
    return lines


REAL = real_lines()
#: The accelerator as built (None where it is not): the tests set and unset
#: `fastscan._fastfold` to fold with and without it.
fastscan_fastfold = fastscan._fastfold

#: Fragments that sit on the accelerator's every rule.
FRAGMENTS = [b'\\u0061', b'\\ud800', b'\\udc00', b'\\u00e9', b'\\"', b'\\\\', b'\\x', b'\\', b'"',
             b', "action": "Tool Call"', b', "trace_id": "dup"', b', "event": "exit"',
             b', "event": "enter"', b', "duration": 1', b', "duration": 1.5', b', "duration": 1e3',
             b', "duration": null', b', "start_time": "5"', b', "start_time": 2.0', b', "error": null',
             b', "error_type": "E"', b', "stacktrace": "s"', b', "detail": 7', b', "\\u0061ction": "x"',
             b', "message": "again"', b', "level": 5', b', "x": [1, {"y": [true, false, null]}]',
             b', "deep": ' + b"[" * 40 + b"]" * 40, b'1' * 50, b'-0', b'01', b'1.', b'.5', b'NaN',
             b'Infinity', b'\r', b'\t', b'\x00', b'\x1f', b'\x7f', b'\xc3\xa9', b'\xff', b'\xed\xa0\x80',
             b' ', b'  ', b'{', b'}', b'[', b']', b',', b':', b'\n', b'\r\n', b'tru', b'nul']


@st.composite
def mutated_line(draw) -> bytes:
    line = bytearray(draw(st.sampled_from(REAL)))
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.sampled_from(["insert", "replace", "delete", "truncate", "duplicate"]))
        at = draw(st.integers(0, len(line)))
        if how == "insert":
            line[at:at] = draw(st.sampled_from(FRAGMENTS))
        elif how == "replace" and at < len(line):
            line[at] = draw(st.sampled_from(b'"\\{}[],: \r\t\x00\x7fu0123456789eE.-ntf\xc3\xa9'))
        elif how == "delete":
            del line[at:at + draw(st.integers(1, 8))]
        elif how == "truncate":
            del line[at:]
        else:  # a key and its value twice: `"key": value, "key": value`
            comma = line.find(b", ", at)
            nxt = line.find(b", ", comma + 2) if comma >= 0 else -1
            if nxt > comma >= 0:
                line[nxt:nxt] = line[comma:nxt]
    return bytes(line)


def fold(data: bytes, accelerated: bool, first: bool, monkeypatch) -> fastscan.ChunkResult:
    """One stretch folded, in blocks of a few lines, with or without C."""
    monkeypatch.setattr(fastscan, "_fastfold", fastscan_fastfold if accelerated else None)
    folder = fastscan.Folder(None, first=first)
    start = 0
    while start < len(data):
        end = data.find(b"\n", start + 700)
        end = len(data) if end < 0 else end + 1
        folder.feed(data[start:end], start)
        start = end
    return folder.finish()



def outcome(result: fastscan.ChunkResult) -> tuple:
    """Everything a fold says, its records parsed where kept as lines."""
    def rows(bucket):
        return [(tid, r.action, r.detail, r.start, r.duration, r.error, r.pos, r.fresh, r.sample)
                for tid, r in bucket.items()]
    return (rows(result.running), {k: rows(v) for k, v in result.buckets.items()},
            [(tid, event, pos, fastscan._as_record(rec)) for tid, event, pos, rec in result.tracked],
            result.lines, result.bad_lines, result.invalid, result.first_bad_line, result.records,
            result.last_record_time, result.lead.before_records(result.lines), result.lead.first_after)


def can_compile() -> bool:
    """A C compiler and Python's headers: what `pip install` needs to build
    the accelerator (setup.py)."""
    import shutil
    import sysconfig

    headers = os.path.join(sysconfig.get_paths()["include"], "Python.h")
    return any(shutil.which(cc) for cc in ("cc", "gcc", "clang")) and os.path.exists(headers)


@pytest.mark.skipif(not can_compile(), reason="no C compiler or Python headers: the pure-Python scan runs")
def test_the_accelerator_is_built():
    """`pip install` compiles it where it can: without it the scan is
    right but slower, and this suite would not test it."""
    assert fastscan._fastfold is not None


@pytest.mark.skipif(fastscan_fastfold is None, reason="the C accelerator is not built")
@settings(max_examples=int(os.environ.get("PARITY_EXAMPLES", 300)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(st.sampled_from(REAL), mutated_line()), min_size=1, max_size=30),
       first=st.booleans(), newline_at_end=st.booleans())
def test_the_accelerator_folds_as_python_does(lines, first, newline_at_end, monkeypatch):
    data = b"\n".join(lines) + (b"\n" if newline_at_end else b"")
    expected = outcome(fold(data, False, first, monkeypatch))
    assert outcome(fold(data, True, first, monkeypatch)) == expected


@pytest.mark.skipif(fastscan_fastfold is None, reason="the C accelerator is not built")
def test_the_accelerator_takes_the_common_lines_and_leaves_the_rest(monkeypatch):
    """Real lines are folded in C (else it would gain nothing), and a line
    it cannot be sure of is left to Python, at that line."""
    enter = next(line for line in REAL if b'"event": "enter"' in line)
    message = next(line for line in REAL if b'"action"' not in line)
    odd = enter.replace(b'"event": "enter"', b'"event": "ent\\u0065r"')  # an enter all the same
    data = b"\n".join([message, enter, odd, message]) + b"\n"
    running, seen, tracked_ids, tracked = {}, set(), set(), []
    at, index, records, stopped = fastscan_fastfold.fold(data, 0, len(data), 0, 100, running, seen, tracked_ids,
                                                         tracked, True)
    assert (index, records, stopped) == (2, 2, True)
    assert at == len(message) + len(enter) + 2  # the odd line's start
    ((tid, (line, pos, fresh)),) = running.items()
    assert line == enter and pos == 101 and fresh is True and seen == {tid}
    at, index, records, stopped = fastscan_fastfold.fold(data, at + len(odd) + 1, len(data), 3, 100, running, seen,
                                                         tracked_ids, tracked, True)
    assert (at, index, records, stopped) == (len(data), 4, 1, False)


def _edit(line: bytes, old: bytes, new: bytes) -> bytes:
    assert old in line, (old, line)
    return line.replace(old, new, 1)


ENTER = next(line for line in REAL if b'"event": "enter"' in line and b'"start_time": ' in line)
EXIT = next(line for line in REAL if b'"event": "exit"' in line and b'"duration": ' in line)
TID = ENTER.split(b'"trace_id": "')[1].split(b'"')[0]
#: The exit of ENTER's action.
CLOSE = _edit(EXIT, EXIT.split(b'"trace_id": "')[1].split(b'"')[0], TID)

#: One line for each rule the accelerator keeps (its tests above are
#: random; these are the cases random mutation seldom makes valid JSON).
EDGE_LINES = {
    "a key that matters, escaped": _edit(ENTER, b'"action"', b'"\\u0061ction"'),
    "a key escaped, not one that matters": _edit(ENTER, b'"level"', b'"lev\\u0065l"'),
    "a key repeated (the last wins)": _edit(ENTER, b'"event": "enter"', b'"event": "enter", "event": "exit"'),
    "an action that is not a string": _edit(ENTER, b'"action": "', b'"action": 5, "a": "'),
    "an exit with an error of the wrong type": _edit(CLOSE, b'"event"', b'"error": 5, "event"'),
    "an exit with an error": _edit(CLOSE, b'"event"', b'"error": "boom", "event"'),
    "an exit with a null error": _edit(CLOSE, b'"event"', b'"error": null, "event"'),
    "a duration in exponent form": _edit(CLOSE, b'"duration": ', b'"duration": 1e-05, "x": '),
    "an integer duration": _edit(CLOSE, b'"duration": ', b'"duration": 2, "x": '),
    "an event spelled with an escape": _edit(CLOSE, b'"exit"', b'"ex\\u0069t"'),
    "a trace id with an escape": _edit(ENTER, TID, TID[:3] + b"\\u0041" + TID[3:]),
    "a lone surrogate in the detail": _edit(ENTER, b'"detail": "', b'"detail": "\\ud800'),
    "nested deeper than orjson reads": _edit(ENTER, b'"level"', b'"deep": ' + b"[" * 1100 + b"]" * 1100 + b', "level"'),
    "nested, not too deep": _edit(ENTER, b'"level"', b'"deep": ' + b"[{}, " * 30 + b"1" + b"]" * 30 + b', "level"'),
    "a raw tab in a string": _edit(ENTER, b'"detail": "', b'"detail": "\t'),
    "a lone CR between two fields": _edit(ENTER, b', "level"', b',\r"level"'),
    "a huge integer": _edit(ENTER, b'"level"', b'"n": ' + b"9" * 5000 + b', "level"'),
    "UTF-8 in a string": _edit(ENTER, b'"detail": "', b'"detail": "\xc3\xa9'),
    "bad UTF-8 in a string": _edit(ENTER, b'"detail": "', b'"detail": "\xc3('),
    "a detail that is not a string": _edit(ENTER, b'"detail": "', b'"detail": 7, "d": "'),
    "a duration that is no number": _edit(CLOSE, b'"duration": ', b'"duration": "soon", "x": '),
    "a null duration": _edit(CLOSE, b'"duration": ', b'"duration": null, "x": '),
    "a start time as a string": _edit(ENTER, b'"start_time": ', b'"start_time": "5", "x": '),
    "an enter with a duration": _edit(ENTER, b'"start_time": ', b'"duration": 1.5, "start_time": '),
    "an exit with a start time": _edit(CLOSE, b'"duration": ', b'"start_time": 1.5, "duration": '),
    "a bad escape": _edit(ENTER, b'"detail": "', b'"detail": "\\x'),
    "a CRLF line": ENTER + b"\r",
    "a CR before the CRLF's": ENTER + b"\r\r",
    "trailing space": ENTER + b" ",
    "two records joined": ENTER + CLOSE,
    "no message": _edit(ENTER, b'"message"', b'"massage"'),
}


@pytest.mark.skipif(fastscan_fastfold is None, reason="the C accelerator is not built")
@pytest.mark.parametrize("first", [True, False], ids=["first stretch", "later stretch"])
@pytest.mark.parametrize("case", sorted(EDGE_LINES))
def test_the_accelerator_folds_edge_lines_as_python_does(case, first, monkeypatch):
    """Each between real enters and exits of its id: an action entered,
    closed and entered again (`fresh`), or closed first (tracked)."""
    edge = EDGE_LINES[case]
    for lines in ([ENTER, edge, CLOSE], [CLOSE, edge, ENTER], [ENTER, CLOSE, edge, ENTER, CLOSE, ENTER],
                  [edge, CLOSE, ENTER]):
        data = b"\n".join(lines) + b"\n"
        assert outcome(fold(data, True, first, monkeypatch)) == outcome(fold(data, False, first, monkeypatch))


@pytest.mark.skipif(fastscan_fastfold is None, reason="the C accelerator is not built")
@pytest.mark.parametrize("special", [b"\t", b"\xc3\xa9", b"\xc3(", b'\\"', b"\\u0041", b"\\ud800", b"\x7f", b'"',
                                     b'\t\\"', b"\x01ab\\n", b"\xff\\t"],
                         ids=["raw tab", "UTF-8", "bad UTF-8", "escaped quote", "escape", "lone surrogate",
                              "DEL", "closing quote", "raw tab then escape", "control then escape",
                              "bad byte then escape"])
def test_a_special_byte_is_found_wherever_it_falls_in_a_word(special, monkeypatch):
    """Strings are scanned sixteen (SSE2) or eight bytes at a time and the
    first byte to look at is computed from the marks: one at each offset of
    a block (and of the next), in a detail and in a trace id, is read as
    Python reads it; one of two in a block is not passed over."""
    for offset in range(34):
        padded = b"x" * offset + special
        lines = [ENTER, _edit(ENTER, b'"detail": "', b'"detail": "' + padded), CLOSE,
                 _edit(ENTER, b'"trace_id": "', b'"trace_id": "' + padded),
                 _edit(CLOSE, b'"trace_id": "', b'"trace_id": "' + padded)]
        data = b"\n".join(lines) + b"\n"
        assert outcome(fold(data, True, False, monkeypatch)) == outcome(fold(data, False, False, monkeypatch))
        if special in (b'\\"', b"\\u0041"):
            # A plain escape in a detail: the accelerator folds the line itself.
            line = lines[1] + b"\n"
            at, index, records, stopped = fastscan_fastfold.fold(line, 0, len(line), 0, 0, {}, set(), set(), [],
                                                                 False)
            assert (at, records, stopped) == (len(line), 1, False)


@pytest.mark.skipif(fastscan_fastfold is None, reason="the C accelerator is not built")
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"\n", b"\r", b"\r\n", b"x", b"{}", b"\x00", b"\xff", b"\n\n"]), max_size=60)
       .map(b"".join))
def test_split_lines_cuts_where_bytes_split_does(data):
    """The reader's memchr split gives what `data.split(b"\\n")` gives, for
    bytes, a bytearray and a view alike (empty lines, a last line without
    its newline, NULs and CRs included)."""
    expected = data.split(b"\n")
    for form in (data, bytearray(data), memoryview(data)):
        assert fastscan_fastfold.split_lines(form) == expected
