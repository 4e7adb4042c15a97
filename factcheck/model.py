"""Records of the claims database and of match results.

Each record has ``to_dict()``, which is the JSON contract (keys are added, never renamed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

SCHEMA_VERSION = 1


class Status(str, Enum):
    DISPUTED = "disputed"
    UNDISPUTED = "undisputed"
    UNVERIFIED = "unverified"  # imported data whose verdict maps to neither


@dataclass(frozen=True, slots=True)
class Speaker:
    name: str
    aliases: tuple[str, ...] = ()
    role: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "aliases": list(self.aliases), "role": self.role}


@dataclass(frozen=True, slots=True)
class Source:
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


@dataclass(frozen=True, slots=True)
class Dispute:
    """Someone who disputes a claim and what they say instead."""

    speaker: str
    text: str
    claim: str | None = None  # id of the disputing party's own record

    def to_dict(self) -> dict[str, Any]:
        return {"speaker": self.speaker, "text": self.text, "claim": self.claim}


@dataclass(frozen=True, slots=True)
class Related:
    id: str
    relation: str  # updates | updated-by | contradicts | same-event

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "relation": self.relation}


@dataclass(frozen=True, slots=True)
class Claim:
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


@dataclass(frozen=True, slots=True)
class Database:
    """A loaded claims database. ``path`` is where it came from (None if built in memory)."""

    claims: tuple[Claim, ...]
    speakers: tuple[Speaker, ...] = ()
    version: int = SCHEMA_VERSION
    path: str | None = None
    _by_id: dict[str, Claim] = field(default_factory=dict, compare=False, repr=False)
    _speakers: dict[str, Speaker] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update((c.id, c) for c in self.claims)
        self._speakers.update((s.name, s) for s in self.speakers)

    def get(self, claim_id: str) -> Claim | None:
        return self._by_id.get(claim_id)

    def speaker(self, name: str) -> Speaker | None:
        return self._speakers.get(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "speakers": [s.to_dict() for s in self.speakers],
            "claims": [c.to_dict() for c in self.claims],
        }


@dataclass(frozen=True, slots=True)
class Note:
    """How a query departs from a matched record (filled by the analysis step)."""

    kind: str  # number | speaker | negation | date
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, **self.details}


@dataclass(frozen=True, slots=True)
class Match:
    score: float  # calibrated 0-100
    claim: Claim
    notes: tuple[Note, ...] = ()
    speaker: Speaker | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "claim": self.claim.to_dict(),
            "notes": [n.to_dict() for n in self.notes],
        }
