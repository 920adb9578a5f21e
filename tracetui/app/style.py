"""Status icons and colours shared by the panes (icon AND colour, never
colour alone)."""

from __future__ import annotations

from rich.text import Text

from tracetui.text import clip, safe

STATUS_STYLE = {
    "running": ("▶", "bold yellow"),
    "ok": ("✓", "green"),
    "error": ("✗", "bold red"),
    "cancelled": ("⊘", "magenta"),
    "timeout": ("◔", "bold dark_orange"),
    "paused": ("‖", "cyan"),
}
BUCKET_STATUS = {"running": "running", "cancelled": "cancelled", "errors": "error", "timeouts": "timeout"}


def status_icon(status: str) -> Text:
    icon, style = STATUS_STYLE.get(status, ("?", "white"))
    return Text(icon, style=style)


#: No row is wider than this many characters: a 100 KB name would otherwise
#: be measured cell by cell on every redraw (≈0.1 s a row).
ROW_MAX = 1000


def plain(value: object, width: int | None = None) -> str:
    """Untrusted text for a one-line row: escapes made visible, clipped."""
    value = "" if value is None else value if isinstance(value, str) else str(value)
    width = ROW_MAX if width is None else min(width, ROW_MAX)
    text = safe(value[: width + 1], newlines=False)
    return clip(text, width)
