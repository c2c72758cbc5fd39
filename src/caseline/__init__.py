"""caseline: a terminal casework timeline explorer."""

__version__ = "0.1.0"
