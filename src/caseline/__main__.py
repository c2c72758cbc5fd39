"""``python -m caseline``."""

from caseline.cli import main

main()
