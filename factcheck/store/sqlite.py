"""The SQLite store: claims, speakers and the search index in one file, kept in step.

The file *is* the index schema (``factcheck.index``) with ``meta.kind = 'store'``: a change
(``add``, ``import``) inserts or updates only the records it touches, in one transaction with
their search terms, so a query never rebuilds anything and a crash (even kill -9) leaves the
old state or the new one. WAL mode: searches run while an import writes. Writers also take
the store's ``<file>.lock`` (as the JSON store does), so a second writer waits and says so.

A database that does not exist yet is built in a temp file beside it, without a journal
(nothing else can see it, and a failure just removes it), its browsing indexes made once at
the end, then switched to WAL and renamed into place: the fast path of a first big import,
with the same guarantee (a crash leaves no database, or the whole one).

A file that is not a factcheck database (any other SQLite file, a newer schema, a corrupt
page) is refused with one line naming it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from factcheck.errors import DatabaseError, WriteError
from factcheck.index import (
    INDEX_FORMAT,
    INDEXES,
    LOOKUP_INDEXES,
    Index,
    IndexWriter,
    create_tables,
    run_script,
    speakers_meta,
)
from factcheck.merge import Key
from factcheck.model import SCHEMA_VERSION, Claim, Origin, Problem, Speaker
from factcheck.normalize import normalize
from factcheck.speakers import Speakers
from factcheck.store.files import fsync_directory, locked, real_path
from factcheck.store.records import Prepared, claim_of

STORE_SCHEMA = 1  # of the file's tables; a newer file is refused, an older one upgraded
ORIGINS = """CREATE TABLE IF NOT EXISTS origins(kind TEXT NOT NULL, location TEXT NOT NULL,
    params TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, location, params))"""
BUSY_TIMEOUT_MS = 60_000  # a reader waits this long for a writer's commit to land
# Page cache of a write (SQLite's sorter, building an index at the end, may use as much
# again): most of the id and merge-key B-trees of a million claims (~50 MB) stay in it.
WRITE_CACHE_KIB = 48 * 1024
SORT_THREADS = 2


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    uri = f"file:{path}?mode={'ro' if readonly else 'rwc'}"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _meta(conn: sqlite3.Connection, path: Path) -> dict[str, str]:
    """The store's meta table, checked: a factcheck store of a schema this version knows."""
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        meta = dict(conn.execute("SELECT key, value FROM meta")) if "meta" in tables else {}
    except sqlite3.DatabaseError as e:
        raise DatabaseError(f"not a usable SQLite database ({e})", str(path)) from None
    if meta.get("kind") != "store" or "docs" not in tables:
        raise DatabaseError(
            "a SQLite file, but not a factcheck database", str(path), "give another --db"
        )
    schema = int(meta.get("schema", "0"))
    if schema > STORE_SCHEMA:
        raise DatabaseError(
            f"database schema {schema} is newer than this factcheck supports ({STORE_SCHEMA})",
            str(path),
            "upgrade factcheck",
        )
    return meta


def create(path: Path, speakers: tuple[Speaker, ...] = (), *, wal: bool = True) -> None:
    """A new, empty store at ``path`` (``wal=False``: a file being built, whose writer adds
    the browsing indexes at the end; only the lookups a merge needs are there)."""
    conn = _connect(path, readonly=False)
    try:
        conn.execute(f"PRAGMA journal_mode = {'WAL' if wal else 'OFF'}")
        conn.execute("BEGIN IMMEDIATE")
        create_tables(conn)
        run_script(conn, INDEXES if wal else LOOKUP_INDEXES)
        conn.execute(ORIGINS)
        meta = {
            "kind": "store",
            "schema": str(STORE_SCHEMA),
            "format": str(INDEX_FORMAT),
            "version": str(SCHEMA_VERSION),
            "speakers": speakers_meta(speakers),
            "count": "0",
        }
        conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        conn.execute("COMMIT")
    finally:
        conn.close()


def open_index(path: Path) -> Index:
    """The read side of the store at ``path`` (which must exist)."""
    conn = _connect(path, readonly=True)
    try:
        meta = _meta(conn, path)
    except BaseException:
        conn.close()
        raise
    if meta.get("format") != str(INDEX_FORMAT):
        conn.close()
        reindex(path)  # terms of an older factcheck: recomputed once, in place
        conn = _connect(path, readonly=True)
    return Index(conn)


def reindex(path: Path) -> None:
    """Recompute every record's search terms (after an upgrade changed how text is indexed)."""
    from factcheck.store.records import decode_claim

    with locked(path):
        conn = _connect(path, readonly=False)
        try:
            conn.execute("BEGIN IMMEDIATE")
            speakers = SqliteTarget(conn, path).speakers
            rows = conn.execute("SELECT claim FROM docs ORDER BY rowid").fetchall()
            conn.execute("DELETE FROM docs")
            conn.execute("DELETE FROM tags")
            conn.execute("INSERT INTO fts(fts) VALUES ('delete-all')")
            writer = IndexWriter(conn, speakers, bulk=True)
            for (raw,) in rows:
                writer.add(decode_claim(raw))
            writer.finish({"format": str(INDEX_FORMAT)})
            conn.execute("COMMIT")
        finally:
            conn.close()


class SqliteTarget:
    """The merge target of a write transaction: indexed lookups, rows written as they go."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        from factcheck.store.records import parse_speaker

        self.speakers = Speakers(
            parse_speaker(s, f"{path}:speakers[{i}]")
            for i, s in enumerate(json.loads(meta.get("speakers", "[]")))
        )
        self.index = Index(conn)
        self.writer = IndexWriter(conn, self.speakers, bulk=False)
        # Rows added but not yet written: lookups must see them (an input may repeat a claim).
        self._new_ids: dict[str, Claim | Prepared] = {}
        self._new_keys: dict[Key, Claim | Prepared] = {}
        self._last_key: tuple[Key, int] | None = None
        # A store empty when the write began holds only what it added: a lookup of an id or
        # a merge key whose bit is clear needs no query (most of them, in a first import).
        self.fresh = not self.writer.count
        self._ids = bytearray(_BITS >> 3) if self.fresh else None
        self._keys = bytearray(_BITS >> 3) if self.fresh else None

    def _flush(self) -> None:
        self.writer.flush()
        self._new_ids.clear()
        self._new_keys.clear()

    def by_id(self, claim_id: str) -> Claim | None:
        pending = self._new_ids.get(claim_id)
        if pending is not None:
            return claim_of(pending)
        if self._ids is not None and not _has(self._ids, hash(claim_id)):
            return None
        found = self.index.lookup(claim_id)
        return found[1] if found else None

    def by_text(self, key: Key, text: str, h: int | None = None) -> Claim | None:
        pending = self._new_keys.get(key)
        if pending is not None:
            return claim_of(pending)
        if h is None:
            from factcheck.index import merge_key

            h = merge_key(key[0], key[1])
            self._last_key = (key, h)  # ``add`` of this claim, if none is found, reuses it
        if self._keys is not None and not _has(self._keys, h):
            return None
        for _, claim in self.index.by_key(h):
            if claim.speaker.casefold() == key[1] and (
                claim.text == text or normalize(claim.text) == key[0]
            ):
                return claim
        return None

    def add(self, claim: Claim | Prepared, key: Key) -> None:
        if not isinstance(claim, Prepared):
            from factcheck.index import prepare

            h = self._last_key[1] if self._last_key and self._last_key[0] == key else None
            claim = prepare(claim, key[0], h)
        self.writer.add(claim)
        if self._ids is not None and self._keys is not None:
            _put(self._ids, hash(claim.id))
            _put(self._keys, claim.key)
        self._new_ids[claim.id] = claim
        self._new_keys.setdefault(key, claim)
        if self.writer.pending >= 2_000:
            self._flush()

    def replace(self, old: Claim, new: Claim, key: Key | None) -> None:
        self._flush()  # the row to replace must be in the table
        found = self.index.lookup(old.id)
        if found is None:  # cannot happen: ``old`` came from a lookup
            raise DatabaseError(f"record {old.id!r} vanished during the write", str(self.path))
        self.writer.replace(found[0], new, key[0] if key else None)
        if self._keys is not None and key is not None:
            from factcheck.index import merge_key

            _put(self._keys, merge_key(key[0], key[1]))

    def has_id(self, claim_id: str) -> bool:
        if claim_id in self._new_ids:
            return True
        if self._ids is not None and not _has(self._ids, hash(claim_id)):
            return False
        return self.index.has_id(claim_id)

    def remember(self, origin: Origin) -> None:
        self.conn.execute(ORIGINS)  # stores made before origins were remembered lack it
        self.conn.execute(
            "INSERT OR REPLACE INTO origins VALUES (?, ?, ?, ?)",
            (
                origin.kind,
                origin.location,
                json.dumps(origin.params),
                json.dumps(origin.to_dict(), ensure_ascii=False),
            ),
        )

    @property
    def count(self) -> int:
        return int(self.writer.count)

    def finish(self) -> None:
        self._flush()
        # What is left (FTS, the indexes made at the end) sorts on SORT_THREADS threads, each
        # with its own buffer: half the page cache keeps the peak where one thread had it.
        self.conn.execute(f"PRAGMA cache_size = -{WRITE_CACHE_KIB // SORT_THREADS}")
        self.writer.finish()


# The bit sets of ``SqliteTarget``'s first import: one bit a hash, 8 MB each whatever the
# input; at a million claims about 1.5% of lookups find their bit set by another hash.
_BITS = 1 << 26


def _put(bits: bytearray, h: int) -> None:
    i = h & (_BITS - 1)
    bits[i >> 3] |= 1 << (i & 7)


def _has(bits: bytearray, h: int) -> bool:
    i = h & (_BITS - 1)
    return bool(bits[i >> 3] >> (i & 7) & 1)


@contextmanager
def writing(
    path: Path,
    on_wait: Callable[[], None] | None = None,
    *,
    keep: Callable[[], bool] = lambda: True,
) -> Iterator[SqliteTarget]:
    """A write transaction on the store at ``path`` (created if missing), under its lock.

    Committed when the block ends and ``keep()`` says so (a dry run says no); rolled back on
    an exception, so nothing of a failed import is kept.
    """
    path = real_path(path)
    try:
        with locked(path, on_wait):
            if path.exists():
                with _transaction(path, keep) as target:
                    yield target
            else:
                with _new_store(path, keep) as target:
                    yield target
    except sqlite3.OperationalError as e:  # a full disk, a lock held past the timeout...
        raise WriteError(f"cannot write: {e}", str(path), "the database is unchanged") from None


@contextmanager
def _transaction(path: Path, keep: Callable[[], bool]) -> Iterator[SqliteTarget]:
    """One transaction on an existing store."""
    conn = _connect(path, readonly=False)
    try:
        _meta(conn, path)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL: a crash loses no commit's integrity
        conn.execute(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
        conn.execute("PRAGMA temp_store = FILE")
        conn.execute("BEGIN IMMEDIATE")
        target = SqliteTarget(conn, path)
        try:
            yield target
            target.finish()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT" if keep() else "ROLLBACK")
    finally:
        conn.close()


@contextmanager
def _new_store(path: Path, keep: Callable[[], bool]) -> Iterator[SqliteTarget]:
    """A store that does not exist yet, built in a temp file beside ``path`` and renamed into
    place once complete (a failed or dry first import leaves no file behind). The temp file
    is named as ``files.replace_atomically`` names its own (``.<name>.<pid>.<random>.tmp``),
    so one left by a killed writer is recognisably stale."""
    tmp = path.parent / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    kept = False
    try:
        create(tmp, wal=False)
        conn = _connect(tmp, readonly=False)
        try:
            # No journal and no fsync while building: nobody else sees the file, and on any
            # failure it is removed, never read.
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
            conn.execute("PRAGMA temp_store = FILE")
            # Sorting for the indexes made at the end on two threads: at a million claims
            # the tag indexes take 4.6 s instead of 7.4 s (at the same peak memory, see finish).
            conn.execute(f"PRAGMA threads = {SORT_THREADS}")
            conn.execute("BEGIN IMMEDIATE")
            target = SqliteTarget(conn, path)
            yield target
            target.finish()
            conn.execute("COMMIT")
            if keep():
                conn.execute("PRAGMA journal_mode = WAL")  # kept in the file for its readers
                kept = True
        finally:
            conn.close()
        if kept:
            with tmp.open("rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, path)
            fsync_directory(path.parent)
    finally:
        if not kept:
            for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                leftover.unlink(missing_ok=True)


def validate(path: Path) -> list[Problem]:
    """Every problem of the store at ``path``: SQLite's own integrity check, then each record
    validated in full (as on import), then references to ids that are not there."""
    from factcheck.store.records import parse_claim

    conn = _connect(path, readonly=True)
    try:
        _meta(conn, path)
        problems = [
            Problem(str(path), None, f"integrity check: {row[0]}")
            for row in conn.execute("PRAGMA integrity_check")
            if row[0] != "ok"
        ]
        if problems:
            return problems  # a damaged file: its records are not worth reading on
        ids = Index(conn)
        for rowid, raw in conn.execute("SELECT rowid, claim FROM docs ORDER BY rowid"):
            where = f"{path}:docs[{rowid}]"
            try:
                claim = parse_claim(json.loads(raw), where)
            except (DatabaseError, ValueError) as e:
                problems.append(Problem(where, None, str(e)))
                continue
            where = f"{where} {claim.id!r}"
            for j, d in enumerate(claim.disputed_by):
                if d.claim is not None and not ids.has_id(d.claim):
                    problems.append(
                        Problem(where, f"disputed_by[{j}].claim", f"no claim with id {d.claim!r}")
                    )
            for j, r in enumerate(claim.related):
                if not ids.has_id(r.id):
                    problems.append(
                        Problem(where, f"related[{j}].id", f"no claim with id {r.id!r}")
                    )
        return problems
    finally:
        conn.close()


def origins(path: Path) -> list[Origin]:
    """What the store at ``path`` remembers importing from, in the order first imported."""
    from factcheck.store.records import parse_origin

    conn = _connect(path, readonly=True)
    try:
        _meta(conn, path)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if "origins" not in tables:
            return []
        rows = conn.execute("SELECT rowid, data FROM origins ORDER BY rowid").fetchall()
        return [parse_origin(json.loads(d), f"{path}:origins[{i}]") for i, d in rows]
    finally:
        conn.close()
