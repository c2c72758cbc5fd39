"""Writing what caseline computed for people and programs outside it: flags today, chronology
exports next. One writer per format, called by the CLI and (next) the TUI alike; every
writer cleans text for where it goes (:mod:`caseline.sanitize`).
"""
