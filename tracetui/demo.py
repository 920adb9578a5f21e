"""`tracetui demo`: the explorer on a live, simulated hung Inspect eval.

A writer thread appends records exactly as Inspect's trace logger writes
them (same keys, key order, separators and message prefixes; checked against
`inspect_ai/_util/trace.py` and `_util/log_context.py`) to `trace-<pid>.log`
in a temporary directory. Two tasks run with two epochs, six samples at once,
interleaved as Inspect runs them: model calls with their HTTP records, tool
calls with nested subprocesses, one tool that raises, one subprocess that
times out (and its tool call with it), one cancelled model call, periodic
log writes, and two actions that hang for good — a `Subprocess: ... sleep
600` under its `Tool Call`, and a model call that never returns. Two samples
keep working afterwards, slowly, so the file stays live.
"""

from __future__ import annotations

import heapq
import json
import os
import random
import shlex
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator, Union

_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"  # shortuuid's
MODEL = "openai/gpt-4.1-mini"
TASKS = ("swe_lite", "ctf")
EPOCHS = 2
COMPLETIONS = "https://api.openai.com/v1/chat/completions"
#: The writer stops after this long, or this many lines, whatever happens.
MAX_SECONDS = 30 * 60
MAX_LINES = 50_000
#: Where Inspect logs an HTTP response from (module, function, line): non-TRACE
#: records carry these three keys.
HTTP_ORIGIN = ("hooks", "response_hook", 429)

COMMANDS = {
    "swe_lite": ["ls -la /repo", "grep -rn parse_config src/", "python -m pytest -x tests/",
                 "git diff --stat", "sed -n 1,40p src/config.py"],
    "ctf": ["file /challenge/flag.enc", "strings /challenge/flag.enc | head -20", "python3 solve.py",
            "xxd /challenge/flag.enc | head", "cat /challenge/README"],
}

TOOL_ERROR_STACKTRACE = """Traceback (most recent call last):
  File "/usr/lib/python3.11/site-packages/inspect_ai/_util/trace.py", line 82, in trace_action
    yield
  File "/usr/lib/python3.11/site-packages/inspect_ai/model/_call_tools.py", line 862, in call_tool
    result: ToolResult = await tool_def.tool(**arguments)
                         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/work/evals/ctf/tools.py", line 41, in execute
    raise ToolError(f"File not found: {path}")
inspect_ai.tool._tool.ToolError: File not found: /challenge/notes.txt
"""


def _local_iso(t: float) -> str:
    """Inspect's `formatTime`: local time, ISO 8601 with its UTC offset."""
    return datetime.fromtimestamp(t).astimezone().isoformat()


@dataclass
class _Sample:
    task: str
    id: int
    epoch: int

    def prefix(self) -> str:
        """Inspect's SampleContextFilter: `task=` with several tasks,
        `epoch=` with several epochs."""
        parts = [f"sample={self.id}"]
        if len(TASKS) > 1:
            parts.insert(0, f"task={self.task}")
        if EPOCHS > 1:
            parts.append(f"epoch={self.epoch}")
        return " ".join(parts) + "\n"

    def fields(self) -> dict:
        return {"task": self.task, "sample_id": self.id, "epoch": self.epoch}


@dataclass
class _Action:
    action: str
    detail: str
    sample: _Sample | None
    trace_id: str
    start: float


#: What an actor yields: seconds to wait (scenario time), or a record to write now.
_Step = Union[float, Callable[[], dict]]


class DemoWriter:
    """Writes the scenario to `path`: `start()` runs it in a thread, in real
    time; `write()` runs it here (instantly, with synthetic timestamps, when
    `instant`). Always bounded by MAX_SECONDS and `max_lines`."""

    def __init__(self, path: str, *, instant: bool = False, seed: int = 7,
                 start_time: float | None = None, speed: float = 1.0,
                 heartbeats: int | None = None, max_lines: int = MAX_LINES) -> None:
        self.path = path
        self.instant = instant
        self.speed = speed
        #: Extra steps each long-running sample takes after the hang
        #: (None: until stopped).
        self.heartbeats = heartbeats
        self.max_lines = max_lines
        self.rng = random.Random(seed)
        self.start_time = start_time if start_time is not None else time.time()
        self.stop_event = threading.Event()
        self.lines_written = 0
        self._elapsed = 0.0  # scenario seconds since start
        self._thread: threading.Thread | None = None

    # -- records, exactly as Inspect's trace logger writes them -----------------

    def now(self) -> float:
        return self.start_time + self._elapsed if self.instant else time.time()

    def _id(self) -> str:
        return "".join(self.rng.choice(_ALPHABET) for _ in range(22))

    def _base(self, level: str, message: str, sample: _Sample | None) -> dict:
        prefix = sample.prefix() if sample else ""
        return {"timestamp": _local_iso(self.now()), "level": level, "message": prefix + message}

    def enter(self, action: str, detail: str, sample: _Sample | None = None) -> tuple[dict, _Action]:
        handle = _Action(action, detail, sample, self._id(), self.now())
        rec = self._base("TRACE", f"{action}: {detail} (enter)", sample)
        rec.update(action=action, detail=detail, event="enter", trace_id=handle.trace_id,
                   start_time=handle.start)
        if sample:
            rec.update(sample.fields())
        return rec, handle

    def close(self, handle: _Action, event: str = "exit", error: tuple[str, str, str] | None = None) -> dict:
        """The closing record; `error` = (message, exception type, stack trace)."""
        rec = self._base("TRACE", f"{handle.action}: {handle.detail} ({event})", handle.sample)
        rec.update(action=handle.action, detail=handle.detail, event=event,
                   trace_id=handle.trace_id, duration=self.now() - handle.start)
        if error is not None:
            rec.update(error=error[0], error_type=error[1], stacktrace=error[2])
        if handle.sample:
            rec.update(handle.sample.fields())
        return rec

    def http(self, message: str, sample: _Sample | None) -> dict:
        rec = self._base("HTTP", message, sample)
        module, function, line = HTTP_ORIGIN
        rec.update(module=module, function=function, line=line)
        if sample:
            rec.update(sample.fields())
        return rec

    # -- the scenario: one actor per sample, plus the eval itself ---------------

    def _run_actor(self, samples_alive: Callable[[], bool]) -> Iterator[_Step]:
        for task in TASKS:
            yield lambda task=task: self.enter("Run Task", f"task: {task} ({MODEL})")[0]
            yield 0.01
        # The eval log is flushed now and then while samples run.
        while samples_alive():
            yield 4.0 + self.rng.random() * 2
            handle: list[_Action] = []
            yield lambda: self._remember(handle, self.enter(
                "Log Write", "/work/logs/2026-11-23T05-37-24-00-00_swe-lite_6V5gFfxNuPctRHmtfnFCwM.eval"))
            yield 0.05 + self.rng.random() * 0.15
            yield lambda: self.close(handle[0])

    @staticmethod
    def _remember(into: list, made: tuple[dict, _Action]) -> dict:
        into.append(made[1])
        return made[0]

    def _model_call(self, sample: _Sample, outcome: str = "exit", seconds: float | None = None) -> Iterator[_Step]:
        handle: list[_Action] = []
        yield lambda: self._remember(handle, self.enter("Model", f"generate ({MODEL})", sample))
        if outcome == "hang":
            return
        if outcome == "cancel":
            yield 1.5
            yield lambda: self.close(handle[0], "cancel")
            return
        yield seconds if seconds is not None else 0.6 + self.rng.random() * 1.2
        yield lambda: self.http(f'POST {COMPLETIONS} "HTTP/1.1 200 OK" ', sample)
        yield 0.01
        yield lambda: self.close(handle[0])

    def _tool_call(self, sample: _Sample, command: str, outcome: str = "exit") -> Iterator[_Step]:
        """The bash tool: a `Tool Call` around the sandbox's `Subprocess`."""
        tool: list[_Action] = []
        sub: list[_Action] = []
        yield lambda: self._remember(tool, self.enter("Tool Call", f"bash(command='{command}')", sample))
        yield 0.01
        argv = shlex.join(["bash", "--login", "-c", command])
        yield lambda: self._remember(sub, self.enter("Subprocess", argv, sample))
        if outcome == "hang":
            return
        if outcome == "timeout":
            # anyio.fail_after raises TimeoutError through both actions.
            yield 3.0
            yield lambda: self.close(sub[0], "timeout")
            yield 0.002
            yield lambda: self.close(tool[0], "timeout")
            return
        yield 0.3 + self.rng.random() * 1.2
        yield lambda: self.close(sub[0])
        yield 0.003
        yield lambda: self.close(tool[0])

    def _failing_tool(self, sample: _Sample, path: str) -> Iterator[_Step]:
        """A custom tool whose `cat` fails, so it raises ToolError."""
        tool: list[_Action] = []
        sub: list[_Action] = []
        yield lambda: self._remember(tool, self.enter("Tool Call", f"read_file(path='{path}')", sample))
        yield 0.01
        yield lambda: self._remember(sub, self.enter("Subprocess", shlex.join(["cat", path]), sample))
        yield 0.05
        yield lambda: self.close(sub[0])
        yield 0.01
        error = (f"File not found: {path}", "ToolError", TOOL_ERROR_STACKTRACE)
        yield lambda: self.close(tool[0], "error", error)

    def _sample_actor(self, index: int, sample: _Sample) -> Iterator[_Step]:
        """One sample's agent loop (model call, then a tool call) and its fate:
        0 swe_lite/1/1 and 1 ctf/1/1 keep working slowly after the hang (1's
        second tool raises ToolError); 2 swe_lite/2/1 has a subprocess time
        out; 3 ctf/2/1 is cancelled in a model call; 4 swe_lite/1/2 hangs in
        `Subprocess: ... sleep 600` under its tool call; 5 ctf/1/2 hangs in
        a model call."""
        yield 0.1 + 0.35 * index
        commands = COMMANDS[sample.task]
        long_running = index in (0, 1)
        step = 0
        while True:
            if step >= 3:
                if not long_running:
                    # The final answer, then the sample is scored and done.
                    yield from self._model_call(sample)
                    return
                if self.heartbeats is not None and step - 3 >= self.heartbeats:
                    return
                # Slow: the eval is mostly stuck. A sample waits inside an
                # action (a slow model here), never between them: an agent
                # loop calls the model again as soon as a tool returns, and a
                # sample with nothing open reads as done.
                yield from self._model_call(sample, seconds=3.0 + self.rng.random() * 5.0)
            if index == 3 and step == 1:
                yield from self._model_call(sample, "cancel")  # sample time limit
                return
            if index == 5 and step == 2:
                yield from self._model_call(sample, "hang")
                return
            yield from self._model_call(sample)
            yield 0.002
            if index == 1 and step == 1:
                yield from self._failing_tool(sample, "/challenge/notes.txt")
            elif index == 2 and step == 2:
                yield from self._tool_call(sample, "python -m pytest -x tests/", "timeout")
            elif index == 4 and step == 2:
                yield from self._tool_call(sample, "sleep 600", "hang")
                return
            else:
                yield from self._tool_call(sample, commands[step % len(commands)])
            yield 0.002 + self.rng.random() * 0.005
            step += 1

    def scenario(self) -> Iterator[tuple[float, Callable[[], dict]]]:
        """Merge the actors in time order: (scenario time, record maker)."""
        samples = [_Sample(task, sample_id, epoch)
                   for epoch in range(1, EPOCHS + 1)
                   for sample_id in (1, 2) for task in TASKS][:6]
        alive = set(range(len(samples)))

        def sample_done(i: int) -> Iterator[_Step]:
            yield from self._sample_actor(i, samples[i])
            alive.discard(i)

        # Log writes continue while any sample still makes progress (the two
        # hung ones do not count: they are done, just never finished).
        actors: list[Iterator[_Step]] = [self._run_actor(lambda: bool(alive - {4, 5}))]
        actors += [sample_done(i) for i in range(len(samples))]
        queue = [(0.0, n, actor) for n, actor in enumerate(actors)]
        heapq.heapify(queue)
        while queue:
            at, n, actor = heapq.heappop(queue)
            for step in actor:
                if isinstance(step, (int, float)):
                    heapq.heappush(queue, (at + step, n, actor))
                    break
                yield at, step

    # -- writing -----------------------------------------------------------------

    def write(self) -> None:
        """Write the scenario in this thread; returns on `stop()`, at the
        end of the scenario, after `max_lines`, or after MAX_SECONDS."""
        deadline = time.monotonic() + MAX_SECONDS
        with open(self.path, "a", encoding="utf-8") as f:
            for at, make in self.scenario():
                if at > self._elapsed:
                    if not self.instant and self.stop_event.wait((at - self._elapsed) / self.speed):
                        return
                    self._elapsed = at
                if self.stop_event.is_set() or time.monotonic() > deadline:
                    return
                f.write(json.dumps(make()) + "\n")
                f.flush()
                self.lines_written += 1
                if self.lines_written >= self.max_lines:
                    return

    def start(self) -> None:
        self._thread = threading.Thread(target=self.write, name="tracetui-demo-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def write_demo_trace(path: str, *, instant: bool = True, start_time: float = 1795412244.3741555,
                     heartbeats: int = 4) -> int:
    """The demo scenario in one go (synthetic timestamps from `start_time`
    when `instant`, else in real time), for tests and snapshots. Returns
    the number of lines written."""
    writer = DemoWriter(path, instant=instant, start_time=start_time if instant else None,
                        heartbeats=heartbeats)
    writer.write()
    return writer.lines_written


#: What the demo says as it opens: what this is, and a first thing to try.
DEMO_GREETING = ("A simulated Inspect eval, written live, that hangs. The anomaly panel, which has "
                 "the focus, lists what still runs: press enter on a row to see its span in the tree; "
                 "e adds errors, ? lists every key.")


def run_demo() -> int:
    """`tracetui demo`: write a live hung eval to a temporary directory and
    open the explorer on it; clean up on exit."""
    directory = tempfile.mkdtemp(prefix="tracetui-demo-")
    path = os.path.join(directory, f"trace-{os.getpid()}.log")
    open(path, "w").close()
    writer = DemoWriter(path)
    writer.start()
    # Killed (SIGTERM) or its terminal closed (SIGHUP): the `finally` below
    # still removes the trace (it stayed in /tmp, one per run: QA).
    previous = {signum: signal.signal(signum, _ended) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        deadline = time.monotonic() + 5
        while writer.lines_written == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        from tracetui.app.main import run_app

        return run_app([path], greeting=DEMO_GREETING)
    except _Ended:
        return 143
    finally:
        writer.stop()
        shutil.rmtree(directory, ignore_errors=True)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class _Ended(Exception):
    """The demo was told to end by a signal."""


def _ended(signum, frame) -> None:
    raise _Ended()
