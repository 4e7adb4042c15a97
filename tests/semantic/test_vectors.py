"""int8 vector storage, BLOB and file round trips, exact top-k against a brute-force reference."""

from __future__ import annotations

from pathlib import Path

import pytest

np = pytest.importorskip("numpy", reason="vector storage needs numpy (the semantic extra)")

from factcheck.semantic import vectors as v  # noqa: E402
from factcheck.semantic.errors import SemanticError  # noqa: E402


def unit(rows: int, dim: int, seed: int = 0):  # type: ignore[no-untyped-def]
    x = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_quantize_keeps_cosines_and_unit_norm() -> None:
    x = unit(500, 384)
    m = v.quantize(x)
    assert m.codes.dtype == np.int8
    assert m.scales.dtype == np.float32
    assert (len(m), m.dim, m.nbytes) == (500, 384, 500 * 388)
    assert int(np.abs(m.codes).max(axis=1).min()) == 127  # every row uses the full range
    np.testing.assert_allclose(np.linalg.norm(m.decode(), axis=1), 1.0, atol=1e-6)
    q = unit(20, 384, seed=1)
    error = np.abs(q @ m.decode().T - q @ x.T)
    assert float(error.max()) < 0.01


def test_zero_vector_stays_zero() -> None:
    m = v.quantize(np.zeros((2, 4), np.float32))
    np.testing.assert_array_equal(m.codes, 0)
    np.testing.assert_array_equal(m.scales, 0.0)
    assert v.quantize(np.zeros((0, 4), np.float32)).codes.shape == (0, 4)


def test_quantize_wants_a_matrix() -> None:
    with pytest.raises(ValueError, match="expected a"):
        v.quantize(np.ones(4, np.float32))


def test_blob_round_trip() -> None:
    m = v.quantize(unit(50, 16))
    blobs = [v.to_blob(m, i) for i in range(len(m))]
    assert all(len(b) == 20 for b in blobs)
    assert list(v.iter_blobs(m)) == blobs
    back = v.from_blobs(blobs, 16)
    np.testing.assert_array_equal(back.codes, m.codes)
    np.testing.assert_array_equal(back.scales, m.scales)
    assert back.codes.flags.c_contiguous
    assert len(v.from_blobs([], 16)) == 0


def test_blobs_of_the_wrong_size() -> None:
    with pytest.raises(SemanticError, match="vector BLOBs are not 20 bytes each"):
        v.from_blobs([b"\0" * 19], 16)


@pytest.mark.parametrize("mmap", [True, False])
def test_file_round_trip(tmp_path: Path, mmap: bool) -> None:
    m = v.quantize(unit(37, 24))
    path = tmp_path / "vectors.bin"
    v.save_vectors(path, m, model_id="mini;onnx=abc")
    loaded = v.load_vectors(path, mmap=mmap)
    assert (loaded.model_id, loaded.format) == ("mini;onnx=abc", "int8-scaled-v1")
    np.testing.assert_array_equal(loaded.matrix.codes, m.codes)
    np.testing.assert_array_equal(loaded.matrix.scales, m.scales)
    assert loaded.matrix.codes.flags.c_contiguous
    assert [p.name for p in tmp_path.iterdir()] == ["vectors.bin"]  # no temp file left
    header = path.read_bytes()[:64]
    assert header.startswith(b"FACTCHECK-VECTORS\n{")


@pytest.mark.parametrize("mmap", [True, False])
@pytest.mark.parametrize("count", [0, 1, 37])
def test_file_round_trip_with_header_fields_and_columns(
    tmp_path: Path, mmap: bool, count: int
) -> None:
    m = v.quantize(unit(count, 24)) if count else v.quantize(np.zeros((0, 24), np.float32))
    rowids = np.arange(count, dtype=np.int64) * 7 + 3
    keys = -np.arange(count, dtype=np.int64) - 2**62
    path = tmp_path / "vectors.bin"
    header = {"recipe": "r", "made_from": "a/b"}
    v.save_vectors(path, m, model_id="m", header=header, columns={"rowid": rowids, "key": keys})
    loaded = v.load_vectors(path, mmap=mmap)
    assert loaded.header == header and list(loaded.columns) == ["rowid", "key"]
    np.testing.assert_array_equal(loaded.columns["rowid"], rowids)
    np.testing.assert_array_equal(loaded.columns["key"], keys)
    np.testing.assert_array_equal(loaded.matrix.codes, m.codes)
    np.testing.assert_array_equal(loaded.matrix.scales, m.scales)
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(SemanticError, match="not a readable vector file"):
        v.load_vectors(path, mmap=mmap)


def test_a_column_of_another_length_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="each column must hold 3 values"):
        v.save_vectors(
            tmp_path / "f", v.quantize(unit(3, 8)), model_id="m", columns={"rowid": [1, 2]}
        )
    assert not list(tmp_path.iterdir())


def test_empty_file_round_trip(tmp_path: Path) -> None:
    v.save_vectors(tmp_path / "e", v.quantize(np.zeros((0, 8), np.float32)), model_id="m")
    loaded = v.load_vectors(tmp_path / "e")
    assert (len(loaded.matrix), loaded.matrix.dim) == (0, 8)


def test_truncated_or_foreign_file(tmp_path: Path) -> None:
    path = tmp_path / "vectors.bin"
    v.save_vectors(path, v.quantize(unit(10, 8)), model_id="m")
    data = path.read_bytes()
    path.write_bytes(data[:-1])
    with pytest.raises(SemanticError) as info:
        v.load_vectors(path)
    assert str(info.value) == (
        f"not a readable vector file ({len(data) - 1} bytes, expected {len(data)}) "
        f"({path}): rebuild the vectors"
    )
    path.write_bytes(b"\x93NUMPY\x01\x00")
    with pytest.raises(SemanticError, match="no vector-file header"):
        v.load_vectors(path)


def brute_force(matrix: v.VectorMatrix, q, rows=None, k=10):  # type: ignore[no-untyped-def]
    """The reference: decode everything, score with a plain product, sort all (stable)."""
    ids = np.arange(len(matrix)) if rows is None else np.asarray(rows)
    s = matrix.decode(ids) @ q
    order = np.lexsort((ids, -np.round(s, v.TIE_DECIMALS)))[:k]  # ties as top_k defines them
    return ids[order], s[order]


@pytest.mark.parametrize("k", [1, 10, 100, 2999, 3000, 5000])
def test_top_k_matches_brute_force(k: int) -> None:
    x = unit(3000, 48, seed=2)  # one block; block edges: test_top_k_across_many_blocks
    m = v.quantize(x)
    for q in unit(5, 48, seed=3):
        ids, scores = v.top_k(m, q, k)
        want_ids, want_scores = brute_force(m, q, k=k)
        np.testing.assert_array_equal(ids, want_ids)
        np.testing.assert_allclose(scores, want_scores, atol=1e-5)
        assert ids.dtype == np.int64
        assert scores.dtype == np.float32


def test_top_k_across_many_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(v, "BLOCK_VALUES", 7 * 16)  # 7 rows per block: 1001 rows in 143 blocks
    m = v.quantize(unit(1001, 16, seed=4))
    q = unit(1, 16, seed=5)[0]
    ids, scores = v.top_k(m, q, 50)
    want_ids, want_scores = brute_force(m, q, k=50)
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_allclose(scores, want_scores, atol=1e-5)


def test_top_k_on_a_subset_of_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(v, "BLOCK_VALUES", 5 * 16)
    m = v.quantize(unit(400, 16, seed=6))
    rows = np.random.default_rng(7).choice(400, size=77, replace=False)
    q = unit(1, 16, seed=8)[0]
    ids, scores = v.top_k(m, q, 10, rows=rows)
    want_ids, want_scores = brute_force(m, q, rows=rows, k=10)
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_allclose(scores, want_scores, atol=1e-5)
    assert set(ids.tolist()) <= set(rows.tolist())
    assert v.top_k(m, q, 10, rows=[])[0].shape == (0,)
    np.testing.assert_array_equal(v.top_k(m, q, 3, rows=[5])[0], [5])


def test_equal_scores_are_ordered_by_row() -> None:
    m = v.quantize(np.tile(unit(1, 8)[0], (6, 1)))
    q = m.decode([0])[0]
    np.testing.assert_array_equal(v.top_k(m, q, 4)[0], [0, 1, 2, 3])
    # Also when the rows come in another order, and when ties straddle the k-th place.
    np.testing.assert_array_equal(v.top_k(m, q, 3, rows=[5, 3, 1, 4, 0, 2])[0], [0, 1, 2])
    np.testing.assert_array_equal(v.top_k_many(m, q[None], 2, rows=[4, 5, 2])[0][0], [2, 4])


def test_k_zero_and_bad_queries() -> None:
    m = v.quantize(unit(10, 8))
    assert v.top_k(m, unit(1, 8)[0], 0)[0].shape == (0,)
    with pytest.raises(ValueError, match="one query"):
        v.top_k(m, unit(2, 8), 3)
    with pytest.raises(ValueError, match="8 columns"):
        v.scores(m, unit(1, 9)[0])


def test_many_queries_at_once_agree_with_one_at_a_time() -> None:
    m = v.quantize(unit(700, 32, seed=9))
    queries = unit(6, 32, seed=10)
    rows = np.arange(0, 700, 3)
    for rows_arg in (None, rows):
        many = v.top_k_many(m, queries, 15, rows=rows_arg)
        for q, (ids, scores) in zip(queries, many, strict=True):
            one_ids, one_scores = v.top_k(m, q, 15, rows=rows_arg)
            np.testing.assert_array_equal(ids, one_ids)
            np.testing.assert_allclose(scores, one_scores, atol=1e-6)
    all_scores = v.scores(m, queries)
    assert all_scores.shape == (6, 700)
    np.testing.assert_allclose(all_scores, queries @ m.decode().T, atol=1e-5)


def test_search_over_a_memory_mapped_file(tmp_path: Path) -> None:
    m = v.quantize(unit(900, 24, seed=11))
    v.save_vectors(tmp_path / "f", m, model_id="m")
    mapped = v.load_vectors(tmp_path / "f").matrix
    q = unit(1, 24, seed=12)[0]
    np.testing.assert_array_equal(v.top_k(mapped, q, 20)[0], v.top_k(m, q, 20)[0])
