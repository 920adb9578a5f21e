"""`tracetui.listops` gives what the plain list operations give, with its accelerator and without."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracetui import listops


class Item:
    """An object whose `==` is identity, as a span's is."""


@pytest.fixture(params=["accelerated", "plain"])
def ops(request, monkeypatch):
    if request.param == "accelerated":
        if listops._index_of is None:
            pytest.skip("the accelerator is not built")
    else:
        monkeypatch.setattr(listops, "_index_of", None)
        monkeypatch.setattr(listops, "_indices_of", None)
        monkeypatch.setattr(listops, "_index_of_int", None)
        monkeypatch.setattr(listops, "_extend_slice", None)
        monkeypatch.setattr(listops, "_splice_moving", None)
    return listops


def plain_index(items, value, start=0, stop=sys.maxsize):
    try:
        return items.index(value, start, stop)
    except ValueError:
        return None


@given(size=st.integers(0, 10), picks=st.lists(st.integers(0, 9), max_size=6),
       start=st.integers(-12, 12), stop=st.integers(-12, 12))
def test_index_of_finds_the_object_itself_as_list_index_does(size, picks, start, stop):
    pool = [Item() for _ in range(size)]
    items = pool + [pool[i % size] for i in picks] if size else []  # repeats: the first one counts
    for obj in [*pool, Item()]:
        assert listops.index_of(items, obj, start, stop) == plain_index(items, obj, start, stop)
        assert listops.index_of(items, obj, start) == plain_index(items, obj, start)


@given(size=st.integers(0, 40), picks=st.lists(st.integers(0, 49), max_size=60),
       sought=st.lists(st.integers(0, 49), max_size=30))
def test_indices_of_finds_every_place_of_the_objects_themselves(size, picks, sought):
    """Lists holding the same object more than once, objects sought that
    are not there, more sought than the table's first size: every place,
    ascending, with the accelerator and without, from a list or a tuple."""
    pool = [Item() for _ in range(50)]
    items = [pool[i] for i in picks] + [None] * size
    wanted = {pool[i] for i in sought}
    want = [k for k, item in enumerate(items) if any(item is w for w in wanted)]
    assert listops.indices_of(items, wanted) == want
    assert listops.indices_of(tuple(items), wanted) == want
    if listops._indices_of is not None:
        assert listops._indices_of(items, frozenset(wanted)) == want
        assert listops._indices_of(items, list(wanted) * 2) == want


def test_indices_of_looks_at_identity_only(ops):
    class Equal:
        def __eq__(self, other):
            return True

        __hash__ = object.__hash__

    a, b = Equal(), Equal()
    assert ops.indices_of([a, b, a], {b}) == [1]
    assert ops.indices_of([a, b], set()) == []


def test_index_of_looks_at_identity_only(ops):
    a, b = Item(), Item()
    items = [a, b, a, b]
    assert ops.index_of(items, b) == 1
    assert ops.index_of(items, b, 2) == 3
    assert ops.index_of(items, b, 2, 3) is None
    assert ops.index_of(items, a, -2) == 2
    assert ops.index_of(items, Item()) is None
    assert ops.index_of([], a) is None


@given(depths=st.lists(st.integers(-3, 300), max_size=40), value=st.integers(-3, 300),
       start=st.integers(-50, 50), stop=st.integers(-50, 50))
def test_index_of_int_is_list_index_over_ints(depths, value, start, stop):
    # Ints made by arithmetic, not all of them the cached small ones.
    depths = [int(str(d)) + 0 for d in depths]
    assert listops.index_of_int(depths, value, start, stop) == plain_index(depths, value, start, stop)


def test_index_of_int_equal_values_of_other_objects(ops):
    big = 10**12
    assert ops.index_of_int([0, 5, big + 1 - 1, 3], int(str(big))) == 2
    assert ops.index_of_int([2.0, 1], 2) == 0  # as list.index: 2.0 == 2
    assert ops.index_of_int([True, 1], 1) == 0
    assert ops.index_of_int([1, 2], 10**30) is None  # beyond 64 bits: list.index
    assert ops.index_of_int([10**30], 10**30) == 0


@given(items=st.lists(st.integers(), max_size=20), start=st.integers(-25, 25), stop=st.integers(-25, 25),
       out=st.lists(st.integers(), max_size=5))
def test_extend_slice_is_extend_of_a_slice(items, start, stop, out):
    want = out + items[start:stop]
    got = list(out)
    added = listops.extend_slice(got, items, start, stop)
    assert got == want
    assert added == len(items[start:stop])


def test_extend_slice_of_a_list_onto_itself(ops):
    items = [1, 2, 3, 4]
    assert ops.extend_slice(items, items, 1, 10) == 3
    assert items == [1, 2, 3, 4, 2, 3, 4]
    shared = [Item() for _ in range(3)]
    out: list = []
    ops.extend_slice(out, shared, 0, 3)
    assert all(x is y for x, y in zip(out, shared))


def test_a_few_children_held_as_a_tuple_are_searched_and_copied_alike(ops):
    """A span's few children are a tuple (`Span.add_child_compact`): the
    tree searches and copies them as it does a list."""
    a, b, c = Item(), Item(), Item()
    few = (a, b, c, b)
    assert [ops.index_of(few, x) for x in (a, b, c, Item())] == [0, 1, 2, None]
    assert ops.index_of(few, b, 2) == 3 and ops.index_of(few, a, 1) is None
    out = [c]
    assert ops.extend_slice(out, few, 1, 10) == 3
    assert out == [c, b, c, b] and out[1] is b


def test_the_accelerator_refuses_what_is_not_a_list():
    if listops._index_of is None:
        pytest.skip("the accelerator is not built")
    from tracetui import _listops

    with pytest.raises(TypeError):
        _listops.index_of((1, 2), 1)
    with pytest.raises(TypeError):
        _listops.extend_slice([], (1, 2), 0, 2)


@given(items=st.lists(st.integers(0, 50), max_size=12), source=st.lists(st.integers(0, 50), max_size=12),
       start=st.integers(-15, 15), stop=st.integers(-15, 15))
def test_splice_moving_is_a_slice_assignment(items, source, start, stop):
    pool = [Item() for _ in range(51)]
    items = [pool[i] for i in items]
    source = [pool[i] for i in source]
    want = list(items)
    want[start:stop] = source
    listops.splice_moving(items, start, stop, source)
    assert len(items) == len(want) and all(a is b for a, b in zip(items, want))
    assert source == []


def test_splice_moving_moves_references(ops):
    kept, moved, dropped = Item(), Item(), Item()
    items = [kept, dropped, kept]
    source = [moved, moved]
    counts = [sys.getrefcount(kept), sys.getrefcount(moved), sys.getrefcount(dropped)]
    ops.splice_moving(items, 1, 2, source)
    assert items == [kept, moved, moved, kept]
    assert source == []
    # Each reference held once: `moved`'s two went from source to items,
    # `dropped`'s one was let go of.
    assert [sys.getrefcount(kept), sys.getrefcount(moved), sys.getrefcount(dropped)] == [
        counts[0], counts[1], counts[2] - 1]
    del source
    assert sys.getrefcount(moved) == counts[1]
    items.clear()
    assert sys.getrefcount(moved) == counts[1] - 2


def test_splice_moving_refuses_a_list_into_itself(ops):
    items = [1, 2]
    with pytest.raises(ValueError):
        ops.splice_moving(items, 0, 0, items)
    assert items == [1, 2]


def test_splice_moving_keeps_none_counted(ops):
    # The accelerator grows the list with None in the slots it then
    # writes over: each of those references to None is let go of.
    items = [Item() for _ in range(300)]
    for _ in range(3):  # the first calls warm up caches that may hold None
        source = [Item() for _ in range(1000)]
        before = sys.getrefcount(None)
        ops.splice_moving(items, 100, 120, source)
        after = sys.getrefcount(None)
    assert after == before
    assert len(items) == 300 + 3 * 980 and source == []
