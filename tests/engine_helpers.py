"""Build events and rules for engine tests without a database."""

from __future__ import annotations

from itertools import count

from caseline.dates import parse_range
from caseline.guidance import Rule
from caseline.model import Event

_ids = count(1)


def ev(kind: str, start: str, end: str | None = None, *, actor: str = "", ref: str = "",
       relative_to: str = "", offset_days: int | None = None, id: int | None = None,
       subject: str = "", recorded: str = "") -> Event:
    return Event(
        id=id if id is not None else next(_ids),
        case_id="t",
        ref=ref,
        dates=parse_range(start, end),
        date_text="",
        kind=kind,
        subject=subject,
        actor=actor,
        summary=f"{kind} {start}",
        detail="",
        source="",
        recorded=recorded,
        relative_to=relative_to,
        offset_days=offset_days,
    )


def raised(flags):
    """The flags that ask for something (breach, attention): not information rows."""
    return [f for f in flags if f.severity != "info"]


def rule(id: str, shape: str, status: str = "statutory", **params) -> Rule:
    return Rule(id=id, title=id.replace("_", " ").capitalize(), shape=shape, status=status,
                confidence="high", summary="", citation={"instrument": "Test Act"}, params=params)


CIN = rule("cin_visits", "interval", "caseline_default", open=["cin_plan_start"], close=["cin_plan_end"],
           required=["cin_visit"], every="6 weeks", label="CIN visit", status_label="CIN plan")
STAGE1 = rule("complaint_stage1", "deadline", trigger=["complaint_stage1"],
              required=["complaint_stage1_response"], within="10 working_days", extended="20 working_days",
              anchor="each", label="Stage 1 response", trigger_label="stage 1 complaint", absence="fault",
              scope="case")
ICPC = rule("icpc_timescale", "deadline", "statutory_guidance", trigger=["strategy_discussion"],
            required=["icpc"], within="15 working_days", anchor="enquiry", condition=["s47_substantiated"],
            absence="conditional", label="ICPC", trigger_label="strategy discussion")
LAC_REVIEWS = rule("lac_reviews", "review_chain", open=["lac_start"], close=["lac_end"], required=["lac_review"],
                   first="20 working_days", second="3 months", then="6 months", label="looked-after review",
                   status_label="looked-after period")
TOLD = rule("worker_change_family_told", "worker_change", "ombudsman_expectation", variant="family_told",
            worker=["worker_allocated"], informed=["family_informed"], within="10 working_days", scope="case")
STABILITY = rule("worker_stability", "worker_change", "national_measure", variant="stability",
                 worker=["worker_allocated"], threshold=3, window="12 months", scope="case")
REVIEW_BEFORE_END = rule("placement_end_review", "precondition", target=["care_plan_change", "placement_end"],
                         decision=["care_plan_change"], required=["lac_review"],
                         window="3 months", when_open=["lac_start"], label="looked-after review",
                         target_label="placement ended")
PF = rule("private_fostering_visits", "interval", open=["private_fostering_start"], close=["private_fostering_end"],
          required=["private_fostering_visit", "cin_visit"], first_within="7 working_days", every="6 weeks",
          every_after=[{"after": "12 months", "every": "12 weeks"}], label="private fostering visit")
