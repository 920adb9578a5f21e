"""The filter language of `/`: words and `field:value` terms.

    tool sleep                 every word in the name or detail
    status:error kind:"Tool Call" sample:3
    model:gpt tag:tool_call category:sync node:n1

A field is looked up on the span, then in its attributes, then in its
ancestors' attributes, then in its run's attributes, so `sample:3` finds
every action of sample 3 and `kind:image` finds Skulk tasks of that kind.
Values match case-insensitively as substrings (a number matches a number
whole: `epoch:1` is not epoch 11); `status:` matches a status or its alias
exactly; `category:` matches a slash prefix (`sync` matches `sync/compute`);
`sample:` matches an id whole or whole parts of it (see `_sample_matches`).

Typed as it is read, keystroke by keystroke: a field with no value yet
(`status:`) does nothing, and an unclosed quote (`kind:"Tool`) runs to the
end of the text. A quote opens only at the start of a term or of its value,
so `don't` is a word; a term quoted whole (`"12:30"`) is a word, not a
field. Never raises.
"""

from __future__ import annotations

import json
import re
import time
from functools import lru_cache
from typing import Any, Callable, Iterable

from tracetui.formats.inspect import action_field
from tracetui.model import PAUSED, STATUSES, Run, Span
from tracetui.text import safe

#: How much of a span's input/output text a filter searches.
CONTENT_SEARCH_LIMIT = 200_000
#: Status words users type that mean one of ours.
STATUS_ALIASES = {"failed": "error", "failure": "error", "completed": "ok", "success": "ok",
                  "canceled": "cancelled", "cancel": "cancelled", "timeouts": "timeout"}
#: Field names that are spelled differently in attributes.
FIELD_KEYS = {"sample": ("sample_id", "sample"),
              "model": ("model", "model_id", "llm.model_name", "gen_ai.request.model", "gen_ai.response.model"),
              "node": ("node_id", "nodes", "node"), "tag": ("tags", "tag"),
              "category": ("category", "categories"), "task": ("task", "task_kind"),
              "kind": ("kind", "task_kind", "type")}


#: The fields the filter knows by name (any attribute is a field too).
NAMED_FIELDS = ("status", "name", "kind", "run", *sorted(set(FIELD_KEYS) - {"kind"}))
#: Fields whose values are a closed set, matched exactly, each value to the
#: one it means: a value not among them matches nothing, and the one it was
#: likely meant to be is hinted (`Query.typo_hint`). Every other field's
#: values are the trace's own.
CLOSED_VALUES = {"status": {**{status: status for status in (*STATUSES, PAUSED)}, **STATUS_ALIASES}}
#: How alike a typed field name or closed value must be to one of ours to
#: be hinted (difflib's ratio: `stauts`/`status` 0.83, `eror`/`error` 0.89).
TYPO_CUTOFF = 0.75


#: One term: an optional `field:` head, then a value quoted from its start
#: (to its closing quote or, still being typed, to the end of the text) or
#: bare, up to the next space. Every match is one term, never empty.
_TERM = re.compile(r"""(?=\S)(?:([^\s:"']+):)?(?:(["'])(.*?)(?:\2|\Z)|(\S*))""", re.S)


def _terms(text: str) -> list[tuple[str | None, str]]:
    """(field, value) for each term; field is None for a word. Not shlex: a
    filter is read after every keystroke, so an unclosed quote is the usual
    state of a quoted value, not an error that should scramble it."""
    terms = []
    for match in _TERM.finditer(text):
        field, quote, quoted, bare = match.groups()
        terms.append((field, quoted if quote else bare))
    return terms


class Query:
    """A parsed filter; `bool(query)` is False for an empty one."""

    def __init__(self, text: str = "") -> None:
        self.text = text
        self.words: list[str] = []
        self.fields: list[tuple[str, str]] = []
        for field, value in _terms(text):
            if not value:
                continue  # `status:` or `"` as typed so far: nothing to match yet
            if field is None:
                self.words.append(value.lower())
            else:
                self.fields.append((field.lower(), value.lower()))

    def __bool__(self) -> bool:
        return bool(self.words or self.fields)

    def typo_hint(self) -> str:
        """For a filter that matches nothing: a field name that looks like a
        misspelt one of ours (`stauts:` for `status:`), or a value that is
        not one a closed field takes (`status:eror` for `status:error`),
        said as a question; empty if none (QA: `/stauts:error` and
        `/status:eror` said only that nothing matched)."""
        for field, value in self.fields:
            if field in NAMED_FIELDS:
                hint = _value_hint(field, value)
                if hint:
                    return hint
                continue
            close = _close_matches(field, NAMED_FIELDS)
            if close:
                return f"did you mean {close[0]}: for {safe(field, newlines=False)}:?"
        return ""

    def matches_text(self, *strings: Any) -> bool:
        haystack = " ".join(str(s) for s in strings if s is not None).lower()
        return all(word in haystack for word in self.words)

    def matcher(self) -> Callable[[Span], bool]:
        """`matches_span` for one pass over many spans (the tree's, per
        keystroke), which keeps what it learnt for the rest of the pass:
        - what a chain of ancestors decides of a field, for every node on
          the way: the actions of one sample ask their chain once between
          them (`sample:3 kind:Model` took 1.2 s over the 490k spans of a
          1M-line log);
        - whether a word is in each distinct name, detail and kind: a few
          dozen names and kinds, and details shared by many spans, where a
          haystack was made and lowered for every span.
        For one pass only: a node's attributes may change once it is over."""
        chains = not all(field in ("status", "name") for field, _ in self.fields)
        # A quoted word with a space in it may span two fields of the
        # haystack: such words are looked for in the haystack itself.
        by_field = bool(self.words) and not any(ch.isspace() for word in self.words for ch in word)
        if not (chains or by_field):
            return self.matches_span
        memos = [{} for _ in self.fields] if chains else None
        seen = [{} for _ in self.words] if by_field else None
        if by_field and not self.fields:
            # Words alone (what is typed most): `matches_span`'s path, one
            # call a span fewer.
            words, matches_content = self.words, self._matches_content

            def match_words(span: Span) -> bool:
                try:
                    found = _words_in_fields(span, words, seen)
                except TypeError:  # a text that is no string, nor hashable
                    return self.matches_span(span)
                return found or (span.carries_content() and matches_content(span))

            return match_words

        def match(span: Span) -> bool:
            return self.matches_span(span, memos, seen)

        return match

    def matches_span(self, span: Span, memos: list[dict] | None = None,
                     seen: list[dict] | None = None) -> bool:
        """`memos`, one per field, and `seen`, one per word: what a pass
        has learnt so far (`matcher`)."""
        # The tree matches every span of a run per keystroke (490k on a
        # 1M-line log): the words' haystack is made only if there are
        # words, in one f-string (`matches_text`'s join of a generator took
        # most of the 1.3 s `name:Subprocess` took there).
        words = self.words
        if words:
            if seen is None:
                haystack = f"{span.name or ''} {span.detail or ''} {span.kind or ''} {span.id}".lower()
                found = all(word in haystack for word in words)
            else:
                try:
                    found = _words_in_fields(span, words, seen)
                except TypeError:  # a text that is no string, nor hashable
                    return self.matches_span(span)
            # (`carries_content` first: most spans carry none, and one call
            # a span is what the slots read before `SpanExtra` cost.)
            if not found and not (span.carries_content() and self._matches_content(span)):
                return False
        if memos is None:
            for field, value in self.fields:
                if not self._span_field(span, field, value):
                    return False
        else:
            for (field, value), memo in zip(self.fields, memos):
                if not self._span_field(span, field, value, memo):
                    return False
        return True

    def _matches_content(self, span: Span) -> bool:
        """Words in the span's input/output (message text): searched only
        for spans that carry content, and only up to a size, so a filter
        keystroke stays cheap on big runs."""
        if not self.words or not span.carries_content():
            return False
        try:
            blob = json.dumps([span.input, span.output], ensure_ascii=False, default=str)
        except (TypeError, ValueError, RecursionError):
            return False
        return self.matches_text(span.name, span.detail, blob[:CONTENT_SEARCH_LIMIT])

    def matches_run(self, run: Run) -> bool:
        if not self.matches_text(run.id, run.name, run.source, run.format):
            return False
        for field, value in self.fields:
            if field == "status":
                if not _status_match(run.status, value):
                    return False
            elif field in ("name", "id") and value in f"{run.name} {run.id}".lower():
                continue
            elif _has(run.attributes, field):  # the run's own say decides, as a span's does
                if not _match_in(run.attributes, field, value):
                    return False
            elif not _in_run_spans(run, field, value):
                return False
        return True

    def matches_anomaly(self, status: str, action: str, detail: str, error: str | None,
                        span: Span | None, run: Run | None = None,
                        sample: tuple | None = None, place: str | None = None) -> bool:
        """An anomaly panel row: words in its action, detail, error, run's
        name or `place` (the task and sample the row names: `swe_bench
        django__django-22546/e2`; QA: `/django` matched none of the rows
        showing it), or in its span's text; fields on its span, except `status`,
        which is the row's bucket, and `run`, its run's id or name. A row the
        prescan found before the index made its span can answer `status`,
        `run`, `kind` / `name` by its action, `task`, `sample`, `epoch` by
        its record's (`sample`: task, sample id, epoch), and `model` (and
        `task`) by a `Model` or `Run Task` detail, no more."""
        run_names = (run.id, run.name) if run is not None else ()
        if not self.matches_text(action, detail, error, place, *run_names) and not (
                span is not None and (self.matches_text(span.name, span.detail, span.kind, span.id)
                                      or self._matches_content(span))):
            return False
        for field, value in self.fields:
            if field == "status":
                matched = _status_match(status, value)
            elif field == "run" and run is not None:
                matched = any(value in name.lower() for name in run_names)
            elif span is not None:
                matched = self._span_field(span, field, value)
            elif sample is not None and field in ("task", "sample", "epoch"):
                known = {k: v for k, v in zip(("task", "sample_id", "epoch"), sample) if v is not None}
                matched = _match_in(known, field, value)
            elif field in ("model", "task") and (named := action_field(action, detail, field)) is not None:
                matched = _text_matches(named.lower(), value)  # `generate (openai/gpt-4o)`
            else:
                matched = field in ("kind", "name") and value in action.lower()
            if not matched:
                return False
        return True

    def _span_field(self, span: Span, field: str, value: str,
                    memo: dict[Span, bool | None] | None = None) -> bool:
        if field == "status":
            return _status_match(span.status, value)
        if field == "name":
            return value in span.name.lower()
        if field == "kind" and value in span.kind.lower():
            return True
        if field in ("model", "task") and span.run.format == "inspect":
            # Inspect names them in a detail: `generate (openai/gpt-4o)`.
            named = action_field(span.kind, span.detail, field)
            if named is not None:
                return _text_matches(named.lower(), value)
        # The nearest span that has the field decides (a span's own tags, not
        # its run's); the run's attributes only when no span in the chain has it.
        decided = _chain_decides(span, field, value, memo)
        if decided is not None:
            return decided
        # Made-up nodes (tracks, samples) are structure: the tree shows them
        # as ancestors of what matches, they do not match by their run.
        # An Inspect run's attributes list all its tasks and models: no answer
        # for one span outside them (a top-level `Log Write`).
        return not span.synthetic and span.run.format != "inspect" \
            and _match_in(span.run.attributes, field, value)


#: Runs whose spans' values of a field were gathered lately, by (id(run),
#: field): (the run, what it held then, when, the values). A run-list
#: filter is matched per keystroke against every run, and gathering walks
#: every span of one (11-22 ms on a 200k-line log); the oldest is dropped.
_SPAN_VALUES: dict[tuple[int, str], tuple[Run, tuple, float, list]] = {}
SPAN_VALUES_KEPT = 64
#: Values gathered this lately (s) serve a run that has grown since: while
#: a big log loads, each keystroke would walk it again.
SPAN_VALUES_FRESH = 1.0


def _in_run_spans(run: Run, field: str, value: str) -> bool:
    """A run its own attributes say nothing of `field` matches where one of
    its spans' does (`model:gpt` finds the OTel trace whose LLM span
    carries `llm.model_name`; QA: the run list matched none)."""
    matches = _MATCHERS.get(field, _text_matches)
    return any(_value_matches(candidate, value, matches) for candidate in _span_values(run, field))


def _span_values(run: Run, field: str) -> list:
    """The distinct values its spans' attributes give `field`, gathered
    again only once the run has changed (more spans, a later record) and
    SPAN_VALUES_FRESH has passed."""
    key = (id(run), field)
    stamp = (len(run.spans), run.last_time, len(run.roots))
    now = time.monotonic()
    kept = _SPAN_VALUES.get(key)
    if kept is not None and kept[0] is run and (kept[1] == stamp or now - kept[2] < SPAN_VALUES_FRESH):
        return kept[3]
    names = FIELD_KEYS.get(field, (field,))
    values: list = []
    seen: set = set()
    for span in list(run.spans.values()):  # a copy: the reader may add spans meanwhile
        attributes = span.attributes
        if not attributes:
            continue
        for name in names:
            if name in attributes:
                candidate = attributes[name]
                try:
                    marker = (type(candidate), candidate)  # 1 and True are one key, not one value
                    if marker in seen:
                        continue
                    seen.add(marker)
                except TypeError:  # a list or dict: kept as it is
                    pass
                values.append(candidate)
    if len(_SPAN_VALUES) >= SPAN_VALUES_KEPT:
        del _SPAN_VALUES[next(iter(_SPAN_VALUES))]
    _SPAN_VALUES[key] = (run, stamp, now, values)
    return values


def _value_hint(field: str, value: str) -> str:
    """`did you mean status:error?` for a value a closed field does not
    take: the one it starts (`status:err`, typed on or cut short) or the
    closest one (`status:eror`), by the name it goes by (`status:faild`,
    nearest the alias `failed`, is said `status:error`)."""
    values = CLOSED_VALUES.get(field)
    if values is None or value in values:
        return ""
    started = {meant for typed, meant in values.items() if typed.startswith(value)}
    if len(started) == 1:
        meant = started.pop()
    else:
        close = _close_matches(value, values)
        if not close:
            return ""
        meant = values[close[0]]
    return f"did you mean {field}:{meant}?"


def _close_matches(word: str, choices: Iterable[str]) -> list[str]:
    """The choice most like `word`, if any is TYPO_CUTOFF alike. difflib
    is imported here, for a filter that matched nothing: on the app's
    start it cost 7-10 ms before the first screen."""
    import difflib

    return difflib.get_close_matches(word, choices, n=1, cutoff=TYPO_CUTOFF)


def _status_match(status: str, value: str) -> bool:
    return status == STATUS_ALIASES.get(value, value)


def _words_in_fields(span: Span, words: list[str], seen: list[dict]) -> bool:
    """Every word in the span's name, detail, kind or id, lowercased: what
    its haystack (`Query.matches_span`) answers, for words with no space
    (none can then run from one field into the next, and lowering each
    field lowers what the haystack joins). `seen`, one dict per word: its
    answer for each distinct string met so far in the pass (only strings:
    `1`, `1.0` and `True` are one key, and say different things).

    Unrolled on purpose, and called straight from `Query.matcher`'s
    closure: it runs for each of a big run's spans. One more call between
    the closure and it took 7-16 % longer a span, and with a loop over the
    three texts as well, 16-23 % (word filters on the 200k-line log,
    alternating in one process)."""
    name, detail, kind = span.name or "", span.detail or "", span.kind or ""
    for word, known in zip(words, seen):
        hit = known.get(name)
        if hit is None:
            hit = word in str(name).lower()
            if type(name) is str:
                known[name] = hit
        if hit:
            continue
        hit = known.get(detail)
        if hit is None:
            hit = word in str(detail).lower()
            if type(detail) is str:
                known[detail] = hit
        if hit:
            continue
        hit = known.get(kind)
        if hit is None:
            hit = word in str(kind).lower()
            if type(kind) is str:
                known[kind] = hit
        if hit:
            continue
        if word not in str(span.id).lower():
            return False
    return True


_UNKNOWN = object()


def _chain_decides(span: Span, field: str, value: str, memo: dict[Span, bool | None] | None) -> bool | None:
    """Whether `value` matches the field in the attributes of the nearest
    of `span` and its ancestors that has it; None if none has it. With a
    `memo`, the answer is kept for every node walked, and a walk stops at
    a node already answered."""
    walked = []
    node: Span | None = span
    decided: Any = None
    while node is not None:
        if memo is not None:
            known = memo.get(node, _UNKNOWN)
            if known is not _UNKNOWN:
                decided = known
                break
            walked.append(node)
        # Read once: an Inspect sample's attributes are made at each read
        # (`_span.h`).
        attributes = node.attributes
        if attributes and _has(attributes, field):
            decided = _match_in(attributes, field, value)
            break
        node = node.parent
    if memo is not None:
        for node in walked:
            memo[node] = decided
    return decided


def _match_in(attributes: dict, field: str, value: str) -> bool:
    matches = _MATCHERS.get(field, _text_matches)
    for key in FIELD_KEYS.get(field, (field,)):
        if key in attributes and _value_matches(attributes[key], value, matches):
            return True
    return False


def _has(attributes: dict, field: str) -> bool:
    return any(key in attributes for key in FIELD_KEYS.get(field, (field,)))


def _value_matches(candidate: Any, value: str, matches: Callable[[str, str], bool]) -> bool:
    if isinstance(candidate, (list, tuple, set)):
        return any(_value_matches(c, value, matches) for c in candidate)
    if isinstance(candidate, dict):
        return any(_value_matches(c, value, matches) for c in candidate.values())
    return matches(str(candidate).lower(), value)


def _text_matches(text: str, value: str) -> bool:
    """A substring (`model:gpt`, `task:swe`), but a number matches a number
    whole: `epoch:1` is not epoch 11."""
    if text.isdigit() and value.isdigit():
        return text == value
    return value in text


def _category_matches(text: str, value: str) -> bool:
    """A slash prefix: `sync` matches `sync/compute`, not `syncing`."""
    return text == value or text.startswith(value + "/")


#: What splits a text sample id into parts: `pytest-dev__pytest-26363` is
#: pytest, dev, pytest, 26363.
SAMPLE_ID_SEPARATORS = "-_/."


def _sample_matches(text: str, value: str) -> bool:
    """The whole id (`sample:3` is id 3 or "3"), or whole parts of a text
    id, in order, as typed between them (`sample:26363`,
    `sample:pytest-26363`, `sample:sympy` for every sympy sample) -- never a
    run of characters inside a part, so `sample:3` is not
    `pytest-dev__pytest-26363` nor sample 13. Ids are numbers in one eval
    and SWE-bench or UUID names in another; a user types the one they mean."""
    if value not in text:  # the cheap answer for most spans of a big run
        return False
    return text == value or _whole_parts(value).search(text) is not None


@lru_cache(maxsize=64)
def _whole_parts(value: str) -> re.Pattern:
    """`value` where it starts and ends on a part boundary (the id's ends or
    a separator); cached, since a filter pass asks once per span."""
    outside = "[^" + re.escape(SAMPLE_ID_SEPARATORS) + "]"
    return re.compile(f"(?<!{outside}){re.escape(value)}(?!{outside})")


#: Fields whose values do not match as substrings.
_MATCHERS = {"category": _category_matches, "sample": _sample_matches}


def refines(new: Query, old: Query) -> bool:
    """Does everything `new` matches match `old` too? For words alone: each
    old word is inside a new one (a word typed on). Fields are left out:
    `status:`, a sample id and a category match exactly, so a longer
    value is not a narrower one."""
    return bool(old.words) and not old.fields and not new.fields and new.text != old.text \
        and all(any(w in v for v in new.words) for w in old.words)


def parse(text: str) -> Query:
    return Query(text or "")


def filter_spans(spans: Iterable[Span], query: Query) -> list[Span]:
    match = query.matcher()
    return [s for s in spans if match(s)]
