"""Records as stored: the one validator of claims and speakers (on load, on import and in
``validate``), naming file, record and field in every error."""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from factcheck.dates import is_partial
from factcheck.errors import DatabaseError
from factcheck.model import (
    SCHEMA_VERSION,
    Claim,
    Database,
    Dispute,
    Origin,
    Related,
    Source,
    Speaker,
    Status,
)
from factcheck.safejson import escape

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:#/-]*$")

_CLAIM_KEYS = frozenset(
    {"id", "text", "quote", "speaker", "date", "status", "disputed_by", "sources", "tags"}
    | {"verdict", "related"}
)
_SOURCE_KEYS = frozenset({"kind", "name", "url", "publisher", "date", "ref"})


def parse_database(data: Any, where: str = "<database>") -> Database:
    """Validate a decoded JSON document and build a Database."""
    data = document(data, where)
    version = parse_version(data, where)
    speakers = tuple(
        parse_speaker(s, f"{where}:speakers[{i}]") for i, s in enumerate(speakers_of(data, where))
    )
    origins = tuple(
        parse_origin(o, f"{where}:origins[{i}]") for i, o in enumerate(origins_of(data, where))
    )
    claims_raw = claims_of(data, where)
    claims: list[Claim] = []
    seen: set[str] = set()
    for i, c in enumerate(claims_raw):
        claim = parse_claim(c, f"{where}:claims[{i}]")
        if claim.id in seen:
            raise DatabaseError("duplicate id", f"{where}:claims[{i}] {claim.id!r}.id")
        seen.add(claim.id)
        claims.append(claim)
    return Database(tuple(claims), speakers, version, where, origins)


# The document's parts, each checked by one function that load, stream and ``validate`` share
# (``validate`` calls each and goes on past a problem; the loaders stop at the first).


def document(data: Any, where: str) -> dict[str, Any]:
    """The database document: an object, or a bare list of claims taken as one."""
    if isinstance(data, list):  # a bare list of claims is accepted too
        return {"version": SCHEMA_VERSION, "claims": data}
    if not isinstance(data, dict):
        raise DatabaseError("database must be a JSON object with a 'claims' list", where)
    return data


def parse_version(data: dict[str, Any], where: str) -> int:
    version = data.get("version", SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool):
        raise DatabaseError(
            f"'version' must be an integer, not {type(version).__name__}", f"{where}:version"
        )
    if version > SCHEMA_VERSION:
        raise DatabaseError(
            f"database version {version} is newer than this factcheck supports ({SCHEMA_VERSION})",
            where,
            "upgrade factcheck",
        )
    if version < 1:
        raise DatabaseError(f"bad database version {version}", f"{where}:version")
    return version


def _list_of(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise DatabaseError(f"'{key}' must be a list, not {type(value).__name__}", f"{where}:{key}")
    return value


def speakers_of(data: dict[str, Any], where: str) -> list[Any]:
    return _list_of(data, "speakers", where)


def origins_of(data: dict[str, Any], where: str) -> list[Any]:
    return _list_of(data, "origins", where)


def claims_of(data: dict[str, Any], where: str) -> list[Any]:
    claims = data.get("claims")
    if not isinstance(claims, list):
        raise DatabaseError("missing or invalid 'claims' list", f"{where}:claims")
    return claims


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


def parse_origin(value: Any, where: str) -> Origin:
    """Validate one remembered import source (``origins[]``)."""
    obj = _obj(value, where)
    kind = _str(obj, "kind", where, required=True)
    location = _str(obj, "location", where, required=True)
    assert kind is not None and location is not None
    if kind not in ("url", "api"):
        raise DatabaseError(f"bad kind {kind!r} (url or api)", f"{where}.kind")
    params = obj.get("params") or {}
    if not isinstance(params, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in params.items()
    ):
        raise DatabaseError("must be an object of strings", f"{where}.params")

    def count(key: str) -> int:
        n = obj.get(key, 0)
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise DatabaseError("must be a count", f"{where}.{key}")
        return n

    return Origin(
        kind=kind,
        location=location,
        params=tuple(sorted(params.items())),
        format=_str(obj, "format", where),
        etag=_str(obj, "etag", where),
        last_modified=_str(obj, "last_modified", where),
        fetched=_str(obj, "fetched", where),
        read=count("read"),
        added=count("added"),
        updated=count("updated"),
        status=_str(obj, "status", where) or "ok",
    )


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


_STATUS = {s.value: s for s in Status}


def decode_claim(raw: str) -> Claim:
    """A claim from JSON that a store wrote itself (validated when it was written): built
    directly, without checking each field again. Anything else goes through ``parse_claim``.
    """
    d = json.loads(raw)
    return Claim(
        d["id"],
        d["text"],
        d["speaker"],
        _STATUS[d["status"]],
        d["date"],
        d["quote"],
        tuple(Dispute(x["speaker"], x["text"], x["claim"]) for x in d["disputed_by"]),
        tuple(
            Source(s["kind"], s["name"], s["url"], s["publisher"], s["date"], s["ref"])
            for s in d["sources"]
        ),
        tuple(d["tags"]),
        d["verdict"],
        tuple(Related(r["id"], r["relation"]) for r in d["related"]),
    )


def encode_claim(claim: Claim) -> str:
    """The stored form of a claim: its JSON contract, non-ASCII kept. A change to
    ``Claim.to_dict`` must bump ``index.INDEX_FORMAT`` so stores re-encode their rows (a
    listing in JSON passes them through: ``Encoded``)."""
    return json.dumps(claim.to_dict(), ensure_ascii=False)


class Encoded(NamedTuple):
    """A claim as a store wrote it (``encode_claim``), not decoded: a JSON listing writes
    ``to_json()``, the very text ``safejson.dumps(claim.to_dict())`` gives, at a fraction of
    the cost of decoding and encoding again (``disputed --jsonl`` over a million claims)."""

    raw: str

    def to_json(self) -> str:
        return escape(self.raw)

    def to_dict(self) -> dict[str, Any]:
        return decode_claim(self.raw).to_dict()


class Prepared(NamedTuple):
    """A claim with what storing and indexing it takes, computed from the claim alone
    (``index.prepare``; a big import computes it in worker processes, see
    ``factcheck.prepare``). ``claim`` decodes the record from ``encoded`` only when a merge
    needs it whole."""

    id: str
    text: str
    speaker: str
    norm: str  # normalize(text): the text of the merge key
    key: int  # merge_key(norm, speaker)
    encoded: str  # encode_claim: the stored JSON
    text_terms: str
    title_terms: str
    superseded: int
    status: str
    date_lo: str | None
    date_hi: str | None
    tags: tuple[str, ...]

    @property
    def claim(self) -> Claim:
        return decode_claim(self.encoded)


def claim_of(item: Claim | Prepared) -> Claim:
    """The claim itself, decoded if it came prepared."""
    return item.claim if isinstance(item, Prepared) else item
