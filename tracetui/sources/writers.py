"""Whether another process on this machine holds a file open for writing
(Linux `/proc`): a source's writer seen at work, however long it is quiet.

Why: a JSONL export or a database says nothing of its writer, so a source
was taken as live only while written to within `WRITER_QUIET` (30 s). A
pipeline hung in one span for a minute then read "ended", its hung span's
age frozen; a line it had half written was read as a bad line and lost
when the rest came (QA); and a Flujo run killed with SIGKILL kept its
database's `-wal`, so it read live for ever. A process holding the file
open for writing settles it both ways, where `/proc` can tell.

Cost: finding a writer means looking at every open descriptor of every
process (`/proc/*/fd`, a stat each: ~7 µs each, 75 ms on a machine with
10,000 open), so it is done rarely. Once found, the writer's descriptor
alone is looked at again (one stat), and the writer counts as such while
its process lives, the file held or not (one that opens it for each
record closes it between two). A file with no writer found is
looked for again only once written since, and less often each time
nothing is found (`RESCAN_MAX`): a writer that opens, appends and closes
is live by its writes anyway. Asked from the readers' threads, never the
UI's; our own descriptors are left out.
"""

from __future__ import annotations

import os
import threading
import time

#: Where the kernel lists processes' open files.
PROC = "/proc"
#: After a search that finds no writer, the next waits this long (s),
#: doubling each time nothing is found, up to RESCAN_MAX.
RESCAN_FIRST = 1.0
#: Past this (s) a writer not seen is found by the source's quiet window
#: (`WRITER_QUIET`) anyway.
RESCAN_MAX = 30.0
#: `flags` of an fdinfo, access mode bits: O_WRONLY or O_RDWR.
_WRITE_ACCESS = (1, 2)
_S_IFMT, _S_IFREG = 0o170000, 0o100000

_lock = threading.Lock()
#: The watch of each path asked about (`open_for_writing`).
_watches: dict[str, "WriterWatch"] = {}


def open_for_writing(path: str, companion: str | None = None) -> bool | None:
    """Does another process here hold `path` open for writing? None when
    this machine cannot tell (no `/proc`, or no process's descriptors can
    be read). A write to `companion` (a database's `-wal`) counts as one
    to `path`: its writer may be found since."""
    with _lock:
        watch = _watches.get(path)
        if watch is None:
            watch = _watches[path] = WriterWatch(path, companion)
        return watch.check()


def writer_since(path: str) -> float | None:
    """When the writer `open_for_writing` last found for `path` started
    (epoch seconds; the oldest, if several processes write it), or None
    if none is known. What a source's runs last wrote before then, that
    writer did not write: a run killed days ago in a file or database a new
    process appends to is not its (QA: every old killed run in a shared
    `flujo_ops.db` came back `● live`, hung for ten days)."""
    with _lock:
        watch = _watches.get(path)
        return watch.since if watch is not None and watch.writer is not None else None


def database_writer(path: str) -> bool | None:
    """Whether a process here holds a SQLite database open for writing;
    None when this machine cannot tell. Its file itself, not its `-wal`:
    every connection to a WAL database, a read-only one too (another
    tracetui's), holds the `-wal` and `-shm` open for writing, and a second
    viewer kept a killed pipeline `● live` for ever (QA); a writer's
    connection opens the database file read-write, a read-only one not.
    A WAL writer writes the `-wal` and leaves the database file as it was
    until it checkpoints: a write to either is one to look again after."""
    return open_for_writing(path, companion=path + "-wal")


class WriterWatch:
    """Whether one file has a writer, kept up cheaply (see the module
    docstring). Not thread-safe: `open_for_writing` holds a lock."""

    def __init__(self, path: str, companion: str | None = None) -> None:
        self.path = path
        #: A file whose writes are the path's (`open_for_writing`).
        self.companion = companion
        #: (pid, fd) of the descriptor a writer holds it by, once found.
        self.writer: tuple[str, str] | None = None
        #: (pid, when it started) of that writer: the same process, not
        #: another given its pid since.
        self.writer_process: tuple[str, str | None] = ("", None)
        #: (device, inode) of the file it was found writing: another file
        #: under the name since (rotated, replaced) is not its.
        self._writer_key: tuple[int, int] | None = None
        #: What the last search answered, and the file as it was then
        #: (`_mark`): searched again only once it is written since.
        self._answer: bool | None = None
        self._searched_mark: tuple | None = None
        self._next_search = 0.0
        self._backoff = RESCAN_FIRST
        #: When the oldest process found writing it started (epoch s), at
        #: the search that found its writer; None if not known.
        self.since: float | None = None

    def check(self) -> bool | None:
        try:
            st = os.stat(self.path)
        except OSError:
            self.writer = None
            return False
        key = (st.st_dev, st.st_ino)
        if self.writer is not None:
            if _holds(*self.writer, key) or (key == self._writer_key and _same_process(*self.writer_process)):
                # Holding it, or closed it between two writes (a writer
                # that opens the file for each record): its writer while
                # it lives. Taken for gone when only its descriptor was,
                # such a pipeline read "ended" between its steps (QA).
                return True
            self.writer = None
            self._searched_mark = None  # the writer went: look again at once
            self._backoff = RESCAN_FIRST
        mark = (key, st.st_size, st.st_mtime_ns, self._companion_mark())
        now = time.monotonic()
        if mark == self._searched_mark or (self._searched_mark is not None and now < self._next_search):
            return self._answer
        self._searched_mark = mark
        found = find_writer(key)
        if found is None:
            self._answer = None
        elif found:
            self.writer = found
            self.writer_process = (found[0], _started(found[0]))
            self.since = _oldest_start(key)
            self._writer_key = key
            self._answer = True
            self._backoff = RESCAN_FIRST
            return True
        else:
            self._answer = False
        self._next_search = now + self._backoff
        self._backoff = min(RESCAN_MAX, self._backoff * 2)
        return self._answer


    def _companion_mark(self) -> tuple | None:
        if self.companion is None:
            return None
        try:
            st = os.stat(self.companion)
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)


def _holds(pid: str, fd: str, key: tuple[int, int]) -> bool:
    """Descriptor `fd` of `pid` is still open, on the file `key`."""
    try:
        st = os.stat(f"{PROC}/{pid}/fd/{fd}")
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == key


def _started(pid: str) -> str | None:
    """When process `pid` started (`/proc/PID/stat`'s 22nd field, in clock
    ticks since boot), to tell it from a later process given its pid."""
    try:
        with open(f"{PROC}/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # The command name (2nd field) is in parentheses and may hold spaces.
    fields = stat[stat.rfind(b")") + 2:].split()
    return fields[19].decode() if len(fields) > 19 else None


def _oldest_start(key: tuple[int, int]) -> float | None:
    """When the oldest process holding the file `key` open for writing
    started, in epoch seconds (None if not known): a child the writer
    forked holds it too, and is younger than what its parent wrote."""
    boot = _boot_time()
    held = _held_files()
    if boot is None or held is None:
        return None
    ticks = [_started(pid) for pid, fd in held.get(key, ()) if _writes(pid, fd)]
    known = [int(t) for t in ticks if t is not None and t.isdigit()]
    return boot + min(known) / _CLOCK_TICKS if known else None


#: Clock ticks a second, the unit of a process's start in `/proc/PID/stat`.
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") and "SC_CLK_TCK" in os.sysconf_names else 100


def _boot_time() -> float | None:
    """When this machine booted (epoch seconds, `/proc/stat`'s btime)."""
    try:
        with open(f"{PROC}/stat", "rb") as f:
            for line in f:
                if line.startswith(b"btime "):
                    return float(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _same_process(pid: str, started: str | None) -> bool:
    """Process `pid` still runs, and is the one that started at `started`."""
    return started is not None and _started(pid) == started


def find_writer(key: tuple[int, int]) -> tuple[str, str] | tuple[()] | None:
    """(pid, fd) by which another process holds the file `key` (device,
    inode) open for writing; () if none does; None if this machine cannot
    tell."""
    held = _held_files()
    if held is None:
        return None
    for pid, fd in held.get(key, ()):
        if _writes(pid, fd) and _holds(pid, fd, key):
            return (pid, fd)
    return ()


#: How long one look at every descriptor answers for every file (s): a
#: directory of 100 JSONL files, opened together, costs one look, not 100.
SNAPSHOT_TTL = 1.0
#: (monotonic time, {(device, inode): [(pid, fd)]}) of the last look.
_snapshot: tuple[float, dict | None] = (-SNAPSHOT_TTL, None)


def _held_files() -> dict[tuple[int, int], list[tuple[str, str]]] | None:
    """Every regular file other processes hold open, and by what, from a
    look at most SNAPSHOT_TTL old; None if no process's can be read."""
    global _snapshot
    taken_at, held = _snapshot
    if time.monotonic() - taken_at < SNAPSHOT_TTL:
        return held
    held = _look_at_descriptors()
    _snapshot = (time.monotonic(), held)
    return held


def _look_at_descriptors() -> dict[tuple[int, int], list[tuple[str, str]]] | None:
    try:
        pids = [name for name in os.listdir(PROC) if name.isdigit()]
    except OSError:
        return None
    own = str(os.getpid())
    held: dict[tuple[int, int], list[tuple[str, str]]] = {}
    readable = False
    for pid in pids:
        if pid == own:
            continue
        try:
            entries = os.scandir(f"{PROC}/{pid}/fd")
        except OSError:  # someone else's, or gone
            continue
        readable = True
        with entries:
            for entry in entries:
                try:
                    st = entry.stat()  # follows the link to the open file
                except OSError:
                    continue
                if (st.st_mode & _S_IFMT) == _S_IFREG:
                    held.setdefault((st.st_dev, st.st_ino), []).append((pid, entry.name))
    return held if readable else None


def _writes(pid: str, fd: str) -> bool:
    """Is descriptor `fd` of `pid` open for writing (its fdinfo flags)?"""
    try:
        with open(f"{PROC}/{pid}/fdinfo/{fd}", "rb") as f:
            for line in f:
                if line.startswith(b"flags:"):
                    return int(line.split()[1], 8) & 3 in _WRITE_ACCESS
    except (OSError, ValueError, IndexError):
        pass
    return False
