"""The investigator's commands: ``caseline notes …`` and ``caseline export``.

Click only, like :mod:`caseline.cli` (which registers these commands and whose helpers they
use): every import of the core happens inside a command. Writes go through
:mod:`caseline.store.notes`, each in its own transaction; a note that meets a locked
database is kept in an owner-only file, and the message says where and how to retry.
"""

from __future__ import annotations

import sys

import click

DB_ARG = click.argument("db", type=click.Path(dir_okay=False, path_type=str))


class _ListByDefault(click.Group):
    """``caseline notes DB --case ID`` lists; ``caseline notes add DB …`` and the rest act."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["list", *args]
        return super().parse_args(ctx, args)


@click.group("notes", cls=_ListByDefault)
def notes_group() -> None:
    """Investigator notes and findings: list (the default), add, edit, delete, restore, history, star.

    \b
    caseline notes DB --case ID [--format table|json|csv]
    caseline notes add DB --case ID [--event N | --flag KEY] [--tag finding] "text"
    Tags: finding, fault, injustice, remedy, query, no-fault, note. The author is
    CASELINE_AUTHOR or your login name unless --author says otherwise.
    """


def _now() -> str:
    from caseline.notes import stamp

    return stamp()


def _author(author: str | None) -> str:
    from caseline.notes import default_author

    return author.strip() if author and author.strip() else default_author()


def _tag(tag: str) -> str:
    from caseline.cli import fail
    from caseline.notes import check_tag

    try:
        return check_tag(tag)
    except ValueError as exc:
        fail(f"--tag: {exc}")


@notes_group.command("list")
@DB_ARG
@click.option("--case", "case_id", required=True, help="The case whose notes to list.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--tag", "tags", multiple=True, help="Only notes with this tag (repeatable).")
@click.option("--deleted", is_flag=True, help="Include deleted notes.")
def notes_list(db: str, case_id: str, fmt: str, tags: tuple[str, ...], deleted: bool) -> None:
    """List a case's notes, oldest first."""
    from caseline.cli import _reading, _require_case
    from caseline.export.notes import write_notes
    from caseline.store.notes import list_notes

    wanted = {_tag(t) for t in tags}
    conn = _reading(db)
    try:
        _require_case(conn, case_id)
        notes = [n for n in list_notes(conn, case_id, include_deleted=deleted) if not wanted or n.tag in wanted]
    finally:
        conn.close()
    write_notes(notes, fmt, sys.stdout)


def _save(db: str, fields: dict, write) -> object:
    """Open *db* for writing and run *write(conn)*; a locked database keeps *fields* for a retry."""
    from caseline.cli import EXIT_UNUSABLE, fail
    from caseline.notes import keep_pending
    from caseline.store import BusyError, StoreError, open_database

    try:
        conn = open_database(db)
    except BusyError as exc:
        kept = keep_pending(db, fields) if fields else None
        fail(_busy_sentence(str(exc), db, kept), EXIT_UNUSABLE)
    except StoreError as exc:
        fail(str(exc), EXIT_UNUSABLE)
    try:
        return write(conn)
    except BusyError as exc:
        kept = keep_pending(db, fields) if fields else None
        fail(_busy_sentence(str(exc), db, kept), EXIT_UNUSABLE)
    except StoreError as exc:
        fail(str(exc))
    finally:
        conn.close()


def _busy_sentence(message: str, db: str, kept) -> str:
    if kept is None:
        return message
    # One sentence: what happened, that nothing is lost, and how to retry.
    return (f"{message.removesuffix('; try again')}; your note is kept in {kept}: run "
            f"'caseline notes retry {db}' to save it")


@notes_group.command("add")
@DB_ARG
@click.argument("text")
@click.option("--case", "case_id", required=True, help="The case the note belongs to.")
@click.option("--event", "event_id", help="The event the note is about (its id, or its ref such as L04).")
@click.option("--flag", "flag_key", help="The flag the note is about (its key, from 'caseline flags --format json').")
@click.option("--tag", default="note", show_default=True, help="finding, fault, injustice, remedy, query, no-fault or note.")
@click.option("--author", help="Who wrote it (default: CASELINE_AUTHOR or your login name).")
def notes_add(db: str, text: str, case_id: str, event_id: str | None, flag_key: str | None, tag: str,
              author: str | None) -> None:
    """Add a note (TEXT, or - to read it from standard input) to a case, an event or a flag."""
    from caseline.cli import echo, fail
    from caseline.store.notes import add_note

    if text == "-":
        text = sys.stdin.read()
    text = text.strip()
    if not text:
        fail("the note is empty; nothing was saved")
    if event_id is not None and flag_key:
        fail("a note is about one thing: give --event or --flag, not both")
    tag = _tag(tag)
    event_id = _event_id(db, case_id, event_id)
    if flag_key:
        _warn_unless_raised(db, case_id, flag_key)
    fields = {"case_id": case_id, "event_id": event_id, "flag_key": flag_key, "tag": tag,
              "author": _author(author), "created": _now(), "text": text}
    note = _save(db, fields, lambda conn: add_note(conn, case_id, text=text, tag=tag, author=fields["author"],
                                                    created=fields["created"], event_id=event_id, flag_key=flag_key))
    echo(f"{db}: note {note.id} saved ({tag}, by {note.author})")


def _event_id(db: str, case_id: str, given: str | None) -> int | None:
    """``--event``: an id (``79``) or a ref (``L07``)."""
    if given is None:
        return None
    text = given.strip()
    if text.isdigit():
        return int(text)
    from caseline.cli import _reading, fail
    from caseline.store import StoreError
    from caseline.store.notes import event_by_ref

    conn = _reading(db)
    try:
        return event_by_ref(conn, case_id, text)
    except StoreError as exc:
        fail(f"--event: {exc}")
    finally:
        conn.close()


def _warn_unless_raised(db: str, case_id: str, flag_key: str) -> None:
    """A note on a flag key the case does not raise now is kept, but say so (a typo?)."""
    from caseline.analysis import analyse
    from caseline.cli import _reading, _require_case, echo
    from caseline.dates import DateError

    conn = _reading(db)
    try:
        _require_case(conn, case_id)
        try:
            keys = {flag.key for flag in analyse(conn, case_id).flags}
        except DateError:
            return
    finally:
        conn.close()
    if flag_key not in keys:
        echo(f"warning: case {case_id!r} raises no flag {flag_key!r} now; the note is kept and shown apart "
             f"('caseline flags {db} --case {case_id} --format json' lists the keys)", err=True)


@notes_group.command("retry")
@DB_ARG
def notes_retry(db: str) -> None:
    """Save the notes kept when DB was locked."""
    from caseline.cli import echo
    from caseline.notes import drop_pending, pending_notes
    from caseline.store.notes import add_note

    kept = pending_notes(db)
    if not kept:
        echo(f"{db}: no kept notes to save")
        return

    def write(conn):
        saved = 0
        for path, f in kept:
            add_note(conn, str(f["case_id"]), text=str(f["text"]), tag=str(f["tag"]), author=str(f["author"]),
                     created=str(f["created"]), event_id=f.get("event_id"), flag_key=f.get("flag_key"))
            drop_pending(path)
            saved += 1
        return saved

    saved = _save(db, {}, write)
    echo(f"{db}: {saved} kept note(s) saved")


@notes_group.command("edit")
@DB_ARG
@click.argument("note_id", type=int)
@click.option("--text", help="The new text (- reads standard input).")
@click.option("--tag", help="The new tag.")
@click.option("--author", help="Who made the change (default: CASELINE_AUTHOR or your login name).")
def notes_edit(db: str, note_id: int, text: str | None, tag: str | None, author: str | None) -> None:
    """Change a note's text or tag; the earlier version stays in its history."""
    from caseline.cli import echo, fail
    from caseline.store.notes import edit_note

    if text == "-":
        text = sys.stdin.read()
    if text is not None:
        text = text.strip()
        if not text:
            fail("--text is empty; to remove a note use 'caseline notes delete'")
    if text is None and tag is None:
        fail("nothing to change: give --text or --tag")
    new_tag = _tag(tag) if tag is not None else None
    who = _author(author)
    note = _save(db, {}, lambda conn: edit_note(conn, note_id, author=who, when=_now(), text=text, tag=new_tag))
    echo(f"{db}: note {note.id} edited")


@notes_group.command("delete")
@DB_ARG
@click.argument("note_id", type=int)
@click.option("--author", help="Who deleted it.")
def notes_delete(db: str, note_id: int, author: str | None) -> None:
    """Delete a note (it keeps its history; 'caseline notes restore' brings it back)."""
    from caseline.cli import echo
    from caseline.store.notes import delete_note

    who = _author(author)
    note = _save(db, {}, lambda conn: delete_note(conn, note_id, author=who, when=_now()))
    echo(f"{db}: note {note.id} deleted (restore it with 'caseline notes restore {db} {note.id}')")


@notes_group.command("restore")
@DB_ARG
@click.argument("note_id", type=int)
@click.option("--author", help="Who restored it.")
def notes_restore(db: str, note_id: int, author: str | None) -> None:
    """Bring a deleted note back."""
    from caseline.cli import echo
    from caseline.store.notes import restore_note

    who = _author(author)
    note = _save(db, {}, lambda conn: restore_note(conn, note_id, author=who, when=_now()))
    echo(f"{db}: note {note.id} restored")


@notes_group.command("history")
@DB_ARG
@click.argument("note_id", type=int)
def notes_history(db: str, note_id: int) -> None:
    """Every version of a note: who changed it, when, and what it said."""
    from caseline.cli import _reading, echo, fail
    from caseline.store import StoreError
    from caseline.store.notes import get_note, note_history

    conn = _reading(db)
    try:
        try:
            get_note(conn, note_id)
        except StoreError as exc:
            fail(str(exc))
        versions = note_history(conn, note_id)
    finally:
        conn.close()
    for v in versions:
        echo(f"{v.changed}  {v.action:<8}  {v.tag:<9}  {v.author}: {v.text}")


@notes_group.command("star")
@DB_ARG
@click.option("--case", "case_id", required=True, help="The case.")
@click.option("--event", "event_id", help="The event to star (its id, or its ref such as L04).")
@click.option("--flag", "flag_key", help="The flag to star (its key).")
@click.option("--off", is_flag=True, help="Remove the star instead.")
@click.option("--author", help="Who starred it.")
def notes_star(db: str, case_id: str, event_id: str | None, flag_key: str | None, off: bool,
               author: str | None) -> None:
    """Mark an event or a flag as key (exports can keep only starred rows with --starred)."""
    from caseline.cli import echo, fail
    from caseline.store.notes import set_star

    if (event_id is None) == (not flag_key):
        fail("give exactly one of --event or --flag")
    event_id = _event_id(db, case_id, event_id)
    who = _author(author)
    changed = _save(db, {}, lambda conn: set_star(conn, case_id, starred=not off, author=who, when=_now(),
                                                  event_id=event_id, flag_key=flag_key))
    what = f"event {event_id}" if event_id is not None else f"flag {flag_key}"
    state = "unstarred" if off else "starred"
    echo(f"{db}: {what} {state}" + ("" if changed else " (it already was)"))


@click.command("export")
@DB_ARG
@click.option("--case", "case_id", required=True, help="The case to export.")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "docx", "csv"]), required=True,
              help="md (Markdown), html (one self-contained file), docx (Word) or csv (spreadsheets).")
@click.option("-o", "--output", help="The file to write (default: CASE-chronology.EXT in this folder; - for standard output).")
@click.option("--as-of", help="Only what was known by this date (2021-09-15, 2021-09, 15 Sep 2021).")
@click.option("--no-flags", is_flag=True, help="Leave the flags out.")
@click.option("--no-notes", is_flag=True, help="Leave the notes and findings out.")
@click.option("--starred", is_flag=True, help="Only starred events and flags (and the events starred flags rest on).")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
def export_command(db: str, case_id: str, fmt: str, output: str | None, as_of: str | None, no_flags: bool,
                   no_notes: bool, starred: bool, force: bool) -> None:
    """Write a case's chronology for a report, in the Ombudsman's manner.

    Numbered paragraphs in date order with dates as the source wrote them; each flag with its
    arithmetic, status and citation beside the events it concerns; findings and notes under
    their own heading; the as-of date and a summary of flags at the top. The file is created
    readable by you only, and an existing file is replaced only with --force.
    """
    from caseline.cli import _parse_as_of, _reading, _require_case, echo, fail
    from caseline.dates import DateError
    from caseline.export.chronology import ExportOptions
    from caseline.export.chronology import build_chronology
    from caseline.export.write import ExportError, default_export_name, export_case, render_chronology

    when = _parse_as_of(as_of)
    options = ExportOptions(as_of=when, flags=not no_flags, notes=not no_notes, starred_only=starred)
    path = output or default_export_name(case_id, fmt)
    conn = _reading(db)
    try:
        _require_case(conn, case_id)
        try:
            if path == "-":
                if fmt == "docx" and sys.stdout.isatty():
                    fail("a Word file cannot be shown on the terminal; give -o FILE.docx")
                data = render_chronology(build_chronology(conn, case_id, options), fmt)
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
                return
            result = export_case(conn, case_id, fmt, path, options=options, force=force, db_path=db)
        except ExportError as exc:
            fail(str(exc))
        except DateError as exc:
            fail(f"case {case_id!r}: {exc}")
    finally:
        conn.close()
    echo(f"wrote {result.describe()}")
