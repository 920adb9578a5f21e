"""The Inspect task that wrote tests/data/inspect/sample-error-killed.log:
four samples (two quick, one raising from its solver, one stuck in
`sleep 600`), run with inspect-ai 0.3.285 and mockllm/model, then killed
(SIGKILL) about a minute in:

    XDG_DATA_HOME=DIR inspect eval make_sample_error.py --model mockllm/model --no-fail-on-error
"""

import asyncio
from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageAssistant, execute_tools
from inspect_ai.tool import tool, ToolCall
from inspect_ai.solver import solver, generate
from inspect_ai.scorer import match
from inspect_ai.util import subprocess

@tool
def slow_shell():
    async def execute(seconds: int):
        """Run sleep.

        Args:
            seconds: how long
        """
        r = await subprocess(["sleep", str(seconds)])
        return f"slept {seconds}"
    return execute

@solver
def my_solver():
    async def solve(state, generate_fn):

        sid = str(state.sample_id)
        if sid == "err":
            raise RuntimeError("deliberate sample error for QA")
        secs = 600 if sid == "stuck" else 1
        msg = ChatMessageAssistant(content="calling tool", tool_calls=[
            ToolCall(id=f"call_{sid}", function="slow_shell", arguments={"seconds": secs})])
        state.messages.append(msg)
        state.tools = [slow_shell()]
        res = await execute_tools(state.messages, state.tools)
        state.messages.extend(res.messages)
        return state
    return solve

@task
def hang(stuck: bool = True):
    ids = ["fast1", "fast2", "err"] + (["stuck"] if stuck else [])
    return Task(dataset=[Sample(id=i, input=f"hello {i}", target="x") for i in ids],
                solver=my_solver(), scorer=match())
