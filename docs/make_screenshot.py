"""Make docs/screenshot.svg (and .png, when `rsvg-convert` is installed):
the explorer on the demo's hung eval, after `a` `enter` on its first
anomaly, at 120x36. Run: `python docs/make_screenshot.py`."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from headless import open_app, settle  # noqa: E402

from tracetui.demo import write_demo_trace  # noqa: E402

#: The demo trace's own clock, a minute after it starts: ages as a user sees them.
NOW = 1795412244.3741555 + 66


async def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        # Named after this (Python) process, as Inspect names its log: live.
        path = os.path.join(directory, f"trace-{os.getpid()}.log")
        write_demo_trace(path)
        app = open_app(path, now=NOW)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot, app)
            await pilot.press("a", "enter")
            await pilot.pause(0.5)
            app.save_screenshot(filename="screenshot.svg", path=HERE)
    if shutil.which("rsvg-convert"):
        subprocess.run(["rsvg-convert", os.path.join(HERE, "screenshot.svg"), "-o",
                        os.path.join(HERE, "screenshot.png")], check=True)


if __name__ == "__main__":
    asyncio.run(main())
