"""Make every sample trace in this folder (runs the per-format scripts).

    python sample_traces/make_samples.py [--inspect-python PATH] [--otel-python PATH]
                                         [--flujo-python PATH] [--skip NAME ...]

Each format has its own script here, run with a Python that has the real
tool installed (see each script's docstring):

- `make_inspect.py` (inspect-ai + openai; default /work/inspect-venv/bin/python)
- `make_otel.py` (opentelemetry-sdk + OTLP JSON file exporter +
  openinference-semantic-conventions; default /work/otel-venv/bin/python)
- `make_flujo.py` (flujo 0.6 on Python 3.13; default /work/flujo-venv/bin/python)
- `make_misc.py` (standard library: native span JSONL, generic SQLite table)

A part whose Python is missing is skipped and its files are left as they are.
The rest come from elsewhere in the repo: `inspect/demo.log` from tracetui's
own demo writer (Inspect's record format, checked against Inspect in
tests/test_demo.py); `sgp/`, `trackio/` and `skulk/` are copied from
tests/data, where the scripts that made them with the real tools live
(make_sgp.py, make_trackio.py, make_skulk.py); `sqlite/spans.db` is made by
tests/sqlite_fixtures.py (a generic table whose columns partly do not map).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TESTS = os.path.join(REPO, "tests")
PARTS = ("inspect", "otel", "flujo", "misc", "demo", "copied", "generic")


def run_script(python: str, script: str) -> None:
    if not os.path.exists(python):
        print(f"{script}: no {python}; its samples are left as they are")
        return
    print(f"== {script} ({python})")
    subprocess.run([python, os.path.join(HERE, script)], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inspect-python", default="/work/inspect-venv/bin/python")
    parser.add_argument("--otel-python", default="/work/otel-venv/bin/python")
    parser.add_argument("--flujo-python", default="/work/flujo-venv/bin/python")
    parser.add_argument("--skip", nargs="*", default=[], choices=PARTS)
    args = parser.parse_args()
    skip = set(args.skip)

    if "inspect" not in skip:
        run_script(args.inspect_python, "make_inspect.py")
    if "otel" not in skip:
        run_script(args.otel_python, "make_otel.py")
    if "flujo" not in skip:
        run_script(args.flujo_python, "make_flujo.py")
    if "misc" not in skip:
        run_script(sys.executable, "make_misc.py")

    sys.path.insert(0, REPO)
    sys.path.insert(0, TESTS)
    if "demo" not in skip:
        from tracetui.demo import write_demo_trace

        demo = os.path.join(HERE, "inspect", "demo.log")
        if os.path.exists(demo):
            os.unlink(demo)
        write_demo_trace(demo)
    if "copied" not in skip:
        data = os.path.join(TESTS, "data")
        for sub in ("sgp", "trackio"):
            target = os.path.join(HERE, sub)
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(os.path.join(data, sub), target)
        skulk = os.path.join(HERE, "skulk")
        shutil.rmtree(skulk, ignore_errors=True)
        shutil.copytree(os.path.join(data, "skulk"), skulk, ignore=shutil.ignore_patterns("inspect"))
    if "generic" not in skip:
        from sqlite_fixtures import make_generic

        path = os.path.join(HERE, "sqlite", "spans.db")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.unlink(path + suffix)
        make_generic(path)
    print("sample traces written to", HERE)


if __name__ == "__main__":
    main()
