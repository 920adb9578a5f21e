"""Indented JSON written as it is made, byte for byte what `json.dumps(value,
indent=2)` writes for the whole value (up to `MAX_INDENT_DEPTH`).

`spans --json` and `tree --json` of a 1M-line log built 400k dicts and then
one 150 MB string before printing a byte (1.5 GB at the peak, 15 s of
silence); written item by item they hold one item at a time."""

from __future__ import annotations

import json
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
        return json.dumps(value, indent=2, allow_nan=not strict)
    except ValueError:
        return json.dumps(_finite(value), indent=2)


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
