"""Our own claim records, one JSON object per line (the database's ``claims[]`` schema).

Each line is validated with ``store.parse_claim``, so an unknown field, a bad id or a bad date
is an error record naming the line, the record's id and the field. Blank lines are skipped.
A whole database file (``{"version": 1, "claims": [...]}``) or a JSON list of records is read
too, located as ``file:claims[i]``. The writer emits ``Claim.to_dict()`` with non-ASCII kept
(but C1 and bidi controls escaped, see ``safejson.dumps``); reading it back gives equal claims.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TextIO

from factcheck.errors import DatabaseError
from factcheck.formats import Input, JsonValue, LineSource, Record, guarded, json_values
from factcheck.model import Claim
from factcheck.safejson import dumps
from factcheck.store import parse_claim

# A database document's claims are read one at a time (see formats.json_values).
SPINE = ("claims",)


def read(
    stream: Input, *, source: str, verdicts: Mapping[str, str] | None = None
) -> Iterator[Record]:
    """Validated claims, one per line. ``verdicts`` is accepted for a uniform signature only:
    records carry their own status."""
    del verdicts
    return guarded(_read(LineSource(stream), source), source)


def _read(lines: LineSource, source: str) -> Iterator[Record]:
    for item in json_values(lines, SPINE):
        yield from records_of(item, source)


def records_of(item: JsonValue, source: str) -> Iterator[Record]:
    """The records of one JSON value of the input (a line, a document's part)."""
    if item.error is not None:
        yield Record(f"{source}:{item.line}", None, item.error)
        return
    value = item.value
    where = f"{source}:{item.line} " if item.line else f"{source}:"
    part = item.part
    if part is not None and part[0] != "{}":  # an element of a document's claims list
        yield _record(value, f"{where}claims[{part[1]}]")
        return
    if part is not None and "claims" in part[1]:  # the rest of a database document
        if "text" in value:
            yield Record(f"{where}claims", None, "a database file holds no 'text' field")
        return
    if isinstance(value, dict) and "claims" in value and "text" not in value:
        value = value["claims"]  # a database file
        if not isinstance(value, list):
            yield Record(f"{where}claims", None, "'claims' must be a list")
            return
    if isinstance(value, list):  # a database file or a bare list of records
        for i, record in enumerate(value):
            yield _record(record, f"{where}claims[{i}]")
    else:
        yield _record(value, where.rstrip(": "))


def _record(value: object, where: str) -> Record:
    try:
        return Record(where, parse_claim(value, where), None)
    except DatabaseError as e:
        return Record(e.where or where, None, e.message)


def write(claims: Iterable[Claim], out: TextIO) -> int:
    """One JSON object per line; returns how many claims were written."""
    count = 0
    for claim in claims:
        out.write(dumps(claim.to_dict()))
        out.write("\n")
        count += 1
    return count
