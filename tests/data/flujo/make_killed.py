"""Make tests/data/flujo/killed.db.gz (with its -wal) with Flujo itself: a run killed mid-step.

    /work/flujo-venv/bin/python tests/data/flujo/make_killed.py

Needs Python >= 3.13 with flujo 0.6.x (see sample_traces/make_flujo.py for
the venv). One pipeline, `crawl` (discover, then a 600 s download), is run
by Flujo into a fresh database through `SQLiteBackend`, and its process is
killed with SIGKILL while the download sleeps. What is left is what a user
finds after a crash: the `runs` row still `running`, no spans (Flujo inserts
them when a run ends), and the database's `-wal` beside it, holding the
run's rows, with no process holding either open. The database and its
`-wal` are kept here as they are (no checkpoint), gzipped (200 KB, mostly
empty pages, in 4 KB); tests decompress both beside each other before
opening them.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
#: Where the database goes, gzipped; its -wal beside it (`killed.db-wal.gz`).
TARGET = os.path.join(HERE, "killed.db")
#: Longest wait (s) for the run to reach its download step.
START_TIMEOUT = 60


async def run_crawl(db: str) -> None:
    from flujo import Flujo, step
    from flujo.state.backends.sqlite import SQLiteBackend

    @step(name="discover")
    async def discover(site: str) -> list:
        await asyncio.sleep(0.05)
        return [site + "/a", site + "/b"]

    @step(name="download")
    async def download(urls: list) -> str:
        await asyncio.sleep(600)  # killed here
        return "done"

    runner = Flujo(discover >> download, state_backend=SQLiteBackend(Path(db)), pipeline_name="crawl")
    async for _ in runner.run_async("https://example.org"):
        pass


def downloading(db: str) -> bool:
    """Has the run finished `discover` (so it sleeps in `download`)? Read
    read-only: a read-write connection closed last would checkpoint the
    `-wal` away once the writer is dead."""
    if not os.path.exists(db):
        return False
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT max(current_step_index) FROM workflow_state").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return False
    return bool(row and row[0])


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--run":
        asyncio.run(run_crawl(sys.argv[2]))
        return
    with tempfile.TemporaryDirectory() as work:
        db = os.path.join(work, "flujo_ops.db")
        proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--run", db], cwd=work,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while not downloading(db):
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                sys.exit("the run did not reach its download step")
            time.sleep(0.2)
        time.sleep(0.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if not os.path.exists(db + "-wal"):
            sys.exit("no -wal left behind")
        for suffix in ("", "-wal"):
            with open(db + suffix, "rb") as src, gzip.open(TARGET + suffix + ".gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
    for suffix in ("", "-wal"):
        print(TARGET + suffix + ".gz", os.path.getsize(TARGET + suffix + ".gz"), "bytes")


if __name__ == "__main__":
    main()
