"""The detail pane's fields drawn by `_FieldGrid` are Rich's `Table.grid` of them, cell for cell and style for style."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from tracetui.app.detail import _FieldGrid, _grid

CONSOLE = Console(width=200, color_system="truecolor", legacy_windows=False)

WORDS = ["a", "ok", "running", "/a/long/path/with/no/space/at/all/0123456789", "日本語テキスト", "x" * 30,
         "two words", "bash(command='sleep 600')", "line\nbreak", "  lead", "trail  ", "tab\there", "é",
         "🙂🙂", "12.34ms", "[bold]not markup[/]", "\x1b[31mescape"]
KEYS = ["start", "duration", "age", "kind", "detail", "id", "run", "parent", "sample", "source",
        "attributes of it", "x"]
values = st.one_of(st.none(), st.just(""), st.integers(), st.lists(st.sampled_from(WORDS), max_size=5).map(" ".join),
                   st.text(max_size=40))


def cells(renderable, width: int) -> list[list[tuple[str, object]]]:
    options = CONSOLE.options.update(width=width, height=None, highlight=False)
    return [[(char, segment.style or None) for segment in line for char in segment.text]
            for line in CONSOLE.render_lines(renderable, options, pad=True)]


@settings(max_examples=400)
@given(rows=st.lists(st.tuples(st.sampled_from(KEYS), values), max_size=7), width=st.integers(1, 100))
def test_the_fields_are_drawn_as_rich_grid_draws_them(rows, width):
    assert cells(_FieldGrid(rows), width) == cells(_grid(rows), width)


def test_a_long_value_wraps_under_itself():
    rows = [("detail", "docker compose exec default bash --login -c 'sleep 600'"), ("id", "x" * 40)]
    lines = ["".join(char for char, _ in line).rstrip() for line in cells(_FieldGrid(rows), 30)]
    assert lines == ["detail    docker compose exec", "          default bash --login", "          -c 'sleep 600'",
                     "id        xxxxxxxxxxxxxxxxxxxx", "          xxxxxxxxxxxxxxxxxxxx"]
