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


def _children_too(root: str) -> None:
    """Python children run as `python -m tracetui…` (the app's prescan,
    `tracetui.prescan`) go through this script too: their PYTHONPATH alone
    left them the installed code, and an A/B of the old app ran the new
    scan (whose answer the old app could not read)."""
    import subprocess

    popen_init = subprocess.Popen.__init__

    def init(self, args, *rest, **kwargs):
        if (isinstance(args, list) and len(args) > 2 and args[0] == sys.executable and args[1] == "-m"
                and str(args[2]).startswith("tracetui")):
            args = [sys.executable, __file__, root, *args[1:]]
        popen_init(self, args, *rest, **kwargs)

    subprocess.Popen.__init__ = init


def main() -> None:
    root = sys.argv.pop(1)
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    sys.path.insert(0, root)
    import tracetui

    if not tracetui.__file__.startswith(root):
        sys.exit(f"with_code: tracetui still comes from {tracetui.__file__}")
    _children_too(root)
    if sys.argv[1] == "-m":  # [this, -m, module, args…] → [module, args…]
        del sys.argv[:2]
        runpy.run_module(sys.argv[0], run_name="__main__")
    else:  # [this, script, args…] → [script, args…]
        del sys.argv[0]
        runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
