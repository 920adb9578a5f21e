"""The Inspect eval that wrote tests/data/inspect/slots-late-killed.log:
three tasks of three samples on a 2-core machine, where Inspect runs as
many subprocesses at once as there are cores. `limited` (time limit 4 s,
a tool running `sleep 20`) takes both slots first; `hang`'s and
`failing`'s `Tool Call`s wait for a free slot with nothing under them
until `limited`'s subprocesses end 20 s in, then two of `hang`'s take the
slots and run `sleep 3600` for good. Every command and input carries
Rich markup and an ANSI escape (trace content is untrusted). Run with
inspect-ai 0.3.285 and mockllm/model, then `kill -9` it a few minutes in:

    XDG_DATA_HOME=DIR inspect eval make_slots_late.py --model mockllm/model

(written by a QA pass of 2026-12-02; its `trace-2920.log`).
"""

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import match
from inspect_ai.solver import generate, use_tools
from inspect_ai.tool import tool
from inspect_ai.util import subprocess

N = 3
MARK = "[bold red]x[/] \x1b[31mRED\x1b[0m"


@tool
def sleeper():
    async def execute(seconds: int):
        """Run sleep for a number of seconds.

        Args:
            seconds: how long to sleep
        """
        result = await subprocess(["sh", "-c", f"sleep {seconds} # {MARK}"])
        return result.stdout

    return execute


@tool
def breaker():
    async def execute(seconds: int):
        """Fail in two ways.

        Args:
            seconds: ignored
        """
        try:
            await subprocess(["sleep", "30"], timeout=1)
        except TimeoutError:
            pass
        raise RuntimeError(f"tool exploded {MARK}")

    return execute


def outputs(name, seconds):
    def output(_input, _tools, _tool_choice, _config):
        o = ModelOutput.for_tool_call("mockllm/model", name, {"seconds": seconds})
        o.usage = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)
        return o

    return output


@task
def hang():
    return Task(
        dataset=[Sample(input=f"sample {i} {MARK}", target="x", id=i) for i in range(1, N + 1)],
        solver=[use_tools(sleeper()), generate()], scorer=match(),
        model=get_model("mockllm/model", custom_outputs=outputs("sleeper", 3600)),
    )


@task
def limited():
    return Task(
        dataset=[Sample(input=f"limited {i}", target="x", id=i) for i in range(1, N + 1)],
        solver=[use_tools(sleeper()), generate()], scorer=match(), time_limit=4,
        model=get_model("mockllm/model", custom_outputs=outputs("sleeper", 20)),
    )


@task
def failing():
    return Task(
        dataset=[Sample(input=f"failing {i}", target="x", id=i) for i in range(1, N + 1)],
        solver=[use_tools(breaker()), generate()], scorer=match(),
        model=get_model("mockllm/model", custom_outputs=outputs("breaker", 1)),
    )
