"""Waking the reader when a followed file is written (Linux inotify).

Following a log, the reader looked for new data every 4 ms while data was
flowing (the poll interval sets the tail's latency): 250 passes a second,
each a stat, an open and a read, about 5 % of a core for a log written at
20 lines/s. With inotify it sleeps until a file in a followed file's
directory changes, so it wakes once per write, at once, and every
`WATCH_TIMEOUT` otherwise (liveness checks, archives, rescans keep
their own pace). Where inotify is missing (not Linux, out of instances) or
does not see the writes (a network file system written by another host),
the reader polls as before.

Only directories are watched, never the files: nothing is opened for
reading through a watch, and a file renamed or created in its place
(rotation) wakes the reader too.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select

#: inotify(7) event bits: a file in the directory written, closed after
#: writing, its attributes (size through truncate, mtime) changed, created,
#: moved in or out, deleted.
IN_MODIFY = 0x002
IN_ATTRIB = 0x004
IN_CLOSE_WRITE = 0x008
IN_MOVED_FROM = 0x040
IN_MOVED_TO = 0x080
IN_CREATE = 0x100
IN_DELETE = 0x200
WATCHED_EVENTS = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
#: Bytes read from the inotify descriptor at a time (events are ~16 bytes
#: plus a file name).
DRAIN_BYTES = 64 * 1024
#: Reads of new data that no event announced before the watch is taken not
#: to see this file system's writes, and the reader polls again.
MISSES_TOLERATED = 3


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        libc.inotify_init1, libc.inotify_add_watch  # noqa: B018 (present?)
    except (OSError, AttributeError):
        return None
    return libc


class FileWakeup:
    """Waits until a file in a watched directory changes, or a timeout.
    `usable` is False when inotify is not there or has proved blind; the
    caller then sleeps as it did before."""

    def __init__(self) -> None:
        self._libc = _libc() if os.name == "posix" else None
        self._fd = -1
        if self._libc is not None:
            self._fd = self._libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        self._dirs: dict[str, bool] = {}
        self._misses = 0
        # poll(2), not select(2): select takes no descriptor past 1,023.
        self._poller = select.poll()
        if self._fd >= 0:
            self._poller.register(self._fd, select.POLLIN)

    @property
    def usable(self) -> bool:
        return self._fd >= 0 and self._misses < MISSES_TOLERATED

    def watch(self, directory: str) -> bool:
        """Watch `directory` (once); False if it cannot be."""
        known = self._dirs.get(directory)
        if known is not None:
            return known
        ok = self._fd >= 0 and self._libc.inotify_add_watch(
            self._fd, os.fsencode(directory), WATCHED_EVENTS) >= 0
        self._dirs[directory] = ok
        return ok

    def wait(self, timeout: float) -> bool:
        """Sleep until a watched directory changes or `timeout` (s) passes;
        True if it changed. The events are read and dropped: the reader's
        pass looks at every source."""
        readable = bool(self._poller.poll(timeout * 1000))
        if readable:
            self._drain()
        return readable

    def pending(self) -> bool:
        """A change is waiting to be read (without waiting for one)."""
        return bool(self._poller.poll(0))

    def missed(self) -> None:
        """New data was read that no event announced: after
        MISSES_TOLERATED of them the watch is not used any more."""
        self._misses += 1

    def _drain(self) -> None:
        try:
            while os.read(self._fd, DRAIN_BYTES):
                pass
        except BlockingIOError:
            pass

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
