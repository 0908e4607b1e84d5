"""``observer backup`` and ``observer restore``: the whole archive as one verified file, and back into an empty
data folder, the same in everything the archive prints."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from observer.cli.main import main
from observer.core.codebook_models import Codebook
from observer.live.coding import CodingSession
from observer.storage import Archive

from .conftest import REPO, at, crash, make_session
from .windows_rules import WindowsRules


def _run(data_dir: Path, *arguments: str, ok: bool = True) -> tuple[str, str]:
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), *arguments])
    if ok:
        assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def _files(root: Path) -> dict[str, bytes]:
    kept = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name not in ("session.lock", "session.holder"):
            kept[path.relative_to(root).as_posix()] = path.read_bytes()
    return kept


def _an_archive_of_twenty_meetings(data_dir: Path, tmp_path: Path, partnership: Codebook) -> list[str]:
    """Twenty meetings (ten coded twice), a calibration on record, the pseudonym key, a codebook of the user's
    own, a deleted session in the trash and one the program was killed in (its journal not yet folded)."""
    _run(data_dir, "demo", "--sessions", "9", "--contributions", "25", "--second-observer", "--seed", "3")
    archive = Archive(data_dir)
    session = make_session(partnership, title="Killed mid-meeting")
    store = archive.create_session(session)
    coding = CodingSession(store)
    for second in range(7):
        coding.speak(at(second * 9), participant_id=session.participants[second % 4].id)
        coding.set_code(at(second * 9 + 2), "orientation", "partnership_first")
    crash(store)
    gone = make_session(partnership, title="Deleted")
    archive.create_session(gone).close()
    archive.trash_session(gone.id)
    ids = [entry["id"] for entry in json.loads(_run(data_dir, "sessions", "--json")[0])]
    assert len(ids) == 20 - 1  # nineteen listed, one in the trash
    _run(data_dir, "export", *ids[:4], "-o", str(tmp_path / "pseudonymised.csv"), "--pseudonymise")
    reference = next(i for i in ids if archive.load(i).session.observer == "Demo observer")
    trainee = next(
        i for i in ids if i != reference and archive.load(i).session.title == archive.load(reference).session.title
    )
    _run(data_dir, "calibrate", reference, trainee)
    (data_dir / "codebooks").mkdir(exist_ok=True)
    own = (REPO / "codebooks" / "partnership.toml").read_text().replace('name = "partnership"', 'name = "ours"')
    (data_dir / "codebooks" / "ours.toml").write_text(own)
    return ids


def _everything_printed(data_dir: Path, ids: list[str], out: Path) -> dict[str, object]:
    """What the archive prints: the listing, each session's summary, the history, the codebooks, the trends and
    every export (the moment of export, which each of JSON, BORIS and the workbook records, left out)."""
    printed: dict[str, object] = {
        "sessions": _run(data_dir, "sessions", "--json")[0],
        "history": _run(data_dir, "calibrate", "--history")[0],
        "codebooks": _run(data_dir, "codebooks", "list")[0].replace(str(data_dir), "DATA"),
        "trends": _run(data_dir, "trends", "--json", "--series", "North Locality ICS Board")[0],
    }
    for session_id in ids:
        printed[f"show {session_id}"] = _run(data_dir, "show", session_id, "--json")[0]
    out.mkdir()
    for suffix in (".csv", ".json", ".boris", ".xlsx"):
        for naming in ([], ["--pseudonymise"]):
            path = out / f"all{'-p' if naming else ''}{suffix}"
            _run(data_dir, "export", *ids, "-o", str(path), *naming)
            if suffix == ".csv":
                printed[path.name] = path.read_bytes()
            elif suffix == ".xlsx":
                book = openpyxl.load_workbook(path)
                printed[path.name] = {
                    sheet.title: [
                        [
                            None if row[0].value == "Exported at (UTC)" and column else cell.value
                            for column, cell in enumerate(row)
                        ]
                        for row in sheet.iter_rows()
                    ]
                    for sheet in book.worksheets
                }
            else:
                document = json.loads(path.read_bytes())
                document.pop("exported_at", None) if isinstance(document, dict) else None
                document.pop("project_date", None) if isinstance(document, dict) else None
                printed[path.name] = json.dumps(document, sort_keys=True)
    return printed


def test_backup_and_restore_round_trip_twenty_meetings(tmp_path: Path, partnership: Codebook) -> None:
    data_dir = tmp_path / "data"
    ids = _an_archive_of_twenty_meetings(data_dir, tmp_path, partnership)
    before = _everything_printed(data_dir, ids, tmp_path / "before")  # (the pseudonym key grows to all of them)
    before_files = _files(data_dir)
    backup = tmp_path / "archive.observer-backup"
    said = _run(data_dir, "backup", str(backup))[0]
    assert "backed up 19 sessions and 1 deleted in the trash" in said and "checked" in said
    assert _files(data_dir) == before_files, "a backup changed the archive"

    restored = tmp_path / "restored"
    said = _run(restored, "restore", str(backup))[0]
    assert "restored 19 sessions and 1 deleted in the trash" in said
    assert _files(restored) == _files(data_dir)  # every file, byte for byte: the unfolded journal too
    assert _everything_printed(restored, ids, tmp_path / "after") == before
    assert {path.name for path in (restored / "trash").iterdir()} == {
        path.name for path in (data_dir / "trash").iterdir()
    }
    # And the restored archive works: the killed session opens for writing with everything in it.
    killed = next(i for i in ids if Archive(restored).load(i).session.title == "Killed mid-meeting")
    with Archive(restored).open_session(killed) as store:
        assert len(store.contributions) == 7


def test_restore_refuses_a_folder_that_holds_anything(tmp_path: Path, partnership: Codebook) -> None:
    data_dir = tmp_path / "data"
    Archive(data_dir).create_session(make_session(partnership)).close()
    backup = tmp_path / "b.zip"
    _run(data_dir, "backup", str(backup))
    other = tmp_path / "other"
    Archive(other).ensure()  # empty folders only: an archive never used is empty
    _run(other, "restore", str(backup))
    before = _files(other)
    _, error = _run(other, "restore", str(backup), ok=False)
    assert error.startswith("observer: error:") and "not empty" in error and len(error.strip().splitlines()) == 1
    assert _files(other) == before


@pytest.mark.parametrize("damage", ["flipped byte", "cut short", "no manifest", "foreign file", "a file too many"])
def test_a_damaged_or_foreign_backup_is_refused_before_anything_is_written(
    tmp_path: Path, partnership: Codebook, damage: str
) -> None:
    data_dir = tmp_path / "data"
    store = Archive(data_dir).create_session(make_session(partnership))
    CodingSession(store).speak(at(0), participant_id=store.session.participants[0].id)
    store.close()
    backup = tmp_path / "b.zip"
    _run(data_dir, "backup", str(backup))
    raw = backup.read_bytes()
    if damage == "flipped byte":
        with zipfile.ZipFile(backup) as archive:
            member = next(info for info in archive.infolist() if info.filename.endswith("session.json"))
        position = member.header_offset + 30 + len(member.filename) + 5
        backup.write_bytes(raw[:position] + bytes([raw[position] ^ 0xFF]) + raw[position + 1 :])
    elif damage == "cut short":
        backup.write_bytes(raw[: len(raw) // 2])
    elif damage == "no manifest":
        with zipfile.ZipFile(backup, "w") as archive:
            archive.writestr("sessions/x/session.json", "{}")
    elif damage == "foreign file":
        backup.write_text("name,organisation\nAnn,Council\n")
    else:
        with zipfile.ZipFile(backup, "a") as archive:
            archive.writestr("../../outside.txt", "hello")
    target = tmp_path / "restored"
    _, error = _run(target, "restore", str(backup), ok=False)
    assert error.startswith("observer: error:") and len(error.strip().splitlines()) == 1, error
    assert "Traceback" not in error
    assert not target.exists() or not any(target.rglob("*"))
    assert not (tmp_path / "outside.txt").exists()
    assert not list(tmp_path.glob(".observer-restore.*"))


def test_a_backup_replaces_an_older_one_only_once_it_is_whole(
    tmp_path: Path, partnership: Codebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    from observer.interop import backup as backup_module

    data_dir = tmp_path / "data"
    Archive(data_dir).create_session(make_session(partnership)).close()
    backup = tmp_path / "b.zip"
    _run(data_dir, "backup", str(backup))
    older = backup.read_bytes()
    Archive(data_dir).create_session(make_session(partnership, title="Another")).close()

    def unreadable(path: Path) -> None:
        raise backup_module.InputError(f"{path}: session.json is damaged (its checksum does not match the manifest)")

    monkeypatch.setattr(backup_module, "verify_backup", unreadable)  # as if the disk had garbled what was written
    _, error = _run(data_dir, "backup", str(backup), ok=False)
    assert "damaged" in error and len(error.strip().splitlines()) == 1
    assert backup.read_bytes() == older
    assert sorted(path.name for path in tmp_path.iterdir()) == ["b.zip", "data"]  # no temporary file left


def test_backup_and_restore_under_windows_rules(tmp_path: Path, partnership: Codebook, windows: WindowsRules) -> None:
    data_dir = tmp_path / "data"
    archive = Archive(data_dir)
    session = make_session(partnership)
    store = archive.create_session(session)
    CodingSession(store).speak(at(0), participant_id=session.participants[0].id)
    backup = tmp_path / "b.zip"
    _run(data_dir, "backup", str(backup))  # beside a session open for writing
    store.close()
    restored = tmp_path / "restored"
    restored.mkdir()
    _run(restored, "restore", str(backup))
    assert [c.participant_id for c in Archive(restored).load(session.id).contributions] == [session.participants[0].id]
    assert not windows.violations


def test_a_backup_beside_a_session_that_folds_meanwhile_keeps_every_entry(
    tmp_path: Path, partnership: Codebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backup listed every file first and read each session's later: a fold in another window between the
    two (a new journal made, the old one folded and removed) left the backup with the new checkpoint and no
    journal at all, so the entries written since the fold were missing from it."""
    from observer.interop import backup as backup_module

    data_dir = tmp_path / "data"
    archive = Archive(data_dir)
    session = make_session(partnership)
    store = archive.create_session(session)
    store.fold_every = 5
    coding = CodingSession(store)
    for n in range(3):
        coding.speak(at(n), participant_id=session.participants[n % 4].id)
    listed = backup_module._archive_files
    folded: list[bool] = []

    def list_then_fold(root: Path):  # type: ignore[no-untyped-def]
        found = list(listed(root))
        if not folded:  # once, right after the archive is first listed
            folded.append(True)
            for n in range(3, 8):  # the fifth entry folds; two more go into the next journal
                coding.speak(at(n), participant_id=session.participants[n % 4].id)
            store._wait_for_fold()
        return iter(found)

    monkeypatch.setattr(backup_module, "_archive_files", list_then_fold)
    backup = tmp_path / "b.zip"
    _run(data_dir, "backup", str(backup))
    store.close()
    restored = tmp_path / "restored"
    _run(restored, "restore", str(backup))
    assert len(Archive(restored).load(session.id).contributions) == 8


def _hostile_backup(path: Path, members: dict[str, bytes], manifest: dict | None = None, made_by: str = "x") -> Path:
    """A backup as someone else might make one: members as given, a manifest that says what the test likes."""
    import hashlib

    files = {name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()} for name, data in members.items()}
    document = {"format": 1, "made_by": made_by, "made_at": "2026-03-02T10:00:00+00:00", "files": manifest or files}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr("observer-backup.json", json.dumps(document))
    return path


HOSTILE = {
    "manifest entry not a table": ({"codebooks/a.toml": b"x"}, {"codebooks/a.toml": "nope"}),
    "manifest size not a number": ({"codebooks/a.toml": b"x"}, {"codebooks/a.toml": {"size": "1", "sha256": "0"}}),
    "a folder entry": ({"sessions/": b""}, None),
    "a control character": ({"codebooks/\x1b]0;owned\x07.toml": b"x"}, None),
}
# Names Windows cannot write as they are (restored there, con.toml would be the console, s1. would be s1).
ON_WINDOWS = {
    "a Windows device name": ({"codebooks/con.toml": b"x"}, None),
    "a trailing dot": ({"sessions/s1./session.json": b"{}"}, None),
    "names differing only in capitals": ({"sessions/S1/session.json": b"{}", "sessions/s1/session.json": b"{}"}, None),
}


@pytest.mark.parametrize("case", [*HOSTILE, *ON_WINDOWS], ids=[*HOSTILE, *ON_WINDOWS])
def test_a_hostile_backup_is_refused_in_one_line(tmp_path: Path, case: str, request: pytest.FixtureRequest) -> None:
    """Manifests that are not what observer writes, and names it never writes (or Windows cannot: a device name, a
    trailing dot, two names one folder there) get one line saying what is wrong, never "unexpected
    AttributeError", never a half-restored folder."""
    if case in ON_WINDOWS:
        from observer.storage import system

        rules = request.getfixturevalue("windows")
        if not rules.imposed and not system.WINDOWS:
            pytest.skip("Windows' names: imposed on Linux, the real ones on Windows")
    members, manifest = {**HOSTILE, **ON_WINDOWS}[case]
    backup = _hostile_backup(tmp_path / "b.zip", members, manifest)
    target = tmp_path / "restored"
    _, error = _run(target, "restore", str(backup), ok=False)
    assert error.startswith("observer: error:") and len(error.strip().splitlines()) == 1, error
    assert "unexpected" not in error and "\x1b" not in error and "\x07" not in error, error
    assert not target.exists() or not any(path.is_file() for path in target.rglob("*"))
    assert not list(tmp_path.glob(".observer-restore.*"))


def test_what_a_backup_says_of_itself_cannot_drive_the_terminal(tmp_path: Path) -> None:
    """The restore's last line quotes who made the backup, from its manifest: an escape sequence there reached the
    terminal as it was (retitling it, or worse)."""
    backup = _hostile_backup(tmp_path / "b.zip", {"codebooks/a.toml": b"x"}, made_by="\x1b]0;owned\x07observer 9")
    said, _ = _run(tmp_path / "restored", "restore", str(backup))
    assert "\x1b" not in said and "\x07" not in said and "observer 9" in said


def test_a_member_larger_than_its_manifest_says_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A zip bomb: a small file that unpacks to gigabytes, its manifest lying about the size. The check read it
    all before it compared the size; the size the zip itself declares is compared first now."""
    big = b"\0" * (8 * 1024 * 1024)
    backup = _hostile_backup(
        tmp_path / "b.zip", {"sessions/s1/session.json": big}, {"sessions/s1/session.json": {"size": 2, "sha256": "0"}}
    )
    read: list[int] = []
    real_read = zipfile.ZipExtFile.read

    def counted(self, n=-1):  # type: ignore[no-untyped-def]
        data = real_read(self, n)
        read.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counted)
    _, error = _run(tmp_path / "restored", "restore", str(backup), ok=False)
    assert "session.json" in error and len(error.strip().splitlines()) == 1
    assert sum(read) < len(big) // 4, f"{sum(read):,} bytes unpacked to find out"


def test_a_restore_that_would_fill_the_disk_is_refused_first(
    tmp_path: Path, partnership: Codebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil as shutil_module

    data_dir = tmp_path / "data"
    Archive(data_dir).create_session(make_session(partnership)).close()
    backup = tmp_path / "b.zip"
    _run(data_dir, "backup", str(backup))
    real_usage = shutil_module.disk_usage
    monkeypatch.setattr(shutil_module, "disk_usage", lambda path: real_usage(path)._replace(free=1000))
    target = tmp_path / "restored"
    _, error = _run(target, "restore", str(backup), ok=False)
    assert "free" in error and len(error.strip().splitlines()) == 1, error
    assert not target.exists() or not any(path.is_file() for path in target.rglob("*"))
