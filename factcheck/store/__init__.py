"""Claims databases: where they are, how they are read, validated and written.

- ``records``: the one validator of claims and speakers (load, import, ``validate``).
- ``jsonfile``: the JSON store (the bundled database, hand-edited files).
- ``files``: atomic replacement, backups and the writers' lock, for every write.
"""

from __future__ import annotations

from factcheck.store.files import locked, real_path, replace_atomically
from factcheck.store.jsonfile import (
    ClaimStream,
    LayoutError,
    load_database,
    stream_database,
    validate_file,
    write_database,
)
from factcheck.store.locate import bundled_database, locate_database
from factcheck.store.records import ID_RE, parse_claim, parse_database, parse_speaker

__all__ = [
    "ID_RE",
    "ClaimStream",
    "LayoutError",
    "bundled_database",
    "load_database",
    "locate_database",
    "locked",
    "parse_claim",
    "parse_database",
    "parse_speaker",
    "real_path",
    "replace_atomically",
    "stream_database",
    "validate_file",
    "write_database",
]
