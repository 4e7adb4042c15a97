"""The README's and the docstrings' examples run, and say what they are documented to say.

- Every ``$ factcheck ...`` line of the README's usage sections is run (in process, on the
  bundled database) and each output line shown under it that is not shortened with "..." must
  be printed (stdout or stderr), in that order.
- The README's Python example and the package docstring's example run.
"""

from __future__ import annotations

import re
import shlex
import textwrap
from pathlib import Path

import pytest

import factcheck
import factcheck.api

from .conftest import run

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTIONS = (
    "### Search one claim",
    "### What differs",
    "### Check a whole text",
    "### Browse the database",
)


def _section(title: str) -> str:
    return README.split(title, 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]


def _examples() -> list[tuple[str, list[str]]]:
    """(command, output lines shown) for every ``$ factcheck`` line of the usage sections."""
    found = []
    for title in SECTIONS:
        for block in _section(title).split("```")[1::2]:
            lines = block.strip("\n").splitlines()
            i = 0
            while i < len(lines):
                if lines[i].startswith("$ "):
                    command, shown = lines[i][2:], []
                    i += 1
                    while i < len(lines) and not lines[i].startswith("$ "):
                        shown.append(lines[i])
                        i += 1
                    found.append((command, shown))
                else:
                    i += 1
    return found


EXAMPLES = _examples()


def _run(command: str, cwd: Path, tmp_path: Path) -> tuple[int, str]:
    head = None
    m = re.fullmatch(r"(.*?)\s*\|\s*head -(\d+)", command)
    if m:
        command, head = m.group(1), int(m.group(2))
    args = shlex.split(command)
    assert args[0] == "factcheck", command
    r = run(
        *[a if not (cwd / a).exists() else str(cwd / a) for a in args[1:]],
        env={"FACTCHECK_CACHE": str(tmp_path / "cache")},
    )
    text = r.stdout
    if head is not None:
        text = "".join(text.splitlines(keepends=True)[:head])
    return r.returncode, text + r.stderr


def test_the_usage_sections_have_examples() -> None:
    assert len(EXAMPLES) >= 12


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory for all the examples: one writes the file the next one checks."""
    return tmp_path_factory.mktemp("examples")


@pytest.mark.parametrize(("command", "shown"), EXAMPLES, ids=[c[:60] for c, _ in EXAMPLES])
def test_readme_example(command: str, shown: list[str], workdir: Path) -> None:
    tmp_path = workdir
    if command.startswith("printf "):  # writes the file the next example checks
        m = re.fullmatch(r"printf '(.*)' > (\S+)", command)
        assert m, command
        (tmp_path / m.group(2)).write_text(m.group(1).encode().decode("unicode_escape"))
        return
    code, printed = _run(command, tmp_path, tmp_path)
    assert code in (0, 1), printed
    if "--json" in command:  # shown condensed: every key the README shows must be there
        import json

        json.loads(printed.split("\n}\n", 1)[0] + "\n}")
        for key in re.findall(r'"(\w+)":', "\n".join(shown)):
            assert f'"{key}":' in printed, f"{command!r} has no key {key!r}"
        return
    position = 0
    for line in shown:
        expected = line.rstrip()
        if not expected or "..." in expected or "/path/to/" in expected:
            continue
        at = printed.find(expected, position)
        assert at >= 0, f"{command!r} no longer prints {expected!r}; it printed:\n{printed}"
        position = at + len(expected)


def _python_blocks(text: str) -> list[str]:
    return [b.removeprefix("python\n") for b in text.split("```")[1::2] if b.startswith("python\n")]


def test_readme_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (block,) = _python_blocks(README.split("## Library use", 1)[1].split("\n## ", 1)[0])
    monkeypatch.setenv("FACTCHECK_CACHE", str(tmp_path / "cache"))
    exec(compile(block, "README.md", "exec"), {})


@pytest.mark.parametrize("module", [factcheck, factcheck.api], ids=lambda m: m.__name__)
def test_docstring_example_runs(
    module: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = module.__doc__ or ""
    assert "::\n" in doc, "the example follows a '::' line"
    lines = []
    for line in doc.split("::\n", 1)[1].splitlines():
        if line.strip() and not line.startswith("    "):
            break  # the example ends at the next paragraph
        lines.append(line)
    example = textwrap.dedent("\n".join(lines))
    monkeypatch.setenv("FACTCHECK_CACHE", str(tmp_path / "cache"))
    exec(compile(example, module.__name__, "exec"), {})
