"""England's bank holidays come from ``holidays`` and are remembered between runs, in the
user's cache folder, named by the installed release; a damaged, foreign or unwritable cache
changes nothing but the time taken."""

from __future__ import annotations

import json
import stat

import holidays
import pytest

from caseline import bank_holidays

SPAN = (1970, 2100)


def _from_holidays(first: int, last: int) -> set:
    return set(holidays.country_holidays("GB", subdiv="ENG", years=range(first, last + 1)))


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _forbid_working_out(monkeypatch):
    def refuse(years):
        raise AssertionError("worked out again although the cache holds the days")

    monkeypatch.setattr(bank_holidays, "_worked_out", refuse)


def test_the_days_are_those_of_holidays_and_are_kept_for_the_next_run(cache_home, monkeypatch):
    assert bank_holidays.closed_days(2019, 2021, SPAN) == _from_holidays(2019, 2021)
    kept = cache_home / "caseline" / "bank-holidays.json"
    assert kept == bank_holidays.cache_file()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    _forbid_working_out(monkeypatch)
    assert bank_holidays.closed_days(1970, 1971, SPAN) == _from_holidays(1970, 1971)
    assert bank_holidays.closed_days(2099, 2100, SPAN) == _from_holidays(2099, 2100)


@pytest.mark.parametrize("damage", [
    "not json at all",
    json.dumps([1, 2, 3]),
    json.dumps({"format": 1, "holidays": "another release", "span": list(SPAN), "days": ["2020-06-01"]}),
])
def test_a_damaged_or_foreign_cache_is_worked_out_afresh_and_replaced(cache_home, monkeypatch, damage):
    kept = bank_holidays.cache_file()
    kept.parent.mkdir(parents=True)
    kept.write_text(damage)
    assert bank_holidays.closed_days(2020, 2020, SPAN) == _from_holidays(2020, 2020)
    _forbid_working_out(monkeypatch)
    assert bank_holidays.closed_days(2020, 2020, SPAN) == _from_holidays(2020, 2020)  # from the new file


def test_a_cache_folder_that_cannot_be_written_is_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file where the folder would be
    assert bank_holidays.closed_days(2022, 2023, SPAN) == _from_holidays(2022, 2023)
    assert list(tmp_path.iterdir()) == [blocker]


def test_with_no_release_to_name_them_by_the_days_are_worked_out_and_not_kept(cache_home, monkeypatch):
    monkeypatch.setattr(bank_holidays, "_release", lambda: None)
    assert bank_holidays.closed_days(2020, 2021, SPAN) == _from_holidays(2020, 2021)
    assert not cache_home.exists()
