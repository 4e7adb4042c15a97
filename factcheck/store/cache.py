"""The JSON store's search index: a cache file built from the JSON, in the index schema.

Small databases are indexed in memory when no cache directory is usable (7 ms for the
bundled one); otherwise once into ``<cache>/index-<name>-<hash of path>.sqlite``, keyed by
the file's fingerprint (size, mtime, a CRC of its first and last 64 KiB) and rebuilt
atomically when it changes. A database written by factcheck (one claim per line) is indexed a
claim at a time in flat memory; another layout is loaded whole.
"""

from __future__ import annotations

import os
import sqlite3
import zlib
from pathlib import Path

from factcheck.errors import DatabaseError
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
from factcheck.store.jsonfile import ClaimStream, LayoutError, load_database, stream_database


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
    if tmp:
        tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(str(tmp) if tmp else ":memory:")
    try:
        if tmp:
            conn.execute("PRAGMA journal_mode=OFF")  # a cache: rebuilt if anything goes wrong
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
        os.replace(tmp, path)
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    return Index(conn)


def fingerprint(path: Path) -> str:
    """Size, mtime and a CRC of the file's first and last 64 KiB: cheap to check per query.

    CRC32 rather than SHA: this detects edits, not tampering, and hashlib's OpenSSL import
    alone costs ~3 ms of every run.
    """
    st = path.stat()
    with path.open("rb") as f:
        crc = zlib.crc32(f.read(65536))
        if st.st_size > 65536:
            f.seek(max(st.st_size - 65536, 65536))
            crc = zlib.crc32(f.read(65536), crc)
    return f"{st.st_size}:{st.st_mtime_ns}:{crc:08x}"


def cache_file(db_path: Path, cache_dir: Path) -> Path:
    resolved = str(db_path.resolve())
    key = f"{zlib.crc32(resolved.encode()):08x}{zlib.adler32(resolved.encode()):08x}"
    return cache_dir / f"index-{db_path.stem[:40]}-{key}.sqlite"


def open_json_index(db_path: Path, cache_dir: Path | None, progress: Progress | None) -> Index:
    """An index for the JSON database at ``db_path``: from cache when fresh, else built now."""
    if cache_dir is None:
        return build_index(load_database(db_path))
    target = cache_file(db_path, cache_dir)
    stamp = fingerprint(db_path)
    if target.exists():
        try:
            conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
            meta = dict(conn.execute("SELECT key, value FROM meta"))
            if meta.get("fingerprint") == stamp and meta.get("format") == str(INDEX_FORMAT):
                return Index(conn)
            conn.close()
        except sqlite3.DatabaseError:
            pass  # a corrupt or foreign cache file is simply rebuilt
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        stream = stream_database(db_path)
        if stream is not None:
            try:
                return build_index(stream, target, stamp, progress)
            except LayoutError:
                pass
        return build_index(load_database(db_path), target, stamp, progress)
    except OSError:
        return build_index(load_database(db_path))  # an unwritable cache must not stop a query


def check_readable(db_path: Path) -> None:
    try:
        db_path.stat()
    except FileNotFoundError:
        raise DatabaseError("database not found", str(db_path), "pass --db PATH") from None
    except OSError as e:
        raise DatabaseError(f"cannot read database: {e.strerror}", str(db_path)) from None


__all__ = ["INDEXES", "build_index", "cache_file", "check_readable", "fingerprint"]
