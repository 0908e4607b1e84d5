"""Review: one session's summary (also shown when a session ends), and a series' trends."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from observer.agreement import Comparison, compare
from observer.coding import format_clock
from observer.errors import ObserverError
from observer.metrics import (
    QUADRANT_ROW_LABELS,
    RELATIONAL,
    TRANSACTIONAL,
    UNCODED,
    SessionSummary,
    Trend,
    series_trend,
    summarise,
)
from observer.models import SessionData
from observer.store import Archive

BAR_WIDTH = 24


def bar(value: float | None, width: int = BAR_WIDTH) -> str:
    if value is None:
        return ""
    filled = max(0.0, min(1.0, value)) * width
    return "█" * int(filled) + ("▌" if filled - int(filled) >= 0.5 else "")


def number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def summary_renderable(summary: SessionSummary, data: SessionData) -> Group:
    session = data.session
    heading = Text.assemble(
        (session.title, "bold"),
        f"  ·  {session.series or 'no series'}  ·  {session.meeting_date}  ·  ",
        f"{summary.contributions} contributions over {format_clock(summary.observed_s)} observed",
    )
    indices = summary.indices
    headline = Table(title="Headline", title_justify="left", show_header=True, expand=False)
    headline.add_column("index")
    headline.add_column("by count", justify="right")
    headline.add_column("", min_width=BAR_WIDTH)
    headline.add_column("by time", justify="right")
    headline.add_row("Partnership-first (PFI)", number(indices.pfi), bar(indices.pfi), number(indices.pfi_time))
    headline.add_row("Relational (RI)", number(indices.ri), bar(indices.ri), number(indices.ri_time))

    quadrant = Table(title="Orientation × topic", title_justify="left")
    quadrant.add_column("")
    for column in ("transactional", "relational", "uncoded", "total"):
        quadrant.add_column(column, justify="right")
    for quadrant_row in summary.quadrant.rows:
        counts = summary.quadrant.counts[quadrant_row]
        quadrant.add_row(
            QUADRANT_ROW_LABELS[quadrant_row],
            str(counts[TRANSACTIONAL]),
            str(counts[RELATIONAL]),
            str(counts[UNCODED]),
            str(summary.quadrant.row_totals[quadrant_row]),
        )

    organisations = Table(title="Organisations: airtime against share of the room", title_justify="left")
    for column in (
        "organisation",
        "present",
        "contrib.",
        "airtime",
        "share of airtime",
        "",
        "room",
        "ratio",
        "PFI",
        "RI",
    ):
        organisations.add_column(column, justify="left" if column in ("organisation", "") else "right")
    for row in summary.organisations:
        organisations.add_row(
            Text(row.name),  # typed text: Rich reads a plain str cell as markup
            str(row.attendees_present),
            str(row.contributions),
            format_clock(row.airtime_s),
            percent(row.share_airtime),
            bar(row.share_airtime),
            percent(row.share_of_room),
            number(row.airtime_ratio),
            number(row.pfi),
            number(row.ri),
        )

    people = Table(title="Participants", title_justify="left")
    for column in ("participant", "contrib.", "airtime", "share", "PFI", "RI"):
        people.add_column(column, justify="left" if column == "participant" else "right")
    for row in sorted(summary.participants, key=lambda r: -r.airtime_s):
        people.add_row(
            Text(row.name),
            str(row.contributions),
            format_clock(row.airtime_s),
            percent(row.share_airtime),
            number(row.pfi),
            number(row.ri),
        )

    agenda = Table(title="By agenda item", title_justify="left")
    for column in ("item", "start", "contrib.", "PFI", "", "RI", "flags"):
        agenda.add_column(column, justify="left" if column in ("item", "") else "right")
    for item in summary.agenda:
        agenda.add_row(
            Text(item.label),
            format_clock(item.start_s),
            str(item.contributions),
            number(item.pfi),
            bar(item.pfi, 12),
            number(item.ri),
            str(item.flags),
        )

    flags = Table(title="Flags", title_justify="left")
    flags.add_column("flag")
    flags.add_column("count", justify="right")
    flags.add_column("per hour", justify="right")
    for flag in session.codebook.flags:
        flags.add_row(Text(flag.label), str(summary.flag_counts[flag.id]), number(summary.flags_per_hour[flag.id], 1))

    parts: list[object] = [heading, Text(), headline, quadrant, organisations, people, agenda, flags]
    if summary.coordinator_candidates:
        text = Text("Coordinator candidates: ", style="bold")
        text.append("; ".join(f"{c.name} ({', '.join(c.reasons)})" for c in summary.coordinator_candidates))
        parts.append(text)
    return Group(*parts)  # type: ignore[arg-type]


class ReviewScreen(Screen[None]):
    BINDINGS = [Binding("escape,q", "back", "Back"), Binding("ctrl+q", "app.quit", "Quit")]

    def __init__(self, archive: Archive, session_id: str, data: SessionData | None = None, ended: bool = False) -> None:
        super().__init__()
        self.archive = archive
        self.session_id = session_id
        self.data = data
        self.ended = ended

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="review-body"):
            if self.ended:
                yield Static(
                    "[b]Session ended.[/b] Everything is saved. Escape returns to Home; "
                    "x on Home exports the workbook.",
                    id="ended-note",
                )
            yield Static(id="review")
        yield Footer()

    def on_mount(self) -> None:
        data = self.data or self.archive.load(self.session_id)
        self.query_one("#review", Static).update(summary_renderable(summarise(data), data))

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            from observer.tui.home import HomeScreen

            self.app.switch_screen(HomeScreen(self.archive))


def trend_renderable(trend: Trend) -> Group:
    table = Table(title=Text(f"Series: {trend.series or '(no series)'}"), title_justify="left")
    for column in ("date", "title", "contrib.", "minutes", "PFI", "", "RI", "", "flags/h"):
        table.add_column(column, justify="left" if column in ("date", "title", "") else "right")
    for row in trend.rows:
        table.add_row(
            row.meeting_date.isoformat(),
            Text(row.title),
            str(row.contributions),
            f"{row.observed_minutes:.0f}",
            number(row.pfi),
            bar(row.pfi, 12),
            number(row.ri),
            bar(row.ri, 12),
            number(row.flags_per_hour, 1),
        )
    changes = Text()
    for name, label in (("pfi", "PFI"), ("ri", "RI")):
        changes.append(
            f"{label}: first→last {number(trend.change[name])}, slope per meeting {number(trend.slope[name], 3)}\n"
        )
    organisations = Table(title="Airtime share by organisation", title_justify="left")
    organisations.add_column("organisation")
    for row in trend.rows:
        organisations.add_column(row.meeting_date.isoformat(), justify="right")
    for organisation_id, name in trend.organisations.items():
        organisations.add_row(
            Text(name), *[percent(row.organisation_airtime_share.get(organisation_id)) for row in trend.rows]
        )
    return Group(table, changes, organisations)


class TrendsScreen(Screen[None]):
    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back")]

    def __init__(self, series: str, sessions: list[SessionData]) -> None:
        super().__init__()
        self.series = series
        self.sessions = sessions

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(trend_renderable(series_trend(self.sessions, self.series)))
        yield Footer()


def agreement_renderable(comparison: Comparison) -> Group:
    heading = Text.assemble(
        ("Agreement ", "bold"),
        f"A = {comparison.session_a}, B = {comparison.session_b} · clock offset "
        f"{comparison.offset_s:+.1f} s · {(comparison.common_end_s - comparison.common_start_s) / 60:.1f} min in "
        f"common · {comparison.matched_pairs} contributions matched, {comparison.unmatched_a} only in A, "
        f"{comparison.unmatched_b} only in B",
    )
    table = Table(title="By dimension", title_justify="left")
    for column in ("dimension", "method", "n", "Po", "kappa", "PABAK", "Landis & Koch"):
        table.add_column(column, justify="left" if column in ("dimension", "method", "Landis & Koch") else "right")
    for row in comparison.dimensions:
        for method, result in (("time-sliced", row.time_sliced), ("contribution-matched", row.matched)):
            if result is not None:
                table.add_row(
                    row.dimension,
                    method,
                    str(result.n),
                    number(result.po),
                    number(result.kappa),
                    number(result.pabak),
                    result.label,
                )
    parts: list[object] = [heading, *[Text(f"Note: {w}", style="yellow") for w in comparison.warnings], table]
    for row in comparison.dimensions:
        if row.dimension == "speaker":
            continue
        result = row.matched or row.time_sliced
        matrix = Table(
            title=f"{row.dimension}: confusion matrix, contribution-matched (rows A, columns B)", title_justify="left"
        )
        matrix.add_column("A \\ B")
        for category in result.categories:
            matrix.add_column(category, justify="right")
        for category in result.categories:
            matrix.add_row(category, *[str(result.confusion[category][other]) for other in result.categories])
        parts.append(matrix)
    return Group(*parts)  # type: ignore[arg-type]


class AgreementScreen(Screen[None]):
    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back")]

    def __init__(self, first: SessionData, second: SessionData) -> None:
        super().__init__()
        self.first, self.second = first, second

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(id="agreement")
        yield Footer()

    def on_mount(self) -> None:
        try:
            comparison = compare(self.first, self.second)
        except ObserverError as error:
            reason = Text.assemble(("Cannot compare these sessions: ", "bold"), str(error))
            self.query_one("#agreement", Static).update(reason)
            return
        self.query_one("#agreement", Static).update(agreement_renderable(comparison))
