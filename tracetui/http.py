"""`tracetui http`: Inspect's HTTP records, as `inspect trace http` lists them."""

from __future__ import annotations

from typing import Any, Callable

from tracetui.formats.inspect import validate
from tracetui.formats.jsonutil import loads
from tracetui.skipped import say_skipped
from tracetui.sources.files import FileFollower


def http_records(path: str, message_filter: str | None, failed: bool,
                 note: Callable[[str], None]) -> list[dict[str, Any]]:
    """Valid records of level HTTP in file order; `failed` drops "200 OK"
    ones. Lines naming HTTP that are not valid records (cut short, not
    JSON) are skipped, and said in one note, as every command says its
    skipped lines; lines naming no HTTP are not read."""
    needle = message_filter.lower() if message_filter else None
    follower = FileFollower(path)
    found: list[dict[str, Any]] = []
    line_no = skipped = 0
    first_bad: int | None = None
    while True:
        chunk = follower.poll(final=True)
        for text in chunk.notes:
            note(text)
        for _, line in chunk.lines:
            line_no += 1
            if b'"HTTP"' not in line:
                continue
            try:
                rec = loads(line)
                if not isinstance(rec, dict):
                    raise ValueError("not an object")
                validate(rec)
            except (ValueError, TypeError, OverflowError):
                skipped += 1
                first_bad = first_bad or line_no
                continue
            if rec["level"] != "HTTP":
                continue
            if needle and needle not in rec["message"].lower():
                continue
            if failed and "200 OK" in rec["message"]:
                continue
            found.append({"timestamp": rec["timestamp"], "message": rec["message"]})
        if not chunk.more:
            if skipped:
                note(f"{path}: " + say_skipped(skipped, 0, first_bad, None, lines="bad line(s) naming HTTP"))
            return found
