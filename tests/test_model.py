"""The span model's memory-saving forms read and write as plain fields:
a span's rare fields (`SpanExtra`, or `FullSpan`'s own slots), its start,
duration and origin (held unboxed by `SpanCore` where C is built) and an
Inspect sample's list of open actions."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import weakref

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracetui.formats.flujo import FlujoSpan
from tracetui.formats.inspect import InspectDecoder
from tracetui.model import (NO_EXTRA, PARENT_LOOPS, EventLog, EventLogCore, FullSpan, LogColumns, Run, Span, SpanCore,
                            SpanExtra, pack_offset)
from tracetui.query import parse
from tracetui.sources.discover import open_sources
from tracetui.sources.files import FileFollower
from tracetui.store import Store

#: Each field `SpanExtra` holds, with its default and a value set.
EXTRA_FIELDS = [
    ("input", None, {"messages": ["hi"]}),
    ("output", None, "ok"),
    ("error", None, {"message": "boom"}),
    ("orphan", False, "parent-1"),
]


SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sample_traces")


def span(name: str = "s", cls: type = Span) -> Span:
    return cls(name, Run("r", "src", "native"), name, "step")


def defaults_kept(extra: SpanExtra) -> bool:
    return all(getattr(extra, name) is default for name, default, _ in EXTRA_FIELDS)


def test_a_new_span_reads_the_defaults_and_holds_no_extra():
    s = span()
    assert [getattr(s, name) for name, _, _ in EXTRA_FIELDS] == [None, None, None, False]
    assert s._extra is NO_EXTRA and not s.carries_content()


@pytest.mark.parametrize("name, default, value", EXTRA_FIELDS)
def test_setting_a_default_allocates_nothing(name, default, value):
    s = span()
    setattr(s, name, default)
    assert s._extra is NO_EXTRA and getattr(s, name) is default


@pytest.mark.parametrize("cls", [Span, FullSpan])
@pytest.mark.parametrize("name, default, value", EXTRA_FIELDS)
def test_a_field_set_reads_back_on_its_span_alone(name, default, value, cls):
    s, other = span("a", cls), span("b", cls)
    assert getattr(s, name) is default
    setattr(s, name, value)
    assert getattr(s, name) is value
    assert (s._extra is not NO_EXTRA) == (cls is Span)  # a FullSpan's are its own slots
    assert getattr(other, name) is default and other._extra is NO_EXTRA
    assert defaults_kept(NO_EXTRA)  # the shared one was not written
    setattr(s, name, default)  # and back
    assert getattr(s, name) is default


def test_fields_set_together_share_one_extra():
    s = span()
    s.input, s.output, s.error, s.orphan = "q", "a", {"message": "x"}, PARENT_LOOPS
    extra = s._extra
    s.error = None
    assert s._extra is extra
    assert (s.input, s.output, s.error, s.orphan) == ("q", "a", None, PARENT_LOOPS)
    # A dict read back is the one held: changed in place, it stays changed.
    s.error = {"message": "x"}
    s.error["type"] = "aborted"
    assert s.error == {"message": "x", "type": "aborted"}


@pytest.mark.parametrize("cls", [Span, FullSpan])
@pytest.mark.parametrize("name", ["input", "output"])
def test_carries_content_and_the_filter_finds_words_in_it(name, cls):
    s = span("s", cls)
    assert not parse("needle").matches_span(s)
    setattr(s, name, {"text": "a needle here"})
    assert s.carries_content() and parse("needle").matches_span(s)
    setattr(s, name, None)
    assert not s.carries_content()


def test_a_flujo_span_carries_content_held_in_its_attributes_text():
    """Flujo's input sits in the row's attribute JSON, parsed when asked:
    the filter still finds its words."""
    s = FlujoSpan("f1", Run("r", "src", "flujo"))
    s.attributes_json = json.dumps({"flujo.input": "find the needle"})
    assert s.carries_content() and parse("needle").matches_span(s)
    assert s.input == "find the needle"


@pytest.mark.parametrize("name", ["otel/otlp.jsonl", "native/spans.jsonl", "sqlite/generic_spans.db",
                                  "trackio/agent-evals.db", "flujo/flujo_ops.db", "sgp/spans.jsonl"])
def test_sources_whose_spans_carry_content_make_full_spans(name):
    """Their spans have input, output, errors: each in a slot of its own,
    never in a `SpanExtra` (40 bytes more a span, and a property call a
    write)."""
    store = Store()
    sources, _ = open_sources([os.path.join(SAMPLES, name)], store)
    for source in sources:
        source.poll(final=True)
    spans = [s for run in store.runs.values() for s in run.spans.values()]
    assert spans and all(isinstance(s, FullSpan) and s._extra is NO_EXTRA for s in spans)
    assert any(s.carries_content() for s in spans)


def _rec(event: str, trace_id: str, sample: int, **extra) -> str:
    r = {"timestamp": "2026-11-23T05:37:24+00:00", "level": "TRACE", "message": f"Tool Call: x ({event})",
         "action": "Tool Call", "detail": "x", "event": event, "trace_id": trace_id,
         "task": "t", "sample_id": sample, "epoch": 1}
    r.update(extra)
    return json.dumps(r)


def test_an_inspect_log_without_errors_gives_its_spans_no_extra(tmp_path):
    """The point of `SpanExtra`: an Inspect action and a sample node have
    none of its fields, so they hold none; an action that failed has one."""
    lines = [_rec("enter", "a", 1, start_time=1.0e9), _rec("exit", "a", 1, duration=1.0),
             _rec("enter", "b", 2, start_time=1.0e9),
             _rec("error", "b", 2, duration=1.0, error="boom")]
    path = tmp_path / "trace-5.log"
    path.write_text("\n".join(lines) + "\n")
    decoder = InspectDecoder(Store(), str(path))
    decoder.feed(FileFollower(str(path)).poll(final=True).lines)
    spans = decoder.run.spans
    assert spans["b"].error == {"message": "boom"}
    assert [s.id for s in spans.values() if s._extra is not NO_EXTRA] == ["b"]


def test_a_samples_open_actions_list_goes_when_none_is_open(tmp_path):
    """An Inspect sample's list of open actions is an empty tuple once none
    is open (an empty list is 56 bytes a sample), and a list again when
    one opens: nesting under the newest open action still holds."""
    path = tmp_path / "trace-6.log"
    lines = [_rec("enter", "a", 1, start_time=1.0e9), _rec("exit", "a", 1, duration=1.0)]
    path.write_text("\n".join(lines) + "\n")
    decoder = InspectDecoder(Store(), str(path))
    decoder.feed(FileFollower(str(path)).poll(final=True).lines)
    (sample,) = decoder._samples.values()
    assert sample.open == () and type(sample.open) is tuple
    again = [_rec("enter", "c", 1, start_time=1.0e9 + 2), _rec("enter", "d", 1, start_time=1.0e9 + 3)]
    decoder.feed([(10_000 + i, line.encode()) for i, line in enumerate(again)])
    assert sample.open == [decoder.run.spans["c"], decoder.run.spans["d"]]
    assert decoder.run.spans["d"].parent is decoder.run.spans["c"]
    closing = [_rec("exit", "d", 1, duration=1.0), _rec("exit", "c", 1, duration=2.0)]
    decoder.feed([(20_000 + i, line.encode()) for i, line in enumerate(closing)])
    assert sample.open == () and decoder.run.spans["sample:t:1:1"].status == "ok"


# -- a span's start, duration and origin (held unboxed where C is built) ------------

#: What a span's start, duration or origin may be set to, edges first: a
#: float, an int (origins pack two byte offsets into up to 84 bits; a span
#: holds up to 80 in itself), None, or any other object a source hands over.
CELL_VALUES = st.one_of(
    st.sampled_from([0.0, -0.0, float("inf"), float("-inf"), float("nan"), 0, 1, -1, 2**42 - 1, 2**63,
                     2**64 - 1, 2**64, 2**80 - 1, 2**80, 2**84 + 3, 2**96 - 1, 2**96, -(2**70), True, False,
                     None, (), (1, 2),
                     "12", 1.5]),
    st.floats(), st.integers(-(2**100), 2**100), st.tuples(st.integers()), st.text(max_size=3))


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["start", "duration", "origin"]), CELL_VALUES, CELL_VALUES)
def test_start_duration_and_origin_read_back_as_set(field, first, second):
    """Whatever a source sets them to, in whatever order, reads back as
    an equal value of its own type (-0.0, NaN and a float subclass
    included): `SpanCore` holds floats and origins in the span, the rest
    as themselves."""
    span = Span("s", Run("r", "r", "native"))
    assert getattr(span, field) is (() if field == "origin" else None)
    for value in (first, second):
        setattr(span, field, value)
        got = getattr(span, field)
        assert type(got) is type(value) and repr(got) == repr(value)


def test_a_span_holds_its_times_and_origin_in_itself():
    """Where C is built, 85 bytes a span of an Inspect log are not three
    objects of their own: setting them makes nothing the span keeps."""
    if SpanCore is None:
        pytest.skip("the C accelerator is not built: plain slots hold them")
    span = Span("s", Run("r", "r", "native"), start=1795412244.844416)
    span.duration = 2.5
    span.origin = pack_offset(pack_offset((), 5_000_000), 400_000_000)  # past 64 bits
    assert span.locators == (5_000_000, 400_000_000)
    assert not any(type(o) in (float, int) for o in span._held())
    span.origin = 2**80 - 1  # (the most it holds in itself)
    assert span.origin == 2**80 - 1 and not any(type(o) is int for o in span._held())
    span.origin = pack_offset(pack_offset((), 5), 2**38)  # (a file past 256 GiB: 81 bits)
    assert span.locators == (5, 2**38) and any(o == span.origin for o in span._held())
    held = Span("t", span.run)
    held.origin = (1, 2, 3)
    assert any(o == (1, 2, 3) for o in held._held()), "an object it holds is held as itself"


def _twin_class():
    """`Span` on plain slots (`_SpanSlots`), as where C is not built: what
    every field of a `SpanCore` span must read like."""
    from tracetui import model
    body = {k: v for k, v in vars(Span).items() if k not in ("__dict__", "__weakref__", "__slots__")}
    return type("SlotsSpan", (model._SpanSlots,), {**body, "__slots__": ()})


#: What a source may set a span's object fields to: strs the span codes
#: (model's statuses, the span's own name, others), and what it cannot
#: (other types), which its extra holds. A few strs: the codes are the
#: process's, and this suite's other tests expect room for theirs.
#: Ids a span holds in itself (of a form of 16 bytes: `_span.h`) and not.
FIELD_VALUES = st.sampled_from(["ok", "running", "paused", "Model", "", "sample", "kind-a", "kind-b", None, True,
                                False, 0, 1, 2.5, [1], {"a": 1}, ("x",),
                                "5Uh7J7rvvka5Vmm327v8QV", "z" * 22, "0254c83f537a7fdc", "0254C83F537A7FDC",
                                "023b1699-c359-465a-a0bb-1b817e21e439", "x" * 15, "x" * 16, "x" * 24, "é",
                                "\x7f\x00"])
FIELDS = ["id", "name", "kind", "status", "synthetic", "events", "input", "output", "error", "orphan", "detail"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FIELDS + ["kind=name", "status=name"]), FIELD_VALUES), max_size=12))
def test_every_field_reads_back_as_plain_slots_would(steps):
    """`SpanCore` codes a kind and a status in a byte each (or reads a kind
    as the span's name), a synthetic in a bit, and moves its events into
    its extra when it gets one: whatever is set, in whatever order, each
    field reads back an equal value of the same type, as on plain slots."""
    if SpanCore is None:
        pytest.skip("the C accelerator is not built: plain slots hold them")
    run = Run("r", "r", "native")
    spans = [Span("s", run, "Model", "Model", 1.0), _twin_class()("s", run, "Model", "Model", 1.0)]
    odd = False  # a kind or status was not a str, or a synthetic not a bool
    for field, value in steps:
        for span in spans:
            if field.endswith("=name"):  # the very object
                setattr(span, field.split("=")[0], span.name)
            else:
                setattr(span, field, value)
        for name in FIELDS:
            got, want = (getattr(span, name) for span in spans)
            assert type(got) is type(want) and got == want, (name, got, want)
        twin = spans[1]
        odd |= type(twin.kind) is not str or type(twin.status) is not str or type(twin.synthetic) is not bool
        # (events beside a detail other than "" take an extra: one pointer holds either)
        odd |= twin.events is not None and not (type(twin.detail) is str and twin.detail == "")
    assert spans[1]._extra is NO_EXTRA or spans[0]._extra is not NO_EXTRA
    if not odd:
        assert (spans[0]._extra is NO_EXTRA) == (spans[1]._extra is NO_EXTRA), \
            "it holds an extra of its own only when a field needs one"


def _compact_span(id: str, run: Run, kind: str, start: float | None, room: int = 2) -> Span:
    """A span as the Inspect decoder makes an action, where C is built: no
    room for its name, which reads as its kind, nor for its attributes,
    which are None (`_span.h`, `room`; `room` 1: room for its attributes,
    as a sample's node); its other fields as `Span.__init__` sets them."""
    span = Span._compact(kind, room)
    span._extra = NO_EXTRA
    span.id, span.run, span.parent, span.detail, span.status = id, run, None, "", "running"
    span.start, span.duration, span.attributes, span.origin = start, None, None, ()
    span.children, span.events, span.synthetic = None, None, False
    return span


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([1, 2]),
       st.lists(st.tuples(st.sampled_from(FIELDS + ["attributes", "kind=name", "status=name", "name=kind"]),
                          FIELD_VALUES), max_size=12))
def test_a_span_without_room_for_its_name_reads_as_plain_slots_would(room, steps):
    """An Inspect action's span has no room for a name nor for attributes
    (88 bytes, not 104), a sample's node none for a name (96 bytes): it
    reads its name as its kind, and its attributes as None, and holds them
    in its extra once the name parts from the kind or the attributes are
    set. Whatever is set, in whatever order, each field reads back an equal
    value of the same type as on plain slots, and it takes an extra only
    where a span with room for them would, or it has to hold one of them."""
    if SpanCore is None:
        pytest.skip("the C accelerator is not built: plain slots hold them")
    run = Run("r", "r", "native")
    compact, twin = _compact_span("s", run, "Model", 1.0, room), _twin_class()("s", run, "Model", "Model", 1.0)
    full = Span("s", run, "Model", "Model", 1.0)
    size = {1: 96, 2: 88}[room]
    assert sys.getsizeof(compact) == size and compact._extra is NO_EXTRA
    parted = False  # its name and kind were once not equal strs, or (room 2) its attributes set
    for field, value in steps:
        for span in (compact, twin, full):
            if field.endswith("=name"):  # the very object
                setattr(span, field.split("=")[0], span.name)
            elif field == "name=kind":
                span.name = span.kind
            else:
                setattr(span, field, value)
        for name in FIELDS + ["attributes"]:
            got, want = getattr(compact, name), getattr(twin, name)
            assert type(got) is type(want) and got == want, (name, got, want)
        parted |= type(twin.name) is not str or type(twin.kind) is not str or twin.name != twin.kind
        parted |= room == 2 and field == "attributes" and value is not None
        if not parted and full._extra is NO_EXTRA:
            assert compact._extra is NO_EXTRA, "an extra only where a field needs one, or it holds its name"
    assert sys.getsizeof(compact) == size


def test_inspect_actions_and_samples_are_spans_without_room_for_a_name(tmp_path):
    """The Inspect decoder's C makes each action and each sample's node
    without room for a name (an action's is its kind, a sample's its key's),
    an action without room for attributes either (they are None): 88 bytes
    an action, 96 a sample's node. Their names and attributes read as
    before; an action renamed, or given attributes, holds them in its
    extra, its kind kept."""
    if SpanCore is None:
        pytest.skip("the C accelerator is not built: plain slots hold them")
    lines = [_rec("enter", f"a{k}", sample, start_time=1.0e9 + k) for k, sample in enumerate([1, 2, 3, 2])]
    lines += [_rec("exit", "a1", 2, start_time=1.0e9 + 1)]
    path = tmp_path / "trace-6.log"
    path.write_text("\n".join(lines) + "\n")
    decoder = InspectDecoder(Store(), str(path))
    decoder.feed(FileFollower(str(path)).poll(final=True).lines)
    spans = decoder.run.spans
    sizes = {span.id: sys.getsizeof(span) for span in spans.values()}
    assert {k: sizes[k] for k in ("a1", "a2", "a3", "sample:t:2:1", "sample:t:3:1")} == \
        {"a1": 88, "a2": 88, "a3": 88, "sample:t:2:1": 96, "sample:t:3:1": 96}
    assert all((span.name, span.kind, span.attributes) == ("Tool Call", "Tool Call", None)
               for span in spans.values() if sizes[span.id] == 88)
    assert spans["sample:t:3:1"].name == "sample 3 · epoch 1"
    action = spans["a2"]
    assert action._extra is NO_EXTRA and not any(type(o) is str and o == "Tool Call" for o in action._held())
    action.name = "renamed"
    assert (action.name, action.kind) == ("renamed", "Tool Call") and action._extra is not NO_EXTRA
    action = spans["a3"]
    action.attributes = {"model": "m"}
    assert action.attributes == {"model": "m"} and action.attributes is action.attributes
    assert action.name == "Tool Call" and action._extra is not NO_EXTRA
    # An extra in place of the one holding them takes them; none cannot.
    action.name = "renamed too"
    action._extra = SpanExtra()
    assert (action.name, action.kind, action.attributes) == ("renamed too", "Tool Call", {"model": "m"})
    with pytest.raises(ValueError):
        action._extra = NO_EXTRA
    with pytest.raises(TypeError):
        action.attributes_of_key(("t", 3, 1))
    node = spans["sample:t:3:1"]
    node.attributes = {"model": "m"}  # its key gone: its name held (in its extra)
    assert node.name == "sample 3 · epoch 1" and node.name is node.name and node.kind == "sample"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from([None, "not a span", 0, 1, 2, 3, 4])), max_size=16))
def test_a_spans_run_stays_whatever_parents_it_is_given(steps):
    """`SpanCore` holds a child's parent where a root holds its run, and
    reads a child's run up its parents. Whatever parents the spans are
    given (a span of another run, not a span, itself, one under it: a
    loop), each reads back the run it was made with and the parent it was
    given, as on plain slots."""
    if SpanCore is None:
        pytest.skip("the C accelerator is not built: plain slots hold them")
    runs = [Run("r", "r", "native"), Run("q", "q", "native")]
    twin = _twin_class()
    worlds = [[make(f"s{k}", runs[k // 3]) for k in range(5)] for make in (Span, twin)]
    stranger = object()
    for who, parent in steps:
        for spans in worlds:
            spans[who].parent = stranger if parent == "not a span" else None if parent is None else spans[parent]
        for k in range(5):
            got, want = worlds[0][k], worlds[1][k]
            assert got.run is want.run is runs[k // 3]
            parent = want.parent
            assert got.parent is (worlds[0][worlds[1].index(parent)] if isinstance(parent, twin) else parent)


def test_a_run_set_again_is_its_descendants_run_too():
    """A child's run is read up its parents: set again on a span, it is
    the run of the spans under it too (a span's run is set once, as it is
    made: nothing sets it again), and it stays when the span is given
    another parent."""
    if SpanCore is None:
        pytest.skip("the C accelerator is not built: plain slots hold them")
    first, second = Run("r", "r", "native"), Run("q", "q", "native")
    root, child, grandchild = Span("a", first), Span("b", first), Span("c", first)
    child.parent, grandchild.parent = root, child
    assert child._extra is NO_EXTRA and grandchild._extra is NO_EXTRA
    child.run = second
    assert (root.run, child.run, grandchild.run) == (first, second, second)
    child.parent = None
    assert child.run is second and child._extra is not NO_EXTRA
    root.run = second
    child.parent = root
    assert (root.run, child.run, grandchild.run) == (second, second, second)


def test_a_span_keeps_its_kind_and_status_in_bytes():
    """An Inspect action's kind is its name, its status a constant: the span
    holds neither as a pointer, and reads them back as the very objects.
    Its id, 22 characters, is held in the span itself, its parent where
    its run would be, its events (none) where its detail is, and it is not
    the cyclic GC's (no header): 104 bytes, in a slot of exactly that
    (160 held kind and status as pointers, 71 more its id, 144 held its
    run, parent and events apart, 128 had the GC's header, and 112 held
    its id's 22 characters as they are, in 24 bytes)."""
    if SpanCore is None:
        pytest.skip("the C accelerator is not built: plain slots hold them")
    from tracetui.model import OK, RUNNING
    span = Span("s", Run("r", "r", "native"), "Tool Call", "Tool Call", 1.0)
    assert sys.getsizeof(span) == 104 and not gc.is_tracked(span)
    span.id = "".join(["5Uh7J7rvvka5Vmm327v8QV"])
    assert span.id == "5Uh7J7rvvka5Vmm327v8QV" and span.id is not span.id
    assert not any(type(o) is str and len(o) == 22 for o in span._held()), "held inline"
    span.id = long = "x" * 24
    assert span.id is long and any(o is long for o in span._held()), "too long: held as it is"
    with pytest.raises(AttributeError):
        del span.id
    assert span.kind is span.name and span.status is RUNNING
    span.status = "".join(["o", "k"])  # an equal str, not the constant
    assert span.status is OK
    span.name = "Model"
    assert span.kind == "Tool Call", "a kind that was its name stays the old name"
    assert span._extra is NO_EXTRA and not span.synthetic
    # An extra of its own, replaced by another: what the first held moves.
    span.kind, span.synthetic, span.events = 7, "yes", ["an event"]
    first = span._extra
    span._extra = SpanExtra()
    assert span._extra is not first and (span.kind, span.synthetic, span.events) == (7, "yes", ["an event"])
    span.kind, span.synthetic = "Model", True
    span._extra = NO_EXTRA
    assert (span._extra, span.kind, span.synthetic, span.events) == (NO_EXTRA, "Model", True, ["an event"])


def test_statuses_and_kinds_past_their_codes_are_held_in_extras():
    """The first 253 statuses and 65,533 kinds are coded; a status or kind
    past them is held in the span's extra, and reads back as set. In a
    fresh process: the codes are the process's."""
    if SpanCore is None:
        pytest.skip("the C accelerator is not built: plain slots hold them")
    code = ("from tracetui.model import NO_EXTRA, Run, Span\n"
            "run = Run('r', 'r', 'native')\n"
            "kinds = [Span(str(i), run, 'n', f'kind-{i}') for i in range(2000)]\n"
            "statuses = []\n"
            "for i in range(600):\n"
            "    span = Span(str(i), run, 'n', 'step')\n"
            "    span.status = f'status-{i}'\n"
            "    statuses.append(span)\n"
            "assert [s.kind for s in kinds] == [f'kind-{i}' for i in range(2000)]\n"
            "assert [s.status for s in statuses] == [f'status-{i}' for i in range(600)]\n"
            "extras = [i for i, s in enumerate(statuses) if s._extra is not NO_EXTRA]\n"
            "print(all(s._extra is NO_EXTRA for s in kinds), extras == list(range(extras[0], 600)), 300 < len(extras) < 400)\n"
            "more = [Span(str(i), run, 'n', f'more-{i}') for i in range(64_000)]\n"
            "assert [s.kind for s in more] == [f'more-{i}' for i in range(64_000)]\n"
            "print(sum(s._extra is not NO_EXTRA for s in more) in range(400, 600), more[-1]._extra is not NO_EXTRA)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout == "True True True\nTrue True\n"


def test_a_released_runs_spans_are_freed_whatever_they_hold():
    """Spans are not the cyclic GC's (`_span.h`): a run's spans, each
    holding its parent and held by its parent's children, are freed when
    the run is released (`store.release`, as a replaced source's are),
    with what they hold: their attributes, events, errors and origins."""
    from tracetui.store import release

    class Probe:
        pass

    run = Run("r", "r", "native")
    root, child, leaf = Span("root", run), Span("child", run), Span("leaf", run)
    root.add_child(child)
    child.add_child_compact(leaf)
    child.parent, leaf.parent = root, child
    probes = [Probe() for _ in range(4)]
    root.attributes = {"probe": probes[0]}
    child.error = {"message": "boom", "probe": probes[1]}
    child.events = [probes[2]]
    leaf.origin = probes[3]
    for span in (root, child, leaf):
        run.spans[span.id] = span
    run.roots.append(root)
    gone = [weakref.ref(p) for p in probes]
    del probes, root, child, leaf, span
    release(run)
    gc.collect()
    assert [ref() for ref in gone] == [None] * 4


def test_a_few_children_are_a_tuple_and_more_a_list():
    """`add_child_compact` keeps up to SMALL_FAN_OUT children in a tuple
    (48-80 bytes where a list took 96), then a list; `add_child` after it
    makes them a list. C keeps them the same way (`_fastindex.c`)."""
    from tracetui import model
    run = Run("r", "r", "inspect")
    parent = Span("p", run)
    kids = [Span(str(i), run) for i in range(model.SMALL_FAN_OUT + 2)]
    for count, kid in enumerate(kids, 1):
        parent.add_child_compact(kid)
        assert type(parent.children) is (tuple if count <= model.SMALL_FAN_OUT else list)
        assert list(parent.children) == kids[:count]
    other = Span("q", run)
    other.add_child_compact(kids[0])
    other.add_child(kids[1])
    assert other.children == [kids[0], kids[1]]
    if SpanCore is not None:
        from tracetui import _fastindex
        assert _fastindex.SMALL_FAN_OUT == model.SMALL_FAN_OUT


def test_an_only_child_is_held_as_itself_and_reads_as_a_tuple(tmp_path):
    """Where C is built, a span whose children are a tuple of one span
    holds that span itself (56 bytes less), and a tuple of a few spans (up
    to SMALL_FAN_OUT) as a `ChildSpans`, a tuple without the GC's header
    (16 bytes less); either reads as a new tuple. Anything else set is held
    as set. The decoder's C keeps a sample's or an action's children so
    too, and past SMALL_FAN_OUT makes them a list."""
    from tracetui import model
    run = Run("r", "r", "inspect")
    parent, kid, other = Span("p", run), Span("k", run), Span("o", run)
    parent.add_child_compact(kid)
    assert parent.children == (kid,) and type(parent.children) is tuple
    parent.add_child_compact(other)
    assert parent.children == (kid, other) and type(parent.children) is tuple
    few = tuple(Span(f"f{n}", run) for n in range(model.SMALL_FAN_OUT))
    for value in ([kid], ("x",), (kid, "x"), few + (kid,), None, ()):
        parent.children = value
        assert parent.children is value, value
    for value in ((kid,), (kid, other), few):
        parent.children = value
        assert parent.children == value and type(parent.children) is tuple
        if SpanCore is not None:
            assert parent.children is not parent.children, "made at each read"
            held = parent._held()
            assert not any(type(o) is tuple and kid in o for o in held)
            if len(value) == 1:
                assert kid in held
            else:
                holder, = (o for o in held if type(o).__name__ == "ChildSpans")
                assert holder.__sizeof__() == sys.getsizeof(value) - 16  # no GC header
    parent.add_child_compact(kid)  # one past SMALL_FAN_OUT: a list
    assert parent.children == [*few, kid] and type(parent.children) is list
    lines = [_rec("enter", "a", 1, start_time=1.0e9), _rec("enter", "b", 2, start_time=1.0e9),
             _rec("exit", "b", 2, duration=1.0), _rec("enter", "c", 2, start_time=1.0e9),
             _rec("enter", "d", 3, start_time=1.0e9),
             _rec("exit", "d", 3, duration=1.0)]
    path = tmp_path / "trace-5.log"
    path.write_text("\n".join(lines) + "\n")
    decoder = InspectDecoder(Store(), str(path))
    decoder.feed(FileFollower(str(path)).poll(final=True).lines)
    spans = decoder.run.spans
    samples = {span.attributes["sample_id"]: span for span in spans.values() if span.kind == "sample"}
    assert samples[1].children == (spans["a"],) and samples[3].children == (spans["d"],)
    assert samples[2].children == (spans["b"], spans["c"])
    assert [child.id for child in samples[1].parent.children] == [samples[1].id, samples[2].id, samples[3].id]
    if SpanCore is not None:  # the decoder's C holds a few as a ChildSpans too
        for node in (samples[2], samples[1].parent):
            assert [type(o).__name__ for o in node._held()].count("ChildSpans") == 1


def test_a_long_chain_of_spans_is_freed_without_running_out_of_stack():
    """A chain of a million parents (a hostile file can make one), freed
    at once, must not recurse a million deep in C, and must be freed: in a
    fresh process, so a crash fails this test alone."""
    code = ("import sys\n"
            "from tracetui.model import Run, Span\n"
            "run = Run('r', 'r', 'native')\n"
            "leaf = None\n"
            "blocks = sys.getallocatedblocks()\n"
            "for i in range(1_000_000):\n"
            "    span = Span(str(i), run)\n"
            "    span.parent = leaf\n"
            "    leaf = span\n"
            "del leaf, span\n"
            "print('freed', sys.getallocatedblocks() - blocks < 1000)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == "freed True\n", done.stderr[-500:]


def test_a_chain_built_from_its_leaves_up_reads_every_run_in_few_steps():
    """A child's run is read up its parents (`_span.h`). A chain of 200,000
    made from its leaf up (each span given the next as its parent: a file
    written children first), its runs read from the leaf down: a reading
    that walked the whole chain each time would take 2e10 steps. Every
    32nd span read holds its run in an extra instead, so each reading
    stops within 32; in a fresh process, so a hang fails this test alone."""
    if SpanCore is None:
        pytest.skip("the C accelerator is not built: plain slots hold them")
    code = ("from tracetui.model import NO_EXTRA, Run, Span\n"
            "run = Run('r', 'r', 'native')\n"
            "chain = [Span(str(i), run) for i in range(200_000)]\n"
            "for child, parent in zip(chain, chain[1:]):\n"
            "    child.parent = parent\n"
            "assert all(span.run is run for span in chain)\n"
            "print(sum(span._extra is not NO_EXTRA for span in chain))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert 0 < int(done.stdout) <= 200_000 // 32 + 1


def test_without_c_the_cli_answers_the_same(tmp_path):
    """Where `_fastindex` cannot be built, `Span` keeps its fields in plain
    slots (`_SpanSlots`) and Python reads the log: the same spans, times
    and raw records come out."""
    path = os.path.join(SAMPLES, "inspect", "hung.log")
    block = "import sys; sys.modules['tracetui._fastindex'] = None; "
    outputs = []
    for prefix in ("", block):
        code = prefix + "from tracetui.model import Span; print(Span.__mro__[1].__name__); from tracetui.cli import entry; entry()"
        for args in (["spans", "--json", path], ["tree", "--json", path]):
            done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr[-500:]
            outputs.append(done.stdout)
    with_c, without = outputs[:2], outputs[2:]
    assert without[0].startswith("_SpanSlots\n")
    if SpanCore is not None:
        assert with_c[0].startswith("SpanCore\n")
    assert [o.split("\n", 1)[1] for o in with_c] == [o.split("\n", 1)[1] for o in without]
    assert json.loads(without[0].split("\n", 1)[1]), "spans were listed"


def test_a_samples_attributes_read_as_a_dict_of_its_key(tmp_path):
    """An Inspect sample's node holds its attributes as the decoder's key
    of the sample (task, sample_id, epoch), read as a dict of the three:
    no dict of its own each, a new one at each read (changing it changes
    nothing), and a set replaces it. A key spelled by `repr` (an id of an
    unhashable type) leaves the node a dict of the values as written."""
    lines = [_rec("enter", "a", 7, start_time=1.0e9), _rec("exit", "a", 7, duration=1.0),
             _rec("enter", "b", "s-2", start_time=1.0e9), _rec("enter", "c", [1, 2], start_time=1.0e9)]
    path = tmp_path / "trace-5.log"
    path.write_text("\n".join(lines) + "\n")
    decoder = InspectDecoder(Store(), str(path))
    decoder.feed(FileFollower(str(path)).poll(final=True).lines)
    samples = {span.attributes["sample_id"] if type(span.attributes["sample_id"]) is not list else "list": span
               for span in decoder.run.spans.values() if span.kind == "sample"}
    assert set(samples) == {7, "s-2", "list"}
    for sample_id, node in samples.items():
        want = {"task": "t", "sample_id": [1, 2] if sample_id == "list" else sample_id, "epoch": 1}
        assert node.attributes == want and list(node.attributes) == ["task", "sample_id", "epoch"]
    node = samples[7]
    if SpanCore is not None:
        assert node.attributes is not node.attributes, "made at each read"
        assert not any(type(o) is dict for o in node._held())
        assert samples["list"].attributes is samples["list"].attributes, "a dict of its own"
        node.attributes["task"] = "changed"  # (a plain slot's dict would change: C's is made anew)
        assert node.attributes["task"] == "t"
    node.attributes = {"model": "m"}
    assert node.attributes == {"model": "m"} and node.attributes is node.attributes
    if SpanCore is not None:
        with pytest.raises(TypeError):
            node.attributes_of_key(("t", 7))



def test_a_samples_name_reads_from_its_key(tmp_path):
    """A sample's node is named "sample {sample_id}" and " · epoch {epoch}"
    unless it has none, whether the decoder's C or Python made it (the
    first sample of a task is Python's, the others C's), read from its key
    where C is built: no str of its own, a new one at each read. Its name
    or attributes set, it holds the name it had or was given, and a name
    set is what it reads; a span without a key is not named by one."""
    ids = [7, "s-2", "ünï", 2.5, 8]
    lines = [_rec("enter", f"a{k}", sample, start_time=1.0e9) for k, sample in enumerate(ids)]
    lines += [_rec("enter", "e0", 3, start_time=1.0e9, epoch=None),
              _rec("enter", "e1", 4, start_time=1.0e9, epoch=None)]
    path = tmp_path / "trace-5.log"
    path.write_text("\n".join(lines) + "\n")
    decoder = InspectDecoder(Store(), str(path))
    decoder.feed(FileFollower(str(path)).poll(final=True).lines)
    names = {span.attributes["sample_id"]: span for span in decoder.run.spans.values() if span.kind == "sample"}
    want = {7: "sample 7 · epoch 1", "s-2": "sample s-2 · epoch 1", "ünï": "sample ünï · epoch 1",
            2.5: "sample 2.5 · epoch 1", 8: "sample 8 · epoch 1", 3: "sample 3", 4: "sample 4"}
    assert {sample: node.name for sample, node in names.items()} == want
    assert all(type(node.name) is str and node.name.isascii() == want[s].isascii() for s, node in names.items())
    if SpanCore is None:
        return
    node = names[8]
    assert node.name is not node.name, "made at each read"
    assert not any(type(o) is str and "epoch" in o for o in node._held())
    node.attributes = {"model": "m"}
    assert node.name == "sample 8 · epoch 1" and node.name is node.name, "held once its key went"
    node = names[7]
    node.name = "renamed"
    assert node.name == "renamed" and node.attributes["sample_id"] == 7
    plain = Span("x", decoder.run, "n")
    with pytest.raises(TypeError):
        plain.name_from_key()
    assert plain.name == "n"

def test_a_samples_id_reads_from_its_key(tmp_path):
    """A sample's node C made (every sample of a task but its first) reads
    its id, "sample:{task}:{sample_id}:{epoch}", from its key: no str of
    its own, the same id at each read, found under it in its run's spans.
    Its attributes set, its key goes and it holds the id it had."""
    ids = [1, 22222, "s-2", "ünï", 2.5]
    lines = [_rec("enter", f"a{k}", sample, start_time=1.0e9) for k, sample in enumerate(ids)]
    lines += [_rec("enter", "e0", 3, start_time=1.0e9, epoch=None)]
    path = tmp_path / "trace-5.log"
    path.write_text("\n".join(lines) + "\n")
    decoder = InspectDecoder(Store(), str(path))
    decoder.feed(FileFollower(str(path)).poll(final=True).lines)
    nodes = {span.attributes["sample_id"]: span for span in decoder.run.spans.values() if span.kind == "sample"}
    want = {1: "sample:t:1:1", 22222: "sample:t:22222:1", "s-2": "sample:t:s-2:1", "ünï": "sample:t:ünï:1",
            2.5: "sample:t:2.5:1", 3: "sample:t:3:None"}
    assert {sample: node.id for sample, node in nodes.items()} == want
    assert all(decoder.run.spans[node.id] is node for node in nodes.values())
    if SpanCore is None:
        return
    node = nodes[22222]  # (16 characters: no form of 16 bytes but its key's)
    assert node.id is not node.id and not any(o == node.id for o in node._held()), "read from its key"
    node.attributes = {"model": "m"}
    assert node.id == "sample:t:22222:1" and any(o == node.id for o in node._held()), "held once its key went"
    assert decoder.run.spans["sample:t:22222:1"] is node


#: Ids of each form a span holds in 16 bytes (`_span.h`), and near misses
#: held as the str: base 57 of 22 characters (below and past 2**128),
#: lowercase hex of an even 16 to 32 digits, a uuid as `str(uuid)` writes
#: it, ASCII up to 15 characters.
BASE57 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
PACKED_IDS = st.one_of(
    st.text(BASE57, min_size=22, max_size=22),
    st.sampled_from(["2" * 22, "z" * 22, "5Uh7J7rvvka5Vmm327v8QV", "xqJ3aymRFjDZmwQ2uKTzUb"]),
    st.integers(8, 16).flatmap(lambda n: st.binary(min_size=n, max_size=n)).map(bytes.hex),
    st.uuids().map(str),
    st.text(st.characters(max_codepoint=127), max_size=15))
HELD_IDS = st.one_of(
    st.text(BASE57 + "01lIO", min_size=21, max_size=23).filter(lambda t: len(t) != 22 or not set(t) <= set(BASE57)),
    st.integers(8, 16).flatmap(lambda n: st.binary(min_size=n, max_size=n)).map(lambda b: b.hex().upper() + "g"),
    st.binary(min_size=8, max_size=16).map(lambda b: b.hex()[1:]),  # an odd number of digits
    st.uuids().map(lambda u: str(u).upper()), st.uuids().map(lambda u: str(u).replace("-", "_")),
    st.text(min_size=16, max_size=40), st.text(st.characters(min_codepoint=128), min_size=1, max_size=8))


def _holds_str(span, text) -> bool:
    """Whether the span holds the very str (its name and detail may be an
    equal one: "")."""
    return any(o is text for o in span._held())


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(PACKED_IDS | HELD_IDS, st.booleans()), min_size=1, max_size=20))
def test_an_id_reads_back_and_is_found_however_it_is_held(ids):
    """Whatever its form, a span's id reads back as the very characters
    (a new str where it is held packed), and its run's index finds the
    span under it, and nothing under a str that differs by one character;
    ids of the forms of 16 bytes (`_span.h`) are held so, no str kept."""
    run = Run("r", "r", "native")
    spans = {}
    for text, hold in ids:
        span = Span(text, run)
        if text not in spans:
            run.spans[text] = span
            spans[text] = span
        assert span.id == text and type(span.id) is str
        if hold:
            span.id = text + "~"
            span.id = text  # (set again: whatever it held first is let go)
            assert span.id == text
    for text, span in spans.items():
        assert run.spans[text] is span and run.spans.get(text) is span
        for near in {text[:-1], text + "2", text[:-1] + ("3" if text[-1:] != "3" else "4")} - set(spans):
            assert near not in run.spans
        if SpanCore is not None and text:
            packed = packs_in_16_bytes(text)
            assert _holds_str(span, text) is not packed, (text, packed)


def packs_in_16_bytes(text: str) -> bool:
    """Whether `text` is of a form a span holds in 16 bytes (`_span.h`)."""
    import re
    import uuid
    if not text.isascii():
        return False
    if len(text) <= 15:
        return True
    if len(text) == 22 and set(text) <= set(BASE57):
        return True
    if len(text) == 36 and re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", text):
        return str(uuid.UUID(text)) == text
    return len(text) % 2 == 0 and len(text) <= 32 and re.fullmatch(r"[0-9a-f]+", text) is not None


def test_spans_take_slots_of_their_own_size_and_give_them_back():
    """A span takes a slot of exactly its size (pymalloc would round 104
    bytes up to 112): made, it is counted in the slab; freed, its slot is
    the next span's, so making and freeing spans again and again cuts no
    new block."""
    if SpanCore is None:
        pytest.skip("the C accelerator is not built: plain slots hold them")
    run = Run("r", "r", "native")
    live, _ = SpanCore._slab()
    spans = [Span(f"s{k}", run) for k in range(10_000)]
    assert SpanCore._slab()[0] == live + 10_000 and sys.getsizeof(spans[0]) == 104
    del spans
    assert SpanCore._slab()[0] == live
    blocks = SpanCore._slab()[1]
    for _ in range(5):
        spans = [Span(f"s{k}", run) for k in range(10_000)]
        del spans
    assert SpanCore._slab() == (live, blocks)
    # `tracemalloc` sees each span's slot as it sees pymalloc's blocks.
    import tracemalloc
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        spans = [Span(f"s{k}", run) for k in range(10_000)]
        made = tracemalloc.get_traced_memory()[0] - before
        del spans
        left = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert 10_000 * 104 <= made < 10_000 * (104 + 16) and left < 1000
    # Spans without room for a name (and attributes) take slots of 96 (88)
    # bytes, of their own.
    live, blocks = SpanCore._slab()
    for _ in range(5):
        spans = [_compact_span(f"s{k}", run, "Model", None, 1 + k % 2) for k in range(10_000)]
        assert SpanCore._slab()[0] == live + 10_000 and [sys.getsizeof(s) for s in spans[:2]] == [96, 88]
        del spans
    assert SpanCore._slab()[0] == live and SpanCore._slab()[1] <= blocks + 10_000 * 96 // (256 * 1024) + 2


def _twin_log_class():
    """`EventLog` on `_EventLogSlots`, as where C is not built."""
    from tracetui import model
    # (not `columns`, which reaches C's own descriptor: the twin's slot is its own)
    body = {k: v for k, v in vars(EventLog).items()
            if k not in ("__dict__", "__weakref__", "__slots__", "__init__", "columns")}

    def __init__(self, columns):  # (EventLog's calls super() of its own class)
        model._EventLogSlots.__init__(self)
        self.columns = columns

    return type("SlotsLog", (model._EventLogSlots,), {**body, "__init__": __init__, "__slots__": ()})


LOG_KEYS = st.one_of(st.integers(-8, 8), st.builds(slice, st.none() | st.integers(-8, 8),
                                                     st.none() | st.integers(-8, 8),
                                                     st.sampled_from([None, 1, 2, -1, -3])))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.just("add"), LOG_KEYS), max_size=30))
def test_a_log_reads_back_as_its_plain_twin_does(steps):
    """`EventLogCore` holds two indices in itself and more in a buffer:
    whatever is added, its length, items, slices (steps too), iteration
    and times read as the plain array's do, and an index out of range
    raises IndexError alike."""
    if EventLogCore is None:
        pytest.skip("the C accelerator is not built: plain slots hold them")
    columns = LogColumns()
    logs = [EventLog(columns), _twin_log_class()(columns)]
    assert isinstance(logs[0], EventLogCore)
    added = 0
    for step in steps:
        if step == "add":
            for log in logs:
                log.add(1_700_000_000.0 + added, "INFO", f"record {added}", added)
            added += 1
            continue
        got = []
        for log in logs:
            try:
                part = log[step]
                got.append([e.message for e in part] if isinstance(step, slice) else part.message)
            except IndexError:
                got.append(IndexError)
        assert got[0] == got[1], step
        assert len(logs[0]) == len(logs[1])
        assert [e.message for e in logs[0]] == [e.message for e in logs[1]]
        assert logs[0].times_from(added // 2) == logs[1].times_from(added // 2)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["HTTP", "INFO", "level 7"]), st.text(max_size=2), st.none(),
                          st.integers(-2, 300), st.booleans(), st.floats(allow_nan=False)), max_size=40),
       st.sampled_from([0, 300]))
def test_a_logs_levels_read_back_as_added(levels, more):
    """`LogColumns` holds a record's level as a byte while it has at most
    256 levels, all str, and every level as itself after: whatever levels
    are added (`more` distinct ones first), each reads back equal and of
    its type (1 is not True)."""
    columns = LogColumns()
    added = [f"level {k}" for k in range(more)] + levels
    for n, level in enumerate(added):
        columns.add(1_700_000_000.0 + n, level, "m", n)
    got = [columns.event(n).level for n in range(len(added))]
    assert got == added and [type(g) for g in got] == [type(a) for a in added]
    coded = all(type(a) is str for a in added) and len(set(added)) <= 256
    assert (type(columns.levels) is bytearray) == coded


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from(["POST 200", "GET 404", "retry"]), st.text(max_size=3), st.none(),
                          st.integers(-2, 2)), max_size=20),
       st.lists(st.one_of(st.integers(0, 2**32 + 5), st.integers(2**32 - 3, 2**63 - 1), st.integers(-3, -1),
                          st.text(max_size=2)), min_size=20, max_size=20),
       st.sampled_from([0, 2, 65_536]))
def test_a_logs_messages_and_offsets_read_back_as_added(monkeypatch, messages, origins, codes):
    """`LogColumns` holds a record's message as a 2-byte code while it has
    at most `MESSAGE_CODES` of them, all str, and every message as itself
    after; its offset in 4 bytes while each fits, then 8, and as itself
    once one is not an int of 64 bits: whatever is added, in whatever
    order, each reads back equal and of its type."""
    from tracetui import model

    monkeypatch.setattr(model, "MESSAGE_CODES", codes)
    columns = LogColumns()
    for n, message in enumerate(messages):
        columns.add(1_700_000_000.0 + n, "INFO", message, origins[n])
    got = [columns.event(n) for n in range(len(messages))]
    assert [e.message for e in got] == messages and [type(e.message) for e in got] == [type(m) for m in messages]
    assert [e.origin for e in got] == origins[:len(messages)]
    coded = all(type(m) is str for m in messages) and len(set(messages)) <= codes
    assert (type(columns.messages) is not list) == coded
    offsets = origins[:len(messages)]
    if all(type(o) is int and 0 <= o < 2**32 for o in offsets):
        assert columns.origins.typecode == "I"
    elif all(type(o) is int and -2**63 <= o < 2**63 for o in offsets):
        assert columns.origins.typecode == "q"
    else:
        assert type(columns.origins) is list


def test_logs_hold_their_columns_by_number_and_let_them_go():
    """`EventLogCore` holds its run's columns by a number, the columns held
    once for all the logs that read them (`COLUMN_SETS`), and let go with
    the last of them: each log reads its own columns, whichever it is
    given, and a run's columns outlive no log of theirs."""
    if EventLogCore is None:
        pytest.skip("the C accelerator is not built: plain slots hold them")
    first, second = LogColumns(), LogColumns()
    alone = sys.getrefcount(first)
    logs = [EventLog(first if n % 3 else second) for n in range(3000)]
    assert sys.getrefcount(first) == alone + 1, "held once, not once a log"
    for n, log in enumerate(logs):
        log.add(1_700_000_000.0, "INFO", f"m{n}", n)
    assert all(log.columns is (first if n % 3 else second) for n, log in enumerate(logs))
    assert [e.message for e in logs[4]] == ["m4"] and [e.message for e in logs[3]] == ["m3"]
    logs[4].columns = second
    assert logs[4].columns is second and len(second.messages) == 1000
    del logs, log
    assert sys.getrefcount(first) == alone, "let go with the last log"
    third = LogColumns()
    log = EventLog(third)
    assert log.columns is third and EventLog(LogColumns()).columns is not third


def test_a_samples_few_records_are_held_in_its_log():
    """Up to two record indices in the log itself, more in a buffer; no
    GC header (a log holds no object): 32 bytes."""
    if EventLogCore is None:
        pytest.skip("the C accelerator is not built: plain slots hold them")
    log = EventLog(LogColumns())
    empty = sys.getsizeof(log)
    assert empty == 32 and not gc.is_tracked(log)
    for n in range(2):
        log.add(1.0, "INFO", "m", n)
    assert sys.getsizeof(log) == empty
    log.add(1.0, "INFO", "m", 2)
    assert sys.getsizeof(log) > empty and [e.origin for e in log] == [0, 1, 2]
    with pytest.raises(OverflowError):
        log._append_index(2**32)
    with pytest.raises(TypeError):
        log["0"]


def test_an_origin_of_one_locator_is_the_int_where_it_reads_as_one():
    """A database's rowid is held as itself (a span holds an int unboxed)
    where `locators` reads it back as the one locator; a negative or huge
    one, or any other locator, as a tuple."""
    from tracetui.model import OFFSET_BITS, locators, origin_of

    for locator in (0, 1, 5_000_000, 2**OFFSET_BITS - 2):
        assert origin_of(locator) == locator and locators(origin_of(locator)) == (locator,)
    for locator in (-1, 2**OFFSET_BITS - 1, 2**63, True, "t1", ("metrics", 3), 2.0):
        assert origin_of(locator) == (locator,) and locators(origin_of(locator)) == (locator,)
    span = Span("s", Run("r", "src", "sqlite"))
    for locator in (7, -7, 2**70):
        span.origin = origin_of(locator)
        assert span.locators == (locator,)
