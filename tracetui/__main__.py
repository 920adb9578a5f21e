"""Entry point for `python -m tracetui`."""

from tracetui.cli import entry

entry()
