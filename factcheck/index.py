"""The search index: SQLite tables over the claims, for retrieval, merging and browsing.

One schema serves both stores. For a JSON database it is a cache file built from the JSON
(keyed by the file's fingerprint, rebuilt atomically when the file changes); a SQLite
database *is* these tables, kept in step by ``IndexWriter`` in the same transaction as every
change. Either way the read side (``Index``) is the same, so matching, checking and browsing
do not know which store they use.

Tables: ``docs`` (the claim's stored JSON, its retrieval terms per field, the merge key and
the columns browsing filters on), ``fts`` (FTS5 over the term columns, external content),
``tags``, ``df`` (document frequencies as a plain B-tree: 10 lookups take 0.03 ms against
0.33 ms through ``fts5vocab``, measured on 100k records), ``meta``.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from factcheck.dates import bounds
from factcheck.model import Claim, Speaker, Status
from factcheck.normalize import normalize, plain_words, terms, terms_of
from factcheck.speakers import Speakers
from factcheck.store.records import Encoded, Prepared, decode_claim, encode_claim, parse_speaker

INDEX_FORMAT = 5  # bump when the tables or the term pipeline change

Progress = Callable[[int, int], None]

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE docs(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, claim TEXT NOT NULL,
                  text_terms TEXT NOT NULL, title_terms TEXT NOT NULL,
                  speaker_terms TEXT NOT NULL, superseded INTEGER NOT NULL,
                  key INTEGER NOT NULL, status TEXT NOT NULL, speaker TEXT NOT NULL,
                  date_lo TEXT, date_hi TEXT);
CREATE TABLE tags(rowid INTEGER NOT NULL, tag TEXT NOT NULL COLLATE NOCASE);
CREATE VIRTUAL TABLE fts USING fts5(text_terms, title_terms, speaker_terms, content='docs',
                                   content_rowid='rowid', tokenize='unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE vocab USING fts5vocab(fts, 'row');
CREATE TABLE df(term TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
"""
# The indexes a merge looks records up by, there from the start of a store being built ...
LOOKUP_INDEXES = """
CREATE UNIQUE INDEX IF NOT EXISTS docs_id ON docs(id);
CREATE INDEX IF NOT EXISTS docs_key ON docs(key);
"""
# ... and every index, created after a bulk load (a B-tree built at once is faster than one
# grown row by row); IndexWriter.finish makes any that are missing. ``tags_exact`` serves
# ``stats``' count by exact tag (1.7 s -> 0.2 s at a million claims; tags_tag ignores case).
INDEXES = (
    LOOKUP_INDEXES
    + """
CREATE INDEX IF NOT EXISTS docs_status ON docs(status);
CREATE INDEX IF NOT EXISTS docs_speaker ON docs(speaker);
CREATE INDEX IF NOT EXISTS docs_date ON docs(date_lo);
CREATE INDEX IF NOT EXISTS tags_tag ON tags(tag, rowid);
CREATE INDEX IF NOT EXISTS tags_rowid ON tags(rowid);
CREATE INDEX IF NOT EXISTS tags_exact ON tags(tag COLLATE BINARY);
"""
)
_DOC_COLUMNS = (
    "rowid, id, claim, text_terms, title_terms, speaker_terms, superseded, key, status,"
    " speaker, date_lo, date_hi"
)


# --- what a claim is indexed under --------------------------------------------------------


def merge_key(norm_text: str, speaker: str) -> int:
    """The key of "same normalised text, same speaker" as a signed 64-bit integer (stable
    across processes, unlike ``hash()``); a hit is always confirmed against the record."""
    import hashlib  # only indexing pays for it

    digest = hashlib.blake2b(f"{norm_text}\n{speaker.casefold()}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def claim_terms(claim: Claim, norm_text: str | None = None) -> list[str]:
    """Terms indexed for a claim's text (plus a quote not already in it). ``norm_text`` is
    ``normalize(claim.text)`` when the caller has it already (an import computes it once)."""
    plain = plain_words(claim.text)
    text = norm_text if norm_text is not None and plain == claim.text else normalize(plain)
    if claim.quote:
        quote = normalize(plain_words(claim.quote))
        if quote not in text:
            text = f"{text} {quote}"
    return terms_of(text.split())


def new_generation() -> str:
    """A fresh random token for a ``generation`` meta value: set at every write, so a copy
    made from what was written (the semantic extra's vector map) can tell it is out of date."""
    return os.urandom(8).hex()


def title_terms(claim: Claim) -> list[str]:
    """Terms of the titles of a claim's sources: a fact-check's headline often says what the
    claim leaves implicit ("Does Video Show a 10-Meter-Long Anaconda?")."""
    return list(dict.fromkeys(t for s in claim.sources if s.name for t in terms(s.name)))


def superseded(claim: Claim) -> bool:
    """A record a later figure updates (46,000 -> 55,000) ranks after its update."""
    return any(r.relation == "updated-by" for r in claim.related)


def fts_query(query_terms: Iterable[str], op: str = "OR") -> str:
    """Quoted terms joined by ``op``: user text never becomes FTS syntax."""
    quoted = ['"' + t.replace('"', '""') + '"' for t in dict.fromkeys(query_terms) if t]
    return f" {op} ".join(quoted)


def prepare(claim: Claim, norm_text: str | None = None, key: int | None = None) -> Prepared:
    """``claim`` prepared for storing (``norm_text``/``key``: its normalised text and merge
    key when the caller has them)."""
    norm = norm_text if norm_text is not None else normalize(claim.text)
    lo, hi = _bounds(claim.date) if claim.date else (None, None)
    return Prepared(
        claim.id,
        claim.text,
        claim.speaker,
        norm,
        key if key is not None else merge_key(norm, claim.speaker),
        encode_claim(claim),
        " ".join(claim_terms(claim, norm)),
        " ".join(title_terms(claim)),
        int(superseded(claim)),
        claim.status.value,
        lo,
        hi,
        tuple(dict.fromkeys(claim.tags)),
    )


@lru_cache(maxsize=1 << 16)  # dates repeat: parsed once each, bounded whatever the input
def _bounds(date: str) -> tuple[str, str]:
    return bounds(date)


# --- writing ------------------------------------------------------------------------------


class IndexWriter:
    """Adds and replaces claims in the tables, keeping FTS, tags, document frequencies and
    the count in step. The caller owns the transaction (and commits after ``finish``).

    Rows are written in batches; the FTS entries of added rows are made in one statement in
    ``finish`` (FTS5 is much faster fed at once), and document frequencies are updated from
    the changed rows' terms, or rebuilt from FTS when a large share of the database changed.
    ``bulk``: the tables start empty (a cache being built): FTS is built whole in ``finish``.
    """

    def __init__(self, conn: sqlite3.Connection, speakers: Speakers, *, bulk: bool) -> None:
        self.conn = conn
        self.speakers = speakers
        self.bulk = bulk
        self._speaker_terms: dict[str, str] = {}
        self._rows: list[tuple[Any, ...]] = []
        self._tags: list[tuple[int, str]] = []
        self._next = (conn.execute("SELECT max(rowid) FROM docs").fetchone()[0] or 0) + 1
        self._first_new = self._next  # rows from here on get their FTS entries in finish
        # A store keeps its count in meta, in step with every change (count(*) would read a
        # whole index: 0.1 s at a million claims, for every ``add``); a cache being built
        # (bulk) may hold a stale one.
        known = None if bulk else conn.execute("SELECT value FROM meta WHERE key = 'count'")
        row = known.fetchone() if known is not None else None
        self.count = int(row[0]) if row else conn.execute("SELECT count(*) FROM docs").fetchone()[0]
        # Document frequencies: counted as rows change, or (bulk, or an empty table: every
        # row will be new) rebuilt from FTS in ``finish``.
        self._df: Counter[str] | None = None if bulk or not self.count else Counter()
        # Past this many changed rows, rebuilding frequencies from FTS beats counting deltas.
        self._delta_limit = max(50_000, self.count // 10)
        self._changed = 0

    def _row(self, rowid: int, p: Prepared) -> tuple[Any, ...]:
        speaker_terms = self._speaker_terms.get(p.speaker)
        if speaker_terms is None:  # the database's speakers: known here, not in a worker
            speaker_terms = " ".join(self.speakers.terms(p.speaker))
            self._speaker_terms[p.speaker] = speaker_terms
        return (
            rowid,
            p.id,
            p.encoded,
            p.text_terms,
            p.title_terms,
            speaker_terms,
            p.superseded,
            p.key,
            p.status,
            p.speaker,
            p.date_lo,
            p.date_hi,
        )

    def add(self, claim: Claim | Prepared) -> int:
        """Insert a new claim (or one prepared already); returns its row id."""
        p = claim if isinstance(claim, Prepared) else prepare(claim)
        rowid = self._next
        self._next += 1
        row = self._row(rowid, p)
        self._rows.append(row)
        self._tags.extend((rowid, t) for t in p.tags)
        self.count += 1
        self._terms_changed(row, +1)
        return rowid

    @property
    def pending(self) -> int:
        """Rows added but not yet written (``flush`` writes them; lookups see only written
        rows, so a caller that looks up what it adds flushes first or keeps its own note)."""
        return len(self._rows)

    def replace(self, rowid: int, claim: Claim, norm_text: str | None = None) -> None:
        """Replace the claim stored at ``rowid``."""
        self.flush()
        indexed = not self.bulk and rowid < self._first_new  # has FTS entries already
        old = self.conn.execute(
            "SELECT text_terms, title_terms, speaker_terms FROM docs WHERE rowid = ?", (rowid,)
        ).fetchone()
        if indexed:
            self.conn.execute(
                "INSERT INTO fts(fts, rowid, text_terms, title_terms, speaker_terms)"
                " VALUES ('delete', ?, ?, ?, ?)",
                (rowid, *old),
            )
        if old is not None:
            self._terms_changed((0, 0, 0, *old), -1)
        p = prepare(claim, norm_text)
        row = self._row(rowid, p)
        self.conn.execute(f"INSERT OR REPLACE INTO docs ({_DOC_COLUMNS}) VALUES ({_MARKS})", row)
        self.conn.execute("DELETE FROM tags WHERE rowid = ?", (rowid,))
        self.conn.executemany("INSERT INTO tags VALUES (?, ?)", [(rowid, t) for t in p.tags])
        if indexed:
            self.conn.execute(
                "INSERT INTO fts(rowid, text_terms, title_terms, speaker_terms)"
                " VALUES (?, ?, ?, ?)",
                (row[0], row[3], row[4], row[5]),
            )
        self._terms_changed(row, +1)

    def _terms_changed(self, row: tuple[Any, ...], sign: int) -> None:
        if self._df is None:
            return
        self._changed += 1
        if self._changed > self._delta_limit:
            self._df = None  # too many: ``finish`` rebuilds the frequencies instead
            return
        if sign:
            self._df.update(dict.fromkeys(" ".join(row[3:6]).split(), sign))

    def flush(self) -> None:
        """Write the rows added so far (they are batched)."""
        if self._rows:
            sql = f"INSERT INTO docs ({_DOC_COLUMNS}) VALUES ({_MARKS})"
            self.conn.executemany(sql, self._rows)
            self._rows.clear()
        if self._tags:
            self.conn.executemany("INSERT INTO tags VALUES (?, ?)", self._tags)
            self._tags.clear()

    def finish(self, meta: dict[str, str] | None = None) -> None:
        """Everything written, FTS and document frequencies complete, indexes there."""
        self.flush()
        # FTS5 merges its segments as a big insert goes; it need not: the index it ends with
        # answers as fast (a million claims: 3.4 s instead of 4.6, the same query times).
        # FTS5's default comes back for the small writes that follow.
        many = self.bulk or self._next - self._first_new > BULK_ROWS
        if many:
            self.conn.execute("INSERT INTO fts(fts, rank) VALUES ('automerge', 0)")
        if self.bulk:
            self.conn.execute("INSERT INTO fts(fts) VALUES ('rebuild')")
        elif self._next > self._first_new:
            self.conn.execute(
                "INSERT INTO fts(rowid, text_terms, title_terms, speaker_terms)"
                " SELECT rowid, text_terms, title_terms, speaker_terms FROM docs"
                " WHERE rowid >= ?",
                (self._first_new,),
            )
        if many:
            self.conn.execute("INSERT INTO fts(fts, rank) VALUES ('automerge', 4)")
        if self._df is None:
            self.conn.execute("DELETE FROM df")
            self.conn.execute("INSERT INTO df SELECT term, doc FROM vocab")
        elif self._df:
            self.conn.executemany(
                "INSERT INTO df(term, n) VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET n = n + ?",
                [(t, n, n) for t, n in self._df.items() if n],
            )
            gone = [(t,) for t, n in self._df.items() if n < 0]  # only these can reach 0
            self.conn.executemany("DELETE FROM df WHERE term = ? AND n <= 0", gone)
        self._df = None if self.bulk else Counter()
        self._changed = 0
        self._first_new = self._next
        run_script(self.conn, INDEXES)
        # A new generation at every write: copies made from the index (the semantic extra's
        # vector map, keyed by row id) see that they are out of date.
        values = {"count": str(self.count), "generation": new_generation(), **(meta or {})}
        self.conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())


_MARKS = ",".join("?" * 12)
BULK_ROWS = 10_000  # new rows past which FTS is built without merging as it goes


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Each statement of ``script`` in the current transaction (``executescript`` would
    commit a pending transaction first: a half-written import must never be committed)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def create_tables(conn: sqlite3.Connection) -> None:
    run_script(conn, SCHEMA)


def speakers_meta(speakers: Iterable[Speaker]) -> str:
    return json.dumps([s.to_dict() for s in speakers], ensure_ascii=False)


# --- reading ------------------------------------------------------------------------------


class Index:
    """The read side: retrieval for the matcher, lookups for merging, SQL for browsing."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        self.meta = meta
        self.size = int(meta.get("count", "0"))
        self._speakers = Speakers(
            parse_speaker(s, f"index:speakers[{i}]")
            for i, s in enumerate(json.loads(meta.get("speakers", "[]")))
        )
        self._df: dict[str, int] = {}

    @classmethod
    def build(cls, db: Any) -> Index:
        """An index of ``db`` (a ``Database``) in memory: for tests and the library."""
        from factcheck.store.cache import build_index

        return build_index(db)

    @property
    def speakers(self) -> Speakers:
        """The database's speakers, resolver built once for every use of this index."""
        return self._speakers

    @property
    def version(self) -> int:
        return int(self.meta.get("version", "1"))

    def candidates(self, query_terms: Sequence[str], limit: int) -> list[tuple[int, float]]:
        """The best ``limit`` claims by BM25 as (row id, score), best first.

        Column weights: text 1, title 1, speaker 0.5 (two fields of equal weight measured
        best on the CheckThat! tweets; the speaker's name only helps find what a named
        speaker said). Scores are positive (FTS5's bm25() is negated).
        """
        expr = fts_query(query_terms)
        if not expr:
            return []
        rows = self.conn.execute(
            "SELECT rowid, -bm25(fts, 1.0, 1.0, 0.5) FROM fts WHERE fts MATCH ?"
            " ORDER BY bm25(fts, 1.0, 1.0, 0.5) LIMIT ?",
            (expr, limit),
        )
        return [(r[0], r[1]) for r in rows]

    def doc_terms(self, rowids: Sequence[int]) -> dict[int, tuple[str, str, str, bool]]:
        """Text, title and speaker terms and the superseded flag of each row."""
        marks = ",".join("?" * len(rowids))
        rows = self.conn.execute(
            "SELECT rowid, text_terms, title_terms, speaker_terms, superseded FROM docs"
            f" WHERE rowid IN ({marks})",
            list(rowids),
        )
        return {r[0]: (r[1], r[2], r[3], bool(r[4])) for r in rows}

    def claim(self, rowid: int) -> Claim:
        row = self.conn.execute("SELECT claim FROM docs WHERE rowid = ?", (rowid,)).fetchone()
        return decode_claim(row[0])

    def claim_by_id(self, claim_id: str) -> Claim | None:
        row = self.conn.execute("SELECT claim FROM docs WHERE id = ?", (claim_id,)).fetchone()
        return decode_claim(row[0]) if row else None

    def lookup(self, claim_id: str) -> tuple[int, Claim] | None:
        """(row id, claim) of the claim with this id."""
        row = self.conn.execute(
            "SELECT rowid, claim FROM docs WHERE id = ?", (claim_id,)
        ).fetchone()
        return (row[0], decode_claim(row[1])) if row else None

    def by_key(self, key: int) -> Iterator[tuple[int, Claim]]:
        """Claims whose merge key is ``key`` (same normalised text and speaker, or a rare
        hash collision the caller rules out)."""
        for rowid, raw in self.conn.execute("SELECT rowid, claim FROM docs WHERE key = ?", (key,)):
            yield rowid, decode_claim(raw)

    def rowids(self, claim_ids: Iterable[str]) -> set[int]:
        """The row ids of these claims (ids not in the database are ignored)."""
        wanted = list(dict.fromkeys(claim_ids))
        found: set[int] = set()
        for i in range(0, len(wanted), 500):  # SQLite's limit on bound parameters
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(f"SELECT rowid FROM docs WHERE id IN ({marks})", chunk)
            found.update(r[0] for r in rows)
        return found

    def iter_claims(self) -> Iterator[Claim]:
        """Every claim in database order, streamed (never all in memory at once)."""
        for (raw,) in self.conn.execute("SELECT claim FROM docs ORDER BY rowid"):
            yield decode_claim(raw)

    def ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM docs ORDER BY rowid")]

    def has_id(self, claim_id: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM docs WHERE id = ?", (claim_id,)).fetchone() is not None
        )

    # --- browsing through SQL -------------------------------------------------------------

    def select(self, **where: Any) -> Iterator[Claim]:
        """Claims passing the filters (``status``, ``speaker``, ``tag``, ``since``, ``until``,
        ``rowids``; see ``_selected``), streamed in ``order`` (an SQL ORDER BY of our own):
        every filter uses an index, so the first record comes at once at any size."""
        for (raw,) in self._selected(**where):
            yield decode_claim(raw)

    def select_encoded(self, **where: Any) -> Iterator[Encoded]:
        """``select``, each claim as the JSON the store holds (for a listing in JSON)."""
        for (raw,) in self._selected(**where):
            yield Encoded(raw)

    def _selected(
        self,
        *,
        status: Status | None = None,
        speaker: str | None = None,
        tag: str | None = None,
        since: str | None = None,
        until: str | None = None,
        rowids: Iterable[int] | None = None,
        order: str = "rowid",
    ) -> sqlite3.Cursor:
        where, args = ["1"], list[Any]()
        if status is not None:
            where.append("status = ?")
            args.append(status.value)
        if speaker is not None:
            where.append("speaker = ?")
            args.append(speaker)
        if tag is not None:
            where.append("rowid IN (SELECT rowid FROM tags WHERE tag = ?)")
            args.append(tag)
        if since is not None:
            where.append("date_hi >= ?")
            args.append(bounds(since)[0])
        if until is not None:
            where.append("date_lo <= ?")
            args.append(bounds(until)[1])
        if rowids is not None:
            wanted = sorted(set(rowids))
            where.append(f"rowid IN ({','.join('?' * len(wanted))})" if wanted else "0")
            args.extend(wanted)
        sql = f"SELECT claim FROM docs WHERE {' AND '.join(where)} ORDER BY {order}"
        return self.conn.execute(sql, args)

    def containing(self, words: Sequence[Sequence[str]], limit: int = 100_000) -> list[int]:
        """Row ids of claims holding, for each group, at least one of its terms (in any
        field): candidates for ``list --search``, confirmed by its fuzzy check."""
        expr = " AND ".join(f"({fts_query(g)})" for g in words if g)
        if not expr:
            return []
        rows = self.conn.execute("SELECT rowid FROM fts WHERE fts MATCH ? LIMIT ?", (expr, limit))
        return [r[0] for r in rows]

    def counts(self) -> dict[str, Any]:
        """Counts by status, speaker and tag, and how many are dated (``stats``)."""

        def grouped(sql: str) -> dict[str, int]:
            return dict(self.conn.execute(sql))

        return {
            "claims": self.size,
            "by_status": grouped(
                "SELECT status, count(*) AS n FROM docs GROUP BY status ORDER BY n DESC, status"
            ),
            "by_speaker": grouped(
                "SELECT speaker, count(*) AS n FROM docs GROUP BY speaker ORDER BY n DESC, speaker"
            ),
            "by_tag": grouped(
                "SELECT tag, count(*) AS n FROM tags GROUP BY tag COLLATE BINARY"
                " ORDER BY n DESC, tag COLLATE BINARY"
            ),
            "dated": self.conn.execute(
                "SELECT count(*) FROM docs WHERE date_lo IS NOT NULL"
            ).fetchone()[0],
        }

    def speaker_names(self) -> list[str]:
        """Every speaker a claim names, once each (read from the speaker index alone: a
        scan of the claims would decode every record, 13 s at a million claims)."""
        return [r[0] for r in self.conn.execute("SELECT DISTINCT speaker FROM docs")]

    def speaker_counts(self) -> dict[str, tuple[int, int]]:
        """Speaker -> (claims, disputed claims)."""
        rows = self.conn.execute(
            "SELECT speaker, count(*), sum(status = 'disputed') FROM docs GROUP BY speaker"
        )
        return {s: (n, d) for s, n, d in rows}

    # --- term statistics ------------------------------------------------------------------

    def doc_freqs(self, words: Iterable[str]) -> dict[str, int]:
        """How many claims hold each term (0 for terms the index has never seen)."""
        missing = [w for w in dict.fromkeys(words) if w not in self._df]
        if missing:
            marks = ",".join("?" * len(missing))
            found = dict(
                self.conn.execute(f"SELECT term, n FROM df WHERE term IN ({marks})", missing)
            )
            for w in missing:
                self._df[w] = int(found.get(w, 0))
        return {w: self._df[w] for w in words}

    def idf(self, df: int) -> float:
        """BM25's idf, always positive; unseen terms weigh as much as the rarest seen."""
        n = self.size
        return math.log(1.0 + (n - max(df, 1) + 0.5) / (max(df, 1) + 0.5))

    def terms_starting_with(self, letter: str) -> list[str]:
        """Vocabulary terms with this first letter: the candidates for a misspelt word
        (typos rarely hit the first letter, and a range scan keeps this cheap).
        """
        rows = self.conn.execute(
            "SELECT term FROM df WHERE term >= ? AND term < ?", (letter, chr(ord(letter) + 1))
        )
        return [r[0] for r in rows]

    def close(self) -> None:
        self.conn.close()
