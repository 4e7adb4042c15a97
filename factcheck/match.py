"""Find the known claims closest to a typed claim.

Pipeline (see MATCHING.md for why): normalise -> resolve speaker aliases -> correct words the
index has never seen to their nearest vocabulary word (rapidfuzz over the vocabulary, not over
records) -> BM25 candidates from FTS5 -> score each candidate on IDF-weighted coverage of the
query and of the record plus a fuzzy string ratio -> calibrated 0-100 score -> threshold.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz, process

from factcheck.index import Index
from factcheck.model import Claim, Match, Speaker
from factcheck.normalize import fold, is_number, normalize, terms, terms_of

DEFAULT_LIMIT = 3
# Scores are calibrated so that THRESHOLD separates the quality set's true matches from
# unrelated claims (tests/quality): see README "Matching".
DEFAULT_THRESHOLD = 50.0
CANDIDATES = 20  # BM25 candidates rescored per query (quality set: same recall at 15-50)
RETRIEVAL_TERMS = 12  # rarest query terms sent to FTS5 (see retrieval_terms)
COMMON_FROM = 100_000  # records from which very common words are left out of retrieval
COMMON_SHARE = 0.02  # "very common": held by more than 2% of the records
MIN_RETRIEVAL_TERMS = 3
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
    superseded: bool  # a later record updates this one's figure


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
        self._canonical = {sp.name: normalize(sp.name).split() for sp in index.speakers}
        self._canonical_terms = {sp.name: frozenset(terms(sp.name)) for sp in index.speakers}
        self._alias_starts: dict[str, int] = {}  # first word -> longest alias starting so
        for key in self._aliases:
            self._alias_starts[key[0]] = max(self._alias_starts.get(key[0], 0), len(key))
        self._by_name = {sp.name: sp for sp in index.speakers}
        self._weights: dict[str, float] = {}
        self._docs: dict[int, _Doc] = {}
        self._claims: dict[int, Claim] = {}
        self._rarest = index.idf(1)
        self._corrections: dict[str, str | None] = {}
        self._vocab: dict[str, list[str]] = {}

    def parse(self, text: str) -> Query:
        """Normalise a query, resolve a named speaker and correct unseen words."""
        norm = normalize(text)
        tokens = norm.split()
        speaker: Speaker | None = None
        out: list[str] = []
        i = 0
        while i < len(tokens):
            longest = self._alias_starts.get(tokens[i], 0)
            for n in range(min(longest, len(tokens) - i), 0, -1):
                sp = self._aliases.get(tuple(tokens[i : i + n]))
                if sp is not None:
                    speaker = speaker or sp
                    out.extend(self._canonical[sp.name])
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
                best = self.correct(w)
                if best is not None:
                    corrections.append((w, best))
                    w = best
            fixed.append(w)
        fixes = dict(corrections)
        entities = [fixes.get(t, t) for w in _capitalised(text) for t in _word_terms(w)]
        return Query(
            text,
            norm,
            tuple(dict.fromkeys(fixed)),
            speaker,
            tuple(dict.fromkeys(entities)),
            tuple(corrections),
        )

    def correct(self, word: str) -> str | None:
        """The vocabulary word ``word`` is most likely a misspelling of, if any (cached)."""
        if word in self._corrections:
            return self._corrections[word]
        first = word[0]
        vocab = self._vocab.get(first)
        if vocab is None:
            vocab = self._vocab[first] = self.index.terms_starting_with(first)
        lo, hi = len(word) - 2, len(word) + 2
        best = process.extractOne(
            word,
            [t for t in vocab if lo <= len(t) <= hi],
            scorer=fuzz.ratio,
            score_cutoff=TYPO_CUTOFF,
        )
        found = best[0] if best is not None else None
        if len(self._corrections) >= _DOC_CACHE:
            self._corrections.clear()
        self._corrections[word] = found
        return found

    def weights(self, words: Iterable[str]) -> dict[str, float]:
        """IDF weight of each term, cached for the life of the matcher."""
        missing = [w for w in words if w not in self._weights]
        if missing:
            for w, df in self.index.doc_freqs(missing).items():
                self._weights[w] = self.index.idf(df)
        return self._weights

    def _load_documents(self, rowids: Sequence[int]) -> None:
        """Make sure the candidates' term sets and weights are cached (bounded)."""
        missing = [r for r in rowids if r not in self._docs]
        if not missing:
            return
        if len(self._docs) + len(missing) > _DOC_CACHE:
            self._docs.clear()
        for rowid, (text_terms, speaker_terms, superseded) in self.index.doc_terms(missing).items():
            terms_set = frozenset(text_terms.split())
            w = self.weights(terms_set)
            total = sum(w[t] for t in terms_set) or 1.0
            self._docs[rowid] = _Doc(
                terms_set, frozenset(speaker_terms.split()), total, text_terms, superseded
            )

    def features(self, query: Query, doc: _Doc) -> Features:
        """Evidence that ``doc`` states ``query``; ``fuzzy`` is left at 1.0 (see ``fuzzy``)."""
        w = self.weights(query.terms)
        q_total = sum(w[t] for t in query.terms) or 1.0
        matched_text = sum(w[t] for t in query.terms if t in doc.terms)
        matched = matched_text + sum(
            w[t] for t in query.terms if t in doc.speaker and t not in doc.terms
        )
        missed = sum(1 for e in query.entities if e not in doc.terms and e not in doc.speaker)
        return Features(
            matched / q_total,
            matched_text / doc.total,
            matched / self._rarest,
            1.0,
            missed / len(query.entities) if query.entities else 0.0,
        )

    def retrieval_terms(self, query: Query) -> list[str]:
        """The query's RETRIEVAL_TERMS rarest terms: common words barely move BM25's ranking
        but make SQLite score every record that holds them (long sentences, big databases).
        """
        w = self.weights(query.terms)
        rarest = sorted(query.terms, key=lambda t: -w[t])[:RETRIEVAL_TERMS]
        # In a big database a word held by more than COMMON_SHARE of the records costs FTS5
        # a scan of tens of thousands of rows and adds almost nothing to BM25: leave it out
        # while enough rarer words remain (its weight still counts in the score).
        if self.index.size >= COMMON_FROM:
            df = self.index.doc_freqs(rarest)
            rare = [t for t in rarest if df[t] <= COMMON_SHARE * self.index.size]
            if len(rare) >= MIN_RETRIEVAL_TERMS:
                return rare
        return rarest

    @staticmethod
    def fuzzy(query: Query, doc: _Doc) -> float:
        """rapidfuzz token_sort_ratio of the two term strings, 0-1: the costly feature."""
        return fuzz.token_sort_ratio(" ".join(query.terms), doc.text) / 100.0

    def find(
        self,
        text: str,
        limit: int = DEFAULT_LIMIT,
        threshold: float = DEFAULT_THRESHOLD,
        *,
        explain: bool = True,
    ) -> list[Match]:
        """The best ``limit`` claims scoring at least ``threshold``, best first.

        With ``explain`` (the default) each match carries notes on what differs and a verdict.
        """
        query = self.parse(text)
        if not query.terms or limit <= 0:
            return []
        rowids = self.index.candidates(self.retrieval_terms(query), max(CANDIDATES, limit))
        self._load_documents(rowids)
        figures = {t for t in query.terms if is_number(t)}
        scored = []
        for rowid in rowids:
            doc = self._docs[rowid]
            f = self.features(query, doc)
            # The fuzzy ratio is the costly part: skip it where even a perfect one cannot
            # lift the score to the threshold (most sentences of a checked article).
            if threshold > 0 and score(f) < threshold:
                continue
            s = score(f._replace(fuzzy=self.fuzzy(query, doc)))
            if s >= threshold:
                # An updated figure ranks after its update unless the query cites it.
                behind = doc.superseded and not (figures & doc.terms)
                scored.append((s, behind, rowid))
        named = self._canonical_terms.get(query.speaker.name) if query.speaker else None

        def rank(x: tuple[float, bool, int]) -> float:
            speaks = bool(named and named <= self._docs[x[2]].speaker)
            return x[0] - SUPERSEDED_PENALTY * x[1] + SPEAKER_BONUS * speaks

        scored.sort(key=lambda x: (-rank(x), x[2]))
        # Records whose terms are the same (the same claim checked twice, a re-worded copy)
        # score exactly alike; among them the one whose own words are closest to the query
        # comes first. Every candidate tied with the last one shown takes part, so the top
        # result does not depend on --limit.
        if len(scored) > limit:
            cut = rank(scored[limit - 1])
            head = [x for x in scored if rank(x) >= cut]
        else:
            head = scored
        folded = fold(text)
        head.sort(key=lambda x: (-rank(x), -fuzz.ratio(folded, fold(self.claim(x[2]).text)), x[2]))
        matches = []
        for s, _, rowid in head[:limit]:
            claim = self.claim(rowid)
            matches.append(Match(round(s, 1), claim, speaker=self._by_name.get(claim.speaker)))
        return self.explain(text, matches) if explain else matches

    def claim(self, rowid: int) -> Claim:
        """A candidate's record (cached, bounded)."""
        claim = self._claims.get(rowid)
        if claim is None:
            if len(self._claims) >= _DOC_CACHE:
                self._claims.clear()
            claim = self._claims[rowid] = self.index.claim(rowid)
        return claim

    def explain(self, text: str, matches: Sequence[Match]) -> list[Match]:
        """Add what differs (notes) and a one-word verdict to each match."""
        from factcheck.analyze import analyze, verdict  # only when something matched

        out = []
        for m in matches:
            notes = analyze(
                text, m.claim, speakers=self.index.speakers, lookup=self.index.claim_by_id
            )
            out.append(m._replace(notes=tuple(notes), verdict=verdict(notes, m.score)))
        return out


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
# Among near-equal scores, the records of the speaker the query names come first.
SPEAKER_BONUS = 3.0


@lru_cache(maxsize=1 << 14)  # names recur from sentence to sentence
def _word_terms(word: str) -> tuple[str, ...]:
    return tuple(terms_of(normalize(word).split()))


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
    return 100.0 / (1.0 + math.exp(-z))  # unrounded: ranks use it, matches show one decimal


def find_matches(
    index: Index, text: str, limit: int = DEFAULT_LIMIT, threshold: float = DEFAULT_THRESHOLD
) -> list[Match]:
    """Convenience wrapper: ``Matcher(index).find(text, limit, threshold)``."""
    return Matcher(index).find(text, limit, threshold)


__all__ = ["DEFAULT_LIMIT", "DEFAULT_THRESHOLD", "Matcher", "find_matches"]
