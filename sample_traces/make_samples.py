"""Make the sample traces in this folder.

    python sample_traces/make_samples.py [--inspect-python PATH]

Inspect traces are written by Inspect AI itself (mockllm/model, no network):
`hung.log` by an eval killed with SIGKILL while a tool runs `sleep 600`,
`hung.log.gz` the same kind of eval interrupted with SIGINT (Inspect gzips
it and records the cancels). They need a Python with `inspect-ai` installed
(default: /work/inspect-venv/bin/python). `demo.log` comes from tracetui's
own demo writer (Inspect's record format, checked against Inspect in
tests/test_demo.py). The other formats are copied from tests/data, where the
scripts that made them with the real tools live (make_otel.py, make_sgp.py,
make_skulk.py, make_trackio.py), and the Flujo and generic SQLite databases
are made by tests/sqlite_fixtures.py (Flujo 0.6 needs Python 3.13, which
these machines lack, so its database is built to Flujo's schema).
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TESTS = os.path.join(REPO, "tests")

EVAL = r'''
import asyncio, sys
from inspect_ai import Task, task, eval
from inspect_ai.dataset import Sample
from inspect_ai.solver import generate, use_tools
from inspect_ai.tool import tool
from inspect_ai.util import subprocess
from inspect_ai.model import get_model, ModelOutput, ModelUsage

CALLS = []

@tool
def bash():
    async def execute(cmd: str):
        """Run a shell command.

        Args:
            cmd: the command
        """
        CALLS.append(cmd)
        n = len(CALLS)
        if n == 2:
            raise RuntimeError("tool failed on purpose")
        if n == 3:
            r = await subprocess(["sleep", "5"], timeout=1)
            return r.stdout
        if n >= 5:
            r = await subprocess(["bash", "-c", "sleep 600"])
            return r.stdout
        r = await subprocess(["bash", "-c", "echo hello"])
        return r.stdout
    return execute

def usage(o):
    o.usage = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)
    return o

@task
def hang():
    return Task(dataset=[Sample(input=f"q{i}", target="x") for i in range(4)],
                solver=[use_tools(bash()), generate()])

outs = []
for _ in range(4):
    outs += [usage(ModelOutput.for_tool_call("mockllm/model", "bash", {"cmd": "step"})),
             usage(ModelOutput.for_tool_call("mockllm/model", "bash", {"cmd": "step"})),
             usage(ModelOutput.from_content("mockllm/model", "done"))]
eval(hang(), model=get_model("mockllm/model", custom_outputs=outs), log_dir=sys.argv[1],
     display="none", max_samples=4, fail_on_error=False)
'''


def run_eval(python: str, work: str, sig: int, wait: float) -> str:
    """Run the eval, send `sig` after `wait` seconds; return the trace file."""
    env = dict(os.environ, XDG_DATA_HOME=os.path.join(work, "xdg"))
    script = os.path.join(work, "eval.py")
    with open(script, "w") as f:
        f.write(EVAL)
    proc = subprocess.Popen([python, script, os.path.join(work, "logs")], env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(wait)
    proc.send_signal(sig)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    time.sleep(1)
    files = glob.glob(os.path.join(work, "xdg", "inspect_ai", "traces", "trace-*"))
    if not files:
        raise SystemExit("the eval wrote no trace file")
    return max(files, key=os.path.getmtime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inspect-python", default="/work/inspect-venv/bin/python")
    args = parser.parse_args()
    sys.path.insert(0, REPO)
    sys.path.insert(0, TESTS)

    inspect_dir = os.path.join(HERE, "inspect")
    os.makedirs(inspect_dir, exist_ok=True)
    if os.path.exists(args.inspect_python):
        with tempfile.TemporaryDirectory() as work:
            shutil.copyfile(run_eval(args.inspect_python, work, signal.SIGKILL, 12),
                            os.path.join(inspect_dir, "hung.log"))
        with tempfile.TemporaryDirectory() as work:
            shutil.copyfile(run_eval(args.inspect_python, work, signal.SIGINT, 12),
                            os.path.join(inspect_dir, "interrupted.log.gz"))
        expected = os.path.join(inspect_dir, "expected")
        os.makedirs(expected, exist_ok=True)
        inspect_cli = os.path.join(os.path.dirname(args.inspect_python), "inspect")
        for name in ("hung.log", "interrupted.log.gz"):
            out = subprocess.run([inspect_cli, "trace", "anomalies", "--all", "--json",
                                  os.path.join(inspect_dir, name)],
                                 capture_output=True, text=True, check=True).stdout
            with open(os.path.join(expected, name.split(".")[0] + ".anomalies.json"), "w") as f:
                f.write(out)
    else:
        print(f"no inspect-ai at {args.inspect_python}: Inspect samples not regenerated")
    from tracetui.demo import write_demo_trace

    demo = os.path.join(inspect_dir, "demo.log")
    if os.path.exists(demo):
        os.unlink(demo)
    write_demo_trace(demo)

    data = os.path.join(TESTS, "data")
    for sub in ("otel", "sgp", "trackio"):
        target = os.path.join(HERE, sub)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(os.path.join(data, sub), target)
    skulk = os.path.join(HERE, "skulk")
    shutil.rmtree(skulk, ignore_errors=True)
    shutil.copytree(os.path.join(data, "skulk"), skulk, ignore=shutil.ignore_patterns("inspect"))

    from sqlite_fixtures import make_flujo, make_generic

    os.makedirs(os.path.join(HERE, "flujo"), exist_ok=True)
    os.makedirs(os.path.join(HERE, "sqlite"), exist_ok=True)
    for path in (os.path.join(HERE, "flujo", "flujo_ops.db"), os.path.join(HERE, "sqlite", "spans.db")):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.unlink(path + suffix)
    make_flujo(os.path.join(HERE, "flujo", "flujo_ops.db"), wal=False)
    make_generic(os.path.join(HERE, "sqlite", "spans.db"))

    native = os.path.join(HERE, "native")
    os.makedirs(native, exist_ok=True)
    with open(os.path.join(native, "spans.jsonl"), "w") as f:
        f.write(NATIVE)
    print("sample traces written to", HERE)


NATIVE = """\
{"trace_id": "t-1", "span_id": "agent", "parent_id": null, "name": "support-agent", "type": "agent", "start_time": 1795412244.0, "status": "running", "input": "Where is my order #1234?"}
{"trace_id": "t-1", "span_id": "llm-1", "parent_id": "agent", "name": "chat gpt-4.1-mini", "type": "llm", "start_time": 1795412244.1, "end_time": 1795412245.3, "status": "ok", "input": [{"role": "system", "content": "You are a support agent."}, {"role": "user", "content": "Where is my order #1234?"}], "output": [{"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "lookup_order", "arguments": "{\\"order_id\\": \\"1234\\"}"}}]}], "metadata": {"model": "gpt-4.1-mini", "tokens": 212}}
{"trace_id": "t-1", "span_id": "tool-1", "parent_id": "agent", "name": "lookup_order", "type": "tool", "start_time": 1795412245.4, "end_time": 1795412247.9, "status": "error", "input": {"order_id": "1234"}, "error": {"message": "orders-db timed out", "type": "TimeoutError"}}
{"trace_id": "t-1", "span_id": "llm-2", "parent_id": "agent", "name": "chat gpt-4.1-mini", "type": "llm", "start_time": 1795412248.0, "status": "running", "input": [{"role": "user", "content": "Where is my order #1234?"}, {"role": "tool", "tool_call_id": "call_1", "content": "error: orders-db timed out"}]}
{"trace_id": "t-1", "span_id": "agent", "end_time": 1795412250.0, "status": "error", "error": "gave up after tool failure"}
"""

if __name__ == "__main__":
    main()
