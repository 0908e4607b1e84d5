"""Rosters: who is expected in the room, read from CSV or XLSX, and turned into a new session.

Participants keep their ids across meetings: a name and organisation seen before in the archive gets the
id it had (the latest session of the same series is preferred).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from observer.core.codebook_models import Codebook
from observer.core.errors import InputError
from observer.core.fields import MAX_ATTENDEES, MAX_PLANNED_ITEMS, new_id, organisation_id_for, text_problem
from observer.core.models import Attendance, Organisation, Participant, Session, SessionData
from observer.core.text import name_key

ROSTER_COLUMNS = ("name", "organisation", "role", "short")
SHORT_MAX = 6  # an organisation's short name, for narrow columns


@dataclass(frozen=True)
class RosterEntry:
    name: str
    organisation: str
    role: str = ""
    short: str = ""  # the organisation's short name ("ICB"); else its initials


def read_roster(path: Path) -> list[RosterEntry]:
    """Rows of ``name, organisation[, role]`` from a .csv or .xlsx file; InputError names file, row and field."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise InputError(f"{path}: no such roster file")
    if suffix == ".csv":
        rows = _csv_rows(path)
    elif suffix == ".xlsx":
        rows = _xlsx_rows(path)
    else:
        raise InputError(f"{path}: a roster must be a .csv or .xlsx file")
    return _entries_from_rows(path, rows)


# A roster of MAX_ATTENDEES people is some tens of kB in any format: a workbook that unpacks to more than this
# is not a roster (an XLSX is a zip, and a small zip can unpack to gigabytes).
XLSX_UNPACKED_MAX = 50_000_000


def _csv_rows(path: Path) -> list[list[str]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            # Excel writes ';' where the decimal mark is a comma (much of Europe): take what the header uses.
            delimiter = ","
            with contextlib.suppress(csv.Error):
                delimiter = csv.Sniffer().sniff(handle.readline(), delimiters=",;\t").delimiter
            handle.seek(0)
            return _capped(path, csv.reader(handle, delimiter=delimiter))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text (save the roster as 'CSV UTF-8')") from None
    except csv.Error as error:
        raise InputError(f"{path}: not a readable CSV file ({error})") from None


def _xlsx_rows(path: Path) -> list[list[str]]:
    from zipfile import BadZipFile, ZipFile

    from openpyxl import load_workbook

    try:
        with ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
        if unpacked > XLSX_UNPACKED_MAX:
            raise InputError(
                f"{path}: unpacks to {unpacked / 1e6:,.0f} MB, far more than a roster (refused before reading it)"
            )
        # data_only: a formula cell gives the value Excel saved with it (the formula itself is no name).
        workbook = load_workbook(path, read_only=True, data_only=True)
        formulas = load_workbook(path, read_only=True, data_only=False)
    except (BadZipFile, OSError, KeyError, ValueError) as error:
        raise InputError(f"{path}: not a readable .xlsx workbook ({error})") from None
    try:
        sheet, typed = workbook.worksheets[0], formulas.worksheets[0]
        rows = (
            [_xlsx_cell(path, number, value, formula) for value, formula in zip(row, typed_row, strict=False)]
            for number, (row, typed_row) in enumerate(
                zip(sheet.iter_rows(values_only=True), typed.iter_rows(values_only=True), strict=False), start=1
            )
        )
        return _capped(path, rows)
    finally:
        workbook.close()
        formulas.close()


def _xlsx_cell(path: Path, row: int, value: object, formula: object) -> str:
    if value is None and isinstance(formula, str) and formula.startswith("="):
        raise InputError(
            f"{path}, row {row}: a formula cell ({formula[:40]}) with no saved value; open the file in a "
            "spreadsheet and save it again, or type the value"
        )
    return "" if value is None else str(value)


def _capped(path: Path, rows: Iterable[list[str]]) -> list[list[str]]:
    """The rows of a roster, read no further than a roster can go: a huge file is refused, not loaded."""
    kept: list[list[str]] = []
    for row in rows:
        if any(cell.strip() for cell in row):
            kept.append(row)
            if len(kept) > MAX_ATTENDEES + 1:  # the header, then one attendee too many
                raise InputError(
                    f"{path}: more than {MAX_ATTENDEES} attendees (row {len(kept)}); a session holds at most "
                    f"{MAX_ATTENDEES}"
                )
    return kept


def _entries_from_rows(path: Path, rows: list[list[str]]) -> list[RosterEntry]:
    """``rows``: the file's non-empty rows (``_capped`` keeps only those)."""
    if not rows:
        raise InputError(f"{path}: the roster is empty (expected a header row: name, organisation, role)")
    header = [cell.strip().casefold() for cell in rows[0]]
    for required in ("name", "organisation"):
        if required not in header:
            raise InputError(f"{path}, row 1: missing column '{required}' (found: {', '.join(header) or 'none'})")
    unknown = [column for column in header if column and column not in ROSTER_COLUMNS]
    if unknown:
        raise InputError(f"{path}, row 1: unknown column '{unknown[0]}' (expected name, organisation, role, short)")
    index = {column: header.index(column) for column in ROSTER_COLUMNS if column in header}
    entries: list[RosterEntry] = []
    seen: dict[tuple[str, str], int] = {}
    for row_number, row in enumerate(rows[1:], start=2):

        def cell(column: str, row: list[str] = row) -> str:
            position = index.get(column)
            return row[position].strip() if position is not None and position < len(row) else ""

        entry = RosterEntry(cell("name"), cell("organisation"), cell("role"), cell("short"))
        if len(entry.short) > SHORT_MAX:
            raise InputError(
                f"{path}, row {row_number}, field 'short': '{entry.short}' is longer than {SHORT_MAX} characters"
            )
        for field_name in ROSTER_COLUMNS:
            value = getattr(entry, field_name)
            if not value and field_name in ("name", "organisation"):
                raise InputError(f"{path}, row {row_number}, field '{field_name}': empty")
            problem = text_problem(value)
            if problem:
                raise InputError(f"{path}, row {row_number}, field '{field_name}': {problem}")
        identity = (entry.name.casefold(), entry.organisation.casefold())
        if identity in seen:
            raise InputError(
                f"{path}, row {row_number}, field 'name': '{entry.name}' of '{entry.organisation}' "
                f"is already on row {seen[identity]}"
            )
        seen[identity] = row_number
        entries.append(entry)
    return entries


def same_series(typed: str, stored: str) -> bool:
    """Whether a series typed names a stored one: case, accents and spacing do not make another partnership."""
    return name_key(typed) == name_key(stored)


def series_as_known(typed: str, sessions: Iterable[SessionData]) -> str:
    """The series as the archive already spells it, when ``typed`` names one ("north board" -> "North Board");
    else as typed. One partnership is one series, whoever typed its name."""
    typed = typed.strip()
    known = sorted({data.session.series for data in sessions if data.session.series})
    return next((series for series in known if same_series(typed, series)), typed) if typed else typed


def same_meeting(a: Session, b: Session) -> bool:
    """Whether two sessions look like codings of one meeting: the same series, date and title (whatever the case,
    accents or spacing), by different observers."""
    return (
        a.meeting_date == b.meeting_date
        and same_series(a.series, b.series)
        and name_key(a.title) == name_key(b.title)
        and name_key(a.observer) != name_key(b.observer)
    )


def first_coding_of(session: Session, sessions: Iterable[SessionData]) -> str | None:
    """The meeting id of the archive's coding of the meeting ``session`` codes, when exactly one meeting matches
    (see ``same_meeting``); None when none does, or when several do and a guess could link the wrong one."""
    meetings = {data.session.meeting for data in sessions if same_meeting(session, data.session)}
    meetings.discard(session.id)  # its own second codings (in the same bundle) are of its own meeting
    return next(iter(meetings)) if len(meetings) == 1 else None


def build_session(
    *,
    title: str,
    codebook: Codebook,
    meeting_date: dt.date,
    series: str = "",
    observer: str = "",
    roster: list[RosterEntry] = (),  # type: ignore[assignment]
    known_sessions: Iterable[SessionData] = (),
    agenda: Sequence[str] = (),
) -> Session:
    """A new session whose participants reuse the ids they had in earlier sessions of the archive.

    InputError names the field that cannot be stored (a control character, too long, too many attendees).
    """
    for field_name, value in (("title", title), ("series", series), ("observer", observer)):
        problem = text_problem(value.strip())
        if problem:
            raise InputError(f"{field_name}: {problem}")
    if not title.strip():
        raise InputError("title: a session needs a title")
    planned = [item.strip() for item in agenda if item.strip()]
    if len(planned) > MAX_PLANNED_ITEMS:
        raise InputError(f"agenda: {len(planned)} items; a session plans at most {MAX_PLANNED_ITEMS}")
    for number, item in enumerate(planned, start=1):
        problem = text_problem(item)
        if problem:
            raise InputError(f"agenda item {number}: {problem}")
    if len(roster) > MAX_ATTENDEES:
        raise InputError(f"roster: {len(roster)} attendees; a session holds at most {MAX_ATTENDEES}")
    for number, entry in enumerate(roster, start=1):
        for field_name in ROSTER_COLUMNS:
            problem = text_problem(getattr(entry, field_name).strip())
            if problem:
                raise InputError(f"roster line {number}, field '{field_name}': {problem}")
    known = sorted(
        known_sessions,
        # Latest first, and the same series before others: that id wins.
        key=lambda d: (same_series(d.session.series, series), d.session.meeting_date, d.session.created_at),
        reverse=True,
    )
    known_participants: dict[tuple[str, str], str] = {}
    known_organisations: dict[str, str] = {}
    organisation_names: dict[str, set[str]] = {}  # id -> the names it stands for in the archive
    for data in known:
        for organisation in data.session.organisations:
            known_organisations.setdefault(organisation.name.casefold(), organisation.id)
            organisation_names.setdefault(organisation.id, set()).add(organisation.name.casefold())
        for participant in data.session.participants:
            employer = data.session.organisation(participant.organisation_id)
            if employer is not None:
                key = (participant.name.casefold(), employer.name.casefold())
                known_participants.setdefault(key, participant.id)

    organisations: dict[str, Organisation] = {}
    participants: list[Participant] = []
    for entry in roster:
        folded = entry.organisation.casefold()
        if folded not in organisations:
            taken_here = {o.id for o in organisations.values()}
            organisation_id = known_organisations.get(folded)
            if organisation_id is None or organisation_id in taken_here:
                # A new name never takes an id another organisation has here or elsewhere in the archive.
                taken = taken_here | {id_ for id_, names in organisation_names.items() if names != {folded}}
                organisation_id = base = organisation_id_for(entry.organisation)
                counter = 1
                while organisation_id in taken:
                    counter += 1
                    organisation_id = f"{base}-{counter}"
            organisations[folded] = Organisation(id=organisation_id, name=entry.organisation, short=entry.short or None)
        participant_id = known_participants.get((entry.name.casefold(), folded)) or new_id("p")
        participants.append(
            Participant(id=participant_id, name=entry.name, organisation_id=organisations[folded].id, role=entry.role)
        )
    return Session(
        id=new_id("s"),
        title=title,
        series=series,
        meeting_date=meeting_date,
        observer=observer,
        codebook=codebook,
        organisations=list(organisations.values()),
        participants=participants,
        attendance=[Attendance(participant_id=p.id) for p in participants],
        planned_agenda=planned,
    )
