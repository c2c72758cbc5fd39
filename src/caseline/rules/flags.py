"""What the rule engine produces: flags, each resting on events and citing a rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

FLAG_KINDS = (
    "gap",
    "deadline",
    "review",
    "worker_change",
    "worker_stability",
    "family_not_told",
    "precondition",
    "coverage",
)
SEVERITIES = ("breach", "attention", "info")
CERTAINTIES = ("definite", "possible")
SEVERITY_RANK = {"breach": 0, "attention": 1, "info": 2}


@dataclass(frozen=True, slots=True)
class Flag:
    """One thing the data shows against a rule. It highlights; it never judges fault.

    Attributes:
        key: stable identifier (rule, kind and the events or dates it rests on), used to
            attach notes and to compare runs.
        kind: one of :data:`FLAG_KINDS`.
        rule: the guidance library id.
        severity: ``breach``, ``attention`` or ``info``.
        certainty: ``definite`` when every reading of imprecise dates gives this result,
            ``possible`` when only some do.
        start: first day of the span the flag covers.
        end: last day of that span.
        due: the date a required event was due by, where that applies.
        events: ids of the events the flag rests on.
        message: one sentence showing the arithmetic and the limit.
    """

    key: str
    kind: str
    rule: str
    severity: str
    certainty: str
    start: date
    end: date
    due: date | None
    events: tuple[int, ...]
    message: str

    @property
    def sort_key(self) -> tuple:
        return (self.start, self.end, SEVERITY_RANK.get(self.severity, 9), self.key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "rule": self.rule,
            "severity": self.severity,
            "certainty": self.certainty,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "due": self.due.isoformat() if self.due else None,
            "events": list(self.events),
            "message": self.message,
        }
