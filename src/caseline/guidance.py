"""The guidance library: every rule, its parameters, citation and plain-English summary.

The library ships as ``guidance.toml`` in the package. A database carries a copy in its
``guidance`` table (made at ``init``) and local overrides in its ``policy`` table; the rule
engine uses the package library overlaid with both, so a council's edits win.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Any

SHAPES = ("interval", "deadline", "review_chain", "worker_change", "precondition", "recording")
#: How sure the requirement is, strongest first. ``council_policy`` is never in the library:
#: a rule becomes council policy when the council's own figure is in the ``policy`` table.
#: ``caseline_default`` is a common local standard used when no council policy is set.
STATUSES = ("statutory", "statutory_guidance", "national_measure", "ombudsman_expectation",
            "council_policy", "caseline_default")
STATUS_LABELS = {
    "statutory": "statutory duty",
    "statutory_guidance": "statutory guidance",
    "national_measure": "national measure",
    "ombudsman_expectation": "Ombudsman expectation",
    "council_policy": "council policy",
    "caseline_default": "caseline default",
}
#: Older libraries said ``local_policy`` for what is a caseline default unless set locally.
LEGACY_STATUSES = {"local_policy": "caseline_default"}
#: Shapes whose flags can be "possible"; their summaries state when a possible breach counts.
MEASURED_SHAPES = ("interval", "deadline", "review_chain", "precondition")
POSSIBLE_NOTE = (
    "Where imprecise dates make a breach only possible, it is shown as a breach when the likeliest "
    "reading (the middle of each date range) breaks the limit, and as information when that reading "
    "keeps to it."
)
#: Absence modes (see DESIGN "Records versus reality") and scopes.
ABSENCES = ("fault", "records", "conditional")
SCOPES = ("child", "case")


class GuidanceError(ValueError):
    """A rule or policy value that cannot be used; one sentence for the user."""


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    shape: str
    status: str
    confidence: str
    summary: str
    citation: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status.replace("_", " "))

    @property
    def absence(self) -> str:
        """``fault``, ``records`` or ``conditional``: what a missing required event means."""
        value = str(self.params.get("absence", "records"))
        return value if value in ABSENCES else "records"

    @property
    def scope(self) -> str:
        """``child`` (worked out per child) or ``case`` (complaints, worker changes)."""
        return "case" if self.params.get("scope") == "case" else "child"

    @property
    def figure_note(self) -> str:
        """Said after the limit when the figure itself is a caseline default (the duty is
        real but no source sets a number)."""
        if self.params.get("figure") == "caseline_default" and self.status != "council_policy":
            return " (the figure is a caseline default)"
        return ""

    @cached_property  # every flag carries it: worked out once per rule
    def citation_text(self) -> str:
        parts = [str(self.citation.get(k, "")).strip() for k in ("instrument", "provision")]
        text = ", ".join(p for p in parts if p)
        year = self.citation.get("year")
        if year and str(year) not in text:
            text = f"{text} ({year})" if text else str(year)
        return text

    @property
    def label(self) -> str:
        return str(self.params.get("label") or self.title)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "shape": self.shape,
            "status": self.status,
            "confidence": self.confidence,
            "summary": self.summary,
            "citation": dict(self.citation),
            "params": dict(self.params),
        }


def _rule_from_mapping(data: dict[str, Any]) -> Rule:
    status = str(data.get("status", ""))
    return Rule(
        id=str(data["id"]),
        title=str(data.get("title", data["id"])),
        shape=str(data["shape"]),
        status=LEGACY_STATUSES.get(status, status),
        confidence=str(data.get("confidence", "")),
        summary=" ".join(str(data.get("summary", "")).split()),
        citation=dict(data.get("citation", {})),
        params=dict(data.get("params", {})),
    )


@lru_cache(maxsize=1)
def _package_library() -> tuple[Rule, ...]:
    import tomllib
    from importlib.resources import files

    data = tomllib.loads(files("caseline").joinpath("guidance.toml").read_text(encoding="utf-8"))
    rules = []
    for entry in data.get("rule", []):
        rule = _rule_from_mapping(entry)
        if rule.shape in MEASURED_SHAPES:
            rule = replace(rule, summary=f"{rule.summary} {POSSIBLE_NOTE}")
        rules.append(rule)
    return tuple(rules)


def load_library() -> list[Rule]:
    """The rules as shipped with this version of caseline."""
    return list(_package_library())


def rules_in_force(stored: Iterable[Mapping[str, Any]], policy: Iterable[tuple[str, str, str, str]],
                   council: str | None = None) -> dict[str, Rule]:
    """The rules in force: the package library, then a database's copy (*stored*: rows of its
    ``guidance`` table as mappings), then its local *policy* rows ``(rule_id, council, param,
    value)`` for *council*. Pure: the store reads the rows (:func:`caseline.store.library_for`)."""
    rules = {rule.id: rule for rule in _package_library()}
    for mapping in stored:
        try:
            rule = _rule_from_mapping(dict(mapping))
        except (ValueError, KeyError, TypeError):
            continue
        if rule.shape in SHAPES:
            shipped = rules.get(rule.id)
            if shipped is not None:
                # A copy made by an older caseline lacks the newer fields: take them as shipped.
                missing = {k: v for k, v in shipped.params.items()
                           if k in ("absence", "scope", "figure") and k not in rule.params}
                if missing:
                    rule = replace(rule, params={**rule.params, **missing})
            rules[rule.id] = rule
    overrides: dict[str, dict[str, Any]] = {}
    # A council's own row beats the all-councils row ('' sorts first).
    for rule_id, row_council, param, value in sorted(policy, key=lambda row: row[1]):
        if row_council and row_council != (council or ""):
            continue
        try:
            overrides.setdefault(rule_id, {})[param] = json.loads(value)
        except ValueError:
            overrides.setdefault(rule_id, {})[param] = value
    for rule_id, params in overrides.items():
        if rule_id in rules:
            rule = rules[rule_id]
            # The council's own figure: its standing is now council policy, whatever the
            # library's default was (a council may set a stricter figure than the law).
            changed = any(rule.params.get(k) != v for k, v in params.items()
                          if k not in ("label", "status_label", "target_label", "trigger_label"))
            status = "council_policy" if changed or rule.status == "caseline_default" else rule.status
            rules[rule_id] = replace(rule, status=status, params={**rule.params, **params})
    return rules


def coerce_policy_value(rule: Rule, param: str, raw: str) -> Any:
    """Check a ``policy set`` value against the parameter it replaces and return it typed.

    Raises:
        GuidanceError: unknown parameter or a value of the wrong type.
    """
    from caseline.dates import DateError, parse_duration

    if param not in rule.params:
        known = ", ".join(sorted(rule.params)) or "none"
        raise GuidanceError(f"rule {rule.id!r} has no parameter {param!r}; its parameters are: {known}")
    current = rule.params[param]
    if isinstance(current, bool):
        if raw.lower() in ("true", "yes", "1"):
            return True
        if raw.lower() in ("false", "no", "0"):
            return False
        raise GuidanceError(f"{rule.id}.{param} must be true or false, not {raw!r}")
    if isinstance(current, int):
        try:
            value = int(raw)
        except ValueError:
            raise GuidanceError(f"{rule.id}.{param} must be a whole number, not {raw!r}") from None
        if value < 1:
            raise GuidanceError(f"{rule.id}.{param} must be at least 1, not {value}")
        return value
    if isinstance(current, list):
        items = [item.strip() for item in raw.split(",") if item.strip()]
        if not items:
            raise GuidanceError(f"{rule.id}.{param} needs a comma-separated list of event kinds")
        return items
    if isinstance(current, str) and _looks_like_duration(current):
        try:
            duration = parse_duration(raw)
        except DateError as exc:
            raise GuidanceError(f"{rule.id}.{param}: {exc}") from None
        if duration.amount < 1:
            raise GuidanceError(f"{rule.id}.{param} must be at least 1 {duration.unit}")
        return f"{duration.amount} {duration.unit}"
    if isinstance(current, str):
        return raw
    raise GuidanceError(f"{rule.id}.{param} cannot be set from the command line")


def _looks_like_duration(text: str) -> bool:
    from caseline.dates import DateError, parse_duration

    try:
        parse_duration(text)
    except DateError:
        return False
    return True
