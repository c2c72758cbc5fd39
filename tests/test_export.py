"""Chronology exports of the Leicestershire sample in every format, checked by reading them
back as an investigator's tools would: Markdown rendered, HTML parsed, Word opened with
python-docx, CSV read as a spreadsheet would."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from caseline.cli import cli
from caseline.samples import build_sample_database
from caseline.store import get_case, open_database
from caseline.store.notes import add_note, set_star

from conftest import file_mode

LEICS = "leicestershire-21-018-990"
#: What the engine says of the Ombudsman's 11-week gap (its wording is the engine's).
GAP_SENTENCE = "No CIN visit for 11 weeks from ~11-20 Sep 2021 to ~27 Nov-6 Dec 2021"
CIN_CITATION = "No national interval: caseline default"
CIN_STATUS = "caseline default"


class Expected:
    """What the exports must show, read from the analysis they are written from."""

    def __init__(self, path: Path) -> None:
        from caseline.analysis import analyse
        from caseline.dates import format_day

        conn = open_database(path, read_only=True)
        try:
            analysis = analyse(conn, LEICS)
        finally:
            conn.close()
        self.flags = len(analysis.flags)
        self.as_of = format_day(analysis.as_of)
        self.breaches = sum(f.severity == "breach" for f in analysis.flags)
        # The lanes mark each day and severity the flags fall on once.
        self.marks = {(f.start.toordinal(), f.severity) for f in analysis.flags}
        self.gap = next(f for f in analysis.flags if f.rule == "cin_visits" and f.kind == "gap" and f.severity == "breach")
        self.gap_number = analysis.flags.index(self.gap) + 1
        conn = open_database(path, read_only=True)
        try:
            self.events = get_case(conn, LEICS).event_count  # the sample's events, however many
        finally:
            conn.close()


def run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """The samples with a finding on the gap flag, a note on an event, a formula-like query,
    an injected event, and two stars."""
    path = tmp_path_factory.mktemp("export") / "samples.db"
    build_sample_database(path)
    gap_key = Expected(path).gap.key
    conn = open_database(path)
    visit = conn.execute("SELECT id FROM events WHERE case_id = ? AND ref = 'L04'", (LEICS,)).fetchone()[0]
    add_note(conn, LEICS, text="The 11-week gap is fault: the Council's standard is six weeks", tag="finding",
             author="Investigator A", created="2026-12-01T10:00:00Z", flag_key=gap_key)
    add_note(conn, LEICS, text="Last visit before the gap", tag="note", author="Investigator A",
             created="2026-12-01T10:01:00Z", event_id=visit)
    add_note(conn, LEICS, text='=HYPERLINK("http://example.invalid","x")', tag="query", author="B",
             created="2026-12-01T10:02:00Z")
    set_star(conn, LEICS, starred=True, author="A", when="2026-12-01T10:03:00Z", flag_key=gap_key)
    conn.close()
    return path


@pytest.fixture(scope="module")
def expected(sample) -> Expected:
    return Expected(sample)


def export(sample: Path, tmp_path: Path, fmt: str, *extra: str) -> Path:
    out = tmp_path / f"out.{fmt}"
    result = run("export", sample, "--case", LEICS, "--format", fmt, "-o", out, *extra)
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    assert file_mode(out) == 0o600
    return out


def test_markdown_has_the_headings_numbered_paragraphs_flags_and_findings(sample, expected, tmp_path):
    from markdown_it import MarkdownIt

    text = export(sample, tmp_path, "md").read_text(encoding="utf-8")
    html = MarkdownIt("commonmark").enable("table").render(text)
    headings = re.findall(r"<h([12])>(.*?)</h\1>", html)
    assert [h for _, h in headings] == [
        "Chronology: Missed CIN visits and a child protection plan", "Summary of flags", "Chronology",
        "Findings and notes", "Flags"]
    assert f"<strong>As of:</strong> {expected.as_of}" in html
    assert "1 breach (1 definite)" in html and expected.breaches == 1
    # One numbered paragraph per event in date order, the dates as the source wrote them.
    items = re.findall(r'^(\d+)\. ', text, flags=re.M)
    assert items == [str(n) for n in range(1, expected.events + 1)]
    assert "4. **mid-September 2021** — The allocated worker visits the children." in text
    # The gap flag sits beside the later of its two events (paragraph 7), with its arithmetic,
    # status and citation, and is starred.
    para7 = text[text.index("\n7. "):text.index("\n8. ")]
    rendered7 = MarkdownIt("commonmark").render(para7)
    assert GAP_SENTENCE in rendered7 and CIN_STATUS in rendered7 and CIN_CITATION in rendered7
    assert f"★ <strong>F{expected.gap_number}. Breach (definite)</strong>" in rendered7
    assert "rests on paragraphs 4 and 7" in rendered7
    findings = html[html.index("Findings and notes"):]
    assert "<h3>Findings</h3>" in findings and "The 11-week gap is fault" in findings
    assert "on paragraph 4 (mid-September 2021)" in findings
    assert "<table>" in html and html.count("<tr>") == 1 + expected.flags


def test_markdown_text_cannot_become_links_or_html(sample, tmp_path):
    from caseline.export.markdown import md_escape
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").render("- " + md_escape("[click](http://x) <script>alert(1)</script> # *x*"))
    assert "<a " not in rendered and "<script>" not in rendered and "<em>" not in rendered


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data
        else:
            self.text.append(data)


def test_html_is_self_contained_with_svg_lanes_and_a_print_stylesheet(sample, expected, tmp_path):
    page = export(sample, tmp_path, "html").read_text(encoding="utf-8")
    parsed = _Collector()
    parsed.feed(page)
    names = [tag for tag, _ in parsed.tags]
    assert "script" not in names and "link" not in names and "iframe" not in names and "img" not in names
    for tag, attrs in parsed.tags:
        for name in ("src", "href", "action", "xlink:href"):
            assert name not in attrs, (tag, attrs)
    assert "url(" not in parsed.style and "@import" not in parsed.style
    assert "@media print" in parsed.style
    csp = [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]["content"]
    lanes = [a["data-lane"] for t, a in parsed.tags if t == "g" and "data-lane" in a]
    assert lanes[0] == "Worker" and "CIN" in lanes and "Visits" in lanes and lanes[-1] == "Flags"
    assert names.count("rect") >= 4  # worker bars and plans
    marks = [a for t, a in parsed.tags if t == "path" and "mark" in a.get("class", "")]
    assert len(marks) == len(expected.marks)
    assert sum("breach" in a["class"] for a in marks) == sum(severity == "breach" for _, severity in expected.marks)
    items = [a for t, a in parsed.tags if t == "li" and a.get("id", "").startswith("p")]
    assert [a["value"] for a in items] == [str(n) for n in range(1, expected.events + 1)]
    text = " ".join(" ".join(parsed.text).split())
    assert GAP_SENTENCE in text and CIN_CITATION in text and f"As of {expected.as_of}" in text
    breaches = [a for t, a in parsed.tags if t == "aside" and "breach" in a.get("class", "")]
    assert len(breaches) == expected.breaches


def test_docx_has_real_headings_numbered_paragraphs_and_a_flags_table(sample, expected, tmp_path):
    import docx

    document = docx.Document(str(export(sample, tmp_path, "docx")))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == ("Title", "Chronology: Missed CIN visits and a child protection plan")
    assert [t for s, t in headings if s == "Heading 1"] == ["Summary of flags", "Chronology", "Findings and notes", "Flags"]
    assert ("Heading 2", "Findings") in headings
    numbered = [p for p in document.paragraphs if p.style.name == "List Number"]
    assert len(numbered) == expected.events
    assert numbered[3].text.startswith("mid-September 2021 — The allocated worker visits the children.")
    # Word numbers them: the style carries a numbering definition.
    assert numbered[0].style.element.pPr.numPr is not None
    texts = [p.text for p in document.paragraphs]
    gap = next(t for t in texts if GAP_SENTENCE in t)
    assert gap.startswith(f"★ F{expected.gap_number}. Breach (definite): ") and CIN_CITATION in gap and CIN_STATUS in gap
    # It comes right after paragraph 7, the later of the two visits.
    seventh = texts.index(numbered[6].text)
    assert GAP_SENTENCE in texts[seventh + 1]
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells][1:3] == ["Severity", "What the records show"]
    assert len(table.rows) == 1 + expected.flags
    assert any(GAP_SENTENCE in row.cells[2].text and CIN_CITATION in row.cells[4].text for row in table.rows)
    assert any("The 11-week gap is fault" in t for t in texts)
    assert document.core_properties.author == "caseline"
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)  # A4
    assert round(table.columns[2].width.cm, 1) == 6.0  # the sentence gets the widest column


def test_csv_rows_are_formula_safe(sample, expected, tmp_path):
    rows = list(csv.DictReader(io.StringIO(export(sample, tmp_path, "csv").read_text(encoding="utf-8"))))
    kinds = [r["row"] for r in rows]
    assert kinds.count("event") == expected.events and kinds.count("flag") == expected.flags and kinds.count("note") == 3
    gap = next(r for r in rows if r["row"] == "flag" and r["rule"] == "cin_visits" and r["severity"] == "breach")
    assert gap["text"].startswith("F and G: " + GAP_SENTENCE) and gap["citation"].startswith(CIN_CITATION) and gap["starred"] == "yes"
    query = next(r for r in rows if r["tag"] == "query")
    assert query["text"].startswith("'=HYPERLINK") and query["about"] == "the case as a whole"
    visit = next(r for r in rows if r["row"] == "event" and r["number"] == "4")
    assert visit["date_as_written"] == "mid-September 2021" and visit["date_start"] == "2021-09-11"


def test_options_as_of_starred_no_flags_no_notes(sample, expected, tmp_path):
    text = export(sample, tmp_path, "md", "--as-of", "2021-11-01").read_text(encoding="utf-8")
    assert "**As of:** 1 Nov 2021" in text
    assert re.findall(r"^(\d+)\. ", text, flags=re.M)[-1] == "6"  # nothing after October 2021
    # The finding's flag is not raised yet: the finding is shown, not lost.
    assert f"a flag not raised as of 1 Nov 2021 (key {expected.gap.key.replace('_', chr(92) + '_')})" in text
    (tmp_path / "out.md").unlink()
    starred = export(sample, tmp_path, "md", "--starred").read_text(encoding="utf-8")
    assert re.findall(r"^(\d+)\. ", starred, flags=re.M) == ["1", "2"]  # the two visits the star rests on
    assert "F1. Breach (definite)" in starred and "starred events and flags only" in starred
    (tmp_path / "out.md").unlink()
    bare = export(sample, tmp_path, "md", "--no-flags", "--no-notes").read_text(encoding="utf-8")
    assert "## Summary of flags" not in bare and "## Findings and notes" not in bare and "F1." not in bare


def test_files_are_never_overwritten_without_force_and_never_the_database(sample, tmp_path):
    out = tmp_path / "chronology.md"
    out.write_text("keep me")
    refused = run("export", sample, "--case", LEICS, "--format", "md", "-o", out)
    assert refused.exit_code == 1 and "already exists; use --force" in refused.output
    assert out.read_text() == "keep me"
    forced = run("export", sample, "--case", LEICS, "--format", "md", "-o", out, "--force")
    assert forced.exit_code == 0 and out.read_text().startswith("# Chronology")
    assert file_mode(out) == 0o600 and sorted(p.name for p in tmp_path.iterdir()) == ["chronology.md"]
    before = sample.read_bytes()
    clobber = run("export", sample, "--case", LEICS, "--format", "md", "-o", sample, "--force")
    assert clobber.exit_code == 1 and "is the database being exported" in clobber.output
    beside = run("export", sample, "--case", LEICS, "--format", "md", "-o", f"{sample}-wal")
    assert beside.exit_code == 1 and "is the database being exported" in beside.output
    assert not Path(f"{sample}-wal").exists()
    assert sample.read_bytes() == before
    missing = run("export", sample, "--case", "nope", "--format", "md", "-o", tmp_path / "x.md")
    assert missing.exit_code == 1 and "no case 'nope'" in missing.output


def test_every_sample_case_exports_in_every_format(sample, tmp_path):
    from caseline.export.chronology import build_chronology
    from caseline.export.write import render_chronology
    from caseline.samples import list_samples

    conn = open_database(sample, read_only=True)
    for case in list_samples():
        doc = build_chronology(conn, case.id)
        for fmt in ("md", "html", "docx", "csv"):
            data = render_chronology(doc, fmt)
            assert len(data) > 500, (case.id, fmt)
        if case.illustrative:
            assert b"Illustrative case: dates invented for teaching." in render_chronology(doc, "html")
    conn.close()


def test_a_case_too_long_for_a_chronology_is_refused_in_one_sentence_but_its_starred_rows_export(
        sample, tmp_path, monkeypatch):
    """A whole extract's ten million events would not fit in memory as paragraphs: refused
    before anything is read, with what to do instead; its starred rows still export, read by
    id (the same paragraphs as for a short case)."""
    import caseline.export.chronology as chronology
    from caseline.export.chronology import ExportError, ExportOptions, build_chronology

    short = {fmt: tmp_path / f"short.{fmt}" for fmt in ("md", "html")}
    for fmt, path in short.items():
        assert run("export", sample, "--case", LEICS, "--format", fmt, "-o", path, "--starred").exit_code == 0
    monkeypatch.setattr(chronology, "EXPORT_MAX_EVENTS", 10)  # the sample has 18
    reads = []
    monkeypatch.setattr("caseline.store.load_events", lambda *a, **k: reads.append(a) or [])
    out = tmp_path / "long.md"
    result = run("export", sample, "--case", LEICS, "--format", "md", "-o", out)
    assert result.exit_code != 0 and not out.exists() and "Traceback" not in result.output
    assert "has more than 10 events, too many for a chronology" in result.output
    assert "--starred" in result.output and result.output.strip().count("\n") == 0
    conn = open_database(sample, read_only=True)
    try:
        with pytest.raises(ExportError):
            build_chronology(conn, LEICS, ExportOptions(), analysis=None)
    finally:
        conn.close()
    for fmt, path in short.items():  # (the HTML's lanes read as the explorer reads them: the same)
        starred = tmp_path / f"long-starred.{fmt}"
        assert run("export", sample, "--case", LEICS, "--format", fmt, "-o", starred, "--starred").exit_code == 0
        assert starred.read_text(encoding="utf-8") == path.read_text(encoding="utf-8")
    assert reads == []  # never every event
