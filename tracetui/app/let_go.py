"""The event loop's thread pool, let go of at exit after a short wait.

Textual runs the app under `asyncio.run`, which at exit joins every thread
of the loop's default executor, with no limit (Python 3.11). A reader
thread stuck in a read that never returns (a trace on a dead network
mount) held the process there for good after `q`: the app closed its
screen, and the terminal waited. This pool waits for its threads a moment
at shutdown, then lets them go; the process exits (`cli.entry`) without
joining them.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

#: How long shutdown waits for the pool's threads to finish what they do:
#: a poll of a healthy file or database ends within it.
JOIN_TIMEOUT = 2.0


class LetGoExecutor(ThreadPoolExecutor):
    """A `ThreadPoolExecutor` whose `shutdown(wait=True)` waits at most
    JOIN_TIMEOUT for its threads, in all."""

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=False, cancel_futures=cancel_futures)
        if not wait:
            return
        deadline = time.monotonic() + JOIN_TIMEOUT
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
