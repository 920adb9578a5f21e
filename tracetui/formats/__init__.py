"""One decoder per trace format: raw records in, model updates out.

A decoder is made for one source file (or database) and one Store:

    decoder = Decoder(store, path)
    decoder.feed(lines)          # line formats: [(offset, bytes), ...]
    decoder.feed_run(lines, pos, crs) # optional, faster: consecutive lines from offset pos
                                      # (crs: a CR may be in them)
    decoder.feed_document(data)  # document formats: the whole file's bytes
    decoder.reset()              # the source was replaced: forget its runs
    decoder.skipped, decoder.first_bad_line, decoder.records

`FORMATS` lists them in detection order; `sniff_lines` / `sniff_document`
pick one from the first records of a file. Detection is by content only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from tracetui.formats import inspect


@dataclass(frozen=True)
class LineFormat:
    name: str
    #: Given the first parsed records (dicts or other JSON values), is this us?
    sniff: Callable[[list[Any]], bool]
    decoder: Callable[..., Any]


@dataclass(frozen=True)
class DocumentFormat:
    name: str
    #: Given the first bytes of the (decompressed) file, is this us?
    sniff: Callable[[bytes], bool]
    decoder: Callable[..., Any]
    #: (path, the whole file) → the records `tracetui dump` writes of it and
    #: the notes it gives, for a format that reads its documents its own way
    #: (a Chrome trace cut short: its complete events); None: the JSON
    #: values written back to back in it.
    dump_records: Callable[[str, bytes], tuple[list[Any], list[str]]] | None = None


def _inspect_sniff(records: list[Any]) -> bool:
    return any(inspect.looks_like(r) for r in records)


LINE_FORMATS: list[LineFormat] = [
    LineFormat("inspect", _inspect_sniff, inspect.InspectDecoder),
]
DOCUMENT_FORMATS: list[DocumentFormat] = []


def _register_optional() -> None:
    """Formats that live in their own modules register here; a module that
    fails to import must not take the others down with it."""
    import importlib

    for module_name in ("otlp", "sgp", "otel_console", "native", "chrome"):
        try:
            module = importlib.import_module(f"tracetui.formats.{module_name}")
        except ImportError:
            continue
        for fmt in getattr(module, "LINE_FORMATS", ()):
            LINE_FORMATS.append(fmt)
        for fmt in getattr(module, "DOCUMENT_FORMATS", ()):
            DOCUMENT_FORMATS.append(fmt)


_register_optional()


def sniff_lines(records: list[Any]) -> LineFormat | None:
    for fmt in LINE_FORMATS:
        if fmt.sniff(records):
            return fmt
    return None


def sniff_document(head: bytes) -> DocumentFormat | None:
    for fmt in DOCUMENT_FORMATS:
        if fmt.sniff(head):
            return fmt
    return None
