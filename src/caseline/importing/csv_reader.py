"""Event rows from a CSV file, streamed: the file is read a line at a time, never whole."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

from caseline.importing.problems import Problems
from caseline.kinds import EVENT_COLUMNS, REQUIRED_EVENT_COLUMNS

IMPORT_COLUMNS = frozenset(EVENT_COLUMNS)


class CsvFile:
    """A CSV file of events read a line at a time: its checked header, then its rows.

    Header problems (missing, unknown or repeated columns) leave :attr:`header` ``None``; a
    row of the wrong width is reported and skipped.

    Args:
        path: the file.
        problems: where problems go.
        progress: called now and then with the bytes and the rows read so far.
    """

    def __init__(self, path: Path, problems: Problems, progress: Callable[[int, int], None] | None = None) -> None:
        self.path = path
        self.problems = problems
        self.progress = progress
        self.header: list[str] | None = None
        self.read = 0
        self._handle = None
        try:
            # Text mode with the C decoder: a Python loop per line would cost a third of the
            # import. A bad byte is located afterwards (:func:`_bad_utf8_line`).
            self._handle = path.open(encoding="utf-8-sig", newline="")
        except OSError as exc:
            problems.add(str(path), None, f"cannot be read ({exc.strerror})")
            return
        # Straight from the file (a generator between them cost a tenth of a bulk import);
        # the progress bar reads how far the decoder has got in the file's bytes.
        self._reader = csv.reader(self._handle)
        try:
            header = [column.strip() for column in next(self._reader)]
        except StopIteration:
            problems.add(str(path), None, "is empty")
        except UnicodeDecodeError:
            self._not_utf8()
        except csv.Error as exc:
            problems.add(f"{path}:1", None, f"is not valid CSV ({exc})")
        else:
            if _header_ok(path, header, problems):
                self.header = header
        if self.header is None:
            self.close()

    def _bytes_read(self) -> int:
        return self._handle.buffer.tell() if self._handle is not None else self.read

    def _not_utf8(self) -> None:
        line, column = _bad_utf8_line(self.path)
        self.problems.add(f"{self.path}:{line}", None, f"is not UTF-8 text (byte {column} of the line); save it as UTF-8")

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """``(line, values)`` for each data row, values in header order."""
        if self.header is None:
            return
        width = len(self.header)
        reader = self._reader
        count = 0
        try:
            for row in reader:
                if len(row) != width:
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue
                    self.problems.add(f"{self.path}:{reader.line_num}", None,
                                      f"has {len(row)} fields, the header has {width}")
                    continue
                count += 1
                yield reader.line_num, row
                if self.progress is not None and count % 5000 == 0:
                    self.read = self._bytes_read()
                    self.progress(self.read, count)
        except UnicodeDecodeError:
            self._not_utf8()
        except csv.Error as exc:
            self.problems.add(f"{self.path}:{reader.line_num}", None, f"is not valid CSV ({exc})")
        finally:
            self.read = self._bytes_read()
            self.close()
        if self.progress is not None:
            self.progress(self.read, count)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def csv_rows(path: Path, problems: Problems, progress: Callable[[int, int], None] | None = None
             ) -> Iterator[tuple[str, dict[str, str]]]:
    """``(FILE:LINE, {column: value})`` for each data row of *path* (see :class:`CsvFile`)."""
    source = CsvFile(path, problems, progress)
    if source.header is None:
        return
    for line, row in source.rows():
        yield f"{path}:{line}", dict(zip(source.header, row))


def _bad_utf8_line(path: Path) -> tuple[int, int]:
    """The line and byte (both from 1) of the first byte in *path* that is not UTF-8."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                return number, exc.start + 1
    return 1, 1


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
