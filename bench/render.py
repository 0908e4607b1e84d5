"""Print the workbooks as their readers would, through LibreOffice, and check that each first sheet is one page.

Builds the demo archive (or uses --data-dir; a fresh one is `observer demo --sessions 4 --contributions 160
--seed 29`), exports the first session's workbook, its series' trend workbook, and the workbook of a crowded
meeting (40 people of 10 organisations, 12 agenda items, 600 contributions); then for each: the whole workbook
as PDF, the first sheet alone as PDF (the other sheets hidden in a copy) and that sheet's pages as PNG, to look
at. Exit 1 when a Summary or the Dashboard takes more than one page. Skips cleanly, exit 0, where LibreOffice
(soffice) or poppler (pdfinfo, pdftoppm) is not installed.

Usage: python bench/render.py [--data-dir DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import load_workbook

from observer.interop.demo import crowded_meeting, generate_demo
from observer.interop.export import ExportOptions, export_sessions, export_trends
from observer.storage import Archive

TOOLS = ("soffice", "pdfinfo", "pdftoppm")


def to_pdf(workbook: Path, out: Path) -> Path:
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(out), str(workbook)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out / f"{workbook.stem}.pdf"


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    return int(match.group(1)) if match else 0


def first_sheet_only(workbook: Path, out: Path) -> Path:
    """A copy with every sheet but the first hidden: its charts still read the hidden sheets' cells."""
    book = load_workbook(workbook)
    for sheet in book.worksheets[1:]:
        sheet.sheet_state = "hidden"
    copy = out / f"{workbook.stem}-first-sheet.xlsx"
    book.save(copy)
    return copy


def render(workbook: Path, out: Path) -> int:
    whole = pages(to_pdf(workbook, out))
    first = to_pdf(first_sheet_only(workbook, out), out)
    count = pages(first)
    subprocess.run(["pdftoppm", "-png", "-r", "80", str(first), str(out / f"{workbook.stem}-first-sheet")], check=True)
    sheet = load_workbook(workbook, read_only=True).sheetnames[0]
    verdict = "one page" if count == 1 else f"{count} PAGES"
    print(f"{workbook.name}: {sheet} prints on {verdict}; the whole workbook {whole} pages")
    for png in sorted(out.glob(f"{workbook.stem}-first-sheet*.png")):
        print(f"  look at {png}")
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=None, help="An archive (default: a fresh demo archive).")
    parser.add_argument("--out", type=Path, default=None, help="Where the workbooks, PDFs and PNGs go.")
    args = parser.parse_args()
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        print(f"skipped: {', '.join(missing)} not installed (apt-get install libreoffice-calc-nogui poppler-utils)")
        return 0
    out = args.out or Path(tempfile.mkdtemp(prefix="observer-render-"))
    out.mkdir(parents=True, exist_ok=True)
    archive = Archive(args.data_dir or out / "data")
    headers = archive.headers()[0]
    if not headers:
        generate_demo(archive, sessions=4, contributions=160, seed=29)
        headers = archive.headers()[0]
    first = min((h.session for h in headers), key=lambda session: (session.meeting_date, session.created_at))
    series = [archive.load(h.session.id) for h in headers if h.session.series == first.series]
    export_sessions([archive.load(first.id)], out / "session.xlsx")
    export_trends(series, first.series, out / "trend.xlsx", ExportOptions())
    export_sessions([crowded_meeting()], out / "crowded.xlsx")
    pages_of = {
        workbook.name: render(workbook, out)
        for workbook in (out / "session.xlsx", out / "trend.xlsx", out / "crowded.xlsx")
    }
    over = [name for name, count in pages_of.items() if count != 1]
    if over:
        print(f"MORE THAN ONE PAGE: {', '.join(over)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
