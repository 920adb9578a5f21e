"""The CLI over the hostile corpus: exact output, skipped counts, exit codes
and the one-line messages; never a traceback, never a control sequence."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import re
import shlex
import subprocess
import sys
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest

from hostile import corpus as c
from tracetui.cli import main
from tracetui.jsonout import MAX_INDENT_DEPTH

AS_OF = str(c.T0 + 100)
SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sample_traces")
#: What the clean corpus file answers: the damaged variants must say the same.
GOOD_RUNNING = [["Subprocess", "sleep 600", c.T0 + 2, 98.0]]
GOOD_CANCELLED = [["Model", "gpt", c.T0 + 3, 0.5]]


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def buckets(out: str) -> dict[str, list]:
    env = json.loads(out)
    return {b: [[r["action"], r["detail"], r["start_time"], r["duration"]] for r in env[b]]
            for b in ("running", "cancelled", "errors", "timeouts")}


def skipped_note(path: str, count: int, line: int) -> str:
    return f"tracetui: {path}: skipped {count} bad line(s); first at line {line}\n"


def normalized(out: str, path: str) -> str:
    """A command's output with the file's own name and path taken out, to
    compare a damaged file's answer with the clean file's."""
    run_id = os.path.basename(path).split(".")[0]
    return out.replace(path, "PATH").replace(run_id, "RUN")


# -- damaged lines: the answer is the clean file's, the damage is counted -----------

DAMAGED_LINES = [
    # builder, skipped lines, first bad line (1-based), extra note
    (c.truncated_last_line, 1, 7),
    (c.crlf, 0, None),
    (c.bom, 0, None),
    (c.nul_bytes, 3, 7),
    (c.invalid_utf8, 2, 7),
    (c.deep_nesting, 2, 7),
    (c.gzip_members, 0, None),
    (c.fake_gz, 0, None),
    (c.gzip_no_suffix, 0, None),
]


@pytest.mark.parametrize("builder,skipped,first", DAMAGED_LINES, ids=[b[0].__name__ for b in DAMAGED_LINES])
def test_damaged_lines_are_skipped_and_counted(tmp_path, capsys, builder, skipped, first, real_copy_gap):
    # `real_copy_gap`: these logs hold records of days ago, written now: copies, not being written.
    clean = c.write(str(tmp_path), "trace-clean.log", c.good_inspect_bytes())
    path = builder(str(tmp_path))
    note = skipped_note(path, skipped, first) if skipped else ""
    code, out, err = cli(capsys, "anomalies", path, "--all", "--json", "--as-of", AS_OF)
    assert (code, err) == (0, note)
    assert buckets(out) == {"running": GOOD_RUNNING, "cancelled": GOOD_CANCELLED, "errors": [], "timeouts": []}
    for command in (["runs", "--json"], ["tree", "--json"], ["spans", "--json"], ["stats", "--json"], ["dump"]):
        code, out, err = cli(capsys, command[0], path, *command[1:])
        if command[0] == "dump":  # it dumps any JSON record: what it skips is not JSON
            assert (code, err) == (0, note.replace("bad line(s)", "line(s) that are not JSON")), command
        else:
            assert (code, err) == (0, note), command
        _, clean_out, _ = cli(capsys, command[0], clean, *command[1:])
        if command[0] in ("runs", "tree", "spans"):
            # Times of running spans are measured to now: compare the shape.
            out, clean_out = (re.sub(r'"(duration|end_time)": ([-\d.e+]+|null)', "", o) for o in (out, clean_out))
        assert normalized(out, path) == normalized(clean_out, clean), command


def test_a_symlink_loop_in_a_directory_leaves_its_other_files_readable(tmp_path, capsys):
    """QA: one looping link made the whole directory "no readable trace files"."""
    import shutil

    shutil.copy(HUNG_LOG, tmp_path / "trace-9.log")
    os.symlink("self", tmp_path / "self")
    code, out, err = cli(capsys, "runs", str(tmp_path), "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == ["trace-9"]
    code, out, err = cli(capsys, "anomalies", str(tmp_path), "--json")
    assert code == 0 and len(json.loads(out)) == 1 and "cannot list" not in err
    from tracetui.sources.discover import newest_file

    assert newest_file(str(tmp_path)) == str(tmp_path / "trace-9.log")


def test_table_columns_line_up_with_wide_characters(tmp_path, capsys):
    """QA: a run named in CJK pushed the rest of its row out of line."""
    from rich.cells import cell_len

    path = c.write(str(tmp_path), "spans.jsonl", c.line(
        {"trace_id": "日本語のトレース", "span_id": "a", "parent_id": None, "name": "検索エージェント",
         "start_time": 1795412244.0, "end_time": 1795412245.0, "status": "ok"}))
    code, out, _ = cli(capsys, "runs", path)
    header, row = out.splitlines()[:2]
    # STATUS is left-aligned: its value starts where the header word does.
    assert code == 0 and cell_len(row[:row.index(" ok ") + 1]) == cell_len(header[:header.index("STATUS")])
    code, out, _ = cli(capsys, "stats", path)
    lines = out.splitlines()
    header = next(line for line in lines if "COUNT" in line)
    row = lines[lines.index(header) + 1]
    # COUNT is right-aligned: its value ends where the header word does.
    count_end = cell_len(row[:row.index(" 1 ") + 2])
    assert code == 0 and count_end == cell_len(header[:header.index("COUNT") + len("COUNT")])


def test_standard_input_is_said_to_be_no_source(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "runs", "-")
    assert (code, out) == (1, "") and err == "tracetui: -: standard input is not a source: save the trace to a file\n"


def test_a_line_finished_just_after_the_scan_is_still_said_as_unfinished(tmp_path, capsys, monkeypatch):
    """The file's end was looked at again after the scan: a writer that had
    finished the line by then made it `skipped 1 bad line(s)` (QA: 3 of 20
    runs on a log written at 200 lines/s). What the scan read decides."""
    from tracetui import fastscan

    live = c.write(str(tmp_path), f"trace-{os.getpid()}.log",
                   c.good_inspect_bytes() + b'{"timestamp": "2026-11-21T10:1')
    scan = fastscan.scan

    def scan_then_the_writer_finishes(*args, **kwargs):
        answer = scan(*args, **kwargs)
        with open(live, "ab") as f:
            f.write(b'0:00", "level": "TRACE", "message": "m"}\n')
        return answer

    monkeypatch.setattr(fastscan, "scan", scan_then_the_writer_finishes)
    code, out, err = cli(capsys, "anomalies", live, "--json", "--as-of", AS_OF)
    assert (code, err) == (0, f"tracetui: {live}: its last line is still being written: not read\n")


def test_a_line_still_being_written_is_not_a_bad_line(tmp_path, capsys):
    """A CI job polling a live eval got `skipped 1 bad line(s)` every time
    (QA): the line its writer has not finished waits, said as such. A
    finished file's last line without a newline is still read."""
    live = c.write(str(tmp_path), f"trace-{os.getpid()}.log",  # its eval (this process) runs
                   c.good_inspect_bytes() + b'{"timestamp": "2026-11-21T10:1')
    said = f"tracetui: {live}: its last line is still being written: not read\n"
    for command in (["anomalies", "--all", "--json", "--as-of", AS_OF], ["runs", "--json"], ["spans"], ["dump"]):
        code, out, err = cli(capsys, command[0], live, *command[1:])
        assert (code, err) == (0, said), command
    assert len(json.loads(out)) == len(c.good_inspect_bytes().splitlines())  # `dump`: the whole lines
    native = c.write(str(tmp_path), "spans.jsonl", open(NATIVE, "rb").read().rstrip(b"\n"))
    code, out, err = cli(capsys, "spans", native, "--json")
    _, whole, _ = cli(capsys, "spans", NATIVE, "--json")
    assert (code, err) == (0, "") and normalized(out, native) == normalized(whole, NATIVE)


def test_crlf_and_bom_leave_no_trace_in_the_values(tmp_path, capsys):
    for path in (c.crlf(str(tmp_path)), c.bom(str(tmp_path))):
        code, out, err = cli(capsys, "spans", path, "--json")
        assert code == 0 and err == ""
        details = sorted(s["detail"] for s in json.loads(out))
        assert details == ["bash ls", "gpt", "sleep 600"]
        code, out, _ = cli(capsys, "dump", path)
        assert [r["message"] for r in json.loads(out)][0] == "eval started"


def test_gzip_cut_mid_stream_shows_what_was_readable(tmp_path, capsys):
    path = c.gzip_truncated(str(tmp_path))
    with open(path, "rb") as f:
        readable = zlib.decompressobj(31).decompress(f.read())
    whole_lines = readable.count(b"\n")
    code, out, err = cli(capsys, "runs", path, "--json")
    assert code == 0
    assert err == (f"tracetui: {path}: gzip data ends early or is damaged after {len(readable)} bytes "
                   "(EOFError); showing what was readable\n" + skipped_note(path, 1, whole_lines + 1))
    assert json.loads(out)[0]["spans"] > 0
    code, out, err = cli(capsys, "dump", path)
    assert len(json.loads(out)) == whole_lines and "1 line(s) that are not JSON" in err
    # The fast anomaly scan reads the same bytes and says so in the same words.
    code, out, err = cli(capsys, "anomalies", path, "--all", "--json", "--as-of", AS_OF)
    assert code == 0 and buckets(out)["running"] == GOOD_RUNNING
    assert err == (f"tracetui: {path}: gzip data ends early or is damaged after {len(readable)} bytes "
                   "(EOFError); showing what was readable\n" + skipped_note(path, 1, whole_lines + 1))


def test_gzip_with_trailing_garbage_keeps_every_record(tmp_path, capsys):
    path = c.gzip_trailing_garbage(str(tmp_path))
    size = len(c.good_inspect_bytes())
    code, out, err = cli(capsys, "dump", path)
    # Said as it is: every record was read, only what follows the data is not gzip.
    note = (f"tracetui: {path}: bytes after the end of the gzip data are not gzip: ignored "
            f"(all {size} bytes of the data were read)\n")
    assert code == 0 and len(json.loads(out)) == 6
    assert err == note
    code, out, err = cli(capsys, "anomalies", path, "--all", "--json", "--as-of", AS_OF)
    assert code == 0 and buckets(out)["running"] == GOOD_RUNNING
    assert err == note


# -- odd values ------------------------------------------------------------------

def test_overflowing_numbers_match_inspect_and_never_crash(tmp_path, capsys):
    path = c.overflow_numbers(str(tmp_path))
    note = skipped_note(path, 1, 8)  # the 10**400 start time: not a float (Inspect skips it too)
    code, out, err = cli(capsys, "anomalies", path, "--all", "--json", "--as-of", AS_OF)
    assert (code, err) == (0, note)
    assert [r[:2] for r in buckets(out)["running"]] == [["A", "1e999"], ["Subprocess", "sleep 600"], ["A", "neg"]]
    assert "Infinity" in out  # Inspect prints the same non-standard JSON for this file
    for command in ("runs", "tree", "spans", "stats"):
        code, out, err = cli(capsys, command, path)
        assert (code, err) == (0, note), command
        code, out, err = cli(capsys, command, path, "--json")
        assert (code, err) == (0, note), command

        def refuse(name):
            raise AssertionError(f"{command} --json printed {name}")

        json.loads(out, parse_constant=refuse)  # strict JSON: jq can read it
    code, out, _ = cli(capsys, "anomalies", path, "--all", "--as-of", AS_OF)
    assert code == 0 and "1e999" in out and "neg" in out


def test_duplicate_keys_last_one_wins(tmp_path, capsys):
    path = c.duplicate_keys(str(tmp_path))
    code, out, err = cli(capsys, "spans", path, "--json")
    assert (code, err) == (0, "")
    by_id = {s["id"]: s for s in json.loads(out)}
    assert "d1" not in by_id and by_id["d2"]["detail"] == "second"


def test_wrong_shapes_are_skipped_field_by_field(tmp_path, capsys):
    path = c.wrong_shape_inspect(str(tmp_path))
    # 8 values that are not records, and 4 wrong types for each of 8 fields,
    # except start_time=None, which Inspect accepts (an optional number).
    code, out, err = cli(capsys, "anomalies", path, "--all", "--json", "--as-of", AS_OF)
    assert (code, err) == (0, skipped_note(path, 8 + 8 * 4 - 1, 7))
    assert buckets(out)["running"] == GOOD_RUNNING + [["A", "d", None, 0.0]]
    code, out, err = cli(capsys, "spans", path, "--json")
    assert (code, err) == (0, skipped_note(path, 39, 7))
    assert {s["id"] for s in json.loads(out)} == {"a1", "a2", "a3", "w-start_time-NoneType"}


def test_native_wrong_shapes_keep_every_usable_span(tmp_path, capsys):
    path = c.native_wrong_shapes(str(tmp_path))
    code, out, err = cli(capsys, "spans", path, "--json")
    assert code == 0
    spans = json.loads(out)
    ids = {s["id"] for s in spans}
    assert "ok1" in ids
    # A span id that is a list, an object, a bool or null names nothing: skipped.
    assert not any(i.startswith("s-span_id-") for i in ids)
    *statuses, skipped = err.splitlines()
    assert re.fullmatch(rf"tracetui: {re.escape(path)}: skipped \d+ bad line\(s\); first at line 2", skipped)
    # A status of the wrong shape is read by the span's times, and said.
    assert statuses and all(re.fullmatch(rf"tracetui: {re.escape(path)}: status '.*' not understood; read by its "
                                         r"times \(.*\)", line) for line in statuses)
    for command in ("runs", "tree", "stats", "anomalies"):
        assert cli(capsys, command, path)[0] == 0


def test_reused_ids_follow_inspect_rules(tmp_path, capsys):
    path = c.reused_ids(str(tmp_path))
    code, out, err = cli(capsys, "anomalies", path, "--all", "--json", "--as-of", AS_OF)
    assert (code, err) == (0, "")
    got = buckets(out)
    # Reused after its exit: running again. A closing record without an enter
    # counts; a later duplicate replaces the earlier one.
    assert got["running"] == [["C", "third", c.T0 + 5, 95.0]]
    assert got["errors"] == [["D", "no enter again", None, 2]]


def test_cycles_and_self_parents_never_loop(tmp_path, capsys):
    path = c.native_cycles(str(tmp_path))
    code, out, err = cli(capsys, "tree", path, "--json")
    assert (code, err) == (0, "")
    tree = json.loads(out)

    def walk(node, depth=0):
        assert depth < 10
        yield node["id"]
        for child in node["children"]:
            yield from walk(child, depth + 1)

    seen = [i for root in tree["roots"] for i in walk(root)]
    assert sorted(seen) == sorted(set(seen)) == ["a", "b", "c", "kid", "root", "self"]
    code, out, _ = cli(capsys, "tree", path)
    # Every root here names a parent that is itself or under it: said so,
    # not as a parent never seen (QA).
    assert code == 0 and "(parent link loops back)" in out and "(parent not found)" not in out
    code, out, _ = cli(capsys, "spans", path, "--json")
    assert {s["id"]: s["status"] for s in json.loads(out)}["kid"] == "error"  # the update won


def test_a_chain_nested_thousands_deep_prints_lines_of_bounded_width(tmp_path, capsys):
    """A chain of parents 3,000 deep (a broken or hostile file): `tree`
    indents 64 levels at most and says each deeper line's depth, so its
    text grows with the spans, not with their depth squared (a chain
    200,000 deep printed 60 GB, and held it first: 24 GB)."""
    path = str(tmp_path / "deep.jsonl")
    with open(path, "w") as f:
        for i in range(3000):
            f.write(json.dumps({"trace_id": "t", "span_id": f"s{i}", "parent_id": f"s{i - 1}" if i else None,
                                "name": "step", "start_time": c.T0 + i, "end_time": c.T0 + i + 1,
                                "status": "ok"}) + "\n")
    code, out, err = cli(capsys, "tree", path)
    lines = out.splitlines()
    assert (code, err, len(lines)) == (0, "", 3001)
    assert max(len(line) for line in lines) < 64 * 3 + 40
    assert lines[64].lstrip().startswith("└─ ✓ step") and lines[65].lstrip().startswith("(65) └─ ✓ step")
    assert lines[-1].lstrip().startswith("(3000) └─ ✓ step")


def test_future_and_negative_times(tmp_path, capsys):
    path = c.odd_times(str(tmp_path))
    code, out, err = cli(capsys, "anomalies", path, "--all", "--json", "--as-of", AS_OF)
    assert (code, err) == (0, "")
    assert buckets(out)["running"] == [["A", "future", c.T0 + 1e9, 100 - 1e9], ["A", "zero start", 0, c.T0 + 100]]
    for command in ("runs", "tree", "spans", "stats"):
        assert cli(capsys, command, path)[0] == 0
    code, out, _ = cli(capsys, "spans", path, "--json")
    assert {s["id"]: s["duration"] for s in json.loads(out)}["neg"] == -5.0


def test_an_absurd_time_does_not_set_every_age(tmp_path, capsys):
    """A run's end (where the ages of a log with no writer run to) ignores
    a start of 1e999 or in the year 33658: every hung action read `infs`
    (QA)."""
    recs = [c.inspect_record("enter", "hung", "A", "hung", start=c.T0),
            c.inspect_record("enter", "ok", "A", "ok", start=c.T0 + 5),
            c.inspect_record("exit", "ok", "A", "ok", duration=1.0)]
    sane = c.write(str(tmp_path), "trace-11.log", b"".join(c.line(r) for r in recs))
    absurd = c.write(str(tmp_path), "trace-12.log", b"".join(c.line(r) for r in recs) + (
        b'{"timestamp": "t", "level": "TRACE", "message": "m", "action": "A", "detail": "inf", '
        b'"event": "enter", "trace_id": "inf", "start_time": 1e999}\n') + c.line(
        c.inspect_record("enter", "far", "A", "far", start=1e12)))
    answers = []
    for path in (sane, absurd):
        code, out, _ = cli(capsys, "runs", path, "--json")
        run = json.loads(out)[0]
        code, out, _ = cli(capsys, "spans", path, "--json", "--status", "running")
        hung = next(s for s in json.loads(out) if s["id"] == "hung")
        answers.append((run["start_time"], run["duration"], hung["duration"]))
    assert answers[0] == answers[1] and answers[0][1] == 6.0


@pytest.mark.parametrize("text", ["\n\n", "   \n", "\r\n"])
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_a_log_of_blank_lines_is_an_empty_answer(tmp_path, capsys, text, gz):
    """As an empty file is, and as Inspect answers it (it exited 1: QA)."""
    data = gzip.compress(text.encode()) if gz else text.encode()
    path = c.write(str(tmp_path), "trace-13.log" + (".gz" if gz else ""), data)
    code, out, err = cli(capsys, "anomalies", path, "--json")
    assert code == 0 and [json.loads(out)[b] for b in ("running", "cancelled", "errors", "timeouts")] == [[]] * 4
    assert err.count("\n") == 1 and ("blank lines only" in err or "gzipped with no records" in err)
    assert cli(capsys, "runs", path, "--json")[:2] == (0, "[]\n")


def test_a_gzip_file_whose_trailer_is_damaged_shows_every_record(tmp_path, capsys):
    """A bad CRC or length failed the one inflate call of a small file and
    took its output along: "damaged gzip data before any record", while
    zcat recovered everything (QA)."""
    data = c.good_inspect_bytes()
    path = c.write(str(tmp_path), "trace-17.log.gz", gzip.compress(data)[:-8] + b"XXXXXXXX")
    whole = c.write(str(tmp_path), "trace-18.log", data)
    code, out, err = cli(capsys, "spans", path, "--json")
    assert code == 0 and "damaged after" in err
    assert len(json.loads(out)) == len(json.loads(cli(capsys, "spans", whole, "--json")[1]))


def test_a_damaged_gzip_file_is_not_called_empty(tmp_path, capsys):
    path = c.write(str(tmp_path), "trace-14.log.gz", b"\x1f\x8b\x08garbage")
    for command in ("anomalies", "runs"):
        code, out, err = cli(capsys, command, path)
        assert (code, out) == (1, "") and err == f"tracetui: {path}: damaged gzip data before any record\n"


@pytest.mark.parametrize("name", ["flujo/flujo_ops.db", "sqlite/generic_spans.db", "trackio/agent-evals.db",
                                  "native/spans.jsonl"])
def test_anomalies_filter_reads_span_names_in_every_format(capsys, name):
    """`--filter` was ignored for databases: every row stayed (QA)."""
    path = os.path.join(SAMPLES, name)
    everything = json.loads(cli(capsys, "anomalies", path, "--all", "--json", "--as-of", AS_OF)[1])
    rows = [r for b in ("running", "cancelled", "errors", "timeouts") for r in everything[b]]
    assert rows
    assert json.loads(cli(capsys, "anomalies", path, "--all", "--json", "--as-of", AS_OF, "--filter", "zzzzqq")[1])["errors"] == []
    word = rows[0]["detail"].upper()  # case-insensitive
    kept = json.loads(cli(capsys, "anomalies", path, "--all", "--json", "--as-of", AS_OF, "--filter", word)[1])
    kept_rows = [r for b in ("running", "cancelled", "errors", "timeouts") for r in kept[b]]
    assert rows[0] in kept_rows and all(
        word.lower() in (r["action"] + " " + r["detail"]).lower() for r in kept_rows)


def test_the_explorer_refuses_a_subcommands_option_and_a_pipe(tmp_path, capsys):
    """`tracetui FILE --json` opened the TUI with a note that `--json` is no
    file; with no terminal, the TUI drew to stderr until killed (QA)."""
    path = c.write(str(tmp_path), "trace-15.log", c.good_inspect_bytes())
    code, out, err = cli(capsys, path, "--json")
    assert (code, out) == (2, "") and "the explorer takes no option --json" in err
    code, out, err = cli(capsys, path)  # pytest's stdout is no terminal
    assert (code, out) == (2, "") and "the explorer needs a terminal" in err
    proc = subprocess.run([sys.executable, "-m", "tracetui", path], capture_output=True, timeout=30,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and b"needs a terminal" in proc.stderr
    # `--` ends the options: what follows is a source, even one named like an option.
    code, out, err = cli(capsys, "--", path)
    assert (code, out) == (2, "") and "needs a terminal" in err
    # A file that is not there is said first, terminal or not (QA).
    missing = str(tmp_path / "typo.log")
    code, out, err = cli(capsys, missing)
    assert (code, out) == (1, "") and err == f"tracetui: {missing}: no such file or directory\n"


@pytest.mark.parametrize("word, said", [
    ("anomalie", "did you mean anomalies?"), ("spnas", "did you mean spans?"), ("frobnicate", "(anomalies, runs, ")])
def test_a_mistyped_command_is_said_to_be_no_command_either(capsys, tmp_path, monkeypatch, word, said):
    """`tracetui frobnicate` said only that no such file exists (QA)."""
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, word)
    assert (code, out) == (1, "")
    assert err.startswith(f"tracetui: {word}: no such file or directory, nor a command ") and said in err, err


@pytest.mark.parametrize("argv, usage", [(["anomalies", "a", "b"], "usage: tracetui anomalies"),
                                         (["runs", "x", "--bogus"], "usage: tracetui runs")])
def test_a_stray_argument_is_said_with_its_subcommands_usage(argv, usage):
    """It was said with the explorer's usage (QA)."""
    proc = subprocess.run([sys.executable, "-m", "tracetui", *argv], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and proc.stderr.startswith(usage) and "unrecognized arguments" in proc.stderr


def test_a_database_cell_of_bad_utf8_does_not_hide_the_database(tmp_path, capsys):
    """Every read failed on one such cell ("Could not decode to UTF-8"), and
    `dump` printed `[` then exited 1 (QA)."""
    import sqlite3

    path = str(tmp_path / "bad.db")
    con = sqlite3.connect(path)
    con.execute(c.SPANS_SCHEMA)
    con.execute("INSERT INTO spans VALUES ('a', NULL, 't', CAST(X'6164EDA080' AS TEXT), ?, ?, 'ok', NULL)",
                (c.T0, c.T0 + 1))
    con.execute("INSERT INTO spans VALUES ('b', 'a', 't', 'fine', ?, ?, 'error', NULL)", (c.T0, c.T0 + 0.5))
    con.commit()
    con.close()
    code, out, err = cli(capsys, "spans", path, "--json")
    assert code == 0 and sorted(s["name"] for s in json.loads(out)) == ["ad\ufffd\ufffd\ufffd", "fine"]
    code, out, err = cli(capsys, "dump", path)
    assert code == 0 and len(json.loads(out)) == 2


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_a_log_whose_first_line_is_longer_than_the_head_is_still_a_log(tmp_path, capsys, gz):
    """Its format was told from the first 256 KB, which held no whole line:
    "not a trace source" (QA: a 100 KB action and detail on line 1)."""
    first = c.line(c.inspect_record("enter", "big", "A" * 100_000, "d" * 200_000, start=c.T0))
    data = first + c.good_inspect_bytes()
    path = c.write(str(tmp_path), "trace-16.log" + (".gz" if gz else ""), gzip.compress(data) if gz else data)
    code, out, err = cli(capsys, "anomalies", path, "--json", "--as-of", AS_OF)
    assert code == 0 and any(r["detail"] == "d" * 200_000 for r in json.loads(out)["running"])


def test_a_run_is_found_by_its_id_in_any_case(capsys):
    """`tracetui tree otlp.jsonl 88DC` found no run; `runs --match` ignores case (QA)."""
    path = os.path.join(SAMPLES, "otel", "otlp.jsonl")
    code, out, err = cli(capsys, "tree", path, "88DC", "--json")
    assert code == 0 and json.loads(out)["run"].startswith("88dc")


# -- files that are not traces: exit 1, one line saying which and why -------------------

REFUSED = [
    (c.zero_byte, "empty file, nothing to show yet"),
    (c.binary, "not a trace source (binary data)"),
    (c.fifo, "not a regular file"),
    (c.symlink_loop, "cannot read: Too many levels of symbolic links"),
    (c.corrupt_db, "not a readable SQLite database: database disk image is malformed"),
    (c.odd_schema_db, "no spans table found; tables: recipes"),
]


@pytest.mark.parametrize("builder,why", REFUSED, ids=[b[0].__name__ for b in REFUSED])
def test_unreadable_sources_exit_1_with_one_line(tmp_path, capsys, builder, why):
    path = builder(str(tmp_path))
    for command in (["anomalies"], ["runs"], ["tree"], ["spans"], ["stats"], ["export", "-o", str(tmp_path / "o.json")]):
        code, out, err = cli(capsys, command[0], path, *command[1:])
        if builder is c.zero_byte and command == ["anomalies"]:
            # An eval just started: Inspect's answer is empty buckets, not an error.
            assert (code, err) == (0, f"tracetui: {path}: {why}\n") and "No running" in out, command
            continue
        if builder is c.zero_byte and command[0] != "export":
            # The same for every question: nothing yet (a script gets `[]`).
            assert (code, err) == (0, f"tracetui: {path}: {why}\n"), command
            code, out, _ = cli(capsys, command[0], path, "--json")
            assert json.loads(out) == ([] if command[0] != "stats" else json.loads(out)), command
            if command[0] == "stats":
                assert json.loads(out)["spans"] == 0 and json.loads(out)["by_name"] == []
            continue
        if builder is c.zero_byte:
            why = "empty file, nothing to show yet"
            assert (code, out) == (1, "") and err == f"tracetui: {path}: {why}\ntracetui: {path}: no run to export\n"
            continue
        assert (code, out, err) == (1, "", f"tracetui: {path}: {why}\n"), command
    code, out, err = cli(capsys, "dump", path)
    if builder is c.zero_byte:
        assert (code, out, err) == (0, "[]\n", "")  # nothing written yet is not an error for dump
    else:
        assert (code, out, err) == (1, "", f"tracetui: {path}: {why}\n")


def test_missing_file_and_directory_without_traces(tmp_path, capsys):
    missing = str(tmp_path / "nope.log")
    assert cli(capsys, "runs", missing) == (1, "", f"tracetui: {missing}: no such file or directory\n")
    empty = tmp_path / "empty-dir"
    empty.mkdir()
    assert cli(capsys, "runs", str(empty)) == (
        1, "", f"tracetui: {empty}: no readable trace files in this directory\n")
    # Traces a level down: the directory's answer comes first and says where to look.
    for name in ("b", "a", "c", "d", "e"):
        (empty / name).mkdir()
    (empty / "notes.txt").write_text("hello\n")
    assert cli(capsys, "runs", str(empty)) == (
        1, "", f"tracetui: {empty}: no readable trace files in this directory (subdirectories are "
               f"not searched; it has 5: a, b, c, d, …); {empty}/notes.txt: not a trace source "
               "(no record of a known trace format in its first lines)\n")
    # A directory of scripts and notes: a few reasons, the rest counted, not a screenful.
    for n in range(20):
        (empty / f"script{n:02d}.py").write_text("print()\n")
    code, out, err = cli(capsys, "runs", str(empty))
    assert code == 1 and err.count("not a trace source") == 3 and err.endswith("; 18 more files not read\n")


def test_fifo_never_blocks_any_command(tmp_path):
    """In a subprocess with a timeout: a blocked open() would hang forever."""
    path = c.fifo(str(tmp_path))
    for command in ("anomalies", "runs", "tree", "spans", "stats", "dump", "http"):
        proc = subprocess.run([sys.executable, "-m", "tracetui", command, path],
                              capture_output=True, timeout=20)
        assert proc.returncode == 1, command
        assert proc.stderr.decode().count("\n") == 1 and b"Traceback" not in proc.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files without read permission")
def test_unreadable_file(tmp_path, capsys):
    path = c.unreadable(str(tmp_path))
    for command in ("runs", "http"):  # http said "not an Inspect trace log" (QA)
        assert cli(capsys, command, path) == (1, "", f"tracetui: {path}: cannot read: Permission denied\n")


def test_unreadable_file_as_root_is_read(tmp_path, capsys):
    """Tests run as root here, where permission bits do not stop a read: the
    file is read like any other (the EACCES path itself is the same
    `cannot read:` branch as the symlink loop above)."""
    path = c.unreadable(str(tmp_path))
    if os.access(path, os.R_OK):
        assert cli(capsys, "runs", path)[0] == 0


def test_directory_of_a_thousand_files(tmp_path, capsys):
    directory = c.many_files(str(tmp_path))
    code, out, err = cli(capsys, "runs", directory, "--json")
    assert code == 0 and len(json.loads(out)) == 900
    notes = err.splitlines()
    assert len(notes) == 100 and all(n.endswith("not a trace source (no record of a known trace "
                                                 "format in its first lines)") for n in notes)
    code, out, err = cli(capsys, "anomalies", directory, "--json", "--as-of", AS_OF)
    envelopes = json.loads(out)  # one per trace file: each row says which file it is from
    assert code == 0 and len(envelopes) == 900 and all(len(e["running"]) == 1 for e in envelopes)
    assert len({e["trace_file"] for e in envelopes}) == 900
    assert err.splitlines() == notes


@pytest.mark.parametrize("copy", ["whole", "being written"])
def test_a_log_beside_its_gzipped_copy_is_read_once(tmp_path, capsys, copy):
    """Inspect gzips a trace log when its eval exits, then deletes the log:
    a directory caught in between, or left so by a kill, holds both. Read
    together, every record would count twice in the one run they share."""
    import gzip

    data = c.good_inspect_bytes()
    gzipped = gzip.compress(data)
    if copy == "being written":
        gzipped = gzipped[: len(gzipped) // 2]
    log = c.write(str(tmp_path), "trace-7.log", data)
    c.write(str(tmp_path), "trace-7.log.gz", gzipped)
    for argv in ([str(tmp_path)], [log, log + ".gz"]):
        code, out, err = cli(capsys, "runs", *argv, "--json")
        assert code == 0
        assert [(r["id"], r["spans"], r["source"]) for r in json.loads(out)] == [("trace-7", 3, log)]
        assert err == f"tracetui: {log}.gz: skipped, a gzipped copy of trace-7.log, which is read instead\n"
        code, out, err = cli(capsys, "anomalies", *argv[:1], "--json", "--as-of", AS_OF)
        if argv[0] == str(tmp_path):  # a directory: an envelope per trace file, and one is
            [envelope] = json.loads(out)
            out = json.dumps(envelope)
        assert buckets(out)["running"] == GOOD_RUNNING and buckets(out)["cancelled"] == GOOD_CANCELLED


def test_a_gzipped_log_that_is_not_a_copy_is_read_too(tmp_path, capsys):
    """An older eval's log under the same name (its pid reused since), or
    what a rotation saved of an emptied log, is not a copy: it is read, as
    a run of its own (named by its file: both would be `trace-7`)."""
    import gzip

    older = c.line(c.inspect_record("enter", "old", "Model", "older eval", start=c.T0 - 999))
    c.write(str(tmp_path), "trace-7.log", c.good_inspect_bytes())
    c.write(str(tmp_path), "trace-7.log.gz", gzip.compress(older))
    code, out, err = cli(capsys, "runs", str(tmp_path), "--json")
    assert (code, err) == (0, "")
    assert {r["id"]: (r["spans"], os.path.basename(r["source"])) for r in json.loads(out)} == {
        "trace-7": (3, "trace-7.log"), "trace-7.log.gz": (1, "trace-7.log.gz")}
    code, out, err = cli(capsys, "tree", str(tmp_path), "trace-7", "--json")
    assert code == 0 and "older eval" not in out
    # Nor is what a copy-and-truncate rotation saved beside the emptied log.
    c.write(str(tmp_path), "trace-7.log", b"")
    c.write(str(tmp_path), "trace-7.log.gz", gzip.compress(c.good_inspect_bytes()))
    code, out, err = cli(capsys, "runs", str(tmp_path), "--json")
    assert code == 0 and [r["spans"] for r in json.loads(out)] == [3]
    assert "gzipped copy" not in err


# -- untrusted text never reaches the terminal raw -----------------------------------------

#: Bytes that must never appear in what the CLI prints: ESC, BEL, other C0
#: controls, C1 controls (UTF-8 encoded), bidi overrides and isolates.
FORBIDDEN = [ch.encode() for ch in c.FORBIDDEN_CODEPOINTS]

NASTY_COMMANDS = [["anomalies", "--all"], ["anomalies", "--all", "--json"], ["runs"], ["runs", "--json"],
                  ["tree"], ["tree", "--json"], ["spans"], ["spans", "--json"], ["stats"], ["stats", "--json"],
                  ["dump"], ["http"]]


def _run(argv):
    return argv, subprocess.run([sys.executable, "-m", "tracetui", *argv], capture_output=True, timeout=60)


def _every_command(path: str, tmp_path) -> list:
    """(argv, completed process) of every command on `path`, and an export."""
    jobs = [[cmd[0], path, *cmd[1:]] for cmd in NASTY_COMMANDS]
    jobs.append(["export", path, "-o", str(tmp_path / "out.json")])
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(_run, jobs))


@pytest.mark.parametrize("builder", [c.nasty_inspect, c.nasty_native, c.nasty_db])
def test_no_control_sequence_reaches_the_terminal(tmp_path, builder):
    results = _every_command(builder(str(tmp_path)), tmp_path)
    for argv, proc in results:
        for stream in (proc.stdout, proc.stderr):
            assert b"Traceback" not in stream, argv
            found = [b for b in FORBIDDEN if b in stream.replace(b"\n", b"").replace(b"\t", b"")]
            assert not found, (argv, found)
        if argv[0] != "http":
            assert proc.returncode == 0, (argv, proc.stderr[-500:])
    # The text is still all there, shown as data (markup printed, not eaten).
    by_cmd = {tuple(a[:1] + a[2:]): p for a, p in results}
    assert b"[red]RED[/]" in by_cmd[("tree",)].stdout
    assert b"\\x1b[31mCSI" in by_cmd[("tree",)].stdout


@pytest.mark.parametrize("builder", [c.lone_surrogate_inspect, c.lone_surrogate_native,
                                     c.lone_surrogate_db])
def test_a_lone_surrogate_is_printed_as_its_escape(tmp_path, builder):
    """Every command, text and JSON, and an export: each wrote a traceback
    where it met the surrogate (QA)."""
    results = _every_command(builder(str(tmp_path)), tmp_path)
    for argv, proc in results:
        assert b"Traceback" not in proc.stdout + proc.stderr, (argv, proc.stderr[-800:])
        if argv[0] != "http":
            assert proc.returncode == 0, (argv, proc.stderr[-500:])
    by_cmd = {tuple(a[:1] + a[2:]): p for a, p in results}
    assert b"\\ud800" in by_cmd[("tree",)].stdout + by_cmd[("dump",)].stdout
    with open(tmp_path / "out.json") as f:
        assert json.load(f)["traceEvents"]


def test_huge_names_are_clipped_in_lists_and_whole_in_json(tmp_path, capsys):
    path = c.nasty_native(str(tmp_path))
    for command in ("spans", "runs", "tree", "stats", "anomalies"):
        code, out, err = cli(capsys, command, path, *(["--all"] if command == "anomalies" else []))
        assert code == 0 and max(len(l) for l in out.splitlines()) < 400, command
    code, out, err = cli(capsys, "spans", path, "--json")
    assert max(len(s["name"]) for s in json.loads(out)) > 100_000
    code, out, err = cli(capsys, "anomalies", path, "--all", "--json")
    assert max(len(r["detail"]) for r in json.loads(out)["running"]) > 100_000


# -- a 50 MB line ------------------------------------------------------------------------

@pytest.mark.slow
def test_fifty_megabyte_line_is_read_with_bounded_memory(tmp_path):
    path = c.huge_line(str(tmp_path))
    for command in (["anomalies", "--json"], ["runs", "--json"], ["dump"]):
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "tracetui", command[0], path,
                               *command[1:]], capture_output=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-500:]
        peak_kb = int(proc.stderr.decode().strip().splitlines()[-1])
        assert peak_kb < 400_000, (command, peak_kb)  # measured 180-280 MB for a 50 MB record
    proc = subprocess.run([sys.executable, "-m", "tracetui", "anomalies", "--json", path], capture_output=True)
    running = json.loads(proc.stdout)["running"]
    assert [len(r["detail"]) for r in running if r["action"] == "Tool Call"] == [len("after-huge"), 50 * 1024 * 1024]


# -- agreement with Inspect on every hostile Inspect file ---------------------------------

from inspect_cli import INSPECT  # noqa: E402


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(INSPECT), reason="inspect-ai not installed here")
def test_hostile_inspect_files_agree_with_inspect(tmp_path, capsys):
    builders = [c.truncated_last_line, c.crlf, c.bom, c.nul_bytes, c.invalid_utf8, c.deep_nesting,
                c.overflow_numbers, c.duplicate_keys, c.wrong_shape_inspect, c.reused_ids, c.odd_times,
                c.gzip_members, c.gzip_no_suffix, c.fake_gz]
    for builder in builders:
        path = builder(str(tmp_path))
        theirs = subprocess.run([INSPECT, "trace", "anomalies", "--all", "--json", path],
                                capture_output=True, timeout=120)
        if theirs.returncode != 0:
            continue  # Inspect itself fails on this file (reported in the test output)
        code, out, _ = cli(capsys, "anomalies", path, "--all", "--json")
        ours, expected = json.loads(out), json.loads(theirs.stdout)
        for bucket in ("cancelled", "errors", "timeouts"):
            assert ours[bucket] == expected[bucket], (builder.__name__, bucket)
        assert [(r["action"], r["detail"]) for r in ours["running"]] == \
               [(r["action"], r["detail"]) for r in expected["running"]], builder.__name__


# -- found by a QA pass, 2026-12-01 ----------------------------------------------

HUNG_LOG = os.path.join(os.path.dirname(__file__), "..", "sample_traces", "inspect", "hung.log")
NATIVE = os.path.join(os.path.dirname(__file__), "..", "sample_traces", "native", "spans.jsonl")


def test_export_never_writes_over_its_source(tmp_path, capsys):
    import shutil

    source = str(tmp_path / "s.jsonl")
    shutil.copy(NATIVE, source)
    before = open(source, "rb").read()
    code, _, err = cli(capsys, "export", source, "--format", "perfetto", "-o", source)
    assert code == 2 and "is the source being exported" in err and err.count("\n") == 1
    assert open(source, "rb").read() == before
    # Said before a directory is read, for any of its files.
    code, _, err = cli(capsys, "export", str(tmp_path), "-o", source)
    assert code == 2 and "is the source being exported" in err and err.count("\n") == 1
    assert open(source, "rb").read() == before
    code, _, err = cli(capsys, "export", source, "-o", str(tmp_path))
    assert code == 2 and "is a directory" in err  # a usage error, said before reading


def test_notes_show_control_sequences_never_send_them(tmp_path, capsys):
    """A file name (or a column name, a status value) quoted in a note is
    trace content too: its escapes are shown, not sent to the terminal."""
    name = tmp_path / "notatrace\x1b]0;PWN\x07.txt"
    name.write_text("just words\n")
    code, _, err = cli(capsys, "runs", str(name))
    assert code == 1 and "\x1b" not in err and "\x07" not in err and "PWN" in err
    code, _, err = cli(capsys, "dump", str(name))
    assert code == 1 and "\x1b" not in err and "not a trace source" in err


def test_two_logs_with_one_name_are_two_runs(tmp_path, capsys):
    import gzip
    import shutil

    for d in ("a", "b"):
        (tmp_path / d).mkdir()
    shutil.copy(HUNG_LOG, tmp_path / "a" / "trace-1.log")
    mixed = os.path.join(os.path.dirname(HUNG_LOG), "mixed.log.gz")
    (tmp_path / "b" / "trace-1.log").write_bytes(gzip.decompress(open(mixed, "rb").read()))
    for args in ([str(tmp_path / "a" / "trace-1.log"), str(tmp_path / "b" / "trace-1.log")],
                 [str(tmp_path / "a"), str(tmp_path / "b")]):
        code, out, _ = cli(capsys, "runs", *args, "--json")
        runs = {r["id"]: r for r in json.loads(out)}
        assert code == 0 and set(runs) == {"trace-1", "b/trace-1"}
        assert runs["trace-1"]["source"].endswith(os.path.join("a", "trace-1.log"))
        assert runs["b/trace-1"]["source"].endswith(os.path.join("b", "trace-1.log"))
        assert runs["trace-1"]["spans"] == 51 and runs["b/trace-1"]["spans"] == 37


def test_an_empty_log_has_empty_anomalies_as_inspect_says(tmp_path, capsys):
    path = tmp_path / "trace-300.log"
    path.write_bytes(b"")
    code, out, _ = cli(capsys, "anomalies", str(path), "--json")
    env = json.loads(out)
    assert code == 0 and all(env[b] == [] for b in ("running", "cancelled", "errors", "timeouts"))


@pytest.mark.parametrize("value", ["abc", "nan", "inf", "1e400", ""])
def test_a_bad_as_of_is_a_usage_error(capsys, value):
    code, out, err = cli(capsys, "anomalies", HUNG_LOG, "--json", "--as-of", value)
    assert code == 2 and out == "" and "--as-of" in err


def test_a_directorys_anomalies_say_which_log_each_row_is_from(tmp_path, capsys):
    """Five evals' hung actions in one list could not be told apart (QA):
    a directory gets one envelope (Inspect's shape) per trace file, newest
    first, and a section each in text; HTTP requests alike."""
    older = c.write(str(tmp_path), "trace-1.log", c.line(c.inspect_record(
        "enter", "a", "Subprocess", "sleep 600", start=c.T0)))
    newer = c.write(str(tmp_path), "trace-2.log", c.line(c.inspect_record(
        "enter", "b", "Model", "generate", start=c.T0 + 5)) + c.line(
        {"timestamp": "2026-11-23T05:37:30+00:00", "level": "HTTP", "message": "POST /v1 429"}))
    c.write(str(tmp_path), "notes.txt", b"not a trace\n")
    os.utime(older, (c.T0, c.T0))
    os.utime(newer, (c.T0 + 10, c.T0 + 10))
    code, out, err = cli(capsys, "anomalies", str(tmp_path), "--json", "--as-of", AS_OF)
    assert code == 0 and "notes.txt" in err
    assert [(e["trace_file"], [r["detail"] for r in e["running"]]) for e in json.loads(out)] == [
        (newer, ["generate"]), (older, ["sleep 600"])]
    code, out, _ = cli(capsys, "anomalies", str(tmp_path), "--as-of", AS_OF)
    sections = out.split("TRACE: ")[1:]
    assert code == 0 and [s.splitlines()[0] for s in sections] == [newer, older]
    assert "generate" in sections[0] and "sleep 600" in sections[1]
    code, out, err = cli(capsys, "http", str(tmp_path), "--json")
    assert code == 0 and [(a["trace_file"], len(a["requests"])) for a in json.loads(out)] == [
        (newer, 1), (older, 0)]
    code, out, err = cli(capsys, "http", str(tmp_path / "notes.txt"))
    assert code == 1 and "not an Inspect trace log" in err


def test_the_envelope_names_its_file_by_its_absolute_path_as_inspect_does(tmp_path, capsys, monkeypatch):
    """QA: `anomalies --json trace-9917.log` said `"trace_file":
    "trace-9917.log"` where Inspect says the absolute path, the one
    difference in their answers; a generic source's and `http`'s too."""
    c.write(str(tmp_path), "trace-1.log", c.line(c.inspect_record("enter", "a", "Subprocess", "sleep 600",
                                                                   start=c.T0)))
    c.write(str(tmp_path), "spans.jsonl", c.line({"trace_id": "t", "span_id": "s", "name": "n",
                                                   "start_time": c.T0}))
    monkeypatch.chdir(tmp_path)
    for name, command in (("trace-1.log", "anomalies"), ("spans.jsonl", "anomalies"), ("trace-1.log", "http")):
        code, out, _ = cli(capsys, command, name, "--json", *(["--as-of", AS_OF] if command == "anomalies" else []))
        assert code == 0 and json.loads(out)["trace_file"] == str(tmp_path / name), (name, command)
    # An absolute path as given, `..` and all, as Inspect's `pathlib` path says it.
    (tmp_path / "sub").mkdir()
    given = f"{tmp_path}/sub/../trace-1.log"
    code, out, _ = cli(capsys, "anomalies", given, "--json", "--as-of", AS_OF)
    assert code == 0 and json.loads(out)["trace_file"] == given


def test_a_text_file_with_a_few_json_lines_is_not_a_trace(tmp_path, capsys):
    """QA: the README (424 lines, 3 of them JSON examples) opened as a run
    of 2 spans. A file most of whose first lines are not JSON is no trace;
    a log whose first lines are damaged still is."""
    text = [b"# A README", b"", b"Some prose.", b"```json"]
    text += [c.line({"trace_id": "t1", "span_id": f"s{i}", "name": "n"}).rstrip() for i in range(3)]
    text += [b"```"] + [b"more prose %d" % i for i in range(30)]
    readme = c.write(str(tmp_path), "README.md", b"\n".join(text) + b"\n")
    code, _, err = cli(capsys, "runs", readme)
    assert code == 1 and "not a trace source" in err
    damaged = c.write(str(tmp_path), "trace-4.log", b"garbage\n{cut\n" + b"".join(
        c.line(c.inspect_record("enter", f"a{i}", start=c.T0)) for i in range(10)))
    code, out, err = cli(capsys, "runs", damaged, "--json")
    assert code == 0 and json.loads(out)[0]["spans"] == 10 and "skipped 2 line(s) before the first record" in err


# -- a log Inspect has just begun, a log with text before its records ---------------------

#: A record Inspect wrote (the first line of a real hung eval's trace log).
HUNG_FIRST_LINE = open(HUNG_LOG, "rb").readline()
NO_ANOMALIES = {"running": [], "cancelled": [], "errors": [], "timeouts": []}


@pytest.mark.parametrize("cut", [len(b'{"timestamp": "'), 40, 150, len(HUNG_FIRST_LINE) - 2])
def test_an_inspect_log_whose_only_line_is_unfinished_is_an_empty_run(tmp_path, capsys, cut):
    """The first second of every eval, when the user starts tracetui: its
    log holds one line, still being written. "Not a trace source" (QA),
    where `inspect trace anomalies` gave empty buckets."""
    path = c.write(str(tmp_path), f"trace-{os.getpid()}.log", HUNG_FIRST_LINE[:cut])  # its eval runs
    code, out, err = cli(capsys, "anomalies", path, "--json")
    assert (code, buckets(out)) == (0, NO_ANOMALIES)
    assert err == f"tracetui: {path}: its last line is still being written: not read\n"
    code, out, _ = cli(capsys, "runs", path, "--json")
    # Running, as its eval is (it read ok until its first action opened).
    assert code == 0 and [(r["id"], r["spans"], r["status"]) for r in json.loads(out)] == [
        (f"trace-{os.getpid()}", 0, "running")]


def test_a_log_begun_by_inspect_fills_in_as_lines_arrive(tmp_path):
    from tracetui.sources.discover import open_file
    from tracetui.store import Store

    lines = open(HUNG_LOG, "rb").readlines()
    path = c.write(str(tmp_path), f"trace-{os.getpid()}.log", lines[0][:60])
    store = Store()
    source = open_file(path, store)
    source.poll()
    assert source.format == "inspect" and [len(r.spans) for r in store.runs.values()] == [0]
    with open(path, "ab") as f:
        f.write(lines[0][60:] + b"".join(lines[1:5]))
    source.poll()
    assert [len(r.spans) for r in store.runs.values()] == [4] and source.skipped == 0


@pytest.mark.parametrize("content", [b"", b"  \n\n", b'{"ti'], ids=["empty", "blank", "a record begun"])
def test_a_log_inspect_has_just_created_opens_as_an_empty_run(tmp_path, monkeypatch, capsys, content):
    """Named as Inspect names its logs, in its trace directory, a file with
    nothing yet (or the first bytes of a record) is the log of an eval that
    has just started: followed, it fills in. Elsewhere, or named otherwise,
    the same bytes say nothing of what the file is."""
    from tracetui.sources.base import SourceError
    from tracetui.sources.discover import open_file
    from tracetui.store import Store

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    traces = tmp_path / "inspect_ai" / "traces"
    traces.mkdir(parents=True)
    path = c.write(str(traces), "trace-123.log", content)
    store = Store()
    assert open_file(path, store).format == "inspect" and list(store.runs) == ["trace-123"]
    code, out, err = cli(capsys, "anomalies", path, "--json")
    assert (code, buckets(out)) == (0, NO_ANOMALIES) and err.count("\n") == 1
    for other in (c.write(str(tmp_path), "trace-123.log", content), c.write(str(traces), "notes.log", content)):
        with pytest.raises(SourceError):
            open_file(other, Store())
    # What is there says it is no Inspect log: refused, in one line.
    text = c.write(str(traces), "trace-124.log", b"hello")
    code, out, err = cli(capsys, "runs", text)
    assert (code, out) == (1, "") and err == (f"tracetui: {text}: not a trace source (no record of a known "
                                              "trace format in its first lines)\n")


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("preamble", [30, 20_000], ids=["a banner", "longer than the head"])
def test_lines_of_text_before_the_records_are_skipped_and_counted(tmp_path, capsys, preamble, gz):
    """A wrapper script's banner and warnings, or stderr merged in, before
    Inspect's records: "not a trace source" (QA: 30 lines of text first).
    They are skipped, said in one line, and the records read."""
    records = b"".join(open(HUNG_LOG, "rb").readlines()[:5])
    data = b"".join(b"warning: the wrapper script says something, %d\n" % i for i in range(preamble)) + records
    path = c.write(str(tmp_path), "eval.log" + (".gz" if gz else ""), gzip.compress(data) if gz else data)
    clean = c.write(str(tmp_path), "clean.log", records)
    # Said as what they are, not as bad lines "first at line 1".
    note = f"tracetui: {path}: skipped {preamble} line(s) before the first record\n"
    code, out, err = cli(capsys, "anomalies", path, "--json", "--as-of", AS_OF)
    assert code == 0 and err == note
    assert buckets(out) == buckets(cli(capsys, "anomalies", clean, "--json", "--as-of", AS_OF)[1])
    code, out, err = cli(capsys, "runs", path, "--json")
    assert code == 0 and json.loads(out)[0]["spans"] == 4 and err == note
    code, out, err = cli(capsys, "dump", path)
    assert code == 0 and len(json.loads(out)) == 5
    assert err == f"tracetui: {path}: skipped {preamble} line(s) that are not JSON before the first record\n"


#: Two lines of text and a blank one, as a wrapper script prints them.
BANNERS = {"text": b"Starting pipeline run 42\n=====\n\n",
           # Read as the start of a JSON document: the SGP file one bad
           # line, the lines after the first uncounted (QA).
           "[tag] text": b"[wrapper] starting\n[INFO] second banner\n\n"}


@pytest.mark.parametrize("banner", BANNERS.values(), ids=BANNERS)
@pytest.mark.parametrize("sample", ["native/spans.jsonl", "otel/otlp.jsonl", "otel/console.jsonl", "sgp/spans.jsonl",
                                    "sgp/batches.jsonl"])
def test_a_banner_before_a_span_streams_records_is_said_as_such(tmp_path, capsys, sample, banner):
    """A banner before a native, OTLP or SGP JSONL file's records read
    `skipped 2 bad line(s); first at line 1` (QA), where an Inspect log's
    says what it is; and a bad line after it says where it is."""
    records = open(os.path.join(SAMPLES, sample), "rb").read()
    path = c.write(str(tmp_path), "banner.jsonl", banner + records)
    code, out, err = cli(capsys, "runs", path, "--json")
    assert (code, err) == (0, f"tracetui: {path}: skipped 2 line(s) before the first record\n")
    clean = c.write(str(tmp_path), "clean.jsonl", records)
    assert normalized(out, path) == normalized(cli(capsys, "runs", clean, "--json")[1], clean)
    code, out, err = cli(capsys, "dump", path)
    assert (code, err) == (0, f"tracetui: {path}: skipped 2 line(s) that are not JSON before the first record\n")
    assert json.loads(out) == json.loads(cli(capsys, "dump", clean)[1])
    lines = records.count(b"\n")
    damaged = c.write(str(tmp_path), "damaged.jsonl", banner + records + b"garbage\n")
    code, out, err = cli(capsys, "runs", damaged, "--json")
    assert (code, err) == (0, f"tracetui: {damaged}: skipped 3 bad line(s): 2 before the first record; "
                              f"the first after it at line {3 + lines + 1}\n")


@pytest.mark.parametrize("big", [False, True], ids=["one process", "the scan in two"])
def test_bad_lines_after_a_banner_say_where_they_are(tmp_path, capsys, monkeypatch, big):
    """A banner before the records and bad lines among them: counted
    together, as Inspect counts them; the note says the banner apart and
    where the first bad line among the records is ("first at line 1" hid
    it, QA). The JSON outputs, which say nothing of skipped lines, are the
    clean file's."""
    from tracetui import fastscan

    if big:  # as a 16 MB log is scanned: in two processes, cut in the middle
        monkeypatch.setattr(fastscan, "PARALLEL_MIN_BYTES", 0)
    lines = open(HUNG_LOG, "rb").readlines()
    banner = b"== eval wrapper v2 ==\nrun at 2026-11-23 05:37\n\n" * 10  # 20 lines of text, 10 blank
    data = banner + b"".join(lines[:60]) + b"garbage\n" + b"".join(lines[60:]) + b"[1, 2]\n"
    path = c.write(str(tmp_path), "trace-6.log", data)
    first_after = 30 + 60 + 1
    note = (f"tracetui: {path}: skipped 22 bad line(s): 20 before the first record; "
            f"the first after it at line {first_after}\n")
    clean = c.write(str(tmp_path), "trace-clean.log", b"".join(lines))
    for command in (["anomalies", "--all", "--json", "--as-of", AS_OF], ["runs", "--json"], ["spans", "--json"]):
        code, out, err = cli(capsys, command[0], path, *command[1:])
        assert (code, err) == (0, note), command
        _, clean_out, _ = cli(capsys, command[0], clean, *command[1:])
        if command[0] != "anomalies":  # running spans' times are measured to now: compare the shape
            out, clean_out = (re.sub(r'"(duration|end_time)": ([-\d.e+]+|null)', "", o) for o in (out, clean_out))
        assert normalized(out, path) == normalized(clean_out, clean), command
    code, _, err = cli(capsys, "dump", path)
    assert (code, err) == (0, f"tracetui: {path}: skipped 21 line(s) that are not JSON: 20 before the first "
                              f"record; the first after it at line {first_after}\n")


@pytest.mark.parametrize("shape", ["json lines among more text", "a long text file"])
def test_text_with_a_preamble_is_still_refused_when_its_json_lines_are_islands(tmp_path, capsys, shape):
    """Skipping text in front of the records must not take a text file for
    a trace: its JSON lines are fewer than the text around them."""
    prose = [b"Some prose about traces, line %d." % i for i in range(30)]
    if shape == "json lines among more text":
        example = c.line(c.inspect_record("enter", "a", start=c.T0)).rstrip()
        text = prose + [line for i in range(6) for line in (example, b"more prose %d" % i, b"```")]
    else:
        text = prose * 10_000  # 9 MB, no JSON at all
    path = c.write(str(tmp_path), "notes.txt", b"\n".join(text) + b"\n")
    code, out, err = cli(capsys, "runs", path)
    assert (code, out) == (1, "") and err == (f"tracetui: {path}: not a trace source (no record of a known "
                                              "trace format in its first lines)\n")


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(INSPECT), reason="inspect-ai not installed here")
def test_a_begun_log_and_a_log_with_a_preamble_agree_with_inspect(tmp_path, capsys):
    lines = open(HUNG_LOG, "rb").readlines()
    begun = c.write(str(tmp_path), "trace-1.log", lines[0][:100])
    preamble = c.write(str(tmp_path), "trace-2.log", b"banner\n" * 30 + b"".join(lines[:8]))
    for path in (begun, preamble):
        theirs = subprocess.run([INSPECT, "trace", "anomalies", "--all", "--json", path],
                                capture_output=True, timeout=120)
        code, out, _ = cli(capsys, "anomalies", path, "--all", "--json")
        ours, expected = json.loads(out), json.loads(theirs.stdout)
        assert code == theirs.returncode == 0
        for bucket in ("running", "cancelled", "errors", "timeouts"):
            assert [(r["action"], r["detail"], r["start_time"]) for r in ours[bucket]] == \
                   [(r["action"], r["detail"], r["start_time"]) for r in expected[bucket]], (path, bucket)


def test_the_first_bad_line_is_counted_past_lines_longer_than_a_block(tmp_path, capsys):
    """A valid 5 MB line spans several of the scan's 1 MiB blocks; the bad
    line after it is still found at its own number."""
    lines = open(HUNG_LOG, "rb").read().splitlines(keepends=True)
    big = json.dumps({"timestamp": "2026-11-23T07:33:35+00:00", "level": "TRACE",
                      "message": "x" * 5_000_000}).encode() + b"\n"
    out = lines[:6] + [big] + lines[6:]
    out.insert(19, b"not json\n")
    path = str(tmp_path / "trace-5.log")
    with open(path, "wb") as f:
        f.writelines(out)
    for command in (["anomalies", path, "--json"], ["spans", path, "--json"]):
        code, _, err = cli(capsys, *command)
        assert code == 0 and err == skipped_note(path, 1, 20), command


def test_a_hung_sample_is_as_old_as_its_stuck_action(capsys):
    """In `tree`, a made-up sample node still running is aged like the
    action stuck in it, not cut at its last closed action's end."""
    code, out, _ = cli(capsys, "tree", HUNG_LOG, "--json")
    tree = json.loads(out)

    def walk(node):
        yield node
        for child in node["children"]:
            yield from walk(child)

    nodes = [n for root in tree["roots"] for n in walk(root)]
    for node in nodes:
        running = [c for c in node["children"] if c["status"] == "running"]
        if node["status"] == "running" and running:
            assert node["duration"] >= max(c["duration"] for c in running) - 1e-6, node["name"]
    assert any(n["name"].startswith("sample") and n["status"] == "running" for n in nodes)


def test_one_file_under_several_names_is_read_once(tmp_path, capsys, monkeypatch):
    """`trace-2.log`, `./trace-2.log`, its absolute path, a symlink and a
    hard link to it are one file: one run, not five of the same records."""
    path = c.write(str(tmp_path), "trace-2.log", c.good_inspect_bytes())
    os.symlink(path, tmp_path / "link.log")
    os.link(path, tmp_path / "hard.log")
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(capsys, "runs", "trace-2.log", "./trace-2.log", path, "link.log", "hard.log", "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == ["trace-2"]
    code, out, _ = cli(capsys, "runs", "trace-2.log", "--json")
    assert json.loads(out)[0]["spans"] > 0


def test_a_copy_without_a_pid_in_its_name_is_not_live_once_quiet(tmp_path, capsys):
    """A log kept under another name (a post-mortem copy, made days later)
    is aged to its last record by every command, as the TUI ages it, not
    to now nor to the copy's mtime: a six-hour run's hung actions showed
    as eight days, next to the run's own 6h06m."""
    path = c.write(str(tmp_path), "postmortem.log", c.good_inspect_bytes())
    copied = time.time() - 60
    os.utime(path, (copied, copied))
    code, out, _ = cli(capsys, "runs", path, "--json")
    (run,) = json.loads(out)
    end = run["end_time"]
    assert end is not None and end < copied - 86400  # the records are older
    for command in ("spans", "tree"):
        code, out, _ = cli(capsys, command, path, "--json")
        assert code == 0
        found = json.loads(out)
        spans = found if command == "spans" else _walk(found["roots"])
        running = [s for s in spans if s["status"] == "running"]
        assert running
        for s in running:
            assert s["duration"] == pytest.approx(end - s["start_time"]), (command, s)
    export = tmp_path / "out.json"
    assert cli(capsys, "export", path, "-o", str(export))[0] == 0
    events = [e for e in json.loads(export.read_text())["traceEvents"] if e["ph"] == "X"]
    assert max(e["ts"] + e["dur"] for e in events) <= end * 1e6 + 1


def _walk(nodes):
    for node in nodes:
        yield node
        yield from _walk(node["children"])


def test_export_says_what_is_wrong_with_its_output_before_reading(tmp_path, capsys, monkeypatch):
    import tracetui.cli as cli_module

    path = c.write(str(tmp_path), "trace-3.log", c.good_inspect_bytes())

    def no_load(*args, **kwargs):
        raise AssertionError("read the source first")

    monkeypatch.setattr(cli_module, "load", no_load)
    assert cli(capsys, "export", path, "-o", str(tmp_path)) == (
        2, "", f"tracetui: {tmp_path}: is a directory: give the export a file name\n")
    missing = str(tmp_path / "nope" / "x.json")
    assert cli(capsys, "export", path, "-o", missing) == (
        1, "", f"tracetui: {missing}: cannot write: no directory {tmp_path / 'nope'}\n")


def test_an_interrupted_export_leaves_no_partial_file(tmp_path, monkeypatch):
    """^C or SIGTERM while the events are written: neither the export nor
    its `.part` is left behind."""
    from tracetui import export
    from tracetui.cli import load
    from tracetui.export import write_perfetto

    store, _ = load([c.write(str(tmp_path), "trace-4.log", c.good_inspect_bytes())])
    run = next(iter(store.runs.values()))

    class Interrupted:
        OPT_NON_STR_KEYS = 0

        @staticmethod
        def dumps(*args, **kwargs):
            raise KeyboardInterrupt  # ^C while the events are written

    monkeypatch.setattr(export, "orjson", Interrupted)
    out = tmp_path / "out.json"
    with pytest.raises(KeyboardInterrupt):
        write_perfetto([run], str(out), 0.0)
    assert sorted(os.listdir(tmp_path)) == ["trace-4.log"]


def test_sigterm_ends_a_command_through_its_cleanup_with_143(tmp_path, capsys, monkeypatch):
    import signal

    import tracetui.cli as cli_module

    cleaned = []

    def terminated_midway(args):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        finally:
            cleaned.append(True)
        return 0

    monkeypatch.setattr(cli_module, "cmd_stats", terminated_midway)
    before = signal.getsignal(signal.SIGTERM)
    assert cli(capsys, "stats", "x") == (143, "", "")
    assert cleaned == [True] and signal.getsignal(signal.SIGTERM) is before


def test_a_tree_deeper_than_pythons_recursion_limit_prints(tmp_path, capsys):
    """A chain of 3,000 nested spans: `tree --json` is written node by node
    with a stack (`json.dumps` of the nested dicts raised RecursionError)."""
    path = tmp_path / "chain.jsonl"
    with open(path, "w") as f:
        for n in range(3000):
            f.write(json.dumps({"trace_id": "t", "span_id": f"s{n}", "parent_id": f"s{n - 1}" if n else None,
                                "name": f"step {n}", "start_time": 1700000000 + n * 1e-3,
                                "end_time": 1700000100 - n * 1e-3, "status": "ok"}) + "\n")
    code, out, err = cli(capsys, "tree", str(path), "--json")
    assert (code, err) == (0, "")
    assert out.count('"id": ') == 3000 and out.rstrip().endswith("}")
    assert out.splitlines()[-2].strip() == "]"
    # Indented as json.dumps does, down to a depth: past it, no further in
    # (all the way in, a 10,000-deep chain was gigabytes of spaces).
    indents = [len(line) - len(line.lstrip(" ")) for line in out.splitlines()]
    assert max(indents) == 2 * (MAX_INDENT_DEPTH + 1) and len(out) < 3000 * 2500
    assert indents[:6] == [0, 2, 2, 2, 4, 6]  # run, inferred, roots, then the first node


def test_export_to_standard_output_and_dump_takes_json(tmp_path):
    """`export -o -` writes the trace to stdout (a file named `-` before);
    `dump --json` is accepted, as every other command takes it."""
    run = [sys.executable, "-m", "tracetui"]
    done = subprocess.run(run + ["export", HUNG_LOG, "-o", "-"], capture_output=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0 and not os.path.exists(tmp_path / "-")
    events = json.loads(done.stdout)["traceEvents"]
    assert sum(e["ph"] == "X" for e in events) > 0 and b"to standard output" in done.stderr
    piped = subprocess.run(shlex.join(run + ["export", HUNG_LOG, "-o", "-"]) + " | head -c 10",
                           shell=True, capture_output=True, timeout=60)
    assert piped.stdout == done.stdout[:10] and b"Broken pipe" not in piped.stderr
    dumped = subprocess.run(run + ["dump", HUNG_LOG, "--json"], capture_output=True, timeout=60)
    assert dumped.returncode == 0 and json.loads(dumped.stdout)


def test_an_empty_gzipped_log_is_an_empty_answer(tmp_path, capsys):
    """A log gzipped before anything was written: nothing, and said so
    without the 'yet' of a log that may still grow."""
    import gzip

    path = str(tmp_path / "trace-9.log.gz")
    with gzip.open(path, "wb"):
        pass
    note = f"tracetui: {path}: empty log (gzipped with no records)\n"
    assert cli(capsys, "runs", path, "--json") == (0, "[]\n", note)
    code, out, err = cli(capsys, "anomalies", path, "--json")
    assert (code, err) == (0, note) and json.loads(out)["running"] == []


def test_cli_text_says_which_run_and_sample(capsys):
    """QA: `spans --status error | head` could not tell which sample failed,
    nor why, and listed the failed tool calls but not the samples that
    raised; a RUN that matches none did not say what runs there are; the
    `runs` table's last count read `RUN.`."""
    code, out, err = cli(capsys, "spans", HUNG_LOG, "--status", "error")
    header, *rows = out.splitlines()
    assert code == 0 and "SAMPLE" in header.split() and len(rows) == 4
    samples, calls = rows[:2], rows[2:]  # in start order: each sample before its call
    assert all(re.search(r"^✗ error .* sample 2 · epoch ([12]) .* 2/e\1 +✗ Sample error \(id: 2, epoch: \1\): "
                         r"RuntimeError\('tool failed on purpose'\)\)$", row) for row in samples), samples
    assert all(re.search(r" 2/e[12] +bash\(cmd='fail'\)  ✗ tool failed on purpose$", row) for row in calls)
    # Its two tasks number their samples alike: the sample says its task.
    assert all(re.search(r" (triage|patch) 2/e[12] ", row) for row in rows), rows
    assert cli(capsys, "tree", HUNG_LOG, "zzz") == (1, "", "tracetui: no run matches 'zzz' (its runs: hung)\n")
    code, out, err = cli(capsys, "runs", HUNG_LOG)
    assert out.splitlines()[0].split()[-2:] == ["RUNNING", "NAME"]
    # No row: the same header. Several runs: which one each row is from.
    code, out, err = cli(capsys, "spans", HUNG_LOG, "--status", "timeout")
    assert out.split() == ["STATUS", "DURATION", "NAME", "SAMPLE", "DETAIL"]
    inspect_dir = os.path.dirname(HUNG_LOG)
    code, out, err = cli(capsys, "spans", inspect_dir, "--status", "error")
    header, *rows = out.splitlines()
    assert header.split()[:4] == ["STATUS", "DURATION", "RUN", "NAME"]
    assert {row.split()[3] for row in rows} >= {"hung", "mixed"}


def test_cli_spans_cuts_a_long_sample_id_in_front(tmp_path, capsys):
    """`pytest-dev__pyt…` lost the epoch that tells a sample's runs apart."""
    path = tmp_path / "trace-5.log"
    where = {"task": "swe_bench", "sample_id": "pytest-dev__pytest-26973", "epoch": 2}
    path.write_bytes(c.line(c.inspect_record("enter", "t1", "Model", "generate", start=1.0, **where))
                     + c.line(c.inspect_record("error", "t1", "Model", "generate", duration=1.0,
                                               error="boom", **where)))
    code, out, err = cli(capsys, "spans", str(path), "--status", "error")
    assert code == 0 and " …pytest-26973/e2 generate" in out.splitlines()[1]


def test_anomalies_ages_to_the_instant_the_file_is_read(tmp_path, capsys, monkeypatch):
    """`now` is taken once the file is read: taken before, an action a live
    eval entered while the file was read had run `-0.00s` (QA)."""
    import time

    from tracetui import fastscan

    path = c.write(str(tmp_path), "trace-16.log", c.good_inspect_bytes())
    read = []
    scan = fastscan.scan

    def slow_scan(*args, **kwargs):
        result = scan(*args, **kwargs)
        time.sleep(0.05)
        read.append(time.time())
        return result

    monkeypatch.setattr(fastscan, "scan", slow_scan)
    code, out, err = cli(capsys, "anomalies", path, "--json")
    assert code == 0 and read and json.loads(out)["as_of"] >= read[-1]


def test_as_of_mtime_is_never_before_the_last_record(capsys, tmp_path):
    """A file's mtime is the kernel's coarse clock: a killed eval's last
    record, the enter of its stuck `sleep`, came 5 ms after it, and
    `--as-of mtime` aged that -0.01s (QA). Measured to the last record
    then; to the mtime when it is later."""
    killed = tmp_path / "trace-killed.log"
    shutil.copy(os.path.join(os.path.dirname(__file__), "data", "inspect", "slots-killed.log"), killed)
    native = tmp_path / "spans.jsonl"
    native.write_text(json.dumps({"trace_id": "t", "span_id": "s", "name": "stuck", "start_time": 1795412400.25,
                                  "status": "running"}) + "\n")
    for path in (killed, native):
        records = [json.loads(line) for line in open(path)]
        last = max(r.get("start_time") or 0 for r in records)
        os.utime(path, (last - 0.005, last - 0.005))
        code, out, _ = cli(capsys, "anomalies", str(path), "--as-of", "mtime", "--json")
        env = json.loads(out)
        assert code == 0 and env["as_of"] == last and env["running"]
        assert min(row["duration"] for row in env["running"]) == 0
        os.utime(path, (last + 60, last + 60))
        code, out, _ = cli(capsys, "anomalies", str(path), "--as-of", "mtime", "--json")
        assert json.loads(out)["as_of"] == last + 60


def test_every_option_of_every_command_says_what_it_does(capsys):
    """`--json` had no help text in five commands, `--status` listed
    `failed` and `completed` without saying what they mean (QA)."""
    import argparse

    from tracetui.cli import build_parser

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, parser in commands.choices.items():
        for action in parser._actions:
            if action.option_strings and action.help is not argparse.SUPPRESS:
                assert action.help, (name, action.option_strings)
    for command in ("runs", "spans"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "failed = error, completed = ok" in " ".join(capsys.readouterr().out.split())


def test_a_log_whose_first_line_a_lone_cr_joins_is_read(tmp_path, capsys):
    """Two enters joined by a lone CR on the only line: Inspect reads two
    lines, two actions running; tracetui said "not a trace source" (QA)."""
    path = tmp_path / "trace-8.log"
    path.write_bytes(c.line(c.inspect_record("enter", "t1", start=1.0))[:-1] + b"\r"
                     + c.line(c.inspect_record("enter", "t2", start=2.0)))
    code, out, err = cli(capsys, "anomalies", str(path), "--json")
    assert code == 0, err
    assert sorted(row["start_time"] for row in json.loads(out)["running"]) == [1.0, 2.0]
