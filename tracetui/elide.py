"""Shorten a `docker compose … exec` command line to what it runs, for rows.

Inspect runs every sandboxed command as a `Subprocess` whose detail is the
whole `docker compose --project-name inspect-swe-bench-i05nl2r -f
/tmp/…/compose.yaml exec --workdir /testbed default /usr/bin/timeout -k 5s
180s bash --login -c 'sleep 3600'`: a row showed the options and never
reached the command, at any width (QA, twice). Rows (the TUI's, and the
text of `tracetui tree` and `spans`) show `exec default: sleep 3600`, what
runs and where; another `docker compose` command keeps its subcommand
(`docker compose … up --detach`). The detail pane, the raw record, JSON
and filters keep the command whole.
"""

from __future__ import annotations

import re
import shlex
from functools import lru_cache

#: How the details worth shortening begin.
COMPOSE = "docker compose "
#: `docker compose` options before its subcommand that take a value.
COMPOSE_VALUE_OPTIONS = frozenset((
    "-p", "--project-name", "-f", "--file", "--ansi", "--progress", "--env-file", "--profile",
    "--project-directory", "--parallel"))
#: `docker compose exec` options that take a value (`-T`, `--privileged`… take none).
EXEC_VALUE_OPTIONS = frozenset(("-w", "--workdir", "-u", "--user", "-e", "--env", "--index"))
#: The wrapper Inspect's sandbox puts before a command given a timeout
#: (`/usr/bin/timeout -k 5s 180s …`), and its options that take a value.
TIMEOUT_COMMANDS = frozenset(("/usr/bin/timeout", "timeout"))
TIMEOUT_VALUE_OPTIONS = frozenset(("-k", "--kill-after", "-s", "--signal"))
#: Shells whose `-c` script is the command (`bash --login -c 'sleep 3600'`).
SHELLS = frozenset(("bash", "sh", "/bin/bash", "/bin/sh", "zsh", "dash"))
#: How a detail that runs a shell's script begins (`bash -c 'sleep 600'`).
SHELL_PREFIXES = tuple(f"{shell} " for shell in SHELLS)
#: A shell word: quoted parts and plain characters run together.
_WORD = re.compile(r"""(?:'[^']*'|"(?:\\.|[^"\\])*"|[^\s'"])+""")


def elide_compose(detail: str, service: bool = True) -> str:
    """`detail` shortened to what a `docker compose` command runs, or as it
    is (anything else, or a line not read as shell words). Not `service`
    (a compact row): an `exec` says its command alone, not `exec SERVICE: `
    first, and a shell's `-c` script run outside a sandbox says itself
    without the shell (`sleep 600`, not `bash -c 'sl…`: QA, the anomaly
    panel at 120 columns cut every local sandbox's stuck command there)."""
    if not detail.startswith(COMPOSE):
        if not service and detail.startswith(SHELL_PREFIXES):
            return _shell_script(detail)
        return detail
    elided = _elided(detail)
    if not service and elided.startswith("exec ") and elided is not detail:
        return elided.split(": ", 1)[-1]
    return elided


@lru_cache(maxsize=4096)
def _elided(detail: str) -> str:
    words = list(_words(detail, len(COMPOSE)))
    sub = _after_options(words, 0, COMPOSE_VALUE_OPTIONS)
    if sub is None:
        return detail
    if words[sub].group() != "exec":
        if sub == 0:
            return detail  # nothing to elide
        return f"{COMPOSE}… {detail[words[sub].start():]}"
    service = _after_options(words, sub + 1, EXEC_VALUE_OPTIONS)
    if service is None or service + 1 >= len(words):
        return detail
    command = service + 1
    if words[command].group() in TIMEOUT_COMMANDS:
        duration = _after_options(words, command + 1, TIMEOUT_VALUE_OPTIONS)
        if duration is None or duration + 1 >= len(words):
            return detail
        command = duration + 1
    return f"exec {words[service].group()}: {_command(detail, words, command)}"


@lru_cache(maxsize=4096)
def _shell_script(detail: str) -> str:
    """`bash --login -c 'sleep 600'` as `sleep 600`; anything else as it is."""
    words = list(_words(detail, 0))
    return _command(detail, words, 0) if words else detail


def _command(detail: str, words: list[re.Match], start: int) -> str:
    """The command from words[start]: a shell's `-c` script, unquoted, or
    the words as written, a program given by its path named by its name
    (`inspect-sandbox-tools exec`: the sandbox's tools live in a hashed
    directory, `/var/tmp/.da7be258e003d428/`, which took the row; QA)."""
    rest = [word.group() for word in words[start:]]
    if rest[0] in SHELLS and len(rest) >= 3 and rest[-2] == "-c" \
            and all(option.startswith("-") for option in rest[1:-1]):
        quoted = rest[-1]
        if len(quoted) >= 2 and quoted[0] == quoted[-1] == "'" and "'" not in quoted[1:-1]:
            # Inspect's own form, `-c 'sleep 600'`: what shlex makes of it
            # (nothing is special inside single quotes), without its tokenizer
            # (a quarter of the cost of drawing a tree of such rows).
            return quoted[1:-1]
        try:
            script = shlex.split(quoted)
        except ValueError:
            script = []
        if len(script) == 1:
            return script[0]
    program = rest[0]
    if program.startswith("/") and "/" in program[1:] and program.rsplit("/", 1)[1]:
        return program.rsplit("/", 1)[1] + detail[words[start].end():]
    return detail[words[start].start():]


def _words(detail: str, start: int):
    """The shell words of `detail` from `start`, up to anything that is not
    one (a quote left open)."""
    end = start
    for word in _WORD.finditer(detail, start):
        if detail[end:word.start()].strip():
            return
        yield word
        end = word.end()


def _after_options(words: list[re.Match], start: int, takes_value: frozenset[str]) -> int | None:
    """The index of the first word from `start` that is not an option or
    an option's value, or None if there is none."""
    i = start
    while i < len(words):
        text = words[i].group()
        if not text.startswith("-"):
            return i
        i += 2 if text in takes_value else 1  # `--workdir /testbed`, not `--workdir=/testbed`
    return None
