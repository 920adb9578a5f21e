"""The TUI on a trace directory: how long until it is ready, and what it holds.

Usage (from the repository root, with the venv tracetui is installed in):

    python bench/bench_dir.py DIR [--read-all] [--size 120x40]

Opens DIR headless as `tracetui DIR` does (`App.run_test()`), and reports,
in a JSON line: seconds until the first load ended (`app.loading` false),
until every held archive's prescan had answered, the spans indexed, the RSS then and its
peak. `--read-all` reads every archive whole (the behaviour before held
archives: `HOLD_MIN_BYTES` set out of reach), to compare the two in turn.

Make a directory like Inspect's: the live log newest, archives beside it
(symlinks keep the bench data where it is; `touch -h` the live one last).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(directory: str, read_all: bool, size: tuple[int, int]) -> dict:
    import tracetui.app.app as app_module
    from tracetui.sources.discover import open_sources
    from tracetui.store import Store

    if read_all:
        app_module.HOLD_MIN_BYTES = float("inf")
    t0 = time.perf_counter()
    store = Store()
    sources, notes = open_sources([directory], store)
    app = app_module.TraceApp(sources, store, notes, watch_dirs=[directory])
    marks: dict[str, float] = {}

    async def drive() -> None:
        async with app.run_test(size=size) as pilot:
            while True:
                await pilot.pause(0.05)
                now = time.perf_counter() - t0
                if "loaded" not in marks and not app.loading:
                    marks["loaded"] = now
                # Every source read whole, or held with its prescan's answer shown.
                if "loaded" in marks and all(
                        not s.behind or s.decoder.run_id in app.anomaly_panel.early
                        for s in app.sources):
                    await pilot.pause(0.5)  # the last answer drawn
                    marks["settled"] = time.perf_counter() - t0
                    break
            marks["rss_mb"] = rss_mb()
            marks["spans"] = sum(len(r.spans) for r in store.runs.values())
            marks["held"] = len(app._held)
            marks["panel_rows"] = len(app.anomaly_panel.rows)
            by_run: dict[str, int] = {}
            for _bucket, _row, run in app.anomaly_panel.rows:
                by_run[run.id] = by_run.get(run.id, 0) + 1
            marks["panel_rows_by_run"] = by_run
            marks["prescanned"] = sorted(app.anomaly_panel.early)

    asyncio.run(drive())
    marks["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    marks["sources"] = len(sources)
    marks["read_all"] = read_all
    return marks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--read-all", action="store_true")
    parser.add_argument("--size", default="120x40")
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    print(json.dumps(measure(os.path.abspath(args.directory), args.read_all, (width, height))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
