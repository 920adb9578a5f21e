"""Where the memory of a loaded run's spans goes, by kind of object.

    PYTHONPATH=<tree> python bench/memsplit.py /work/bench-data/inspect-200k.log

Loads the file as the CLI does (`cli.load`) and adds up `sys.getsizeof` of
what the largest run's spans hold, each object once (a float or dict shared
by two spans counts once), in bytes per span. `getsizeof` includes the GC
header of objects the collector tracks. Works on trees before and after
spans kept their rare fields in a `SpanExtra` (`Span._extra`), and their
start, duration and origin in the span itself (`SpanCore`, where reading
one makes a new object: not counted, it is not held), and a sample's
attributes as its key (read as a new dict each time: not counted either),
and its id in itself (`_span.h`, read as a new str: not counted),
so two trees can be compared. What malloc rounds up or keeps free is not here:
RSS per span (`bench_tui.py`) is the figure that counts.
"""

from __future__ import annotations

import gc
import resource
import sys

from tracetui.cli import load

size = sys.getsizeof


#: Every object counted so far, by id (held, so no id is reused): each
#: counts once, under the first part that holds it.
_counted: dict[int, object] = {}


def held(objects, part=lambda obj: obj) -> int:
    """Bytes of the objects `part` gives for `objects`, each once over the
    whole breakdown (`part` returns None for what is not held)."""
    total = 0
    for item in objects:
        obj = part(item)
        if obj is not None and id(obj) not in _counted:
            _counted[id(obj)] = obj
            total += size(obj)
    return total


def decoder_states() -> int:
    """The Inspect decoders' per-sample state (`_Sample`, its list of open
    actions, its key in `_samples`), as far as no span holds it."""
    gc.unfreeze()  # `cli.load` froze what it read: get_objects skips that
    total = 0
    for decoder in (o for o in gc.get_objects() if type(o).__name__ == "InspectDecoder"):
        states = list(decoder._samples.values())
        # (a SpanIndex of states holding their own keys: its keys are made anew as read)
        keys = decoder._samples if type(decoder._samples) is dict else []
        total += held([decoder._samples]) + held(keys) + held(states)
        total += held(states, lambda state: state.open)
    return total


def own_extra(span):
    """The span's own `SpanExtra`, if this tree has them and it has one."""
    from tracetui import model

    extra = getattr(span, "_extra", None)
    return None if extra is None or extra is getattr(model, "NO_EXTRA", None) else extra


def held_children(span):
    """Its children's list or tuple, if it holds one: an only child held
    as itself (`_span.h`, `ONLY_CHILD`) reads as a new tuple, not held, and
    a few held as a `ChildSpans` (found among what it holds, `_held`)."""
    children = span.children
    if children is span.children:
        return children
    held = getattr(span, "_held", None)
    return next((o for o in held() if type(o).__name__ == "ChildSpans"), None) if held else None


def held_log(span):
    events = span.events
    return events.indices if events is not None and hasattr(events, "indices") else None


def boxed(field: str):
    """A span's `field`, if it is an object the span holds: not where a
    `SpanCore` holds it in the span (a read makes it anew)."""
    def part(span):
        if any(base.__name__ == "SpanCore" for base in type(span).__mro__):
            return None
        value = getattr(span, field)
        return value if field != "origin" or type(value) is int else None
    return part


def main() -> None:
    store, _ = load([sys.argv[1]])
    run = max(store.runs.values(), key=lambda r: len(r.spans))
    spans = list(run.spans.values())
    n = len(spans)
    parts = {
        "Span objects": held(spans),
        "span extras": held(spans, own_extra),
        # (an id held in the span itself, read as a new str each time, is not held)
        "ids": held(spans, lambda s: s.id if s.id is s.id else None),
        "details": held(spans, lambda s: s.detail),
        "start floats": held(spans, boxed("start")),
        "duration floats": held(spans, boxed("duration")),
        "origin ints": held(spans, boxed("origin")),
        "children lists": held(spans, held_children),
        # (a sample's read from its key, made anew at each read, is not held)
        "attributes dicts": held(spans, lambda s: s.attributes if s.attributes is s.attributes else None),
        "run.spans index": held([run.spans]),
    }
    cols = run.events.columns
    parts["log columns"] = size(cols.times) + size(cols.levels) + size(cols.messages) + size(cols.origins)
    parts["log messages"] = held(cols.messages)
    parts["EventLog objects"] = held(spans, lambda s: s.events)
    parts["EventLog indices"] = held(spans, held_log)
    parts["decoder sample states"] = decoder_states()
    print(f"{n} spans, {len(cols.messages)} log records, {run.synthetic_spans} made up")
    for name, total in parts.items():
        print(f"{name:26s} {total / 1e6:8.1f} MB {total / n:7.1f} B/span")
    print(f"{'sum':26s} {sum(parts.values()) / 1e6:8.1f} MB {sum(parts.values()) / n:7.1f} B/span")
    print(f"maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB")


if __name__ == "__main__":
    main()
