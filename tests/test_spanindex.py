"""`Run.spans` (`model.SpanIndex`, C's `_spanindex.h` where built) reads and
writes as the dict of spans by id it replaced."""

from __future__ import annotations

import gc
import weakref

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracetui.model import Run, Span, SpanIndex

needs_c = pytest.mark.skipif(SpanIndex is dict, reason="C not built: Run.spans is a dict")

#: Ids as sources write them, and ones that collide or are odd: a few
#: short ASCII ones (so that sets and removals hit the same ids), long
#: ones, non-ASCII ones, and ids that are not str.
IDS = st.one_of(
    st.sampled_from(["a", "b", "c", "", "5Uh7J7rvvka5Vmm327v8QV", "sample:t:1:1"]),
    st.text(max_size=40),
    st.integers(-3, 3),
)

OPS = st.lists(st.tuples(st.sampled_from(["set", "replace", "del", "pop", "setdefault", "get", "in", "clear",
                                          "many", "settle"]), IDS), max_size=60)


def check_alike(index, plain: dict) -> None:
    assert len(index) == len(plain)
    assert bool(index) == bool(plain)
    assert list(index) == list(plain)
    assert list(index.keys()) == list(plain.keys())
    assert [id(s) for s in index.values()] == [id(s) for s in plain.values()]
    assert [(k, id(s)) for k, s in index.items()] == [(k, id(s)) for k, s in plain.items()]
    assert [id(s) for s in reversed(index.values())] == [id(s) for s in reversed(plain.values())]
    assert list(reversed(index)) == list(reversed(plain))
    assert len(index.values()) == len(plain)
    for key, span in plain.items():
        assert index[key] is span and key in index and index.get(key) is span


@needs_c
@settings(max_examples=300, deadline=None)
@given(OPS)
def test_a_span_index_reads_and_writes_as_a_dict_does(ops):
    run = Run("r", "source", "native")
    index, plain = run.spans, {}
    assert type(index) is SpanIndex
    for op, key in ops:
        span = Span(key, run)
        if op == "set":
            index[key] = plain[key] = span
        elif op == "replace" and key in plain:
            index[key] = plain[key] = span
        elif op == "del":
            if key in plain:
                del index[key], plain[key]
            else:
                with pytest.raises(KeyError):
                    del index[key]
        elif op == "pop":
            assert index.pop(key, None) is plain.pop(key, None)
        elif op == "setdefault":
            assert index.setdefault(key, span) is plain.setdefault(key, span)
        elif op == "get":
            assert index.get(key) is plain.get(key)
            assert index.get(key, span) is plain.get(key, span)
        elif op == "in":
            assert (key in index) == (key in plain)
        elif op == "clear":
            index.clear()
            plain.clear()
        elif op == "many":  # enough to grow the table and the array
            for n in range(50):
                one = Span(f"{key}/{n}", run)
                index[one.id] = plain[one.id] = one
        elif op == "settle":  # a load ended: sized to what it holds (`SpanIndex.settle`)
            index.settle()
        check_alike(index, plain)


@needs_c
def test_a_settled_index_holds_its_spans_in_fewer_bytes_and_grows_again():
    """`settle` (a load has ended) sizes the index to the spans it holds:
    its table the smallest that holds them up to 95 % full (900 spans in
    1,024 slots, not the 2,048 growing left), its arrays no longer than
    they are.
    It reads as before, and more spans filed grow it again."""
    run = Run("r", "source", "native")
    index = run.spans
    spans = [Span(f"span-{n}", run) for n in range(1_000)]
    for span in spans[:900]:
        index[span.id] = span
    grown = index.__sizeof__()
    index.settle()
    settled = index.__sizeof__()
    assert grown - settled >= 1_024 * 4  # half the table (and the arrays' room to grow)
    plain = {span.id: span for span in spans[:900]}
    check_alike(index, plain)
    for span in spans[900:]:
        index[span.id] = plain[span.id] = span
    check_alike(index, plain)
    assert index.__sizeof__() > settled
    index.settle()
    check_alike(index, plain)


@needs_c
def test_settling_closes_the_holes_of_spans_taken_out():
    run = Run("r", "source", "native")
    for n in range(100):
        run.spans[str(n)] = Span(str(n), run)
    for n in range(0, 100, 2):
        del run.spans[str(n)]
    values = iter(run.spans.values())
    next(values)
    run.spans.settle()
    with pytest.raises(RuntimeError):  # positions moved, as a dict's iterator raises
        next(values)
    assert list(run.spans) == [str(n) for n in range(1, 100, 2)]


@needs_c
def test_a_span_is_filed_under_its_own_id_only():
    run = Run("r", "source", "native")
    span = Span("abc", run)
    with pytest.raises(ValueError):
        run.spans["abd"] = span
    with pytest.raises(ValueError):
        run.spans.setdefault("abd", span)
    assert "abd" not in run.spans and len(run.spans) == 0
    with pytest.raises(KeyError):
        run.spans["abc"]
    with pytest.raises(KeyError):
        run.spans.pop("abc")
    with pytest.raises(TypeError):
        run.spans[["unhashable"]]


@needs_c
def test_iterating_goes_on_through_spans_added_and_stops_when_positions_move():
    run = Run("r", "source", "native")
    for n in range(10):
        run.spans[str(n)] = Span(str(n), run)
    seen = []
    for span in run.spans.values():  # a dict would raise as one is added
        seen.append(span.id)
        if span.id == "9":
            run.spans["10"] = Span("10", run)
    assert seen == [str(n) for n in range(11)]
    values = iter(run.spans.values())
    next(values)
    for n in range(11):
        del run.spans[str(n)]
    for n in range(100):  # the table rebuilt: the holes closed, positions moved
        run.spans[f"new{n}"] = Span(f"new{n}", run)
    with pytest.raises(RuntimeError):
        next(values)
    keys = iter(run.spans)
    run.spans.clear()
    with pytest.raises(RuntimeError):
        next(keys)
    assert list(run.spans) == [] and len(run.spans) == 0


class _Probe:
    pass


@needs_c
def test_a_released_run_frees_the_spans_its_index_held():
    """A run and its spans hold each other (a root's run is in its `up`);
    spans are not the cyclic GC's, so `store.release` frees them."""
    from tracetui.store import release

    run = Run("r", "source", "native")
    span = Span("abc", run)
    probe = _Probe()
    span.attributes = {"probe": probe}
    run.spans[span.id] = span
    gone = weakref.ref(probe)
    release(run)
    del run, span, probe
    gc.collect()
    assert gone() is None


@needs_c
def test_a_span_index_holds_fewer_bytes_than_a_dict():
    run = Run("r", "source", "native")
    plain = {}
    for n in range(100_000):
        span = Span(f"{n:022d}", run)
        run.spans[span.id] = plain[span.id] = span
    assert run.spans.__sizeof__() < 0.75 * plain.__sizeof__()


#: Sample ids as logs write them, and odd ones: ints of 64 bits (held as
#: numbers), past them (held as objects), and what equals an int without
#: being one (a float, a bool), or is no number at all.
SAMPLE_IDS = st.one_of(st.integers(-2**63, 2**63 - 1), st.integers(-2**70, 2**70),
                       st.sampled_from([0, 1, -1, 2**63, -2**63 - 1]), st.booleans(), st.floats(allow_nan=False),
                       st.text(max_size=8))


#: Epochs as logs write them (small ints, None), and odd ones: ints past 32
#: bits (held as objects, with the task), what equals an int without being
#: one, or no number at all; -1 and -2, whose hashes are equal (so are
#: their keys'), so that the parts are compared.
EPOCHS = st.one_of(st.integers(1, 10), st.none(), st.integers(-2**40, 2**40),
                   st.sampled_from([2**31 - 1, 2**31, -2**31, -2**31 - 1, -1, -2]), st.booleans(),
                   st.floats(allow_nan=False), st.text(max_size=4))
KEYS = st.tuples(SAMPLE_IDS, EPOCHS)


@needs_c
@settings(max_examples=300, deadline=None)
@given(st.lists(KEYS, max_size=12), st.lists(KEYS, max_size=12))
def test_sample_states_are_found_by_their_keys_as_a_dict_finds_them(filed, asked):
    """The decoder's sample states, filed by (task, sample_id, epoch) in a
    `SpanIndex`, read back their keys as filed (of the same types and
    values, an int id of 64 bits or epoch of 32 held as a number made an
    int again), and any key finds what a dict of the same keys finds (5.0
    and True find 5 and 1, as Python compares)."""
    from tracetui import _fastindex

    index, plain = SpanIndex(), {}
    run = Run("r", "r", "inspect")
    for sample_id, epoch in filed:
        key = ("t", sample_id, epoch)
        if key in plain:
            continue
        state = _fastindex.SampleState(Span(f"s{len(plain)}", run), key)
        index[key] = plain[key] = state
        got = state.key
        assert got == key and [type(part) for part in got] == [type(part) for part in key]
        if type(sample_id) is int and -2**63 <= sample_id < 2**63:
            assert not any(o is sample_id for o in state._held()), "held as a number"
        if type(epoch) is int and -2**31 <= epoch < 2**31:
            assert not any(o is epoch for o in state._held()), "held as a number"
    for sample_id, epoch in [*filed, *asked]:
        key = ("t", sample_id, epoch)
        assert index.get(key) is plain.get(key), key
        assert (key in index) == (key in plain)
    assert [state.key for state in index.values()] == list(plain)
