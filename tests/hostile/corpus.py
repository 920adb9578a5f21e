"""Build hostile trace files on demand (big ones generated, never committed).

Every builder takes a directory and returns the path it wrote, so a test
gets a fresh copy in its own `tmp_path` and nothing large lives in git.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
from typing import Any

#: A fixed instant (2026-11-21) so ages and sort orders are reproducible.
T0 = 1795400000.0

#: Every kind of text that must never act on a terminal or on Rich/Textual.
MARKUP = "[red]RED[/] [/] [link=https://x]L[/link] [@click=app.quit]Q[/] [bold]B"
ESCAPES = ("\x1b[31mCSI\x1b[0m \x1b]52;c;aGVsbG8=\x07OSC52 \x1b]0;pwned-title\x07OSC0 "
           "\x1b]8;;https://x\x1b\\hyper\x1b]8;;\x1b\\ \x9b31m C1 \x07bel \x08bs \r cr")
BIDI = "\u202eevil\u202c \u2066iso\u2069 \u200fRLM\u061c"
WIDE = "zw\u200b\u200c\u200dj 全角文字テスト 😀👨‍👩‍👧 e\u0301"
NASTY = f"{MARKUP} | {ESCAPES} | {BIDI} | {WIDE}"
#: Code points that must not reach a terminal raw.
FORBIDDEN_CODEPOINTS = [chr(c) for c in (*range(0x00, 0x09), *range(0x0b, 0x20), *range(0x7f, 0xa0),
                                          *range(0x202a, 0x202f), *range(0x2066, 0x206a))]


def inspect_record(event: str | None = None, trace_id: str = "t1", action: str = "Tool Call",
                   detail: str = "bash", start: float | None = None, duration: float | None = None,
                   message: str | None = None, **extra: Any) -> dict:
    """A record as Inspect's trace logger writes it (an action when `event`)."""
    rec: dict[str, Any] = {"timestamp": "2026-11-21T10:13:20.000000+00:00", "level": "TRACE",
                           "message": message or (f"{action}: {detail} ({event})" if event else "note")}
    if event:
        rec.update(action=action, detail=detail, event=event, trace_id=trace_id)
        if event == "enter":
            rec["start_time"] = T0 if start is None else start
        elif duration is not None:
            rec["duration"] = duration
    rec.update(extra)
    return rec


def line(rec: Any) -> bytes:
    return json.dumps(rec, ensure_ascii=False).encode() + b"\n"


def write(directory: str, name: str, data: bytes) -> str:
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


# -- Inspect logs ---------------------------------------------------------------

def good_inspect_bytes() -> bytes:
    """Two samples: one action closed, one still running, one cancelled."""
    recs = [
        inspect_record(message="eval started"),
        inspect_record("enter", "a1", "Tool Call", "bash ls", start=T0, task="t", sample_id=1, epoch=1),
        inspect_record("exit", "a1", "Tool Call", "bash ls", duration=1.5, task="t", sample_id=1, epoch=1),
        inspect_record("enter", "a2", "Subprocess", "sleep 600", start=T0 + 2, task="t", sample_id=2, epoch=1),
        inspect_record("enter", "a3", "Model", "gpt", start=T0 + 3, task="t", sample_id=1, epoch=1),
        inspect_record("cancel", "a3", "Model", "gpt", duration=0.5, task="t", sample_id=1, epoch=1),
    ]
    return b"".join(line(r) for r in recs)


def truncated_last_line(d: str) -> str:
    return write(d, "trace-truncated.log", good_inspect_bytes() + b'{"timestamp": "2026-11-21T10:13:2')


def crlf(d: str) -> str:
    return write(d, "trace-crlf.log", good_inspect_bytes().replace(b"\n", b"\r\n"))


def bom(d: str) -> str:
    return write(d, "trace-bom.log", b"\xef\xbb\xbf" + good_inspect_bytes())


def nul_bytes(d: str) -> str:
    data = good_inspect_bytes()
    return write(d, "trace-nul.log", data + b"\x00\x00\x00\n" + b'{"a":\x00 1}\n' + b"\x00" * 10)


def invalid_utf8(d: str) -> str:
    bad = line(inspect_record("enter", "u1", "Tool Call", "X", start=T0 + 5)).replace(b'"X"', b'"\xff\xfe\xc3("')
    return write(d, "trace-utf8.log", good_inspect_bytes() + bad + b"\xc3\x28 not json\n")


def huge_line(d: str, size: int = 50 * 1024 * 1024) -> str:
    """A valid Inspect record whose detail is `size` bytes long, between two
    ordinary records: streamed out, never built whole in memory twice."""
    path = os.path.join(d, "trace-huge.log")
    head = good_inspect_bytes()
    rec = inspect_record("enter", "huge", "Tool Call", "@@DETAIL@@", start=T0 + 10, message="huge")
    before, after = line(rec).split(b"@@DETAIL@@")
    tail = line(inspect_record("enter", "after", "Tool Call", "after-huge", start=T0 + 11))
    with open(path, "wb") as f:
        f.write(head)
        f.write(before)
        block = b"x" * (1024 * 1024)
        for _ in range(size // len(block)):
            f.write(block)
        f.write(after)
        f.write(tail)
    return path


def deep_nesting(d: str, depth: int = 10_000) -> str:
    nested = b"[" * depth + b"]" * depth
    deep_obj = b'{"a":' * depth + b"1" + b"}" * depth
    return write(d, "trace-deep.log", good_inspect_bytes() + nested + b"\n" + deep_obj + b"\n")


def overflow_numbers(d: str) -> str:
    lines = [
        b'{"timestamp": "x", "level": "TRACE", "message": "m", "action": "A", "event": "enter", '
        b'"trace_id": "o1", "detail": "1e999", "start_time": 1e999}\n',
        b'{"timestamp": "x", "level": "TRACE", "message": "m", "action": "A", "event": "enter", '
        b'"trace_id": "o2", "detail": "bigint", "start_time": ' + str(10 ** 400).encode() + b"}\n",
        b'{"timestamp": "x", "level": "TRACE", "message": "m", "action": "A", "event": "enter", '
        b'"trace_id": "o3", "detail": "nan", "start_time": NaN}\n',
        b'{"timestamp": "x", "level": "TRACE", "message": "m", "action": "A", "event": "exit", '
        b'"trace_id": "o3", "detail": "nan", "duration": -Infinity}\n',
        b'{"timestamp": "x", "level": "TRACE", "message": "m", "action": "A", "event": "enter", '
        b'"trace_id": "o4", "detail": "neg", "start_time": -1e308}\n',
    ]
    return write(d, "trace-overflow.log", good_inspect_bytes() + b"".join(lines))


def duplicate_keys(d: str) -> str:
    data = (b'{"timestamp": "x", "level": "TRACE", "message": "m", "action": "A", "event": "enter", '
            b'"trace_id": "d1", "trace_id": "d2", "detail": "first", "detail": "second", "start_time": 1}\n')
    return write(d, "trace-dupkeys.log", good_inspect_bytes() + data)


WRONG_SHAPES = [[], [1, 2], "a string", 42, None, True, {}, {"timestamp": 1, "level": "T", "message": "m"}]


def wrong_shape_inspect(d: str) -> str:
    """Valid JSON, wrong shape: every field of an action given every wrong type."""
    out = [good_inspect_bytes()]
    for value in WRONG_SHAPES:
        out.append(line(value))
    base = inspect_record("enter", "w", "A", "d", start=T0)
    for key in ("timestamp", "level", "message", "action", "event", "trace_id", "detail", "start_time"):
        for bad in ([1], {"x": 1}, True if key != "start_time" else "soon", None if key != "detail" else 3):
            rec = dict(base, trace_id=f"w-{key}-{type(bad).__name__}")
            rec[key] = bad
            out.append(line(rec))
    return write(d, "trace-shape.log", b"".join(out))


def reused_ids(d: str) -> str:
    recs = [
        inspect_record("enter", "r", "A", "first", start=T0),
        inspect_record("enter", "r", "B", "second", start=T0 + 1),   # overwrites
        inspect_record("exit", "r", "B", "second", duration=2),
        inspect_record("enter", "r", "C", "third", start=T0 + 5),    # reused after close
        inspect_record("error", "x", "D", "no enter", duration=1, error="boom"),
        inspect_record("error", "x", "D", "no enter again", duration=2, error="boom2"),
    ]
    return write(d, "trace-reused.log", b"".join(line(r) for r in recs))


def odd_times(d: str) -> str:
    recs = [
        inspect_record("enter", "future", "A", "future", start=T0 + 10 ** 9),
        inspect_record("enter", "neg", "A", "negative", start=T0),
        inspect_record("exit", "neg", "A", "negative", duration=-5.0),
        inspect_record("enter", "zero", "A", "zero start", start=0),
    ]
    return write(d, "trace-times.log", b"".join(line(r) for r in recs))


def nasty_inspect(d: str, big: int = 100_000) -> str:
    """Markup, escapes, bidi and wide text in every field that reaches a screen."""
    huge = ("N" * big) + NASTY
    recs = [
        inspect_record(message=NASTY),
        inspect_record("enter", NASTY, NASTY, NASTY, start=T0, task=NASTY, sample_id=NASTY, epoch=1),
        inspect_record("enter", "n2", huge, huge, start=T0 + 1, task=NASTY, sample_id=NASTY, epoch=1),
        inspect_record("error", "n3", NASTY, NASTY, duration=1, error=NASTY, error_type=NASTY,
                       stacktrace=NASTY, task=NASTY, sample_id=2, epoch=1),
        inspect_record("cancel", "n4", NASTY, NASTY, duration=1, task=NASTY, sample_id=2, epoch=1),
    ]
    return write(d, "trace-nasty.log", b"".join(line(r) for r in recs))


# -- gzip -------------------------------------------------------------------------

def gzip_truncated(d: str) -> str:
    data = gzip.compress(good_inspect_bytes() * 200)
    return write(d, "trace-cut.log.gz", data[: len(data) // 2])


def gzip_trailing_garbage(d: str) -> str:
    return write(d, "trace-garbage.log.gz", gzip.compress(good_inspect_bytes()) + b"GARBAGE\x00\xff" * 10)


def gzip_members(d: str) -> str:
    data = good_inspect_bytes()
    half = data.index(b"\n", len(data) // 2) + 1
    return write(d, "trace-members.log.gz", gzip.compress(data[:half]) + gzip.compress(data[half:]))


def fake_gz(d: str) -> str:
    return write(d, "trace-fake.log.gz", good_inspect_bytes())


def gzip_no_suffix(d: str) -> str:
    return write(d, "trace-nosuffix.log", gzip.compress(good_inspect_bytes()))


# -- files that are not traces -------------------------------------------------------

def zero_byte(d: str) -> str:
    return write(d, "empty.log", b"")


def binary(d: str) -> str:
    return write(d, "binary.bin", bytes(range(256)) * 64)


def fifo(d: str) -> str:
    path = os.path.join(d, "pipe.log")
    os.mkfifo(path)
    return path


def many_files(d: str, count: int = 1000) -> str:
    """A directory of `count` small traces (every tenth one garbage)."""
    sub = os.path.join(d, "many")
    os.mkdir(sub)
    for i in range(count):
        if i % 10 == 9:
            write(sub, f"junk-{i}.txt", b"not a trace\n")
        else:
            rec = inspect_record("enter", f"a{i}", "Tool Call", f"cmd {i}", start=T0 + i)
            write(sub, f"trace-{i}.log", line(rec))
    return sub


def symlink_loop(d: str) -> str:
    a, b = os.path.join(d, "loop-a"), os.path.join(d, "loop-b")
    os.symlink(b, a)
    os.symlink(a, b)
    return a


def unreadable(d: str) -> str:
    path = write(d, "trace-secret.log", good_inspect_bytes())
    os.chmod(path, 0)
    return path


# -- span formats ------------------------------------------------------------------

def native_span(span_id: str, parent: str | None = None, trace: str = "T", **extra: Any) -> dict:
    rec = {"trace_id": trace, "span_id": span_id, "parent_id": parent, "name": f"span {span_id}",
           "start_time": T0, "end_time": T0 + 1, "status": "ok"}
    rec.update(extra)
    return rec


def native_cycles(d: str) -> str:
    recs = [
        native_span("self", "self"),
        native_span("a", "b"), native_span("b", "c"), native_span("c", "a"),
        native_span("root"), native_span("kid", "root"),
        native_span("kid", "root", status="error"),          # update of the same id
        native_span("root", "kid"),                           # would close a cycle
    ]
    return write(d, "cycles.jsonl", b"".join(line(r) for r in recs))


def native_wrong_shapes(d: str) -> str:
    out = [line(native_span("ok1"))]
    for key in ("trace_id", "span_id", "parent_id", "name", "start_time", "end_time", "status",
                "type", "input", "output", "attributes", "metadata", "error"):
        for bad in ([1], {"x": [1]}, True, None, 1e308, -1, "NaN"):
            rec = native_span(f"s-{key}-{type(bad).__name__}")
            rec[key] = bad
            out.append(line(rec))
    out.append(b'{"trace_id": "T", "span_id": "n", "start_time": NaN, "end_time": Infinity}\n')
    # Last: one of them looks like an Inspect record, which must not
    # change how the file (detected from its first records) is read.
    out += [line(v) for v in WRONG_SHAPES]
    return write(d, "shapes.jsonl", b"".join(out))


def nasty_native(d: str, big: int = 100_000) -> str:
    huge = "N" * big + NASTY
    recs = [
        native_span(NASTY, None, trace=NASTY, name=NASTY, type=NASTY, input=NASTY, output={NASTY: NASTY},
                    attributes={NASTY: NASTY}, status="error", error={"message": NASTY, "type": NASTY}),
        native_span("big", NASTY, trace=NASTY, name=huge, type=huge, status="running", end_time=None),
    ]
    return write(d, "nasty.jsonl", b"".join(line(r) for r in recs))


#: A lone surrogate, as Python's JSON writer escapes one (`\ud800`): what a
#: file name read with `surrogateescape` becomes in a trace. orjson refuses
#: such a line and Python's reader takes it, so it reaches every view.
LONE = "lone \ud800 surrogate"


def lone_surrogate_inspect(d: str) -> str:
    recs = [inspect_record("enter", "s1", "Subprocess", LONE, start=T0, message=LONE,
                           task="t", sample_id=LONE, epoch=1),
            inspect_record("error", "s2", "Tool Call", LONE, duration=1, error=LONE, stacktrace=LONE,
                           task="t", sample_id=1, epoch=1),
            inspect_record(message=LONE, task="t", sample_id=1, epoch=1)]
    return write(d, "trace-lone.log", b"".join(json.dumps(r).encode() + b"\n" for r in recs))


def lone_surrogate_native(d: str) -> str:
    recs = [native_span("s1", None, trace="t", name=LONE, type=LONE, input=LONE, output={LONE: LONE},
                        attributes={LONE: LONE}, status="error", error={"message": LONE}),
            native_span("s2", "s1", trace="t", name=LONE, status="running", end_time=None)]
    return write(d, "lone.jsonl", b"".join(json.dumps(r).encode() + b"\n" for r in recs))


def lone_surrogate_db(d: str) -> str:
    """SQLite text cannot hold one; a JSON column's escape can."""
    path = os.path.join(d, "lone.db")
    con = sqlite3.connect(path)
    con.execute(SPANS_SCHEMA)
    con.execute("INSERT INTO spans VALUES (?,?,?,?,?,?,?,?)",
                ("s1", None, "t", "root", T0, None, "running", json.dumps({LONE: LONE})))
    con.commit()
    con.close()
    return path


# -- SQLite ----------------------------------------------------------------------------

SPANS_SCHEMA = ("CREATE TABLE spans (span_id TEXT PRIMARY KEY, parent_span_id TEXT, trace_id TEXT, "
                "name TEXT, start_time REAL, end_time REAL, status TEXT, attributes TEXT)")


def spans_db(d: str, name: str = "spans.db", wal: bool = False, rows: int = 3) -> str:
    path = os.path.join(d, name)
    con = sqlite3.connect(path)
    if wal:
        con.execute("PRAGMA journal_mode=WAL")
    con.execute(SPANS_SCHEMA)
    for i in range(rows):
        con.execute("INSERT INTO spans VALUES (?,?,?,?,?,?,?,?)",
                    (f"s{i}", "s0" if i else None, "T", f"step {i}", T0 + i, T0 + i + 1, "ok", "{}"))
    con.commit()
    con.close()
    return path


#: A writer that commits into its -wal and dies without closing (killed,
#: crashed): SQLite leaves the -wal, and the -shm, beside the database.
DYING_WRITER = r"""
import os, sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("PRAGMA journal_mode=WAL")
con.execute("PRAGMA wal_autocheckpoint=0")
con.execute("INSERT INTO spans VALUES ('k1', NULL, 'T', 'only in the wal', 1, 2, 'error', '{}')")
os._exit(0)
"""


def killed_writer_db(d: str, name: str = "killed.db", keep_shm: bool = True) -> str:
    """A WAL database whose writer died: a -wal holding a committed row (a
    failed span, `only in the wal`), the -shm too unless not `keep_shm`
    (copied elsewhere without it)."""
    import subprocess
    import sys

    path = spans_db(d, name, wal=True)
    subprocess.run([sys.executable, "-c", DYING_WRITER, path], check=True)
    assert os.path.getsize(path + "-wal") > 0
    if not keep_shm:
        os.unlink(path + "-shm")
    return path


def corrupt_db(d: str) -> str:
    path = spans_db(d, "corrupt.db", rows=50)
    with open(path, "r+b") as f:
        f.seek(100)
        f.write(b"\xde\xad\xbe\xef" * 2000)
    return path


def odd_schema_db(d: str) -> str:
    path = os.path.join(d, "odd.db")
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, title TEXT, body BLOB)")
    con.execute("INSERT INTO recipes (title, body) VALUES ('soup', x'00ff')")
    con.commit()
    con.close()
    return path


def nasty_db(d: str) -> str:
    path = os.path.join(d, "nasty.db")
    con = sqlite3.connect(path)
    con.execute(SPANS_SCHEMA)
    con.execute("INSERT INTO spans VALUES (?,?,?,?,?,?,?,?)",
                (NASTY, None, NASTY, NASTY, T0, None, NASTY, json.dumps({NASTY: NASTY})))
    con.execute("INSERT INTO spans VALUES (?,?,?,?,?,?,?,?)",
                ("e", NASTY, NASTY, NASTY, T0, T0 + 1, "error", "{not json"))
    con.commit()
    con.close()
    return path


def snapshot(paths: list[str]) -> dict[str, tuple]:
    """Every file under these paths (and its directory's entries) with its
    bytes and mtime: compare before and after to prove nothing was touched."""
    state: dict[str, tuple] = {}
    dirs = set()
    for path in paths:
        dirs.add(path if os.path.isdir(path) else os.path.dirname(path))
    for directory in dirs:
        for root, subdirs, files in os.walk(directory):
            st = os.stat(root)
            state[root] = ("dir", sorted(subdirs + files), st.st_mtime_ns)
            for name in files:
                full = os.path.join(root, name)
                st = os.lstat(full)
                if not os.path.isfile(full) or os.path.islink(full):
                    state[full] = ("other", st.st_mode, st.st_mtime_ns)
                    continue
                with open(full, "rb") as f:
                    state[full] = ("file", f.read(), st.st_mtime_ns, st.st_mode)
    return state
