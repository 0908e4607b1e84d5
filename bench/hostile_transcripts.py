"""Hostile transcripts: how long ``observer transcript import`` takes on each, and its peak memory.

The inputs of the fourth attack round: cues whose tags made the old patterns backtrack, a small .docx that unpacks
to hundreds of megabytes of empty paragraphs, one of hundreds of thousands of turns, and, for scale, a Teams
transcript of a long meeting as it should be. Each import runs in a fresh process, so that its peak memory
(``ru_maxrss``) is its own; what it answered (a session, or the one-line refusal) is printed beside the figures.
Usage: python bench/hostile_transcripts.py [--dir D]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
RELATIONSHIPS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>'
)


def docx(path: Path, chunks: list[bytes]) -> Path:
    """A Word package whose document is the chunks in a body, written a chunk at a time."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("_rels/.rels", RELATIONSHIPS)
        with package.open("word/document.xml", "w", force_zip64=True) as document:
            document.write(f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}"><w:body>'.encode())
            for chunk in chunks:
                document.write(chunk)
            document.write(b"</w:body></w:document>")
    return path


def paragraph(text: str) -> bytes:
    return f"<w:p><w:r><w:t xml:space='preserve'>{text}</w:t></w:r></w:p>".encode()


def inputs(folder: Path) -> list[tuple[str, Path]]:
    made = []
    vtt = folder / "voice-tags.vtt"  # 120 KB: 26-29 s before
    vtt.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n" + "<v " * 40_000 + "\n")
    made.append(("120 KB cue of '<v ' × 40,000", vtt))
    vtt = folder / "brackets.vtt"  # many minutes before
    vtt.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n" + "<" * 1_000_000 + "\n")
    made.append(("1 MB cue of '<'", vtt))
    empty = [b"<w:p/>" * 100_000] * 330  # 33 million empty paragraphs: 198 MB unpacked
    made.append(("docx: 198 MB of empty paragraphs", docx(folder / "empty.docx", empty)))
    turns = [
        paragraph(f"{'Ann Lee' if n % 2 else 'Bob Khan'}   {n // 3600}:{n // 60 % 60:02d}:{n % 60:02d}")
        + paragraph("Hi.")
        for n in range(360_000)
    ]
    made.append(("docx: 360,000 turns", docx(folder / "turns.docx", turns)))
    said = "We could pool the budget and report back to the board next month. " * 3
    meeting = [paragraph(f"{SPEAKERS[n % 3]}   {clock(n * 15)}") + paragraph(said) for n in range(2_000)]
    made.append(("docx: a meeting of 2,000 turns (8 hours)", docx(folder / "meeting.docx", meeting)))
    largest = [paragraph(f"{SPEAKERS[n % 3]}   {clock(n * 5)}") + paragraph(said) for n in range(19_999)]
    made.append(("docx: 19,999 turns (the most taken)", docx(folder / "largest.docx", largest)))
    cues = folder / "cues.vtt"
    with cues.open("w") as handle:
        handle.write("WEBVTT\n\n")
        for n in range(199_999):  # one speaker's cues half a second apart: 199,999 cues, one turn
            start = f"{clock(n // 2)}.{n % 2 * 500:03d}"
            handle.write(f"{start} --> {clock(n // 2)}.{n % 2 * 500 + 400:03d}\n<v Ann Lee>Yes.</v>\n\n")
    made.append(("vtt: 199,999 cues (the most taken)", cues))
    return made


SPEAKERS = ("Ann Lee", "Bob Khan", "Cath Diaz")


def clock(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


MEASURE = """
import resource, sys, time
from observer.cli.main import main
began = time.perf_counter()
try:
    main(["--data-dir", sys.argv[1], "transcript", "import", sys.argv[2]], standalone_mode=True)
except SystemExit:
    pass
print(f"{time.perf_counter() - began:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="Where to write the inputs (default: a temp folder).")
    arguments = parser.parse_args()
    folder = arguments.dir or Path(tempfile.mkdtemp(prefix="hostile-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{'input':<44} {'file':>9} {'time':>8} {'peak RSS':>10}  answer")
    for label, path in inputs(folder):
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", MEASURE, str(folder / "data"), str(path)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        )
        wall = time.perf_counter() - began
        *said, figures = done.stderr.strip().splitlines() or ["?"]
        seconds, peak_kb = figures.split() if len(figures.split()) == 2 else (f"{wall:.2f}", "0")
        answer = (done.stdout.strip().splitlines() or said or [""])[0][:70]
        size = path.stat().st_size
        print(f"{label:<44} {size / 1024:>7,.0f}KB {float(seconds):>7.2f}s {int(peak_kb) / 1024:>8,.0f}MB  {answer}")


if __name__ == "__main__":
    main()
