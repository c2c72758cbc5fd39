"""England's bank holidays, from the ``holidays`` package, remembered between runs.

Importing ``holidays`` and working out its first year took a seventh of a second in every
process that counts working days (``caseline flags`` on a long case starts two, the explorer
one). So the days of the whole supported span are worked out once and kept in the user's cache
folder (``$XDG_CACHE_HOME/caseline``, else ``~/.cache/caseline``), named by the installed
``holidays`` release: an update that adds a bank holiday is picked up at once. A cache that
cannot be read or written is no error; the days are then worked out afresh. The file holds
public dates only, never anything of a case.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

__all__ = ["closed_days", "cache_file"]

_FORMAT = 1  # the file's layout: a different one is worked out afresh


def closed_days(first_year: int, last_year: int, span: tuple[int, int]) -> set[date]:
    """England's bank holidays from *first_year* to *last_year* (within *span*, the years
    the cache holds: the calendar's whole supported range)."""
    every = _remembered(span)
    if every is None:
        return _worked_out(range(first_year, last_year + 1))
    return {day for day in every if first_year <= day.year <= last_year}


def cache_file() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "caseline" / "bank-holidays.json"


def _worked_out(years: range) -> set[date]:
    import holidays  # imported here: it is slow to import

    return set(holidays.country_holidays("GB", subdiv="ENG", years=years))


def _release() -> str | None:
    """What names the installed ``holidays``: where it is, and when and how large its files
    for the United Kingdom are (an upgrade writes them anew), found without importing it;
    ``None`` when it cannot be told."""
    from importlib.util import find_spec

    try:
        spec = find_spec("holidays")
        if spec is None or not spec.origin:
            return None
        folder = Path(spec.origin).parent
        marks = [os.stat(file) for file in (spec.origin, folder / "countries" / "united_kingdom.py")]
    except (OSError, ValueError, ImportError):
        return None
    return f"{folder}:" + ":".join(f"{mark.st_mtime_ns}-{mark.st_size}" for mark in marks)


def _remembered(span: tuple[int, int]) -> list[date] | None:
    """The span's bank holidays from the cache, put there first if it lacks them; ``None``
    when the release of ``holidays`` cannot be told (then nothing is kept)."""
    release = _release()
    if release is None:
        return None
    wanted = {"format": _FORMAT, "holidays": release, "span": list(span)}
    path = cache_file()
    try:
        kept = json.loads(path.read_text())
        if {key: kept.get(key) for key in wanted} == wanted:
            return [date.fromisoformat(day) for day in kept["days"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        pass  # none yet, or not one of ours: worked out again below
    days = sorted(_worked_out(range(span[0], span[1] + 1)))
    _keep(path, {**wanted, "days": [day.isoformat() for day in days]})
    return days


def _keep(path: Path, content: dict) -> None:
    """Write *content* to *path* whole or not at all (a rename), readable by its owner only."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump(content, out)
        os.replace(temporary, path)
    except OSError:  # a read-only or full home: the days are worked out again next time
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass
