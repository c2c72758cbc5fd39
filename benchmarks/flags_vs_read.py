"""Flags on a 1,000,000-event case against a raw read of its rows, in one run.

Run: .venv/bin/python benchmarks/flags_vs_read.py [--rows N]

Prints the time to read every row of the case with sqlite3 (no processing), the time for
`caseline.analysis.case_flags` (its own reading included), their ratio (target <= 2.0) and
the process's peak memory (target < 500 MB).
"""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _synthetic import bench_run, make_case_db, peak_rss_mb  # noqa: E402


def main() -> None:
    with bench_run(__doc__) as (args, work):
        db = make_case_db(work / "big.db", "bench", args.rows)
        raw = sqlite3.connect(db)
        started = time.perf_counter()
        cursor = raw.execute("SELECT * FROM events WHERE case_id = ? ORDER BY date_start, date_end, id", ("bench",))
        read = 0
        while batch := cursor.fetchmany(10000):
            read += len(batch)
        t_read = time.perf_counter() - started
        raw.close()

        from caseline.analysis import case_flags
        from caseline.store import open_database

        conn = open_database(db, read_only=True)
        started = time.perf_counter()
        flags = case_flags(conn, "bench")
        t_flags = time.perf_counter() - started
        conn.close()
        print(f"{read:,} events; {len(flags):,} flags")
        print(f"raw sqlite3 read:     {t_read:6.2f} s")
        print(f"caseline flags:       {t_flags:6.2f} s")
        print(f"ratio flags / read:   {t_flags / t_read:6.2f}  (target <= 2.0)")
        print(f"peak memory:          {peak_rss_mb():6.0f} MB  (target < 500)")


if __name__ == "__main__":
    main()
