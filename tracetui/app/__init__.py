"""The Textual explorer: screens, widgets and styles. Reads the store, adds
only presentation."""

import importlib
import os

#: Textual draws at most this many frames a second (its `TEXTUAL_FPS`, read
#: once, when Textual is first imported: so here, before any module of the
#: explorer imports it; a user's own `TEXTUAL_FPS` wins). Textual's 60 holds
#: a change back until 1/60 s after the last frame began: following a log
#: written at 1,000 lines/s, each new line waited ~8 ms for its frame, and
#: reached the screen at p50 16.8–18.3 ms; at 120, 12.4–14.1 ms, for ~10 %
#: more of a core (`bench/bench_tail.py --reader app --rate 1000`). A key
#: pressed after a quiet spell is drawn at once either way. (Tried on
#: 2026-12-03, it took only a millisecond off, `bench/HISTORY.md`; why it
#: gives more now was not established.)
FRAMES_PER_SECOND = 120

_OURS = "TEXTUAL_FPS" not in os.environ
if _OURS:
    os.environ["TEXTUAL_FPS"] = str(FRAMES_PER_SECOND)
importlib.import_module("textual.constants")  # Textual reads it now, once

if _OURS:
    # Read: not passed on to what the explorer starts (the prescan's
    # process, a Textual app a user's shell runs from it).
    del os.environ["TEXTUAL_FPS"]
