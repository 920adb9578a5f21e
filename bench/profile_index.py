#!/usr/bin/env python3
"""Where the time of indexing an Inspect log goes, stage by stage.

    python bench/profile_index.py [FILE] [--repeat 3]

Reads FILE (default /work/bench-data/inspect-200k.log) the way every CLI
command does (`tracetui.cli.load`), several times in this process, with the
Inspect decoder cut short at successive stages, and prints the best CPU time
of each, so the difference between two rows is what that stage costs:

- read + split: the follower's reads and line splitting, nothing decoded;
- + orjson: every line parsed;
- + validate: Inspect's record validation;
- + events: the non-action records (HTTP, TRACE messages) kept;
- full: the inferred tree (samples, nesting, anomaly buckets) built, in
  Python alone and then with the common actions applied in C
  (`_fastindex.c`).

This is the evidence behind the index-time figures in the README: the tree
building, one Python object per span, costs more than the parse.
"""

from __future__ import annotations

import argparse
import gc
import time

import orjson

from tracetui.cli import load
from tracetui.formats import inspect as inspect_format

DEFAULT_FILE = "/work/bench-data/inspect-200k.log"


def _read_only(self, lines, pos, crs=True) -> None:
    pass


def _parse_only(self, lines, pos, crs=True) -> None:
    for line in lines:
        try:
            orjson.loads(line)
        except orjson.JSONDecodeError:
            pass


def _validate_only(self, lines, pos, crs=True) -> None:
    for line in lines:
        try:
            inspect_format.validate(orjson.loads(line))
        except (orjson.JSONDecodeError, ValueError, TypeError, AttributeError, OverflowError):
            pass


STAGES = {
    # The reader hands the decoder runs of consecutive lines (`feed_run`).
    "read + split": {"feed_run": _read_only},
    "+ orjson": {"feed_run": _parse_only},
    "+ validate": {"feed_run": _validate_only},
    "+ events (actions skipped)": {"_enter": lambda self, *a: None, "_close": lambda self, *a: None},
    "full, Python alone (the C path off)": {"FAST_FEED": None},
    "full": {},
}
#: Stages that set a module global of the decoder's, not a method.
MODULE_PATCHES = {"FAST_FEED"}


def best_cpu(path: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        store, sources = load([path])
        best = min(best, time.process_time() - start)
        del store, sources
        gc.unfreeze()  # `load` froze what it read; let it go before the next round
        gc.collect()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=DEFAULT_FILE)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    decoder = inspect_format.InspectDecoder
    print(f"{args.file}, best CPU time of {args.repeat} reads through cli.load:")
    previous = 0.0
    for name, patches in STAGES.items():
        # The stages up to `+ events` skip the C path too: it would apply
        # the actions their patches skip.
        if "full" not in name:
            patches = {**patches, "FAST_FEED": None}
        targets = {attr: inspect_format if attr in MODULE_PATCHES else decoder for attr in patches}
        saved = {attr: getattr(targets[attr], attr) for attr in patches}
        for attr, fn in patches.items():
            setattr(targets[attr], attr, fn)
        try:
            seconds = best_cpu(args.file, args.repeat)
        finally:
            for attr, fn in saved.items():
                setattr(targets[attr], attr, fn)
        print(f"  {name:36s} {seconds:6.3f} s  (+{seconds - previous:.3f} s)")
        previous = seconds


if __name__ == "__main__":
    main()
