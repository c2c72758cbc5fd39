"""A training room: the caseline app served to a browser on this machine (textual-serve).

textual-serve runs ``python -m caseline replay|open ...`` once per browser tab, with Textual's
web driver, and relays it over a websocket. Promises:

* the server listens on the loopback address only (127.0.0.1): case data never leaves this
  machine, and no other machine on the room's network can open it;
* the page asks the browser for nothing from outside: the upstream page's web-font link is
  replaced by the font textual-serve ships in its own static folder;
* a port already in use is reported as one sentence before anything starts.

Nothing here is imported by the core; ``textual_serve`` is imported only when serving.
"""

from __future__ import annotations

import errno
import re
import shlex
import socket
import sys
import tempfile
from pathlib import Path

__all__ = ["HOST", "ServeError", "check_port", "served_command", "serve"]

HOST = "127.0.0.1"

_FONT_LINK = re.compile(r"<link[^>]*fonts\.googleapis\.com[^>]*>", re.IGNORECASE | re.DOTALL)
_LOCAL_FONT = """<style>
      @font-face {
        font-family: "Roboto Mono";
        src: url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf");
      }
    </style>"""


class ServeError(Exception):
    """A reason the training room cannot start, as one sentence."""


def check_port(port: int, host: str = HOST) -> None:
    """Raise :class:`ServeError` when *port* cannot be listened on at *host*."""
    if not 0 < port < 65536:
        raise ServeError(f"port {port} is not a port number (1-65535)")
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(f"port {port} on {host} is already in use; choose another with --port") from None
        raise ServeError(f"cannot listen on {host} port {port}: {exc.strerror or exc}") from None
    finally:
        probe.close()


def served_command(db: str, case_id: str | None) -> str:
    """The shell command textual-serve starts for each browser tab."""
    parts = [sys.executable, "-m", "caseline"]
    if case_id:
        parts += ["replay", db, "--case", case_id]
    else:
        parts += ["open", db, "--read-only"]
    return " ".join(shlex.quote(part) for part in parts)


def _local_templates() -> Path:
    """textual-serve's page template with its web-font link replaced by the bundled font."""
    import textual_serve

    upstream = Path(textual_serve.__file__).parent / "templates" / "app_index.html"
    page = _FONT_LINK.sub(_LOCAL_FONT, upstream.read_text(encoding="utf-8"))
    folder = Path(tempfile.mkdtemp(prefix="caseline-serve-"))  # created 0700
    (folder / "app_index.html").write_text(page, encoding="utf-8")
    return folder


def serve(db: str, case_id: str | None, port: int, *, title: str = "caseline") -> None:
    """Serve until interrupted (ctrl+c). Call :func:`check_port` first for a clear error."""
    from textual_serve.server import Server

    import shutil

    templates = _local_templates()
    try:
        Server(served_command(db, case_id), host=HOST, port=port, title=title, templates_path=templates).serve()
    finally:
        shutil.rmtree(templates, ignore_errors=True)
