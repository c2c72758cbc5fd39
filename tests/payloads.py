"""Text that would attack a terminal or a spreadsheet if it got out raw.

Each payload pairs hostile bytes with visible words around them, so a test can check both
that nothing dangerous gets through and that the words a person wrote are still shown.
"""

from __future__ import annotations

import re

PAYLOADS: list[str] = [
    "SW2\x1b]0;pwned\x07\x1b[6n",             # OSC title, then a cursor position report request
    "a\x1b]0;title\x1b\\b",                    # OSC ended by ST
    "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "clip\x1b]52;c;cGF5bG9hZA==\x07board",    # OSC 52 clipboard write
    "x\x9d0;eight-bit osc\x9cy",               # 8-bit OSC
    "x\x9b31my",                              # 8-bit CSI
    "dcs\x1bP1$r\x1b\\end",                    # DCS
    "x\x90q#0;2;0;0;0\x9cy",                   # 8-bit DCS (sixel)
    "apc\x1b_hidden\x1b\\end",                 # APC
    "pm\x1b^hidden\x1b\\end",                  # PM
    "sos\x1bXhidden\x1b\\end",                 # SOS
    "reset\x1bcafter",                         # ESC c: full reset
    "save\x1b7restore\x1b8",                   # DECSC / DECRC
    "clear\x1b[2J\x1b[Hscreen",                # erase display, cursor home
    "colour\x1b[31mred\x1b[0m",                # SGR
    "up\x1b[5Aline",                           # cursor up
    "title\x1b]2;x\x07",                       # OSC 2
    "bell\x07here",                            # BEL
    "back\x08space",                           # BS
    "carriage\rreturn",                        # CR overwrite
    "vertical\x0btab",                         # VT
    "form\x0cfeed",                            # FF
    "nul\x00byte",                             # NUL
    "del\x7fete",                              # DEL
    "c1\x85next line",                         # NEL (C1)
    "shift\x0eout\x0fin",                      # SO / SI
    "rlo\u202eevil",                           # right-to-left override
    "rli\u2067isolate\u2069",                  # right-to-left isolate
    "lre\u202aembed\u202c",                    # left-to-right embedding
    "zero\u200bwidth",                         # zero-width space
    "zwj\u200djoin",                           # zero-width joiner
    "\ufeffbom",                               # byte order mark
    "[red]markup[/]",                          # Rich markup
    "[link=file:///etc/passwd]y[/]",           # Rich link markup
    "=HYPERLINK(\"http://x\",\"click\")",      # spreadsheet formula
]

#: What must never reach a terminal: ESC, C0/C1 controls (but tab/newline), bidi, zero-width, BOM.
DANGEROUS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def dangerous(text: str) -> list[str]:
    """The dangerous characters in *text* (empty when it is safe for a terminal)."""
    return DANGEROUS.findall(text)
