"""Which turn of a transcript the keys act on, decided when each key is pressed.

Keys are saved on the action runner's thread and the screen hears back later, so the screen cannot wait for a
saved view to learn that a turn is complete: a code typed 30 ms after the one that completed a turn would
land on the wrong turn. The mover keeps, besides the latest saved view, the codes keyed since (a key's
effect on the codes is known the moment it is pressed), and decides every key from both. Nothing here knows
about Textual: the screen asks, the mover answers.

The rules, as the coder meets them:
- a code key codes the current turn; once every dimension of it is coded, it stays current (its flags, note
  and speaker can still be keyed) until a code key comes that it cannot take: that is the next uncoded
  turn's first code, and the mover moves there before the key codes it;
- a turn the coder goes to that is already coded (Tab, ↑↓, ``:``, undo) is being corrected: code keys change
  it and the mover stays on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from observer.core.models import Contribution


@dataclass(frozen=True)
class Keyed:
    """A code key not yet in a saved view: its number in the runner's order, the turn, the code."""

    sequence: int
    turn_id: str
    dimension_id: str
    code_id: str


@dataclass
class TurnMover:
    dimension_ids: Sequence[str]
    current: str | None = None
    # The current turn was already coded when the coder came to it: code keys correct it and it stays.
    correcting: bool = False
    _turns: Sequence[Contribution] = ()
    _positions: dict[str, int] = field(default_factory=dict)
    _keyed: list[Keyed] = field(default_factory=list)
    # An action whose effect on the codes cannot be foreseen (undo, redo) is not in a view yet: until it is,
    # code keys code the turn shown and never move on.
    _unforeseen: int = 0
    _seen: int = 0  # the sequence of the last action the latest view holds

    # ------------------------------------------------------------ what the mover knows

    def take_view(self, turns: Sequence[Contribution], positions: dict[str, int], sequence: int) -> None:
        """A saved view that holds every action up to ``sequence``: keys it holds are no longer foreseen. The
        current turn stays current; if it is gone (joined into the one before, deleted), the turn now in its
        place is."""
        place = self._positions.get(self.current or "")
        self._turns, self._positions, self._seen = turns, positions, sequence
        self._keyed = [keyed for keyed in self._keyed if keyed.sequence > sequence]
        if self.current in positions:
            return
        if place is not None and turns:
            self.go(turns[min(place, len(turns) - 1)].id)
        elif turns:
            self.go(self.next_uncoded(None) or turns[0].id)
        else:
            self.current, self.correcting = None, False

    def turn(self, turn_id: str | None) -> Contribution | None:
        position = self._positions.get(turn_id or "")
        return None if position is None else self._turns[position]

    def number(self, turn_id: str | None) -> int | None:
        """The turn's number as the coder reads it (1 for the first)."""
        position = self._positions.get(turn_id or "")
        return None if position is None else position + 1

    def codes(self, turn_id: str) -> dict[str, str]:
        """The turn's codes as they will be once every key pressed so far is saved."""
        turn = self.turn(turn_id)
        codes = dict(turn.codes) if turn is not None else {}
        for keyed in self._keyed:
            if keyed.turn_id == turn_id:
                if codes.get(keyed.dimension_id) == keyed.code_id:  # the same key again clears, as saving does
                    del codes[keyed.dimension_id]
                else:
                    codes[keyed.dimension_id] = keyed.code_id
        return codes

    def complete(self, turn_id: str) -> bool:
        codes = self.codes(turn_id) if any(k.turn_id == turn_id for k in self._keyed) else self._saved_codes(turn_id)
        return all(dimension in codes for dimension in self.dimension_ids)

    def _saved_codes(self, turn_id: str) -> dict[str, str]:
        turn = self.turn(turn_id)
        return turn.codes if turn is not None else {}

    def next_uncoded(self, after: str | None) -> str | None:
        """The first turn not coded on every dimension after ``after`` (from the start if None), wrapping round
        to earlier ones; None when every turn is coded."""
        start = self._positions[after] + 1 if after in self._positions else 0
        turns = self._turns
        for position in [*range(start, len(turns)), *range(start)]:
            if not self.complete(turns[position].id):
                return turns[position].id
        return None

    @property
    def waiting(self) -> bool:
        """The current turn is coded and the next code key moves on (rather than correcting it)."""
        return self.current is not None and not self.correcting and self.complete(self.current)

    def next_shown(self) -> str | None:
        """The turn to show below the current one: where the next code key goes once this one is coded,
        else simply the turn after it."""
        if self.current is None:
            return None
        if self.waiting:
            return self.next_uncoded(self.current)
        position = self._positions[self.current] + 1
        return self._turns[position].id if position < len(self._turns) else None

    # ------------------------------------------------------------ keys

    def go(self, turn_id: str) -> None:
        """The coder goes to ``turn_id`` (Tab, ↑↓, a number, undo): a coded turn is then being corrected."""
        self.current = turn_id
        self.correcting = self.complete(turn_id)

    def code_key(self) -> tuple[str | None, bool]:
        """Where a code key goes: (the turn, whether the mover moved on to it). The turn is None when there is
        nowhere to go: every turn is coded (the current one included)."""
        current = self.current
        if current is None:
            return None, False
        if self.correcting or not self.complete(current) or self._unforeseen > self._seen:
            return current, False
        following = self.next_uncoded(current)
        if following is None:
            return None, False
        self.current, self.correcting = following, False
        return following, True

    def keyed(self, sequence: int, turn_id: str, dimension_id: str, code_id: str) -> None:
        """A code key was queued as action ``sequence``: foresee its effect until a view holds it."""
        self._keyed.append(Keyed(sequence, turn_id, dimension_id, code_id))

    def unforeseen(self, sequence: int) -> None:
        """Action ``sequence`` changes codes in a way the mover cannot foresee (undo, redo)."""
        self._unforeseen = max(self._unforeseen, sequence)

    def step(self, order: Sequence[str], step: int) -> str | None:
        """The turn ``step`` places from the current one in ``order`` (the log's), kept within it."""
        if not order:
            return None
        index = order.index(self.current) + step if self.current in order else 0
        return order[max(0, min(index, len(order) - 1))]
