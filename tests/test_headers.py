"""Listing from the headers the writer keeps: never fewer contributions than were acknowledged, whatever crash
came between a journal append, a fold and the header; and a listing never writes."""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observer.cli.main import main
from observer.core.codebook_models import Codebook
from observer.live.coding import CodingSession
from observer.storage import Archive, SessionStore
from observer.storage import header as header_module
from observer.storage import session_store as session_store_module

from .conftest import at, crash, make_session


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _kill(store: SessionStore) -> None:
    crash(store)


def _listed(root: Path) -> dict[str, int]:
    summaries, _ = Archive(root).summaries()
    return {summary.session.id: summary.contributions for summary in summaries}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rounds=st.lists(
        st.tuples(st.integers(0, 25), st.sampled_from(["kill", "kill before header", "close"])), min_size=1, max_size=5
    ),
    fold_every=st.sampled_from([1, 3, 10, 1000]),
)
def test_a_listing_never_shows_fewer_contributions_than_were_acknowledged(
    tmp_path_factory: pytest.TempPathFactory, partnership: Codebook, rounds: list, fold_every: int
) -> None:
    root = tmp_path_factory.mktemp("headers") / "data"
    archive = Archive(root)
    session = make_session(partnership)
    archive.create_session(session).close()
    people = [p.id for p in session.participants]
    acknowledged = 0
    second = 0
    for count, ending in rounds:
        store = archive.open_session(session.id)
        store.fold_every = fold_every
        coding = CodingSession(store)
        recovered = coding.recover_after_interruption(at(second))
        del recovered
        # Once a writer has run, the listing reads the header alone (no contribution is read).
        assert _listed(root) == {session.id: acknowledged}
        skip_header = mock.patch.object(session_store_module, "write_header", lambda *_: None)
        if ending == "kill before header":
            skip_header.start()  # every fold of this round dies before its header is written
        try:
            for _ in range(count):
                second += 1
                coding.speak(at(second), participant_id=people[second % len(people)])
                acknowledged += 1
        finally:
            if ending == "kill before header":
                skip_header.stop()
        if ending == "close":
            coding.close(at(second + 1))
        else:
            _kill(store)
        before = _files(root)
        assert _listed(root) == {session.id: acknowledged}
        result = CliRunner().invoke(main, ["--data-dir", str(root), "sessions", "--json"])
        assert [row["contributions"] for row in json.loads(result.output)] == [acknowledged]
        assert _files(root) == before, "a listing wrote to the archive"
        second += 1


def test_the_listing_reads_no_contribution_when_the_header_holds(tmp_path: Path, partnership: Codebook) -> None:
    archive = Archive(tmp_path / "data")
    session = make_session(partnership)
    coding = CodingSession(archive.create_session(session))
    for second in range(5):
        coding.speak(at(second), participant_id=session.participants[second % 4].id)
    coding.close(at(9))
    with mock.patch.object(Archive, "load_with_warnings", side_effect=AssertionError("read a whole session")):
        summaries, problems = archive.summaries()
    assert [(s.contributions, s.observed_s) for s in summaries] == [(5, 9.0)] and not problems


def test_an_archive_from_before_headers_lists_right_and_reindex_writes_them(
    tmp_path: Path, partnership: Codebook
) -> None:
    root = tmp_path / "data"
    archive = Archive(root)
    session = make_session(partnership)
    coding = CodingSession(archive.create_session(session))
    for second in range(3):
        coding.speak(at(second), participant_id=session.participants[second].id)
    coding.close(at(5))
    archive.paths.header(session.id).unlink()
    before = _files(root)
    assert _listed(root) == {session.id: 3}
    assert _files(root) == before
    result = CliRunner().invoke(main, ["--data-dir", str(root), "sessions", "--reindex"])
    assert result.exit_code == 0 and "wrote 1 header" in result.output
    assert header_module.trusted_header(archive.paths, session.id) is not None


def test_a_header_left_from_an_older_checkpoint_is_not_trusted(tmp_path: Path, partnership: Codebook) -> None:
    """A backup restored by hand (checkpoint copied back, header not): the listing reads the session."""
    root = tmp_path / "data"
    archive = Archive(root)
    session = make_session(partnership)
    coding = CodingSession(archive.create_session(session))
    coding.speak(at(1), participant_id=session.participants[0].id)
    coding.close(at(2))
    saved = archive.paths.checkpoint(session.id).read_bytes()
    coding = CodingSession(archive.open_session(session.id))
    coding.speak(at(3), participant_id=session.participants[1].id)
    coding.close(at(4))
    assert _listed(root) == {session.id: 2}
    archive.paths.checkpoint(session.id).write_bytes(saved)  # same folder, older checkpoint, newer header
    assert _listed(root) == {session.id: 1}


def test_streamed_exports_are_the_documents_they_always_were(tmp_path: Path) -> None:
    """JSON and BORIS are now written a session at a time; the bytes are those of the whole document."""
    import re

    from observer.interop.bundle import _canonical, read_bundle, session_record, write_bundle
    from observer.interop.demo import generate_demo
    from observer.interop.export import ArchiveSessions, export_sessions, json_document
    from observer.interop.export.boris import boris_project
    from observer.privacy.naming import Naming

    archive = Archive(tmp_path / "data")
    ids = generate_demo(archive, sessions=3, contributions=40, seed=1)
    loaded = [archive.load(session_id) for session_id in ids]
    for suffix, document in ((".json", json_document), (".boris", boris_project)):
        out = tmp_path / f"all{suffix}"
        export_sessions(ArchiveSessions(archive, ids), out)
        whole = json.dumps(document(loaded, Naming()), indent=1, ensure_ascii=False)
        moment = re.compile(r'"(exported_at|project_date)": "[^"]*"')
        assert moment.sub("", out.read_text(encoding="utf-8")) == moment.sub("", whole)
    # A bundle as earlier versions wrote it (one indented document) still reads, checksum and all.
    records = [session_record(data) for data in loaded]
    older = tmp_path / "older.bundle"
    older.write_text(
        json.dumps(
            {
                "format": "observer-bundle",
                "version": 1,
                "tool": "observer 0.9",
                "sha256": __import__("hashlib").sha256(_canonical(records)).hexdigest(),
                "sessions": records,
            },
            indent=1,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    assert [data.session.id for data in read_bundle(older)] == ids
    newer = tmp_path / "newer.bundle"
    assert write_bundle(iter(loaded), newer) == 3
    assert json.loads(newer.read_text(encoding="utf-8"))["sha256"] == json.loads(older.read_text())["sha256"]
    assert read_bundle(newer) == read_bundle(older)


def test_a_fold_under_way_is_counted_by_the_listing(tmp_path: Path, partnership: Codebook) -> None:
    """While a fold runs (or after one failed) the entries are in the older journal generation and the checkpoint is
    still the one the header was written from: the header must not be trusted then."""
    root = tmp_path / "data"
    archive = Archive(root)
    session = make_session(partnership)
    coding = CodingSession(archive.create_session(session))
    coding.toggle_clock(at(0))
    coding.toggle_clock(at(1))  # paused: a session being edited, not recorded
    store = coding.store
    store.checkpoint()  # the header now holds (no contributions)
    for second in range(3):
        coding.speak(at(2 + second), participant_id=session.participants[second].id)
        coding.toggle_clock(at(2.5 + second))
    generation = len(archive.paths.journals(session.id))
    archive.paths.journal(session.id, generation + 1).touch()  # as a rotation leaves them, the fold not yet written
    assert _listed(root) == {session.id: 3}
    _kill(store)
