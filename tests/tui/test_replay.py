"""Replay on the real Leicestershire sample and the real engine: flags fall due as the
as-of date moves, pause points ask and reveal, the reveal shows the findings."""

from __future__ import annotations

from datetime import date

import pytest

from caseline.samples import build_sample_database

from .conftest import TODAY, make_app, settle
from .test_snapshots import SIZE

LEICS = "leicestershire-21-018-990"


@pytest.fixture(scope="module")
def samples_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("replay") / "samples.db"
    build_sample_database(path)
    return path


def replay_app(path, case_id=LEICS):
    from caseline.tui.app import CaselineApp

    return CaselineApp(path, case_id=case_id, read_only=True, today=TODAY, replay=True)


def cin_gaps(screen):
    return [f for f in screen.flags if f.rule == "cin_visits" and f.kind == "gap"]


async def go_to(pilot, text: str) -> None:
    await pilot.press("g", *text, "enter")
    await settle(pilot)


async def answer_pause(pilot, answer: str = "") -> str:
    """Answer the pause point on screen, reveal it, continue; returns what was revealed."""
    from caseline.tui.replay_screen import PauseScreen

    assert isinstance(pilot.app.screen, PauseScreen)
    if answer:
        await pilot.press(*answer)
    await pilot.press("enter")
    revealed = pilot.app.screen.reveal_text
    await pilot.press("enter")
    await settle(pilot)
    return revealed


async def test_cin_gap_absent_then_overdue_then_closed_by_the_november_visit(samples_db):
    from caseline.tui.replay_screen import PauseScreen, ReplayScreen

    app = replay_app(samples_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        assert screen.clock.as_of == date(2019, 1, 1) and screen.clock.visible == 2
        await go_to(pilot, "2021-10-20")
        # The jump stops first at the pause point on the new worker's arrival (L06, October).
        assert isinstance(app.screen, PauseScreen) and screen.clock.as_of == date(2021, 10, 1)
        revealed = await answer_pause(pilot, "six weekly")
        assert "six weeks" in revealed and screen.answers.by_pause[0] == "six weekly"
        await go_to(pilot, "2021-10-20")
        assert screen.clock.as_of == date(2021, 10, 20) and screen.flags_ready
        # Less than six weeks after the September visit's earliest day: no gap, nothing overdue.
        assert cin_gaps(screen) == []
        assert "nothing overdue now" in screen.status_text
        await go_to(pilot, "2021-11-10")
        (running,) = cin_gaps(screen)
        assert running.key.endswith(":open") and running.certainty == "definite"
        assert "CIN visit overdue by 9 days" in screen.status_text
        assert any(row.flag == running for row in map(screen.model.row, range(len(screen.model))))
        # Next event: the mid-November pause point comes first, then the visit itself.
        await pilot.press("right")
        await settle(pilot)
        assert screen.clock.as_of == date(2021, 11, 15)
        await answer_pause(pilot)
        await pilot.press("right")
        await settle(pilot)
        assert screen.clock.as_of == date(2021, 11, 27)
        (closed,) = cin_gaps(screen)
        assert not closed.key.endswith(":open") and "11 weeks" in closed.message
        assert "CIN visit overdue" not in screen.status_text
        # Stepping back hides the visit again and the gap is open once more.
        await pilot.press("left")
        await settle(pilot)
        assert screen.clock.as_of < date(2021, 11, 27)
        assert all(f.key.endswith(":open") for f in cin_gaps(screen))


async def test_timeline_shows_only_what_had_begun(samples_db):
    from caseline.tui.replay_screen import ReplayScreen

    app = replay_app(samples_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        for _ in range(3):
            await pilot.press("right")
            await settle(pilot)
        assert screen.model.event_count == screen.clock.visible
        shown = [screen.timeline.plain_line(i) for i in range(len(screen.model))]
        assert not any("strategy discussion" in line for line in shown)
        assert screen.clock.last == date(2022, 9, 6)  # runs on to the decision date (the case's as-of)
        starts = screen.starts[: screen.clock.visible]
        assert max(starts) <= screen.clock.as_of.toordinal()


async def test_reveal_shows_the_findings_and_the_answers(samples_db, tmp_path, monkeypatch):
    from caseline.tui.replay_screen import RevealScreen

    monkeypatch.chdir(tmp_path)
    app = replay_app(samples_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right", "right", "right")  # to L06's pause point
        await settle(pilot)
        await answer_pause(pilot, "CIN standard")
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, RevealScreen)
        text = app.screen.plain
        for heading in ("What the Ombudsman found", "Fault", "Injustice", "Remedy", "The council's agreed actions"):
            assert heading in text
        assert "11 weeks" in text and "para 47" in text and "Social Work England" in text
        assert "Answer: CIN standard" in text and "(none given)" in text
        await pilot.press("x")
        await settle(pilot)
        (written,) = tmp_path.glob("caseline-answers-*.md")
        assert written.stat().st_mode & 0o777 == 0o600
        assert "**Answer.** CIN standard" in written.read_text(encoding="utf-8")
        await pilot.press("escape")
        assert not isinstance(app.screen, RevealScreen)


async def test_the_end_of_the_case_opens_the_reveal(samples_db):
    from caseline.tui.replay_screen import RevealScreen

    app = replay_app(samples_db, "careless-billy")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.clock.revealed.update(p.index for p in screen.pauses)  # the room has seen them all
        await go_to(pilot, "2030-01-01")
        assert screen.clock.at_end and "v reveals" in screen.status_text
        await pilot.press("right")
        await settle(pilot)
        assert isinstance(app.screen, RevealScreen)
        assert "Illustrative case" in app.screen.plain


async def test_r_in_the_explorer_opens_the_replay(leics_db):
    from caseline.tui.replay_screen import ReplayScreen

    app = make_app(leics_db, case_id="leics-demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ReplayScreen)
        await pilot.press("q")
        await settle(pilot)
        assert not isinstance(app.screen, ReplayScreen)


def test_snapshot_pause_point(snap_compare, samples_db):
    """The first Leicestershire pause point, answered and revealed."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("right", "right", "right")
        await settle(pilot)
        await pilot.press(*"Six-weekly CIN visits", "enter")
        await settle(pilot)

    assert snap_compare(replay_app(samples_db), terminal_size=SIZE, run_before=run_before)


def test_snapshot_reveal(snap_compare, samples_db):
    """The Leicestershire reveal: findings with paragraph references."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)

    assert snap_compare(replay_app(samples_db), terminal_size=SIZE, run_before=run_before)


async def test_play_pause_speed_and_the_monthly_cap(samples_db):
    """p plays (a tick moves to the next event but at most a month on), + and - change the
    speed, p again pauses; ticks are driven directly (no waiting on the timer)."""
    from caseline.replay import SPEEDS

    app = replay_app(samples_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        # The play timer is made paused: on a busy machine its own ticks (every 0.3-3 s) would
        # land between the ticks driven here and move the clock on.
        make_interval = screen.set_interval
        screen.set_interval = lambda *args, **kwargs: make_interval(*args, **{**kwargs, "pause": True})
        await pilot.press("p")
        assert screen.playing and "playing ×2" in screen.status_text
        await pilot.press("plus", "plus")
        assert screen.speed == 3 and "playing ×4" in screen.status_text
        await pilot.press("minus")
        assert screen.speed == 2 and screen._timer is not None
        screen._tick()  # next event is 1 Mar 2019, but a tick moves a month at most
        await settle(pilot)
        assert screen.clock.as_of == date(2019, 2, 1)
        screen._tick()
        await settle(pilot)
        assert screen.clock.as_of == date(2019, 3, 1) and screen.clock.visible == 3
        await pilot.press("p")
        assert not screen.playing and screen._timer is None and "paused" in screen.status_text
        assert len(SPEEDS) == 4
        from caseline.tui.commands import palette_commands

        titles = {title: action for title, action, _ in palette_commands(screen)}
        assert titles["Reveal"] == "screen.reveal" and titles["+month"] == "screen.month(1)"
        await app.run_action(titles["+month"], default_namespace=screen)
        await settle(pilot)
        assert screen.clock.as_of == date(2019, 4, 1)


async def test_next_event_stops_first_where_the_cin_visit_falls_overdue(samples_db):
    """From 1 October the next event is the late-November visit; on the way, → stops on
    2 November, the first day the engine's CIN gap is overdue."""
    app = replay_app(samples_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("right", "right", "right")
        await settle(pilot)
        await answer_pause(pilot)
        assert screen.clock.as_of == date(2021, 10, 1)
        await pilot.press("right")
        await settle(pilot)
        assert screen.clock.as_of == date(2021, 11, 2)
        assert "CIN visit overdue by 1 day" in screen.status_text
        assert screen.clock.visible == 6  # the November visit has not arrived
        await pilot.press("right")
        await settle(pilot)
        assert screen.clock.as_of == date(2021, 11, 15)  # the mid-November pause point
