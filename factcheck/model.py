"""Records of the claims database and of match results.

Each record has ``to_dict()``, which is the JSON contract (keys are added, never renamed).
Records are NamedTuples: immutable like frozen dataclasses, but about ten times cheaper to
define, which matters for a command that starts on every query.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, NamedTuple

SCHEMA_VERSION = 1


class Status(str, Enum):
    DISPUTED = "disputed"
    UNDISPUTED = "undisputed"
    UNVERIFIED = "unverified"  # imported data whose verdict maps to neither


class Speaker(NamedTuple):
    name: str
    aliases: tuple[str, ...] = ()
    role: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "aliases": list(self.aliases), "role": self.role}


class Source(NamedTuple):
    """Where a claim was reported. Only what the source itself says; never a made-up URL."""

    kind: str  # report | statement | social-media | data | fact-check | web
    name: str | None = None
    url: str | None = None
    publisher: str | None = None
    date: str | None = None
    ref: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "url": self.url,
            "publisher": self.publisher,
            "date": self.date,
            "ref": self.ref,
        }


class Dispute(NamedTuple):
    """Someone who disputes a claim and what they say instead."""

    speaker: str
    text: str
    claim: str | None = None  # id of the disputing party's own record

    def to_dict(self) -> dict[str, Any]:
        return {"speaker": self.speaker, "text": self.text, "claim": self.claim}


class Related(NamedTuple):
    id: str
    relation: str  # updates | updated-by | contradicts | same-event

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "relation": self.relation}


class Claim(NamedTuple):
    id: str
    text: str
    speaker: str
    status: Status
    date: str | None = None
    quote: str | None = None
    disputed_by: tuple[Dispute, ...] = ()
    sources: tuple[Source, ...] = ()
    tags: tuple[str, ...] = ()
    verdict: str | None = None
    related: tuple[Related, ...] = ()

    @property
    def disputed(self) -> bool:
        return self.status is Status.DISPUTED

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "quote": self.quote,
            "speaker": self.speaker,
            "date": self.date,
            "status": self.status.value,
            "disputed_by": [d.to_dict() for d in self.disputed_by],
            "sources": [s.to_dict() for s in self.sources],
            "tags": list(self.tags),
            "verdict": self.verdict,
            "related": [r.to_dict() for r in self.related],
        }


class Origin(NamedTuple):
    """Where claims were imported from, remembered so that ``update`` can fetch it again:
    a URL (``kind`` "url") or a Fact Check Tools API query (``kind`` "api", its parameters in
    ``params``; the API key is never stored). ``etag``/``last_modified`` make the next fetch
    conditional; the counts are those of the last import from it."""

    kind: str  # url | api
    location: str  # the URL, or the API query text
    params: tuple[tuple[str, str], ...] = ()  # api: language, max_age_days, site, limit
    format: str | None = None  # the import format it was read as
    etag: str | None = None
    last_modified: str | None = None
    fetched: str | None = None  # ISO 8601 UTC time of the last fetch
    read: int = 0
    added: int = 0
    updated: int = 0  # merged, changed or updated
    status: str = "ok"  # ok, not modified, or the last error's message

    @property
    def key(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        return self.kind, self.location, self.params

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "location": self.location,
            "params": dict(self.params),
            "format": self.format,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "fetched": self.fetched,
            "read": self.read,
            "added": self.added,
            "updated": self.updated,
            "status": self.status,
        }


class Database:
    """A loaded claims database. ``path`` is where it came from (None if built in memory)."""

    __slots__ = ("_by_id", "_speakers", "claims", "origins", "path", "speakers", "version")

    def __init__(
        self,
        claims: tuple[Claim, ...],
        speakers: tuple[Speaker, ...] = (),
        version: int = SCHEMA_VERSION,
        path: str | None = None,
        origins: tuple[Origin, ...] = (),
    ) -> None:
        self.claims = claims
        self.speakers = speakers
        self.version = version
        self.path = path
        self.origins = origins
        self._by_id = {c.id: c for c in claims}
        self._speakers = {s.name: s for s in speakers}

    def get(self, claim_id: str) -> Claim | None:
        return self._by_id.get(claim_id)

    def speaker(self, name: str) -> Speaker | None:
        return self._speakers.get(name)

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "version": self.version,
            "speakers": [s.to_dict() for s in self.speakers],
        }
        if self.origins:  # a key only databases that were imported into have
            doc["origins"] = [o.to_dict() for o in self.origins]
        doc["claims"] = [c.to_dict() for c in self.claims]
        return doc


class Problem(NamedTuple):
    """One problem ``validate`` found: which record (``where``), which field, and what."""

    where: str  # "db.json:claims[3] 'some-id'", or the file for a problem of the whole file
    field: str | None  # "sources[0].url", or None
    message: str

    def __str__(self) -> str:
        return (
            f"{self.where}.{self.field}: {self.message}"
            if self.field
            else (f"{self.where}: {self.message}")
        )

    def to_dict(self) -> dict[str, Any]:
        return {"where": self.where, "field": self.field, "message": self.message}


class Note(NamedTuple):
    """How a query departs from a matched record (filled by the analysis step)."""

    kind: str  # number | speaker | negation | date
    message: str
    details: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, **(self.details or {})}


class Match(NamedTuple):
    score: float  # calibrated 0-100
    claim: Claim
    notes: tuple[Note, ...] = ()
    speaker: Speaker | None = None
    verdict: str | None = None  # same | differs | contradicts | related (see analyze.verdict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "claim": self.claim.to_dict(),
            "notes": [n.to_dict() for n in self.notes],
            "verdict": self.verdict,
        }
