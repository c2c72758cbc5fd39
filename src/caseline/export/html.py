"""A chronology as one self-contained HTML file: inline CSS with a print stylesheet, the lanes
drawn as inline SVG, no scripts, no links to anything outside the file.

A ``Content-Security-Policy`` meta tag forbids every external load, so even a browser that
opens the file online fetches nothing. Every piece of database text is cleaned of control
characters and HTML-escaped.
"""

from __future__ import annotations

from datetime import date
from html import escape

from caseline.export.chronology import TAG_HEADINGS, Chronology, FlagEntry, event_sentence
from caseline.sanitize import clean

__all__ = ["chronology_html", "lanes_svg"]

SEVERITY_COLOURS = {"breach": "#b00020", "attention": "#b36b00", "info": "#1f5fa8"}
BAR_COLOURS = ("#5b8cc9", "#6aa84f", "#c27ba0", "#e69138", "#8e7cc3", "#45818e", "#a61c00", "#7f6000")

CSS = """
:root { --breach: #b00020; --attention: #b36b00; --info: #1f5fa8; }
body { font: 11pt/1.45 Georgia, 'Times New Roman', serif; max-width: 52em; margin: 2em auto; padding: 0 1em;
       color: #111; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #999; margin-top: 1.6em; }
h3 { font-size: 1.05em; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1em 1em; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; }
.banner { border: 2px solid var(--attention); padding: .4em .8em; font-weight: bold; margin: 1em 0; }
ol.chronology > li { margin: .5em 0; }
ol.chronology .date { font-weight: bold; }
.source { font-style: italic; color: #444; }
.star { color: #b8860b; }
aside.flag { border-left: 4px solid var(--info); background: #f4f6fa; margin: .4em 0 .8em 0; padding: .3em .8em; }
aside.flag.breach { border-color: var(--breach); background: #fbf0f1; }
aside.flag.attention { border-color: var(--attention); background: #fcf6ec; }
aside.flag .what { font-weight: bold; }
aside.flag .rule { font-size: .95em; }
aside.flag .citation { font-style: italic; }
table.flags { border-collapse: collapse; width: 100%; font-size: .9em; }
table.flags th, table.flags td { border: 1px solid #999; padding: .25em .4em; vertical-align: top; text-align: left; }
table.flags td:nth-child(3) { width: 38%; }
table.flags thead { display: table-header-group; }
figure.lanes { margin: 1em 0; }
figure.lanes svg { width: 100%; height: auto; }
.notes li { margin: .3em 0; }
.byline { color: #444; font-style: italic; }
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; }
  h2 { break-after: avoid; }
  aside.flag, figure.lanes, table.flags tr { break-inside: avoid; }
  aside.flag { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
  @page { size: A4; margin: 18mm 16mm; }
}
"""


def _t(text: object) -> str:
    return escape(clean(text), quote=True)


def _year_ticks(first: int, last: int) -> list[tuple[int, str]]:
    start, end = date.fromordinal(first), date.fromordinal(last)
    ticks = []
    for year in range(start.year + 1, end.year + 1):
        ticks.append((date(year, 1, 1).toordinal(), str(year)))
    return ticks


def lanes_svg(lanes, width: int = 900) -> str:
    """The lanes (workers, plans, complaints, visits, flags) as an inline SVG picture."""
    label_w, row_h, top = 120, 22, 18
    plot_w = width - label_w - 10
    first, last = lanes.first, max(lanes.last, lanes.first + 1)
    span = last - first + 1

    def x(day: int) -> float:
        return label_w + (min(max(day, first), last + 1) - first) * plot_w / span

    height = top + row_h * len(lanes.lanes) + 8
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="Lanes: the case across time" font-family="sans-serif" font-size="11">']
    for day, label in _year_ticks(first, last):
        parts.append(f'<line x1="{x(day):.1f}" y1="{top - 4}" x2="{x(day):.1f}" y2="{height - 4}" stroke="#ccc"/>')
        parts.append(f'<text x="{x(day) + 2:.1f}" y="{top - 6}" fill="#555">{label}</text>')
    for i, lane in enumerate(lanes.lanes):
        y = top + i * row_h
        parts.append(f'<g class="lane" data-lane="{_t(lane.name)}">')
        parts.append(f'<text x="4" y="{y + 15}">{_t(lane.name)}</text>')
        if lane.kind == "bars":
            for bar in lane.bars:
                colour = BAR_COLOURS[bar.slot % len(BAR_COLOURS)]
                x0, x1 = x(bar.start), x(bar.end + 1)
                parts.append(f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(1.5, x1 - x0):.1f}" height="{row_h - 6}" '
                             f'fill="{colour}" stroke="#fff"><title>{_t(bar.label)}</title></rect>')
                if x1 - x0 > 7 * len(bar.label):
                    parts.append(f'<text x="{x0 + 3:.1f}" y="{y + 15}" fill="#fff">{_t(bar.label)}</text>')
        elif lane.kind == "ticks":
            for day in lane.ticks:
                parts.append(f'<line x1="{x(day):.1f}" y1="{y + 4}" x2="{x(day):.1f}" y2="{y + row_h - 4}" '
                             f'stroke="#333" stroke-width="1.5"/>')
        else:
            for day, severity in lane.marks:
                colour = SEVERITY_COLOURS.get(severity, "#555")
                cx, cy = x(day), y + row_h / 2
                parts.append(f'<path d="M{cx:.1f},{cy - 6:.1f} L{cx + 5:.1f},{cy + 5:.1f} L{cx - 5:.1f},{cy + 5:.1f} Z" '
                             f'fill="{colour}" class="mark {severity}"><title>{_t(severity)}</title></path>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _flag_html(entry: FlagEntry) -> str:
    f = entry.flag
    star = '<span class="star" title="starred">★</span> ' if entry.starred else ""
    citation = f' · <span class="citation">{_t(entry.citation)}</span>' if entry.citation else ""
    rests = f"; rests on {_t(entry.rests_on)}" if entry.rests_on else ""
    return (
        f'<aside class="flag {_t(f.severity)}" id="f{entry.number}">'
        f'<div>{star}<span class="what">F{entry.number}. {_t(entry.severity_text)}</span> — '
        f'<span class="message">{_t(f.message)}</span></div>'
        f'<div class="rule">{_t(entry.rule_title)} · <span class="status">{_t(entry.status)}</span>{citation}</div>'
        f'<div class="span">{_t(entry.span_text)}{rests}</div></aside>'
    )


def chronology_html(doc: Chronology) -> str:
    case = doc.case
    out = [
        "<!DOCTYPE html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_t(doc.title)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{_t(doc.title)}</h1>",
    ]
    if case.illustrative:
        out.append('<p class="banner">Illustrative case: dates invented for teaching.</p>')
    out.append('<dl class="meta">')
    for label, value in (("Case", case.id), ("Council", case.council), ("Source", case.source), ("As of", doc.as_of_text)):
        if value:
            out.append(f"<dt>{label}</dt><dd>{_t(value)}</dd>")
    if doc.options.starred_only:
        out.append("<dt>Contents</dt><dd>starred events and flags only</dd>")
    out.append("</dl>")
    if case.summary:
        out.append(f'<p class="summary">{_t(case.summary)}</p>')
    if doc.options.flags:
        out.append('<h2>Summary of flags</h2><ul class="severity-summary">')
        out += [f"<li>{_t(line)}</li>" for line in doc.severity_summary()]
        out.append("</ul><p>caseline highlights what the records show against each rule; it does not decide fault.</p>")
    if doc.lanes is not None and doc.lanes.lanes:
        out.append('<figure class="lanes">' + lanes_svg(doc.lanes) +
                   "<figcaption>The case across time: allocated workers, plans, complaints, visits and flags."
                   "</figcaption></figure>")
    out.append("<h2>Chronology</h2>")
    if not doc.paragraphs:
        out.append(f"<p>No events recorded by {_t(doc.as_of_text)}.</p>")
    out += [_flag_html(entry) for entry in doc.leading_flags]
    out.append('<ol class="chronology">')
    for p in doc.paragraphs:
        e = p.event
        star = '<span class="star" title="starred">★</span> ' if p.starred else ""
        body = f'{star}<span class="date">{_t(p.date_text)}</span> — {_t(event_sentence(e))}'
        if e.source:
            body += f' <span class="source">({_t(e.source)})</span>'
        body += p.notes_reference
        flags = "".join(_flag_html(entry) for entry in p.flags)
        out.append(f'<li id="p{p.number}" value="{p.number}">{body}{flags}</li>')
    out.append("</ol>")
    if doc.options.notes:
        out.append("<h2>Findings and notes</h2>")
        if not doc.notes:
            out.append("<p>No notes have been written on this case.</p>")
        for tag, entries in doc.notes_by_tag():
            out.append(f'<h3>{_t(TAG_HEADINGS.get(tag, tag))}</h3><ul class="notes">')
            for entry in entries:
                n = entry.note
                out.append(f'<li id="n{entry.number}"><b>N{entry.number}</b> (on {_t(entry.about)}): {_t(n.text)} '
                           f'<span class="byline">— {_t(n.author or "unknown")}, {_t(n.created)}</span></li>')
            out.append("</ul>")
    if doc.options.flags and doc.flags:
        out.append('<h2>Flags</h2><table class="flags"><thead><tr><th></th><th>Severity</th>'
                   "<th>What the records show</th><th>Rule and status</th><th>Citation</th><th>Paragraphs</th>"
                   "</tr></thead><tbody>")
        for entry in doc.flags:
            paragraphs = ", ".join(str(n) for n in entry.paragraphs) or "—"
            out.append(
                f"<tr><td>F{entry.number}{' ★' if entry.starred else ''}</td><td>{_t(entry.severity_text)}</td>"
                f"<td>{_t(entry.flag.message)}</td><td>{_t(entry.rule_title)} ({_t(entry.status)})</td>"
                f"<td>{_t(entry.citation)}</td><td>{paragraphs}</td></tr>"
            )
        out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
