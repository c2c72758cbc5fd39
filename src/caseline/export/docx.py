"""A chronology as a Word document (python-docx): real headings, Word-numbered paragraphs
(the ``List Number`` style, so Word and LibreOffice number them and keep the numbers when
edited), each flag set beside its events, findings under their own heading, and a table of
flags.

python-docx is imported inside :func:`chronology_docx`, so nothing else pays for it. Every
piece of database text is cleaned of control characters (which XML cannot hold).
"""

from __future__ import annotations

import io

from caseline.export.chronology import TAG_HEADINGS, Chronology, FlagEntry, event_sentence
from caseline.sanitize import clean

__all__ = ["chronology_docx"]

SEVERITY_RGB = {"breach": (0xB0, 0x00, 0x20), "attention": (0xB3, 0x6B, 0x00), "info": (0x1F, 0x5F, 0xA8)}


def _flag_paragraph(document, entry: FlagEntry) -> None:
    from docx.shared import Cm, Pt, RGBColor

    f = entry.flag
    para = document.add_paragraph()
    para.paragraph_format.left_indent = Cm(1.0)
    para.paragraph_format.space_after = Pt(6)
    head = para.add_run(("★ " if entry.starred else "") + f"F{entry.number}. {entry.severity_text}: ")
    head.bold = True
    head.font.color.rgb = RGBColor(*SEVERITY_RGB.get(f.severity, (0, 0, 0)))
    para.add_run(clean(f.message))
    para.add_run().add_break()
    para.add_run(f"{clean(entry.rule_title)} · {clean(entry.status)}")
    if entry.citation:
        para.add_run(" · ")
        para.add_run(clean(entry.citation)).italic = True
    para.add_run().add_break()
    rests = f"; rests on {entry.rests_on}" if entry.rests_on else ""
    small = para.add_run(clean(entry.span_text) + rests)
    small.font.size = Pt(9)


def chronology_docx(doc: Chronology) -> bytes:
    """The whole document as the bytes of a ``.docx`` file."""
    import docx
    from docx.shared import Cm, Pt

    case = doc.case
    document = docx.Document()
    for section in document.sections:  # A4 with 2 cm margins (the template is US Letter)
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.0)
        section.top_margin = section.bottom_margin = Cm(2.0)
    props = document.core_properties
    props.title = clean(doc.title)
    props.author = "caseline"
    props.comments = f"As of {doc.as_of_text}"
    document.styles["Normal"].font.size = Pt(11)
    document.add_heading(clean(doc.title), level=0)
    if case.illustrative:
        banner = document.add_paragraph()
        banner.add_run("Illustrative case: dates invented for teaching.").bold = True
    for label, value in (("Case", case.id), ("Council", case.council), ("Source", case.source), ("As of", doc.as_of_text)):
        if value:
            line = document.add_paragraph()
            line.paragraph_format.space_after = Pt(0)
            line.add_run(f"{label}: ").bold = True
            line.add_run(clean(value))
    if doc.options.starred_only:
        document.add_paragraph().add_run("Starred events and flags only.").italic = True
    if case.summary:
        document.add_paragraph(clean(case.summary)).paragraph_format.space_before = Pt(8)
    if doc.options.flags:
        document.add_heading("Summary of flags", level=1)
        for line in doc.severity_summary():
            document.add_paragraph(clean(line), style="List Bullet")
        document.add_paragraph("caseline highlights what the records show against each rule; it does not decide fault.")
    document.add_heading("Chronology", level=1)
    if not doc.paragraphs:
        document.add_paragraph(f"No events recorded by {clean(doc.as_of_text)}.")
    for entry in doc.leading_flags:
        _flag_paragraph(document, entry)
    for p in doc.paragraphs:
        e = p.event
        para = document.add_paragraph(style="List Number")
        if p.starred:
            para.add_run("★ ")
        para.add_run(clean(p.date_text)).bold = True
        para.add_run(" — " + clean(event_sentence(e)))
        if e.source:
            para.add_run(f" ({clean(e.source)})").italic = True
        if p.note_numbers:
            para.add_run(p.notes_reference)
        for entry in p.flags:
            _flag_paragraph(document, entry)
    if doc.options.notes:
        document.add_heading("Findings and notes", level=1)
        if not doc.notes:
            document.add_paragraph("No notes have been written on this case.")
        for tag, entries in doc.notes_by_tag():
            document.add_heading(TAG_HEADINGS.get(tag, tag), level=2)
            for entry in entries:
                n = entry.note
                para = document.add_paragraph()
                para.add_run(f"N{entry.number} ").bold = True
                para.add_run(f"(on {clean(entry.about)}): {clean(n.text)} ")
                para.add_run(f"— {clean(n.author or 'unknown')}, {clean(n.created)}").italic = True
    if doc.options.flags and doc.flags:
        document.add_heading("Flags", level=1)
        headers = ("", "Severity", "What the records show", "Rule and status", "Citation", "Paragraphs")
        widths = [Cm(w) for w in (1.0, 2.0, 6.0, 2.8, 3.9, 1.3)]  # 17 cm: the text width
        table = document.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        table.autofit = False
        for column, width in zip(table.columns, widths):
            column.width = width  # the grid LibreOffice lays out from; cells carry it for Word

        def fill(cells, values, bold: bool = False) -> None:
            for cell, value, width in zip(cells, values, widths):
                cell.width = width
                cell.text = ""
                run = cell.paragraphs[0].add_run(clean(value))
                run.bold = bold
                run.font.size = Pt(8.5)

        fill(table.rows[0].cells, headers, bold=True)
        for entry in doc.flags:
            fill(table.add_row().cells, (
                f"F{entry.number}" + (" ★" if entry.starred else ""), entry.severity_text, entry.flag.message,
                f"{entry.rule_title} ({entry.status})", entry.citation,
                ", ".join(str(n) for n in entry.paragraphs) or "—"))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
