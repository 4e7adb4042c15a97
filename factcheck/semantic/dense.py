"""Claim vectors stored with a database, kept in step with it, and searched beside BM25.

Where the vectors live: a SQLite database holds them in its own file (tables
``claim_vectors`` and ``vector_meta``); a JSON database in a SQLite file of the same tables
next to its index cache (``vectors-<name>-<hash of its real path>.sqlite``), since the JSON
file itself is for people to read and edit. From ``MAP_FROM`` vectors on, a load also keeps a
copy in the cache folder (``stored.vector_map_path``) for the next process to memory-map,
tagged with the generations of the index and of the vectors it was made from.

Each row is keyed by claim id and carries a **content key**: a hash of the claim's indexed
text and title terms (what the index holds for it, so checking a key needs no JSON decoding).
``embed`` re-embeds a claim whose key changed, embeds the new ones and drops the vectors of
claims that are gone; vectors of another model (``model.model_id``) are all replaced. A stale
vector is never used: a search checks the key of every dense hit against the index first.

A claim's vector is the mean of the vectors of its wordings (``wordings``): its text and the
headline of each of its fact-checks, each embedded on its own (a headline often says what the
claim leaves implicit: "Does Video Show a 10-Meter-Long Anaconda?"). On the CheckThat! tweets
this ranks better than embedding the two joined as one text (README, "Semantic matching").
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from factcheck.errors import DatabaseError
from factcheck.index import new_generation
from factcheck.semantic import vectors
from factcheck.semantic.errors import SemanticError
from factcheck.semantic.fusion import DEPTH
from factcheck.semantic.stored import RECIPE, SCHEMA, content_key, stored_model, stored_recipe

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from factcheck.index import Index
    from factcheck.model import Claim
    from factcheck.semantic.encoder import Encoder

Progress = Callable[[int, int], None]

BATCH = 256  # claims embedded and committed at a time: an interrupted embed keeps its work
# From this many vectors a load keeps a memory-mapped copy in the cache folder: below it,
# reading them out of SQLite takes a few milliseconds (100,000: 0.3 s; 1,000,000: 5 s).
MAP_FROM = 10_000


def wordings(claim: Claim) -> list[str]:
    """What is embedded for a claim: its text, then each distinct headline (name) of its
    fact-check sources. Other sources' names ("social media comments") do not word the claim."""
    heads = (s.name for s in claim.sources if s.kind == "fact-check" and s.name)
    return list(dict.fromkeys([claim.text, *heads]))


def claim_vectors(encoder: Encoder, claims: Sequence[Claim]) -> NDArray[np.float32]:
    """One unit vector per claim: the normalised mean of its wordings' vectors."""
    parts = [wordings(c) for c in claims]
    flat = encoder.encode([w for ws in parts for w in ws])
    out = np.empty((len(claims), flat.shape[1]), dtype=np.float32)
    start = 0
    for row, ws in enumerate(parts):
        out[row] = flat[start : start + len(ws)].mean(axis=0)
        start += len(ws)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class EmbedReport:
    """What ``embed`` did: claims in the index, vectors computed, kept as they were, dropped."""

    claims: int
    embedded: int
    kept: int
    dropped: int
    model: str
    path: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.executescript(SCHEMA)
    return conn


def embed(
    index: Index,
    path: Path,
    encoder: Encoder,
    *,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> EmbedReport:
    """Bring the vectors at ``path`` in step with ``index``: embed what is new or changed.

    Commits every ``batch`` claims, so an interrupted run keeps what it did and the next one
    goes on from there. The caller holds the database's writers' lock.
    """
    from factcheck.store.records import decode_claim

    path.parent.mkdir(parents=True, exist_ok=True)
    conn = _connect(path)
    try:
        row = conn.execute("SELECT value FROM vector_meta WHERE key = 'model'").fetchone()
        conn.execute("BEGIN IMMEDIATE")
        if row is None or row[0] != encoder.model_id or stored_recipe(conn) != RECIPE:
            conn.execute("DELETE FROM claim_vectors")  # another model's vectors are no use
            conn.execute(
                "INSERT OR REPLACE INTO vector_meta VALUES ('model', ?), ('format', ?),"
                " ('recipe', ?)",
                (encoder.model_id, vectors.FORMAT, RECIPE),
            )
            _new_generation(conn)
        elif conn.execute("SELECT 1 FROM vector_meta WHERE key = 'generation'").fetchone() is None:
            _new_generation(conn)  # vectors of an earlier version: from now on they have one
        have = dict(conn.execute("SELECT id, key FROM claim_vectors"))
        conn.execute("COMMIT")
        todo: list[tuple[str, int, int]] = []  # (id, key, rowid)
        seen = 0
        for rowid, claim_id, text_terms, title_terms in index.conn.execute(
            "SELECT rowid, id, text_terms, title_terms FROM docs ORDER BY rowid"
        ):
            seen += 1
            key = content_key(text_terms, title_terms)
            if have.pop(claim_id, None) != key:
                todo.append((claim_id, key, rowid))
        if have:  # claims no longer in the database
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("DELETE FROM claim_vectors WHERE id = ?", [(i,) for i in have])
            _new_generation(conn)
            conn.execute("COMMIT")
        done = 0
        for start in range(0, len(todo), batch):
            part = todo[start : start + batch]
            claims = [decode_claim(_claim_json(index, r)) for _, _, r in part]
            matrix = vectors.quantize(claim_vectors(encoder, claims))
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT OR REPLACE INTO claim_vectors VALUES (?, ?, ?)",
                [(i, k, vectors.to_blob(matrix, n)) for n, (i, k, _) in enumerate(part)],
            )
            _new_generation(conn)
            conn.execute("COMMIT")
            done += len(part)
            if progress:
                progress(done, len(todo))
        return EmbedReport(
            seen, len(todo), seen - len(todo), len(have), encoder.model_id, str(path)
        )
    except sqlite3.Error as e:
        raise DatabaseError(f"{path}: cannot store vectors: {e}") from e
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()


def _new_generation(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT OR REPLACE INTO vector_meta VALUES ('generation', ?)", (new_generation(),))


def _generations(index: Index, conn: sqlite3.Connection) -> str | None:
    """What a vector map must have been made from to be current: the index's generation (its
    row ids; a JSON database's index cache built by an earlier version has the fingerprint of
    the file it was built from, as good) and the vectors'; None when either has neither."""
    meta = dict(
        index.conn.execute("SELECT key, value FROM meta WHERE key IN ('generation', 'fingerprint')")
    )
    rows = meta.get("generation") or meta.get("fingerprint")
    mine = conn.execute("SELECT value FROM vector_meta WHERE key = 'generation'").fetchone()
    return f"{rows}/{mine[0]}" if rows and mine else None


def _claim_json(index: Index, rowid: int) -> str:
    (raw,) = index.conn.execute("SELECT claim FROM docs WHERE rowid = ?", (rowid,)).fetchone()
    return str(raw)


class DenseIndex:
    """The stored vectors of one index, as int8, searched exactly (see ``vectors``).

    ``search`` and ``cosines`` embed the query once (the last query's vector is kept).
    """

    def __init__(
        self,
        index: Index,
        encoder: Encoder,
        rowids: NDArray[np.int64],
        keys: NDArray[np.int64],
        matrix: vectors.VectorMatrix,
    ) -> None:
        self.index = index
        self.encoder = encoder
        self.rowids = rowids  # ascending: a row's position is found by bisection
        self.keys = keys
        self.matrix = matrix
        self._last: tuple[str, NDArray[np.float32]] | None = None

    def __len__(self) -> int:
        return len(self.rowids)

    @classmethod
    def load(
        cls, index: Index, path: Path, encoder: Encoder, mapped: Path | None = None
    ) -> DenseIndex | None:
        """The vectors at ``path`` for ``index``, or None if there are none for this model
        (or they were made another way: ``stored.RECIPE``).

        With ``mapped`` (a file in the cache folder, ``stored.vector_map_path``), a copy of
        them is kept there from ``MAP_FROM`` vectors on and memory-mapped by the next load
        while the index and the vectors are as it was made from: a million vectors map in
        milliseconds, where reading them out of SQLite takes seconds and twice their size.
        """
        if not path.is_file():
            return None
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        except sqlite3.Error:
            return None
        try:
            if stored_model(conn) != encoder.model_id or stored_recipe(conn) != RECIPE:
                return None
            made_from = _generations(index, conn)  # read first: a later write makes it stale
            if mapped is not None and made_from is not None:
                dense = cls._mapped(index, encoder, mapped, made_from)
                if dense is not None:
                    return dense
            stored = conn.execute("SELECT id, key, code FROM claim_vectors").fetchall()
        except sqlite3.Error as e:
            raise DatabaseError(f"{path}: cannot read vectors: {e}") from e
        finally:
            conn.close()
        where = dict(index.conn.execute("SELECT id, rowid FROM docs"))
        rows = [(where[i], k, c) for i, k, c in stored if i in where]
        if not rows:
            return None
        rows.sort()
        matrix = vectors.from_blobs((c for _, _, c in rows), encoder.dim)
        rowids = np.fromiter((r for r, _, _ in rows), dtype=np.int64, count=len(rows))
        keys = np.fromiter((k for _, k, _ in rows), dtype=np.int64, count=len(rows))
        if mapped is not None and made_from is not None and len(rows) >= MAP_FROM:
            header = {"recipe": RECIPE, "made_from": made_from}
            columns = {"rowid": rowids, "key": keys}
            try:
                mapped.parent.mkdir(parents=True, exist_ok=True)
                vectors.save_vectors(
                    mapped, matrix, model_id=encoder.model_id, header=header, columns=columns
                )
            except OSError:
                pass  # a full or read-only cache folder must not stop a search
        return cls(index, encoder, rowids, keys, matrix)

    @classmethod
    def _mapped(
        cls, index: Index, encoder: Encoder, mapped: Path, made_from: str
    ) -> DenseIndex | None:
        """The vector map at ``mapped`` if it is current; None to read the vectors instead."""
        try:
            found = vectors.load_vectors(mapped)
        except (OSError, SemanticError):
            return None
        if (
            found.model_id != encoder.model_id
            or found.format != vectors.FORMAT
            or found.header.get("recipe") != RECIPE
            or found.header.get("made_from") != made_from
            or found.matrix.dim != encoder.dim
            or set(found.columns) != {"rowid", "key"}
            or not len(found.matrix)
        ):
            return None
        return cls(index, encoder, found.columns["rowid"], found.columns["key"], found.matrix)

    def _query(self, text: str) -> NDArray[np.float32]:
        if self._last is None or self._last[0] != text:
            self._last = (text, self.encoder.encode_one(text))
        return self._last[1]

    def search(
        self, text: str, k: int = DEPTH, exclude: Collection[int] = ()
    ) -> list[tuple[int, float]]:
        """The ``k`` rows closest to ``text`` as (row id, cosine), best first; stale vectors
        (the claim changed since it was embedded) and rows in ``exclude`` are left out."""
        ids, cos = vectors.top_k(self.matrix, self._query(text), k + len(exclude))
        hits = [
            (int(self.rowids[i]), float(c), int(self.keys[i]))
            for i, c in zip(ids.tolist(), cos.tolist(), strict=True)
            if int(self.rowids[i]) not in exclude
        ][:k]
        fresh = self._fresh({r: key for r, _, key in hits})
        return [(r, c) for r, c, _ in hits if r in fresh]

    def cosines(self, text: str, rowids: Sequence[int]) -> dict[int, float]:
        """The cosine of ``text`` with each of ``rowids`` that has a fresh vector."""
        wanted = np.asarray(rowids, dtype=np.int64).reshape(-1)
        at = np.minimum(np.searchsorted(self.rowids, wanted), max(len(self.rowids) - 1, 0))
        held = (self.rowids[at] == wanted) if len(self.rowids) else wanted < 0
        known = wanted[held].tolist()
        if not known:
            return {}
        positions = at[held].tolist()
        cos = vectors.scores(self.matrix, self._query(text), rows=positions)
        fresh = self._fresh({r: int(self.keys[p]) for r, p in zip(known, positions, strict=True)})
        return {r: float(c) for r, c in zip(known, cos.tolist(), strict=True) if r in fresh}

    def _fresh(self, keys: dict[int, int]) -> set[int]:
        """Which of these rows' stored keys still match what the index holds for them."""
        if not keys:
            return set()
        marks = ",".join("?" * len(keys))
        rows = self.index.conn.execute(
            f"SELECT rowid, text_terms, title_terms FROM docs WHERE rowid IN ({marks})",
            list(keys),
        )
        return {r for r, text, title in rows if content_key(text, title) == keys[r]}
