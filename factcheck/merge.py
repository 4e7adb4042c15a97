"""Merge imported claims into a database (pure: values in, a new Database out).

Each incoming claim is handled in order, against the database as it stands so far (so
duplicates inside the batch merge too):

* **same id** as a stored record: an update from the same origin (readers derive ids from
  the origin: ``liar-<n>``, ``cr-<hash of url and text>``...). Text, speaker and verdict
  become the incoming ones (date and quote too, unless the incoming has none); so does the
  status when the verdict changed (disputed still if another party's dispute stands; with
  the same verdict it only rises, as in a merge); a
  stored source with the same URL or ref as an incoming one is replaced by it, the checker's
  dispute and ``checker:`` tag derived from a replaced source go with it, and everything else
  stored (sources, disputes, tags, related records merged in from elsewhere) is kept.
  Reported as **changed** when the text changed, **updated** when something else did and
  **unchanged** when nothing did, so re-importing a file is a no-op.
* **same normalised text and same speaker** (case-folded) as a stored record, other id:
  **merged** into it: the stored id, text and speaker stay, sources, disputes, tags and
  related records are combined without duplicates (equal ``to_dict()``), a missing date,
  verdict or quote is filled in, and the status becomes disputed if either says so (a
  dispute by anyone is worth showing), else undisputed if either says so. When the incoming
  adds nothing it is reported as **unchanged**.
* otherwise **added** at the end, keeping its id.

``normalize()`` costs tens of microseconds a text, so stored records are keyed lazily: only
the stored claims of a speaker that an incoming record needs to be compared with are
normalised, and an update by id normalises nothing unless its text changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple, Protocol, TypeVar

from factcheck.model import Claim, Database, Dispute, Source, Status
from factcheck.normalize import normalize
from factcheck.store.records import Prepared, claim_of
from factcheck.verdicts import DISPUTE_TEXT, UNKNOWN_CHECKER

KINDS = ("added", "merged", "changed", "updated", "unchanged")


class Outcome:
    """What happened to each incoming claim: for each kind, the ids it ended as.

    ``updated`` holds ids whose record changed in something other than its text; the other
    kinds are ``added``, ``merged``, ``changed`` and ``unchanged``. With ``keep_ids=False``
    only how many of each are kept (an import reported by its counts: a million ids are
    70 MB), and the lists stay empty.
    """

    def __init__(self, *, keep_ids: bool = True) -> None:
        self.keep_ids = keep_ids
        self._counts = dict.fromkeys(KINDS, 0)
        self.ids: dict[str, list[str]] = {k: [] for k in KINDS}  # by kind

    def note(self, kind: str, claim_id: str) -> None:
        self._counts[kind] += 1
        if self.keep_ids:
            self.ids[kind].append(claim_id)

    @property
    def counts(self) -> dict[str, int]:
        return dict(self._counts)

    @property
    def changed_anything(self) -> bool:
        return any(self._counts[k] for k in KINDS if k != "unchanged")


class MergeResult(NamedTuple):
    """``merge``'s answer: the merged database and the outcome (its lists, by name too)."""

    database: Database
    added: list[str]
    merged: list[str]
    changed: list[str]
    updated: list[str]
    unchanged: list[str]

    @property
    def counts(self) -> dict[str, int]:
        return {k: len(ids) for k, ids in zip(KINDS, self[1:], strict=True)}


Key = tuple[str, str]  # (normalised text, case-folded speaker)
T = TypeVar("T")


class Target(Protocol):
    """Where claims are merged into: an in-memory list (``ListTarget``, the JSON store) or a
    store's tables through indexed lookups (the SQLite store), so one loop serves both."""

    def by_id(self, claim_id: str) -> Claim | None: ...

    def by_text(self, key: Key, text: str, h: int | None = None) -> Claim | None:
        """The stored claim with this normalised text and speaker (``text``: the raw text;
        ``h``: the key's ``index.merge_key`` when the caller has it)."""
        ...

    def add(self, claim: Claim | Prepared, key: Key) -> None: ...

    def replace(self, old: Claim, new: Claim, key: Key | None) -> None:
        """Store ``new`` in ``old``'s place (the same id); ``key`` is given when the text or
        speaker changed, so the record is found under its new key."""
        ...


class _KeyIndex:
    """(normalised text, speaker) -> position, filled one speaker at a time on demand.

    Only the key's 64-bit hash is stored (a normalised text costs ~150 bytes, times a million
    claims), and a hit is confirmed against the stored record; a hash collision (odds about
    1e-8 for a million claims) can only cost a missed merge, never a wrong one.
    """

    def __init__(self, claims: list[Claim], norm: Callable[[str], str]) -> None:
        self.claims = claims
        self.norm = norm
        self.keys: dict[int, int] = {}
        self.pending: dict[str, list[int]] = {}  # speaker -> positions not yet keyed
        for pos, claim in enumerate(claims):
            self.pending.setdefault(claim.speaker.casefold(), []).append(pos)

    def _ready(self, speaker: str) -> None:
        positions = self.pending.pop(speaker, None)
        if positions:
            for pos in positions:
                self.keys.setdefault(hash((self.norm(self.claims[pos].text), speaker)), pos)

    def find(self, key: Key, text: str) -> int | None:
        """The position of a record with this key (``text`` is the raw text it came from)."""
        self._ready(key[1])
        pos = self.keys.get(hash(key))
        if pos is None:
            return None
        stored = self.claims[pos]
        if stored.speaker.casefold() != key[1]:
            return None
        if stored.text == text or self.norm(stored.text) == key[0]:
            return pos
        return None

    def add(self, pos: int, key: Key) -> None:
        self._ready(key[1])
        self.keys.setdefault(hash(key), pos)

    def remove(self, pos: int, claim: Claim) -> None:
        speaker = claim.speaker.casefold()
        positions = self.pending.get(speaker)
        if positions is not None:
            positions.remove(pos)
            return
        h = hash((self.norm(claim.text), speaker))
        if self.keys.get(h) == pos:
            del self.keys[h]


class ListTarget:
    """A database held in memory as a list: the JSON store's target."""

    def __init__(self, claims: Iterable[Claim], norm: Callable[[str], str] = normalize) -> None:
        self.claims = list(claims)
        self._by_id = {c.id: pos for pos, c in enumerate(self.claims)}
        self._keys = _KeyIndex(self.claims, norm)

    def by_id(self, claim_id: str) -> Claim | None:
        pos = self._by_id.get(claim_id)
        return self.claims[pos] if pos is not None else None

    def by_text(self, key: Key, text: str, h: int | None = None) -> Claim | None:
        pos = self._keys.find(key, text)
        return self.claims[pos] if pos is not None else None

    def add(self, claim: Claim | Prepared, key: Key) -> None:
        self._by_id[claim.id] = len(self.claims)
        self._keys.add(len(self.claims), key)
        self.claims.append(claim_of(claim))

    def replace(self, old: Claim, new: Claim, key: Key | None) -> None:
        pos = self._by_id[old.id]
        if key is not None:
            self._keys.remove(pos, old)
            self._keys.add(pos, key)
        self.claims[pos] = new

    def has_id(self, claim_id: str) -> bool:
        return claim_id in self._by_id


def merge_into(
    target: Target,
    incoming: Iterable[Claim | Prepared],
    *,
    norm: Callable[[str], str] = normalize,
    out: Outcome | None = None,
) -> Outcome:
    """Merge ``incoming`` into ``target``, claim by claim (see the module docstring); the
    outcome is filled as it goes (pass ``out`` to watch it, e.g. per input file). Claims may
    come prepared for storing already (a big import into the SQLite store): one is decoded
    only if it meets a stored record."""
    out = out if out is not None else Outcome()
    for item in incoming:
        old = target.by_id(item.id)
        if old is not None:
            claim = claim_of(item)
            if claim == old:  # the common re-import case, without building anything
                out.note("unchanged", old.id)
                continue
            new = _update(old, claim)
            if new == old:
                out.note("unchanged", old.id)
                continue
            rekey = new.text != old.text or new.speaker.casefold() != old.speaker.casefold()
            target.replace(old, new, (norm(new.text), new.speaker.casefold()) if rekey else None)
            out.note("changed" if new.text != old.text else "updated", new.id)
            continue
        if isinstance(item, Prepared):
            key = (item.norm, item.speaker.casefold())
            old = target.by_text(key, item.text, item.key)
        else:
            key = (norm(item.text), item.speaker.casefold())
            old = target.by_text(key, item.text)
        if old is not None:
            new = _combine(old, claim_of(item))
            if new == old:
                out.note("unchanged", old.id)
            else:
                target.replace(old, new, None)
                out.note("merged", old.id)
            continue
        target.add(item, key)
        out.note("added", item.id)
    return out


def merge(
    existing: Database, incoming: Iterable[Claim], *, norm: Callable[[str], str] = normalize
) -> MergeResult:
    """Merge ``incoming`` into ``existing`` (see the module docstring); ``existing`` is not
    modified. ``norm`` is the text normalisation used for the key (tests may pass a cheaper
    one)."""
    target = ListTarget(existing.claims, norm)
    out = merge_into(target, incoming, norm=norm)
    database = Database(tuple(target.claims), existing.speakers, existing.version, existing.path)
    return MergeResult(database, *(out.ids[k] for k in KINDS))


def _union(first: tuple[T, ...], second: tuple[T, ...]) -> tuple[T, ...]:
    """``first`` then the items of ``second`` not in it, in order, without duplicates."""
    if not second or second == first:
        return first
    seen = set(first)
    extra: list[T] = []
    for x in second:
        if x not in seen:
            seen.add(x)
            extra.append(x)
    return first + tuple(extra) if extra else first


_RANK = {Status.DISPUTED: 2, Status.UNDISPUTED: 1, Status.UNVERIFIED: 0}


def _stronger(a: Status, b: Status) -> Status:
    """Disputed over undisputed over unverified."""
    return a if _RANK[a] >= _RANK[b] else b


def _combine(old: Claim, new: Claim) -> Claim:
    """A record from another origin with the same text and speaker joins the stored one."""
    return old._replace(
        status=_stronger(old.status, new.status),
        date=old.date or new.date,
        quote=old.quote or new.quote,
        verdict=old.verdict or new.verdict,
        disputed_by=_union(old.disputed_by, new.disputed_by),
        sources=_union(old.sources, new.sources),
        tags=_union(old.tags, new.tags),
        related=_union(old.related, new.related),
    )


def _same_source(a: Source, b: Source) -> bool:
    return (a.url is not None and a.url == b.url) or (a.ref is not None and a.ref == b.ref)


def _update(old: Claim, new: Claim) -> Claim:
    """A newer version of a stored record from the same origin (same id)."""
    sources: list[Source] = []
    stale_tags: set[str] = set()
    stale_disputes: set[Dispute] = set()
    verdict_changed = old.verdict is not None and old.verdict != new.verdict
    for s in old.sources:
        match = next((n for n in new.sources if _same_source(s, n)), None)
        if match is None:
            sources.append(s)
            continue
        if match not in sources:
            sources.append(match)  # in the stored one's place
        # What a reader derived from the replaced source and no longer holds: the checker's
        # tag if the checker's name changed, its dispute if the name or the verdict changed.
        if s.publisher != match.publisher:
            stale_tags.add(f"checker:{s.publisher}")
        if old.verdict is not None and (verdict_changed or s.publisher != match.publisher):
            text = DISPUTE_TEXT.format(verdict=old.verdict)
            stale_disputes.add(Dispute(s.publisher or UNKNOWN_CHECKER, text))
    sources.extend(n for n in new.sources if n not in sources)
    kept_disputes = tuple(d for d in old.disputed_by if d not in stale_disputes)
    if old.verdict == new.verdict:
        # Same rating as before: the stored status may reflect other checkers merged in
        # since, so it only ever rises (re-importing must not flip it back and forth).
        status = _stronger(old.status, new.status)
    elif any(d not in new.disputed_by for d in kept_disputes):
        status = Status.DISPUTED  # another party's dispute still stands
    else:
        status = new.status
    return old._replace(
        text=new.text,
        speaker=new.speaker,
        status=status,
        verdict=new.verdict,
        date=new.date or old.date,
        quote=new.quote or old.quote,
        disputed_by=_union(new.disputed_by, kept_disputes),
        sources=tuple(sources),
        tags=_union(new.tags, tuple(t for t in old.tags if t not in stale_tags)),
        related=_union(old.related, new.related),
    )
