"""What the coding keys do that means the same on the live screen and the transcript screen: speakers, notes,
start times, deleting, the meeting's own keys (clock, agenda, arrivals and departures), help, ending, leaving.

Each acts on the host's selected contribution (or the newest) as the key is pressed, and queues its action
through the host, which confirms it in its own way (a transcript names the turn).
"""

from __future__ import annotations

from collections.abc import Sequence

from observer.core.clock import format_clock, parse_clock
from observer.core.keys import AppKey
from observer.core.models import Contribution, SessionStatus
from observer.core.text import plural
from observer.live.coding_steps import ENDED_REFUSAL
from observer.tui.coding_host import CodingHost, target_of
from observer.tui.dialogs import Confirm, NotePrompt, Speaker, SpeakerPicker, TextPrompt
from observer.tui.forms import AttendeeForm, NewAttendee
from observer.tui.key_help import KeyHelp
from observer.tui.live_view import spoke
from observer.tui.messages import GoHome, ShowReview


class CodingKeys:
    def __init__(self, host: CodingHost) -> None:
        self._host = host

    def _refuse(self, text: str) -> None:
        self._host.link.status(text, "refused")

    def ready(self) -> bool:
        if self._host.view is None:
            self._refuse("still opening the session…")
            return False
        return True

    def can_add(self) -> bool:
        """Ready, and the meeting still going: an ended one is only edited (say so before any dialog opens)."""
        if not self.ready():
            return False
        assert self._host.view is not None
        if self._host.view.session.status == SessionStatus.ENDED:
            self._refuse(ENDED_REFUSAL)
            return False
        return True

    def _target(self, refusal: str) -> Contribution | None:
        if not self.ready():
            return None
        assert self._host.view is not None
        target = target_of(self._host.view, self._host.selected_id)
        if target is None:
            self._refuse(refusal)
        return target

    # ------------------------------------------------------------ speakers

    def speaker_key(self, index: int) -> None:
        assert self._host.view is not None
        participants = self._host.view.session.participants
        if index >= len(participants):
            self._refuse(f"no attendee on key {index + 1}: + adds one, / picks by name")
            return
        self.choose_speaker(Speaker(participants[index].id, participants[index].organisation_id))

    def choose_speaker(self, speaker: Speaker | None) -> None:
        if speaker is None:
            return
        host = self._host
        pressed_at, selected = host.now(), host.selected_id
        organisation_id = speaker.organisation_id or None
        if selected is not None:
            host.submit(lambda c: c.set_speaker(pressed_at, selected, speaker.participant_id, organisation_id))
        else:
            host.submit(lambda c: spoke(c, pressed_at, speaker.participant_id, organisation_id))

    def pick_speaker(self, people: bool = True) -> None:
        host = self._host
        if (host.selected_id is not None and self.ready()) or self.can_add():  # re-attribute, or a new speaker
            assert host.view is not None
            title = "Who is speaking?" if people else "Which organisation? (speaker unknown)"
            host.app.push_screen(SpeakerPicker.of(host.view.session, title, people=people), self.choose_speaker)

    # ------------------------------------------------------------ the selected contribution

    def note(self) -> None:
        host = self._host
        target = self._target("no contribution to annotate yet")
        if target is None or host.view is None:
            return
        pressed_at = host.now()

        def save(note: str | None) -> None:
            if note is not None:
                host.submit(lambda c: c.set_note(pressed_at, note, target.id))

        title = f"Note on {host.view.session.speaker_name(target)} at {format_clock(target.start_s)}"
        host.app.push_screen(NotePrompt(title, target.note), save)

    def edit_start(self) -> None:
        host = self._host
        target = self._target("no contribution to move")
        if target is None or host.view is None:
            return
        pressed_at = host.now()

        def move(text: str | None) -> None:
            if text is None:
                return
            try:
                seconds = parse_clock(text)
            except ValueError as error:
                self._refuse(str(error))
                return
            host.submit(lambda c: c.set_start(pressed_at, target.id, seconds))

        title = f"New start for {host.view.session.speaker_name(target)} (m:ss on the session clock)"
        host.app.push_screen(TextPrompt(title, format_clock(target.start_s)), move)

    def delete(self) -> None:
        target = self._target("nothing to delete")
        if target is not None:
            pressed_at = self._host.now()
            self._host.submit(lambda c: c.delete_contribution(pressed_at, target.id) + " · ctrl+z brings it back")

    # ------------------------------------------------------------ the meeting

    def toggle_clock(self) -> None:
        if self.can_add():
            pressed_at = self._host.now()
            self._host.submit(lambda c: c.toggle_clock(pressed_at))

    def agenda_item(self) -> None:
        host = self._host
        if not self.can_add() or host.view is None:
            return
        pressed_at = host.now()  # the item starts at the key press, however long the title takes to type

        def start(title: str | None) -> None:
            if title is not None:
                host.submit(lambda c: f"agenda item: {c.start_agenda_item(pressed_at, title).title}")

        planned = host.view.session.next_planned_item()
        if planned is not None:  # Enter accepts the plan; typing replaces it
            prompt = TextPrompt("Next agenda item starts now (the next one planned; type to replace it)", planned)
        else:
            prompt = TextPrompt("Next agenda item starts now. Title? (Enter: 'Item N')")
        host.app.push_screen(prompt, start)

    def add_attendee(self) -> None:
        host = self._host
        if not self.can_add() or host.view is None:
            return
        pressed_at = host.now()

        def add(attendee: NewAttendee | None) -> None:
            if attendee is not None:
                host.submit(
                    lambda c: (
                        "arrived: "
                        + c.add_attendee(pressed_at, attendee.name, attendee.organisation, attendee.role).name
                    )
                )

        host.app.push_screen(AttendeeForm([o.name for o in host.view.session.organisations]), add)

    def mark_left(self) -> None:
        host = self._host
        if not self.can_add() or host.view is None:
            return
        pressed_at = host.now()

        def mark(speaker: Speaker | None) -> None:
            if speaker is not None and speaker.participant_id is not None:
                participant_id = speaker.participant_id
                host.submit(lambda c: c.toggle_left(pressed_at, participant_id))

        picker = SpeakerPicker.of(host.view.session, "Who left (or came back)?", organisations=False)
        host.app.push_screen(picker, mark)

    # ------------------------------------------------------------ help, ending, leaving

    def help(self, keys: Sequence[AppKey], turns: bool) -> None:
        if self.ready():
            assert self._host.view is not None
            self._host.app.push_screen(KeyHelp(self._host.view.session.codebook, tuple(keys), turns))

    def end_session(self) -> None:
        host = self._host
        if not self.ready() or host.view is None:
            return
        if host.view.session.status == SessionStatus.ENDED:
            self.show_end_summary()
            return
        pressed_at = host.now()

        def end(confirmed: bool | None) -> None:
            if confirmed:
                host.link.ending = True
                host.submit(lambda c: c.end_session(pressed_at))

        count = len(host.view.data.contributions)
        host.app.push_screen(
            Confirm(
                "End this session?", f"{plural(count, 'contribution')} recorded. You can still edit them afterwards."
            ),
            end,
        )

    def end_if_ending(self) -> None:
        """A view arrived: once it shows the session ended (as asked for), its summary follows."""
        view = self._host.view
        if self._host.link.ending and view is not None and view.session.status == SessionStatus.ENDED:
            self.show_end_summary()

    def show_end_summary(self) -> None:
        link, view = self._host.link, self._host.view
        link.ending = False
        assert view is not None
        self._report_close_failure(link.close())
        self._host.post_message(ShowReview(link.session_id, data=view.data, ended=True))

    def leave(self) -> None:
        self._report_close_failure(self._host.link.close())
        self._host.post_message(GoHome())

    def _report_close_failure(self, error: str | None) -> None:
        if error is not None:
            self._host.app.notify(error, severity="error", timeout=20)
