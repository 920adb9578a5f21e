"""The run list: one row per run across all sources, newest first."""

from __future__ import annotations

import os
import time
from collections import Counter

from rich.text import Text
from textual.geometry import Size

from tracetui.app.line_list import LineList
from tracetui.app.style import plain, status_icon
from tracetui.analysis import run_duration, run_duration_cut_short
from tracetui.clock import as_of
from tracetui.model import Anomalies, Run
from tracetui.query import Query
from tracetui.text import fmt_age

#: How many of a run's id's first characters tell it from runs of its name.
SHORT_ID = 6
#: Rows at least this wide show the span count (at 120 columns the list is
#: 46 wide once a scrollbar takes one: 48 dropped the count then; QA).
RUN_SPANS_MIN_WIDTH = 42


class RunList(LineList):
    def __init__(self, *args, now=time.time, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.runs: list[Run] = []
        self._all: list[Run] = []
        self._shared_names: set[str] = set()
        self._query = Query()
        self.now = now
        #: Ids of the runs of archives not read yet (the app's held ones).
        self.held: set[str] = set()
        #: Whole-file buckets of runs still being read (the anomaly panel's
        #: `early`): their rows show those, not what the index has so far.
        self.early: dict[str, Anomalies] = {}
        #: The sources' first load is done: no run is "no runs", not
        #: "reading…" (a database emptied while followed said it for good).
        self.loaded = False

    def row_count(self) -> int:
        return len(self.runs)

    def empty_text(self) -> str:
        if self._query:
            return "\n".join(filter(None, ["no runs match the filter", self._query.typo_hint()]))
        return "waiting…" if self.waiting else "no runs" if self.loaded else "reading…"

    @property
    def current(self) -> Run | None:
        return self.runs[self.cursor] if 0 <= self.cursor < len(self.runs) else None

    def set_runs(self, runs: list[Run]) -> None:
        """All runs (any order); keeps the cursor on the run it was on."""
        current = self.current
        before = len(self._all)
        self._all = sorted(runs, key=lambda r: (r.start or 0), reverse=True)
        if len(self._all) != before:
            # The list is as tall as its runs (`get_content_height`).
            self.refresh(layout=True)
        names = Counter(r.name for r in self._all)
        #: Names more than one run goes by (three Skulk tasks of one model,
        #: two OTel traces of one root span): their rows add a short id.
        self._shared_names = {name for name, count in names.items() if count > 1}
        self._apply()
        moved = False
        if current is not None and current in self.runs:
            index = self.runs.index(current)
            if index != self.cursor:
                self.set_reactive(RunList.cursor, index)
                moved = True
        self.sync_size()
        if moved:
            self.scroll_to_cursor()
        if current is None and self.runs:
            self.cursor = 0

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """How tall the list is, its height `auto` (`tracetui.tcss`): a row
        per run, filtered or not, so the panes do not move as a filter is
        typed."""
        return len(self._all)

    def _apply(self) -> None:
        self.runs = [r for r in self._all if not self._query or self._query.matches_run(r)]

    def set_filter(self, query: Query) -> None:
        current = self.current
        self._query = query
        self._apply()
        self.sync_size()
        self.cursor = self.runs.index(current) if current in self.runs else 0

    def select_run(self, run: Run) -> None:
        if run not in self.runs:
            self._query = Query()
            self._apply()
            self.sync_size()
        if run in self.runs:
            self.cursor = self.runs.index(run)

    def render_row(self, index: int, width: int) -> Text:
        run = self.runs[index]
        held = run.id in self.held
        anomalies = self.early.get(run.id)
        if anomalies is None and not held:
            anomalies = run.anomalies
        text = Text(no_wrap=True)
        text.append("● " if run.live else "  ", style="bold green" if run.live else "")
        if anomalies is None:
            text.append("…", style="dim")  # its prescan has not answered yet
        else:
            text.append_text(status_icon(run.status_of(anomalies)))
        text.append(" ")
        # Only a held archive's first slice is read: no duration yet.
        duration = None if held else run_duration(run, as_of(run, self.now()))
        errors = anomalies.counts() if anomalies is not None else {"errors": 0, "timeouts": 0}
        bad = errors["errors"] + errors["timeouts"]
        tail = Text(no_wrap=True)
        if held:  # said where the duration goes: the span count is dropped first when narrow
            tail.append(f" {'unread':>7}", style="dim")
        else:
            cut_short = run_duration_cut_short(run, run.status)
            tail.append(f" {fmt_age(duration, cut_short):>7}", style="cyan")
        if width >= RUN_SPANS_MIN_WIDTH:
            tail.append(" " * 7 if held else f" {run.span_count():>6}", style="dim")
        tail.append(f" {bad:>4}✗" if bad else "      ", style="red" if bad else "")
        room = max(4, width - text.cell_len - tail.cell_len)
        label = Text(plain(run.name), style="bold", no_wrap=True)
        if run.name in self._shared_names and run.id != run.name:
            # Told apart by the id's first characters, kept when the name is cut.
            tag = " " + plain(run.id)[:SHORT_ID]
            label.truncate(max(1, room - len(tag)), overflow="ellipsis")
            label.append(tag, style="dim")
        source = os.path.basename(run.source)
        if source and run.name not in source and source not in run.name and label.cell_len + 6 <= room:
            label.append("  " + plain(source), style="dim")
        label.truncate(room, overflow="ellipsis")
        label.pad_right(room - label.cell_len)
        text.append_text(label)
        text.append_text(tail)
        return text
