"""Import time and peak memory: `caseline import` against two baselines, in one run.

Run: .venv/bin/python benchmarks/import_vs_sqlite_utils.py [--sizes 1000000,10000000] [--repeat 3]
(the default is 1M rows; at 10M sqlite-utils alone takes many minutes a run; --no-sqlite-utils
leaves it out).

For each size one synthetic CSV is written, then the sides load it into a fresh database made
by `caseline init` (schema 5: the same tables, indexes, search index and its triggers),
alternating run by run so a busy moment hits all alike. Every side ends with the same rows
stored, every index built and the search index (`events_fts`) in step with them:

* caseline — `caseline import DB FILE --create-cases`: every row validated, refs and dates
  checked by SQLite, the search index's triggers paused and the index built once, one
  transaction;
* physical limit — what SQLite itself costs for the same end state: the rows read by
  `csv.reader` and written by one `executemany` (no validation at all) with the search
  index's triggers dropped, the index built by one `rebuild`, the triggers created again, all
  in one transaction. The search index is part of the schema, so the limit builds it too;
  it builds it the cheapest way SQLite offers (target: caseline <= 1.3x);
* sqlite-utils — `sqlite-utils insert DB events FILE --csv`, the tool data teams already use
  (it commits every 100 rows, and the triggers index each row as it goes, so it is a slow
  yardstick, shown for orientation);
* with --trigger-baseline also "executemany, triggers": the physical limit's executemany with
  the triggers left to index row by row (what the limit was before the index was built once).

Each side runs as its own process; its peak resident memory is read from the kernel
(`RUSAGE_CHILDREN` of a wrapper that runs only it). Printed: median and min-max seconds,
median peak MB (caseline's target: <= 200 MB at 10M rows), and the ratios.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _synthetic import measure, summary, write_csv  # noqa: E402

BIN = Path(sys.executable).parent


#: The physical limit: the same rows, no checks, one executemany in one transaction; the
#: search index built once (its triggers dropped, then made again), unless "triggers" is given.
#: Cases are made from the ids the rows name, as `--create-cases` does.
_PHYSICAL = """
import csv, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
keep_triggers = sys.argv[3:] == ["triggers"]
conn.execute("BEGIN IMMEDIATE")
triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'events_fts_%'").fetchall()
if not keep_triggers:
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {name}")
with open(sys.argv[2], newline="", encoding="utf-8") as handle:
    rows = csv.reader(handle)
    header = next(rows)
    conn.executemany(f"INSERT INTO events ({', '.join(header)}) VALUES ({', '.join('?' * len(header))})", rows)
conn.execute("INSERT OR IGNORE INTO cases (id, title) SELECT DISTINCT case_id, case_id FROM events")
if not keep_triggers:
    conn.execute("INSERT INTO events_fts(events_fts) VALUES ('rebuild')")
    for _, sql in triggers:
        conn.execute(sql)
conn.execute("COMMIT")
"""



def fresh_db(work: Path, name: str) -> Path:
    db = work / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    subprocess.run([BIN / "caseline", "init", db], check=True, stdout=subprocess.DEVNULL)
    return db


SIDES = {
    "caseline": lambda db, csv: [BIN / "caseline", "import", db, csv, "--create-cases"],
    "physical limit": lambda db, csv: [sys.executable, "-c", _PHYSICAL, db, csv],
    "sqlite-utils": lambda db, csv: [BIN / "sqlite-utils", "insert", db, "events", csv, "--csv"],
    "executemany, triggers": lambda db, csv: [sys.executable, "-c", _PHYSICAL, db, csv, "triggers"],
}



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000", help="row counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-sqlite-utils", action="store_true", help="leave sqlite-utils out (slow at 10M)")
    parser.add_argument("--trigger-baseline", action="store_true",
                        help="also time the executemany with the search index's triggers firing per row")
    args = parser.parse_args()
    sides = {name: command for name, command in SIDES.items()
             if not (name == "sqlite-utils" and args.no_sqlite_utils)
             and not (name == "executemany, triggers" and not args.trigger_baseline)}
    work = Path(tempfile.mkdtemp(prefix="caseline-bench-"))
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            csv_path = write_csv(work / "events.csv", "bench", size)
            print(f"\n{size:,} rows, {csv_path.stat().st_size / 1e6:.0f} MB of CSV; {args.repeat} runs per side, alternating")
            times = {side: [] for side in sides}
            peaks = {side: [] for side in sides}
            for _ in range(args.repeat):
                for side, command in sides.items():
                    db = fresh_db(work, side.replace(" ", "_"))
                    seconds, peak = measure(command(db, csv_path))
                    times[side].append(seconds)
                    peaks[side].append(peak)
            for side in sides:
                print(f"  {side:22} {summary(times[side])} s   peak {statistics.median(peaks[side]):6.0f} MB", flush=True)
            ours = statistics.median(times["caseline"])
            print(f"  caseline / physical limit: {ours / statistics.median(times['physical limit']):5.2f}  (target <= 1.3)")
            for other in ("sqlite-utils", "executemany, triggers"):
                if other in sides:
                    print(f"  caseline / {other + ':':23} {ours / statistics.median(times[other]):5.2f}")
            print(f"  caseline peak memory:      {statistics.median(peaks['caseline']):5.0f} MB  (target <= 200 at 10M)")
            csv_path.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
