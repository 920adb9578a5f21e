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


def plain(value: object, width: int | None = None) -> str:
    """Untrusted text for a one-line row: escapes made visible, clipped."""
    text = safe("" if value is None else value, newlines=False)
    return clip(text, width) if width is not None else text
