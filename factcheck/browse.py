"""Browse a database: filters that combine, sorting, speakers and statistics (pure, streaming)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from enum import Enum
from typing import Any, NamedTuple

from factcheck.dates import FORMAT_HINT, is_partial, overlaps
from factcheck.errors import InputError
from factcheck.model import Claim, Speaker, Status
from factcheck.normalize import normalize, terms
from factcheck.speakers import Speakers, key


class SortKey(str, Enum):
    date = "date"
    speaker = "speaker"
    status = "status"


def check_date(value: str, option: str) -> str:
    """``value`` if it is a partial date, else InputError naming the option."""
    if not is_partial(value):
        raise InputError(f"bad date {value!r}", option, hint=FORMAT_HINT)
    return value


def resolve_speaker(
    speakers: Speakers, typed: str, named: Callable[[], Iterable[str]] = tuple
) -> str | None:
    """The canonical name for a speaker a user typed ("zelensky", "the kremlin", "HRW"), as the
    matcher resolves one in a query; speakers that only records name (not in the speakers
    list) count too: ``named`` lists them and is called only when the list does not know
    ``typed`` (it may scan every record)."""
    sp = speakers.resolve(typed)
    if sp is not None:
        return sp.name
    wanted = key(typed)
    return next((name for name in named() if key(name) == wanted), None)


class Filters(NamedTuple):
    speaker: str | None = None  # canonical name (resolve first)
    status: Status | None = None
    tag: str | None = None
    since: str | None = None
    until: str | None = None
    search: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = self._asdict()
        d["status"] = self.status.value if self.status else None
        return d


def search_matcher(text: str) -> Callable[[Claim], bool]:
    """A predicate: every search word appears in the claim, allowing for typos and inflection."""
    from rapidfuzz import fuzz

    wanted = terms(text)
    norm = normalize(text)

    def hit(claim: Claim) -> bool:
        have = set(terms(f"{claim.text} {claim.quote or ''} {claim.speaker}"))
        if all(w in have or any(fuzz.ratio(w, h) >= 85 for h in have) for w in wanted):
            return bool(wanted)
        return len(norm) >= 8 and fuzz.partial_ratio(norm, normalize(claim.text)) >= 90

    return hit


def search_groups(text: str, vocabulary: Callable[[str], list[str]]) -> list[list[str]]:
    """For ``list --search`` through the index: each search term with the vocabulary words
    it may be a misspelling of (same first letter, rapidfuzz ratio 85, as the check itself)."""
    from rapidfuzz import fuzz, process

    groups = []
    for w in dict.fromkeys(terms(text)):
        close = process.extract(w, vocabulary(w[0]), scorer=fuzz.ratio, score_cutoff=85, limit=20)
        groups.append(list(dict.fromkeys([w, *(c[0] for c in close)])))
    return groups


# Sorting in SQL (the index's columns), the same orders as ``sort_claims``.
SQL_ORDER = {
    SortKey.date: "date_lo IS NULL, date_lo, id",
    SortKey.speaker: "speaker COLLATE NOCASE, coalesce(date_lo, ''), id",
    SortKey.status: (
        "CASE status WHEN 'disputed' THEN 0 WHEN 'unverified' THEN 1 ELSE 2 END,"
        " coalesce(date_lo, ''), id"
    ),
}


def filter_claims(claims: Iterable[Claim], f: Filters) -> Iterator[Claim]:
    """The claims that pass every given filter, in input order (streamed)."""
    tag = f.tag.casefold() if f.tag else None
    for value, option in ((f.since, "--since"), (f.until, "--until")):
        if value is not None:
            check_date(value, option)  # before streaming anything
    search = search_matcher(f.search) if f.search else None
    for c in claims:
        if f.speaker is not None and c.speaker != f.speaker:
            continue
        if f.status is not None and c.status is not f.status:
            continue
        if tag is not None and tag not in (t.casefold() for t in c.tags):
            continue
        if not overlaps(c.date, f.since, f.until):
            continue
        if search is not None and not search(c):
            continue
        yield c


def sort_claims(claims: Iterable[Claim], key: SortKey) -> list[Claim]:
    """Sorted copy; undated claims go last when sorting by date."""
    if key is SortKey.date:
        return sorted(claims, key=lambda c: (c.date is None, c.date or "", c.id))
    if key is SortKey.speaker:
        return sorted(claims, key=lambda c: (c.speaker.casefold(), c.date or "", c.id))
    order = {Status.DISPUTED: 0, Status.UNVERIFIED: 1, Status.UNDISPUTED: 2}
    return sorted(claims, key=lambda c: (order[c.status], c.date or "", c.id))


class SpeakerStats(NamedTuple):
    name: str
    role: str | None
    aliases: tuple[str, ...]
    claims: int
    disputed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "aliases": list(self.aliases),
            "claims": self.claims,
            "disputed": self.disputed,
        }


def speaker_stats(claims: Iterable[Claim], speakers: Iterable[Speaker]) -> list[SpeakerStats]:
    """Each speaker with claim counts; speakers only named in claims are included too."""
    total: Counter[str] = Counter()
    disputed: Counter[str] = Counter()
    for c in claims:
        total[c.speaker] += 1
        if c.disputed:
            disputed[c.speaker] += 1
    listed = {s.name: s for s in speakers}
    names = list(listed) + sorted(n for n in total if n not in listed)
    out = []
    for name in names:
        sp = listed.get(name)
        out.append(
            SpeakerStats(
                name,
                sp.role if sp else None,
                sp.aliases if sp else (),
                total[name],
                disputed[name],
            )
        )
    out.sort(key=lambda s: (-s.claims, s.name.casefold()))
    return out


class Stats(NamedTuple):
    claims: int
    by_status: dict[str, int]
    by_speaker: dict[str, int]
    by_tag: dict[str, int]
    dated: int

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


def database_stats(claims: Iterable[Claim]) -> Stats:
    """Counts by status, speaker and tag, in one streaming pass."""
    n = dated = 0
    status: Counter[str] = Counter()
    speaker: Counter[str] = Counter()
    tag: Counter[str] = Counter()
    for c in claims:
        n += 1
        dated += c.date is not None
        status[c.status.value] += 1
        speaker[c.speaker] += 1
        tag.update(c.tags)
    return Stats(
        n,
        dict(status.most_common()),
        dict(speaker.most_common()),
        dict(tag.most_common()),
        dated,
    )


def suggest_ids(typed: str, ids: Sequence[str], n: int = 3) -> list[str]:
    """Close ids for an 'unknown id' message (rapidfuzz: fast enough for a million ids)."""
    from rapidfuzz import fuzz, process

    found = process.extract(typed, ids, scorer=fuzz.WRatio, limit=n, score_cutoff=60)
    return [f[0] for f in found]
