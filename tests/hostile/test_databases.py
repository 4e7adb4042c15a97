"""Hostile databases, paths and arguments: every command gives an answer or one clear line.

The campaign runs every read command and the write commands against a set of generated
hostile databases (and paths that are not databases), in process, and asserts an exit code of
0, 1 or 2, one line on stderr for an error, never a traceback and never the catch-all
"unexpected error". The other tests each pin one class: files that are not regular files, size
caps, truncation, one validator, links and permissions, stale temp files, the index cache.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from factcheck.errors import DatabaseError
from factcheck.store import jsonfile, load_database, validate_file, write_database
from factcheck.store.cache import cache_file, fingerprint, open_json_index
from factcheck.store.files import check_database_file, parse_size, replace_atomically
from tests.conftest import BUNDLED, run

CLAIM = {"id": "a", "text": "Russia annexed Crimea in 2014", "speaker": "S"}
ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


def _doc(**header: Any) -> str:
    return json.dumps({"version": 1, "speakers": [], "claims": [CLAIM], **header})


def _written(tmp: Path) -> Path:
    """The bundled database as factcheck writes it (the streamed layout)."""
    path = tmp / "written.json"
    write_database(load_database(BUNDLED), path, backup=False)
    return path


def _corrupt_sqlite(tmp: Path) -> Path:
    path = tmp / "corrupt.sqlite"
    assert run("import", str(tmp / "written.json"), "--db", str(path)).returncode == 0
    data = bytearray(path.read_bytes())
    data[8192:24576] = bytes(16384)  # zeroed pages in the middle
    path.write_bytes(bytes(data))
    return path


def _hostile(tmp: Path) -> dict[str, Path]:
    """name -> a database path that no command may fail on with more than one line."""
    written = _written(tmp)
    lines = written.read_text(encoding="utf-8").splitlines(keepends=True)
    texts = {
        "truncated-at-line": "".join(lines[: len(lines) // 2]),
        "truncated-mid-line": written.read_text(encoding="utf-8")[:5000],
        "no-closing-brace": "".join(lines[:-1]),
        "text-after-end": written.read_text(encoding="utf-8") + "junk\n",
        "version-string": _doc(version="1"),
        "version-float": _doc(version=1.0),
        "version-bool": _doc(version=True),
        "version-newer": _doc(version=99),
        "version-zero": _doc(version=0),
        "speakers-null": _doc(speakers=None),
        "speakers-empty-string": _doc(speakers=""),
        "speakers-int": _doc(speakers=1),
        "origins-int": _doc(origins=5),
        "claims-object": json.dumps({"version": 1, "claims": {"a": 1}}),
        "claim-text-int": json.dumps({"claims": [{**CLAIM, "text": 5}]}),
        "claim-unknown-field": json.dumps({"claims": [{**CLAIM, "x": 1}]}),
        "lone-surrogate-text": '{"claims": [{"id": "a", "text": "x \\ud800 y", "speaker": "S"}]}',
        "lone-surrogate-key": '{"claims": [{"id": "a", "text": "t", "speaker": "S", "\\udc00": 0}]}'
        "",
        "huge-int": '{"version": 1, "claims": [{"id": "a", "text": "t", "speaker": "S", "date": '
        + "9" * 5000
        + "}]}",
        "huge-version": '{"version": ' + "9" * 5000 + ', "claims": []}',
        "huge-float": '{"version": 1e400, "claims": []}',
        "nan": '{"version": NaN, "claims": []}',
        "deep-nesting": '{"claims": [' + "[" * 100_000 + "]" * 100_000 + "]}",
        "not-json": "hello, world\n",
        "nul-bytes": "\0" * 70_000,
        "empty": "",
        "bom-only": "\ufeff",
        "dup-ids": json.dumps({"claims": [CLAIM, CLAIM]}),
    }
    out: dict[str, Path] = {}
    for name, text in texts.items():
        path = tmp / f"{name}.json"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        out[name] = path
    (tmp / "not-utf8.json").write_bytes(
        b'{"claims": [{"id": "a", "text": "caf\xe9", "speaker": "S"}]}'
    )
    out["not-utf8"] = tmp / "not-utf8.json"
    foreign = tmp / "foreign.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t(x)")
    conn.close()
    out["foreign-sqlite"] = foreign
    out["corrupt-sqlite"] = _corrupt_sqlite(tmp)
    (tmp / "garbage.sqlite").write_bytes(b"SQLite format 3\0" + os.urandom(3000))
    out["garbage-sqlite"] = tmp / "garbage.sqlite"
    out["directory"] = tmp / "adir.json"
    out["directory"].mkdir()
    out["missing"] = tmp / "missing.json"
    out["missing-directory"] = tmp / "nodir" / "db.json"
    if hasattr(os, "mkfifo"):
        out["fifo"] = tmp / "fifo.json"
        os.mkfifo(out["fifo"])
    if Path("/dev/zero").exists():
        out["dev-zero"] = Path("/dev/zero")
    sparse = tmp / "sparse.json"
    with sparse.open("wb") as f:
        f.truncate(jsonfile.DEFAULT_MAX_SIZE + 1)  # sparse: no disk used
    out["sparse-over-cap"] = sparse
    return out


READS = [
    ["search", "Russia annexed Crimea"],
    ["check", "-"],
    ["list"],
    ["disputed"],
    ["show", "a"],
    ["speakers"],
    ["stats"],
    ["export"],
    ["export", "--format", "csv"],
    ["validate"],
    ["validate", "--json"],
]
WRITES = [
    ["add", "A new claim for the campaign", "-s", "Tester"],
    ["import", "{good}"],
    ["import", "--dry-run", "{good}"],
]


def _check_run(label: str, result: subprocess.CompletedProcess[str]) -> list[str]:
    """What is wrong with one run (nothing: an empty list)."""
    bad = []
    if result.returncode not in (0, 1, 2):
        bad.append(f"{label}: exit {result.returncode}")
    err = result.stderr
    if "Traceback" in err or "unexpected" in err:
        bad.append(f"{label}: {err.strip()[:200]}")
    errors = [line for line in err.splitlines() if line.startswith("factcheck: error:")]
    if result.returncode == 2 and len(errors) != 1:
        bad.append(f"{label}: exit 2 with {len(errors)} error lines: {err[:200]!r}")
    if len(errors) > 1:
        bad.append(f"{label}: {len(errors)} error lines")
    return bad


@pytest.fixture
def built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """typer builds its click command anew on every call (~40 ms of inspecting signatures):
    build each once, so that hundreds of runs stay fast. Everything else is the real main()."""
    import typer.main

    import factcheck.cli as cli

    real = cli._app_for
    built: dict[int, Any] = {}

    def app_for(args: list[str], environ: Any) -> Any:
        app = real(args, environ)
        if id(app) not in built:
            built[id(app)] = typer.main.get_command(app)
        return built[id(app)]

    monkeypatch.setattr(cli, "_app_for", app_for)


@pytest.mark.usefixtures("built_once")
def test_every_command_on_every_hostile_database(tmp_path: Path) -> None:
    hostile = _hostile(tmp_path)
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({**CLAIM, "id": "imported"}) + "\n", encoding="utf-8")
    runs, problems = 0, []
    for name, db in hostile.items():
        for argv in READS + WRITES:
            args = [a.replace("{good}", str(good)) for a in argv]
            result = run("--db", str(db), *args, input="Russia annexed Crimea in 2014.\n")
            runs += 1
            problems += _check_run(f"{name}: {' '.join(argv)}", result)
            partial = name.startswith(("truncated", "no-closing", "text-after", "sparse"))
            if (
                partial
                and argv[0] in ("list", "stats", "export", "search")
                and result.returncode != 2
            ):
                # never a part of the database passed off as the whole of it
                problems.append(f"{name}: {argv[0]} exit {result.returncode}, not 2")
            if argv[0] == "validate" and name != "missing" and result.returncode == 0:
                problems.append(f"{name}: validate says ok")
    assert runs == len(hostile) * (len(READS) + len(WRITES)) and runs > 400
    assert not problems, "\n".join(problems)


def test_load_stream_and_validate_agree(tmp_path: Path) -> None:
    """One validator: what loading refuses, validate reports (and the reverse)."""
    hostile = _hostile(tmp_path)
    for name, path in hostile.items():
        if not path.is_file() or path.suffix == ".sqlite":
            continue
        try:
            load_database(path)
            loaded = True
        except DatabaseError:
            loaded = False
        try:
            problems = validate_file(path)
        except DatabaseError:  # not a file that can be validated at all
            problems = ["unreadable"]  # type: ignore[list-item]
        if name == "dup-ids":  # validate goes on past it; load stops; both refuse
            assert problems and not loaded
            continue
        assert loaded == (not problems), f"{name}: load {loaded}, validate {problems}"


def test_not_a_regular_file_is_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    for path, kind in (
        (fifo, "a FIFO"),
        (tmp_path, "a directory"),
        (Path("/dev/zero"), "a device"),
    ):
        with pytest.raises(DatabaseError, match=kind):
            check_database_file(path)
    # a FIFO must not hang any command: a real process, with a timeout
    r = subprocess.run(
        [sys.executable, "-m", "factcheck", "--db", str(fifo), "stats"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "FIFO" in r.stderr


def test_size_cap_is_clear_and_configurable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _written(tmp_path)
    size = path.stat().st_size
    monkeypatch.setattr(jsonfile, "MAX_SIZE", size - 1)
    with pytest.raises(DatabaseError, match="over the limit") as e:
        load_database(path)
    assert "FACTCHECK_MAX_DB_SIZE" in str(e.value)
    monkeypatch.setattr(jsonfile, "MAX_SIZE", jsonfile.DEFAULT_MAX_SIZE)
    r = run("--db", str(path), "stats", env={"FACTCHECK_MAX_DB_SIZE": f"{size - 1}"})
    assert r.returncode == 2 and "over the limit" in r.stderr
    assert run("--db", str(path), "stats", env={"FACTCHECK_MAX_DB_SIZE": "1M"}).returncode == 0
    r = run("--db", str(path), "stats", env={"FACTCHECK_MAX_DB_SIZE": "lots"})
    assert r.returncode == 2 and "FACTCHECK_MAX_DB_SIZE" in r.stderr
    assert run("--db", str(path), "stats").returncode == 0
    assert jsonfile.MAX_SIZE == jsonfile.DEFAULT_MAX_SIZE  # a run without it has the default
    assert parse_size("2G") == 2 << 30 and parse_size("1.5KiB") == 1536
    for bad in ("nan", "-1", "inf", "", "10X"):
        with pytest.raises(ValueError):
            parse_size(bad)


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.999])
def test_a_database_cut_at_any_line_is_an_error(tmp_path: Path, cut: float) -> None:
    path = _written(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[: max(4, int(len(lines) * cut))]), encoding="utf-8")
    for argv in (["stats"], ["list"], ["export"], ["search", "Crimea"]):
        r = run("--db", str(path), *argv)
        # cut in the claims: "cut short"; in the header (not streamed): invalid JSON
        assert r.returncode == 2 and r.stderr.count("\n") == 1, (argv, r.stderr)
        assert "cut short" in r.stderr or "invalid JSON" in r.stderr, r.stderr
    assert validate_file(path)
    out = tmp_path / "out.jsonl"
    assert run("--db", str(path), "export", "-o", str(out)).returncode == 2
    assert not out.exists()  # no partial copy


def test_symlinked_database_gets_the_write(tmp_path: Path) -> None:
    real = _written(tmp_path)
    link = tmp_path / "link.json"
    link.symlink_to(real.name)
    r = run("--db", str(link), "add", "Written through the link", "-s", "Tester")
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and "Written through the link" in real.read_text(encoding="utf-8")
    assert (tmp_path / "written.json.lock").exists() and not (tmp_path / "link.json.lock").exists()


def test_read_only_database_is_refused_not_replaced(tmp_path: Path) -> None:
    for db in (_written(tmp_path), tmp_path / "ro.sqlite"):
        if db.suffix == ".sqlite":
            assert run("import", str(tmp_path / "written.json"), "--db", str(db)).returncode == 0
        before = db.read_bytes()
        db.chmod(0o444)
        try:
            for argv in (["add", "Should not land", "-s", "T"], ["import", str(BUNDLED)]):
                r = run("--db", str(db), *argv)
                assert r.returncode == 2 and "read-only" in r.stderr, r.stderr
                assert r.stderr.count("\n") == 1
            assert db.read_bytes() == before and not Path(f"{db}.bak").exists()
        finally:
            db.chmod(0o644)


def test_write_errors_are_one_line(tmp_path: Path) -> None:
    db = _written(tmp_path)
    cases = {
        "missing directory": ["--db", str(tmp_path / "no" / "db.json"), "add", "x y", "-s", "T"],
        "export into a missing directory": [
            "--db",
            str(db),
            "export",
            "-o",
            str(tmp_path / "no/x"),
        ],
        "export onto a directory": ["--db", str(db), "export", "-o", str(tmp_path)],
        "export onto a device": ["--db", str(db), "export", "-o", os.devnull],
    }
    for what, argv in cases.items():
        r = run(*argv)
        assert r.returncode == 2 and r.stderr.startswith("factcheck: error: cannot write"), what
        assert r.stderr.count("\n") == 1, what


def test_full_disk_leaves_the_old_file_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _written(tmp_path)
    before = db.read_bytes()

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("factcheck.store.files.os.fsync", full)
    r = run("--db", str(db), "add", "No room for this", "-s", "T")
    assert r.returncode == 2 and "no space left on device" in r.stderr
    assert "unchanged" in r.stderr and r.stderr.count("\n") == 1
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["written.json", "written.json.lock"]


@pytest.mark.skipif(ROOT, reason="root reads and writes whatever the permissions say")
def test_unreadable_database_and_read_only_directory(tmp_path: Path) -> None:
    db = _written(tmp_path)
    db.chmod(0)
    try:
        r = run("--db", str(db), "stats")
        assert r.returncode == 2 and "permission denied" in r.stderr
    finally:
        db.chmod(0o644)
    tmp_path.chmod(0o555)
    try:
        r = run("--db", str(db), "add", "x y z", "-s", "T")
        assert r.returncode == 2 and "not writable" in r.stderr
    finally:
        tmp_path.chmod(0o755)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid  # just reaped: free, and not reused this soon


def test_temp_files_of_dead_writers_are_swept(tmp_path: Path) -> None:
    db = _written(tmp_path)
    dead = _dead_pid()
    stale = [tmp_path / f".written.json.{dead}.abc123.tmp", tmp_path / f".written.json.bak.{dead}"]
    live = tmp_path / f".written.json.{os.getppid()}.xyz789.tmp"
    for p in (*stale, live):
        p.write_text("partial", encoding="utf-8")
    replace_atomically(db, lambda out: out.write(db.read_text(encoding="utf-8")))
    assert not any(p.exists() for p in stale) and live.exists()


def test_cache_temp_files_of_dead_builders_are_swept(tmp_path: Path) -> None:
    db = _written(tmp_path)
    cache = tmp_path / "cache"
    cache.mkdir()
    target = cache_file(db, cache)
    stale = cache / f".{target.name}.{_dead_pid()}.tmp"
    stale.write_bytes(b"half an index")
    open_json_index(db, cache, None).close()
    assert target.exists() and not stale.exists()


def test_a_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    db = _written(tmp_path)
    cache = tmp_path / "cache"
    first = run("--db", str(db), "Russia annexed Crimea in 2014", "--json")
    target = cache_file(db, cache)
    data = bytearray(target.read_bytes())
    data[4096:20480] = bytes(16384)  # zeroed middle pages, fingerprint unchanged
    target.write_bytes(bytes(data))
    again = run("--db", str(db), "Russia annexed Crimea in 2014", "--json")
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
    assert again.stderr == first.stderr


def test_an_unwritable_cache_falls_back_to_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _written(tmp_path)
    expected = run("--db", str(db), "stats", "--json").stdout
    import factcheck.store.cache as cache_module

    real = cache_module.build_index

    def full_disk(db: Any, path: Path | None = None, *a: Any, **k: Any) -> Any:
        if path is not None:
            raise sqlite3.OperationalError("database or disk is full")
        return real(db, path, *a, **k)

    monkeypatch.setattr(cache_module, "build_index", full_disk)
    r = run("--db", str(db), "stats", "--json", env={"FACTCHECK_CACHE": str(tmp_path / "c2")})
    assert (r.returncode, r.stdout, r.stderr) == (0, expected, "")
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x", encoding="utf-8")
    r = run("--db", str(db), "stats", "--json", env={"FACTCHECK_CACHE": str(not_a_dir)})
    assert (r.returncode, r.stdout) == (0, expected)


def test_a_same_size_edit_with_the_mtime_restored_misses_the_cache(tmp_path: Path) -> None:
    db = _written(tmp_path)
    query = ("--db", str(db), "Russia annexed Crimea in 2014", "--json")
    first = run(*query).stdout
    st = db.stat()
    text = db.read_text(encoding="utf-8")
    edited = text.replace("Crimea", "Xrimea")
    assert len(edited) == len(text) != 0 and edited != text
    db.write_text(edited, encoding="utf-8")
    os.utime(db, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert db.stat().st_size == st.st_size and db.stat().st_mtime_ns == st.st_mtime_ns
    fresh = run(*query, env={"FACTCHECK_CACHE": str(tmp_path / "fresh")}).stdout
    assert run(*query).stdout == fresh != first


def test_the_fingerprint_covers_a_small_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b"a" * 300_000)
    before = fingerprint(path).rsplit(":", 1)[1]
    path.write_bytes(b"a" * 150_000 + b"b" + b"a" * 149_999)  # the middle, outside 64 KiB ends
    assert fingerprint(path).rsplit(":", 1)[1] != before


ARGV: list[tuple[list[str], str]] = [
    (["list", "--limit", "99999999999999999999"], ""),
    (["search", "--limit", "99999999999999999999", "x"], "--limit"),
    (["search", "-t", "nan", "Crimea"], "nan is not a number"),
    (["check", "-t", "nan", "-"], "nan is not a number"),
    (["search", "-t", "inf", "Crimea"], "--threshold"),
    (["import", "--api", "q", "--timeout", "inf"], "--timeout"),
    (["import", "--api", "q", "--timeout", "nan"], "nan is not a number"),
    (["search", "caf\udce9"], "not UTF-8"),
    (["add", "x \udcff y", "-s", "T"], "not UTF-8"),
    (["show", "\udcff"], "not UTF-8"),
]


@pytest.mark.parametrize(("argv", "message"), ARGV)
def test_argument_edge_cases_have_their_own_message(
    tmp_path: Path, argv: list[str], message: str
) -> None:
    db = _written(tmp_path)
    r = run("--db", str(db), *argv, input="Russia annexed Crimea in 2014.\n")
    assert "unexpected" not in r.stderr and "Traceback" not in r.stderr
    if message:
        assert r.returncode == 2 and message in r.stderr and r.stderr.count("\n") == 1, r.stderr
    else:
        assert r.returncode == 0


REAL_FEED = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "data"
    / "claimreview"
    / "upstream"
    / "fact_checks_20190605.txt.gz"
)


def _accepted(run_: Callable[..., subprocess.CompletedProcess[str]], *args: str) -> None:
    r = run_(*args)
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(not REAL_FEED.exists(), reason="needs ../shared/data/claimreview")
def test_a_fresh_import_of_the_real_feed_loads_and_streams(tmp_path: Path) -> None:
    db = tmp_path / "cr.json"
    _accepted(run, "import", str(REAL_FEED), "--db", str(db))
    _accepted(run, "--db", str(db), "stats")
    _accepted(run, "--db", str(db), "validate")  # what import accepts, validate accepts
    assert load_database(db).claims and not validate_file(db)
