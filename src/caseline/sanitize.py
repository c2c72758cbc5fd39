"""Make text from a database safe to put on a terminal.

Text in a chronology comes from councils, decisions and people's imports. It is data: it must
never move the cursor, clear the screen, set a window title, open a hyperlink, ring the bell,
or reorder what is shown around it. :func:`clean` removes every terminal escape sequence and
C0/C1 control character (and the Unicode bidirectional overrides used in "Trojan Source"
attacks). Rich *markup* is a separate matter: callers build ``rich.text.Text(plain)`` objects,
never ``Text.from_markup``, so ``[red]x[/]`` is shown as those characters.
"""

from __future__ import annotations

import re

__all__ = ["clean"]

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
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: object, *, one_line: bool = True) -> str:
    """Remove escape sequences and control characters from *text*.

    Args:
        text: anything; ``None`` becomes ``""`` and other objects are passed through ``str``.
        one_line: replace tabs and line breaks with single spaces (for a table row). When
            false, newlines are kept (tabs become spaces) for multi-line panels.

    Returns:
        Text holding only printable characters (and ``\\n`` when ``one_line`` is false).
    """
    if text is None:
        return ""
    value = _SEQUENCES.sub("", str(text))
    if one_line:
        value = _LINE_BREAKS.sub(" ", value)
    else:
        value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
        value = re.sub(r"[\v\f\x85\u2028\u2029]", "\n", value)
        value = "\n".join(_CONTROLS.sub("", line) for line in value.split("\n"))
        return value
    return _CONTROLS.sub("", value)
