"""`jsonout.encode` writes what `json.dumps(value, indent=2)` writes, byte for
byte, by its own faster path for plain values and json's for the rest."""

from __future__ import annotations

import enum
import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from tracetui.jsonout import _finite, encode

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                    st.text())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner), st.dictionaries(st.text(), inner),
                                                       st.tuples(inner, inner)), max_leaves=40)


@settings(max_examples=200)
@given(VALUES)
def test_encode_is_json_dumps_indented(value):
    assert encode(value, strict=False) == json.dumps(value, indent=2, allow_nan=True)


@settings(max_examples=200)
@given(VALUES)
def test_strict_encode_turns_nan_and_infinities_into_null(value):
    try:
        expected = json.dumps(value, indent=2, allow_nan=False)
    except ValueError:
        expected = json.dumps(_finite(value), indent=2)
    assert encode(value) == expected


class Level(enum.IntEnum):
    WARN = 30


def test_values_of_other_types_are_left_to_json():
    """Keys that are not strings and subclasses of int or float: json.dumps
    writes them its way (a key made a string, an enum by its number)."""
    value = {"rows": [{1: "one", None: Level.WARN, 2.5: [math.nan, ()]}], "level": Level.WARN}
    assert encode(value, strict=False) == json.dumps(value, indent=2)
    assert encode(value) == json.dumps(_finite(value), indent=2)


def test_deep_nesting_is_encoded_as_json_would():
    value: list = []
    for _ in range(300):
        value = [value, {"k": value and 1.5}]
    assert encode(value) == json.dumps(value, indent=2)
