"""Matching quality on real, independently worded data: LIAR statements against ClaimReview.

    python benchmarks/crossref_quality.py [--data DIR] [--misses N]

The gold set is ``crossref/liar_datacommons_pairs.jsonl`` in the shared data folder (default
``../shared/data`` next to this checkout): 965 LIAR statements, each paired with the Data
Commons ClaimReview record (``dc_line``, 1-based, in
``claimreview/datacommons_fact_checks_20190605.jsonl``) of the same PolitiFact check, worded
differently (apostrophes, quotes, punctuation). When the folder is absent (a fresh clone), the
script says so and exits 0.

The ClaimReview file is read with our ``claimreview`` reader into a Database (duplicate ids
keep their first record) and indexed in memory; each LIAR statement is then a query.

ours: ``Matcher.find(q, limit=5, threshold=0, explain=False)`` for recall@1, recall@5 and
MRR (over the top 5); ``Matcher.find(q, limit=1)`` at the default threshold (50) for the
confident wrong answers (top match above the threshold but not the expected record) and the
queries that match nothing.
baseline: ``rapidfuzz.process.extract(q, raw_texts, scorer=fuzz.ratio, limit=5)`` over the raw
``claimReviewed`` strings of every line (``workers=-1`` too, where the installed rapidfuzz's
``extract`` accepts it; 3.14 does not, so the baseline runs on one core like ours).

"equal text" also counts a top match that is another record whose normalised text equals the
expected one's (the file holds a few claims checked twice). Times are medians per query, in
this process.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from factcheck.formats import open_source, reader  # noqa: E402
from factcheck.index import Index  # noqa: E402
from factcheck.match import DEFAULT_THRESHOLD, Matcher  # noqa: E402
from factcheck.model import Claim, Database  # noqa: E402
from factcheck.normalize import normalize  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
PAIRS = Path("crossref") / "liar_datacommons_pairs.jsonl"
CLAIMREVIEW = Path("claimreview") / "datacommons_fact_checks_20190605.jsonl"
LINE = re.compile(r":(\d+)$")  # the reader locates a one-record line as "name:N"
# rapidfuzz 3.x's extract() has no ``workers`` (only cdist/cpdist do): pass it where accepted.
EXTRACT_KW = {"workers": -1} if "workers" in (getattr(process.extract, "__doc__", "") or "") else {}


class Outcome(NamedTuple):
    name: str
    queries: int
    hits1: int
    hits5: int
    equal_text1: int  # top-1 is the expected record or one with the same normalised text
    tied1: int  # the expected record scores as high as the top-1 (a tie broken the other way)
    reciprocal: float  # summed 1/rank over the top 5
    confident_wrong: int | None  # top-1 at or above the threshold is not the expected record
    confident_other: int | None  # ... nor a record with the same normalised text
    no_match: int | None
    ms: list[float]


def load_claims(path: Path) -> tuple[list[Claim], dict[int, str], int]:
    """Claims read with the claimreview reader, line -> claim id, and the reader's errors."""
    claims: list[Claim] = []
    by_line: dict[int, str] = {}
    seen: set[str] = set()
    errors = 0
    with open_source(path) as stream:
        for record in reader("claimreview")(stream, source=path.name):
            m = LINE.search(record.location)
            if record.claim is None or m is None:
                errors += 1
                continue
            by_line[int(m.group(1))] = record.claim.id
            if record.claim.id not in seen:  # same URL and same normalised text: one claim
                seen.add(record.claim.id)
                claims.append(record.claim)
    return claims, by_line, errors


def rank_of(expected: str, found: list[str]) -> int | None:
    return found.index(expected) + 1 if expected in found else None


def evaluate(
    name: str,
    pairs: list[dict[str, Any]],
    expected: list[str],
    search: Callable[[str], list[tuple[str, float]]],
    same_text: Callable[[str, str], bool],
    confident: Callable[[str], str | None] | None = None,
    on_miss: Callable[[str, str, list[tuple[str, float]], int | None], None] | None = None,
) -> Outcome:
    """Run ``search`` (query -> (id, score) best first) on every pair and tally the measures."""
    hits1 = hits5 = equal1 = tied1 = 0
    reciprocal = 0.0
    wrong = other = none = 0
    ms: list[float] = []
    for pair, want in zip(pairs, expected, strict=True):
        query = pair["liar_statement"]
        start = time.perf_counter()
        scored = search(query)
        ms.append((time.perf_counter() - start) * 1000)
        found = [key for key, _ in scored]
        rank = rank_of(want, found)
        hits1 += rank == 1
        hits5 += rank is not None
        reciprocal += 1 / rank if rank else 0.0
        equal1 += bool(found) and (found[0] == want or same_text(found[0], want))
        tied1 += rank is not None and scored[rank - 1][1] == scored[0][1]
        if on_miss is not None and rank != 1:
            on_miss(query, want, scored, rank)
        if confident is not None:
            top = confident(query)
            if top is None:
                none += 1
            elif top != want:
                wrong += 1
                other += not same_text(top, want)
    return Outcome(
        name,
        len(pairs),
        hits1,
        hits5,
        equal1,
        tied1,
        reciprocal,
        wrong if confident else None,
        other if confident else None,
        none if confident else None,
        ms,
    )


def table(rows: list[Outcome]) -> str:
    """One row per method: shares with their counts, then the median ms per query."""
    cols = ("recall@1", "r@1 eq.text", "r@1 ties", "recall@5", "MRR", "conf.wrong", "c.w. other")
    cols += ("no match",)
    head = f"{'method':<26}" + "".join(f"{c:>14}" for c in cols) + f"{'ms/query':>10}"
    lines = [head, "-" * len(head)]
    for r in rows:

        def share(k: int | None, n: int = r.queries) -> str:
            return "-" if k is None else f"{k / n:.3f} ({k})"

        cells = [
            share(r.hits1),
            share(r.equal_text1),
            share(r.tied1),
            share(r.hits5),
            f"{r.reciprocal / r.queries:.3f}",
            share(r.confident_wrong),
            share(r.confident_other),
            share(r.no_match),
        ]
        lines.append(
            f"{r.name:<26}"
            + "".join(f"{c:>14}" for c in cells)
            + f"{statistics.median(r.ms):>10.2f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder")
    parser.add_argument("--misses", type=int, default=0, help="list up to N of our misses")
    args = parser.parse_args()
    pairs_path, cr_path = args.data / PAIRS, args.data / CLAIMREVIEW
    if not (pairs_path.is_file() and cr_path.is_file()):
        print(f"skipped: shared data not found ({pairs_path}, {cr_path})")
        return

    pairs = [json.loads(line) for line in pairs_path.read_text(encoding="utf-8").splitlines()]
    claims, by_line, errors = load_claims(cr_path)
    raw_lines = cr_path.read_text(encoding="utf-8").splitlines()
    raw_texts = [json.loads(line)["claimReviewed"] for line in raw_lines]

    start = time.perf_counter()
    matcher = Matcher(Index.build(Database(tuple(claims))))
    build_ms = (time.perf_counter() - start) * 1000
    print(
        f"{cr_path.name}: {len(raw_lines)} lines, {len(claims)} claims"
        f" ({len(by_line) - len(claims)} duplicate ids, {errors} reader errors);"
        f" index built in {build_ms:.0f} ms"
    )
    print(f"{pairs_path.name}: {len(pairs)} queries; default threshold {DEFAULT_THRESHOLD:g}")

    texts = {c.id: normalize(c.text) for c in claims}
    norm_raw: dict[int, str] = {}

    def same_id_text(a: str, b: str) -> bool:
        return texts[a] == texts[b]

    def ours(query: str) -> list[tuple[str, float]]:
        found = matcher.find(query, limit=5, threshold=0, explain=False)
        return [(m.claim.id, m.score) for m in found]

    def ours_confident(query: str) -> str | None:
        top = matcher.find(query, limit=1, threshold=DEFAULT_THRESHOLD, explain=False)
        return top[0].claim.id if top else None

    def raw_norm(i: int) -> str:
        if i not in norm_raw:
            norm_raw[i] = normalize(raw_texts[i])
        return norm_raw[i]

    def baseline(query: str) -> list[tuple[str, float]]:
        found = process.extract(query, raw_texts, scorer=fuzz.ratio, limit=5, **EXTRACT_KW)
        return [(str(index), score) for _, score, index in found]

    misses: list[str] = []
    by_id = {c.id: c for c in claims}

    def on_miss(query: str, want: str, scored: list[tuple[str, float]], rank: int | None) -> None:
        scores = dict(scored)
        lines = [f"rank {rank or '>5'}: {query!r}"]
        lines.append(f"    expected {scores.get(want, 0):5.1f} {want} {by_id[want].text!r}")
        if scored:
            got, top = scored[0]
            lines.append(f"    got      {top:5.1f} {got} {by_id[got].text!r}")
        misses.append("\n".join(lines))

    rows = [
        evaluate(
            "factcheck Matcher",
            pairs,
            [by_line[p["dc_line"]] for p in pairs],
            ours,
            same_id_text,
            ours_confident,
            on_miss if args.misses else None,
        ),
        evaluate(
            "rapidfuzz ratio (raw)",
            pairs,
            [str(p["dc_line"] - 1) for p in pairs],
            baseline,
            lambda a, b: raw_norm(int(a)) == raw_norm(int(b)),
        ),
    ]
    print()
    print(table(rows))
    print(
        "\nrecall@k: expected record among the top k (threshold 0); MRR over the top 5;"
        "\nr@1 eq.text: top-1 is it or has its normalised text; r@1 ties: it scores as the top-1;"
        f"\nconf.wrong: the top match scores at least {DEFAULT_THRESHOLD:g} and is not the"
        " expected record; c.w. other: nor one with its normalised text;"
        "\nno match: nothing scores at least the threshold."
    )
    ours_row, base_row = rows
    verdict = "not worse" if ours_row.hits1 >= base_row.hits1 else "WORSE"
    print(
        f"ours vs baseline recall@1: {ours_row.hits1} vs {base_row.hits1} of {len(pairs)}"
        f" ({verdict})"
    )
    for line in misses[: args.misses]:
        print(line)


if __name__ == "__main__":
    main()
