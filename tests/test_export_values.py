"""The exports' values do not move when their code is rearranged: every sheet of the session and trend workbooks
of a fixed demo archive, cell by cell (charts and the About sheet's export time apart), is fingerprinted and
compared with the fingerprints kept in ``tests/data/golden``. A change that is meant to change what a workbook
says updates them with ``OBSERVER_UPDATE_GOLDEN=1 pytest tests/test_export_values.py``, and says why."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from observer.interop.demo import generate_demo
from observer.interop.export import ExportOptions, export_sessions, export_trends
from observer.storage import Archive

GOLDEN = Path(__file__).parent / "data" / "golden" / "workbook-values.json"


def _plain(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)  # ids are drawn afresh with each demo: their places are what is kept
    if isinstance(value, float):
        return f"{value:.9g}"  # the last bits of a float may differ between machines' maths libraries
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def fingerprints(path: Path, ids: dict[str, str]) -> dict[str, str]:
    book = load_workbook(path, read_only=True)
    found = {}
    for sheet in book.worksheets:
        if sheet.title == "About":  # the moment of the export and the version
            continue
        rows = [[_plain(value, ids) for value in row] for row in sheet.iter_rows(values_only=True)]
        found[sheet.title] = hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()[:16]
    book.close()
    return found


def test_workbook_values_are_those_kept(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "data")
    generate_demo(archive, sessions=3, contributions=60)
    sessions = sorted(archive.load_all()[0], key=lambda data: (data.session.meeting_date, data.session.title))
    export_sessions(sessions[:1], tmp_path / "one.xlsx")
    export_sessions(sessions, tmp_path / "all.xlsx")
    series = sessions[0].session.series
    export_trends([s for s in sessions if s.session.series == series], series, tmp_path / "trend.xlsx", ExportOptions())
    ids = {data.session.id: f"session {i}" for i, data in enumerate(sessions)}
    for i, data in enumerate(sessions):
        session = data.session
        records = [*data.contributions, *session.participants, *session.organisations, *session.agenda_items]
        ids |= {record.id: f"{type(record).__name__} {i}.{j}" for j, record in enumerate(records)}
    found = {name: fingerprints(tmp_path / name, ids) for name in ("one.xlsx", "all.xlsx", "trend.xlsx")}
    if os.environ.get("OBSERVER_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(found, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    kept = json.loads(GOLDEN.read_text(encoding="utf-8"))
    changed = {
        f"{book}: {sheet}"
        for book in kept.keys() | found.keys()
        for sheet in kept.get(book, {}).keys() | found.get(book, {}).keys()
        if kept.get(book, {}).get(sheet) != found.get(book, {}).get(sheet)
    }
    assert sorted(changed) == []
