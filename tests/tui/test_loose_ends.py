"""Issue 11's loose ends: note tags in the filter dialog, honest counts in the picker, and a
header whose case title keeps its room at 80 columns."""

from __future__ import annotations

from textual.widgets import SelectionList

from caseline.store import open_database
from caseline.store.notes import add_note

from .conftest import GAP, LEICS, make_app, settle
from .test_app import screen_text

SIZE = (160, 48)


def _notes(path) -> None:
    conn = open_database(path)
    add_note(conn, LEICS, text="query on the referral", tag="query", author="a", created="2026-01-01T00:00:00Z",
             event_id=8)
    add_note(conn, LEICS, text="the gap", tag="fault", author="a", created="2026-01-01T00:00:01Z", flag_key=GAP.key)
    conn.close()


async def test_the_filter_dialog_offers_the_note_tags_and_keeps_rows_carrying_them(leics_db):
    _notes(leics_db)
    app = make_app(leics_db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f")
        dialog = app.screen
        listing = dialog.query_one(SelectionList)
        offered = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        assert [o for o in offered if o.startswith("note tag")] == ["note tag: fault", "note tag: query"]
        dialog.tick("tags", "query")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert "tag=query" in screen.status_text
        assert [screen.model.row(i).event_id for i in range(len(screen.model))] == [8]
        await pilot.press("f")
        app.screen.tick("tags", "query", on=False)
        app.screen.tick("tags", "fault")
        await pilot.press("enter")
        await settle(pilot)
        rows = [screen.model.row(i) for i in range(len(screen.model))]
        assert [r.flag.key for r in rows if r.flag] == [GAP.key]
        assert sorted(r.event_id for r in rows if not r.flag) == [4, 7]  # the events the gap runs between
        assert "1 of 8 flags" in screen.status_text


async def test_the_picker_counts_breaches_and_attention_not_checks_met(tmp_path):
    from caseline.samples import build_sample_database
    from caseline.tui.app import CaselineApp

    from .conftest import TODAY

    db = tmp_path / "samples.db"
    build_sample_database(db)
    app = CaselineApp(db, today=TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # Albert's 19 flags are 13 checks met, 2 pending deadlines and 4 records to check.
        assert app.screen.flag_counts["careless-albert"] == (0, 4)
        line = next(line for line in screen_text(app).splitlines() if "careless-albert" in line)
        assert line.split()[2:4] == ["0", "4"]


async def test_at_80_columns_the_header_keeps_the_case_title_and_then_the_filter(leics_db):
    from caseline.model import EventFilter

    app = make_app(leics_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        header = screen_text(app).splitlines()[0]
        assert header.lstrip().startswith("leics-demo — Missed CIN")  # was "leic…"
        assert "8 flags 2✖ 2▲ 4● · as of 6 Sep 2022" in header  # the as-of, short
        app.screen.apply_filter(EventFilter(kinds=frozenset({"cin_visit"})))
        await settle(pilot)
        header = screen_text(app).splitlines()[0]
        assert "filter: kind=cin_visit (F clears)" in header  # what hides rows stays in view
    app = make_app(leics_db)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert "as of 6 Sep 2022 (" in screen_text(app).splitlines()[0]  # wide: where the day comes from


def test_the_panel_lists_the_first_flags_on_an_event_and_counts_the_rest():
    from datetime import date

    from caseline.dates import DateRange
    from caseline.model import Event, Flag
    from caseline.tui.guidance_panel import PANEL_FLAGS, event_text

    day = DateRange(date(2021, 1, 1), date(2021, 1, 1))
    event = Event(id=1, case_id="c", ref="", dates=day, date_text="", kind="cin_plan_start", subject="", actor="",
                  summary="Plan agreed", detail="", source="", recorded="", relative_to="", offset_days=None)
    flags = [Flag(f"gap:{i}", "gap", "r", "breach", "definite", date(2021, 1, 1), date(2021, 2, 1), None, (1,),
                  f"gap number {i}") for i in range(PANEL_FLAGS + 70)]
    text = event_text(event, flags, {}).plain
    assert "gap number 0\n" in text and f"gap number {PANEL_FLAGS - 1}\n" in text
    assert f"gap number {PANEL_FLAGS}\n" not in text
    assert "… and 70 more" in text


async def test_the_pickers_counts_of_long_cases_come_from_child_processes(tmp_path, monkeypatch):
    """Past ANALYSE_APART_OVER events the picker's counts are worked out in a child process
    (the engine never holds the interface's lock) and are the engine's own."""
    import caseline.analysis as analysis
    import caseline.analysis_child as analysis_child
    from caseline.samples import build_sample_database
    from caseline.store import list_cases, open_database
    from caseline.tui.app import CaselineApp

    from .conftest import TODAY

    db = tmp_path / "samples.db"
    build_sample_database(db)
    conn = open_database(db, read_only=True)
    analysis.clear_cache()
    expected = {case.id: tuple(sum(1 for f in analysis.analyse(conn, case.id).flags
                                   if f.severity == severity and f.kind != "met") for severity in ("breach", "attention"))
                for case in list_cases(conn)}
    conn.close()
    analysis.clear_cache()
    started = []
    real_init = analysis_child.ChildAnalysis.__init__
    monkeypatch.setattr(analysis, "ANALYSE_APART_OVER", 0)
    monkeypatch.setattr(analysis_child.ChildAnalysis, "__init__",
                        lambda self, *a, **k: started.append(a[1]) or real_init(self, *a, **k))
    app = CaselineApp(db, today=TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.screen.flag_counts == expected
    assert sorted(started) == sorted(expected)
    analysis.clear_cache()
