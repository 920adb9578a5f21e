"""The `/` filter language on real traces: words, field:value terms, and
the Skulk filters of the run list and tree."""

from __future__ import annotations

import os

import pytest

from tracetui.query import parse
from tracetui.sources.discover import open_sources
from tracetui.store import Store

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sample_traces")


def load(*names: str) -> Store:
    store = Store()
    sources, _ = open_sources([os.path.join(SAMPLES, n) for n in names], store)
    for source in sources:
        source.poll(final=True)
    return store


@pytest.fixture(scope="module")
def skulk() -> Store:
    return load("skulk/node-a", "skulk/node-b")


@pytest.mark.parametrize("text, kinds", [
    ("kind:image", {"image"}), ("kind:text", {"text"}), ("kind:embedding", {"embedding"}),
])
def test_run_list_filters_by_task_kind(skulk, text, kinds):
    runs = [r for r in skulk.runs.values() if parse(text).matches_run(r)]
    assert runs and {r.attributes["task_kind"] for r in runs} == kinds


def test_node_filter_finds_tasks_held_by_a_node(skulk):
    held_by_b = [r for r in skulk.runs.values() if parse("node:node-b").matches_run(r)]
    assert len(held_by_b) == 4  # node-b misses one of the five tasks


def test_tag_filter_matches_tagged_spans_not_whole_runs(skulk):
    spans = [s for r in skulk.runs.values() for s in r.spans.values() if parse("tag:tool_call").matches_span(s)]
    assert spans and all("tool_call" in (s.attributes or {}).get("tags", []) for s in spans)


def test_category_prefix(skulk):
    spans = [s for r in skulk.runs.values() for s in r.spans.values() if parse("category:sync").matches_span(s)]
    assert spans and all(str(s.attributes.get("category", "")).startswith("sync") for s in spans)


def test_inspect_fields_and_words():
    store = load("inspect/demo.log")
    spans = list(store.runs["demo"].spans.values())
    hits = [s for s in spans if parse('status:error kind:"Tool Call"').matches_span(s)]
    assert hits and all(s.status == "error" and s.kind == "Tool Call" for s in hits)
    sample1 = [s for s in spans if parse("sample:1").matches_span(s) and not s.synthetic]
    assert sample1 and all(_sample_of(s) == 1 for s in sample1)
    assert [s for s in spans if parse("sleep 600").matches_span(s)]
    assert parse('"unbalanced').words == ["unbalanced"]
    assert not parse("   ")


def _sample_of(span):
    node = span
    while node is not None and node.kind != "sample":
        node = node.parent
    return node.attributes["sample_id"] if node else None


def test_a_query_refines_another_only_when_its_words_narrow_it():
    from tracetui.query import Query, refines

    assert refines(Query("sle"), Query("sl"))
    assert refines(Query("sleep tool"), Query("sleep"))
    assert refines(Query("xsleepx"), Query("sleep"))
    assert not refines(Query("sl"), Query("sle"))  # wider
    assert not refines(Query("sleep"), Query("sleep"))  # the same: nothing to narrow
    assert not refines(Query("sle"), Query(""))
    # A longer field value is not a narrower one: status:r matches nothing
    # that status:running does, sample:1 is not sample:12.
    assert not refines(Query("status:running"), Query("status:r"))
    assert not refines(Query("sample:12"), Query("sample:1"))
    assert not refines(Query("sleep status:error"), Query("sleep"))
