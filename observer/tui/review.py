"""Review: one session's summary (also shown when a session ends), and a series' trends."""

from __future__ import annotations

from pathlib import Path

from rich.console import RenderableType
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from observer.analysis.agreement import DEFAULT_SLICE_S, DEFAULT_TOLERANCE_S, check_seconds, compare
from observer.analysis.metrics import summarise
from observer.analysis.sequence_words import findings
from observer.analysis.trends import series_trend
from observer.core.errors import ObserverError
from observer.core.models import SessionData
from observer.present.report import agreement_renderable, summary_renderable, trend_renderable
from observer.storage import Archive
from observer.storage.paths import export_path
from observer.tui.dialogs import PathPrompt, TextPrompt
from observer.tui.messages import GoHome


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
        self.query_one("#review", Static).loading = True
        self._compute()

    @work(thread=True, exclusive=True, group="review")
    def _compute(self) -> None:
        """The summary and its findings (a permutation test among them) off the event loop: keys keep working."""
        try:
            data = self.data or self.archive.load(self.session_id)
            shown: RenderableType = summary_renderable(summarise(data), data, findings([data]))
        except ObserverError as error:
            shown = Text.assemble(("Cannot show this session: ", "bold"), str(error))
        self.app.call_from_thread(_show, self.query_one("#review", Static), shown)

    def action_back(self) -> None:
        self.post_message(GoHome())


class TrendsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("x", "export", "Trend workbook"),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]

    def __init__(
        self, series: str, sessions: list[SessionData], archive: Archive | None = None, left_out: int = 0
    ) -> None:
        super().__init__()
        self.series = series
        self.sessions = sessions
        self.archive = archive
        self.left_out = left_out  # unfinished sessions of the series, not counted

    def action_export(self) -> None:
        """The series' trend workbook (the coordinator's Dashboard first), to a file named here."""
        default = export_path(Path.cwd(), f"observer-trends-{self.series or 'series'}")

        def chosen(path: str | None) -> None:
            if path:
                self._export(Path(path).expanduser())

        self.app.push_screen(PathPrompt("Write the trend workbook to (.xlsx)", str(default)), chosen)

    @work(thread=True, exclusive=True, group="trend-export")
    def _export(self, path: Path) -> None:
        from observer.interop.export import ExportOptions, export_trends

        try:
            if self.archive is not None:
                path = self.archive.paths.check_output(path)
            export_trends(self.sessions, self.series, path, ExportOptions(), self.left_out)
        except ObserverError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error", timeout=8)
            return
        self.app.call_from_thread(self.notify, f"saved {path}", timeout=6)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(id="trends")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#trends", Static).loading = True
        self._compute()

    @work(thread=True, exclusive=True, group="trends")
    def _compute(self) -> None:
        trend = series_trend(self.sessions, self.series, self.left_out)
        shown = trend_renderable(trend, findings(self.sessions))
        self.app.call_from_thread(_show, self.query_one("#trends", Static), shown)


class AgreementScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("o", "offset", "Clock offset"),
    ]

    def __init__(self, first: SessionData, second: SessionData) -> None:
        super().__init__()
        self.first, self.second = first, second
        self.offset_s: float | None = None  # None: from their start times (as observer agreement without --offset)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(id="agreement")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#agreement", Static).loading = True
        self._compute()

    @work(thread=True, exclusive=True, group="agreement")
    def _compute(self) -> None:
        try:
            shown: RenderableType = agreement_renderable(compare(self.first, self.second, offset_s=self.offset_s))
        except ObserverError as error:
            shown = Text.assemble(
                ("Cannot compare these sessions: ", "bold"),
                str(error).replace("give --offset", "o gives the offset").replace("or --offset", "or o the offset"),
                "\n\no gives the offset: the seconds to add to B's clock to read A's.",
            )
        self.app.call_from_thread(_show, self.query_one("#agreement", Static), shown)

    def action_offset(self) -> None:
        def given(text: str | None) -> None:
            if text is None:
                return
            try:
                offset = float(text.strip()) + 0.0  # "-0" is 0 seconds: never "clock offset -0.0 s"
                check_seconds(DEFAULT_SLICE_S, DEFAULT_TOLERANCE_S, offset)
            except (ValueError, ObserverError):
                self.notify(f"'{text}' is not an offset: a number of seconds within a week either way", timeout=6)
                return
            self.offset_s = offset
            self.query_one("#agreement", Static).loading = True
            self._compute()

        current = "" if self.offset_s is None else f"{self.offset_s:g}"
        self.app.push_screen(TextPrompt("Seconds to add to B's clock to read A's (e.g. 0, 12.5, -30)", current), given)


def _show(panel: Static, shown: RenderableType) -> None:
    panel.update(shown)
    panel.loading = False
