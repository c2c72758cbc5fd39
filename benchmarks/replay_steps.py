"""Replay stepping on a 10,000-event case against a 100-event one, measured in one run.

Run: .venv/bin/python benchmarks/replay_steps.py [--rows N] [--repeat R]

For each size, the replay screen is opened and stepped 40 times by event and 20 times by
month (actions called directly: Pilot.press's own delay would swamp what is measured). For
each step it times (a) the step until the timeline and lanes have repainted with the events
known at the new date, and (b) the step until the engine's flags for that date are shown
(from the cache, or computed in the worker). It prints the medians, the share of steps
whose flags were already computed ahead, and the ratios large/small (target: paint <= 2.0;
step/page-down <= 1.5: a step costs about what the explorer's own repaint costs).
The explorer's page-down repaint on the same case is timed alongside as the baseline.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _synthetic import bench_run, make_case_db  # noqa: E402


async def step_times(db: Path, case_id: str) -> tuple[list[float], list[float], float]:
    from caseline.tui.app import CaselineApp

    app = CaselineApp(str(db), case_id=case_id, read_only=True, today=date(2026, 1, 1), replay=True)
    paints, flags, ahead = [], [], 0
    async with app.run_test(size=(160, 48)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        screen.clock.revealed.update(p.index for p in screen.pauses)
        steps = [screen.action_next_event] * 40 + [lambda: screen.action_month(1)] * 20
        for step in steps:
            await app.workers.wait_for_complete()  # the previous step's look-ahead is done
            await pilot.pause()
            started = time.perf_counter()
            step()
            if screen.flags_ready:  # the step found its flags computed ahead (cached)
                ahead += 1
            await pilot.pause()  # one refresh: the new prefix painted
            paints.append(time.perf_counter() - started)
            while not screen.flags_ready:
                await app.workers.wait_for_complete()
                await pilot.pause()
            flags.append(time.perf_counter() - started)
    return paints, flags, ahead / len(steps)


async def explorer_times(db: Path, case_id: str) -> list[float]:
    """The baseline: the explorer's own repaint after a page down, on the same case."""
    from caseline.tui.app import CaselineApp

    app = CaselineApp(str(db), case_id=case_id, read_only=True, today=date(2026, 1, 1))
    paints = []
    async with app.run_test(size=(160, 48)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        timeline = app.screen.timeline
        for _ in range(60):
            await pilot.pause()
            started = time.perf_counter()
            timeline.action_page_down()
            await pilot.pause()
            paints.append(time.perf_counter() - started)
    return paints


def main() -> None:
    with bench_run(__doc__, repeat=3) as (args, work):
        rows = args.rows if args.rows != 1_000_000 else 10_000  # this benchmark's default size
        dbs = {"small": make_case_db(work / "small.db", "bench", 100),
               "large": make_case_db(work / "large.db", "bench", rows)}
        results: dict[str, dict[str, list[float]]] = {
            name: {"paint": [], "flags": [], "ahead": [], "explorer": []} for name in dbs}
        for _ in range(args.repeat):
            for name, db in dbs.items():
                paints, flags, ahead = asyncio.run(step_times(db, "bench"))
                results[name]["paint"].append(statistics.median(paints))
                results[name]["flags"].append(statistics.median(flags))
                results[name]["ahead"].append(ahead)
                results[name]["explorer"].append(statistics.median(asyncio.run(explorer_times(db, "bench"))))
        medians = {name: {k: statistics.median(v) for k, v in parts.items()} for name, parts in results.items()}
        for name, size in (("small", 100), ("large", rows)):
            m = medians[name]
            print(f"{size:>7,} events: step paints in {m['paint'] * 1000:6.1f} ms, flags shown after "
                  f"{m['flags'] * 1000:6.1f} ms, flags ready ahead for {m['ahead']:.0%} of steps; "
                  f"explorer page-down repaint {m['explorer'] * 1000:6.1f} ms; "
                  f"ratio step/page-down {m['paint'] / m['explorer']:.2f}")
        for part in ("paint", "flags"):
            ratio = medians["large"][part] / medians["small"][part]
            print(f"ratio {part} large/small: {ratio:.2f}")


if __name__ == "__main__":
    main()
