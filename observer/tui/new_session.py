"""New session: a form whose every field says what is wrong beside it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Footer, Header, Input, Label, Select, TextArea

from observer.core.codebooks import DEFAULT_CODEBOOK, CodebookEntry, available_codebooks, resolve_codebook
from observer.core.errors import ObserverError
from observer.core.models import SessionData
from observer.core.text import existing_like, listed, plural
from observer.interop.planning import SessionPlan, plan_session
from observer.interop.roster import RosterEntry, build_session, read_roster
from observer.storage import Archive
from observer.tui.dialogs import Confirm
from observer.tui.forms import CompletingInput, ExistingOrNew, FormInput
from observer.tui.messages import GoHome, OpenSession

ROSTER_HELP = "One attendee per line: name, organisation[, role]. Leave empty to carry over the series' last roster."
AGENDA_HELP = (
    "Agenda, one item per line (optional): the first contribution opens the first, A moves to the next. "
    "A series' last agenda is filled in when you leave Series."
)


class NewSessionScreen(Screen[None]):
    BINDINGS = [
        Binding("ctrl+s", "create", "Create and start coding"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, archive: Archive, sessions: list[SessionData]) -> None:
        super().__init__()
        self.archive = archive
        self.sessions = sessions

    def compose(self) -> ComposeResult:
        entries, self._codebook_problems = available_codebooks(self.archive.paths.codebooks)
        series = self._series = sorted({d.session.series for d in self.sessions if d.session.series})
        yield Header()
        with VerticalScroll(id="new-form"):
            yield Label("Title", classes="field-label")
            yield FormInput(placeholder="e.g. ICS Board, March", id="title")
            yield Label("", id="title-error", classes="field-error", markup=False)
            yield Label("Series (the partnership or recurring meeting; Tab or → completes)", classes="field-label")
            yield CompletingInput(
                placeholder="e.g. North Locality ICS Board",
                id="series",
                suggester=SuggestFromList(series, case_sensitive=False),
            )
            yield Label("", id="series-error", classes="field-error", markup=False)
            yield Label("Meeting date (YYYY-MM-DD)", classes="field-label")
            yield FormInput(value=self.app.now().date().isoformat(), id="date")  # type: ignore[attr-defined]
            yield Label("", id="date-error", classes="field-error", markup=False)
            yield Label("Observer (your name)", classes="field-label")
            yield FormInput(id="observer")
            yield Label("Codebook", classes="field-label")
            yield Select(
                _codebook_choices(entries),
                value=DEFAULT_CODEBOOK,
                allow_blank=False,
                id="codebook",
            )
            yield Label("", id="codebook-error", classes="field-error", markup=False)
            yield Label("Roster file (.csv or .xlsx with name, organisation, role) — optional", classes="field-label")
            yield FormInput(placeholder="path/to/roster.csv", id="roster-file")
            yield Label("", id="roster-file-error", classes="field-error", markup=False)
            yield Label(ROSTER_HELP, classes="field-label")
            yield TextArea(id="roster-text")
            yield Label("", id="roster-text-error", classes="field-error", markup=False)
            yield Label(AGENDA_HELP, classes="field-label")
            yield TextArea(id="agenda")
            yield Label("", id="agenda-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create and start coding (ctrl+s)", id="create", variant="primary")
                yield Button("Cancel (Esc)", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()
        for problem in self._codebook_problems:  # a broken codebook file is named and left out, never a crash
            self.notify(f"skipped: {problem}", severity="warning", timeout=10, markup=False)

    @on(Input.Blurred, "#series")
    def offer_the_series_agenda(self, event: Input.Blurred) -> None:
        """Leaving Series: the series' last agenda fills an empty Agenda field, to edit for this meeting."""
        agenda = self.query_one("#agenda", TextArea)
        plan = plan_session(series=event.value.strip(), known=self.sessions)
        if plan.carried_from is not None and not agenda.text.strip():
            agenda.text = "\n".join(plan.agenda)

    @on(Button.Pressed, "#create")
    def create_pressed(self) -> None:
        self.action_create()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.post_message(GoHome())

    def _error(self, field: str, message: str) -> None:
        self.query_one(f"#{field}-error", Label).update(message)

    def action_create(self, series_checked: bool = False, late_arrivals_too: bool | None = None) -> None:
        for label in self.query(".field-error"):
            label.update("")  # type: ignore[attr-defined]
        title = self.query_one("#title", Input).value.strip()
        series = self.query_one("#series", Input).value.strip()
        existing = existing_like(series, self._series) if not series_checked else None
        if existing is not None:
            # A new series beside one it looks like would split the partnership's trends: ask once.
            def chosen(choice: str | None) -> None:
                if choice is None:
                    self.query_one("#series", Input).focus()
                    return
                self.query_one("#series", Input).value = choice
                self.action_create(series_checked=True)

            self.app.push_screen(ExistingOrNew("series", series, existing), chosen)
            return
        ok = True
        if not title:
            self._error("title", "A title is needed.")
            ok = False
        try:
            meeting_date = dt.date.fromisoformat(self.query_one("#date", Input).value.strip())
        except ValueError:
            self._error("date", "Use the form YYYY-MM-DD, e.g. 2026-03-02.")
            ok = False
        codebook_name = str(self.query_one("#codebook", Select).value)
        try:
            codebook = resolve_codebook(codebook_name, self.archive.paths.codebooks)
        except ObserverError as error:
            self._error("codebook", str(error))
            ok = False
        if not ok:
            return
        plan = self._plan(series, bool(late_arrivals_too))
        if plan is None:
            return
        if plan.left_off and late_arrivals_too is None and not self._roster_typed():
            # Someone who came late to the last meeting may have been a one-off guest: ask before carrying them.
            def answered(carry: bool | None) -> None:
                self.action_create(series_checked=True, late_arrivals_too=bool(carry))

            self.app.push_screen(
                Confirm(
                    f"Carry over {listed(plan.left_off)}, who arrived late to the last meeting, too?",
                    "y adds them to this meeting's roster; n leaves them out (+ adds anyone who comes).",
                ),
                answered,
            )
            return
        if plan.roster_carried and plan.carried_from is not None:
            self.notify(
                f"carried over {plural(len(plan.roster), 'attendee')} from '{plan.carried_from.session.title}'",
                timeout=4,
                markup=False,  # a title is typed text: "[/]" in one must neither vanish nor stop the app
            )
        try:
            session = build_session(
                title=title,
                codebook=codebook,
                meeting_date=meeting_date,
                series=series,
                observer=self.query_one("#observer", Input).value.strip(),
                roster=plan.roster,
                known_sessions=self.sessions,
                agenda=plan.agenda,
            )
        except ObserverError as error:
            message = str(error)
            field = message.split(":", 1)[0]
            if message.startswith("agenda"):
                field = "agenda"
            self._error(field if field in ("title", "series", "agenda") else "roster-text", message)
            return
        try:
            store = self.archive.create_session(session)
        except ObserverError as error:
            self.notify(str(error), severity="error", timeout=10, markup=False)
            return
        self.post_message(OpenSession(session.id, store, replace=True))

    def _roster_typed(self) -> bool:
        """Whether a roster file or lines are given: else the series' last roster is the one this meeting takes."""
        typed = self.query_one("#roster-file", Input).value.strip() or self.query_one("#roster-text", TextArea).text
        return bool(typed.strip())

    def _plan(self, series: str, late_arrivals_too: bool) -> SessionPlan | None:
        """The roster and agenda as given, the roster carried over from the series' last meeting when none is;
        None when the roster given cannot be read (the field says why)."""
        entries = self._roster()
        if entries is None:
            return None
        return plan_session(
            series=series,
            known=self.sessions,
            roster=entries or None,
            # The agenda is the field's, even when emptied: the series' agenda is offered there, to edit.
            agenda=self.query_one("#agenda", TextArea).text.splitlines(),
            late_arrivals_too=late_arrivals_too,
        )

    def _roster(self) -> list[RosterEntry] | None:
        path_text = self.query_one("#roster-file", Input).value.strip()
        typed = self.query_one("#roster-text", TextArea).text
        entries: list[RosterEntry] = []
        if path_text:
            try:
                entries += read_roster(Path(path_text).expanduser())
            except ObserverError as error:
                self._error("roster-file", str(error))
                return None
        for number, line in enumerate(typed.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split(",")]
            if len(parts) < 2 or not parts[0] or not parts[1]:
                self._error("roster-text", f"Line {number}: write 'name, organisation' (role optional).")
                return None
            entries.append(RosterEntry(parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
        return entries


def _codebook_choices(entries: list[CodebookEntry]) -> list[tuple[Text, str]]:
    # Text, not str: a user's codebook title is typed text and must not be read as markup.
    return [(Text(f"{e.codebook.title or e.codebook.name} ({e.codebook.name})"), e.codebook.name) for e in entries]
