"""Two observers' archives of one programme: the same people, under ids of each archive's own, with names that
appear nowhere else (so a scan of an output for them finds only a leak)."""

from __future__ import annotations

import datetime as dt
import html
import zipfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from observer.cli.main import main
from observer.core.codebook_models import Codebook
from observer.core.models import AgendaItem, SessionData
from observer.storage import Archive

from .conftest import at
from .meetings import hand_meeting

PEOPLE = {"pa": "Annabel Quenby", "pb": "Bartholomew Xanthos", "pc": "Cathal Ó Briain", "pd": "Dervla Kestrel"}
PEOPLE["pe"] = "Evander Whitlock"
ORGANISATIONS = {"council": "Riverside Borough Council", "trust": "Hollowmere NHS Trust", "vol": "Wyvern Voluntary"}
OBSERVERS = ("Olwen Vasquez", "Ruaridh Penhallow")
SERIES = "Northgate Partnership"
TITLE = "Northgate Board Quarterly"
AGENDA = ("Budget Fjordview", "Housing Thistledown")
# Every name, organisation, observer and typed title: none may appear in a keyed output.
SECRETS = (*PEOPLE.values(), *ORGANISATIONS.values(), *OBSERVERS, SERIES, TITLE, *AGENDA, "said my board")


def programme_meeting(
    codebook: Codebook, observer: int, session_id: str, date: dt.date = dt.date(2026, 3, 2), spelling: bool = False
) -> SessionData:
    """``hand_meeting`` (numbers worked out by hand there) as the programme's ``observer`` (0 or 1) coded it: the
    second observer's archive knows the same people under other ids, and (``spelling``) types names in other case
    and spacing, which the key treats as the same name."""
    data = hand_meeting(codebook, session_id, date)
    session = data.session
    suffix = "" if observer == 0 else "-b"

    def name(text: str) -> str:
        return text.upper().replace(" ", "  ") if spelling else text

    organisations = [
        o.model_copy(update={"id": f"{o.id}{suffix}", "name": name(ORGANISATIONS[o.id]), "short": "RBC"})
        for o in session.organisations
    ]
    participants = [
        p.model_copy(
            update={
                "id": f"{p.id}{suffix}",
                "name": name(PEOPLE[p.id]),
                "organisation_id": f"{p.organisation_id}{suffix}",
            }
        )
        for p in session.participants
    ]
    attendance = [a.model_copy(update={"participant_id": f"{a.participant_id}{suffix}"}) for a in session.attendance]
    agenda = [
        AgendaItem(id=item.id, title=AGENDA[index], start_s=item.start_s, wall_time=at(item.start_s))
        for index, item in enumerate(session.agenda_items)
    ]
    renamed = session.model_copy(
        update={
            "title": TITLE,
            "series": SERIES,
            "observer": OBSERVERS[observer],
            "organisations": organisations,
            "participants": participants,
            "attendance": attendance,
            "agenda_items": agenda,
            "planned_agenda": list(AGENDA),
            "notes": f"{PEOPLE['pa']} chaired",
        }
    )
    contributions = [
        c.model_copy(
            update={
                "participant_id": f"{c.participant_id}{suffix}" if c.participant_id else None,
                "organisation_id": f"{c.organisation_id}{suffix}",
            }
        )
        for c in data.contributions
    ]
    return SessionData(session=renamed, contributions=contributions)


def two_archives(root: Path, codebook: Codebook) -> tuple[Path, Path]:
    """Observer A's archive (two meetings of the series) and observer B's (a second coding of the first)."""
    first, second = root / "a", root / "b"
    archive_a, archive_b = Archive(first), Archive(second)
    archive_a.add_session(programme_meeting(codebook, 0, "s-a1"))
    archive_a.add_session(programme_meeting(codebook, 0, "s-a2", dt.date(2026, 4, 6)))
    b = programme_meeting(codebook, 1, "s-b1", spelling=True)
    archive_b.add_session(
        SessionData(session=b.session.model_copy(update={"meeting_id": "s-a1"}), contributions=b.contributions)
    )
    return first, second


def invoke(data_dir: Path | None, *args: str) -> Any:
    prefix = ["--data-dir", str(data_dir)] if data_dir is not None else []
    return CliRunner().invoke(main, [*prefix, *args])


def leaks(path: Path) -> list[str]:
    """Every secret found in ``path`` (casefolded; every part of a workbook, its properties included)."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as workbook:
            # Character references unescaped: a workbook writes "Ó" as "&#211;".
            text = "\n".join(html.unescape(workbook.read(name).decode("utf-8")) for name in workbook.namelist())
    else:
        text = path.read_text(encoding="utf-8-sig")
    folded = " ".join(text.casefold().split())
    return [secret for secret in SECRETS if " ".join(secret.casefold().split()) in folded]


def every_file(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())
