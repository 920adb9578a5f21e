"""Run tracetui, or a bench script, on another checkout of the code, for
an A/B beside the installed one: `python bench/with_code.py DIR -m tracetui
anomalies FILE --json` or `python bench/with_code.py DIR bench/bench_tail.py
…` (DIR: e.g. `git worktree add /tmp/old REV`).

`PYTHONPATH=DIR` is not enough: the editable install's import hook comes
before the path, so the installed code runs either way (A/B figures made
so compare the code with itself)."""

from __future__ import annotations

import runpy
import sys


def main() -> None:
    root = sys.argv.pop(1)
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    sys.path.insert(0, root)
    import tracetui

    if not tracetui.__file__.startswith(root):
        sys.exit(f"with_code: tracetui still comes from {tracetui.__file__}")
    if sys.argv[1] == "-m":  # [this, -m, module, args…] → [module, args…]
        del sys.argv[:2]
        runpy.run_module(sys.argv[0], run_name="__main__")
    else:  # [this, script, args…] → [script, args…]
        del sys.argv[0]
        runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
