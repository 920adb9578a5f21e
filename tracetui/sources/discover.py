"""Turn what the user typed into sources: detect each file's format by its
content, expand directories, and find Inspect's trace directory."""

from __future__ import annotations

import fnmatch
import gzip
import os
import re
import stat
import zlib
from typing import Any

from tracetui.formats import LINE_FORMATS, LineFormat, sniff_document, sniff_lines
from tracetui.formats.inspect import WRITER_QUIET, cr_lines
from tracetui.formats.jsonutil import loads
from tracetui.formats.spanbuild import opens_json
from tracetui.sources.base import Source, SourceError, written_within
from tracetui.sources.files import GZIP_MAGIC, gunzip, is_gzip
from tracetui.sources.lines import DocumentSource, LineSource
from tracetui.sources.writers import open_for_writing
from tracetui.store import Store

SQLITE_MAGIC = b"SQLite format 3\x00"
#: How much of a file to look at to tell its format.
HEAD_SIZE = 256 * 1024
#: How many leading records the line sniffers see.
SNIFF_RECORDS = 20
#: How far the head is read on when its first line is longer than
#: HEAD_SIZE (a record with a huge detail first: "not a trace source", QA).
FIRST_LINE_MAX = 64 * 1024 * 1024


def inspect_trace_dir() -> str:
    """Where Inspect keeps its trace logs (as Inspect computes it)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "inspect_ai", "traces")


def is_inspect_trace_dir(path: str) -> bool:
    """`path` is Inspect's trace directory (or will be, once Inspect
    creates it)."""
    try:
        return os.path.samefile(path, inspect_trace_dir())
    except OSError:  # one of them does not exist (yet)
        return os.path.abspath(path) == os.path.abspath(inspect_trace_dir())


def waits_for_traces(path: str) -> bool:
    """A directory the explorer opens with nothing to read yet, to wait for
    the trace log an eval is about to write there: Inspect's trace
    directory, even before Inspect creates it at an eval's start, or a
    directory that holds nothing but empty files (the user starts tracetui,
    then the eval; QA: it exited, "no trace files"). Not a directory of
    files that are not traces, nor one that cannot be listed: their one
    line says why."""
    if not os.path.lexists(path):
        return is_inspect_trace_dir(path)
    if not os.path.isdir(path):
        return False
    files, cannot_list = directory_files(path)
    if cannot_list:
        return False
    return is_inspect_trace_dir(path) or all(holds_no_records(file) for file in files)


def _regular_files(directory: str) -> list[tuple[os.DirEntry, float]]:
    """A directory's regular files (links to them included) with their
    mtimes. One entry that cannot be looked at (a symlink loop, a file
    removed meanwhile) is left out, not the whole directory. Raises OSError
    if the directory cannot be listed."""
    found = []
    with os.scandir(directory) as entries:
        for entry in entries:
            try:
                if entry.is_file():
                    found.append((entry, entry.stat().st_mtime))
            except OSError:
                continue
    return found


def newest_file(directory: str) -> str | None:
    """The most recently modified regular file in a directory (Inspect's rule)."""
    try:
        files = _regular_files(directory)
    except OSError:
        return None
    if not files:
        return None
    return max(files, key=lambda pair: pair[1])[0].path


def resolve_path(path: str) -> str:
    """A relative path is looked up in the current directory first, then in
    Inspect's trace directory (Inspect itself only looks in the latter)."""
    if os.path.isabs(path) or os.path.lexists(path):
        return path
    candidate = os.path.join(inspect_trace_dir(), path)
    return candidate if os.path.lexists(candidate) else path


def _read_head(path: str) -> bytes:
    """The first HEAD_SIZE bytes, decompressed; on to the end of the first
    line if that is longer (up to FIRST_LINE_MAX), and on past lines of
    text to the first record if there is more (`_read_past_preamble`)."""
    with open(path, "rb") as raw:
        reader = raw
        head = raw.read(HEAD_SIZE)
        if head[:2] == GZIP_MAGIC:
            # A cut or damaged gzip still shows what could be decompressed.
            raw.seek(0)
            reader = gunzip(raw)[0]
            head = reader.read(HEAD_SIZE)
        if len(head) == HEAD_SIZE and b"\n" not in head:
            parts = [head]
            size = len(head)
            while size < FIRST_LINE_MAX:
                more = reader.read(HEAD_SIZE)
                if not more:
                    break
                parts.append(more)
                size += len(more)
                if b"\n" in more:
                    break
            head = b"".join(parts)
        if len(head) >= HEAD_SIZE and b"\x00" not in head[:4096] and not OBJECT_LINE.search(head):
            # (Not a binary file's: a database's pages are no preamble.)
            head = _read_past_preamble(reader, head)
    return head


#: How far into a file its first record is looked for, past the lines of
#: text in front of it (a wrapper script's banner and warnings, stderr
#: merged in), when they fill more than its head. Only a head with no line
#: starting like a JSON object reads on, so a directory of big text files
#: costs this much per file at most (~50 ms).
PREAMBLE_MAX = 4 * 1024 * 1024
#: A line that starts like a JSON object (what every line format's records are).
OBJECT_LINE = re.compile(rb"(?:^|\n)[ \t]*\{")


def _read_past_preamble(reader, head: bytes) -> bytes:
    """`head` and what follows it, read on until a line starts like a JSON
    object (up to PREAMBLE_MAX), then on to that line's end (up to
    FIRST_LINE_MAX) and HEAD_SIZE beyond it: the records `_first_records`
    judges the file by."""
    data = bytearray(head)
    found = None
    while found is None and len(data) < PREAMBLE_MAX:
        scan_from = max(0, data.rfind(b"\n"))  # a line start may straddle two reads
        more = reader.read(HEAD_SIZE)
        if not more:
            return bytes(data)
        data += more
        found = OBJECT_LINE.search(data, scan_from)
    if found is None:
        return bytes(data)
    line_end = data.find(b"\n", found.end())
    while line_end < 0 or len(data) < line_end + HEAD_SIZE:
        if line_end < 0 and len(data) - found.end() > FIRST_LINE_MAX:
            break
        searched = len(data)
        more = reader.read(HEAD_SIZE)
        if not more:
            break
        data += more
        if line_end < 0:
            line_end = data.find(b"\n", searched)
    return bytes(data)


#: Of this many first lines or more, fewer than a quarter JSON is a text
#: file, not a trace (`_first_records`).
SNIFF_TEXT_MIN = 10
#: How many lines from its first record on a file is judged by at most
#: (fewer when SNIFF_RECORDS records come first): a text file's verdict
#: stays as quick when a long preamble puts megabytes in its head.
SNIFF_LINES = 4 * SNIFF_RECORDS


def _first_records(head: bytes) -> list[dict]:
    """The JSON objects of the first lines of a file, for the formats to
    sniff; none if they are few among many lines that are not: a text file
    with a few JSON examples in it (a README) is not a trace (QA: it opened
    as a run of two spans), while a log cut at a line or damaged is,
    however short.

    Lines of text in front of the first JSON object (a wrapper's banner,
    stderr merged in) may be a preamble, skipped here (the decoder counts
    them): such a file is a trace too if, from its first record on, its
    records outnumber the lines of text among them, as a text file's JSON
    lines, islands in its text, do not (QA: a log with 30 lines of text
    first was "not a trace source")."""
    lines = head.split(b"\n")
    if len(head) >= HEAD_SIZE and len(lines) > 1:
        lines.pop()  # the last line may be cut by the head limit
    # A lone CR breaks a line too, as Inspect reads its log (text mode):
    # records it joins are two (QA: a log whose first line did so was "not
    # a trace source").
    lines = [piece for line in lines for piece in (cr_lines(line) or (line,)) if piece.strip()]
    records, tried = _objects_from(lines, 0)
    if tried < SNIFF_TEXT_MIN or 4 * len(records) >= tried:
        return records
    start = _first_object_line(lines)  # only now: most files are settled above
    if start:
        records, tried = _objects_from(lines, start)
        if 2 * len(records) > tried:
            return records
    return []


def _objects_from(lines: list[bytes], start: int) -> tuple[list[dict], int]:
    """The JSON objects among lines[start:], up to SNIFF_RECORDS of them
    in at most SNIFF_LINES lines, and how many lines that took."""
    records = []
    tried = 0
    for line in lines[start:start + SNIFF_LINES]:
        tried += 1
        record = _json_object(line)
        if record is not None:
            records.append(record)
            if len(records) >= SNIFF_RECORDS:
                break
    return records, tried


#: What may come before a record's `{` (the stdlib's JSON reader, which
#: reads what orjson does not, takes a UTF-8 byte order mark).
WHITESPACE_AND_BOM = b" \t\r\n\xef\xbb\xbf"


def _json_object(line: bytes) -> dict | None:
    """The line's JSON object, or None (text, damage, or a JSON value that
    is no record: every line format's records are objects)."""
    if line.lstrip(WHITESPACE_AND_BOM)[:1] != b"{":
        return None  # not worth a parse: most lines of a text file
    try:
        value = loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _first_object_line(lines: list[bytes]) -> int | None:
    """The index of the first line that is a JSON object, if any is."""
    return next((i for i, line in enumerate(lines) if _json_object(line) is not None), None)


def line_format_of(path: str) -> str | None:
    """The line format of a regular file, or None (not a line format, or
    unreadable: the caller's normal path will say why)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        head = _read_head(path)
    except OSError:
        return None
    if head.startswith(SQLITE_MAGIC) or not head.strip() or sniff_document(head):
        return None
    fmt = _line_format(path, head)
    return fmt.name if fmt else None


def _line_format(path: str, head: bytes) -> LineFormat | None:
    """The line format of a file by its first records, or Inspect's for a
    log Inspect has just begun (`inspect_log_begun`)."""
    fmt = sniff_lines(_first_records(head))
    if fmt is None and inspect_log_begun(path, head):
        fmt = INSPECT
    return fmt


#: Inspect's trace log format (the first line format, always registered).
INSPECT = next(fmt for fmt in LINE_FORMATS if fmt.name == "inspect")
#: How every record Inspect's trace logger writes begins, and what follows
#: its timestamp (`TraceFormatter`: `json.dumps` of a dict whose first keys
#: are `timestamp`, `level`, `message`).
INSPECT_RECORD_START = b'{"timestamp": "'
INSPECT_AFTER_TIMESTAMP = b'", "level": "'
#: How Inspect names its trace logs (`trace-<pid>.log`) in its trace directory.
INSPECT_LOG_NAME = "trace-*.log"


def inspect_log_begun(path: str, head: bytes) -> bool:
    """A log with no whole line yet that Inspect is writing: its first
    line, unfinished, starts as Inspect's records do, or the file is named
    as Inspect names its logs, in its trace directory, and holds nothing
    else yet (empty, blank, or the first bytes of a record). It is the
    first second of every eval, when the user starts tracetui: it opens as
    an empty run that fills in as lines arrive (QA: it was "not a trace
    source" while `inspect trace anomalies` gave empty buckets)."""
    text = head.lstrip()
    if b"\n" in text:
        return False  # a whole line is there: the records say what it is
    if starts_like_inspect_record(text):
        return True
    return INSPECT_RECORD_START.startswith(text) and named_like_inspect_log(path)


def starts_like_inspect_record(text: bytes) -> bool:
    """`text` begins as Inspect writes a record: its timestamp first (or
    part of it), then its level (or the start of that)."""
    if not text.startswith(INSPECT_RECORD_START):
        return False
    end = text.find(b'"', len(INSPECT_RECORD_START))  # a timestamp holds no quote
    if end < 0:
        return True
    rest = text[end:end + len(INSPECT_AFTER_TIMESTAMP)]
    return INSPECT_AFTER_TIMESTAMP.startswith(rest)


def named_like_inspect_log(path: str) -> bool:
    """`trace-*.log` in Inspect's trace directory."""
    return fnmatch.fnmatchcase(os.path.basename(path), INSPECT_LOG_NAME) \
        and is_inspect_trace_dir(os.path.dirname(os.path.abspath(path)))


def regular_file_head(path: str, not_regular: str = "not a regular file") -> bytes:
    """The first (decompressed) bytes of a regular file, or a SourceError
    saying in one line why not. Looks before opening: opening a FIFO would
    block until a writer came."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if path == "-":  # the usual spelling of standard input, which is not read
            raise SourceError("-: standard input is not a source: save the trace to a file") from None
        raise SourceError(f"{path}: no such file or directory") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise SourceError(f"{path}: {not_regular}")
    try:
        return _read_head(path)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from None


#: A file of no more than this many bytes of blank lines holds no records
#: (a bigger one is read as what it is).
BLANK_FILE_MAX = 1 << 20


def holds_no_records(path: str) -> bool:
    """An empty file, or one of blank lines only, plain or gzipped (a log
    gzipped before anything was written to it): an eval that has not
    written yet, not a bad source. A damaged gzip file is not one."""
    try:
        if not os.path.isfile(path):
            return False
        if os.path.getsize(path) == 0:
            return True
        with (gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")) as f:
            head = f.read(BLANK_FILE_MAX + 1)
        return len(head) <= BLANK_FILE_MAX and not head.strip()
    except (OSError, EOFError, zlib.error):  # gzip.BadGzipFile is an OSError
        return False


def empty_log_note(path: str) -> str:
    if path.endswith(".gz"):  # closed: nothing is coming
        return f"{path}: empty log (gzipped with no records)"
    try:
        if os.path.getsize(path):
            return f"{path}: blank lines only, nothing to show yet"
    except OSError:
        pass
    return f"{path}: empty file, nothing to show yet"


class AwaitingRecord(SourceError):
    """A file with nothing yet that tells its format, that may still grow:
    empty, blank, a banner, its first record half written. The pipeline
    writing it has just started: the explorer opens it waiting for its
    first record (QA: it exited 1 when started with the pipeline); the
    commands for scripts, which read once, say this one line, as ever."""


def open_file(path: str, store: Store, **options: Any) -> Source:
    """One file as a source, its format detected from its content. Raises
    SourceError if it cannot be read or is no trace; `AwaitingRecord` if
    it holds nothing yet that says what it is."""
    head = regular_file_head(path)
    if head.startswith(SQLITE_MAGIC):
        from tracetui.sources.sqlite import open_sqlite

        return open_sqlite(path, store, **options)
    if not head.strip():
        if not holds_no_records(path) and is_gzip(path):
            raise SourceError(f"{path}: damaged gzip data before any record")
        if not inspect_log_begun(path, head):
            if is_archive(path):
                raise SourceError(empty_log_note(path))
            raise AwaitingRecord(empty_log_note(path))
        # Its eval has just started: followed, it fills in as lines arrive
        # (no note that it is empty: on the status line it outlived that).
        return LineSource(path, INSPECT, store, **options)
    doc = sniff_document(head)
    if doc is not None:
        return DocumentSource(path, doc, store, **options)
    fmt = _line_format(path, head)
    if fmt is not None:
        return LineSource(path, fmt, store, **options)
    if b"\x00" in head[:4096]:
        raise SourceError(f"{path}: not a trace source (binary data)")
    why = f"{path}: not a trace source (no record of a known trace format in its first lines)"
    if holds_no_record_yet(head) and not is_archive(path) and may_still_grow(path):
        raise AwaitingRecord(why)
    raise SourceError(why)


#: A file of more lines of text than this, and nothing else, is a text
#: file, not a trace whose first record is still to come after a banner.
WAIT_TEXT_LINES_MAX = 50


def holds_no_record_yet(head: bytes) -> bool:
    """Nothing in a file's head says what it is yet, as in a pipeline's
    first moments: a few lines of text (a wrapper's banner, stderr merged
    in), and perhaps a line still being written (its first record begun).
    A whole line that is JSON or starts as a record does say (a file of
    JSON no format reads is no trace), as do many lines of text (a text
    file)."""
    *whole, last = head.split(b"\n")
    text = [line for line in whole if line.strip()]
    if len(text) > WAIT_TEXT_LINES_MAX or any(_starts_json(line) for line in text):
        return False
    # A head cut by its size (not at the file's end) ends in a line being
    # written only if that line is a record begun.
    return len(head) < HEAD_SIZE or last.lstrip(WHITESPACE_AND_BOM)[:1] == b"{"


def _starts_json(line: bytes) -> bool:
    """A whole line that is a record, or a record damaged, or JSON: not
    text such as `[wrapper] starting`."""
    start = line.lstrip(WHITESPACE_AND_BOM)[:1]
    return start == b"{" or (start == b"[" and opens_json(line))


def is_archive(path: str) -> bool:
    """Gzipped, or named so: written whole, nothing more is coming to it."""
    return path.endswith(".gz") or is_gzip(path)


def may_still_grow(path: str) -> bool:
    """Another process here holds the file open for writing, or it was
    written within WRITER_QUIET: where that cannot be told, or its writer
    opens it for each write (a wrapper's banner, then the pipeline's first
    span a minute later)."""
    return bool(open_for_writing(path)) or written_within(path, WRITER_QUIET)


def open_sources(paths: list[str], store: Store, awaited: list[str] | None = None,
                 **options: Any) -> tuple[list[Source], list[str]]:
    """Sources for files and directories. Returns (sources, notes); raises
    SourceError when nothing at all can be read. `awaited`, if given,
    gets the files named (not found in a directory) that hold nothing yet
    that says what they are (`AwaitingRecord`), instead of a note each:
    the explorer waits for them; nothing else read is then no error."""
    named = set()
    files: list[str] = []
    listed: dict[str, list[str]] = {}  # directory -> the files found in it
    notes: list[str] = []
    errors: list[str] = []
    for path in paths:
        path = resolve_path(path)
        if os.path.isdir(path):
            found, listing_note = directory_files(path)
            if listing_note:
                notes.append(listing_note)
            listed[path] = found
            files.extend(found)
        else:
            files.append(path)
            named.add(path)
    files, twin_notes = skip_gzipped_copies(distinct_files(files))
    notes.extend(twin_notes)
    sources: list[Source] = []
    for path in files:
        try:
            sources.append(open_file(path, store, **options))
        except AwaitingRecord as exc:
            if awaited is not None and path in named:
                awaited.append(path)
            else:
                errors.append(str(exc))
        except SourceError as exc:
            errors.append(str(exc))
    opened = {source.path for source in sources}
    for directory, found in listed.items():
        if opened.isdisjoint(found):
            # Said first: it is the answer; the files' own reasons follow.
            errors.insert(0, f"{directory}: no readable trace files in this directory"
                          + _subdirectories_hint(directory))
    if not sources and not awaited:
        if len(errors) > ERRORS_SAID + 1:
            # A directory of scripts and notes gave one reason per file: a
            # screenful on one line (`tracetui runs sample_traces/`).
            errors = errors[:ERRORS_SAID] + [f"{len(errors) - ERRORS_SAID} more files not read"]
        raise SourceError(errors[0] if len(errors) == 1 else "; ".join(errors) or "no sources")
    notes.extend(errors)
    return sources, notes


#: How many reasons the one-line error of a command that found nothing to
#: read gives, the rest counted.
ERRORS_SAID = 4


def directory_files(path: str) -> tuple[list[str], str | None]:
    """The files of a directory that may hold traces, newest first, and a
    note if it cannot be listed."""
    try:
        files = _regular_files(path)
    except OSError as exc:
        return [], f"{path}: cannot list: {exc.strerror or exc}"
    files = [(e, mtime) for e, mtime in files
             if not e.name.startswith(".") and not e.name.endswith(("-wal", "-shm", "-journal"))
             and not is_our_export(e.name)]
    files.sort(key=lambda pair: pair[1], reverse=True)
    return [e.path for e, _ in files], None


def is_our_export(name: str) -> bool:
    """`x` writes `tracetui-<run>.perfetto.json` where the explorer was
    started, often the trace directory itself: read from there, each was a
    second copy of its run (QA). Named on the command line, one is read."""
    return name.startswith("tracetui-") and name.endswith((".perfetto.json", ".perfetto.json.part"))


#: How many subdirectories a "no trace files here" message names.
HINTED_SUBDIRECTORIES = 4


def _subdirectories_hint(directory: str) -> str:
    """A directory is read one level deep (Inspect's trace directory is
    flat): when the traces are a level down, say where to look."""
    try:
        names = sorted(e.name for e in os.scandir(directory)
                       if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return ""
    if not names:
        return ""
    shown = ", ".join(names[:HINTED_SUBDIRECTORIES]) + (", …" if len(names) > HINTED_SUBDIRECTORIES else "")
    return f" (subdirectories are not searched; it has {len(names)}: {shown})"


def distinct_files(paths: list[str]) -> list[str]:
    """Each file once, under the first name given for it: `trace-2.log`,
    `./trace-2.log`, its absolute path, a symlink or a hard link to it are
    one file, read once (read twice, it was two runs of the same records)."""
    seen: set[tuple[int, int] | str] = set()
    kept = []
    for path in paths:
        try:
            st = os.stat(path)
            identity: tuple[int, int] | str = (st.st_dev, st.st_ino)
        except OSError:
            identity = os.path.abspath(path)  # reported missing by its reader
        if identity not in seen:
            seen.add(identity)
            kept.append(path)
    return kept


def skip_gzipped_copies(paths: list[str]) -> tuple[list[str], list[str]]:
    """Drop `X.gz` when `X` is read too and the two begin with the same
    lines. Inspect gzips a trace log when its eval exits and deletes the
    log after: for a while both exist (for good, if the eval was killed
    meanwhile), and read together every record would count twice in one
    run. A `.gz` that differs (an older run whose pid was reused) is kept."""
    kept, notes = [], []
    present = set(paths)
    for path in paths:
        twin = path[:-3]
        if path.endswith(".gz") and twin in present and same_start(twin, path):
            notes.append(f"{path}: skipped, a gzipped copy of {os.path.basename(twin)}, "
                         "which is read instead")
            continue
        kept.append(path)
    return kept, notes


def same_start(plain: str, gzipped: str) -> bool:
    """One file's first bytes are a prefix of the other's, the gzipped
    one decompressed (a copy still being written is shorter). An empty log
    copies nothing: its `.gz` may be what a copy-and-truncate rotation
    saved of it."""
    try:
        a, b = regular_file_head(plain), regular_file_head(gzipped)
    except SourceError:
        return False
    n = min(len(a), len(b))
    return bool(a) and a[:n] == b[:n]
