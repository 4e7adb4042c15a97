"""`factcheck model install` and `factcheck model status`, in process, against an HTTP server
on 127.0.0.1 serving a small stand-in for the pinned model (``MANIFEST`` replaced by two small
files with their real sha256): the real model hub is out of reach here, and too big for tests."""

from __future__ import annotations

import hashlib
import json
import random
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from factcheck import cli as cli_module
from factcheck.semantic import model
from factcheck.semantic.model import ModelFile
from tests.test_fetch import Route, Server, _no_proxies, send  # noqa: F401 (_no_proxies: autouse)
from tests.test_remote import Result, cli

ONNX = random.Random(13).randbytes(300_000)  # big enough to be cut off midway
TOKENIZER = json.dumps({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}}).encode()
FILES = {"onnx/model.onnx": ONNX, "tokenizer.json": TOKENIZER}
FAKE = (
    ModelFile("model.onnx", "onnx/model.onnx", len(ONNX), hashlib.sha256(ONNX).hexdigest()),
    ModelFile(
        "tokenizer.json", "tokenizer.json", len(TOKENIZER), hashlib.sha256(TOKENIZER).hexdigest()
    ),
)
TOTAL = len(ONNX) + len(TOKENIZER)
INSTALL_KEYS = {
    "path", "source", "model", "revision", "model_id", "files", "bytes", "downloaded",
    "already_installed",
}  # fmt: skip
STATUS_KEYS = {
    "path", "source", "searched", "installed", "pinned", "model", "revision", "model_id",
    "packages", "usable", "problem",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _small_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "MANIFEST", FAKE)
    # Packages that are always there, so "usable" does not depend on the test machine's extra
    # (test_missing_package_is_reported covers the other case with a real lookup).
    monkeypatch.setattr(model, "PACKAGES", ("json", "hashlib"))


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    for path, data in FILES.items():
        s.route(f"/repo/{path}", serve(data))
    yield s
    s.close()


def serve(data: bytes) -> Route:
    """A file, honouring ``Range: bytes=N-`` as the model hub's CDN does."""

    def route(h: BaseHTTPRequestHandler) -> None:
        wanted = h.headers.get("Range")
        if wanted is None:
            send(h, 200, data, {"ETag": '"v1"'})
            return
        start = int(wanted.removeprefix("bytes=").removesuffix("-"))
        rng = f"bytes {start}-{len(data) - 1}/{len(data)}"
        send(h, 206, data[start:], {"ETag": '"v1"', "Content-Range": rng})

    return route


def install(tmp_path: Path, base: str, *args: str, **environ: str) -> Result:
    return cli(tmp_path, "model", "install", "--base-url", base, "--timeout", "5", *args, **environ)


def status(tmp_path: Path, *args: str, **environ: str) -> tuple[Result, dict[str, object]]:
    r = cli(tmp_path, "model", "status", "--json", *args, **environ)
    return r, json.loads(r.stdout)


def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "models" / "all-MiniLM-L6-v2"


def test_fresh_install_then_a_second_downloads_nothing(server: Server, tmp_path: Path) -> None:
    r, before = status(tmp_path)
    assert r.returncode == 1
    assert (before["installed"], before["usable"], before["model_id"]) == (False, False, None)
    assert "factcheck model install" in r.stderr

    r = install(tmp_path, server.url("/repo"), "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    dest = cache_dir(tmp_path)
    assert set(doc) == INSTALL_KEYS
    assert (doc["path"], doc["source"]) == (str(dest), "cache")
    assert (doc["bytes"], doc["downloaded"], doc["already_installed"]) == (TOTAL, TOTAL, False)
    assert doc["files"] == [
        {"name": f.name, "path": f.path, "size": f.size, "sha256": f.sha256} for f in FAKE
    ]
    assert doc["model_id"] == model.model_id(dest)
    assert (dest / "model.onnx").read_bytes() == ONNX
    assert (dest / "tokenizer.json").read_bytes() == TOKENIZER
    assert server.paths() == ["/repo/onnx/model.onnx", "/repo/tokenizer.json"]
    size = f"{TOTAL / 1e6:.1f} MB"
    assert (
        r.stderr
        == f"factcheck: installed {model.MODEL_NAME} ({size}, {size} downloaded) in {dest}\n"
    )

    again = install(tmp_path, server.url("/repo"), "--json")
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert (second["downloaded"], second["already_installed"]) == (0, True)
    assert second["model_id"] == doc["model_id"]
    assert len(server.seen) == 2  # not one request more
    assert "already installed" in again.stderr

    r, after = status(tmp_path)
    assert r.returncode == 0, r.stderr
    assert set(after) == STATUS_KEYS
    assert after["path"] == str(dest)
    assert (after["installed"], after["pinned"], after["usable"]) == (True, True, True)
    assert (after["model"], after["revision"]) == (model.MODEL_NAME, model.REVISION)
    assert after["model_id"] == doc["model_id"]
    assert (after["problem"], r.stderr) == (None, "")


def test_text_output(server: Server, tmp_path: Path) -> None:
    r = install(tmp_path, server.url("/repo"))
    dest = cache_dir(tmp_path)
    assert (r.returncode, r.stdout) == (0, f"{dest}\n")  # the path, for scripts
    r = cli(tmp_path, "model", "status")
    assert r.returncode == 0
    assert r.stdout.splitlines() == [
        f"folder      {dest} (the user cache)",
        f"model       installed: {model.MODEL_NAME} at revision {model.REVISION[:12]}",
        f"model id    {model.model_id(dest)}",
        "packages    json ok, hashlib ok",
        "semantic    usable",
    ]


def test_interrupted_download_goes_on_where_it_stopped(server: Server, tmp_path: Path) -> None:
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is handled by something else here")
    half = len(ONNX) // 2
    dest = cache_dir(tmp_path)
    part = dest.parent / ".all-MiniLM-L6-v2.partial" / "model.onnx.part"

    def cut(h: BaseHTTPRequestHandler) -> None:
        # Half the body; once the CLI has written some of it, Ctrl-C (it waits for the rest).
        h.send_response(200)
        h.send_header("Content-Length", str(len(ONNX)))
        h.send_header("ETag", '"v1"')
        h.end_headers()
        h.wfile.write(ONNX[:half])
        h.wfile.flush()
        for _ in range(1000):
            if part.is_file() and part.stat().st_size:
                break
            server.stop.wait(0.01)
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        server.stall(h)

    server.route("/repo/onnx/model.onnx", cut)
    r = install(tmp_path, server.url("/repo"))
    assert (r.returncode, r.stderr) == (130, "factcheck: interrupted\n")
    assert not dest.exists()  # nothing half-installed where the model is looked for
    kept = part.stat().st_size
    assert 0 < kept <= half
    assert status(tmp_path)[0].returncode == 1

    server.route("/repo/onnx/model.onnx", serve(ONNX))
    r = install(tmp_path, server.url("/repo"), "--json")
    assert r.returncode == 0, r.stderr
    assert server.seen[-2].path == "/repo/onnx/model.onnx"
    assert server.seen[-2].headers.get("Range") == f"bytes={kept}-"
    assert json.loads(r.stdout)["downloaded"] == TOTAL - kept
    assert (dest / "model.onnx").read_bytes() == ONNX
    assert status(tmp_path)[0].returncode == 0


def test_checksum_mismatch_installs_nothing(server: Server, tmp_path: Path) -> None:
    server.route("/repo/tokenizer.json", serve(TOKENIZER.replace(b"WordPiece", b"WordPeace")))
    r = install(tmp_path, server.url("/repo"))
    assert r.returncode == 2
    assert r.stdout == ""
    (line,) = r.stderr.splitlines()
    assert line.startswith("factcheck: error: cannot download the model: SHA-256 mismatch for ")
    assert "tokenizer.json" in line and FAKE[1].sha256 in line
    assert server.url("/repo/tokenizer.json") in line
    dest = cache_dir(tmp_path)
    assert not dest.exists()
    assert status(tmp_path)[0].returncode == 1
    # Fixed upstream: only the bad file is fetched again.
    server.route("/repo/tokenizer.json", serve(TOKENIZER))
    before = len(server.seen)
    assert install(tmp_path, server.url("/repo")).returncode == 0
    assert server.paths()[before:] == ["/repo/tokenizer.json"]
    assert (dest / "tokenizer.json").read_bytes() == TOKENIZER


def test_server_down_is_one_line_naming_the_url(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}/repo"
    r = install(tmp_path, base)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == (
        f"factcheck: error: cannot download the model: connection refused by 127.0.0.1:{port} "
        f"({base}/onnx/model.onnx): check the network connection; on a machine without one, "
        "copy an installed model folder and point --model-dir or FACTCHECK_MODEL_DIR at it\n"
    )
    assert not cache_dir(tmp_path).exists()


def test_a_missing_file_on_the_mirror(server: Server, tmp_path: Path) -> None:
    server.route("/repo/tokenizer.json", lambda h: send(h, 404, b"not found"))
    r = install(tmp_path, server.url("/repo"))
    assert r.returncode == 2
    (line,) = r.stderr.splitlines()
    assert "404" in line and server.url("/repo/tokenizer.json") in line
    assert "network connection" not in line  # the server answered: not an offline hint


def test_install_into_a_named_folder(server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "air-gapped" / "minilm"
    r = install(tmp_path, server.url("/repo"), "--model-dir", str(dest), "--json")
    assert r.returncode == 0, r.stderr
    assert (json.loads(r.stdout)["path"], json.loads(r.stdout)["source"]) == (
        str(dest),
        "argument",
    )
    assert f"set FACTCHECK_MODEL_DIR={dest}" in r.stderr  # the default lookup would miss it
    assert not cache_dir(tmp_path).exists()
    r, doc = status(tmp_path, "--model-dir", str(dest))
    assert (r.returncode, doc["source"], doc["usable"]) == (0, "argument", True)
    r, doc = status(tmp_path, FACTCHECK_MODEL_DIR=str(dest))  # a copied folder, by variable
    assert (r.returncode, doc["source"], doc["path"]) == (0, "FACTCHECK_MODEL_DIR", str(dest))
    assert doc["searched"] == [
        {"source": "argument", "path": None},
        {"source": "FACTCHECK_MODEL_DIR", "path": str(dest)},
        {"source": "cache", "path": str(cache_dir(tmp_path))},
    ]


def test_install_goes_where_the_variable_points(server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "shared-models" / "minilm"
    r = install(tmp_path, server.url("/repo"), FACTCHECK_MODEL_DIR=str(dest))
    assert (r.returncode, r.stdout) == (0, f"{dest}\n")
    assert "looked for by default" not in r.stderr
    assert (dest / "model.onnx").read_bytes() == ONNX


def test_status_of_an_incomplete_folder(tmp_path: Path) -> None:
    folder = tmp_path / "copied"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(ONNX)
    r, doc = status(tmp_path, "--model-dir", str(folder))
    assert r.returncode == 1
    assert (doc["installed"], doc["usable"], doc["model_id"]) == (False, False, None)
    assert doc["problem"].startswith(
        f"the model folder has no tokenizer.json ({folder / 'tokenizer.json'}): "
    )
    (folder / "tokenizer.json").write_bytes(b"{}")  # complete, but not the pinned files
    r, doc = status(tmp_path, "--model-dir", str(folder))
    assert r.returncode == 0
    assert (doc["installed"], doc["pinned"], doc["model"]) == (True, False, None)
    assert doc["model_id"] == model.model_id(folder)
    r = cli(tmp_path, "model", "status", "--model-dir", str(folder))
    assert "model       installed: a folder with model.onnx and tokenizer.json (not the pinned" in (
        r.stdout
    )


def test_missing_package_is_reported(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert install(tmp_path, server.url("/repo")).returncode == 0
    monkeypatch.setattr(model, "PACKAGES", ("json", "factcheck_no_such_package"))
    r, doc = status(tmp_path)
    assert r.returncode == 1
    assert doc["packages"] == {"json": True, "factcheck_no_such_package": False}
    assert (doc["installed"], doc["usable"]) == (True, False)
    assert doc["problem"] == (
        "the semantic extra needs factcheck_no_such_package: install the semantic extra: "
        "pip install 'factcheck[semantic]'"
    )
    assert r.stderr == f"factcheck: semantic matching is not available: {doc['problem']}\n"


def test_the_extras_packages_are_looked_up_not_imported(tmp_path: Path) -> None:
    code = (
        "import io, json, sys\n"
        "from factcheck.cli import Env, main\n"
        "env = Env(io.BytesIO(), io.StringIO(), io.StringIO(), {'FACTCHECK_CACHE': sys.argv[1]})\n"
        "main(['model', 'status', '--json'], env)\n"
        "print(sorted(json.loads(env.stdout.getvalue())['packages']))\n"
        "print(sorted(m for m in ('numpy', 'onnxruntime', 'tokenizers') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert out.stdout.splitlines() == ["['numpy', 'onnxruntime', 'tokenizers']", "[]"]


def test_help_has_examples_and_the_quick_app_has_no_groups(tmp_path: Path) -> None:
    for args in (("model", "install", "--help"), ("model", "status", "--help"), ("model",)):
        r = cli(tmp_path, *args)
        assert r.returncode == 0, r.stderr
        assert "Examples" in r.stdout and "factcheck model" in r.stdout
    assert "--base-url" in cli(tmp_path, "model", "install", "--help").stdout
    assert cli_module.quick.registered_groups == []  # plain searches never build the group
    assert cli_module._app_for(["model", "status"], {}) is cli_module.app
