"""What every source offers the store, the CLI and the TUI."""

from __future__ import annotations

import gc
import os
import sys
import time
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from tracetui.formats import inspect as inspect_format
from tracetui.skipped import say_skipped


def records_older_than(store: Any, run_ids: Any, written_at: float) -> bool:
    """The newest record of these runs is `COPY_GAP` or more older than the
    source's last write: copied or downloaded here, not being written (its
    mtime is the copy's; a `cp` of an OTel export read `● live` for 30 s,
    QA). False with no record yet."""
    runs = map(store.runs.get, run_ids)
    times = [run.last_time for run in runs if run is not None and run.last_time is not None]
    return bool(times) and written_at - max(times) >= inspect_format.COPY_GAP


def written_within(path: str, seconds: float) -> bool:
    """Modified less than `seconds` ago: a source with no writer of its own
    to ask about (a JSONL export, a database) may be being written. False
    if it cannot be looked at."""
    try:
        return time.time() - os.stat(path).st_mtime < seconds
    except OSError:
        return False


@contextmanager
def paused_gc(freeze: bool = False) -> Iterator[None]:
    """Decoding allocates millions of small objects that all stay alive; the
    cyclic collector would scan them again and again for nothing (it doubles
    load time). Pause it around a batch. `freeze`: what is alive at the end
    is then frozen out of its reach (`gc.freeze`) before it is on again: its
    first collection would otherwise walk all that was made meanwhile,
    young though it stays. Only where garbage cycles made meanwhile may be
    kept for good (a bulk load)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()


class SourceError(Exception):
    """A source that cannot be read at all; the message is one line for the user."""


class Source:
    """A followed file or database feeding one decoder."""

    #: Format name, e.g. "inspect", "otlp", "flujo".
    format = ""

    def __init__(self, path: str) -> None:
        self.path = path
        #: One-line notes for the user (truncated gzip, rotated file...).
        self.notes: list[str] = []

    def poll(self, final: bool = False) -> bool:
        """Read what is new; True if anything changed. `final` = a one-shot
        read (the CLI): also take a last line without a newline."""
        raise NotImplementedError

    #: More data was waiting when the last poll returned (line files read in slices).
    behind = False
    #: The last poll read what is to be shown at once, not at the load's
    #: next redraw (`app.LOAD_UPDATE_INTERVAL`): a big table's runs read
    #: first, now whole. The app clears it once it has asked for the redraw.
    show_now = False

    @property
    def progress(self) -> float:
        """How much of the source has been read, 0..1 (1 when unknown)."""
        return 1.0

    @property
    def live(self) -> bool:
        """True while the source may still grow (a plain file, a database)."""
        return False

    @property
    def settled(self) -> bool:
        """Unlikely to change (a gzipped or removed file, a whole document):
        the app polls it once a second, not on every pass."""
        return False

    @property
    def skipped(self) -> int:
        return 0

    @property
    def first_bad_line(self) -> int | None:
        return None

    @property
    def skipped_before_records(self) -> int:
        """How many of `skipped` come before the first record (a banner in
        front of a log: `tracetui.skipped`)."""
        return 0

    @property
    def first_bad_after_records(self) -> int | None:
        """The first skipped line after the first record."""
        return self.first_bad_line

    def skipped_note(self, grouped: bool = False) -> str:
        """The one line that says its skipped lines (`say_skipped`)."""
        return f"{self.path}: " + say_skipped(self.skipped, self.skipped_before_records, self.first_bad_line,
                                              self.first_bad_after_records, grouped=grouped)

    @property
    def skipped_said(self) -> int:
        """How many of `skipped` a note of its own says (a Chrome trace cut
        short: where, and how many events were read): not said again as
        bad lines."""
        return 0

    @property
    def skipped_unsaid(self) -> int:
        """Skipped lines no note of its own says: what the CLI's note, the
        notes (`n`) and the status line count."""
        return self.skipped - self.skipped_said

    @property
    def records(self) -> int:
        return 0

    def raw(self, locator: Any) -> str | None:
        """The raw record at a locator (byte offset, rowid), as text."""
        return None

    def raws(self, locators: Sequence[Any]) -> list[str | None]:
        """The raw records at a span's locators (`raw`, each)."""
        return [self.raw(locator) for locator in locators]


class DecodedSource(Source):
    """A source whose counts are those of the decoder it feeds."""

    decoder: Any

    @property
    def skipped(self) -> int:
        return self.decoder.skipped

    @property
    def first_bad_line(self) -> int | None:
        return self.decoder.first_bad_line

    # Kept apart by the Inspect decoder only; the others count no banner.
    @property
    def skipped_before_records(self) -> int:
        return getattr(self.decoder, "skipped_before_records", 0)

    @property
    def first_bad_after_records(self) -> int | None:
        return getattr(self.decoder, "first_bad_after_records", self.decoder.first_bad_line)

    @property
    def skipped_said(self) -> int:
        return getattr(self.decoder, "skipped_said", 0)

    @property
    def records(self) -> int:
        return self.decoder.records

    def _take_decoder_notes(self) -> None:
        """What the decoder found to say while it read (a status it does not
        know), once each, among the source's notes."""
        said = getattr(self.decoder, "new_notes", None)
        if said:
            self.notes.extend(said)
            said.clear()


def is_database(source: Source) -> bool:
    """Whether `source` reads a SQLite database (`sources.sqlite.SQLiteSource`),
    asked without importing that module: it, and `sqlite3` with it (~1 MB
    of the process's memory), is imported only once a database is opened,
    and no source can be one before."""
    module = sys.modules.get("tracetui.sources.sqlite")
    return module is not None and isinstance(source, module.SQLiteSource)
