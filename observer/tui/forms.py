"""A form's fields (Enter and Tab move on as the field reads them; Tab accepts a suggestion), the question a
name like an existing one asks, and the late arrival's form."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from observer.core.text import existing_like


class FormInput(Input):
    """A field of a form whose Enter and Tab move on to the next field as the field reads them.

    Keys reach a field through its own queue: a fast typist's "Priya Shah", Enter, "Healthwatch" are all queued
    for the name field before Enter has moved anything, and the words meant for the next field followed the
    name ("Priya ShahHealthwatch Riverside"). So Enter moves on here, at once, and a key this field reads after
    the focus has gone is passed on to the field that has it. The form still hears Submitted."""

    async def _on_key(self, event: events.Key) -> None:
        focused = self.screen.focused
        if focused is not self and focused is not None:
            event.stop()
            event.prevent_default()
            # Typed ahead, for the field now focused; passed on as the app passes keys on (not read as new).
            focused._forward_event(events.Key(event.key, event.character))
            return
        if event.key in ("enter", "tab"):
            event.stop()
            event.prevent_default()
            if event.key == "tab":
                self.action_complete_or_next()
                return
            self.screen.focus_next()
            await self.action_submit()
            return
        await super()._on_key(event)

    def action_complete_or_next(self) -> None:
        self.screen.focus_next()


class CompletingInput(FormInput):
    """An Input whose suggestion Tab accepts, as → does: Tab moves on only when nothing is suggested, so a
    prefix ("Middles") is never left standing for the name it suggested ("Middlesbrough Council")."""

    BINDINGS = [Binding("tab", "complete_or_next", "Complete", show=False)]

    def action_complete_or_next(self) -> None:
        suggestion = self._suggestion  # Textual keeps it here; its own → reads the same
        if self.cursor_at_end and suggestion and suggestion != self.value:
            self.value = suggestion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()


class ExistingOrNew(ModalScreen[str | None]):
    """A name typed that an existing one looks like: use the existing one (Enter, the default) or make the
    new one (n); Escape goes back to the form."""

    BINDINGS = [
        Binding("enter,y", "choose('existing')", "Use the existing one"),
        Binding("n", "choose('new')", "Make a new one"),
        Binding("escape", "choose('back')", "Back"),
    ]

    def __init__(self, kind: str, typed: str, existing: str) -> None:
        super().__init__()
        self.kind, self.typed, self.existing = kind, typed, existing

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"New {self.kind} '{self.typed}'?", classes="dialog-title", markup=False)
            yield Static(f"'{self.existing}' exists.", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"Use '{self.existing}' (Enter)", id="existing", variant="primary")
                yield Button(f"New '{self.typed}' (n)", id="new")
            yield Label("Escape goes back to the form", classes="dialog-hint")

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.action_choose(event.button.id or "back")

    def action_choose(self, choice: str) -> None:
        self.dismiss({"existing": self.existing, "new": self.typed}.get(choice))


@dataclass(frozen=True)
class NewAttendee:
    name: str
    organisation: str
    role: str


class AttendeeForm(ModalScreen[NewAttendee | None]):
    """A late arrival: name, organisation (an existing one or a new one), role."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, organisations: list[str]) -> None:
        super().__init__()
        self.organisations = organisations

    def compose(self) -> ComposeResult:
        from textual.suggester import SuggestFromList

        with Vertical(classes="dialog"):
            yield Label("Late arrival", classes="dialog-title")
            yield FormInput(placeholder="name", id="attendee-name")
            yield CompletingInput(
                placeholder="organisation (Tab or → completes)",
                id="attendee-organisation",
                suggester=SuggestFromList(self.organisations, case_sensitive=False),
            )
            yield FormInput(placeholder="role (optional)", id="attendee-role")
            yield Label("", id="attendee-error", classes="field-error", markup=False)
            yield Label("Enter in the last field saves · Escape cancels", classes="dialog-hint")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        name = self.query_one("#attendee-name", Input).value.strip()
        organisation = self.query_one("#attendee-organisation", Input).value.strip()
        role = self.query_one("#attendee-role", Input).value.strip()
        if event.input.id == "attendee-name" or (event.input.id != "attendee-role" and not (name and organisation)):
            # The field has moved on to the next already. Enter on the name never saves: the organisation may be
            # being typed ahead into the next field, not yet there.
            return
        if not name or not organisation:
            self.query_one("#attendee-error", Label).update("A name and an organisation are needed.")
            return
        existing = existing_like(organisation, self.organisations)
        if existing is None:
            self.dismiss(NewAttendee(name, organisation, role))
            return

        def chosen(choice: str | None) -> None:
            if choice is None:  # back to the form, to change what was typed
                self.query_one("#attendee-organisation", Input).focus()
            else:
                self.dismiss(NewAttendee(name, choice, role))

        self.app.push_screen(ExistingOrNew("organisation", organisation, existing), chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)
