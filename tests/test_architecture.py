"""The walls between caseline's floors (ARCHITECTURE.md) hold.

Each core module is imported in a fresh interpreter and must load neither Textual nor Rich;
the import-linter contracts in pyproject.toml must all be kept.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import caseline

ROOT = Path(__file__).resolve().parents[1]


def _core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(caseline.__path__, prefix="caseline."):
        if info.name.startswith("caseline.tui") or info.name == "caseline.__main__":
            continue
        names.append(info.name)
    return sorted(names)


CORE_MODULES = _core_modules()


def test_the_core_module_list_covers_every_floor():
    for floor in ("caseline.model", "caseline.store.reads", "caseline.rules.engine", "caseline.analysis",
                  "caseline.view.rows", "caseline.export.flags", "caseline.importing.validate", "caseline.cli"):
        assert floor in CORE_MODULES


@pytest.mark.parametrize("module", CORE_MODULES)
def test_a_core_module_loads_neither_textual_nor_rich(module):
    code = (
        f"import sys, {module}\n"
        "loaded = sorted(m for m in ('textual', 'rich') if m in sys.modules)\n"
        "print(','.join(loaded))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"{module} loads {result.stdout.strip()} at import"


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
