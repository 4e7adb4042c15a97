from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Speed is measured by benchmarks/, not by tests: no per-example deadline, so a loaded CI
# machine cannot fail a property test by being slow.
settings.register_profile("factcheck", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("factcheck")

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "data" / "claims.json"


def benchmark(name: str) -> Any:
    """The module ``benchmarks/NAME.py``, loaded by path (benchmarks/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def import_killed(source: Path, db: Path, after: float) -> None:
    """``factcheck import SOURCE --db DB`` in a real process, killed with SIGKILL after
    ``after`` seconds: no handler runs, so only atomic writes protect the database."""
    import signal
    import time

    p = subprocess.Popen(
        [sys.executable, "-m", "factcheck", "import", str(source), "--db", str(db)],
        stderr=subprocess.DEVNULL,
    )
    time.sleep(after)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No user settings leak in: cache in tmp, no colour overrides, fixed width."""
    monkeypatch.setenv("FACTCHECK_CACHE", str(tmp_path / "cache"))
    for var in ("FACTCHECK_DB", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS"):
        monkeypatch.delenv(var, raising=False)
    yield


def claim(cid: str, text: str, speaker: str = "Someone", **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"id": cid, "text": text, "speaker": speaker, "status": "undisputed"}
    record.update(extra)
    return record


@pytest.fixture
def make_db(tmp_path: Path) -> Callable[..., Path]:
    def make(*claims: dict[str, Any], speakers: list[dict[str, Any]] | None = None) -> Path:
        path = tmp_path / "db.json"
        doc = {"version": 1, "speakers": speakers or [], "claims": list(claims)}
        path.write_text(json.dumps(doc), encoding="utf-8")
        return path

    return make


def run(
    *args: str,
    input: str | bytes | None = None,
    env: dict[str, str] | None = None,
    tty: bool = False,
    text: bool = True,
) -> subprocess.CompletedProcess[Any]:
    """Run the CLI in this process, ``factcheck.cli.main(args, Env)``, and return what
    ``subprocess.run(..., capture_output=True)`` would for ``python -m factcheck``.

    The Env is what a process started from a pipe has: stdin ``input`` (bytes as given, text
    as UTF-8; none: empty), stdout and stderr UTF-8 text layers over bytes with the error
    handlers Python gives them (surrogateescape, backslashreplace), no terminal unless ``tty``
    (stdin only), the environment ``os.environ`` plus ``env``. Output is decoded strictly,
    like ``text=True``, but newlines are not translated: a stray "\\r" stays visible.
    ``text=False`` returns bytes. A test that needs a real process uses ``run_process``.
    """
    from factcheck.cli import Env, main

    data = input.encode("utf-8") if isinstance(input, str) else (input or b"")
    out, err = io.BytesIO(), io.BytesIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", errors="surrogateescape", newline="\n")
    stderr = io.TextIOWrapper(
        err, encoding="utf-8", errors="backslashreplace", newline="\n", line_buffering=True
    )
    cli_env = Env(io.BytesIO(data), stdout, stderr, {**os.environ, **(env or {})})
    cli_env.stdin_isatty = tty
    code = main(list(args), cli_env)
    stdout.flush()
    stderr.flush()
    if text:
        return subprocess.CompletedProcess(
            ["factcheck", *args], code, out.getvalue().decode(), err.getvalue().decode()
        )
    return subprocess.CompletedProcess(["factcheck", *args], code, out.getvalue(), err.getvalue())


def run_process(
    *args: str, input: str | bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess (python -m factcheck): only for what needs a process
    (start-up, imports, signals, concurrent writers, the environment as rich reads it)."""
    full_env = {**os.environ, **(env or {})}
    data = input.decode("utf-8", "replace") if isinstance(input, bytes) else input
    return subprocess.run(
        [sys.executable, "-m", "factcheck", *args],
        input=data,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite tests/golden/*.txt from the output"
    )


def run_on_tty(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with a pseudo-terminal as stdin (what a user typing a bare command has)."""
    master, slave = os.openpty()
    try:
        return subprocess.run(
            [sys.executable, "-m", "factcheck", *args],
            stdin=slave,
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        os.close(slave)
        os.close(master)


def status_into_head(shell_args: str) -> tuple[int, str]:
    """``factcheck <shell_args> | head -1``: factcheck's own exit status and its stderr."""
    cmd = f'"{sys.executable}" -m factcheck {shell_args} | head -1; echo "rc=${{PIPESTATUS[0]}}"'
    r = subprocess.run(
        ["bash", "-c", cmd], capture_output=True, text=True, env=os.environ, timeout=60
    )
    return int(r.stdout.splitlines()[-1].removeprefix("rc=")), r.stderr
