"""The JSON store's search index: a cache file built from the JSON, in the index schema.

Small databases are indexed in memory when no cache directory is usable (7 ms for the
bundled one); otherwise once into ``<cache>/index-<name>-<hash of path>.sqlite``, keyed by
the file's fingerprint (see ``fingerprint``) and rebuilt atomically when it changes. A
database written by factcheck (one claim per line) is indexed a claim at a time in flat
memory; another layout is loaded whole.

The cache is never trusted blindly: it is written to a temp file, fsynced, then renamed; a
small one is checked (``PRAGMA quick_check``) before use; a cache that cannot be read, or a
cache directory that cannot be written (no space, no permission, any SQLite error), means an
index rebuilt, or built in memory for this run: never a failed query.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import zlib
from pathlib import Path

from factcheck.index import (
    INDEX_FORMAT,
    INDEXES,
    Index,
    IndexWriter,
    Progress,
    create_tables,
    speakers_meta,
)
from factcheck.model import Database
from factcheck.speakers import Speakers
from factcheck.store.files import check_database_file, fsync_directory, sweep_stale
from factcheck.store.jsonfile import ClaimStream, LayoutError, load_database, stream_database

# A database up to this size is fingerprinted by a CRC of all of it (16 MiB: ~10 ms); a bigger
# one by its first and last 64 KiB, its inode and its ctime (which no edit can restore).
FULL_CRC = 16 * 2**20
# A cache file up to this size is checked page by page before use (~2 ms per MiB).
CHECKED_CACHE = 8 * 2**20


def build_index(
    db: Database | ClaimStream,
    path: Path | None = None,
    fingerprint: str = "",
    progress: Progress | None = None,
) -> Index:
    """Index ``db`` in memory, or into ``path`` atomically (temp file, then rename).

    ``progress(done, total)`` is told claims (or, for a stream, bytes) every 10,000.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp") if path else None
    if tmp and path:
        sweep_stale(tmp.parent, f".{path.name}.")  # temps of builders that were killed
        tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(str(tmp) if tmp else ":memory:")
    try:
        if tmp:
            # A cache: no journal, no syncs while building; one fsync before the rename.
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
        create_tables(conn)
        total = db.size if isinstance(db, ClaimStream) else len(db.claims)
        writer = IndexWriter(conn, Speakers(db.speakers), bulk=True)
        for i, claim in enumerate(db.claims, 1):
            writer.add(claim)
            if i % 10_000 == 0:
                writer.flush()
                if progress:
                    progress(db.position if isinstance(db, ClaimStream) else i, total)
        writer.finish(
            {
                "kind": "cache",
                "format": str(INDEX_FORMAT),
                "fingerprint": fingerprint,
                "speakers": speakers_meta(db.speakers),
                "version": str(db.version),
            }
        )
        conn.commit()
        if progress:
            progress(total, total)
    except BaseException:
        conn.close()
        if tmp:
            tmp.unlink(missing_ok=True)
        raise
    if tmp and path:
        conn.close()
        try:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)  # the pages are on disk before the name says the cache is there
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        fsync_directory(path.parent)
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    return Index(conn)


def fingerprint(path: Path) -> str:
    """What a cache is keyed on: size, mtime, inode, ctime and a CRC of the content (all of it
    up to FULL_CRC, else the first and last 64 KiB). Cheap enough to check on every query.

    Any edit changes the ctime, and no one can set it back (``touch -d`` restores the mtime
    only), so a same-size edit with the mtime restored still misses the cache; the CRC covers
    what the ctime cannot (a file system without one, a file copied back in place). CRC32
    rather than SHA: this detects edits, not tampering, and hashlib's OpenSSL import alone
    costs ~3 ms of every run.
    """
    with path.open("rb") as f:
        st = os.fstat(f.fileno())
        if st.st_size <= FULL_CRC:
            crc = 0
            while chunk := f.read(2**20):
                crc = zlib.crc32(chunk, crc)
        else:
            crc = zlib.crc32(f.read(65536))
            f.seek(st.st_size - 65536)
            crc = zlib.crc32(f.read(65536), crc)
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}:{st.st_ctime_ns}:{crc:08x}"


def cache_file(
    db_path: Path, cache_dir: Path, kind: str = "index", suffix: str = ".sqlite"
) -> Path:
    """The cache file of ``kind`` (the index; ``vectors`` and ``vectormap`` for the semantic
    extra) of the database at ``db_path``: named by its real path's checksums, so every name
    of one file shares it."""
    resolved = str(db_path.resolve()).encode("utf-8", "surrogatepass")
    key = f"{zlib.crc32(resolved):08x}{zlib.adler32(resolved):08x}"
    return cache_dir / f"{kind}-{db_path.stem[:40]}-{key}{suffix}"


def open_json_index(db_path: Path, cache_dir: Path | None, progress: Progress | None) -> Index:
    """An index for the JSON database at ``db_path``: from cache when fresh, else built now
    (in memory when the cache cannot be written)."""
    if cache_dir is None:
        return _build(db_path, None, "", None)
    target = cache_file(db_path, cache_dir)
    stamp = fingerprint(db_path)
    cached = _open_cached(target, stamp)
    if cached is not None:
        return cached
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        return _build(db_path, target, stamp, progress)
    except (OSError, sqlite3.Error):  # a full or unwritable cache must not stop a query
        return _build(db_path, None, "", None)


def _open_cached(target: Path, stamp: str) -> Index | None:
    """The cache at ``target`` if it is there, of this fingerprint and format, and sound;
    else None (a damaged or foreign file is removed, to be rebuilt)."""
    try:
        size = target.stat().st_size
    except OSError:
        return None
    conn = None
    try:
        conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        if meta.get("fingerprint") == stamp and meta.get("format") == str(INDEX_FORMAT):
            if size > CHECKED_CACHE or conn.execute("PRAGMA quick_check").fetchone() == ("ok",):
                return Index(conn)
            discard(target)
        conn.close()
    except sqlite3.Error:
        if conn is not None:
            conn.close()
        discard(target)  # corrupt, or not ours: rebuilt
    return None


def _build(db_path: Path, target: Path | None, stamp: str, progress: Progress | None) -> Index:
    """Index the database: streamed one claim at a time when it has our layout."""
    stream = stream_database(db_path)
    if stream is not None:
        try:
            return build_index(stream, target, stamp, progress)
        except LayoutError:
            pass
    return build_index(load_database(db_path), target, stamp, progress)


def discard(target: Path) -> None:
    """Remove a cache file (damaged, or about to be rebuilt); never an error."""
    with contextlib.suppress(OSError):
        target.unlink(missing_ok=True)


def discard_cache(db_path: Path, cache_dir: Path | None) -> Path | None:
    """Remove the cached index of the JSON database at ``db_path`` (after SQLite found it
    damaged while in use); returns the file removed, if there was one."""
    if cache_dir is None:
        return None
    target = cache_file(db_path, cache_dir)
    if not target.exists():
        return None
    discard(target)
    return target


def check_readable(db_path: Path) -> None:
    """A readable regular file (see ``files.check_database_file``), else DatabaseError."""
    check_database_file(db_path)


__all__ = [
    "INDEXES",
    "build_index",
    "cache_file",
    "check_readable",
    "discard_cache",
    "fingerprint",
]
