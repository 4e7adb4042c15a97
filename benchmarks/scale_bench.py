"""The million-claim benchmark: import, index build, queries, add and browsing, for both stores.

    python benchmarks/scale_bench.py                      # 1,000,000 claims, both stores
    python benchmarks/scale_bench.py --store sqlite       # only the SQLite store
    python benchmarks/scale_bench.py --claims 100000      # a quick run (a few minutes)
    python benchmarks/scale_bench.py --workdir /tmp/fc-scale --keep   # keep the files

Needs the shared data folder (``../shared/data`` next to this checkout, or ``--data``); without
it the script says so and exits 0. Everything it writes goes to ``--workdir`` (absent or empty;
default a fresh temporary directory), removed at the end unless ``--keep``; never into the
repository. The full run for both stores takes about 25 minutes on a loaded 2-core machine,
2 GB of disk and 3.5 GB of RAM at its peak (the JSON store's import and index build).

Every command is a child process started by a small launcher that reports its wall time and
peak RSS (``os.wait4``), and for commands that are not streamed the peak of the whole
process tree's proportional set size (sampled every 0.1 s: an import's worker processes count
too; the import's memory is the larger of the two); short commands are timed ``--runs``
times (median) interleaved with the baseline ``python -c "import typer, rich, rapidfuzz"``,
and their figures are also given as a ratio to that baseline measured in the same run (the
machine is shared).

Steps, for each store (``--store json|sqlite|both``):

0. Byte-compile the package, and again before each step (this environment sets
   PYTHONDONTWRITEBYTECODE=1; without .pyc files every subprocess would recompile our sources
   while the baseline's load from .pyc). If a source file changes during the run (others may
   be editing the package), the output ends with a warning naming it.
1. Generate ``claims.jsonl`` (once for both stores): N records in our schema from LIAR's
   12,836 statements (train/valid/test, read with csv.QUOTE_NONE), replicated with a fixed
   seed. Replica k of statement n has id ``liar-<n>-r<k>``; replica 0 keeps the statement's
   text and speaker. The others are perturbed: figures and years changed (each with odds 0.8;
   when none is, one typo), light synonym and typo noise, "Says" added or dropped, the
   speaker swapped within the same party. Every record gets a random partial date 2007-2020,
   status from the label (true/mostly-true: undisputed, else disputed), the label as verdict,
   the subjects and party as tags and PolitiFact as source. Records are written in a
   shuffled order, so no replica wins ties by coming first.
2. Import: ``python -m factcheck import claims.jsonl --db big.json|big.sqlite --format
   jsonl`` (wall time, peak RSS). For the JSON store, if that command does not exist (yet),
   the same work through the core API (jsonl reader -> ``merge.merge`` into an empty Database
   -> ``store.write_database``) in a child process; the notes say which path ran.
3. First query: ``python -m factcheck --db DB "..." --json`` with an empty ``FACTCHECK_CACHE``
   (the JSON store builds its cached FTS5 index here; the SQLite store is its own index).
4. Query: the median of R runs with the cache warm, a different LIAR statement each run,
   interleaved with the baseline; the ratio and the peak RSS of a query.
5. ``add "..." --speaker X`` (a new claim each run; median of ``--add-runs`` for SQLite, one
   run for JSON, whose add rewrites the whole file), each followed by a first query after it
   (the JSON store rebuilds its index there): wall, peak RSS, ratio to the baseline.
6. ``disputed --jsonl`` and ``list --speaker X --jsonl`` (X: LIAR's most frequent speaker),
   output read through a pipe: time to the first line and records/s (lines over the time
   after the first line; median of R runs for SQLite, one for JSON).
7. ``stats`` and ``list --search TEXT --jsonl``: median of R runs (one for JSON).
8. Recall@1 of 50 sampled original statements, in-process on the index with the CLI's
   default limit (3): a hit when the top match's text normalises equal to the query (replica
   0, or a record with equal text); the notes also give the hits with limit=1.
   Misses are classed (see ``recall``): "same terms" (the top differs from the statement only
   in words the matcher drops or folds), "tied" (same score, other terms) or "outranked";
   "with ties" counts hits plus the first two.

Targets (issue 11): JSON: import <= 3 min, query <= 3x the baseline, query peak RSS <= 300 MB.
SQLite at 1M: import <= 60 s at <= 300 MB; ``add`` <= 0.5 s and <= 100 MB; the first query
after it <= 2x the baseline; ``disputed --jsonl`` and ``list --speaker X`` first line within
0.3 s and >= 100k records/s; ``stats`` <= 1 s; ``list --search`` <= 1 s.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SPLITS = ("train", "valid", "test")
LIAR_COLUMNS = (
    "id",
    "label",
    "statement",
    "subjects",
    "speaker",
    "speaker_job",
    "state",
    "party",
    "barely_true_ct",
    "false_ct",
    "half_true_ct",
    "mostly_true_ct",
    "pants_fire_ct",
    "context",
)
SEED = 20240611
RECALL_SAMPLE = 50
IMPORT_TARGET_S = 180.0
QUERY_RATIO_TARGET = 3.0
QUERY_RSS_TARGET_MB = 300.0
# The SQLite store's targets (issue 11).
SQLITE_IMPORT_S = 60.0
SQLITE_IMPORT_MB = 300.0
ADD_S = 0.5
ADD_MB = 100.0
AFTER_ADD_RATIO = 2.0
FIRST_LINE_S = 0.3
RECORDS_PER_S = 100_000
STATS_S = 1.0
SEARCH_S = 1.0
SEARCH_TEXT = "unemployment rate"
BASELINE = [sys.executable, "-c", "import typer, rich, rapidfuzz"]
# What the CLI says when it has no `import` command: typer/click's usage errors (exit 2).
NO_COMMAND = re.compile(r"No such (command|option)|unexpected extra argument", re.IGNORECASE)


# --- 1. generating the claims -------------------------------------------------------------


class Row(NamedTuple):
    n: str  # LIAR id without ".json"
    label: str
    text: str
    subjects: tuple[str, ...]
    speaker: str  # display form of the slug
    party: str


def speaker_name(slug: str) -> str:
    """``barack-obama`` -> ``Barack Obama`` (as the LIAR reader does)."""
    return " ".join(part.capitalize() for part in slug.strip().replace("-", " ").split())


def read_liar(folder: Path) -> list[Row]:
    rows = []
    for split in SPLITS:
        with (folder / f"{split}.tsv").open(encoding="utf-8", newline="") as f:
            for raw in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                r = dict(zip(LIAR_COLUMNS, raw, strict=True))
                text = r["statement"].replace("\ufeff", "").strip()
                rows.append(
                    Row(
                        r["id"].removesuffix(".json"),
                        r["label"].strip(),
                        text,
                        tuple(s for s in r["subjects"].split(",") if s.strip()),
                        speaker_name(r["speaker"]),
                        r["party"].strip().lower() or "none",
                    )
                )
    return rows


SYNONYMS = {
    "more than": "over",
    "less than": "under",
    "about": "around",
    "nearly": "almost",
    "almost": "nearly",
    "increase": "rise",
    "increased": "rose",
    "decreased": "fell",
    "reduced": "cut",
    "government": "administration",
    "United States": "U.S.",
    "percent": "per cent",
    "children": "kids",
    "people": "Americans",
    "jobs": "positions",
    "largest": "biggest",
    "voted": "cast a vote",
    "says": "claims",
    "said": "stated",
    "taxes": "tax",
}
_SYNONYM = re.compile(r"\b(" + "|".join(re.escape(k) for k in SYNONYMS) + r")\b")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
_WORD = re.compile(r"[A-Za-z]{5,}")


def change_number(m: re.Match[str], rng: random.Random) -> str:
    """A year moves by 1-6 years; any other figure is scaled by 0.6-1.6 in its own format."""
    s = m.group(0)
    if re.fullmatch(r"(19|20)\d\d", s):
        return str(int(s) + rng.choice((-1, 1)) * rng.randint(1, 6))
    digits = s.replace(",", "")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    value = float(digits) * rng.uniform(0.6, 1.6)
    if decimals:
        return f"{value:.{decimals}f}"
    out = max(round(value), 1)
    if out == int(float(digits)):
        out += 1
    return f"{out:,}" if "," in s else str(out)


def typo(text: str, rng: random.Random) -> str:
    """One typo (swap, drop or double a letter) inside a word of 5+ letters."""
    words = list(_WORD.finditer(text))
    if not words:
        return text
    m = rng.choice(words)
    w = m.group(0)
    i = rng.randint(1, len(w) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        w = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
    elif kind == 1:
        w = w[:i] + w[i + 1 :]
    else:
        w = w[:i] + w[i] + w[i:]
    return text[: m.start()] + w + text[m.end() :]


def perturb(text: str, rng: random.Random) -> str:
    """A reworded copy of ``text``, never equal to it and never differing only in words the
    matcher ignores: a changed figure, else a typo (plus, by chance, synonyms and "Says")."""
    changed = 0

    def number(m: re.Match[str]) -> str:
        nonlocal changed
        if rng.random() < 0.8:
            changed += 1
            return change_number(m, rng)
        return m.group(0)

    out = _NUMBER.sub(number, text)
    out = _SYNONYM.sub(lambda m: SYNONYMS[m.group(0)] if rng.random() < 0.35 else m.group(0), out)
    if rng.random() < 0.35 or not changed:
        out = typo(out, rng)
    if rng.random() < 0.2 or out == text:
        out = out[5:] if out.startswith("Says ") else f"Says {out[:1].lower()}{out[1:]}"
    return out


def random_date(rng: random.Random) -> str:
    year = rng.randint(2007, 2020)
    kind = rng.random()
    if kind < 0.3:
        return str(year)
    if kind < 0.6:
        return f"{year}-{rng.randint(1, 12):02d}"
    return f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def record(row: Row, k: int, rng: random.Random, by_party: dict[str, list[str]]) -> dict[str, Any]:
    text, speaker = row.text, row.speaker
    if k:
        text = perturb(text, rng)
        if rng.random() < 0.4:
            speaker = rng.choice(by_party[row.party])
    return {
        "id": f"liar-{row.n}-r{k}",
        "text": text,
        "speaker": speaker,
        "date": random_date(rng),
        "status": "undisputed" if row.label in ("true", "mostly-true") else "disputed",
        "verdict": row.label,
        "tags": [*row.subjects, f"party:{row.party}"],
        "sources": [
            {"kind": "fact-check", "publisher": "PolitiFact", "ref": f"politifact:{row.n}"}
        ],
    }


_KEY_WORD = re.compile(r"[^\W_]+")
ATTEMPTS = 50  # tries for a replica that is not a duplicate of one already written


def dedupe_key(text: str, speaker: str) -> int:
    """Roughly what the importer merges on (normalised text, speaker): equal keys collapse."""
    words = _KEY_WORD.findall(text.casefold().replace("'", "").replace("\u2019", ""))
    return hash((" ".join(words), speaker.casefold()))


def generate(rows: list[Row], count: int, path: Path) -> dict[str, int]:
    """Write ``count`` records to ``path`` in a shuffled order; deterministic for SEED.

    A replica that would merge with a record already written (same text up to case and
    punctuation, same speaker) is drawn again, so the import keeps about ``count`` claims.
    """
    by_party: dict[str, list[str]] = {}
    for r in rows:
        by_party.setdefault(r.party, []).append(r.speaker)
    for party, names in by_party.items():
        by_party[party] = sorted(set(names))
    seen = {dedupe_key(r.text, r.speaker) for r in rows[:count]}
    order = list(range(count))
    random.Random(SEED).shuffle(order)
    duplicates = 0
    with path.open("w", encoding="utf-8") as f:
        for i in order:
            k, n = divmod(i, len(rows))
            rng = random.Random(SEED * 1_000_003 + i)
            rec = record(rows[n], k, rng, by_party)
            for _ in range(ATTEMPTS if k else 0):
                key = dedupe_key(rec["text"], rec["speaker"])
                if key not in seen:
                    seen.add(key)
                    break
                rec = record(rows[n], k, rng, by_party)
            else:
                duplicates += k > 0
            f.write(json.dumps(rec, ensure_ascii=False))
            f.write("\n")
    return {
        "records": count,
        "replicas": -(-count // len(rows)),
        "statements": len(rows),
        "duplicates": duplicates,
    }


# --- running and measuring ----------------------------------------------------------------


class Run(NamedTuple):
    seconds: float
    rss_mb: float  # peak resident set size of the child
    rc: int
    stdout: str
    stderr: str
    first_line: float = 0.0  # streamed runs: seconds to the first line of output
    lines: int = 0  # streamed runs: lines of output
    cpu: float = 0.0  # user + system CPU seconds of the child (wall time includes waiting)
    # Peak memory of the command with the worker processes it starts (an import's), sampled
    # every 0.1 s as the sum of their proportional set sizes (Pss): ru_maxrss is one
    # process's. MiB; 0 for streamed runs and where /proc has no smaps_rollup.
    tree: float = 0.0


# Peak RSS needs care: Linux records a child's ru_maxrss including the memory of the process
# it was forked from (the old address space's high-water mark is kept at exec), so a child of
# this script, which holds a million dedupe keys, would "use" 140 MB before running a line.
# Commands are therefore started by this small launcher (python -I -S, ~10 MB), which forks,
# execs, waits with os.wait4 and writes "seconds maxrss_kib exit_code" to a file. With
# "stream" it reads the child's output through a pipe itself (as a consumer of --jsonl would),
# notes when the first line came and counts the lines; only the first 4 KB are kept.
LAUNCHER = """
import os, sys, time
report, mode, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
start = time.perf_counter()
first, lines, head = 0.0, 0, b""
if mode == "stream":
    r, w = os.pipe()
pid = os.fork()
if pid == 0:
    try:
        if mode == "stream":
            os.dup2(w, 1)
            os.close(r)
            os.close(w)
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
if mode == "stream":
    os.close(w)
    while chunk := os.read(r, 1 << 16):
        if not lines and b"\\n" in chunk:
            first = time.perf_counter() - start
        lines += chunk.count(b"\\n")
        if len(head) < 4096:
            head += chunk[: 4096 - len(head)]
    os.close(r)
    sys.stdout.buffer.write(head)
def tree_pss(root):
    # proportional set size of the process and all its descendants: shared pages (a forked
    # worker's) counted once, unlike a sum of RSS; 0 where /proc cannot tell
    total, todo = 0, [str(root)]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += sum(int(ln.split()[1]) for ln in f if ln.startswith("Pss:"))
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo.extend(f.read().split())
        except OSError:
            pass
    return total
# Sampled in a thread: the wait itself must block, or the wall time would come in steps of
# the sampling interval (a 70 ms command read as 100 ms).
import threading
peak, stop = [0], threading.Event()
def sample():
    while not stop.wait(0.1):
        peak[0] = max(peak[0], tree_pss(pid))
sampler = threading.Thread(target=sample, daemon=True)
if mode == "plain":
    sampler.start()
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
stop.set()
tree = peak[0]
with open(report, "w") as f:
    cpu = usage.ru_utime + usage.ru_stime
    rc = os.waitstatus_to_exitcode(status)
    f.write(f"{seconds} {usage.ru_maxrss} {rc} {first} {lines} {cpu} {tree}")
"""


def run(cmd: Sequence[str], env: dict[str, str] | None = None, *, stream: bool = False) -> Run:
    """Run ``cmd`` through LAUNCHER: its wall time, peak RSS, exit code and output (with
    ``stream``: the time to its first line and its number of lines, and only the first 4 KB
    of its output)."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".rusage") as report,
    ):
        mode = "stream" if stream else "plain"
        launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, report.name, mode, *cmd]
        subprocess.run(launcher, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        seconds, maxrss, rc, first, lines, cpu, tree = report.read().split()
        out.seek(0)
        err.seek(0)
        return Run(
            float(seconds),
            int(maxrss) / 1024,  # KiB on Linux
            int(rc),
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            float(first),
            int(lines),
            float(cpu),
            int(tree) / 1024,
        )


def core_import(source: Path, target: Path) -> None:
    """The fallback import through the core API; prints the merge counts as JSON."""
    from factcheck.formats import open_source, reader
    from factcheck.merge import merge
    from factcheck.model import Database
    from factcheck.store import write_database

    errors: list[str] = []

    def claims() -> Iterator[Any]:
        with open_source(source) as stream:
            for rec in reader("jsonl")(stream, source=source.name):
                if rec.claim is None:
                    errors.append(f"{rec.location}: {rec.error}")
                else:
                    yield rec.claim

    result = merge(Database(()), claims())
    write_database(result.database, target)
    print(json.dumps({**result.counts, "errors": len(errors), "first_errors": errors[:3]}))


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def import_step(jsonl: Path, db: Path, env: dict[str, str]) -> tuple[Run, str, list[str]]:
    """Import with the CLI, else with the core API; returns the run, the path and notes."""
    notes: list[str] = []
    cli = [sys.executable, "-m", "factcheck", "import", str(jsonl), "--db", str(db)]
    r = run([*cli, "--format", "jsonl"], env)
    if r.rc == 0 and db.is_file():
        return r, "CLI `factcheck import`", notes
    if db.suffix == ".sqlite":  # no fallback: the core API's fallback writes JSON
        notes.append(f"`factcheck import` FAILED (exit {r.rc}): {last_line(r.stderr)}")
        return r, "CLI `factcheck import`", notes
    if r.rc == 2 and NO_COMMAND.search(r.stderr):
        notes.append(f"`factcheck import` not available: {last_line(r.stderr)}")
    else:
        notes.append(
            f"`factcheck import` FAILED (exit {r.rc}, {r.seconds:.1f} s, {r.rss_mb:.0f} MB):"
            f" {last_line(r.stderr)}"
        )
    db.unlink(missing_ok=True)
    r = run([sys.executable, __file__, "--core-import", str(jsonl), str(db)], env)
    if r.rc != 0:
        notes.append(f"core import FAILED (exit {r.rc}): {last_line(r.stderr)}")
    return r, "core API (jsonl reader -> merge -> write_database)", notes


def compile_package() -> dict[str, int]:
    """Byte-compile factcheck (only files changed since are compiled again); the mtime of
    each source file, by its path in the package."""
    import factcheck

    package = Path(factcheck.__file__).parent
    compileall.compile_dir(package, quiet=1)
    return {p.relative_to(package).as_posix(): p.stat().st_mtime_ns for p in package.rglob("*.py")}


def query_cmd(db: Path, text: str) -> list[str]:
    return [sys.executable, "-m", "factcheck", "--db", str(db), text, "--json"]


def cli_cmd(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "factcheck", "--db", str(db), *args]


def top_text(r: Run) -> str | None:
    try:
        matches = json.loads(r.stdout)["matches"]
    except (ValueError, KeyError):
        return None
    return matches[0]["claim"]["text"] if matches else None


def recall(db: Path, cache: Path, samples: Sequence[Row]) -> dict[str, Any]:
    """Recall@1 of original statements on the cached index, in this process, at the CLI's
    default limit (the top-1 can depend on it: ties are broken within a window past it).

    A miss is classed by what replica 0 (the statement itself) scored: ``same terms`` when
    the top record's indexed terms equal replica 0's (it differs only in words the matcher
    drops or folds: "Says", stop words, inflections), ``tied`` when it scored the same as the
    top but its terms differ, else ``outranked`` (lower, or not among the 20 candidates).
    """
    from factcheck.index import claim_terms
    from factcheck.match import DEFAULT_LIMIT, DEFAULT_THRESHOLD, Matcher
    from factcheck.normalize import normalize, terms_of
    from factcheck.store import open_index

    start = time.perf_counter()
    matcher = Matcher(open_index(db, cache))
    open_ms = (time.perf_counter() - start) * 1000
    counts = dict.fromkeys(("exact", "equal_text", "same_terms", "tied", "outranked"), 0)
    above = limit1 = 0
    ms: list[float] = []
    misses: list[str] = []
    for row in samples:
        start = time.perf_counter()
        top = matcher.find(row.text, limit=DEFAULT_LIMIT, threshold=0, explain=False)
        ms.append((time.perf_counter() - start) * 1000)
        wanted = f"liar-{row.n}-r0"
        first = matcher.find(row.text, limit=1, threshold=0, explain=False)
        limit1 += bool(first) and (
            first[0].claim.id == wanted or normalize(first[0].claim.text) == normalize(row.text)
        )
        if not top:
            counts["outranked"] += 1
            misses.append(f"outranked: nothing for {row.text!r}")
            continue
        m = top[0]
        above += m.score >= DEFAULT_THRESHOLD
        if m.claim.id == wanted:
            counts["exact"] += 1
            continue
        if normalize(m.claim.text) == normalize(row.text):
            counts["equal_text"] += 1
            continue
        more = matcher.find(row.text, limit=20, threshold=0, explain=False)
        rank = next((i for i, x in enumerate(more, 1) if x.claim.id == wanted), None)
        own = more[rank - 1] if rank else None
        if claim_terms(m.claim) == terms_of(normalize(row.text).split()):
            kind = "same_terms"
        elif own is not None and own.score == m.score:
            kind = "tied"
        else:
            kind = "outranked"
        counts[kind] += 1
        where = f"rank {rank}, score {own.score}" if own else "not in the top 20"
        misses.append(
            f"{kind.replace('_', ' ')}: {row.text!r} (replica 0: {where})\n"
            f"      top {m.score} {m.claim.id} {m.claim.text!r}"
        )
    return {
        "n": len(samples),
        "hits": counts["exact"] + counts["equal_text"],
        **counts,
        "above_threshold": above,
        "limit": DEFAULT_LIMIT,
        "limit1": limit1,
        "open_ms": open_ms,
        "median_ms": statistics.median(ms) if ms else 0.0,
        "misses": misses,
    }


# --- the benchmark --------------------------------------------------------------------------


def mb(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:,.0f} MB" if path.exists() else "-"


def status(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000, help="how many claims")
    parser.add_argument("--runs", type=int, default=10, help="timed query runs (at least 10)")
    parser.add_argument(
        "--store", choices=("json", "sqlite", "both"), default="both", help="which store(s)"
    )
    parser.add_argument(
        "--add-runs", type=int, default=5, help="SQLite add runs (each then a first query)"
    )
    parser.add_argument(
        "--browse-runs", type=int, default=5, help="SQLite runs of each browsing command"
    )
    parser.add_argument(
        "--workdir", type=Path, help="an absent or empty directory to use (default: a temp dir)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the workdir")
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder")
    parser.add_argument("--core-import", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.core_import:
        core_import(*args.core_import)
        return
    if args.claims < 2 * RECALL_SAMPLE:
        parser.error(f"--claims must be at least {2 * RECALL_SAMPLE}")
    liar = args.data / "liar"
    if not all((liar / f"{s}.tsv").is_file() for s in SPLITS):
        print(f"skipped: LIAR not found in {liar} (the shared data folder is not in a clone)")
        return
    if args.workdir is not None:
        resolved = args.workdir.resolve()
        if resolved == ROOT or ROOT in resolved.parents:
            parser.error("--workdir must be outside the repository")
        if resolved.exists() and (not resolved.is_dir() or any(resolved.iterdir())):
            parser.error(f"--workdir {resolved} must be absent or empty (it is removed after)")
        args.workdir.mkdir(parents=True, exist_ok=True)
        work = args.workdir
    else:
        work = Path(tempfile.mkdtemp(prefix="factcheck-scale-"))
    try:
        bench(args, liar, work)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


Step = tuple[str, str, str, str, str]  # step, time, peak RSS, target, result


def most_frequent_speaker(rows: Sequence[Row]) -> str:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.speaker] = counts.get(row.speaker, 0) + 1
    return max(counts, key=lambda name: (counts[name], name))


def bench(args: argparse.Namespace, liar: Path, work: Path) -> None:
    steps: list[Step] = []
    notes: list[str] = []

    def say(message: str) -> None:
        print(message, flush=True)

    start = time.perf_counter()
    sources = compile_package()
    steps.append(("byte-compile factcheck", f"{time.perf_counter() - start:.1f} s", "-", "-", ""))

    rows = read_liar(liar)
    jsonl = work / "claims.jsonl"
    say(f"workdir {work}; generating {args.claims:,} claims from {len(rows):,} LIAR statements")
    start = time.perf_counter()
    info = generate(rows, args.claims, jsonl)
    steps.append(("generate claims.jsonl", f"{time.perf_counter() - start:.1f} s", "-", "-", ""))
    notes.append(
        f"claims.jsonl: {info['records']:,} records ({info['replicas']} replicas of"
        f" {info['statements']:,} statements; {info['duplicates']:,} perturbed replicas still"
        f" duplicate another after {ATTEMPTS} draws), {mb(jsonl)}"
    )
    stores = ("json", "sqlite") if args.store == "both" else (args.store,)
    for kind in stores:
        bench_store(kind, args, rows, jsonl, work, steps, notes, say)
    current = compile_package()
    changed = sorted(name for name, t in current.items() if sources.get(name) != t)
    if changed:
        notes.append(
            f"WARNING: factcheck sources changed during the run ({', '.join(changed)}):"
            " the figures may mix versions"
        )
    print_table(steps, notes)


def bench_store(
    kind: str,
    args: argparse.Namespace,
    rows: list[Row],
    jsonl: Path,
    work: Path,
    steps: list[Step],
    notes: list[str],
    say: Callable[[str], None],
) -> None:
    """Every step for one store (see the module docstring), appended to ``steps``."""
    sqlite = kind == "sqlite"
    db, cache = work / f"big.{kind}", work / f"cache-{kind}"
    env = {**os.environ, "FACTCHECK_CACHE": str(cache)}
    env.pop("FACTCHECK_DB", None)

    def step(name: str, figure: str, rss: str, target: str, result: str) -> None:
        steps.append((f"{kind}: {name}", figure, rss, target, result))
        cells = (figure, rss, target, result)
        say(f"  {kind}: {name}: {', '.join(c for c in cells if c and c != '-')}")

    say(f"{kind}: importing ...")
    compile_package()  # files edited since the last step are compiled again
    r, path, import_notes = import_step(jsonl, db, env)
    notes += [f"{kind}: {n}" for n in import_notes]
    notes.append(f"{kind}: import path: {path}")
    if last_line(r.stdout or r.stderr):
        notes.append(f"{kind}: import said: {last_line(r.stdout or r.stderr)}")
    # The memory of an import is its workers' too (SQLite: factcheck.prepare): the larger of
    # the main process's peak RSS and the sampled peak of the whole tree's Pss.
    memory = max(r.rss_mb, r.tree)
    if sqlite:
        target = f"<= {SQLITE_IMPORT_S:.0f} s, <= {SQLITE_IMPORT_MB:.0f} MB"
        ok = r.rc == 0 and r.seconds <= SQLITE_IMPORT_S and memory <= SQLITE_IMPORT_MB
    else:
        target = f"<= {IMPORT_TARGET_S:.0f} s"
        ok = r.rc == 0 and r.seconds <= IMPORT_TARGET_S
    step(
        "import",
        f"{r.seconds:.1f} s ({r.cpu:.1f} s CPU, with workers)",
        f"{memory:,.0f} MB (main {r.rss_mb:,.0f})",
        target,
        status(ok),
    )
    if r.rc != 0 or not db.is_file():
        return
    notes.append(f"{kind}: {db.name}: {mb(db)}")

    rng = random.Random(SEED + 1)
    originals = [row for row in rows[: args.claims] if not row.text.startswith("-")]
    queries = rng.sample(originals, max(args.runs, 10) + 1)

    say(f"{kind}: first query ({'no index to build' if sqlite else 'builds the index'}) ...")
    compile_package()
    r = run(query_cmd(db, queries[0].text), env)
    cache_files = list(cache.glob("*.sqlite")) if cache.is_dir() else []
    step(
        "first query" + ("" if sqlite else " (index build)"),
        f"{r.seconds:.1f} s",
        f"{r.rss_mb:,.0f} MB",
        "-",
        status(r.rc in (0, 1)) + ("" if r.rc in (0, 1) else f" exit {r.rc}"),
    )
    if r.rc not in (0, 1):
        notes.append(f"{kind}: first query FAILED: {last_line(r.stderr)}")
        return
    if not sqlite:
        notes.append(f"{kind}: index cache: {', '.join(mb(p) for p in cache_files) or 'none'}")

    say(f"{kind}: timing {len(queries) - 1} queries against the baseline ...")
    compile_package()
    run(BASELINE, env), run(query_cmd(db, queries[0].text), env)  # warm the page cache
    base: list[Run] = []
    ours: list[Run] = []
    found = 0
    for row in queries[1:]:
        base.append(run(BASELINE, env))
        r = run(query_cmd(db, row.text), env)
        ours.append(r)
        found += top_text(r) is not None and r.rc == 0
    b = statistics.median(x.seconds for x in base)
    o = statistics.median(x.seconds for x in ours)
    rss = statistics.median(x.rss_mb for x in ours)
    rss_max = max(x.rss_mb for x in ours)
    failed = [x for x in ours if x.rc not in (0, 1)]
    b_cpu = statistics.median(x.cpu for x in base)
    step(
        "baseline import typer, rich, rapidfuzz",
        f"{b * 1000:.0f} ms ({b_cpu * 1000:.0f} ms CPU)",
        "-",
        "-",
        "",
    )
    step(
        f"query (median of {len(ours)})",
        f"{o * 1000:.0f} ms ({statistics.median(x.cpu for x in ours) * 1000:.0f} ms CPU)",
        f"{rss:,.0f} MB (max {rss_max:,.0f})",
        f"<= {QUERY_RATIO_TARGET:g}x, <= {QUERY_RSS_TARGET_MB:.0f} MB",
        f"{o / b:.2f}x {status(o / b <= QUERY_RATIO_TARGET)},"
        f" RSS {status(rss_max <= QUERY_RSS_TARGET_MB)}",
    )
    notes.append(f"{kind}: CLI queries with a match: {found}/{len(ours)}")
    if failed:
        notes.append(f"{kind}: {len(failed)} queries FAILED: {last_line(failed[0].stderr)}")

    add_runs = max(args.add_runs, 1) if sqlite else 1
    say(f"{kind}: {add_runs} x (add, then the first query after it) ...")
    compile_package()
    adds: list[Run] = []
    after: list[Run] = []
    for i, row in enumerate(queries[1 : add_runs + 1]):
        text = f"Benchmark claim {i}: {row.text}"
        adds.append(run(cli_cmd(db, "add", text, "--speaker", "Scale Bench"), env))
        after.append(run(query_cmd(db, row.text), env))
    bad = [x for x in adds if x.rc != 0] + [x for x in after if x.rc not in (0, 1)]
    if bad:
        notes.append(f"{kind}: add or query after it FAILED: {last_line(bad[0].stderr)}")
    a = statistics.median(x.seconds for x in adds)
    a_rss = max(x.rss_mb for x in adds)
    q = statistics.median(x.seconds for x in after)
    q_rss = max(x.rss_mb for x in after)
    med = f"median of {add_runs}" if add_runs > 1 else "1 run"
    step(
        f"add ({med})",
        f"{a:.2f} s ({statistics.median(x.cpu for x in adds):.2f} s CPU)",
        f"{a_rss:,.0f} MB",
        f"<= {ADD_S:g} s, <= {ADD_MB:.0f} MB" if sqlite else "-",
        status(not bad and a <= ADD_S and a_rss <= ADD_MB) if sqlite else "",
    )
    step(
        f"first query after add ({med})",
        f"{q * 1000:,.0f} ms ({statistics.median(x.cpu for x in after) * 1000:,.0f} ms CPU)",
        f"{q_rss:,.0f} MB",
        f"<= {AFTER_ADD_RATIO:g}x" if sqlite else "-",
        f"{q / b:.2f}x" + (f" {status(q / b <= AFTER_ADD_RATIO)}" if sqlite else ""),
    )

    browse_runs = max(args.browse_runs, 1) if sqlite else 1
    speaker = most_frequent_speaker(rows)
    say(f"{kind}: browsing ({browse_runs} run(s) each) ...")
    compile_package()
    streamed = (
        ("disputed --jsonl", ["disputed", "--jsonl"]),
        (f"list --speaker {speaker!r} --jsonl", ["list", "--speaker", speaker, "--jsonl"]),
    )
    for name, cli in streamed:
        runs = [run(cli_cmd(db, *cli), env, stream=True) for _ in range(browse_runs)]
        failed = [x for x in runs if x.rc != 0]
        if failed:
            notes.append(f"{kind}: {name} FAILED: {last_line(failed[0].stderr)}")
        first = statistics.median(x.first_line for x in runs)
        wall = statistics.median(x.seconds for x in runs)
        rate = statistics.median(x.lines / max(x.seconds - x.first_line, 1e-6) for x in runs)
        lines = runs[0].lines
        step(
            f"{name} ({lines:,} lines, {'median of ' + str(browse_runs) if sqlite else '1 run'})",
            f"first line {first:.2f} s, all {wall:.1f} s, {rate:,.0f} records/s",
            f"{max(x.rss_mb for x in runs):,.0f} MB",
            f"<= {FIRST_LINE_S:g} s, >= {RECORDS_PER_S:,} records/s" if sqlite else "-",
            f"first line {first / b:.1f}x the baseline"
            + (
                f"; {status(not failed and first <= FIRST_LINE_S)}, {status(rate >= RECORDS_PER_S)}"
                if sqlite
                else ""
            ),
        )
    short = (
        ("stats", ["stats"], STATS_S),
        (
            f"list --search {SEARCH_TEXT!r} --jsonl",
            ["list", "--search", SEARCH_TEXT, "--jsonl"],
            SEARCH_S,
        ),
    )
    for name, cli, limit in short:
        runs = []
        for _ in range(browse_runs):
            base.append(run(BASELINE, env))
            runs.append(run(cli_cmd(db, *cli), env))
        failed = [x for x in runs if x.rc != 0]
        if failed:
            notes.append(f"{kind}: {name} FAILED: {last_line(failed[0].stderr)}")
        wall = statistics.median(x.seconds for x in runs)
        lines = len(runs[0].stdout.splitlines())
        step(
            f"{name} ({lines:,} lines, {'median of ' + str(browse_runs) if sqlite else '1 run'})",
            f"{wall:.2f} s ({statistics.median(x.cpu for x in runs):.2f} s CPU)",
            f"{max(x.rss_mb for x in runs):,.0f} MB",
            f"<= {limit:g} s" if sqlite else "-",
            f"{wall / b:.1f}x the baseline"
            + (f"; {status(not failed and wall <= limit)}" if sqlite else ""),
        )

    say(f"{kind}: recall@1 of {RECALL_SAMPLE} original statements ...")
    rec = recall(db, cache, random.Random(SEED + 2).sample(originals, RECALL_SAMPLE))
    step(
        f"recall@1 ({rec['n']} originals, in-process)",
        f"{rec['median_ms']:.0f} ms/query",
        "-",
        "-",
        f"{rec['hits'] / rec['n']:.2f} ({rec['hits']}/{rec['n']}); with ties"
        f" {rec['hits'] + rec['same_terms'] + rec['tied']}/{rec['n']}",
    )
    notes.append(
        f"{kind}: recall: top-1 is replica 0 for {rec['exact']}, an equal-text record for"
        f" {rec['equal_text']}; misses: {rec['same_terms']} same terms, {rec['tied']} tied,"
        f" {rec['outranked']} outranked (see below); {rec['above_threshold']} top scores >="
        f" the threshold; top-1 with limit=1 instead of {rec['limit']}: {rec['limit1']}/{rec['n']};"
        f" index opened in {rec['open_ms']:.0f} ms"
    )
    notes += [f"{kind}: recall miss: {m}" for m in rec["misses"]]


def print_table(steps: list[Step], notes: list[str]) -> None:
    widths = [max(len(row[i]) for row in steps) for i in range(5)]
    head = ("step", "time", "peak RSS", "target", "result")
    widths = [max(w, len(h)) for w, h in zip(widths, head, strict=True)]
    print()
    for row in (head, *steps):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print()
    for note in notes:
        print(f"- {note}")


if __name__ == "__main__":
    main()
