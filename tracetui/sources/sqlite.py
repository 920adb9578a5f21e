"""SQLite sources (Flujo, Trackio, a generic spans table): opened read-only, followed cheaply.

Read-only, always: with no `-wal` beside the database no writer is active,
so it is opened `immutable=1` — SQLite then takes no locks and creates no
`-wal`/`-shm` files (even `mode=ro` would create them for a WAL database).
With a `-wal` present and its writer at work it is opened `mode=ro`,
sharing the writer's `-shm` (SQLite's readers must mark it). A `-wal` left
by a writer that died (killed, crashed) is another matter: `mode=ro` would
create a `-shm` beside the database, or write to the one left there, with
no writer to share it with; so the database and its `-wal` are copied into
a private directory and the copy is read (`private_copy`), the committed
rows of the `-wal` included.
An immutable connection (or a copy's) never sees changes, so it is reopened
when the file's stat (or a new `-wal`) says the database changed; a `mode=ro`
one is asked `PRAGMA data_version`, which answers in microseconds.

SQLite decoders (tracetui/formats/{flujo,trackio,sqlite_generic}.py) expose
`SQLITE_FORMATS = [SQLiteFormat(name, sniff(schema, conn) -> bool, Decoder)]`.
`schema` maps table name → column names. A decoder is
`Decoder(store, path, schema, **options)` with `read(conn, schema) -> bool`
(apply new and updated rows; reads big tables in batches), `reset()`,
`tables` (the run/span tables `dump` shows and `raw` may name), `notes`,
`skipped`, `first_bad_line`, `records`; and optionally `gone(conn, schema,
count) -> bool`: the database no longer holds rows it read (deleted, or
the file rewritten in place; `RowsRead`).

A database replaced under its name (another file, or the rows read gone)
is read again from the start, as a line source's file truncated is: its
runs are dropped, its format found again (it may be another kind now),
and a note says so.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import time
import urllib.parse
from typing import Any, Callable, TextIO

from tracetui.formats import inspect as _c_set_up  # (`FAST_TABLE_FETCHER`, once `_fastindex` is set up)
from tracetui.formats.inspect import WRITER_QUIET
from tracetui.formats.sqlite_generic import SQLiteFormat, quote_ident
from tracetui.sources.files import is_gzip
from tracetui.sources.writers import database_writer
from tracetui.sources.base import (DecodedSource, Source, SourceError, paused_gc, records_older_than,
                                   written_within)
from tracetui.store import Store

#: Rows fetched per batch: big enough to be fast, small enough to stream 1M rows.
BATCH = 5000
#: Seconds to wait for a lock held by a writer (WAL readers rarely wait at all).
BUSY_TIMEOUT = 1.0
#: How often (s) a database not changing is looked at again for its
#: writer (quiet for WRITER_QUIET: not live).
LIVENESS_INTERVAL = 1.0
#: Least time (s) between two counts of the rows read (`RowsRead.gone`),
#: after a change: a count scans the table (70 ms for 1M spans).
COUNT_INTERVAL = 1.0
#: A count waits this many times what the last one took, at least: with
#: 1M spans, every 3.5 s (2% of a core), not on every write.
COUNT_COST_SHARE = 50


def sqlite_formats() -> list[SQLiteFormat]:
    """Detection order: the specific formats before the generic table."""
    from tracetui.formats import flujo, sqlite_generic, trackio

    return [*flujo.SQLITE_FORMATS, *trackio.SQLITE_FORMATS, *sqlite_generic.SQLITE_FORMATS]


# -- connections ---------------------------------------------------------------

#: What SQLite says when the file is no longer the database that was read
#: (a busy or locked one says otherwise, and keeps what was read).
NOT_THE_SAME_DATABASE = ("no such table", "no such column", "file is not a database", "malformed")


#: Why a database is read again from the start (`SQLiteSource._start_over`):
#: another file under its name, or rows read from it no longer in it
#: (deleted, or the file rewritten in place by a copy).
REPLACED = "the database was replaced"
SHRANK = "rows read before are gone (deleted, or the file rewritten)"

#: Said of a database read without its write-ahead log: it could not be
#: shared (its writer holds it exclusively, or no `-shm` can be made
#: beside it) nor copied (`private_copy`: no room, or written throughout).
WITHOUT_WAL = ("{path}: read without its write-ahead log (it could be neither shared nor copied): "
               "the newest writes may be missing")


def has_wal(path: str) -> bool:
    return os.path.exists(path + "-wal")


def _uri(path: str, immutable: bool) -> str:
    quoted = urllib.parse.quote(os.path.abspath(path), safe="/")
    return f"file:{quoted}?mode=ro" + ("&immutable=1" if immutable else "")


def reads_without_wal(conn: sqlite3.Connection, immutable: bool, path: str) -> bool:
    """The connection reads the database's main file alone, a `-wal` beside
    it unread (`connect_readonly`'s last resorts; a copy reads its -wal)."""
    return immutable and has_wal(path) and not isinstance(conn, CopyConnection)


def _changed_at(stamp: tuple) -> float:
    """The last change a `_file_stamp` shows: the database's mtime or its
    -wal's, whichever is later (a WAL writer writes the -wal; the database
    only when it checkpoints)."""
    wal = stamp[3]
    return max(stamp[2], wal[2] if wal is not None else 0) / 1e9


def connect_readonly(path: str) -> tuple[sqlite3.Connection, bool]:
    """A read-only connection and whether it never sees changes (opened
    immutable, or a private copy's; see the module doc). Raises sqlite3.Error."""
    if not has_wal(path):
        return _configured(_connect(path, immutable=True)), True
    if database_writer(path) is not False:  # its writer at work (or this machine cannot tell)
        try:
            conn = _connect(path, immutable=False)
            # mode=ro needs the writer's -shm; touch it now so a failure shows here.
            conn.execute("PRAGMA schema_version").fetchone()
            return _configured(conn), False
        except sqlite3.OperationalError:
            pass  # held exclusively, or no -shm and a read-only directory
    copy = private_copy(path)
    if copy is not None:
        return copy, True
    # No room for a copy, or the files kept changing: the main file alone,
    # immutable (`WITHOUT_WAL` says so), rather than nothing.
    return _configured(_connect(path, immutable=True)), True


def _connect(path: str, immutable: bool, factory: type = sqlite3.Connection) -> sqlite3.Connection:
    return sqlite3.connect(_uri(path, immutable), uri=True, timeout=BUSY_TIMEOUT,
                           isolation_level=None, check_same_thread=False, factory=factory)


def _configured(conn: sqlite3.Connection) -> sqlite3.Connection:
    conn.execute("PRAGMA query_only = 1")
    # One cell of bad UTF-8 made every read of the database fail ("Could not
    # decode to UTF-8"): shown with replacement characters instead (QA).
    conn.text_factory = _lenient_text
    return conn


class CopyConnection(sqlite3.Connection):
    """A connection to a private copy of a database (`private_copy`); closing
    it removes the copy."""

    #: The private directory holding the copy (and the -shm SQLite makes there).
    directory = ""

    def close(self) -> None:
        try:
            super().close()
        finally:
            _forget_copy(self.directory)


#: Tries at copying a database and its -wal before giving up: a writer may
#: start between the two reads, and the pair must be of one moment.
COPY_TRIES = 3


def private_copy(path: str) -> CopyConnection | None:
    """A connection to a copy of the database and its `-wal`, made in a new
    private directory, or None if it could not be made (no room, or the
    files changed under every try). The copy is opened `mode=ro`: SQLite
    applies the `-wal`'s committed transactions and makes its `-shm` there."""
    import shutil
    import tempfile

    for _ in range(COPY_TRIES):
        directory = ""
        conn = None
        try:
            directory = tempfile.mkdtemp(prefix="tracetui-db-")
            _remember_copy(directory)
            copy = os.path.join(directory, os.path.basename(path))
            before = _pair_stamp(path)
            shutil.copyfile(path, copy)
            shutil.copyfile(path + "-wal", copy + "-wal")
            if _pair_stamp(path) != before:
                _forget_copy(directory)
                continue  # written meanwhile: the pair may not be of one moment
            conn = _connect(copy, immutable=False, factory=CopyConnection)
            conn.directory = directory
            conn.execute("PRAGMA schema_version").fetchone()
            return _configured(conn)
        except (OSError, sqlite3.Error):
            if conn is not None:
                conn.close()  # and its directory with it
            _forget_copy(directory)
            return None
    return None


def _pair_stamp(path: str) -> tuple:
    """The database and its -wal as stat sees them (`private_copy`)."""
    stamps = []
    for name in (path, path + "-wal"):
        st = os.stat(name)
        stamps.append((st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(stamps)


def _lenient_text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def read_schema(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Table name → column names (views and SQLite's own tables left out)."""
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    schema = {}
    for name in names:
        schema[name] = [r[1] for r in conn.execute(f"PRAGMA table_info({quote_ident(name)})")]
    return schema


def _error_text(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def detect(conn: sqlite3.Connection, schema: dict[str, list[str]]) -> SQLiteFormat | None:
    for fmt in sqlite_formats():
        try:
            if fmt.sniff(schema, conn):
                return fmt
        except sqlite3.Error:
            continue
    return None


def _open_detected(path: str) -> tuple[sqlite3.Connection, bool, dict[str, list[str]], SQLiteFormat]:
    """Connect, read the schema and pick a decoder, or raise SourceError."""
    try:
        conn, immutable = connect_readonly(path)
    except sqlite3.Error as exc:
        raise SourceError(f"{path}: cannot open SQLite database: {_error_text(exc)}") from None
    try:
        schema = read_schema(conn)
        fmt = detect(conn, schema)
    except sqlite3.Error as exc:
        conn.close()
        raise SourceError(f"{path}: not a readable SQLite database: {_error_text(exc)}") from None
    if fmt is None:
        conn.close()
        tables = ", ".join(sorted(schema)) or "none"
        raise SourceError(f"{path}: no spans table found; tables: {tables}")
    return conn, immutable, schema, fmt


# -- the source ----------------------------------------------------------------

class SQLiteSource(DecodedSource):
    """A database feeding one SQLite decoder, re-read only when it changed."""

    def __init__(self, path: str, store: Store, conn: sqlite3.Connection, immutable: bool,
                 schema: dict[str, list[str]], fmt: SQLiteFormat, db_path: str | None = None,
                 **options: Any) -> None:
        super().__init__(path)
        #: Where the database's bytes are: `path`, or the decompressed copy
        #: of a gzipped database (`path` is what the user named, and what
        #: runs and notes say).
        self.db_path = db_path or path
        self.format = fmt.name
        self.store = store
        self.decoder = fmt.decoder(store, path, schema, **options)
        self._options = options
        #: The database was replaced by one with no spans table: its
        #: format is looked for again on each change (`_detect_again`).
        self._undetected = False
        #: A change since the rows read were last counted (`_count_rows`),
        #: and when (time.monotonic) they may be counted next.
        self._count_due = False
        self._count_at = 0.0
        #: What happened to the database, said after the decoder's notes on
        #: reading it (`_flush_notes`): the status line says the last note.
        self._news: str | None = None
        self._conn: sqlite3.Connection | None = conn
        self._immutable = immutable
        #: A connection and the file it reads (`_file_of`).
        self._file_read: tuple[sqlite3.Connection | None, str] = (None, "")
        #: SQLite's own fetcher of rows on that file (`_fetcher_for`), and
        #: whether it could not be opened there.
        self._fetcher: Any = None
        self._fetcher_failed = False
        self._schema = schema
        self._schema_version: int | None = None
        self._data_version: int | None = None
        self._stamp: tuple | None = None
        self._read_once = False
        self._last_note: str | None = None
        #: The last change to the database seen as its writer's (its or its
        #: -wal's mtime, `_see_writes`); None: no writer seen writing it.
        self._written_at: float | None = None
        #: A process here holds the database (or its `-wal`) open for
        #: writing (`writers.database_writer`; None: cannot tell), as last
        #: looked at by `_check_writer`.
        self._writer_held: bool | None = None
        #: `_written_at` when a writer seen holding it was found gone.
        self._closed_at: float | None = None
        self._writer_checked = 0.0

    # -- change detection ---------------------------------------------------

    def _file_stamp(self) -> tuple:
        st = os.stat(self.path)
        try:
            wal = os.stat(self.path + "-wal")
            wal_stamp: tuple | None = (wal.st_ino, wal.st_size, wal.st_mtime_ns)
        except OSError:
            wal_stamp = None
        return (st.st_ino, st.st_size, st.st_mtime_ns, wal_stamp)

    def _reopen(self) -> None:
        self.close()
        self._conn, self._immutable = connect_readonly(self.db_path)
        self._data_version = None
        self._schema_version = None

    def poll(self, final: bool = False, max_rows: int | None = None, freeze: bool = False) -> bool:
        """Read what changed; of a decoder that reads in slices, at most
        `max_rows` new rows (`behind` then says whether rows are left).
        `freeze`: what the read makes is frozen out of the cyclic
        collector's reach at once (`paused_gc`)."""
        changed = self._read_changes(max_rows, freeze)
        if not self.behind:  # the rows read are counted once all are read
            changed = self._count_rows() or changed
        return self._check_writer(changed) or changed

    @property
    def reads_in_slices(self) -> bool:
        """Its decoder reads at most so many new rows a read, and says
        whether it left some (`more`): the generic spans table's."""
        return hasattr(self.decoder, "more")

    @property
    def progress(self) -> float:
        return self.decoder.progress if self.behind else 1.0

    def _read_changes(self, max_rows: int | None = None, freeze: bool = False) -> bool:
        try:
            stamp = self._file_stamp()
        except OSError as exc:
            self._note(f"{self.path}: cannot read: {exc.strerror or exc}")
            return False
        # Partway through the rows (a read in slices): read on, whether the
        # file changed or not.
        continuing = self.reads_in_slices and self.decoder.more
        replaced = False
        try:
            if self._stamp is not None and stamp[0] != self._stamp[0]:
                # A different file under the name now: its runs, not the old
                # file's (even if it cannot be read: they stayed, half reset).
                self._reopen()
                self._stamp = stamp  # and once: not again if it cannot be read
                replaced = True
            elif self._conn is None:
                self._reopen()
            elif self._stamp is not None and not continuing:  # read before: only read again if something changed
                if self._immutable:
                    # An immutable connection never sees changes: the file's
                    # stat (or a -wal appearing) is the only signal.
                    if stamp == self._stamp:
                        return False
                    self._reopen()
                elif stamp[3] is None:
                    self._reopen()  # the writer is gone and took its -wal with it
                else:
                    version = self._conn.execute("PRAGMA data_version").fetchone()[0]
                    if version == self._data_version and stamp == self._stamp:
                        return False
                    self._data_version = version
            conn = self._conn
            assert conn is not None
            if self._data_version is None and not self._immutable:
                self._data_version = conn.execute("PRAGMA data_version").fetchone()[0]
            schema_version = conn.execute("PRAGMA schema_version").fetchone()[0]
            if schema_version != self._schema_version:
                self._schema = read_schema(conn)
                self._schema_version = schema_version
            if replaced:
                self._start_over(conn, REPLACED)
            elif self._gone(conn, count=False):
                # Deleted rows, or another database copied over this one.
                self._start_over(conn, SHRANK)
                replaced = True
            elif self._undetected:
                replaced = self._detect_again(conn, REPLACED)
            changed = replaced
            if self._undetected:
                self.behind = False  # nothing to read until a spans table is back
            else:
                changed = self._read(conn, max_rows, freeze) or changed
            if reads_without_wal(conn, self._immutable, self.db_path):
                self._note(WITHOUT_WAL.format(path=self.path))
        except sqlite3.Error as exc:
            self.close()
            # Not read on at once: the next poll's, as any retry (the
            # decoder's `more` says where to go on from).
            self.behind = False
            text = f"{self.path}: cannot read SQLite database: {_error_text(exc)}"
            if not self._read_once:
                raise SourceError(text) from None
            dropped = False
            if any(sign in str(exc) for sign in NOT_THE_SAME_DATABASE):
                # Copied over by another kind of database, or junk (a copy
                # half written): the runs read before are not in it (they
                # stayed, spans emptied: QA). News for the panes, which
                # list them still; read again from the start once readable.
                dropped = self._drop_all()
                self._undetected = True
            self._news = None  # not read again after all
            self._note(text + " (will retry)")
            return dropped or replaced
        self._see_writes(stamp, anew=replaced)
        # The database changed (new rows or not: a DELETE reads none): its
        # rows are counted soon. Not after the first read (all its slices),
        # nor after reading it all again: what was read is all there. Of a
        # read in slices, the stamp is the one of its first: a change while
        # it went on is read once it is done.
        if replaced:
            self._count_due = False
        if not continuing:
            self._stamp = stamp
            self._count_due = self._read_once and not replaced
        self._read_once = True
        self._flush_notes()
        return changed

    # -- read again ------------------------------------------------------------

    def _gone(self, conn: sqlite3.Connection, count: bool) -> bool:
        """The decoder's rows are no longer all in the database (`RowsRead`)."""
        gone = getattr(self.decoder, "gone", None)
        return gone is not None and not self._undetected and gone(conn, self._schema, count)

    def _drop_all(self) -> bool:
        """Forget the runs read (the decoder starts over, its counts too);
        True if there were any."""
        with self.store.lock:
            had = bool(getattr(self.decoder, "run_ids", True))
            self.decoder.reset()
        return had

    def _start_over(self, conn: sqlite3.Connection, what: str) -> None:
        """The database is not the one read: drop its runs, and read it
        from the start with the decoder its tables call for now."""
        self._drop_all()
        self._detect_again(conn, what)

    def _detect_again(self, conn: sqlite3.Connection, what: str) -> bool:
        """Find the format of a database put in place of the one read and
        make its decoder (a copy of another kind, or the old kind with
        other columns, is read as what it is). True if one was found; else
        the note says why nothing is shown and the next change looks again."""
        fmt = detect(conn, self._schema)
        if fmt is None:
            tables = ", ".join(sorted(self._schema)) or "none"
            self._undetected = True
            self._flush_notes()
            self._note(f"{self.path}: {what}; the database has no spans table now (tables: {tables}): "
                       "nothing to show")
            return False
        self._undetected = False
        self._count_due = False
        self.format = fmt.name
        self.decoder = fmt.decoder(self.store, self.path, self._schema, **self._options)
        self._news = f"{self.path}: {what}; read again"
        return True

    def _count_rows(self) -> bool:
        """After a change, at most every COUNT_INTERVAL (or COUNT_COST_SHARE
        times a count's cost): are the rows read all still there? A few
        deleted mid-table leave the first and last read in place. True if
        they were not, and the database was read again."""
        now = time.monotonic()
        conn = self._conn
        if not self._count_due or conn is None or now < self._count_at:
            return False
        self._count_due = False
        try:
            gone = self._gone(conn, count=True)
            self._count_at = time.monotonic() + max(COUNT_INTERVAL, COUNT_COST_SHARE * (time.monotonic() - now))
            if not gone:
                return False
            self._start_over(conn, SHRANK)
            if not self._undetected:
                self._read(conn)
        except sqlite3.Error:
            self.close()  # the next poll reopens it, and says what is wrong
            self._count_due = True
            return False
        self._flush_notes()
        return True

    def _flush_notes(self) -> None:
        """The decoder's notes, then the news of the database (`_news`)."""
        for text in self.decoder.notes:
            self._note(text)
        self.decoder.notes.clear()
        if self._news is not None:
            self._note(self._news)
            self._news = None

    # -- its writer ------------------------------------------------------------

    def _see_writes(self, stamp: tuple, anew: bool = False) -> None:
        """Note a change to the database as its writer's (`_written_at`):
        any change seen while it is followed (a reader here writes nothing);
        on first reading it, or reading it `anew` (another database put in
        its place), a write within WRITER_QUIET unless a copy's (QA: a
        backup copied over it aged its running spans to that moment,
        `≥10d07h`).
        Only for decoders that age by it (`see_writer`): Flujo's look for
        their writer themselves (`check_writer`)."""
        if getattr(self.decoder, "see_writer", None) is None:
            return
        if not anew and self._stamp is not None and stamp[0] == self._stamp[0]:
            if stamp != self._stamp:
                self._written_at = _changed_at(stamp)
            return
        # Read for the first time (or a different file under the name now).
        last = _changed_at(stamp)
        recent = time.time() - last < WRITER_QUIET and not self._a_copy(last)
        self._written_at = last if recent else None

    def _a_copy(self, changed_at: float) -> bool:
        """Copied or downloaded here, not being written: ages must not run
        to its mtime (`records_older_than`)."""
        return records_older_than(self.store, list(getattr(self.decoder, "run_ids", ())), changed_at)

    def _writer_live(self) -> bool:
        """Seen written within WRITER_QUIET. Not while a `-wal` is merely
        there: tracetui's connection keeps it once the writer has closed
        the database (SQLite deletes it with the last connection)."""
        if self._writer_held:
            return True  # a process here holds it open for writing: however quiet
        written_at = self._written_at
        if written_at is not None and written_at == self._closed_at:
            return False  # its writer, seen at work, is gone: nothing written since
        if written_at is None or self.db_path != self.path:
            return False  # not seen written, or a gzipped database
        return time.time() - written_at < WRITER_QUIET

    def _check_writer(self, changed: bool) -> bool:
        """Tell the decoder what is known of the writer: after every change
        (ages run to its last write), else at most every LIVENESS_INTERVAL
        (it falls quiet), or have it look for its writer itself
        (`check_writer`: Flujo's, a process holding the database open; it
        takes the store's lock). True if a run's liveness changed."""
        see = getattr(self.decoder, "see_writer", None)
        check = getattr(self.decoder, "check_writer", None)
        now = time.monotonic()
        if (see is None and check is None) or not (changed or now - self._writer_checked >= LIVENESS_INTERVAL):
            return False
        self._writer_checked = now
        if check is not None:
            return check()
        held = database_writer(self.path) if self.db_path == self.path else False
        if self._writer_held and held is False:
            # Seen at work, now gone: not live until written again (its
            # recent writes kept it live 30 s more, its ages jumping back
            # from now to its last write).
            self._closed_at = self._written_at
        self._writer_held = held
        live = self._writer_live()
        with self.store.lock:
            return see(live, self._written_at, bool(self._writer_held))

    def _read(self, conn: sqlite3.Connection, max_rows: int | None = None, freeze: bool = False) -> bool:
        """One decoder read with the cyclic garbage collector paused: a bulk
        load allocates millions of long-lived objects, and the collector
        rescanning them made reading 1M spans three times slower. At most
        `max_rows` new rows, of a decoder that reads in slices (`more`).
        `freeze`: what it made is then frozen out of the collector's reach
        (`paused_gc`)."""
        with paused_gc(freeze=freeze):
            if not self.reads_in_slices:
                self.behind = False
                return self.decoder.read(conn, self._schema)
            changed = self.decoder.read(conn, self._schema, max_rows, connect=self._another_connection(conn),
                                        fetcher=self._fetcher_for(conn))
            self.behind = self.decoder.more
            if self.decoder.runs_first_whole:
                self.decoder.runs_first_whole = False
                self.show_now = True
            return changed

    def pick_early(self) -> None:
        """Begin, now, what a read in slices asks first: the runs to read
        first from a big spans table (`GenericSpansDecoder.pick_early`, in
        a thread). The app asks as it opens the database, before it is
        imported and laid out (`prescan.start_early`): the reader's second
        slice waited 0.1-0.2 s for it when begun with the first."""
        pick = getattr(self.decoder, "pick_early", None)
        conn = self._conn
        if pick is None or conn is None:
            return
        try:
            pick(conn, self._schema, self._another_connection(conn))
        except sqlite3.Error:
            pass  # the reader picks them in its read, and says what is wrong

    def _file_of(self, conn: sqlite3.Connection) -> str:
        """The file `conn` reads: the database, or its private copy. Looked
        up once a connection (this is asked at every slice); a new one lets
        the fetcher of the one before go (`_fetcher_for`)."""
        if self._file_read[0] is not conn:
            self._close_fetcher()
            self._file_read = (conn, next((row[2] for row in conn.execute("PRAGMA database_list")
                                           if row[1] == "main"), "") or self.db_path)
        return self._file_read[1]

    def _another_connection(self, conn: sqlite3.Connection) -> Callable[[], sqlite3.Connection]:
        """A way to open another read-only connection to the file `conn`
        reads, as `conn` was opened: for a query run in a thread beside the
        reader (`RunsPicker`)."""
        file, immutable = self._file_of(conn), self._opened_immutable(conn)
        return lambda: _configured(_connect(file, immutable))

    def _opened_immutable(self, conn: sqlite3.Connection) -> bool:
        """`conn` was opened `immutable`: a private copy is not (SQLite
        reads its `-wal`), though it never sees changes either."""
        return self._immutable and not isinstance(conn, CopyConnection)

    def _fetcher_for(self, conn: sqlite3.Connection) -> Any:
        """SQLite's own fetcher of a table's rows (`_fastindex.TableFetcher`,
        `sqlite_generic.batches`) on the file `conn` reads, opened as `conn`
        was: None without C, or where SQLite's library cannot be found or
        cannot open the file (sqlite3 fetches then)."""
        file = self._file_of(conn)
        make = _c_set_up.FAST_TABLE_FETCHER
        if self._fetcher is None and not self._fetcher_failed and make is not None:
            try:
                self._fetcher = make(_uri(file, self._opened_immutable(conn)), int(BUSY_TIMEOUT * 1000))
            except (OSError, RuntimeError):
                self._fetcher_failed = True
        return self._fetcher

    def _close_fetcher(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()
        self._fetcher, self._fetcher_failed = None, False

    def _note(self, text: str) -> None:
        if text != self._last_note:
            self.notes.append(text)
            self._last_note = text

    def close(self) -> None:
        self._close_fetcher()
        self._file_read = (None, "")
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None

    # -- what the views ask -------------------------------------------------

    @property
    def live(self) -> bool:
        """A writer may be at work: a `-wal` beside the database, or a
        write within `WRITER_QUIET` (the status line said `● live` for any
        database, one untouched for days too); of a decoder that ages by
        its writer, as its runs say (`_writer_live`: a copy is not live)."""
        if self.db_path != self.path:
            return False  # a gzipped database: an archive
        alive = getattr(self.decoder, "writer_alive", None)
        if alive is not None:
            return alive  # a process holding it open for writing, or none (Flujo's `check_writer`)
        if getattr(self.decoder, "see_writer", None) is not None:
            return self._writer_live()
        return os.path.exists(self.path + "-wal") or written_within(self.path, WRITER_QUIET)

    def raw(self, locator: Any) -> str | None:
        """The row at a locator as indented JSON, JSON columns decoded. A
        locator is (table, rowid), or a bare rowid of the decoder's span table."""
        if isinstance(locator, int) and getattr(self.decoder, "row_table", None):
            locator = (self.decoder.row_table, locator)
        if not (isinstance(locator, tuple) and len(locator) == 2):
            return None
        table, rowid = locator
        if table not in self._schema:
            return None
        try:
            # Its own short connection: the reader thread may be mid-read on
            # ours. Of ours' private copy if it reads one: the rows shown.
            shown = self._conn
            if isinstance(shown, CopyConnection):
                conn = _configured(_connect(os.path.join(shown.directory, os.path.basename(self.db_path)),
                                            immutable=False))
            else:
                conn, _ = connect_readonly(self.db_path)
            try:
                cur = conn.execute(f"SELECT rowid, * FROM {quote_ident(table)} WHERE rowid = ?", (rowid,))
                row = cur.fetchone()
                names = [d[0] for d in cur.description]
            finally:
                conn.close()
        except sqlite3.Error as exc:
            return f"(cannot read {table} row {rowid}: {_error_text(exc)})"
        if row is None:
            return None
        return json.dumps(row_object(table, names, row), indent=2, ensure_ascii=False)


def open_sqlite(path: str, store: Store, **options: Any) -> Source:
    """A SQLite database as a source, its format detected from its tables.
    A gzipped one is read from a decompressed copy (SQLite needs a file it
    can seek in); the source itself is never written."""
    db_path = decompressed_copy(path) if is_gzip(path) else path
    try:
        conn, immutable, schema, fmt = _open_detected(db_path)
    except SourceError as exc:
        raise SourceError(str(exc).replace(db_path, path)) from None
    return SQLiteSource(path, store, conn, immutable, schema, fmt, db_path=db_path, **options)


#: Private directories of this process's copies (gzipped databases
#: decompressed, `private_copy`), removed when done with or at exit
#: (`remove_copies`).
_COPIES: list[str] = []


def _remember_copy(directory: str) -> None:
    import atexit

    if not _COPIES:
        atexit.register(remove_copies)
    _COPIES.append(directory)


def _forget_copy(directory: str) -> None:
    import shutil

    if directory in _COPIES:
        _COPIES.remove(directory)
        shutil.rmtree(directory, ignore_errors=True)


def decompressed_copy(path: str) -> str:
    """`path` (a gzipped database) decompressed into a private temporary
    directory, under its own name less `.gz`."""
    import gzip
    import shutil
    import tempfile

    directory = tempfile.mkdtemp(prefix="tracetui-db-")
    name = os.path.basename(path)
    copy = os.path.join(directory, name[:-3] if name.endswith(".gz") else name)
    _remember_copy(directory)
    try:
        with gzip.open(path, "rb") as src, open(copy, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except (OSError, EOFError) as exc:
        raise SourceError(f"{path}: cannot decompress: {getattr(exc, 'strerror', None) or exc}") from None
    return copy


def remove_copies() -> None:
    """Remove the private copies (the CLI exits with `os._exit`, past
    `atexit`: it calls this first)."""
    import shutil

    while _COPIES:
        shutil.rmtree(_COPIES.pop(), ignore_errors=True)


# -- raw rows ------------------------------------------------------------------

def cell_value(value: Any) -> Any:
    """A cell as JSON: JSON text/bytes decoded, other bytes as base64."""
    if isinstance(value, bytes):
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            return {"$base64": base64.b64encode(value).decode("ascii")}
        value = text
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    if isinstance(value, float) and value != value:
        return None
    return value


def row_object(table: str, names: list[str], row: tuple) -> dict[str, Any]:
    """A `SELECT rowid, *` row as an object (the first column is the rowid,
    whatever SQLite calls it: an INTEGER PRIMARY KEY takes its name)."""
    obj: dict[str, Any] = {"_table": table, "_rowid": row[0]}
    for name, value in zip(names[1:], row[1:]):
        obj[name] = cell_value(value)
    return obj


def dump_sqlite(path: str, stream: TextIO, note: Callable[[str], None] | None = None) -> int:
    """`tracetui dump` on a database: the rows of its run/span tables as one
    JSON array of objects (streamed in batches); returns the row count."""
    db_path = decompressed_copy(path) if is_gzip(path) else path
    conn, immutable, schema, fmt = _open_detected(db_path)
    if reads_without_wal(conn, immutable, db_path) and note is not None:
        note(WITHOUT_WAL.format(path=path))
    decoder_tables = getattr(fmt.decoder, "dump_tables", None)
    tables = [t for t in (decoder_tables(schema) if decoder_tables else schema) if t in schema]
    count = 0
    stream.write("[")
    try:
        for table in tables:
            cur = conn.execute(f"SELECT rowid, * FROM {quote_ident(table)} ORDER BY rowid")
            names = [d[0] for d in cur.description]
            while True:
                rows = cur.fetchmany(BATCH)
                if not rows:
                    break
                for row in rows:
                    text = json.dumps(row_object(table, names, row), indent=2, ensure_ascii=False) \
                        .encode("utf-8", "backslashreplace").decode()  # a lone surrogate: its escape
                    stream.write(("\n" if count == 0 else ",\n") + text)
                    count += 1
    except sqlite3.Error as exc:
        raise SourceError(f"{path}: cannot read SQLite database: {_error_text(exc)}") from None
    finally:
        conn.close()
    stream.write("\n]\n" if count else "]\n")
    return count
