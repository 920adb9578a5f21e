"""The exact anomalies of a big Inspect log long before its tree is indexed.

Indexing every span of a 1.1M-line log takes the app 6.4–7.1 s here; the
anomaly fold alone (`fastscan`, one process, its C accelerator) well under
one. So while the app's reader builds the tree, a child process folds the
whole file and hands back the buckets `tracetui anomalies` prints, and the
anomaly panel shows those instead of the partial ones the index has so far:
at 0.9 s instead of 6.4 s (`bench/bench_tui.py`, 2026-12-02), the scan
started before the app is imported (`start_early`). One process, not the
CLI's two: with two beside the reader, the answer came later (1.34 s
against 1.04 s) and the index too (the three processes share two CPUs).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from typing import BinaryIO, Callable

from tracetui.fastscan import usable_cpus
from tracetui.formats.inspect import scans_beside
from tracetui.model import BUCKETS, Anomalies, AnomalyRow

#: Smaller files are indexed about as fast as they can be scanned.
PRESCAN_MIN_BYTES = 16 * 1024 * 1024
#: The directory holding the `tracetui` package the child must import.
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def worth_prescanning(path: str) -> bool:
    """A big file, and a second CPU to scan it on (with one, the scan would
    slow the reader down as much as it gains)."""
    try:
        return os.path.getsize(path) >= PRESCAN_MIN_BYTES and usable_cpus() > 1
    except OSError:
        return False


#: How much the scan gives way (`os.nice`) beside a live eval: the eval
#: keeps its CPUs; an idle machine lends them all the same. Not beside
#: none: on a machine busy with something else, the scan of a killed
#: eval's log got 9 % of a CPU, and its hung actions were listed only
#: once the whole file was indexed, 12-19 s in (QA).
NICENESS = 10


def _lower_priority() -> None:
    try:
        os.nice(NICENESS)
    except OSError:
        pass


def start_early(sources: list, watch_dirs: list[str]) -> dict[str, "Prescan"]:
    """The scan of the first big Inspect log the app will read, started now,
    by path: before the app is imported and laid out (a third of a
    second), so its answer comes that much sooner. Only a log the app reads
    at once, never one it holds (`app.archives_to_hold`): one named on the
    command line, or the newest of a directory.

    Also begun now: the first database's pick of the runs it reads first
    (`SQLiteSource.pick_early`, in a thread). The others' begin with their
    first slice: many at once would share the two cores the first frame
    needs."""
    from tracetui.formats.inspect import is_live
    from tracetui.sources.base import is_database
    from tracetui.sources.lines import LineSource

    database = next((source for source in sources if is_database(source)), None)
    if database is not None:
        database.pick_early()

    dirs = {os.path.abspath(d) for d in watch_dirs}
    newest_seen: set[str] = set()
    for source in sources:
        directory = os.path.dirname(os.path.abspath(source.path))
        newest = directory not in newest_seen
        newest_seen.add(directory)
        if not (isinstance(source, LineSource) and source.format == "inspect"):
            continue
        if directory in dirs and not newest:
            return {}  # the app may hold it: its own order decides
        if worth_prescanning(source.path):
            return {source.path: Prescan(source.path, source.decoder.filter, gentle=is_live(source.path))}
    return {}


#: How much of a log's end `last_record_time` reads: a record is a few
#: hundred bytes, a model call's with its stack trace a few KB.
TAIL_BYTES = 256 * 1024


def last_record_time(path: str, message_filter: str | None = None) -> float | None:
    """The time of a plain log's last record, read from its last bytes
    (None if none is there): the end the whole-file scan will find
    (`Prescan.wait`), known at once. The status line said a killed eval's
    big log `ended` with no `… ago` until the scan answered (QA)."""
    from tracetui.fastscan import _last_record_time

    try:
        with open(path, "rb") as file:
            start = max(0, file.seek(0, os.SEEK_END) - TAIL_BYTES)
            file.seek(start)
            data = file.read(TAIL_BYTES)
    except OSError:
        return None
    pieces = data.split(b"\n")
    if start:
        del pieces[0]  # a line cut in front
    if data.endswith(b"\n"):
        pieces.pop()
    return _last_record_time(pieces, message_filter.lower() if message_filter else None)


class Prescan:
    """One file's scan, running in a child process from construction, its
    output read as it comes by a thread of its own: the closed rows found
    so far are there for the app's first frame (`found_so_far`), before
    the app has started a worker to wait for the answer."""

    def __init__(self, path: str, message_filter: str | None = None, parallel: bool = False,
                 gentle: bool = True) -> None:
        """`parallel`: fold on every CPU (for an archive scanned while the
        reader has nothing to read), not only on the one the reader leaves.
        `gentle`: give way to other processes (`NICENESS`): an eval runs."""
        self.path = path
        args = [sys.executable, "-m", "tracetui.fastscan", *(["--parallel"] if parallel else []), path]
        if message_filter:
            args.append(message_filter)
        # The child imports the tracetui this process runs, installed or not.
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (PACKAGE_PARENT, env.get("PYTHONPATH"))))
        #: The closed rows found so far and the offset they were found up
        #: to (`fastscan.Interim`); whoever hears of them (`wait`).
        self._found: tuple[Anomalies, int] | None = None
        self._on_found: Callable[[Anomalies, int], None] | None = None
        self._lock = threading.Lock()
        self._answer: tuple | None = None
        self._pipe: threading.Thread | None = None
        try:
            self._proc: subprocess.Popen | None = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, env=env, preexec_fn=_lower_priority if gentle else None)
        except OSError:
            self._proc = None
            return
        self._pipe = threading.Thread(target=self._read_pipe, args=(self._proc.stdout,), daemon=True,
                                      name="prescan output")
        scans_beside(+1)  # until its output ends (`_read_pipe`)
        try:
            self._pipe.start()
        except RuntimeError:  # no thread to be had: no answer either
            scans_beside(-1)
            self._proc.kill()
            self._pipe = None

    def _read_pipe(self, out: BinaryIO) -> None:
        try:
            with out:
                while (frame := _read_frame(out)) is not None:
                    if frame[0] == "answer":
                        self._answer = frame[1]
                        return
                    if frame[0] == "interim":
                        self._add_found(frame[1], frame[2])
        except (OSError, ValueError):  # closed under it: cancelled
            pass
        finally:
            scans_beside(-1)

    def _add_found(self, rows: dict[str, list[tuple[str, AnomalyRow]]], upto: int) -> None:
        """Rows found since the last frame, into a new `Anomalies` (the UI
        thread may be reading the last one)."""
        found = Anomalies()
        with self._lock:
            for name in BUCKETS:
                bucket = found.bucket(name)
                if self._found is not None:
                    bucket.update(self._found[0].bucket(name))
                bucket.update(rows.get(name, ()))
            self._found = (found, upto)
            if self._on_found is not None:
                self._on_found(found, upto)

    def found_so_far(self) -> tuple[Anomalies, int] | None:
        """The cancelled, failed and timed-out rows found so far (no
        running ones: what is open midway mostly closes further on), keyed
        by trace id, in file order, and the offset they were found up to;
        None before the first are found, and once the answer is taken
        (`wait`)."""
        return self._found

    def wait(self, on_found: Callable[[Anomalies, int], None] | None = None
             ) -> tuple[Anomalies, float | None] | None:
        """The buckets, keyed by trace id, rows without spans, and the time
        of the file's last record (None if unknown); None if the scan failed
        or was cancelled. Meanwhile `on_found` hears of each `found_so_far`
        (of the last one at once), on another thread. Blocks: call it from
        a thread. Once: then the scan holds nothing it found."""
        if self._proc is None or self._pipe is None:
            return None
        with self._lock:
            self._on_found = on_found
            if on_found is not None and self._found is not None:
                on_found(*self._found)
        self._pipe.join()
        failed = self._proc.wait() != 0 or self._answer is None
        # The answer is the caller's now: the scan keeps none of its rows
        # (a 1M-line log's ~3,300 rows found so far and the ~4,600 of the
        # scan's own answer, with their strings, were kept while the app
        # ran: 2.5 MB).
        answer, self._answer = self._answer, None
        with self._lock:
            self._found = self._on_found = None
        if failed:
            return None
        result, _note = answer
        return result.anomalies(), result.last_record_time

    def cancel(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()


def _read_frame(out: BinaryIO) -> tuple | None:
    """One of the scan's framed pickles (`fastscan._send`); None at its end,
    or if what came is cut short or not one."""
    header = out.read(8)
    if len(header) < 8:
        return None
    size = int.from_bytes(header, "little")
    data = out.read(size)
    if len(data) < size:
        return None
    try:
        frame = pickle.loads(data)
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError):
        return None
    return frame if isinstance(frame, tuple) and frame else None
