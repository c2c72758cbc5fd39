"""`caseline flags` time and peak memory against two raw reads of the same case, in one run.

Run: .venv/bin/python benchmarks/flags_vs_read.py [--sizes 1000000,10000000] [--repeat 3] [--formats json,csv,table]
(the default is 1M events; the 10M database takes ~12 minutes to build the first time and is
kept in /tmp/caseline-bench-cache).

Three sides, each its own process (so its peak resident memory is its own, read from the
kernel), alternating run by run so a busy moment hits all alike:

* caseline flags — `caseline flags DB --case ID --format json` to /dev/null: start-up, the
  rules in force, reading the facts, every rule, and writing every flag (``--formats
  json,csv,table`` times each output format as a side of its own);
* same rows — the statement the engine reads with (`caseline.store.reads.facts_query`: the
  same rows, columns and order), fetched by sqlite3 and thrown away: what reading what the
  engine needs costs at the least (target: flags <= 1.5x, issue 13 asks <= 1.2x);
* every row — `SELECT *` over the whole case in timeline order, fetched and thrown away
  (target: flags <= 1.2x).

Printed: median and min-max seconds, median peak MB of the largest process (what
/usr/bin/time reports) and the most its processes held together, sampled every 20 ms
(caseline starts a child for a long case's worker-change rules; target: <= 400 MB at 10M
events), the ratios of the medians, and the number of rows and flags.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _synthetic import cached_case_db, measure_together, summary  # noqa: E402

BIN = Path(sys.executable).parent
NAMES = {1_000_000: "big", 10_000_000: "huge"}


#: A raw read: the statement in argv[2] with the JSON parameters in argv[3], rows thrown away.
_RAW = """
import json, sqlite3, sys
conn = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
cursor = conn.execute(sys.argv[2], json.loads(sys.argv[3]))
while cursor.fetchmany(10000):
    pass
"""


def same_rows_statement(db: Path, case_id: str) -> tuple[str, tuple]:
    from caseline.rules.engine import reads_recorded, required_kinds
    from caseline.store import library_for, open_database
    from caseline.store.reads import facts_query

    conn = open_database(db, read_only=True)
    rules = library_for(conn, None).values()
    conn.close()
    return facts_query(case_id, required_kinds(rules), with_recorded=reads_recorded(rules))



def count(db: Path, sql: str, params) -> int:
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
    conn.close()
    return rows



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000", help="event counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--formats", default="json", help="caseline's output formats timed, comma-separated "
                                                            "(json, csv, table: each a side of its own)")
    args = parser.parse_args()
    formats = args.formats.split(",")
    for size in (int(s) for s in args.sizes.split(",")):
        case_id = NAMES.get(size, f"case{size}")
        db = cached_case_db(case_id, size)
        same_sql, same_params = same_rows_statement(db, case_id)
        every_sql = "SELECT * FROM events WHERE case_id = ? ORDER BY date_start, date_end, id"
        ours = {f"flags --format {fmt}": [BIN / "caseline", "flags", db, "--case", case_id, "--format", fmt]
                for fmt in formats}
        sides = {
            **ours,
            "same rows": [sys.executable, "-c", _RAW, db, same_sql, json.dumps(list(same_params))],
            "every row": [sys.executable, "-c", _RAW, db, every_sql, json.dumps([case_id])],
        }
        flags = subprocess.run([BIN / "caseline", "flags", db, "--case", case_id, "--format", "json"],
                               check=True, capture_output=True, text=True).stdout
        flag_count = len(json.loads(flags)["flags"])
        del flags
        print(f"\n{size:,} events ({count(db, same_sql, same_params):,} rows read by the engine), "
              f"{flag_count:,} flags; {args.repeat} runs per side, alternating")
        times = {side: [] for side in sides}
        peaks = {side: [] for side in sides}
        together = {side: [] for side in sides}
        for _ in range(args.repeat):
            for side, command in sides.items():
                seconds, peak, all_at_once = measure_together(command)
                times[side].append(seconds)
                peaks[side].append(peak)
                together[side].append(all_at_once)
        for side in sides:
            print(f"  {side:21} {summary(times[side])} s   peak {statistics.median(peaks[side]):6.0f} MB"
                  f"   its processes together {max(together[side]):6.0f} MB")
        for side in ours:
            took = statistics.median(times[side])
            print(f"  {side}: {took / statistics.median(times['same rows']):5.2f}x same rows (target <= 1.5; 1.2 "
                  f"asked), {took / statistics.median(times['every row']):5.2f}x every row (target <= 1.2); peak "
                  f"{statistics.median(peaks[side]):.0f} MB, together at most {max(together[side]):.0f} MB "
                  f"(target <= 400 at 10M)")


if __name__ == "__main__":
    main()
