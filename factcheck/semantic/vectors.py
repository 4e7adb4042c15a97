"""Compact storage and exact top-k cosine search for normalised sentence vectors.

Each vector is kept as int8 codes plus one float32 scale (``dim + 4`` bytes: 388 for 384
dimensions), the scale chosen so the decoded row has norm 1. Against float32, on the 13,824
real claim vectors and 992 real queries of the CheckThat! set (see benchmarks/semantic_bench.py):
the same top-1 for every query, 99.5 % of the top 10 and of the top 100 shared, cosines off by
at most 0.0025, and the same MAP@5. float16 agrees even more closely, but takes twice the room
and is ten times slower to search (numpy has no float16 matrix product, so every query would
convert the whole matrix). 100k vectors take 38.8 MB; a search converts them to float32 block
by block, in cache.

A SQLite BLOB holds one vector as a record: little-endian float32 scale, then ``dim`` int8 codes
(``to_blob``/``from_blobs``). A vector file (``save_vectors``/``load_vectors``) holds a header
with the model id, then all scales, then all codes, then any int64 columns (row ids, keys),
so a memory map gives contiguous arrays: ``dense`` keeps one in the cache folder, so a process
maps a million vectors instead of reading them out of SQLite.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factcheck.semantic.errors import SemanticError, missing_package

try:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray
except ImportError as exc:
    raise missing_package("numpy", exc) from exc

FORMAT = "int8-scaled-v1"  # store beside the vectors with the model id
MAGIC = b"FACTCHECK-VECTORS\n"
HEADER_ALIGN = 64  # records start on a 64-byte boundary, as in .npy files
# Values scored per block (1024 rows of 384): 1.5 MB of float32 stays in the 2 MB of L2 cache,
# and each matrix-vector product stays below the size at which OpenBLAS goes multithreaded. On
# the busy 2-core VM a 2048-row block took 390 ms instead of 12 ms per 100k rows (measured).
BLOCK_VALUES = 1024 * 384


def record_dtype(dim: int) -> np.dtype[Any]:
    """The BLOB record of one vector: ``<f4`` scale, then ``dim`` int8 codes."""
    return np.dtype([("scale", "<f4"), ("codes", "i1", (dim,))])


@dataclass(frozen=True, eq=False)
class VectorMatrix:
    """``n`` quantised vectors: row ``i`` is ``scales[i] * codes[i]``, of norm 1.

    ``codes`` is C-contiguous ``[n, dim]`` int8 (a search reads it block by block), ``scales``
    ``[n]`` float32; either may be a read-only memory map.
    """

    codes: NDArray[np.int8]
    scales: NDArray[np.float32]

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    @property
    def dim(self) -> int:
        """Dimensions per vector."""
        return int(self.codes.shape[1])

    @property
    def nbytes(self) -> int:
        """Bytes the vectors occupy (codes and scales)."""
        return len(self) * (self.dim + 4)

    def decode(self, rows: ArrayLike | None = None) -> NDArray[np.float32]:
        """Float32 vectors of ``rows`` (default all), each of norm 1."""
        if rows is None:
            return self.codes.astype(np.float32) * self.scales[:, None]
        index = np.asarray(rows, dtype=np.int64)
        return self.codes[index].astype(np.float32) * self.scales[index, None]

    def records(self) -> NDArray[Any]:
        """The vectors as one structured array of BLOB records (a copy)."""
        out = np.empty(len(self), dtype=record_dtype(self.dim))
        out["scale"] = self.scales
        out["codes"] = self.codes
        return out


def quantize(vectors: ArrayLike) -> VectorMatrix:
    """Quantise L2-normalised vectors ``[n, dim]`` to int8 codes with a per-vector scale.

    Codes span -127..127 (the largest component maps to ±127); the scale is then set so the
    decoded vector has norm 1, so scores stay cosines. A zero vector stays zero.
    """
    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"expected a [n, dim] matrix, got shape {x.shape}")
    peak = np.abs(x).max(axis=1, keepdims=True) if x.size else np.zeros((len(x), 1), np.float32)
    safe = np.where(peak > 0, peak, 1.0).astype(np.float32)
    codes = np.clip(np.rint(x * (127.0 / safe)), -127, 127).astype(np.int8)
    length = np.linalg.norm(codes.astype(np.float32), axis=1)
    scales = np.where(length > 0, 1.0 / np.where(length > 0, length, 1.0), 0.0).astype(np.float32)
    return VectorMatrix(codes, scales)


def to_blob(matrix: VectorMatrix, row: int) -> bytes:
    """Row ``row`` as a BLOB (``dim + 4`` bytes) for a SQLite column."""
    scale = np.asarray(matrix.scales[row], dtype="<f4")
    return bytes(scale.tobytes()) + bytes(matrix.codes[row].tobytes())


def iter_blobs(matrix: VectorMatrix) -> Iterator[bytes]:
    """Every row as a BLOB, in order (for ``executemany``)."""
    records = matrix.records()
    for i in range(len(records)):
        yield records[i : i + 1].tobytes()


def from_blobs(blobs: Iterable[bytes], dim: int) -> VectorMatrix:
    """The matrix of BLOBs written by ``to_blob``, in the order given (no Python loop per row)."""
    size = dim + 4
    buffer = b"".join(blobs)
    if len(buffer) % size:
        raise SemanticError(
            f"vector BLOBs are not {size} bytes each (dim {dim})", hint="rebuild the vectors"
        )
    records = np.frombuffer(buffer, dtype=record_dtype(dim))
    # Copies: the records interleave scales and codes, and a search wants contiguous codes.
    codes = np.ascontiguousarray(records["codes"])
    return VectorMatrix(codes, np.ascontiguousarray(records["scale"], dtype=np.float32))


def _pad(size: int) -> int:
    return -size % HEADER_ALIGN


def save_vectors(
    path: str | os.PathLike[str],
    matrix: VectorMatrix,
    *,
    model_id: str,
    header: Mapping[str, str] | None = None,
    columns: Mapping[str, ArrayLike] | None = None,
) -> None:
    """Write ``matrix`` to ``path`` atomically, with ``model_id`` and the format in its header.

    Layout: a magic line and a JSON header line, padded to 64 bytes; ``count`` float32 scales,
    padded to 64 bytes; ``count x dim`` int8 codes; then each of ``columns`` (``count``
    int64 values a name, e.g. the row id of each vector), padded to 64 bytes. Like ``.npy``,
    but with room for the model id that makes the vectors stale when it changes, and for
    ``header``: more string fields the reader gets back as they were.
    """
    target = Path(path)
    names = list(columns or {})
    ints = [np.ascontiguousarray(np.asarray((columns or {})[n]), dtype="<i8") for n in names]
    if any(c.shape != (len(matrix),) for c in ints):
        raise ValueError(f"each column must hold {len(matrix)} values, one per vector")
    fields = {"format": FORMAT, "model_id": model_id, "dim": matrix.dim, "count": len(matrix)}
    fields |= {"columns": names, "header": dict(header or {})}
    head = MAGIC + json.dumps(fields, ensure_ascii=True).encode("ascii")
    head += b" " * _pad(len(head) + 1) + b"\n"
    scales = np.ascontiguousarray(matrix.scales, dtype="<f4").tobytes()
    codes = np.ascontiguousarray(matrix.codes, dtype=np.int8).tobytes()
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(head)
            f.write(scales + b"\0" * _pad(len(scales)))
            f.write(codes + b"\0" * (_pad(len(codes)) if ints else 0))
            for column in ints:
                f.write(column.tobytes())  # 8 bytes a value: stays 64-byte aligned per 8
                f.write(b"\0" * _pad(column.nbytes))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@dataclass(frozen=True, eq=False)
class VectorFile:
    """A loaded vector file: the matrix, the model id it was made with, the extra header
    fields and int64 columns it was written with (memory-mapped too, when the matrix is)."""

    matrix: VectorMatrix
    model_id: str
    format: str
    header: dict[str, str] = field(default_factory=dict)
    columns: dict[str, NDArray[np.int64]] = field(default_factory=dict)


def load_vectors(path: str | os.PathLike[str], *, mmap: bool = True) -> VectorFile:
    """Read a file written by ``save_vectors``; memory-mapped by default (no copy, lazy pages).

    A file that is not such a file, or has the wrong size, is a ``SemanticError`` (rebuild it).
    """
    source = Path(path)
    with source.open("rb") as f:
        head = f.read(4096)
    end = head.find(b"\n", len(MAGIC))
    try:
        if not head.startswith(MAGIC) or end < 0:
            raise ValueError("no vector-file header")
        meta = json.loads(head[len(MAGIC) : end])
        dim, count = int(meta["dim"]), int(meta["count"])
        names = [str(n) for n in meta.get("columns", [])]
        header = {str(k): str(v) for k, v in dict(meta.get("header", {})).items()}
        if dim < 1 or count < 0:
            raise ValueError(f"dim {dim}, count {count}")
        scales_at = end + 1
        codes_at = scales_at + 4 * count + _pad(4 * count)
        columns_at = codes_at + count * dim + (_pad(count * dim) if names else 0)
        column_size = 8 * count + _pad(8 * count)
        expected = columns_at + column_size * len(names)
        size = source.stat().st_size
        if size != expected:
            raise ValueError(f"{size} bytes, expected {expected}")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SemanticError(
            f"not a readable vector file ({exc})", str(source), "rebuild the vectors"
        ) from exc
    columns: dict[str, NDArray[np.int64]] = {}
    if count == 0:
        matrix = VectorMatrix(np.empty((0, dim), np.int8), np.empty(0, np.float32))
        columns = {n: np.empty(0, np.int64) for n in names}
    elif mmap:
        matrix = VectorMatrix(
            np.memmap(source, dtype=np.int8, mode="r", offset=codes_at, shape=(count, dim)),
            np.memmap(source, dtype="<f4", mode="r", offset=scales_at, shape=(count,)),
        )
        for i, n in enumerate(names):
            at = columns_at + i * column_size
            columns[n] = np.memmap(source, dtype="<i8", mode="r", offset=at, shape=(count,))
    else:
        scales = np.fromfile(source, dtype="<f4", offset=scales_at, count=count)
        codes = np.fromfile(source, dtype=np.int8, offset=codes_at, count=count * dim)
        matrix = VectorMatrix(codes.reshape(count, dim), scales.astype(np.float32))
        for i, n in enumerate(names):
            at = columns_at + i * column_size
            columns[n] = np.fromfile(source, dtype="<i8", offset=at, count=count)
    return VectorFile(matrix, str(meta["model_id"]), str(meta["format"]), header, columns)


# Cosines that agree to this many decimals rank as equal (see _best).
TIE_DECIMALS = 5


def scores(
    matrix: VectorMatrix, queries: ArrayLike, *, rows: ArrayLike | None = None
) -> NDArray[np.float32]:
    """Cosines between normalised ``queries`` (``[dim]`` or ``[m, dim]``) and ``rows`` (or all).

    Shape ``[len(rows)]`` for one query, ``[m, len(rows)]`` for several.
    """
    q = np.asarray(queries, dtype=np.float32)
    single = q.ndim == 1
    q2 = q.reshape(1, -1) if single else q
    if q2.ndim != 2 or q2.shape[1] != matrix.dim:
        raise ValueError(f"queries must have {matrix.dim} columns, got shape {q.shape}")
    index = None if rows is None else np.asarray(rows, dtype=np.int64).reshape(-1)
    total = len(matrix) if index is None else len(index)
    out = np.empty((len(q2), total), dtype=np.float32)
    step = max(1, BLOCK_VALUES // matrix.dim)
    block = np.empty((min(step, max(total, 1)), matrix.dim), dtype=np.float32)
    for start in range(0, total, step):
        stop = min(start + step, total)
        codes = matrix.codes[start:stop] if index is None else matrix.codes[index[start:stop]]
        part = block[: stop - start]
        np.copyto(part, codes, casting="unsafe")  # int8 -> float32 is exact
        # One matrix-vector product per query, not one matrix product for all: OpenBLAS
        # threads a matrix product of this size, and on a busy 2-core machine that was 4x
        # slower per query than these single-threaded products (measured).
        for j in range(len(q2)):
            np.dot(part, q2[j], out=out[j, start:stop])
    out *= matrix.scales if index is None else matrix.scales[index]
    return out[0] if single else out


def top_k(
    matrix: VectorMatrix, query: ArrayLike, k: int, *, rows: ArrayLike | None = None
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """The ``k`` rows most similar to one normalised ``query``: (row numbers, cosines), best first.

    Exact (every row is scored). ``rows`` restricts the search to those row numbers (e.g. the
    claims a filter kept); returned row numbers are always rows of ``matrix``. Scores equal to
    ``TIE_DECIMALS`` places are ordered by row number.
    """
    q = np.asarray(query, dtype=np.float32)
    if q.ndim != 1:
        raise ValueError(f"one query of shape [dim] expected, got {q.shape}")
    index = None if rows is None else np.asarray(rows, dtype=np.int64).reshape(-1)
    s = scores(matrix, q, rows=index)
    ids = np.arange(len(s), dtype=np.int64) if index is None else index
    return _best(ids, s, k)


def top_k_many(
    matrix: VectorMatrix, queries: ArrayLike, k: int, *, rows: ArrayLike | None = None
) -> list[tuple[NDArray[np.int64], NDArray[np.float32]]]:
    """``top_k`` for each row of ``queries`` ``[m, dim]``, scoring the matrix once for all."""
    q = np.asarray(queries, dtype=np.float32)
    if q.ndim != 2:
        raise ValueError(f"queries of shape [m, dim] expected, got {q.shape}")
    index = None if rows is None else np.asarray(rows, dtype=np.int64).reshape(-1)
    all_scores = scores(matrix, q, rows=index)
    ids = np.arange(all_scores.shape[1], dtype=np.int64) if index is None else index
    return [_best(ids, s, k) for s in all_scores]


def _best(
    ids: NDArray[np.int64], s: NDArray[np.float32], k: int
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    k = min(max(k, 0), len(s))
    if k == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    # BLAS sums a row in another order at the tail of a block than in its body, so equal
    # vectors can score a unit in the last place apart: rank on scores rounded well below
    # any difference that means something, so equal vectors tie and go by row number.
    key = np.round(s, TIE_DECIMALS)
    if k < len(s):
        # argpartition picks arbitrarily among scores equal to the k-th: keep the lowest rows.
        kth = key[np.argpartition(-key, k - 1)[k - 1]]
        above = np.flatnonzero(key > kth)
        equal = np.flatnonzero(key == kth)
        equal = equal[np.argsort(ids[equal], kind="stable")][: k - len(above)]
        pick = np.concatenate([above, equal])
    else:
        pick = np.arange(len(s))
    order = np.lexsort((ids[pick], -key[pick]))  # by score, then row number
    chosen = pick[order]
    return ids[chosen], s[chosen]
