"""The project's promises to newcomers and to CI."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index("```sh") + 1
    return [line.split("  #")[0].strip() for line in lines[start : start + 2]]


def test_readme_opens_with_the_run_and_test_commands():
    run, test = _readme_commands()
    assert run.startswith("python3 -m venv .venv && ") and run.endswith("caseline")
    assert test.startswith("python3 -m venv .venv && ") and "pytest" in test


def test_ci_runs_exactly_the_readme_test_command():
    _, test = _readme_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci.splitlines()


def test_every_cli_command_is_documented_in_the_readme():
    from caseline.cli import cli

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, command in cli.commands.items():
        assert f"caseline {name}" in readme, name
        for sub in getattr(command, "commands", {}):
            assert f"caseline {name} {sub}" in readme, (name, sub)
