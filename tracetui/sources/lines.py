"""Line- and document-based file sources: a FileFollower feeding a decoder."""

from __future__ import annotations

import os
import time
from typing import Any, Sequence

from tracetui.breathe import rest_for_key
from tracetui.formats import DocumentFormat, LineFormat
from tracetui.formats.inspect import WRITER_QUIET, is_live, written_mark
from tracetui.sources.base import DecodedSource, paused_gc, records_older_than, written_within
from tracetui.sources.files import (
    GZIP_BUFFER, GZIP_DAMAGE, FileFollower, whole_json, damaged_gzip_note, gunzip, is_gzip, open_regular,
)
from tracetui.sources.writers import open_for_writing, writer_since
from tracetui.store import Store


def _decode_text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


#: How often a followed file's writer is checked for life (s).
LIVENESS_INTERVAL = 1.0
#: A last line without its newline, in a file whose writer is not seen at
#: work, is read as it is (cut off: a killed eval's) once it has stayed so
#: this long (s). At once, a record written in two pieces to a log quiet
#: for a while (a hung eval's next record) was read as two bad lines, and
#: lost (QA).
CUT_LINE_QUIET = 5.0


class WriterGone:
    """Whether the process seen holding a file open for writing has gone,
    and nothing was written since: the file has ended then, not after
    WRITER_QUIET of quiet (it read live 30 s on). Line and document
    sources alike."""

    __slots__ = ("_mark",)

    def __init__(self) -> None:
        #: The file's `written_mark` when its writer was found gone; None
        #: while held, or if no writer was ever seen.
        self._mark: tuple[int, int] | None = None

    def saw(self, path: str, was_open: bool | None, is_open: bool | None) -> None:
        """What a look for the writer found (None: could not tell)."""
        if is_open:
            self._mark = None
        elif was_open and is_open is False:
            self._mark = written_mark(path)

    def ended(self, path: str) -> bool:
        return self._mark is not None and written_mark(path) == self._mark


class LineSource(DecodedSource):
    """A JSONL file (plain or gzip), followed as it grows."""

    def __init__(self, path: str, fmt: LineFormat, store: Store, **options: Any) -> None:
        super().__init__(path)
        self.format = fmt.name
        self.store = store
        self.follower = FileFollower(path)
        self.decoder = fmt.decoder(store, path, **options)
        self.behind = True  # nothing read yet
        self._liveness_checked = 0.0
        #: ((mtime, runs read), a copy?) of the last `_a_copy` answer.
        self._copy_check: tuple[tuple | None, bool] = (None, False)
        #: (where the unfinished last line ends, since when: time.monotonic())
        self._cut_line: tuple[int, float] = (-1, 0.0)
        #: A file with no writer of its own to ask (not Inspect's): does
        #: another process here hold it open for writing (`writers`)? None
        #: until looked, or where this machine cannot tell.
        self._writer_open: bool | None = None
        self._writer_gone = WriterGone()

    def poll(self, final: bool = False, max_chunks: int | None = None, take_line: bool = False,
             freeze: bool = False) -> bool:
        """Read what is new (all of it, or at most `max_chunks` slices, so a
        caller can show a first screen before a big file is read);
        `self.behind` says whether more is waiting. `freeze`: what each
        slice adds is frozen out of the cyclic collector's reach at once
        (`paused_gc`), garbage cycles made meanwhile too."""
        changed = False
        chunks = 0
        if final and self._writer_open is None and not hasattr(self.decoder, "writer_alive") \
                and _ends_unfinished(self.path):
            self._look_for_writer(force=True)  # a command reading to the end: is that line being written?
        # A log still being written may end in a line its writer has not
        # finished: it waits for its newline, as when following, instead of
        # being read (and counted bad) by a command that reads to the end.
        flush = (final and not (self._line_may_be_finished() and not _last_line_whole(self.path))) \
            or take_line
        while True:
            # In the TUI's reader: a key being handled goes first (a slice
            # of a big file holds the GIL and the store's lock ~30 ms).
            rest_for_key()
            chunk = self.follower.poll(final=flush)
            chunks += 1
            self.behind = chunk.more
            self.notes.extend(chunk.notes)
            if self.follower.path != self.path:
                self.path = self.follower.path
                setter = getattr(self.decoder, "set_path", None)
                if setter:
                    # Under the lock: it may rename a run the UI is reading.
                    with self.store.lock:
                        setter(self.path)
                    # News even with no new record: the panes name the file
                    # (the detail said `trace-N.log` once it was gzipped, QA).
                    changed = True
            with self.store.lock, paused_gc(freeze=freeze):
                if chunk.reset:
                    self.decoder.reset()
                    changed = True
                if chunk.runs:
                    feed_run = getattr(self.decoder, "feed_run", None)
                    if feed_run is not None:
                        for pos, lines in chunk.runs:
                            feed_run(lines, pos, chunk.cr)
                    else:
                        self.decoder.feed(chunk.lines)
                    changed = True
            self._take_decoder_notes()
            if not chunk.more:
                caught_up = getattr(self.decoder, "caught_up", None)
                if caught_up is not None:
                    caught_up()
            if not chunk.more or (max_chunks is not None and chunks >= max_chunks):
                if final and not flush and not chunk.more and self.follower.pending_partial:
                    self.notes.append(f"{self.path}: its last line is still being written: not read")
                elif not final and not chunk.more and self.follower.pending_partial and not self.live \
                        and self._cut_line_settled():
                    # Its writer is gone and will never finish that line (an
                    # eval killed mid-write): read it as it is, counted as a
                    # bad line as a command reading to the end counts it (QA:
                    # the TUI dropped it without a word).
                    return self.poll(final=True) or changed
                elif not final and not chunk.more and self.follower.pending_partial \
                        and self._cut_line_settled() and self.follower.pending_is_whole_json():
                    # Its writer lives, but the line is a whole record: a
                    # writer that puts the newline before each record leaves
                    # its newest one, often the hung span, so while it runs
                    # (QA). Read once it has stayed so CUT_LINE_QUIET: what
                    # may come next on its line is its newline.
                    return self.poll(take_line=True) or changed
                return self._check_writer() or changed

    def _writer_matters(self) -> bool:
        """Whether finding the writer changes what is shown: a last line
        waits for its end, or spans are open (their ages, `●`), or name a
        parent not written (a placeholder stands for it if the file is
        being written: `SpanLinker.unwritten`). Looking
        costs a stat of every open file here (`writers`): a command on a
        finished file took 0.2 s more, 1 s beside 20,000 open files (QA)."""
        if self.follower.pending_partial:
            return True
        open_spans = getattr(self.decoder, "has_open_spans", None)
        return open_spans is None or open_spans()

    def _line_may_be_finished(self) -> bool:
        """Its writer is at work, and may finish an unfinished last line: an
        Inspect eval alive, or a process holding the file open for writing.
        (A file only written lately may well end without a newline: many
        writers end a file so, and a one-shot read must read that line.)"""
        alive = getattr(self.decoder, "writer_alive", None)
        if alive is not None:
            return self.live and alive
        return bool(self._writer_open)

    def _cut_line_settled(self) -> bool:
        """The unfinished last line has not grown for CUT_LINE_QUIET."""
        end = self.follower.pending_end
        now = time.monotonic()
        if end != self._cut_line[0]:
            self._cut_line = (end, now)
        return now - self._cut_line[1] >= CUT_LINE_QUIET

    @property
    def progress(self) -> float:
        return self.follower.read_fraction if self.behind else 1.0

    def _check_writer(self) -> bool:
        """Ask the decoder, at most every LIVENESS_INTERVAL, whether the
        writer still runs (an Inspect eval killed mid-hang writes nothing
        more, and its file stays `.log`), or look for a process holding
        the file open for writing (`_look_for_writer`); True if that changed
        a run."""
        now = time.monotonic()
        if now - self._liveness_checked < LIVENESS_INTERVAL:
            return False
        self._liveness_checked = now
        check = getattr(self.decoder, "check_writer", None)
        if check is not None:
            with self.store.lock:
                return check()
        return self._look_for_writer()

    def _look_for_writer(self, force: bool = False) -> bool:
        """A file that says nothing of its writer (native, OTel, SGP JSONL):
        is a process here holding it open for writing? Then it is live
        however long it is quiet (a span hung a minute read "ended", its
        age frozen, and a line half written then was lost; QA), and its runs
        with spans open age to now; once that process is gone, it has
        ended. The runs are told (`see_writer`); True if one changed."""
        if self.follower.compressed or self.follower.gone:
            opened: bool | None = False
        elif force or self._writer_open or self._writer_matters():
            opened = open_for_writing(self.path)
        else:
            opened = self._writer_open  # not looked for: it changes nothing shown
        self._writer_gone.saw(self.path, self._writer_open, opened)
        self._writer_open = opened
        see = getattr(self.decoder, "see_writer", None)
        if see is None:
            return False
        live = self.live
        since = writer_since(self.path) if opened else None
        with self.store.lock:
            return see(live, live and bool(opened), since)

    @property
    def live(self) -> bool:
        """Being written: as its decoder tells (an Inspect log's eval), else
        held open for writing by a process here (`_look_for_writer`), or
        written within WRITER_QUIET (an OTel or native JSONL file said
        `● live` days after its last write) unless its writer was seen go."""
        if self.follower.compressed or self.follower.gone:
            return False
        alive = getattr(self.decoder, "writer_alive", None)
        if alive is not None:
            return alive
        if self._writer_open:
            return True
        if self._writer_gone.ended(self.path):
            return False  # its writer, seen at work, is gone: nothing written since
        return written_within(self.path, WRITER_QUIET) and not self._a_copy()

    def _a_copy(self) -> bool:
        """Its newest record is older than its last write by more than
        COPY_GAP: copied or downloaded, not being written (a `cp` of an OTel
        export read `● live` for 30 s; QA). Checked once per write or read."""
        try:
            mtime = os.stat(self.path).st_mtime
        except OSError:
            return False
        # No lock (the UI asks): `list` copies the reader's set at once.
        run_ids = list(getattr(self.decoder, "run_ids", ()))
        if self._copy_check[0] != (mtime, len(run_ids)):  # again once written or read on
            self._copy_check = ((mtime, len(run_ids)), records_older_than(self.store, run_ids, mtime))
        return self._copy_check[1]

    @property
    def settled(self) -> bool:
        """Gzipped or gone: it can only be replaced, not appended to."""
        return self.follower.compressed or self.follower.gone

    def raw(self, locator: Any) -> str | None:
        return self.raws([locator])[0]

    def raws(self, locators: Sequence[Any]) -> list[str | None]:
        """As `raw`, in one read of the file (`FileFollower.read_lines_at`)."""
        offsets = [locator for locator in locators if isinstance(locator, int)]
        lines = dict(zip(offsets, self.follower.read_lines_at(offsets))) if offsets else {}
        texts = []
        for locator in locators:
            line = lines.get(locator) if isinstance(locator, int) else None
            texts.append(None if line is None else _decode_text(line))
        return texts


#: How much of a file's end `_last_line_whole` reads.
LAST_LINE_READ = 1024 * 1024


def _last_line_whole(path: str) -> bool:
    """A plain file's last line, without its newline, is a whole JSON value
    (`files.whole_json`): read as it is, it reads as it will once ended."""
    try:
        with open_regular(path) as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - LAST_LINE_READ))
            tail = f.read(LAST_LINE_READ)
    except OSError:
        return False
    cut = tail.rfind(b"\n")
    if cut < 0 and size > LAST_LINE_READ:
        return False  # longer than what was read
    return bool(tail[cut + 1:]) and not is_gzip(path) and whole_json(tail[cut + 1:])


def last_line_being_written(path: str) -> bool:
    """A plain file whose last line is unfinished, not a whole JSON value
    as it is, and whose writer is at work (a process holds it open for
    writing, or an Inspect eval's log is live): the line waits for its
    writer, as `LineSource.poll(final=True)` leaves it; `tracetui dump`
    counted it as a line that is not JSON."""
    if not _ends_unfinished(path) or _last_line_whole(path):
        return False
    return bool(open_for_writing(path)) or is_live(path)


def _ends_unfinished(path: str) -> bool:
    """A plain file whose last byte is not a newline (its last line may be
    being written)."""
    try:
        with open_regular(path) as f:
            size = f.seek(0, os.SEEK_END)
            if not size:
                return False
            f.seek(size - 1)
            return f.read(1) != b"\n" and not is_gzip(path)
    except OSError:
        return False


def read_all(path: str) -> tuple[bytes, str | None]:
    """The whole (decompressed) file, and a note if gzip data ended early."""
    with open_regular(path) as raw:
        if not is_gzip(path):
            return raw.read(), None
        stream, inner = gunzip(raw)
        parts = []
        exc = None
        try:
            while True:
                block = stream.read(GZIP_BUFFER)
                if not block:
                    break
                parts.append(block)
            exc = inner.error
        except GZIP_DAMAGE as error:
            exc = error
        if exc is not None:
            data = b"".join(parts)
            return data, damaged_gzip_note(path, exc, len(data))
        return b"".join(parts), None


class DocumentSource(DecodedSource):
    """A file holding one JSON document (a Chrome trace), or objects back to
    back: re-read whole whenever it changes."""

    def __init__(self, path: str, fmt: DocumentFormat, store: Store, **options: Any) -> None:
        super().__init__(path)
        self.format = fmt.name
        self.store = store
        self.decoder = fmt.decoder(store, path, **options)
        self._stamp: tuple | None = None
        self._gz = is_gzip(path)
        #: What the decoder was last told of its writer (`_tell_writer`).
        self._told: tuple | None = None
        #: Whether a process was last seen holding it open for writing.
        self._held = False
        self._writer_gone = WriterGone()

    def poll(self, final: bool = False) -> bool:
        try:
            st = os.stat(self.path)
        except OSError:
            return False
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
        if stamp == self._stamp:
            return self._tell_writer()
        try:
            data, note = read_all(self.path)
        except OSError as exc:
            self.notes.append(f"{self.path}: cannot read: {exc.strerror or exc}")
            return False
        if note:
            self.notes.append(note)
        said = getattr(self.decoder, "note", None)
        writer = self._writer()
        if hasattr(self.decoder, "may_grow"):
            # Written now (an exporter's indented spans): a last record cut
            # at the end is its writer's next, not a bad one.
            self.decoder.may_grow = writer[0]
        with self.store.lock, paused_gc():
            if self._stamp is not None:
                self.decoder.reset()
            self._stamp = stamp
            self.decoder.feed_document(data)
        self._take_decoder_notes()
        self._say_instead(said, getattr(self.decoder, "note", None))
        self._told = None  # its runs are made anew: told again
        self._tell_writer(writer)
        return True

    def _writer(self) -> tuple[bool, bool, float | None]:
        """(live, seen, since) of a document of span records back to back
        (an exporter's indented spans): live while written within
        WRITER_QUIET or held open for writing by a process here (seen,
        since when: `writers.writer_since`), as a JSONL file is."""
        if self._gz or not hasattr(self.decoder, "see_writer"):
            return False, False, None
        held = bool(open_for_writing(self.path))
        self._writer_gone.saw(self.path, self._held, held)
        self._held = held
        if held:
            return True, True, writer_since(self.path)
        if self._writer_gone.ended(self.path):
            return False, False, None  # ended now, as a JSONL file is
        return written_within(self.path, WRITER_QUIET), False, None

    def _tell_writer(self, told: tuple[bool, bool, float | None] | None = None) -> bool:
        """Tell the decoder what is known of the writer (`told`, else looked
        at now) when that changed (its hung spans age to now, the parents
        it has not written stand in running: `SpanDecoder.see_writer`);
        True if a run changed."""
        told = self._writer() if told is None else told
        if told == self._told:
            return False
        self._told = told
        if not hasattr(self.decoder, "see_writer"):
            return False
        with self.store.lock:
            return self.decoder.see_writer(*told)

    def _say_instead(self, said: str | None, now: str | None) -> None:
        """The decoder's note on this reading of the document (a Chrome
        trace cut short) in place of the one on the reading before: a copy
        read again once whole must not still say it was cut."""
        if said is not None and said in self.notes:
            self.notes.remove(said)
        if now is not None:
            self.notes.append(now)

    @property
    def live(self) -> bool:
        return self._told is not None and self._told[0]

    @property
    def settled(self) -> bool:
        """Re-read whole when it changes, which is rare (a Chrome trace
        written at the end of a task); looked at once a second (the app's
        reader) while that is all it is."""
        return True

    def raw(self, locator: Any) -> str | None:
        raw = getattr(self.decoder, "raw", None)
        return raw(locator) if raw else None
