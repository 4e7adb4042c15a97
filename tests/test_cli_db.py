"""import, export, validate and add, in process (conftest.run): writes, locks, atomicity; real
processes for concurrent writers and a kill."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import import_killed, run

FIXTURES = Path(__file__).parent / "fixtures"
FEED = str(FIXTURES / "claimreview_feed.json")


def ids(db: Path) -> list[str]:
    return [c["id"] for c in json.loads(db.read_text(encoding="utf-8"))["claims"]]


def test_import_creates_database_and_reports(tmp_path: Path) -> None:
    db = tmp_path / "new.json"
    r = run("import", FEED, "--db", str(db), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert (report["read"], report["added"], report["written"]) == (3, 3, True)
    assert report["claims"] == len(ids(db)) == 3
    assert r.stderr.startswith("3 records read from 1 file(s): 3 added, 0 merged")
    # Importing the same file again changes nothing and writes nothing.
    again = json.loads(run("import", FEED, "--db", str(db), "--json").stdout)
    assert (again["unchanged"], again["added"], again["written"]) == (3, 0, False)


def test_formats_are_detected(tmp_path: Path) -> None:
    db = tmp_path / "db.json"
    files = ["claimreview_single.json", "claimreview_list.json", "claimreview_graph.json",
             "claimreview_lines.jsonl", "claimreview_page.html.gz", "claims.jsonl",
             "liar_sample.tsv"]  # fmt: skip
    # The fixtures hold deliberately bad records too (missing text, an unknown field).
    r = run("import", *[str(FIXTURES / f) for f in files], "--db", str(db), "--json", "--skip-bad")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["read"] == report["added"] + report["merged"] + report["unchanged"]
    assert report["claims"] >= 10
    assert run("validate", "--db", str(db)).returncode in (0, 1)


def test_csv_with_column_map(tmp_path: Path) -> None:
    db = tmp_path / "db.json"
    r = run("import", str(FIXTURES / "custom.csv"), "--db", str(db), "--json",
            "--map", "text=statement,speaker=who,date=when,verdict=rating,url=link",
            "--map", "publisher=checker,tags=topics", "--skip-bad")  # fmt: skip
    assert r.returncode == 0, r.stderr
    claims = json.loads(db.read_text(encoding="utf-8"))["claims"]
    first = claims[0]
    assert first["speaker"] == "Dana Whitfield"
    assert first["verdict"] == "Half True"
    assert first["status"] == "disputed"
    assert first["sources"][0]["url"] == "https://factdesk.example.org/checks/2024/parks-roads"


def test_bad_record_aborts_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "db.json"
    run("import", FEED, "--db", str(db))
    before = db.read_bytes()
    bad = tmp_path / "bad.jsonl"
    good = json.dumps({"id": "ok-1", "text": "A fine claim", "speaker": "S"})
    worse = json.dumps({"id": "x", "text": "t", "speaker": "S", "colour": "red"})
    bad.write_text(f"{good}\n{worse}\n", encoding="utf-8")
    r = run("import", str(bad), "--db", str(db))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert f"{bad}:2 'x'.colour" in r.stderr
    assert "nothing was written" in r.stderr
    assert db.read_bytes() == before
    r = run("import", str(bad), "--db", str(db), "--skip-bad", "--json")
    assert r.returncode == 0
    report = json.loads(r.stdout)
    assert (report["added"], len(report["skipped"])) == (1, 1)
    assert report["skipped"][0]["location"] == f"{bad}:2 'x'.colour"
    assert "factcheck: skipped" in r.stderr


def test_duplicate_ids_with_other_text_in_input(tmp_path: Path) -> None:
    src = tmp_path / "dup.jsonl"
    lines = [json.dumps({"id": "same", "text": t, "speaker": "S"}) for t in ("One", "Two")]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run("import", str(src), "--db", str(tmp_path / "db.json"))
    assert r.returncode == 2
    assert "duplicate id 'same' with another text" in r.stderr
    assert not (tmp_path / "db.json").exists()


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "db.json"
    r = run("import", FEED, "--db", str(db), "--dry-run", "--json")
    assert json.loads(r.stdout)["added"] == 3
    assert not db.exists()


def test_truncated_gzip_is_a_clear_error(tmp_path: Path) -> None:
    data = (FIXTURES / "claimreview_page.html.gz").read_bytes()
    cut = tmp_path / "cut.html.gz"
    cut.write_bytes(data[: len(data) // 2])
    r = run("import", str(cut), "--db", str(tmp_path / "db.json"))
    assert r.returncode == 2
    assert "gzip" in r.stderr
    assert "Traceback" not in r.stderr


def test_import_needs_an_explicit_database() -> None:
    r = run("import", FEED)
    assert r.returncode == 2
    assert "give --db PATH" in r.stderr


def test_backup_and_file_mode_are_kept(tmp_path: Path) -> None:
    db = tmp_path / "db.json"
    run("import", str(FIXTURES / "claims.jsonl"), "--db", str(db), "--skip-bad")
    os.chmod(db, 0o640)
    first = db.read_bytes()
    run("import", FEED, "--db", str(db))
    assert (tmp_path / "db.json.bak").read_bytes() == first
    assert oct(db.stat().st_mode & 0o777) == "0o640"


def _big_jsonl(path: Path, n: int, prefix: str) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            record = {"id": f"{prefix}-{i}", "text": f"Claim {prefix} {i} about {i * 7}",
                      "speaker": f"Speaker {i % 50}"}  # fmt: skip
            f.write(json.dumps(record) + "\n")


def test_two_imports_at_once_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "db.json"
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    _big_jsonl(a, 3000, "a")
    _big_jsonl(b, 3000, "b")
    # Two real processes: the lock must hold between processes writing at the same time.
    cmd = [sys.executable, "-m", "factcheck", "import", "--db", str(db)]
    procs = [subprocess.Popen([*cmd, str(p)], stderr=subprocess.PIPE, text=True) for p in (a, b)]
    for p in procs:
        assert p.wait(timeout=120) == 0
    assert len(set(ids(db))) == 6000


def test_kill_during_import_leaves_old_database_intact(tmp_path: Path) -> None:
    db = tmp_path / "db.json"
    run("import", FEED, "--db", str(db))
    before = db.read_bytes()
    big = tmp_path / "big.jsonl"
    _big_jsonl(big, 60000, "k")
    import_killed(big, db, after=1.5)
    after = db.read_bytes()
    # Either the import had not finished (old file) or it had (a complete new file).
    if after != before:
        assert len(ids(db)) == 60003
    assert run("validate", "--db", str(db)).returncode == 0


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_export_then_import_gives_the_same_claims(tmp_path: Path, fmt: str) -> None:
    db = tmp_path / "db.json"
    run("import", FEED, str(FIXTURES / "claims.jsonl"), "--db", str(db), "--skip-bad")
    out = tmp_path / f"export.{fmt}"
    r = run("export", "--db", str(db), "--format", fmt, "-o", str(out))
    assert r.returncode == 0
    copy = tmp_path / "copy.json"
    r = run("import", str(out), "--db", str(copy), "--format", "jsonl")
    assert r.returncode == 0, r.stderr
    original = json.loads(db.read_text(encoding="utf-8"))["claims"]
    assert json.loads(copy.read_text(encoding="utf-8"))["claims"] == original


@pytest.mark.parametrize("fmt", ["csv", "claimreview"])
def test_flat_exports_keep_text_speaker_and_verdict(tmp_path: Path, fmt: str) -> None:
    db = tmp_path / "db.json"
    run("import", FEED, "--db", str(db))
    out = tmp_path / f"export.{fmt}"
    assert run("export", "--db", str(db), "--format", fmt, "-o", str(out)).returncode == 0
    copy = tmp_path / "copy.json"
    assert run("import", str(out), "--db", str(copy), "--format", fmt).returncode == 0
    key = ("text", "speaker", "verdict", "status", "date")
    strip = lambda path: sorted(  # noqa: E731
        tuple(c[k] for k in key) for c in json.loads(path.read_text(encoding="utf-8"))["claims"]
    )
    assert strip(copy) == strip(db)


def test_export_to_stdout_streams(tmp_path: Path) -> None:
    r = run("export", "--format", "jsonl")
    assert r.returncode == 0
    assert len(r.stdout.splitlines()) == 40
    assert r.stderr == "40 claims exported\n"


def test_validate_reports_every_problem(tmp_path: Path) -> None:
    db = tmp_path / "db.json"
    doc = {
        "version": 1,
        "speakers": [{"name": "A"}],
        "claims": [
            {"id": "a", "text": "ok", "speaker": "A", "related": [{"id": "nope"}]},
            {"id": "a", "text": "dup", "speaker": "A"},
            {"id": "b", "text": "", "speaker": "A"},
            {"id": "c", "text": "t", "speaker": "A", "date": "2023-13"},
            {"id": "d", "text": "t", "speaker": "B",
             "sources": [{"kind": "web", "url": "ftp://x"}],
             "disputed_by": [{"speaker": "A", "text": "no", "claim": "zz"}]},
        ],
    }  # fmt: skip
    db.write_text(json.dumps(doc), encoding="utf-8")
    r = run("validate", "--db", str(db))
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        f"{db}:claims[1] 'a'.id: duplicate id (first at claims[0])",
        f"{db}:claims[2] 'b'.text: must not be empty",
        f"{db}:claims[3] 'c'.date: bad date '2023-13', expected YYYY, YYYY-MM or YYYY-MM-DD",
        f"{db}:claims[0] 'a'.related[0].id: no claim with id 'nope'",
        f"{db}:claims[4] 'd'.disputed_by[0].claim: no claim with id 'zz'",
        f"{db}:claims[4] 'd'.sources[0].url: not an http(s) URL: 'ftp://x'",
        f"{db}:claims[4] 'd'.speaker: 'B' not in speakers",
    ]
    assert r.stderr == f"{db}: 7 problem(s)\n"


def test_validate_bundled_is_clean() -> None:
    r = run("validate")
    assert r.returncode == 0
    assert r.stdout == ""


def test_add(tmp_path: Path) -> None:
    db = tmp_path / "db.json"
    r = run("add", "The bridge reopens in May", "-s", "Mayor Ann Lee", "--date", "2026-03",
            "--source", "https://example.org/a", "--disputed-by", "Council:it reopens in June",
            "--db", str(db), "--json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["outcome"] == "added"
    claim = out["claim"]
    assert claim["id"] == "lee-bridge-reopens-may"
    assert claim["status"] == "disputed"
    assert claim["disputed_by"] == [{"speaker": "Council", "text": "it reopens in June",
                                     "claim": None}]  # fmt: skip
    again = run("add", "the bridge reopens in May", "-s", "Mayor Ann Lee", "--db", str(db))
    assert again.stdout == "lee-bridge-reopens-may\n"
    assert "merged into lee-bridge-reopens-may" in again.stderr
    assert ids(db) == ["lee-bridge-reopens-may"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "May"], "bad date 'May'"),
        (["--source", "example.org"], "not an http(s) URL"),
        (["--disputed-by", "nobody"], "expected SPEAKER:WHAT THEY SAY INSTEAD"),
    ],
)
def test_add_rejects_bad_values(tmp_path: Path, args: list[str], message: str) -> None:
    db = tmp_path / "db.json"
    r = run("add", "Some claim", "-s", "X", *args, "--db", str(db))
    assert r.returncode == 2
    assert message in r.stderr
    assert not db.exists()


def test_a_huge_line_is_a_clear_error_not_a_memory_blowup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import factcheck.formats
    from factcheck.errors import InputError
    from factcheck.importer import import_files

    monkeypatch.setattr(factcheck.formats, "MAX_LINE", 1000)  # stands for 256 MiB
    src = tmp_path / "huge.jsonl"
    good = json.dumps({"id": "a", "text": "A claim", "speaker": "S"})
    src.write_text(good + "\n" + "x" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        import_files(tmp_path / "db.json", [str(src)], fmt="jsonl")
    assert str(e.value).startswith("line longer than 1,000 characters: not claims data")
    assert f"({src}:2)" in str(e.value)
    assert not (tmp_path / "db.json").exists()


def test_import_reports_progress(tmp_path: Path) -> None:
    from factcheck.importer import import_files

    src = tmp_path / "c.jsonl"
    _big_jsonl(src, 25000, "p")
    seen: list[tuple[int, int | None]] = []
    import_files(tmp_path / "db.json", [str(src)], progress=lambda d, t: seen.append((d, t)))
    assert seen == [(10000, None), (20000, None), (25000, 25000)]
