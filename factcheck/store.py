"""Locate, load, validate and atomically write claims databases (JSON)."""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from factcheck.dates import is_partial
from factcheck.errors import DatabaseError
from factcheck.model import (
    SCHEMA_VERSION,
    Claim,
    Database,
    Dispute,
    Problem,
    Related,
    Source,
    Speaker,
    Status,
)

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:#/-]*$")

_CLAIM_KEYS = frozenset(
    {"id", "text", "quote", "speaker", "date", "status", "disputed_by", "sources", "tags"}
    | {"verdict", "related"}
)
_SOURCE_KEYS = frozenset({"kind", "name", "url", "publisher", "date", "ref"})


def bundled_database() -> Path:
    """The database shipped in the wheel, or ``data/claims.json`` in a source checkout."""
    package = Path(__file__).resolve().parent
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
        self._f = f
        self._first = first  # the claim line read ahead to check the layout

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
    # Characters, not bytes: close enough for a progress bar.
    stream.position = sum(len(h) for h in header) + len(_CLAIMS_OPEN) + 1
    return stream


def parse_database(data: Any, where: str = "<database>") -> Database:
    """Validate a decoded JSON document and build a Database."""
    if isinstance(data, list):  # a bare list of claims is accepted too
        data = {"version": SCHEMA_VERSION, "claims": data}
    if not isinstance(data, dict):
        raise DatabaseError("database must be a JSON object with a 'claims' list", where)
    version = data.get("version", SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool):
        raise DatabaseError("'version' must be an integer", f"{where}:version")
    if version > SCHEMA_VERSION:
        raise DatabaseError(
            f"database version {version} is newer than this factcheck supports ({SCHEMA_VERSION})",
            where,
            "upgrade factcheck",
        )
    claims_raw = data.get("claims")
    if not isinstance(claims_raw, list):
        raise DatabaseError("missing or invalid 'claims' list", f"{where}:claims")
    speakers_raw = data.get("speakers", [])
    if not isinstance(speakers_raw, list):
        raise DatabaseError("'speakers' must be a list", f"{where}:speakers")
    speakers = tuple(parse_speaker(s, f"{where}:speakers[{i}]") for i, s in enumerate(speakers_raw))
    claims: list[Claim] = []
    seen: set[str] = set()
    for i, c in enumerate(claims_raw):
        claim = parse_claim(c, f"{where}:claims[{i}]")
        if claim.id in seen:
            raise DatabaseError("duplicate id", f"{where}:claims[{i}] {claim.id!r}.id")
        seen.add(claim.id)
        claims.append(claim)
    return Database(tuple(claims), speakers, version, where)


def _str(obj: dict[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise DatabaseError("missing field", f"{where}.{key}")
        return None
    if not isinstance(value, str):
        raise DatabaseError(f"must be a string, not {type(value).__name__}", f"{where}.{key}")
    if required and not value.strip():
        raise DatabaseError("must not be empty", f"{where}.{key}")
    return value


def _list(obj: dict[str, Any], key: str, where: str) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise DatabaseError(f"must be a list, not {type(value).__name__}", f"{where}.{key}")
    return value


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DatabaseError(f"must be an object, not {type(value).__name__}", where)
    return value


def _strs(obj: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    items = _list(obj, key, where)
    for j, item in enumerate(items):
        if not isinstance(item, str):
            raise DatabaseError("must be a string", f"{where}.{key}[{j}]")
    return tuple(items)


def parse_speaker(value: Any, where: str) -> Speaker:
    obj = _obj(value, where)
    name = _str(obj, "name", where, required=True)
    assert name is not None
    return Speaker(name, _strs(obj, "aliases", where), _str(obj, "role", where))


def parse_claim(value: Any, where: str) -> Claim:
    """Validate one claim record; ``where`` names it in errors (file:claims[i])."""
    obj = _obj(value, where)
    raw_id = obj.get("id")
    if isinstance(raw_id, str):
        where = f"{where} {raw_id!r}"
    unknown = set(obj) - _CLAIM_KEYS
    if unknown:
        raise DatabaseError("unknown field", f"{where}.{sorted(unknown)[0]}")
    cid = _str(obj, "id", where, required=True)
    text = _str(obj, "text", where, required=True)
    speaker = _str(obj, "speaker", where, required=True)
    assert cid is not None and text is not None and speaker is not None
    if not ID_RE.match(cid):
        raise DatabaseError("id may hold only letters, digits and . _ : # / -", f"{where}.id")
    date = _str(obj, "date", where)
    if date is not None and not is_partial(date):
        raise DatabaseError(
            f"bad date {date!r}, expected YYYY, YYYY-MM or YYYY-MM-DD", f"{where}.date"
        )
    status_raw = _str(obj, "status", where) or Status.UNDISPUTED.value
    try:
        status = Status(status_raw)
    except ValueError:
        choices = ", ".join(s.value for s in Status)
        raise DatabaseError(
            f"bad status {status_raw!r} (one of {choices})", f"{where}.status"
        ) from None
    disputes = []
    for j, d in enumerate(_list(obj, "disputed_by", where)):
        dw = f"{where}.disputed_by[{j}]"
        dobj = _obj(d, dw)
        dspeaker = _str(dobj, "speaker", dw, required=True)
        dtext = _str(dobj, "text", dw) or ""
        assert dspeaker is not None
        disputes.append(Dispute(dspeaker, dtext, _str(dobj, "claim", dw)))
    sources = []
    for j, s in enumerate(_list(obj, "sources", where)):
        sw = f"{where}.sources[{j}]"
        sobj = _obj(s, sw)
        bad = set(sobj) - _SOURCE_KEYS
        if bad:
            raise DatabaseError("unknown field", f"{sw}.{sorted(bad)[0]}")
        sdate = _str(sobj, "date", sw)
        if sdate is not None and not is_partial(sdate):
            raise DatabaseError(f"bad date {sdate!r}", f"{sw}.date")
        sources.append(
            Source(
                _str(sobj, "kind", sw) or "web",
                _str(sobj, "name", sw),
                _str(sobj, "url", sw),
                _str(sobj, "publisher", sw),
                sdate,
                _str(sobj, "ref", sw),
            )
        )
    related = []
    for j, r in enumerate(_list(obj, "related", where)):
        rw = f"{where}.related[{j}]"
        robj = _obj(r, rw)
        rid = _str(robj, "id", rw, required=True)
        rel = _str(robj, "relation", rw) or "related"
        assert rid is not None
        related.append(Related(rid, rel))
    return Claim(
        id=cid,
        text=text,
        speaker=speaker,
        status=status,
        date=date,
        quote=_str(obj, "quote", where),
        disputed_by=tuple(disputes),
        sources=tuple(sources),
        tags=_strs(obj, "tags", where),
        verdict=_str(obj, "verdict", where),
        related=tuple(related),
    )


def write_database(db: Database, path: str | os.PathLike[str], *, backup: bool = True) -> None:
    """Write atomically: temp file in the same directory, fsync, rename, fsync the directory.

    With ``backup`` the previous file is kept as ``<name>.bak`` (a hard link, so no copy and
    no moment without a database). A crash at any point leaves either the old or the new file.
    """
    import tempfile  # only writers pay for it

    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            _dump(db, f)
            f.flush()
            os.fsync(f.fileno())
        _match_mode(tmp, target)
        if backup and target.exists():
            _keep_backup(target)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some platforms cannot open directories; the rename is still atomic
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_text_atomically(target: Path, write: Callable[[Any], int]) -> int:
    """Call ``write(stream)`` on a temp file beside ``target``, then rename it into place."""
    import tempfile

    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            count = write(f)
            f.flush()
            os.fsync(f.fileno())
        _match_mode(tmp, target)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def _match_mode(tmp: str, target: Path) -> None:
    """mkstemp creates 0600 files: give the new file the old one's mode (or the umask's)."""
    import stat

    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)


def _dump(db: Database, out: Any) -> None:
    """The database document, one claim per line: diff-friendly and never one huge string."""
    out.write(f'{{\n  "version": {db.version},\n  "speakers": ')
    out.write(json.dumps([s.to_dict() for s in db.speakers], ensure_ascii=False, indent=2))
    out.write(',\n  "claims": [')
    for i, claim in enumerate(db.claims):
        out.write(",\n    " if i else "\n    ")
        out.write(json.dumps(claim.to_dict(), ensure_ascii=False))
    out.write("\n  ]\n}\n" if db.claims else "]\n}\n")


def _keep_backup(target: Path) -> None:
    backup = target.with_name(target.name + ".bak")
    link = target.with_name(f".{target.name}.bak.{os.getpid()}")
    link.unlink(missing_ok=True)
    try:
        try:
            os.link(target, link)
        except OSError:  # no hard links here: copy instead
            import shutil

            shutil.copy2(target, link)
        os.replace(link, backup)
    finally:
        link.unlink(missing_ok=True)


@contextmanager
def locked(
    path: str | os.PathLike[str], on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold ``<db>.lock`` while reading, merging and writing, so two writers never lose records.

    An advisory ``flock``: the kernel releases it when the process dies (even by kill -9), so a
    crash never leaves a stale lock. A second writer waits (``on_wait`` is told) and then reads
    the database the first one wrote.
    """
    lock_path = Path(f"{path}.lock")
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            import fcntl
        except ImportError:  # Windows: no flock; writes are still atomic
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


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
