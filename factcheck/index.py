"""Candidate retrieval: an SQLite FTS5 index over the claims' normalised, stemmed terms.

Small databases are indexed in memory on each run (a few ms); big ones are indexed once into a
cache file keyed by the database's path, size, mtime and a content sample, and rebuilt
atomically when any of them changes. Both use the same tables and the same ranking, so
matching behaves identically whatever the size.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from factcheck.errors import DatabaseError
from factcheck.model import Claim, Database
from factcheck.normalize import normalize, plain_words, terms, terms_of
from factcheck.speakers import Speakers
from factcheck.store import (
    ClaimStream,
    LayoutError,
    load_database,
    parse_claim,
    parse_speaker,
    stream_database,
)

INDEX_FORMAT = 4  # bump when the tables or the term pipeline change

Progress = Callable[[int, int], None]

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE docs(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, claim TEXT NOT NULL,
                  text_terms TEXT NOT NULL, title_terms TEXT NOT NULL,
                  speaker_terms TEXT NOT NULL, superseded INTEGER NOT NULL);
CREATE VIRTUAL TABLE fts USING fts5(text_terms, title_terms, speaker_terms, content='docs',
                                   content_rowid='rowid', tokenize='unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE vocab USING fts5vocab(fts, 'row');
CREATE TABLE df(term TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
"""


def claim_terms(claim: Claim) -> list[str]:
    """Terms indexed for a claim's text (plus a quote not already in it)."""
    text = normalize(plain_words(claim.text))
    if claim.quote:
        quote = normalize(plain_words(claim.quote))
        if quote not in text:
            text = f"{text} {quote}"
    return terms_of(text.split())


def title_terms(claim: Claim) -> list[str]:
    """Terms of the titles of a claim's sources: a fact-check's headline often says what the
    claim leaves implicit ("Does Video Show a 10-Meter-Long Anaconda?")."""
    return list(dict.fromkeys(t for s in claim.sources if s.name for t in terms(s.name)))


def superseded(claim: Claim) -> bool:
    """A record a later figure updates (46,000 -> 55,000) ranks after its update on a tie."""
    return any(r.relation == "updated-by" for r in claim.related)


def fts_query(query_terms: Iterable[str]) -> str:
    """OR of quoted terms: user text never becomes FTS syntax."""
    quoted = ['"' + t.replace('"', '""') + '"' for t in dict.fromkeys(query_terms) if t]
    return " OR ".join(quoted)


class Index:
    """Read side of the index. Build with ``Index.build`` or get one with ``open_index``."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        self.size = int(meta.get("count", "0"))
        self._speakers = Speakers(
            parse_speaker(s, f"index:speakers[{i}]")
            for i, s in enumerate(json.loads(meta.get("speakers", "[]")))
        )
        self._df: dict[str, int] = {}

    @classmethod
    def build(
        cls,
        db: Database | ClaimStream,
        path: Path | None = None,
        fingerprint: str = "",
        progress: Progress | None = None,
    ) -> Index:
        """Index ``db`` in memory, or into ``path`` atomically (temp file, then rename).

        ``progress(done, total)`` is told claims (or, for a stream, bytes) every 10,000.
        """
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp") if path else None
        if tmp:
            tmp.unlink(missing_ok=True)
        conn = sqlite3.connect(str(tmp) if tmp else ":memory:")
        try:
            if tmp:
                conn.execute("PRAGMA journal_mode=OFF")
                conn.execute("PRAGMA synchronous=OFF")
            conn.executescript(_SCHEMA)
            total = db.size if isinstance(db, ClaimStream) else len(db.claims)
            speakers = Speakers(db.speakers)
            by_speaker: dict[str, str] = {}  # speaker terms, computed once per speaker
            rows = []
            count = 0
            for i, claim in enumerate(db.claims, 1):
                count = i
                rows.append(
                    (
                        i,
                        claim.id,
                        json.dumps(claim.to_dict(), ensure_ascii=False),
                        " ".join(claim_terms(claim)),
                        " ".join(title_terms(claim)),
                        by_speaker.get(claim.speaker)
                        or by_speaker.setdefault(
                            claim.speaker, " ".join(speakers.terms(claim.speaker))
                        ),
                        int(superseded(claim)),
                    )
                )
                if len(rows) >= 10_000:
                    conn.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?,?)", rows)
                    rows.clear()
                    if progress:
                        progress(db.position if isinstance(db, ClaimStream) else i, total)
            conn.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?,?)", rows)
            conn.execute("INSERT INTO fts(fts) VALUES ('rebuild')")
            # Document frequencies as a plain B-tree: 10 lookups take 0.03 ms here against
            # 0.33 ms through fts5vocab (measured on 100k records, 50k distinct terms).
            conn.execute("INSERT INTO df SELECT term, doc FROM vocab")
            conn.execute("CREATE INDEX docs_id ON docs(id)")
            meta = {
                "format": str(INDEX_FORMAT),
                "count": str(count),
                "fingerprint": fingerprint,
                "speakers": json.dumps([s.to_dict() for s in db.speakers], ensure_ascii=False),
                "version": str(db.version),
            }
            conn.executemany("INSERT INTO meta VALUES (?,?)", meta.items())
            conn.commit()
            if progress:
                progress(total, total)
        except BaseException:
            conn.close()
            if tmp:
                tmp.unlink(missing_ok=True)
            raise
        if tmp and path:
            conn.close()
            os.replace(tmp, path)
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        return cls(conn)

    @property
    def speakers(self) -> Speakers:
        """The database's speakers, resolver built once for every use of this index."""
        return self._speakers

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
        return parse_claim(json.loads(row[0]), f"index:{rowid}")

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

    def claim_by_id(self, claim_id: str) -> Claim | None:
        row = self.conn.execute("SELECT claim FROM docs WHERE id = ?", (claim_id,)).fetchone()
        return parse_claim(json.loads(row[0]), f"index:{claim_id}") if row else None

    def iter_claims(self) -> Iterator[Claim]:
        """Every claim in database order, streamed (never all in memory at once)."""
        cursor = self.conn.execute("SELECT rowid, claim FROM docs ORDER BY rowid")
        for rowid, raw in cursor:
            yield parse_claim(json.loads(raw), f"index:{rowid}")

    def ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM docs ORDER BY rowid")]

    @property
    def version(self) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        return int(row[0]) if row else 1

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


def fingerprint(path: Path) -> str:
    """Size, mtime and a CRC of the file's first and last 64 KiB: cheap to check per query.

    CRC32 rather than SHA: this detects edits, not tampering, and hashlib's OpenSSL import
    alone costs ~3 ms of every run.
    """
    st = path.stat()
    with path.open("rb") as f:
        crc = zlib.crc32(f.read(65536))
        if st.st_size > 65536:
            f.seek(max(st.st_size - 65536, 65536))
            crc = zlib.crc32(f.read(65536), crc)
    return f"{st.st_size}:{st.st_mtime_ns}:{crc:08x}"


def cache_file(db_path: Path, cache_dir: Path) -> Path:
    resolved = str(db_path.resolve())
    key = f"{zlib.crc32(resolved.encode()):08x}{zlib.adler32(resolved.encode()):08x}"
    return cache_dir / f"index-{db_path.stem[:40]}-{key}.sqlite"


def open_index(
    db_path: Path,
    cache_dir: Path | None,
    progress: Progress | None = None,
) -> Index:
    """An index for the database at ``db_path``: from cache when fresh, else built now."""
    try:
        db_path.stat()
    except FileNotFoundError:
        raise DatabaseError("database not found", str(db_path), "pass --db PATH") from None
    except OSError as e:
        raise DatabaseError(f"cannot read database: {e.strerror}", str(db_path)) from None
    if cache_dir is None:
        return Index.build(load_database(db_path))
    target = cache_file(db_path, cache_dir)
    stamp = fingerprint(db_path)
    if target.exists():
        try:
            conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
            meta = dict(conn.execute("SELECT key, value FROM meta"))
            if meta.get("fingerprint") == stamp and meta.get("format") == str(INDEX_FORMAT):
                return Index(conn)
            conn.close()
        except sqlite3.DatabaseError:
            pass  # a corrupt or foreign cache file is simply rebuilt
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        # A database written by us is indexed a claim at a time, in flat memory; a file
        # laid out otherwise (hand-edited, pretty-printed) is loaded whole.
        stream = stream_database(db_path)
        if stream is not None:
            try:
                return Index.build(stream, target, stamp, progress)
            except LayoutError:
                pass
        return Index.build(load_database(db_path), target, stamp, progress)
    except OSError:
        return Index.build(load_database(db_path))  # an unwritable cache must not stop a query
