"""The TUI on a big Inspect log: first screen, full index, keypress latency, memory per span.

Usage (from the repository root, with the venv tracetui is installed in):

    python bench/bench_tui.py [FILE] [--repeat 2] [--keys 15] [--size 120x40] [--out FILE]

FILE defaults to /work/bench-data/inspect-1m.log (make it with run_bench.py
or gen_inspect.py). Each measurement runs in a fresh child process:

- engine: the reading path alone (`cli.load`, as the CLI reads), the
  index every span lives in, without Textual: load time and RSS per span;
- app: `TraceApp` headless under `App.run_test()`. Times are taken where the
  app draws: `App._display` is wrapped and, since a headless driver writes
  nothing, the wrapper also renders each frame to the terminal byte string
  (`CompositorUpdate.render_segments`) so that cost is counted. Measured:
  time from opening the file to the first frame showing a run and an
  anomaly; to the first frame after loading ended (every span indexed); RSS
  per span held; and, with every span loaded and the 1 s tick stopped, key
  latency: a Key event is posted as `Pilot.press` does (but not timed
  through it: it waits 40-60 ms by itself) and the latency is the time to the
  end of the last frame it caused (frames within 150 ms of each other, and
  any while the tree opens or closes a whole subtree in a thread), with
  the UI thread's CPU time over the same interval.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time

DEFAULT_FILE = "/work/bench-data/inspect-1m.log"
#: The floor: orjson over every line (a gzipped file through gzip in a
#: 1 MiB buffer, the fastest stdlib way to read it).
FLOOR = """
import gzip, io, sys, time, orjson
loads = orjson.loads
t = time.perf_counter()
with open(sys.argv[1], 'rb') as raw:
    f = io.BufferedReader(gzip.GzipFile(fileobj=raw), 1 << 20) if sys.argv[1].endswith('.gz') else raw
    for line in f:
        loads(line)
print(time.perf_counter() - t)
"""
#: The floor of a SQLite database (a generic spans table, `bench_sqlite.py`):
#: every row of its biggest table fetched with sqlite3, nothing made of them.
SQLITE_FLOOR = """
import sqlite3, sys, time
t = time.perf_counter()
conn = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro&immutable=1", uri=True)
tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
table = max(tables, key=lambda name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
t = time.perf_counter()
cur = conn.execute(f'SELECT rowid, * FROM "{table}" ORDER BY rowid')
while cur.fetchmany(5000):
    pass
print(time.perf_counter() - t)
"""


def is_sqlite(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(16) == b"SQLite format 3\x00"


#: How long after the load's last frame the app's memory is read (s): once
#: it has settled (`app.SETTLE_DELAY`, 1 s): its indexes sized to what they
#: hold, what its first frames after the load freed given back.
SETTLE_S = 1.5
#: Quiet period that ends a key's burst of frames (s).
QUIET = 0.15


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def count_store(store) -> dict:
    spans = sum(len(r.spans) for r in store.runs.values())
    events = sum(len(r.events) for r in store.runs.values())
    events += sum(len(s.events) for r in store.runs.values() for s in r.spans.values() if s.events)
    return {"runs": len(store.runs), "spans": spans, "events": events}


# -- child: the engine alone -----------------------------------------------------

def child_engine(path: str) -> dict:
    import gc

    from tracetui.cli import load

    gc.collect()
    base = rss_mb()
    t0 = time.perf_counter()
    store, sources = load([path])  # what every CLI command reads with
    elapsed = time.perf_counter() - t0
    # The free pages handed back, as the app does once its load ends: what
    # is left is what the index holds, not what the heap kept for reuse.
    from tracetui.memory import give_back_free_memory
    give_back_free_memory()
    counts = count_store(store)
    held = rss_mb() - base
    return {"load_s": elapsed, "rss_base_mb": base, "rss_loaded_mb": rss_mb(), "peak_mb": peak_mb(),
            "bytes_per_span": held * 2**20 / max(1, counts["spans"]),
            "bytes_per_record": held * 2**20 / max(1, sum(s.records for s in sources)), **counts}


# -- child: the app headless ----------------------------------------------------

KEY_CHARS = {"space": " ", "slash": "/", "escape": None, "down": None, "up": None, "asterisk": "*",
             "shift+left": None}


def child_app(path: str, keys_per_kind: int, size: tuple[int, int], keys_loading: int = 0) -> dict:
    import gc

    gc.collect()
    base = rss_mb()
    t_open = time.perf_counter()
    ui_cpu_open, process_cpu_open = time.thread_time(), time.process_time()
    from tracetui.memory import share_one_heap
    from tracetui.prescan import start_early
    from tracetui.sources.discover import open_sources
    from tracetui.store import Store

    # As `app.main.build_app` does: one heap for every thread, the sources
    # opened and the big log's scan started before the app is imported.
    share_one_heap()
    store = Store()
    sources, notes = open_sources([path], store)
    scans = start_early(sources, [])

    # The explorer before Textual: it sets the frame rate Textual reads as
    # it is first imported (`tracetui.app.FRAMES_PER_SECOND`).
    import tracetui.app.app as app_module
    from tracetui.app.app import TraceApp

    from textual import events
    from textual._compositor import CompositorUpdate

    marks: dict[str, float] = {}
    frames: list[tuple[float, float, float]] = []  # (start, end, thread CPU at end)
    frame_seen = asyncio.Event()

    class BenchApp(TraceApp):
        # a subclass resolves a relative CSS_PATH beside its own module
        CSS_PATH = os.path.join(os.path.dirname(app_module.__file__), TraceApp.CSS_PATH)
        ticking = True

        def apply_changes(self) -> None:
            super().apply_changes()
            now = time.perf_counter()
            if "first_runs" not in marks and self.run_list.row_count() and self.tree.row_count():
                # The run list and the tree's first spans on screen; the
                # panel then says it is finding what runs (until the
                # prescan answers), or lists what was cancelled so far.
                marks["first_runs"] = now
            if "first_data" not in marks and self.run_list.row_count() and self.anomaly_panel.row_count():
                marks["first_data"] = now
            if not self.loading and "loaded" not in marks:
                marks["loaded"] = now
                # What the UI thread spent while the reader indexed: its
                # frames and layouts share the GIL with the reader.
                marks["ui_cpu_loaded"] = time.thread_time()
                marks["process_cpu_loaded"] = time.process_time()
            if (self.anomaly_panel.early or not self.loading) and "exact" not in marks:
                marks["exact"] = now  # the whole file's anomalies, from the prescan or the index

        def tick(self) -> None:
            if self.ticking:
                super().tick()

    app = BenchApp(sources, store, notes, prescans=scans)
    original_display = app._display

    def display(screen, renderable) -> None:
        start = time.perf_counter()
        original_display(screen, renderable)
        if isinstance(renderable, CompositorUpdate):
            renderable.render_segments(app.console)  # what a real terminal write would cost
        end = time.perf_counter()
        frames.append((start, end, time.thread_time()))
        for name in ("first_runs", "first_data", "exact", "loaded"):
            if name in marks and f"{name}_frame" not in marks:
                marks[f"{name}_frame"] = end
        frame_seen.set()

    app._display = display  # type: ignore[method-assign]
    result: dict = {}

    async def press(key: str) -> tuple[float, float, float, float, int]:
        """(ms to the first frame after the key, ms to the last frame of its
        burst, UI-thread CPU ms to each, frames)."""
        await asyncio.sleep(QUIET)
        n = len(frames)
        cpu0 = time.thread_time()
        t0 = time.perf_counter()
        event = events.Key(key, KEY_CHARS.get(key, key if len(key) == 1 else None))
        event.set_sender(app)
        app._driver.send_message(event)
        while True:
            frame_seen.clear()
            try:
                await asyncio.wait_for(frame_seen.wait(), QUIET)
            except asyncio.TimeoutError:
                # A whole subtree opened or closed in a thread: the burst
                # lasts until its rows are in place and drawn.
                if not getattr(app.tree, "subtree_busy", False):
                    break
        if len(frames) == n:
            nan = float("nan")
            return nan, nan, nan, (time.thread_time() - cpu0) * 1000, 0
        first, last = frames[n], frames[-1]
        return ((first[1] - t0) * 1000, (last[1] - t0) * 1000, (first[2] - cpu0) * 1000,
                (last[2] - cpu0) * 1000, len(frames) - n)

    # Inspect's tree: a task (its samples under it) and a sample (its
    # actions); another source's: a root and its first child with children.
    inspect = not is_sqlite(path)
    big, small = ("task", "sample") if inspect else ("root", "step")

    def row_of(kind: str) -> int:
        if not inspect:
            depth = 0 if kind == "root" else 1
            return next((i for i, (s, d) in enumerate(app.tree.rows) if d == depth and s.children), 0)
        return next((i for i, (s, _) in enumerate(app.tree.rows) if s.kind == kind), 0)

    async def drive() -> None:
        async with app.run_test(size=size) as pilot:
            deadline = time.perf_counter() + 900
            loading_keys: list = []
            while "loaded_frame" not in marks:
                if time.perf_counter() > deadline or not app.is_running:
                    raise SystemExit("bench_tui: the app never finished loading")
                if keys_loading and "first_runs_frame" in marks and len(loading_keys) < keys_loading:
                    # `--keys-while-loading`: the cursor moved in the tree
                    # while the reader indexes (it delays the index a little).
                    if app.focused is not app.tree:
                        app.tree.focus()
                    loading_keys.append(await press("j" if len(loading_keys) % 2 == 0 else "k"))
                    continue
                await asyncio.sleep(0.01)
            await pilot.pause()
            result["first_runs_s"] = marks["first_runs_frame"] - t_open
            result["first_screen_s"] = marks["first_data_frame"] - t_open
            result["indexed_s"] = marks["loaded_frame"] - t_open
            result["ui_cpu_loading_s"] = marks["ui_cpu_loaded"] - ui_cpu_open
            result["process_cpu_loading_s"] = marks["process_cpu_loaded"] - process_cpu_open
            result["exact_anomalies_s"] = marks["exact_frame"] - t_open
            gc.collect()
            result.update(count_store(store))
            result["records"] = sum(s.records for s in sources)
            result["rss_at_load_mb"] = rss_mb()
            # What the app holds once settled (`SETTLE_DELAY`).
            await asyncio.sleep(SETTLE_S)
            result["rss_loaded_mb"] = rss_mb()
            result["rss_base_mb"] = base
            result["bytes_per_span"] = (result["rss_loaded_mb"] - base) * 2**20 / max(1, result["spans"])
            result["anomaly_rows"] = app.anomaly_panel.row_count()
            result["tree_rows"] = app.tree.row_count()
            app.ticking = False
            lat: dict[str, list] = {}
            if loading_keys:
                lat["while loading: tree cursor (j/k)"] = loading_keys

            async def measure(label: str, key: str, times: int = keys_per_kind) -> None:
                for _ in range(times):
                    lat.setdefault(label, []).append(await press(key))

            # the span tree, focused, showing the run
            app.tree.focus()
            await pilot.pause()
            await measure("tree: cursor down (j)", "j")
            await measure("tree: cursor up (k)", "k")
            app.tree.move_to(row_of(big))
            await pilot.pause()
            result["task_children"] = len(app.tree.current.children or []) if app.tree.current else 0
            for _ in range(keys_per_kind):  # collapse then expand the first task (all its samples)
                lat.setdefault(f"tree: collapse a {big} (space)", []).append(await press("space"))
                lat.setdefault(f"tree: expand a {big} (space)", []).append(await press("space"))
            for _ in range(min(3, keys_per_kind)):  # the first task's whole subtree, opened and closed
                lat.setdefault(f"tree: expand a {big}'s subtree (*)", []).append(await press("asterisk"))
                lat.setdefault(f"tree: collapse a {big}'s subtree (shift+left)", []).append(
                    await press("shift+left"))
                await press("space")  # the task open again, its samples closed
            result["task_subtree_rows"] = sum(1 for _ in app.tree.current.walk()) if app.tree.current else 0
            app.tree.move_to(row_of(small))
            await pilot.pause()
            result["sample_children"] = len(app.tree.current.children or []) if app.tree.current else 0
            for _ in range(keys_per_kind):  # a sample: expand then collapse its actions
                lat.setdefault(f"tree: expand a {small} (space)", []).append(await press("space"))
                lat.setdefault(f"tree: collapse a {small} (space)", []).append(await press("space"))
            # a filter over every span of the run, one keystroke at a time
            await press("slash")
            for ch in "error":
                lat.setdefault("tree filter: a keystroke", []).append(await press(ch))
            for _ in range(5):
                lat.setdefault("tree filter: backspace", []).append(await press("backspace"))
            await press("escape")
            # the anomaly panel and the run list
            app.anomaly_panel.focus()
            await pilot.pause()
            await measure("anomalies: cursor down (j)", "j")
            rows = app.anomaly_panel.row_count()
            for i in range(min(keys_per_kind, rows)):
                # enter: jump to the anomaly's span in the tree (its ancestors
                # opened), from rows spread over the panel: the first rows
                # are top-level Run Tasks, the cheapest to reveal
                app.anomaly_panel.focus()
                app.anomaly_panel.move_to(i * rows // min(keys_per_kind, rows))
                await pilot.pause()
                lat.setdefault("anomalies: jump to the span (enter)", []).append(await press("enter"))
            app.anomaly_panel.focus()
            await pilot.pause()
            await measure("anomalies: toggle errors (e)", "e", 4)
            app.run_list.focus()
            await pilot.pause()
            await measure("runs: cursor down (j)", "j", 5)
            result["keys"] = {label: {
                "first_frame_ms": statistics.median(v[0] for v in vals), "first_frame_max_ms": max(v[0] for v in vals),
                "last_frame_ms": statistics.median(v[1] for v in vals), "last_frame_max_ms": max(v[1] for v in vals),
                "cpu_first_ms": statistics.median(v[2] for v in vals), "cpu_last_ms": statistics.median(v[3] for v in vals),
                "frames": statistics.median(v[4] for v in vals), "n": len(vals)} for label, vals in lat.items()}
            result["samples_ms"] = {label: [round(v[0], 1) for v in vals] for label, vals in lat.items()}
            result["peak_mb"] = peak_mb()
            await pilot.press("q")

    asyncio.run(drive())
    return result


# -- parent ------------------------------------------------------------------------

def run_child(mode: str, args: argparse.Namespace) -> dict:
    """One measurement in a fresh process, on the code this one runs: the
    child goes through `with_code.py` to the checkout `tracetui` was
    imported from, so `python bench/with_code.py OLD bench/bench_tui.py`
    measures OLD (its children imported the installed code, and an A/B
    compared the code with itself)."""
    import tracetui

    root = os.path.dirname(os.path.dirname(os.path.abspath(tracetui.__file__)))
    with_code = os.path.join(os.path.dirname(os.path.abspath(__file__)), "with_code.py")
    cmd = [sys.executable, with_code, root, os.path.abspath(__file__), args.file, "--child", mode,
           "--keys", str(args.keys), "--size", args.size, "--keys-while-loading", str(args.keys_while_loading)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
        raise SystemExit(f"bench_tui: the {mode} child failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file", nargs="?", default=DEFAULT_FILE)
    ap.add_argument("--repeat", type=int, default=2, help="fresh app runs (default 2)")
    ap.add_argument("--keys", type=int, default=15, help="presses per key kind (default 15)")
    ap.add_argument("--size", default="120x40", help="terminal size (default 120x40)")
    ap.add_argument("--keys-while-loading", type=int, default=0,
                    help="cursor keys pressed in the tree while the log is indexed (default 0; they "
                         "delay the index a little)")
    ap.add_argument("--out", help="JSON results file")
    ap.add_argument("--child", choices=("engine", "app"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        w, h = (int(x) for x in args.size.split("x"))
        res = child_engine(args.file) if args.child == "engine" else child_app(args.file, args.keys, (w, h), args.keys_while_loading)
        print(json.dumps(res))
        return 0
    if not os.path.exists(args.file):
        sys.exit(f"bench_tui: {args.file} not found (python bench/gen_inspect.py {args.file} --lines 1000000)")
    with open(args.file, "rb") as f:  # warm the page cache
        while f.read(1 << 24):
            pass
    # As `pip install .` leaves it: an editable install under
    # PYTHONDONTWRITEBYTECODE=1 compiles every module anew in each child
    # (100 ms more to the first screen; `run_bench.byte_compile`).
    import compileall

    import tracetui
    compileall.compile_dir(os.path.dirname(tracetui.__file__), quiet=1)
    floors = []
    for _ in range(3):
        floor_script = SQLITE_FLOOR if is_sqlite(args.file) else FLOOR
        out = subprocess.run([sys.executable, "-c", floor_script, args.file], capture_output=True, text=True,
                             check=True)
        floors.append(float(out.stdout))
    floor = statistics.median(floors)
    print(f"load {os.getloadavg()[0]:.2f}; floor {floor:.2f} s", file=sys.stderr)
    engines = [run_child("engine", args) for _ in range(args.repeat)]
    apps = []
    for i in range(args.repeat):
        print(f"load {os.getloadavg()[0]:.2f}; app run {i + 1}", file=sys.stderr)
        apps.append(run_child("app", args))
    results = {"file": args.file, "floor_s": floor, "engine": engines, "app": apps,
               "small_app": small_app_footprint(args), "load_avg_1m": os.getloadavg()[0]}
    report(results)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)
    return 0


#: Lines of the small log whose app's footprint is what the app holds
#: whatever it reads (`small_app_footprint`).
SMALL_LOG_LINES = 200


def small_app_footprint(args: argparse.Namespace) -> dict:
    """The app run (no keys) on a small generated log: its RSS delta is what
    the app holds whatever it reads (Textual and its own modules imported,
    its widgets, caches sized by the screen), to tell the memory a span
    costs from the memory the app costs."""
    import tempfile

    gen = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen_inspect.py")
    with tempfile.TemporaryDirectory() as tmp:
        small = os.path.join(tmp, "small.log")
        subprocess.run([sys.executable, gen, small, "--lines", str(SMALL_LOG_LINES), "--seed", "5", "-q"],
                       check=True)
        return run_child("app", argparse.Namespace(**{**vars(args), "file": small, "keys": 0}))


def report(r: dict) -> None:
    floor = r["floor_s"]
    eng, apps = r["engine"], r["app"]
    med = lambda xs: statistics.median(xs)  # noqa: E731
    a = apps[0]
    print(f"\n{os.path.basename(r['file'])}: {a['records']:,} records, {a['spans']:,} spans, "
          f"{a['events']:,} events; {'sqlite3' if is_sqlite(r['file']) else 'orjson'} floor {floor:.2f} s; "
          f"{len(apps)} app runs, medians\n")
    print("| what | measured | target |")
    print("|---|---|---|")
    print(f"| first screen with runs and the tree | {med([x['first_runs_s'] for x in apps]):.2f} s | ≤ 0.5 s |")
    print(f"| first screen with runs and anomaly rows | {med([x['first_screen_s'] for x in apps]):.2f} s | ≤ 0.5 s |")
    exact = [x["exact_anomalies_s"] for x in apps if "exact_anomalies_s" in x]
    if exact:
        print(f"| the whole file's anomalies shown (prescan) | {med(exact):.2f} s | |")
    indexed = med([x["indexed_s"] for x in apps])
    print(f"| every span indexed, TUI (open → frame after load) | {indexed:.2f} s ({indexed / floor:.2f}× floor) | ≤ 2× floor ({2 * floor:.2f} s) |")
    if all("ui_cpu_loading_s" in x for x in apps):
        ui = med([x["ui_cpu_loading_s"] for x in apps])
        process = med([x["process_cpu_loading_s"] for x in apps])
        print(f"| CPU while indexing: the UI thread, the whole TUI process | {ui:.2f} s, {process:.2f} s | |")
    load = med([x["load_s"] for x in eng])
    print(f"| every span indexed, engine alone | {load:.2f} s ({load / floor:.2f}× floor) | |")
    print(f"| memory per span held, TUI (RSS delta ÷ spans, {SETTLE_S:.1f} s after the load) | "
          f"{med([x['bytes_per_span'] for x in apps]):.0f} B | ≤ 250 B |")
    if all("rss_at_load_mb" in x for x in apps):
        at_load = med([(x["rss_at_load_mb"] - x["rss_base_mb"]) * 2**20 / max(1, x["spans"]) for x in apps])
        print(f"| memory per span held, TUI, at the frame the load ends | {at_load:.0f} B | |")
    small = r.get("small_app")
    if small:
        app_mb = small["rss_loaded_mb"] - small["rss_base_mb"]
        above = med([(x["rss_loaded_mb"] - x["rss_base_mb"] - app_mb) * 2**20 / (x["spans"] - small["spans"])
                     for x in apps])
        print(f"| memory per span held, TUI, above the app's own {app_mb:.0f} MB (its RSS delta on a "
              f"{SMALL_LOG_LINES}-line log) | {above:.0f} B | |")
    print(f"| memory per span held, engine alone | {med([x['bytes_per_span'] for x in eng]):.0f} B "
          f"({med([x['bytes_per_record'] for x in eng]):.0f} B per record) | |")
    print(f"| RSS with everything loaded, TUI | {med([x['rss_loaded_mb'] for x in apps]):.0f} MB | |")
    print()
    print("| key (all spans loaded, but the while-loading row) | key → first frame, median (max) | UI CPU to it | key → last frame of the burst, median (max) | UI CPU to it | frames | target |")
    print("|---|---|---|---|---|---|---|")
    for label in a["keys"]:
        vals = [x["keys"][label] for x in apps]
        print(f"| {label} | {med([v['first_frame_ms'] for v in vals]):.1f} ms ({max(v['first_frame_max_ms'] for v in vals):.0f}) | "
              f"{med([v['cpu_first_ms'] for v in vals]):.1f} ms | "
              f"{med([v['last_frame_ms'] for v in vals]):.1f} ms ({max(v['last_frame_max_ms'] for v in vals):.0f}) | "
              f"{med([v['cpu_last_ms'] for v in vals]):.1f} ms | {vals[0]['frames']:.0f} | ≤ 16 ms |")
    print(f"\ntree rows shown {a['tree_rows']:,}; the task (or root) expanded has {a['task_children']:,} children, "
          f"{a.get('task_subtree_rows', 0):,} nodes in all; the sample {a.get('sample_children', 0):,}; "
          f"anomaly panel rows {a['anomaly_rows']}; load average {r['load_avg_1m']:.2f}")


if __name__ == "__main__":
    sys.exit(main())
