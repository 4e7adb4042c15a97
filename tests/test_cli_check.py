"""The `check` command end to end, in process (conftest.run); a real `python -m factcheck`
process only for pipes, a slow reader, start-up from another directory."""

from __future__ import annotations

import json
import select
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from factcheck.index import Index
from factcheck.match import Matcher
from factcheck.model import Database
from factcheck.store import parse_claim

from .conftest import BUNDLED, claim, run

ZORB = "The Zorbian central bank raised interest rates to 14 percent in March."
QUUX = "The Quuxville suspension bridge collapsed during a storm in 1987."
MARS = "Astronomers detected liquid water beneath the southern polar ice cap of Mars."

ARTICLE = (
    "Markets were calm on Monday. The Zorbian central bank raised\n"  # 1
    "interest rates to 14 percent in March, analysts said.\n"  # 2
    "\n"  # 3
    "The Quuxville suspension bridge collapsed during a storm in 1987. A cat\n"  # 4
    "slept on the sofa.\n"  # 5
)
ZORB_SENTENCE = (
    "The Zorbian central bank raised interest rates to 14 percent in March, analysts said."
)
QUUX_SENTENCE = QUUX
FIXTURE = (
    claim("zorb-rates", ZORB, "Zorbian central bank"),
    claim("quux-bridge", QUUX, "News report", status="disputed"),
    claim("mars-water", MARS, "Astronomers"),
)


def _library_score(sentence: str) -> float:
    """The score the library gives ``sentence`` on the fixture database: the CLI must print
    exactly this (the value itself is the model's, pinned by the quality tests)."""
    db = Database(tuple(parse_claim(c, "fixture") for c in FIXTURE))
    return Matcher(Index.build(db)).find(sentence, limit=1)[0].score


ZORB_SCORE = _library_score(ZORB_SENTENCE)
QUUX_SCORE = _library_score(QUUX_SENTENCE)
ZORB_MATCH = (
    f"    {ZORB_SCORE:5.1f}  [same]  undisputed  Zorbian central bank: "
    "The Zorbian central bank raised interest rates to 14 percent in March. [zorb-rates]"
)
ZORB_EXACT_MATCH = ZORB_MATCH.replace(f"{ZORB_SCORE:5.1f}", f"{_library_score(ZORB):5.1f}", 1)
QUUX_MATCH = (
    f"    {QUUX_SCORE:5.1f}  [same]  DISPUTED  News report: "
    "The Quuxville suspension bridge collapsed during a storm in 1987. [quux-bridge]"
)
NO_MATCH = "Nothing here concerns any known claim at all.\n"


def summary_line(sentences: int, matched: int, disputed: int) -> str:
    return (
        f"{sentences} sentences checked, {matched} match known claims, "
        f"{disputed} of them disputed\n"
    )


@pytest.fixture
def db(make_db: Callable[..., Path]) -> str:
    return str(make_db(*FIXTURE))


def write(tmp_path: Path, name: str, data: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8", newline="")
    return str(path)


def no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert all(
        ln.startswith("factcheck: ") or "sentences checked" in ln for ln in stderr.splitlines()
    )


# --- reading: stdin, "-", files ---------------------------------------------------------


@pytest.mark.parametrize("args", [[], ["check", "-"]], ids=["no-subcommand", "check-dash"])
def test_piped_stdin_is_checked(db: str, args: list[str]) -> None:
    r = run(*args, "--db", db, input=ARTICLE)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        f"1: {ZORB_SENTENCE}",
        ZORB_MATCH,
        f"4: {QUUX_SENTENCE}",
        QUUX_MATCH,
    ]
    assert r.stderr == summary_line(4, 2, 1)


def test_piped_stdin_uses_factcheck_db_env(db: str) -> None:
    r = run(input=ARTICLE, env={"FACTCHECK_DB": db})
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[::2] == [f"1: {ZORB_SENTENCE}", f"4: {QUUX_SENTENCE}"]


def test_check_without_files_reads_stdin(db: str) -> None:
    r = run("check", "--db", db, input=ZORB + "\n")
    assert (r.returncode, r.stdout.splitlines()) == (0, [f"1: {ZORB}", ZORB_EXACT_MATCH])


def test_one_file_has_no_name_prefix(db: str, tmp_path: Path) -> None:
    path = write(tmp_path, "draft.md", ARTICLE)
    r = run("check", path, "--db", db)
    assert r.returncode == 0, r.stderr
    assert [ln for ln in r.stdout.splitlines() if not ln.startswith(" ")] == [
        f"1: {ZORB_SENTENCE}",
        f"4: {QUUX_SENTENCE}",
    ]


def test_several_files_are_named(db: str, tmp_path: Path) -> None:
    a = write(tmp_path, "draft.md", ARTICLE)
    b = write(tmp_path, "speech.txt", f"Good evening.\nThank you all.\n{MARS}\n")
    c = write(tmp_path, "nothing.txt", NO_MATCH)
    r = run("check", a, b, c, "--db", db)
    assert r.returncode == 0, r.stderr
    assert [ln for ln in r.stdout.splitlines() if not ln.startswith(" ")] == [
        f"{a}:1: {ZORB_SENTENCE}",
        f"{a}:4: {QUUX_SENTENCE}",
        f"{b}:3: {MARS}",
    ]
    assert r.stderr == summary_line(4 + 3 + 1, 3, 1)


def test_stdin_among_files_is_called_stdin(db: str, tmp_path: Path) -> None:
    a = write(tmp_path, "a.txt", f"{MARS}\n")
    r = run("check", a, "-", "--db", db, input=f"Hello.\n{ZORB}\n")
    assert r.returncode == 0, r.stderr
    assert [ln for ln in r.stdout.splitlines() if not ln.startswith(" ")] == [
        f"{a}:1: {MARS}",
        f"<stdin>:2: {ZORB}",
    ]


# --- options ------------------------------------------------------------------------------


def test_lines_option_checks_each_line_whole(db: str) -> None:
    text = f"{ZORB} {QUUX}\nSome words.\n\n{MARS}\n"
    r = run("check", "--lines", "--db", db, input=text)
    assert r.returncode == 0, r.stderr
    heads = [ln for ln in r.stdout.splitlines() if not ln.startswith(" ")]
    assert heads == [f"1: {ZORB} {QUUX}", f"4: {MARS}"]
    # Two claims in one line: the score estimates how likely each record is *the* answer,
    # so the second may fall below the threshold; what counts here is one result per line.
    assert r.stderr.startswith("3 sentences checked, 2 match known claims, ")
    split = run("check", "--db", db, input=text)
    assert [ln for ln in split.stdout.splitlines() if not ln.startswith(" ")] == [
        f"1: {ZORB}",
        f"1: {QUUX}",
        f"4: {MARS}",
    ]
    assert split.stderr == summary_line(4, 3, 1)


def test_all_option_shows_every_sentence(db: str) -> None:
    r = run("check", "--all", "--db", db, input=ARTICLE + "The storm was loud.\n")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [ln for ln in lines if not ln.startswith(" ")] == [
        "1: Markets were calm on Monday.",
        f"1: {ZORB_SENTENCE}",
        f"4: {QUUX_SENTENCE}",
        "4: A cat slept on the sofa.",
        "6: The storm was loud.",
    ]
    below = [ln for ln in lines if "below threshold" in ln]
    assert len(below) == 1
    assert below[0].startswith("    below threshold:  ")
    assert below[0].endswith("[quux-bridge]")
    assert r.stderr == summary_line(5, 2, 1)


def test_all_option_when_nothing_matches_exits_1(db: str) -> None:
    r = run("check", "--all", "--db", db, input="The storm was loud.\n")
    assert r.returncode == 1
    assert r.stdout.splitlines()[0] == "1: The storm was loud."
    assert r.stderr == summary_line(1, 0, 0)


def test_limit_and_threshold_zero(db: str) -> None:
    text = "Water, storms and rates.\n"
    default = run("check", "--db", db, input=text)
    assert (default.returncode, default.stdout) == (1, "")
    every = run("check", "--db", db, "--threshold", "0", "--limit", "2", input=text)
    assert every.returncode == 0
    lines = every.stdout.splitlines()
    assert lines[0] == "1: Water, storms and rates."
    assert [ln.rsplit(" ", 1)[-1] for ln in lines[1:]] == ["[mars-water]", "[quux-bridge]"]
    one = run("check", "--db", db, "-t", "0", "-n", "1", input=text)
    assert [ln.rsplit(" ", 1)[-1] for ln in one.stdout.splitlines()[1:]] == ["[mars-water]"]


JSON_RESULT_KEYS = ["file", "line", "sentence", "matched", "matches"]
JSON_MATCH_KEYS = ["score", "claim", "notes", "verdict"]
JSON_SUMMARY_KEYS = ["sentences", "matched", "disputed", "files", "errors"]


def test_json_shape(db: str, tmp_path: Path) -> None:
    a = write(tmp_path, "a.txt", ARTICLE)
    r = run("check", a, "--json", "--db", db)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert list(doc) == ["results", "count", "summary"]  # "count": added, as in every listing
    assert doc["count"] == len(doc["results"])
    assert [list(x) for x in doc["results"]] == [JSON_RESULT_KEYS, JSON_RESULT_KEYS]
    first, second = doc["results"]
    assert (first["file"], first["line"], first["sentence"], first["matched"]) == (
        a,
        1,
        ZORB_SENTENCE,
        True,
    )
    assert (second["file"], second["line"], second["matched"]) == (a, 4, True)
    assert [list(m) for m in first["matches"]] == [JSON_MATCH_KEYS]
    m = first["matches"][0]
    assert (m["score"], m["claim"]["id"], m["claim"]["status"], m["notes"]) == (
        ZORB_SCORE,
        "zorb-rates",
        "undisputed",
        [],
    )
    assert second["matches"][0]["claim"]["status"] == "disputed"
    assert list(doc["summary"]) == JSON_SUMMARY_KEYS
    assert doc["summary"] == {"sentences": 4, "matched": 2, "disputed": 1, "files": 1, "errors": []}
    assert r.stderr == summary_line(4, 2, 1)


def test_json_with_all_marks_unmatched(db: str) -> None:
    r = run("check", "--json", "--all", "--db", db, input="The storm was loud.\n")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    (result,) = doc["results"]
    assert (result["file"], result["line"], result["matched"]) == ("<stdin>", 1, False)
    assert [m["claim"]["id"] for m in result["matches"]] == ["quux-bridge"]
    assert result["matches"][0]["score"] < 50


def test_json_when_nothing_matches(db: str) -> None:
    r = run("check", "--json", "--db", db, input=NO_MATCH)
    assert r.returncode == 1
    assert json.loads(r.stdout) == {
        "results": [],
        "count": 0,
        "summary": {"sentences": 1, "matched": 0, "disputed": 0, "files": 1, "errors": []},
    }


def test_jsonl_one_object_per_line(db: str, tmp_path: Path) -> None:
    a = write(tmp_path, "a.txt", ARTICLE)
    b = write(tmp_path, "b.txt", f"{MARS}\n")
    r = run("check", a, b, "--jsonl", "--db", db)
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith("\n")
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [list(row) for row in rows] == [JSON_RESULT_KEYS] * 3
    assert [(row["file"], row["line"], row["matches"][0]["claim"]["id"]) for row in rows] == [
        (a, 1, "zorb-rates"),
        (a, 4, "quux-bridge"),
        (b, 1, "mars-water"),
    ]
    assert r.stderr == summary_line(5, 3, 1)


# --- exit codes and errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [(ARTICLE, 0), (NO_MATCH, 1), (f"{NO_MATCH}{MARS}\n", 0), ("", 1)],
)
def test_exit_codes(db: str, text: str, code: int) -> None:
    assert run("check", "-", "--db", db, input=text).returncode == code


def test_missing_file_with_good_file(db: str, tmp_path: Path) -> None:
    good = write(tmp_path, "good.txt", f"{ZORB}\n")
    missing = str(tmp_path / "missing.txt")
    r = run("check", missing, good, "--db", db)
    assert r.returncode == 2
    assert r.stdout.splitlines() == [f"{good}:1: {ZORB}", ZORB_EXACT_MATCH]
    assert r.stderr.splitlines() == [
        f"factcheck: error: {missing}: no such file",
        summary_line(1, 1, 0).rstrip("\n"),
    ]


def test_missing_file_in_json_summary(db: str, tmp_path: Path) -> None:
    good = write(tmp_path, "good.txt", f"{ZORB}\n")
    missing = str(tmp_path / "missing.txt")
    r = run("check", good, missing, "--json", "--db", db)
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    assert doc["summary"] == {
        "sentences": 1,
        "matched": 1,
        "disputed": 0,
        "files": 1,
        "errors": [f"{missing}: no such file"],
    }
    assert [x["file"] for x in doc["results"]] == [good]


def test_only_missing_file(db: str, tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.txt")
    r = run("check", missing, "--db", db)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.splitlines()[0] == f"factcheck: error: {missing}: no such file"


def test_directory_is_an_error(db: str, tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    good = write(tmp_path, "good.txt", f"{MARS}\n")
    r = run("check", str(folder), good, "--db", db)
    assert r.returncode == 2
    assert r.stderr.splitlines()[0] == f"factcheck: error: {folder}: is a directory"
    assert r.stdout.splitlines()[0] == f"{good}:1: {MARS}"
    no_traceback(r.stderr)


def test_missing_database_is_one_error_line(tmp_path: Path) -> None:
    r = run("check", "--db", str(tmp_path / "none.json"), input=f"{ZORB}\n")
    assert r.returncode == 2
    assert len(r.stderr.splitlines()) == 1
    assert r.stderr.startswith("factcheck: error: database not found")


# --- awkward input ------------------------------------------------------------------------


def test_empty_file_warns(db: str, tmp_path: Path) -> None:
    empty = write(tmp_path, "empty.txt", "")
    r = run("check", empty, "--db", db)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr.splitlines() == [
        f"factcheck: {empty}: empty input, nothing to check",
        summary_line(0, 0, 0).rstrip("\n"),
    ]


def test_empty_stdin_warns(db: str) -> None:
    r = run("--db", db, input="")
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr.splitlines()[0] == "factcheck: <stdin>: empty input, nothing to check"


def test_binary_file_is_skipped(db: str, tmp_path: Path) -> None:
    binary = write(tmp_path, "image.bin", b"\x89PNG\r\n\x1a\n\x00\x00" + ZORB.encode() + b"\n")
    good = write(tmp_path, "good.txt", f"{MARS}\n")
    r = run("check", binary, good, "--db", db)
    assert r.returncode == 0
    assert r.stderr.splitlines() == [
        f"factcheck: {binary}: binary file, skipped",
        summary_line(1, 1, 0).rstrip("\n"),
    ]
    assert [ln for ln in r.stdout.splitlines() if not ln.startswith(" ")] == [f"{good}:1: {MARS}"]


def test_binary_stdin_is_skipped(db: str) -> None:
    r = run("check", "--db", db, input=b"\x00\x01" + ZORB.encode(), text=False)
    assert (r.returncode, r.stdout) == (1, b"")
    assert r.stderr.decode().splitlines()[0] == "factcheck: <stdin>: binary file, skipped"


def test_nul_after_first_8_kib_is_text(db: str, tmp_path: Path) -> None:
    data = ("Filler text goes here.\n" * 400).encode() + b"\x00\n\n" + ZORB.encode() + b"\n"
    assert data.index(b"\x00") > 8192
    path = write(tmp_path, "late-nul.txt", data)
    r = run("check", path, "--db", db)
    assert r.returncode == 0
    assert "binary" not in r.stderr
    assert r.stdout.splitlines()[0] == f"403: {ZORB}"
    assert r.stderr == summary_line(401, 1, 0)


def test_non_utf8_file_is_read_as_cp1252(db: str, tmp_path: Path) -> None:
    data = "Caf\xe9 talk.\n".encode("latin-1") + ZORB.encode("latin-1") + b"\n"
    path = write(tmp_path, "latin1.txt", data)
    r = run("check", path, "--db", db)
    assert r.returncode == 0
    assert r.stderr.splitlines() == [
        f"factcheck: {path}: not valid UTF-8 (first bad byte at offset 3); read as cp1252",
        summary_line(2, 1, 0).rstrip("\n"),
    ]
    assert r.stdout.splitlines()[0] == f"2: {ZORB}"


def test_non_utf8_stdin_keeps_the_text(db: str) -> None:
    data = b"Smart quotes \x93here\x94 and caf\xe9.\n" + ZORB.encode() + b"\n"
    r = run("check", "--all", "--db", db, input=data, text=False)
    assert r.returncode == 0
    out = r.stdout.decode("utf-8")
    assert out.splitlines()[0] == "1: Smart quotes \u201chere\u201d and caf\u00e9."
    err = r.stderr.decode()
    assert err.splitlines()[0] == (
        "factcheck: <stdin>: not valid UTF-8 (first bad byte at offset 13); read as cp1252"
    )


def test_non_utf8_offset_counts_the_bom(db: str, tmp_path: Path) -> None:
    path = write(tmp_path, "bom.txt", b"\xef\xbb\xbfCaf\xe9.\n")
    r = run("check", path, "--db", db)
    assert r.stderr.splitlines()[0] == (
        f"factcheck: {path}: not valid UTF-8 (first bad byte at offset 6); read as cp1252"
    )


def test_utf8_bom_is_not_part_of_the_sentence(db: str, tmp_path: Path) -> None:
    path = write(tmp_path, "bom.txt", b"\xef\xbb\xbf" + ZORB.encode() + b"\r\n")
    r = run("check", path, "--db", db)
    assert (r.returncode, r.stdout.splitlines()[0]) == (0, f"1: {ZORB}")
    assert "UTF-8" not in r.stderr


def test_windows_line_endings_keep_line_numbers(db: str, tmp_path: Path) -> None:
    path = write(tmp_path, "win.txt", ARTICLE.replace("\n", "\r\n") + f"\r\n{MARS}\r\n")
    r = run("check", path, "--db", db)
    assert r.returncode == 0
    assert [ln for ln in r.stdout.splitlines() if not ln.startswith(" ")] == [
        f"1: {ZORB_SENTENCE}",
        f"4: {QUUX_SENTENCE}",
        f"7: {MARS}",
    ]
    assert "\r" not in r.stdout


def test_windows_line_endings_with_lines_option(db: str, tmp_path: Path) -> None:
    path = write(tmp_path, "win.txt", f"one\r\n\r\n{MARS}\r\n{ZORB}\r\n")
    r = run("check", "--lines", "--jsonl", path, "--db", db)
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(row["line"], row["sentence"]) for row in rows] == [(3, MARS), (4, ZORB)]


def test_markup_and_escapes_print_as_text(db: str) -> None:
    sentence = f"Officials said [bold]x[/bold] and \x1b[31mred: {ZORB}"
    for color in ("never", "always"):
        r = run("--color", color, "check", "--db", db, input=sentence.encode() + b"\n", text=False)
        assert r.returncode == 0
        assert b"\x1b" not in r.stdout
        first = r.stdout.decode().splitlines()[0]
        assert first == (
            "1: Officials said [bold]x[/bold] and \\x1b[31mred: The Zorbian central bank "
            "raised interest rates to 14 percent in March."
        )


def test_escape_in_json_is_escaped_not_raw(db: str) -> None:
    r = run("check", "--jsonl", "--db", db, input=f"\x1b[2J{ZORB}\n".encode(), text=False)
    assert b"\x1b" not in r.stdout
    assert json.loads(r.stdout)["sentence"] == f"\x1b[2J{ZORB}"


# --- terminals and pipes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        ([], 'usage: factcheck "claim text" | factcheck check FILE...'),
        (["check"], "usage: factcheck check FILE..."),
        (["check", "-"], "usage: factcheck check FILE..."),
    ],
)
def test_tty_stdin_prints_usage(db: str, args: list[str], usage: str) -> None:
    # In process with a terminal as stdin; that a real one is seen as such is
    # test_cli_search.test_bare_call_on_a_terminal_prints_usage_and_exits_2.
    r = run("--db", db, *args, tty=True)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.startswith(usage)
    assert len(r.stderr.splitlines()) == 1


@pytest.fixture(scope="module")
def big_text(tmp_path_factory: pytest.TempPathFactory) -> Path:
    seed_dir = Path(__file__).resolve().parents[2] / "shared" / "seed"
    seeds = sorted(seed_dir.glob("*.txt")) if seed_dir.is_dir() else []
    if seeds:
        text = "\n\n".join(p.read_text(encoding="utf-8") for p in seeds)
    else:  # the claims themselves make a text where every sentence matches
        text = " ".join(c["text"] for c in json.loads(BUNDLED.read_text())["claims"])
    path = tmp_path_factory.mktemp("big") / "big.txt"
    path.write_text((text + "\n\n") * 200, encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", [[], ["--jsonl"], ["--json"], ["--all"]])
def test_closed_pipe_is_quiet(big_text: Path, fmt: list[str]) -> None:
    # Real processes and a real pipe: `| head` closing it (SIGPIPE, EPIPE) is the point.
    cmd = " ".join(
        [shlex.quote(sys.executable), "-m", "factcheck", "check", shlex.quote(str(big_text)), *fmt]
    )
    script = f"set -o pipefail; {cmd} 2>err.txt | head -1 >out.txt"
    cwd = big_text.parent
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, cwd=cwd)
    err = (cwd / "err.txt").read_text()
    assert r.returncode == 0, err
    assert err == ""
    out = (cwd / "out.txt").read_text()
    assert out.startswith("1: " if not fmt or fmt == ["--all"] else "{")


def test_closed_pipe_piped_stdin(big_text: Path) -> None:
    # Real processes and a real pipe, as above.
    cmd = f"{shlex.quote(sys.executable)} -m factcheck < {shlex.quote(str(big_text))}"
    r = subprocess.run(
        ["bash", "-c", f"{cmd} | head -1 >/dev/null; echo ${{PIPESTATUS[0]}}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.stdout == "0\n"
    assert "Traceback" not in r.stderr
    assert r.stderr == ""


def test_runs_from_any_directory(db: str, tmp_path: Path) -> None:
    # The module must not depend on the repository being the working directory: a real
    # process started elsewhere (start-up and imports are what is tested).
    r = subprocess.run(
        [sys.executable, "-m", "factcheck", "check", "--db", db, "-"],
        input=f"{MARS}\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert (r.returncode, r.stdout.splitlines()[0]) == (0, f"1: {MARS}")


def test_jsonl_streams_from_a_slow_pipe(db: str) -> None:
    # A real process on a pipe left open: output before EOF needs a writer that waits.
    p = subprocess.Popen(
        [sys.executable, "-m", "factcheck", "check", "--jsonl", "--db", db, "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert p.stdin is not None and p.stdout is not None
    try:
        p.stdin.write(f"{ZORB}\nThe next sentence starts here.\n".encode())
        p.stdin.flush()
        # stdin stays open: output before EOF is the point, not how fast it comes.
        ready, _, _ = select.select([p.stdout], [], [], 30.0)
        first = p.stdout.readline() if ready else b""
    finally:
        p.stdin.close()
        p.wait(timeout=30)
        p.stdout.close()
    assert json.loads(first)["sentence"] == ZORB


@pytest.mark.parametrize("opts", [["--json"], ["--jsonl"], ["-t", "40"], ["--all", "-n", "1"]])
def test_piped_text_with_options_only_is_checked(db: str, opts: list[str]) -> None:
    r = run("--db", db, *opts, input=f"{ZORB}\n")
    assert r.returncode == 0, r.stderr
    assert "sentences checked" in r.stderr
    assert "zorb" in r.stdout.lower()


def test_options_with_claim_text_still_search(db: str) -> None:
    r = run("--db", db, "--json", "-n", "2", "anything at all", input="ignored\n")
    assert r.returncode in (0, 1)
    assert list(json.loads(r.stdout)) == ["query", "matches"]


def test_file_names_in_messages_are_sanitized(tmp_path: Path) -> None:
    r = run("check", str(tmp_path / "no\x1b[1mfile"))
    assert r.returncode == 2
    assert "\x1b" not in r.stderr
    assert "no\\x1b[1mfile: no such file" in r.stderr
