"""The anomaly panel: what is still running (oldest first, ages ticking)
and what was cancelled; `e` adds errors and timeouts. The rows are the ones
`tracetui anomalies` prints, from the same buckets."""

from __future__ import annotations

import time
from typing import Iterable

from rich.text import Text

from tracetui.app.clock import as_of as run_as_of
from tracetui.app.line_list import LineList
from tracetui.app.style import BUCKET_STATUS, STATUS_STYLE, plain, status_icon
from tracetui.model import Anomalies, AnomalyRow, Run
from tracetui.query import Query
from tracetui.text import fmt_duration


class AnomalyPanel(LineList):
    #: The sources are still being read: an action listed as running may
    #: close further on, so the title says "so far".
    provisional = False

    def __init__(self, *args, now=time.time, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rows: list[tuple[str, AnomalyRow, Run]] = []
        self.show_failures = False
        self._query = Query()
        self.now = now
        self._counts: dict[str, int] = {}
        #: Whole-file buckets of runs still being indexed, by run id (from
        #: `tracetui.prescan`), shown instead of the index's partial ones.
        #: Their rows get their span once the reader has made it.
        self.early: dict[str, Anomalies] = {}

    def row_count(self) -> int:
        return len(self.rows)

    def empty_text(self) -> str:
        if self._query:
            return "no anomalies match the filter"
        return "nothing running or cancelled" + ("" if self.show_failures else "  (e: errors too)")

    @property
    def current(self) -> tuple[str, AnomalyRow, Run] | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def as_of(self, run: Run) -> float:
        return run_as_of(run, self.now())

    def set_runs(self, runs: Iterable[Run]) -> None:
        current = self.current
        runs = list(runs)
        buckets = ["running", "cancelled"] + (["errors", "timeouts"] if self.show_failures else [])
        rows: list[tuple[str, AnomalyRow, Run]] = []
        for bucket in buckets:
            part = []
            for run in runs:
                early = self.early.get(run.id)
                if early is None:
                    part.extend((bucket, row, run) for row in run.anomalies.bucket(bucket).values())
                    continue
                for trace_id, row in early.bucket(bucket).items():
                    if row.span is None:
                        row.span = run.spans.get(trace_id)
                    part.append((bucket, row, run))
            if bucket == "running":
                part.sort(key=lambda t: t[1].start if t[1].start is not None else float("inf"))
            else:
                part.sort(key=lambda t: t[1].sort_key(), reverse=True)
            rows.extend(part)
        if self._query:
            rows = [t for t in rows if self._matches(t)]
        self.rows = rows
        if current is not None:
            for i, (b, row, _) in enumerate(rows):
                if row.span is not None and row.span is current[1].span and b == current[0]:
                    if i != self.cursor:
                        self.set_reactive(AnomalyPanel.cursor, i)
                    break
        self.sync_size()
        self._counts = {b: sum(1 for t in rows if t[0] == b) for b in buckets}
        self.border_title = self._title(self._counts)

    def on_resize(self) -> None:
        # The title's wording depends on the width, unknown before the first layout.
        self.border_title = self._title(self._counts)

    def _title(self, counts: dict[str, int]) -> str:
        """The non-empty buckets' counts, in words if they fit (a third of 80
        columns is narrow), else as the rows' icons."""
        words = [f"{n} {b[:-1] if n == 1 and b in ('errors', 'timeouts') else b}"
                 for b, n in counts.items() if n]
        room = self.size.width - 4
        name = "anomalies so far" if self.provisional else "anomalies"
        # Counts from a file not read to the end must say so at any width:
        # an action listed as running may close further on.
        short = "  ".join(words)
        if self.provisional and short:
            short = f"so far · {short}"
        for title in (" · ".join([name] + words), short):
            if title and len(title) <= room:
                return title
        return " ".join([name] + [f"{STATUS_STYLE[BUCKET_STATUS[b]][0]}{n}"
                                         for b, n in counts.items() if n])

    def _matches(self, item: tuple[str, AnomalyRow, Run]) -> bool:
        bucket, row, run = item
        if row.span is not None:
            return self._query.matches_span(row.span) or self._query.matches_text(row.action, row.detail)
        return self._query.matches_text(row.action, row.detail, row.error)

    def set_filter(self, query: Query, runs: Iterable[Run]) -> None:
        self._query = query
        self.set_runs(runs)

    def row_signature(self, index: int, width: int) -> tuple:
        bucket, row, run = self.rows[index]
        age = fmt_duration(row.duration_as_of(self.as_of(run)))
        return bucket, row, row.action, row.detail, row.error, age, width

    def render_row(self, index: int, width: int) -> Text:
        bucket, row, run = self.rows[index]
        text = Text(no_wrap=True)
        text.append_text(status_icon(BUCKET_STATUS[bucket]))
        text.append(" ")
        age = row.duration_as_of(self.as_of(run))
        text.append(f"{fmt_duration(age):>8} ", style="bold yellow" if bucket == "running" else "cyan")
        text.append(plain(row.action, max(8, min(24, width // 3))), style="bold")
        text.append("  ")
        detail = row.detail if row.error is None else f"{row.detail}  {row.error}"
        text.append(plain(detail), style="red" if row.error else "")
        return text
