"""Editing a transcript's turns: joining one with the next, splitting one between two words, and filing the
turns under an agenda item from a chosen moment. Live coding has no such edits: its turns are keyed as said.
"""

from __future__ import annotations

import datetime as dt

from observer.core.clock import format_clock, format_tenths
from observer.core.fields import NOTE_MAX, new_id
from observer.core.models import AgendaItem, Contribution
from observer.live.coding_steps import ActionRefused, CodingSteps, check_line


class TranscriptEdits(CodingSteps):
    """The steps that edit a transcript's turns (refused on a session coded live)."""

    def _turn(self, contribution_id: str) -> Contribution:
        if self.session.transcript is None:
            raise ActionRefused("joining and splitting are for turns of a transcript")
        return self._target(contribution_id)

    def join_with_next(self, at: dt.datetime, contribution_id: str, expected_next: str | None = None) -> str:
        """One turn made of a transcript turn and the one after it: the first's speaker and codes, both flags,
        notes and words, to the later end. ``expected_next``: the turn the coder saw after it (refused if
        another has come between since, by a split or an undo)."""
        first = self._turn(contribution_id)
        ordered = self.store.state.ordered()
        position = next(index for index, c in enumerate(ordered) if c.id == first.id)
        if position + 1 >= len(ordered):
            raise ActionRefused("the last turn has no next one to join")
        second = ordered[position + 1]
        if expected_next is not None and second.id != expected_next:
            raise ActionRefused("the turn after it is no longer the one shown: nothing joined (J again joins it)")
        flags = set(first.flags) | set(second.flags)
        joined = first.model_copy(
            update={
                "end_s": max(first.end_s or first.start_s, second.end_s or second.start_s),
                "words": " ".join(w for w in (first.words, second.words) if w),
                "flags": [f for f in self.session.codebook.flag_ids if f in flags],
                "note": "\n".join(n for n in (first.note, second.note) if n)[:NOTE_MAX],
            }
        )
        first_speaker, second_speaker = self.session.speaker_name(first), self.session.speaker_name(second)
        if (first.participant_id, first.organisation_id) == (second.participant_id, second.organisation_id):
            label = f"joined with the next turn ({second_speaker})"
        else:  # the second speaker's words and airtime change hands: say so
            airtime = max(0.0, (second.end_s or second.start_s) - second.start_s)
            label = (
                f"joined with the next turn: {second_speaker}'s words and {format_tenths(airtime)} of talk are now "
                f"{first_speaker}'s"
            )
        return self._commit(label, at, None, [(first, joined), (second, None)])

    def split_turn(self, at: dt.datetime, contribution_id: str, at_word: int) -> str:
        """Two turns of one, the second from word ``at_word`` (counted from 0) on; the moment between them is
        where the words before it end, by their share of the turn's words (``split_moment``). The second turn
        has the same speaker and comes uncoded."""
        turn = self._turn(contribution_id)
        words = turn.words.split()
        if not 0 < at_word < len(words):
            raise ActionRefused(
                "a turn of fewer than two words cannot be split"
                if len(words) < 2
                else f"split between two of its {len(words)} words (after the first, before the last)"
            )
        split_s = split_moment(turn, at_word)
        end = turn.end_s if turn.end_s is not None else turn.start_s
        first = turn.model_copy(update={"end_s": split_s, "words": " ".join(words[:at_word])})
        agenda_item = self.session.agenda_item_at(split_s)
        second = Contribution(
            id=new_id("c"),
            start_s=split_s,
            end_s=end,
            wall_time=at,
            participant_id=turn.participant_id,
            organisation_id=turn.organisation_id,
            words=" ".join(words[at_word:]),
            agenda_item_id=agenda_item.id if agenda_item else None,
        )
        label = f"split at {format_tenths(split_s)}, before '{words[at_word][:40]}'"
        return self._commit(label, at, None, [(turn, first), (None, second)])

    def start_agenda_item_at(self, at: dt.datetime, start_s: float, title: str = "") -> AgendaItem:
        """An agenda item from ``start_s`` on a transcript: the turns from there to the next item are filed
        under it (live, an item starts at the key press and only later talk falls in it)."""
        if self.session.transcript is None:
            raise ActionRefused("an agenda item at a chosen moment is for transcripts; live, A starts one now")
        check_line("agenda item", title.strip())
        items = self.session.agenda_items
        item = AgendaItem(
            id=new_id("a"),
            title=title.strip() or f"Item {len(items) + 1}",
            start_s=round(start_s, 3),
            wall_time=at,
        )
        session = self.session.model_copy(update={"agenda_items": [*items, item]})
        moved = []
        for contribution in self.store.state.ordered():
            current = session.agenda_item_at(contribution.start_s)
            wanted = current.id if current else None
            if contribution.agenda_item_id != wanted:
                moved.append((contribution, contribution.model_copy(update={"agenda_item_id": wanted})))
        self._commit(f"agenda item: {item.title} from {format_clock(start_s)}", at, session, moved)
        return item


def split_moment(turn: Contribution, at_word: int) -> float:
    """Where a transcript turn splits before word ``at_word``: its time shared by the length of what is said on
    either side, as the import shares a cue between two voices (a transcript times cues, not words)."""
    words = turn.words.split()
    end = turn.end_s if turn.end_s is not None else turn.start_s
    before = len(" ".join(words[:at_word]))
    share = before / max(1, len(" ".join(words)))
    return round(turn.start_s + (end - turn.start_s) * share, 3)
