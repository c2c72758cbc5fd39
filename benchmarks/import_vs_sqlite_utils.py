"""Import 1,000,000 events with `caseline import` and with plain `sqlite-utils insert --csv`.

Run: .venv/bin/python benchmarks/import_vs_sqlite_utils.py [--rows N]

Prints both times and the ratio (target: caseline, validating every row, <= 1.0x
sqlite-utils), then time-to-first-screen of `caseline open` on that case versus a 10-event
case (target ratio <= 1.3), the median of --repeat runs each. Both are measured in this one
run on this machine.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _synthetic import bench_run, make_case_db, median_first_screens, write_csv  # noqa: E402

BIN = Path(sys.executable).parent


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    with bench_run(__doc__, repeat=5) as (args, work):
        csv_path = write_csv(work / "events.csv", "bench", args.rows)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"{args.rows:,} rows, {size_mb:.0f} MB of CSV")

        ours = work / "caseline.db"
        subprocess.run([BIN / "caseline", "init", ours], check=True, stdout=subprocess.DEVNULL)
        t_caseline = timed([BIN / "caseline", "import", str(ours), str(csv_path), "--create-cases"])

        theirs = work / "sqlite_utils.db"
        subprocess.run([BIN / "caseline", "init", theirs], check=True, stdout=subprocess.DEVNULL)
        t_sqlite_utils = timed([BIN / "sqlite-utils", "insert", str(theirs), "events", str(csv_path), "--csv"])

        print(f"caseline import (validating every row): {t_caseline:6.2f} s")
        print(f"sqlite-utils insert --csv:              {t_sqlite_utils:6.2f} s")
        print(f"ratio caseline / sqlite-utils:          {t_caseline / t_sqlite_utils:6.2f}  (target <= 1.0)")

        small = make_case_db(work / "small.db", "small", 10)
        medians = median_first_screens({"big": (ours, "bench"), "small": (small, "small")}, args.repeat)
        big_screen, small_screen = medians["big"], medians["small"]
        print(f"first screen (median of {args.repeat}), {args.rows:,} events:  {big_screen:6.3f} s")
        print(f"first screen, 10 events:          {small_screen:6.3f} s")
        print(f"ratio:                            {big_screen / small_screen:6.2f}  (target <= 1.3)")


if __name__ == "__main__":
    main()
