"""Shorten a `docker compose … exec` command line to what it runs, for rows.

Inspect runs every sandboxed command as a `Subprocess` whose detail is the
whole `docker compose --project-name inspect-swe-bench-i05nl2r -f
/tmp/…/compose.yaml exec --workdir /testbed default bash --login -c
'sleep 3600'`: a row showed the options and never reached the command,
at any width (QA). Rows show `docker compose … exec default bash --login
-c 'sleep 3600'`; the detail pane, the raw record and filters keep it whole.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: How the details worth shortening begin.
COMPOSE = "docker compose "
#: `docker compose` options before its subcommand that take a value.
COMPOSE_VALUE_OPTIONS = frozenset((
    "-p", "--project-name", "-f", "--file", "--ansi", "--progress", "--env-file", "--profile",
    "--project-directory", "--parallel"))
#: `docker compose exec` options that take a value (`-T`, `--privileged`… take none).
EXEC_VALUE_OPTIONS = frozenset(("-w", "--workdir", "-u", "--user", "-e", "--env", "--index"))
#: A shell word: quoted parts and plain characters run together.
_WORD = re.compile(r"""(?:'[^']*'|"(?:\\.|[^"\\])*"|[^\s'"])+""")


def elide_compose(detail: str) -> str:
    """`detail` with a `docker compose … exec` command's options elided, or
    as it is (anything else, or a line not read as one)."""
    if not detail.startswith(COMPOSE):
        return detail
    return _elided(detail)


@lru_cache(maxsize=4096)
def _elided(detail: str) -> str:
    words = _words(detail, len(COMPOSE))
    if not _skip_options(words, COMPOSE_VALUE_OPTIONS, until="exec"):
        return detail
    service = _skip_options(words, EXEC_VALUE_OPTIONS)
    if service is None:
        return detail
    short = f"{COMPOSE}… exec {detail[service.start():]}"
    return short if len(short) < len(detail) else detail  # nothing to elide


def _words(detail: str, start: int):
    """The shell words of `detail` from `start`, up to anything that is not
    one (a quote left open)."""
    end = start
    for word in _WORD.finditer(detail, start):
        if detail[end:word.start()].strip():
            return
        yield word
        end = word.end()


def _skip_options(words, takes_value: frozenset[str], until: str | None = None) -> re.Match | None:
    """Read past options (and their values) to the first other word and
    return it; with `until`, only if it is that word (else None)."""
    for word in words:
        text = word.group()
        if text.startswith("-"):
            if text in takes_value:  # `--workdir /testbed`, not `--workdir=/testbed`
                next(words, None)
            continue
        if until is None:
            return word
        return word if text == until else None
    return None
