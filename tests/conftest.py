"""Shared test fixtures."""

from __future__ import annotations

import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(REPO, "sample_traces")


@pytest.fixture
def samples() -> str:
    return SAMPLES
