"""Where a database's claim vectors live and how many there are: standard library only, so
the core can ask without importing numpy or the model (see ``dense`` for the rest)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS vector_meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS claim_vectors(id TEXT PRIMARY KEY, key INTEGER NOT NULL,
                                         code BLOB NOT NULL) WITHOUT ROWID;
"""


# How a claim's vector is made (``dense.wordings``), stored beside the model id: vectors made
# another way are replaced by ``embed`` and never searched. Databases embedded before the
# recipe was recorded have none and read as LEGACY_RECIPE.
RECIPE = "mean of text and fact-check headlines"
LEGACY_RECIPE = "text and source names joined"


def content_key(text_terms: str, title_terms: str) -> int:
    """A signed 64-bit hash of what the index holds for a claim (fits an SQLite INTEGER)."""
    import hashlib  # only where there are vectors: a plain search never needs it (2 ms)

    digest = hashlib.blake2b(f"{text_terms}\x1f{title_terms}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def vector_path(db_path: Path, kind: str, cache_dir: Path | None) -> Path | None:
    """The file that holds (or would hold) the vectors of the database at ``db_path``."""
    if kind == "sqlite":
        return db_path
    if cache_dir is None:
        return None
    from factcheck.store.cache import cache_file

    return cache_file(db_path, cache_dir, "vectors")


def vector_map_path(db_path: Path, cache_dir: Path | None) -> Path | None:
    """Where ``dense`` keeps a memory-mapped copy of the database's vectors (the cache folder);
    None without a cache folder."""
    if cache_dir is None:
        return None
    from factcheck.store.cache import cache_file

    return cache_file(db_path, cache_dir, "vectormap", suffix=".vec")


def stored_model(conn: sqlite3.Connection) -> str | None:
    """The model id of the vectors in ``conn``'s database; None if it holds none."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    if not {"claim_vectors", "vector_meta"} <= tables:
        return None
    row = conn.execute("SELECT value FROM vector_meta WHERE key = 'model'").fetchone()
    return str(row[0]) if row else None


def stored_recipe(conn: sqlite3.Connection) -> str:
    """How the vectors in ``conn``'s database were made (call after ``stored_model``)."""
    row = conn.execute("SELECT value FROM vector_meta WHERE key = 'recipe'").fetchone()
    return str(row[0]) if row else LEGACY_RECIPE


def vector_count(path: Path | None) -> tuple[int, str | None]:
    """(vectors stored, model id) without numpy or the model: (0, None) when there are none."""
    if path is None or not path.is_file():
        return 0, None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            model = stored_model(conn)
            if model is None:
                return 0, None
            (count,) = conn.execute("SELECT count(*) FROM claim_vectors").fetchone()
            return int(count), model
        finally:
            conn.close()
    except sqlite3.Error:
        return 0, None
