"""The search command, in process (conftest.run): streams, exit codes, JSON shape; a real
process only for pipes, a terminal and start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import claim, run, run_on_tty, status_into_head

QUERY = "Zelensky said 50,000 Ukrainian soldiers have died"


def test_default_command_searches_the_bundled_database() -> None:
    r = run(QUERY)
    assert r.returncode == 0
    assert r.stdout.splitlines()[0].endswith(
        "approximately 55,000 Ukrainian soldiers have died since the invasion began, "
        "a rise from the 46,000 figure he cited earlier in 2025."
    )
    assert "speaker: Volodymyr Zelenskyy (Ukrainian President)" in r.stdout
    assert "id: zelenskyy-55000-soldiers-died" in r.stdout
    assert r.stderr == ""


def test_json_shape() -> None:
    r = run("search", "US drone forced down over the Black Sea", "--json")
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    assert list(doc) == ["query", "matches"]
    assert doc["query"] == "US drone forced down over the Black Sea"
    top = doc["matches"][0]
    assert list(top) == ["score", "claim", "notes", "verdict"]
    assert top["claim"]["id"] == "mq9-reaper-forced-down-black-sea"
    assert top["claim"]["status"] == "disputed"
    assert top["claim"]["disputed_by"][0]["speaker"] == "Moscow"
    # The query states the drone was forced down as fact; the record says Moscow denies it.
    assert [n["kind"] for n in top["notes"]] == ["disputed"]
    assert top["verdict"] == "differs"
    assert 50 <= top["score"] <= 100
    scores = [m["score"] for m in doc["matches"]]
    assert scores == sorted(scores, reverse=True)
    assert len(scores) <= 3


@pytest.mark.parametrize("query", ["Russia", "the war", "Ukraine", "vaccines cause autism"])
def test_generic_or_unrelated_queries_match_nothing(query: str) -> None:
    r = run(query, "--json")
    assert r.returncode == 1
    assert json.loads(r.stdout) == {"query": query, "matches": []}
    assert "no known claim matches" in r.stderr


def test_nothing_found_plain_has_empty_stdout() -> None:
    r = run("the war")
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr.startswith("factcheck: no known claim matches")


def test_limit_and_threshold() -> None:
    r = run("search", "Russian drones", "--limit", "5", "--threshold", "0", "--json")
    assert r.returncode == 0
    assert len(json.loads(r.stdout)["matches"]) == 5


def test_db_option_before_and_after_subcommand_and_env(make_db: Callable[..., Path]) -> None:
    path = make_db(claim("moon", "The moon landing in 1969 was staged in a studio", "A blogger"))
    q = "moon landing was staged in a studio"
    for args, env in (
        (["--db", str(path), q, "--json"], None),
        (["search", q, "--db", str(path), "--json"], None),
        (["--db", str(path), "--json", q], None),
        ([q, "--json"], {"FACTCHECK_DB": str(path)}),
    ):
        r = run(*args, env=env)
        assert r.returncode == 0, (args, r.stderr)
        assert json.loads(r.stdout)["matches"][0]["claim"]["id"] == "moon"


def test_missing_database_is_one_line_exit_2(tmp_path: Path) -> None:
    r = run("--db", str(tmp_path / "none.json"), "anything at all")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith("factcheck: error: database not found")
    assert "none.json" in r.stderr
    assert "Traceback" not in r.stderr


def test_malformed_database_names_record_and_field(make_db: Callable[..., Path]) -> None:
    path = make_db(claim("a", "fine"), {"id": "b", "text": "x", "speaker": "s", "date": "soon"})
    r = run("--db", str(path), "fine")
    assert r.returncode == 2
    assert r.stderr == (
        f"factcheck: error: bad date 'soon', expected YYYY, YYYY-MM or YYYY-MM-DD "
        f"({path}:claims[1] 'b'.date)\n"
    )


def test_broken_json_database(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"claims": [', encoding="utf-8")
    r = run("--db", str(path), "x y z")
    assert r.returncode == 2
    assert f"({path}:1:13)" in r.stderr


def test_unknown_option_is_one_line_exit_2() -> None:
    r = run("search", "x", "--bogus")
    assert r.returncode == 2
    assert r.stderr == (
        "factcheck: error: No such option: --bogus (see 'factcheck search --help')\n"
    )
    assert r.stdout == ""


def test_version() -> None:
    r = run("--version")
    assert r.returncode == 0
    assert r.stdout.startswith("factcheck 0.1.0 (40 claims, ")


def test_help_has_examples() -> None:
    r = run("--help")
    assert r.returncode == 0
    assert "factcheck search" in r.stdout
    r = run("search", "--help")
    assert "--threshold" in r.stdout and "Examples" in r.stdout


def test_markup_and_escapes_are_printed_as_text(make_db: Callable[..., Path]) -> None:
    text = "The [bold red]minister[/bold red] said \x1b[31mred\x1b[0m alarms rang at midnight"
    path = make_db(claim("m", text, "[link=x]Minister[/link]"))
    r = run("--db", str(path), "--color", "always", "minister said red alarms rang at midnight")
    assert r.returncode == 0
    assert "[bold red]minister[/bold red]" in r.stdout
    assert "[link=x]Minister[/link]" in r.stdout
    assert "\\x1b[31mred" in r.stdout
    assert "\x1b[31mred" not in r.stdout


def test_no_color_and_pipe_are_plain() -> None:
    r = run(QUERY, env={"NO_COLOR": "1"})
    assert "\x1b[" not in r.stdout
    r = run("--color", "always", QUERY)
    assert "\x1b[" in r.stdout


def test_closed_pipe_ends_quietly() -> None:
    # A real process: the reader going away is a pipe's doing (SIGPIPE, EPIPE on flush).
    assert status_into_head('"Russian drones" -t 0 -n 40') == (0, "")


def test_bare_call_on_a_terminal_prints_usage_and_exits_2() -> None:
    # A real process on a pseudo-terminal: that Env.from_sys sees the terminal is the point
    # (the usage lines themselves are checked in process in test_cli_check).
    r = run_on_tty()
    assert r.returncode == 2
    assert r.stderr.startswith("usage: factcheck")
    assert r.stdout == ""


def test_json_path_does_not_import_rich() -> None:
    # A real process: what a fresh interpreter imports at start-up.
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "factcheck", QUERY, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0
    assert "rich.console" not in r.stderr


@pytest.mark.parametrize(
    ("query", "verdict", "note"),
    [
        ("Zelensky said 50,000 Ukrainian soldiers have died", "differs",
         "figure differs: you wrote 50,000, the record says 55,000 (earlier figure: 46,000)"),
        ("Human Rights Watch said civilian casualties fell", "contradicts",
         "direction differs: the record reports a 31% increase"),
        ("Tusk announced that Russian forces lost their Starlink terminals on the front lines",
         "differs",
         "speaker differs: the record attributes this to Mykhailo Fedorov, not Donald Tusk"),
        ("Moscow admitted its jets dumped fuel on the MQ-9", "contradicts",
         "the record is disputed: Moscow denied it (drone crashed during evasive maneuvers)"),
        ("Zelenskiy said 55 000 Ukrainian soldiers have died", "same", None),
    ],
)  # fmt: skip
def test_what_differs_is_said(query: str, verdict: str, note: str | None) -> None:
    top = json.loads(run(query, "--json").stdout)["matches"][0]
    assert top["verdict"] == verdict
    assert [n["message"] for n in top["notes"]] == ([note] if note else [])
    plain = run(query, "-n", "1").stdout
    assert plain.splitlines()[0].startswith(f"{top['score']:5.1f}  [{verdict}]  ")
    if note:
        assert f"       ! {note}\n" in plain


def test_command_names_list_every_command() -> None:
    import typer.main

    from factcheck import cli

    assert sorted(typer.main.get_command(cli.app).commands) == sorted(cli.COMMAND_NAMES)
    assert sorted(typer.main.get_command(cli.quick).commands) == ["check", "search"]


@pytest.mark.parametrize(
    ("args", "which"),
    [
        (["Zelensky said"], "quick"),
        (["--db", "x.json", "--json", "text"], "quick"),
        (["check", "a.txt"], "quick"),
        ([], "quick"),
        (["--db=x.json", "list"], "app"),
        (["--debug", "stats"], "app"),
        (["--help"], "app"),
        (["--color", "never", "show", "id"], "app"),
    ],
)
def test_runs_that_search_or_check_build_only_those_commands(args: list[str], which: str) -> None:
    from factcheck import cli

    assert cli._app_for(args, {}) is getattr(cli, which)


def test_close_command_names_get_a_hint() -> None:
    r = run("lst")
    assert "did you mean 'factcheck list'?" in r.stderr
