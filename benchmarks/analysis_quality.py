"""Precision and recall of each note kind on our case table (tests/analysis_cases.json).

    python benchmarks/analysis_quality.py            # the table
    python benchmarks/analysis_quality.py --errors   # also list each wrong case
    python benchmarks/analysis_quality.py --reader   # notes on the matcher's reader queries

Each case runs the real pipeline on the bundled database: the matcher's top record (threshold
0), then ``analyze`` on it. A predicted note kind is a true positive when the case expects that
kind, a false positive when it does not; an expected kind not predicted is a false negative.
A case whose top record is not the expected one is reported as a ranking miss (a matcher issue)
and still scored, since that is what a user would see. The table was written together with the
rules, so these are in-sample figures. Also prints the verdict accuracy and the median time of
one ``analyze`` call on a new query (the record side is memoised, as when checking an article).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from factcheck.analyze import analyze, verdict  # noqa: E402
from factcheck.index import Index  # noqa: E402
from factcheck.match import Matcher  # noqa: E402
from factcheck.store import load_database  # noqa: E402

CASES = ROOT / "tests" / "analysis_cases.json"
KINDS = ("number", "speaker", "disputed", "negation", "date")


def evaluate(
    cases_path: Path = CASES, db_path: Path = ROOT / "data" / "claims.json"
) -> dict[str, Any]:
    cases = json.loads(cases_path.read_text(encoding="utf-8"))
    db = load_database(db_path)
    matcher = Matcher(Index.build(db))
    counts = {k: {"tp": 0, "fp": 0, "fn": 0} for k in KINDS}
    errors: list[str] = []
    verdicts_right = 0
    for case in cases:
        top = matcher.find(case["query"], limit=1, threshold=0)[0]
        if top.claim.id != case["expect"]:
            errors.append(f"RANK {case['query']!r}: top {top.claim.id}, not {case['expect']}")
        notes = analyze(case["query"], top.claim, speakers=db.speakers, lookup=db.get)
        predicted = {n.kind for n in notes}
        expected = set(case["kinds"])
        for kind in predicted | expected:
            counts.setdefault(kind, {"tp": 0, "fp": 0, "fn": 0})
            if kind in predicted and kind in expected:
                counts[kind]["tp"] += 1
            elif kind in predicted:
                counts[kind]["fp"] += 1
            else:
                counts[kind]["fn"] += 1
        said = verdict(notes, top.score)
        verdicts_right += said == case["verdict"]
        if predicted != expected or said != case["verdict"]:
            errors.append(
                f"WRONG {case['query']!r}: {sorted(predicted)} {said}, expected "
                f"{sorted(expected)} {case['verdict']} ({'; '.join(n.message for n in notes)})"
            )
    return {
        "cases": len(cases),
        "no_note_cases": sum(1 for c in cases if not c["kinds"]),
        "counts": counts,
        "verdict_accuracy": round(verdicts_right / len(cases), 3),
        "errors": errors,
        "median_ms": _median_ms(cases, db),
    }


def reader_notes(db_path: Path = ROOT / "data" / "claims.json") -> list[str]:
    """Notes on the matcher's quality set (tests/quality/cases.json), not written for analysis.

    Its queries mostly restate their record in other words, so each note there is worth a
    look: a true difference the query author put in, or a false alarm.
    """
    cases = json.loads((ROOT / "tests" / "quality" / "cases.json").read_text(encoding="utf-8"))
    db = load_database(db_path)
    lines = []
    for case in cases["match"]:
        claim = db.get(case["expect"])
        if claim is None:
            continue
        notes = analyze(case["query"], claim, speakers=db.speakers, lookup=db.get)
        lines.extend(
            f"{case.get('kind', '?'):<10} {case['query']!r}\n    {n.kind}: {n.message}"
            for n in notes
        )
    return [f"{len(cases['match'])} reader queries, {len(lines)} notes", *lines]


def _median_ms(cases: list[dict[str, Any]], db: Any) -> float:
    """Median time of one analyze call on a query not seen before, best of 5 rounds."""
    claims = [db.get(c["expect"]) for c in cases]
    rounds = []
    for r in range(5):
        times = []
        for i, (case, claim) in enumerate(zip(cases, claims, strict=True)):
            query = f"{case['query']} ({r}.{i})"  # new text: defeats the memo of parsed queries
            start = time.perf_counter()
            analyze(query, claim, speakers=db.speakers, lookup=db.get)
            times.append(time.perf_counter() - start)
        rounds.append(statistics.median(times))
    return round(min(rounds) * 1000, 3)


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list wrong cases")
    parser.add_argument("--reader", action="store_true", help="notes on the reader queries")
    args = parser.parse_args()
    result = evaluate()
    print(f"{result['cases']} cases ({result['no_note_cases']} expect no note)")
    print(f"{'kind':<10} {'precision':>10} {'recall':>8} {'tp':>4} {'fp':>4} {'fn':>4}")
    total = {"tp": 0, "fp": 0, "fn": 0}
    for kind, c in result["counts"].items():
        for key in total:
            total[key] += c[key]
        precision = _ratio(c["tp"], c["tp"] + c["fp"])
        recall = _ratio(c["tp"], c["tp"] + c["fn"])
        print(f"{kind:<10} {precision:>10} {recall:>8} {c['tp']:>4} {c['fp']:>4} {c['fn']:>4}")
    precision = _ratio(total["tp"], total["tp"] + total["fp"])
    recall = _ratio(total["tp"], total["tp"] + total["fn"])
    print(
        f"{'all':<10} {precision:>10} {recall:>8} {total['tp']:>4} {total['fp']:>4} "
        f"{total['fn']:>4}"
    )
    print(f"verdict accuracy: {result['verdict_accuracy']}")
    print(f"analyze, median per call on a new query: {result['median_ms']} ms")
    if args.errors:
        for line in result["errors"]:
            print(line)
    if args.reader:
        for line in reader_notes():
            print(line)


if __name__ == "__main__":
    main()
