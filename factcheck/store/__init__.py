"""Claims databases: where they are, how they are read, validated and written.

- ``records``: the one validator of claims and speakers (load, import, ``validate``).
- ``jsonfile``: the JSON store (the bundled database, hand-edited files).
- ``files``: atomic replacement, backups and the writers' lock, for every write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from factcheck.model import SCHEMA_VERSION, Claim, Database, Origin, Problem
from factcheck.store.files import locked, real_path, replace_atomically
from factcheck.store.jsonfile import (
    ClaimStream,
    LayoutError,
    load_database,
    stream_database,
    validate_file,
    write_database,
)
from factcheck.store.locate import bundled_database, is_sqlite, locate_database
from factcheck.store.records import ID_RE, Prepared, parse_claim, parse_database, parse_speaker

if TYPE_CHECKING:
    from factcheck.index import Index, Progress

__all__ = [
    "ID_RE",
    "ClaimStream",
    "LayoutError",
    "bundled_database",
    "kind_of",
    "load_database",
    "locate_database",
    "locked",
    "open_index",
    "origins",
    "parse_claim",
    "parse_database",
    "parse_speaker",
    "real_path",
    "replace_atomically",
    "stream_database",
    "validate",
    "validate_file",
    "write_database",
    "writing",
]


def kind_of(path: Path) -> str:
    """``sqlite`` or ``json``: which store a database path is (by its name, else its bytes)."""
    return "sqlite" if is_sqlite(path) else "json"


def open_index(path: Path, cache_dir: Path | None, progress: Progress | None = None) -> Index:
    """The search index of the database at ``path``: the SQLite store itself, or the JSON
    store's cache (fresh, else built now; in memory without a usable cache directory)."""
    from factcheck.store.cache import check_readable, open_json_index

    check_readable(path)
    if kind_of(path) == "sqlite":
        from factcheck.store.sqlite import open_index as open_sqlite

        return open_sqlite(path)
    return open_json_index(path, cache_dir, progress)


class WriteTarget(Protocol):
    """A store being written: the merge target plus what writers ask of it."""

    def by_id(self, claim_id: str) -> Claim | None: ...
    def by_text(self, key: tuple[str, str], text: str, h: int | None = None) -> Claim | None: ...
    def add(self, claim: Claim | Prepared, key: tuple[str, str]) -> None: ...
    def replace(self, old: Claim, new: Claim, key: tuple[str, str] | None) -> None: ...
    def has_id(self, claim_id: str) -> bool: ...

    # The store was empty when the write began: everything in it came from this write.
    fresh: bool

    def remember(self, origin: Origin) -> None:
        """Note where claims were imported from (replacing the earlier note of it)."""
        ...

    @property
    def count(self) -> int: ...


def _json_target(db: Database) -> Any:
    """The merge target of a JSON database held in memory (merge is imported by writers only:
    a search never needs it)."""
    from factcheck.merge import ListTarget

    class JsonTarget(ListTarget):
        def __init__(self, db: Database) -> None:
            super().__init__(db.claims)
            self.origins = {o.key: o for o in db.origins}
            self.fresh = not db.claims

        @property
        def count(self) -> int:
            return len(self.claims)

        def remember(self, origin: Origin) -> None:
            self.origins[origin.key] = origin

    return JsonTarget(db)


@contextmanager
def writing(
    path: Path,
    on_wait: Callable[[], None] | None = None,
    *,
    keep: Callable[[], bool] = lambda: True,
) -> Iterator[WriteTarget]:
    """A change to the database at ``path`` (created if missing), whichever store it is:
    locked against other writers, and kept only if the block ends and ``keep()`` says so.

    JSON: the file is loaded, merged in memory and written back atomically. SQLite: one
    transaction of indexed lookups and row writes. WriteError first if it cannot be written
    (a read-only file or directory, no such directory, not a regular file).
    """
    from factcheck.store.files import check_writable

    check_writable(path, "database")
    if kind_of(path) == "sqlite":
        from factcheck.store.sqlite import writing as sqlite_writing

        with sqlite_writing(path, on_wait, keep=keep) as sqlite_target:
            yield sqlite_target
        return
    with locked(path, on_wait):
        existing = load_database(path) if path.exists() else Database((), (), SCHEMA_VERSION)
        target = _json_target(existing)
        yield target
        if keep():
            db = Database(
                tuple(target.claims),
                existing.speakers,
                existing.version,
                str(path),
                tuple(target.origins.values()),
            )
            write_database(db, path)


def origins(path: Path) -> list[Origin]:
    """What the database at ``path`` remembers importing from (``sources``, ``update``)."""
    from factcheck.store.cache import check_readable

    check_readable(path)
    if kind_of(path) == "sqlite":
        from factcheck.store.sqlite import origins as sqlite_origins

        return sqlite_origins(path)
    stream = stream_database(path)  # the header holds them: no need to read the claims
    if stream is not None:
        found = list(stream.origins)
        stream.close()
        return found
    return list(load_database(path).origins)


def validate(path: Path) -> list[Problem]:
    """Every problem of the database at ``path`` (see ``jsonfile.validate_file`` and
    ``sqlite.validate``); DatabaseError if it cannot be read at all."""
    from factcheck.store.cache import check_readable

    check_readable(path)
    if kind_of(path) == "sqlite":
        from factcheck.store.sqlite import validate as validate_sqlite

        return validate_sqlite(path)
    return validate_file(path)
