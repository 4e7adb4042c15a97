"""Where the database is: ``--db``, else ``$FACTCHECK_DB``, else the bundled one."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
SQLITE_MAGIC = b"SQLite format 3\x00"


def is_sqlite(path: Path) -> bool:
    """A SQLite database by its name (.sqlite, .sqlite3, .db) or, for another name, its first
    bytes. Here, not in ``store.sqlite``: every command asks, and a JSON database's search
    should not import the SQLite store to learn it is not one."""
    if path.suffix.lower() in SQLITE_SUFFIXES:
        return True
    try:
        with path.open("rb") as f:
            return f.read(16) == SQLITE_MAGIC
    except OSError:
        return False


def bundled_database() -> Path:
    """The database shipped in the wheel, or ``data/claims.json`` in a source checkout."""
    package = Path(__file__).resolve().parent.parent  # factcheck/
    shipped = package / "data" / "claims.json"
    if shipped.is_file():  # a normal install: plain files, no need for importlib.resources
        return shipped
    checkout = package.parent / "data" / "claims.json"
    if checkout.is_file():
        return checkout
    from importlib.resources import files  # zipped installs (costs ~4 ms, so only here)

    return Path(str(files("factcheck") / "data" / "claims.json"))


def locate_database(explicit: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path:
    """Resolution order: ``--db PATH``, else ``FACTCHECK_DB``, else the bundled database."""
    if explicit:
        return Path(explicit)
    if env.get("FACTCHECK_DB"):
        return Path(env["FACTCHECK_DB"])
    return bundled_database()
