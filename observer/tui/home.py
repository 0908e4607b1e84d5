"""Home: the sessions in the archive, and the way into everything else."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from observer.analysis.trends import trend_choice
from observer.core.columns import Kind
from observer.core.errors import ObserverError
from observer.core.models import SessionData, SessionStatus
from observer.core.text import export_name, plural
from observer.interop.roster import same_series
from observer.present import tables
from observer.storage import Archive, ListedSession, SessionProblem, paths
from observer.storage.header import ListingCache
from observer.tui.dialogs import Confirm, PathPrompt, Picker
from observer.tui.key_help import KeyList
from observer.tui.messages import OpenSession, ShowAgreement, ShowReview, ShowTrends, StartNewSession

WELCOME = """[b]Welcome to observer.[/b]

Code every contribution of a partnership meeting as it happens: who spoke, for which organisation,
organisation-first or partnership-first, transactional or relational — and see the balance live.

  [b]n[/b]  start a new session (title, series, attendees)
  [b]m[/b]  load demo meetings to explore the screens and exports first
"""


@dataclass(frozen=True)
class ExportNaming:
    pseudonymise: bool
    keep_notes: bool


EXPORT_NAMINGS = [
    ("Names as recorded, with notes", ExportNaming(pseudonymise=False, keep_notes=True)),
    ("Pseudonyms (P01…, O01…), notes dropped — for research data", ExportNaming(pseudonymise=True, keep_notes=False)),
    ("Pseudonyms (P01…, O01…), notes kept", ExportNaming(pseudonymise=True, keep_notes=True)),
]


# Home's keys: (key, action, the footer's word, what ? says of it). The footer shows the first words at 80
# columns; ? lists every key in full.
HOME_KEYS = [
    ("n", "new_session", "New", "New session: title, series, attendees, agenda"),
    ("enter", "code", "Open", "Open the selected session: code it, resume it, or edit an ended one"),
    ("v", "review", "Review", "Review the selected session's summary"),
    ("x", "export", "Export", "Export the selected session (.xlsx, .csv, .json or .boris)"),
    ("s", "trends", "Trends", "Series trends: the selected session's series over its meetings"),
    ("g", "agreement", "Agreement", "Agreement: compare the selected session with another coding of the meeting"),
    ("d", "delete", "Delete", "Delete the selected session (to the trash)"),
    ("u", "restore", "", "Undelete: bring back the session deleted last"),
    ("m", "demo", "", "Demo data: add simulated meetings to look around"),
    ("question_mark", "keys", "Keys", "Keys: this list"),
]
FOOTER_COMPACT_BELOW = 100  # columns: under this the footer's keys sit closer, so that every one fits at 80


class HomeScreen(Screen[None]):
    BINDINGS = [
        *(Binding(key, action, word or description, show=bool(word)) for key, action, word, description in HOME_KEYS),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]

    @dataclass
    class Loaded(Message):
        sessions: list[ListedSession]
        problems: list[SessionProblem]

    def __init__(self, archive: Archive) -> None:
        super().__init__()
        self.archive = archive
        self.sessions: list[ListedSession] = []  # newest meeting first, as the table shows them
        # What the last listing read: coming back to Home reads only the sessions whose files changed since.
        self._listing: ListingCache = {}
        self._export_folder = Path.cwd()

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(id="home-body"):
            yield Static(WELCOME, id="welcome")
            yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
            yield Static("", id="home-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.app.sub_title = paths.shown(self.archive.paths.root)
        self._layout_width = 0
        self.query_one(Footer).compact = self.size.width < FOOTER_COMPACT_BELOW

    def on_resize(self) -> None:
        self.query_one(Footer).compact = self.size.width < FOOTER_COMPACT_BELOW
        if _columns(self.size.width, self._id_width()) != _columns(self._layout_width, self._id_width()):
            self._fill_table()

    def _id_width(self) -> int:
        """The id column as wide as the longest id listed (up to ID_WIDTH_MOST)."""
        longest = max((len(listed.session.id) for listed in self.sessions), default=0)
        return min(ID_WIDTH_MOST, max(_ID[1], longest))

    def action_keys(self) -> None:
        pairs = [
            ("Enter" if key == "enter" else "?" if key == "question_mark" else key, words)
            for key, _, _, words in HOME_KEYS
        ]
        self.app.push_screen(KeyList("Home: every key  ·  Esc closes", [*pairs, ("ctrl+q", "Quit")]))

    def on_screen_resume(self) -> None:
        self.reload()  # the first time the screen shows, and every time it is shown again

    @work(thread=True, exclusive=True, group="home-load")
    def reload(self) -> None:
        # Headers only: what the table shows. Whole sessions are read when one is opened, reviewed or exported.
        sessions, problems = self.archive.summaries(self._listing)
        self.post_message(self.Loaded(sessions, problems))

    @work(thread=True, exclusive=True, group="home-open")
    def _read_then(self, session_ids: list[str], then: Callable[[list[SessionData]], Message]) -> None:
        """Read whole sessions off the event loop (keys keep working meanwhile), then post what ``then`` makes."""
        self.app.call_from_thread(self._status, f"reading {plural(len(session_ids), 'session')}…")
        try:
            loaded = [self.archive.load(session_id) for session_id in session_ids]
        except ObserverError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error", timeout=8)
            self.app.call_from_thread(self._status, str(error))
            return
        self.app.call_from_thread(self._status, self._count_line())
        self.post_message(then(loaded))

    @on(Loaded)
    def show_sessions(self, message: Loaded) -> None:
        self.sessions = sorted(
            message.sessions, key=lambda d: (d.session.meeting_date, d.session.created_at), reverse=True
        )
        self._fill_table()
        notes = [problem.message for problem in message.problems]
        self._status(" · ".join(notes) if notes else self._count_line())

    def _fill_table(self) -> None:
        """The list in columns that fit the screen: every column when wide; at 80 columns the id gives way and
        series and title share what is left, so that what a session is stays readable. The columns and their
        values are the session list's (``tables.session_list``), as ``observer sessions`` prints it."""
        table = self.query_one("#sessions", DataTable)
        cursor = table.cursor_row
        self._layout_width = self.size.width
        now = self.app.now()  # type: ignore[attr-defined]

        def observed(listed: ListedSession) -> float:
            running = listed.session.status == SessionStatus.RECORDING  # open elsewhere: its clock moves
            return listed.session.observed_seconds(now) if running else listed.observed_s

        listing = tables.session_list(self.sessions, observed)
        widths = dict(_columns(self.size.width, self._id_width()))
        table.clear(columns=True)
        for column in listing.columns:
            if column.id in widths:
                table.add_column(column.narrow_heading, key=column.id, width=widths[column.id])
        for row in listing.rows:
            cells: dict[str, str | Text] = {}
            for column, value in zip(listing.columns, row, strict=True):
                shown = tables.shown(column, value)
                # Typed text: a Text is shown as it is, a str would be read as markup. An id cut short is said
                # to be so: cut silently, a second coding's (s…-b) read as the first's.
                cut = column.kind is Kind.TEXT or column.id == "id"
                cells[column.id] = Text(_cut(shown, widths.get(column.id))) if cut else shown
            table.add_row(*(cells[key] for key in widths), key=row[listing.position("id")])
        self.query_one("#welcome").display = not self.sessions
        table.display = bool(self.sessions)
        if self.sessions:
            table.move_cursor(row=min(cursor, len(self.sessions) - 1))
            table.focus()

    def _count_line(self) -> str:
        return f"{plural(len(self.sessions), 'session')} in {paths.shown(self.archive.paths.root)}"

    def _status(self, text: str) -> None:
        # Names and paths as they are: a Text is never read as markup.
        self.query_one("#home-status", Static).update(Text(text))

    def selected(self) -> ListedSession | None:
        table = self.query_one("#sessions", DataTable)
        if not self.sessions or table.cursor_row is None or table.cursor_row >= len(self.sessions):
            self.notify("no session selected: n starts a new one", severity="warning", timeout=3)
            return None
        return self.sessions[table.cursor_row]

    @on(DataTable.RowSelected)
    def row_chosen(self) -> None:
        self.action_code()

    def action_new_session(self) -> None:
        self.post_message(StartNewSession([summary.as_data() for summary in self.sessions]))

    def action_code(self) -> None:
        data = self.selected()
        if data is not None:
            self.post_message(OpenSession(data.session.id, transcript=data.session.transcript is not None))

    def action_review(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            session_id = chosen.session.id
            self._read_then([session_id], lambda loaded: ShowReview(session_id, data=loaded[0]))

    def action_trends(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            series = chosen.session.series
            in_series = [
                s.session for s in reversed(self.sessions) if same_series(s.session.series, series)
            ]  # oldest first
            choice = trend_choice(in_series)
            if choice.none_ended:
                self.notify("No session of this series has ended yet: the trends count unfinished ones.", timeout=6)
            if choice.to_code_note:
                self.notify(f"{choice.to_code_note[0].upper()}{choice.to_code_note[1:]}.", timeout=8)
            self._read_then(choice.counted, lambda loaded: ShowTrends(series, loaded, choice.left_out))

    def action_agreement(self) -> None:
        first = self.selected()
        if first is None:
            return
        others = [d for d in self.sessions if d.session.id != first.session.id]
        if not others:
            self.notify("agreement needs a second session of the same meeting", severity="warning", timeout=4)
            return
        # The same meeting is most likely the same series and date: those first.
        others.sort(
            key=lambda d: (
                d.session.meeting_date != first.session.meeting_date,
                not same_series(d.session.series, first.session.series),
            )
        )
        choices = [
            (f"{d.session.meeting_date} {d.session.title} — {d.session.observer or 'no observer'} ({d.session.id})", d)
            for d in others
        ]

        def compare_with(second: ListedSession | None) -> None:
            if second is not None:
                pair = [first.session.id, second.session.id]
                self._read_then(pair, lambda loaded: ShowAgreement(loaded[0], loaded[1]))

        self.app.push_screen(Picker(f"Compare '{first.session.title}' with…", choices), compare_with)

    def action_export(self) -> None:
        data = self.selected()
        if data is None:
            return
        # The folder the app was started in (or the last one exported to), and a name that says it all.
        default = paths.export_path(self._export_folder, self._export_stem(data))

        def export(path: str | None) -> None:
            if not path:
                return
            target = Path(path).expanduser()

            def named(naming: ExportNaming | None) -> None:
                if naming is not None:
                    self._export_folder = target.parent
                    self._export(data, target, naming)

            def replace(confirmed: bool | None) -> None:
                if confirmed:
                    self.app.push_screen(Picker("People and organisations in the export", EXPORT_NAMINGS), named)
                else:  # a notice: the status line is the list's again once Home is back on top
                    self.notify(f"not exported: {target} was kept as it is", timeout=5)

            if target.exists() or target.is_symlink():
                question = f"Replace {target.name}?"
                self.app.push_screen(Confirm(question, f"{target} exists; y replaces it, n keeps it."), replace)
            else:
                replace(True)

        self.app.push_screen(PathPrompt("Export to (.xlsx, .csv, .json or .boris)", str(default)), export)

    def _export_stem(self, chosen: ListedSession) -> str:
        """The date and the whole title; with the observer too (else the id) when another session listed has the
        same date and title (two codings of one meeting must not default to one file)."""
        session = chosen.session

        def stem(other: ListedSession) -> str:
            return f"observer-{other.session.meeting_date}-{other.session.title}"

        twins = [s for s in self.sessions if s.session.id != session.id and stem(s) == stem(chosen)]
        if not twins:
            return stem(chosen)
        observers = {export_name(s.session.observer) for s in twins}
        if session.observer and export_name(session.observer) not in observers:
            return f"{stem(chosen)}-{session.observer}"
        return f"{stem(chosen)}-{session.id}"

    @work(thread=True, exclusive=True, group="export")
    def _export(self, chosen: ListedSession, path: Path, naming: ExportNaming) -> None:
        from observer.interop.export import export_options, export_sessions

        self.app.call_from_thread(self._status, f"exporting to {path}…")
        try:
            path = self.archive.paths.check_output(path)
            data = self.archive.load(chosen.session.id)
            options = export_options(self.archive, [data], naming.pseudonymise, naming.keep_notes)
            export_sessions([data], path, options)
        except ObserverError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error", timeout=8)
            self.app.call_from_thread(self._status, f"export failed: {error}")
            return
        done = f"exported {data.session.title} to {path}"
        if naming.pseudonymise:
            # The key stays in the owner-only data folder; the command line copies it out when asked.
            done += " with pseudonyms (key: observer export --key-table)"
        self.app.call_from_thread(self._status, done)
        self.app.call_from_thread(self.notify, f"saved {path}", timeout=5)

    def action_delete(self) -> None:
        data = self.selected()
        if data is None:
            return

        def delete(confirmed: bool | None) -> None:
            if confirmed:
                try:
                    self.archive.trash_session(data.session.id)
                except ObserverError as error:
                    self.notify(str(error), severity="error", timeout=8)
                    return
                self.notify(f"moved '{data.session.title}' to the trash · u brings it back", timeout=5)
                self.reload()

        self.app.push_screen(
            Confirm(f"Delete '{data.session.title}'?", "It goes to the trash; u on this screen restores it."), delete
        )

    def action_restore(self) -> None:
        trashed = self.archive.trashed()
        if not trashed:
            self.notify("the trash is empty", timeout=3)
            return
        try:
            session_id = self.archive.restore_session(trashed[-1])
        except ObserverError as error:
            self.notify(str(error), severity="error", timeout=8)
            return
        self.notify(f"restored session {session_id}", timeout=4)
        self.reload()

    def action_demo(self) -> None:
        self._status("creating demo meetings…")
        self._load_demo()

    @work(thread=True, exclusive=True, group="demo")
    def _load_demo(self) -> None:
        from observer.interop.demo import generate_demo

        generate_demo(self.archive)  # the same meetings as `observer demo`
        self.app.call_from_thread(self.notify, "demo meetings added", timeout=4)
        self.reload()


# The list's columns: (key, header, width). Fixed ones first; series and title share what is left.
# (column, width) in the table's order; the rest of the width goes to series and title.
_FIXED = [("meeting_date", 10), ("contributions", 8), ("observed_s", 8), ("status_label", 9)]
_ID = ("id", 13)
ID_WIDTH_MOST = 17  # a second coding's id (s…-b) or a copy's (s…-2) in full; a longer one is cut with '…'
WIDE_HOME = 110  # from this width the list shows each session's id too


def _columns(width: int, id_width: int = _ID[1]) -> list[tuple[str, int]]:
    fixed = [*_FIXED, ("id", id_width)] if width >= WIDE_HOME else list(_FIXED)
    spare = max(20, width - sum(w for _, w in fixed) - 2 * (len(fixed) + 2) - 4)  # cell padding, scrollbar
    series = min(30, spare * 2 // 5)
    title = spare - series
    date, *rest = fixed
    return [date, ("series", series), ("title", title), *rest]


def _cut(text: str, width: int | None) -> str:
    if width is None or len(text) <= width:
        return text
    return text[: max(1, width - 1)] + "…"
