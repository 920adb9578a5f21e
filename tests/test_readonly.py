"""The read-only guarantee: after every CLI command and a TUI session on every
kind of source, each source file and directory is byte-identical, keeps its
mtime, and nothing new (-wal, -shm, -journal, temp files) appears beside it."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time

import pytest

from hostile import corpus as c
from tracetui.cli import main
from tracetui.sources.base import SourceError
from tracetui.sources.discover import open_sources
from tracetui.store import Store

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(REPO, "sample_traces")
COMMANDS = [["anomalies", "--all"], ["anomalies", "--json"], ["runs"], ["runs", "--json"], ["tree"],
            ["tree", "--json"], ["spans", "--json"], ["stats"], ["stats", "--json"], ["dump"], ["http"]]


def run_every_command(capsys, path: str, out_dir: str) -> list[int]:
    codes = []
    for command in COMMANDS:
        codes.append(main([command[0], path, *command[1:]]))
    codes.append(main(["export", path, "-o", os.path.join(out_dir, "export.json")]))
    capsys.readouterr()
    return codes


def generated_sources(d: str) -> list[str]:
    """One of each kind tracetui reads, made here."""
    paths = [c.write(d, "trace-11.log", c.good_inspect_bytes()),
             c.write(d, "trace-12.log.gz", gzip.compress(c.good_inspect_bytes())),
             c.native_cycles(d), c.nasty_native(d, big=1000),
             c.spans_db(d, "plain.db"), c.spans_db(d, "walmode.db", wal=True),
             c.killed_writer_db(d, "killed.db"), c.killed_writer_db(d, "killed-no-shm.db", keep_shm=False)]
    assert not os.path.exists(paths[-3] + "-wal")  # WAL mode, no writer: no -wal file
    return paths


def test_cli_never_writes_beside_generated_sources(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    paths = generated_sources(str(src))
    before = c.snapshot([str(src)])
    time.sleep(0.01)  # an mtime change would be visible
    for path in [*paths, str(src)]:
        codes = run_every_command(capsys, path, str(out))
        assert set(codes) <= {0, 1}, (path, codes)
    assert c.snapshot([str(src)]) == before
    assert os.path.exists(out / "export.json")


@pytest.mark.skipif(not os.path.isdir(SAMPLES), reason="no sample_traces")
def test_cli_never_writes_beside_sample_traces(tmp_path, capsys):
    """Every real sample (Inspect, OTLP, console, native, SGP, Skulk, Flujo,
    Trackio, generic SQLite), each file and each directory."""
    out = tmp_path / "out"
    out.mkdir()
    files = []
    for root, _, names in os.walk(SAMPLES):
        if "__pycache__" in root or "expected" in root:
            continue
        files += [os.path.join(root, n) for n in names
                  if not n.endswith((".py", ".pyc", ".md", ".png", ".txt")) and "expected" not in n]
    before = c.snapshot([SAMPLES])
    for path in files:
        codes = run_every_command(capsys, path, str(out))
        if path.endswith((".log", ".gz", ".jsonl", ".db")):
            assert codes[2] == 0, (path, codes)  # every sample trace is readable
    for directory in sorted({os.path.dirname(p) for p in files}):
        run_every_command(capsys, directory, str(out))
    after = c.snapshot([SAMPLES])
    # Another helper may add samples while this runs: only what existed counts.
    assert {k: after.get(k) for k in before if before[k][0] == "file"} == \
           {k: v for k, v in before.items() if v[0] == "file"}
    assert not [k for k in after if k.endswith(("-wal", "-shm", "-journal")) and k not in before]


WRITER = r"""
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("PRAGMA journal_mode=WAL")
con.execute("PRAGMA wal_autocheckpoint=0")
con.execute("INSERT INTO spans VALUES ('w1', 's0', 'T', 'written by the writer', 1, 2, 'ok', '{}')")
mode = sys.argv[2]
if mode == "exclusive":
    con.execute("BEGIN EXCLUSIVE")
    con.execute("INSERT INTO spans VALUES ('w2', 's0', 'T', 'uncommitted', 1, 2, 'ok', '{}')")
print("ready", flush=True)
sys.stdin.read()
"""


def _writer(path: str, mode: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", WRITER, path, mode], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


@pytest.mark.parametrize("mode", ["active", "exclusive"])
def test_sqlite_with_a_live_writer_is_read_not_touched(tmp_path, capsys, mode):
    """Another process holds the WAL database open (and, in `exclusive`,
    inside BEGIN EXCLUSIVE with an uncommitted row): we read the committed
    rows, and the database file and its directory stay as they were."""
    path = c.spans_db(str(tmp_path), "live.db", wal=True)
    writer = _writer(path, mode)
    try:
        names = set(os.listdir(tmp_path))
        assert {"live.db-wal", "live.db-shm"} <= names
        with open(path, "rb") as f:
            main_bytes = f.read()
        mtime = os.stat(path).st_mtime_ns
        code = main(["spans", path, "--json"])
        out = capsys.readouterr().out
        assert code == 0
        assert "written by the writer" in out and "uncommitted" not in out
        for command in COMMANDS:
            assert main([command[0], path, *command[1:]]) in (0, 1)
        capsys.readouterr()
        with open(path, "rb") as f:
            assert f.read() == main_bytes
        assert os.stat(path).st_mtime_ns == mtime
        assert set(os.listdir(tmp_path)) == names
    finally:
        writer.stdin.close()
        writer.wait(10)


@pytest.mark.parametrize("keep_shm", [True, False], ids=["wal and shm left", "wal left"])
def test_a_dead_writers_wal_is_read_from_a_private_copy(tmp_path, keep_shm):
    """A writer killed with a committed row in its -wal: `mode=ro` bumped the
    -shm left beside the database, or made one (QA). Its row is read, from
    a copy; nothing beside the database changes, and the copy is gone after."""
    (tmp_path / "src").mkdir()
    path = c.killed_writer_db(str(tmp_path / "src"), keep_shm=keep_shm)
    private = tmp_path / "tmp"
    private.mkdir()
    before = c.snapshot([path])
    time.sleep(0.01)  # an mtime change would be visible
    env = {**os.environ, "TMPDIR": str(private), "PYTHONPATH": os.pathsep.join(sys.path)}
    for command in (["spans", path, "--json"], ["anomalies", path, "--json"]):
        done = subprocess.run([sys.executable, "-m", "tracetui", *command], capture_output=True,
                              text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "only in the wal" in done.stdout and "write-ahead log" not in done.stderr
    assert c.snapshot([path]) == before
    assert not os.listdir(private)  # the copies were made there, and removed


def test_a_dead_writers_database_is_followed_when_a_writer_comes_back(tmp_path, monkeypatch):
    """Read from a copy while no process holds it; a new writer's rows are
    read as it writes them (from a new copy until the writer is found, then
    from the database shared with it), and each copy is removed once read
    anew, the last when the source is closed."""
    from tracetui.sources import sqlite as sqlite_source
    from tracetui.sources import writers

    # Every look for the writer a fresh one (else within a second of the
    # last, which found none, the next write is read from a copy again).
    monkeypatch.setattr(writers, "RESCAN_FIRST", 0.0)
    monkeypatch.setattr(writers, "SNAPSHOT_TTL", 0.0)
    path = c.killed_writer_db(str(tmp_path))
    store = Store()
    source = sqlite_source.open_sqlite(path, store)
    assert source.poll() is True
    names = {s.name for run in store.runs.values() for s in run.spans.values()}
    assert "only in the wal" in names
    copy = source._conn
    assert isinstance(copy, sqlite_source.CopyConnection) and os.path.isdir(copy.directory)
    writer = _writer(path, "active")
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            source.poll()
            names = {s.name for run in store.runs.values() for s in run.spans.values()}
            if "written by the writer" in names:
                break
            time.sleep(0.05)
        assert "written by the writer" in names and "only in the wal" in names
        assert not isinstance(source._conn, sqlite_source.CopyConnection)
        assert not os.path.exists(copy.directory)
    finally:
        writer.stdin.close()
        writer.wait(10)
        source.close()


def test_rollback_journal_db_locked_exclusive(tmp_path, capsys):
    """A rollback-journal database mid-transaction (BEGIN EXCLUSIVE, a hot
    -journal beside it): read the committed state or refuse with one line;
    never wait forever, never touch the journal."""
    path = c.spans_db(str(tmp_path), "locked.db")
    script = WRITER.replace('con.execute("PRAGMA journal_mode=WAL")\n', "").replace(
        'con.execute("PRAGMA wal_autocheckpoint=0")\n', "")
    proc = subprocess.Popen([sys.executable, "-c", script, path, "exclusive"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        before = c.snapshot([path])
        started = time.monotonic()
        code = main(["spans", path, "--json"])
        captured = capsys.readouterr()
        assert time.monotonic() - started < 10
        # No -wal: opened immutable, which takes no lock, so the committed
        # rows are read at once.
        assert code == 0 and "Traceback" not in captured.err
        assert sorted(s["name"] for s in json.loads(captured.out)) == ["step 0", "step 1", "step 2", "written by the writer"]
        assert c.snapshot([path]) == before
    finally:
        proc.stdin.close()
        proc.wait(10)


def test_sources_stay_untouched_while_followed(tmp_path):
    """The library path the TUI uses: open, poll repeatedly, read raw records."""
    src = tmp_path / "src"
    src.mkdir()
    paths = generated_sources(str(src))
    before = c.snapshot([str(src)])
    store = Store()
    sources, _ = open_sources([str(src)], store)
    for _ in range(3):
        for source in sources:
            source.poll()
    for run in store.runs.values():
        for span in list(run.spans.values())[:5]:
            for source in sources:
                if span.locators:
                    source.raw(span.locators[0])
    assert c.snapshot([str(src)]) == before
    assert len(sources) == len(paths)


async def _tui_sessions(targets: list[list[str]], watched: list[str]) -> None:
    """A short TUI session (move, expand, raw record, copy, export, filter)
    on each target; then every watched file is as it was, nothing new."""
    from tracetui.app.app import TraceApp

    before = c.snapshot(watched)
    for paths in targets:
        store = Store()
        try:
            sources, notes = open_sources(paths, store)
        except SourceError:
            continue  # e.g. a directory holding only subdirectories
        app = TraceApp(sources, store, notes, watch_dirs=[p for p in paths if os.path.isdir(p)],
                       now=lambda: c.T0 + 100)
        async with app.run_test(size=(120, 36)) as pilot:
            for _ in range(100):
                await pilot.pause(0.02)
                if not app.loading:
                    break
            await pilot.press("tab", "j", "enter", "r", "escape", "c", "x", "slash", "a", "escape")
            await pilot.pause(0.02)
    after = c.snapshot(watched)
    assert {k: after.get(k) for k, v in before.items() if v[0] == "file"} == \
           {k: v for k, v in before.items() if v[0] == "file"}
    new = [k for k in after if k not in before and "__pycache__" not in k]
    assert not new, new


async def test_tui_sessions_leave_generated_sources_untouched(tmp_path, monkeypatch):
    """`x` exports into the current directory, which here is elsewhere."""
    src = tmp_path / "src"
    src.mkdir()
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path / "out")
    paths = generated_sources(str(src))
    await _tui_sessions([paths, [str(src)]], [str(src)])
    assert os.listdir(tmp_path / "out")  # the exports went there


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir(SAMPLES), reason="no sample_traces")
async def test_tui_sessions_leave_sample_traces_untouched(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    targets = []
    for root, dirs, names in os.walk(SAMPLES):
        dirs[:] = [d for d in dirs if d not in ("__pycache__", "expected", "media")]
        if root != SAMPLES and any(not n.endswith((".md", ".py")) for n in names):
            targets.append([root])
    await _tui_sessions(targets, [SAMPLES])


def test_giving_back_free_memory_is_harmless_where_it_cannot(monkeypatch):
    """`malloc_trim` where glibc has it (RSS after a big read, measured in
    `tracetui/memory.py`), nothing where the C library has none."""
    import ctypes
    import platform

    from tracetui import memory

    monkeypatch.setattr(memory, "_looked", False)
    memory.give_back_free_memory()
    if platform.libc_ver()[0] == "glibc":
        assert memory._libc is not None

    def no_libc(*args, **kwargs):
        raise OSError("no such library")

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    monkeypatch.setattr(memory, "_looked", False)
    monkeypatch.setattr(memory, "_tuned", False)
    memory.give_back_free_memory()
    memory.reuse_freed_memory()
    assert memory._libc is None


def test_the_heap_keeps_a_readers_freed_slices_for_reuse(monkeypatch, tmp_path):
    """The first file followed sets glibc's heap, once a process, to keep
    blocks of up to HEAP_BLOCK_LIMIT for reuse instead of mapping each
    slice anew (page faults: `tracetui/memory.py`). Without glibc: the
    test above."""
    from tracetui import memory
    from tracetui.sources.files import READ_SIZE, FileFollower

    calls = []

    class Glibc:
        def mallopt(self, param, value):
            calls.append((param, value))
            return 1

        def malloc_trim(self, pad):
            return 1

    monkeypatch.setattr(memory, "_looked", True)
    monkeypatch.setattr(memory, "_libc", Glibc())
    monkeypatch.setattr(memory, "_tuned", False)
    monkeypatch.setattr(memory, "_one_heap", False)
    log = tmp_path / "a.log"
    log.write_bytes(b"{}\n")
    FileFollower(str(log))
    FileFollower(str(log))
    # One heap too: its slices read ahead are made on a thread of their own.
    assert calls == [(-3, memory.HEAP_BLOCK_LIMIT), (-1, memory.HEAP_KEEP), (-8, memory.APP_HEAPS)]
    assert memory.HEAP_BLOCK_LIMIT > READ_SIZE  # the reader's biggest slice fits


def test_background_work_rests_off_the_main_thread_only(monkeypatch):
    """`Breather` rests once a slice of work is done, in a worker thread
    (the TUI's filter, layout, export); never in the main thread (the
    CLI's export, which has no UI to leave the GIL to)."""
    import threading

    from tracetui import breathe

    rests = []
    monkeypatch.setattr(breathe.time, "sleep", rests.append)
    main = breathe.Breather()
    for _ in range(3):
        main()
    assert rests == []

    def work() -> None:
        pause = breathe.Breather()
        pause()  # the slice has only begun: a hand-over of the GIL only
        assert rests == [0]
        pause._due = 0  # as when the slice is over
        pause()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert rests == [0, breathe.REST]


def test_background_work_rests_while_a_key_is_handled(monkeypatch):
    """From a key's arrival until its frame is drawn (`key_done`), a worker
    thread's breather waits instead of working: it held the GIL against
    the key's frame (a filter keystroke shown 25-32 ms after it). A key
    never marked done holds it up for KEY_HOLD_MAX at most."""
    import threading
    import time

    from tracetui import breathe

    monkeypatch.setattr(breathe, "KEY_HOLD_MAX", 0.5)
    steps: list[float] = []
    stop = threading.Event()

    def work() -> None:
        pause = breathe.Breather()
        while not stop.is_set():
            pause()
            steps.append(time.monotonic())

    try:
        breathe.hold_for_key()
        thread = threading.Thread(target=work)
        thread.start()
        time.sleep(0.15)
        assert not steps  # resting for the key
        breathe.key_done()
        time.sleep(0.05)
        assert steps  # on again at once
        breathe.hold_for_key()
        held = time.monotonic()
        time.sleep(0.05)
        n = len([t for t in steps if t > held + 0.01])
        assert n == 0
        # Never marked done: the work goes on once KEY_HOLD_MAX is over.
        time.sleep(0.6)
        assert [t for t in steps if t > held + 0.45]
    finally:
        breathe.key_done()
        stop.set()
        thread.join()


def test_a_reader_rests_between_slices_while_a_key_is_handled(monkeypatch):
    """`rest_for_key`, which the TUI's reader calls between slices of a big
    file, waits for the key off the main thread, never on it (the CLI
    reads there, with no key to wait for)."""
    import threading
    import time

    from tracetui import breathe

    monkeypatch.setattr(breathe, "KEY_HOLD_MAX", 0.3)
    waited: list[float] = []

    def read() -> None:
        t = time.monotonic()
        breathe.rest_for_key()
        waited.append(time.monotonic() - t)

    try:
        breathe.hold_for_key()
        t = time.monotonic()
        breathe.rest_for_key()
        assert time.monotonic() - t < 0.05  # the main thread goes on
        thread = threading.Thread(target=read)
        thread.start()
        time.sleep(0.1)
        assert not waited
        breathe.key_done()
        thread.join()
        assert 0.08 < waited[0] < 0.3
    finally:
        breathe.key_done()


async def test_a_key_holds_background_work_until_its_frame_is_drawn(monkeypatch):
    """The app marks a key's arrival and, once it is handled and its frame
    drawn, its end (`key_order`)."""
    from textual.widgets import Input

    from tracetui.app.key_order import KeysInOrder

    calls: list[str] = []
    monkeypatch.setattr("tracetui.app.key_order.hold_for_key", lambda: calls.append("hold"))
    monkeypatch.setattr("tracetui.app.key_order.key_done", lambda: calls.append("done"))

    class Keys(KeysInOrder):
        def compose(self):
            yield Input()

    app = Keys()
    async with app.run_test() as pilot:
        await pilot.press("a", "b")
        await pilot.pause()
        assert app.query_one(Input).value == "ab"
        assert calls and calls[0] == "hold" and calls[-1] == "done"
        assert calls.count("hold") == 2


def test_a_dead_writers_database_with_no_room_for_a_copy_is_read_without_its_wal(tmp_path, monkeypatch,
                                                                                 capsys):
    """No private copy can be made (the temporary directory full or not
    writable): the main file alone is read, and said to be, rather than a
    traceback, and still nothing is written beside it."""
    import tempfile

    def no_room(*args, **kwargs):
        raise OSError(28, "No space left on device")

    (tmp_path / "src").mkdir()
    path = c.killed_writer_db(str(tmp_path / "src"))
    before = c.snapshot([path])
    monkeypatch.setattr(tempfile, "mkdtemp", no_room)
    assert main(["spans", path, "--json"]) == 0
    captured = capsys.readouterr()
    assert "read without its write-ahead log" in captured.err and "Traceback" not in captured.err
    assert "step 0" in captured.out and "only in the wal" not in captured.out
    assert c.snapshot([path]) == before


HEAPS_AFTER_A_THREAD = """
import ctypes, os, sys, tempfile, threading
from tracetui import memory
if sys.argv[1] == "one":
    memory.share_one_heap()
threading.Thread(target=lambda: [bytes(4096) for _ in range(1000)]).start()
libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
path = os.path.join(tempfile.mkdtemp(), "info.xml")
f = libc.fopen(path.encode(), b"w")
libc.malloc_info(0, f)
libc.fclose(f)
print(open(path).read().count("<heap nr="))
"""


def test_the_apps_threads_share_one_heap():
    """A thread allocating gets a glibc heap of its own, whose free top
    `malloc_trim` never hands back (`memory.APP_HEAPS`); the app asks for
    one heap before it starts any thread (`build_app`)."""
    import platform
    import subprocess
    import sys

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("glibc's heaps only")

    def heaps(mode: str) -> int:
        done = subprocess.run([sys.executable, "-c", HEAPS_AFTER_A_THREAD, mode], capture_output=True,
                              text=True, check=True)
        return int(done.stdout)

    assert heaps("own") == 2
    assert heaps("one") == 1


def test_the_app_asks_for_one_heap_before_it_opens_a_source(monkeypatch, tmp_path):
    """glibc reads the heaps' limit as a second thread first allocates:
    `build_app` asks before it opens a source (whose reader is a thread)."""
    from tracetui.app import main

    asked = []
    monkeypatch.setattr(main, "share_one_heap", lambda: asked.append("heap"))
    monkeypatch.setattr(main, "open_sources", lambda *a, **k: asked.append("sources") or ([], []))
    monkeypatch.setattr(main, "start_early", lambda *a, **k: [])
    log = tmp_path / "a.log"
    log.write_bytes(b"")
    main.build_app([str(log)])
    assert asked[:2] == ["heap", "sources"]
