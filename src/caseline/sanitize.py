"""Make text from a database or a file safe for where it goes: a terminal, a CSV cell, markup.

Text in a chronology comes from councils, decisions and people's imports. It is data: it must
never move the cursor, clear the screen, set a window title, open a hyperlink, write the
clipboard, ring the bell, or reorder what is shown around it ("Trojan Source" bidi tricks).

* :func:`clean` — for a terminal: removes every escape sequence (7-bit and 8-bit CSI, OSC,
  DCS, SOS, PM, APC, and lone ``ESC x``), C0/C1 controls, bidirectional overrides and
  isolates, zero-width characters and the BOM. ``markup=True`` also escapes Rich markup for
  the rare caller that must build a markup string.
* :func:`neutral` — for CSV and other files: keeps the data, but writes each control,
  bidi or zero-width character as a visible ``\\xNN``/``\\uNNNN`` escape.
* :func:`spreadsheet_safe` — :func:`neutral`, and a cell a spreadsheet would run as a
  formula (``=``, ``+``, ``-``, ``@``) is prefixed with ``'``.

No Rich or Textual import: every front end may use this module.
"""

from __future__ import annotations

import re

__all__ = ["clean", "neutral", "spreadsheet_safe", "escape_markup"]

# Order matters: whole sequences first (so their parameters go too), then lone controls.
_SEQUENCES = re.compile(
    r"""
      \x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?      # OSC: title, hyperlink (ESC ] ... BEL/ST)
    | \x1b[P^_X][^\x1b\x9c]*(?:\x1b\\|\x9c)?            # DCS, PM, APC, SOS strings
    | \x1b\[[0-?]*[ -/]*[@-~]?                          # CSI: cursor moves, clears, colours
    | \x9b[0-?]*[ -/]*[@-~]?                            # CSI in its 8-bit (C1) form
    | [\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?  # 8-bit DCS/SOS/OSC/PM/APC
    | \x1b[ -/]*[0-~]?                                  # any other ESC sequence (ESC c, ESC 7...)
    """,
    re.VERBOSE,
)
_LINE_BREAKS = re.compile(r"[\t\n\r\v\f\x85\u2028\u2029]+")
#: Controls, bidi embeddings/overrides/isolates/marks, zero-width characters, the BOM.
_INVISIBLE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_CONTROLS = re.compile(f"[{_INVISIBLE}]")
_CONTROLS_AND_BREAKS = re.compile(f"[{_INVISIBLE}\t\n\r\u2028\u2029]")
_MARKUP_TAG = re.compile(r"(\\*)(\[[a-zA-Z#/@][^[]*?\])")


def escape_markup(text: str) -> str:
    """Escape what Rich would read as a markup tag (``[bold]`` becomes ``\\[bold]``)."""
    return _MARKUP_TAG.sub(lambda m: f"{m[1]}{m[1]}\\{m[2]}", text)


def clean(text: object, *, one_line: bool = True, markup: bool = False) -> str:
    """Remove escape sequences and invisible control characters from *text*.

    Args:
        text: anything; ``None`` becomes ``""`` and other objects are passed through ``str``.
        one_line: replace tabs and line breaks with single spaces (for a table row). When
            false, newlines are kept (tabs become spaces) for multi-line panels.
        markup: also escape Rich markup (for text that will be parsed as markup).

    Returns:
        Text holding only printable characters (and ``\\n`` when ``one_line`` is false).
    """
    if text is None:
        return ""
    value = str(text)
    if value.isascii() and value.isprintable() and not markup:
        return value  # nothing to remove (every pattern below needs a control or a non-ASCII character)
    value = _SEQUENCES.sub("", value)
    if one_line:
        value = _CONTROLS.sub("", _LINE_BREAKS.sub(" ", value))
    else:
        value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
        value = re.sub(r"[\v\f\x85\u2028\u2029]", "\n", value)
        value = "\n".join(_CONTROLS.sub("", line) for line in value.split("\n"))
    return escape_markup(value) if markup else value


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutral(text: object, *, keep_line_breaks: bool = True) -> str:
    """*text* with every control, bidi and zero-width character written as a visible escape."""
    if text is None:
        return ""
    value = str(text)
    if value.isascii() and value.isprintable():
        return value  # no control, bidi or zero-width character to show
    if keep_line_breaks:
        # Newlines and tabs are ordinary in a CSV cell; everything else invisible is shown.
        return _CONTROLS.sub(_escape_char, value.replace("\r\n", "\n"))
    return _CONTROLS_AND_BREAKS.sub(_escape_char, value)


def spreadsheet_safe(value: object) -> object:
    """A CSV cell that keeps its data but cannot run as a spreadsheet formula."""
    if value is None or isinstance(value, (int, float)):
        return value
    text = neutral(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
