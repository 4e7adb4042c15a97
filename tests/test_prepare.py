"""A big JSON Lines import into the SQLite store, read by worker processes
(``factcheck.prepare``), must give exactly what reading it in one process gives: the same
records in the same order, the same errors at the same locations, the same database.

The thresholds are lowered so a few dozen records cross several batches and workers.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import factcheck.prepare as prepare
from factcheck.errors import InputError
from factcheck.importer import file_input, import_files, read_input, read_prepared

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prepare, "PARALLEL_AFTER", 3)
    monkeypatch.setattr(prepare, "BATCH", 2)


def record(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"r-{n}",
        "text": f"Millbrook spent {n} million dollars on roads in 2023.",
        "speaker": "Dana Whitfield" if n % 2 else "Oscar Pemberton",
        "status": "disputed" if n % 3 else "undisputed",
        "date": f"2023-{n % 12 + 1:02d}",
        "tags": [f"t{n % 4}"],
        "sources": [{"kind": "web", "url": f"https://example.org/{n}", "name": f"Title {n}"}],
        **fields,
    }


def mixed_lines() -> list[str]:
    """Good records, repeats (same id; same text and speaker under another id), blank
    lines, a bad record, a line that is no JSON and a database-file line."""
    lines = [json.dumps(record(n)) for n in range(30)]
    lines[7] = json.dumps(record(3))  # the same record again: unchanged
    lines[9] = json.dumps(record(4, id="r-4-again", tags=["more"]))  # same text, speaker: merged
    lines[12] = ""
    lines[15] = json.dumps(record(15, date="2023-13-45"))  # a bad date
    lines[18] = '{"id": "r-18", "text": '  # cut short
    lines[21] = json.dumps({"version": 1, "claims": [record(100), record(101)]})
    return lines


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def outline(records: list[Any]) -> list[tuple[str, str | None, str | None]]:
    return [(r.location, None if r.claim is None else r.claim.id, r.error) for r in records]


@pytest.mark.parametrize("workers", [1, 2])
def test_prepared_records_are_the_reader_s_in_order(tmp_path: Path, workers: int) -> None:
    path = write(tmp_path / "in.jsonl", mixed_lines())
    serial = list(read_input(file_input(str(path))))
    parallel = list(read_prepared(file_input(str(path)), workers=workers))
    assert outline(parallel) == outline(serial)
    assert len(serial) == 30  # 29 lines with a value, one of them a file of two records
    for s, p in zip(serial, parallel, strict=True):
        if s.claim is not None:
            assert p.claim is not None and p.claim.claim == s.claim


def test_a_read_failure_comes_after_the_records_before_it(tmp_path: Path) -> None:
    """A gzip file cut short: every record read before the cut, then one error record, as
    the reader gives them."""
    whole = gzip.compress(("\n".join(mixed_lines()) + "\n").encode() * 40)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) * 3 // 4])
    serial = outline(list(read_input(file_input(str(path)))))
    parallel = outline(list(read_prepared(file_input(str(path)), workers=2)))
    assert parallel == serial
    assert serial[-1][2] is not None and "gzip" in serial[-1][2]


def rows(db: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        docs = conn.execute("SELECT * FROM docs ORDER BY rowid").fetchall()
        tags = conn.execute("SELECT * FROM tags ORDER BY rowid, tag").fetchall()
        df = conn.execute("SELECT * FROM df ORDER BY term").fetchall()
        fts = conn.execute(
            "SELECT rowid FROM fts WHERE fts MATCH 'millbrook' ORDER BY rowid"
        ).fetchall()
    return [*docs, *tags, *df, *fts]


@pytest.mark.parametrize("existing", [False, True])
def test_the_database_is_the_same_with_workers_or_without(tmp_path: Path, existing: bool) -> None:
    path = write(tmp_path / "in.jsonl", mixed_lines())
    reports = []
    for jobs in (0, 2):
        db = tmp_path / f"jobs{jobs}.sqlite"
        if existing:  # lookups then go to the tables, not only to what this import added
            import_files(db, [str(FIXTURES / "claims.jsonl")], skip_bad=True)
        report = import_files(db, [str(path)], skip_bad=True, jobs=jobs)
        reports.append({k: v for k, v in report.items() if k != "database"})
    assert reports[0] == reports[1]
    assert reports[0]["merged"] == 1 and reports[0]["unchanged"] == 1
    assert [s["location"] for s in reports[0]["skipped"]] == [
        f"{path}:16 'r-15'.date",
        f"{path}:19",
    ]
    assert rows(tmp_path / "jobs0.sqlite") == rows(tmp_path / "jobs2.sqlite")


def test_a_bad_record_in_a_late_batch_stops_the_import_and_writes_nothing(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "in.jsonl", mixed_lines())
    db = tmp_path / "db.sqlite"
    with pytest.raises(InputError) as e:
        import_files(db, [str(path)], jobs=2)
    assert e.value.where == f"{path}:16 'r-15'.date"
    assert not db.exists()


def test_a_small_input_starts_no_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no(workers: int) -> None:
        raise AssertionError("a worker pool was started")

    monkeypatch.setattr(prepare, "PARALLEL_AFTER", 100)
    monkeypatch.setattr(prepare, "_start", no)
    path = write(tmp_path / "in.jsonl", mixed_lines())
    report = import_files(tmp_path / "db.sqlite", [str(path)], skip_bad=True, jobs=2)
    assert report["added"] == 26


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc (Linux)")
def test_workers_end_when_the_import_is_killed(tmp_path: Path) -> None:
    """kill -9 of the main process: its workers notice and end (a forked worker waiting for
    work would otherwise wait for ever), and a first import leaves no database."""
    import os
    import signal
    import subprocess
    import sys
    import time

    big = tmp_path / "big.jsonl"
    big.write_text("".join(json.dumps(record(n)) + "\n" for n in range(120_000)), "utf-8")
    db = tmp_path / "db.sqlite"
    cmd = [sys.executable, "-m", "factcheck", "import", str(big), "--db", str(db), "--jobs", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def children() -> list[int]:
        try:
            text = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    deadline = time.monotonic() + 60
    while len(workers := children()) < 2 and proc.poll() is None:
        assert time.monotonic() < deadline, "no workers started"
        time.sleep(0.05)
    assert proc.poll() is None, "the import ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{w}").exists() for w in workers):
        assert time.monotonic() < deadline, "a worker outlived its killed parent"
        time.sleep(0.1)
    assert not db.exists()


def test_a_report_without_ids_keeps_the_counts(tmp_path: Path) -> None:
    """`import` without --json asks for no ids (a million of them are 70 MB)."""
    path = write(tmp_path / "in.jsonl", mixed_lines())
    full = import_files(tmp_path / "a.sqlite", [str(path)], skip_bad=True, jobs=2)
    counted = import_files(tmp_path / "b.sqlite", [str(path)], skip_bad=True, jobs=2, ids=False)
    assert {k: v for k, v in counted.items() if k not in ("database", "ids")} == {
        k: v for k, v in full.items() if k not in ("database", "ids")
    }
    assert len(full["ids"]["added"]) == full["added"] == 26
    assert counted["ids"] == {"added": [], "merged": [], "changed": [], "updated": []}


def test_the_default_is_one_worker_per_cpu_up_to_four(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for cpus, workers in ((1, 1), (2, 2), (32, 4)):
        monkeypatch.setattr(
            os, "sched_getaffinity", lambda _pid, n=cpus: set(range(n)), raising=False
        )
        assert prepare.default_workers() == workers
