"""The JSON store: a database file, read whole or streamed one claim per line, and written
atomically in the layout that streams.

Every way in (``load_database``, ``stream_database``, ``validate_file``) checks the same things
with the same validator (``records``): a regular file of at most ``MAX_SIZE`` bytes, JSON that
``safejson`` accepts (no integer literal Python cannot read, no NaN, no lone surrogate, nesting
under about 1,000 levels), the document's parts, and each record. A streamed file must end as
``write_database`` ends it: a file cut short, even at a line boundary, is an error, never a
database with fewer claims.
"""

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
from factcheck.safejson import Decoder, JsonProblem
from factcheck.safejson import loads as safe_loads
from factcheck.store.files import check_database_file, replace_atomically
from factcheck.store.locate import bundled_database
from factcheck.store.records import (
    claims_of,
    document,
    origins_of,
    parse_claim,
    parse_database,
    parse_origin,
    parse_speaker,
    parse_version,
    speakers_of,
)

# A JSON database is read whole to write it (and by ``validate``), at several times its size in
# memory: a bigger one is refused with a message saying how to go on (a SQLite database, or a
# higher limit). Read at call time: the command line sets it from FACTCHECK_MAX_DB_SIZE.
DEFAULT_MAX_SIZE = 512 * 2**20
MAX_SIZE = DEFAULT_MAX_SIZE
# One line of the streamed layout: a claim record is far smaller; a longer line is not ours.
MAX_LINE = 16 * 2**20


def load_database(path: str | os.PathLike[str] | None = None) -> Database:
    """Read and validate a database file; raise DatabaseError naming file, record and field."""
    p = Path(path) if path is not None else bundled_database()
    return parse_database(_read_json(p), str(p))


def _read_text(p: Path) -> str:
    check_database_file(p, max_size=MAX_SIZE)
    try:
        with p.open("rb") as f:
            head = f.read(4096).removeprefix(b"\xef\xbb\xbf").lstrip()
            if head and head[:1] not in (b"{", b"["):  # not JSON: say so before reading it all
                raise DatabaseError(
                    f"not a JSON database: it starts with {head[:8]!r}", str(p), "give another --db"
                )
            f.seek(0)
            raw = f.read(MAX_SIZE + 1)  # the file may have grown since it was checked
    except OSError as e:
        raise DatabaseError(f"cannot read database: {e.strerror or e}", str(p)) from None
    if len(raw) > MAX_SIZE:
        check_database_file(p, max_size=MAX_SIZE)  # says how big it is now
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DatabaseError(f"database is not UTF-8 (byte {e.start})", str(p)) from None


def _read_json(p: Path) -> Any:
    return safe_loads(_read_text(p), str(p), error=DatabaseError)


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
        self._closed = False  # the document's closing "}" was read

    def close(self) -> None:
        self._f.close()

    @property
    def claims(self) -> Iterator[Claim]:
        seen: set[str] = set()
        where = str(self.path)
        decoder = Decoder()
        ended = False  # the claims list's closing "]" was read
        try:
            for i, line in enumerate(itertools.chain([self._first], _lines(self._f))):
                self.position += len(line)
                text = line.strip()
                if ended or text in ("]", "}", ""):
                    ended = self._after_claims(text, ended, f"{where}:claims[{i}]")
                    continue
                try:
                    raw = decoder.decode(text.removesuffix(","))
                except JsonProblem as p:
                    if p.syntax:
                        raise LayoutError(
                            "not one claim per line", f"{where}:claims[{i}]"
                        ) from None
                    raise DatabaseError(p.message, f"{where}:claims[{i}]") from None
                claim = parse_claim(raw, f"{where}:claims[{i}]")
                if claim.id in seen:
                    raise DatabaseError("duplicate id", f"{where}:claims[{i}] {claim.id!r}.id")
                seen.add(claim.id)
                yield claim
            if not self._closed:
                raise DatabaseError(
                    "database is cut short: the claims list does not end",
                    where,
                    "the file is incomplete; restore it (e.g. from its .bak) or export it again",
                )
        finally:
            self._f.close()

    def _after_claims(self, text: str, ended: bool, where: str) -> bool:
        """Check the lines after the last claim: "]", then "}", then nothing but blanks."""
        if text == "":
            return ended
        if text == "]" and not ended:
            return True
        if text == "}" and ended and not self._closed:
            self._closed = True
            return True
        raise DatabaseError("text after the end of the database", where)


def _lines(f: Any) -> Iterator[str]:
    """The lines of ``f``, each at most MAX_LINE characters (a longer one: not our layout)."""
    while True:
        line = f.readline(MAX_LINE + 1)
        if not line:
            return
        if len(line) > MAX_LINE:
            raise LayoutError(f"a line longer than {MAX_LINE:,} characters", None)
        yield line


_CLAIMS_OPEN = '  "claims": ['


def stream_database(path: Path) -> ClaimStream | None:
    """A ClaimStream over ``path`` if it has the one-claim-per-line layout, else None."""
    check_database_file(path, max_size=MAX_SIZE)
    try:
        f = path.open(encoding="utf-8-sig")
    except OSError as e:
        raise DatabaseError(f"cannot read database: {e.strerror or e}", str(path)) from None
    try:
        header: list[str] = []
        lines = _lines(f)
        for line in lines:
            if line.rstrip("\r\n") == _CLAIMS_OPEN:
                break
            header.append(line)
            if len(header) > 100_000:  # not our layout: do not read a big file line by line
                raise ValueError("no claims list near the top")
        else:
            raise ValueError("no claims list")
        head = Decoder().decode("".join(header) + '"claims": []}')
        db = parse_database(head, str(path))
        first = next(lines, "")
        if first.strip() not in ("]", ""):
            Decoder().decode(first.strip().removesuffix(","))  # one whole claim per line?
    except (ValueError, DatabaseError):  # UnicodeDecodeError, JsonProblem, LayoutError too
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
        text = _read_text(p)
    except DatabaseError as e:
        if "not UTF-8" not in e.message:
            raise  # missing, not a regular file, too big: the file cannot be validated at all
        return [Problem(str(p), None, e.message.removeprefix("database is "))]
    try:
        data = safe_loads(text, str(p), error=DatabaseError)
    except DatabaseError as e:
        return [Problem(e.where or str(p), None, e.message)]
    problems: list[Problem] = []
    where = str(p)
    try:
        data = document(data, where)
        claims_raw = claims_of(data, where)
    except DatabaseError as e:
        return [_problem(e, where)]
    try:
        parse_version(data, where)
    except DatabaseError as e:
        problems.append(_problem(e, where))
    speakers: list[Speaker] = []
    for part, parse in (("speakers", parse_speaker), ("origins", parse_origin)):
        try:
            items = (speakers_of if part == "speakers" else origins_of)(data, where)
        except DatabaseError as e:
            problems.append(_problem(e, where))
            continue
        for i, raw in enumerate(items):
            try:
                item = parse(raw, f"{p}:{part}[{i}]")
            except DatabaseError as e:
                problems.append(_problem(e, str(p)))
                continue
            if isinstance(item, Speaker):
                speakers.append(item)
    claims: list[tuple[str, Claim]] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(claims_raw):
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
