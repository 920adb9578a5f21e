"""Make the Inspect AI sample traces with Inspect itself (no network).

    /work/inspect-venv/bin/python sample_traces/make_inspect.py [--only NAME ...]

Needs a Python with `inspect-ai` (0.3.285 used) and `openai` installed. Each
eval runs in a child process with `XDG_DATA_HOME` pointing at a temporary
folder, so Inspect writes `inspect_ai/traces/trace-<pid>.log` there; the file
is copied into `inspect/` under a stable name:

- `hung.log`: two tasks run concurrently (`triage` with 2 epochs, `patch`),
  so records carry `task=T sample=N epoch=E`. Tools echo, raise, hang in a
  `sleep 600` subprocess or in `asyncio.sleep(600)`; the process is killed
  with SIGKILL once every hang has begun, so those actions stay running and
  the file stays `.log`.
- `cancelled.log.gz`: the same two-task eval interrupted with SIGINT; Inspect
  records `cancel` for the hung actions and gzips the file at exit.
- `interrupted.log.gz`: a one-task eval interrupted with SIGINT (the
  `sample=N` prefix form); cancels, an error, a timeout.
- `mixed.log.gz`: a one-task eval that finishes normally against the OpenAI
  provider pointed at a fake OpenAI server on 127.0.0.1 (so HTTP records,
  a 429 and its retry are real), with a subprocess timeout, raising tools
  (error records with stack traces), custom actions and messages through
  `trace_action`/`trace_message` on a logger under `inspect_ai.`, and a
  WARNING. Gzipped by Inspect at exit.

Models: `mockllm/model` with a callable that reads the sample's plan from its
first user message and answers one tool call per step (usage set, so no
tokenizer download), and `openai/gpt-4o-mini` against the fake server.

Inspect's own answers go to `inspect/expected/`: `<name>.anomalies.json`
(`inspect trace anomalies --all --json`; running ages are measured to the
`as_of` in that JSON), `<name>.dump.json` (`inspect trace dump`) and
`mixed.http.json` (`inspect trace http --json`).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "inspect")
EXPECTED = os.path.join(OUT, "expected")

# Plans: the steps each sample's tool calls run, one per model turn.
# "fail" raises in the tool, "timeout" runs `sleep 5` with timeout=1,
# "approve" hangs in asyncio.sleep(600), "sleep 600" hangs in a subprocess.
HUNG_TASKS = {
    "triage": {"epochs": 2, "plans": [
        ["echo checking logs", "sleep 600"],
        ["echo reading config", "fail", "echo retry"],
        ["echo fetching ticket", "approve"],
    ]},
    "patch": {"epochs": 1, "plans": [
        ["echo applying patch", "echo running tests"],
        ["echo building", "sleep 600"],
    ]},
}
INTERRUPTED_TASKS = {
    "hang": {"epochs": 1, "plans": [
        ["echo hello", "echo hello"],
        ["echo hello", "fail"],
        ["timeout", "echo hello"],
        ["echo hello", "sleep 600"],
        ["sleep 600"],
    ]},
}
MIXED_TASKS = {
    "research": {"epochs": 1, "plans": [
        ["fetch https://example.org/a", "echo summarise"],
        ["timeout", "echo after timeout"],
        ["fetch https://example.org/missing", "fail"],
        ["echo one", "echo two", "echo three"],
    ]},
}
SCENARIOS = {
    # name: (tasks, model, signal or None, file name, hangs to wait for)
    "hung": (HUNG_TASKS, "mockllm", signal.SIGKILL, "hung.log", 5),
    "cancelled": (HUNG_TASKS, "mockllm", signal.SIGINT, "cancelled.log.gz", 5),
    "interrupted": (INTERRUPTED_TASKS, "mockllm", signal.SIGINT, "interrupted.log.gz", 2),
    "mixed": (MIXED_TASKS, "openai", None, "mixed.log.gz", 0),
}


# -- the eval (runs in a child process) ---------------------------------------------


def plan_of(messages) -> list[str]:
    """The plan is the first user message: `steps: a | b | c`."""
    for m in messages:
        role = m["role"] if isinstance(m, dict) else m.role
        if role == "user":
            text = m["content"] if isinstance(m, dict) else m.text
            if isinstance(text, list):
                text = " ".join(p.get("text", "") for p in text if isinstance(p, dict))
            return [s.strip() for s in text.split("steps:", 1)[1].split("|")]
    return []


def next_step(messages) -> str | None:
    done = sum(1 for m in messages if (m["role"] if isinstance(m, dict) else m.role) == "tool")
    plan = plan_of(messages)
    return plan[done] if done < len(plan) else None


def run_eval(name: str, log_dir: str) -> None:
    import asyncio
    import logging

    from inspect_ai import Task, eval
    from inspect_ai.dataset import Sample
    from inspect_ai.model import ModelOutput, ModelUsage, get_model
    from inspect_ai.solver import generate, use_tools
    from inspect_ai.tool import tool
    from inspect_ai.util import subprocess as inspect_subprocess
    from inspect_ai.util import trace_action, trace_message

    tasks_spec, model_kind, _, _, _ = SCENARIOS[name]
    logger = logging.getLogger("inspect_ai.sample_tools")

    @tool
    def bash():
        async def execute(cmd: str):
            """Run a shell command.

            Args:
                cmd: the command
            """
            if cmd == "fail":
                raise RuntimeError("tool failed on purpose")
            if cmd == "timeout":
                r = await inspect_subprocess(["sleep", "5"], timeout=1)
                return r.stdout
            if cmd == "approve":
                await asyncio.sleep(600)  # waits for a human who never comes
                return "approved"
            if cmd.startswith("fetch "):
                url = cmd.split(" ", 1)[1]
                trace_message(logger, "Cache", f"lookup {url}: miss")
                with trace_action(logger, "Fetch", f"GET {url}"):
                    await asyncio.sleep(0.2)
                    if url.endswith("missing"):
                        logger.warning(f"fetch of {url} returned 404")
                        raise FileNotFoundError(f"404 for {url}")
                with trace_action(logger, "Parse", url):
                    await asyncio.sleep(0.05)
                return f"contents of {url}"
            r = await inspect_subprocess(["bash", "-c", cmd])
            return r.stdout
        return execute

    def usage(o):
        o.usage = ModelUsage(input_tokens=12, output_tokens=6, total_tokens=18)
        return o

    def mock_outputs(input, tools, tool_choice, config):
        step = next_step([{"role": m.role, "content": m.text} for m in input])
        if step is None:
            return usage(ModelOutput.from_content("mockllm/model", "done"))
        return usage(ModelOutput.for_tool_call("mockllm/model", "bash", {"cmd": step}))

    if model_kind == "mockllm":
        model = get_model("mockllm/model", custom_outputs=mock_outputs)
    else:
        model = get_model("openai/gpt-4o-mini", responses_api=False)

    tasks = [
        Task(name=task_name,
             dataset=[Sample(id=i + 1, input="steps: " + " | ".join(plan), target="done")
                      for i, plan in enumerate(spec["plans"])],
             solver=[use_tools(bash()), generate()], epochs=spec["epochs"])
        for task_name, spec in tasks_spec.items()
    ]
    eval(tasks if len(tasks) > 1 else tasks[0], model=model, log_dir=log_dir, display="none",
         max_tasks=len(tasks), max_samples=10, max_subprocesses=10, fail_on_error=False)


# -- a fake OpenAI chat completions server (for HTTP records) ----------------------


class FakeOpenAI(BaseHTTPRequestHandler):
    """Answers /v1/chat/completions from the plan; the first request gets a 429."""

    requests = 0
    lock = threading.Lock()

    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        with FakeOpenAI.lock:
            FakeOpenAI.requests += 1
            n = FakeOpenAI.requests
        if n == 1:
            self._send(429, {"error": {"message": "Rate limit reached", "type": "requests",
                                       "code": "rate_limit_exceeded"}}, {"retry-after": "1"})
            return
        step = next_step(body.get("messages", []))
        if step is None:
            message = {"role": "assistant", "content": "done"}
            finish = "stop"
        else:
            message = {"role": "assistant", "content": None, "tool_calls": [{
                "id": f"call_{n}", "type": "function",
                "function": {"name": "bash", "arguments": json.dumps({"cmd": step})}}]}
            finish = "tool_calls"
        self._send(200, {
            "id": f"chatcmpl-{n}", "object": "chat.completion", "created": int(time.time()),
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": {"prompt_tokens": 40 + 10 * n, "completion_tokens": 9, "total_tokens": 49 + 10 * n},
        })

    def _send(self, status, payload, headers=None):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


# -- the driver ---------------------------------------------------------------------


def progress(trace_dir: str) -> tuple[int, int]:
    """How many hanging actions (sleep 600 subprocesses, approvals) have
    begun, and how many subprocess timeouts have been recorded."""
    hangs = timeouts = 0
    for path in glob.glob(os.path.join(trace_dir, "trace-*.log")):
        with open(path, errors="replace") as f:
            for line in f:
                if '"event": "enter"' in line and ("sleep 600" in line and '"Subprocess"' in line
                                                   or "cmd='approve'" in line):
                    hangs += 1
                elif '"event": "timeout"' in line and '"Subprocess"' in line:
                    timeouts += 1
    return hangs, timeouts


def expected_timeouts(tasks: dict) -> int:
    return sum(spec["epochs"] * sum(plan.count("timeout") for plan in spec["plans"])
               for spec in tasks.values())


def make(name: str, inspect_cli: str) -> str:
    tasks, model_kind, sig, file_name, hangs = SCENARIOS[name]
    with tempfile.TemporaryDirectory() as work:
        trace_dir = os.path.join(work, "xdg", "inspect_ai", "traces")
        env = dict(os.environ, XDG_DATA_HOME=os.path.join(work, "xdg"), PYTHONUNBUFFERED="1")
        env.pop("INSPECT_TRACE_FILE", None)
        server = None
        if model_kind == "openai":
            server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            env.update(OPENAI_BASE_URL=f"http://127.0.0.1:{server.server_address[1]}/v1",
                       OPENAI_API_KEY="sk-fake-for-local-server")
        # A child started from a non-interactive shell inherits SIGINT ignored:
        # restore the default so SIGINT reaches Inspect as a KeyboardInterrupt.
        proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--eval", name,
                                 os.path.join(work, "logs")], env=env,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        if sig is not None:
            # Signal once every hang has begun and every timeout has fired.
            want = (hangs, expected_timeouts(tasks))
            deadline = time.time() + 90
            reached = lambda: all(a >= b for a, b in zip(progress(trace_dir), want))  # noqa: E731
            while not reached() and time.time() < deadline:
                time.sleep(0.2)
            if not reached():
                proc.kill()
                raise SystemExit(f"{name}: (hangs, timeouts) reached {progress(trace_dir)}, not {want}")
            time.sleep(1.5)
            proc.send_signal(sig)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if server is not None:
            server.shutdown()
        time.sleep(0.5)
        files = glob.glob(os.path.join(trace_dir, "trace-*"))
        if len(files) != 1:
            raise SystemExit(f"{name}: expected one trace file, found {files}")
        src = files[0]
        if src.endswith(".gz") != file_name.endswith(".gz"):
            raise SystemExit(f"{name}: Inspect left {os.path.basename(src)}, wanted {file_name}")
        target = os.path.join(OUT, file_name)
        shutil.copyfile(src, target)
    save_expected(name, target, inspect_cli)
    return target


def save_expected(name: str, path: str, inspect_cli: str) -> None:
    os.makedirs(EXPECTED, exist_ok=True)

    def run(*args: str) -> str:
        return subprocess.run([inspect_cli, "trace", *args], capture_output=True, text=True,
                              check=True).stdout

    with open(os.path.join(EXPECTED, f"{name}.anomalies.json"), "w") as f:
        f.write(run("anomalies", "--all", "--json", path))
    dump = json.loads(run("dump", path))
    with open(os.path.join(EXPECTED, f"{name}.dump.json"), "w") as f:
        json.dump(dump, f, indent=1)
        f.write("\n")
    if name == "mixed":
        with open(os.path.join(EXPECTED, "mixed.http.json"), "w") as f:
            f.write(run("http", "--json", path))


def main() -> None:
    global OUT, EXPECTED
    if len(sys.argv) == 4 and sys.argv[1] == "--eval":
        run_eval(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS), default=sorted(SCENARIOS))
    parser.add_argument("--out", default=OUT, help="folder for the traces (default: inspect/)")
    args = parser.parse_args()
    OUT, EXPECTED = args.out, os.path.join(args.out, "expected")
    inspect_cli = os.path.join(os.path.dirname(sys.executable), "inspect")
    os.makedirs(OUT, exist_ok=True)
    for name in args.only:
        path = make(name, inspect_cli)
        with open(os.path.join(EXPECTED, f"{name}.anomalies.json")) as f:
            a = json.load(f)
        print(f"{os.path.relpath(path, HERE)}: {os.path.getsize(path)} bytes; running "
              f"{len(a['running'])}, cancelled {len(a['cancelled'])}, errors {len(a['errors'])}, "
              f"timeouts {len(a['timeouts'])}")


if __name__ == "__main__":
    main()
