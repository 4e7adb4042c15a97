"""Matching on real data: CheckThat! 2021 Task 2A tweets against 13,824 Snopes fact-checks.

    python benchmarks/realdata.py               # held-out fifth: factcheck vs plain FTS5 BM25
    python benchmarks/realdata.py --all         # also every query (in-sample for the fit)
    python benchmarks/realdata.py --fit         # refit the score's weights (prints them)
    python benchmarks/realdata.py --semantic --workdir /tmp/fc-real   # with the embedding model
    python benchmarks/realdata.py --semantic --fit --workdir /tmp/fc-real

``--semantic`` fuses the sentence-embedding model in (the semantic extra, the model from
``$FACTCHECK_MODEL_DIR`` or ``../shared/models/all-MiniLM-L6-v2-int8``) after embedding the
13,824 claims (about 4 minutes on this 2-core machine): ``--workdir`` keeps the database and
its vectors for the next run (``embed`` only does what is missing).

Data: ``../shared/data/checkthat-dev/`` beside this checkout (or ``--data DIR``); without it
the script says so and exits 0. Nothing from it is written into the repository.

What it does, through the real code paths:

1. Writes the 13,824 claims as our JSONL (speaker "Unknown", the article title as the name of
   a ``fact-check`` source by Snopes, dated by the review date) and imports them with
   ``factcheck.importer.import_files`` into a temporary database; opens its index as the CLI
   does (``open_index`` with a cache directory).
2. Runs every tweet as ``check --lines`` does (``check_text(one_per_line=True)``), top 5 at
   threshold 0, and scores MAP@5 (mean over queries of average precision in the top 5), R@1
   and R@5. The baseline in the same run is SQLite FTS5 ``bm25()`` over one column holding
   claim text + title, porter tokenizer, our stop words out, query words OR-ed.
3. "No match": each query again with its answers and every claim of the same normalised text
   left out (``Matcher.find(exclude=...)``, the same as deleting them: IDF barely moves);
   the share still showing a match at the default threshold should be small. And of the
   queries whose answer ranks first, the share shown above the threshold.
4. A reliability table: of top matches in each score band, how many are a right answer.
5. The seed news report (``../shared/seed/``), none of whose sentences repeats a Snopes claim,
   checked against the database: how many sentences are flagged.
6. Time per query, in this process.

The held-out fifth is every query whose ``crc32(qid) % 5 == 0`` (190 of 992), fixed before
any figure was looked at; ``--fit`` fits on the other four fifths only (plus our own quality
set on the bundled database, ``tests/quality/cases.json``), so the held-out figures are
out-of-sample. The fifth happens to be easier than the whole: compare methods, not splits.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from factcheck.check import check_text  # noqa: E402
from factcheck.dates import normalize_date  # noqa: E402
from factcheck.importer import import_files  # noqa: E402
from factcheck.index import Index  # noqa: E402
from factcheck.match import (  # noqa: E402
    CANDIDATES,
    DEFAULT_THRESHOLD,
    Matcher,
    transformed,
)
from factcheck.normalize import normalize  # noqa: E402
from factcheck.rules import STOPWORDS  # noqa: E402
from factcheck.store import load_database, open_index  # noqa: E402

SHARED = ROOT.parent / "shared"
DATA = SHARED / "data" / "checkthat-dev"
SEED = SHARED / "seed"
MODEL = SHARED / "models" / "all-MiniLM-L6-v2-int8"
CASES = ROOT / "tests" / "quality" / "cases.json"


def heldout(qid: str) -> bool:
    """Every fifth query, by a hash of its id: the part nothing is fitted on."""
    return zlib.crc32(qid.encode()) % 5 == 0


class Data(NamedTuple):
    claims: list[dict[str, Any]]
    queries: list[tuple[str, str]]  # (qid, tweet)
    qrels: dict[str, set[str]]


def load(data_dir: Path = DATA) -> Data:
    with open(data_dir / "vclaims.jsonl", encoding="utf-8") as f:
        claims = [json.loads(line) for line in f]
    queries = []
    with open(data_dir / "queries.tsv", encoding="utf-8", newline="") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        queries = [(qid, tweet) for _, qid, tweet in rows]
    qrels: dict[str, set[str]] = {}
    with open(data_dir / "qrels.tsv", encoding="utf-8") as f:
        next(f)
        for line in f:
            qid, cid = line.rstrip("\n").split("\t")
            qrels.setdefault(qid, set()).add(cid)
    return Data(claims, queries, qrels)


def build_database(data: Data, workdir: Path) -> Path:
    """Import the claims through the real importer, as a user would; returns the database."""
    jsonl = workdir / "snopes.jsonl"
    with open(jsonl, "w", encoding="utf-8") as out:
        for c in data.claims:
            source = {"kind": "fact-check", "name": c["title"] or None, "publisher": "Snopes"}
            source["date"] = normalize_date(c["review_date"])
            record = {"id": c["id"], "text": c["claim"], "speaker": "Unknown"}
            record |= {"status": "unverified", "sources": [source]}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    db = workdir / "snopes.json"
    if not db.exists():  # a kept --workdir: the same data gives the same database
        import_files(db, [str(jsonl)])
    return db


def open_matcher(db: Path, cache: Path, model_dir: Path | None = None) -> Matcher:
    """The matcher as the CLI builds it; with ``model_dir``, the claims are embedded first
    (what is missing only) and the embedding is fused in, as ``--semantic`` does."""
    if model_dir is None:
        return Matcher(open_index(db, cache))
    from factcheck.api import Session

    session = Session(db, cache, semantic=True, model_dir=model_dir)

    def progress(done: int, total: int) -> None:
        if done == total or done % 2048 == 0:
            print(f"  embedded {done}/{total}", file=sys.stderr)

    session.embed(progress)
    return session.matcher


# --- metrics ------------------------------------------------------------------------------


def average_precision(ranked: Sequence[str], relevant: set[str], k: int = 5) -> float:
    hits, total = 0, 0.0
    for i, cid in enumerate(ranked[:k], 1):
        if cid in relevant:
            hits += 1
            total += hits / i
    return total / min(len(relevant), k)


def metrics(run: dict[str, list[str]], qrels: dict[str, set[str]]) -> dict[str, float]:
    qids = list(run)
    return {
        "queries": len(qids),
        "map5": statistics.mean(average_precision(run[q], qrels[q]) for q in qids),
        "r1": statistics.mean(float(bool(run[q][:1]) and run[q][0] in qrels[q]) for q in qids),
        "r5": statistics.mean(float(bool(set(run[q][:5]) & qrels[q])) for q in qids),
    }


# --- the plain baseline -------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


def baseline(data: Data, queries: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Stock FTS5: one column of claim text + title, porter, stop words out, words OR-ed."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE f USING fts5(cid UNINDEXED, body, tokenize='porter')")
    conn.executemany(
        "INSERT INTO f VALUES (?, ?)",
        [(c["id"], f"{c['claim']} {c['title']}") for c in data.claims],
    )
    run = {}
    for qid, tweet in queries:
        words = list(dict.fromkeys(_words(tweet)))
        expr = " OR ".join(f'"{w}"' for w in words)
        rows = conn.execute(
            "SELECT cid FROM f WHERE f MATCH ? ORDER BY bm25(f) LIMIT 5", (expr,)
        ).fetchall()
        run[qid] = [r[0] for r in rows] if words else []
    return run


# --- factcheck ----------------------------------------------------------------------------


def factcheck_run(
    matcher: Matcher, queries: Sequence[tuple[str, str]]
) -> tuple[dict[str, list[str]], dict[str, float], list[float]]:
    """Top 5 ids and the top score of each query, as ``check --lines`` computes them."""
    lines = [tweet + "\n" for _, tweet in queries]
    run: dict[str, list[str]] = {}
    top: dict[str, float] = {}
    times: list[float] = []
    results = check_text(matcher, lines, one_per_line=True, show_all=True, limit=5, threshold=0)
    started = time.perf_counter()
    by_line = {}
    for result in results:
        now = time.perf_counter()
        times.append((now - started) * 1000)
        started = now
        by_line[result.line] = list(result.matches) or (
            [result.candidate] if result.candidate else []
        )
    for line, (qid, _) in enumerate(queries, 1):
        found = by_line.get(line, [])
        run[qid] = [m.claim.id for m in found]
        top[qid] = found[0].score if found else 0.0
    return run, top, times


def same_text_groups(data: Data) -> dict[str, set[str]]:
    """Claim id -> the ids of every claim with the same normalised text (itself included)."""
    by_text: dict[str, set[str]] = {}
    for c in data.claims:
        by_text.setdefault(normalize(c["claim"]), set()).add(c["id"])
    return {c["id"]: by_text[normalize(c["claim"])] for c in data.claims}


def removed_ids(data: Data, qid: str, groups: dict[str, set[str]]) -> set[str]:
    out: set[str] = set()
    for cid in data.qrels[qid]:
        out |= groups.get(cid, {cid})
    return out


def removal(
    matcher: Matcher,
    data: Data,
    queries: Sequence[tuple[str, str]],
    threshold: float = DEFAULT_THRESHOLD,
) -> dict[str, float]:
    """Share of queries that still show a match with their answers removed."""
    groups = same_text_groups(data)
    shown = 0
    for qid, tweet in queries:
        found = matcher.find(
            tweet, limit=1, threshold=threshold, explain=False,
            exclude=removed_ids(data, qid, groups),
        )  # fmt: skip
        shown += bool(found)
    return {"queries": len(queries), "shown": shown, "share": shown / len(queries)}


def kept(
    run: dict[str, list[str]], top: dict[str, float], qrels: dict[str, set[str]], threshold: float
) -> dict[str, float]:
    """Of the queries whose answer ranks first, the share shown above the threshold."""
    first = [q for q in run if run[q][:1] and run[q][0] in qrels[q]]
    above = sum(top[q] >= threshold for q in first)
    return {"first": len(first), "shown": above, "share": above / len(first) if first else 0.0}


BANDS = (0, 10, 30, 50, 70, 90, 100.01)


def reliability(
    run: dict[str, list[str]], top: dict[str, float], qrels: dict[str, set[str]]
) -> list[tuple[str, int, float]]:
    """(score band, top matches in it, share of them that are a right answer)."""
    rows = []
    for lo, hi in itertools.pairwise(BANDS):
        qs = [q for q in run if run[q] and lo <= top[q] < hi]
        right = sum(run[q][0] in qrels[q] for q in qs)
        rows.append((f"{lo:g}-{min(hi, 100):g}", len(qs), right / len(qs) if qs else math.nan))
    return rows


def seed_sentences(seed_dir: Path = SEED) -> list[str]:
    lines: list[str] = []
    for path in sorted(seed_dir.glob("*.txt")):
        lines.extend(path.read_text(encoding="utf-8").splitlines(keepends=True))
    return lines


def seed_flags(matcher: Matcher, seed_dir: Path = SEED) -> tuple[int, int, list[str]]:
    """(sentences, sentences flagged at the default threshold, what was flagged)."""
    from factcheck.check import Summary

    summary = Summary()
    flagged = [
        f"{r.line}: {r.sentence[:90]} -> {r.matches[0].score} {r.matches[0].claim.text[:70]}"
        for r in check_text(matcher, seed_sentences(seed_dir), summary=summary)
    ]
    return summary.sentences, summary.matched, flagged


# --- fitting ------------------------------------------------------------------------------


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (a small dense system)."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= f * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def fit_logistic(
    rows: Sequence[Sequence[float]], labels: Sequence[float], weights: Sequence[float], l2: float
) -> list[float]:
    """Weighted L2-regularised logistic regression by Newton's method (IRLS)."""
    k = len(rows[0]) + 1
    beta = [0.0] * k
    for _ in range(50):
        grad = [0.0] * k
        hess = [[0.0] * k for _ in range(k)]
        for x, y, w in zip(rows, labels, weights, strict=True):
            xs = (1.0, *x)
            z = sum(b * v for b, v in zip(beta, xs, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            for i in range(k):
                grad[i] += w * (p - y) * xs[i]
                for j in range(k):
                    hess[i][j] += w * p * (1 - p) * xs[i] * xs[j]
        for i in range(1, k):
            grad[i] += l2 * beta[i]
            hess[i][i] += l2
        step = _solve(hess, grad)
        beta = [b - s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-9:
            break
    return beta


TRAIN_DEPTH = 5  # candidates per query and world that train the model
# The operating point: the default threshold sits where, on the training queries, at most this
# share of queries with their answer removed still show a match (the issue asks for 10% on the
# held-out part; 8% leaves room for the difference between the parts).
REMOVED_TARGET = 0.08


class Group(NamedTuple):
    """The candidates of one query: with its answer (labelled) and without it."""

    present: list[tuple[tuple[float, ...], float]]  # (model inputs, 1 if a right answer)
    removed: list[tuple[float, ...]]


def training_groups(
    matcher: Matcher, data: Data, queries: Sequence[tuple[str, str]]
) -> list[Group]:
    """Features of each query's candidates, with and without its answer in the database."""
    groups = same_text_groups(data)
    out = []
    for qid, tweet in queries:
        query = matcher.parse(tweet)
        if not query.terms:
            continue
        gone = matcher.index.rowids(removed_ids(data, qid, groups))
        present = [
            (transformed(c.features), float(matcher.claim(c.rowid).id in data.qrels[qid]))
            for c in matcher.candidates(query)
        ]
        removed = [transformed(c.features) for c in matcher.candidates(query, CANDIDATES, gone)]
        out.append(Group(present, removed))
    return out


def quality_rows(
    cases_path: Path = CASES, model_dir: Path | None = None
) -> tuple[list[tuple[float, ...]], list[float]]:
    """The same from our quality set on the bundled database (reader queries and unrelated)."""
    cases = json.loads(cases_path.read_text(encoding="utf-8"))
    if model_dir is None:
        matcher = Matcher(Index.build(load_database()))
    else:
        tmp = tempfile.mkdtemp()
        from factcheck.store import bundled_database

        matcher = open_matcher(bundled_database(), Path(tmp), model_dir)
    rows: list[tuple[float, ...]] = []
    labels: list[float] = []
    for case in cases["match"] + cases["nomatch"]:
        query = matcher.parse(case["query"])
        for c in matcher.candidates(query)[:TRAIN_DEPTH]:
            rows.append(transformed(c.features))
            labels.append(1.0 if matcher.claim(c.rowid).id == case.get("expect") else 0.0)
    return rows, labels


def _linear(beta: Sequence[float], x: Sequence[float]) -> float:
    return beta[0] + sum(b * v for b, v in zip(beta[1:], x, strict=True))


def operating_shift(beta: Sequence[float], groups: Sequence[Group]) -> float:
    """The logit of the lowest threshold at which at most REMOVED_TARGET of the training
    queries still show a match with their answer removed (their best removed-world score)."""
    best = sorted(
        (max(_linear(beta, x) for x in g.removed) for g in groups if g.removed), reverse=True
    )
    allowed = int(REMOVED_TARGET * len(groups))  # queries that may stay above the threshold
    return best[allowed] if allowed < len(best) else best[-1]


# --- reporting ----------------------------------------------------------------------------


def evaluate(
    data_dir: Path = DATA,
    part: Callable[[str], bool] = heldout,
    model_dir: Path | None = None,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Every figure the script prints, for the queries ``part`` selects (the tests pin them)."""
    data = load(data_dir)
    queries = [(q, t) for q, t in data.queries if part(q)]
    with tempfile.TemporaryDirectory() as tmp:
        work = workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        db = build_database(data, work)
        imported = time.perf_counter() - started
        matcher = open_matcher(db, work / "cache", model_dir)
        run, top, times = factcheck_run(matcher, queries)
        base = baseline(data, queries)
        qrels = {q: data.qrels[q] for q, _ in queries}
        result = {
            "factcheck": metrics(run, qrels),
            "baseline": metrics(base, qrels),
            "removed": removal(matcher, data, queries),
            "kept": kept(run, top, qrels, DEFAULT_THRESHOLD),
            "reliability": reliability(run, top, qrels),
            "ms_per_query": statistics.median(times),
            "ms_per_query_mean": statistics.mean(times),
            "import_s": imported,
        }
        if SEED.is_dir():
            sentences, flagged, what = seed_flags(matcher)
            result["seed"] = {"sentences": sentences, "flagged": flagged, "what": what}
        matcher.index.close()
    return result


def fit(
    data_dir: Path,
    quality_weight: float,
    l2: float,
    model_dir: Path | None = None,
    workdir: Path | None = None,
) -> list[float]:
    """Weights fitted on the training four fifths (both worlds) and the quality set, with the
    intercept shifted so that the default threshold is the operating point."""
    data = load(data_dir)
    train = [(q, t) for q, t in data.queries if not heldout(q)]
    with tempfile.TemporaryDirectory() as tmp:
        work = workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        matcher = open_matcher(build_database(data, work), work / "cache", model_dir)
        groups = training_groups(matcher, data, train)
        matcher.index.close()
    rows: list[tuple[float, ...]] = []
    labels: list[float] = []
    for g in groups:
        for x, y in g.present[:TRAIN_DEPTH]:
            rows.append(x)
            labels.append(y)
        rows.extend(g.removed[:TRAIN_DEPTH])
        labels.extend([0.0] * len(g.removed[:TRAIN_DEPTH]))
    weights = [1.0] * len(rows)
    q_rows, q_labels = quality_rows(model_dir=model_dir)
    beta = fit_logistic(
        rows + q_rows, labels + q_labels, weights + [quality_weight] * len(q_rows), l2
    )
    shift = operating_shift(beta, groups) - math.log(DEFAULT_THRESHOLD / (100 - DEFAULT_THRESHOLD))
    return [beta[0] - shift, *beta[1:]]


def show(name: str, m: dict[str, float]) -> str:
    return f"{name:24} MAP@5 {m['map5']:.3f}   R@1 {m['r1']:.3f}   R@5 {m['r5']:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--all", action="store_true", help="also report on every query")
    parser.add_argument("--fit", action="store_true", help="refit the weights; print them")
    parser.add_argument("--quality-weight", type=float, default=15.0)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--flags", action="store_true", help="list the seed sentences flagged")
    parser.add_argument("--semantic", action="store_true", help="fuse the embedding model in")
    parser.add_argument("--workdir", type=Path, help="keep the database and vectors here")
    args = parser.parse_args()
    if not (args.data / "vclaims.jsonl").is_file():
        print(f"skipped: {args.data} not found (the shared data folder is not beside this clone)")
        return 0
    model_dir = None
    if args.semantic:
        model_dir = Path(os.environ.get("FACTCHECK_MODEL_DIR") or MODEL)
        if not (model_dir / "model.onnx").is_file():
            print(f"skipped: no embedding model at {model_dir}")
            return 0
    if args.fit:
        beta = fit(args.data, args.quality_weight, args.l2, model_dir, args.workdir)
        name = "_SEMANTIC_WEIGHTS" if model_dir else "_WEIGHTS"
        print(f"{name} = (" + ", ".join(f"{b:.3f}" for b in beta) + ")")
        return 0
    parts: list[tuple[str, Callable[[str], bool]]] = [("held-out fifth", heldout)]
    if args.all:
        parts.append(("all queries (in-sample)", lambda q: True))
    for label, part in parts:
        r = evaluate(args.data, part, model_dir, args.workdir)
        n = r["factcheck"]["queries"]
        print(f"== {label}: {n} queries, 13,824 claims (import {r['import_s']:.1f} s)")
        print(show("plain FTS5 bm25", r["baseline"]))
        print(show("factcheck", r["factcheck"]))
        rm, kp = r["removed"], r["kept"]
        print(
            f"answer removed: {rm['shown']}/{rm['queries']} ({rm['share']:.1%}) still show a "
            f"match at the default threshold {DEFAULT_THRESHOLD:g}"
        )
        print(
            f"answer ranked first: {kp['shown']}/{kp['first']} ({kp['share']:.1%}) shown above "
            "the threshold"
        )
        print("score band   top matches   right answer")
        for band, count, share in r["reliability"]:
            print(f"  {band:>8}   {count:>11}   {share:>12.2f}")
        print(
            f"time per query: {r['ms_per_query']:.1f} ms median, {r['ms_per_query_mean']:.1f} ms "
            "mean (check --lines, in process)"
        )
        if "seed" in r:
            s = r["seed"]
            print(f"seed report: {s['flagged']} of {s['sentences']} sentences flagged")
            if args.flags:
                print("\n".join(f"  {w}" for w in s["what"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
