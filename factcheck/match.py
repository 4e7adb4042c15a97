"""Find the known claims closest to a typed claim.

Pipeline (README "Matching" says why, with the figures): parse the query once (normalise,
resolve a named speaker's aliases, correct words the index has never seen to their nearest
vocabulary word) -> BM25 candidates from FTS5 over text, titles and speaker (fused with the
sentence-embedding model's nearest claims when the database has vectors: the semantic extra)
-> features that mean the same on any database (IDF-weighted coverage, BM25 lead over the
rivals, missed names, the cosine) -> a calibrated 0-100 score -> threshold and ranking rules.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from typing import NamedTuple, Protocol

from rapidfuzz import fuzz, process

from factcheck.index import Index
from factcheck.model import Claim, Match, Speaker
from factcheck.normalize import (
    fold,
    is_number,
    name_terms,
    normalize,
    plain_words,
    terms,
    terms_of,
)

DEFAULT_LIMIT = 3
# The score is a calibrated estimate of P(the record states the query's claim) x 100 (see
# ``score``); 50 means "more likely right than wrong". Chosen on real data: README "Matching".
DEFAULT_THRESHOLD = 50.0
CANDIDATES = 30  # BM25 candidates rescored per query (CheckThat!: 94% of answers in the top 30)
RETRIEVAL_TERMS = 32  # rarest query terms sent to FTS5: every term of nearly any sentence
COMMON_FROM = 100_000  # records from which very common words are left out of retrieval
COMMON_SHARE = 0.02  # "very common": held by more than 2% of the records
MIN_RETRIEVAL_TERMS = 3
TYPO_CUTOFF = 80  # rapidfuzz ratio for a vocabulary word to replace an unseen query word
# Two candidates whose terms overlap this much (Jaccard) are the same claim worded twice
# (or a figure and its update): neither counts as the other's competitor in ``margin``.
NEAR_DUPLICATE = 0.5


class Query(NamedTuple):
    text: str
    normalized: str
    terms: tuple[str, ...]  # retrieval terms after alias resolution and spelling correction
    speaker: Speaker | None  # a speaker the query names, aliases resolved
    entities: tuple[str, ...] = ()  # terms of capitalised words: names, places, organisations
    corrections: tuple[tuple[str, str], ...] = ()
    # Terms of a named speaker's canonical name that the query did not write ("moscow" for
    # "Kremlin"): they may match the speaker column but are not missed when they do not.
    implied: frozenset[str] = frozenset()


class Features(NamedTuple):
    """What the calibrated score is computed from; each is comparable across databases
    (IDF-weighted shares and ratios, not raw BM25 values, which grow with the database)."""

    evidence: float  # log1p(IDF mass of the matched terms / the rarest possible term's IDF)
    query_coverage: float  # IDF share of the query's terms found in the record
    text_coverage: float  # IDF share of the record's text terms found in the query
    title_coverage: float  # the same for its source titles (= text_coverage without one)
    margin: float  # BM25 lead over (or gap to) the best other non-near-duplicate, -1..1,
    # times sqrt(text_coverage): standing out among weak candidates proves nothing
    entity_miss: float  # share of the query's named entities the record does not mention
    # Cosine of query and record in the sentence-embedding model, when the database has
    # vectors and the model is loaded (the semantic extra); None for lexical matching.
    cosine: float | None = None
    # Its lead over (or gap to) the best cosine of the other non-near-duplicate candidates.
    cosine_margin: float = 0.0


class _Doc(NamedTuple):
    terms: frozenset[str]
    title: frozenset[str]
    speaker: frozenset[str]
    total: float  # summed IDF weight of the text terms
    title_total: float  # of the title terms (0 without a title)
    text: str  # the text terms joined
    superseded: bool  # a later record updates this one's figure


class Candidate(NamedTuple):
    """One retrieved record with its features and calibrated score (unrounded)."""

    rowid: int
    bm25: float
    features: Features
    score: float


_DOC_CACHE = 200_000  # candidate documents kept between queries (a few tens of MB at most)


class Dense(Protocol):
    """Dense retrieval over the same rows as the index (``factcheck.semantic.dense``)."""

    def search(
        self, text: str, k: int, exclude: Collection[int] = ()
    ) -> list[tuple[int, float]]: ...

    def cosines(self, text: str, rowids: Sequence[int]) -> dict[int, float]: ...


class Matcher:
    """Match queries against one index. Holds per-index lookups (aliases, df cache).

    With ``dense`` (the semantic extra's vectors of the same rows), candidates are BM25's and
    the embedding's top ``semantic.fusion.DEPTH`` fused by a rule fixed in advance, and the
    score adds the cosine to its features (a model fitted with it: ``_SEMANTIC_WEIGHTS``).
    """

    def __init__(self, index: Index, dense: Dense | None = None) -> None:
        self.index = index
        self.dense = dense
        self.speakers = index.speakers
        # Terms of each speaker's canonical name: added to a query that names them.
        self._canonical_terms = {sp.name: frozenset(terms(sp.name)) for sp in self.speakers}
        self._weights: dict[str, float] = {}
        self._docs: dict[int, _Doc] = {}
        self._claims: dict[int, Claim] = {}
        self._rarest = index.idf(1)
        self._corrections: dict[str, str | None] = {}
        self._vocab: dict[str, list[str]] = {}

    def parse(self, text: str) -> Query:
        """Normalise a query, resolve a named speaker and correct unseen words."""
        norm = normalize(plain_words(text))
        tokens = norm.split()
        speaker: Speaker | None = None
        out: list[str] = []
        implied: set[str] = set()
        i = 0
        while i < len(tokens):
            hit = self.speakers.starting_at(tokens, i)
            if hit is None:
                out.append(tokens[i])
                i += 1
                continue
            end, sp = hit
            speaker = speaker or sp
            # The words as written stay (a record may say "Russia" too); the canonical name
            # is added so the speaker column can match.
            written = tokens[i:end]
            out.extend(written)
            out.extend(normalize(sp.name).split())
            implied.update(self._canonical_terms[sp.name] - set(terms_of(written)))
            i = end
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
        entities = [fixes.get(t, t) for t in name_terms(text)]
        return Query(
            text,
            norm,
            tuple(dict.fromkeys(fixed)),
            speaker,
            tuple(dict.fromkeys(entities)),
            tuple(corrections),
            frozenset(implied),
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
        rows = self.index.doc_terms(missing)
        for rowid, (text_terms, title_terms, speaker_terms, superseded) in rows.items():
            terms_set = frozenset(text_terms.split())
            title_set = frozenset(title_terms.split())
            w = self.weights(terms_set | title_set)
            self._docs[rowid] = _Doc(
                terms_set,
                title_set,
                frozenset(speaker_terms.split()),
                sum(w[t] for t in terms_set) or 1.0,
                sum(w[t] for t in title_set),
                text_terms,
                superseded,
            )

    def features(self, query: Query, doc: _Doc, bm25: float, rival: float) -> Features:
        """Evidence that ``doc`` states ``query``; ``rival`` is the best BM25 score among the
        other candidates that are not near-duplicates of it."""
        w = self.weights(query.terms)
        q = set(query.terms)
        text = sum(w[t] for t in q & doc.terms)
        title = sum(w[t] for t in q & doc.title) if doc.title_total else 0.0
        hits = q & (doc.terms | doc.title | doc.speaker)
        matched = sum(w[t] for t in hits)
        missed = sum(
            1
            for e in query.entities
            if e not in doc.terms and e not in doc.title and e not in doc.speaker
        )
        text_coverage = text / doc.total
        q_total = sum(w[t] for t in q if t in hits or t not in query.implied) or 1.0
        return Features(
            math.log1p(matched / self._rarest),
            matched / q_total,
            text_coverage,
            title / doc.title_total if doc.title_total else text_coverage,
            # Without a rival (a tiny database, a rare word) there is nothing to stand out
            # from: no evidence either way.
            (bm25 - rival) / max(bm25, rival) * math.sqrt(text_coverage) if rival > 0 else 0.0,
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

    def candidates(
        self, query: Query, depth: int = CANDIDATES, exclude: Collection[int] = ()
    ) -> list[Candidate]:
        """The ``depth`` best records by BM25, each with its features and calibrated score,
        in BM25 order (``find`` re-ranks them); rows in ``exclude`` are left out."""
        cosine: dict[int, float] | None = None
        if self.dense is None:
            found = self.index.candidates(self.retrieval_terms(query), depth + len(exclude))
            if exclude:
                found = [(r, s) for r, s in found if r not in exclude][:depth]
        else:
            found, cosine = self._fused(query, depth, exclude)
        self._load_documents([r for r, _ in found])
        docs = [self._docs[r] for r, _ in found]
        sets = [d.terms | d.title for d in docs]
        out = []
        for i, (rowid, bm25) in enumerate(found):
            # The other candidates that are not near-duplicates of this one, in BM25 order:
            # the first is the BM25 rival; with cosines, every one of them is a cosine rival.
            rivals = (
                j
                for j in range(len(found))
                if j != i and _jaccard(sets[i], sets[j]) < NEAR_DUPLICATE
            )
            if cosine is None:
                first = next(rivals, None)
                f = self.features(query, docs[i], bm25, 0.0 if first is None else found[first][1])
            else:
                others = list(rivals)
                rival = found[others[0]][1] if others else 0.0
                rival_cosine = max([0.0, *(cosine.get(found[j][0], 0.0) for j in others)])
                own = cosine.get(rowid, 0.0)
                f = self.features(query, docs[i], bm25, rival)
                f = f._replace(cosine=own, cosine_margin=own - rival_cosine)
            out.append(Candidate(rowid, bm25, f, score(f)))
        return out

    def _fused(
        self, query: Query, depth: int, exclude: Collection[int]
    ) -> tuple[list[tuple[int, float]], dict[int, float]]:
        """The ``depth`` best rows of BM25 and the embedding fused, in BM25 order (a row only
        the embedding found has BM25 0), and the cosine of each."""
        from factcheck.semantic.fusion import DEPTH, weighted_fusion

        assert self.dense is not None
        lexical = self.index.candidates(self.retrieval_terms(query), DEPTH + len(exclude))
        lexical = [(r, s) for r, s in lexical if r not in exclude][:DEPTH]
        dense = self.dense.search(query.text, DEPTH, exclude)
        chosen = weighted_fusion(lexical, dense)[:depth]
        cosine = {f.key: f.cosine for f in chosen if f.cosine is not None}
        missing = [f.key for f in chosen if f.cosine is None]
        if missing:  # BM25 found them, the embedding's top did not: ask for their cosine
            cosine.update(self.dense.cosines(query.text, missing))
        bm25 = dict(lexical)
        found = sorted(((f.key, bm25.get(f.key, 0.0)) for f in chosen), key=lambda x: -x[1])
        return found, cosine

    def find(
        self,
        text: str,
        limit: int = DEFAULT_LIMIT,
        threshold: float = DEFAULT_THRESHOLD,
        *,
        explain: bool = True,
        exclude: Iterable[str] = (),
    ) -> list[Match]:
        """The best ``limit`` claims scoring at least ``threshold``, best first.

        With ``explain`` (the default) each match carries notes on what differs and a verdict.
        Claims whose ids are in ``exclude`` are left out, as if not in the database (to look
        past records already seen; the benchmark uses it to remove a query's answer).
        """
        query = self.parse(text)
        if not query.terms or limit <= 0:
            return []
        skip = self.index.rowids(exclude) if exclude else set()
        scored = [
            (c.score, c.rowid)
            for c in self.candidates(query, max(CANDIDATES, limit), skip)
            if c.score >= threshold
        ]
        named = None
        if query.speaker is not None:
            from factcheck.analyze import claimant  # only for queries that name a speaker

            said = claimant(text, self.index.speakers)
            named = self._canonical_terms.get(said.name) if said else None

        best = max((x[0] for x in scored), default=0.0)

        def rank(x: tuple[float, int]) -> tuple[bool, float]:
            # "Moscow denied ...": what the named claimant said comes first, if it matches
            # nearly as well as the best record.
            speaks = bool(named and named <= self._docs[x[1]].speaker)
            return speaks and x[0] >= SPEAKER_FIRST * best, x[0]

        scored.sort(key=lambda x: (rank(x), -x[1]), reverse=True)
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
        head.sort(
            key=lambda x: (*rank(x), fuzz.ratio(folded, fold(self.claim(x[1]).text)), -x[1]),
            reverse=True,
        )
        head = self._updates_first(head, scored, query)
        matches = []
        for s, rowid in head[:limit]:
            claim = self.claim(rowid)
            matches.append(Match(round(s, 1), claim, speaker=self.speakers.get(claim.speaker)))
        return self.explain(text, matches) if explain else matches

    def _updates_first(
        self, head: list[tuple[float, int]], scored: list[tuple[float, int]], query: Query
    ) -> list[tuple[float, int]]:
        """A record that a later one updates (46,000 -> 55,000) comes right after its update
        when the update is above the threshold too, unless the query cites the earlier
        record's figure without the update's own one."""
        figures = {t for t in query.terms if is_number(t)}
        out = list(head)
        for x in head:
            doc = self._docs[x[1]]
            if not doc.superseded:
                continue
            newer = {r.id for r in self.claim(x[1]).related if r.relation == "updated-by"}
            update = next((y for y in scored if self.claim(y[1]).id in newer), None)
            if update is None:
                continue
            own = self._docs[update[1]].terms - doc.terms  # the update's new figure, etc.
            if figures & doc.terms and not figures & own:
                continue  # "Zelensky said 46,000 ...": the earlier record is what was cited
            at = out.index(x)
            out.pop(at)
            if update in out:
                out.insert(out.index(update) + 1, x)
            else:
                out[at:at] = [update, x]
        return out

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


# Logistic-regression weights (intercept, then one per feature of ``Features``, with the
# transforms in ``score``) fitted by ``python benchmarks/realdata.py --fit`` on four fifths of
# the CheckThat! tweets (with and without their answer in the database) and our quality set.
_WEIGHTS = (-5.743, 2.530, 0.963, 0.677, 2.156, 8.849, -1.561)
# The same with the cosine as a seventh input, fitted the same way with
# ``python benchmarks/realdata.py --fit --semantic`` (fused candidates, the shared model).
_SEMANTIC_WEIGHTS = (-5.740, 2.098, -0.303, 0.390, 0.601, 5.906, -0.768, 4.254, 4.920)


# A record of the speaker a query names as its claimant ("Moscow denied ...") comes first when
# its score is at least this share of the best one.
SPEAKER_FIRST = 0.5


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def transformed(f: Features) -> tuple[float, ...]:
    """The model's inputs: square roots spread the coverages' high end, where matches are;
    the cosine, when there is one, comes last as it is."""
    lexical = (
        f.evidence,
        math.sqrt(f.query_coverage),
        math.sqrt(f.text_coverage),
        math.sqrt(f.title_coverage),
        f.margin,
        f.entity_miss,
    )
    return lexical if f.cosine is None else (*lexical, f.cosine, f.cosine_margin)


def score(f: Features, weights: Sequence[float] | None = None) -> float:
    """Calibrated 0-100 confidence that the record states the queried claim."""
    if weights is None:
        weights = _WEIGHTS if f.cosine is None else _SEMANTIC_WEIGHTS
    z = weights[0] + sum(w * x for w, x in zip(weights[1:], transformed(f), strict=True))
    return 100.0 / (1.0 + math.exp(-z))  # unrounded: ranks use it, matches show one decimal


def find_matches(
    index: Index, text: str, limit: int = DEFAULT_LIMIT, threshold: float = DEFAULT_THRESHOLD
) -> list[Match]:
    """Convenience wrapper: ``Matcher(index).find(text, limit, threshold)``."""
    return Matcher(index).find(text, limit, threshold)


__all__ = ["DEFAULT_LIMIT", "DEFAULT_THRESHOLD", "Matcher", "find_matches"]
