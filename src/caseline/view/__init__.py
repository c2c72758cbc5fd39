"""What the screens and exports show, computed without any UI: rows, lanes, labels.

* :mod:`~caseline.view.rows` — the timeline as rows (events merged with flag rows).
* :mod:`~caseline.view.lanes` — the lanes model and its day/column arithmetic.
* :mod:`~caseline.view.labels` — symbols, words, ages, severity theme variables.
"""
