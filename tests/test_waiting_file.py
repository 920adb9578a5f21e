"""A trace file named to the explorer before its first record is written:
empty, a banner only, its first record half written (QA: `tracetui FILE`
started together with the pipeline exited 1, "empty file, nothing to show
yet" or "not a trace source"). The explorer opens it waiting, and reads it
from its first record on; a file that is no trace is still refused, and
the commands for scripts answer as before. The writers here are real
processes of their own."""

from __future__ import annotations

import os

import pytest

from headless import wait_for
from writer_process import Writer
from tracetui.app.main import build_app, run_app
from tracetui.cli import main
from tracetui.sources import writers

SAMPLES = os.path.join(os.path.dirname(__file__), "..", "sample_traces")
NATIVE = os.path.join(SAMPLES, "native", "spans.jsonl")
NOW = 1795412400.0
#: Long before the tests run: a file last written then is not being written.
LONG_AGO = 1_600_000_000

@pytest.fixture
def quick(monkeypatch):
    """A writer found at once (no back-off between looks at `/proc`)."""
    monkeypatch.setattr(writers, "RESCAN_FIRST", 0.0)
    monkeypatch.setattr(writers, "SNAPSHOT_TTL", 0.0)


def rendered(widget) -> str:
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height))


def says_waiting(app, path: str) -> bool:
    """The panes and the status line say the explorer waits, and for what."""
    return (app.anomaly_panel.empty_text() == f"waiting for the first record in\n{path}"
            and app.tree.empty_text() == f"waiting for the first record in\n{path}"
            and app.run_list.empty_text() == "waiting…"
            and f"waiting for the first record in {path}" in str(app._status.render()))


RECORDS = open(NATIVE, "rb").read().decode()
FIRST, REST = RECORDS.split("\n", 1)
OTLP = open(os.path.join(SAMPLES, "otel", "otlp.jsonl"), "rb").read().decode()

#: (the records, what is in the file when the explorer starts, where its
#: first record is cut while it is written, the format it is read as).
BEGUN = {
    "empty": (RECORDS, "", 50, "native"),
    "a banner": (RECORDS, "[wrapper] starting\n", 50, "native"),
    "a banner and half a record": (RECORDS, "[wrapper] starting\n" + FIRST[:50], 50, "native"),
    # Cut where it stays open, as a pretty-printed document's first line does.
    "an OTLP request begun": (OTLP, "", len('{"resourceSpans":['), "otlp"),
}


@pytest.mark.parametrize("case", BEGUN)
async def test_the_explorer_waits_for_a_files_first_record_and_shows_its_run(writer, case):
    """Started with the pipeline: its file is empty, holds a banner, or
    its first record half written. The explorer opens waiting and says
    so; once a whole record is there it reads the file, banner skipped
    and said, and goes on reading what its writer writes."""
    records, begun, cut, fmt = BEGUN[case]
    first, rest = records.split("\n", 1)
    path, proc = writer
    if begun:
        proc.write(begun)
    app = build_app([path], now=lambda: NOW)
    assert app.sources == [] and app.awaited == [path]
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause(0.3)
        assert says_waiting(app, path) and not app.all_notes()
        if not begun.endswith(first[:cut]):
            proc.write(first[:cut])  # its first record begun, not whole yet
            await pilot.pause(0.3)
            assert not app.store.runs and says_waiting(app, path)
        proc.write(first[cut:] + "\n")
        assert await wait_for(pilot, lambda: len(app.store.runs) == 1)
        assert await wait_for(pilot, lambda: app.tree.run is not None and app.tree.row_count() > 0)
        assert "waiting" not in rendered(app.anomaly_panel) + rendered(app.tree) + str(app._status.render())
        spans = len(app.tree.run.spans)
        proc.write(rest)
        assert await wait_for(pilot, lambda: sum(len(r.spans) for r in app.store.runs.values()) > spans)
        banner = begun.count("\n")
        assert [(s.format, s.skipped, s.skipped_before_records) for s in app.sources] == [(fmt, banner, banner)]


async def test_a_file_that_proves_no_trace_is_said_in_the_panes(writer):
    """Waited for, it is given whole lines of JSON no format reads: no
    trace. The panes say why, as the note does; nothing is shown."""
    path, proc = writer
    app = build_app([path], now=lambda: NOW)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause(0.2)
        proc.write('{"hello": "world"}\n{"n": 2}\n')
        why = f"{path}: not a trace source (no record of a known trace format in its first lines)"
        assert await wait_for(pilot, lambda: app.anomaly_panel.empty_text() == why)
        assert app.awaited == [] and app.all_notes() == [why] and not app.store.runs
        assert app.run_list.empty_text() == "no runs" and "waiting" not in str(app._status.render())


async def test_a_file_awaited_beside_one_read_adds_its_run_when_it_comes(tmp_path, writer):
    """`tracetui old.jsonl new.jsonl`, new.jsonl still empty: old.jsonl's
    run is shown (nothing is said of the other: no fault); the new one
    joins when its pipeline writes its first record."""
    path, proc = writer
    other = tmp_path / "other.log"
    other.write_bytes(open(os.path.join(SAMPLES, "inspect", "hung.log"), "rb").read())
    app = build_app([str(other), path], now=lambda: NOW)
    assert app.awaited == [path] and not app.notes
    async with app.run_test(size=(120, 36)) as pilot:
        assert await wait_for(pilot, lambda: list(app.store.runs) == ["other"])
        assert "waiting" not in str(app._status.render())
        proc.write(RECORDS)
        assert await wait_for(pilot, lambda: set(app.store.runs) == {"other", "t-1", "t-2"})


def test_a_banner_held_open_by_its_writer_is_awaited_however_old(tmp_path, quick):
    """A pipeline that wrote its banner a minute ago and loads its model
    still: its file is old, but its writer holds it open."""
    path = str(tmp_path / "slow.jsonl")
    open(path, "w").close()
    proc = Writer(path)
    try:
        proc.write("[INFO] loading the model\n")
        os.utime(path, (LONG_AGO, LONG_AGO))
        if writers.open_for_writing(path) is None:
            pytest.skip("this machine cannot tell a file's writer")
        assert build_app([path]).awaited == [path]
    finally:
        proc.close()
    # Its writer gone, and written long ago: a banner and nothing more.
    assert run_app([path]) == 1


#: Files that are no traces: refused at once, in today's one line.
NOT_TRACES = {
    "binary data": (b"\x7fELF\x00\x00\x01\x02" + bytes(range(256)) * 4, "not a trace source (binary data)"),
    "JSON no format reads": (b'{"hello": "world"}\n{"n": 2}\n',
                             "not a trace source (no record of a known trace format in its first lines)"),
    "a JSON array per line": (b"[1, 2]\n[3]\n",
                              "not a trace source (no record of a known trace format in its first lines)"),
    "a text file": (b"".join(b"Some prose, line %d.\n" % i for i in range(200)),
                    "not a trace source (no record of a known trace format in its first lines)"),
}


@pytest.mark.parametrize("name", NOT_TRACES)
def test_a_file_that_is_no_trace_is_still_refused_however_fresh(tmp_path, capsys, name):
    data, why = NOT_TRACES[name]
    path = tmp_path / "out.jsonl"
    path.write_bytes(data)
    assert run_app([str(path)]) == 1
    assert capsys.readouterr().err == f"tracetui: {path}: {why}\n"


@pytest.mark.parametrize("data", [b"[wrapper] starting\n", b"[wrapper] starting\n" + FIRST[:50].encode(),
                                  FIRST[:50].encode()], ids=["a banner", "half a record after it", "half a record"])
def test_a_file_no_one_writes_with_no_record_is_refused(tmp_path, capsys, data):
    """Written long ago, held by no process: nothing more is coming."""
    path = tmp_path / "out.jsonl"
    path.write_bytes(data)
    os.utime(path, (LONG_AGO, LONG_AGO))
    if writers.open_for_writing(str(path)) is None:
        pytest.skip("this machine cannot tell a file's writer")
    assert run_app([str(path)]) == 1
    assert capsys.readouterr().err == (f"tracetui: {path}: not a trace source (no record of a known trace "
                                       "format in its first lines)\n")


@pytest.mark.parametrize("data,why", [
    (b"", "empty file, nothing to show yet"),
    (b"[wrapper] starting\n", "not a trace source (no record of a known trace format in its first lines)"),
    (FIRST[:50].encode(), "not a trace source (no record of a known trace format in its first lines)"),
], ids=["empty", "a banner", "half a record"])
def test_the_commands_for_scripts_answer_as_before(writer, capsys, data, why):
    """They read once: a file being written with nothing yet is the same
    answer as ever (an empty one is nothing yet, not an error)."""
    path, proc = writer
    if data:
        proc.write(data.decode())
    code, out, err = main(["runs", path, "--json"]), *capsys.readouterr()
    assert err == f"tracetui: {path}: {why}\n"
    assert (code, out) == ((0, "[]\n") if not data else (1, ""))


async def test_a_text_file_nothing_writes_any_more_is_refused_in_time(tmp_path, monkeypatch):
    """QA: a text file written a moment before the explorer was started on
    it (a crashed pipeline's traceback) was waited for for good: it was
    looked at again only when it changed. Looked at again once quiet past
    WRITER_QUIET, with nothing holding it, it is no trace, said so."""
    from tracetui.app import app as app_module
    from tracetui.sources import discover

    monkeypatch.setattr(app_module, "AWAIT_LOOK_AGAIN", 0.1, raising=False)
    monkeypatch.setattr(discover, "WRITER_QUIET", 0.5)
    path = str(tmp_path / "crashed.jsonl")
    with open(path, "w") as f:
        f.write("Traceback (most recent call last):\n  ValueError: bad\n")
    app = build_app([path], now=lambda: NOW)
    assert app.awaited == [path]
    async with app.run_test(size=(120, 36)) as pilot:
        why = f"{path}: not a trace source (no record of a known trace format in its first lines)"
        assert await wait_for(pilot, lambda: app.anomaly_panel.empty_text() == why)
        assert app.awaited == [] and app.all_notes() == [why]
