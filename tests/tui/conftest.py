"""Fixture databases, flags and rules for the TUI tests: fixed data, fixed clock."""

from __future__ import annotations

import asyncio
import inspect
from datetime import date
from pathlib import Path

import pytest

from caseline.guidance import Rule
from caseline.model import Flag
from caseline.store import open_database

TODAY = date(2024, 1, 15)
LEICS = "leics-demo"
KENT = "kent-demo"
INJECT = "inject-demo"

# (id, ref, start, end, date_text, kind, subject, actor, summary, detail, source)
LEICS_EVENTS = [
    (1, "L01", "2019-01-01", "2019-12-31", "since 2019", "private_fostering_start", "", "",
     "F and G are living with Mr X and Mrs Y under a private fostering arrangement", "", "para 23"),
    (2, "L02", "2019-01-01", "2019-12-31", "from 2019; not dated", "worker_allocated", "", "SW_LT",
     "The children have an allocated social worker", "", "paras 23, 49"),
    (3, "L03", "2019-03-01", "2019-03-31", "since March 2019", "cin_plan_start", "", "Council",
     "F and G become subject to child in need plans", "", "para 23"),
    (4, "L04", "2021-09-11", "2021-09-20", "mid-September 2021", "cin_visit", "", "SW_LT",
     "The allocated worker visits the children",
     "Para 47 places the visit in mid-September.\nThis is the last CIN visit before the gap.", "paras 23, 47"),
    (5, "L05", "2021-09-11", "2021-09-30", "September 2021 (after the visit)", "note", "", "TM",
     "Team manager notes that visits will now be three-monthly", "", "paras 21, 23"),
    (6, "L06", "2021-10-01", "2021-10-31", "In October 2021", "worker_allocated", "", "SW_A",
     "The long-term social worker leaves; Social worker A takes the case", "", "paras 24, 49"),
    (7, "L07", "2021-11-27", "2021-12-06", "December 2021 (11 weeks after)", "cin_visit", "", "Council",
     "Next CIN visit to the children, about 11 weeks after the September one", "", "paras 39, 47"),
    (8, "L08", "2021-12-01", "2021-12-31", "In December 2021", "referral", "", "school",
     "The children's school makes a safeguarding referral", "", "para 25"),
    (9, "L09", "2021-12-01", "2021-12-31", "December 2021", "strategy_discussion", "", "Council",
     "First strategy discussion with police and health; s47 enquiries to start", "", "paras 25, 42"),
    (10, "L10", "2021-12-01", "2021-12-31", "December 2021", "worker_allocated", "", "SW_B",
     "Mr X refuses to work with Social worker A, so Social worker B is allocated", "", "para 26"),
    (11, "L11", "2022-01-25", "2022-01-31", "end of January 2022", "cin_visit", "G", "SW_B",
     "Social worker B sees the children at school", "", "para 29"),
    (12, "L12", "2022-02-01", "2022-02-10", "early February 2022", "strategy_discussion", "", "Council",
     "Second strategy discussion with the relevant professionals", "", "paras 29, 30"),
    (13, "L13", "2022-02-01", "2022-02-07", "start of February 2022", "complaint_stage1", "", "MR_X",
     "Mr X complains about the social workers' conduct", "", "para 33"),
    (14, "L14", "2022-02-15", "2022-02-24", "14 days after the strategy discussion", "icpc", "", "IRO",
     "Initial child protection conference, chaired by an IRO", "", "paras 32, 41"),
    (15, "L15", "2022-02-15", "2022-02-24", "at the ICPC", "cp_plan_start", "", "IRO",
     "F and G become subject to child protection plans (emotional harm)", "", "para 32"),
    (16, "L16", "2022-02-15", "2022-02-24", "at the ICPC", "cin_plan_end", "", "Council",
     "The child protection plans take the place of the CIN plans", "", "para 32"),
    (17, "L17", "2022-03-21", "2022-03-31", "late March 2022", "complaint_stage1_response", "", "Council",
     "Council's complaint response disagrees with Mr X", "", "para 36"),
    (18, "L18", "2022-03-21", "2022-03-31", "late March 2022", "worker_allocated", "", "SW_C",
     "Social worker C is allocated to continue the safeguarding work", "", "para 36"),
]

PEOPLE = [
    ("F", "F", "child", "2010-05"),
    ("G", "G", "child", "2012"),
    ("MR_X", "Mr X", "carer", None),
    ("SW_LT", "Long-term social worker", "social_worker", None),
    ("SW_A", "Social worker A", "social_worker", None),
    ("SW_B", "Social worker B", "social_worker", None),
    ("SW_C", "Social worker C", "social_worker", None),
    ("TM", "Team manager", "team_manager", None),
    ("IRO", "IRO", "iro", None),
]

GAP = Flag(
    key="cin_visit_interval:gap:4-7",
    kind="gap",
    rule="cin_visit_interval",
    severity="breach",
    certainty="definite",
    start=date(2021, 9, 20),
    end=date(2021, 11, 27),
    due=date(2021, 11, 1),
    events=(4, 7),
    message="No CIN visit for 10-12 weeks (~11-20 Sep-~27 Nov-6 Dec 2021); local policy: every 6 weeks",
)
LEICS_FLAGS = [
    GAP,
    Flag("worker_change:6", "worker_change", "worker_change", "info", "definite", date(2021, 10, 1),
         date(2021, 10, 31), None, (2, 6), "Allocated worker changed: Long-term social worker to Social worker A"),
    Flag("worker_change:10", "worker_change", "worker_change", "info", "definite", date(2021, 12, 1),
         date(2021, 12, 31), None, (6, 10), "Allocated worker changed: Social worker A to Social worker B"),
    Flag("worker_change:18", "worker_change", "worker_change", "info", "definite", date(2022, 3, 21),
         date(2022, 3, 31), None, (10, 18), "Allocated worker changed: Social worker B to Social worker C"),
    Flag("family_not_told:10", "family_not_told", "family_not_told", "attention", "possible",
         date(2021, 12, 1), date(2021, 12, 31), date(2021, 12, 15), (10,),
         "No record that Mr X was told of the change to Social worker B within 10 working days"),
    Flag("worker_stability:18", "worker_stability", "worker_stability", "attention", "definite",
         date(2021, 10, 1), date(2022, 3, 31), None, (6, 10, 18),
         "3 changes of allocated worker in 6 months (Oct 2021-Mar 2022); national measure: 3 in 12 months"),
    Flag("complaint_stage1_response:13", "deadline", "complaint_stage1_response", "breach", "definite",
         date(2022, 2, 7), date(2022, 3, 21), date(2022, 3, 7), (13, 17),
         "Stage 1 response came 29-42 working days after the complaint; statutory: 10 (at most 20) working days"),
    Flag("coverage:cin_review", "coverage", "cin_review_chain", "info", "definite", date(2019, 3, 1),
         date(2022, 2, 24), None, (),
         "No CIN reviews recorded in this chronology: check the records are complete"),
]

RULES = {
    "cin_visit_interval": Rule(
        id="cin_visit_interval", title="Child in need visits", shape="interval", status="local_policy",
        confidence="high",
        summary="The Council's own standard: a child on a child in need plan is seen at least every six "
        "weeks. There is no national timescale for CIN visits.",
        citation={"instrument": "Leicestershire children's social care procedures", "provision": "Child in need plans", "year": 2021},
        params={"interval": "6 weeks"},
    ),
    "complaint_stage1_response": Rule(
        id="complaint_stage1_response", title="Stage 1 complaint response", shape="deadline", status="statutory",
        confidence="high", summary="A stage 1 complaint is answered within 10 working days, extendable to 20.",
        citation={"instrument": "Children Act 1989 Representations Procedure (England) Regulations 2006", "provision": "reg 14", "year": 2006},
        params={"within": "10 working_days"},
    ),
    "worker_stability": Rule(
        id="worker_stability", title="Stability of social worker", shape="worker_change", status="national_measure",
        confidence="medium", summary="Three or more social workers in 12 months is counted as instability.",
        citation={"instrument": "Children's Commissioner Stability Index"}, params={},
    ),
}

INJECTION_PAYLOADS = [
    "[red]x[/]",
    "[link=file:///etc/passwd]y[/]",
    "before\x1b[2Jafter",
    "bell\x07here",
    "\x1b]8;;http://x\x1b\\linktext\x1b]8;;\x1b\\",
]


def _insert_case(conn, case_id: str, title: str, council: str, events, people=()) -> None:
    conn.execute("INSERT INTO cases (id, title, council) VALUES (?, ?, ?)", (case_id, title, council))
    for person in people:
        conn.execute("INSERT INTO people (case_id, id, name, role, born) VALUES (?, ?, ?, ?, ?)", (case_id, *person))
    conn.executemany(
        "INSERT INTO events (id, case_id, ref, date_start, date_end, date_text, kind, subject, actor, summary, "
        "detail, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(e[0], case_id, *e[1:]) for e in events],
    )


def _ensure_guidance_library() -> None:
    """Let databases be created while the package's guidance.toml is still being written.

    Only used when the file is missing; the TUI tests inject their own rules anyway.
    """
    from importlib.resources import files

    import caseline.guidance as guidance

    if not files("caseline").joinpath("guidance.toml").is_file():
        guidance._package_library = lambda: tuple(RULES.values())  # type: ignore[assignment]


def build_leics_db(path: Path, extra_cases: bool = False) -> Path:
    """The Leicestershire-like case; with *extra_cases*, two more for the picker."""
    _ensure_guidance_library()
    conn = open_database(path, create=True)
    _insert_case(conn, LEICS, "Missed CIN visits and a child protection plan", "Leicestershire County Council",
                 LEICS_EVENTS, PEOPLE)
    if extra_cases:
        _insert_case(conn, KENT, "Late looked-after reviews", "Kent County Council", [
            (101, "K1", "2020-06-01", "2020-06-01", "1 June 2020", "lac_start", "", "", "Y becomes looked after", "", ""),
            (102, "K2", "2020-09-10", "2020-09-10", "10 Sep 2020", "lac_review", "", "", "First LAC review", "", ""),
        ])
        payload_events = [
            (201 + i, f"P{i}", f"2021-01-{i + 1:02d}", f"2021-01-{i + 1:02d}", payload, "note", "",
             "[bold]SW[/bold]", payload, payload, payload)
            for i, payload in enumerate(INJECTION_PAYLOADS)
        ]
        _insert_case(conn, INJECT, "[b]Injected[/b] title\x1b[31m", "Council\x07", payload_events)
    conn.close()
    return path


def leics_flags(conn, case_id: str) -> list[Flag]:
    return list(LEICS_FLAGS) if case_id == LEICS else []


def rules_provider(conn, council) -> dict[str, Rule]:
    return dict(RULES)


def analysis_from(flag_provider=leics_flags, rules=rules_provider):
    """An analysis provider giving fixed flags and rules (the real store for the rest)."""
    from caseline.analysis import assemble

    def provide(conn, case_id, as_of=None):
        # Judged at a fixed day, as a case with its own as-of date is (the decision's).
        return assemble(conn, case_id, flags=flag_provider(conn, case_id), rules=rules(conn, None),
                        as_of=as_of or date(2022, 9, 6), as_of_source="given" if as_of else "case")

    return provide


def make_app(path: Path, *, flag_provider=leics_flags, **kwargs):
    """The app on *path* with fixed flags (*flag_provider*: ``(conn, case_id) -> flags``)."""
    from caseline.tui.app import CaselineApp

    kwargs.setdefault("analysis_provider", analysis_from(flag_provider))
    kwargs.setdefault("today", TODAY)
    return CaselineApp(path, **kwargs)


async def settle(pilot) -> None:
    """Wait until the workers (the case screen starts them after its first paint) have reported."""
    await pilot.pause()
    while any(not worker.is_finished for worker in pilot.app.workers):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    await pilot.pause()


@pytest.fixture
def leics_db(tmp_path: Path) -> Path:
    return build_leics_db(tmp_path / "leics.db")


@pytest.fixture
def multi_db(tmp_path: Path) -> Path:
    return build_leics_db(tmp_path / "multi.db", extra_cases=True)


@pytest.fixture(autouse=True)
def _no_cursor_blink(monkeypatch):
    """Snapshots must not depend on when the cursor blinks."""
    from textual.widgets import Input

    monkeypatch.setattr(Input, "cursor_blink", False, raising=False)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run ``async def`` tests in a fresh event loop (no asyncio plugin is pinned for this)."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
        return True
    return None
