"""Rows show what a `docker compose … exec` or a shell's `-c` runs
(`tracetui.elide`), read as the shell reads it."""

from __future__ import annotations

import shlex

from hypothesis import given, settings
from hypothesis import strategies as st

from tracetui.elide import elide_compose

SANDBOX = ("docker compose --project-name inspect-swe-bench-i05nl2r -f /tmp/x/compose.yaml exec "
           "--workdir /testbed default /usr/bin/timeout -k 5s 180s bash --login -c ")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab '\"\\$-;|\t", max_size=16))
def test_a_single_quoted_script_reads_as_shlex_reads_it(script):
    """Inspect's form, `-c 'sleep 600'`, is unquoted without shlex's
    tokenizer: the same answer as shlex, whatever the script holds."""
    quoted = shlex.quote(script)  # one shell word, which shlex reads back as `script`
    assert elide_compose(SANDBOX + quoted) == f"exec default: {script}"


def test_a_local_shell_script_is_said_without_its_shell():
    assert elide_compose("bash --login -c 'sleep 600'", service=False) == "sleep 600"
    assert elide_compose("bash -c 'echo \"a b\"'", service=False) == 'echo "a b"'
    assert elide_compose("bash -c 'a'\"'\"'b'", service=False) == "a'b"  # quotes run together: shlex's answer
