"""Where an export's sessions come from: a list in memory, or an archive read one session at a time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from observer.models import Codebook, SessionData
from observer.storage import Archive


class ArchiveSessions:
    """Sessions of an archive, read one at a time when iterated (an archive's worth need not fit in memory)."""

    def __init__(self, archive: Archive, session_ids: list[str]) -> None:
        self.archive = archive
        self.session_ids = session_ids
        # What each read stepped around (damaged lines, files set aside), gathered while exporting so that
        # saying it costs no second read.
        self.warnings: dict[str, list[str]] = {}

    def __iter__(self) -> Iterator[SessionData]:
        for session_id in self.session_ids:
            data, self.warnings[session_id] = self.archive.load_with_warnings(session_id)
            yield data

    def warning_lines(self) -> list[str]:
        """Every warning met so far, once, in the order of the sessions."""
        return [line for session_id in self.session_ids for line in self.warnings.get(session_id, [])]

    def __len__(self) -> int:
        return len(self.session_ids)

    def codebooks(self) -> list[Codebook]:
        return [self.archive.codebook_of(session_id) for session_id in self.session_ids]


Sessions = Sequence[SessionData] | ArchiveSessions


def codebooks_of(sessions: Sessions) -> list[Codebook]:
    if isinstance(sessions, ArchiveSessions):
        return sessions.codebooks()
    return [data.session.codebook for data in sessions]
