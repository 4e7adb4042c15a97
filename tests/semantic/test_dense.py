"""Claim vectors stored with a database, kept in step, and fused into search (tiny model).

The tiny model's vectors mean nothing; these tests check the plumbing: what is stored where,
what is embedded again, what is never used (stale, another model), and what the command
line does with and without vectors, model and extra. Real quality: test_semantic_quality.py.
"""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import factcheck
from factcheck.cli import Env, main
from factcheck.importer import import_files

from .tiny import TinyModel

pytest.importorskip("onnxruntime", reason="the encoder needs onnxruntime (the semantic extra)")

CLAIMS = [
    {"id": "drone", "text": "Russia said the drone fell into the Black Sea", "speaker": "Moscow"},
    {"id": "council", "text": "The council spent dollars on roads", "speaker": "Council"},
    {"id": "hotline", "text": "Washington and Moscow restore the military hotline",
     "speaker": "Washington", "sources": [{"kind": "fact-check", "name": "Hotline is back"}]},
    {"id": "soldiers", "text": "Ukraine said soldiers died", "speaker": "Kyiv"},
]  # fmt: skip


def _jsonl(tmp_path: Path, claims: list[dict[str, Any]]) -> Path:
    path = tmp_path / "claims.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for c in claims:
            out.write(json.dumps({"status": "undisputed", **c}) + "\n")
    return path


@pytest.fixture(params=["json", "sqlite"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / f"claims.{request.param}"
    import_files(path, [str(_jsonl(tmp_path, CLAIMS))])
    return path


def _open(db: Path, tmp_path: Path, tiny: TinyModel, **kw: Any) -> factcheck.Session:
    return factcheck.open(db, cache_dir=tmp_path / "cache", model_dir=tiny.folder, **kw)


def test_embed_stores_every_claim_then_nothing_more(
    db: Path, tmp_path: Path, tiny_model: TinyModel
) -> None:
    with _open(db, tmp_path, tiny_model) as fc:
        first = fc.embed()
        assert (first.claims, first.embedded, first.kept, first.dropped) == (4, 4, 0, 0)
        again = fc.embed()
        assert (again.embedded, again.kept) == (0, 4)
        stats = fc.stats()["semantic"]
        assert stats["vectors"] == 4 and stats["claims"] == 4
        assert stats["model"] == first.model
        where = Path(stats["path"])
    # The SQLite store keeps them in its own file; a JSON database beside its index cache.
    assert (where == db) == db.name.endswith(".sqlite")
    assert where.parent == db.parent if db.name.endswith(".sqlite") else tmp_path / "cache"


def test_a_changed_claim_is_embedded_again_and_a_removed_one_dropped(
    db: Path, tmp_path: Path, tiny_model: TinyModel
) -> None:
    with _open(db, tmp_path, tiny_model) as fc:
        fc.embed()
    changed = [dict(c) for c in CLAIMS]
    changed[1]["text"] = "The council spent dollars on the black sea"
    if db.name.endswith(".json"):  # rewrite the file without 'soldiers'
        doc = json.loads(db.read_text(encoding="utf-8"))
        doc["claims"] = [c for c in doc["claims"] if c["id"] != "soldiers"]
        doc["claims"][1]["text"] = changed[1]["text"]
        db.write_text(json.dumps(doc), encoding="utf-8")
        dropped = 1
    else:  # an import updates by id; nothing is removed
        import_files(db, [str(_jsonl(tmp_path, [changed[1]]))])
        dropped = 0
    with _open(db, tmp_path, tiny_model) as fc:
        report = fc.embed()
    assert (report.embedded, report.dropped) == (1, dropped)


def _embed_then(db: Path, tmp_path: Path, tiny: TinyModel, sql: str) -> None:
    """Embed the database, then change its stored vectors with ``sql``."""
    with _open(db, tmp_path, tiny) as fc:
        fc.embed()
        where = Path(fc.stats()["semantic"]["path"])
    conn = sqlite3.connect(where)
    with conn:
        conn.execute(sql)
    conn.close()


def test_fused_search_returns_the_same_kind_of_matches(
    db: Path, tmp_path: Path, tiny_model: TinyModel
) -> None:
    with _open(db, tmp_path, tiny_model) as fc:
        fc.embed()
    with _open(db, tmp_path, tiny_model, semantic=True) as fc:
        assert fc.matcher.dense is not None and len(fc.matcher.dense) == 4  # type: ignore[arg-type]
        found = fc.search("the military hotline of washington and moscow", threshold=0)
        assert found and found[0].claim.id == "hotline"
        assert all(0 <= m.score <= 100 for m in found)
        candidates = fc.matcher.candidates(fc.matcher.parse("military hotline"))
        assert all(c.features.cosine is not None for c in candidates)
    with _open(db, tmp_path, tiny_model, semantic=False) as fc:
        assert fc.matcher.dense is None
        candidates = fc.matcher.candidates(fc.matcher.parse("military hotline"))
        assert all(c.features.cosine is None for c in candidates)


def test_a_stale_vector_is_never_used(db: Path, tmp_path: Path, tiny_model: TinyModel) -> None:
    _embed_then(
        db, tmp_path, tiny_model, "UPDATE claim_vectors SET key = key + 1 WHERE id = 'hotline'"
    )
    with _open(db, tmp_path, tiny_model, semantic=True) as fc:
        dense = fc.matcher.dense
        assert dense is not None
        rowid = next(iter(fc.index.rowids(["hotline"])))
        hits = dense.search("military hotline", 10)
        assert rowid not in {r for r, _ in hits} and len(hits) == 3
        assert rowid not in dense.cosines("military hotline", [rowid])


def test_vectors_of_another_model_are_not_used(
    db: Path, tmp_path: Path, tiny_model: TinyModel
) -> None:
    _embed_then(
        db, tmp_path, tiny_model, "UPDATE vector_meta SET value = 'other-model' WHERE key = 'model'"
    )
    warnings: list[str] = []
    with _open(db, tmp_path, tiny_model, warn=warnings.append) as fc:
        assert fc.matcher.dense is None
    assert warnings == [
        "the claim vectors were made by another model or factcheck version; run: factcheck embed "
        "(matching by words only)"
    ]
    with (
        _open(db, tmp_path, tiny_model, semantic=True) as fc,
        pytest.raises(factcheck.FactcheckError, match="another model"),
    ):
        _ = fc.matcher
    with _open(db, tmp_path, tiny_model) as fc:  # embed replaces them all
        assert fc.embed().embedded == 4


def test_vectors_made_before_the_recipe_was_recorded_are_replaced(
    db: Path, tmp_path: Path, tiny_model: TinyModel
) -> None:
    # As a database embedded by an earlier version holds them:
    _embed_then(db, tmp_path, tiny_model, "DELETE FROM vector_meta WHERE key = 'recipe'")
    warnings: list[str] = []
    with _open(db, tmp_path, tiny_model, warn=warnings.append) as fc:
        assert fc.matcher.dense is None
        assert warnings and "another model or factcheck version" in warnings[0]
        assert fc.embed().embedded == 4
    with _open(db, tmp_path, tiny_model, semantic=True) as fc:
        assert fc.matcher.dense is not None


def test_a_claim_vector_is_the_mean_of_its_text_and_headlines(tiny_model: TinyModel) -> None:
    import numpy as np

    from factcheck.model import Claim, Source
    from factcheck.semantic.dense import claim_vectors, wordings
    from factcheck.semantic.encoder import load_encoder

    encoder = load_encoder(tiny_model.folder)
    sources = (
        Source("fact-check", name="Is the hotline back?"),
        Source("social-media", name="social media comments"),  # not a wording of the claim
        Source("fact-check", name="Is the hotline back?"),  # the same headline twice
    )
    claim = Claim("h", "The hotline is restored", "Washington", "undisputed", sources=sources)
    bare = Claim("b", "The council spent dollars", "Council", "undisputed")
    assert wordings(claim) == ["The hotline is restored", "Is the hotline back?"]
    got = claim_vectors(encoder, [claim, bare])
    text, head, council = encoder.encode([claim.text, "Is the hotline back?", bare.text])
    want = (text + head) / np.linalg.norm(text + head)
    assert np.allclose(got[0], want, atol=1e-5) and np.allclose(got[1], council, atol=1e-5)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_no_vectors_means_words_only_and_no_numpy(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys, factcheck\n"
        "fc = factcheck.open()\n"
        "fc.search('Zelensky said 50,000 Ukrainian soldiers have died')\n"
        "assert fc.matcher.dense is None\n"
        "print(sorted(m for m in ('numpy', 'onnxruntime', 'tokenizers') if m in sys.modules))\n"
    )
    env = {"FACTCHECK_CACHE": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]"


def _cli(tmp_path: Path, *argv: str, environ: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Env(
        io.BytesIO(), out, err, {"FACTCHECK_CACHE": str(tmp_path / "cache"), **(environ or {})}
    )
    return main(list(argv), env), out.getvalue(), err.getvalue()


def test_cli_embed_search_check_and_stats(db: Path, tmp_path: Path, tiny_model: TinyModel) -> None:
    model = {"FACTCHECK_MODEL_DIR": str(tiny_model.folder)}
    code, out, _ = _cli(tmp_path, "--db", str(db), "stats", "--json", environ=model)
    assert code == 0 and json.loads(out)["semantic"]["vectors"] == 0
    code, out, err = _cli(tmp_path, "--db", str(db), "search", "hotline", "--semantic")
    assert code == 2 and "no claim vectors; run: factcheck embed" in err and not out

    code, out, _ = _cli(tmp_path, "--db", str(db), "embed", "--json", environ=model)
    assert code == 0
    assert {k: json.loads(out)[k] for k in ("claims", "embedded")} == {"claims": 4, "embedded": 4}
    code, out, _ = _cli(tmp_path, "--db", str(db), "stats", environ=model)
    assert code == 0 and "semantic: 4 of 4 claims embedded" in out
    code, out, _ = _cli(tmp_path, "--db", str(db), "--version", environ=model)
    assert "4 claims" in out and "4 embedded" in out

    query = ("search", "military hotline washington moscow", "--json", "-t", "0")
    code, out, err = _cli(tmp_path, "--db", str(db), *query, "--semantic", environ=model)
    assert code == 0 and json.loads(out)["matches"][0]["claim"]["id"] == "hotline", err
    code, out, err = _cli(tmp_path, "--db", str(db), *query, "--lexical")  # no model needed
    assert code == 0 and not err
    # Vectors but no model: a warning, and words-only matching goes on.
    missing = {"FACTCHECK_MODEL_DIR": str(tmp_path / "nowhere")}
    code, out, err = _cli(tmp_path, "--db", str(db), *query, environ=missing)
    assert code == 0 and json.loads(out)["matches"]
    assert err.count("\n") == 1 and "matching by words only" in err
    code, out, err = _cli(tmp_path, "--db", str(db), *query, "--semantic", environ=missing)
    assert code == 2 and "does not exist" in err and not out

    text = tmp_path / "draft.txt"
    text.write_text("Washington and Moscow restore the military hotline.\n", encoding="utf-8")
    code, out, err = _cli(tmp_path, "--db", str(db), "check", str(text), "--json", "-t", "0",
                          "--semantic", environ=model)  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["results"][0]["matches"][0]["claim"]["id"] == "hotline"


def test_add_and_import_embed_what_they_write(
    db: Path, tmp_path: Path, tiny_model: TinyModel
) -> None:
    model = {"FACTCHECK_MODEL_DIR": str(tiny_model.folder)}
    # Before any embed, writes leave vectors alone (semantic matching was never asked for).
    code, _, err = _cli(tmp_path, "--db", str(db), "add", "Roads died", "-s", "X", environ=model)
    assert code == 0 and "embedded" not in err
    assert _cli(tmp_path, "--db", str(db), "embed", environ=model)[0] == 0
    code, _, err = _cli(tmp_path, "--db", str(db), "add", "Sea roads", "-s", "Y", environ=model)
    assert code == 0 and "embedded 1 claims" in err
    extra = _jsonl(tmp_path, [{"id": "new1", "text": "The drone died", "speaker": "Z"}])
    code, _, err = _cli(tmp_path, "import", str(extra), "--db", str(db), environ=model)
    assert code == 0 and "embedded 1 claims" in err
    # Without the model, the write still lands and says what to do.
    missing = {"FACTCHECK_MODEL_DIR": str(tmp_path / "nowhere")}
    code, _, err = _cli(tmp_path, "--db", str(db), "add", "Roads sea", "-s", "W", environ=missing)
    assert code == 0 and "run: factcheck embed" in err
    with _open(db, tmp_path, tiny_model) as fc:
        stats = fc.stats()["semantic"]
        assert (stats["vectors"], stats["claims"]) == (7, 8)


def test_an_interrupted_embed_keeps_its_batches_and_goes_on(
    tmp_path: Path, tiny_model: TinyModel
) -> None:
    many = [
        {"id": f"c{i}", "text": f"The council spent {i} dollars on roads", "speaker": "Council"}
        for i in range(10)
    ]
    db = tmp_path / "many.sqlite"
    import_files(db, [str(_jsonl(tmp_path, many))])

    def stop_after_first_batch(done: int, total: int) -> None:
        raise KeyboardInterrupt

    from factcheck.semantic.dense import embed
    from factcheck.semantic.encoder import load_encoder

    with _open(db, tmp_path, tiny_model) as fc:
        encoder = load_encoder(tiny_model.folder)
        with pytest.raises(KeyboardInterrupt):
            embed(fc.index, db, encoder, progress=stop_after_first_batch, batch=4)
        assert fc.stats()["semantic"]["vectors"] == 4  # the first batch was committed
        report = embed(fc.index, db, encoder, batch=4)
    assert (report.embedded, report.kept) == (6, 4)


# --- the vector map: a memory-mapped copy in the cache folder -------------------------------


def _map_of(db: Path, tmp_path: Path) -> Path:
    from factcheck.semantic.stored import vector_map_path

    where = vector_map_path(db, tmp_path / "cache")
    assert where is not None
    return where


def _loaded(db: Path, tmp_path: Path, tiny: TinyModel) -> tuple[bool, list[tuple[int, float]]]:
    """(memory-mapped?, the dense hits of one query) from a fresh session."""
    import numpy as np

    with _open(db, tmp_path, tiny, semantic=True) as fc:
        dense = fc.matcher.dense
        assert dense is not None
        hits = dense.search("military hotline", 10)  # type: ignore[attr-defined]
        return isinstance(dense.matrix.codes, np.memmap), hits  # type: ignore[attr-defined]


@pytest.fixture
def mapping(
    db: Path, tmp_path: Path, tiny_model: TinyModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database embedded, and a vector map kept from the first vector on."""
    from factcheck.semantic import dense

    monkeypatch.setattr(dense, "MAP_FROM", 1)
    with _open(db, tmp_path, tiny_model) as fc:
        fc.embed()


def test_a_vector_map_is_kept_and_mapped_by_the_next_load(
    db: Path, tmp_path: Path, tiny_model: TinyModel, mapping: None
) -> None:
    assert not _map_of(db, tmp_path).exists()
    first = _loaded(db, tmp_path, tiny_model)  # read from SQLite, the map written
    assert not first[0] and _map_of(db, tmp_path).is_file()
    second = _loaded(db, tmp_path, tiny_model)
    assert second == (True, first[1])
    with _open(db, tmp_path, tiny_model, semantic=True) as fc:  # cosines by row id, mapped
        found = fc.search("the military hotline of washington and moscow", threshold=0)
        assert found[0].claim.id == "hotline"
        assert all(c.features.cosine is not None for c in fc.matcher.candidates(
            fc.matcher.parse("military hotline")))  # fmt: skip


def test_a_vector_map_is_not_used_once_the_vectors_or_the_claims_change(
    db: Path, tmp_path: Path, tiny_model: TinyModel, mapping: None
) -> None:
    _loaded(db, tmp_path, tiny_model)
    before = _map_of(db, tmp_path).read_bytes()
    # A new claim: the index's rows change (the SQLite store in place, the JSON one rebuilt).
    extra = {"id": "new", "text": "Moscow and Washington talk again", "speaker": "Moscow"}
    if db.name.endswith(".json"):
        doc = json.loads(db.read_text(encoding="utf-8"))
        doc["claims"].append({"status": "undisputed", **extra})
        db.write_text(json.dumps(doc), encoding="utf-8")
    else:
        import_files(db, [str(_jsonl(tmp_path, [extra]))])
    assert _loaded(db, tmp_path, tiny_model)[0] is False  # out of date: read and rewritten
    after_claims = _map_of(db, tmp_path).read_bytes()
    assert after_claims != before
    with _open(db, tmp_path, tiny_model) as fc:
        assert fc.embed().embedded == 1  # the vectors change too
    mapped, hits = _loaded(db, tmp_path, tiny_model)
    assert mapped is False and len(hits) == 5
    assert _loaded(db, tmp_path, tiny_model) == (True, hits)


def test_a_broken_vector_map_is_read_around_and_replaced(
    db: Path, tmp_path: Path, tiny_model: TinyModel, mapping: None
) -> None:
    _, hits = _loaded(db, tmp_path, tiny_model)
    where = _map_of(db, tmp_path)
    where.write_bytes(where.read_bytes()[:-9])  # truncated
    assert _loaded(db, tmp_path, tiny_model) == (False, hits)
    assert _loaded(db, tmp_path, tiny_model) == (True, hits)
    where.write_bytes(b"not a vector file")
    assert _loaded(db, tmp_path, tiny_model) == (False, hits)


def test_no_vector_map_below_map_from_or_without_a_generation(
    db: Path, tmp_path: Path, tiny_model: TinyModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from factcheck.semantic import dense

    with _open(db, tmp_path, tiny_model) as fc:
        fc.embed()
        where = Path(fc.stats()["semantic"]["path"])
    _loaded(db, tmp_path, tiny_model)
    assert not _map_of(db, tmp_path).exists()  # 4 vectors: read from SQLite each time
    monkeypatch.setattr(dense, "MAP_FROM", 1)
    conn = sqlite3.connect(where)  # vectors written by an earlier version: no generation
    with conn:
        conn.execute("DELETE FROM vector_meta WHERE key = 'generation'")
    conn.close()
    assert _loaded(db, tmp_path, tiny_model)[0] is False
    assert not _map_of(db, tmp_path).exists()
    with _open(db, tmp_path, tiny_model) as fc:  # embed gives them one, with nothing to embed
        assert fc.embed().embedded == 0
    assert _loaded(db, tmp_path, tiny_model)[0] is False
    assert _loaded(db, tmp_path, tiny_model)[0] is True


def test_an_index_cache_of_an_earlier_version_is_known_by_its_fingerprint(
    tmp_path: Path, tiny_model: TinyModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from factcheck.semantic import dense
    from factcheck.store.cache import cache_file

    monkeypatch.setattr(dense, "MAP_FROM", 1)
    db = tmp_path / "claims.json"  # a SQLite store is its own index: it has no index cache
    import_files(db, [str(_jsonl(tmp_path, CLAIMS))])
    with _open(db, tmp_path, tiny_model) as fc:
        fc.embed()
    conn = sqlite3.connect(cache_file(db, tmp_path / "cache"))
    with conn:  # as an earlier version built it
        conn.execute("DELETE FROM meta WHERE key = 'generation'")
    conn.close()
    _, hits = _loaded(db, tmp_path, tiny_model)
    assert _loaded(db, tmp_path, tiny_model) == (True, hits)
