"""Notes written by one process against the same number split between two at once.

Every note is its own transaction (BEGIN IMMEDIATE ... COMMIT in WAL mode), so two writers
take turns for the lock. This prints notes per second for one writer and for two, and their
ratio, measured in one run; and checks that every note arrived.

    .venv/bin/python benchmarks/notes_writers.py [--notes 1000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WRITER = r"""
import sys
from caseline.store import open_database
from caseline.store.notes import add_note
conn = open_database(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
for i in range(int(sys.argv[3])):
    add_note(conn, "c1", text=f"{sys.argv[2]} {i}", tag="note", author=sys.argv[2], created="2026-01-01T00:00:00Z")
conn.close()
"""


def run(path: Path, writers: int, each: int) -> float:
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"w{k}", str(each)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for k in range(writers)]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    start = time.perf_counter()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        proc.communicate()
        assert proc.returncode == 0
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1000)
    args = parser.parse_args()
    from caseline.store import open_database
    from caseline.store.notes import list_notes

    with tempfile.TemporaryDirectory() as folder:
        timings = {}
        for writers in (1, 2):
            path = Path(folder) / f"w{writers}.db"
            conn = open_database(path, create=True)
            conn.execute("INSERT INTO cases (id, title) VALUES ('c1', 'bench')")
            conn.close()
            timings[writers] = run(path, writers, args.notes // writers)
            conn = open_database(path, read_only=True)
            found = len(list_notes(conn, "c1"))
            conn.close()
            assert found == args.notes, (writers, found)
            print(f"{writers} writer(s): {args.notes} notes in {timings[writers]:.2f} s "
                  f"({args.notes / timings[writers]:,.0f} notes/s), all {found} present")
        print(f"two writers take {timings[2] / timings[1]:.2f}x the time of one for the same notes")


if __name__ == "__main__":
    main()
