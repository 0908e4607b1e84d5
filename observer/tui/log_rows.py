"""The log's rows, kept between views: a key press formats only the contributions it wrote, whatever the
length of the meeting (records are immutable: an unchanged contribution is the very same object as before)."""

from __future__ import annotations

from collections.abc import Sequence

from observer.core.models import Contribution
from observer.present import palette
from observer.tui.live_view import ContributionIds, LiveView, log_row
from observer.tui.log_view import Cell


class LogRows:
    """``cells`` per contribution id; ``all_ids`` in clock order, and ``order``: the ids the log lists (every one,
    unless a screen narrows it)."""

    def __init__(self) -> None:
        self.cells: dict[str, tuple[Cell, ...]] = {}
        self.all_ids: Sequence[str] = []
        self.order: Sequence[str] = []
        self._people: tuple[object, object] | None = None
        self._colours: tuple[object, dict[tuple[str, str], str]] = (None, {})

    def update(self, view: LiveView) -> None:
        """Take in a new view: every row again when names may have changed or the view is whole, else only what
        it wrote."""
        people = (view.session.participants, view.session.organisations)
        same_people = self._people is not None and all(a is b for a, b in zip(self._people, people, strict=True))
        contributions = view.data.contributions
        if not same_people or view.changed is None:
            self.cells = {c.id: self._row(view, c) for c in contributions}
        else:
            for contribution_id in view.changed:
                position = view.positions.get(contribution_id)
                if position is None:
                    self.cells.pop(contribution_id, None)
                else:
                    self.cells[contribution_id] = self._row(view, contributions[position])
        self._people = people
        self.all_ids = self.order = ContributionIds(view)

    def _row(self, view: LiveView, contribution: Contribution) -> tuple[Cell, ...]:
        codebook = view.session.codebook
        if self._colours[0] is not codebook:  # the session's codebook never changes: its colours are kept
            self._colours = (codebook, palette.code_colours(codebook))
        return log_row(view.session, contribution, self._colours[1])
