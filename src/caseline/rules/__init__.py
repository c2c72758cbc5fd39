"""The rule engine: events in, flags out. Pure, deterministic, no UI imports.

* :mod:`~caseline.rules.measure` — the shared measuring core (ranges, periods, findings).
* one module per rule shape: :mod:`.interval`, :mod:`.deadline`, :mod:`.review_chain`,
  :mod:`.worker_change`, :mod:`.precondition`.
* :mod:`~caseline.rules.engine` — :func:`compute_flags`, which runs every rule in force.
"""
