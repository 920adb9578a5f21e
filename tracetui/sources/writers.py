"""Which files another process on this machine holds open for writing
(Linux `/proc`): a source's writer seen at work, however long it is quiet.

Why: a JSONL export or a database says nothing of its writer, so a source
was taken as live only while written to within `WRITER_QUIET` (30 s). A
pipeline hung in one span for a minute then read "ended", its hung span's
age frozen; a line it had half written was read as a bad line and lost
when the rest came (QA); and a Flujo run killed with SIGKILL kept its
database's `-wal`, so it read live for ever. A process holding the file
open for writing settles it both ways, where `/proc` can tell.

One scan of `/proc/*/fd` answers for every file (a stat per descriptor:
~1 ms per thousand), at most every `SCAN_INTERVAL`, asked from the
readers' threads, never the UI's. Our own descriptors are left out.
"""

from __future__ import annotations

import os
import threading
import time

#: Longest a scan's answer is used (s): a source's liveness is looked at
#: about once a second (`lines.LIVENESS_INTERVAL`).
SCAN_INTERVAL = 1.0
#: Where the kernel lists processes' open files.
PROC = "/proc"
#: `flags` of an fdinfo, access mode bits: O_WRONLY or O_RDWR.
_WRITE_ACCESS = (1, 2)

_lock = threading.Lock()
#: (monotonic time of the scan, its answer) of the last scan.
_last_scan: tuple[float, "frozenset[tuple[int, int]] | None"] = (-SCAN_INTERVAL, None)


def file_key(path: str) -> tuple[int, int] | None:
    """(device, inode) of `path`, or None if it cannot be looked at."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def open_for_writing(path: str) -> bool | None:
    """Does another process here hold `path` open for writing? None when
    this machine cannot tell (no `/proc`, or no process's descriptors can
    be read)."""
    key = file_key(path)
    if key is None:
        return False
    written = written_files()
    if written is None:
        return None
    return key in written


def written_files() -> frozenset[tuple[int, int]] | None:
    """(device, inode) of every regular file another process holds open for
    writing, from a scan at most SCAN_INTERVAL old; None if not known."""
    global _last_scan
    with _lock:
        scanned_at, files = _last_scan
        now = time.monotonic()
        if now - scanned_at >= SCAN_INTERVAL:
            files = _scan()
            _last_scan = (time.monotonic(), files)
        return files


def _scan() -> frozenset[tuple[int, int]] | None:
    try:
        pids = [name for name in os.listdir(PROC) if name.isdigit()]
    except OSError:
        return None
    own = str(os.getpid())
    files: set[tuple[int, int]] = set()
    readable = False
    for pid in pids:
        if pid == own:
            continue
        fd_dir = f"{PROC}/{pid}/fd"
        try:
            entries = os.scandir(fd_dir)
        except OSError:  # someone else's, or gone
            continue
        readable = True
        with entries:
            for entry in entries:
                try:
                    st = entry.stat()  # follows the link to the open file
                except OSError:
                    continue
                if (st.st_mode & 0o170000) != 0o100000:  # sockets, pipes, ttys
                    continue
                key = (st.st_dev, st.st_ino)
                if key not in files and _writes(pid, entry.name):
                    files.add(key)
    return frozenset(files) if readable else None


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
