"""Every column a table or an export shows, declared once: its id (the tidy name the CSV, the JSON and R read),
its heading in words (a workbook's header row, a terminal's), and its kind.

A column that more than one table shows is declared here and only here; a table that heads it otherwise (the
terminal's "Airtime" over the tidy table's "Airtime (s)") takes the declared column and changes its heading
(``dataclasses.replace``, ``on_the_clock``), so its id and its meaning stay the same. A column that only one
table shows (a test's statistic, a square's cells) is declared beside that table.

Each writer takes what it needs from the kind: a workbook its number format and whether the cells hold typed
text (kept text, never a formula), the terminal its alignment and the way it prints the value. The ids an index
may not take (``models.RESERVED_INDEX_IDS``) are derived from these declarations, so a new column cannot be
forgotten there. Nothing here imports the rest of the program: every module can use it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol


class Kind(StrEnum):
    ID = "id"  # an id or a code: written as it is
    TEXT = "text"  # typed by a person (a name, a title, a note): never markup, never a formula, never translated
    WORDS = "words"  # the program's own words (a code's heading, "total", an index's definition)
    COUNT = "count"
    RATIO = "ratio"  # an index or a ratio: two decimals
    PERCENT = "percent"  # a share between 0 and 1
    RATE = "rate"  # per hour: one decimal
    MINUTES = "minutes"
    # A time or a length on the session clock is one quantity, a number of seconds, shown in one of two ways:
    CLOCK_SECONDS = "clock_seconds"  # as the number, for analysis (a tidy table's start_s, airtime_s)
    CLOCK_HMS = "clock_hms"  # as h:mm:ss, for a reader (a terminal, a workbook's page)
    DATE = "date"
    DATETIME = "datetime"
    P = "p"  # a p-value: three decimals, "< 0.001" below that


NUMBERS = frozenset(
    {Kind.COUNT, Kind.RATIO, Kind.PERCENT, Kind.RATE, Kind.MINUTES, Kind.CLOCK_SECONDS, Kind.CLOCK_HMS, Kind.P}
)


@dataclass(frozen=True)
class Column:
    id: str
    heading: str  # "": the table's title heads it where a renderer has no title of its own (a workbook page)
    kind: Kind
    colour: str | None = None  # a code's or an index's palette colour, where the column is one
    bar: bool = False  # a share or an index: a renderer that can draws a bar of it beside the number
    short: str = ""  # the heading where columns must be narrow (a terminal); "": the heading itself
    width: int | None = None  # characters, in a workbook; None: as wide as its heading needs
    optional: bool = False  # a reader can do without it where room is short (a narrow terminal); never dropped
    # from a workbook

    @property
    def numeric(self) -> bool:
        return self.kind in NUMBERS

    @property
    def narrow_heading(self) -> str:
        return self.short or self.heading


BY_TIME = "_time"  # an index's by-time value: its id with this suffix
FLAG_PREFIX = "flag_"  # a flag's 0/1 or count column: its id after this prefix


class NamedIndex(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def short(self) -> str: ...

    @property
    def heading(self) -> str: ...


def index_column(index: NamedIndex) -> Column:
    return Column(index.id, index.heading, Kind.RATIO, short=index.short)


def index_time_column(index: NamedIndex) -> Column:
    return Column(f"{index.id}{BY_TIME}", f"{index.heading} by time", Kind.RATIO, short=f"{index.short} by time")


def index_interval_columns(index: NamedIndex) -> tuple[Column, Column]:
    """The low and high bounds of an index's 95% interval (by count), as a trend's meetings carry them."""
    return (
        Column(f"{index.id}_low", f"{index.short} 95% low", Kind.RATIO),
        Column(f"{index.id}_high", f"{index.short} 95% high", Kind.RATIO),
    )


def on_the_clock(column: Column, heading: str) -> Column:
    """A tidy table's seconds as a reader sees them: the same column, h:mm:ss under ``heading`` (without "(s)")."""
    return replace(column, heading=heading, kind=Kind.CLOCK_HMS)


def flag_column(flag_id: str, label: str) -> Column:
    return Column(f"{FLAG_PREFIX}{flag_id}", f"Flag: {label}", Kind.COUNT)


def code_column(dimension_id: str) -> Column:
    """A dimension's code in the tidy table: headed by the dimension's id, as in the CSV."""
    return Column(dimension_id, dimension_id, Kind.ID)


# ---------------------------------------------------------------- the tidy tables

SESSION_ID = Column("session_id", "Session", Kind.ID, width=15)
ORGANISATION_ID = Column("organisation_id", "Organisation id", Kind.ID)
ORGANISATION = Column("organisation", "Organisation", Kind.TEXT, width=30)
CONTRIBUTIONS = Column("contributions", "Contributions", Kind.COUNT, short="Contrib.")
MEETING_DATE = Column("meeting_date", "Meeting date", Kind.DATE)
PARTICIPANT_ID = Column("participant_id", "Participant id", Kind.ID)
PARTICIPANT = Column("participant", "Participant", Kind.TEXT, width=24)
START_S = Column("start_s", "Start (s)", Kind.CLOCK_SECONDS)
END_S = Column("end_s", "End (s)", Kind.CLOCK_SECONDS)
LABEL = Column("label", "Label", Kind.TEXT, width=30)
SHARE_CONTRIBUTIONS = Column("share_contributions", "Share of contributions", Kind.PERCENT)
AIRTIME_S = Column("airtime_s", "Airtime (s)", Kind.CLOCK_SECONDS)
SHARE_AIRTIME = Column("share_airtime", "Share of airtime", Kind.PERCENT, short="Airtime %")
PARTICIPATION_RATIO = Column("participation_ratio", "Participation ratio", Kind.RATIO)
ATTENDEES_PRESENT = Column("attendees_present", "People present", Kind.COUNT, short="Present")
SHARE_OF_ROOM = Column("share_of_room", "Share of the room", Kind.PERCENT, short="Room %")
AIRTIME_RATIO = Column("airtime_ratio", "Airtime ratio", Kind.RATIO, short="Ratio")
SERIES = Column("series", "Series", Kind.TEXT)
SESSION_TITLE = Column("session_title", "Session title", Kind.TEXT)
OBSERVER = Column("observer", "Observer", Kind.TEXT)
CODEBOOK = Column("codebook", "Codebook", Kind.ID)
CODEBOOK_VERSION = Column("codebook_version", "Codebook version", Kind.ID)
AGENDA_ITEM = Column("agenda_item", "Agenda item", Kind.TEXT, width=28)
TITLE = Column("title", "Title", Kind.TEXT, width=34)
OBSERVED_S = Column("observed_s", "Observed (s)", Kind.CLOCK_SECONDS)  # a session's observed time
OBSERVED_MINUTES = Column("observed_minutes", "Observed minutes", Kind.MINUTES)
COUNT = Column("count", "Count", Kind.COUNT)
PER_HOUR = Column("per_hour", "Per hour", Kind.RATE)
TOTAL = Column("total", "total", Kind.COUNT)  # a table's total row or column
INDEX_NAME = Column("index", "Index", Kind.WORDS)  # an index's heading, as a row of a table of indices

# One row per contribution (the CSV, the Contributions sheet): then each dimension's code and each flag's 0/1.
CONTRIBUTION_LEAD = (
    SESSION_ID,
    Column("contribution_id", "Contribution id", Kind.ID, width=22),
    START_S,
    END_S,
    Column("duration_s", "Duration (s)", Kind.CLOCK_SECONDS),
    Column("wall_time", "Wall time", Kind.DATETIME, width=20),
    PARTICIPANT_ID,
    PARTICIPANT,
    ORGANISATION,
)
CONTRIBUTION_TAIL = (
    Column("note", "Note", Kind.TEXT, width=40),
    AGENDA_ITEM,
)
TURN_WORDS = Column("text", "Words", Kind.TEXT, width=60)  # a transcript turn's words: only when asked for
SESSION_FIELDS = (  # the CSV repeats its session's facts on every row
    SESSION_TITLE,
    SERIES,
    MEETING_DATE,
    OBSERVER,
    CODEBOOK,
    CODEBOOK_VERSION,
    ORGANISATION_ID,
)

# One row per organisation of a session: then each index, then each flag's count.
ORGANISATION_ROW = (
    SESSION_ID,
    ORGANISATION_ID,
    ORGANISATION,
    ATTENDEES_PRESENT,
    SHARE_OF_ROOM,
    CONTRIBUTIONS,
    SHARE_CONTRIBUTIONS,
    AIRTIME_S,
    SHARE_AIRTIME,
    PARTICIPATION_RATIO,
    AIRTIME_RATIO,
)
# One row per person: then each index, the coordinator candidate's reasons, then each flag's count.
PARTICIPANT_ROW = (
    SESSION_ID,
    PARTICIPANT_ID,
    PARTICIPANT,
    ORGANISATION,
    Column("present", "Present", Kind.COUNT),
    CONTRIBUTIONS,
    SHARE_CONTRIBUTIONS,
    AIRTIME_S,
    SHARE_AIRTIME,
)
COORDINATOR_CANDIDATE = Column("coordinator_candidate", "Coordinator candidate", Kind.TEXT, width=40)
# One row per agenda item or time bin: then each index, the flags in all, then each flag's count.
TIMELINE_ROW = (
    SESSION_ID,
    LABEL,
    START_S,
    END_S,
    CONTRIBUTIONS,
)
FLAGS = Column("flags", "Flags", Kind.COUNT)
FLAG_ROW = (
    SESSION_ID,
    Column("flag", "Flag", Kind.ID),
    LABEL,
    COUNT,
    PER_HOUR,
)

# A series: one row per meeting (then each index by count, each by time, then the flags per hour) and one row per
# organisation per meeting (then each index).
TREND_MEETING_ROW = (
    SESSION_ID,
    MEETING_DATE,
    TITLE,
    CONTRIBUTIONS,
    OBSERVED_MINUTES,
)
FLAGS_PER_HOUR = Column("flags_per_hour", "Flags per hour", Kind.RATE)
TREND_ORGANISATION_ROW = (
    SESSION_ID,
    MEETING_DATE,
    ORGANISATION_ID,
    ORGANISATION,
    # The same share as an organisation's row, published in the trend's CSV (and R scripts) as airtime_share.
    replace(SHARE_AIRTIME, id="airtime_share"),
    PARTICIPATION_RATIO,
)

# Every pair of a sequence analysis as a tidy table: what came at position t, what at t + lag (a code, or a name
# typed for a speaker).
TRANSITION_ROW = (
    Column("from", "From", Kind.TEXT, width=28),
    Column("to", "To", Kind.TEXT, width=28),
    COUNT,
    Column("expected", "Expected", Kind.RATIO),
    Column("probability", "Probability", Kind.RATIO),
    Column("adjusted_residual", "Adjusted residual", Kind.RATIO),
    Column("yules_q", "Yule's Q", Kind.RATIO),
)

# The pooled data package: one row per session, and one per agenda item of each session.
POOL_SESSION_ROW = (
    SESSION_ID,
    Column("meeting_id", "Meeting id", Kind.ID),
    OBSERVER,
    SERIES,
    SESSION_TITLE,
    MEETING_DATE,
    Column("status", "Status", Kind.ID),
    Column("source", "Source", Kind.ID),
    CODEBOOK,
    CODEBOOK_VERSION,
    OBSERVED_S,
    CONTRIBUTIONS,
)
POOL_AGENDA_ROW = (
    SESSION_ID,
    Column("agenda_item_id", "Agenda item id", Kind.ID),
    Column("position", "Position", Kind.COUNT),
    AGENDA_ITEM,
    START_S,
)

CODEBOOK_ROW = (
    CODEBOOK,
    Column("version", "Version", Kind.ID),
    Column("kind", "Kind", Kind.ID),
    Column("dimension", "Dimension", Kind.ID),
    Column("code", "Code", Kind.ID, width=22),
    Column("key", "Key", Kind.ID),
    Column("label", "Label", Kind.TEXT, width=24),
    Column("group", "Group", Kind.TEXT),
    Column("description", "Description", Kind.TEXT, width=80),
)

# The JSON records' own fields beside which an index's value is written (``records.summary_record``, the trend's
# rows): not columns of any table, but an index of one of these names would overwrite it all the same.
RECORD_FIELDS = frozenset(
    {
        "id",
        "name",
        "indices",
        "flag_counts",
        "index_counts",
        "interval",  # a trend row's 95% interval per index
        "index_definitions",
        "organisation_airtime_share",
        "organisation_participation_ratio",
        "organisation_indices",
    }
)

# The tables whose rows carry the indices as columns, and the contribution rows an index may one day join.
BESIDE_INDICES = (
    *CONTRIBUTION_LEAD,
    *CONTRIBUTION_TAIL,
    TURN_WORDS,
    *SESSION_FIELDS,
    *ORGANISATION_ROW,
    *PARTICIPANT_ROW,
    COORDINATOR_CANDIDATE,
    *TIMELINE_ROW,
    FLAGS,
    *TREND_MEETING_ROW,
    FLAGS_PER_HOUR,
    *TREND_ORGANISATION_ROW,
)
DECLARED = (*BESIDE_INDICES, *FLAG_ROW, *TRANSITION_ROW, *POOL_SESSION_ROW, *POOL_AGENDA_ROW, *CODEBOOK_ROW)
# The ids an index may not take: its column would stand beside one of these with the same name.
RESERVED_IDS = frozenset(column.id for column in BESIDE_INDICES) | RECORD_FIELDS
