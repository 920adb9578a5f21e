"""`tracetui dump`: the raw records of a file as one JSON array (gzip-aware)."""

from __future__ import annotations

import os
import re
from typing import Callable, TextIO

import orjson

from tracetui.formats.jsonutil import loads
from tracetui.skipped import Lead, say_skipped
from tracetui.sources.base import SourceError
from tracetui.sources.files import FileFollower
from tracetui.sources.lines import last_line_being_written


def dump_records(path: str, stream: TextIO, note: Callable[[str], None]) -> int:
    """Write every parseable JSON line of `path` as an array; returns the count.
    SQLite sources dump their rows via their source's `dump` method."""
    from tracetui.sources.discover import SQLITE_MAGIC, regular_file_head

    not_regular = "is a directory (dump takes one file)" if os.path.isdir(path) else "not a regular file"
    head = regular_file_head(path, not_regular)
    if head.startswith(SQLITE_MAGIC):
        from tracetui.sources.sqlite import dump_sqlite

        return dump_sqlite(path, _Escaping(stream), note)
    if b"\x00" in head[:4096] and not any(_parses(l) for l in head[:65536].split(b"\n")[:50]):
        raise SourceError(f"{path}: not a trace source (binary data)")
    from tracetui.sources.discover import _first_records, _read_head

    text_head = _read_head(path)  # decompressed, for a .gz; past lines of text before the records
    if text_head.strip() and not any(_parses(line) for line in text_head[:65536].split(b"\n")[:50]) \
            and not text_head.lstrip().startswith((b"[", b"{")) \
            and not _first_records(text_head):
        # Not one JSON record where records would be (a document format
        # starts with `[` or `{` and may span lines; a log may have lines of
        # text before its records, as the other commands read it).
        raise SourceError(f"{path}: not a trace source (no JSON record in its first lines)")
    stream = _Escaping(stream)
    documents = _dump_document(path, stream, note)
    if documents is not None:
        return documents
    follower = FileFollower(path)
    count = bad = 0
    first_bad = None
    lead = Lead()  # lines of text before the first record, said apart
    line_no = 0
    unfinished = last_line_being_written(path)
    stream.write("[")
    while True:
        chunk = follower.poll(final=not unfinished)
        for text in chunk.notes:
            note(text)
        for _, line in chunk.lines:
            line_no += 1
            if not line.strip():
                lead.blank(line_no)
                continue
            try:
                record = loads(line)
            except ValueError:
                bad += 1
                first_bad = first_bad or line_no
                lead.bad(line_no)
                continue
            try:
                data = orjson.dumps(record, option=orjson.OPT_INDENT_2)
            except (TypeError, orjson.JSONEncodeError):
                import json

                data = json.dumps(record, indent=2).encode()
            stream.write(("\n" if count == 0 else ",\n") + data.decode())
            count += 1
        if not chunk.more:
            break
    stream.write("\n]\n" if count else "]\n")
    if unfinished and follower.pending_partial:
        note(f"{path}: its last line is still being written: not read")
    if bad:
        # Every JSON record is dumped, valid trace record or not: the other
        # commands' count of bad lines includes those, so say which these are.
        note(f"{path}: " + say_skipped(bad, lead.before_records(line_no), first_bad, lead.first_after,
                                       lines="line(s) that are not JSON"))
    return count


def _dump_document(path: str, stream: TextIO, note: Callable[[str], None]) -> int | None:
    """A file of pretty-printed JSON (objects back to back, or an array of
    records), as a document format reads it; None for a line-based file."""
    from tracetui.formats import sniff_document
    from tracetui.formats.spanbuild import iter_documents
    from tracetui.sources.discover import _read_head
    from tracetui.sources.lines import read_all

    try:
        fmt = sniff_document(_read_head(path))
        if fmt is None:
            return None
        data, warning = read_all(path)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if warning:
        note(warning)
    if fmt.dump_records is not None:
        records, notes = fmt.dump_records(path, data)
        count = _write_records(stream, records)
        for text in notes:
            note(text)
        return count
    text = data.decode("utf-8", errors="replace")
    values = []
    bad = 0
    for _, value, ok in iter_documents(text):
        if not ok:
            bad += 1
            continue
        values.extend(value if isinstance(value, list) else [value])
    count = _write_records(stream, values)
    if bad:
        note(f"{path}: skipped {bad} unreadable JSON value(s)")
    return count


def _write_records(stream: TextIO, records: list) -> int:
    """The records as one JSON array, pretty-printed; returns the count."""
    stream.write("[")
    for count, record in enumerate(records):
        try:
            encoded = orjson.dumps(record, option=orjson.OPT_INDENT_2).decode()
        except (TypeError, orjson.JSONEncodeError):
            import json

            encoded = json.dumps(record, indent=2)
        stream.write(("\n" if count == 0 else ",\n") + encoded)
    stream.write("\n]\n" if records else "]\n")
    return len(records)


#: Code points that JSON may carry raw but a terminal would act on (C1
#: controls such as CSI U+009B, bidi overrides and isolates, line and
#: paragraph separators): written as \\u escapes, the same JSON value.
_TERMINAL_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\u200e\u200f\u061c]")


def _u_escape(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


class _Escaping:
    """A text stream that escapes terminal-unsafe code points on the way out
    (orjson already escapes C0 controls; these it leaves raw)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(_TERMINAL_UNSAFE.sub(_u_escape, text))

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _parses(line: bytes) -> bool:
    try:
        loads(line)
    except ValueError:
        return False
    return True
