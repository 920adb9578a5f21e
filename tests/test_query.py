"""The `/` filter language on real traces: words, field:value terms, and
the Skulk filters of the run list and tree."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_inspect_model_and_task_come_from_the_details_inspect_writes():
    """Inspect records no model field: `Run Task` says `task: NAME (MODEL)`
    and `Model` says `generate (MODEL)`. The README lists `model` and
    `task` as filter fields; they find those spans, the spans of the task
    run with that model, and the run in the run list."""
    store = load("inspect/hung.log", "inspect/mixed.log.gz")
    hung, mixed = store.runs["hung"], store.runs["mixed"]

    def kinds(run, text):
        return {s.kind for s in run.spans.values() if parse(text).matches_span(s)}

    assert {"Model", "Run Task", "Tool Call", "Subprocess"} <= kinds(hung, "model:mockllm")
    assert kinds(mixed, "model:mockllm") == set()
    assert "Model" in kinds(mixed, "model:gpt-4o-mini")
    patch = [s for s in hung.spans.values() if parse("task:patch").matches_span(s)]
    assert patch and all(_task_of(s) == "patch" for s in patch)
    # The other task's Run Task is not patch's, though the run holds both.
    assert [s.detail for s in patch if s.kind == "Run Task"] == ["task: patch (mockllm/model)"]
    assert [r.id for r in store.runs.values() if parse("task:research").matches_run(r)] == ["mixed"]
    assert [r.id for r in store.runs.values() if parse("model:mockllm").matches_run(r)] == ["hung"]


def test_run_list_finds_runs_by_their_spans_fields():
    """An OTel trace names its model on its LLM spans (`llm.model_name`),
    not on the run: `model:gpt` in the run list matched no run (QA). A run
    its own attributes say nothing of is matched by its spans'; one whose
    own attributes have the field is decided by them."""
    store = load("otel/otlp.jsonl")
    runs = list(store.runs.values())
    with_model = {r.id for r in runs if any((s.attributes or {}).get("llm.model_name", "").startswith("gpt")
                                            for s in r.spans.values())}
    assert with_model and len(with_model) < len(runs)
    assert {r.id for r in runs if parse("model:gpt").matches_run(r)} == with_model
    assert not [r for r in runs if parse("model:claude").matches_run(r)]
    run = next(r for r in runs if r.id in with_model)
    run.attributes["model"] = "claude-x"  # its own say decides
    assert not parse("model:gpt").matches_run(run) and parse("model:claude").matches_run(run)


def test_run_list_span_fields_follow_a_run_that_grows(monkeypatch):
    """The spans' values are gathered once per run, and again once the run
    has more and SPAN_VALUES_FRESH has passed (while a big log loads, each
    keystroke walked it again): a span read since is matched then."""
    from tracetui import query
    from tracetui.model import Span

    store = load("native/spans.jsonl")
    run = next(r for r in store.runs.values() if not parse("model:gpt").matches_run(r))
    assert not parse("model:gemini").matches_run(run)
    span = Span("late-llm-span", run, name="llm")
    span.attributes = {"gen_ai.request.model": "gemini-2.5-pro"}
    run.spans[span.id] = span
    assert not parse("model:gemini").matches_run(run)  # gathered just now: kept a while
    monkeypatch.setattr(query, "SPAN_VALUES_FRESH", 0.0)  # as once it has passed
    assert parse("model:gemini").matches_run(run)


def test_run_list_span_values_keep_one_and_true_apart():
    """1 and True are one key to a set, not one value to a filter: a run
    whose spans carry both is found by `flag:true` and by `flag:1`."""
    from tracetui.model import Span

    store = load("native/spans.jsonl")
    run = next(iter(store.runs.values()))
    for n, flag in enumerate((1, True)):
        span = Span(f"flagged-{n}", run, name="step")
        span.attributes = {"flag": flag}
        run.spans[span.id] = span
    assert parse("flag:true").matches_run(run) and parse("flag:1").matches_run(run)


def _task_of(span):
    if span.kind == "Run Task":
        return span.detail.split()[1]
    node = span
    while node.parent is not None:
        node = node.parent
    return node.name


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


#: Sample ids as evals write them: numbers in one, SWE-bench names in another.
SAMPLE_IDS = [3, 13, "pytest-dev__pytest-26363", "scikit-learn__scikit-learn-21349", "sympy__sympy-12636"]


@pytest.fixture(scope="module")
def mixed_ids(tmp_path_factory) -> Store:
    """An Inspect trace log with one `Tool Call` per sample, every sample id
    kind at once (what a log of two evals, or `sample:3` across runs, sees)."""
    records = []
    for n, sample_id in enumerate(SAMPLE_IDS):
        context = {"task": "swe_lite", "sample_id": sample_id, "epoch": 1}
        for event, times in (("enter", {"start_time": 1795412244.0 + n}), ("exit", {"duration": 0.5})):
            records.append({"timestamp": f"2026-11-23T05:37:{24 + n:02d}.000000+00:00", "level": "TRACE",
                            "message": f"task=swe_lite sample={sample_id} epoch=1\nTool Call: bash() ({event})",
                            "action": "Tool Call", "detail": "bash(command='ls')", "event": event,
                            "trace_id": f"trace{n}", **times, **context})
    path = tmp_path_factory.mktemp("ids") / "trace-1.log"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    store = Store()
    sources, _ = open_sources([str(path)], store)
    for source in sources:
        source.poll(final=True)
    return store


def _actions(store: Store) -> list:
    return [s for r in store.runs.values() for s in r.spans.values() if s.kind == "Tool Call"]


@pytest.mark.parametrize("text, expected", [
    ("sample:3", {3}),  # the README's example: sample 3, not 13 nor ids with a 3 in them
    ("sample:13", {13}),
    ("sample:26363", {"pytest-dev__pytest-26363"}),  # the number of a SWE-bench id
    ("sample:pytest-26363", {"pytest-dev__pytest-26363"}),  # whole parts, as typed between them
    ("sample:PYTEST-DEV__pytest-26363", {"pytest-dev__pytest-26363"}),  # the whole id, any case
    ("sample:sympy", {"sympy__sympy-12636"}),  # a repository's samples
    ("sample:scikit-learn", {"scikit-learn__scikit-learn-21349"}),
    ("sample:636", set()),  # digits inside a number are no part of it
    ("sample:1", set()),
    ("sample:pytest-2", set()),
])
def test_sample_matches_an_id_whole_or_whole_parts_of_it(mixed_ids, text, expected):
    assert {_sample_of(s) for s in _actions(mixed_ids) if parse(text).matches_span(s)} == expected


def test_other_fields_still_match_substrings(mixed_ids):
    """Only `sample:` became strict: `task:swe` and `kind:tool` are how
    users narrow by a family of tasks or actions."""
    actions = _actions(mixed_ids)
    for text in ("task:swe", "kind:tool", "kind:TOOL", 'kind:"tool c'):
        assert all(parse(text).matches_span(s) for s in actions), text


@pytest.mark.parametrize("text, hint", [
    ("status:eror", "did you mean status:error?"),
    ("status:runing", "did you mean status:running?"),
    ("status:cancled", "did you mean status:cancelled?"),
    ("status:timout", "did you mean status:timeout?"),
    ("status:err", "did you mean status:error?"),  # cut short: the one it starts
    ("status:faild", "did you mean status:error?"),  # near an alias: said by its name
    ("tool status:eror", "did you mean status:error?"),
    ("stauts:error", "did you mean status: for stauts:?"),
    ("status:error", ""), ("status:failed", ""), ("status:cancel", ""),  # values it takes
    ("status:c", ""),  # cancelled or completed: no guess
    ("status:xyz", ""), ("name:eror", ""), ("kind:eror", ""),  # open fields: any value may be meant
])
def test_a_misspelt_value_of_a_closed_field_gets_a_hint(text, hint):
    """QA: `/status:eror` said only that nothing matched, where
    `/staus:error` asked whether `status:` was meant."""
    assert parse(text).typo_hint() == hint


@pytest.mark.parametrize("text", ["status:", "kind:", 'kind:"', '"', "sample:  ", "status: sample:"])
def test_a_field_with_no_value_yet_does_nothing(text):
    """`/status:` as typed so far: the term waits for its value instead of
    showing "no spans match the filter"."""
    query = parse(text)
    assert not query and not query.fields and not query.words
    store = load("inspect/demo.log")
    assert all(query.matches_span(s) for s in store.runs["demo"].spans.values())


def test_a_field_with_no_value_leaves_the_other_terms():
    store = load("inspect/demo.log")
    spans = list(store.runs["demo"].spans.values())
    for typed, meant in (("status:error kind:", "status:error"), ("sleep status:", "sleep")):
        assert [s for s in spans if parse(typed).matches_span(s)] == \
            [s for s in spans if parse(meant).matches_span(s)], typed


@pytest.mark.parametrize("typed, closed", [
    ('kind:"Tool', 'kind:"Tool"'),
    ('kind:"Tool Call', 'kind:"Tool Call"'),
    ("kind:'Tool Ca", "kind:'Tool Ca'"),
    ('status:error kind:"Tool Call', 'status:error kind:"Tool Call"'),
    ('"sleep 6', '"sleep 6"'),
])
def test_an_unclosed_quote_matches_as_if_it_were_closed(typed, closed):
    store = load("inspect/demo.log")
    spans = list(store.runs["demo"].spans.values())
    assert parse(typed).fields == parse(closed).fields and parse(typed).words == parse(closed).words
    hits = [s for s in spans if parse(typed).matches_span(s)]
    assert hits and hits == [s for s in spans if parse(closed).matches_span(s)]


def test_terms_quoted_and_not():
    assert parse('kind:"Tool Call" sample:3').fields == [("kind", "tool call"), ("sample", "3")]
    assert parse("don't").words == ["don't"]  # a quote inside a word is that word's
    assert parse('"12:30"').words == ["12:30"] and not parse('"12:30"').fields  # quoted: a word
    assert parse("url:http://x").fields == [("url", "http://x")]


def test_anomaly_rows_follow_the_same_rules(mixed_ids):
    """The anomaly panel's rows match by the same terms: `sample:` whole,
    an empty field waits, an unclosed quote is closed."""
    by_sample = {_sample_of(s): s for s in _actions(mixed_ids)}

    def matches(text: str, sample_id) -> bool:
        span = by_sample[sample_id] if sample_id is not None else None
        return parse(text).matches_anomaly("error", "Tool Call", "bash(command='ls')", "boom", span)

    assert matches("sample:3", 3)
    assert not matches("sample:3", "pytest-dev__pytest-26363") and not matches("sample:3", 13)
    assert matches("sample:26363", "pytest-dev__pytest-26363")
    assert matches("status:", 13) and matches("sample:", None) and matches("boom kind:", None)
    assert matches('kind:"Tool', 13) and matches('kind:"tool c', None)
    assert not matches('kind:"Model', None)


def test_a_row_read_before_its_span_answers_model_by_its_detail():
    """A held archive's rows (no span yet) missed `model:` (QA)."""
    def matches(text: str, action: str, detail: str) -> bool:
        return parse(text).matches_anomaly("running", action, detail, None, None, None, ("t", 1, 1))

    assert matches("model:gpt-4o", "Model", "generate (openai/gpt-4o-mini)")
    assert not matches("model:claude", "Model", "generate (openai/gpt-4o-mini)")
    assert matches("model:mini", "Run Task", "task: swe_lite (openai/gpt-4.1-mini)")
    assert not matches("model:gpt", "Subprocess", "bash -c 'sleep 600'")


def test_anomaly_rows_match_their_run():
    """A directory's rows show their run's name: it is matched like their
    text, and `run:` picks a run, with or without the row's span (a held
    archive's rows have none until it is read)."""
    from tracetui.model import Run

    run = Run("trace-3302", "/x/trace-3302.log.gz", "inspect")
    other = Run("trace-77", "/x/trace-77.log", "inspect")

    def matches(text: str, row_run) -> bool:
        return parse(text).matches_anomaly("running", "Run Task", "task: gaia", None, None, row_run)

    assert matches("trace-3302", run) and not matches("trace-3302", other)
    assert matches("run:3302", run) and not matches("run:3302", other)
    assert matches("run:3302 gaia status:running", run)


@settings(max_examples=300, deadline=None)
@given(name=st.text(max_size=6), detail=st.one_of(st.none(), st.text(max_size=6)), kind=st.text(max_size=4),
       words=st.lists(st.text(alphabet="aAbBé- ", min_size=1, max_size=3), max_size=2))
def test_a_spans_words_match_in_its_name_detail_kind_or_id(name, detail, kind, words):
    """The words' haystack a span is matched against, made in one f-string
    for speed (a filter keystroke matches 490k spans), is its name, detail,
    kind and id, as `matches_text` reads them: None is no text."""
    from tracetui.model import Run, Span

    span = Span("id-Ab", Run("r", "src", "native"), name, kind)
    span.detail = detail
    query = parse(" ".join(words))
    assert query.matches_span(span) == query.matches_text(name, detail, kind, "id-Ab")


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.tuples(st.text(alphabet="aAbΣσςİi é-'", max_size=5),
                                st.one_of(st.none(), st.text(alphabet="aAbΣσςİi é-'", max_size=5)),
                                st.text(alphabet="aAbΣ é", max_size=3)), min_size=1, max_size=6),
       words=st.lists(st.text(alphabet="abσςi̇é-' ", min_size=1, max_size=3), min_size=1, max_size=2),
       quoted=st.booleans())
def test_a_pass_finds_words_where_the_haystack_does(texts, words, quoted):
    """A pass looks a word up in each distinct name, detail and kind
    (`Query.matcher`), not in one lowered haystack a span: it must find
    exactly what the haystack finds, capitals that lower differently in
    context (a final sigma) and quoted words with a space included."""
    from tracetui.model import Run, Span

    run = Run("r", "src", "native")
    spans = []
    for n, (name, detail, kind) in enumerate(texts * 2):  # each text twice: answered once, then kept
        span = Span(f"Id-{n}", run, name, kind)
        span.detail = detail
        spans.append(span)
    query = parse(" ".join(f'"{w}"' if quoted else w for w in words))
    match = query.matcher()
    assert [span for span in spans if match(span)] == [span for span in spans if query.matches_span(span)]


#: Queries whose fields ask a span's ancestors (and its run), and some that do not.
PASS_QUERIES = ("sample:3", "sample:1 kind:Model", "task:mmlu epoch:2", "model:gpt", "epoch:1 status:ok",
                "kind:Model", "name:Subprocess status:running", "task:ctf sleep", "kind:image",
                "node:n1", "tag:tool_call", "category:sync", "llm.model_name:gpt", "model:nothing-like-it",
                "sleep", "docker exec", "generate gpt", "sample", "Σ", "-")


@pytest.mark.parametrize("names", [
    ("inspect/hung.log", "inspect/mixed.log.gz", "inspect/demo.log"),
    ("skulk/node-a", "skulk/node-b"), ("otel",), ("native",), ("sgp",), ("flujo",), ("trackio",),
])
def test_a_pass_matches_what_each_span_alone_matches(names):
    """A pass over many spans (`Query.matcher`, the tree's per keystroke)
    keeps what a chain of ancestors decided of a field for each node on
    the way: it must match exactly the spans `matches_span` matches one by
    one, whatever level of the tree holds the field."""
    store = load(*names)
    spans = [span for run in store.runs.values() for span in run.spans.values()]
    assert spans
    for text in PASS_QUERIES:
        query = parse(text)
        one_by_one = [span for span in spans if query.matches_span(span)]
        match = query.matcher()
        assert [span for span in spans if match(span)] == one_by_one, text


def test_a_pass_sees_attributes_as_they_are_when_it_starts():
    """What a pass kept is its own: a node's attributes changed after it
    (a live log's `Run Task` names its model late) are seen by the next."""
    store = load("inspect/hung.log")
    run = next(iter(store.runs.values()))
    sample = next(span for span in run.spans.values() if span.kind == "sample")
    action = next(iter(sample.children))
    query = parse(f"sample:{sample.attributes['sample_id']}")
    match = query.matcher()
    assert match(action)
    sample.attributes = {**sample.attributes, "sample_id": "renamed"}
    assert not query.matcher()(action)
    assert not query.matches_span(action)


def test_a_pass_takes_a_span_whose_texts_are_no_strings():
    """A name, detail or kind a decoder left as a list (unhashable) is
    matched as the haystack matches it, not a crash of the filter's pass."""
    from tracetui.model import Run, Span

    span = Span("id-1", Run("r", "src", "native"), ["tool", "call"], "step")  # type: ignore[arg-type]
    span.detail = {"cmd": "sleep"}  # type: ignore[assignment]
    for text in ("sleep", "tool", "nothing", "tool sleep", "step:x"):
        query = parse(text)
        assert query.matcher()(span) == query.matches_span(span), text


def test_a_pass_tells_apart_texts_that_are_equal_but_read_differently():
    """`1`, `1.0` and `True` are one dict key; as texts they are `1`,
    `1.0` and `true`: what a pass kept for one must not answer another."""
    from tracetui.model import Run, Span

    run = Run("r", "src", "native")
    spans = [Span(f"id-{n}", run, name, "step") for n, name in enumerate([1, 1.0, True, "1"])]  # type: ignore[arg-type]
    for text in ("true", "1.0", ".", "1"):
        query = parse(text)
        match = query.matcher()
        assert [s.id for s in spans if match(s)] == [s.id for s in spans if query.matches_span(s)], text
