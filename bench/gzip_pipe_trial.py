#!/usr/bin/env python3
"""A rejected design for the gzipped anomaly scan, kept so its figures can be rerun.

    python bench/gzip_pipe_trial.py FILE.gz [--share 0.7] [--chunk-mb 4] [--switch 0.005]

`tracetui anomalies` on a .gz decompresses the head of the stream twice:
the child folds the head, and the parent inflates it again only to reach
the tail (`fastscan._scan_gzip`). This trial decompresses once: a thread in
the parent inflates the whole stream and deals blocks of whole lines, in
`--chunk-mb` pieces, `--share` of them to a forked child through a pipe
(1 MiB pipe buffer) and the rest to the parent's own folder. Only the
folding is timed (no merge), so it is a lower bound for the design.

Measured on the 2-core machine (2026-12-01, a 1.1M-line log, 47 MB gzipped;
the shipped scan takes 1.67 s): share 0.6 / 0.7 / 0.75 took 2.14 / 2.23 /
2.23 s; with a 1 ms GIL switch interval 1.84 s (0.2 ms: 1.87 s); the child
folding everything while the parent only inflates, 2.42 s. Passing the
decompressed bytes through a pipe and sharing the parent's GIL between the
inflater and a folder cost more than the second decompression saves.
"""

from __future__ import annotations

import argparse
import fcntl
import gc
import os
import queue
import sys
import threading
import time

from tracetui.fastscan import Folder, _read_exact
from tracetui.sources.files import inflate

F_SETPIPE_SZ = 1031


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--share", type=float, default=0.7, help="share of blocks the child folds")
    ap.add_argument("--chunk-mb", type=int, default=4)
    ap.add_argument("--switch", type=float, default=0.005, help="sys.setswitchinterval")
    args = ap.parse_args()
    chunk = args.chunk_mb << 20
    gc.disable()
    sys.setswitchinterval(args.switch)
    t0 = time.perf_counter()
    read_fd, write_fd = os.pipe()
    try:
        fcntl.fcntl(write_fd, F_SETPIPE_SZ, 1 << 20)
    except OSError:
        pass
    pid = os.fork()
    if pid == 0:
        os.close(write_fd)
        folder = Folder(None)
        while n := int.from_bytes(_read_exact(read_fd, 8), "little"):
            folder.feed(_read_exact(read_fd, n), 0)
        os._exit(0)
    os.close(read_fd)
    mine: queue.Queue = queue.Queue()

    def send(data: bytes) -> None:
        os.write(write_fd, len(data).to_bytes(8, "little"))
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view):]

    def inflater() -> None:
        carry, parts, size, credit = b"", [], 0, 0.0
        with open(args.file, "rb") as raw:
            for piece in inflate(raw, 1 << 20):
                block = carry + piece if carry else piece
                cut = block.rfind(b"\n") + 1
                parts.append(block[:cut])
                size += cut
                carry = block[cut:]
                if size >= chunk:
                    data, parts, size = b"".join(parts), [], 0
                    credit += args.share
                    if credit >= 1.0:
                        credit -= 1.0
                        send(data)
                    else:
                        mine.put(data)
        mine.put(b"".join(parts) + carry)
        os.write(write_fd, (0).to_bytes(8, "little"))
        mine.put(None)

    thread = threading.Thread(target=inflater)
    thread.start()
    folder = Folder(None)
    while (data := mine.get()) is not None:
        folder.feed(data, 0)
    os.waitpid(pid, 0)
    print(f"share {args.share}, chunks of {args.chunk_mb} MB, switch {args.switch}: "
          f"{time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
