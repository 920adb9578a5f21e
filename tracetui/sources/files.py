"""Follow a file of newline-separated records, plain or gzip.

`FileFollower.poll()` answers "what is new since last time": whole lines
only (a line split across two writes is held until its newline arrives),
with the byte offset of each line so its raw record can be read back.
It notices a file truncated, replaced (new inode) or gzipped away
(`trace-N.log` → `trace-N.log.gz`, as Inspect does at exit) and carries on
without losing or doubling a line. It only ever opens files for reading.
While it decompresses a gzip file it keeps seek points (`SeekPoint`), so a
record deep in an archived log reads back without decompressing everything
before it.
"""

from __future__ import annotations

import bisect
import errno
import gzip
import io
import os
import stat
import threading
import zlib
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Sequence

import orjson

from tracetui.memory import reuse_freed_memory, share_one_heap

try:  # the C accelerator's memchr split, where it is built (setup.py)
    from tracetui._fastfold import split_lines
except ImportError:  # pragma: no cover - depends on the install
    def split_lines(data: bytes) -> list[bytes]:
        """`data` cut at each newline."""
        return data.split(b"\n")

try:  # a slice's lines read in place by the Inspect decoder's C path (setup.py)
    from tracetui._fastindex import Lines
except ImportError:  # pragma: no cover - depends on the install
    Lines = None


def cut_lines(data: bytes, end: int, start: int = 0) -> Sequence[bytes]:
    """The lines of `data[start:end]`, cut at each newline (the last may
    have none). A `_fastindex.Lines` where the accelerator is built: it holds
    `data` and where each line starts, and makes a line bytes only when
    asked for it. The Inspect decoder's C path reads the lines in place:
    a list of bytes, a line each, cost 8% of the CPU time of indexing a
    1M-line log, for a copy of every byte and an object made and freed a
    line."""
    if Lines is not None:
        return Lines(data, end, start)
    lines = split_lines(data[start:end] if start or end < len(data) else data)
    if not lines[-1]:  # data[start:end] ended with a newline (or was empty)
        lines.pop()
    return lines


def has_cr(data: bytes, lines: Sequence[bytes], start: int) -> bool:
    """Whether a CR lies in `lines`, cut from `data[start:]` (`Chunk.cr`):
    a `Lines` found out as it cut them, without the GIL."""
    cr = getattr(lines, "cr", None)
    return data.find(b"\r", start) >= 0 if cr is None else cr


class ReadAhead:
    """The next slice of a plain file, read and cut into lines on a thread
    of its own while the reader decodes the slice before it.

    Why: reading a 1M-line log's 408 MB (the kernel's copy: 0.09 s) and
    cutting its lines (0.05 s, its CRs looked for too) took the reader's
    own time, one slice after another, between two slices' decoding. Read
    ahead, they overlap it on the other core (the read and the cut both let
    the GIL go): `cli.load` of that log took 1.21-1.27 s against
    1.39-1.47 s in line (three runs each, 2026-12-06). Only while a file is
    read in bulk, in slices of READ_AHEAD_MIN or more (a slice came back
    full): a followed log's next bytes are not written yet.

    What it read is taken only for the very read the follower would make
    (`take`): the same file (device, inode), offset, size and start. It is
    then as a read made a little earlier: what happened to the file since
    (replaced, truncated, rotated, rewritten) the follower's next look at
    it finds as it always does."""

    def __init__(self, path: str, ino: tuple[int, int], pos: int, size: int, start: int) -> None:
        self.key = (ino, pos, size, start)
        #: What was read, and its lines from `start` to the last newline
        #: (`cut`); None when the read failed (the follower reads again,
        #: and says why).
        self.data: bytes | None = None
        self.cut = 0
        self.lines: Sequence[bytes] = ()
        self._thread = threading.Thread(target=self._read, args=(path, ino, pos, size, start),
                                        name="read ahead", daemon=True)
        self._thread.start()

    def _read(self, path: str, ino: tuple[int, int], pos: int, size: int, start: int) -> None:
        # Whatever fails here (OSError, MemoryError) the follower meets again
        # in its own read, and says: a thread's traceback would be written
        # over the app's screen.
        try:
            with open_regular(path) as f:
                st = os.fstat(f.fileno())
                if (st.st_dev, st.st_ino) != ino:
                    return
                f.seek(pos)
                data = f.read(size)
            self.cut = max(start, data.rfind(b"\n", start) + 1)
            self.lines = cut_lines(data, self.cut, start)
        except Exception:
            return
        self.data = data

    def take(self, ino: tuple[int, int] | None, pos: int, size: int, start: int) -> bytes | None:
        """What was read, once it has been, if it is that read; else None."""
        self._thread.join()
        return self.data if self.key == (ino, pos, size, start) else None


GZIP_MAGIC = b"\x1f\x8b"
#: Read plain files in slices of this size so a huge file streams in batches.
READ_SIZE = 8 * 1024 * 1024
#: The smallest slice whose successor is read ahead (`ReadAhead`). Smaller
#: slices (the app's 1 MiB while it follows) are not: each read ahead costs
#: the reader a round trip of the GIL, and a 1M-line log read ahead in
#: 1 MiB slices took 1.49-1.75 s with `cli.load`, against 1.49-1.50 s read
#: in line (1.21-1.27 s ahead in 8 MiB slices).
READ_AHEAD_MIN = 4 * 1024 * 1024
#: Python's gzip behind a 1 MiB buffer is ~35% faster than iterating it bare.
GZIP_BUFFER = 1024 * 1024
#: Decompressed bytes between two seek points of a gzip file: reading a
#: record back decompresses at most this much instead of everything before
#: it (0.65 s deep in a 400 MB log). Each point holds a copy of the
#: inflater (40 KB, measured with tracemalloc). At 16 MB, a 408 MB log
#: keeps 23 points (0.9 MB; 2 B of its 490k spans' memory less than 47 at
#: 8 MB), and a record just before a point reads back in 26 ms at worst
#: (13 ms at 8 MB; ten such reads each, 2026-12-06): as long as `r` took
#: at 8 MB for a span's two records, which are now read in one pass
#: (`read_lines_at`).
SEEK_SPACING = 16 * 1024 * 1024
#: Bytes kept from just before the read offset, to recognise the same
#: content when a followed file reappears gzipped.
TAIL_CHECK = 256


@dataclass
class Chunk:
    """What one poll found."""

    #: The new lines, without their newlines, in runs of consecutive lines:
    #: (byte offset in the uncompressed stream of the run's first line, its
    #: lines). Runs, not an (offset, line) pair per line: making the pairs
    #: cost more than parsing the lines (1.1 of 7 s indexing a 1M-line log).
    #: Each run's lines are a sequence of bytes (`cut_lines`).
    runs: list[tuple[int, Sequence[bytes]]] = field(default_factory=list)
    #: The file was replaced or truncated: forget what it said before.
    reset: bool = False
    #: One-line notes for the user (truncated gzip, file vanished...).
    notes: list[str] = field(default_factory=list)
    #: More data is waiting (the read stopped at READ_SIZE).
    more: bool = False
    #: A line read has a CR in it (a CRLF file, or a lone CR, which Inspect
    #: takes for a line break): without one, a decoder need not look for
    #: lone CRs line by line (0.3 µs a line; one look for the whole block).
    cr: bool = False

    @property
    def lines(self) -> list[tuple[int, bytes]]:
        """(offset, line) for each new line, for readers that want pairs."""
        pairs = []
        for pos, lines in self.runs:
            for line in lines:
                pairs.append((pos, line))
                pos += len(line) + 1
        return pairs


class SeekPoint(NamedTuple):
    """A place to start decompressing a gzip stream other than its start:
    what `inflate` had yielded and read there, and its inflater's state."""

    #: Offset in the decompressed stream of the next byte it yields.
    out: int
    #: Offset in the compressed file of the first byte it has not consumed.
    raw: int
    #: A copy of the inflater at that point (copied again to resume, so a
    #: point serves any number of reads).
    inflater: Any


def _before_trailer(inflater, data: bytes, block: int):
    """What `inflater` gives of `data` less its last 8 bytes (a gzip
    trailer); nothing if that fails too (the damage is in the data)."""
    if len(data) <= 8:
        return
    data = data[:-8]
    try:
        while data:
            piece = inflater.decompress(data, block)
            if not piece:
                return
            yield piece
            data = inflater.unconsumed_tail
    except zlib.error:
        return


def inflate(raw, block: int = GZIP_BUFFER, points: list[SeekPoint] | None = None,
            start: SeekPoint | None = None):
    """The decompressed bytes of a gzip stream in pieces of up to `block`,
    read as Python's gzip module reads it (members back to back, zero
    padding between them) but yielding everything before a problem first:
    then raises EOFError (cut short), BadGzipFile (trailing garbage) or
    zlib.error (damaged), where the module would have dropped its buffer.

    `points`: a list to append a SeekPoint to every SEEK_SPACING bytes of
    output. `start`: resume at such a point instead of the file's start."""
    data = b""
    if start is None:
        inflater = zlib.decompressobj(31)
        out = 0
        pos = raw.tell()  # compressed offset just past `data`
    else:
        inflater = start.inflater.copy()
        out = start.out
        pos = start.raw
        raw.seek(pos)
    next_point = out + SEEK_SPACING
    while True:
        while not inflater.eof:
            if not data:
                data = raw.read(1 << 16)
                if not data:
                    raise EOFError("Compressed file ended before the end-of-stream marker was reached")
                pos += len(data)
            saved = inflater.copy()
            try:
                piece = inflater.decompress(data, block)
            except zlib.error:
                # A bad CRC or length in the trailer fails the call that
                # reaches it, and that call's output with it: a small file,
                # inflated in one call, showed nothing (QA). What comes
                # before the trailer is given, then the error.
                yield from _before_trailer(saved, data, block)
                raise
            data = inflater.unconsumed_tail
            if piece:
                out += len(piece)
                if points is not None and out >= next_point and not inflater.eof:
                    points.append(SeekPoint(out, pos - len(data), inflater.copy()))
                    next_point = out + SEEK_SPACING
                yield piece
        data = inflater.unused_data
        while True:  # zero padding, then the next member or the end
            data = data.lstrip(b"\0")
            if len(data) >= 2:
                break
            more = raw.read(1 << 16)
            if not more:
                if data:
                    raise TrailingGarbage("Not a gzipped file")
                return
            pos += len(more)
            data += more
        if data[:2] != GZIP_MAGIC:
            raise TrailingGarbage(f"Not a gzipped file ({data[:2]!r})")
        inflater = zlib.decompressobj(31)
        if points is not None and out >= next_point:  # a member's start
            points.append(SeekPoint(out, pos - len(data), inflater.copy()))
            next_point = out + SEEK_SPACING


class Gunzip(io.RawIOBase):
    """A gzip stream as a raw file: reads end quietly where the data ends or
    breaks, and `error` says why (None = a clean end), so a cut or damaged
    file still yields every byte before the damage."""

    def __init__(self, raw, points: list[SeekPoint] | None = None,
                 start: SeekPoint | None = None) -> None:
        super().__init__()
        self._pieces = inflate(raw, points=points, start=start)
        self._piece = memoryview(b"")
        self._pos = 0
        self.error: BaseException | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self._pos >= len(self._piece):
            if self._pieces is None:
                return 0
            try:
                self._piece = memoryview(next(self._pieces))
                self._pos = 0
            except StopIteration:
                self._pieces = None
                return 0
            except GZIP_DAMAGE as exc:
                self.error = exc
                self._pieces = None
                return 0
        n = min(len(buffer), len(self._piece) - self._pos)
        buffer[:n] = self._piece[self._pos:self._pos + n]
        self._pos += n
        return n


#: The smallest gzip member: a 10-byte header, an empty stream, an 8-byte trailer.
GZIP_MIN_BYTES = 18


#: What reading gzip data that is cut short or damaged raises (Python's
#: gzip module, zlib, or the file itself); every reader catches these and
#: says so with `damaged_gzip_note`.
GZIP_DAMAGE = (EOFError, gzip.BadGzipFile, zlib.error, OSError)


class TrailingGarbage(gzip.BadGzipFile):
    """Bytes that are not gzip after a whole gzip member: every record was
    read (Python's gzip module raises BadGzipFile there too)."""


def damaged_gzip_note(path: str, exc: BaseException, readable: int) -> str:
    """The one line every reader gives for gzip data cut short or damaged
    after `readable` decompressed bytes."""
    if isinstance(exc, TrailingGarbage):
        return (f"{path}: bytes after the end of the gzip data are not gzip: ignored "
                f"(all {readable} bytes of the data were read)")
    return (f"{path}: gzip data ends early or is damaged after {readable} bytes "
            f"({type(exc).__name__}); showing what was readable")


def trailer_size(raw) -> int:
    """The decompressed size a gzip file's trailer states (exact for one
    member under 4 GiB, else a guess); 0 for a file too short to hold one.
    Leaves `raw` at its start."""
    size = 0
    if raw.seek(0, os.SEEK_END) >= GZIP_MIN_BYTES:
        raw.seek(-4, os.SEEK_END)
        size = int.from_bytes(raw.read(4), "little")
    raw.seek(0)
    return size


def gunzip(raw, points: list[SeekPoint] | None = None,
           start: SeekPoint | None = None) -> tuple[io.BufferedReader, Gunzip]:
    """A buffered reader over a gzip stream, and its Gunzip (for `.error`);
    `points` and `start` as for `inflate`."""
    inner = Gunzip(raw, points, start)
    return io.BufferedReader(inner, GZIP_BUFFER), inner


def _renamed_to(path: str, ino: tuple[int, int]) -> str | None:
    """Another name in `path`'s directory for the file (dev, ino), if any."""
    directory = os.path.dirname(path) or "."
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.inode() == ino[1] and entry.path != path and entry.is_file(follow_symlinks=False) \
                        and entry.stat(follow_symlinks=False).st_dev == ino[0]:
                    return entry.path
    except OSError:
        pass
    return None


def open_regular(path: str):
    """`open(path, "rb")`, but never blocking on what is not a regular file:
    a followed log replaced by a FIFO between a look and the open (`mkfifo`
    where it was) hung the reader for good, and the app's exit with it.
    O_NONBLOCK makes opening a FIFO return at once; it changes nothing for a
    regular file's reads. Raises OSError (EINVAL) for anything else."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def is_gzip(path: str) -> bool:
    try:
        with open_regular(path) as f:  # (what is not a regular file: OSError)
            return f.read(2) == GZIP_MAGIC
    except OSError:
        return False


def size_of(path: str) -> int:
    """A file's size in bytes; 0 if it cannot be looked at."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def whole_json(line: bytes) -> bool:
    """Is `line` a whole JSON object or array? Then what may still come on
    its line is a newline (or blanks), or it will not be JSON at all."""
    body = line.rstrip(b" \t\r")
    if (body[:1], body[-1:]) not in ((b"{", b"}"), (b"[", b"]")):
        return False
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return True


class FileFollower:
    """Incremental line reader over one file; see the module docstring."""

    def __init__(self, path: str, read_size: int = READ_SIZE) -> None:
        reuse_freed_memory()  # its slices, made and freed one after another
        # One heap: slices read ahead (`ReadAhead`) are made on a thread of
        # their own, whose heap kept them once freed (a command reading a
        # 1M-line log held 25 MB more).
        share_one_heap()
        self.path = path
        #: Bytes read per poll at most (smaller = more, shorter batches).
        self.read_size = read_size
        #: Offset (uncompressed) just past the last whole line handed out.
        self.offset = 0
        self._partial = b""
        #: A last line was read without its newline: one at the start of
        #: what comes next ends it (it is no line of its own).
        self._newline_owed = False
        self._ino: tuple[int, int] | None = None
        self._size = -1
        self._mtime = -1.0
        self._gzip: bool | None = None
        self._tail = b""
        self.gone = False
        #: An open decompression stream while a gzip file is being read.
        self._gz_raw = None
        self._gz_stream = None
        self._gz_inner: Gunzip | None = None
        self._gz_skip = 0
        #: Seek points into the gzip stream being (or last) read, in order.
        self._gz_points: list[SeekPoint] = []
        #: How much of the file the last poll had read, 0..1 (set by the
        #: reading thread; a plain float, so another thread may read it).
        self.read_fraction = 0.0
        #: The decompressed size a gzip file's trailer states (mod 2**32).
        self._gz_isize = 0
        #: The gzip data ended early or was damaged: what was read is all
        #: that could be (the status line says so beside "archived").
        self.cut_short = False
        #: The next slice of a plain file being read in bulk (`ReadAhead`).
        self._ahead: ReadAhead | None = None

    @property
    def compressed(self) -> bool:
        return bool(self._gzip)

    @property
    def pending_partial(self) -> bool:
        return bool(self._partial)

    def pending_is_whole_json(self) -> bool:
        """The unfinished last line is a whole JSON value: read now, it
        reads as it will once its newline comes (`whole_json`)."""
        return bool(self._partial) and whole_json(self._partial)

    @property
    def pending_end(self) -> int:
        """Where the bytes read so far end, an unfinished last line's too."""
        return self.offset + len(self._partial)

    @property
    def file_id(self) -> tuple[int, int] | None:
        """(device, inode) of the file being read, once it is opened."""
        return self._ino

    def _follow_rename(self, moved: str, final: bool) -> Chunk:
        """Carry on with the file under the name it was renamed to."""
        note = f"{self.path}: rotated to {os.path.basename(moved)}; following it there"
        self.path = moved
        rest = self.poll(final)
        rest.notes.insert(0, note)
        return rest

    def poll(self, final: bool = False) -> Chunk:
        """New whole lines since the last poll. With `final`, a last line
        without a newline is handed out too (a one-shot read)."""
        chunk = Chunk()
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if os.path.exists(self.path + ".gz") and not self.path.endswith(".gz"):
                self._switch_to_gzip(chunk)
                return chunk
            moved = None if self._gzip or self._ino is None else _renamed_to(self.path, self._ino)
            if moved is not None:
                # Rotated, the new file not created yet (or never): follow
                # the old one under its new name now, before anything else
                # opens that name as a file of its own.
                return self._follow_rename(moved, final)
            if not self.gone:
                chunk.notes.append(f"{self.path}: file was removed; showing what was read")
            self.gone = True
            return chunk
        if not stat.S_ISREG(st.st_mode):
            # Replaced by a FIFO, device or directory: never open it.
            if not self.gone:
                chunk.notes.append(f"{self.path}: no longer a regular file; showing what was read")
            self.gone = True
            return chunk
        if self.gone:
            # Said, or the status line's last note still says it is gone
            # while it is read again (QA: a log moved away and made again).
            chunk.notes.append(f"{self.path}: the file is back; reading it again")
        self.gone = False
        ino = (st.st_dev, st.st_ino)
        if self._gzip is None:
            if st.st_size < len(GZIP_MAGIC) and not final:
                # Too short yet to tell gzip from text: a file created empty
                # and then written reads as the finished file does.
                return chunk
            self._gzip = is_gzip(self.path)
        if self._ino is not None and ino != self._ino:
            moved = None if self._gzip else _renamed_to(self.path, self._ino)
            if moved is not None:
                # Rotated logrotate-style (renamed, a new file in its place):
                # carry on with the old file under its new name; the new
                # file is another source's (the app opens it).
                return self._follow_rename(moved, final)
            self._restart(chunk)
        self._ino = ino
        if self._gzip:
            if st.st_size != self._size or st.st_mtime != self._mtime:
                if self._size >= 0:
                    self._restart(chunk)
                self._size, self._mtime = st.st_size, st.st_mtime
                self._read_gzip(chunk, skip=0, final=True)
            elif self._gz_stream is not None:
                self._continue_gzip(chunk)
            return chunk
        if st.st_size < self._size or st.st_size < self.offset + len(self._partial):
            self._restart(chunk)
        self._size, self._mtime = st.st_size, st.st_mtime
        self._read_plain(chunk, final)
        return chunk

    def _restart(self, chunk: Chunk) -> None:
        self._close_gz()
        self._ahead = None
        self.cut_short = False
        chunk.reset = True
        chunk.runs.clear()
        self.offset = 0
        self._partial = b""
        self._newline_owed = False
        self._tail = b""
        self._size = -1
        self._gz_points = []
        self._gzip = is_gzip(self.path) if size_of(self.path) >= len(GZIP_MAGIC) else None

    def _read_plain(self, chunk: Chunk, final: bool) -> None:
        # The bytes read before the new ones are read again with them and
        # compared: those just before `offset` (`_tail`: a file truncated
        # and rewritten past its old size between two polls, `> log` then
        # a burst, has the same inode and a bigger size) and the unfinished
        # line the new bytes continue (`_partial`). So the slice is one
        # buffer, its lines read in place (`cut_lines`): joining that line
        # to the new bytes, and cutting the tail off them, each copied the
        # whole slice (3% of the time of indexing a 1M-line log).
        tail, partial = self._tail, self._partial
        pos, size = self.offset - len(tail), len(tail) + len(partial) + self.read_size
        ahead, self._ahead = self._ahead, None
        data = None if ahead is None else ahead.take(self._ino, pos, size, len(tail))
        if data is None:
            ahead = None
            try:
                with open_regular(self.path) as f:
                    f.seek(pos)
                    data = f.read(size)
            except OSError as exc:
                chunk.notes.append(f"{self.path}: cannot read: {exc.strerror or exc}")
                return
        if not (data.startswith(tail) and data.startswith(partial, len(tail))):
            size = self._size
            self._restart(chunk)
            self._size = size
            self._read_plain(chunk, final)
            return
        chunk.more = len(data) - len(tail) - len(partial) == self.read_size
        self._split(data, chunk, final and not chunk.more, start=len(tail), ahead=ahead)
        self.read_fraction = min(1.0, self.offset / self._size) if self._size > 0 else 1.0
        if chunk.more and self.read_size >= READ_AHEAD_MIN and self._ino is not None:
            self._ahead = ReadAhead(self.path, self._ino, self.offset - len(self._tail),
                                    len(self._tail) + len(self._partial) + self.read_size, len(self._tail))

    def _split(self, data: bytes, chunk: Chunk, final: bool, start: int = 0,
               ahead: ReadAhead | None = None) -> None:
        """Take the lines of `data[start:]`, the bytes from `offset` on (the
        unfinished line `_partial` first: the caller has put it there);
        keep what follows the last newline as the new unfinished line,
        unless `final`. `ahead`: `data` was read ahead, and its lines cut
        there up to the last newline."""
        self._partial = b""
        if self._newline_owed and len(data) > start:
            # The newline that ends a last line read before it came.
            self._newline_owed = False
            ending = b"\r\n" if data.startswith(b"\r\n", start) else b"\n" if data.startswith(b"\n", start) else b""
            if ending:
                self._tail = (self._tail + ending)[-TAIL_CHECK:]
                self.offset += len(ending)
                start += len(ending)
                ahead = None  # (its lines began at the newline)
        cut = max(start, data.rfind(b"\n", start) + 1) if ahead is None else ahead.cut
        if final and cut < len(data):
            end = len(data)  # the last line, though no newline ends it yet
            self._newline_owed = True
            ahead = None
        else:
            self._partial = data[cut:]
            end = cut
        if end > start:
            lines = cut_lines(data, end, start) if ahead is None else ahead.lines
            chunk.cr = chunk.cr or has_cr(data, lines, start)
            chunk.runs.append((self.offset, lines))
        self._tail = (self._tail + data[max(start, end - TAIL_CHECK):end])[-TAIL_CHECK:]
        self.offset += end - start

    def _read_gzip(self, chunk: Chunk, skip: int, final: bool) -> None:
        """Start decompressing the file (skipping its first `skip` bytes) and
        read one slice; later polls continue while `chunk.more`."""
        self._close_gz()
        try:
            raw = open_regular(self.path)
        except OSError as exc:
            chunk.notes.append(f"{self.path}: cannot read: {exc.strerror or exc}")
            return
        self._gz_raw = raw
        self._gz_isize = trailer_size(raw)
        # A new list, not cleared in place: a reader on another thread may
        # be resuming from the old one.
        self._gz_points = []
        self._gz_stream, self._gz_inner = gunzip(raw, self._gz_points)
        self._gz_skip = skip
        self._continue_gzip(chunk)

    def _continue_gzip(self, chunk: Chunk) -> None:
        stream = self._gz_stream
        assert stream is not None
        try:
            while self._gz_skip > 0:
                got = stream.read(min(self._gz_skip, READ_SIZE))
                if not got:
                    break
                self._gz_skip -= len(got)
            block = stream.read(self.read_size)
            if block:
                self._split(self._partial + block, chunk, final=False)
                chunk.more = True
                self.read_fraction = self._gzip_fraction()
                return
            exc = self._gz_inner.error
        except GZIP_DAMAGE as error:
            exc = error
        if exc is not None:
            chunk.notes.append(damaged_gzip_note(self.path, exc, self.offset + len(self._partial)))
            self.cut_short = not isinstance(exc, TrailingGarbage)  # garbage after whole data: all read
        self._close_gz()
        self.read_fraction = 1.0
        if self._partial:
            self._split(self._partial, chunk, final=True)

    def _gzip_fraction(self) -> float:
        """How far into the gzip file the read is: by the decompressed size
        its trailer states (exact for one member under 4 GiB), else by the
        compressed bytes consumed (read 64 KiB at a time: coarse for small
        files)."""
        if 0 < self.offset < self._gz_isize:
            return self.offset / self._gz_isize
        if self._size > 0 and self._gz_raw is not None:
            return min(1.0, self._gz_raw.tell() / self._size)
        return 1.0

    def _close_gz(self) -> None:
        if self._gz_raw is not None:
            self._gz_raw.close()
        self._gz_raw = None
        self._gz_stream = None

    def _switch_to_gzip(self, chunk: Chunk) -> None:
        """The followed `.log` became `.log.gz`: carry on where we were if the
        compressed stream starts with what we already read."""
        gz_path = self.path + ".gz"
        expected_tail = self._tail
        resume_at = self.offset
        self.path = gz_path
        self._gzip = True
        try:
            st = os.stat(gz_path)
        except OSError:
            return
        self._ino = (st.st_dev, st.st_ino)
        self._size, self._mtime = st.st_size, st.st_mtime
        if resume_at and self._prefix_matches(resume_at, expected_tail):
            self._partial = b""
            self._read_gzip(chunk, skip=resume_at, final=True)
        else:
            self._restart(chunk)
            self._size, self._mtime = st.st_size, st.st_mtime
            self._read_gzip(chunk, skip=0, final=True)

    def _prefix_matches(self, offset: int, tail: bytes) -> bool:
        start = max(0, offset - len(tail))
        try:
            with open_regular(self.path) as raw:
                stream, _ = gunzip(raw)
                pos = 0
                while pos + READ_SIZE <= start:
                    got = stream.read(READ_SIZE)
                    if not got:
                        return False
                    pos += len(got)
                stream.read(start - pos)
                return stream.read(offset - start) == tail[-(offset - start):] if offset > start else True
        except GZIP_DAMAGE:
            return False

    def read_line_at(self, offset: int) -> bytes | None:
        """The raw line at an offset (for "show the raw record")."""
        return self.read_lines_at([offset])[0]

    def read_lines_at(self, offsets: Sequence[int]) -> list[bytes | None]:
        """The raw lines at several offsets (a span's enter and exit
        records), None where one cannot be read."""
        found: dict[int, bytes | None] = dict.fromkeys(offsets)
        try:
            with open_regular(self.path) as raw:
                if self._gzip:
                    self._gzip_lines_at(raw, found)
                else:
                    for offset in found:
                        raw.seek(offset)
                        found[offset] = raw.readline().rstrip(b"\n")
        except GZIP_DAMAGE:
            pass  # (the lines read before the damage are kept)
        return [found[offset] for offset in offsets]

    def _gzip_lines_at(self, raw, found: dict[int, bytes | None]) -> None:
        """Fill `found` (offset: line) from the gzip file `raw`, in one pass
        from the seek point before the first offset, on to the next unless
        a seek point lies between them: an exit is seldom far after its
        enter, and decompressing up to a record is what reading it back
        costs. Stops where the data ends."""
        points = self._gz_points
        stream = None
        at = 0  # where `stream` is
        for offset in sorted(found):
            i = bisect.bisect_right(points, offset, key=lambda p: p.out)
            start = points[i - 1] if i else None
            nearest = start.out if start else 0
            if stream is None or at > offset or nearest > at:
                if start is None:
                    raw.seek(0)
                stream, _ = gunzip(raw, start=start)
                at = nearest
            while at < offset:
                got = stream.read(min(offset - at, READ_SIZE))
                if not got:
                    return
                at += len(got)
            line = stream.readline()
            at += len(line)
            found[offset] = line.rstrip(b"\n")
