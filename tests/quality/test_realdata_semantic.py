"""Matching on real data with the semantic extra (``benchmarks/realdata.py --semantic``): the
levels reached on the held-out fifth of the CheckThat! tweets, pinned so that a regression
fails. Embeds the 13,824 Snopes claims first (about 90 s on 2 cores). Needs ``../shared``
(data and model) and the extra's packages; skips with the reason otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import benchmark

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data" / "checkthat-dev"
MODEL = SHARED / "models" / "all-MiniLM-L6-v2-int8"

pytestmark = [
    pytest.mark.skipif(
        not (DATA / "vclaims.jsonl").is_file(),
        reason=f"real-data benchmark needs {DATA} (the shared data folder beside the checkout)",
    ),
    pytest.mark.skipif(
        not (MODEL / "model.onnx").is_file(),
        reason=f"the semantic benchmark needs the shared model in {MODEL}",
    ),
]


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    pytest.importorskip("onnxruntime", reason="the semantic extra is not installed")
    pytest.importorskip("tokenizers", reason="the semantic extra is not installed")
    module = benchmark("realdata")
    return module.evaluate(DATA, model_dir=MODEL)  # type: ignore[no-any-return]


def test_fused_ranking_beats_words_only_and_the_baseline(result: dict[str, Any]) -> None:
    ours, base = result["factcheck"], result["baseline"]
    assert ours["queries"] == base["queries"] == 190
    # Reached: 0.913 / 0.884 / 0.958 (words only 0.860 / 0.837 / 0.895; FTS5 0.837 / 0.805 /
    # 0.879). Issue 13 asks MAP@5 >= 0.92 (not reached, README) and R@1 >= 0.88.
    assert ours["map5"] >= 0.905
    assert ours["r1"] >= 0.88
    assert ours["r5"] >= 0.95


def test_no_match_when_the_answer_is_removed(result: dict[str, Any]) -> None:
    # Reached: 19/190 (10.0%) still show a match; the target is at most 10%.
    assert result["removed"]["share"] <= 0.10


def test_right_first_answers_are_shown(result: dict[str, Any]) -> None:
    # Reached: 143/168 (85.1%) of the answers ranked first are shown above the threshold.
    assert result["kept"]["share"] >= 0.83


def test_scores_are_reliable(result: dict[str, Any]) -> None:
    bands = {band: share for band, count, share in result["reliability"] if count}
    # Reached: 0.95 / 0.97 / 1.00 right in the bands 50-70 / 70-90 / 90-100.
    assert all(bands[b] >= 0.9 for b in ("50-70", "70-90", "90-100"))


def test_unrelated_report_is_not_flagged(result: dict[str, Any]) -> None:
    assert result["seed"]["sentences"] == 35
    assert result["seed"]["flagged"] <= 1, result["seed"]["what"]
