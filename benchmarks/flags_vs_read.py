"""Flags on a 1,000,000-event case against a raw read of its rows, in one run.

Run: .venv/bin/python benchmarks/flags_vs_read.py [--rows N]

Prints the time to read every row of the case with sqlite3 (no processing), the time for
`caseline.analysis.analyse` (its own reading included), their ratio (target <= 2.0) and
the process's peak memory (target < 500 MB). Both are timed --repeat times, alternating, and
the medians compared: on a shared machine single runs of either vary by a fifth.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _synthetic import bench_run, make_case_db, peak_rss_mb  # noqa: E402


def raw_read_seconds(db: Path) -> tuple[float, int]:
    raw = sqlite3.connect(db)
    started = time.perf_counter()
    cursor = raw.execute("SELECT * FROM events WHERE case_id = ? ORDER BY date_start, date_end, id", ("bench",))
    read = 0
    while batch := cursor.fetchmany(10000):
        read += len(batch)
    elapsed = time.perf_counter() - started
    raw.close()
    return elapsed, read


def flags_seconds(db: Path) -> tuple[float, int]:
    from caseline.analysis import analyse, clear_cache
    from caseline.store import open_database

    clear_cache()  # time the computation, not the cache
    conn = open_database(db, read_only=True)
    started = time.perf_counter()
    flags = analyse(conn, "bench", with_anchors=False).flags  # what `caseline flags` computes
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed, len(flags)


def main() -> None:
    with bench_run(__doc__, repeat=3) as (args, work):
        db = make_case_db(work / "big.db", "bench", args.rows)
        reads, runs = [], []
        for _ in range(args.repeat):  # alternating, so a busy moment hits both alike
            t_read, read = raw_read_seconds(db)
            reads.append(t_read)
            t_flags, flag_count = flags_seconds(db)
            runs.append(t_flags)
        t_read, t_flags = statistics.median(reads), statistics.median(runs)
        print(f"{read:,} events; {flag_count:,} flags; medians of {args.repeat} runs")
        print(f"raw sqlite3 read:     {t_read:6.2f} s")
        print(f"caseline flags:       {t_flags:6.2f} s")
        print(f"ratio flags / read:   {t_flags / t_read:6.2f}  (target <= 2.0)")
        print(f"peak memory:          {peak_rss_mb():6.0f} MB  (target < 500)")


if __name__ == "__main__":
    main()
