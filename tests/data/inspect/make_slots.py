"""The Inspect task that wrote tests/data/inspect/slots-killed.log and
slots-sigint.log.gz: samples started together, each calling a tool that
runs `sleep 3600` through `inspect_ai.util.subprocess`, on a 2-core
machine, where Inspect runs as many subprocesses at once as there are
cores: two samples hang in their `Subprocess`, the others' `Tool Call`
waits for a free slot with nothing under it. Run with inspect-ai 0.3.285
and mockllm/model:

    XDG_DATA_HOME=DIR python make_slots.py      # 3 samples, killed (SIGKILL) a few seconds in
    XDG_DATA_HOME=DIR python make_slots.py 5    # 5 samples, ctrl+c in a terminal after ~40 s

(`slots-sigint.log.gz` is the second's log, gzipped by Inspect at exit;
`slots-five-head.log` the first 20 lines of another run of the second,
taken from the live log while it hung: three samples' Tool Calls began
within 4 ms, the two Subprocesses 0.19 s later beside the last two
samples' Tool Calls.)
"""

import sys

from inspect_ai import Task, task, eval
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import match
from inspect_ai.solver import generate, use_tools
from inspect_ai.tool import tool
from inspect_ai.util import subprocess

SAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 3


@tool
def sleeper():
    async def execute(seconds: int):
        """Run sleep for a number of seconds.

        Args:
            seconds: how long to sleep
        """
        result = await subprocess(["sleep", str(seconds)])
        return result.stdout

    return execute


def outputs(_input, tools, _tc, _cfg):
    o = ModelOutput.for_tool_call("mockllm/model", "sleeper", {"seconds": 3600})
    o.usage = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)
    return o


@task
def hang():
    return Task(
        dataset=[Sample(input=f"sample {i}", target="x", id=i) for i in range(1, SAMPLES + 1)],
        solver=[use_tools(sleeper()), generate()],
        scorer=match(),
    )


if __name__ == "__main__":
    eval(hang(), model=get_model("mockllm/model", custom_outputs=outputs), log_dir="logs", display="plain")
