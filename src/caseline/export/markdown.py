"""A chronology as Markdown that renders cleanly (CommonMark and GitHub alike).

Every piece of database text is cleaned of control characters and has Markdown's active
characters backslash-escaped, so a summary cannot become a link, a heading or HTML.
"""

from __future__ import annotations

import re

from caseline.export.chronology import TAG_HEADINGS, Chronology, FlagEntry, event_sentence
from caseline.sanitize import clean

__all__ = ["chronology_markdown", "md_escape"]

_ACTIVE = re.compile(r"([\\`*_\[\]<>#|~])")


def md_escape(text: object) -> str:
    """Plain text safe inside a Markdown paragraph (one line)."""
    value = _ACTIVE.sub(r"\\\1", clean(text))
    value = value.replace("&", "&amp;")
    # A line that starts like a list item or a rule must not become one.
    return re.sub(r"^(\s*)([-=]|\d+[.)])", r"\1\\\2", value)


def _flag_lines(entry: FlagEntry, indent: str) -> list[str]:
    f = entry.flag
    star = "★ " if entry.starred else ""
    lines = [
        f"{indent}> {star}**F{entry.number}. {md_escape(entry.severity_text)}** — {md_escape(f.message)}",
        f"{indent}> ",
        f"{indent}> {md_escape(entry.rule_title)} · {md_escape(entry.status)}"
        + (f" · *{md_escape(entry.citation)}*" if entry.citation else ""),
        f"{indent}> ",
        f"{indent}> {md_escape(entry.span_text)}" + (f"; rests on {entry.rests_on}" if entry.rests_on else ""),
    ]
    return lines


def chronology_markdown(doc: Chronology) -> str:
    """The whole document as one Markdown string."""
    case = doc.case
    out: list[str] = [f"# {md_escape(doc.title)}", ""]
    if case.illustrative:
        out += ["> **Illustrative case: dates invented for teaching.**", ""]
    meta = [("Case", case.id), ("Council", case.council), ("Source", case.source), ("As of", doc.as_of_text)]
    for label, value in meta:
        if value:
            out.append(f"- **{label}:** {md_escape(value)}")
    if doc.options.starred_only:
        out.append("- **Contents:** starred events and flags only")
    out.append("")
    if case.summary:
        out += [md_escape(case.summary), ""]
    if doc.options.flags:
        out += ["## Summary of flags", ""]
        out += [f"- {md_escape(line)}" for line in doc.severity_summary()]
        out += ["", "caseline highlights what the records show against each rule; it does not decide fault.", ""]
    out += ["## Chronology", ""]
    if not doc.paragraphs:
        out += [f"No events recorded by {md_escape(doc.as_of_text)}.", ""]
    for entry in doc.leading_flags:
        out += _flag_lines(entry, "") + [""]
    for p in doc.paragraphs:
        e = p.event
        star = "★ " if p.starred else ""
        text = f"{p.number}. {star}**{md_escape(p.date_text)}** — {md_escape(event_sentence(e))}"
        if e.source:
            text += f" *({md_escape(e.source)})*"
        text += p.notes_reference
        out += [text, ""]
        for entry in p.flags:
            out += _flag_lines(entry, "   ") + [""]
    if doc.options.notes:
        out += ["## Findings and notes", ""]
        if not doc.notes:
            out += ["No notes have been written on this case.", ""]
        for tag, entries in doc.notes_by_tag():
            out += [f"### {md_escape(TAG_HEADINGS.get(tag, tag))}", ""]
            for entry in entries:
                n = entry.note
                out += [f"- **N{entry.number}** (on {md_escape(entry.about)}): {md_escape(n.text)} "
                        f"— *{md_escape(n.author or 'unknown')}, {md_escape(n.created)}*"]
            out.append("")
    if doc.options.flags and doc.flags:
        out += ["## Flags", "", "| | severity | what the records show | rule and status | citation | paragraphs |",
                "| --- | --- | --- | --- | --- | --- |"]
        for entry in doc.flags:
            cells = [f"F{entry.number}" + (" ★" if entry.starred else ""), entry.severity_text, entry.flag.message,
                     f"{entry.rule_title} ({entry.status})", entry.citation,
                     ", ".join(str(n) for n in entry.paragraphs) or "—"]
            out.append("| " + " | ".join(md_escape(c) for c in cells) + " |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
