#!/usr/bin/env python3
"""What a columnar span store would hold for a real log, column by column.

    PYTHONPATH=<tree> python bench/columnar_estimate.py /work/bench-data/inspect-200k.log

The README says the memory target (250 B a span) needs a columnar span
store, not one `Span` object per span. This measures that claim on a real
log instead of asserting it: it loads the file as the CLI does
(`cli.load`), then packs what the largest run's spans hold into the arrays
such a store would keep, and prints the bytes per span of each (arrays
measured with `sys.getsizeof`, strings counted once each, as they would be
held). It is an estimate of the data, not a store: nothing here reads,
follows or draws from these arrays, and a store's own bookkeeping (free
space in growing arrays, the few open actions' dict) is left out.
`bench/memsplit.py` gives the same file's figure as held today.

The layout: ids in one byte blob with 4-byte offsets, found by a sorted
array of 64-bit hashes (8 + 4 bytes a span; no Python string per span);
names, kinds and statuses as 1-byte codes into small tables; details as
4-byte indices into the distinct detail strings; start and duration as
doubles (NaN for none); the first two byte offsets as two 8-byte ints;
the parent as a 4-byte index; children as one 4-byte index each, grouped
by parent, with a 4-byte start per span; samples' task, id and epoch as
two 2-byte codes and a 4-byte index (a sample's or task's label is made
from them, not kept); the log records and the decoder's per-sample state
as today (`memsplit.py`'s accounting).
"""

from __future__ import annotations

import os
import sys
from array import array

from tracetui.cli import load
from tracetui.model import EventLog, locators

size = sys.getsizeof
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from memsplit import decoder_states  # noqa: E402  (the same accounting as memsplit's)


def codes(values) -> tuple[array, int]:
    """Values as 1- or 2-byte codes into a table of the distinct ones;
    the bytes of the table's strings."""
    table: dict = {}
    out = [table.setdefault(v, len(table)) for v in values]
    kind = "B" if len(table) < 256 else "H"
    return array(kind, out), sum(size(v) for v in table)


def main() -> None:
    store, sources = load([sys.argv[1]])  # sources: their decoders hold the sample states
    run = max(store.runs.values(), key=lambda r: len(r.spans))
    spans = list(run.spans.values())
    n = len(spans)
    index = {id(s): i for i, s in enumerate(spans)}
    parts: dict[str, int] = {}

    blob = b"".join(s.id.encode("utf-8", "surrogatepass") for s in spans)
    parts["ids: bytes + 4-byte offsets"] = size(blob) + size(array("I", range(n)))
    parts["id lookup: sorted 8-byte hashes + 4-byte rows"] = size(array("q", range(n))) + size(array("I", range(n)))
    # A sample's or task's label is made from its attributes: no name kept.
    names, names_table = codes("" if s.synthetic else s.name for s in spans)
    kinds, kinds_table = codes(s.kind for s in spans)
    statuses, statuses_table = codes(s.status for s in spans)
    parts["name, kind, status codes"] = size(names) + size(kinds) + size(statuses)
    parts["their tables"] = names_table + kinds_table + statuses_table
    details: dict[str, int] = {}
    detail_rows = array("I", (details.setdefault(s.detail, len(details)) for s in spans))
    parts["detail indices"] = size(detail_rows)
    parts["distinct details"] = sum(size(d) for d in details)
    nan = float("nan")
    parts["start, duration"] = 2 * size(array("d", (nan if s.start is None else s.start for s in spans)))
    first = array("q", (locators(s.origin)[0] if locators(s.origin) else -1 for s in spans))
    parts["origins (two offsets)"] = 2 * size(first)
    parts["parent index"] = size(array("i", (index[id(s.parent)] if s.parent is not None else -1 for s in spans)))
    children = array("I", (index[id(c)] for s in spans for c in (s.children or ())))
    parts["children (grouped) + starts"] = size(children) + size(array("I", range(n)))
    samples = [s for s in spans if s.kind == "sample" and s.attributes]
    tasks, tasks_table = codes(str(s.attributes.get("task")) for s in samples)
    epochs, _ = codes(s.attributes.get("epoch") for s in samples)
    sample_ids: dict = {}
    id_rows = array("I", (sample_ids.setdefault(repr(s.attributes.get("sample_id")), len(sample_ids)) for s in samples))
    parts["samples' task, epoch, id"] = (size(tasks) + size(array("H", epochs)) + size(id_rows)
                                         + tasks_table + sum(size(v) for v in sample_ids))
    cols = run.events.columns
    parts["log columns (as today)"] = (size(cols.times) + size(cols.levels) + size(cols.messages)
                                       + size(cols.origins) + sum(size(m) for m in set(cols.messages)))
    # (a log holding its indices itself, `_eventlog.h`, counts as itself)
    parts["samples' log indices (as today)"] = sum(size(getattr(s.events, "indices", s.events)) for s in spans
                                                   if isinstance(s.events, EventLog))
    parts["decoder's sample states (as today)"] = decoder_states()
    print(f"{n:,} spans, {len(cols.messages):,} log records, {len(samples):,} samples")
    for name, total in parts.items():
        print(f"{name:48s} {total / 1e6:7.1f} MB {total / n:7.1f} B/span")
    total = sum(parts.values())
    print(f"{'sum':48s} {total / 1e6:7.1f} MB {total / n:7.1f} B/span")


if __name__ == "__main__":
    main()
