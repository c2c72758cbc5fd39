"""Event rows from a CSV file, streamed: the file is read a line at a time, never whole."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

from caseline.importing.problems import Problems
from caseline.kinds import EVENT_COLUMNS, REQUIRED_EVENT_COLUMNS

IMPORT_COLUMNS = frozenset(EVENT_COLUMNS)


def csv_rows(path: Path, problems: Problems, progress: Callable[[int, int], None] | None = None
             ) -> Iterator[tuple[str, dict[str, str]]]:
    """``(FILE:LINE, {column: value})`` for each data row of *path*.

    Header problems (missing, unknown or repeated columns) stop the file; a row of the wrong
    width is reported and skipped. *progress* is called now and then with the bytes and the
    rows read so far.
    """
    try:
        handle = path.open("rb")
    except OSError as exc:
        problems.add(str(path), None, f"cannot be read ({exc.strerror})")
        return
    read = 0

    def lines() -> Iterator[str]:
        # Bytes a line at a time, decoded here: a bad byte is reported on its own line.
        nonlocal read
        for number, raw in enumerate(handle, start=1):
            read += len(raw)
            try:
                yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise _NotUtf8(number, exc.start + 1) from None

    with handle:
        reader = csv.reader(lines())
        try:
            header = [column.strip() for column in next(reader)]
        except StopIteration:
            problems.add(str(path), None, "is empty")
            return
        except _NotUtf8 as exc:
            problems.add(f"{path}:{exc.line}", None, exc.message)
            return
        except csv.Error as exc:
            problems.add(f"{path}:1", None, f"is not valid CSV ({exc})")
            return
        if not _header_ok(path, header, problems):
            return
        width = len(header)
        try:
            for count, row in enumerate(reader, start=1):
                where = f"{path}:{reader.line_num}"
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != width:
                    problems.add(where, None, f"has {len(row)} fields, the header has {width}")
                    continue
                yield where, dict(zip(header, row))
                if progress is not None and count % 5000 == 0:
                    progress(read, count)
        except _NotUtf8 as exc:
            problems.add(f"{path}:{exc.line}", None, exc.message)
        except csv.Error as exc:
            problems.add(f"{path}:{reader.line_num}", None, f"is not valid CSV ({exc})")
    if progress is not None:
        progress(read, reader.line_num - 1 if reader.line_num else 0)


class _NotUtf8(Exception):
    def __init__(self, line: int, column: int) -> None:
        super().__init__(line)
        self.line = line
        self.message = f"is not UTF-8 text (byte {column} of the line); save it as UTF-8"


def _header_ok(path: Path, header: list[str], problems: Problems) -> bool:
    if not any(header):
        problems.add(str(path), None, "is empty")
        return False
    missing = [column for column in REQUIRED_EVENT_COLUMNS if column not in header]
    unknown = [column for column in header if column not in IMPORT_COLUMNS]
    duplicated = sorted({column for column in header if header.count(column) > 1})
    if missing:
        problems.add(f"{path}:1", None, f"missing required column(s): {', '.join(missing)}")
    if unknown:
        problems.add(
            f"{path}:1",
            None,
            f"unknown column(s): {', '.join(unknown)} (the columns are: {', '.join(EVENT_COLUMNS)})",
        )
    if duplicated:
        problems.add(f"{path}:1", None, f"column(s) named twice: {', '.join(duplicated)}")
    return not (missing or unknown or duplicated)
