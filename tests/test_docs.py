"""Every command is documented: help with examples, and a place in README.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from factcheck.cli import COMMAND_NAMES

from .conftest import run

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_command_has_help_with_examples(name: str) -> None:
    r = run(name, "--help")
    assert r.returncode == 0
    assert "Examples" in r.stdout
    assert f"factcheck {name}" in r.stdout or name == "search"


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_command_is_in_readme(name: str) -> None:
    assert f"factcheck {name}" in README


def test_quick_start_is_two_commands_at_the_top() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = quick.split("```")[1::2]
    assert len(blocks) == 2
    assert 'factcheck "' in blocks[0]
    assert "pytest" in blocks[1]
