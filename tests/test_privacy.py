"""Pseudonymised exports: no name typed into any field reaches any part of any file."""

from __future__ import annotations

import zipfile
from pathlib import Path

from click.testing import CliRunner

from observer.cli.main import main
from observer.core.codebook_models import Codebook
from observer.interop.roster import RosterEntry, build_session
from observer.live.coding import CodingSession
from observer.storage import Archive

from .conftest import at

NAMES = {
    "title": "Alderman",
    "series": "Bramwell",
    "observer": "Cuthbert",
    "agenda": "Eustace",
    "participant": "Fairweather",
    "role": "Gainsborough",
    "organisation": "Hargreaves",
    "note": "Ingleby",
}


def _every_text(path: Path) -> str:
    """A file's bytes as text; for a workbook, every part inside it (sheets, shared strings, charts, properties)."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as book:
            return "\n".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    return path.read_bytes().decode("utf-8", "replace")


def _meeting_full_of_names(archive: Archive, partnership: Codebook) -> str:
    session = build_session(
        title=f"Board with {NAMES['title']}",
        codebook=partnership,
        meeting_date=at(0).date(),
        series=f"{NAMES['series']} partnership",
        observer=f"Dr {NAMES['observer']}",
        roster=[
            RosterEntry(f"Pat {NAMES['participant']}", f"{NAMES['organisation']} Council", f"{NAMES['role']} lead"),
            RosterEntry("Sam Other", "Second Trust"),
        ],
    )
    with archive.create_session(session) as store:
        coding = CodingSession(store)
        coding.start_agenda_item(at(0), f"{NAMES['agenda']} update")
        coding.speak(at(1), participant_id=session.participants[0].id)
        coding.set_code(at(2), "orientation", "org_first")
        coding.set_note(at(3), f"{NAMES['note']} said the board will not sign")
        coding.speak(at(10), participant_id=session.participants[1].id)
        coding.toggle_flag(at(11), "coordinator")
        coding.end_session(at(20))
    return session.id


def test_pseudonymised_exports_leak_no_typed_name(tmp_path: Path, partnership: Codebook) -> None:
    archive = Archive(tmp_path / "data")
    session_id = _meeting_full_of_names(archive, partnership)
    out = tmp_path / "out"
    out.mkdir()
    runner = CliRunner()
    data_dir = ["--data-dir", str(archive.paths.root)]
    for suffix in ("xlsx", "csv", "json", "boris"):
        result = runner.invoke(
            main, [*data_dir, "export", session_id, "-o", str(out / f"p.{suffix}"), "--pseudonymise"]
        )
        assert result.exit_code == 0, result.output
    trend = runner.invoke(main, [*data_dir, "trends", "-o", str(out / "t.xlsx"), "--pseudonymise"])
    assert trend.exit_code == 0, trend.output
    as_json = runner.invoke(main, [*data_dir, "trends", "--json", "--pseudonymise"])
    assert as_json.exit_code == 0
    contents = {path.name: _every_text(path) for path in sorted(out.iterdir())}
    contents["trends --json"] = as_json.output
    contents["trends table"] = trend.output
    for where, text in contents.items():
        for field, name in NAMES.items():
            assert name not in text, f"the {field} ({name}) leaks into {where}"
    # And the pseudonyms are there instead.
    assert "P01" in contents["p.csv"] and "R01" in contents["p.csv"] and "S01" in contents["p.csv"]
    assert "Item 1" in contents["p.csv"]


def test_named_and_kept_on_purpose(tmp_path: Path, partnership: Codebook) -> None:
    archive = Archive(tmp_path / "data")
    session_id = _meeting_full_of_names(archive, partnership)
    runner = CliRunner()
    base = ["--data-dir", str(archive.paths.root), "export", session_id]
    named = tmp_path / "named.csv"
    assert runner.invoke(main, [*base, "-o", str(named)]).exit_code == 0
    assert all(name in named.read_text(encoding="utf-8-sig") for field, name in NAMES.items() if field != "role")
    kept = tmp_path / "kept.csv"
    result = runner.invoke(main, [*base, "-o", str(kept), "--pseudonymise", "--keep-titles", "--keep-notes"])
    assert result.exit_code == 0, result.output
    text = kept.read_text(encoding="utf-8-sig")
    for field in ("title", "series", "agenda", "note"):
        assert NAMES[field] in text, field
    for field in ("participant", "organisation", "observer", "role"):
        assert NAMES[field] not in text, field


def test_no_row_builder_meets_a_name_numbered_or_keyed(tmp_path: Path, partnership: Codebook) -> None:
    """Names are replaced once, at the door (``Naming.redact``), ids made from names included ("hargreaves-council"
    is the organisation's id): every file written after it, in any case of letters, holds none of them."""
    from observer.interop.export import export_options
    from observer.privacy.programme_key import new_key_file, read_key_file

    archive = Archive(tmp_path / "data")
    session_id = _meeting_full_of_names(archive, partnership)
    data = archive.load(session_id)
    stored_ids = [p.id for p in data.session.participants] + [o.id for o in data.session.organisations]
    assert any(NAMES["organisation"].casefold() in id_ for id_ in stored_ids)  # an id that names
    key_file = tmp_path / "programme.key"
    new_key_file(key_file)
    runner = CliRunner()
    data_dir = ["--data-dir", str(archive.paths.root)]
    for kind, how in (("numbered", ["--pseudonymise"]), ("keyed", ["--key", str(key_file)])):
        # What the door lets through: no name, and no stored id of a person or organisation.
        options = export_options(
            archive, [data], pseudonymise=True, key=None if kind == "numbered" else read_key_file(key_file)
        )
        shown = options.naming().redact(data)
        through = shown.session.model_dump_json(exclude={"codebook"}) + shown.model_dump_json(include={"contributions"})
        for forbidden in [*NAMES.values(), *stored_ids]:
            assert forbidden.casefold() not in through.casefold(), f"{kind}: {forbidden} passes the door"
        # What every writer after it makes of it.
        out = tmp_path / kind
        out.mkdir()
        for suffix in ("xlsx", "csv", "json", "boris"):
            result = runner.invoke(main, [*data_dir, "export", session_id, "-o", str(out / f"p.{suffix}"), *how])
            assert result.exit_code == 0, result.output
        assert runner.invoke(main, [*data_dir, "trends", "-o", str(out / "t.xlsx"), *how]).exit_code == 0
        contents = {path.name: _every_text(path) for path in sorted(out.iterdir())}
        contents["trends --json"] = runner.invoke(main, [*data_dir, "trends", "--json", *how]).output
        if kind == "keyed":
            bundle = tmp_path / "keyed.bundle"
            assert runner.invoke(main, [*data_dir, "bundle", session_id, "-o", str(bundle), *how]).exit_code == 0
            contents["bundle"] = _every_text(bundle)
            pool = runner.invoke(main, ["pool", str(archive.paths.root), "-o", str(tmp_path / "pool"), *how])
            assert pool.exit_code == 0, pool.output
            contents |= {f"pool {path.name}": _every_text(path) for path in (tmp_path / "pool").rglob("*.csv")}
        for where, text in contents.items():
            for forbidden in NAMES.values():
                assert forbidden.casefold() not in text.casefold(), f"{kind}: {forbidden} leaks into {where}"
