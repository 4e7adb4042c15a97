"""Speed of `factcheck check` on a ~1 MB news text, against two databases.

    python benchmarks/check_bench.py                 # ~1 MB text, 3 runs each
    python benchmarks/check_bench.py --size 0.2 --runs 1   # a quick look

The text is built in memory from the seed report(s) in ../shared/seed (beside the checkout):
each copy has its sentences shuffled (fixed random seed), figures changed and some words swapped for
synonyms, and is laid out as wrapped paragraphs, headings and bullet lists. Nothing is
written inside the repository: the text file for the end-to-end run, the converted LIAR
database and the index cache live in a temporary directory.

Databases:
  (a) the bundled data/claims.json
  (b) >= 10,000 LIAR statements (../shared/data/liar/*.tsv) converted to a claims database;
      skipped with a reason when that folder is absent.

Measured, for each database:
  index    building the in-memory index (Index.build), once
  check    check_text over the whole text in-process, median of --runs
  e2e      `python -m factcheck check FILE --db DB` in a subprocess, median of --runs, after
           one untimed warm-up run (which builds the index cache of a big database)
  rss      peak resident memory of the e2e subprocess (os.wait4 rusage, max over runs)
Targets: (a) <= 2 s, (b) <= 5 s for a 1 MB text, judged on the e2e median (what a user waits).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from factcheck.check import Summary, check_text  # noqa: E402
from factcheck.index import Index  # noqa: E402
from factcheck.match import Matcher  # noqa: E402
from factcheck.segment import split_sentences  # noqa: E402
from factcheck.store import load_database  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
SEED_DIR = SHARED / "seed"
LIAR_DIR = SHARED / "data" / "liar"
BUNDLED = ROOT / "data" / "claims.json"
TARGETS = {"bundled": 2.0, "liar": 5.0}  # seconds for 1 MB
DISPUTED_LABELS = frozenset({"false", "pants-fire", "barely-true", "half-true"})
RANDOM_SEED = 20240601

# Word swaps a copy editor might make; applied to some occurrences only.
SYNONYMS = {
    "said": "stated",
    "stated": "said",
    "reported": "said",
    "announced": "said",
    "talks": "negotiations",
    "conflict": "war",
    "war": "conflict",
    "attacks": "strikes",
    "strikes": "attacks",
    "officials": "authorities",
    "approximately": "about",
    "roughly": "about",
    "significant": "major",
    "ongoing": "continuing",
    "expand": "increase",
    "increase": "boost",
    "agreed": "decided",
    "emphasized": "stressed",
    "underscored": "stressed",
    "concern": "worry",
}
_WORD = re.compile(r"\b[a-z]+\b")
_NUMBER = re.compile(r"\b\d{1,3}(?:,\d{3})+\b|\b\d+\b")
HEADINGS = ["Latest", "Diplomacy", "On the front", "Analysis", "What we know", "Background"]


def _vary_number(m: re.Match[str], rng: random.Random) -> str:
    text = m.group()
    if rng.random() < 0.5:
        return text
    value = int(text.replace(",", ""))
    if 1900 <= value <= 2100 and "," not in text:  # a year: move it a little
        return str(value + rng.choice((-2, -1, 1)))
    new = max(1, round(value * rng.uniform(0.6, 1.6)))
    return f"{new:,}" if "," in text else str(new)


def _vary_words(sentence: str, rng: random.Random) -> str:
    def swap(m: re.Match[str]) -> str:
        w = m.group()
        return SYNONYMS[w] if w in SYNONYMS and rng.random() < 0.3 else w

    return _WORD.sub(swap, sentence)


def seed_sentences() -> list[str]:
    paths = sorted(SEED_DIR.glob("*.txt"))
    if not paths:
        raise SystemExit(f"no seed report in {SEED_DIR}")
    text = "\n\n".join(p.read_text(encoding="utf-8") for p in paths)
    return [s.text for s in split_sentences(io.StringIO(text))]


def build_text(target_bytes: int, rng: random.Random) -> str:
    """Copies of the seed sentences, shuffled and varied, as wrapped Markdown-ish prose."""
    sentences = seed_sentences()
    out: list[str] = []
    size = 0
    copy = 0
    while size < target_bytes:
        copy += 1
        order = sentences[:]
        rng.shuffle(order)
        varied = [_vary_words(_NUMBER.sub(lambda m: _vary_number(m, rng), s), rng) for s in order]
        parts = [f"## {rng.choice(HEADINGS)} ({copy})\n"]
        i = 0
        while i < len(varied):
            n = rng.randint(2, 6)
            chunk = varied[i : i + n]
            i += n
            if rng.random() < 0.15:
                parts.append("".join(f"- {s}\n" for s in chunk))
            else:
                width = rng.choice((72, 80, 100))
                parts.append(textwrap.fill(" ".join(chunk), width=width) + "\n")
        block = "\n".join(parts) + "\n"
        out.append(block)
        size += len(block.encode("utf-8"))
    return "".join(out)


def liar_database(dest: Path) -> tuple[Path | None, str]:
    """Convert the LIAR TSV files into a claims database at ``dest``; (None, reason) if absent."""
    files = sorted(LIAR_DIR.glob("*.tsv")) if LIAR_DIR.is_dir() else []
    if not files:
        return None, f"{LIAR_DIR} not found"
    claims = []
    seen: set[str] = set()
    for path in files:
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                if len(row) < 5 or not row[2].strip():
                    continue
                cid = "liar-" + row[0]
                if cid in seen:
                    continue
                seen.add(cid)
                label = row[1]
                speaker = row[4].replace("-", " ").title() or "Unknown"
                claims.append(
                    {
                        "id": cid,
                        "text": row[2],
                        "speaker": speaker,
                        "status": "disputed" if label in DISPUTED_LABELS else "undisputed",
                        "verdict": label,
                    }
                )
    if len(claims) < 10_000:
        return None, f"only {len(claims)} LIAR statements found (need 10,000)"
    dest.write_text(
        json.dumps({"version": 1, "speakers": [], "claims": claims}, ensure_ascii=False),
        encoding="utf-8",
    )
    return dest, f"{len(claims)} claims"


@dataclass
class Row:
    name: str
    claims: int
    index_s: float
    check_s: float
    sentences: int
    matched: int
    e2e_s: float
    e2e_cold_s: float
    rss_mb: float
    target_s: float


def time_in_process(db_path: Path, text: str, runs: int) -> tuple[int, float, float, Summary]:
    t0 = time.perf_counter()
    db = load_database(db_path)
    matcher = Matcher(Index.build(db))
    index_s = time.perf_counter() - t0
    times = []
    summary = Summary()
    for _ in range(runs):
        summary = Summary()
        t0 = time.perf_counter()
        for _result in check_text(matcher, io.StringIO(text), summary=summary):
            pass
        times.append(time.perf_counter() - t0)
    return len(db.claims), index_s, statistics.median(times), summary


def run_e2e(text_path: Path, db_path: Path, cache: Path) -> tuple[float, float, int]:
    """Seconds, peak RSS in MB and exit status of one `factcheck check` subprocess."""
    env = {**os.environ, "FACTCHECK_CACHE": str(cache)}
    env.pop("FACTCHECK_DB", None)
    cmd = [sys.executable, "-m", "factcheck", "check", str(text_path), "--db", str(db_path)]
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=ROOT)
        _, status, usage = os.wait4(p.pid, 0)
        elapsed = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode not in (0, 1):
            err.seek(0)
            raise SystemExit(f"factcheck failed ({p.returncode}): {err.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, p.returncode  # ru_maxrss is in KiB on Linux


def bench(name: str, db_path: Path, text: str, text_path: Path, cache: Path, runs: int) -> Row:
    print(f"[{name}] in-process ...", file=sys.stderr, flush=True)
    claims, index_s, check_s, summary = time_in_process(db_path, text, runs)
    print(f"[{name}] end-to-end ...", file=sys.stderr, flush=True)
    cold, rss, _ = run_e2e(text_path, db_path, cache)
    warm = []
    for _ in range(runs):
        elapsed, peak, _ = run_e2e(text_path, db_path, cache)
        warm.append(elapsed)
        rss = max(rss, peak)
    return Row(
        name,
        claims,
        index_s,
        check_s,
        summary.sentences,
        summary.matched,
        statistics.median(warm),
        cold,
        rss,
        TARGETS[name],
    )


def print_table(rows: list[Row], text_bytes: int, runs: int) -> None:
    mb = text_bytes / 1e6
    print(f"\ntext: {text_bytes:,} bytes ({mb:.2f} MB); median of {runs} run(s)\n")
    head = (
        f"{'database':<9}{'claims':>8}{'sentences':>10}{'matched':>8}{'index s':>9}"
        f"{'check s':>9}{'sent/s':>8}{'e2e s':>8}{'cold s':>8}{'rss MB':>8}  target"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        # Targets are for 1 MB: scale the limit to the text actually used.
        limit = r.target_s * mb
        verdict = "met" if r.e2e_s <= limit else "MISSED"
        print(
            f"{r.name:<9}{r.claims:>8,}{r.sentences:>10,}{r.matched:>8,}{r.index_s:>9.2f}"
            f"{r.check_s:>9.2f}{r.sentences / r.check_s:>8.0f}{r.e2e_s:>8.2f}{r.e2e_cold_s:>8.2f}"
            f"{r.rss_mb:>8.1f}  <= {limit:.1f} s: {verdict}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=1.0, help="text size in MB (default 1)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per measure (default 3)")
    args = parser.parse_args()
    started = time.perf_counter()
    text = build_text(int(args.size * 1_000_000), random.Random(RANDOM_SEED))
    text_bytes = len(text.encode("utf-8"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="factcheck-bench-") as tmp:
        work = Path(tmp)
        text_path = work / "news.txt"
        text_path.write_text(text, encoding="utf-8")
        rows.append(bench("bundled", BUNDLED, text, text_path, work / "cache", args.runs))
        liar_path, reason = liar_database(work / "liar.json")
        if liar_path is None:
            print(f"[liar] skipped: {reason}")
        else:
            print(f"[liar] database: {reason}", file=sys.stderr)
            rows.append(bench("liar", liar_path, text, text_path, work / "cache", args.runs))
    print_table(rows, text_bytes, args.runs)
    print(f"\ntotal benchmark time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
