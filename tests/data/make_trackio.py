"""Make the small Trackio fixture databases in tests/data/trackio/ with Trackio itself.

Run with a Python that has Trackio installed (it is not a tracetui dependency):

    /work/trackio-venv/bin/python tests/data/make_trackio.py      # 0.26+ → traces table
    /work/trackio025-venv/bin/python tests/data/make_trackio.py   # 0.25  → traces in metrics rows

Trackio writes `$TRACKIO_DIR/<project>.db` (WAL) from a background thread and
images under `$TRACKIO_DIR/media/<project>/`; this script points TRACKIO_DIR
at a scratch folder, then copies the checkpointed database (and the media)
into tests/data/trackio/. It also saves Trackio's own `get_traces` answer
beside the database, for the tests to compare with.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import sqlite3
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "trackio")


def main() -> None:
    scratch = tempfile.mkdtemp(prefix="trackio-fixture-")
    os.environ["TRACKIO_DIR"] = scratch
    os.environ["TRACKIO_STORAGE_MODE"] = "sqlite"
    os.environ["HF_HUB_OFFLINE"] = "1"
    import numpy as np
    import trackio

    version = trackio.__version__
    modern = tuple(int(p) for p in version.split(".")[:2]) >= (0, 26)
    project = "agent-evals" if modern else "agent-evals-025"
    has_spans = "spans" in trackio.Trace.__init__.__code__.co_varnames

    run = trackio.init(project=project, name="sweep-a", config={"model": "gpt-4o-mini"})
    t0 = datetime.datetime.now(datetime.timezone.utc)
    for step in range(3):
        messages = [
            {"role": "system", "content": "You are a careful assistant."},
            {"role": "user", "content": f"What is {step} + 2? Use the calculator."},
            {"role": "assistant", "content": None, "tool_calls": [{
                "id": f"call_{step}", "type": "function",
                "function": {"name": "calculator", "arguments": json.dumps({"expr": f"{step}+2"})}}]},
            {"role": "tool", "tool_call_id": f"call_{step}", "content": str(step + 2)},
            {"role": "assistant", "content": f"The answer is {step + 2}. [red]not markup[/red]"},
        ]
        kwargs = {"metadata": {"model": "gpt-4o-mini", "reward": step / 2, "score": 1.0}}
        if has_spans and step == 1:
            kwargs["spans"] = [
                {"id": "gen-1", "name": "chat.completions", "kind": "generation",
                 "start_time": t0.isoformat(), "end_time": (t0 + datetime.timedelta(seconds=1.5)).isoformat(),
                 "model": "gpt-4o-mini", "usage": {"prompt_tokens": 30, "completion_tokens": 9},
                 "status": "ok"},
                {"id": "tool-1", "parent_id": "gen-1", "name": "calculator", "kind": "tool",
                 "duration_ms": 12, "input": {"expr": "1+2"}, "output": "3"},
                {"id": "tool-2", "parent_id": "gen-1", "name": "web_search", "kind": "tool",
                 "duration_ms": 800, "status": "error", "error": "rate limited"},
            ]
        run.log({"trace": trackio.Trace(messages=messages, **kwargs), "loss": 1.0 / (step + 1)}, step=step)
    # A multimodal trace with an image (saved under media/<project>/<run>/<step>/).
    image = trackio.Image(np.zeros((4, 4, 3), dtype=np.uint8), caption="blank")
    run.log({"vision": trackio.Trace(messages=[
        {"role": "user", "content": [{"type": "text", "text": "What is in this image?"},
                                     {"type": "image", "image": image}]},
        {"role": "assistant", "content": "A black square."}],
        metadata={"model": "gpt-4o"})}, step=3)
    trackio.finish()

    run = trackio.init(project=project, name="sweep-b")
    run.log({"trace": trackio.Trace(messages=[{"role": "user", "content": "hi"},
                                              {"role": "assistant", "content": "hello"}])}, step=0)
    trackio.finish()

    db = os.path.join(scratch, f"{project}.db")
    # Checkpoint so the copy is one self-contained file.
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    os.makedirs(OUT, exist_ok=True)
    target = os.path.join(OUT, f"{project}.db")
    shutil.copyfile(db, target)
    # Our copy: small pages and no free ones keep the fixture small; WAL
    # mode (as Trackio leaves it) is restored afterwards.
    con = sqlite3.connect(target)
    con.execute("PRAGMA journal_mode=DELETE")
    con.execute("PRAGMA page_size=1024")
    con.execute("VACUUM")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    media = os.path.join(scratch, "media", project)
    if os.path.isdir(media):
        shutil.rmtree(os.path.join(OUT, "media", project), ignore_errors=True)
        shutil.copytree(media, os.path.join(OUT, "media", project))
    answer = {"trackio_version": version}
    get_traces = getattr(trackio.sqlite_storage.SQLiteStorage, "get_traces", None)
    if get_traces is not None:
        answer["get_traces"] = {name: get_traces(project, run=name) for name in ("sweep-a", "sweep-b")}
    with open(os.path.join(OUT, f"{project}.expected.json"), "w") as f:
        json.dump(answer, f, indent=1, default=str)
    shutil.rmtree(scratch, ignore_errors=True)
    print(f"trackio {version}: wrote {target}")


if __name__ == "__main__":
    sys.exit(main())
