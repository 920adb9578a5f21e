"""`tracetui anomalies` against `inspect trace anomalies` and the orjson floor, on one generated file.

Usage (from the repository root, with the venv tracetui is installed in):

    python bench/run_bench.py [--lines 1000000] [--seed S] [--runs 5] [--inspect-runs 2]
                              [--data DIR] [--inspect-venv DIR] [--out FILE]
    python bench/run_bench.py --file TRACE.log[.gz] [...]

Generates the trace log (plain and gzipped) with gen_inspect.py if missing
(or takes yours with `--file`, writing its gzipped or plain twin to DIR),
installs `inspect-ai` into a throwaway venv if missing, then times in one run,
interleaved so machine load hits every contender alike: the installed
`tracetui anomalies FILE --all --json`, `inspect trace anomalies FILE --all
--json`, and the floor (a child Python process that `orjson.loads` every
line; for gzip, after gunzip through a 1 MiB buffer). Each command runs in a
fresh process and its peak RSS comes from `/usr/bin/time -f %M` (or
`getrusage(RUSAGE_CHILDREN)` in a wrapper process). Checks that tracetui's
JSON equals Inspect's on every bucket (running rows' durations excepted: they
are ages measured to different `as_of`s). Prints a Markdown table and writes
the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen_inspect.py")
BUCKETS = ("running", "cancelled", "errors", "timeouts")

FLOOR_PLAIN = """
import sys, orjson
loads = orjson.loads
with open(sys.argv[1], 'rb') as f:
    for line in f:
        loads(line)
"""
FLOOR_GZ = """
import gzip, io, sys, orjson
loads = orjson.loads
with open(sys.argv[1], 'rb') as raw:
    for line in io.BufferedReader(gzip.GzipFile(fileobj=raw), 1 << 20):
        loads(line)
"""
GUNZIP_ONLY = """
import gzip, io, sys
with open(sys.argv[1], 'rb') as raw:
    f = io.BufferedReader(gzip.GzipFile(fileobj=raw), 1 << 20)
    while f.read(1 << 20):
        pass
"""
#: Runs a command and prints its peak RSS (KiB) when /usr/bin/time is absent.
RUSAGE_WRAPPER = """
import resource, subprocess, sys
with open(sys.argv[1], 'wb') as out:
    rc = subprocess.call(sys.argv[2:], stdout=out)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(rc)
"""


def size_label(lines: int) -> str:
    if lines % 1_000_000 == 0:
        return f"{lines // 1_000_000}m"
    if lines % 1000 == 0:
        return f"{lines // 1000}k"
    return str(lines)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def ensure_files(data: str, lines: int, seed: int | None = None) -> tuple[str, str]:
    os.makedirs(data, exist_ok=True)
    name = f"inspect-{size_label(lines)}" + ("" if seed is None else f"-seed{seed}")
    plain = os.path.join(data, f"{name}.log")
    gz = plain + ".gz"
    extra_args = [] if seed is None else ["--seed", str(seed)]
    for path, extra in ((plain, []), (gz, ["--gzip"])):
        if not os.path.exists(path):
            log(f"generating {path} ({lines:,} lines)...")
            subprocess.run([sys.executable, GEN, path, "--lines", str(lines), "-q", *extra_args, *extra],
                           check=True)
    return plain, gz


def twin_files(path: str, data: str) -> tuple[str, str]:
    """A given trace log and its twin, gzipped or plain, made in `data`
    when missing (gzipped at level 6, as gen_inspect.py writes)."""
    import functools
    import gzip

    os.makedirs(data, exist_ok=True)
    if path.endswith(".gz"):
        gz, plain = path, os.path.join(data, os.path.basename(path)[:-3])
        twin, read, write = plain, gzip.open, open
    else:
        plain, gz = path, os.path.join(data, os.path.basename(path) + ".gz")
        twin, read, write = gz, open, functools.partial(gzip.open, compresslevel=6)  # as gen_inspect.py
    if not os.path.exists(twin):
        log(f"writing {twin} from {path}...")
        with read(path, "rb") as fin, write(twin + ".part", "wb") as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)
        os.replace(twin + ".part", twin)
    return plain, gz


def count_lines(path: str) -> int:
    with open(path, "rb") as f:
        return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 24), b""))


def ensure_inspect(venv: str) -> str:
    exe = os.path.join(venv, "bin", "inspect")
    if not os.path.exists(exe):
        log(f"installing inspect-ai into {venv} (throwaway venv)...")
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "inspect-ai"], check=True)
    return exe


def find_tracetui(explicit: str | None) -> str:
    if explicit:
        return explicit
    beside = os.path.join(os.path.dirname(sys.executable), "tracetui")
    found = beside if os.path.exists(beside) else shutil.which("tracetui")
    if not found:
        sys.exit("run_bench: no installed `tracetui` command (pip install -e . first, or pass --tracetui)")
    return found


def python_of(tracetui: str) -> list[str] | None:
    """The Python the `tracetui` script runs on (its `#!` line), or None."""
    try:
        with open(tracetui, "rb") as f:
            first = f.readline()
    except OSError:
        return None
    python = first[2:].strip().decode(errors="replace") if first.startswith(b"#!") else ""
    if not python or not os.path.exists(python.split()[0]):
        return None
    return python.split()


def accelerator_of(tracetui: str) -> str:
    """Whether the `tracetui` measured has its C accelerator
    (`tracetui/_fastfold.c`; without it the scan is well under half as fast):
    asked of the Python its script runs on."""
    python = python_of(tracetui)
    if python is None:
        return "unknown"
    done = subprocess.run([*python, "-c", "import tracetui.fastscan as f; print(f._fastfold is not None)"],
                          capture_output=True, text=True)
    return {"True": "built", "False": "not built"}.get(done.stdout.strip(), "unknown")


#: Byte-compiles the package the Python running it imports, where it is.
COMPILE_PACKAGE = "import compileall, os, tracetui; compileall.compile_dir(os.path.dirname(tracetui.__file__), quiet=1)"


def byte_compile(python: list[str] | None) -> None:
    """tracetui's modules compiled to bytecode before it is timed, as `pip
    install .` leaves them. An editable install (`pip install -e .`) under
    PYTHONDONTWRITEBYTECODE=1 (as on the machines here) has none, and each
    run compiles every module it imports anew: 80 ms more a run of
    `tracetui anomalies` (0.14 s against 0.06 s on a small log, 2026-12-03)."""
    if python is not None:
        subprocess.run([*python, "-c", COMPILE_PACKAGE], capture_output=True)


def timed(cmd: list[str], stdout_path: str) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one fresh process."""
    if os.path.exists("/usr/bin/time"):
        with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss, open(stdout_path, "wb") as out:
            t0 = time.perf_counter()
            rc = subprocess.call(["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd], stdout=out)
            wall = time.perf_counter() - t0
            kib = int(rss.read().strip().splitlines()[-1])
    else:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", RUSAGE_WRAPPER, stdout_path, *cmd],
                              stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
        rc = proc.returncode
        kib = int(proc.stderr.strip().splitlines()[-1])
    return wall, kib / 1024, rc


def compare(ours: dict, theirs: dict, as_of: float) -> list[str]:
    """Differences between two anomaly envelopes, bucket by bucket."""
    problems = []
    for bucket in BUCKETS:
        a, b = ours.get(bucket), theirs.get(bucket)
        if not isinstance(a, list) or not isinstance(b, list):
            problems.append(f"{bucket}: missing")
            continue
        if len(a) != len(b):
            problems.append(f"{bucket}: {len(a)} rows vs Inspect's {len(b)}")
        for i, (ra, rb) in enumerate(zip(a, b)):
            if bucket == "running":
                ra, rb = dict(ra), dict(rb)
                dur = ra.pop("duration", None)
                rb.pop("duration", None)
                start = ra.get("start_time")
                if start is not None and (dur is None or abs(dur - (as_of - start)) > 1e-6):
                    problems.append(f"running[{i}]: duration {dur} is not as_of - start_time")
            if ra != rb:
                problems.append(f"{bucket}[{i}]: {json.dumps(ra)[:200]} != {json.dumps(rb)[:200]}")
            if len(problems) > 10:
                return problems
    return problems


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, help="generate with this seed (a file not seen before)")
    ap.add_argument("--file", help="benchmark this Inspect trace log (plain or .gz) instead of a "
                                   "generated one; its twin is written to DATA if missing")
    ap.add_argument("--runs", type=int, default=5, help="runs of tracetui and the floor (default 5)")
    ap.add_argument("--inspect-runs", type=int, default=2, help="runs of Inspect (slow; default 2)")
    ap.add_argument("--data", default="/work/bench-data", help="where the big files live (not the repo)")
    ap.add_argument("--inspect-venv", default="/work/inspect-venv")
    ap.add_argument("--tracetui", help="the tracetui command (default: the installed one)")
    ap.add_argument("--out", help="JSON results file (default DATA/run_bench-results.json)")
    ap.add_argument("--no-gzip", action="store_true", help="plain file only")
    ap.add_argument("--no-inspect", action="store_true", help="skip Inspect (no ratio, no parity)")
    args = ap.parse_args()

    if args.file:
        plain, gz = twin_files(os.path.abspath(args.file), args.data)
        args.lines = count_lines(plain)
    else:
        plain, gz = ensure_files(args.data, args.lines, args.seed)
    tracetui = find_tracetui(args.tracetui)
    byte_compile(python_of(tracetui))
    inspect = None if args.no_inspect else ensure_inspect(args.inspect_venv)
    tmp = tempfile.mkdtemp(prefix="tracetui-bench-")
    inputs = [("plain", plain)] + ([] if args.no_gzip else [("gzip", gz)])
    for _, path in inputs:  # warm the page cache: every contender reads from memory
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass

    as_of = time.time()
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "uname": " ".join(os.uname()),
                    "accelerator": accelerator_of(tracetui)},
        "lines": args.lines, "runs": args.runs, "inspect_runs": args.inspect_runs, "inspect_ran": inspect is not None, "inputs": {},
    }
    for label, path in inputs:
        log(f"== {label}: {path} ({os.path.getsize(path) / 1e6:.0f} MB)")
        contenders = {
            "tracetui": [tracetui, "anomalies", path, "--all", "--json", "--as-of", repr(as_of)],
            "floor": [sys.executable, "-c", FLOOR_GZ if label == "gzip" else FLOOR_PLAIN, path],
        }
        if label == "gzip":
            contenders["gunzip"] = [sys.executable, "-c", GUNZIP_ONLY, path]
        if inspect:
            contenders["inspect"] = [inspect, "trace", "anomalies", path, "--all", "--json"]
        times: dict[str, list[float]] = {k: [] for k in contenders}
        rss: dict[str, list[float]] = {k: [] for k in contenders}
        loads: list[float] = []
        outputs = {}
        for i in range(max(args.runs, args.inspect_runs)):
            for name, cmd in contenders.items():
                limit = args.inspect_runs if name == "inspect" else args.runs
                if i >= limit:
                    continue
                loads.append(os.getloadavg()[0])
                out_path = os.path.join(tmp, f"{label}-{name}.json")
                wall, peak, rc = timed(cmd, out_path)
                if rc != 0:
                    log(f"  {name}: exit code {rc}")
                times[name].append(wall)
                rss[name].append(peak)
                outputs[name] = out_path
                log(f"  run {i + 1} {name:9s} {wall:7.2f} s  {peak:7.0f} MB  (load {loads[-1]:.2f})")
        entry = {name: {"median_s": median(times[name]), "runs_s": times[name],
                        "peak_rss_mb": max(rss[name]) if rss[name] else None}
                 for name in contenders}
        entry["load_avg_1m"] = {"min": min(loads), "max": max(loads)}
        t_ours, t_floor = entry["tracetui"]["median_s"], entry["floor"]["median_s"]
        entry["tracetui_over_floor"] = t_ours / t_floor
        if inspect:
            entry["inspect_over_tracetui"] = entry["inspect"]["median_s"] / t_ours
            try:
                with open(outputs["tracetui"], "rb") as f:
                    ours = json.load(f)
                with open(outputs["inspect"], "rb") as f:
                    theirs = json.load(f)
                problems = compare(ours, theirs, as_of)
                entry["rows"] = {b: len(theirs.get(b, [])) for b in BUCKETS}
            except (OSError, ValueError) as exc:
                problems = [f"unreadable output: {exc}"]
            entry["parity"] = "PASS" if not problems else "FAIL"
            entry["parity_problems"] = problems
        results["inputs"][label] = {"path": path, "bytes": os.path.getsize(path), **entry}

    print_report(results)
    out = args.out or os.path.join(args.data, "run_bench-results.json")
    with open(out, "w") as f:
        json.dump(results, f, indent=2)
    log(f"results written to {out}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if all(v.get("parity", "PASS") == "PASS" for v in results["inputs"].values()) else 1


def print_report(results: dict) -> None:
    m = results["machine"]
    print(f"\n{results['lines']:,} lines; {m['cpus']} CPUs; {m['platform']}; Python {m['python']}; "
          f"medians of {results['runs']} runs"
          + (f" (Inspect: {results['inspect_runs']})" if results.get("inspect_ran", True) else " (no Inspect)")
          + f", warm page cache; the C accelerator {m.get('accelerator', 'unknown')}\n")
    print("| command | input | median | peak RSS | Inspect ÷ tracetui | tracetui ÷ floor |")
    print("|---|---|---|---|---|---|")
    names = {"tracetui": "`tracetui anomalies --all --json`", "inspect": "`inspect trace anomalies --all --json`",
             "floor": "floor: `orjson.loads` every line", "gunzip": "gunzip alone (1 MiB buffer)"}
    for label, entry in results["inputs"].items():
        size = f"{label}, {entry['bytes'] / 1e6:.0f} MB"
        for name in ("tracetui", "inspect", "floor", "gunzip"):
            if name not in entry:
                continue
            e = entry[name]
            ratio = f"{entry['inspect_over_tracetui']:.1f}×" if name == "tracetui" and "inspect_over_tracetui" in entry else ""
            floor = f"{entry['tracetui_over_floor']:.2f}" if name == "tracetui" else ""
            print(f"| {names[name]} | {size} | {e['median_s']:.2f} s | {e['peak_rss_mb']:.0f} MB | {ratio} | {floor} |")
    print()
    for label, entry in results["inputs"].items():
        if "parity" in entry:
            rows = ", ".join(f"{k} {v}" for k, v in entry.get("rows", {}).items())
            print(f"parity ({label}): {entry['parity']}  [{rows}]")
            for problem in entry["parity_problems"]:
                print(f"  {problem}")
        lo, hi = entry["load_avg_1m"]["min"], entry["load_avg_1m"]["max"]
        print(f"load average during {label}: {lo:.2f}–{hi:.2f}")


if __name__ == "__main__":
    sys.exit(main())
