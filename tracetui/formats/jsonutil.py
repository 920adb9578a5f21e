"""JSON helpers shared by the line decoders."""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(line: bytes) -> Any:
    """Parse one record. orjson first (fast); the stdlib as a fallback for
    what Python's json accepts and orjson does not (NaN, Infinity, integers
    beyond 64 bits), so we read every line Inspect's reader reads.
    Raises ValueError for anything that is not JSON."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        try:
            return json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise ValueError(str(exc)) from None
    except RecursionError as exc:  # pragma: no cover - orjson limits depth itself
        raise ValueError(str(exc)) from None


def as_float(value: Any) -> float | None:
    """Lenient float, as pydantic's lax mode reads one (what Inspect accepts).
    Raises ValueError when the value cannot be a number; None stays None."""
    if value is None:
        return None
    if isinstance(value, (bool, int, float)):
        return float(value)
    if isinstance(value, str):
        return float(value.strip())
    raise ValueError(f"not a number: {type(value).__name__}")
