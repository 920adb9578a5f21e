#!/usr/bin/env python3
"""Deterministic generator of Inspect AI trace logs, at any size.

    python bench/gen_inspect.py OUT --lines N [--seed S] [--gzip] [--open K]

Writes exactly N JSON lines shaped like the records Inspect's trace logger
(`inspect_ai._util.trace.TraceFormatter`) writes: same keys, same key order,
`json.dumps` default separators, ASCII-escaped strings.  The simulated eval
runs several tasks and epochs with many samples in flight at once; each sample
calls its model (attempts that hit a 429/500 record an `error` and are retried
under a new trace id), runs tools (`Tool Call` with a nested `Subprocess`,
mostly `docker compose ... exec`), writes its log, and is scored.  Actions
outside samples (`Run Task`, `Log Write`) and non-action records (HTTP, plain
TRACE messages, INFO/WARNING) are mixed in.  About 1% of actions error (with a
Python traceback in `stacktrace`), some tool calls time out after ~3 s, and
some samples are cancelled mid-action.  The file ends with the eval hung:
exactly K actions are never closed (the `Run Task` of each task, `Tool Call` +
`Subprocess: ... sleep 600` pairs and `Model` calls), so `inspect trace
anomalies` reports exactly K running actions.

Same arguments -> byte-identical output (gzip included).  Stdlib only.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gzip
import heapq
import json
import os
import queue
import shlex
import sys
import random
import threading
import time

# --------------------------------------------------------------------------
# small helpers

_SHORTUUID = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
DEFAULT_START = 1795412244  # 2026-11-23T05:37:24Z


def enc(s: str) -> str:
    """A string JSON-encoded as json.dumps would, without the quotes."""
    return json.dumps(s)[1:-1]


def format_function_call(name: str, args: dict, indent_spaces: int = 4, width: int = 1000) -> str:
    """inspect_ai._util.format.format_function_call (as used for Tool Call details)."""
    parts = []
    for key, value in args.items():
        if isinstance(value, str):
            v = f"'{value}'"
        else:
            v = str(value)
        parts.append(f"{key}={v}")
    args_str = ", ".join(parts)
    if len(args_str) <= width - 1 - len(name) - 2:
        return f"{name}({args_str})"
    pad = " " * indent_spaces
    body = ",\n".join(parts)
    body = "\n".join(pad + ln if ln else ln for ln in body.split("\n"))
    return f"{name}(\n{body}\n)"


class _Stop(Exception):
    """Raised inside a sample when the eval winds down (hangs)."""


# --------------------------------------------------------------------------
# vocabulary

_REPOS = [
    ("django", "django", ["django/db/models/query.py", "django/db/models/sql/query.py",
                          "django/forms/models.py", "django/http/request.py",
                          "django/db/migrations/autodetector.py", "django/utils/http.py",
                          "django/contrib/admin/options.py", "django/core/management/base.py"],
     ["tests/queries/tests.py", "tests/migrations/test_autodetector.py",
      "tests/forms_tests/tests/test_forms.py", "tests/utils_tests/test_http.py"],
     ["bulk_create", "_parse_header", "get_prep_value", "RenameIndex", "resolve_expression",
      "parse_http_date", "formfield_for_foreignkey", "generate_altered_fields"]),
    ("sympy", "sympy", ["sympy/core/expr.py", "sympy/simplify/simplify.py",
                        "sympy/printing/latex.py", "sympy/matrices/dense.py",
                        "sympy/solvers/solveset.py"],
     ["sympy/core/tests/test_expr.py", "sympy/printing/tests/test_latex.py",
      "sympy/solvers/tests/test_solveset.py"],
     ["_print_Pow", "as_coeff_Mul", "nsimplify", "_eval_is_zero", "solveset_real"]),
    ("astropy", "astropy", ["astropy/io/fits/card.py", "astropy/units/quantity.py",
                            "astropy/modeling/separable.py", "astropy/table/table.py"],
     ["astropy/io/fits/tests/test_card.py", "astropy/modeling/tests/test_separable.py"],
     ["_format_float", "separability_matrix", "_cstack", "Card.fromstring"]),
    ("scikit-learn", "sklearn", ["sklearn/linear_model/_ridge.py", "sklearn/utils/validation.py",
                                 "sklearn/model_selection/_split.py", "sklearn/pipeline.py"],
     ["sklearn/linear_model/tests/test_ridge.py", "sklearn/utils/tests/test_validation.py"],
     ["check_array", "RidgeClassifierCV", "_check_sample_weight", "StratifiedKFold"]),
    ("matplotlib", "lib/matplotlib", ["lib/matplotlib/axes/_base.py", "lib/matplotlib/colors.py",
                                      "lib/matplotlib/figure.py", "lib/matplotlib/legend.py"],
     ["lib/matplotlib/tests/test_axes.py", "lib/matplotlib/tests/test_colors.py"],
     ["set_xlim", "LogNorm", "get_tightbbox", "_update_title_position"]),
    ("pytest-dev", "src/_pytest", ["src/_pytest/assertion/rewrite.py", "src/_pytest/python.py",
                                   "src/_pytest/fixtures.py", "src/_pytest/logging.py"],
     ["testing/test_assertrewrite.py", "testing/python/fixtures.py"],
     ["rewrite_asserts", "getfixturevalue", "_idval", "LogCaptureFixture"]),
]

_SWE_REPOS = [("django", "django"), ("sympy", "sympy"), ("astropy", "astropy"),
              ("scikit-learn", "scikit-learn"), ("matplotlib", "matplotlib"), ("pytest-dev", "pytest")]
_REPO_BY_ORG = {r[0]: r for r in _REPOS}

_CTF_CMDS = [
    "ls -la /root/challenge",
    "file /root/challenge/chall && checksec --file=/root/challenge/chall",
    "strings -n 8 /root/challenge/chall | grep -i -E 'flag|picoCTF|key' | head -n 20",
    "curl -s -i http://victim:8080/login -d 'username=admin&password=admin' -H 'User-Agent: Mozilla/5.0'",
    "nmap -sV -p 1-10000 --min-rate 2000 victim",
    "gdb -batch -ex 'disassemble main' /root/challenge/chall | head -n 80",
    "python3 -c 'import base64; print(base64.b64decode(\"cGljb0NURntiYXNlNjRfbjNfZDNjMGQzfQ==\"))'",
    "binwalk -e /root/challenge/firmware.bin && ls -la _firmware.bin.extracted",
    "objdump -d /root/challenge/chall -M intel | grep -A 30 '<vuln>:'",
    "cat /root/challenge/server.py",
    "exiftool /root/challenge/image.png",
    "sqlmap -u 'http://victim:8080/item?id=1' --batch --level 2 --dump",
]

_GAIA_QUERIES = [
    "population of the largest city in Oceania by area 2021 census",
    "Mercedes Sosa studio albums released between 2000 and 2009",
    "number of pages in the 1979 first edition of The Hitchhiker's Guide",
    "BASE search engine DDC 633 unknown language article 2020 flag",
    "USGS nonnative species clownfish zip codes before 2020",
    "Nature journal 2020 articles count statistical significance p-value 0.04",
    "Yankee player most walks 1977 regular season at bats",
]

_PY_SNIPPETS = [
    "import pandas as pd\nprint(pd.read_csv('data.csv').describe())",
    "print(bytes.fromhex('7069636f4354467b').decode())",
    "from pwn import *\nr = remote('victim', 1337)\nr.sendline(b'A' * 72 + p64(0x401256))\nprint(r.recvall())",
    "import re\nprint(re.findall(r'picoCTF\\{[^}]+\\}', open('output.txt').read()))",
    "import json\nprint(len(json.load(open('results.json'))))",
]

_ANSWERS = ["B", "C", "picoCTF{b4s3_64_n0t_3ncrypt10n}", "42", "Wellington", "3", "FINAL ANSWER: 17",
            "The patch is complete; tests pass."]

# (error_type, error, traceback tail frames, exception line)
_TB_HEAD = "Traceback (most recent call last):\n"
_SITE = "/home/eval/.venv/lib/python3.12/site-packages"
_TRACE_FRAME = (f'  File "{_SITE}/inspect_ai/_util/trace.py", line 81, in trace_action\n'
                "    yield\n")


def _model_tb(exc_mod: str, etype: str, err: str, sdk: str) -> str:
    return (_TB_HEAD + _TRACE_FRAME
            + f'  File "{_SITE}/inspect_ai/model/_model.py", line 1617, in _generate\n'
              "    output = await self.api.generate(\n"
              "             ^^^^^^^^^^^^^^^^^^^^^^^^\n"
            + f'  File "{_SITE}/inspect_ai/model/_providers/{sdk}.py", line 412, in generate\n'
              "    response = await self.client.chat.completions.create(**request)\n"
              "               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
            + f'  File "{_SITE}/{exc_mod}/_base_client.py", line 1594, in request\n'
              "    raise self._make_status_error_from_response(err.response) from None\n"
            + f"{exc_mod}.{etype}: {err}\n")


def _tool_tb(etype: str, err: str, qual: str, frames: str) -> str:
    return (_TB_HEAD + _TRACE_FRAME
            + f'  File "{_SITE}/inspect_ai/model/_call_tools.py", line 862, in call_tool\n'
              "    result: ToolResult = await tool_def.tool(**arguments)\n"
              "                         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
            + frames + f"{qual}{etype}: {err}\n")


_ERR_RATE_LIMIT = {
    "openai": ("RateLimitError",
               "Error code: 429 - {'error': {'message': 'Rate limit reached for {M} in organization org-9sQ4tWz0YbXk2LpR on tokens per min (TPM): Limit 30000000, Used 29984122, Requested 21044. Please try again in 10ms.', 'type': 'tokens', 'param': None, 'code': 'rate_limit_exceeded'}}",
               "openai", "openai_responses"),
    "anthropic": ("RateLimitError",
                  "Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'This request would exceed the rate limit for your organization of 4,000,000 output tokens per minute.'}}",
                  "anthropic", "anthropic"),
    "google": ("ClientError",
               "429 RESOURCE_EXHAUSTED. {'error': {'code': 429, 'message': 'Resource has been exhausted (e.g. check quota).', 'status': 'RESOURCE_EXHAUSTED'}}",
               "google.genai", "google"),
}
_ERR_SERVER = {
    "openai": ("InternalServerError",
               "Error code: 500 - {'error': {'message': 'The server had an error while processing your request. Sorry about that!', 'type': 'server_error', 'param': None, 'code': None}}",
               "openai", "openai_responses"),
    "anthropic": ("InternalServerError",
                  "Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}}",
                  "anthropic", "anthropic"),
    "google": ("ServerError",
               "503 UNAVAILABLE. {'error': {'code': 503, 'message': 'The model is overloaded. Please try again later.', 'status': 'UNAVAILABLE'}}",
               "google.genai", "google"),
}
_ERR_FATAL = {
    "openai": ("BadRequestError",
               "Error code: 400 - {'error': {'message': \"This model's maximum context length is 128000 tokens. However, your messages resulted in 131884 tokens (129112 in the messages, 2772 in the functions). Please reduce the length of the messages or functions.\", 'type': 'invalid_request_error', 'param': 'messages', 'code': 'context_length_exceeded'}}",
               "openai", "openai_responses"),
    "anthropic": ("BadRequestError",
                  "Error code: 400 - {'type': 'error', 'error': {'type': 'invalid_request_error', 'message': 'prompt is too long: 204719 tokens > 200000 maximum'}}",
                  "anthropic", "anthropic"),
    "google": ("ClientError",
               "400 INVALID_ARGUMENT. {'error': {'code': 400, 'message': 'The input token count (1130512) exceeds the maximum number of tokens allowed (1048576).', 'status': 'INVALID_ARGUMENT'}}",
               "google.genai", "google"),
}

_TOOL_ERRORS = [
    ("ToolError", "File already exists at: /testbed/reproduce_issue.py. Cannot overwrite files using command `create`.",
     "inspect_ai.tool._tool.",
     f'  File "{_SITE}/inspect_ai/tool/_tools/_text_editor.py", line 171, in execute\n'
     "    raise ToolError(result.error)\n"),
    ("ToolError", "No replacement was performed, old_str `        return self._result_cache` did not appear verbatim in /testbed/django/db/models/query.py.",
     "inspect_ai.tool._tool.",
     f'  File "{_SITE}/inspect_ai/tool/_tools/_text_editor.py", line 171, in execute\n'
     "    raise ToolError(result.error)\n"),
    ("ToolParsingError", "Found 1 validation errors parsing tool input arguments:\n- 'command' is a required property",
     "inspect_ai.tool._tool.",
     f'  File "{_SITE}/inspect_ai/model/_call_tools.py", line 831, in call_tool\n'
     "    raise await record_tool_parsing_error(validation_errors)\n"),
    ("UnicodeDecodeError", "'utf-8' codec can't decode byte 0x89 in position 0: invalid start byte",
     "",
     f'  File "{_SITE}/inspect_ai/util/_sandbox/docker/docker.py", line 402, in read_file\n'
     "    return contents.decode('utf-8')\n"
     "           ^^^^^^^^^^^^^^^^^^^^^^^^\n"),
]
_SUBPROC_ERRORS = [
    ("OutputLimitExceededError", "The command output exceeded the limit of 10 MiB.",
     "inspect_ai.util._subprocess.",
     f'  File "{_SITE}/inspect_ai/util/_subprocess.py", line 379, in subprocess\n'
     "    return await run_command_timeout()\n"
     "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
     f'  File "{_SITE}/inspect_ai/util/_subprocess.py", line 301, in run_command\n'
     "    raise OutputLimitExceededError(limit_str=limit_str, truncated_output=stdout)\n"),
    ("RuntimeError", "Container 'default' is not running (exit code 137: OOMKilled).",
     "",
     f'  File "{_SITE}/inspect_ai/util/_sandbox/docker/compose.py", line 492, in compose_command\n'
     "    raise RuntimeError(diagnose_dead_service(project, service))\n"),
]


# --------------------------------------------------------------------------
# tasks

class Task:
    def __init__(self, name, model, provider, url, sandbox, workdir, tools, turns, ids_kind, weight):
        self.name = name
        self.weight = weight
        self.model = model
        self.provider = provider
        self.url = url
        self.sandbox = sandbox  # "docker" | "local" | None
        self.workdir = workdir
        self.tools = tools      # list of (weight, kind)
        self.turns = turns
        self.ids_kind = ids_kind
        self.proj = name.lower().replace("_", "-")[:12].rstrip("_")
        self.gen_detail = enc(f"generate ({model})")
        self.run_detail = enc(f"task: {name} ({model})")
        self.log_file = ""
        self.log_detail = ""
        self.queue: list = []
        self.qpos = 0
        self.epochs = 1
        self.multi_task = False


_TASK_POOL = [
    dict(name="swe_bench", model="anthropic/claude-sonnet-4-0",
         provider="anthropic", url="https://api.anthropic.com/v1/messages",
         sandbox="docker", workdir="/testbed",
         tools=[(60, "bash"), (28, "text_editor"), (7, "python"), (5, "think")],
         turns=(6, 45), ids_kind="swe", weight=2),
    dict(name="intercode_ctf", model="openai/gpt-4o",
         provider="openai", url="https://api.openai.com/v1/responses",
         sandbox="docker", workdir="/tmp",
         tools=[(70, "ctf"), (25, "python"), (5, "think")], turns=(3, 30), ids_kind="int", weight=2),
    dict(name="mmlu_pro", model="openai/gpt-4.1-mini",
         provider="openai", url="https://api.openai.com/v1/responses",
         sandbox=None, workdir="", tools=[], turns=(1, 2), ids_kind="int", weight=10),
    dict(name="gaia", model="google/gemini-2.5-pro",
         provider="google",
         url="https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent",
         sandbox="local", workdir="/root",
         tools=[(40, "web_search"), (30, "python"), (30, "ctf_local")], turns=(3, 25), ids_kind="uuid", weight=2),
]


# --------------------------------------------------------------------------
# output (a writer thread, so gzip/zlib and disk I/O overlap generation)

class Sink:
    def __init__(self, path: str, gz: bool, level: int):
        self.raw = open(path, "wb")
        self.f = (gzip.GzipFile(filename="", mode="wb", compresslevel=level,
                                fileobj=self.raw, mtime=0) if gz else self.raw)
        self.q: queue.Queue = queue.Queue(maxsize=8)
        self.err: BaseException | None = None
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        try:
            while True:
                b = self.q.get()
                if b is None:
                    break
                self.f.write(b)
        except BaseException as ex:  # surfaced in close()
            self.err = ex
            while self.q.get() is not None:
                pass

    def put(self, data: bytes):
        self.q.put(data)

    def close(self):
        self.q.put(None)
        self.t.join()
        if self.f is not self.raw:
            self.f.close()
        self.raw.close()
        if self.err:
            raise self.err


# --------------------------------------------------------------------------
# the simulation

class Worker:
    __slots__ = ("task", "hang", "alive")

    def __init__(self, task):
        self.task = task
        self.hang = None
        self.alive = True


class Generator:
    FLUSH_LINES = 16384

    def __init__(self, n_lines, seed, n_open, n_tasks, epochs, samples, start, sink):
        self.N = n_lines
        self.K = n_open
        self.rng = random.Random(seed)
        self.r = self.rng.random
        self.sink = sink
        self.buf: list[str] = []
        self.count = 0
        self.now = int(start * 1_000_000) + int(self.r() * 1_000_000)
        self._ts_sec = -1
        self._ts_pfx = ""
        self.heap: list = []
        self.seq = 0
        self.winding = False
        self.workers: list[Worker] = []
        self.epochs = epochs

        # run shape
        rng = self.rng
        pool = [dict(t) for t in _TASK_POOL]
        chosen = pool[:n_tasks]
        self.tasks = [Task(**t) for t in chosen]
        multi_task = len(self.tasks) > 1
        stamp = _dt.datetime.fromtimestamp(start, _dt.timezone.utc).strftime("%Y-%m-%dT%H-%M-%S-00-00")
        if samples is None:
            samples = max(8, min(150, n_lines // 400))
        self.n_samples = samples
        # the dataset is drawn in blocks of fresh sample ids, each block run for
        # every epoch, so a file of any size never repeats a (sample, epoch)
        for t in self.tasks:
            t.epochs = epochs
            t.block = 50 if t.tools else 200
            t.next_int = 1
            t.seen = set()
            t.log_file = f"/data/logs/{stamp}_{t.name.replace('_', '-')}_{self._tid()}.eval"
            t.log_detail = enc(t.log_file)
            t.multi_task = multi_task

    # ---- ids, clock, formatting

    def next_sample(self, task):
        if task.qpos >= len(task.queue):
            ids = self._make_ids(task, task.block)
            task.queue = [(sid, e) for e in range(1, task.epochs + 1) for sid in ids]
            task.qpos = 0
        s = task.queue[task.qpos]
        task.qpos += 1
        return s

    def _make_ids(self, task, n):
        rng = self.rng
        kind = task.ids_kind
        if kind == "int":
            out = list(range(task.next_int, task.next_int + n))
            task.next_int += n
            return out
        out = []
        while len(out) < n:
            if kind == "uuid":
                h = "%032x" % rng.getrandbits(128)
                sid = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"
            else:
                org, repo = rng.choice(_SWE_REPOS)
                sid = f"{org}__{repo}-{rng.randint(10000, 99999 if len(task.seen) > 40000 else 29999)}"
            if sid not in task.seen:
                task.seen.add(sid)
                out.append(sid)
        return out

    def _tid(self):
        return "".join(self.rng.choices(_SHORTUUID, k=22))

    def _ts(self, us):
        sec, frac = divmod(us, 1_000_000)
        if sec != self._ts_sec:
            self._ts_sec = sec
            self._ts_pfx = _dt.datetime.fromtimestamp(sec, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        if frac:
            return f"{self._ts_pfx}.{frac:06d}+00:00"
        return f"{self._ts_pfx}+00:00"

    def _emit(self, line):
        buf = self.buf
        buf.append(line)
        self.count += 1
        if len(buf) >= self.FLUSH_LINES:
            self.flush()

    def flush(self):
        if self.buf:
            self.sink.put("".join(self.buf).encode())
            self.buf = []

    def _tick(self):
        self.now += 2 + int(self.r() * 90)
        return self.now

    def ctx(self, task, sid, epoch):
        parts = [f"sample={sid}"]
        if task.multi_task:
            parts.insert(0, f"task={task.name}")
        if self.epochs > 1:
            parts.append(f"epoch={epoch}")
        pfx = enc(" ".join(parts) + "\n")
        tail = f', "task": {json.dumps(task.name)}, "sample_id": {json.dumps(sid)}, "epoch": {epoch}'
        return (pfx, tail)

    NOCTX = ("", "")

    # ---- records

    def enter(self, ctx, ea, ed):
        now = self._tick()
        tid = "".join(self.rng.choices(_SHORTUUID, k=22))
        start = (now - 3 - self.r() * 40) / 1e6
        pfx, tail = ctx
        self._emit(f'{{"timestamp": "{self._ts(now)}", "level": "TRACE", "message": "{pfx}{ea}: {ed} (enter)", '
                   f'"action": "{ea}", "detail": "{ed}", "event": "enter", "trace_id": "{tid}", '
                   f'"start_time": {start!r}{tail}}}\n')
        return (ea, ed, pfx, tail, tid, start)

    def close(self, a, ev="exit", err=""):
        now = self._tick()
        ea, ed, pfx, tail, tid, start = a
        dur = now / 1e6 - start - (1 + self.r() * 25) / 1e6
        self._emit(f'{{"timestamp": "{self._ts(now)}", "level": "TRACE", "message": "{pfx}{ea}: {ed} ({ev})", '
                   f'"action": "{ea}", "detail": "{ed}", "event": "{ev}", "trace_id": "{tid}", '
                   f'"duration": {dur!r}{err}{tail}}}\n')

    def log(self, ctx, level, msg, module, func, line, extra=""):
        now = self._tick()
        pfx, tail = ctx
        self._emit(f'{{"timestamp": "{self._ts(now)}", "level": "{level}", "message": "{pfx}{msg}", '
                   f'"module": "{module}", "function": "{func}", "line": {line}{extra}{tail}}}\n')

    def trace(self, ctx, msg):
        now = self._tick()
        pfx, tail = ctx
        self._emit(f'{{"timestamp": "{self._ts(now)}", "level": "TRACE", "message": "{pfx}{msg}"{tail}}}\n')

    def http(self, ctx, url, status):
        reason = {200: "OK", 400: "Bad Request", 429: "Too Many Requests",
                  500: "Internal Server Error", 503: "Service Unavailable"}[status]
        self.log(ctx, "HTTP", f'POST {url} \\"HTTP/1.1 {status} {reason}\\" ', "hooks", "response_hook", 429)

    @staticmethod
    def err_fields(etype, err, stack):
        return f', "error": {json.dumps(err)}, "error_type": "{etype}", "stacktrace": {json.dumps(stack)}'

    # ---- durations (µs)

    def secs(self, mu, sigma=0.8, lo=0.001, hi=600.0):
        v = self.rng.lognormvariate(mu, sigma)
        return int(min(hi, max(lo, v)) * 1_000_000)

    def ms(self, a, b):
        return int((a + self.r() * (b - a)) * 1000)

    # ---- tool vocabulary

    def _sandbox_cmd(self, task, proj, cmd, timeout=None, stdin_tool=None):
        if task.sandbox == "docker":
            base = ["docker", "compose", "--project-name", proj,
                    "exec", "--workdir", task.workdir, "default"]
        else:
            base = []
        inner = stdin_tool if stdin_tool else ["bash", "--login", "-c", cmd]
        if timeout is not None:
            inner = ["/usr/bin/timeout", "-k", "5s", f"{timeout}s"] + inner
        return shlex.join(base + inner)

    def tool_call(self, task, proj, sid):
        """(tool detail, subprocess detail or None, http url or None)."""
        rng = self.rng
        tot = sum(w for w, _ in task.tools)
        x = self.r() * tot
        for w, kind in task.tools:
            x -= w
            if x < 0:
                break
        if kind in ("bash", "text_editor", "python") and task.ids_kind == "swe":
            repo = _REPO_BY_ORG[sid.split("__")[0]]
            _, pkg, files, tests, syms = repo
            path = f"/testbed/{rng.choice(files)}"
        if kind == "bash":
            c = self.r()
            rel = path[len("/testbed/"):]
            if c < 0.22:
                cmd = f'grep -rn "{rng.choice(syms)}" {pkg} | head'
            elif c < 0.40:
                a = rng.randint(1, 1800)
                cmd = f"sed -n '{a},{a + rng.choice((40, 60, 80, 120))}p' {rel}"
            elif c < 0.60:
                cmd = f"python -m pytest {rng.choice(tests)} -x -q 2>&1 | tail -n 30"
            elif c < 0.70:
                cmd = "git diff"
            elif c < 0.80:
                cmd = f"ls {rel.rsplit('/', 1)[0]}"
            elif c < 0.85:
                s = rng.choice(syms).split(".")[-1]
                cmd = (f"cat > repro.py << 'EOF'\nfrom {rel[:-3].replace('/', '.')} import *\n"
                       f"print({s}(1, 2))\nEOF\npython repro.py")
            else:
                cmd = "python repro.py"
            det = format_function_call("bash", {"command": cmd})
            sub = self._sandbox_cmd(task, proj, cmd)
            return det, sub, None
        if kind == "text_editor":
            c = self.r()
            if c < 0.6:
                a = rng.randint(1, 1500)
                det = format_function_call("text_editor", {"command": "view", "path": path,
                                                           "view_range": [a, a + rng.choice((30, 50, 100))]})
            elif c < 0.9:
                det = format_function_call("text_editor", {
                    "command": "str_replace", "path": path,
                    "old_str": f"        if value is None:\n            return value",
                    "new_str": "        if value is None or value == '':\n            return None"})
            else:
                det = format_function_call("text_editor", {"command": "create", "path": "/testbed/reproduce_issue.py",
                                                           "file_text": f"import {pkg.split('/')[-1]}\nprint({pkg.split('/')[-1]}.__version__)\n"})
            sub = self._sandbox_cmd(task, proj, None,
                                    stdin_tool=["/var/tmp/.da7be258e003d428/inspect-sandbox-tools", "exec"])
            return det, sub, None
        if kind == "python":
            code = rng.choice(_PY_SNIPPETS) if task.ids_kind != "swe" else (
                f"import subprocess\nprint(subprocess.run(['git', 'log', '--oneline', '-n', '5'], cwd='/testbed', capture_output=True, text=True).stdout)")
            det = format_function_call("python", {"code": code})
            sub = self._sandbox_cmd(task, proj, "python3 -")
            return det, sub, None
        if kind == "think":
            det = format_function_call("think", {"thought": "The failing test hits the empty-input case; handle it before the converter, then re-run the test."})
            return det, None, None
        if kind in ("ctf", "ctf_local"):
            cmd = rng.choice(_CTF_CMDS)
            det = format_function_call("bash", {"command": cmd})
            return det, self._sandbox_cmd(task, proj, cmd), None
        if kind == "web_search":
            q = rng.choice(_GAIA_QUERIES)
            return format_function_call("web_search", {"query": q}), None, "https://api.tavily.com/search"
        raise AssertionError(kind)

    # ---- processes

    def spawn(self, gen, delay=0):
        self.seq += 1
        heapq.heappush(self.heap, (self.now + delay, self.seq, gen))

    def model_call(self, ctx, task, sid=None, cancel=False):
        """Model attempts until one succeeds; returns False if the sample must end
        (fatal error, or `cancel`: the sample hits its time limit mid-generate)."""
        r = self.r
        while True:
            a = self.enter(ctx, "Model", task.gen_detail)
            if cancel:
                yield self.secs(2.0, 0.8, 0.5, 300)
                self.close(a, "cancel")
                self.log(ctx, "WARNING", enc(f"Sample {sid} exceeded its time limit (1800 seconds); cancelling."),
                         "_task_run", "run_sample", 1188)
                return False
            x = r()
            if x < 0.008:  # rate limited / overloaded attempt: error record, retried
                yield self.secs(-0.5, 0.7, 0.05, 20)
                table = _ERR_RATE_LIMIT if r() < 0.6 else _ERR_SERVER
                etype, err, mod, sdk = table[task.provider]
                err = err.replace("{M}", task.model.split("/")[-1])
                status = 429 if table is _ERR_RATE_LIMIT else (500 if task.provider == "openai" else 503)
                self.http(ctx, task.url, status)
                yield self.ms(0.2, 3)
                self.close(a, "error", self.err_fields(etype, err, _model_tb(mod, etype, err, sdk)))
                self.log(ctx, "WARNING", enc(f"-> {task.model} retry 1 (retrying in {r() * 20:.0f} seconds)"),
                         "_model", "log_model_retry", 1702)
                yield self.secs(1.5, 0.8, 1, 60)
                if self.winding:
                    return False
                continue
            if x < 0.0095:  # fatal: ends the sample
                yield self.secs(0.0, 0.7, 0.05, 30)
                etype, err, mod, sdk = _ERR_FATAL[task.provider]
                self.http(ctx, task.url, 400)
                self.close(a, "error", self.err_fields(etype, err, _model_tb(mod, etype, err, sdk)))
                return False
            if x < 0.0105:  # attempt timeout
                yield int((120 + r() * 0.05) * 1_000_000)
                self.close(a, "timeout")
                yield self.secs(1.0, 0.5, 1, 30)
                if self.winding:
                    return False
                continue
            if x > 0.9:  # rate limited, retried inside the provider SDK
                yield self.secs(-1.0, 0.7, 0.05, 10)
                self.http(ctx, task.url, 429)
                if x > 0.98:
                    yield self.secs(0.5, 0.7, 0.2, 30)
                    self.http(ctx, task.url, 429)
            lat = self.secs(1.3, 0.9, 0.3, 240)
            yield lat
            self.http(ctx, task.url, 200)
            yield self.ms(0.5, 40)
            self.close(a)
            return True

    def sample(self, w, task, sid, epoch):
        r = self.r
        rng = self.rng
        ctx = self.ctx(task, sid, epoch)
        proj = f"inspect-{task.proj}-i{''.join(rng.choices(_LOWER, k=6))}"
        # sandbox startup
        if task.sandbox == "docker":
            a = self.enter(ctx, "Subprocess", enc(shlex.join(
                ["docker", "compose", "--project-name", proj,
                 "up", "--detach", "--wait", "--wait-timeout", "121"])))
            yield self.secs(1.2, 0.6, 0.5, 100)
            self.close(a)
            if r() < 0.3:
                self.trace(ctx, enc("[Sandbox Tools] looking for inspect-sandbox-tools"))
                yield self.ms(1, 20)
                self.trace(ctx, enc("[Sandbox Tools] found inspect-sandbox-tools at /var/tmp/.da7be258e003d428/inspect-sandbox-tools"))
        n_turns = rng.randint(*task.turns)
        cancel_turn = rng.randrange(n_turns) if r() < (0.03 if task.tools else 0.003) else -1
        cancel_model = not task.tools or r() < 0.3
        ended = False
        for turn in range(n_turns):
            if self.winding:
                yield from self.stop(w, ctx, task, proj)
            ok = yield from self.model_call(ctx, task, sid, turn == cancel_turn and cancel_model)
            if not ok:
                ended = True
                break
            if not task.tools:
                continue
            if turn == n_turns - 1:
                # final answer
                det = enc(format_function_call("submit", {"answer": rng.choice(_ANSWERS)}))
                a = self.enter(ctx, "Tool Call", det)
                yield self.ms(0.1, 2)
                self.close(a)
                break
            if self.winding:
                yield from self.stop(w, ctx, task, proj)
            n_calls = 1 if r() < 0.85 else 2
            for _ in range(n_calls):
                if self.winding:
                    yield from self.stop(w, ctx, task, proj)
                det, sub, url = self.tool_call(task, proj, sid)
                a = self.enter(ctx, "Tool Call", enc(det))
                yield self.ms(0.3, 4)
                if turn == cancel_turn:  # time limit hit mid tool call
                    s = self.enter(ctx, "Subprocess", enc(sub)) if sub else None
                    yield self.secs(2.5, 1.0, 1, 300)
                    if s:
                        self.close(s, "cancel")
                        yield self.ms(0.1, 2)
                    self.close(a, "cancel")
                    self.log(ctx, "WARNING", enc(f"Sample {sid} exceeded its time limit (1800 seconds); cancelling."),
                             "_task_run", "run_sample", 1188)
                    ended = True
                    break
                if url:
                    yield self.secs(0.0, 0.6, 0.2, 30)
                    self.http(ctx, url, 200)
                    yield self.ms(0.5, 10)
                    self.close(a)
                    continue
                if not sub:
                    yield self.ms(0.1, 3)
                    self.close(a)
                    continue
                s = self.enter(ctx, "Subprocess", enc(sub))
                x = r()
                if x < 0.004:  # timeout (~3 s)
                    yield int((3.0 + r() * 0.02) * 1_000_000)
                    self.close(s, "timeout")
                    yield self.ms(0.2, 2)
                    self.close(a, "timeout")
                elif x < 0.007:  # subprocess error propagates to the tool call
                    yield self.secs(0.5, 1.0, 0.05, 60)
                    etype, err, qual, frames = rng.choice(_SUBPROC_ERRORS)
                    st = _tool_tb(etype, err, qual, frames)
                    ef = self.err_fields(etype, err, st)
                    self.close(s, "error", ef)
                    yield self.ms(0.2, 2)
                    self.close(a, "error", ef)
                else:
                    yield self.secs(-0.6, 1.3, 0.03, 200)
                    self.close(s)
                    yield self.ms(0.3, 5)
                    if r() < 0.02:
                        etype, err, qual, frames = rng.choice(_TOOL_ERRORS)
                        self.close(a, "error", self.err_fields(etype, err, _tool_tb(etype, err, qual, frames)))
                    else:
                        self.close(a)
                yield self.ms(0.2, 5)
            if ended:
                break
            if r() < 0.04 and not self.winding:
                a = self.enter(ctx, "Log Write", task.log_detail)
                yield self.ms(0.5, 12)
                self.close(a)
        if self.winding:
            yield from self.stop(w, ctx, task, proj)
        if not ended:
            # scoring
            if task.ids_kind == "swe":
                cmd = "cd /testbed && git apply -v /tmp/test.patch && ./run_tests.sh 2>&1 | tail -n 200"
                a = self.enter(ctx, "Subprocess", enc(self._sandbox_cmd(task, proj, cmd, timeout=1800)))
                yield self.secs(3.5, 0.6, 5, 900)
                self.close(a)
            if task.tools or r() < 0.3:  # sample buffer flushed to the eval log
                a = self.enter(ctx, "Log Write", task.log_detail)
                yield self.ms(1, 30)
                self.close(a)
        if task.sandbox == "docker":
            a = self.enter(ctx, "Subprocess", enc(shlex.join(
                ["docker", "compose", "--project-name", proj,
                 "down", "--volumes"])))
            yield self.secs(0.5, 0.5, 0.3, 60)
            self.close(a)

    def stop(self, w, ctx, task, proj):
        """Eval winding down: hang here if this worker was picked, else stop."""
        if w.hang == "pair":
            cmd = "sleep 600"
            a = self.enter(ctx, "Tool Call", enc(format_function_call("bash", {"command": cmd})))
            yield self.ms(0.3, 4)
            self.enter(ctx, "Subprocess", enc(self._sandbox_cmd(task, proj, cmd, timeout=None)))
        elif w.hang == "model":
            self.enter(ctx, "Model", task.gen_detail)
        w.hang = None
        raise _Stop

    def worker(self, w):
        try:
            while True:
                if self.winding and not w.hang:
                    return
                sid, epoch = self.next_sample(w.task)
                yield from self.sample(w, w.task, sid, epoch)
                yield self.ms(5, 300)
        except _Stop:
            return
        finally:
            w.alive = False

    def background(self):
        """Eval-level activity outside samples."""
        r = self.r
        rng = self.rng
        nc = self.NOCTX
        limits = {t.model: 32 for t in self.tasks}
        while not self.winding:
            yield self.secs(1.5, 0.6, 0.5, 60)
            if self.winding:
                return
            x = r()
            if x < 0.7:
                t = rng.choice(self.tasks)
                a = self.enter(nc, "Log Write", t.log_detail)
                yield self.ms(2, 60) if r() < 0.97 else self.secs(0.0, 0.5, 0.3, 5)
                self.close(a)
            elif x < 0.8:
                t = rng.choice(self.tasks)
                old = limits[t.model]
                new = old + 8 if (r() < 0.7 or old <= 16) else old // 2
                limits[t.model] = new
                reason = "increase" if new > old else "backoff"
                self.log(nc, "HTTP", enc(f"[connections] {t.model} {old} -> {new} ({reason})"),
                         "_concurrency", "_set_limit", 1056,
                         f', "model": "{t.model}", "old_limit": {old}, "new_limit": {new}, "reason": "{reason}"')
            elif x < 0.9:
                self.trace(nc, enc(f"[Docker] Docker services startup timeout: 241 (healthcheck estimate {rng.randint(60, 220)})"))
            else:
                self.log(nc, "INFO", enc(f"Pruning {rng.randint(1, 12)} stale docker project(s) from the compose cache"),
                         "cleanup", "project_cleanup_startup", 114)

    def filler(self, remaining):
        """Hung eval: only periodic eval-level records until the line budget is used."""
        nc = self.NOCTX
        while remaining > 0:
            self.now += self.secs(2.0, 0.5, 1, 60)
            if remaining >= 2 and self.r() < 0.8:
                t = self.rng.choice(self.tasks)
                a = self.enter(nc, "Log Write", t.log_detail)
                self.now += self.ms(2, 40)
                self.close(a)
                remaining -= 2
            else:
                self.trace(nc, enc("[Sandbox Tools] sandbox tools probe skipped: no new sandboxes"))
                remaining -= 1

    def start_winddown(self):
        self.winding = True
        K = self.K
        n_run_open = min(len(self.tasks), K)
        rest = K - n_run_open
        pairs = rest // 3
        models = rest - 2 * pairs
        alive = [w for w in self.workers if w.alive]
        self.rng.shuffle(alive)
        tool_ws = [w for w in alive if w.task.tools]
        for w in tool_ws:
            if pairs == 0:
                break
            w.hang = "pair"
            pairs -= 1
        for w in alive:
            if models == 0:
                break
            if w.hang is None:
                w.hang = "model"
                models -= 1
        tool_tasks = [t for t in self.tasks if t.tools]
        for kind, n in (("pair", pairs), ("model", models)):
            for i in range(n):
                t = tool_tasks[i % len(tool_tasks)] if kind == "pair" else self.tasks[i % len(self.tasks)]
                w = Worker(t)
                w.hang = kind
                self.workers.append(w)
                self.spawn(self.worker(w), self.ms(10, 2000))
        self.n_run_open = n_run_open

    def run(self):
        nc = self.NOCTX
        run_actions = []
        for t in self.tasks:
            run_actions.append(self.enter(nc, "Run Task", t.run_detail))
            self.now += self.ms(1, 5)
        for t in self.tasks:
            a = self.enter(nc, "Log Write", t.log_detail)
            self.now += self.ms(1, 8)
            self.close(a)
        # workers: tool tasks get more of the concurrency
        weights = [t.weight for t in self.tasks]
        tw = sum(weights)
        for t, wt in zip(self.tasks, weights):
            for _ in range(max(1, round(self.n_samples * wt / tw))):
                w = Worker(t)
                self.workers.append(w)
                self.spawn(self.worker(w), self.ms(5, 3000))
        self.spawn(self.background(), self.ms(100, 2000))

        # lines the wind-down may still write: each worker finishes the step it
        # is in (at most ~12 lines, typically 3), hung ones add their open actions
        reserve = 12 * len(self.workers) + 6 * self.K + 4 * len(self.tasks) + 32
        cutoff = self.N - reserve
        heap = self.heap
        pop = heapq.heappop
        push = heapq.heappush
        if self.count >= cutoff:
            self.start_winddown()
        while heap:
            t, _, g = pop(heap)
            if t > self.now:
                self.now = t
            try:
                d = next(g)
            except StopIteration:
                continue
            self.seq += 1
            push(heap, (self.now + d, self.seq, g))
            if self.count >= cutoff and not self.winding:
                self.start_winddown()
        # tasks that are not left hanging finish
        for a in run_actions[self.n_run_open:]:
            if self.count + 1 > self.N:
                break
            self.now += self.ms(5, 50)
            self.close(a)
        if self.count > self.N:
            raise SystemExit(f"error: --lines {self.N} is too small for this run shape "
                             f"(--open {self.K}); try more lines or fewer --samples")
        self.filler(self.N - self.count)
        self.flush()
        return self.count


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Generate a deterministic Inspect AI trace log (JSONL) of exactly N lines.")
    p.add_argument("out", metavar="OUT", help="output file (written with gzip if --gzip or it ends in .gz)")
    p.add_argument("--lines", "-n", type=int, required=True, help="number of lines (records) to write")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--gzip", action="store_true", help="gzip the output (compresslevel 6)")
    p.add_argument("--open", type=int, default=46, dest="n_open",
                   help="actions left running (never closed) at the end (default 46)")
    p.add_argument("--tasks", type=int, default=3, help="tasks in the eval, 1-4 (default 3)")
    p.add_argument("--epochs", type=int, default=2, help="epochs per task (default 2)")
    p.add_argument("--samples", type=int, default=None,
                   help="samples in flight at once (default: lines/400, clamped to 8..150)")
    p.add_argument("--start", type=float, default=DEFAULT_START,
                   help=f"epoch seconds of the first record (default {DEFAULT_START})")
    p.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")
    args = p.parse_args(argv)
    if args.lines < 1 or args.n_open < 0 or args.epochs < 1 or not 1 <= args.tasks <= 4 \
            or (args.samples is not None and args.samples < 1):
        p.error("invalid --lines/--open/--epochs/--tasks/--samples")

    gz = args.gzip or args.out.endswith(".gz")
    t0 = time.perf_counter()
    sink = Sink(args.out, gz, 6)
    try:
        g = Generator(args.lines, args.seed, args.n_open, args.tasks, args.epochs,
                      args.samples, args.start, sink)
        n = g.run()
    except BaseException:
        try:
            sink.close()
        finally:
            os.unlink(args.out)
        raise
    sink.close()
    if not args.quiet:
        size = os.path.getsize(args.out)
        print(f"wrote {n} lines, {size / 1e6:.1f} MB{' (gzip)' if gz else ''} to {args.out} "
              f"in {time.perf_counter() - t0:.1f}s; {args.n_open} open actions, "
              f"{len(g.tasks)} tasks x {args.epochs} epochs, {g.n_samples} samples in flight",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
