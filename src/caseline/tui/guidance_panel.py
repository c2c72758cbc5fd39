"""The guidance panel: what the selected row means.

For a flag row: the flag's sentence (its arithmetic), the rule's title, status, citation and
summary, the certainty, and the events it rests on. For an event row: everything recorded about
the event and the flags that rest on it. Everything is built as ``rich.text.Text`` from cleaned
plain strings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from caseline.dates import format_day, format_range
from caseline.guidance import Rule
from caseline.sanitize import clean
from caseline.model import Event, Flag, Person
from caseline.view.labels import SEVERITY_THEME_VARIABLE, age_text, child_for_event, severity_symbol, severity_word

#: Severity to Rich style; the panel builds it from the theme (:meth:`GuidancePanel.severity_styles`).
SeverityStyles = Mapping[str, str]


#: How each rule status is shown (statutory duty boldest; a caseline default plainly not law).
STATUS_STYLES = {
    "statutory": "bold reverse",
    "statutory_guidance": "reverse",
    "national_measure": "underline",
    "ombudsman_expectation": "italic reverse",
    "council_policy": "reverse dim",
    "caseline_default": "dim italic underline",
}


def _heading(text: Text, title: str) -> None:
    text.append("\n\n" if text.plain and not text.plain.endswith("\n") else "\n")
    text.append(title, "bold underline")
    text.append("\n")


def flag_text(
    flag: Flag,
    rule: Rule | None,
    events: Sequence[Event],
    people: Mapping[str, Person],
    following: int | None = None,
    styles: SeverityStyles | None = None,
) -> Text:
    """The panel for a flag row.

    Args:
        flag: the flag.
        rule: its rule from the guidance library (``None`` when the library lacks it).
        events: the events it rests on, in the flag's order (missing ones left out).
        people: names for actors.
        following: index of the event the user jumped to with enter/``e``, if any.
        styles: severity to style (from the theme).
    """
    style = (styles or {}).get(flag.severity, "bold")
    text = Text(no_wrap=False)
    text.append(severity_symbol(flag.severity, flag.certainty), style)
    text.append(severity_word(flag.severity), style)
    text.append(f" · {flag.certainty}", "italic" if flag.certainty == "possible" else "")
    if flag.certainty == "possible":
        text.append("\n(only some readings of the imprecise dates give this)", "italic dim")
    text.append("\n\n")
    text.append(clean(flag.message))
    text.append("\n")
    if flag.due is not None:
        text.append(f"Due by {format_day(flag.due)}. ", "dim")
    text.append(f"Span {format_day(flag.start)} – {format_day(flag.end)}.", "dim")
    _heading(text, "Rule")
    if rule is None:
        text.append(clean(flag.rule), "bold")
        text.append("\n(not in the guidance library)", "dim")
    else:
        text.append(clean(rule.title), "bold")
        text.append("\n")
        # Each standing looks different, firmest boldest: a default must never pass for a duty.
        text.append(clean(rule.status_label).upper(), STATUS_STYLES.get(rule.status, "reverse"))
        text.append("\n")
        if rule.citation_text:
            text.append(clean(rule.citation_text), "italic")
            text.append("\n")
        if rule.summary:
            text.append(clean(rule.summary))
            text.append("\n")
    _heading(text, f"Rests on {len(flag.events)} event(s) — enter: go, e: next")
    for i, event in enumerate(events):
        pointer = "▶ " if following == i else f"{i + 1}. "
        text.append(pointer, "bold")
        text.append(format_range(event.dates), "dim")
        text.append(" " + clean(event.kind).replace("_", " "), "bold")
        text.append(" — " + clean(event.summary) + "\n")
    if len(events) < len(flag.events):
        text.append(f"(and {len(flag.events) - len(events):,} more, or not found in this database)\n", "dim")
    return text


#: Flags listed under an event in the panel; more are counted.
PANEL_FLAGS = 30


def event_text(event: Event, flags: Sequence[Flag], people: Mapping[str, Person],
               styles: SeverityStyles | None = None) -> Text:
    """The panel for an event row (*styles*: severity to style, from the theme)."""
    children = {p.id: p for p in people.values() if p.role == "child"}
    text = Text(no_wrap=False)
    text.append(format_range(event.dates), "bold")
    if event.date_text:
        text.append("\n“" + clean(event.date_text) + "”", "italic")
    text.append("\n")
    text.append(clean(event.kind).replace("_", " "), "bold")
    actor = people[event.actor].name if event.actor in people else event.actor
    if actor:
        text.append(" · " + clean(actor))
    child = child_for_event(event, children)
    if event.subject:
        text.append(" · about " + clean(people[event.subject].name if event.subject in people else event.subject))
    if child is not None and child.born is not None:
        age = age_text(child.born, event.dates)
        if age:
            text.append(f" (aged {age})", "dim")
    text.append("\n\n")
    text.append(clean(event.summary))
    text.append("\n")
    if event.detail:
        text.append("\n" + clean(event.detail, one_line=False) + "\n")
    if event.source or event.ref:
        _heading(text, "Source")
        if event.ref:
            text.append(clean(event.ref) + "  ", "bold")
        text.append(clean(event.source) + "\n", "italic")
    if event.recorded:
        text.append("Recorded " + clean(event.recorded) + "\n", "dim")
    if event.relative_to:
        offset = f"{event.offset_days} days after " if event.offset_days is not None else "relative to "
        text.append(f"Dated as {offset}{clean(event.relative_to)}\n", "dim")
    if flags:
        _heading(text, "Flags resting on it — enter: go to the first")
        # A plan's start on a long case carries every visit gap after it (68,000 at 1M
        # events): the first ones are listed and the rest counted, not laid out in the panel.
        for flag in flags[:PANEL_FLAGS]:
            text.append(severity_symbol(flag.severity, flag.certainty), (styles or {}).get(flag.severity, "bold"))
            text.append(clean(flag.message) + "\n")
        if len(flags) > PANEL_FLAGS:
            text.append(f"… and {len(flags) - PANEL_FLAGS:,} more (n steps through them in the timeline)\n", "dim")
    return text


class GuidancePanel(VerticalScroll, can_focus=True):
    """A scrolling panel showing :func:`flag_text` or :func:`event_text`.

    Focusable (``p`` or ``tab``): arrows, ``j``/``k`` and page keys then scroll it.
    """

    BINDINGS = [
        Binding("down,j", "scroll_down", "Scroll down", show=False, id="panel.down"),
        Binding("up,k", "scroll_up", "Scroll up", show=False, id="panel.up"),
        Binding("pagedown,space", "page_down", "Page down", show=False, id="panel.page-down"),
        Binding("pageup", "page_up", "Page up", show=False, id="panel.page-up"),
    ]

    DEFAULT_CSS = """
    GuidancePanel { width: 42; border-left: vkey $foreground 20%; padding: 0 1; background: $panel; }
    GuidancePanel:focus { border-left: vkey $accent; background-tint: $foreground 4%; }
    GuidancePanel > Static { width: 100%; }
    """

    def compose(self):
        yield Static(Text("Select a row to see what it rests on."), id="guidance-body")

    def show(self, content: Text) -> None:
        self.query_one("#guidance-body", Static).update(content)
        self.scroll_home(animate=False)

    def severity_styles(self) -> dict[str, str]:
        """Bold in the theme's colour for each severity (error, warning, accent)."""
        variables = self.app.get_css_variables()
        return {severity: f"bold {variables.get(name, '')}".strip()
                for severity, name in SEVERITY_THEME_VARIABLE.items()}

    @property
    def plain(self) -> str:
        """The panel's text without styles (tests)."""
        body = self.query_one("#guidance-body", Static)
        content = body.content  # what was last passed to update()
        return content.plain if isinstance(content, Text) else str(content)

