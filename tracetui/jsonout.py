"""Indented JSON written as it is made, byte for byte what `json.dumps(value,
indent=2)` writes for the whole value (up to `MAX_INDENT_DEPTH`).

`spans --json` and `tree --json` of a 1M-line log built 400k dicts and then
one 150 MB string before printing a byte (1.5 GB at the peak, 15 s of
silence); written item by item they hold one item at a time."""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring_ascii as _string
from typing import Any, Callable, Iterable

from tracetui.analysis import span_node_json
from tracetui.model import Run, Span

Write = Callable[[str], Any]

#: Stands in for a node's children while the node is encoded, so the text
#: can be cut there and the children written in between. Only `orphan: true`
#: follows it in a node, so its last occurrence is the one.
_HOLE = "\x00children\x00"
_HOLE_JSON = json.dumps(_HOLE)
#: Nesting deeper than this is written no further in: a chain of 10,000
#: spans (a hostile trace) made `tree --json` gigabytes of spaces (QA).
#: 50 levels of spans, each a node and its `children` list.
MAX_INDENT_DEPTH = 100


def _indent(depth: int) -> str:
    return "  " * min(depth, MAX_INDENT_DEPTH)


def encode(value: Any, strict: bool = True) -> str:
    """Indented JSON. `strict`: NaN and infinities (a hostile trace's
    numbers) become null, so `jq` can read it; `anomalies --json` passes
    False to print what Inspect prints for the same file."""
    try:
        try:
            parts: list[str] = []
            _encode_plain(value, parts, "\n", not strict)
            return "".join(parts)
        except (_NotPlain, RecursionError):
            return json.dumps(value, indent=2, allow_nan=not strict)
    except ValueError:
        return json.dumps(_finite(value), indent=2)


class _NotPlain(Exception):
    """A value `_encode_plain` leaves to `json.dumps`."""


_NAMED_FLOATS = {math.inf: "Infinity", -math.inf: "-Infinity"}


def _scalar(value: Any, allow_nan: bool) -> str:
    """A JSON scalar as `json.dumps` writes it; raises _NotPlain for a
    container or any type but the plain ones."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is float:
        if value - value == 0:
            return float.__repr__(value)
        if not allow_nan:
            raise ValueError("Out of range float values are not JSON compliant")
        return _NAMED_FLOATS.get(value, "NaN")
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    raise _NotPlain


def _encode_plain(value: Any, out: list[str], newline: str, allow_nan: bool) -> None:
    """`json.dumps(value, indent=2)` appended to `out`, for dicts with str
    keys, lists, tuples and the plain scalars (anything else raises
    _NotPlain). Why not `json.dumps`: with `indent` it runs its pure-Python
    encoder, 70 ms for the 4,500 rows of a 1M-line log's anomalies (7 % of
    `anomalies --json`); here each scalar is one C call. `newline`: a line
    break and the indent of the value's own depth."""
    kind = type(value)
    if kind is dict:
        items = ((_key(key) + ": ", item) for key, item in value.items())
        brackets = "{}"
    elif kind is list or kind is tuple:
        items = (("", item) for item in value)
        brackets = "[]"
    else:
        out.append(_scalar(value, allow_nan))
        return
    if not value:
        out.append(brackets)
        return
    inner = newline + "  "
    opening = brackets[0] + inner
    for head, item in items:
        out.append(opening + head)
        opening = "," + inner
        if type(item) in _CONTAINERS:
            _encode_plain(item, out, inner, allow_nan)
        else:
            out.append(_scalar(item, allow_nan))
    out.append(newline + brackets[1])


def _key(key: Any) -> str:
    if type(key) is not str:
        raise _NotPlain  # json.dumps turns such keys into strings
    return _string(key)


_CONTAINERS = frozenset((dict, list, tuple))


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if value - value == 0 else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _at(text: str, depth: int) -> str:
    """Encoded text moved `depth` levels in (its first line is placed by
    the caller)."""
    return text.replace("\n", "\n" + _indent(depth)) if depth else text


def write_list(write: Write, items: Iterable[Any], depth: int = 0,
               item_writer: Callable[[Write, Any, int], None] | None = None) -> None:
    """A JSON list at `depth`, each item encoded (or written by
    `item_writer(write, item, depth)`) as it comes."""
    pad = "\n" + _indent(depth + 1)
    first = True
    for item in items:
        write("[" + pad if first else "," + pad)
        first = False
        if item_writer is None:
            write(_at(encode(item), depth + 1))
        else:
            item_writer(write, item, depth + 1)
    write("[]" if first else "\n" + _indent(depth) + "]")


def _cut(value: dict[str, Any], key: str, depth: int) -> tuple[str, str]:
    """`value` encoded at `depth` with `key`'s value left out: the text
    before it and after it."""
    value[key] = _HOLE
    head, tail = _at(encode(value), depth).rsplit(_HOLE_JSON, 1)
    return head, tail


def write_span_tree(write: Write, span: Span, as_of: float, depth: int = 0) -> None:
    """`analysis.span_tree_json(span)` at `depth`, one node at a time (with
    a stack: trees can be deep)."""
    stack: list[list] = []  # [children left, the node's depth, text after its children, first?]

    def open_node(node: Span, at: int) -> None:
        d = span_node_json(node, as_of)
        if not node.children:
            write(_at(encode(d), at))
            return
        head, tail = _cut(d, "children", at)
        write(head + "[")
        stack.append([iter(node.children), at, tail, True])

    open_node(span, depth)
    while stack:
        frame = stack[-1]
        child = next(frame[0], None)
        if child is None:
            stack.pop()
            write("\n" + _indent(frame[1] + 1) + "]" + frame[2])
            continue
        write(("\n" if frame[3] else ",\n") + _indent(frame[1] + 2))
        frame[3] = False
        open_node(child, frame[1] + 2)


def write_tree(write: Write, runs: list[Run], as_of: Callable[[Run], float]) -> None:
    """`tree --json`: one `{"run", "inferred", "roots"}` object, or a list of
    them for several runs."""
    def one(write: Write, run: Run, depth: int) -> None:
        head, tail = _cut({"run": run.id, "inferred": run.inferred, "roots": None}, "roots", depth)
        write(head)
        when = as_of(run)
        write_list(write, run.roots, depth + 1,
                   lambda write, span, at: write_span_tree(write, span, when, at))
        write(tail)

    if len(runs) == 1:
        one(write, runs[0], 0)
    else:
        write_list(write, runs, 0, one)
