"""The explorer draws up to `FRAMES_PER_SECOND` frames a second, not
Textual's 60 (a followed log's lines reach the screen ~4 ms sooner), and a
user's own `TEXTUAL_FPS` wins; the explorer's own setting stays its own."""

from __future__ import annotations

import os
import subprocess
import sys

from tracetui.app import FRAMES_PER_SECOND

#: What a fresh process running the explorer's entry point ends up with:
#: Textual's frame cap, and the period of the screen's update timer it sets.
PROBE = (
    "import tracetui.app.main, textual.constants, textual.screen; "
    "import os; "
    "print(textual.constants.MAX_FPS, textual.screen.UPDATE_PERIOD, os.environ.get('TEXTUAL_FPS', '-'))"
)


def frame_cap(user_setting: str | None = None) -> tuple[int, float, str]:
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    if user_setting is not None:
        env["TEXTUAL_FPS"] = user_setting
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    fps, period, passed_on = done.stdout.split()
    return int(fps), float(period), passed_on


def test_the_explorer_raises_textuals_frame_cap() -> None:
    assert FRAMES_PER_SECOND > 60
    # and the setting it made is not passed on to the processes it starts
    assert frame_cap() == (FRAMES_PER_SECOND, 1 / FRAMES_PER_SECOND, "-")


def test_a_users_own_frame_rate_wins() -> None:
    assert frame_cap("30") == (30, 1 / 30, "30")
