"""The rule engine: events in, flags out. Pure, deterministic, no UI imports."""

from caseline.rules.flags import Flag, CERTAINTIES, FLAG_KINDS, SEVERITIES

__all__ = ["Flag", "CERTAINTIES", "FLAG_KINDS", "SEVERITIES", "compute_flags"]


def compute_flags(*args, **kwargs):
    """See :func:`caseline.rules.engine.compute_flags` (imported lazily)."""
    from caseline.rules.engine import compute_flags as run

    return run(*args, **kwargs)
