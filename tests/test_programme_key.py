"""The programme key: one pseudonym per person in every archive and output made with it, none under another
key, and no name left in anything a keyed command writes."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import pytest

from observer.core.codebook_models import Codebook
from observer.core.errors import InputError
from observer.core.models import Organisation, Participant
from observer.privacy.programme_key import KeyedPseudonyms, ProgrammeKey, new_key_file, read_key_file

from .programme import (
    OBSERVERS,
    ORGANISATIONS,
    PEOPLE,
    SECRETS,
    SERIES,
    every_file,
    invoke,
    leaks,
    programme_meeting,
    two_archives,
)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code != 0 and len(lines) == 1 and lines[0].startswith("observer: error:"), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_key_new_is_owner_only_and_never_written_over(tmp_path: Path) -> None:
    path = tmp_path / "programme.key"
    result = invoke(tmp_path / "data", "key", "new", str(path))
    assert result.exit_code == 0, result.output
    made = read_key_file(path)
    assert made.key_id in result.output and len(made.secret) == 32
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()
    line = _one_line_error(invoke(tmp_path / "data", "key", "new", str(path)))
    assert "already exists" in line and path.read_bytes() == before
    invoke(tmp_path / "data", "key", "new", str(tmp_path / "other.key"))
    assert read_key_file(tmp_path / "other.key").secret != made.secret  # random, not derived


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "no such key file"),
        (b"kind,pseudonym,id,name\nparticipant,P01,pa,Ann\n", "not a programme key"),
        (b"\xff\xfe\x00garbage", "not a programme key"),
        (b"observer-key-1 " + b"ab" * 16 + b" 00000000\n", "too short"),
        (b"observer-key-1 " + b"ab" * 32 + b"\n", "cut short"),
        (b"observer-key-1 " + b"zz" * 32 + b" 00000000\n", "not hex digits"),
        (b"", "not a programme key"),
    ],
)
def test_an_unusable_key_file_is_one_line(
    tmp_path: Path, partnership: Codebook, content: bytes | None, says: str
) -> None:
    first, _ = two_archives(tmp_path, partnership)
    key = tmp_path / "bad.key"
    if content is not None:
        key.write_bytes(content)
    line = _one_line_error(invoke(first, "export", "s-a1", "-o", str(tmp_path / "out.csv"), "--key", str(key)))
    assert says in line and str(key) in line
    assert not (tmp_path / "out.csv").exists()


def test_a_damaged_key_is_refused(tmp_path: Path, partnership: Codebook) -> None:
    key = tmp_path / "programme.key"
    new_key_file(key)
    text = key.read_text()
    digit = text[20]
    key.write_text(text[:20] + ("0" if digit != "0" else "1") + text[21:])  # one digit of the key changed
    with pytest.raises(InputError, match="damaged"):
        read_key_file(key)


def test_one_key_gives_each_person_one_pseudonym_in_both_archives(tmp_path: Path, partnership: Codebook) -> None:
    first, second = two_archives(tmp_path, partnership)
    key, other = tmp_path / "one.key", tmp_path / "two.key"
    new_key_file(key)
    new_key_file(other)
    for archive, session, name in ((first, "s-a1", "a"), (second, "s-b1", "b"), (first, "s-a1", "a-other")):
        used = other if name == "a-other" else key
        result = invoke(archive, "export", session, "-o", str(tmp_path / f"{name}.csv"), "--key", str(used))
        assert result.exit_code == 0, result.output
    a, b, a_other = (_rows(tmp_path / f"{name}.csv") for name in ("a", "b", "a-other"))
    by_contribution_a = {row["contribution_id"]: row for row in a}
    for row in b:  # the same meeting coded by the other observer, whose archive spells the names otherwise
        mine = by_contribution_a[row["contribution_id"]]
        for column in ("participant_id", "participant", "organisation", "organisation_id", "series"):
            assert row[column] == mine[column], column
    assert {row["observer"] for row in a}.isdisjoint({row["observer"] for row in b})  # two observers, two codes
    assert by_contribution_a["c1"]["participant"].startswith("P-") and len(by_contribution_a["c1"]["participant"]) == 10
    assert by_contribution_a["c1"]["organisation"].startswith("O-") and by_contribution_a["c1"]["series"].startswith(
        "S-"
    )
    assert by_contribution_a["c1"]["participant"] != by_contribution_a["c2"]["participant"]
    # Another key: other pseudonyms for everyone.
    pseudonyms = {row["participant"] for row in a if row["participant"]} | {row["organisation"] for row in a}
    others = {row["participant"] for row in a_other if row["participant"]} | {row["organisation"] for row in a_other}
    assert len(pseudonyms) == len(others) == 6 and pseudonyms.isdisjoint(others)
    # Without a key, today's numbering.
    result = invoke(first, "export", "s-a1", "-o", str(tmp_path / "numbered.csv"), "--pseudonymise")
    assert result.exit_code == 0, result.output
    assert {row["participant"] for row in _rows(tmp_path / "numbered.csv")} == {"P01", "P02", "P03", ""}


def test_the_key_holder_sees_the_map_and_no_export_holds_it(tmp_path: Path, partnership: Codebook) -> None:
    first, second = two_archives(tmp_path, partnership)
    key = tmp_path / "programme.key"
    new_key_file(key)
    result = invoke(first, "key", "map", str(key))
    assert result.exit_code == 0, result.output
    mapped = {(row["kind"], row["name"]): row["pseudonym"] for row in csv.DictReader(result.stdout.splitlines())}
    assert len([kind for kind, _ in mapped if kind == "participant"]) == 5
    invoke(first, "export", "s-a1", "-o", str(tmp_path / "a.csv"), "--key", str(key))
    cath = next(row for row in _rows(tmp_path / "a.csv") if row["contribution_id"] == "c2")
    assert cath["participant"] == mapped[("participant", PEOPLE["pc"])]
    assert cath["organisation"] == mapped[("organisation", ORGANISATIONS["trust"])]
    assert cath["observer"] == mapped[("observer", OBSERVERS[0])] and cath["series"] == mapped[("series", SERIES)]
    # The other archive's map names its people with the same pseudonyms, however it spells them.
    other = invoke(second, "key", "map", str(key))
    assert {row["pseudonym"] for row in csv.DictReader(other.stdout.splitlines()) if row["kind"] == "participant"} == {
        pseudonym for (kind, _), pseudonym in mapped.items() if kind == "participant"
    }


def test_no_name_anywhere_in_a_keyed_output(tmp_path: Path, partnership: Codebook) -> None:
    first, second = two_archives(tmp_path, partnership)
    key = tmp_path / "programme.key"
    new_key_file(key)
    out = tmp_path / "out"
    out.mkdir()
    runs = [
        (first, "export", "s-a1", "s-a2", "-o", str(out / f"all{suffix}"))
        for suffix in (".csv", ".json", ".xlsx", ".boris")
    ]
    runs += [
        (first, "trends", "--series", SERIES, "-o", str(out / "trend.xlsx"), "--json"),
        (first, "sequences", "s-a1", "--by", "speaker", "-o", str(out / "sequences.xlsx"), "--json"),
        (first, "bundle", "s-a1", "s-a2", "-o", str(out / "a.bundle")),
        (second, "bundle", "s-b1", "-o", str(out / "b.bundle")),
    ]
    for archive, *args in runs:
        result = invoke(archive, *args, "--key", str(key))
        assert result.exit_code == 0, result.output
        assert not [secret for secret in leaks_in_text(result.stdout)], result.stdout
    # Agreement of the two codings, once B's bundle (with names) is in A's archive.
    invoke(second, "bundle", "s-b1", "-o", str(tmp_path / "named-b.bundle"))
    assert invoke(first, "import", str(tmp_path / "named-b.bundle")).exit_code == 0
    result = invoke(first, "agreement", "s-a1", "s-b1", "-o", str(out / "agreement.xlsx"), "--json", "--key", str(key))
    assert result.exit_code == 0, result.output
    assert not leaks_in_text(result.stdout)
    written = every_file(out)
    assert len(written) == 9
    assert {path.name: leaks(path) for path in written} == {path.name: [] for path in written}
    # The scan finds names where they are: in the same files made without the key.
    invoke(first, "export", "s-a1", "-o", str(tmp_path / "named.xlsx"))
    invoke(first, "bundle", "s-a1", "-o", str(tmp_path / "named.bundle"))
    everything_of_a = [secret for secret in SECRETS if secret != OBSERVERS[1]]
    assert leaks(tmp_path / "named.bundle") == everything_of_a
    assert leaks(tmp_path / "named.xlsx") == everything_of_a


def leaks_in_text(text: str) -> list[str]:
    folded = " ".join(text.casefold().split())
    return [secret for secret in SECRETS if " ".join(secret.casefold().split()) in folded]


def test_a_keyed_bundle_drops_an_organisations_short_form_too(tmp_path: Path, partnership: Codebook) -> None:
    first, _ = two_archives(tmp_path, partnership)
    key = tmp_path / "programme.key"
    new_key_file(key)
    result = invoke(first, "bundle", "s-a1", "-o", str(tmp_path / "a.bundle"), "--key", str(key))
    assert result.exit_code == 0, result.output
    assert "RBC" not in (tmp_path / "a.bundle").read_text(encoding="utf-8")  # the council's initials


def test_a_collision_is_refused_not_merged(partnership: Codebook) -> None:
    pseudonyms = KeyedPseudonyms(ProgrammeKey(b"k" * 32), digits=1)  # 16 codes: 17 organisations must collide
    data = programme_meeting(partnership, 0, "s-many")
    session = data.session
    many = [Organisation(id=f"o{n}", name=f"Organisation {n}") for n in range(17)]
    with pytest.raises(InputError, match="share the pseudonym"):
        pseudonyms.learn(session.model_copy(update={"organisations": many, "participants": [], "attendance": []}))


def test_namesakes_of_one_organisation_in_one_meeting_are_refused(partnership: Codebook) -> None:
    session = programme_meeting(partnership, 0, "s-twins").session
    twin = Participant(id="pz", name=PEOPLE["pa"].lower(), organisation_id="council")
    with pytest.raises(InputError, match="one pseudonym"):
        KeyedPseudonyms(ProgrammeKey(b"k" * 32)).learn(
            session.model_copy(update={"participants": [*session.participants, twin]})
        )


def test_two_organisations_of_one_name_in_one_meeting_are_refused(partnership: Codebook) -> None:
    # Known by its pseudonym (as its id too), one organisation must not become two's: their rows would merge.
    session = programme_meeting(partnership, 0, "s-twin-orgs").session
    twin = Organisation(id="cafe-trust", name="Cafe  Trust")
    accented = Organisation(id="caf-trust-1a2b3c4d", name="Café Trust")
    with pytest.raises(InputError, match=r"s-twin-orgs: two organisations are both 'Café Trust'.*one pseudonym"):
        KeyedPseudonyms(ProgrammeKey(b"k" * 32)).learn(
            session.model_copy(update={"organisations": [*session.organisations, twin, accented]})
        )


def test_under_a_key_an_organisation_is_known_by_its_name(tmp_path: Path, partnership: Codebook) -> None:
    """Its pseudonym is made from its name and is its id in the output: renamed between meetings, it is two
    organisations in a keyed trend (as in a keyed pool); numbered, it is one, its stored id's."""
    import datetime as dt

    from observer.interop.export import ExportOptions, series_trend
    from observer.privacy.pseudonyms import PseudonymRegistry

    first = programme_meeting(partnership, 0, "s-before", dt.date(2026, 3, 2))
    second = programme_meeting(partnership, 0, "s-after", dt.date(2026, 4, 6))
    renamed = [
        o.model_copy(update={"name": "Riverside Unitary Council"}) if o.id == "council" else o
        for o in second.session.organisations
    ]
    second = second.model_copy(update={"session": second.session.model_copy(update={"organisations": renamed})})
    keyed = KeyedPseudonyms(ProgrammeKey(b"k" * 32))
    numbered = PseudonymRegistry(tmp_path / "pseudonyms.json")
    numbered.assign([first, second])
    by_key = series_trend([first, second], SERIES, ExportOptions(pseudonyms=keyed, keep_notes=False))
    by_number = series_trend([first, second], SERIES, ExportOptions(pseudonyms=numbered, keep_notes=False))
    assert len(by_key.organisations) == len(ORGANISATIONS) + 1
    assert len(by_number.organisations) == len(ORGANISATIONS)


def test_a_key_others_can_read_is_warned_about(tmp_path: Path, partnership: Codebook) -> None:
    if os.name != "posix":
        pytest.skip("owner-only modes")
    first, _ = two_archives(tmp_path, partnership)
    key = tmp_path / "programme.key"
    new_key_file(key)
    key.chmod(0o644)
    result = invoke(first, "export", "s-a1", "-o", str(tmp_path / "a.csv"), "--key", str(key))
    assert result.exit_code == 0 and "others can read this key" in result.stderr


def test_key_table_is_the_numbered_key_and_not_the_programme_key(tmp_path: Path, partnership: Codebook) -> None:
    first, _ = two_archives(tmp_path, partnership)
    key = tmp_path / "programme.key"
    new_key_file(key)
    line = _one_line_error(
        invoke(
            first,
            "export",
            "s-a1",
            "-o",
            str(tmp_path / "a.csv"),
            "--key",
            str(key),
            "--key-table",
            str(tmp_path / "t.csv"),
        )
    )
    assert "key map" in line and not (tmp_path / "a.csv").exists()
