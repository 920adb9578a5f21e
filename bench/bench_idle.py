"""CPU the app spends following a trace directory of many finished logs and one live one.

Usage (from the repository root, with the venv tracetui is installed in):

    python bench/bench_idle.py [--archived 300] [--rate 10] [--seconds 10]

Copies `sample_traces/inspect/interrupted.log.gz` `--archived` times into a
temporary directory (an Inspect trace directory after a few weeks), adds a
live `trace-1.log`, opens the headless app on the directory and, once it has
loaded, appends `--rate` action lines/s to the live log for `--seconds`. It
prints the process's CPU time over that interval as a share of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archived", type=int, default=300)
    ap.add_argument("--rate", type=float, default=10)
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()

    from tracetui.app.app import TraceApp
    from tracetui.sources.discover import open_sources
    from tracetui.store import Store

    directory = tempfile.mkdtemp(prefix="tracetui-idle-")
    archived = os.path.join(ROOT, "sample_traces", "inspect", "interrupted.log.gz")
    for i in range(args.archived):
        shutil.copy(archived, os.path.join(directory, f"trace-{10000 + i}.log.gz"))
    live = os.path.join(directory, "trace-1.log")
    shutil.copy(os.path.join(ROOT, "sample_traces", "inspect", "hung.log"), live)
    store = Store()
    sources, notes = open_sources([directory], store)
    app = TraceApp(sources, store, notes, watch_dirs=[directory])
    stop = threading.Event()

    def writer() -> None:
        k = 0
        while not stop.is_set():
            with open(live, "a") as f:
                f.write(json.dumps({
                    "timestamp": "2026-11-30T00:00:00+00:00", "level": "TRACE", "message": "Tool Call: x (enter)",
                    "action": "Tool Call", "detail": "x", "event": "enter", "trace_id": f"w{k}",
                    "start_time": time.time()}) + "\n")
            k += 1
            stop.wait(1 / args.rate)

    async def drive() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            while app.loading:
                await pilot.pause(0.1)
            threading.Thread(target=writer, daemon=True).start()
            r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.time()
            await pilot.pause(args.seconds)
            r1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.time()
            stop.set()
            cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
            print(f"{len(app.sources)} sources ({args.archived} archived), {args.rate:g} lines/s into one: "
                  f"CPU {cpu / (t1 - t0) * 100:.0f}% of a core over {t1 - t0:.0f} s")

    try:
        asyncio.run(drive())
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
