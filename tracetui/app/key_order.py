"""Keys done in the order they were typed, however many one terminal read brings.

Textual handles a priority binding (`tab`, `a`, `/`, `enter` here) as the
app reads the key, but hands any other key to the focused widget's queue,
and looks its binding up only when it has bubbled back to the app, among
the keys of whatever is focused *then*. So `*` `tab` read at once (typed
fast, pasted, `tmux send-keys`, keys coalesced over ssh) moved the focus
first, and `*` was then looked up among the detail pane's keys: the subtree
stayed shut (QA). `KeysInOrder` holds each key read while one handed to a
widget is still on its way, and does it once that one is done.
"""

from __future__ import annotations

import time
from collections import deque

from textual import events
from textual.app import App
from textual.message import Message
from textual.timer import Timer

from tracetui.breathe import hold_for_key, key_done

#: Seconds a key is held for the one before it at most. A key's way back
#: ends when `KeysInOrder.KeyDone` comes back; should that be lost (the
#: widget it went to removed meanwhile), the keys held go on after this.
KEY_WAIT = 0.5


#: What Textual's parser reads as one key, though typed here it is `esc`
#: then a key: a terminal sends alt+tab and alt+enter as ESC and the key,
#: and tmux sends `esc` then `tab` typed within its `escape-time` (500 ms by
#: default) the same way. Textual took ESC TAB for shift+tab (the filter
#: stayed and the focus went back a pane) and ESC CR for a plain enter.
ESCAPE_THEN = {"\x1b\t": "tab", "\x1b\r": "enter"}


def read_escape_then_key_apart() -> None:
    """Have Textual's terminal parser read the sequences of `ESCAPE_THEN`
    as the two keys they were typed as. Its parser is made inside the
    driver's input thread, out of reach, so its method is wrapped; should
    a Textual release move it, the sequences are read its way again."""
    try:
        from textual._xterm_parser import XTermParser
    except ImportError:
        return
    original = getattr(XTermParser, "_sequence_to_key_events", None)
    if original is None or getattr(original, "escape_then_key", False):
        return

    def sequence_to_key_events(self, sequence: str, alt: bool = False):
        key = ESCAPE_THEN.get(sequence)
        if key is None:
            yield from original(self, sequence, alt)
            return
        yield events.Key("escape", "\x1b")
        yield events.Key(key, sequence[1:])

    sequence_to_key_events.escape_then_key = True
    XTermParser._sequence_to_key_events = sequence_to_key_events


class KeysInOrder(App):
    """An app whose keys are handled strictly one after the other: a key
    handed to a widget is followed by a `KeyDone`, posted to the same
    widget, which bubbles up the same way behind it; until it reaches the
    app, the keys read after it wait (`_held_keys`)."""

    class KeyDone(Message):
        """Sent behind a key handed to a widget: when the app gets it, the
        key has been handled, its bindings looked up, wherever it went."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        read_escape_then_key_apart()

    _held_keys: deque[events.Key] | None = None
    #: When the key on its way was handed over (`time.monotonic`), or None.
    _key_out_since: float | None = None
    _key_wait_timer: Timer | None = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and (not self.screen_stack or self._exit):
            # Read, or back from a widget, as the app closes (`q` and keys
            # behind it in one read): Textual would look its bindings up
            # on a screen that is gone (ScreenStackError at exit).
            self._held_keys = None
            return
        if not isinstance(event, events.Key) or event.is_forwarded:
            await super().on_event(event)
            return
        if event.key.startswith("alt+") and event.character and len(event.character) == 1:
            # `esc` and a key read at once come as one: a terminal sends
            # alt+q as ESC q. Nothing here is bound to alt, and tmux, its
            # `escape-time` 500 ms by default, sends an `esc` then `q`
            # typed within half a second so: both keys were lost (QA: the
            # filter stayed, and `q` did not quit).
            await self.on_event(events.Key("escape", "\x1b"))
            char = event.character
            await self.on_event(events.Key(char if char.isalnum() else event.key[len("alt+"):], char))
            return
        # Background work (a filter's pass, a layout) rests from now until
        # this key and those behind it are done and drawn (`_all_keys_done`).
        hold_for_key()
        if self._held_keys is None:
            self._held_keys = deque()
        if self._key_out_since is not None and time.monotonic() - self._key_out_since > KEY_WAIT:
            self._key_out_since = None  # its `KeyDone` was lost
        if self._key_out_since is not None or self._held_keys:
            self._held_keys.append(event)
            if self._key_wait_timer is None:
                self._key_wait_timer = self.set_timer(KEY_WAIT, self._keys_waited_enough)
            return
        await self._handle_key(event)

    async def _handle_key(self, key: events.Key) -> None:
        """Textual's own handling of a key read, and a `KeyDone` behind it
        if it was handed to a widget rather than done by a priority binding.
        Not once the app is closing (`on_event`)."""
        if not self.screen_stack or self._exit:
            self._held_keys = None
            return
        await super().on_event(key)
        if key.is_forwarded and (self.focused or self.screen).post_message(self.KeyDone()):
            self._key_out_since = time.monotonic()
        else:
            self._all_keys_done()

    async def on_keys_in_order_key_done(self, message: KeyDone) -> None:
        message.stop()
        self._key_out_since = None
        await self._handle_held_keys()
        self._all_keys_done()

    def _all_keys_done(self) -> None:
        """With no key out nor held, background work goes on once the frame
        they made is drawn (a cap in `breathe` covers a frame never drawn)."""
        if self._key_out_since is None and not self._held_keys:
            if not self.call_after_refresh(key_done):
                key_done()

    async def _handle_held_keys(self) -> None:
        """The keys held, in order, until one is handed to a widget."""
        held = self._held_keys
        while held and self._key_out_since is None:
            await self._handle_key(held.popleft())
        if not held and self._key_wait_timer is not None:
            self._key_wait_timer.stop()
            self._key_wait_timer = None

    async def _keys_waited_enough(self) -> None:
        self._key_wait_timer = None
        if self._key_out_since is not None and time.monotonic() - self._key_out_since >= KEY_WAIT:
            self._key_out_since = None
        await self._handle_held_keys()
        if self._held_keys:
            self._key_wait_timer = self.set_timer(KEY_WAIT, self._keys_waited_enough)
        self._all_keys_done()
