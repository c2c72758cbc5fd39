"""The controlled vocabulary of event kinds (DESIGN section 3).

Unknown kinds are shown, never rejected; ``caseline check`` warns about them.
"""

from __future__ import annotations

EVENT_KINDS: tuple[str, ...] = (
    "referral",
    "referral_decision",
    "assessment",
    "strategy_discussion",
    "s47_enquiry",
    "icpc",
    "rcpc",
    "core_group",
    "cp_plan_start",
    "cp_plan_end",
    "cp_visit",
    "cin_plan_start",
    "cin_plan_end",
    "cin_visit",
    "cin_review",
    "lac_start",
    "lac_end",
    "placement_notice",
    "placement_start",
    "placement_end",
    "lac_visit",
    "lac_review",
    "iro_consultation",
    "care_plan",
    "care_plan_change",
    "pathway_plan_review",
    "pa_visit",
    "private_fostering_start",
    "private_fostering_end",
    "private_fostering_visit",
    "worker_allocated",
    "family_informed",
    "complaint_stage1",
    "complaint_stage1_response",
    "complaint_stage2",
    "complaint_stage2_response",
    "complaint_stage3",
    "complaint_stage3_response",
    "ombudsman_complaint",
    "meeting",
    "court",
    "note",
    "other",
)

KNOWN_KINDS = frozenset(EVENT_KINDS)

PERSON_ROLES: tuple[str, ...] = (
    "child",
    "parent",
    "carer",
    "social_worker",
    "team_manager",
    "iro",
    "other",
)

#: Columns of the ``events`` table in the order a CSV export writes them.
EVENT_COLUMNS: tuple[str, ...] = (
    "id",
    "case_id",
    "ref",
    "date_start",
    "date_end",
    "date_text",
    "kind",
    "subject",
    "actor",
    "summary",
    "detail",
    "source",
    "recorded",
    "relative_to",
    "offset_days",
)

#: The least a CSV must carry to be imported.
REQUIRED_EVENT_COLUMNS: tuple[str, ...] = ("case_id", "date_start", "kind", "summary")


def is_known_kind(kind: str) -> bool:
    """Return True when *kind* is in the controlled vocabulary."""
    return kind in KNOWN_KINDS

#: Kinds that open a status, and the kinds that close it (for lanes and precondition rules).
STATUS_PAIRS: dict[str, tuple[str, ...]] = {
    "cin_plan_start": ("cin_plan_end",),
    "cp_plan_start": ("cp_plan_end",),
    "lac_start": ("lac_end",),
    "placement_start": ("placement_end", "lac_end"),
    "private_fostering_start": ("private_fostering_end",),
}
