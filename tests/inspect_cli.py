"""Where the tests find Inspect itself, to compare answers with it.

`TRACETUI_INSPECT_VENV` names a venv with `inspect-ai` installed (`.ci/run`
makes one, `.ci-inspect-venv`); else this project's development machine's
`/work/inspect-venv`. Without one, the tests that run Inspect are skipped
(the stored `expected` answers are still compared)."""

from __future__ import annotations

import os

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CANDIDATES = [os.environ.get("TRACETUI_INSPECT_VENV", ""), os.path.join(_ROOT, ".ci-inspect-venv"),
               "/work/inspect-venv"]
#: The venv found, or the last place looked (so `os.path.exists` says no).
VENV = next((v for v in _CANDIDATES if v and os.path.exists(os.path.join(v, "bin", "inspect"))),
            _CANDIDATES[-1])
INSPECT = os.path.join(VENV, "bin", "inspect")
INSPECT_PYTHON = os.path.join(VENV, "bin", "python")
