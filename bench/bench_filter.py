"""How long the tree's `/` filter takes to match every span of a big run.

    python bench/bench_filter.py /work/bench-data/inspect-1m.log [--repeat 3]

Loads the file as `tracetui` does (`cli.load`), then, for each filter text,
times what the tree's filter worker does per keystroke (`SpanTree.
_filtered_rows`): `Query.matcher()` over every span of the run, then the
matching spans' ancestors. Best of `--repeat`, CPU-bound, one thread: the
worker yields the GIL to the UI every 1,000 spans, so a busy UI adds to it.
"""

from __future__ import annotations

import argparse
import time

from tracetui import cli
from tracetui.query import parse

FILTERS = ("name:Subprocess", "kind:Model", "sleep", "status:running", "S", "Su", "sample:3 kind:Model")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    store, _ = cli.load([args.file])
    run = max(store.runs.values(), key=lambda r: len(r.spans))
    spans = list(run.spans.values())
    print(f"{args.file}: run {run.id}, {len(spans):,} spans")
    print("| filter | matched | match | ancestors |")
    print("|---|---|---|---|")
    for text in FILTERS:
        query = parse(text)
        best = (float("inf"), float("inf"))
        for _ in range(args.repeat):
            start = time.perf_counter()
            match = query.matcher()  # per pass, as the tree's worker does
            matched = [span for span in spans if match(span)]
            middle = time.perf_counter()
            keep: set[int] = set()
            for span in matched:
                node = span
                while node is not None and id(node) not in keep:
                    keep.add(id(node))
                    node = node.parent
            end = time.perf_counter()
            best = min(best, (middle - start, end - middle))
        print(f"| `{text}` | {len(matched):,} | {best[0]:.3f} s | {best[1]:.3f} s |")


if __name__ == "__main__":
    main()
