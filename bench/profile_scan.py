#!/usr/bin/env python3
"""Per-line cost of each way to read an Inspect trace for `anomalies`.

    python bench/profile_scan.py [FILE] [--mb 64]

Times, on the first MB of FILE held in memory (so the disk is out of it),
the pieces the anomaly scan is made of and the alternatives it rejected,
in nanoseconds per line (CPU time, best of 5): splitting lines, orjson per
line, the full `fastscan.Folder` fold, regex captures and framing counts,
a regex that validates whole lines, and msgspec's NDJSON decoder if it is
installed. This is the evidence behind the design notes in
tracetui/fastscan.py.
"""

from __future__ import annotations

import argparse
import gc
import re
import time
from collections import deque

import orjson

from tracetui import fastscan

# A whole canonical Inspect line, validated: JSON strings with their escapes,
# no control characters, known keys in Inspect's order, simple extra values.
_S = rb'"[^"\\\x00-\x1f]*+(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*+)*+"'
_NUM = rb"-?(?:0|[1-9][0-9]{0,15})(?:\.[0-9]{1,20})?(?:[eE][+-]?[0-9]{1,3})?"
_KEYS = rb"(?:timestamp|level|message|action|detail|event|trace_id|start_time|duration|error|error_type|stacktrace)"
_EXTRA = rb'(?:, "(?!' + _KEYS + rb'")[A-Za-z_][A-Za-z0-9_]*+": (?:' + _S + rb"|" + _NUM + rb"|null|true|false))*+"
VALIDATING = re.compile(
    rb'\{"timestamp": ' + _S + rb', "level": ' + _S + rb', "message": ' + _S
    + rb'(?:, "action": ' + _S + rb', "detail": ' + _S
    + rb', "event": "(enter|exit)", "trace_id": "([A-Za-z0-9]{1,64})", "(?:start_time|duration)": '
    + _NUM + rb")?" + _EXTRA + rb"\}\n|[^\n]*+\n()()")
TAIL = re.compile(rb'"event": "(enter|exit)", "trace_id": "([A-Za-z0-9]+)", "(?:start_time|duration)": ')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default="/work/bench-data/inspect-1m.log")
    parser.add_argument("--mb", type=int, default=64)
    args = parser.parse_args()
    with open(args.file, "rb") as f:
        data = f.read(args.mb << 20)
    data = data[: data.rfind(b"\n") + 1]
    blocks = []
    pos = 0
    while pos < len(data):
        end = data.rfind(b"\n", pos, pos + fastscan.BLOCK) + 1 or len(data)
        blocks.append((data[pos:end], pos))
        pos = end
    lines = data.count(b"\n")
    gc.disable()

    def timed(name: str, work) -> None:
        best = min(_cpu(work) for _ in range(5))
        print(f"{name:58s} {best / lines * 1e9:7.0f} ns/line")

    print(f"{args.file}: {lines} lines, {len(data) / lines:.0f} bytes/line, "
          f"blocks of {fastscan.BLOCK >> 10} KiB")
    timed("split lines", lambda: [b.split(b"\n") for b, _ in blocks])
    timed("split + orjson.loads every line (the parse floor)",
          lambda: [deque(map(orjson.loads, b.split(b"\n")[:-1]), 0) for b, _ in blocks])
    timed("fastscan.Folder (first chunk: no merge tracking)",
          lambda: _fold(blocks, first=True))
    timed("fastscan.Folder (later chunk: tracks ids for the merge)",
          lambda: _fold(blocks, first=False))
    timed("re.findall of (event, trace_id), unvalidated",
          lambda: [TAIL.findall(b) for b, _ in blocks])
    timed("bytes.count of one framing token",
          lambda: [b.count(b'\n{"timestamp": "') for b, _ in blocks])
    timed("re.findall of whole validated lines (tiles the block)",
          lambda: [VALIDATING.findall(b) for b, _ in blocks])
    try:
        import msgspec
    except ImportError:
        print("msgspec: not installed (pip install msgspec to compare)")
        return

    class Head(msgspec.Struct):
        event: str = ""
        trace_id: str = ""

    decoder = msgspec.json.Decoder(Head)
    timed("msgspec decode_lines, only event + trace_id kept",
          lambda: [decoder.decode_lines(b) for b, _ in blocks])


def _fold(blocks, first: bool) -> None:
    folder = fastscan.Folder(None, first=first)
    for block, pos in blocks:
        folder.feed(block, pos)
    folder.finish()


def _cpu(work) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


if __name__ == "__main__":
    main()
