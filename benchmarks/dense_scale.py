"""Stored vectors at scale: load and search cost of ``semantic.dense`` without the model.

    python benchmarks/dense_scale.py                   # 100,000 claims
    python benchmarks/dense_scale.py --claims 1000000  # where the ceiling is

Builds a SQLite database of N synthetic claims through the real importer, stores N random
unit vectors in it as ``embed`` would (int8, keyed by id and content key; a stand-in encoder
gives random query vectors, so no model is needed), then, in a fresh process each run:
``DenseIndex.load`` (wall time and RSS growth) and ``search`` (k=100, the stale check
included) per query: first reading the vectors out of SQLite, then from the memory-mapped
copy a load keeps in the cache folder (``stored.vector_map_path``), after the one load that
writes it. A mapped file's pages count in RSS once a search has touched them (file-backed:
shared between processes and dropped first under memory pressure). Needs the semantic extra
(numpy); writes only to a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIM = 384
CHILD = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[3])
from factcheck.semantic.dense import DenseIndex
from factcheck.store import open_index

def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) / 1024 for l in f if l.startswith("VmRSS"))

class Stand:  # the encoder's interface: model id, dim, a (random) query vector
    model_id, dim = "bench", int(sys.argv[2])
    rng = np.random.default_rng(1)
    def encode_one(self, text):
        v = self.rng.standard_normal(self.dim).astype(np.float32)
        return v / np.linalg.norm(v)

index = open_index(__import__("pathlib").Path(sys.argv[1]), None)
before = rss()
t = time.perf_counter()
mapped = __import__("pathlib").Path(sys.argv[4]) if sys.argv[4] else None
dense = DenseIndex.load(index, __import__("pathlib").Path(sys.argv[1]), Stand(), mapped)
load = time.perf_counter() - t
grown = rss() - before
times = []
for i in range(30):
    t = time.perf_counter()
    hits = dense.search(f"query {i}", 100)
    times.append(time.perf_counter() - t)
    assert len(hits) == 100
print(json.dumps({"load_s": load, "rss_mb": grown, "search_ms": sorted(times)[15] * 1000,
                  "rss_after_mb": rss() - before,
                  "mapped": isinstance(dense.matrix.codes, np.memmap),
                  "matrix_mb": dense.matrix.nbytes / 2**20, "rows": len(dense)}))
"""


def build(n: int, folder: Path) -> Path:
    import numpy as np

    from factcheck.importer import import_files
    from factcheck.semantic import vectors
    from factcheck.semantic.dense import _connect
    from factcheck.semantic.stored import RECIPE, content_key
    from factcheck.store import open_index

    jsonl = folder / "claims.jsonl"
    with jsonl.open("w", encoding="utf-8") as out:
        for i in range(n):
            record = {"id": f"c{i}", "text": f"Claim number {i} about topic {i % 997}",
                      "speaker": f"S{i % 50}", "status": "undisputed"}  # fmt: skip
            out.write(json.dumps(record) + "\n")
    db = folder / "claims.sqlite"
    t = time.perf_counter()
    import_files(db, [str(jsonl)])
    print(f"import of {n:,} claims: {time.perf_counter() - t:.1f} s", file=sys.stderr)
    index = open_index(db, None)
    rows = index.conn.execute("SELECT id, text_terms, title_terms FROM docs").fetchall()
    index.close()
    rng = np.random.default_rng(0)
    conn = _connect(db)
    conn.execute("BEGIN")
    conn.execute(
        "INSERT OR REPLACE INTO vector_meta VALUES ('model', 'bench'), ('recipe', ?),"
        " ('generation', 'bench')",
        (RECIPE,),
    )
    for start in range(0, len(rows), 10_000):
        part = rows[start : start + 10_000]
        x = rng.standard_normal((len(part), DIM)).astype(np.float32)
        m = vectors.quantize(x / np.linalg.norm(x, axis=1, keepdims=True))
        conn.executemany(
            "INSERT INTO claim_vectors VALUES (?, ?, ?)",
            [(r[0], content_key(r[1], r[2]), vectors.to_blob(m, j)) for j, r in enumerate(part)],
        )
    conn.execute("COMMIT")
    conn.close()
    return db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes that load")
    args = parser.parse_args()
    try:
        import numpy  # noqa: F401
    except ImportError:
        print("skipped: the semantic extra (numpy) is not installed")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        db = build(args.claims, Path(tmp))
        mapped = Path(tmp) / "cache" / "vectormap.vec"

        def child(map_path: Path | None) -> dict[str, float]:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(db), str(DIM), str(ROOT), str(map_path or "")],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            return dict(json.loads(out.stdout))

        plain = [child(None) for _ in range(args.runs)]
        writing = child(mapped)  # reads SQLite, then writes the map for the next ones
        maps = [child(mapped) for _ in range(args.runs)]
        size = mapped.stat().st_size / 2**20
    assert not writing["mapped"] and all(r["mapped"] for r in maps)
    for name, results in (("read from SQLite", plain), ("memory-mapped", maps)):
        med = {k: statistics.median(r[k] for r in results) for k in results[0]}
        print(
            f"{args.claims:,} claims, {med['rows']:,.0f} vectors ({med['matrix_mb']:.1f} MB"
            f" int8), {name}: load {med['load_s']:.3f} s (+{med['rss_mb']:.0f} MB RSS),"
            f" search {med['search_ms']:.1f} ms per query (k=100, stale check included),"
            f" +{med['rss_after_mb']:.0f} MB RSS after 30 searches;"
            f" medians of {args.runs} fresh processes"
        )
    print(
        f"  the load that wrote the map ({size:.1f} MB): {writing['load_s']:.2f} s"
        f" (+{writing['rss_mb']:.0f} MB RSS)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
