"""The explorer on a database filled only by plain sqlite-utils: shown read-only, as it is."""

from __future__ import annotations

from test_refusals import _sqlite_utils_db, listing

from .conftest import settle


async def test_the_app_shows_a_plain_database_read_only(tmp_path):
    from caseline.tui.app import CaselineApp

    db = _sqlite_utils_db(tmp_path)
    before = listing(tmp_path)
    app = CaselineApp(db, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.screen.case_id == "c9"
        assert len(app.screen.model) >= 4  # three events and the gap row
        assert any("gap" in app.screen.timeline.plain_line(r) for r in range(len(app.screen.model)))
        assert "read-only" in app.screen.status_text
    assert listing(tmp_path) == before
