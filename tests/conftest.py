"""Shared test fixtures."""

from __future__ import annotations

import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(REPO, "sample_traces")


@pytest.fixture
def writer(tmp_path):
    """A pipeline's trace file, just created (empty), and a process of its
    own appending to it, holding it open (`writer_process.Writer`)."""
    from writer_process import Writer

    path = str(tmp_path / "pipeline.jsonl")
    open(path, "w").close()
    proc = Writer(path)
    yield path, proc
    proc.close()


@pytest.fixture
def samples() -> str:
    return SAMPLES


@pytest.fixture(autouse=True)
def synthetic_logs_are_current(monkeypatch):
    """The tests' Inspect logs carry fixed timestamps (2026-11-23) and are
    written as a test runs: as if their eval wrote them now. The app would
    take them for copies (`inspect.COPY_GAP`: records much older than the
    last write) and never for live logs; the tests of that rule set it back
    (`real_copy_gap`)."""
    from tracetui.formats import inspect

    monkeypatch.setattr(inspect, "COPY_GAP", float("inf"))


@pytest.fixture
def real_copy_gap(monkeypatch):
    from tracetui.formats import inspect

    monkeypatch.setattr(inspect, "COPY_GAP", REAL_COPY_GAP)


def _real_copy_gap() -> float:
    from tracetui.formats import inspect

    return inspect.COPY_GAP


REAL_COPY_GAP = _real_copy_gap()
