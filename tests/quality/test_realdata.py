"""Matching on real data (benchmarks/realdata.py): the levels reached on the held-out fifth of
the CheckThat! tweets, pinned so that a regression fails. Needs ``../shared`` beside the
checkout; a fresh clone without it skips."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import benchmark

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "checkthat-dev"

pytestmark = pytest.mark.skipif(
    not (DATA / "vclaims.jsonl").is_file(),
    reason=f"real-data benchmark needs {DATA} (the shared data folder beside the checkout)",
)


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    module = benchmark("realdata")
    return module.evaluate(DATA)  # type: ignore[no-any-return]


def test_ranking_beats_the_plain_baseline(result: dict[str, Any]) -> None:
    ours, base = result["factcheck"], result["baseline"]
    assert ours["queries"] == base["queries"] == 190
    # Reached: 0.860 / 0.837 / 0.895 against FTS5's 0.837 / 0.805 / 0.879 in the same run.
    assert ours["map5"] >= 0.855
    assert ours["r1"] >= 0.83
    assert ours["map5"] > base["map5"] + 0.015


def test_no_match_when_the_answer_is_removed(result: dict[str, Any]) -> None:
    # Reached: 18/190 (9.5%) still show a match; the target is at most 10%.
    assert result["removed"]["share"] <= 0.10


def test_right_first_answers_are_shown(result: dict[str, Any]) -> None:
    # Reached: 122/159 (76.7%); the 90% is not reached lexically (see README).
    assert result["kept"]["share"] >= 0.75


def test_scores_are_reliable(result: dict[str, Any]) -> None:
    bands = {band: share for band, count, share in result["reliability"] if count}
    # A match shown (50 or more) is a right answer at least 85% of the time in each band.
    assert all(bands[b] >= 0.85 for b in ("50-70", "70-90", "90-100"))


def test_unrelated_report_is_not_flagged(result: dict[str, Any]) -> None:
    assert result["seed"]["sentences"] == 35
    assert result["seed"]["flagged"] <= 1, result["seed"]["what"]
