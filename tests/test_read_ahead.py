"""A plain file's next slice read ahead on a thread of its own
(`files.ReadAhead`): taken only for the very read the follower would make,
and never handing out what the file no longer says for long."""

from __future__ import annotations

import os

import pytest

from tracetui.sources import files
from tracetui.sources.files import FileFollower


@pytest.fixture(autouse=True)
def _small_slices_read_ahead(monkeypatch):
    """Slices of a few KB read ahead, as the app's of 8 MiB are."""
    monkeypatch.setattr(files, "READ_AHEAD_MIN", 0)


def _lines(count: int, eol: bytes = b"\n", tag: bytes = b"line") -> bytes:
    return b"".join(b"%s %05d %s%s" % (tag, i, b"x" * (i % 37), eol) for i in range(count))


def _read_all(follower: FileFollower) -> tuple[list[tuple[int, bytes]], list[files.Chunk]]:
    got, chunks = [], []
    while True:
        chunk = follower.poll()
        chunks.append(chunk)
        got += chunk.lines
        if not chunk.more:
            return got, chunks


def _taken(monkeypatch) -> list[bool]:
    """Whether each read ahead was taken (a spy on `ReadAhead.take`)."""
    taken: list[bool] = []
    take = files.ReadAhead.take

    def spy(self, *args):
        data = take(self, *args)
        taken.append(data is not None)
        return data

    monkeypatch.setattr(files.ReadAhead, "take", spy)
    return taken


def _expected(data: bytes) -> list[tuple[int, bytes]]:
    pairs, pos = [], 0
    for line in data.split(b"\n")[:-1]:
        pairs.append((pos, line))
        pos += len(line) + 1
    return pairs


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_slices_read_ahead_give_each_line_once_where_it_lies(tmp_path, monkeypatch, eol):
    """A file read in many slices: every slice after the first was read
    ahead and taken, and the lines, their offsets and whether they hold a
    CR are what reading it in one go gives."""
    data = _lines(3000, eol)
    path = tmp_path / "big.log"
    path.write_bytes(data)
    taken = _taken(monkeypatch)
    got, chunks = _read_all(FileFollower(str(path), read_size=4096))
    assert got == _expected(data)
    assert len(taken) == len(chunks) - 1 > 20 and all(taken)
    assert all(chunk.cr == (eol == b"\r\n") for chunk in chunks if chunk.runs)


def test_a_read_ahead_of_another_read_is_not_taken(tmp_path, monkeypatch):
    """The slice size changed between two polls (the app reads bigger
    slices while it loads): what was read ahead is not that read, and the
    follower reads the slice itself; no line is lost or doubled."""
    data = _lines(2000)
    path = tmp_path / "big.log"
    path.write_bytes(data)
    taken = _taken(monkeypatch)
    follower = FileFollower(str(path), read_size=1024)
    got = follower.poll().lines
    follower.read_size = 8192
    more, _ = _read_all(follower)
    assert got + more == _expected(data)
    assert taken[0] is False and all(taken[1:])


def test_a_read_ahead_that_fails_leaves_the_read_to_the_follower(tmp_path, monkeypatch):
    """Whatever fails on the read-ahead thread (here memory) is not raised
    there, where its traceback would be written over the app's screen: the
    follower reads that slice itself."""
    import threading

    data = _lines(2000)
    path = tmp_path / "big.log"
    path.write_bytes(data)
    opener = files.open_regular

    def failing_ahead(name):
        if threading.current_thread().name == "read ahead":
            raise MemoryError
        return opener(name)

    monkeypatch.setattr(files, "open_regular", failing_ahead)
    raised = []
    monkeypatch.setattr(threading, "excepthook", raised.append)
    taken = _taken(monkeypatch)
    got, chunks = _read_all(FileFollower(str(path), read_size=4096))
    assert got == _expected(data) and len(chunks) > 10
    assert taken and not any(taken) and raised == []


def test_a_file_replaced_after_its_next_slice_was_read_ahead_is_read_anew(tmp_path):
    """Replaced by another file (a new inode) once the next slice was read
    ahead: that slice is not handed out; the new file is read from its
    start."""
    path = tmp_path / "big.log"
    path.write_bytes(_lines(2000, tag=b"old"))
    follower = FileFollower(str(path), read_size=4096)
    assert follower.poll().more
    follower._ahead._thread.join()  # read ahead of the replacement
    new = _lines(1500, tag=b"new")
    (tmp_path / "next.log").write_bytes(new)
    os.replace(tmp_path / "next.log", path)
    chunk = follower.poll()
    assert chunk.reset and all(line.startswith(b"new ") for _, line in chunk.lines)
    more, _ = _read_all(follower)
    assert chunk.lines + more == _expected(new)


def test_a_file_rewritten_in_place_after_a_read_ahead_is_read_again_from_its_start(tmp_path):
    """Truncated and written again, longer, in place (the same inode) once
    the next slice was read ahead: that slice is as a read made just
    before the rewrite, and the poll after it finds the bytes before its
    offset changed and reads the file again; what is finally held is the
    new file, each line once."""
    path = tmp_path / "big.log"
    path.write_bytes(_lines(2000, tag=b"old"))
    follower = FileFollower(str(path), read_size=4096)
    assert follower.poll().more
    follower._ahead._thread.join()
    new = _lines(3000, tag=b"new")
    with open(path, "r+b") as f:  # the same inode
        f.truncate(0)
        f.write(new)
    held: list[tuple[int, bytes]] = []
    resets = 0
    for _ in range(10_000):
        chunk = follower.poll()
        if chunk.reset:
            held, resets = [], resets + 1
        held += chunk.lines
        if not chunk.more:
            break
    assert resets == 1 and held == _expected(new)


def test_slices_smaller_than_read_ahead_min_are_not_read_ahead(tmp_path, monkeypatch):
    """The app's small slices, while it follows a log, are read in line."""
    monkeypatch.setattr(files, "READ_AHEAD_MIN", 8192)
    data = _lines(2000)
    path = tmp_path / "big.log"
    path.write_bytes(data)
    taken = _taken(monkeypatch)
    assert _read_all(FileFollower(str(path), read_size=4096))[0] == _expected(data)
    assert taken == []
    follower = FileFollower(str(path), read_size=8192)
    assert _read_all(follower)[0] == _expected(data)
    assert taken and all(taken)


@pytest.mark.skipif(files.Lines is None, reason="the C accelerator is not built")
@pytest.mark.parametrize("size", [100, 5_000_000], ids=["small", "cut without the GIL"])
def test_lines_say_whether_a_cr_lies_in_them(size):
    """`Lines.cr`: a CR anywhere in data[start:end], and only there (a
    slice's unfinished last line is the next slice's to tell)."""
    body = b"y" * size
    plain = body + b"\n" + body + b"\n"
    assert not files.Lines(plain, len(plain)).cr
    lone = body + b"\rz\n" + body + b"\n"
    assert files.Lines(lone, len(lone)).cr
    crlf = body + b"\r\n"
    assert files.Lines(crlf, len(crlf)).cr
    after = plain + b"partial\r"
    assert not files.Lines(after, len(plain)).cr
    before = b"\r\n" + plain
    assert not files.Lines(before, len(before), 2).cr
    assert len(files.Lines(plain, len(plain))) == 2
