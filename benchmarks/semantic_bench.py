"""Cost of the semantic extra with the shared all-MiniLM-L6-v2 int8 model, on this machine.

    python benchmarks/semantic_bench.py            # all of it, about 10 minutes on 2 cores
    python benchmarks/semantic_bench.py --quick    # fewer texts and runs, about 2 minutes
    python benchmarks/semantic_bench.py --full     # + storage agreement over all 13,824 claims

Needs the shared folder next to this checkout (``../shared``: the model in
``models/all-MiniLM-L6-v2-int8``, claims in ``data/checkthat-dev``); when it is absent, says so
and exits 0. Nothing is written inside the repository.

Measured (medians of several runs; min in brackets where noise matters):
  load     a fresh ``python`` per run: import numpy + onnxruntime + tokenizers, then
           ``load_encoder``; RSS before and after (``/proc/self/status`` VmRSS)
  latency  ``encode_one`` on single claim sentences, 1 and 2 threads
  batch    claims/s over ~2,000 claims as ``embed`` makes their vectors (``claim_vectors``:
           claim text and headline embedded apart, then averaged), 1 and 2 threads, at the
           default batch size; the earlier recipe (``claim + " " + title`` as one text) in
           the same run; and a batch-size sweep
  search   ``top_k(k=100)`` over 100k random unit vectors (int8), per query; 32 queries at
           once; a 10k-row subset; against float32 ``X @ q`` in the same process; then from a
           memory-mapped vector file in a fresh process, with the RSS that costs
  storage  top-1 / top-10 / top-100 agreement and cosine error of int8 and float16 against
           float32, on real claim vectors with real tweets as queries
The machine may be shared: the load average is printed before and after, to judge the noise.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from factcheck.model import Claim, Source  # noqa: E402

SHARED = ROOT.parent / "shared"
MODEL = SHARED / "models" / "all-MiniLM-L6-v2-int8"
DATA = SHARED / "data" / "checkthat-dev"


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Median and min seconds of ``fn()`` over ``runs`` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


LOAD_CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
r0 = rss(); t0 = time.perf_counter()
import numpy, onnxruntime, tokenizers
t1 = time.perf_counter(); r1 = rss()
from factcheck.semantic.encoder import load_encoder
enc = load_encoder({model!r}, threads=1)
t2 = time.perf_counter(); r2 = rss()
enc.encode_one("Washington and Moscow revive military hotline after four years")
r3 = rss()
print(json.dumps({{"import_s": t1 - t0, "load_s": t2 - t1, "rss0": r0, "rss_import": r1,
                   "rss_loaded": r2, "rss_after_one": r3}}))
"""


def bench_load(runs: int) -> None:
    rows = []
    for _ in range(runs):
        code = LOAD_CHILD.format(root=str(ROOT), model=str(MODEL))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(out.stderr)
        rows.append(json.loads(out.stdout))

    def med(key: str) -> float:
        return statistics.median(r[key] for r in rows)

    print(f"load ({runs} fresh processes, medians)")
    print(f"  import numpy+onnxruntime+tokenizers  {med('import_s') * 1000:6.0f} ms")
    print(f"  load_encoder (incl. model id hash)   {med('load_s') * 1000:6.0f} ms")
    print(
        f"  RSS: bare {med('rss0'):.0f} MB, after imports {med('rss_import'):.0f} MB, "
        f"after load {med('rss_loaded'):.0f} MB, after one sentence {med('rss_after_one'):.0f} MB"
    )


def snopes_claims(limit: int) -> list[Claim]:
    """The Snopes claims as the benchmark imports them: the headline is a fact-check's name."""
    out = []
    with (DATA / "vclaims.jsonl").open(encoding="utf-8") as f:
        for line in f:
            c = json.loads(line)
            source = Source("fact-check", name=c["title"] or None, publisher="Snopes")
            out.append(Claim(c["id"], c["claim"], "Unknown", "unverified", sources=(source,)))
            if len(out) >= limit:
                break
    return out


def joined(claims: list[Claim]) -> list[str]:
    """The earlier recipe: text and headlines as one text."""
    return [" ".join([c.text, *(s.name for s in c.sources if s.name)]) for c in claims]


def bench_encoder(claims: list[Claim], runs: int, sweep: list[int]) -> Any:
    from factcheck.semantic.dense import claim_vectors
    from factcheck.semantic.encoder import load_encoder

    texts = joined(claims)
    sentences = [c.text for c in claims[:40]]
    last = None
    for threads in (1, 2):
        enc = load_encoder(MODEL, threads=threads)
        per = [timed(lambda s=s: enc.encode_one(s), 3)[0] for s in sentences]  # noqa: B023
        print(
            f"latency, {threads} thread(s): one claim sentence "
            f"{statistics.median(per) * 1000:.1f} ms, median over {len(sentences)} sentences"
        )
        rates, before = [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            last = claim_vectors(enc, claims)
            rates.append(len(claims) / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            enc.encode(texts)
            before.append(len(texts) / (time.perf_counter() - t0))
        print(
            f"batch, {threads} thread(s): {statistics.median(rates):.0f} claims/s median over "
            f"{runs} runs of {len(claims)} (max {max(rates):.0f}), default batch size; "
            f"text and headline as one text: {statistics.median(before):.0f} claims/s"
        )
    enc = load_encoder(MODEL)
    part = texts[: max(200, len(texts) // 4)]
    for size in sweep:
        t0 = time.perf_counter()
        enc.encode(part, batch_size=size)
        rate = len(part) / (time.perf_counter() - t0)
        print(f"  batch size {size:3}, default threads: {rate:.0f} claims/s over {len(part)}")
    return last


SEARCH_CHILD = """
import json, sys, time, statistics
sys.path.insert(0, {root!r})
import numpy as np
from factcheck.semantic import vectors
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
queries = np.load({queries!r})
r0 = rss()
matrix = vectors.load_vectors({path!r}).matrix
times = []
for i in range({runs}):
    t0 = time.perf_counter()
    vectors.top_k(matrix, queries[i % len(queries)], 100)
    times.append(time.perf_counter() - t0)
print(json.dumps({{"grown": rss() - r0, "median": statistics.median(times[1:]),
                   "min": min(times)}}))
"""


def bench_search(runs: int, tmp: Path) -> None:
    import numpy as np

    from factcheck.semantic import vectors

    n, dim = 100_000, 384
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, dim), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    queries = rng.standard_normal((64, dim), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    matrix = vectors.quantize(x)
    qi = iter(range(10**9))

    def one() -> None:
        vectors.top_k(matrix, queries[next(qi) % 64], 100)

    med, best = timed(one, runs)
    f32_med, f32_best = timed(lambda: np.argpartition(-(x @ queries[0]), 100)[:100], runs)
    many_med, _ = timed(lambda: vectors.top_k_many(matrix, queries[:32], 100), max(3, runs // 10))
    rows = np.sort(rng.choice(n, 10_000, replace=False))
    sub_med, _ = timed(lambda: vectors.top_k(matrix, queries[1], 100, rows=rows), runs)
    print(f"search over {n:,} vectors of {dim} (int8 + scale), k=100")
    print(f"  one query            {med * 1000:6.1f} ms median [{best * 1000:.1f} min]")
    print(f"  float32 X @ q        {f32_med * 1000:6.1f} ms median [{f32_best * 1000:.1f} min]"
          f" (ratio int8/float32 {med / f32_med:.2f})")  # fmt: skip
    print(f"  32 queries at once   {many_med / 32 * 1000:6.1f} ms per query")
    print(f"  a 10k-row subset     {sub_med * 1000:6.1f} ms")
    x16 = x[:20_000].astype(np.float16)
    f16_med, _ = timed(lambda: x16.astype(np.float32) @ queries[0], 3)
    print(f"  float16, converted per query: {f16_med * 5000:.0f} ms (20k rows x 5)")

    path, qpath = tmp / "vectors.bin", tmp / "queries.npy"
    vectors.save_vectors(path, matrix, model_id="bench")
    np.save(qpath, queries)
    code = SEARCH_CHILD.format(root=str(ROOT), queries=str(qpath), path=str(path), runs=runs)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    child = json.loads(out.stdout)
    print(
        f"  memory-mapped file in a fresh process: {child['median'] * 1000:.1f} ms median "
        f"[{child['min'] * 1000:.1f} min, first query included], RSS grew {child['grown']:.0f} MB"
        f" for {matrix.nbytes / 1e6:.1f} MB of vectors (file {path.stat().st_size / 1e6:.1f} MB;"
        f" float32 {x.nbytes / 1e6:.1f} MB, float16 {x.nbytes / 2e6:.1f} MB)"
    )


def agreement(claims: Any, queries: Any, label: str) -> None:
    import numpy as np

    from factcheck.semantic.vectors import quantize

    ref = queries @ claims.T
    cands = {
        "float16": queries @ claims.astype(np.float16).astype(np.float32).T,
        "int8": queries @ quantize(claims).decode().T,
    }
    print(f"storage agreement with float32 ({label})")
    for name, s in cands.items():
        top1 = float(np.mean(s.argmax(1) == ref.argmax(1)))
        shared = []
        for k in (10, 100):
            a = np.argsort(-ref, 1)[:, :k]
            b = np.argsort(-s, 1)[:, :k]
            shared.append(np.mean([len(set(p) & set(q)) / k for p, q in zip(a, b, strict=True)]))
        err = np.abs(s - ref)
        print(
            f"  {name:8} top-1 same {top1:.4f}, top-10 shared {shared[0]:.4f}, "
            f"top-100 shared {shared[1]:.4f}, cosine error max {err.max():.4f} "
            f"mean {err.mean():.5f}"
        )


def tweets(limit: int) -> list[str]:
    with (DATA / "queries.tsv").open(encoding="utf-8", newline="") as f:
        return [r["tweet"] for r in csv.DictReader(f, delimiter="\t")][:limit]


def dense_map5(claims: Any, queries: Any, recipe: str) -> None:
    """MAP@5 and R@1 of dense retrieval alone over all tweets, per storage: does int8 cost any?"""
    import numpy as np

    from factcheck.semantic.vectors import quantize

    with (DATA / "vclaims.jsonl").open(encoding="utf-8") as f:
        ids = [json.loads(line)["id"] for line in f]
    with (DATA / "queries.tsv").open(encoding="utf-8", newline="") as f:
        qids = [r["qid"] for r in csv.DictReader(f, delimiter="\t")]
    relevant: dict[str, set[str]] = {}
    with (DATA / "qrels.tsv").open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            relevant.setdefault(r["qid"], set()).add(r["claim_id"])
    stores = {
        "float32": claims,
        "float16": claims.astype(np.float16).astype(np.float32),
        "int8": quantize(claims).decode(),
    }
    for name, matrix in stores.items():
        top = np.argsort(-(queries @ matrix.T), axis=1)[:, :5]
        total_ap = hits_at_1 = 0.0
        for qid, row in zip(qids, top, strict=True):
            rel = relevant.get(qid, set())
            found, ap = 0, 0.0
            for rank, j in enumerate(row, start=1):
                if ids[j] in rel:
                    found += 1
                    ap += found / rank
            total_ap += ap / min(len(rel), 5) if rel else 0.0
            hits_at_1 += ids[row[0]] in rel
        print(f"  dense only, {name:8} MAP@5 {total_ap / len(qids):.4f}  R@1 "
              f"{hits_at_1 / len(qids):.4f}  ({len(qids)} tweets, {recipe})")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer texts and runs")
    parser.add_argument("--full", action="store_true", help="agreement over all claims")
    args = parser.parse_args()
    missing = [p for p in (MODEL / "model.onnx", DATA / "vclaims.jsonl") if not p.exists()]
    if missing:
        print(f"skipped: {missing[0]} not found (the shared folder is not next to this checkout)")
        return 0
    try:
        import numpy  # noqa: F401
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError as exc:
        print(f"skipped: {exc} (pip install '.[semantic]')")
        return 0

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    claims = snopes_claims(500 if args.quick else 2000)
    bench_load(3 if args.quick else 5)
    vectors_ = bench_encoder(claims, 1 if args.quick else 3, [4, 8, 32, 128])
    with tempfile.TemporaryDirectory() as tmp:
        bench_search(20 if args.quick else 100, Path(tmp))
    from factcheck.semantic.dense import claim_vectors
    from factcheck.semantic.encoder import load_encoder

    enc = load_encoder(MODEL)
    if args.full:
        every = snopes_claims(10**9)
        matrix = claim_vectors(enc, every)
        queries = enc.encode(tweets(10**9))
        agreement(matrix, queries, f"{len(every):,} claims x all tweets")
        dense_map5(matrix, queries, "text and headline averaged, as embed does")
        dense_map5(enc.encode(joined(every)), queries, "text and headline as one text")
    else:
        queries = enc.encode(tweets(100 if args.quick else 300))
        agreement(vectors_, queries, f"{len(claims):,} claims x {len(queries)} tweets")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
