"""A council's whole extract: many cases in one CSV, imported and checked, time and peak memory.

Run: .venv/bin/python benchmarks/import_many_cases.py [--cases 10000] [--events 1000]
     [--order case|date] [--repeat 1]

One synthetic CSV is written (benchmarks/_synthetic.py's chronologies, one per case, each with
its own seed; a `ref` column whose values repeat across cases but never within one, so the
unique index on (case_id, ref) is exercised). `--order case` writes each case's rows together
(an extract sorted by case), `--order date` interleaves every case by date (sorted by day).
The default is 10,000 cases x 1,000 events = 10,000,000 rows (about 800 MB of CSV).

Sides, alternating run by run, each into a fresh database made by `caseline init`:

* caseline import — `caseline import DB FILE --create-cases`, one command, one transaction;
* physical limit — the physical limit of benchmarks/import_vs_sqlite_utils.py: one
  `executemany` of the same rows with the search index built once, cases made from the ids
  the rows name, one transaction, nothing validated;
* caseline check — `caseline check DB` on the database caseline just imported (it reads every
  row through the row check; a bar shows progress on a terminal).

Each runs as its own process; peak resident memory is that process's (RUSAGE_CHILDREN of a
wrapper that runs only it). Targets: import and check peak <= 200 MB however many cases.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _synthetic import HEADER, measure, rows, summary  # noqa: E402
from import_vs_sqlite_utils import _PHYSICAL, BIN, fresh_db  # noqa: E402


def case_name(k: int) -> str:
    return f"C{k:05d}"


def write_many_cases_csv(path: Path, cases: int, per_case: int, order: str = "case") -> Path:
    """*cases* synthetic chronologies of *per_case* events each, with a per-case ``ref``."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*HEADER, "ref"])
        if order == "case":
            for k in range(cases):
                writer.writerows([*row, f"R{n}"] for n, row in enumerate(rows(case_name(k), per_case, seed=k)))
        else:
            # Every case's n-th event has the same day (the chronologies share one calendar), so
            # taking them round-robin writes the file in day order.
            streams = [rows(case_name(k), per_case, seed=k) for k in range(cases)]
            for n in range(per_case):
                writer.writerows([*next(stream), f"R{n}"] for stream in streams)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000, help="events per case")
    parser.add_argument("--order", choices=("case", "date"), default="case")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="caseline-bench-"))
    try:
        csv_path = write_many_cases_csv(work / "extract.csv", args.cases, args.events, args.order)
        total = args.cases * args.events
        print(f"{args.cases:,} cases x {args.events:,} events = {total:,} rows ({args.order} order), "
              f"{csv_path.stat().st_size / 1e6:.0f} MB of CSV; {args.repeat} run(s) per side, alternating", flush=True)
        sides = ("caseline import", "physical limit", "caseline check")
        times: dict[str, list[float]] = {side: [] for side in sides}
        peaks: dict[str, list[float]] = {side: [] for side in sides}
        for _ in range(args.repeat):
            ours = fresh_db(work, "caseline")
            for side, command in (
                ("caseline import", [BIN / "caseline", "import", ours, csv_path, "--create-cases"]),
                ("physical limit", [sys.executable, "-c", _PHYSICAL, fresh_db(work, "physical"), csv_path]),
                ("caseline check", [BIN / "caseline", "check", ours]),
            ):
                seconds, peak = measure(command)
                times[side].append(seconds)
                peaks[side].append(peak)
                print(f"    {side}: {seconds:.1f} s, peak {peak:.0f} MB", flush=True)
        for side in sides:
            print(f"  {side:16} {summary(times[side])} s   peak {statistics.median(peaks[side]):6.0f} MB")
        ratio = statistics.median(times["caseline import"]) / statistics.median(times["physical limit"])
        print(f"  import / physical limit: {ratio:5.2f}  (target <= 1.3)")
        print(f"  import peak {statistics.median(peaks['caseline import']):.0f} MB, check peak "
              f"{statistics.median(peaks['caseline check']):.0f} MB  (target <= 200 each)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
