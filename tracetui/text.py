"""Make untrusted trace text safe to put on a terminal.

Trace content is data: control characters (ANSI/OSC escapes, bells,
backspaces), C1 controls and bidi overrides are shown as visible escapes,
never passed through. Markup safety is the views' job: they build
`rich.text.Text` objects, which never parse `[tags]`.
"""

from __future__ import annotations

import re
import time
from typing import Any

from rich.cells import cell_len, set_cell_size

# C0 controls except tab/newline, DEL, C1 controls, bidi embeddings/overrides/
# isolates, the line/paragraph separators that move the cursor, and lone
# surrogates (a `\ud800` escape Python's JSON reader decodes: no terminal
# or UTF-8 stream can take one).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\u200e\u200f\u061c"
                     "\ud800-\udfff]")


def _escape(match: re.Match) -> str:
    ch = match.group()
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(value: Any, *, newlines: bool = True) -> str:
    """`value` as text with every terminal control sequence made visible.
    With `newlines=False`, newlines and tabs are shown as `⏎` / space too
    (for one-line list rows)."""
    text = value if isinstance(value, str) else str(value)
    text = _UNSAFE.sub(_escape, text)
    if not newlines:
        text = text.replace("\r", "").replace("\n", "⏎").replace("\t", " ")
    return text


#: How far back a cut moves to keep a number whole (`whole_number_cut`).
NUMBER_BACKOFF = 12
_NUMBER_CHARS = frozenset("0123456789.,_")


def whole_number_cut(text: str, keep: int) -> int:
    """Where to cut `text` to keep at most `keep` characters without
    cutting a number short: `sleep 36…` read as a 36 s sleep where the
    command was `sleep 3600` (QA). Before the number, if it starts at most
    NUMBER_BACKOFF characters back and something stays before it."""
    if not 0 < keep < len(text) or not (text[keep].isdigit() and text[keep - 1].isdigit()):
        return keep  # (`gpt-4.…` reads as cut: it ends in a point)
    cut = keep
    while cut > 0 and text[cut - 1] in _NUMBER_CHARS and keep - cut < NUMBER_BACKOFF:
        cut -= 1
    if cut == 0 or text[cut - 1] in _NUMBER_CHARS:
        return keep  # all digits, or a number too long to keep whole
    return cut


def clip(text: str, width: int) -> str:
    """Shorten to `width` characters with an ellipsis (list rows), never
    in the middle of a number (`whole_number_cut`)."""
    if len(text) <= width:
        return text
    return text[: whole_number_cut(text, max(0, width - 1))] + "…"


def kept_before_ellipsis(text: str, width: int) -> tuple[str, int]:
    """What of `text` stands before the ellipsis when it is cut to `width`
    cells (`set_cell_size` to `width - 1`, as Rich cuts: padded where a
    wide character is cut in half), moved back to before a number it would
    cut (`whole_number_cut`); and how many cells that move gave back."""
    kept = set_cell_size(text, max(0, width - 1))
    if not text.startswith(kept):  # padded: a wide character cut in half
        return kept, 0
    cut = whole_number_cut(text, len(kept))
    return text[:cut], len(kept) - cut


def column(text: str, width: int) -> str:
    """`text` in exactly `width` terminal cells, shortened with an ellipsis
    or padded: a CLI table's column (a CJK character takes two cells, and
    padding by characters misaligned the rows after it)."""
    if cell_len(text) > width:
        text = kept_before_ellipsis(text, width)[0] + "…"
    return set_cell_size(text, width)


def fmt_duration(seconds: float | None) -> str:
    """Compact human duration: 850µs, 12.3ms, 4.21s, 3m05s, 2h14m."""
    if seconds is None or seconds != seconds:
        return "—"
    if seconds < 0:
        return "-" + fmt_duration(-seconds)
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f}µs"
    if seconds < 1:
        return f"{seconds * 1000:.1f}ms"
    if seconds < 60:
        return f"{seconds:.2f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    if seconds < 172800:
        return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"
    if seconds < 86400 * 365 * 100:
        return f"{int(seconds // 86400)}d{int(seconds % 86400 // 3600):02d}h"
    return f"{seconds:.3g}s"


def fmt_age(seconds: float | None, at_least: bool) -> str:
    """A running span's age, `≥`-marked when it is only a lower bound
    (`clock.ages_cut_short`)."""
    text = fmt_duration(seconds)
    return "≥" + text if at_least and seconds is not None and seconds == seconds else text


def fmt_clock(epoch: float | None, fmt: str = "%Y-%m-%d %H:%M:%S", empty: str = "—") -> str:
    """Local wall time of an epoch, or `empty`: a hostile trace may carry
    NaN, infinities or years beyond the platform's time_t."""
    if not epoch:
        return empty
    try:
        return time.strftime(fmt, time.localtime(epoch))
    except (OverflowError, OSError, ValueError):
        return f"{epoch:.6g}"


def clock_ms(epoch: float, fmt: str) -> str:
    """Local wall time of an epoch to the millisecond (`fmt` for the rest),
    rounded to its microsecond first: a record stamped `.100000` is a float
    a hair under .1 s, which read `.099` cut to milliseconds (QA). Raises
    what `time.localtime` raises on NaN, infinities, far years."""
    seconds, micros = divmod(round(epoch * 1_000_000), 1_000_000)
    return time.strftime(fmt, time.localtime(seconds)) + f".{micros // 1000:03d}"


def counted(n: int, noun: str) -> str:
    """`1 record`, `2,000 records`: a count and its noun (QA: `1 records`)."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
