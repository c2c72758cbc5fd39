"""The case picker on a council's extract: how soon its first rows show, 10,000 cases against 10.

Run: .venv/bin/python benchmarks/picker_many_cases.py [--cases 10000] [--repeat 3]

Two databases of synthetic cases of 20 events each (built once into /tmp/caseline-bench-cache
by `caseline import --create-cases`): one of 10 cases and one of --cases. Each run is a fresh
process opening the explorer headless (Textual's `run_test`, 160x48), alternating the two.
Printed for each: the seconds from starting the app to the picker's table first drawing its
rows (median and min-max), and the longest the interface's loop then stalled in the next 4 s (a 10 ms timer's
lateness: the rows still being added, the events counted, the flags counted in the
background), how many cases' flags the background had counted --watch seconds after the first
paint (the breaches and attention columns), then the ratio of the first-rows times.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _synthetic import CACHE, HEADER, rows, summary, with_bytecode  # noqa: E402

BIN = Path(sys.executable).parent

#: One run: argv[1] is the database, argv[2] the seconds to watch the counting; prints
#: [seconds to rows, worst stall in seconds, cases whose flags were counted by then].
_RUN = """
import asyncio, json, sys, time
from textual.widgets import DataTable
from caseline.tui.app import CaselineApp

painted = []
render_lines = DataTable.render_lines

def first_paint(table, crop):
    if table.row_count and not painted:
        painted.append(time.perf_counter())
    return render_lines(table, crop)

DataTable.render_lines = first_paint  # when the table first draws rows

async def main():
    started = time.perf_counter()
    app = CaselineApp(sys.argv[1], read_only=True)
    async with app.run_test(size=(160, 48)):
        while not painted:
            await asyncio.sleep(0.005)
        shown = painted[0] - started
        worst, last = 0.0, time.perf_counter()
        while last - started < shown + 4:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            worst, last = max(worst, now - last - 0.01), now
        while time.perf_counter() - started < shown + float(sys.argv[2]):
            await asyncio.sleep(0.05)
        counted = len(app.screen.flag_counts)
    print(json.dumps([shown, worst, counted]))

asyncio.run(main())
"""


def cases_db(cases: int) -> Path:
    """A database of *cases* synthetic cases of 20 events, built once."""
    path = CACHE / f"picker-{cases}.db"
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    source = CACHE / f"picker-{cases}.csv"
    with source.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for k in range(cases):
            writer.writerows(rows(f"case{k:05d}", 20, seed=k))
    building = path.with_suffix(".building")
    building.unlink(missing_ok=True)
    subprocess.run([BIN / "caseline", "init", building], check=True, capture_output=True)
    subprocess.run([BIN / "caseline", "import", building, source, "--create-cases"], check=True, capture_output=True)
    source.unlink()
    building.rename(path)
    return path


def run(db: Path, watch: float) -> tuple[float, float, int]:
    out = subprocess.run([sys.executable, "-c", _RUN, str(db), str(watch)], check=True, capture_output=True,
                         text=True)
    shown, worst, counted = json.loads(out.stdout.strip().splitlines()[-1])
    return shown, worst, counted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--watch", type=float, default=20.0, help="seconds of counting watched after the first paint")
    args = parser.parse_args()
    with_bytecode()
    sides = {10: cases_db(10), args.cases: cases_db(args.cases)}
    results: dict[int, list[tuple[float, float, int]]] = {size: [] for size in sides}
    for _ in range(args.repeat):
        for size, db in sides.items():
            results[size].append(run(db, args.watch))
    for size, runs in results.items():
        print(f"  {size:>6,} cases: first rows {summary([r[0] for r in runs])} s, "
              f"worst stall after {statistics.median(r[1] for r in runs) * 1000:4.0f} ms, "
              f"flags counted for {statistics.median(r[2] for r in runs):,.0f} cases in {args.watch:g} s")
    small, large = (statistics.median(r[0] for r in results[size]) for size in sides)
    print(f"  first rows, {args.cases:,} cases / 10: {large / small:.2f}")


if __name__ == "__main__":
    main()
