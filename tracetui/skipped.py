"""Where a source's skipped lines are, said in one line.

Lines before a log's first record (a wrapper script's banner, a shell
line a `tee`d file starts with) are skipped and counted with its bad
lines, as Inspect counts them (the `anomalies` CLI's count is Inspect's).
Said together, "first at line 1" hid where any real corruption in the
file was (QA): the notes say them apart, and where the first bad line
after the first record is.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Lead:
    """A file's skipped lines before its first record, kept apart as the
    lines are read in order (`bad`, `blank`: nothing is done per record)."""

    #: Skipped lines in the file's leading run of skipped and blank lines.
    skipped: int = 0
    #: The last line of that run (0: none): the line after it is a record.
    end: int = 0
    #: The first skipped line after a record; None if none yet.
    first_after: int | None = None

    def bad(self, line_no: int) -> None:
        """Line `line_no` was skipped."""
        if line_no == self.end + 1:
            self.skipped += 1
            self.end = line_no
        elif self.first_after is None:
            self.first_after = line_no

    def blank(self, line_no: int) -> None:
        """Line `line_no` is blank (neither a record nor skipped)."""
        if line_no == self.end + 1:
            self.end = line_no

    def before_records(self, lines: int) -> int:
        """The skipped lines before the first record, of the first `lines`
        read; 0 while no record has followed them (the file may hold
        nothing else: they are just bad lines then)."""
        return self.skipped if self.end < lines else 0

    def then(self, later: Lead, lines: int, later_first_bad: int | None) -> None:
        """Take in the Lead of the stretch after this one's `lines` lines
        (its line numbers counted from its start), whose first skipped line
        is `later_first_bad`: the parallel scan reads a file in stretches."""
        if self.end == lines:  # nothing but skipped and blank lines so far
            self.skipped += later.skipped
            self.end += later.end
            if self.first_after is None and later.first_after is not None:
                self.first_after = lines + later.first_after
        elif self.first_after is None and later_first_bad is not None:
            self.first_after = lines + later_first_bad


def say_skipped(skipped: int, before: int, first_bad: int | None, first_after: int | None,
                 lines: str = "bad line(s)", grouped: bool = False) -> str:
    """What a note says of `skipped` lines (after the file's name): `before`
    of them before the first record, the first at line `first_bad`, the
    first after the first record at `first_after`. `lines`: what they are;
    `grouped`: counts with thousands separators (the app's)."""
    number = "{:,}".format if grouped else str
    if not before:
        return f"skipped {number(skipped)} {lines}; first at line {first_bad}"
    if before == skipped:
        # Not "bad": a banner is no damage.
        return f"skipped {number(skipped)} {lines.removeprefix('bad ')} before the first record"
    return (f"skipped {number(skipped)} {lines}: {number(before)} before the first record; "
            f"the first after it at line {first_after}")


def where_skipped(skipped: int, before: int, first_bad: int | None, first_after: int | None,
                  name: str = "") -> str:
    """The status line's short form of `say_skipped`, for one source
    (`name`: its file's, among several sources)."""
    if not before:
        return f"first at {name} line {first_bad}" if name else f"first at line {first_bad}"
    if before == skipped:
        return f"{name}, before the first record" if name else "before the first record"
    said = f"{before} before the first record; first after at line {first_after}"
    return f"{name}: {said}" if name else said
