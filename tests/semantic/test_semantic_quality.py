"""Our quality set with the semantic extra and the shared model: the figures printed by
``python benchmarks/quality.py --semantic`` (the paraphrase section is part of no fit)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import benchmark

from .tiny import SHARED_MODEL

pytest.importorskip("numpy", reason="the encoder needs numpy (the semantic extra)")
pytest.importorskip("onnxruntime", reason="the encoder needs onnxruntime (the semantic extra)")
pytest.importorskip("tokenizers", reason="the encoder needs tokenizers (the semantic extra)")
if not (SHARED_MODEL / "model.onnx").is_file():
    pytest.skip(f"no shared model at {SHARED_MODEL}", allow_module_level=True)


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    """Both matchers over every section: the bundled claims embedded once, a few seconds."""
    module = benchmark("quality")
    return module.evaluate(model_dir=SHARED_MODEL)  # type: ignore[no-any-return]


def test_the_set(result: dict[str, Any]) -> None:
    assert result["paraphrase_queries"] == 30
    assert result["match_queries"] == 88
    assert result["nomatch_queries"] == 37


def test_paraphrase_levels_with_the_extra(result: dict[str, Any]) -> None:
    semantic = result["semantic"]
    # The levels reached (8/30, 29/30; first at any score 19/30; the embedding alone 28/30): a
    # regression below them fails. Issue 13 asks R@1 >= 0.9; the fused score is far from it.
    assert semantic["paraphrase_recall_at_1"] >= 0.26, semantic["paraphrase_misses"]
    assert semantic["paraphrase_recall_at_3"] >= 0.96, semantic["paraphrase_misses"]
    assert semantic["paraphrase_ranked_first"] >= 0.63, semantic["paraphrase_misses"]
    assert semantic["paraphrase_cosine_recall_at_1"] >= 0.93


def test_the_extra_gains_on_paraphrases(result: dict[str, Any]) -> None:
    semantic = result["semantic"]
    # Words alone: 6/30 at R@1, 22/30 at R@3.
    assert semantic["paraphrase_recall_at_1"] > result["paraphrase_recall_at_1"]
    assert semantic["paraphrase_recall_at_3"] > result["paraphrase_recall_at_3"]


def test_no_loss_elsewhere_with_the_extra(result: dict[str, Any]) -> None:
    semantic = result["semantic"]
    # The levels reached (84/88, 88/88, 37/37), the same as by words alone.
    assert semantic["recall_at_1"] >= 0.954, semantic["misses"]
    assert semantic["recall_at_1"] >= result["recall_at_1"], semantic["misses"]
    assert semantic["recall_at_3"] == 1.0, semantic["misses"]
    assert semantic["rejection"] == 1.0, semantic["misses"]
