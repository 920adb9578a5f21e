"""Writes tests/data/inspect/sigint-*.log.gz with Inspect itself (no network):

    /work/inspect-venv/bin/python tests/data/inspect/make_sigint.py NAME [SECONDS]

An eval of four samples on `mockllm/model` (inspect-ai 0.3.285), run by the
`inspect` command in its own process group with `XDG_DATA_HOME` in a
temporary folder; SECONDS (default 3) after every sample has reached its
wait, SIGINT goes to the whole group, as ctrl+c in a terminal sends it (so
the `sleep` child gets it too). Each sample's input says what it does:

- `tool`: its tool runs `sleep 3600` through `inspect_ai.util.subprocess`;
- `model`: its second model call awaits `asyncio.sleep(3600)`;
- `idle`: after its tool call it waits in its solver (`asyncio.sleep`),
  with no action open;
- `done`: a tool call (`echo`), then the model answers and it finishes.

The trace Inspect leaves (gzipped at exit) is copied here as NAME.log.gz.
Whether `sleep` dies of the SIGINT before Inspect cancels its subprocess is
a race: `sigint-exit.log.gz` is a run where it did (the `tool` sample's
Subprocess and Tool Call close with `exit`, then the sample is cancelled),
`sigint-cancel.log.gz` one where it did not (they close with `cancel`).
`sigint-quiet.log.gz` (SECONDS 13) is one where `idle` left no record at
all after the SIGINT: its flush of the eval log was another sample's.
In all three, Inspect's `.eval` log (not kept) said `done` completed and
the other three were cancelled (`CancelledError`).
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from inspect_ai.solver import generate, solver, use_tools
from inspect_ai.tool import tool
from inspect_ai.util import subprocess as inspect_subprocess

HERE = os.path.dirname(os.path.abspath(__file__))


@tool
def shell():
    async def execute(cmd: str):
        """Run a command.

        Args:
            cmd: the command
        """
        result = await inspect_subprocess(cmd.split())
        return result.stdout or "ok"
    return execute


def _usage(output: ModelOutput) -> ModelOutput:
    # Usage set, or Inspect fetches a tokenizer (no network here).
    output.usage = ModelUsage(input_tokens=12, output_tokens=6, total_tokens=18)
    return output


async def _outputs(input, tools, tool_choice, config):
    kind = next(m.text for m in input if m.role == "user")
    turns = sum(1 for m in input if m.role == "tool")
    if turns == 0:
        cmd = "sleep 3600" if kind == "tool" else "echo hello"
        return _usage(ModelOutput.for_tool_call("mockllm/model", "shell", {"cmd": cmd}))
    if kind == "model":
        await asyncio.sleep(3600)  # a model call that never answers
    return _usage(ModelOutput.from_content("mockllm/model", "done"))


@solver
def idle_after():
    async def solve(state, generate_fn):
        if state.input_text == "idle":
            await asyncio.sleep(3600)  # between actions: none is open
        return state
    return solve


@task
def sigint():
    return Task(dataset=[Sample(id=kind, input=kind, target="done")
                         for kind in ("tool", "model", "idle", "done")],
                solver=[use_tools(shell()), generate(), idle_after()],
                model=get_model("mockllm/model", custom_outputs=_outputs))


def _all_waiting(trace_dir: str) -> bool:
    """Every sample is where it should be when the SIGINT comes: `tool` in
    its sleep, `model` in its second model call, `idle` past its second,
    `done` finished."""
    text = "".join(open(p, errors="replace").read() for p in glob.glob(os.path.join(trace_dir, "trace-*.log")))
    return ("Subprocess: sleep 3600 (enter)" in text
            and text.count('sample=model\\nModel: generate (mockllm/model) (enter)') >= 2
            and text.count('sample=idle\\nModel: generate (mockllm/model) (exit)') >= 2
            and text.count('sample=done\\nModel: generate (mockllm/model) (exit)') >= 2)


def _print_outcomes(log_dir: str) -> None:
    """What Inspect's own `.eval` log says of each sample."""
    from inspect_ai.log import read_eval_log

    for path in glob.glob(os.path.join(log_dir, "*.eval")):
        log = read_eval_log(path)
        print(f"{os.path.basename(path)}: {log.status}")
        for sample in log.samples or []:
            print(f"  {sample.id}: {sample.error.message[:40] if sample.error else 'completed'}")


def main() -> None:
    name = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    inspect_cli = os.path.join(os.path.dirname(sys.executable), "inspect")
    with tempfile.TemporaryDirectory() as work:
        env = dict(os.environ, XDG_DATA_HOME=os.path.join(work, "xdg"))
        env.pop("INSPECT_TRACE_FILE", None)
        proc = subprocess.Popen(
            [inspect_cli, "eval", os.path.basename(__file__), "--log-dir", os.path.join(work, "logs"),
             "--display", "plain", "--max-samples", "4"],
            env=env, cwd=HERE, start_new_session=True,
            # A child of a non-interactive shell inherits SIGINT ignored.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        trace_dir = os.path.join(work, "xdg", "inspect_ai", "traces")
        deadline = time.time() + 60
        while not _all_waiting(trace_dir) and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(seconds)
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
        time.sleep(0.5)
        (trace,) = glob.glob(os.path.join(trace_dir, "trace-*"))
        target = os.path.join(HERE, name + ".log" + (".gz" if trace.endswith(".gz") else ""))
        shutil.copyfile(trace, target)
        print(target, os.path.getsize(target))
        _print_outcomes(os.path.join(work, "logs"))


if __name__ == "__main__":
    main()
