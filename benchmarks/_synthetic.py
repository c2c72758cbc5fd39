"""Synthetic chronologies for benchmarks: plausible kinds and dates, no real data."""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import tempfile
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


@contextmanager
def bench_run(doc: str):
    """Parse ``--rows`` and give a scratch folder that is removed afterwards."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="caseline-bench-"))
    try:
        yield args, work
    finally:
        shutil.rmtree(work, ignore_errors=True)
