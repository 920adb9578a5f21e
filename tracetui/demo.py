"""`tracetui demo`: the explorer on a live, simulated hung Inspect eval.

A writer thread appends records exactly as Inspect's trace logger writes
them (same keys, order and separators) to `trace-<pid>.log` in a temporary
directory: two tasks, six samples with model calls (and their HTTP records),
tool calls with nested subprocesses, one tool that raises, one subprocess
that times out, one cancelled model call, and two actions that hang for
good — a `Subprocess: sleep 600` under its `Tool Call`, and a model call
that never returns. Then it keeps the file alive with occasional records.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
import threading
import time
from datetime import datetime, timezone
from typing import Iterator

_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
MODEL = "openai/gpt-4.1-mini"
TASKS = ("swe_lite", "ctf")
#: The writer stops after this long, whatever happens (s).
MAX_SECONDS = 30 * 60

STACKTRACE = """Traceback (most recent call last):
  File "/usr/lib/python3.11/site-packages/inspect_ai/model/_call_tools.py", line 312, in call_tool
    result = await tool(**arguments)
  File "/work/evals/tools.py", line 41, in execute
    raise ToolError(f"file not found: {path}")
inspect_ai.tool._tool.ToolError: file not found: /repo/setup.cfg
"""


class _Clock:
    """Real time, or a synthetic clock advanced by the scenario's delays."""

    def __init__(self, instant: bool, start: float) -> None:
        self.instant = instant
        self.t = start

    def wait(self, seconds: float, stop: threading.Event | None) -> bool:
        if self.instant:
            self.t += seconds
            return True
        if stop is not None:
            return not stop.wait(seconds)
        time.sleep(seconds)
        return True

    def now(self) -> float:
        return self.t if self.instant else time.time()


class DemoWriter:
    """Writes the scenario to `path`; `start()` runs it in a thread."""

    def __init__(self, path: str, *, instant: bool = False, seed: int = 7,
                 start_time: float | None = None, speed: float = 1.0,
                 heartbeats: int | None = None) -> None:
        self.path = path
        #: How many keep-alive pairs to write after the hang (None: until stopped).
        self.heartbeats = heartbeats
        self.instant = instant
        self.speed = speed
        self.rng = random.Random(seed)
        self.clock = _Clock(instant, start_time if start_time is not None else time.time())
        self.stop_event = threading.Event()
        self.lines_written = 0
        self._thread: threading.Thread | None = None

    # -- records, exactly as Inspect's trace logger writes them -----------------

    def _id(self) -> str:
        return "".join(self.rng.choice(_ALPHABET) for _ in range(22))

    def _stamp(self) -> str:
        return datetime.fromtimestamp(self.clock.now(), timezone.utc).isoformat()

    def _ctx(self, task: str | None, sample: int | None) -> tuple[str, dict]:
        if sample is None:
            return "", {}
        return f"task={task} sample={sample} epoch=1\n", {"task": task, "sample_id": sample, "epoch": 1}

    def enter(self, action: str, detail: str, task: str | None = None, sample: int | None = None) -> tuple:
        prefix, ctx = self._ctx(task, sample)
        trace_id = self._id()
        start = self.clock.now()
        rec = {"timestamp": self._stamp(), "level": "TRACE", "message": f"{prefix}{action}: {detail} (enter)",
               "action": action, "detail": detail, "event": "enter", "trace_id": trace_id,
               "start_time": start, **ctx}
        return rec, (action, detail, task, sample, trace_id, start)

    def close(self, handle: tuple, event: str = "exit", **error) -> dict:
        action, detail, task, sample, trace_id, start = handle
        prefix, ctx = self._ctx(task, sample)
        rec = {"timestamp": self._stamp(), "level": "TRACE",
               "message": f"{prefix}{action}: {detail} ({event})", "action": action, "detail": detail,
               "event": event, "trace_id": trace_id, "duration": self.clock.now() - start}
        rec.update(error)
        rec.update(ctx)
        return rec

    def message(self, level: str, text: str, task: str | None = None, sample: int | None = None) -> dict:
        prefix, ctx = self._ctx(task, sample)
        return {"timestamp": self._stamp(), "level": level, "message": f"{prefix}{text}", **ctx}

    # -- the scenario ------------------------------------------------------------

    def scenario(self) -> Iterator[float | dict]:
        """Delays (seconds to wait) and records, in order. A record is built
        only after the wait before it, so its times are the times it is written."""
        for task in TASKS:
            yield 0.05
            rec, _ = self.enter("Run Task", f"task: {task} ({MODEL})")
            yield rec
        samples = [(TASKS[i % 2], i // 2 + 1) for i in range(6)]
        for step in range(3):
            for index, (task, sample) in enumerate(samples):
                if step == 2 and index >= 4:
                    continue  # these two hang below
                yield from self._model_call(task, sample, cancel=(index == 3 and step == 1))
                if index == 3 and step >= 1:
                    continue  # cancelled: this sample stops here
                command = ["ls -la /repo", "python -m pytest -x tests/", "cat setup.cfg"][step]
                yield from self._tool_call(task, sample, command,
                                           fail=(index == 1 and step == 1),
                                           timeout=(index == 2 and step == 2))
            yield 0.1
            rec, handle = self.enter("Log Write", "/tmp/logs/demo.eval")
            yield rec
            yield 0.05
            yield self.close(handle)
        # Two actions that never finish.
        task, sample = samples[4]
        yield 0.3
        rec, _ = self.enter("Tool Call", "bash(cmd='sleep 600')", task, sample)
        yield rec
        yield 0.05
        rec, _ = self.enter("Subprocess", "bash --login -c 'sleep 600'", task, sample)
        yield rec
        task, sample = samples[5]
        yield 0.2
        rec, _ = self.enter("Model", f"generate ({MODEL})", task, sample)
        yield rec
        # Keep the file alive: the eval's other machinery still talks.
        beats = 0
        while self.heartbeats is None or beats < self.heartbeats:
            beats += 1
            yield 4.0
            yield self.message("TRACE", "[Docker] checking container health")
            yield 3.0
            yield self.message("HTTP", f'POST https://api.openai.com/v1/chat/completions '
                                       f'"HTTP/1.1 {self.rng.choice(["200 OK", "429 Too Many Requests"])}"')

    def _model_call(self, task: str, sample: int, cancel: bool = False) -> Iterator[float | dict]:
        yield 0.2 + self.rng.random() * 0.3
        rec, handle = self.enter("Model", f"generate ({MODEL})", task, sample)
        yield rec
        if cancel:
            yield 1.5
            yield self.close(handle, "cancel")
            yield 0.02
            yield self.message("WARNING", "Sample cancelled: time limit exceeded", task, sample)
            return
        yield 0.6 + self.rng.random()
        yield self.message("HTTP", 'POST https://api.openai.com/v1/chat/completions "HTTP/1.1 200 OK"',
                           task, sample)
        yield 0.02
        yield self.close(handle)

    def _tool_call(self, task: str, sample: int, command: str, fail: bool,
                   timeout: bool) -> Iterator[float | dict]:
        yield 0.1
        tool_rec, tool = self.enter("Tool Call", f"bash(cmd={command!r})", task, sample)
        yield tool_rec
        if fail:
            yield 0.2
            yield self.close(tool, "error", error="file not found: /repo/setup.cfg",
                             error_type="ToolError", stacktrace=STACKTRACE)
            return
        yield 0.05
        rec, sub = self.enter("Subprocess", f"bash --login -c {command!r}", task, sample)
        yield rec
        if timeout:
            yield 3.0
            yield self.close(sub, "timeout")
            yield 0.02
            yield self.close(tool, "error", error="Command timed out before completing.",
                             error_type="TimeoutError")
            return
        yield 0.3 + self.rng.random() * 0.8
        yield self.close(sub)
        yield 0.02
        yield self.close(tool)

    # -- writing -----------------------------------------------------------------

    def write(self, max_lines: int | None = None) -> None:
        """Write the scenario (in this thread); stops on `stop()`, after
        `max_lines`, or after MAX_SECONDS."""
        deadline = time.monotonic() + MAX_SECONDS
        with open(self.path, "a", encoding="utf-8") as f:
            for item in self.scenario():
                if not isinstance(item, dict):
                    if not self.clock.wait(item / self.speed, self.stop_event):
                        return
                    continue
                if self.stop_event.is_set() or time.monotonic() > deadline:
                    return
                f.write(json.dumps(item) + "\n")
                f.flush()
                self.lines_written += 1
                if max_lines is not None and self.lines_written >= max_lines:
                    return

    def start(self) -> None:
        self._thread = threading.Thread(target=self.write, name="demo-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def write_demo_trace(path: str, *, start_time: float = 1795412244.0, heartbeats: int = 4) -> int:
    """The demo scenario, written at once with synthetic timestamps."""
    writer = DemoWriter(path, instant=True, start_time=start_time, heartbeats=heartbeats)
    writer.write()
    return writer.lines_written


def run_demo() -> int:
    directory = tempfile.mkdtemp(prefix="tracetui-demo-")
    path = os.path.join(directory, f"trace-{os.getpid()}.log")
    writer = DemoWriter(path)
    open(path, "w").close()
    writer.start()
    try:
        deadline = time.monotonic() + 5
        while writer.lines_written == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        from tracetui.app.main import run_app

        return run_app([path])
    finally:
        writer.stop()
        shutil.rmtree(directory, ignore_errors=True)
