"""Live tail: latency from a line appended to it being visible, memory while following, and a rotation soak.

Usage (from the repository root, with the venv tracetui is installed in):

    python bench/bench_tail.py [--seconds 20 | --minutes 10] [--rate 1000]
                               [--reader engine|app [--errors] [--filter TEXT]]
                                [--prefill FILE --warmup S]
    python bench/bench_tail.py --soak [--minutes 30] [--rate 5000] [--rotate 60]

A writer process appends Inspect trace lines at `--rate` lines/s: action
pairs (`enter`, then `exit`), each line carrying its write time
(`time.time()`) in its `detail` padded to ~400 bytes, a detail of its own
for each span; with `--detail inspect`, the lines Inspect writes for a
model call (~360 bytes, one detail for all, as each model's are), the
enter's write time in its `start_time`. The reader is tracetui's own path:

- `--reader engine` (default): `open_sources` + `Source.poll(max_chunks=1)`
  in a loop with the app's poll interval and slice size, as the app's reader
  thread does; a line is visible when its span is in the store;
- `--reader app`: `TraceApp` headless (`App.run_test()`); a line is visible
  at the end of the first frame drawn after `apply_changes` put its span on
  the UI side.

Latency is measured on the `enter` lines (the span appearing), after a 2 s
warm-up (`--warmup`); RSS is sampled every 5 s and reported per span held.
`--prefill FILE` starts the followed file as a copy of FILE: the tail of a
big eval's log (give a `--warmup` long enough to load it).

`--soak` (issue 5; not part of the default test run, it takes `--minutes`):
5,000 lines/s into a directory followed by the headless app, rotating every
`--rotate` seconds, alternately logrotate-style (rename `trace-N.log` to
`trace-N.log.K`, carry on in a new `trace-N.log`) and Inspect-style (gzip
`trace-N.log` to `trace-N.log.gz`, delete it, carry on in `trace-M.log`).
At the end, every file's run must hold exactly the spans written to it, all
closed, once: no record lost or doubled; memory per span held is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from datetime import datetime, timezone

PAD = "x" * 180  # brings lines to about Inspect's 400 bytes
#: What the lines' `detail` holds (`--detail`): "padded", the write time and
#: `PAD`, a detail of its own for each span; or "inspect", Inspect's own for
#: a model call, `generate (mockllm/model)`, the same for every span (as a
#: real eval's are for each model), the write time in `start_time` only
#: (Inspect's own: when the action began).
DETAIL = "padded"
#: Seconds between RSS samples (1 s for short runs).
SAMPLE_EVERY = 5.0


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# -- writer (child process) ---------------------------------------------------------

def pair_lines(k: int) -> list[bytes]:
    """Enter and exit of action `t<k>`, each stamped with its write time
    (in its detail, or in `start_time` alone: `DETAIL`)."""
    wt = time.time()
    ts = datetime.fromtimestamp(wt, timezone.utc).astimezone().isoformat()
    if DETAIL == "inspect":  # as Inspect writes a model call (sample_traces/inspect)
        base = {"timestamp": ts, "level": "TRACE",
                "message": f"task=bench sample={k // 50} epoch=1\nModel: generate (mockllm/model) (enter)",
                "action": "Model", "detail": "generate (mockllm/model)", "event": "enter", "trace_id": f"t{k}",
                "start_time": wt, "task": "bench", "sample_id": k // 50, "epoch": 1}
        enter = json.dumps(base)
        del base["start_time"]
        base.update(message=base["message"].replace("(enter)", "(exit)"), event="exit", duration=0.0004)
        return [enter.encode() + b"\n", json.dumps(base).encode() + b"\n"]
    base = {"timestamp": ts, "level": "TRACE", "message": f"task=bench sample={k // 50} epoch=1\nModel: generate",
            "action": "Model", "event": "enter", "trace_id": f"t{k}", "detail": f"wt={wt:.6f} {PAD}",
            "start_time": wt, "task": "bench", "sample_id": k // 50, "epoch": 1}
    enter = json.dumps(base)
    base.update(event="exit", duration=0.0004, detail=f"wt={time.time():.6f} {PAD}")
    return [enter.encode() + b"\n", json.dumps(base).encode() + b"\n"]


def writer(directory: str, rate: float, seconds: float, rotate: float, batch_ms: float, manifest: str) -> None:
    """Append at `rate` lines/s for `seconds`; rotate every `rotate` s (0 = never)."""
    pid = 1000
    path = os.path.join(directory, f"trace-{pid}.log")
    files: dict[str, dict] = {}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    counts = {"lines": 0, "first": 0}
    k = 0
    rotations = 0
    t0 = time.time()
    next_rotate = t0 + rotate if rotate else float("inf")
    pairs_per_batch = max(1, int(rate * batch_ms / 2000))

    def close_file(final_path: str) -> None:
        files[final_path] = {"lines": counts["lines"], "first": counts["first"], "last": k - 1}
        counts.update(lines=0, first=k)

    while True:
        now = time.time()
        if now - t0 >= seconds:
            break
        if now >= next_rotate:
            next_rotate += rotate
            rotations += 1
            os.close(fd)
            if rotations % 2:  # logrotate: rename, carry on under the same name
                moved = f"{path}.{rotations}"
                os.rename(path, moved)
                close_file(moved)
            else:  # Inspect at exit: gzip away, a new process writes a new file
                with open(path, "rb") as src, gzip.open(path + ".gz", "wb", compresslevel=6) as dst:
                    shutil.copyfileobj(src, dst)
                os.unlink(path)
                close_file(path + ".gz")
                pid += 1
                path = os.path.join(directory, f"trace-{pid}.log")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        if pairs_per_batch == 1:  # one line at a time, each at its own moment
            lines = pair_lines(k)
            os.write(fd, lines[0])
            target = t0 + (2 * k + 1) / rate
            time.sleep(max(0.0, target - time.time()))
            os.write(fd, lines[1])
        else:
            os.write(fd, b"".join(line for i in range(pairs_per_batch) for line in pair_lines(k + i)))
        k += pairs_per_batch
        counts["lines"] += 2 * pairs_per_batch
        target = t0 + 2 * k / rate
        time.sleep(max(0.0, target - time.time()))
    os.close(fd)
    close_file(path)
    with open(manifest, "w") as f:
        json.dump({"files": files, "pairs": k, "seconds": time.time() - t0}, f)


# -- readers ------------------------------------------------------------------------

class Visibility:
    """Which `t<k>` spans have appeared, and when relative to their write time."""

    def __init__(self, warmup_until: float) -> None:
        self.next = 0
        # Arrays, not lists of floats: this process is the app's, and its
        # RSS per span added is the figure (a float and its list slot, 32
        # bytes, for each of two records a span was ~64 B of it).
        self.latencies = array("d")
        self.warmup_until = warmup_until
        self.pending: list[float] = []
        #: App reader: latency to the span reaching the UI thread (before its frame).
        self.applied = array("d")
        #: The worst latency of the lines written in each second (epoch second → s).
        self.worst: dict[int, float] = {}

    def _seen(self, wt: float, now: float) -> None:
        latency = now - wt
        self.latencies.append(latency)
        second = int(wt)
        if latency > self.worst.get(second, 0.0):
            self.worst[second] = latency

    def stalls(self, start: float, over: float = 0.5) -> list[tuple[int, float]]:
        """(seconds since `start`, worst latency) of every second whose lines
        took longer than `over` to show: where the reader or the UI fell behind."""
        return [(second - int(start), round(worst, 2)) for second, worst in sorted(self.worst.items())
                if worst > over]

    def collect(self, store, into_pending: bool = False) -> None:
        progress = True
        while progress:  # after a rotation the next span may be in any run
            progress = False
            for run in store.runs.values():
                spans = run.spans
                while True:
                    span = spans.get(f"t{self.next}")
                    if span is None:
                        break
                    wt = span.start if DETAIL == "inspect" else float(span.detail[3:span.detail.index(" ")])
                    if wt >= self.warmup_until:
                        if into_pending:
                            self.pending.append(wt)
                            self.applied.append(time.time() - wt)
                        else:
                            self._seen(wt, time.time())
                    self.next += 1
                    progress = True

    def shown(self) -> None:
        now = time.time()
        for wt in self.pending:
            self._seen(wt, now)
        self.pending.clear()


def wait_for_file(path: str) -> None:
    deadline = time.time() + 10
    while not (os.path.exists(path) and os.path.getsize(path) > 0):
        if time.time() > deadline:
            raise SystemExit(f"bench_tail: the writer never wrote {path}")
        time.sleep(0.001)


def read_engine(path: str, seconds: float, vis: Visibility, samples: list) -> dict:
    from tracetui.app.app import POLL_INTERVAL, SLICE_BYTES
    from tracetui.sources.discover import open_sources
    from tracetui.sources.lines import LineSource
    from tracetui.store import Store

    store = Store()
    sources, _ = open_sources([path], store)
    for s in sources:
        if isinstance(s, LineSource):
            s.follower.read_size = SLICE_BYTES
    end = time.time() + seconds + 1
    next_sample = 0.0
    while time.time() < end:
        behind = False
        for s in sources:
            s.poll(max_chunks=1)
            behind |= getattr(s, "behind", False)
        with store.lock:
            vis.collect(store)
        now = time.time()
        if now >= next_sample:
            next_sample = now + SAMPLE_EVERY
            samples.append((now, rss_mb(), sum(len(r.spans) for r in store.runs.values()),
                            time.process_time()))
        if not behind:
            time.sleep(POLL_INTERVAL)
    return {"spans": sum(len(r.spans) for r in store.runs.values())}


def make_app(paths: list[str], vis: Visibility, watch_dirs: list[str]):
    # The explorer before Textual: it sets the frame rate Textual reads as
    # it is first imported (`tracetui.app.FRAMES_PER_SECOND`).
    import tracetui.app.app as app_module
    from tracetui.app.app import TraceApp
    from tracetui.sources.discover import open_sources
    from tracetui.store import Store

    from textual._compositor import CompositorUpdate

    from tracetui.memory import share_one_heap

    share_one_heap()  # as `app.main.build_app` does
    store = Store()
    sources, notes = open_sources(paths, store)

    class TailApp(TraceApp):
        CSS_PATH = os.path.join(os.path.dirname(app_module.__file__), TraceApp.CSS_PATH)

        def apply_changes(self) -> None:
            super().apply_changes()
            with self.store.lock:
                vis.collect(self.store, into_pending=True)

    app = TailApp(sources, store, notes, watch_dirs=watch_dirs)
    original = app._display

    def display(screen, renderable) -> None:
        original(screen, renderable)
        if isinstance(renderable, CompositorUpdate):
            renderable.render_segments(app.console)
        vis.shown()

    app._display = display  # type: ignore[method-assign]
    return app, store


def read_app(paths: list[str], seconds: float, vis: Visibility, samples: list, watch_dirs: list[str],
             until=None, errors: bool = False, tree_filter: str | None = None) -> tuple:
    app, store = make_app(paths, vis, watch_dirs)

    async def drive() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            if errors:
                await pilot.press("e")
            if tree_filter:  # the tree's filter, as typed and kept with enter, once loaded
                # (Not through the pilot: its key presses wait for the app to
                # be idle, which it seldom is while following a busy log.)
                while app.loading or app.tree.run is None:
                    await asyncio.sleep(0.05)
                app.tree.focus()
                app._apply_filter(app.tree, tree_filter)
            end = time.time() + seconds + 1
            next_sample = 0.0
            while time.time() < end or (until is not None and not until()):
                now = time.time()
                if now >= next_sample:
                    next_sample = now + SAMPLE_EVERY
                    with store.lock:
                        spans = sum(len(r.spans) for r in store.runs.values())
                    samples.append((now, rss_mb(), spans, time.process_time()))
                await asyncio.sleep(0.05)
            await pilot.press("q")

    asyncio.run(drive())
    return app, store


# -- modes --------------------------------------------------------------------------

def start_writer(directory: str, rate: float, seconds: float, rotate: float, batch_ms: float) -> tuple:
    manifest = os.path.join(directory, ".manifest.json")
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child-writer", directory,
                             "--rate", str(rate), "--seconds", str(seconds), "--rotate", str(rotate),
                             "--batch-ms", str(batch_ms), "--detail", DETAIL])
    return proc, manifest


def memory_report(samples: list, warm: float) -> dict:
    """RSS and spans held over the run, and the reader's CPU: seconds of
    CPU (every thread of the process) per second of wall time, after the
    warm-up — what following costs the machine the eval runs on."""
    later = [s for s in samples if s[0] >= warm]
    if len(later) < 2:
        return {}
    (t0, r0, s0, c0), (t1, r1, s1, c1) = later[0], later[-1]
    return {"rss_start_mb": r0, "rss_end_mb": r1, "spans_start": s0, "spans_end": s1, "minutes": (t1 - t0) / 60,
            "bytes_per_span_added": (r1 - r0) * 2**20 / max(1, s1 - s0),
            "cpu_percent": round(100 * (c1 - c0) / max(1e-9, t1 - t0), 1),
            "samples": [(round(t - samples[0][0], 1), round(r, 1), s) for t, r, s, _ in samples]}


def tail_mode(args: argparse.Namespace) -> dict:
    global SAMPLE_EVERY
    seconds = args.minutes * 60 if args.minutes else args.seconds
    SAMPLE_EVERY = 5.0 if seconds >= 120 else 1.0
    tmp = tempfile.mkdtemp(prefix="tracetui-tail-")
    path = os.path.join(tmp, "trace-1000.log")
    if args.prefill:  # a big eval's log, still growing
        shutil.copyfile(args.prefill, path)
    proc, manifest = start_writer(tmp, args.rate, seconds, 0, 0)
    try:
        wait_for_file(path)
        vis = Visibility(time.time() + args.warmup)
        samples: list = []
        if args.reader == "engine":
            read_engine(path, seconds, vis, samples)
        else:
            read_app([path], seconds, vis, samples, [], errors=args.errors, tree_filter=args.filter)
        proc.wait()
    finally:
        proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    lat = sorted(vis.latencies)
    q = statistics.quantiles(lat, n=100) if len(lat) > 2 else [float("nan")] * 99
    if vis.applied:
        qa = statistics.quantiles(sorted(vis.applied), n=100)
        print(f"app: to the UI thread (apply_changes, before the frame): p50 {qa[49] * 1000:.1f} ms, "
              f"p99 {qa[98] * 1000:.1f} ms", file=sys.stderr)
    return {"mode": "tail", "reader": args.reader, "rate": args.rate, "seconds": seconds, "measured": len(lat),
            "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "max_ms": lat[-1] * 1000 if lat else None,
            "memory": memory_report(samples, max(samples[0][0] + 2, vis.warmup_until) if samples else 0)}


def soak_mode(args: argparse.Namespace) -> dict:
    seconds = (args.minutes or 30) * 60
    tmp = tempfile.mkdtemp(prefix="tracetui-soak-")
    proc, manifest = start_writer(tmp, args.rate, seconds, args.rotate, 10)
    try:
        wait_for_file(os.path.join(tmp, "trace-1000.log"))
        vis = Visibility(time.time() + 2)
        samples: list = []
        settle = {"deadline": None}

        def done() -> bool:
            """The writer finished and the app took in everything it wrote."""
            if proc.poll() is None or not os.path.exists(manifest):
                return False
            if settle["deadline"] is None:
                settle["deadline"] = time.time() + 30
            with open(manifest) as f:
                total = json.load(f)["files"]
            with app_store[1].lock:
                held = sum(1 for r in app_store[1].runs.values() for s in r.spans.values() if not s.synthetic)
            return held >= sum(v["lines"] for v in total.values()) // 2 or time.time() > settle["deadline"]

        app_store: list = [None, None]
        vis_paths = [tmp]
        # make_app is called inside read_app; expose its store to done() through a wrapper
        original_make = globals()["make_app"]

        def capture(paths, v, watch):
            app, store = original_make(paths, v, watch)
            app_store[:] = [app, store]
            return app, store

        globals()["make_app"] = capture
        try:
            app, store = read_app(vis_paths, seconds, vis, samples, [tmp], until=done)
        finally:
            globals()["make_app"] = original_make
        with open(manifest) as f:
            written = json.load(f)
        verdict = verify(store, app.sources, written)
    finally:
        proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    lat = sorted(vis.latencies)
    q = statistics.quantiles(lat, n=100) if len(lat) > 2 else [float("nan")] * 99
    return {"mode": "soak", "rate": args.rate, "rotate_s": args.rotate, "seconds": seconds,
            "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "max_ms": lat[-1] * 1000 if lat else None,
            "measured": len(lat), "stalls": vis.stalls(vis.warmup_until), **verdict,
            "memory": memory_report(samples, samples[0][0] + 2 if samples else 0)}


def verify(store, sources, written: dict) -> dict:
    """Every written file's run holds exactly its spans, all closed, once."""
    problems = []
    by_source = {}
    for run in store.runs.values():
        by_source.setdefault(run.source, []).append(run)
    records = {s.path: s.records for s in sources}
    seen_total = 0
    for path, info in written["files"].items():
        runs = by_source.get(path, [])
        spans = [s for r in runs for s in r.spans.values() if not s.synthetic]
        seen_total += len(spans)
        want = info["lines"] // 2
        if len(spans) != want:
            problems.append(f"{os.path.basename(path)}: {len(spans)} spans, wrote {want}")
        open_ = sum(1 for s in spans if s.status != "ok")
        if open_:
            problems.append(f"{os.path.basename(path)}: {open_} spans not closed")
        if records.get(path) not in (None, info["lines"]):
            problems.append(f"{os.path.basename(path)}: source read {records.get(path)} records, wrote {info['lines']}")
    held = sum(1 for r in store.runs.values() for s in r.spans.values() if not s.synthetic)
    if held != written["pairs"]:
        problems.append(f"store holds {held} spans in all, {written['pairs']} were written")
    return {"files": len(written["files"]), "pairs_written": written["pairs"], "spans_held": held,
            "verdict": "PASS" if not problems else "FAIL", "problems": problems[:20]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--minutes", type=float, help="run this long instead (memory growth)")
    ap.add_argument("--rate", type=float, help="lines/s (default 1000; soak 5000)")
    ap.add_argument("--reader", choices=("engine", "app"), default="engine")
    ap.add_argument("--prefill", metavar="FILE",
                    help="start the followed file as a copy of FILE (a big log that keeps growing)")
    ap.add_argument("--errors", action="store_true",
                    help="app reader: press e first (errors and timeouts listed too)")
    ap.add_argument("--warmup", type=float, default=2.0,
                    help="seconds not measured at the start (default 2; more with --prefill, to load it)")
    ap.add_argument("--filter", metavar="TEXT",
                    help="app: type TEXT into the tree's filter first (it matches again as the log grows)")
    ap.add_argument("--detail", choices=("padded", "inspect"), default="padded",
                    help="each line's detail: its write time padded to ~400 bytes, a detail for each span "
                         "(default); or Inspect's own for a model call, one for all (the time in start_time)")
    ap.add_argument("--soak", action="store_true", help="rotation soak (long; not part of the test run)")
    ap.add_argument("--rotate", type=float, default=60, help="soak: rotate every N s (default 60)")
    ap.add_argument("--out", help="JSON results file")
    ap.add_argument("--child-writer", metavar="DIR", help=argparse.SUPPRESS)
    ap.add_argument("--batch-ms", type=float, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    global DETAIL
    DETAIL = args.detail
    if args.child_writer:
        writer(args.child_writer, args.rate, args.seconds, args.rotate, args.batch_ms,
               os.path.join(args.child_writer, ".manifest.json"))
        return 0
    args.rate = args.rate or (5000 if args.soak else 1000)
    load = os.getloadavg()[0]
    res = soak_mode(args) if args.soak else tail_mode(args)
    res["load_avg_1m"] = [load, os.getloadavg()[0]]
    mem = res.get("memory", {})
    print("| mode | reader | rate | duration | p50 | p99 | max | RSS start → end | spans held | B per span added "
          "| reader CPU |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {res['mode']} | {res.get('reader', 'app')} | {res['rate']:.0f}/s | {res['seconds']:.0f} s | "
          f"{res['p50_ms']:.1f} ms | {res['p99_ms']:.1f} ms | {res.get('max_ms') or float('nan'):.1f} ms | "
          f"{mem.get('rss_start_mb', float('nan')):.0f} → {mem.get('rss_end_mb', float('nan')):.0f} MB | "
          f"{mem.get('spans_end', 0):,} | {mem.get('bytes_per_span_added', float('nan')):.0f} | "
          f"{mem.get('cpu_percent', float('nan')):.0f} % |")
    if args.soak:
        print(f"\nsoak: {res['files']} files, {res['pairs_written']:,} spans written, {res['spans_held']:,} held: "
              f"{res['verdict']}")
        for p in res["problems"]:
            print(f"  {p}")
        stalls = res.get("stalls", [])
        print(f"seconds whose lines took > 0.5 s to show: {len(stalls)}"
              + (f"; worst {max(w for _, w in stalls):.1f} s; at (s since start, worst s): {stalls[:40]}"
                 if stalls else ""))
    print(f"load average {res['load_avg_1m'][0]:.2f} → {res['load_avg_1m'][1]:.2f}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(res, f, indent=2)
    return 0 if res.get("verdict", "PASS") == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
