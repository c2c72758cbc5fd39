"""Import time and peak memory: `caseline import` against two baselines, in one run.

Run: .venv/bin/python benchmarks/import_vs_sqlite_utils.py [--sizes 1000000,10000000] [--repeat 3]
(the default is 1M rows; at 10M sqlite-utils alone takes minutes a run).

For each size one synthetic CSV is written, then three sides load it into a fresh database
made by `caseline init` (same schema, same indexes), alternating run by run so a busy moment
hits all alike:

* caseline — `caseline import DB FILE --create-cases`: every row validated, staged and
  compared, one transaction;
* physical limit — the same rows read by `csv.reader` and written by one `executemany` in one
  transaction (no validation at all): what SQLite itself costs (target: caseline <= 1.3x);
* sqlite-utils — `sqlite-utils insert DB events FILE --csv`, the tool data teams already use
  (it commits every 100 rows, so it is a slow yardstick, shown for orientation).

Each side runs as its own process; its peak resident memory is read from the kernel
(`RUSAGE_CHILDREN` of a wrapper that runs only it). Printed: median and min-max seconds,
median peak MB (caseline's target: <= 200 MB at 10M rows), and the ratios.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _synthetic import HEADER, write_csv  # noqa: E402

BIN = Path(sys.executable).parent

#: Runs a command and prints its wall time and the peak RSS of that one child.
_MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
elapsed = time.perf_counter() - started
print(json.dumps([elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024]))
"""

#: The physical limit: the same rows, no checks, one executemany in one transaction.
_PHYSICAL = f"""
import csv, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN")
conn.execute("INSERT OR IGNORE INTO cases (id, title) VALUES ('bench', 'bench')")
with open(sys.argv[2], newline="", encoding="utf-8") as handle:
    rows = csv.reader(handle)
    next(rows)
    conn.executemany("INSERT INTO events ({', '.join(HEADER)}) VALUES ({', '.join('?' * len(HEADER))})", rows)
conn.execute("COMMIT")
"""


def measure(command: list[str]) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", _MEASURE, *map(str, command)], check=True, capture_output=True, text=True)
    seconds, peak = json.loads(out.stdout)
    return seconds, peak


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
}


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):7.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000", help="row counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="caseline-bench-"))
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            csv_path = write_csv(work / "events.csv", "bench", size)
            print(f"\n{size:,} rows, {csv_path.stat().st_size / 1e6:.0f} MB of CSV; {args.repeat} runs per side, alternating")
            times = {side: [] for side in SIDES}
            peaks = {side: [] for side in SIDES}
            for _ in range(args.repeat):
                for side, command in SIDES.items():
                    db = fresh_db(work, side.replace(" ", "_"))
                    seconds, peak = measure(command(db, csv_path))
                    times[side].append(seconds)
                    peaks[side].append(peak)
            for side in SIDES:
                print(f"  {side:15} {summary(times[side])} s   peak {statistics.median(peaks[side]):6.0f} MB")
            ours = statistics.median(times["caseline"])
            print(f"  caseline / physical limit: {ours / statistics.median(times['physical limit']):5.2f}  (target <= 1.3)")
            print(f"  caseline / sqlite-utils:   {ours / statistics.median(times['sqlite-utils']):5.2f}")
            print(f"  caseline peak memory:      {statistics.median(peaks['caseline']):5.0f} MB  (target <= 200 at 10M)")
            csv_path.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
