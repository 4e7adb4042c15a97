"""The JSON store: a database file, read whole or streamed one claim per line, and written
atomically in the layout that streams."""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from factcheck.errors import DatabaseError
from factcheck.model import (
    Claim,
    Database,
    Origin,
    Problem,
    Speaker,
)
from factcheck.store.files import replace_atomically
from factcheck.store.locate import bundled_database
from factcheck.store.records import parse_claim, parse_database, parse_speaker


def load_database(path: str | os.PathLike[str] | None = None) -> Database:
    """Read and validate a database file; raise DatabaseError naming file, record and field."""
    p = Path(path) if path is not None else bundled_database()
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise DatabaseError(
            "database not found", str(p), "pass --db PATH or set FACTCHECK_DB"
        ) from None
    except IsADirectoryError:
        raise DatabaseError("database is a directory, not a file", str(p)) from None
    except OSError as e:
        raise DatabaseError(f"cannot read database: {e.strerror}", str(p)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DatabaseError(f"database is not UTF-8 (byte {e.start})", str(p)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise DatabaseError(f"invalid JSON: {e.msg}", f"{p}:{e.lineno}:{e.colno}") from None
    return parse_database(data, str(p))


class LayoutError(DatabaseError):
    """The file is valid JSON but not laid out one claim per line: load it whole instead."""


class ClaimStream:
    """A database file read one claim at a time, for indexing big files in little memory.

    Works on the layout ``write_database`` produces (a header, then one claim per line);
    ``stream_database`` returns None for any other layout, and the caller loads it whole.
    Records are validated as ``load_database`` does; ``position`` is the bytes read so far.
    """

    def __init__(
        self, path: Path, f: Any, first: str, version: int, speakers: tuple[Speaker, ...]
    ) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.position = 0
        self.version = version
        self.speakers = speakers
        self.origins: tuple[Origin, ...] = ()  # set by stream_database from the header
        self._f = f
        self._first = first  # the claim line read ahead to check the layout

    def close(self) -> None:
        self._f.close()

    @property
    def claims(self) -> Iterator[Claim]:
        seen: set[str] = set()
        where = str(self.path)
        try:
            for i, line in enumerate(itertools.chain([self._first], self._f)):
                self.position += len(line)
                text = line.strip()
                if text in ("]", "}", ""):
                    continue
                try:
                    raw = json.loads(text.removesuffix(","))
                except json.JSONDecodeError:
                    raise LayoutError("not one claim per line", f"{where}:claims[{i}]") from None
                claim = parse_claim(raw, f"{where}:claims[{i}]")
                if claim.id in seen:
                    raise DatabaseError("duplicate id", f"{where}:claims[{i}] {claim.id!r}.id")
                seen.add(claim.id)
                yield claim
        finally:
            self._f.close()


_CLAIMS_OPEN = '  "claims": ['


def stream_database(path: Path) -> ClaimStream | None:
    """A ClaimStream over ``path`` if it has the one-claim-per-line layout, else None."""
    try:
        f = path.open(encoding="utf-8-sig")
        header: list[str] = []
        for line in f:
            if line.rstrip("\r\n") == _CLAIMS_OPEN:
                break
            header.append(line)
            if len(header) > 100_000:  # not our layout: do not read a big file line by line
                raise ValueError("no claims list near the top")
        else:
            raise ValueError("no claims list")
        head = json.loads("".join(header) + '"claims": []}')
        db = parse_database(head, str(path))
        first = f.readline()
        if first.strip() not in ("]", ""):
            json.loads(first.strip().removesuffix(","))  # one whole claim per line?
    except (ValueError, DatabaseError):  # UnicodeDecodeError and JSONDecodeError included
        f.close()
        return None
    stream = ClaimStream(path, f, first, db.version, db.speakers)
    stream.origins = db.origins
    # Characters, not bytes: close enough for a progress bar.
    stream.position = sum(len(h) for h in header) + len(_CLAIMS_OPEN) + 1
    return stream


def write_database(db: Database, path: str | os.PathLike[str], *, backup: bool = True) -> None:
    """Write ``db`` atomically (see ``files.replace_atomically``), one claim per line; with
    ``backup`` the previous file stays as ``<name>.bak``."""
    replace_atomically(path, lambda out: _dump(db, out), backup=backup)


def _dump(db: Database, out: Any) -> None:
    """The database document, one claim per line: diff-friendly and never one huge string."""
    out.write(f'{{\n  "version": {db.version},\n  "speakers": ')
    out.write(json.dumps([s.to_dict() for s in db.speakers], ensure_ascii=False, indent=2))
    if db.origins:  # before the claims: read with the header, without the claims
        out.write(',\n  "origins": ')
        out.write(json.dumps([o.to_dict() for o in db.origins], ensure_ascii=False, indent=2))
    out.write(',\n  "claims": [')
    for i, claim in enumerate(db.claims):
        out.write(",\n    " if i else "\n    ")
        out.write(json.dumps(claim.to_dict(), ensure_ascii=False))
    out.write("\n  ]\n}\n" if db.claims else "]\n}\n")


def validate_file(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem in a database file, as records (``str()`` of one is its line).

    Unlike ``load_database``, which stops at the first problem, this goes on: each record's
    first schema problem, then duplicate ids, dangling ``claim``/``related`` ids, sources
    whose URL is not http(s), and speakers missing from a non-empty speakers list.
    """
    p = Path(path)
    try:
        data = json.loads(p.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise DatabaseError("database not found", str(p)) from None
    except UnicodeDecodeError as e:
        return [Problem(str(p), None, f"not UTF-8 (byte {e.start})")]
    except json.JSONDecodeError as e:
        return [Problem(f"{p}:{e.lineno}:{e.colno}", None, f"invalid JSON: {e.msg}")]
    if isinstance(data, list):
        data = {"claims": data}
    if not isinstance(data, dict) or not isinstance(data.get("claims"), list):
        return [Problem(str(p), "claims", "missing or invalid 'claims' list")]
    problems: list[Problem] = []
    speakers: list[Speaker] = []
    for i, raw in enumerate(data.get("speakers") or []):
        try:
            speakers.append(parse_speaker(raw, f"{p}:speakers[{i}]"))
        except DatabaseError as e:  # noqa: PERF203 - validation goes on past each bad record
            problems.append(_problem(e, str(p)))
    claims: list[tuple[str, Claim]] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(data["claims"]):
        where = f"{p}:claims[{i}]"
        try:
            claim = parse_claim(raw, where)
        except DatabaseError as e:
            problems.append(_problem(e, where))
            continue
        where = f"{where} {claim.id!r}"
        if claim.id in seen:
            problems.append(
                Problem(where, "id", f"duplicate id (first at claims[{seen[claim.id]}])")
            )
        seen.setdefault(claim.id, i)
        claims.append((where, claim))
    names = {s.name for s in speakers}
    for where, c in claims:
        for j, d in enumerate(c.disputed_by):
            if d.claim is not None and d.claim not in seen:
                problems.append(
                    Problem(where, f"disputed_by[{j}].claim", f"no claim with id {d.claim!r}")
                )
            if names and d.speaker not in names:
                problems.append(
                    Problem(where, f"disputed_by[{j}].speaker", f"{d.speaker!r} not in speakers")
                )
        for j, r in enumerate(c.related):
            if r.id not in seen:
                problems.append(Problem(where, f"related[{j}].id", f"no claim with id {r.id!r}"))
        for j, s in enumerate(c.sources):
            if s.url is not None and not s.url.startswith(("http://", "https://")):
                problems.append(
                    Problem(where, f"sources[{j}].url", f"not an http(s) URL: {s.url!r}")
                )
        if names and c.speaker not in names:
            problems.append(Problem(where, "speaker", f"{c.speaker!r} not in speakers"))
    return problems


_RECORD = re.compile(r"^(?P<record>.*?(?:speakers|claims)\[\d+\](?: '[^']*')?)\.(?P<field>.+)$")


def _problem(e: DatabaseError, record: str) -> Problem:
    """A record's first schema problem: its location split into record and field."""
    m = _RECORD.match(e.where or "")
    if m:
        return Problem(m["record"], m["field"], e.message)
    return Problem(e.where or record, None, e.message)
