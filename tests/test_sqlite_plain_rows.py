"""C's plain rows of a generic SQLite table (`_tablerows.h`) against Python's `_row`.

C makes the spans of the rows most tables are made of and leaves any other
row to Python. Whatever the table, the two must read it the same: every
span's fields, its place in the tree, the runs' times and anomalies, the
counts and notes. Hypothesis writes the tables, mixing plain rows with
every kind of cell C must leave to Python.
"""

from __future__ import annotations

import gc
import json
import math
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tracetui.formats.inspect as inspect_format
from tracetui.sources.sqlite import open_sqlite
from tracetui.store import Store, release

#: C's, as imported (each read below sets the one decoders take).
PLAIN_ROWS = inspect_format.FAST_TABLE_ROWS

pytestmark = pytest.mark.skipif(PLAIN_ROWS is None, reason="the C accelerator is not built")

T0 = 1_795_412_244.0

# Mostly what C reads (REAL epoch seconds, a few equal ones), so that rows
# are plain in every cell but one as often as not.
plain_times = st.one_of(st.sampled_from([T0, T0 + 1, T0 + 2.5]), st.floats(T0, T0 + 100, allow_nan=False))
odd_times = st.sampled_from([
    None, float("nan"), float("inf"), T0 * 1000,                 # no time, not a number, milliseconds
    1e11, -1e11, 2.5, int(T0), "2026-11-30T10:00:00Z", "soon",   # the bounds, a small number, not REAL
])
times = st.one_of(plain_times, plain_times, plain_times, odd_times)
#: Cells C leaves to Python, by column.
ODD = {
    "id": st.sampled_from([None, "", 7, "repeated"]),
    "parent": st.sampled_from(["missing", 3, "itself", "later"]),
    "run": st.sampled_from(["t2", None, "", 5]),
    "name": st.sampled_from(["", 9]),
    "start": odd_times,
    "end": odd_times,
    "status": st.sampled_from(["error", "running", "cancelled", "OK", "weird", "", 2, 0]),
    "kind": st.sampled_from([None, "", 4]),
    "duration": st.sampled_from(["2.5", b"x", True, float("nan"), float("inf"), 2**60, -2**60]),
    # not a JSON object's text: a list, a string, not JSON, bytes, a number
    "attributes": st.sampled_from(['[1, 2]', '"quoted"', '{"unclosed": 1', "plain text", "", b'{"a": 1}', 7,
                                   '{"big": 1e999}', ' {"space": 1}']),
}


#: JSON objects of any shape, which a row's attributes cell may hold as
#: text (`_attrtext.h`): held as their text or as the dict, read the same.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**64 - 1) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40) | st.sampled_from(["gpt-4.1-mini", "x" * 300, "é\u2028\x00\"\\"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
json_objects = st.dictionaries(st.text(max_size=12), json_values, max_size=8)


@st.composite
def rows(draw) -> list[tuple]:
    """A table: rows of spans plain to C but, one row in two, for one odd
    cell (a repeated id, a parent not written yet or never, another run, a
    time not in REAL seconds, a status not ok...)."""
    table: list[tuple] = []
    for k in range(draw(st.integers(0, 40))):
        written = [row[0] for row in table if isinstance(row[0], str) and row[0]]
        cells = {
            "id": f"s{k}",
            "parent": draw(st.sampled_from([None, None, ""] + written[-3:])),
            "run": "t1",
            "name": draw(st.sampled_from(["llm", "tool", None])),
            "start": draw(plain_times),
            "end": draw(plain_times),
            "status": draw(st.sampled_from(["ok", "success", None])),
            "kind": draw(st.sampled_from(["llm", "chain"])),
            "duration": draw(st.one_of(st.just(None), st.sampled_from([0, 1, 1500, -3, 2**53]),
                                       st.floats(-10, 5000, allow_nan=False))),
            "attributes": draw(st.one_of(
                st.sampled_from([None, '{}', '{"model": "m", "tokens": 3}', '{"n": {"x": [1, null]}}',
                                 '{"k": NaN}', '{"model": "m"}']),
                json_objects.map(lambda obj: json.dumps(obj, ensure_ascii=draw(st.booleans()))))),
        }
        odd = draw(st.sampled_from([None] * len(ODD) + list(ODD)))
        if odd is not None:
            cells[odd] = draw(ODD[odd])
            if cells[odd] == "repeated":
                cells[odd] = draw(st.sampled_from(written)) if written else None
            elif cells[odd] == "itself":
                cells[odd] = cells["id"]
            elif cells[odd] == "later":
                cells[odd] = f"s{k + 1}"
        table.append(tuple(cells.values()))
    return table

COLUMNS = ("span_id", "parent_id", "trace_id", "name", "start_time", "end_time", "status", "kind", "duration",
           "attributes")


def _write(path: str, table: list[tuple], kind: bool, run: bool = True, duration: str | None = None,
           attributes: bool = False) -> None:
    """The table, with or without its kind, run and attributes columns, and
    a duration column under the name given (its unit), or none."""
    con = sqlite3.connect(path)
    kept = [k for k, column in enumerate(COLUMNS) if (kind or column != "kind") and (run or column != "trace_id")
            and (duration or column != "duration") and (attributes or column != "attributes")]
    names = [duration if COLUMNS[k] == "duration" else COLUMNS[k] for k in kept]
    con.execute(f"CREATE TABLE spans ({', '.join(names)})")
    con.executemany(f"INSERT INTO spans VALUES ({', '.join('?' * len(kept))})",
                    [tuple(row[k] for k in kept) for row in table])
    con.commit()
    con.close()


def _same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def _read(path: str, plain, monkeypatch, max_rows: int | None) -> tuple:
    """Everything a read made, to compare."""
    monkeypatch.setattr(inspect_format, "FAST_TABLE_ROWS", plain)
    store = Store()
    source = open_sqlite(path, store)
    if max_rows is None:
        source.poll()
    else:
        while True:
            source.poll(max_rows=max_rows)
            if not source.behind:
                break
    runs = {}
    for run in store.runs.values():
        spans = [(s.id, s.name, s.kind, s.status, repr(s.start), repr(s.duration), type(s).__name__,
                  s.parent.id if s.parent else None, s.orphan, repr(s.origin), s.locators, s.detail, s.attributes,
                  s.synthetic, [c.id for c in s.children or ()]) for s in run.spans.values()]
        runs[run.id] = (spans, [s.id for s in run.roots], repr(run.first_time), repr(run.last_time),
                        {b: sorted(run.anomalies.bucket(b)) for b in ("running", "cancelled", "errors", "timeouts")})
    decoder = source.decoder
    return runs, decoder.records, decoder.skipped, decoder.rows_read.held, dict(decoder.open_rows), \
        list(decoder.notes), sorted(decoder._names), sorted(decoder._values)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=rows(), kind=st.booleans(), run=st.booleans(),
       duration=st.sampled_from([None, "duration", "duration_ms", "latency_ns"]), attributes=st.booleans(),
       max_rows=st.sampled_from([None, 3]))
def test_c_reads_any_table_as_python_does(tmp_path_factory, monkeypatch, table, kind, run, duration, attributes,
                                          max_rows):
    path = str(tmp_path_factory.mktemp("plain") / "spans.db")
    _write(path, table, kind, run, duration, attributes)
    c_read = _read(path, PLAIN_ROWS, monkeypatch, max_rows)
    python_read = _read(path, None, monkeypatch, max_rows)
    assert c_read == python_read


@pytest.mark.parametrize("plain", [PLAIN_ROWS, None], ids=["C", "Python"])
def test_repeated_attribute_values_are_held_once(tmp_path, monkeypatch, plain):
    """A value repeated in every row's attributes (a model's name) is one
    str for all the spans, however each row's JSON made it; one longer
    than 255 characters, or nested, is each row's own. (As dicts: C holds
    these rows' attributes as their texts otherwise, below.)"""
    monkeypatch.setattr(inspect_format, "ATTRIBUTE_TEXTS", None)
    path = str(tmp_path / "spans.db")
    attributes = '{"model": "gpt-4.1-mini", "tokens": 3, "long": "%s", "n": {"deep": "gpt-4.1-mini"}}' % ("x" * 300)
    _write(path, [(f"s{k}", None, "t1", "llm", 1.0 + k, 2.0 + k, "ok", "llm", None, attributes) for k in range(50)],
           kind=True, attributes=True)
    monkeypatch.setattr(inspect_format, "FAST_TABLE_ROWS", plain)
    store = Store()
    open_sqlite(path, store).poll()
    spans = list(store.runs["t1"].spans.values())
    assert len(spans) == 50 and all(s.attributes["tokens"] == 3 for s in spans)
    models = [s.attributes["model"] for s in spans]
    assert models[0] == "gpt-4.1-mini" and all(m is models[0] for m in models)
    assert len({id(s.attributes["long"]) for s in spans}) == 50
    assert len({id(s.attributes["n"]["deep"]) for s in spans}) == 50


def test_c_makes_the_plain_rows_spans(tmp_path, monkeypatch):
    """A table of plain rows is C's to read (but the first row of each
    batch and each run's first, which Python reads): the spans it makes
    are nested, timed, named and counted as Python's are."""
    calls = []

    def counted(context, rows, i):
        taken = PLAIN_ROWS(context, rows, i)
        calls.append(taken)
        return taken

    path = str(tmp_path / "spans.db")
    table = [("root", None, "t1", "agent", T0, T0 + 10, "ok", "chain")]
    table += [(f"s{i}", "root" if i % 3 else None, "t1", "llm" if i % 2 else "tool", T0 + i, T0 + i + 0.5, None,
               "llm") for i in range(1, 200)]
    table += [("x", "root", "t1", "late", T0 + 1, T0 + 0.5, "success", "llm")]  # ended before it began
    _write(path, table, kind=True)
    c_read = _read(path, counted, monkeypatch, None)
    assert sum(calls) == 200  # every row but the first
    assert c_read == _read(path, None, monkeypatch, None)
    spans = c_read[0]["t1"][0]
    assert spans[-1][5] == "None"  # a negative duration is held as None, as Python holds it


# -- attributes held as their JSON text (`_attrtext.h`) ------------------------------

TEXTS = inspect_format.ATTRIBUTE_TEXTS


def _text_readers() -> int:
    """Texts held by spans, and stores' owners, in the whole process."""
    gc.collect()
    return TEXTS._stores()[2]


@pytest.mark.parametrize("plain", [PLAIN_ROWS, None], ids=["C", "Python"])
def test_attributes_are_held_as_their_text_where_that_takes_less(tmp_path, monkeypatch, plain):
    """A row's small attributes object is held as its JSON text and read as
    a new, equal dict each time; a row whose values are long strings held
    once for the table keeps its dict, as does a text past 65,535 bytes.
    The texts go with the spans that hold them. C's plain rows and
    Python's `_row` hold the same."""
    monkeypatch.setattr(inspect_format, "FAST_TABLE_ROWS", plain)
    before = _text_readers()
    shared = ["model-%d-" % k + "m" * 200 for k in range(3)]  # held once for the table
    small = '{"model": "gpt-4.1-mini", "tokens": 812, "t": 0.2, "tag": "\u00e9\u2028"}'
    table = [("root", None, "t1", "agent", T0, T0 + 10, "ok", "chain", None, None)]
    table += [(f"s{k}", "root", "t1", "llm", T0 + k, T0 + k + 1, "ok", "llm", None,
               small if k % 3 == 0 else json.dumps(dict(zip("abc", shared))) if k % 3 == 1 else
               json.dumps({"prompt": "p" * 70_000, "k": k})) for k in range(1, 31)]
    path = str(tmp_path / "spans.db")
    _write(path, table, kind=True, duration=None, attributes=True)
    store = Store()
    source = open_sqlite(path, store)
    source.poll()
    spans = {s.id: s for s in store.runs["t1"].spans.values()}
    as_text = [s for s in spans.values() if s.attributes is not None and s.attributes is not s.attributes]
    assert {s.id for s in as_text} == {f"s{k}" for k in range(1, 31) if k % 3 == 0}
    for k in range(1, 31):
        assert spans[f"s{k}"].attributes == json.loads(table[k][-1])
    assert spans["s3"].attributes["tag"] == "\u00e9\u2028"
    assert _text_readers() == before + len(as_text) + 1  # and the decoder's store, held by it
    # A span given attributes anew lets its text go.
    spans["s3"].attributes = {"replaced": True}
    assert spans["s3"].attributes == {"replaced": True} and _text_readers() == before + len(as_text)
    # Released and dropped, the spans let their texts go, and the store goes.
    release(store.runs["t1"])
    del spans, as_text, source, store
    assert _text_readers() == before


def test_attributes_held_as_text_read_back_as_parsed(tmp_path):
    """Any JSON object's text, held, reads back equal to what orjson made
    of it: numbers, escapes, non-ASCII, nesting."""
    import orjson

    from tracetui.model import Span

    texts = TEXTS(orjson.loads)

    @settings(max_examples=300, deadline=None)
    @given(obj=json_objects, ascii_only=st.booleans())
    def check(obj, ascii_only):
        text = json.dumps(obj, ensure_ascii=ascii_only)
        span = Span("s", "n")
        try:
            expected = orjson.loads(text)
        except orjson.JSONDecodeError:  # (an int past 64 bits: the decoder reads it in Python)
            return
        held = texts.hold(span, text)
        assert held == (len(text.encode()) <= 0xFFFF)
        assert span.attributes == expected and _same_floats(span.attributes, expected)

    check()
    # A str no UTF-8 spells (a lone surrogate) is not held, and nothing changes.
    span = Span("s", "n")
    span.attributes = {"kept": 1}
    assert texts.hold(span, '{"a": "\ud800"}') is False
    assert texts.hold(span, '{"a": "\ud800"}', {}) is False
    assert span.attributes == {"kept": 1}


def _same_floats(a, b) -> bool:
    """Equal, and each float the same float (-0.0 and 0.0 compare equal)."""
    if isinstance(a, float):
        return isinstance(b, float) and repr(a) == repr(b)
    if isinstance(a, dict):
        return all(_same_floats(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return all(_same_floats(x, y) for x, y in zip(a, b))
    return type(a) is type(b)


def test_a_row_read_again_replaces_its_text(tmp_path, monkeypatch):
    """A span still open when read, its row ended later with other
    attributes, reads the new ones; its old text is let go. Read again
    unchanged on every change of the table meanwhile, it writes its text
    no more (a long-running span of a live table wrote it at every
    change)."""
    monkeypatch.setattr(inspect_format, "FAST_TABLE_ROWS", PLAIN_ROWS)
    path = str(tmp_path / "spans.db")
    table = [("root", None, "t1", "agent", T0, T0 + 10, "ok", "chain", None, None),
             ("a", "root", "t1", "llm", T0, T0 + 1, "ok", "llm", None, '{"n": 1}'),
             ("b", "root", "t1", "llm", T0, None, "running", "llm", None, '{"n": 2}')]
    _write(path, table, kind=True, attributes=True)
    store = Store()
    source = open_sqlite(path, store)
    source.poll()
    run = store.runs["t1"]
    assert run.spans["a"].attributes == {"n": 1} and run.spans["b"].attributes == {"n": 2}
    written = TEXTS._stores()[3]
    con = sqlite3.connect(path)
    for k in range(5):  # other rows, without attributes: `b`'s row is read again each time
        con.execute("INSERT INTO spans VALUES (?, 'root', 't1', 'llm', ?, ?, 'ok', 'llm', NULL)",
                    (f"c{k}", T0, T0 + 1))
        con.commit()
        while source.poll():
            pass
    assert len(run.spans) == 8 and run.spans["b"].status == "running"
    assert TEXTS._stores()[3] == written
    con.execute("UPDATE spans SET end_time = ?, status = 'ok', attributes = ? WHERE span_id = 'b'",
                (T0 + 2, '{"n": 3, "done": true}'))
    con.commit()
    con.close()
    while source.poll():
        pass
    assert run.spans["b"].attributes == {"n": 3, "done": True} and run.spans["b"].status == "ok"
    assert run.spans["a"].attributes == {"n": 1}
