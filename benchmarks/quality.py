"""Matching quality on our own set (tests/quality/cases.json) against the bundled database.

    python benchmarks/quality.py            # figures at the default threshold
    python benchmarks/quality.py --misses   # also list what was missed or wrongly matched

recall@1: share of reader queries whose expected record is the top match above the threshold.
recall@3: expected record among the top 3 candidates (threshold 0).
rejection: share of unrelated queries for which nothing scores above the threshold.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from factcheck.index import Index  # noqa: E402
from factcheck.match import DEFAULT_THRESHOLD, Matcher  # noqa: E402
from factcheck.store import load_database  # noqa: E402

CASES = ROOT / "tests" / "quality" / "cases.json"


def evaluate(
    cases_path: Path = CASES,
    db_path: Path = ROOT / "data" / "claims.json",
    threshold: float = DEFAULT_THRESHOLD,
) -> dict[str, Any]:
    cases = json.loads(cases_path.read_text(encoding="utf-8"))
    matcher = Matcher(Index.build(load_database(db_path)))
    hits1 = hits3 = 0
    misses: list[str] = []
    for case in cases["match"]:
        top = matcher.find(case["query"], limit=3, threshold=0)
        ids = [m.claim.id for m in top]
        if ids[:1] == [case["expect"]] and top[0].score >= threshold:
            hits1 += 1
        else:
            got = f"{ids[0]} ({top[0].score})" if top else "nothing"
            misses.append(f"MISS {case['query']!r}: expected {case['expect']}, got {got}")
        hits3 += case["expect"] in ids
    rejected = 0
    for case in cases["nomatch"]:
        top = matcher.find(case["query"], limit=1, threshold=threshold)
        if top:
            misses.append(f"FALSE {case['query']!r}: matched {top[0].claim.id} ({top[0].score})")
        else:
            rejected += 1
    n, m = len(cases["match"]), len(cases["nomatch"])
    return {
        "threshold": threshold,
        "match_queries": n,
        "nomatch_queries": m,
        "recall_at_1": round(hits1 / n, 3),
        "recall_at_3": round(hits3 / n, 3),
        "rejection": round(rejected / m, 3),
        "misses": misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    result = evaluate(threshold=args.threshold)
    for key in ("threshold", "match_queries", "nomatch_queries"):
        print(f"{key:16} {result[key]}")
    for key in ("recall_at_1", "recall_at_3", "rejection"):
        print(f"{key:16} {result[key]:.3f}")
    if args.misses:
        print("\n".join(result["misses"]))


if __name__ == "__main__":
    main()
