"""Synthetic chronologies for benchmarks: plausible kinds and dates, no real data."""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import tempfile
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

HEADER = ["case_id", "date_start", "date_end", "date_text", "kind", "actor", "summary", "source"]
KINDS = ["cin_visit"] * 6 + ["note"] * 10 + ["meeting"] * 2 + ["worker_allocated", "family_informed",
                                                               "strategy_discussion", "cin_review"]


def rows(case_id: str, count: int, seed: int = 7):
    """*count* events from 2000 onwards, a few a week, inside an open CIN plan."""
    rnd = random.Random(seed)
    first = date(2000, 1, 3)
    span_days = 25 * 365  # a long case: 25 years, however many events
    yield [case_id, first.isoformat(), first.isoformat(), "", "cin_plan_start", "W0", "CIN plan agreed", "synthetic"]
    workers = 1
    for n in range(1, count):
        day = first + timedelta(days=n * span_days // count)
        kind = rnd.choice(KINDS)
        end = day
        text = ""
        if rnd.random() < 0.05:
            end = day + timedelta(days=rnd.choice((3, 9, 27)))
            text = "some time that month"
        actor = f"W{workers}"
        if kind == "worker_allocated":
            workers += 1
            actor = f"W{workers}"
        yield [case_id, day.isoformat(), end.isoformat(), text, kind, actor, f"Synthetic event {n}", "bench"]


def write_csv(path: Path, case_id: str, count: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows(case_id, count))
    return path


#: Runs a command and prints its wall time, the peak RSS of the largest process among it and
#: its children (what ``/usr/bin/time`` reports), and the peak of their RSS summed, sampled
#: every 20 ms from /proc (0 where there is no /proc): a command that starts a child of its
#: own uses the memory of both at once.
_MEASURE = """
import json, os, resource, subprocess, sys, time

def tree_kb(pid):
    pids, total = [pid], 0
    while pids:
        p = pids.pop()
        try:
            with open(f"/proc/{p}/status") as status:
                total += next((int(l.split()[1]) for l in status if l.startswith("VmRSS:")), 0)
            with open(f"/proc/{p}/task/{p}/children") as children:
                pids += [int(c) for c in children.read().split()]
        except OSError:
            pass
    return total

started = time.perf_counter()
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
together = 0
while process.poll() is None:
    together = max(together, tree_kb(process.pid) if os.path.isdir("/proc") else 0)
    time.sleep(0.02)
elapsed = time.perf_counter() - started
if process.returncode:
    sys.exit(process.returncode)
print(json.dumps([elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, together / 1024]))
"""


def measure(command: list) -> tuple[float, float]:
    """``(seconds, peak MB)`` of running *command* as a process of its own (its peak alone)."""
    seconds, peak, _ = measure_together(command)
    return seconds, peak


def measure_together(command: list) -> tuple[float, float, float]:
    """``(seconds, peak MB of the largest process, peak MB of all its processes at once)``."""
    import json
    import subprocess
    import sys

    with_bytecode()
    out = subprocess.run([sys.executable, "-c", _MEASURE, *map(str, command)], check=True, capture_output=True,
                         text=True)
    seconds, peak, together = json.loads(out.stdout)
    return seconds, peak, together


def with_bytecode() -> None:
    """caseline's modules compiled to bytecode (once a run), as an install leaves them or the
    first run writes them: with ``PYTHONDONTWRITEBYTECODE`` set (this machine sets it) every
    run, and each child a run starts, would compile them from source first (0.1 s each)."""
    global _COMPILED
    if not _COMPILED:
        import compileall

        import caseline

        compileall.compile_dir(Path(caseline.__file__).parent, quiet=1)
        _COMPILED = True


_COMPILED = False


def summary(values: list[float]) -> str:
    """``median (min-max)`` of some timings."""
    import statistics

    return f"{statistics.median(values):7.2f} ({min(values):.2f}-{max(values):.2f})"


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_case_db(path: Path, case_id: str, count: int) -> Path:
    """A caseline database holding one synthetic case of *count* events."""
    from caseline.store import open_database

    conn = open_database(path, create=True)
    conn.execute("BEGIN")
    conn.execute("INSERT INTO cases (id, title, council) VALUES (?, ?, 'Synthetic council')",
                 (case_id, f"Synthetic case of {count:,} events"))
    conn.executemany(
        "INSERT INTO events (case_id, date_start, date_end, date_text, kind, actor, summary, source) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows(case_id, count),
    )
    conn.execute("COMMIT")
    conn.close()
    return path


CACHE = Path(tempfile.gettempdir()) / "caseline-bench-cache"


def cached_case_db(case_id: str, count: int) -> Path:
    """*make_case_db*, built once into ``/tmp/caseline-bench-cache`` and reused by later runs.

    Ten million events take minutes to build; the file is named by its size and the schema
    version, and written under a temporary name so an interrupted build is never reused.
    """
    from caseline.store import SCHEMA_VERSION

    CACHE.mkdir(mode=0o700, exist_ok=True)
    path = CACHE / f"{case_id}-{count}-v{SCHEMA_VERSION}.db"
    if not path.exists():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        make_case_db(partial, case_id, count)
        partial.rename(path)
    return path


@contextmanager
def bench_run(doc: str, repeat: int = 1):
    """Parse ``--rows`` (and ``--repeat``) and give a scratch folder that is removed afterwards."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=repeat, help="runs per size; medians are compared")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="caseline-bench-"))
    try:
        yield args, work
    finally:
        shutil.rmtree(work, ignore_errors=True)


async def first_screen_seconds(db: Path, case_id: str) -> float:
    """Seconds from creating the app to the timeline rendering its first row (read-only open).

    The moment is taken inside the render, not by polling from the test loop: background
    workers start right after that paint, and a poll would charge their time to the paint.
    """
    from caseline.tui.app import CaselineApp
    from caseline.tui.timeline_view import TimelineView

    painted: list[float] = []
    render_row = TimelineView._render_row

    def noting_first_paint(view, *args):
        if not painted:
            painted.append(time.perf_counter())
        return render_row(view, *args)

    TimelineView._render_row = noting_first_paint
    try:
        started = time.perf_counter()
        app = CaselineApp(str(db), case_id=case_id, read_only=True, today=date(2026, 1, 1))
        async with app.run_test(size=(160, 48)) as pilot:
            while not painted:
                await pilot.pause()
            await settled(app, pilot)
    finally:
        TimelineView._render_row = render_row
    return painted[0] - started


async def settled(app, pilot) -> None:
    """Wait until the case screen has its full index and its flags (workers start after paint)."""
    while not (getattr(app.screen, "flags_ready", False) and getattr(app.screen, "index_complete", False)):
        await app.workers.wait_for_complete()
        await pilot.pause()


def median_first_screens(dbs: dict[str, tuple[Path, str]], repeat: int) -> dict[str, float]:
    """Median first-screen seconds per named database, runs alternating between them."""
    import asyncio
    import statistics

    import gc

    runs: dict[str, list[float]] = {name: [] for name in dbs}
    for _ in range(repeat):
        for name, (db, case_id) in dbs.items():
            gc.collect()  # the last run's million-row structures are not charged to this one
            runs[name].append(asyncio.run(first_screen_seconds(db, case_id)))
    return {name: statistics.median(times) for name, times in runs.items()}
