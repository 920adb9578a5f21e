"""A real process that writes a trace file as a pipeline does, holding it
open: the tests of what tracetui makes of a file's writer
(`tracetui/sources/writers.py`) need one that is not the test itself."""

from __future__ import annotations

import json
import subprocess
import sys

#: The writer: appends each chunk of text it is given on stdin (a JSON
#: string a line), flushing, with the file held open until stdin closes.
WRITER = """
import json, sys
with open(sys.argv[1], "a") as out:
    print("open", flush=True)
    for line in sys.stdin:
        out.write(json.loads(line))
        out.flush()
        print("written", flush=True)
"""


class Writer:
    """A process appending to `path` what `write` is given, holding it open."""

    def __init__(self, path: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", WRITER, path], text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.proc.stdout.readline() == "open\n"

    def write(self, text: str) -> None:
        self.proc.stdin.write(json.dumps(text) + "\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline() == "written\n"

    def close(self) -> None:
        """Let it end (its file closed), if it still runs."""
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
