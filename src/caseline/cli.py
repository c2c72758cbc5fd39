"""The ``caseline`` command line.

Only the ``open`` path (and bare ``caseline``) imports Textual, and only inside the command:
``caseline --help`` and every scripting command start as fast as a small click tool.
User mistakes end with one sentence on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

#: Exit statuses (the README documents them): 0 done, 1 problems in the data or the request,
#: 2 the file cannot be used (missing, not SQLite, newer, unreadable, locked).
EXIT_PROBLEMS = 1
EXIT_UNUSABLE = 2


def fail(message: str, code: int = EXIT_PROBLEMS) -> NoReturn:
    from caseline.sanitize import clean

    click.echo(f"caseline: {clean(message)}", err=True)
    sys.exit(code)


def echo(text: object, *, err: bool = False) -> None:
    """Print one line of database or file text, cleaned for the terminal."""
    from caseline.sanitize import clean

    click.echo(clean(text), err=err)


def _open(path: str, *, create: bool = False, read_only: bool = False, adopt: bool = False, as_is: bool = False):
    """Open *path* as asked; any reason it cannot be used ends the command with one sentence."""
    from caseline.store import StoreError, open_database

    try:
        return open_database(path, create=create, read_only=read_only, adopt=adopt, as_is=as_is)
    except StoreError as exc:
        fail(str(exc), EXIT_UNUSABLE)


def _reading(path: str, *, as_is: bool = False):
    """A connection that cannot write, on any SQLite file (a plain sqlite-utils import too)."""
    return _open(path, read_only=True, as_is=as_is)


def _require_case(conn, case_id: str, *, count_events: bool = True):
    """The case, or a clear failure naming the known ones (*count_events* false: no count of
    its events, a scan of the whole case that a long case pays for in seconds when cold)."""
    from caseline.store import StoreError, get_case

    try:
        return get_case(conn, case_id, count_events=count_events)
    except StoreError as exc:
        fail(str(exc))


def _parse_as_of(value: str | None):
    if value is None:
        return None
    from caseline.dates import DateError, parse_user_date

    try:
        return parse_user_date(value).end
    except DateError as exc:
        fail(f"--as-of: {exc}")


DB_ARG = click.argument("db", type=click.Path(dir_okay=False, path_type=str))


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="caseline", prog_name="caseline")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """caseline: explore a children's social care case chronology in the terminal.

    Run with no command to open the bundled sample cases. Gaps between required visits,
    changes of social worker and missed reviews are highlighted beside the guidance that
    requires them. caseline highlights; it does not judge fault.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(open_command, db=None, case=None, read_only=False, high_contrast=False)


@cli.command("init")
@DB_ARG
def init_command(db: str) -> None:
    """Create DB, or bring an older caseline database up to date.

    New files are created readable by their owner only. A file from a newer caseline, or
    one that is not SQLite, is refused and left untouched.
    """
    from caseline.store import SCHEMA_VERSION

    existed = Path(db).exists()
    conn = _open(db, create=True, adopt=True)
    conn.close()
    verb = "updated" if existed else "created"
    click.echo(f"{db}: {verb} (schema version {SCHEMA_VERSION})")


@cli.command("import")
@DB_ARG
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.option("--case", "case_id", metavar="ID", help="Put every event in this case.")
@click.option("--create-cases", is_flag=True, help="Create cases that CSV rows name and DB lacks.")
@click.option("--replace", is_flag=True, help="Replace the events of every case the files name.")
def import_command(db: str, files: tuple[str, ...], case_id: str | None, create_cases: bool, replace: bool) -> None:
    """Import events (CSV) and whole cases (JSON) into DB, all or nothing.

    \b
    CSV: a header row with at least case_id,date_start,kind,summary and any of the
         other events columns. Dates: 2021-09-15, 2021-09 (whole month), 2021 (whole year).
    JSON: {"case": {...}, "people": [...], "events": [...]}.
    Every row is checked first; on any problem nothing is imported and each problem is
    listed as FILE:LINE: field: what is wrong. Rows DB already holds are skipped, so
    importing a file twice adds nothing; a changed row is refused unless --replace.
    """
    from caseline.importing import ImportFailed, import_files
    from caseline.store import StoreError, remove_database_files

    for name in files:
        if not Path(name).exists():
            fail(f"{name}: no such file")
    created = not Path(db).exists()
    conn = _open(db, create=True, adopt=True)
    total = sum(Path(name).stat().st_size for name in files)
    failure: tuple[str, int] | None = None
    try:
        bar = _progress(total)
        with bar as progress:
            result = import_files(conn, files, case_id=case_id, create_cases=create_cases,
                                  replace=replace, progress=progress, stage=bar.stage if progress else None)
    except ImportFailed as exc:
        for line in exc.problems:
            echo(line, err=True)
        if exc.more:
            click.echo(f"... and {exc.more} more problem(s)", err=True)
        failure = (f"nothing was imported ({len(exc.problems) + exc.more} problem(s))", EXIT_PROBLEMS)
    except StoreError as exc:
        failure = (str(exc), EXIT_UNUSABLE)
    finally:
        conn.close()
    if failure is not None:
        if created:
            remove_database_files(db)  # a failed first import leaves no file behind
        fail(*failure)
    for kind, count in sorted(result.unknown_kinds.items()):
        echo(f"warning: kind {kind!r} ({count} event(s)) is not a known kind; it is kept and shown", err=True)
    new_cases = result.cases_created
    if len(new_cases) > 10:  # a whole extract: thousands of cases are counted, not listed
        created_text = f", created {len(new_cases):,} cases ({', '.join(new_cases[:3])} ... {new_cases[-1]})"
    else:
        created_text = f", created case(s) {', '.join(new_cases)}" if new_cases else ""
    present = f"; {result.present} row(s) already in {db} were skipped" if result.present else ""
    if not result.events and result.present:
        echo(f"{db}: nothing new: all {result.present} row(s) are already there")
    else:
        echo(f"{db}: imported {result.events} event(s){created_text}{present}")


class _progress:
    """A progress bar on stderr for long runs when it is a terminal; nothing otherwise.

    Args:
        total: the amount of work (bytes for an import, events for ``check``).
        what: the label ("importing", "checking").
        unit: what the count is of ("rows", "events"), shown with its rate.
        threshold: below this total no bar is shown.
    """

    def __init__(self, total: int, what: str = "importing", unit: str = "rows", threshold: int = 5_000_000) -> None:
        self.total, self.what, self.unit, self.threshold = total, what, unit, threshold
        self.bar = None

    def __enter__(self):
        if self.total < self.threshold or not sys.stderr.isatty():
            return None
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[count]:>12,} {task.fields[unit]}  {task.fields[rate]:>9,.0f}/s"),
            TimeRemainingColumn(), transient=True, console=_stderr_console(),
        )
        self.bar.start()
        task = self._task = self.bar.add_task(self.what, total=self.total, count=0, unit=self.unit, rate=0.0)

        def update(done: int, count: int | None = None) -> None:
            elapsed = self.bar.tasks[0].elapsed or 0.0
            count = done if count is None else count
            self.bar.update(task, completed=done, count=count, rate=count / elapsed if elapsed > 0 else 0.0)

        return update

    def stage(self, what: str) -> None:
        """Say what the work is doing now (e.g. "indexing for search" once the rows are read)."""
        if self.bar is not None:
            self.bar.update(self._task, description=what)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


@cli.command("check")
@DB_ARG
def check_command(db: str) -> None:
    """Validate DB however it was filled (caseline or plain sqlite-utils).

    Exit status: 0 no problems (warnings allowed), 1 problems found, 2 file unusable.
    """
    from caseline.check import check_database

    from caseline.store import table_columns
    from caseline.store.inspect import count_events

    conn = _reading(db, as_is=True)
    try:
        total = count_events(conn) if "case_id" in table_columns(conn, "events") else 0
        with _progress(total, "checking", "events", threshold=200_000) as progress:
            report = check_database(conn, progress=progress)
    finally:
        conn.close()
    for line in report.problems:
        echo(f"problem: {line}")
    for line in report.warnings:
        echo(f"warning: {line}")
    if report.suppressed:
        click.echo(f"... {report.suppressed} more line(s) not shown")
    status = "ok" if report.ok else f"{len(report.problems)} problem(s)"
    echo(f"{db}: {report.cases} case(s), {report.events_checked} event(s) checked: {status}")
    sys.exit(0 if report.ok else EXIT_PROBLEMS)


@cli.group("samples")
def samples_group() -> None:
    """The bundled sample cases, built from published Ombudsman decisions."""


@samples_group.command("list")
def samples_list() -> None:
    """List the sample cases."""
    from caseline.samples import list_samples

    for sample in list_samples():
        marker = " (illustrative dates)" if sample.illustrative else ""
        click.echo(f"{sample.id}\t{sample.title}{marker}")


@samples_group.command("build")
@DB_ARG
def samples_build(db: str) -> None:
    """Load every sample case into DB (created if needed)."""
    from caseline.importing import ImportFailed
    from caseline.samples import build_sample_database
    from caseline.store import StoreError

    try:
        result = build_sample_database(db)
    except ImportFailed as exc:
        fail("; ".join(exc.problems[:3]))
    except StoreError as exc:
        fail(str(exc), EXIT_UNUSABLE)
    click.echo(f"{db}: {result.events} sample event(s) loaded")


@cli.command("open")
@click.argument("db", required=False, type=click.Path(dir_okay=False, path_type=str))
@click.option("--case", help="Open this case directly.")
@click.option("--read-only", is_flag=True, help="Open so that nothing can be written.")
@click.option("--high-contrast", is_flag=True, help="Use the high-contrast theme.")
@click.option("--overview", is_flag=True, help="Show each case's overview first (o shows it any time).")
def open_command(db: str | None, case: str | None, read_only: bool, high_contrast: bool, overview: bool = False) -> None:
    """Open DB in the timeline explorer (the sample cases when DB is omitted).

    A database filled only by plain sqlite-utils is opened read-only, as it is; run
    'caseline init DB' first to make it a caseline database.
    """
    from caseline.store import NotCaselineError, StoreError, has_cases, has_events_table, open_database

    if db is None:
        db = str(_sample_database())
    try:
        conn = open_database(db, read_only=read_only)
    except NotCaselineError as exc:
        conn = _reading(db)
        if not has_events_table(conn):
            conn.close()
            fail(str(exc), EXIT_UNUSABLE)
        read_only = True
        echo(f"{db}: not a caseline database; opened read-only as it is ('caseline init {db}' makes it one)", err=True)
    except StoreError as exc:
        fail(str(exc), EXIT_UNUSABLE)
    try:
        if case is not None:
            _require_case(conn, case, count_events=False)
        elif not has_cases(conn):  # not list_cases: its count of every event is the picker's to make
            fail(f"{db}: holds no cases; import some with 'caseline import {db} FILE'")
    finally:
        conn.close()
    from caseline.tui import run_app

    run_app(db, case_id=case, read_only=read_only, high_contrast=high_contrast, overview_first=overview)


@cli.command("replay")
@click.argument("db", required=False, type=click.Path(dir_okay=False, path_type=str))
@click.option("--case", "case_id", required=True, help="The case to replay.")
@click.option("--high-contrast", is_flag=True, help="Use the high-contrast theme.")
def replay_command(db: str | None, case_id: str, high_contrast: bool) -> None:
    """Replay one case as it unfolded: flags fall due, pause points ask, the end reveals.

    DB defaults to the bundled sample cases. The database is opened read-only.
    """
    if db is None:
        db = str(_sample_database())
    conn = _reading(db)
    try:
        if not _require_case(conn, case_id).event_count:
            fail(f"case {case_id!r} has no events to replay")
    finally:
        conn.close()
    from caseline.tui import run_app

    run_app(db, case_id=case_id, read_only=True, high_contrast=high_contrast, replay=True)


@cli.command("serve")
@click.argument("db", required=False, type=click.Path(dir_okay=False, path_type=str))
@click.option("--case", "case_id", help="Serve this case's replay (else the explorer, read-only).")
@click.option("--port", type=int, default=8000, show_default=True, help="The port on 127.0.0.1.")
def serve_command(db: str | None, case_id: str | None, port: int) -> None:
    """Serve the app to a browser on this machine, for a training room (127.0.0.1 only).

    With --case the browser opens that case's replay; without it, the explorer. DB defaults
    to the bundled sample cases; it is opened read-only. Each browser tab runs its own copy.
    """
    from caseline.serve import HOST, ServeError, check_port

    if db is None:
        db = str(_sample_database())
    conn = _reading(db)
    try:
        if case_id is not None and not _require_case(conn, case_id).event_count:
            fail(f"case {case_id!r} has no events to replay")
    finally:
        conn.close()
    try:
        check_port(port)
    except ServeError as exc:
        fail(str(exc))
    try:
        import textual_serve  # noqa: F401
    except ImportError:
        fail("serving needs the textual-serve package: pip install textual-serve")
    from caseline.serve import serve

    echo(f"caseline: serving {case_id + ' (replay)' if case_id else db} at http://{HOST}:{port}/ "
               "(this machine only; ctrl+c stops)")
    serve(str(Path(db).resolve()), case_id, port)


def _sample_database() -> Path:
    from caseline.samples import build_sample_database, default_database

    path = default_database()
    if not path.exists():
        try:
            build_sample_database(path)
        except Exception:
            path.unlink(missing_ok=True)
            raise
    return path


@cli.command("flags")
@DB_ARG
@click.option("--case", "case_id", help="The case to analyse.")
@click.option("--all", "all_cases", is_flag=True,
              help="Every case in DB, one after another (a caseload audit); held one case at a time.")
@click.option("--as-of", help="Only what was known by this date (2021-09-15, 2021-09, 15 Sep 2021).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)
def flags_command(db: str, case_id: str | None, all_cases: bool, as_of: str | None, fmt: str) -> None:
    """List the flags for one case (--case) or every case (--all): gaps, missed deadlines and
    reviews, worker changes.

    With --all, CSV is one table with a case column and JSON is {"cases": [...]}; a case whose
    dates the engine cannot use is named on stderr and skipped (exit status 1 at the end).
    """
    from caseline.analysis import analyse_streamed, collector_paused
    from caseline.dates import DateError
    from caseline.export.flags import write_flags

    if bool(case_id) == all_cases:
        raise click.UsageError("give either --case ID or --all")
    when = _parse_as_of(as_of)
    conn = _reading(db)
    if all_cases:
        try:
            _flags_for_every_case(conn, when, fmt)
        finally:
            conn.close()
        return
    try:
        _require_case(conn, case_id, count_events=False)
        # Each flag is written as the engine makes it: none are held (a whole extract as one
        # case has hundreds of thousands).
        with collector_paused():
            try:
                analysis, flags = analyse_streamed(conn, case_id, as_of=when)
            except DateError as exc:
                fail(f"case {case_id!r}: {exc}")
            write_flags(analysis, fmt, sys.stdout, flags=flags)
    finally:
        conn.close()


def _flags_for_every_case(conn, when, fmt: str) -> None:
    """``flags --all``: each case analysed, written and let go before the next."""
    from caseline.analysis import analyse, clear_cache
    from caseline.dates import DateError
    from caseline.export.flags import write_caseload
    from caseline.store import list_cases

    case_ids = [case.id for case in list_cases(conn)]
    skipped: list[str] = []

    def analyses(update):
        for done, case_id in enumerate(case_ids, 1):
            try:
                yield analyse(conn, case_id, as_of=when, with_anchors=False)
            except DateError as exc:
                skipped.append(case_id)
                echo(f"caseline: case {case_id!r} skipped: {exc}", err=True)
            clear_cache()  # one case at a time: a caseload of thousands stays one case's size
            if update is not None:
                update(done)

    with _progress(len(case_ids), "analysing", "cases", threshold=50) as update:
        write_caseload(analyses(update), fmt, sys.stdout)
    if skipped:
        fail(f"{len(skipped)} of {len(case_ids)} case(s) skipped (named above); the rest are written", EXIT_PROBLEMS)


@cli.command("guidance")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--db", help="Show the rules in force in this database (with its local policy).")
def guidance_command(fmt: str, db: str | None) -> None:
    """The rule library: each rule, its timescale, citation and status."""
    from caseline.store import library_for

    conn = _reading(db) if db else None
    try:
        rules = sorted(library_for(conn).values(), key=lambda rule: rule.id)
    finally:
        if conn is not None:
            conn.close()
    if fmt == "json":
        import json

        click.echo(json.dumps([rule.to_dict() for rule in rules], indent=2))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from caseline.sanitize import clean

    table = Table(header_style="bold", show_lines=True)
    for name in ("rule", "shape", "status", "timescale", "citation"):
        table.add_column(name, overflow="fold")
    for rule in rules:
        table.add_row(
            Text(clean(f"{rule.id}\n{rule.title}", one_line=False)),
            Text(clean(f"{rule.shape}\nper {rule.scope}\nabsent: {rule.absence}", one_line=False)),
            Text(clean(f"{rule.status_label}\n({rule.confidence} confidence)", one_line=False)),
            Text(clean(_timescale(rule), one_line=False)),
            Text(clean(rule.citation_text)),
        )
    Console().print(table)


def _timescale(rule) -> str:
    keys = ("within", "extended", "every", "first_within", "first", "second", "then", "window", "threshold")
    return "\n".join(f"{key}: {rule.params[key]}" for key in keys if key in rule.params)


@cli.group("policy")
def policy_group() -> None:
    """Local policy: override rule parameters for this database (or one council)."""


@policy_group.command("list")
@DB_ARG
def policy_list(db: str) -> None:
    """List the local overrides in DB."""
    from caseline.store import policy_rows

    conn = _reading(db)
    try:
        rows = sorted(policy_rows(conn))
    finally:
        conn.close()
    if not rows:
        click.echo("no local policy: every rule uses the library's figures")
    for rule_id, council, param, value in rows:
        scope = council or "all councils"
        echo(f"{rule_id}.{param} = {value} ({scope})")


@policy_group.command("set")
@DB_ARG
@click.argument("rule_id")
@click.argument("assignment", metavar="PARAM=VALUE")
@click.option("--council", default="", help="Apply only to cases of this council.")
def policy_set(db: str, rule_id: str, assignment: str, council: str) -> None:
    """Override one parameter of a rule, e.g. cin_visits every="4 weeks"."""
    import json

    from caseline.guidance import GuidanceError, coerce_policy_value
    from caseline.store import library_for
    from caseline.store import StoreError, Transaction
    from caseline.store.writes import set_policy

    if "=" not in assignment:
        fail(f"{assignment!r}: write PARAM=VALUE, e.g. every=4 weeks")
    param, raw = (part.strip() for part in assignment.split("=", 1))
    conn = _open(db)
    try:
        rules = library_for(conn)
        if rule_id not in rules:
            fail(f"no rule {rule_id!r}; see 'caseline guidance' for the rule ids")
        try:
            value = coerce_policy_value(rules[rule_id], param, raw)
        except GuidanceError as exc:
            fail(str(exc))
        try:
            with Transaction(conn):
                set_policy(conn, rule_id, council, param, json.dumps(value))
        except StoreError as exc:
            fail(str(exc), EXIT_UNUSABLE)
    finally:
        conn.close()
    echo(f"{rule_id}.{param} = {json.dumps(value)} ({council or 'all councils'})")


def _add_investigator_commands() -> None:
    from caseline.cli_notes import export_command, notes_group

    cli.add_command(notes_group)
    cli.add_command(export_command)


_add_investigator_commands()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="caseline")
