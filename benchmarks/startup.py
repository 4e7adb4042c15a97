"""End-to-end time of `factcheck "..." --json` on the bundled database, against a baseline.

    python benchmarks/startup.py [--runs 15]

Baseline: `python -c "import typer, rich, rapidfuzz"` (the price of our required packages),
measured in the same run, interleaved with ours. Prints medians and the ratio (target <= 1.5).
The package is byte-compiled first, as `pip install` does: an editable checkout run with
PYTHONDONTWRITEBYTECODE=1 would otherwise recompile our sources on every run while the
baseline's packages load from their .pyc files.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

QUERY = "Zelensky said 50,000 Ukrainian soldiers have died"


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    import compileall
    from pathlib import Path

    import factcheck

    compileall.compile_dir(Path(factcheck.__file__).parent, quiet=1)
    baseline = [sys.executable, "-c", "import typer, rich, rapidfuzz"]
    ours = [sys.executable, "-m", "factcheck", QUERY, "--json"]
    timed(baseline), timed(ours)  # warm the page cache
    base_times, our_times = [], []
    for _ in range(args.runs):
        base_times.append(timed(baseline))
        our_times.append(timed(ours))
    b, o = statistics.median(base_times), statistics.median(our_times)
    print(f"baseline (import typer, rich, rapidfuzz)  median {b * 1000:6.1f} ms")
    print(f'factcheck "..." --json                    median {o * 1000:6.1f} ms')
    print(f"ratio {o / b:.2f} (target <= 1.5), {args.runs} runs each")


if __name__ == "__main__":
    main()
