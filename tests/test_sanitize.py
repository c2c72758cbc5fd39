"""caseline.sanitize: text from a database or a file, made safe for where it goes."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseline.sanitize import clean, escape_markup, neutral, spreadsheet_safe
from payloads import PAYLOADS, dangerous


@pytest.mark.parametrize("payload", PAYLOADS)
def test_clean_lets_nothing_dangerous_through(payload):
    assert dangerous(clean(payload)) == []
    assert dangerous(clean(payload, one_line=False).replace("\n", "")) == []


def test_clean_keeps_the_words():
    assert clean("SW2\x1b]0;pwned\x07\x1b[6n") == "SW2"
    assert clean("reset\x1bcafter") == "resetafter"
    assert clean("rlo\u202eevil") == "rloevil"
    assert clean("zero\u200bwidth") == "zerowidth"
    assert clean("[red]markup[/]") == "[red]markup[/]"  # markup is kept as characters...
    assert clean("[red]markup[/]", markup=True) == "\\[red]markup\\[/]"  # ...or escaped on request
    assert clean("a\nb\tc") == "a b c"
    assert clean("a\nb\x1b[1m", one_line=False) == "a\nb"


@given(st.text())
def test_clean_never_returns_a_dangerous_character(text):
    assert dangerous(clean(text)) == []


def test_escaped_markup_renders_as_the_same_characters():
    from rich.text import Text

    for text in ("[bold]x[/bold]", "[link=file:///etc]y[/]", "a\\[b]", "tail\\"):
        assert Text.from_markup(escape_markup(text)).plain == text


@pytest.mark.parametrize("payload", PAYLOADS)
def test_neutral_keeps_the_data_visible_and_harmless(payload):
    shown = neutral(payload)
    assert dangerous(shown.replace("\n", "").replace("\t", "")) == []
    assert "\\x1b" in shown if "\x1b" in payload else True


def test_spreadsheet_cells_cannot_run_as_formulas():
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx"):
        assert str(spreadsheet_safe(value)).startswith("'")
    assert spreadsheet_safe("ordinary") == "ordinary"
    assert spreadsheet_safe(3) == 3
    out = io.StringIO()
    csv.writer(out).writerow([spreadsheet_safe(p) for p in PAYLOADS])
    assert dangerous(out.getvalue().replace("\r\n", "").replace("\n", "")) == []


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_printable_ascii_is_left_as_it_is_and_no_pattern_could_change_it(text):
    """clean and neutral hand printable ASCII straight back (most of a case's text, a
    hundred thousand messages a long case): exact only because none of their patterns can
    match it, which is what this checks."""
    from caseline import sanitize

    for pattern in (sanitize._SEQUENCES, sanitize._LINE_BREAKS, sanitize._CONTROLS, sanitize._CONTROLS_AND_BREAKS):
        assert pattern.search(text) is None
    assert clean(text) == text and clean(text, one_line=False) == text and neutral(text) == text
