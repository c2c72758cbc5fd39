"""The export dialog (``x``): format, path and options; it reports where the file went.

The export itself is :func:`caseline.export.write.export_case` (the same as ``caseline
export``), run in a thread worker on a read-only connection of its own: it reads the
database and writes only the chosen file, owner-only, never over an existing file unless
"replace" is ticked. So it works in a read-only review too.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from caseline.export.write import FORMATS, default_export_name
from caseline.sanitize import clean

__all__ = ["ExportDialog"]

FORMAT_LABELS = {"md": "Markdown (.md)", "html": "HTML, one self-contained file (.html)",
                 "docx": "Word (.docx)", "csv": "CSV for spreadsheets (.csv)"}


class ExportDialog(ModalScreen[Path | None]):
    """Export the case's chronology; dismissed with the path written (or ``None``)."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="export.close"),
        Binding("ctrl+s", "export", "Export", priority=True, id="export.go"),
    ]

    DEFAULT_CSS = """
    ExportDialog #export-dialog { width: 84; height: auto; }
    ExportDialog #export-result { margin-top: 1; }
    ExportDialog #export-result.-error { color: $error; }
    """

    def __init__(self, case_id: str, db_path: Path, folder: Path | None = None) -> None:
        super().__init__()
        self.case_id = case_id
        self.db_path = Path(db_path)
        self.folder = folder or Path.cwd()
        self.written: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog", classes="dialog"):
            yield Label("Export the chronology", classes="dialog-title")
            yield Label("Format")
            yield Select([(FORMAT_LABELS[f], f) for f in FORMATS], value="docx", allow_blank=False, id="export-format")
            yield Label("File")
            yield Input(str(self.folder / default_export_name(self.case_id, "docx")), id="export-path")
            yield Checkbox("Flags", value=True, id="export-flags")
            yield Checkbox("Notes and findings", value=True, id="export-notes")
            yield Checkbox("Starred events and flags only", value=False, id="export-starred")
            yield Checkbox("Replace the file if it exists", value=False, id="export-force")
            yield Static(Text("ctrl+s: export · escape: close"), id="export-result", classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export", variant="primary", id="export-go")
                yield Button("Close", id="export-close")

    @on(Select.Changed, "#export-format")
    def format_changed(self, event: Select.Changed) -> None:
        path_input = self.query_one("#export-path", Input)
        current = Path(path_input.value)
        if current.suffix.lstrip(".") in FORMATS:
            path_input.value = str(current.with_suffix("." + FORMATS[str(event.value)]))

    @on(Button.Pressed, "#export-go")
    def action_export(self) -> None:
        from caseline.export.chronology import ExportOptions

        options = ExportOptions(
            flags=self.query_one("#export-flags", Checkbox).value,
            notes=self.query_one("#export-notes", Checkbox).value,
            starred_only=self.query_one("#export-starred", Checkbox).value,
        )
        path = Path(self.query_one("#export-path", Input).value.strip()).expanduser()
        fmt = str(self.query_one("#export-format", Select).value)
        force = self.query_one("#export-force", Checkbox).value
        self._show("exporting…", error=False)
        self.run_export(fmt, path, options, force)

    @work(thread=True, exclusive=True, group="export")
    def run_export(self, fmt: str, path: Path, options, force: bool) -> None:
        from caseline.export.write import ExportError, export_case
        from caseline.store import StoreError, open_database

        try:
            conn = open_database(self.db_path, read_only=True)
        except StoreError as exc:
            self.app.call_from_thread(self._show, str(exc), True)
            return
        try:
            result = export_case(conn, self.case_id, fmt, path, options=options, force=force, db_path=self.db_path)
        except ExportError as exc:
            self.app.call_from_thread(self._show, str(exc), True)
            return
        except Exception as exc:  # shown, not raised: the dialog stays usable
            self.app.call_from_thread(self._show, f"the export failed ({type(exc).__name__}: {exc})", True)
            return
        finally:
            conn.close()
        self.app.call_from_thread(self._done, result)

    def _done(self, result) -> None:
        self.written = Path(result.path).resolve()
        self._show(f"Saved to {self.written} — {result.paragraphs} paragraph(s), {result.flags} flag(s), "
                   f"{result.notes} note(s); readable by you only.", error=False)
        self.app.notify(f"Exported to {self.written}", timeout=5)

    def _show(self, message: str, error: bool) -> None:
        widget = self.query_one("#export-result", Static)
        widget.update(Text(clean(message)))
        widget.set_class(error, "-error")

    @on(Button.Pressed, "#export-close")
    def action_close(self) -> None:
        self.dismiss(self.written)
