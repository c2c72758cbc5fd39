"""The terminal UI. Importing this package is cheap: Textual is imported inside :func:`run_app`.

Only the ``open`` command of the CLI calls :func:`run_app`; every other command (and every
script using the core) runs without Textual in ``sys.modules``.
"""

from __future__ import annotations

__all__ = ["run_app"]


def run_app(db_path: str, case_id: str | None = None, read_only: bool = False, high_contrast: bool = False,
            overview_first: bool = False, replay: bool = False) -> None:
    """Open the timeline explorer on *db_path* and block until the user quits.

    Args:
        db_path: the caseline database file.
        case_id: open this case directly; otherwise the case picker (or the only case).
        read_only: open the database so that nothing can be written.
        high_contrast: start in the high-contrast theme.
        overview_first: open each case on its overview.
        replay: open *case_id* in replay mode.
    """
    from caseline.tui.app import CaselineApp

    CaselineApp(db_path, case_id=case_id, read_only=read_only, high_contrast=high_contrast,
                overview_first=overview_first, replay=replay).run()
