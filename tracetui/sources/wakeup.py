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
(rotation) wakes the reader too. Only events that name a followed file wake
it: a chatty file beside a log (another eval's trace, a stdout capture)
cost the reader a pass per write, up to a core at thousands of writes a
second (QA), for a log that had nothing new.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import struct
import time

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
#: Events lost (the queue overflowed) or a watch gone (its directory
#: deleted): either may hide a followed file's change, so they wake it.
IN_Q_OVERFLOW = 0x4000
IN_IGNORED = 0x8000
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
#: Bytes read from the inotify descriptor at a time (events are ~16 bytes
#: plus a file name).
DRAIN_BYTES = 64 * 1024
#: Reads of new data that no event announced before the watch is taken not
#: to see this file system's writes, and the reader polls again.
MISSES_TOLERATED = 3
#: struct inotify_event's fixed part: wd, mask, cookie, len (the name's).
EVENT_HEADER = struct.Struct("iIII")
#: After events that name no followed file, the wait rests this long (s)
#: before it looks again: a file beside the log written 300,000 times a
#: second woke it as often. A followed file's write waits as long at most,
#: as long as the 4 ms poll it replaces.
OTHERS_PAUSE = 0.004


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        libc.inotify_init1, libc.inotify_add_watch  # noqa: B018 (present?)
    except (OSError, AttributeError):
        return None
    return libc


class FileWakeup:
    """Waits until a followed file changes, or a timeout.
    `usable` is False when inotify is not there or has proved blind; the
    caller then sleeps as it did before."""

    def __init__(self) -> None:
        self._libc = _libc() if os.name == "posix" else None
        self._fd = -1
        if self._libc is not None:
            self._fd = self._libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        #: Directory -> its watch descriptor (-1: it cannot be watched).
        self._dirs: dict[str, int] = {}
        #: (watch descriptor, file name) of every followed file.
        self._names: set[tuple[int, bytes]] = set()
        #: Path asked for -> whether it is watched (asked before each rest).
        self._paths: dict[str, bool] = {}
        self._misses = 0
        # poll(2), not select(2): select takes no descriptor past 1,023.
        self._poller = select.poll()
        if self._fd >= 0:
            self._poller.register(self._fd, select.POLLIN)

    @property
    def usable(self) -> bool:
        return self._fd >= 0 and self._misses < MISSES_TOLERATED

    def watch(self, path: str) -> bool:
        """Wake for changes to the file at `path` (its directory is watched,
        once); False if it cannot be."""
        known = self._paths.get(path)
        if known is None:
            named = os.path.abspath(path)
            # A symlink's target is written where it is, not where the link is.
            known = self._paths[path] = all(
                [self._watch_in_directory(p) for p in {named, os.path.realpath(named)}])
        return known

    def _watch_in_directory(self, path: str) -> bool:
        directory, name = os.path.split(path)
        wd = self._dirs.get(directory)
        if wd is None:
            wd = self._libc.inotify_add_watch(self._fd, os.fsencode(directory), WATCHED_EVENTS) \
                if self._fd >= 0 else -1
            self._dirs[directory] = wd
        if wd < 0:
            return False
        self._names.add((wd, os.fsencode(name)))
        return True

    def wait(self, timeout: float) -> bool:
        """Sleep until a followed file changes or `timeout` (s) passes; True
        if one changed. Events that name other files are read and dropped
        (`OTHERS_PAUSE`): the reader's pass looks at every source."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self._poller.poll(left * 1000):
                return False
            if self._drain():
                return True
            time.sleep(min(OTHERS_PAUSE, max(0.0, deadline - time.monotonic())))

    def pending(self) -> bool:
        """A change is waiting to be read (without waiting for one)."""
        return bool(self._poller.poll(0))

    def missed(self) -> None:
        """New data was read that no event announced: after
        MISSES_TOLERATED of them the watch is not used any more."""
        self._misses += 1

    def _drain(self) -> bool:
        """Read every waiting event; True if one names a followed file (or
        may hide such a change)."""
        named = False
        try:
            while True:
                data = os.read(self._fd, DRAIN_BYTES)
                if not data:
                    break
                named = named or self._names_followed(data)
        except BlockingIOError:
            pass
        return named

    def _names_followed(self, data: bytes) -> bool:
        names = self._names
        offset, end = 0, len(data)
        while offset + EVENT_HEADER.size <= end:
            wd, mask, _, length = EVENT_HEADER.unpack_from(data, offset)
            offset += EVENT_HEADER.size
            name = data[offset:offset + length].rstrip(b"\0")
            offset += length
            if mask & IN_IGNORED:
                # Its directory is gone: watched again (or not) when next asked.
                self._dirs = {d: w for d, w in self._dirs.items() if w != wd}
                self._paths.clear()
                return True
            if mask & IN_Q_OVERFLOW or (wd, name) in names:
                return True
        return False

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
