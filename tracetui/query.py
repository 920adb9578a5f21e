"""The filter language of `/`: words and `field:value` terms.

    tool sleep                 every word in the name or detail
    status:error kind:"Tool Call" sample:3
    model:gpt tag:tool_call category:sync node:n1

A field is looked up on the span, then in its attributes, then in its
ancestors' attributes, then in its run's attributes, so `sample:3` finds
every action of sample 3 and `kind:image` finds Skulk tasks of that kind.
Values match case-insensitively as substrings; `category:` matches a slash
prefix (`sync` matches `sync/compute`). Never raises.
"""

from __future__ import annotations

import json
import shlex
from typing import Any, Iterable

from tracetui.model import Run, Span

#: How much of a span's input/output text a filter searches.
CONTENT_SEARCH_LIMIT = 200_000
#: Status words users type that mean one of ours.
STATUS_ALIASES = {"failed": "error", "failure": "error", "completed": "ok", "success": "ok",
                  "canceled": "cancelled", "cancel": "cancelled", "timeouts": "timeout"}
#: Field names that are spelled differently in attributes.
FIELD_KEYS = {"sample": ("sample_id", "sample"), "model": ("model", "model_id", "llm.model_name"),
              "node": ("node_id", "nodes", "node"), "tag": ("tags", "tag"),
              "category": ("category", "categories"), "task": ("task", "task_kind"),
              "kind": ("kind", "task_kind", "type")}


def _tokens(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # an unbalanced quote: take the words as typed
        return text.replace('"', " ").replace("'", " ").split()


class Query:
    """A parsed filter; `bool(query)` is False for an empty one."""

    def __init__(self, text: str = "") -> None:
        self.text = text
        self.words: list[str] = []
        self.fields: list[tuple[str, str]] = []
        for token in _tokens(text):
            field, sep, value = token.partition(":")
            if sep and field and value:
                self.fields.append((field.lower(), value.lower()))
            elif token:
                self.words.append(token.lower())

    def __bool__(self) -> bool:
        return bool(self.words or self.fields)

    def matches_text(self, *strings: Any) -> bool:
        haystack = " ".join(str(s) for s in strings if s is not None).lower()
        return all(word in haystack for word in self.words)

    def matches_span(self, span: Span) -> bool:
        if not self.matches_text(span.name, span.detail, span.kind, span.id) \
                and not self._matches_content(span):
            return False
        return all(self._span_field(span, f, v) for f, v in self.fields)

    def _matches_content(self, span: Span) -> bool:
        """Words in the span's input/output (message text): searched only
        for spans that carry content, and only up to a size, so a filter
        keystroke stays cheap on big runs."""
        if not self.words or (span.input is None and span.output is None):
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
            elif not _match_in(run.attributes, field, value) and not (
                    field in ("name", "id") and value in f"{run.name} {run.id}".lower()):
                return False
        return True

    def matches_anomaly(self, status: str, action: str, detail: str, error: str | None,
                        span: Span | None) -> bool:
        """An anomaly panel row: words in its action, detail or error (or in
        its span's text); fields on its span, except `status`, which is the
        row's bucket. A row the prescan found before the index made its span
        can answer `status`, and `kind` / `name` by its action, no more."""
        if not self.matches_text(action, detail, error) and not (
                span is not None and (self.matches_text(span.name, span.detail, span.kind, span.id)
                                      or self._matches_content(span))):
            return False
        for field, value in self.fields:
            if field == "status":
                matched = _status_match(status, value)
            elif span is not None:
                matched = self._span_field(span, field, value)
            else:
                matched = field in ("kind", "name") and value in action.lower()
            if not matched:
                return False
        return True

    def _span_field(self, span: Span, field: str, value: str) -> bool:
        if field == "status":
            return _status_match(span.status, value)
        if field == "name":
            return value in span.name.lower()
        if field == "kind" and value in span.kind.lower():
            return True
        # The nearest span that has the field decides (a span's own tags, not
        # its run's); the run's attributes only when no span in the chain has it.
        node: Span | None = span
        while node is not None:
            if node.attributes and _has(node.attributes, field):
                return _match_in(node.attributes, field, value)
            node = node.parent
        # Made-up nodes (tracks, samples) are structure: the tree shows them
        # as ancestors of what matches, they do not match by their run.
        return not span.synthetic and _match_in(span.run.attributes, field, value)


def _status_match(status: str, value: str) -> bool:
    return status == STATUS_ALIASES.get(value, value)


def _match_in(attributes: dict, field: str, value: str) -> bool:
    for key in FIELD_KEYS.get(field, (field,)):
        if key in attributes and _value_matches(attributes[key], value, prefix=field == "category"):
            return True
    return False


def _has(attributes: dict, field: str) -> bool:
    return any(key in attributes for key in FIELD_KEYS.get(field, (field,)))


def _value_matches(candidate: Any, value: str, prefix: bool) -> bool:
    if isinstance(candidate, (list, tuple, set)):
        return any(_value_matches(c, value, prefix) for c in candidate)
    if isinstance(candidate, dict):
        return any(_value_matches(c, value, prefix) for c in candidate.values())
    text = str(candidate).lower()
    if prefix:
        return text == value or text.startswith(value + "/")
    if text.isdigit() and value.isdigit():
        return text == value  # sample:3 is sample 3, not 13
    return value in text


def refines(new: Query, old: Query) -> bool:
    """Does everything `new` matches match `old` too? For words alone: each
    old word is inside a new one (a word typed on). Fields are left out:
    `status:`, a sample number and a category match exactly, so a longer
    value is not a narrower one."""
    return bool(old.words) and not old.fields and not new.fields and new.text != old.text \
        and all(any(w in v for v in new.words) for w in old.words)


def parse(text: str) -> Query:
    return Query(text or "")


def filter_spans(spans: Iterable[Span], query: Query) -> list[Span]:
    return [s for s in spans if query.matches_span(s)]
