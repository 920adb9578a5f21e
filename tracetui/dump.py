"""`tracetui dump`: the raw records of a file as one JSON array (gzip-aware)."""

from __future__ import annotations

import os
from typing import Callable, TextIO

import orjson

from tracetui.formats.jsonutil import loads
from tracetui.sources.base import SourceError
from tracetui.sources.files import FileFollower


def dump_records(path: str, stream: TextIO, note: Callable[[str], None]) -> int:
    """Write every parseable JSON line of `path` as an array; returns the count.
    SQLite sources dump their rows via their source's `dump` method."""
    if not os.path.exists(path):
        raise SourceError(f"{path}: no such file or directory")
    if os.path.isdir(path):
        raise SourceError(f"{path}: is a directory (dump takes one file)")
    from tracetui.sources.discover import SQLITE_MAGIC

    with open(path, "rb") as f:
        if f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC:
            from tracetui.sources.sqlite import dump_sqlite

            return dump_sqlite(path, stream)
    follower = FileFollower(path)
    count = bad = 0
    first_bad = None
    line_no = 0
    stream.write("[")
    while True:
        chunk = follower.poll(final=True)
        for text in chunk.notes:
            note(text)
        for _, line in chunk.lines:
            line_no += 1
            if not line.strip():
                continue
            try:
                record = loads(line)
            except ValueError:
                bad += 1
                first_bad = first_bad or line_no
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
    if bad:
        note(f"{path}: skipped {bad} bad line(s); first at line {first_bad}")
    return count
