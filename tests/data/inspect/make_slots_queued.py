"""The Inspect eval that wrote tests/data/inspect/slots-queued-killed.log and
slots-queued-sigint.log.gz (a QA pass of 2026-12-02): on a 2-core machine,
where Inspect runs as many subprocesses at once as there are cores,
samples 1 and 2 hold both subprocess slots with `sleep BLOCK` (20 s, 30 s
for the killed log) and finish; samples 3-5's Tool Calls wait for a slot
meanwhile, then 3 and 4 hang in `sleep 3600` and 5 keeps waiting. Run with
inspect-ai 0.3.285 and mockllm/model:

    BLOCK=30 XDG_DATA_HOME=DIR inspect eval make_slots_queued.py --model mockllm/model

then `kill -9` it a second after the hang begins (the .log), or ctrl+c it
ten seconds after (the .log.gz, which Inspect gzips at exit).
"""
import asyncio, os
from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import match
from inspect_ai.solver import generate, use_tools
from inspect_ai.tool import tool
from inspect_ai.util import subprocess

N = int(os.environ.get("QA_N", "5"))

@tool
def sleeper():
    async def execute(seconds: int):
        """Run sleep for a number of seconds.

        Args:
            seconds: how long to sleep
        """
        if seconds > 100:
            await asyncio.sleep(1)
        result = await subprocess(["sleep", str(seconds)])
        return result.stdout
    return execute

def outputs(input, tools, _tc, _cfg):
    if any(getattr(m, "role", "") == "tool" for m in input):
        o = ModelOutput.from_content("mockllm/model", "done")
        o.usage = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)
        return o
    text = input[0].text if input else ""
    secs = int(os.environ.get("BLOCK", "20")) if text.endswith(" 1") or text.endswith(" 2") else 3600
    o = ModelOutput.for_tool_call("mockllm/model", "sleeper", {"seconds": secs})
    o.usage = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)
    return o

@task
def slots():
    return Task(
        dataset=[Sample(input=f"sample {i}", target="x", id=i) for i in range(1, N + 1)],
        solver=[use_tools(sleeper()), generate()], scorer=match(),
        model=get_model("mockllm/model", custom_outputs=outputs),
    )
