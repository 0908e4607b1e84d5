"""Where an export's sessions come from: a list in memory, or an archive read one session at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from observer.core.codebook_models import Codebook
from observer.core.models import SessionData
from observer.storage import Archive


class ArchiveSessions:
    """Sessions of an archive, read one at a time when iterated (an archive's worth need not fit in memory).

    ``progress``, when set, is called after each session has been read (a progress bar on long work)."""

    def __init__(self, archive: Archive, session_ids: list[str], progress: Callable[[], None] | None = None) -> None:
        self.archive = archive
        self.session_ids = session_ids
        self.progress = progress
        # What each read stepped around (damaged lines, files set aside), gathered while exporting so that
        # saying it costs no second read.
        self.warnings: dict[str, list[str]] = {}
        self._headers: list[SessionData] | None = None

    def __iter__(self) -> Iterator[SessionData]:
        for session_id in self.session_ids:
            data, self.warnings[session_id] = self.archive.load_with_warnings(session_id)
            yield data
            if self.progress is not None:
                self.progress()

    def headers(self) -> list[SessionData]:
        """Every session's record without its contributions (rosters, codebooks), from the headers that hold;
        read once, whoever asks (the pseudonyms, then the file's header)."""
        if self._headers is None:
            self._headers = [self.archive.summary(session_id).as_data() for session_id in self.session_ids]
        return self._headers

    def warning_lines(self) -> list[str]:
        """Every warning met so far, once, in the order of the sessions."""
        return [line for session_id in self.session_ids for line in self.warnings.get(session_id, [])]

    def __len__(self) -> int:
        return len(self.session_ids)

    def codebooks(self) -> list[Codebook]:
        return [self.archive.codebook_of(session_id) for session_id in self.session_ids]


Sessions = Sequence[SessionData] | ArchiveSessions


def headers_of(sessions: Sessions) -> list[SessionData]:
    """The sessions' records without contributions: what a file's header needs before its rows are written."""
    if isinstance(sessions, ArchiveSessions):
        return sessions.headers()
    return [SessionData.model_construct(session=data.session, contributions=[]) for data in sessions]


def codebooks_of(sessions: Sessions) -> list[Codebook]:
    if isinstance(sessions, ArchiveSessions):
        return sessions.codebooks()
    return [data.session.codebook for data in sessions]
