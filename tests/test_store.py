from __future__ import annotations

import errno
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factcheck.errors import DatabaseError, WriteError
from factcheck.model import Claim, Database, Status
from factcheck.store import bundled_database, load_database, locate_database, write_database

from .conftest import claim


def test_bundled_database_loads() -> None:
    db = load_database(bundled_database())
    assert len(db.claims) >= 35
    assert db.version == 1


def test_locate_order(tmp_path: Path) -> None:
    env = {"FACTCHECK_DB": str(tmp_path / "env.json")}
    assert locate_database("x.json", env) == Path("x.json")
    assert locate_database(None, env) == tmp_path / "env.json"
    assert locate_database(None, {}) == bundled_database()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError) as e:
        load_database(tmp_path / "nope.json")
    assert "database not found" in str(e.value)
    assert "nope.json" in str(e.value)


def test_broken_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"claims": [\n  {"id": "a",\n}', encoding="utf-8")
    with pytest.raises(DatabaseError) as e:
        load_database(path)
    assert f"{path}:3:1" in str(e.value)


@pytest.mark.parametrize(
    ("record", "where"),
    [
        ({"id": "a", "speaker": "S"}, "claims[1] 'a'.text"),
        ({"id": "a", "text": "", "speaker": "S"}, "claims[1] 'a'.text"),
        ({"id": "a", "text": "t", "speaker": 5}, "claims[1] 'a'.speaker"),
        ({"id": "a", "text": "t", "speaker": "S", "date": "March 2023"}, "claims[1] 'a'.date"),
        ({"id": "a", "text": "t", "speaker": "S", "status": "maybe"}, "claims[1] 'a'.status"),
        ({"id": "a", "text": "t", "speaker": "S", "colour": "red"}, "claims[1] 'a'.colour"),
        ({"id": "a", "text": "t", "speaker": "S", "tags": "x"}, "claims[1] 'a'.tags"),
        ({"id": "a", "text": "t", "speaker": "S", "disputed_by": [{"text": "x"}]},
         "claims[1] 'a'.disputed_by[0].speaker"),
        ({"text": "t", "speaker": "S"}, "claims[1].id"),
        ("not an object", "claims[1]"),
    ],
)  # fmt: skip
def test_bad_record_names_index_id_and_field(
    make_db: Callable[..., Path], record: object, where: str
) -> None:
    path = make_db(claim("ok", "fine"), record)
    with pytest.raises(DatabaseError) as e:
        load_database(path)
    assert f"{path}:{where}" in str(e.value)


def test_duplicate_ids(make_db: Callable[..., Path]) -> None:
    path = make_db(claim("a", "one"), claim("a", "two"))
    with pytest.raises(DatabaseError, match="duplicate id"):
        load_database(path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(
        '{"claims": [{"id": "a", "text": "caf\xe9", "speaker": "s"}]}'.encode("latin-1")
    )
    with pytest.raises(DatabaseError, match="not UTF-8"):
        load_database(path)


def test_write_is_atomic_and_round_trips(tmp_path: Path) -> None:
    db = load_database(bundled_database())
    target = tmp_path / "out.json"
    write_database(db, target)
    assert load_database(target).to_dict() == db.to_dict()
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temp file left


def test_failed_write_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "db.json"
    target.write_text('{"claims": []}', encoding="utf-8")

    def boom(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(WriteError, match="no space left on device") as e:
        write_database(load_database(bundled_database()), target)
    assert e.value.where == str(target)
    assert target.read_text(encoding="utf-8") == '{"claims": []}'
    assert [p.name for p in tmp_path.iterdir()] == ["db.json"]


texts = st.text(min_size=1).filter(lambda s: s.strip())


@settings(max_examples=50)
@given(st.lists(st.tuples(texts, texts), max_size=5))
def test_load_write_round_trip(pairs: list[tuple[str, str]]) -> None:
    import tempfile

    claims = tuple(
        Claim(id=f"c{i}", text=t, speaker=s, status=Status.UNDISPUTED)
        for i, (t, s) in enumerate(pairs)
    )
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "db.json"
        write_database(Database(claims), path)
        assert load_database(path).claims == claims
        assert json.loads(path.read_text(encoding="utf-8"))["version"] == 1


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_the_write_lock_is_released_even_if_a_forked_child_lives_on(tmp_path: Path) -> None:
    """A big import forks worker processes while it holds the lock; they share its open lock
    file, so leaving the lock must release it, not just close the writer's copy."""
    import fcntl
    import os
    import signal

    from factcheck.store.files import locked

    db = tmp_path / "db.sqlite"
    with locked(db):
        child = os.fork()
        if child == 0:  # a worker that outlives the write a little
            signal.pause()
            os._exit(0)
    try:
        fd = os.open(f"{db}.lock", os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError if still held
        finally:
            os.close(fd)
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
