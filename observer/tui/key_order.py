"""A coding screen's keys take effect in the order they were typed, however busy the screen is.

Textual runs a screen's bindings once the key has bubbled up to the app, a message after the screen's own key
handler has run, and a priority binding (such as Tab) the moment the key arrives. While the screen is drawing,
keys queue up for it; a code key typed after Tab, J or ``:`` could then take effect before them and land on the
turn being left (or, a digit typed for the turn to go to, re-attribute it). So the coding screens run their
bindings from their own key handler, in turn with the code keys; and a key that arrives after one that opened
a dialog goes to the dialog, never to the screen beneath it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual import events
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen

_ACTIONS: dict[type, dict[str, str]] = {}  # per screen class: key name -> action


def bound_actions(bindings: Iterable[BindingType]) -> dict[str, str]:
    """Each key of ``bindings`` (a binding may list several, "ctrl+z,backspace") with its action."""
    actions: dict[str, str] = {}
    for binding in bindings:
        if isinstance(binding, Binding):
            actions.update((key.strip(), binding.action) for key in binding.key.split(","))
    return actions


def handled_in_turn(screen: Screen[Any], event: events.Key) -> bool:
    """Whether ``event`` was dealt with here: a key for a dialog opened over ``screen`` by an earlier key, or one
    of the screen's bindings, run now, in the order typed. Other keys (codes, speakers) are the screen's own."""
    if handed_to_dialog(screen, event):
        return True
    actions = _ACTIONS.get(type(screen))
    if actions is None:
        actions = _ACTIONS[type(screen)] = bound_actions(type(screen).BINDINGS)
    action = actions.get(event.key)
    if action is None:
        return False
    event.stop()
    event.prevent_default()
    getattr(screen, f"action_{action}")()
    return True


def handed_to_dialog(screen: Screen[Any], event: events.Key) -> bool:
    """Whether ``event`` reached ``screen`` after a key of its own had opened a dialog over it: typed quickly
    after that key (while the screen was busy), it is the dialog's. It goes to the dialog once the dialog can
    take it, in the order typed. Any other screen on top (Home, after leaving) was not typed for: it is dropped."""
    dialog = screen.app.screen
    if dialog is screen:
        return False
    event.stop()
    event.prevent_default()
    if isinstance(dialog, ModalScreen):
        dialog.call_after_refresh(screen.app.post_message, events.Key(event.key, event.character))
    return True


class KeysBeforeOpen:
    """Keys typed while the screen's session is still being opened (the journal read, the lock taken: a moment
    on a slow disk), held and then taken in the order typed once it is open. The first speaker key of a meeting
    is pressed the moment the screen appears; dropping it would lose who spoke first without a word."""

    def __init__(self) -> None:
        self._held: list[events.Key] = []

    def hold(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        self._held.append(events.Key(event.key, event.character))

    def taken(self) -> list[events.Key]:
        """The keys held, in the order typed; none are held after."""
        held, self._held = self._held, []
        return held
