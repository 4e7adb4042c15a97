"""Browse commands, in process (conftest.run): formats, filters, exit codes, errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from .conftest import run, status_into_head


def test_disputed_lists_both_sides_with_disputes() -> None:
    r = run("disputed")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0].startswith("mq9-reaper-forced-down-black-sea  2023-03  DISPUTED  News report: ")
    assert lines[1].startswith("    disputed by Moscow: Moscow denied these claims")
    assert lines[2].startswith("moscow-mq9-crashed-evasive-maneuvers  2023-03  DISPUTED  Moscow: ")
    assert len(lines) == 4
    assert r.stderr == ""


def test_disputed_equals_list_status_disputed() -> None:
    assert run("disputed", "--json").stdout == run("list", "--status", "disputed", "--json").stdout


def test_list_json_document() -> None:
    r = run("list", "--speaker", "zelensky", "--since", "2025", "--json")
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    assert list(doc) == ["filters", "claims", "count"]
    assert doc["filters"]["speaker"] == "Volodymyr Zelenskyy"
    assert [c["id"] for c in doc["claims"]] == ["zelenskyy-46000-soldiers-died"]
    assert doc["count"] == 1


def test_list_jsonl_one_record_per_line() -> None:
    r = run("list", "--tag", "prisoner-exchange", "--jsonl")
    assert r.returncode == 0
    records = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(records) >= 4
    assert all("prisoner-exchange" in c["tags"] for c in records)


def test_list_csv() -> None:
    r = run("list", "--status", "disputed", "--csv")
    assert r.returncode == 0
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["id"] for row in rows] == [
        "mq9-reaper-forced-down-black-sea",
        "moscow-mq9-crashed-evasive-maneuvers",
    ]
    assert rows[0]["status"] == "disputed"


def test_sort_and_limit() -> None:
    r = run("list", "--sort", "date", "--limit", "3", "--jsonl")
    assert [json.loads(x)["date"] for x in r.stdout.splitlines()] == ["2014", "2021", "2022-02"]


def test_unknown_speaker_suggests_closest() -> None:
    r = run("list", "--speaker", "Zelenksi")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr == (
        "factcheck: no speaker named 'Zelenksi'; did you mean 'Volodymyr Zelenskyy'?\n"
    )


def test_filter_leaving_nothing_exits_1() -> None:
    r = run("list", "--tag", "mq-9", "--status", "undisputed", "--json")
    assert r.returncode == 1
    assert json.loads(r.stdout)["claims"] == []
    assert "no claim passes these filters" in r.stderr


@pytest.mark.parametrize("args", [["--since", "March"], ["--status", "maybe"]])
def test_bad_filter_values_exit_2(args: list[str]) -> None:
    r = run("list", *args)
    assert r.returncode == 2
    assert r.stderr.startswith("factcheck: error: ")
    assert r.stderr.count("\n") == 1


def test_show_in_full() -> None:
    r = run("show", "zelenskyy-55000-soldiers-died")
    assert r.returncode == 0
    assert "speaker: Volodymyr Zelenskyy (Ukrainian President)\n" in r.stdout
    assert "updates: zelenskyy-46000-soldiers-died: Earlier in 2025" in r.stdout


def test_show_json_resolves_disputes_and_related() -> None:
    r = run("show", "mq9-reaper-forced-down-black-sea", "--json")
    doc = json.loads(r.stdout)
    assert list(doc) == ["claim", "speaker", "disputes", "related"]
    assert doc["disputes"][0]["record"]["id"] == "moscow-mq9-crashed-evasive-maneuvers"
    assert doc["related"][0]["claim"]["speaker"] == "Moscow"


def test_show_unknown_id_suggests_and_exits_2() -> None:
    r = run("show", "zelenskyy-55000")
    assert r.returncode == 2
    assert r.stderr.startswith(
        "factcheck: error: no claim with id 'zelenskyy-55000'; did you mean "
        "zelenskyy-55000-soldiers-died"
    )


def test_speakers() -> None:
    r = run("speakers", "--json")
    rows = {s["name"]: s for s in json.loads(r.stdout)["speakers"]}
    assert rows["Moscow"]["claims"] == 1 and rows["Moscow"]["disputed"] == 1
    assert "Zelensky" in rows["Volodymyr Zelenskyy"]["aliases"]
    plain = run("speakers").stdout
    assert "Human Rights Watch: 2 claims, 0 disputed; aliases: HRW\n" in plain


def test_stats() -> None:
    r = run("stats", "--json")
    doc = json.loads(r.stdout)
    assert doc["claims"] == 40
    assert doc["by_status"] == {"undisputed": 38, "disputed": 2}
    assert doc["database"]["version"] == 1
    assert doc["database"]["path"].endswith("claims.json")
    assert run("stats").stdout.startswith("database: ")


def test_list_pipe_closed_early_is_quiet() -> None:
    # A real process: the reader going away is a pipe's doing (SIGPIPE, EPIPE on flush).
    assert status_into_head("list") == (0, "")


@pytest.mark.parametrize("columns", [60, 80])
def test_list_at_n_columns_on_a_terminal_wraps(columns: int) -> None:
    # In process: the rich console reads COLUMNS from the invocation's Env, not os.environ.
    r = run("--color", "always", "disputed", env={"COLUMNS": str(columns)})
    assert r.returncode == 0
    visible = r.stdout.splitlines()
    import re

    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in visible]
    assert max(len(line) for line in plain) == columns
    assert any("Crimea." in line for line in plain)


def test_show_labels_a_bare_source_by_its_kind(tmp_path: Path) -> None:
    db = tmp_path / "db.json"
    record = {"id": "a", "text": "A claim", "speaker": "S", "sources": [{"kind": "statement"}]}
    db.write_text(json.dumps({"claims": [record]}), encoding="utf-8")
    r = run("show", "a", "--db", str(db))
    assert "source: statement\n" in r.stdout
