"""Find the known claims closest to a typed claim.

Pipeline (see MATCHING.md for why): normalise -> resolve speaker aliases -> correct words the
index has never seen to their nearest vocabulary word (rapidfuzz over the vocabulary, not over
records) -> BM25 candidates from FTS5 -> score each candidate on IDF-weighted coverage of the
query and of the record plus a fuzzy string ratio -> calibrated 0-100 score -> threshold.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import NamedTuple

from rapidfuzz import fuzz, process

from factcheck.index import Index
from factcheck.model import Claim, Match, Speaker
from factcheck.normalize import STOPWORDS, is_number, normalize, stem, terms_of

DEFAULT_LIMIT = 3
# Scores are calibrated so that THRESHOLD separates the quality set's true matches from
# unrelated claims (tests/quality): see README "Matching".
DEFAULT_THRESHOLD = 50.0
CANDIDATES = 20  # BM25 candidates rescored per query (quality set: same recall at 15-50)
TYPO_CUTOFF = 80  # rapidfuzz ratio for a vocabulary word to replace an unseen query word


class Query(NamedTuple):
    text: str
    normalized: str
    terms: tuple[str, ...]  # retrieval terms after alias resolution and spelling correction
    speaker: Speaker | None  # a speaker the query names, aliases resolved
    entities: tuple[str, ...] = ()  # terms of capitalised words: names, places, organisations
    corrections: tuple[tuple[str, str], ...] = ()


class Features(NamedTuple):
    query_coverage: float  # IDF share of the query found in the record (text or speaker)
    record_coverage: float  # IDF share of the record's text found in the query
    evidence: float  # IDF mass of the matched terms, in units of the rarest possible term
    fuzzy: float  # rapidfuzz token_sort_ratio of the term strings, 0-1
    entity_miss: float  # share of the query's named entities the record does not mention


class _Doc(NamedTuple):
    terms: frozenset[str]
    speaker: frozenset[str]
    total: float  # summed IDF weight of the text terms
    text: str  # the text terms joined, for the fuzzy ratio


_DOC_CACHE = 200_000  # candidate documents kept between queries (a few tens of MB at most)


class Matcher:
    """Match queries against one index. Holds per-index lookups (aliases, df cache)."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._aliases: dict[tuple[str, ...], Speaker] = {}
        for sp in index.speakers:
            for name in (sp.name, *sp.aliases):
                key = tuple(normalize(name).split())
                if key:
                    self._aliases.setdefault(key, sp)
        self._max_alias = max((len(k) for k in self._aliases), default=0)
        self._by_name = {sp.name: sp for sp in index.speakers}
        self._weights: dict[str, float] = {}
        self._docs: dict[int, _Doc] = {}
        self._claims: dict[int, Claim] = {}
        self._rarest = index.idf(1)

    def parse(self, text: str) -> Query:
        """Normalise a query, resolve a named speaker and correct unseen words."""
        norm = normalize(text)
        tokens = norm.split()
        speaker: Speaker | None = None
        out: list[str] = []
        i = 0
        while i < len(tokens):
            for n in range(min(self._max_alias, len(tokens) - i), 0, -1):
                sp = self._aliases.get(tuple(tokens[i : i + n]))
                if sp is not None:
                    speaker = speaker or sp
                    out.extend(normalize(sp.name).split())
                    i += n
                    break
            else:
                out.append(tokens[i])
                i += 1
        words = terms_of(out)
        df = self.index.doc_freqs(words)
        fixed: list[str] = []
        corrections: list[tuple[str, str]] = []
        for w in words:
            if df[w] == 0 and len(w) >= 4 and w.isalpha():
                best = process.extractOne(
                    w, self.index.similar_terms(w), scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF
                )
                if best is not None:
                    corrections.append((w, best[0]))
                    w = best[0]
            fixed.append(w)
        fixes = dict(corrections)
        entities = [
            fixes.get(t, t) for t in terms_of(normalize(" ".join(_capitalised(text))).split())
        ]
        return Query(
            text,
            norm,
            tuple(dict.fromkeys(fixed)),
            speaker,
            tuple(dict.fromkeys(entities)),
            tuple(corrections),
        )

    def weights(self, words: Iterable[str]) -> dict[str, float]:
        """IDF weight of each term, cached for the life of the matcher."""
        missing = [w for w in words if w not in self._weights]
        if missing:
            for w, df in self.index.doc_freqs(missing).items():
                self._weights[w] = self.index.idf(df)
        return self._weights

    def document(self, rowid: int, text_terms: str, speaker_terms: str) -> _Doc:
        """A candidate's term sets and total weight, cached (bounded) across queries."""
        doc = self._docs.get(rowid)
        if doc is None:
            terms_set = frozenset(text_terms.split())
            w = self.weights(terms_set)
            total = sum(w[t] for t in terms_set) or 1.0
            doc = _Doc(terms_set, frozenset(speaker_terms.split()), total, text_terms)
            if len(self._docs) >= _DOC_CACHE:
                self._docs.clear()
            self._docs[rowid] = doc
        return doc

    def features(self, query: Query, doc: _Doc, *, fuzzy: bool = True) -> Features:
        """Evidence that ``doc`` states ``query``; ``fuzzy=False`` skips the costly ratio."""
        w = self.weights(query.terms)
        q_total = sum(w[t] for t in query.terms) or 1.0
        matched_text = sum(w[t] for t in query.terms if t in doc.terms)
        matched = matched_text + sum(
            w[t] for t in query.terms if t in doc.speaker and t not in doc.terms
        )
        missed = sum(1 for e in query.entities if e not in doc.terms and e not in doc.speaker)
        fz = fuzz.token_sort_ratio(" ".join(query.terms), doc.text) / 100.0 if fuzzy else 1.0
        return Features(
            matched / q_total,
            matched_text / doc.total,
            matched / self._rarest,
            fz,
            missed / len(query.entities) if query.entities else 0.0,
        )

    def find(
        self,
        text: str,
        limit: int = DEFAULT_LIMIT,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> list[Match]:
        """The best ``limit`` claims scoring at least ``threshold``, best first."""
        query = self.parse(text)
        if not query.terms or limit <= 0:
            return []
        rowids = self.index.candidates(query.terms, max(CANDIDATES, limit))
        rows = self.index.doc_terms(rowids)
        figures = {t for t in query.terms if is_number(t)}
        scored = []
        for rowid in rowids:
            text_terms, speaker_terms, is_superseded = rows[rowid]
            doc = self.document(rowid, text_terms, speaker_terms)
            # The fuzzy ratio is the costly part: skip it where even a perfect one cannot
            # lift the score to the threshold (most sentences of a checked article).
            if threshold > 0 and score(self.features(query, doc, fuzzy=False)) < threshold:
                continue
            s = score(self.features(query, doc))
            if s >= threshold:
                # An updated figure ranks after its update unless the query cites it.
                behind = is_superseded and not (figures & doc.terms)
                scored.append((s, behind, rowid))
        scored.sort(key=lambda x: (-(x[0] - SUPERSEDED_PENALTY * x[1]), x[2]))
        matches = []
        for s, _, rowid in scored[:limit]:
            claim = self._claims.get(rowid)
            if claim is None:
                if len(self._claims) >= _DOC_CACHE:
                    self._claims.clear()
                claim = self._claims[rowid] = self.index.claim(rowid)
            matches.append(Match(s, claim, speaker=self._by_name.get(claim.speaker)))
        return matches


_CAPITALISED = re.compile(r"\b[^\W\d_][\w'\u2019.-]*")


def _capitalised(text: str) -> list[str]:
    """Words written with a capital, as a reader names people, places and bodies.

    A sentence's first word counts too ("China agreed ..."); stop words drop out later.
    """
    return [w for w in _CAPITALISED.findall(text) if w[0].isupper()]


# Logistic-regression weights fitted on tests/quality/cases.json (true record vs the top
# candidates of unrelated queries), so a score is an estimate of P(same claim) x 100.
_WEIGHTS = (-5.808, 3.391, 4.693, 2.437, -3.459)
# Among near-equal scores, a figure that a later record updates ranks after its update.
SUPERSEDED_PENALTY = 3.0


def score(f: Features) -> float:
    """Calibrated 0-100 confidence that the record states the queried claim."""
    b, w_cover, w_evidence, w_fuzzy, w_entity = _WEIGHTS
    z = (
        b
        + w_cover * math.sqrt(f.record_coverage)
        + w_evidence * math.log1p(f.evidence)
        + w_fuzzy * f.fuzzy
        + w_entity * f.entity_miss
    )
    return round(100.0 / (1.0 + math.exp(-z)), 1)


def find_matches(
    index: Index, text: str, limit: int = DEFAULT_LIMIT, threshold: float = DEFAULT_THRESHOLD
) -> list[Match]:
    """Convenience wrapper: ``Matcher(index).find(text, limit, threshold)``."""
    return Matcher(index).find(text, limit, threshold)


__all__ = ["DEFAULT_LIMIT", "DEFAULT_THRESHOLD", "STOPWORDS", "Matcher", "find_matches", "stem"]
