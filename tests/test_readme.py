"""The README keeps its promises: the two commands first, and every setting documented."""

from __future__ import annotations

from pathlib import Path

from bot.config import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_the_two_commands_open_the_readme() -> None:
    opening = README[:400]
    assert "make run" in opening and "make test" in opening


def test_every_setting_is_in_the_configuration_table() -> None:
    missing = [
        f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields if f"{ENV_PREFIX}{name.upper()}" not in README
    ]
    assert not missing, f"README does not document {missing}"


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
