"""The bundled sample cases (``sample_cases/<id>/case.toml`` + ``events.csv``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from caseline.importing import CaseSource, ImportResult, import_files
from caseline.store import open_database


@dataclass(frozen=True)
class Sample:
    id: str
    title: str
    council: str
    illustrative: bool
    folder: Path


def samples_root() -> Path:
    """Where the sample cases are: inside the installed package, or the source checkout."""
    from importlib.resources import files

    packaged = Path(str(files("caseline"))) / "sample_cases"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "sample_cases"


def list_samples(root: Path | None = None) -> list[Sample]:
    folder = root or samples_root()
    found = []
    for case_file in sorted(folder.glob("*/case.toml")):
        case = tomllib.loads(case_file.read_text(encoding="utf-8")).get("case", {})
        found.append(
            Sample(
                id=str(case.get("id", case_file.parent.name)),
                title=str(case.get("title", "")),
                council=str(case.get("council", "")),
                illustrative=bool(case.get("illustrative", False)),
                folder=case_file.parent,
            )
        )
    return found


def sample_source(sample: Sample) -> CaseSource:
    """The sample as an import source: its case.toml as the case mapping, plus events.csv."""
    data = tomllib.loads((sample.folder / "case.toml").read_text(encoding="utf-8"))
    case = dict(data.get("case", {}))
    if data.get("teaching"):
        case["teaching"] = data["teaching"]
    mapping = {"case": case, "people": list(data.get("people", []))}
    return CaseSource(str(sample.folder / "case.toml"), mapping, sample.folder / "events.csv")


def build_sample_database(path: str | Path, ids: list[str] | None = None) -> ImportResult:
    """Create (or add to) a database holding the sample cases, all in one transaction."""
    chosen = [s for s in list_samples() if ids is None or s.id in ids]
    conn = open_database(path, create=True)
    try:
        return import_files(conn, [sample_source(s) for s in chosen])
    finally:
        conn.close()


def default_database() -> Path:
    """The per-user sample database, built on first use."""
    import platformdirs

    folder = Path(platformdirs.user_data_dir("caseline", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Named by the samples' content: a new release builds afresh, and notes a trainer made in
    # an older copy stay where they were.
    return folder / f"samples-{samples_fingerprint()}.db"


def samples_fingerprint() -> str:
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(samples_root().glob("*/*")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
