"""One way to export a chronology, for the CLI and the TUI alike: render, then save safely.

What it promises:

* :data:`FORMATS` names every chronology format and its file extension; one writer each.
* :func:`save_export` creates the file owner-only (0600) and never replaces an existing file
  unless ``force`` is given; then it writes a new owner-only file beside it and swaps it in,
  so an interrupted export never leaves half a file. It refuses to write over the database
  it reads from, whatever ``force`` says.
* Every failure is an :class:`ExportError` whose message is one sentence for the user.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from caseline.export.chronology import Chronology, ExportError, ExportOptions, build_chronology

__all__ = ["FORMATS", "ExportError", "ExportResult", "render_chronology", "save_export", "export_case",
           "default_export_name"]

#: Format name to file extension.
FORMATS = {"md": "md", "html": "html", "docx": "docx", "csv": "csv"}


@dataclass(frozen=True)
class ExportResult:
    path: Path
    paragraphs: int
    flags: int
    notes: int

    def describe(self) -> str:
        return (f"{self.path}: {self.paragraphs} paragraph(s), {self.flags} flag(s), {self.notes} note(s) "
                f"(readable by you only)")


def render_chronology(doc: Chronology, fmt: str) -> bytes:
    """The document in *fmt* (one of :data:`FORMATS`), as bytes."""
    if fmt == "md":
        from caseline.export.markdown import chronology_markdown

        return chronology_markdown(doc).encode("utf-8")
    if fmt == "html":
        from caseline.export.html import chronology_html

        return chronology_html(doc).encode("utf-8")
    if fmt == "docx":
        from caseline.export.docx import chronology_docx

        return chronology_docx(doc)
    if fmt == "csv":
        from caseline.export.csv_chronology import chronology_csv

        return chronology_csv(doc).encode("utf-8")
    raise ExportError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")


def default_export_name(case_id: str, fmt: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in case_id) or "case"
    return f"{safe}-chronology.{FORMATS.get(fmt, fmt)}"


def _same_file(a: Path, b: Path) -> bool:
    """Whether *a* is *b*: the same path (existing or not: a database's -wal may appear any
    time), or the same file by another name."""
    try:
        if a.resolve() == b.resolve():
            return True
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def save_export(path: str | os.PathLike[str], data: bytes, *, force: bool = False,
                protect: tuple[str | os.PathLike[str], ...] = ()) -> Path:
    """Write *data* to *path* owner-only; replace an existing file only with *force*."""
    target = Path(path)
    for guarded in protect:
        for suffix in ("", "-wal", "-shm", "-journal"):
            if _same_file(target, Path(f"{os.fspath(guarded)}{suffix}")):
                raise ExportError(f"{target}: is the database being exported; choose another file name")
    if target.is_dir():
        raise ExportError(f"{target}: is a folder; give a file name")
    if not target.parent.exists():
        raise ExportError(f"{target}: the folder {target.parent} does not exist")
    if target.exists() and not force:
        raise ExportError(f"{target}: already exists; use --force to replace it (nothing was written)")
    temp = target.with_name(f".{target.name}.{os.getpid()}.part") if target.exists() else target
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ExportError(f"{target}: already exists; use --force to replace it (nothing was written)") from None
    except PermissionError:
        raise ExportError(f"{target}: cannot be created (no permission to write in {target.parent})") from None
    except OSError as exc:
        raise ExportError(f"{target}: cannot be created ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if temp != target:
            os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise ExportError(f"{target}: could not be written ({exc.strerror})") from None
    return target


def export_case(conn: sqlite3.Connection, case_id: str, fmt: str, path: str | os.PathLike[str], *,
                options: ExportOptions = ExportOptions(), force: bool = False,
                db_path: str | os.PathLike[str] | None = None) -> ExportResult:
    """Build the case's chronology, render it as *fmt* and save it at *path*."""
    if fmt not in FORMATS:
        raise ExportError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    doc = build_chronology(conn, case_id, options)
    data = render_chronology(doc, fmt)
    saved = save_export(path, data, force=force, protect=(db_path,) if db_path else ())
    return ExportResult(saved, len(doc.paragraphs), len(doc.flags), len(doc.notes))
