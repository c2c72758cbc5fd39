"""The controlled vocabulary of event kinds (DESIGN section 3).

Unknown kinds are shown, never rejected; ``caseline check`` warns about them.
"""

from __future__ import annotations

EVENT_KINDS: tuple[str, ...] = (
    "referral",
    "referral_decision",
    "assessment_agreed",
    "assessment",
    "strategy_discussion",
    "s47_enquiry",
    "s47_substantiated",
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
    "placement_long_term",
    "placement_short_term",
    "lac_visit",
    "lac_review",
    "iro_appointed",
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
    "complaint_panel",
    "complaint_panel_report",
    "complaint_stage3_response",
    "ombudsman_complaint",
    "meeting",
    "court",
    "note",
    "other",
)

KNOWN_KINDS = frozenset(EVENT_KINDS)

#: Recording that something did NOT happen: ``not:<kind>`` (e.g. ``not:lac_review``) dated
#: over the span in which it did not happen. The Ombudsman's own negative findings ("no
#: statutory review was held") are entered this way; rules then treat the absence of that
#: kind in that span as established, not as a gap in the records.
NOT_PREFIX = "not:"

#: What each kind added for the engine means (the README documents them all).
KIND_NOTES: dict[str, str] = {
    "s47_substantiated": "the s47 enquiry's outcome: concerns substantiated, so an ICPC is due",
    "assessment_agreed": "a (re)assessment agreed: the 45-working-day clock starts here",
    "placement_long_term": "the placement is intended to last until the child is 18 (reg 28)",
    "placement_short_term": "the placement is not intended to last until the child is 18",
    "iro_appointed": "an independent reviewing officer is appointed for the child",
    "complaint_panel": "the stage 3 review panel meets",
    "complaint_panel_report": "the review panel's report is sent",
}

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
    """Return True when *kind* is in the controlled vocabulary (``not:<kind>`` included)."""
    if kind.startswith(NOT_PREFIX):
        return kind[len(NOT_PREFIX):] in KNOWN_KINDS
    return kind in KNOWN_KINDS

#: Kinds that open a status, and the kinds that close it (for lanes and precondition rules).
STATUS_PAIRS: dict[str, tuple[str, ...]] = {
    "cin_plan_start": ("cin_plan_end",),
    "cp_plan_start": ("cp_plan_end",),
    "lac_start": ("lac_end",),
    "placement_start": ("placement_end", "lac_end"),
    "private_fostering_start": ("private_fostering_end",),
}
