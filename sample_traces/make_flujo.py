"""Make `flujo/flujo_ops.db` with Flujo itself (its SQLiteBackend, no network).

    /work/flujo-venv/bin/python sample_traces/make_flujo.py [--out DIR]

Needs Python >= 3.13 with flujo 0.6.x (0.6.11 used; on 3.11 pip silently
installs 0.4.x). Made here with:

    python3.13 -m venv /work/flujo-venv
    /work/flujo-venv/bin/pip install "flujo>=0.6" opentelemetry-api==1.39.1 \
        opentelemetry-sdk==1.39.1 typer==0.21.1 click==8.3.1

Steps are plain async functions (`@step`), so no model is called. Runs,
all written by Flujo into one database through `Flujo(pipeline,
state_backend=SQLiteBackend(path))`:

- `research` completes: fetch, a `loop_until` refine loop (draft, critique,
  two iterations), a `parallel` step with two branches, publish: nested spans.
- `ingest` fails: `validate` raises, so the step and the run fail (its span
  carries `feedback`).
- `slow_report` fails on a step timeout (`timeout_s=0.3` on a 2 s step).
- `approval` pauses at a `human_in_the_loop` step and is never resumed.
- `crawl` is killed with SIGKILL while a step sleeps: a `runs` row and no
  spans (Flujo inserts spans when a run ends).

Times in `spans` are `time.monotonic()` seconds (durations right, wall times
not). Flujo leaves the database in WAL mode; afterwards this script
checkpoints it and switches it to `journal_mode=DELETE` so the copied file is
self-contained (no `-wal`/`-shm`); tables and rows are Flujo's, untouched.
"""

from __future__ import annotations

import argparse
import asyncio
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


def build_pipelines():
    from flujo import Step, step

    @step(name="fetch")
    async def fetch(query: str) -> str:
        await asyncio.sleep(0.12)
        return f"3 documents about {query!r}"

    @step(name="draft")
    async def draft(text: str) -> str:
        await asyncio.sleep(0.08)
        return f"draft({text})"

    @step(name="critique")
    async def critique(text: str) -> str:
        await asyncio.sleep(0.05)
        return text + " +reviewed"

    refine = Step.loop_until(
        name="refine",
        loop_body_pipeline=draft >> critique,
        exit_condition_callable=lambda out, ctx: str(out).count("reviewed") >= 2,
        max_loops=3,
    )

    @step(name="summary_en")
    async def summary_en(text: str) -> str:
        await asyncio.sleep(0.1)
        return "summary: " + text[:40]

    @step(name="summary_fr")
    async def summary_fr(text: str) -> str:
        await asyncio.sleep(0.15)
        return "résumé : " + text[:40]

    summaries = Step.parallel(name="summaries", branches={"en": summary_en, "fr": summary_fr})

    @step(name="publish")
    async def publish(summaries) -> dict:
        await asyncio.sleep(0.03)
        return {"published": True, "parts": len(summaries) if hasattr(summaries, "__len__") else 1}

    @step(name="parse")
    async def parse(raw: str) -> dict:
        await asyncio.sleep(0.04)
        return {"rows": raw.count(",") + 1, "raw": raw}

    @step(name="validate", max_retries=0)
    async def validate(data: dict) -> dict:
        await asyncio.sleep(0.07)
        raise ValueError(f"row 3: amount '[red]x[/red]' is not a number ({data['rows']} rows read)")

    @step(name="store")
    async def store(data: dict) -> str:
        return "stored"

    @step(name="collect")
    async def collect(q: str) -> str:
        await asyncio.sleep(0.05)
        return q + ": 12 rows"

    @step(name="render_pdf", timeout_s=0.3, max_retries=0)
    async def render_pdf(text: str) -> str:
        await asyncio.sleep(2)
        return "report.pdf"

    @step(name="prepare")
    async def prepare(change: str) -> str:
        await asyncio.sleep(0.06)
        return f"plan for {change}"

    ask_human = Step.human_in_the_loop(name="ask_human", message_for_user="Apply this change?")

    @step(name="apply")
    async def apply(answer) -> str:
        return f"applied ({answer})"

    @step(name="discover")
    async def discover(site: str) -> list:
        await asyncio.sleep(0.05)
        return [site + "/a", site + "/b"]

    @step(name="download")
    async def download(urls: list) -> str:
        await asyncio.sleep(600)  # killed here
        return "done"

    return {
        "research": (fetch >> refine >> summaries >> publish, "quantum error correction"),
        "ingest": (parse >> validate >> store, "id,amount\n1,10\n2,x"),
        "slow_report": (collect >> render_pdf, "weekly sales"),
        "approval": (prepare >> ask_human >> apply, "raise rate limit to 50/s"),
        "crawl": (discover >> download, "https://example.org"),
    }


async def run_one(db: str, name: str) -> str:
    from flujo import Flujo
    from flujo.state.backends.sqlite import SQLiteBackend

    pipeline, initial = build_pipelines()[name]
    backend = SQLiteBackend(Path(db))
    runner = Flujo(pipeline, state_backend=backend, pipeline_name=name)
    status = "?"
    try:
        async for result in runner.run_async(initial):
            status = getattr(getattr(result, "status", None), "value", None) or str(
                getattr(result, "success", "?"))
    except Exception as exc:  # a failed run may raise after recording itself
        status = f"raised {type(exc).__name__}: {exc}"
    await runner.aclose()
    await backend.close()
    return status


def make(out_dir: str) -> str:
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, "flujo_ops.db")
    with tempfile.TemporaryDirectory() as work:
        db = os.path.join(work, "flujo_ops.db")
        for name in ("research", "ingest", "slow_report", "approval", "crawl"):
            cmd = [sys.executable, os.path.abspath(__file__), "--run", name, db]
            proc = subprocess.Popen(cmd, cwd=work, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True)
            if name == "crawl":
                time.sleep(6)  # well inside the 600 s download step
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                print(f"{name}: killed")
            else:
                out, _ = proc.communicate(timeout=120)
                print(f"{name}: {out.strip().splitlines()[-1] if out.strip() else proc.returncode}")
            time.sleep(0.3)
        # Self-contained copy: fold the WAL back in, then stop using WAL.
        con = sqlite3.connect(db)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("PRAGMA journal_mode=DELETE")
        con.execute("VACUUM")
        con.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(target + suffix):
                os.unlink(target + suffix)
        shutil.copyfile(db, target)
    return target


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--run":
        print(asyncio.run(run_one(sys.argv[3], sys.argv[2])), flush=True)
        # Some Flujo worker threads outlive the run (non-daemon); everything
        # is committed and closed by now, so leave without waiting for them.
        os._exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "flujo"))
    args = parser.parse_args()
    target = make(args.out)
    con = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    for row in con.execute("SELECT pipeline_name, status, (SELECT count(*) FROM spans s"
                           " WHERE s.run_id = r.run_id) FROM runs r ORDER BY created_at"):
        print("  run", *row)
    print(target, os.path.getsize(target), "bytes")


if __name__ == "__main__":
    main()
