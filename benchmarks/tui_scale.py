"""The explorer on a 1,000-event and a 1,000,000-event case, measured in one run.

Run: .venv/bin/python benchmarks/tui_scale.py [--rows N]

For each size: time to first screen (app start until the timeline has painted rows), then
200 key actions (50 each of move down, page down, next flag, go to date), each followed by
a repaint. Prints both and the ratios (target <= 1.2 each), and peak memory (target <= 400 MB).
Actions are called directly rather than through Pilot.press, whose own delay (~0.1 s a key)
would swamp what is being measured. Each size is measured --repeat times, alternating sizes,
and the medians are compared: single runs of a sub-second start vary by 2x on a busy machine.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _synthetic import bench_run, make_case_db, median_first_screens, peak_rss_mb, settled  # noqa: E402


async def key_actions_seconds(db: Path, case_id: str) -> float:
    from caseline.dates import DateRange
    from caseline.tui.app import CaselineApp

    app = CaselineApp(str(db), case_id=case_id, read_only=True, today=date(2026, 1, 1))
    async with app.run_test(size=(160, 48)) as pilot:
        await settled(app, pilot)
        screen = app.screen
        timeline = screen.timeline
        days = [date(2000, 6, 1) + timedelta(days=97 * i) for i in range(50)]
        started = time.perf_counter()
        for _ in range(50):
            timeline.action_cursor_down()
            await pilot.pause()
        for _ in range(50):
            timeline.action_page_down()
            await pilot.pause()
        for _ in range(50):
            screen.action_next_flag()
            await pilot.pause()
        for day in days:
            screen._goto_chosen(DateRange.on(day))
            await pilot.pause()
        keys = time.perf_counter() - started
    return keys


def main() -> None:
    with bench_run(__doc__, repeat=3) as (args, work):
        small = make_case_db(work / "small.db", "small", 1000)
        big = make_case_db(work / "big.db", "big", args.rows)
        first = median_first_screens({"small": (small, "small"), "big": (big, "big")}, 2 * args.repeat + 1)
        small_first, big_first = first["small"], first["big"]
        keys: dict[str, list[float]] = {"small": [], "big": []}
        for _ in range(args.repeat):
            keys["small"].append(asyncio.run(key_actions_seconds(small, "small")))
            keys["big"].append(asyncio.run(key_actions_seconds(big, "big")))
        small_keys, big_keys = statistics.median(keys["small"]), statistics.median(keys["big"])
        print(f"first screen:   1,000 events {small_first:6.3f} s   {args.rows:,} events {big_first:6.3f} s"
              f"   ratio {big_first / small_first:5.2f}  (target <= 1.2)")
        print(f"200 key actions: 1,000 events {small_keys:6.3f} s   {args.rows:,} events {big_keys:6.3f} s"
              f"   ratio {big_keys / small_keys:5.2f}  (target <= 1.2)")
        print(f"peak memory: {peak_rss_mb():.0f} MB  (target <= 400)")


if __name__ == "__main__":
    main()
