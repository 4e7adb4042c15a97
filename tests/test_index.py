"""The FTS5 index: cache files, streaming builds, fingerprints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factcheck.errors import DatabaseError
from factcheck.index import Index
from factcheck.match import Matcher
from factcheck.model import Claim, Database, Status
from factcheck.store import (
    bundled_database,
    load_database,
    open_index,
    stream_database,
    write_database,
)
from factcheck.store.cache import cache_file


def _db(n: int) -> Database:
    claims = tuple(
        Claim(
            f"c{i}",
            f"The council spent {i * 1000} dollars on road {i}",
            f"Speaker {i % 7}",
            Status.UNDISPUTED,
        )
        for i in range(n)
    )
    return Database(claims, load_database(bundled_database()).speakers[:2])


def test_stream_reads_what_write_wrote(tmp_path: Path) -> None:
    db = _db(25)
    path = tmp_path / "db.json"
    write_database(db, path)
    stream = stream_database(path)
    assert stream is not None
    assert stream.speakers == db.speakers
    assert tuple(stream.claims) == db.claims
    assert stream.position == stream.size


def test_pretty_printed_files_are_not_streamed(tmp_path: Path) -> None:
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps(_db(3).to_dict(), indent=2), encoding="utf-8")
    assert stream_database(path) is None
    assert stream_database(bundled_database()) is None  # hand-edited layout


def test_streamed_records_are_validated(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    write_database(_db(3), path)
    text = path.read_text(encoding="utf-8").replace('"id": "c2"', '"id": "c0"')
    path.write_text(text, encoding="utf-8")
    stream = stream_database(path)
    assert stream is not None
    with pytest.raises(DatabaseError, match="duplicate id"):
        list(stream.claims)


def test_cached_index_matches_in_memory_index(tmp_path: Path) -> None:
    db = _db(300)
    path = tmp_path / "db.json"
    write_database(db, path)
    seen: list[tuple[int, int]] = []
    cached = open_index(path, tmp_path / "cache", progress=lambda d, t: seen.append((d, t)))
    assert cache_file(path, tmp_path / "cache").exists()
    assert seen[-1][0] == seen[-1][1]  # told when done
    memory = Index.build(db)
    q = "council spent 5000 dollars on road 5"
    assert [m.claim for m in Matcher(cached).find(q)] == [m.claim for m in Matcher(memory).find(q)]
    assert list(cached.iter_claims()) == list(db.claims)


def test_cache_is_rebuilt_when_the_database_changes(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    write_database(_db(5), path)
    assert open_index(path, tmp_path / "c").size == 5
    write_database(_db(8), path)
    assert open_index(path, tmp_path / "c").size == 8


def test_unwritable_cache_still_answers(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    write_database(_db(4), path)
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    assert open_index(path, blocker / "cache").size == 4  # cache dir cannot be made
