"""Pictures of the TUI (pytest-textual-snapshot): fixed data, fixed clock, no cursor blink.

Update with ``pytest tests/tui --snapshot-update`` and look at every changed SVG before keeping it.
"""

from __future__ import annotations

from .conftest import make_app, settle

SIZE = (160, 48)


def steps(*keys: str):
    """A ``run_before`` that waits for flags, presses *keys*, and waits again."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
        await settle(pilot)

    return run_before


def test_case_picker(snap_compare, multi_db):
    """Three cases; flag counts filled in by the background worker."""
    assert snap_compare(make_app(multi_db), terminal_size=SIZE, run_before=steps())


def test_gap_row_selected_with_guidance(snap_compare, leics_db):
    """The Leicestershire-like case with the 11-week CIN gap row selected and explained."""
    assert snap_compare(make_app(leics_db), terminal_size=SIZE, run_before=steps("n", "n"))


def test_lanes_zoomed_to_2021_2022(snap_compare, leics_db):
    """Go to December 2021 and zoom the lanes to a year around it."""
    assert snap_compare(make_app(leics_db), terminal_size=SIZE, run_before=steps("g", *"2021-12", "enter", "z"))


def test_help_screen(snap_compare, leics_db):
    assert snap_compare(make_app(leics_db), terminal_size=SIZE, run_before=steps("question_mark"))


def test_monochrome(snap_compare, leics_db, monkeypatch):
    """NO_COLOR: severity must still read from the symbols (✖ ▲ ● and ? for possible)."""
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(make_app(leics_db), terminal_size=SIZE, run_before=steps("n", "n"))


def test_small_terminal(snap_compare, leics_db):
    """80x24: narrower panel, merged lanes (none cut off), dates with years, ? in the footer."""
    assert snap_compare(make_app(leics_db), terminal_size=(80, 24), run_before=steps("n", "n"))


def test_medium_terminal(snap_compare, leics_db):
    """120x40: the gap row selected and explained."""
    assert snap_compare(make_app(leics_db), terminal_size=(120, 40), run_before=steps("n", "n"))


def test_case_picker_small(snap_compare, multi_db):
    """80x24: the event and flag counts stay in view."""
    assert snap_compare(make_app(multi_db), terminal_size=(80, 24), run_before=steps())


def test_filter_dialog_small(snap_compare, leics_db):
    """80x24: the one-list filter with kinds, actors, children, severities and rules."""
    assert snap_compare(make_app(leics_db), terminal_size=(80, 24), run_before=steps("f", "space", "j", "space"))


def test_one_child_medium(snap_compare, leics_db):
    """120x40: following G (c), lanes and status line say so."""
    assert snap_compare(make_app(leics_db), terminal_size=(120, 40), run_before=steps("c", "j", "j", "enter"))


def test_case_overview(snap_compare, leics_db):
    """The overview (o): the case, its as-of, flags grouped by rule with counts, notes by tag."""
    from caseline.store import open_database
    from caseline.store.notes import add_note, set_star

    from .conftest import GAP, LEICS

    conn = open_database(leics_db)
    add_note(conn, LEICS, text="Eleven weeks without a visit against a six-week standard: fault", tag="fault",
             author="Investigator A", created="2026-01-05T10:00:00Z", flag_key=GAP.key)
    add_note(conn, LEICS, text="Was Mr X told of the change in December?", tag="query", author="Investigator A",
             created="2026-01-05T10:05:00Z", event_id=10)
    set_star(conn, LEICS, starred=True, author="Investigator A", when="2026-01-05T10:06:00Z", flag_key=GAP.key)
    conn.close()
    assert snap_compare(make_app(leics_db), terminal_size=SIZE, run_before=steps("o"))
