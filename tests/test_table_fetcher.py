"""SQLite's own fetcher of a table's rows (`_tablefetch.h`) against sqlite3's.

`sqlite_generic.batches` fetches a generic spans table's rows with it where
C is built: every row must be the tuple sqlite3 makes, cell for cell, and
where it cannot go on (a cell of bad UTF-8, a query it cannot ask),
sqlite3 must read on from the same row, so that no row is lost or given
twice. Hypothesis writes the tables.
"""

from __future__ import annotations

import math
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tracetui.formats.inspect as inspect_format
from tracetui.formats.sqlite_generic import batches
from tracetui.sources.sqlite import _uri, connect_readonly

TableFetcher = inspect_format.FAST_TABLE_FETCHER



def _sqlite_found() -> bool:
    """SQLite's library is where the fetcher looks for it (a Python whose
    sqlite3 has SQLite built in may have none to share: sqlite3 fetches)."""
    try:
        TableFetcher("file::memory:?mode=ro")
    except OSError as exc:
        return "not found" not in str(exc)
    return True


pytestmark = [pytest.mark.skipif(TableFetcher is None, reason="the C accelerator is not built"),
              pytest.mark.skipif(TableFetcher is not None and not _sqlite_found(),
                                 reason="SQLite's library is not found to load")]

#: Cells of every storage class, and the edges of each.
cells = st.one_of(
    st.none(),
    st.integers(-2**63, 2**63 - 1),
    st.sampled_from([0, 1, -1, 2**31, 2**53 + 1]),
    st.floats(allow_nan=False),  # (SQLite keeps NaN as NULL)
    st.sampled_from([0.0, -0.0, float("inf"), float("-inf"), 1e-310]),
    st.text(),
    st.sampled_from(["", "\x00inside", "é", "𝄞 surrogate pair", "a" * 5000]),
    st.binary(max_size=64),
)
tables = st.lists(st.tuples(cells, cells, cells), max_size=60)


def _write(path: str, table: list[tuple], bad: int | None = None) -> None:
    """The table in a new database; `bad`: the row whose third cell is text
    of bad UTF-8 (a lone surrogate's bytes, as a careless writer leaves)."""
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (a, b, c)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", table)
    if bad is not None:
        con.execute("UPDATE t SET c = CAST(X'6164EDA080' AS TEXT) WHERE rowid = ?", (bad + 1,))
    con.commit()
    con.close()


def _same(left: list[tuple], right: list[tuple]) -> bool:
    """Rows equal cell for cell, type for type (-0.0 and 0.0 told apart)."""
    def key(cell):
        return (type(cell), math.copysign(1, cell) if isinstance(cell, float) else None, cell)
    return [tuple(map(key, row)) for row in left] == [tuple(map(key, row)) for row in right]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables, after=st.integers(-1, 70), size=st.integers(1, 25))
def test_its_rows_are_sqlite3s(tmp_path_factory, table, after, size):
    """Any cells, any query: the rows, in batches of any size, are those
    sqlite3 fetches (with `str` for text, as `batches` asks it)."""
    path = str(tmp_path_factory.mktemp("fetch") / "t.db")
    _write(path, table)
    sql = "SELECT rowid, a, b, c, a = b FROM t WHERE rowid > ? ORDER BY rowid"
    con = sqlite3.connect(path)
    expected = con.execute(sql, (after,)).fetchall()
    con.close()
    fetcher = TableFetcher(_uri(path, immutable=True))
    fetcher.execute(sql, (after,))
    got: list[tuple] = []
    while rows := fetcher.fetchmany(size):
        assert len(rows) <= size
        got += rows
    assert fetcher.fetchmany(size) == []
    assert _same(got, expected)
    fetcher.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.lists(st.tuples(st.text(max_size=8), st.integers(-2**63, 2**63 - 1), st.text(max_size=8)),
                      min_size=1, max_size=40),
       data=st.data(), size=st.integers(1, 9))
def test_a_cell_of_bad_utf8_is_read_on_by_sqlite3_from_its_row(tmp_path_factory, table, data, size):
    """A cell of bad UTF-8 stops the fetcher (sqlite3 cannot decode it
    either): `batches` reads on with sqlite3 and the connection's lenient
    text, from the row it stopped at: every row once, in order, as a read
    by sqlite3 alone gives them."""
    bad = data.draw(st.integers(0, len(table) - 1))
    path = str(tmp_path_factory.mktemp("bad") / "t.db")
    _write(path, table, bad)
    conn, immutable = connect_readonly(path)
    sql = "SELECT rowid, a, b, c FROM t WHERE rowid > ? ORDER BY rowid"
    fetcher = TableFetcher(_uri(path, immutable))
    fetched = [row for rows in batches(conn, sql, (0,), size, fetcher) for row in rows]
    alone = [row for rows in batches(conn, sql, (0,), size) for row in rows]
    assert fetched == alone and len(fetched) == len(table)
    assert fetched[bad][3] == "ad\ufffd\ufffd\ufffd"
    fetcher.execute(sql, (0,))
    with pytest.raises(UnicodeDecodeError):
        while fetcher.fetchmany(size):
            pass
    fetcher.close()
    conn.close()


def test_a_query_it_cannot_ask_is_fetched_by_sqlite3(tmp_path):
    """A closed fetcher, or one asked what SQLite refuses, leaves the read
    to sqlite3, whose error (if any) is the one said."""
    path = str(tmp_path / "t.db")
    _write(path, [(1, "x", 2.5), (2, "y", None)])
    conn, _ = connect_readonly(path)
    fetcher = TableFetcher(_uri(path, immutable=True))
    fetcher.close()
    sql = "SELECT rowid, a, b, c FROM t ORDER BY rowid"
    assert [row for rows in batches(conn, sql, (), 5, fetcher) for row in rows] == [(1, 1, "x", 2.5), (2, 2, "y", None)]
    with pytest.raises(sqlite3.OperationalError):
        list(batches(conn, "SELECT nothing FROM t", (), 5, TableFetcher(_uri(path, immutable=True))))
    conn.close()


def test_it_stops_a_read_left_early_and_asks_a_query_again(tmp_path):
    """A read left after its first batch (the app's slice) ends there, and
    the same query asked again reads from the start with its new
    parameters."""
    path = str(tmp_path / "t.db")
    _write(path, [(i, str(i), float(i)) for i in range(10)])
    conn, _ = connect_readonly(path)
    fetcher = TableFetcher(_uri(path, immutable=True))
    sql = "SELECT rowid, a FROM t WHERE rowid > ? ORDER BY rowid"
    first = next(iter(batches(conn, sql, (0,), 3, fetcher)))
    assert first == [(1, 0), (2, 1), (3, 2)]
    assert [row for rows in batches(conn, sql, (7,), 3, fetcher) for row in rows] == [(8, 7), (9, 8), (10, 9)]
    with pytest.raises(ValueError):
        fetcher.execute(sql, ())  # one parameter short
    fetcher.close()
    conn.close()


def test_a_file_it_cannot_open_says_so():
    with pytest.raises(OSError):
        TableFetcher(_uri("/nonexistent/dir/t.db", immutable=False))
