"""A followed SQLite database that loses rows, is replaced, emptied or cut: read again, and every pane agrees.

QA: a spans database truncated while the TUI followed it left the run list
saying 0 spans, the tree showing its 12, and the status line's record count
stale. Deleted rows went unseen (the decoders read only rows past the last
rowid read), a file rewritten in place was not told from one appended to,
and a database made unreadable dropped its runs without telling the panes.
"""

from __future__ import annotations

import os
import shutil
import time
import sqlite3

import pytest

from headless import open_app, settle
from sqlite_fixtures import RUN_FAILED, RUN_OK, add_span, make_flujo
from tracetui.sources import sqlite as sqlite_source
from tracetui.sources.sqlite import open_sqlite
from tracetui.store import Store

NOW = 1795412400.0
SPANS = """CREATE TABLE spans (span_id TEXT {key}, parent_id TEXT, trace_id TEXT, name TEXT,
                                   start_time REAL, end_time REAL, status TEXT)"""


def span_rows(run: str, count: int) -> list[tuple]:
    """A run of `count` spans: a root, a failed step, and ok steps."""
    rows = [(f"{run}-root", None, run, "root", NOW - 100, NOW - 50, "ok"),
            (f"{run}-bad", f"{run}-root", run, f"bad_{run}", NOW - 99, NOW - 90, "error")]
    rows += [(f"{run}-{i}", f"{run}-root", run, f"step{i}", NOW - 98 + i, NOW - 97 + i, "ok")
             for i in range(count - 2)]
    return rows


def make_spans(path: str, runs: dict[str, int], wal: bool = False, key: str = "") -> None:
    """A generic spans database: `runs` maps a run id to its span count;
    `key` is what the span id column is declared with (`PRIMARY KEY`)."""
    con = sqlite3.connect(path)
    if wal:
        con.execute("PRAGMA journal_mode=WAL")
    con.execute(SPANS.format(key=key))
    for run, count in runs.items():
        con.executemany("INSERT INTO spans VALUES (?,?,?,?,?,?,?)", span_rows(run, count))
    con.commit()
    con.close()


def write(path: str, *statements: str) -> None:
    """Another process's writes: each statement committed, the connection closed."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()


def spans_of(store: Store) -> dict[str, int]:
    return {run_id: len(run.spans) for run_id, run in store.runs.items()}


def siblings(path: str) -> list[str]:
    return sorted(n for n in os.listdir(os.path.dirname(path)) if n.startswith(os.path.basename(path) + "-"))


@pytest.fixture
def followed(tmp_path):
    """A generic database of runs t1 (12 spans) and t2 (3), read once by a
    source: (path, store, source)."""
    path = str(tmp_path / "spans.db")
    make_spans(path, {"t1": 12, "t2": 3})
    store = Store()
    source = open_sqlite(path, store)
    assert source.poll() is True and spans_of(store) == {"t1": 12, "t2": 3}
    assert source.records == 15
    return path, store, source


def said_read_again(source, path: str, what: str) -> bool:
    return source.notes[-1] == f"{path}: {what}; read again"


# -- the source ----------------------------------------------------------------------------

@pytest.mark.parametrize("vacuum", [False, True], ids=["deleted", "deleted and vacuumed"])
def test_rows_deleted_are_dropped_and_the_counts_follow(followed, vacuum):
    """`DELETE FROM spans` (and VACUUM, which renumbers the rows left): the
    runs were listed with every span they had, for good."""
    path, store, source = followed
    write(path, "DELETE FROM spans WHERE trace_id = 't1' AND name <> 'root'", *(["VACUUM"] if vacuum else []))
    assert source.poll() is True
    assert spans_of(store) == {"t1": 1, "t2": 3} and source.records == 4
    assert said_read_again(source, path, sqlite_source.SHRANK)
    write(path, "DELETE FROM spans", *(["VACUUM"] if vacuum else []))
    assert source.poll() is True
    assert store.runs == {} and source.records == 0


def test_a_live_writer_clearing_its_table_is_followed(tmp_path):
    """A WAL database its writer keeps open (read `mode=ro`, asked
    `data_version`): cleared and written again, its new runs only."""
    path = str(tmp_path / "spans.db")
    make_spans(path, {"t1": 12, "t2": 3}, wal=True)
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        store = Store()
        source = open_sqlite(path, store)
        source.poll()
        assert os.path.exists(path + "-wal") and spans_of(store) == {"t1": 12, "t2": 3}
        writer.execute("DELETE FROM spans")
        writer.executemany("INSERT INTO spans VALUES (?,?,?,?,?,?,?)", span_rows("t3", 2))
        assert source.poll() is True
        assert spans_of(store) == {"t3": 2} and source.records == 2
        assert said_read_again(source, path, sqlite_source.SHRANK)
    finally:
        writer.close()


def test_a_run_deleted_mid_table_is_dropped_once_the_rows_are_counted(tmp_path):
    """Rows deleted between the first and the last read leave both in place:
    the table's count says so, soon after the change."""
    path = str(tmp_path / "spans.db")
    make_spans(path, {"t1": 4, "t2": 3, "t3": 5})
    store = Store()
    source = open_sqlite(path, store)
    source.poll()
    t1, t3 = store.runs["t1"], store.runs["t3"]
    write(path, "DELETE FROM spans WHERE trace_id = 't2'")
    assert source.poll() is True
    assert spans_of(store) == {"t1": 4, "t3": 5} and source.records == 9
    assert store.runs["t1"] is not t1 and store.runs["t3"] is not t3  # read again
    assert said_read_again(source, path, sqlite_source.SHRANK)
    assert source.poll() is False  # and then left alone


@pytest.mark.parametrize("how", ["renamed over", "copied over"])
def test_a_database_replaced_by_a_smaller_one_shows_only_what_it_holds(followed, tmp_path, how):
    """Renamed over (`os.replace`: another file) or copied over (`cp`: the
    same file, other bytes; it held rows at the rowids read, and was not
    seen at all)."""
    path, store, source = followed
    other = str(tmp_path / "other.db")
    make_spans(other, {"t1": 3, "t9": 2})
    if how == "renamed over":
        os.replace(other, path)
    else:
        shutil.copyfile(other, path)
    assert source.poll() is True
    assert spans_of(store) == {"t1": 3, "t9": 2} and source.records == 5
    assert set(store.runs["t1"].spans) == {"t1-root", "t1-bad", "t1-0"}
    what = sqlite_source.REPLACED if how == "renamed over" else sqlite_source.SHRANK
    assert said_read_again(source, path, what)
    assert source.poll() is False


def test_a_database_truncated_to_nothing_drops_its_runs_then_reads_what_comes(followed, tmp_path):
    path, store, source = followed
    os.truncate(path, 0)
    assert source.poll() is True
    assert store.runs == {} and source.records == 0
    assert source.notes[-1] == (f"{path}: {sqlite_source.SHRANK}; the database has no spans table now "
                                "(tables: none): nothing to show")
    assert source.poll() is False
    # Never written to by the reader: still empty, nothing beside it.
    assert os.path.getsize(path) == 0 and siblings(path) == []
    # Its writer starts again.
    make_spans(path, {"t5": 4})
    assert source.poll() is True
    assert spans_of(store) == {"t5": 4} and source.records == 4
    assert said_read_again(source, path, sqlite_source.REPLACED)


def test_a_database_half_written_tells_the_panes_its_runs_are_gone(followed):
    """Copied over and cut short: the runs were dropped, but the poll said
    nothing changed, so the run list kept them (0 spans) and the tree its
    rows. Read again once it is whole."""
    path, store, source = followed
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "r+b") as f:
        f.truncate(len(data) // 2)
    assert source.poll() is True
    assert store.runs == {} and source.records == 0
    assert "cannot read SQLite database" in source.notes[-1] and source.notes[-1].endswith("(will retry)")
    assert source.poll() is False
    with open(path, "r+b") as f:
        f.write(data)
    assert source.poll() is True
    assert spans_of(store) == {"t1": 12, "t2": 3} and source.records == 15
    assert said_read_again(source, path, sqlite_source.REPLACED)


def test_a_database_renamed_over_by_junk_drops_its_runs_once(followed, tmp_path):
    """The panes are told once (not on every pass while it stays junk), and
    a database renamed in later is read."""
    path, store, source = followed
    junk = str(tmp_path / "junk")
    with open(junk, "wb") as f:
        f.write(b"not a database" * 500)
    os.replace(junk, path)
    assert source.poll() is True
    assert store.runs == {} and source.records == 0
    assert source.poll() is False and source.poll() is False
    other = str(tmp_path / "other.db")
    make_spans(other, {"t7": 3})
    os.replace(other, path)
    assert source.poll() is True
    assert spans_of(store) == {"t7": 3}
    assert said_read_again(source, path, sqlite_source.REPLACED)


@pytest.mark.parametrize("wal", [False, True], ids=["rollback journal", "wal"])
def test_rows_that_move_are_not_taken_for_rows_gone(tmp_path, wal):
    """`INSERT OR REPLACE` on a span id (a span saved again as it ends)
    gives its row a new rowid: the span is updated, the database is not
    read again from the start (all its runs anew, for each span ending)."""
    path = str(tmp_path / "spans.db")
    make_spans(path, {"t1": 3}, wal=wal, key="PRIMARY KEY")
    write(path, f"INSERT INTO spans VALUES ('t1-open', 't1-root', 't1', 'open', {NOW - 10}, NULL, 'running')")
    store = Store()
    source = open_sqlite(path, store)
    source.poll()
    run = store.runs["t1"]
    assert run.spans["t1-open"].status == "running"
    notes = list(source.notes)
    for span_id in ("t1-open", "t1-root"):  # the last row read, then the first
        write(path, f"INSERT OR REPLACE INTO spans VALUES ('{span_id}', NULL, 't1', 'again', {NOW - 10}, "
                    f"{NOW - 5}, 'ok')")
        assert source.poll() is True
        assert store.runs["t1"] is run and run.spans[span_id].name == "again"
    assert run.spans["t1-open"].status == "ok" and len(run.spans) == 4
    assert source.notes == notes


def test_flujo_saving_a_runs_spans_again_is_not_a_database_replaced(tmp_path):
    """Flujo saves a run's trace by deleting its spans and inserting them
    again; a run deleted (`flujo lens delete`) goes alone."""
    path = str(tmp_path / "flujo_ops.db")
    make_flujo(path, wal=False)
    store = Store()
    source = open_sqlite(path, store)
    source.poll()
    runs = dict(store.runs)
    spans = len(runs[RUN_OK].spans)
    con = sqlite3.connect(path)
    con.execute("DELETE FROM spans WHERE run_id = ?", (RUN_OK,))
    add_span(con, RUN_OK, "s-root", None, "pipeline_run", 1000.0, 1002.5, "completed")
    add_span(con, RUN_OK, "s-fetch", "s-root", "fetch", 1000.1, 1000.6, "completed")
    add_span(con, RUN_OK, "s-write", "s-root", "write", 1000.6, 1002.4, "completed")
    add_span(con, RUN_OK, "s-orphan", "s-missing", "late_callback", 1001.0, 1001.25, "completed")
    con.commit()
    con.close()
    assert source.poll() is True
    assert store.runs == runs and len(runs[RUN_OK].spans) == spans
    write(path, f"DELETE FROM spans WHERE run_id = '{RUN_FAILED}'", f"DELETE FROM runs WHERE run_id = '{RUN_FAILED}'")
    assert source.poll() is True
    assert RUN_FAILED not in store.runs
    assert all(store.runs[run_id] is run for run_id, run in runs.items() if run_id != RUN_FAILED)
    assert not any("read again" in note for note in source.notes)
    # Its spans emptied by hand, its runs kept: the tree must not keep them.
    write(path, "DELETE FROM spans")
    assert source.poll() is True
    # (A running run keeps the node made up for it: Flujo writes none of its spans.)
    assert all(run.span_count() == 0 for run in store.runs.values())
    assert said_read_again(source, path, sqlite_source.SHRANK)


def test_trackio_traces_deleted_are_dropped(tmp_path):
    target = tmp_path / "agent-evals.db"
    shutil.copyfile(os.path.join(os.path.dirname(__file__), "data", "trackio", "agent-evals.db"), target)
    path = str(target)
    store = Store()
    source = open_sqlite(path, store)
    source.poll()
    before = {run.name: len(run.spans) for run in store.runs.values()}
    assert before["sweep-b"]
    write(path, "DELETE FROM traces WHERE run_name = 'sweep-b'")
    assert source.poll() is True
    after = {run.name: len(run.spans) for run in store.runs.values()}
    assert after["sweep-b"] == 0  # its configs row stays: the run, emptied
    assert {k: v for k, v in after.items() if k != "sweep-b"} == {k: v for k, v in before.items() if k != "sweep-b"}
    assert said_read_again(source, path, sqlite_source.SHRANK)


# -- the panes -----------------------------------------------------------------------------

def rendered(widget, lines: int = 40) -> list[str]:
    return [widget.render_line(y).text.rstrip() for y in range(min(lines, widget.size.height))]


def replace_with(runs: dict[str, int]):
    def replace(path: str) -> None:
        other = path + ".new"
        make_spans(other, runs)
        os.replace(other, path)
    return replace


def half_write(path: str) -> None:
    with open(path, "rb") as f:
        size = len(f.read())
    os.truncate(path, size // 2)


CHANGES = {
    "rows deleted": (lambda path: write(path, "DELETE FROM spans WHERE trace_id = 't1' AND name <> 'root'",
                                       "VACUUM"), {"t1": 1, "t2": 3}, sqlite_source.SHRANK),
    "replaced by a smaller database": (replace_with({"t1": 3}), {"t1": 3}, sqlite_source.REPLACED),
    "replaced by other runs": (replace_with({"t9": 5}), {"t9": 5}, sqlite_source.REPLACED),
    "truncated to 0 bytes": (lambda path: os.truncate(path, 0), {}, "no spans table now"),
    "half written": (half_write, {}, "cannot read SQLite database"),
}


@pytest.mark.parametrize("change", list(CHANGES))
async def test_every_pane_agrees_with_the_database_after_it_shrank(tmp_path, change):
    """The run list, the tree, the anomaly panel and the status line show
    what the database holds now, and the status line says what happened."""
    alter, expected, said = CHANGES[change]
    path = str(tmp_path / "spans.db")
    make_spans(path, {"t1": 12, "t2": 3})
    app = open_app(path, now=NOW)
    async with app.run_test(size=(140, 36)) as pilot:
        await settle(pilot, app)
        app.action_toggle_failures()  # the anomaly panel lists the failed steps
        app.run_list.focus()  # the tree shows the list's run (not the panel's row's)
        await pilot.pause(0.05)
        assert app.tree.run.id == "t1" and len(app.tree.rows) == 12
        assert "15 records" in str(app._status.render())
        alter(path)
        for _ in range(200):
            await pilot.pause(0.02)
            if {run.id: len(run.spans) for run in app.run_list.runs} == expected \
                    and said in str(app._status.render()):
                break
        await pilot.pause(0.1)
        listed = {run.id: len(run.spans) for run in app.run_list.runs}
        assert listed == expected
        rows = rendered(app.run_list)
        for run_id, count in expected.items():
            assert any(run_id in row.split() and str(count) in row.split() for row in rows), rows
        status = str(app._status.render())
        assert f"{sum(expected.values())} records" in status and said in status
        panel = rendered(app.anomaly_panel)
        for run_id in ("t1", "t2"):  # a run's second span is its failed step
            assert any(f"bad_{run_id}" in row for row in panel) == (expected.get(run_id, 0) >= 2), panel
        # The tree: its run read again, or the list's run once its own is
        # gone (it said "no run selected" beside the new runs).
        tree = app.tree
        if expected:
            shown = "t1" if "t1" in expected else app.run_list.current.id
            assert tree.run is app.store.runs[shown] and tree.run is app.run_list.current
            assert len(tree.rows) == expected[shown]
            assert sum(bool(row.strip()) for row in rendered(tree)) == expected[shown]
        else:
            assert tree.run is None and rendered(tree)[0].strip() == "no run selected"
            assert rows[0].strip() == "no runs"


@pytest.mark.parametrize("how", ["renamed over", "copied over"])
def test_a_backup_put_in_place_is_no_write_its_running_spans_keep_their_ages(followed, tmp_path, how,
                                                                           real_copy_gap):
    """QA: a database replaced by a copy of an older one (a backup
    restored, a CI artifact copied in) read `● live`, its running spans
    aged to the moment of the copy: `≥10d07h`. Read anew, it is judged as
    on first reading: a copy, its newest record far older than its write,
    is not live, and its ages run to that record, as a first reading's."""
    from tracetui.clock import as_of

    from test_sqlite import GENERIC_SAMPLE

    path, store, source = followed
    backup = str(tmp_path / "backup.db")
    shutil.copyfile(GENERIC_SAMPLE, backup)
    first_store = Store()
    open_sqlite(backup, first_store).poll()
    expected = {run_id: as_of(run, time.time()) for run_id, run in first_store.runs.items()}
    if how == "renamed over":
        os.replace(backup, path)
    else:
        shutil.copyfile(backup, path)
    assert source.poll() is True
    assert not source.live and not any(run.live for run in store.runs.values())
    assert {run_id: as_of(run, time.time()) for run_id, run in store.runs.items()} == expected
