"""Damaged and interrupted sessions: reads change nothing and agree; only the writer repairs, after folding."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from observer.analysis.metrics import summarise
from observer.core.codebook_models import Codebook
from observer.core.errors import StorageError
from observer.core.models import SessionStatus
from observer.live.coding import CodingSession
from observer.storage import Archive

from .conftest import at, crash, current_journal, make_session


def _crashed_session(archive: Archive, partnership: Codebook, speakers: int = 3) -> str:
    """A session coded with the clock running whose process 'died': lock dropped, journal not folded."""
    session = make_session(partnership)
    store = archive.create_session(session)
    coding = CodingSession(store)
    for second, participant in enumerate(session.participants[:speakers]):
        coding.speak(at(second * 10), participant_id=participant.id)
        coding.set_code(at(second * 10 + 1), "topic", "relational")
    crash(store)
    return session.id


def _files(archive: Archive) -> dict[str, bytes]:
    return {
        str(path.relative_to(archive.paths.root)): path.read_bytes()
        for path in sorted(archive.paths.root.rglob("*"))
        if path.is_file()
    }


def _damage_line(journal: Path, index: int) -> bytes:
    lines = journal.read_bytes().split(b"\n")
    lines[index] = lines[index][:20] + b"\x00\xff garbage" + lines[index][40:]
    damaged = b"\n".join(lines)
    journal.write_bytes(damaged)
    return damaged


def test_reads_of_a_damaged_journal_change_nothing_and_agree(archive: Archive, partnership: Codebook) -> None:
    session_id = _crashed_session(archive, partnership)
    _damage_line(current_journal(archive, session_id), 3)
    before = _files(archive)
    seen = []
    for _ in range(3):
        data, warnings = archive.load_with_warnings(session_id)
        listed, problems = archive.load_all()
        seen.append((len(data.contributions), len(listed[0].contributions), data.session.status))
        assert any("line 4 is damaged" in warning for warning in warnings)
        assert any("line 4 is damaged" in problem.message for problem in problems)
    # Entries 1-3 (two speakers and a code) are read every time, and nothing on disk moved.
    assert seen == [(2, 2, SessionStatus.PAUSED)] * 3
    assert _files(archive) == before


def test_writer_folds_good_entries_then_sets_the_damaged_journal_aside(archive: Archive, partnership: Codebook) -> None:
    session_id = _crashed_session(archive, partnership)
    journal = current_journal(archive, session_id)
    damaged = _damage_line(journal, 3)
    with archive.open_session(session_id) as store:
        assert len(store.contributions) == 2
        assert any("moved aside" in warning for warning in store.state.warnings)
    aside = list(journal.parent.glob("journal.*.corrupt"))
    assert len(aside) == 1 and aside[0].read_bytes() == damaged  # the original bytes, whole
    data, warnings = archive.load_with_warnings(session_id)
    assert len(data.contributions) == 2  # what was readable stays readable
    assert any(aside[0].name in warning for warning in warnings)  # and later reads still name the file


def test_interrupted_session_counts_no_time_it_did_not_observe(archive: Archive, partnership: Codebook) -> None:
    session_id = _crashed_session(archive, partnership)
    data = archive.load(session_id)
    assert data.session.status == SessionStatus.PAUSED
    # The last recorded moment is the last code, 21 s in; a day later it is still 21 s.
    assert data.session.observed_seconds(at(86_400)) == pytest.approx(21.0)
    summary = summarise(data, at(86_400))
    last = summary.spans[-1]
    assert last.end_s == pytest.approx(21.0)
    # Resuming pauses it at the same moment, durably.
    with archive.open_session(session_id) as store:
        message = CodingSession(store).recover_after_interruption(at(86_400))
        assert message is not None and "0:21" in message
    assert archive.load(session_id).session.clock_elapsed_s == pytest.approx(21.0)


def test_undo_after_a_resume_skips_the_automatic_pause(archive: Archive, partnership: Codebook) -> None:
    session_id = _crashed_session(archive, partnership)
    with archive.open_session(session_id) as store:
        coding = CodingSession(store)
        coding.recover_after_interruption(at(3600))
        assert coding.undo() == "undone: Topic: Relational"
        # The observer's last action is undone; the clock stays paused where the program stopped.
        assert coding.session.status == SessionStatus.PAUSED
        assert coding.latest() is not None and coding.latest().codes == {}
        assert coding.session.observed_seconds(at(7200)) == pytest.approx(21.0)
    data = archive.load(session_id)
    assert data.session.status == SessionStatus.PAUSED and data.session.observed_seconds(at(7200)) == 21.0


def test_undoing_an_agenda_item_across_an_interruption_keeps_the_clock_paused(
    archive: Archive, partnership: Codebook
) -> None:
    session = make_session(partnership)
    store = archive.create_session(session)
    coding = CodingSession(store)
    coding.speak(at(0), participant_id=session.participants[0].id)
    coding.start_agenda_item(at(30), "Finance")
    crash(store)
    with archive.open_session(session.id) as store:
        coding = CodingSession(store)
        coding.recover_after_interruption(at(5000))
        coding.undo()  # the agenda item
        assert coding.session.agenda_items == []
        assert coding.session.status == SessionStatus.PAUSED
        assert coding.session.observed_seconds(at(9000)) == pytest.approx(30.0)


def test_missing_checkpoint_with_a_journal_is_reported(archive: Archive, partnership: Codebook) -> None:
    session_id = _crashed_session(archive, partnership)
    archive.paths.checkpoint(session_id).unlink()
    sessions, problems = archive.load_all()
    assert sessions == []
    assert len(problems) == 1 and "checkpoint session.json is missing" in problems[0].message
    assert "journal" in problems[0].message and "kept" in problems[0].message
    with pytest.raises(StorageError, match="missing"):
        archive.open_session(session_id)
    assert current_journal(archive, session_id).exists()


@pytest.mark.parametrize("failing", ["write", "fsync"])
def test_new_session_on_a_full_disk_leaves_no_folder(
    archive: Archive, partnership: Codebook, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, failing, disk_full)
    with pytest.raises(StorageError, match="disk full"):
        archive.create_session(make_session(partnership))
    monkeypatch.undo()
    assert list(archive.paths.sessions.iterdir()) == []


def test_undelete_restores_the_most_recently_deleted(archive: Archive, partnership: Codebook) -> None:
    ids = []
    for title in ("Zeta", "Alpha"):
        session = make_session(partnership, title=title)
        archive.create_session(session).close()
        ids.append(session.id)
    # Delete the one with the higher id first: the latest deletion is what 'u' brings back.
    first, second = sorted(ids, reverse=True)
    archive.trash_session(first)
    archive.trash_session(second)
    assert archive.restore_session(archive.trashed()[-1]) == second


@pytest.mark.parametrize("helper", [False, True], ids=["in-process", "helper-process"])
def test_export_says_once_what_it_read_around(
    archive: Archive, partnership: Codebook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helper: bool
) -> None:
    from click.testing import CliRunner

    from observer.cli.main import main
    from observer.interop.export import session_rows

    session_id = _crashed_session(archive, partnership)
    _damage_line(current_journal(archive, session_id), 4)
    before = _files(archive)
    monkeypatch.setattr(session_rows, "HELPER_FROM_BYTES", 0 if helper else 10**12)
    output = tmp_path / "out.xlsx"
    result = CliRunner().invoke(main, ["--data-dir", str(archive.paths.root), "export", session_id, "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert result.stderr.count("line 5 is damaged") == 1
    assert output.exists() and _files(archive) == before
