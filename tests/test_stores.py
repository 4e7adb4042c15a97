"""Both stores through the same API: a JSON file and a SQLite file must behave alike.

Then what only the SQLite store has: refusing files that are not ours, its integrity check,
readers during a write, a crash mid-import, two writers at once, and an index format upgrade.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import factcheck
from factcheck.browse import Filters, SortKey
from factcheck.errors import DatabaseError, InputError
from factcheck.importer import add_claim, import_files
from factcheck.model import Claim, Status
from factcheck.safejson import dumps
from factcheck.store import kind_of, validate, writing
from factcheck.store.records import Encoded, encode_claim
from factcheck.store.sqlite import create
from tests.conftest import import_killed

FIXTURES = Path(__file__).parent / "fixtures"
CLAIMS = FIXTURES / "claims.jsonl"
FEED = FIXTURES / "claimreview_feed.json"


def good_claims(tmp_path: Path) -> Path:
    """The fixture without its deliberately bad records (an unknown field, a bad date, a line
    cut short)."""
    bad = ("millbrook-bad", "millbrook-date", "millbrook-trunc")
    lines = [
        ln
        for ln in CLAIMS.read_text(encoding="utf-8").splitlines()
        if ln.strip() and not any(f'"{b}"' in ln for b in bad)
    ]
    path = tmp_path / "good.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(params=["json", "sqlite"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / f"claims.{request.param}"
    import_files(path, [str(good_claims(tmp_path)), str(FEED)])
    return path


def session(path: Path, tmp_path: Path) -> factcheck.Session:
    return factcheck.open(path, environ={}, cache_dir=tmp_path / "cache")


def test_kind_is_chosen_by_the_path(db: Path) -> None:
    assert kind_of(db) == db.suffix.lstrip(".")


def test_search_list_show_stats_agree(db: Path, tmp_path: Path) -> None:
    with session(db, tmp_path) as fc:
        (top,) = fc.search("Millbrook filled 12,000 potholes", limit=1)
        assert top.claim.id == "millbrook-potholes"
        assert {c.id for c in fc.claims(Filters(status=Status.DISPUTED))} >= {"millbrook-potholes"}
        by_speaker = [c.id for c in fc.claims(Filters(speaker="dana whitfield"))]
        assert "millbrook-budget-2024" in by_speaker
        assert [c.id for c in fc.claims(Filters(tag="ROADS"))] == ["millbrook-potholes"]
        assert [c.id for c in fc.claims(Filters(since="2024", until="2024-01"))] == [
            "millbrook-budget-2024"
        ]
        assert [c.id for c in fc.claims(Filters(search="pothols"))] == ["millbrook-potholes"]
        dated = [c.date for c in fc.claims(sort=SortKey.date)]
        assert dated == sorted(d for d in dated if d) + [None] * dated.count(None)
        assert fc.show("millbrook-potholes")["claim"]["id"] == "millbrook-potholes"
        stats = fc.stats()
        assert stats["database"]["kind"] == kind_of(db)
        assert stats["claims"] == sum(stats["by_status"].values())
        rows = {r.name: r for r in fc.speakers()}
        assert rows["Dana Whitfield"].claims >= 1
        with pytest.raises(factcheck.UnknownSpeaker, match="no speaker named 'Nobody'"):
            list(fc.claims(Filters(speaker="Nobody")))


def test_encoded_listing_is_the_decoded_one(db: Path, tmp_path: Path) -> None:
    """A listing in JSON passes the store's own text through: the same records, the same
    JSON text as decoding and encoding them again, with every filter and order."""
    with session(db, tmp_path) as fc:
        for f in (Filters(), Filters(status=Status.DISPUTED), Filters(search="pothols")):
            for order in (None, SortKey.date):
                decoded = list(fc.claims(f, sort=order))
                encoded = list(fc.claims(f, sort=order, encoded=True))
                assert decoded, f
                assert [e.to_dict() for e in encoded] == [c.to_dict() for c in decoded]
                text = [
                    e.to_json() if isinstance(e, Encoded) else dumps(e.to_dict()) for e in encoded
                ]
                assert text == [dumps(c.to_dict()) for c in decoded]
                # search reads each record (the fuzzy check), so those come decoded
                assert all(isinstance(e, Encoded) for e in encoded) == (f.search is None)


_ANY_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",)) | st.sampled_from('\x1b\x9b\u202e\u2028\x7f"\\é'),
    min_size=1,
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(text=_ANY_TEXT, speaker=_ANY_TEXT, tag=_ANY_TEXT)
def test_a_stored_claim_passed_through_is_escaped_like_any_json(
    text: str, speaker: str, tag: str
) -> None:
    claim = Claim("x-1", text, speaker, Status.DISPUTED, tags=(tag,), verdict=text)
    passed = Encoded(encode_claim(claim)).to_json()
    assert passed == dumps(claim.to_dict())
    assert json.loads(passed) == claim.to_dict()
    assert not any(c in passed for c in "\x1b\x9b\u202e\u2028\x7f")


def test_the_two_stores_hold_the_same_claims(tmp_path: Path) -> None:
    claims = good_claims(tmp_path)
    a, b = tmp_path / "a.json", tmp_path / "b.sqlite"
    for path in (a, b):
        import_files(path, [str(claims), str(FEED)])
    with session(a, tmp_path) as x, session(b, tmp_path) as y:
        assert list(x.claims()) == list(y.claims())
        assert {k: v for k, v in x.stats().items() if k != "database"} == {
            k: v for k, v in y.stats().items() if k != "database"
        }
        for query in ("potholes", "free school lunches in Millbrook", "parks budget cut"):
            assert [(m.claim.id, m.score) for m in x.search(query, threshold=0)] == [
                (m.claim.id, m.score) for m in y.search(query, threshold=0)
            ]


def test_reimport_changes_nothing_and_merges(db: Path, tmp_path: Path) -> None:
    report = import_files(db, [str(FEED)])
    assert (report["added"], report["unchanged"], report["written"]) == (0, report["read"], False)
    claim, outcome = add_claim(db, "Millbrook filled 12,000 potholes last year.", "Oscar Pemberton")
    assert (claim.id, outcome) == ("millbrook-potholes", "merged into")
    claim, outcome = add_claim(db, "The bridge reopens in May", "Mayor Ann Lee", tags=["roads"])
    assert (claim.id, outcome) == ("lee-bridge-reopens-may", "added")
    with session(db, tmp_path) as fc:
        assert fc.claim("lee-bridge-reopens-may").tags == ("roads",)
        assert [m.claim.id for m in fc.search("bridge reopens in May", limit=1)] == [claim.id]
        assert {c.id for c in fc.claims(Filters(tag="roads"))} == {
            "millbrook-potholes",
            "lee-bridge-reopens-may",
        }


def test_an_update_by_id_replaces_the_record_and_its_terms(db: Path, tmp_path: Path) -> None:
    new = {"id": "millbrook-potholes", "text": "Millbrook paved 40 kilometres of cycle lanes.",
           "speaker": "Oscar Pemberton", "status": "undisputed"}  # fmt: skip
    path = tmp_path / "update.jsonl"
    path.write_text(json.dumps(new) + "\n", encoding="utf-8")
    assert import_files(db, [str(path)])["changed"] == 1
    with session(db, tmp_path) as fc:
        assert [m.claim.id for m in fc.search("cycle lanes paved", limit=1)] == [
            "millbrook-potholes"
        ]
        assert not fc.search("potholes filled last year")  # the old words are gone
        assert [c.id for c in fc.claims(Filters(search="potholes"))] == []
    if db.suffix == ".sqlite":
        _store_shape(db)  # document frequencies and count kept in step
        add_claim(db, "Millbrook counts 3 new potholes on Elm Street.", "Oscar Pemberton")
        _store_shape(db)


def test_export_json_round_trips_exactly(db: Path, tmp_path: Path) -> None:
    from factcheck.cli import Env, main

    def export(path: Path) -> str:
        import io

        out = io.StringIO()
        env = Env(io.BytesIO(), out, io.StringIO(), {"FACTCHECK_CACHE": str(tmp_path / "c")})
        assert main(["--db", str(path), "export", "--format", "json"], env) == 0
        return out.getvalue()

    first = export(db)
    copy = tmp_path / ("copy.sqlite" if db.suffix == ".json" else "copy.json")
    (tmp_path / "dump.json").write_text(first, encoding="utf-8")
    import_files(copy, [str(tmp_path / "dump.json")])
    assert export(copy) == first  # JSON -> SQLite -> JSON, or the other way, is exact


def test_nothing_is_written_on_a_bad_record_or_a_dry_run(db: Path, tmp_path: Path) -> None:
    with session(db, tmp_path) as fc:
        before = list(fc.claims())
    with pytest.raises(InputError, match="unknown field"):
        import_files(db, [str(CLAIMS)])  # its fourth record is bad
    report = import_files(db, [str(FEED), str(good_claims(tmp_path))], dry_run=True)
    assert report["written"] is False
    with session(db, tmp_path) as fc:
        assert list(fc.claims()) == before
    fresh = tmp_path / f"fresh{db.suffix}"
    with pytest.raises(InputError):
        import_files(fresh, [str(CLAIMS)])
    assert not fresh.exists()  # a failed first import leaves no file


def test_duplicate_id_with_other_text_is_an_error(db: Path, tmp_path: Path) -> None:
    rows = [{"id": "x-1", "text": "One thing.", "speaker": "A"},
            {"id": "x-1", "text": "Another thing entirely.", "speaker": "A"}]  # fmt: skip
    path = tmp_path / "dup.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(InputError, match="duplicate id 'x-1' with another text"):
        import_files(db, [str(path)])


def test_validate_is_clean(db: Path) -> None:
    assert validate(db) == []


# --- the SQLite store only ----------------------------------------------------------------


def sqlite_db(tmp_path: Path) -> Path:
    path = tmp_path / "claims.sqlite"
    import_files(path, [str(good_claims(tmp_path)), str(FEED)])
    return path


def test_other_sqlite_files_newer_schemas_and_garbage_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x(a)")
    with pytest.raises(DatabaseError, match="not a factcheck database"):
        factcheck.open(other, environ={}, cache_dir=None).index  # noqa: B018
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(DatabaseError, match="not a usable SQLite database"):
        factcheck.open(garbage, environ={}, cache_dir=None).index  # noqa: B018
    newer = sqlite_db(tmp_path)
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(DatabaseError, match="schema 99 is newer"):
        factcheck.open(newer, environ={}, cache_dir=None).index  # noqa: B018
    with pytest.raises(DatabaseError, match="schema 99 is newer"):
        add_claim(newer, "Anything at all.", "Someone")


def test_validate_runs_the_integrity_check_and_checks_every_record(tmp_path: Path) -> None:
    path = sqlite_db(tmp_path)
    with sqlite3.connect(path) as conn:
        raw = conn.execute("SELECT claim FROM docs WHERE id = 'millbrook-potholes'").fetchone()[0]
        bad = json.loads(raw) | {"date": "soon", "related": [{"id": "gone", "relation": "x"}]}
        conn.execute(
            "UPDATE docs SET claim = ? WHERE id = 'millbrook-potholes'", (json.dumps(bad),)
        )
    problems = [str(p) for p in validate(path)]
    assert any("bad date 'soon'" in p for p in problems), problems


def test_a_search_runs_while_an_import_holds_the_write_lock(tmp_path: Path) -> None:
    path = sqlite_db(tmp_path)
    inside, release = threading.Event(), threading.Event()

    def writer() -> None:
        with writing(path) as store:
            store.add(
                factcheck.Claim("w-1", "Something new", "W", Status.UNDISPUTED),
                ("something new", "w"),
            )
            inside.set()
            release.wait(10)

    t = threading.Thread(target=writer)
    t.start()
    assert inside.wait(10)
    started = time.monotonic()
    with factcheck.open(path, environ={}, cache_dir=None) as fc:
        assert fc.search("Millbrook filled 12,000 potholes", limit=1)
        assert "w-1" not in {c.id for c in fc.claims()}  # not committed yet
    assert time.monotonic() - started < 5  # WAL: readers do not wait for the writer
    release.set()
    t.join(10)
    with factcheck.open(path, environ={}, cache_dir=None) as fc:
        assert fc.claim("w-1").text == "Something new"


def _big_jsonl(path: Path, n: int, prefix: str) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            text = f"Record {prefix} number {i} says {i * 7} things about {prefix}{i % 97}."
            f.write(json.dumps({"id": f"{prefix}-{i}", "text": text, "speaker": "Bulk"}) + "\n")


def _ids(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM docs")]


def test_kill_during_import_leaves_old_or_new(tmp_path: Path) -> None:
    path = sqlite_db(tmp_path)
    before = sorted(_ids(path))
    big = tmp_path / "big.jsonl"
    _big_jsonl(big, 40_000, "k")
    import_killed(big, path, after=2.0)
    after = sorted(_ids(path))
    assert after == before or len(after) == len(before) + 40_000
    assert validate(path) == []


def _store_shape(path: Path) -> tuple[str, set[str], list[tuple[str, int]]]:
    """Journal mode, index names, and the stored document frequencies (checked against FTS,
    as the stored count is against the table)."""
    with sqlite3.connect(path) as conn:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        df = conn.execute("SELECT term, n FROM df ORDER BY term").fetchall()
        assert df == conn.execute("SELECT term, doc FROM vocab ORDER BY term").fetchall()
        count = conn.execute("SELECT value FROM meta WHERE key = 'count'").fetchone()[0]
        assert int(count) == conn.execute("SELECT count(*) FROM docs").fetchone()[0]
    return mode, names, df


def test_a_first_import_is_built_aside_and_renamed_complete(tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    _big_jsonl(big, 3000, "f")
    fresh = tmp_path / "fresh.sqlite"  # built in a temp file, indexes made at the end
    import_files(fresh, [str(big)])
    empty = tmp_path / "empty.sqlite"  # what an empty store has: every index, WAL
    create(empty)
    assert _store_shape(fresh)[:2] == _store_shape(empty)[:2] == ("wal", _store_shape(empty)[1])
    grown = tmp_path / "grown.sqlite"  # made by its first records, then grown row by row
    import_files(grown, [str(good_claims(tmp_path))])
    import_files(grown, [str(big)])
    import_files(fresh, [str(good_claims(tmp_path))])  # now the other way round
    assert _store_shape(fresh) == _store_shape(grown)
    a = factcheck.open(fresh, environ={}, cache_dir=None)
    b = factcheck.open(grown, environ={}, cache_dir=None)
    with a, b:
        assert sorted(c.id for c in a.claims()) == sorted(c.id for c in b.claims())
        assert [c.id for c in a.claims(Filters(speaker="Bulk"))][:3] == ["f-0", "f-1", "f-2"]
        assert [c.id for c in b.claims(Filters(speaker="BULK"), limit=1)] == ["f-0"]
    assert validate(fresh) == []
    assert sorted(p.name for p in tmp_path.glob(".*")) == []  # no temp file left behind


def test_kill_during_a_first_import_leaves_no_database_or_the_whole_one(tmp_path: Path) -> None:
    path = tmp_path / "first.sqlite"
    big = tmp_path / "big.jsonl"
    _big_jsonl(big, 40_000, "k")
    import_killed(big, path, after=2.0)
    if path.exists():  # the machine was fast enough to finish
        assert len(_ids(path)) == 40_000
    else:  # what the killed writer left is only its temp file, and it does not get in the way
        assert all(q.name.endswith(".tmp") for q in tmp_path.glob(".first.sqlite.*"))
        assert import_files(path, [str(good_claims(tmp_path))])["written"] is True
    assert validate(path) == []


def test_a_failing_write_is_one_clear_error_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from factcheck.errors import WriteError
    from factcheck.index import IndexWriter

    path = sqlite_db(tmp_path)
    before = sorted(_ids(path))
    big = tmp_path / "big.jsonl"
    _big_jsonl(big, 100, "d")

    def full(self: IndexWriter) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(IndexWriter, "flush", full)
    fresh = tmp_path / "fresh.sqlite"
    for target in (path, fresh):
        with pytest.raises(WriteError, match="cannot write: database or disk is full"):
            import_files(target, [str(big)])
    assert sorted(_ids(path)) == before
    assert not fresh.exists()
    assert sorted(p.name for p in tmp_path.glob(".*")) == []


def test_two_imports_at_once_lose_nothing(tmp_path: Path) -> None:
    path = sqlite_db(tmp_path)
    start = len(_ids(path))
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    _big_jsonl(a, 3000, "a")
    _big_jsonl(b, 3000, "b")
    cmd = [sys.executable, "-m", "factcheck", "import", "--db", str(path)]
    procs = [subprocess.Popen([*cmd, str(p)], stderr=subprocess.PIPE, text=True) for p in (a, b)]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    assert len(set(_ids(path))) == start + 6000


def test_an_older_index_format_is_reindexed_in_place(tmp_path: Path) -> None:
    path = sqlite_db(tmp_path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'format'")
        conn.execute("UPDATE docs SET text_terms = ''")  # terms of a pipeline long gone
        conn.execute("INSERT INTO fts(fts) VALUES ('rebuild')")
    with factcheck.open(path, environ={}, cache_dir=None) as fc:
        assert [m.claim.id for m in fc.search("Millbrook filled 12,000 potholes", limit=1)] == [
            "millbrook-potholes"
        ]
