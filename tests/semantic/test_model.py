"""Model location, identity and installation (standard library only: these always run)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from factcheck.semantic import model as m
from factcheck.semantic.errors import ModelError
from factcheck.semantic.model import (
    BASE_URL,
    MANIFEST,
    REVISION,
    ModelFile,
    cache_root,
    default_model_dir,
    file_url,
    find_model_dir,
    install_model,
    is_installed,
    locate_model,
    model_id,
)

from .tiny import SHARED_MODEL

# --- where the model is looked for -----------------------------------------------------------


def test_cache_root_order(tmp_path: Path) -> None:
    home = {"HOME": str(tmp_path / "home")}
    assert cache_root(home) == tmp_path / "home" / ".cache" / "factcheck"
    xdg = {**home, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert cache_root(xdg) == tmp_path / "xdg" / "factcheck"
    own = {**xdg, "FACTCHECK_CACHE": str(tmp_path / "own")}
    assert cache_root(own) == tmp_path / "own"
    assert default_model_dir(own) == tmp_path / "own" / "models" / "all-MiniLM-L6-v2"


def test_model_dir_order(tmp_path: Path) -> None:
    env = {"FACTCHECK_CACHE": str(tmp_path / "c"), "FACTCHECK_MODEL_DIR": str(tmp_path / "e")}
    assert find_model_dir(tmp_path / "a", env) == m.ModelLocation(tmp_path / "a", "argument")
    assert find_model_dir(None, env) == m.ModelLocation(tmp_path / "e", "FACTCHECK_MODEL_DIR")
    assert find_model_dir("", env).source == "FACTCHECK_MODEL_DIR"  # an empty option is unset
    del env["FACTCHECK_MODEL_DIR"]
    assert find_model_dir(None, env) == m.ModelLocation(
        tmp_path / "c" / "models" / "all-MiniLM-L6-v2", "cache"
    )


def test_model_dir_is_not_read_from_os_environ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACTCHECK_MODEL_DIR", str(tmp_path / "from-os"))
    assert find_model_dir(None, {"FACTCHECK_CACHE": str(tmp_path)}).source == "cache"


def test_not_installed_is_one_line_saying_where(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as info:
        locate_model(env={"FACTCHECK_CACHE": str(tmp_path)})
    where = tmp_path / "models" / "all-MiniLM-L6-v2"
    assert str(info.value) == (
        f"the sentence-embedding model is not installed ({where}): install the model into "
        "the cache, or set FACTCHECK_MODEL_DIR to a folder holding model.onnx and tokenizer.json"
    )


def test_env_folder_missing_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as info:
        locate_model(env={"FACTCHECK_MODEL_DIR": str(tmp_path / "x")})
    assert str(info.value).startswith(
        f"the model folder (from FACTCHECK_MODEL_DIR) does not exist ({tmp_path / 'x'}): "
    )


def test_folder_without_a_file(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"x")
    with pytest.raises(ModelError) as info:
        locate_model(tmp_path, env={})
    assert str(info.value).startswith(
        f"the model folder has no tokenizer.json ({tmp_path / 'tokenizer.json'}): "
    )
    (tmp_path / "tokenizer.json").write_bytes(b"{}")
    assert locate_model(tmp_path, env={}) == tmp_path


# --- identity ---------------------------------------------------------------------------------


def test_model_id_follows_the_bytes(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"weights")
    (tmp_path / "tokenizer.json").write_bytes(b"{}")
    first = model_id(tmp_path)
    onnx = hashlib.sha256(b"weights").hexdigest()[:16]
    tok = hashlib.sha256(b"{}").hexdigest()[:16]
    assert first == f"all-MiniLM-L6-v2;onnx={onnx};tokenizer={tok};mean-l2;max=256"
    (tmp_path / "model.onnx").write_bytes(b"other weights")
    assert model_id(tmp_path) != first


def test_manifest_is_pinned() -> None:
    assert [f.name for f in MANIFEST] == ["model.onnx", "tokenizer.json"]
    assert re.fullmatch(r"[0-9a-f]{40}", REVISION)
    for f in MANIFEST:
        assert re.fullmatch(r"[0-9a-f]{64}", f.sha256)
        assert file_url(f).startswith(f"https://huggingface.co/sentence-transformers/"
                                      f"all-MiniLM-L6-v2/resolve/{REVISION}/")  # fmt: skip
    assert file_url(MANIFEST[0]) == f"{BASE_URL}/onnx/model_quint8_avx2.onnx"
    assert file_url(MANIFEST[0], "https://mirror.example/m/") == (
        "https://mirror.example/m/onnx/model_quint8_avx2.onnx"
    )


@pytest.mark.skipif(not SHARED_MODEL.is_dir(), reason=f"no shared model at {SHARED_MODEL}")
def test_pinned_tokenizer_hash_matches_the_shared_upstream_copy() -> None:
    tokenizer = next(f for f in MANIFEST if f.name == "tokenizer.json")
    data = (SHARED_MODEL / "tokenizer.json").read_bytes()
    assert hashlib.sha256(data).hexdigest() == tokenizer.sha256
    assert len(data) == tokenizer.size


def test_importing_the_package_loads_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "import factcheck.semantic, factcheck.semantic.model, factcheck.semantic.fusion\n"
        "import factcheck.semantic.errors, factcheck.cli\n"
        "print(sorted(m for m in ('numpy', 'onnxruntime', 'tokenizers') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- install_model with a fake download -----------------------------------------------------

BLOBS = {"onnx/model.bin": b"fake onnx weights " * 100, "tok.json": b'{"fake": "tokenizer"}'}
FAKE = tuple(
    ModelFile(name, path, len(data), hashlib.sha256(data).hexdigest())
    for name, (path, data) in zip(("model.onnx", "tokenizer.json"), BLOBS.items(), strict=True)
)
BASE = "https://mirror.example/repo"


class FakeDownload:
    """Serves ``BLOBS`` by URL; can fail, or serve wrong bytes, for chosen paths."""

    def __init__(self, *, fail: set[str] | None = None, corrupt: set[str] | None = None) -> None:
        self.calls: list[tuple[str, Path, str | None]] = []
        self.fail = fail or set()
        self.corrupt = corrupt or set()

    def __call__(self, url, dest, *, sha256=None, progress=None):  # type: ignore[no-untyped-def]
        self.calls.append((url, dest, sha256))
        path = url.removeprefix(BASE + "/")
        if path in self.fail:
            raise OSError(f"connection reset fetching {url}")
        data = BLOBS[path]
        if path in self.corrupt:
            data = data[:-1] + b"!"
        half = len(data) // 2
        dest.write_bytes(data[:half])
        if progress:
            progress(half, len(data))
        dest.write_bytes(data)
        if progress:
            progress(len(data), len(data))


def install(dest: Path, download: FakeDownload, **kw: object) -> Path:
    return install_model(dest, download=download, base_url=BASE, manifest=FAKE, **kw)  # type: ignore[arg-type]


def test_install_puts_verified_files_in_place(tmp_path: Path) -> None:
    dest = tmp_path / "models" / "mini"
    fake = FakeDownload()
    seen: list[tuple[int, int]] = []
    assert install(dest, fake, progress=lambda d, t: seen.append((d, t))) == dest
    assert (dest / "model.onnx").read_bytes() == BLOBS["onnx/model.bin"]
    assert (dest / "tokenizer.json").read_bytes() == BLOBS["tok.json"]
    assert [c[0] for c in fake.calls] == [f"{BASE}/onnx/model.bin", f"{BASE}/tok.json"]
    assert [c[2] for c in fake.calls] == [f.sha256 for f in FAKE]  # the check is passed on
    marker = json.loads((dest / "factcheck-model.json").read_text(encoding="utf-8"))
    assert marker["revision"] == REVISION
    assert marker["files"]["model.onnx"]["sha256"] == FAKE[0].sha256
    assert sorted(p.name for p in dest.parent.iterdir()) == [".mini.lock", "mini"]  # no staging
    total = sum(f.size for f in FAKE)
    assert seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert all(t == total for _, t in seen)


def test_install_twice_downloads_nothing(tmp_path: Path) -> None:
    install(tmp_path / "mini", FakeDownload())
    again = FakeDownload()
    install(tmp_path / "mini", again)
    assert again.calls == []


def test_bad_checksum_leaves_no_model_and_no_bad_bytes(tmp_path: Path) -> None:
    dest = tmp_path / "mini"
    fake = FakeDownload(corrupt={"tok.json"})
    with pytest.raises(ModelError) as info:
        install(dest, fake)
    served = hashlib.sha256(BLOBS["tok.json"][:-1] + b"!").hexdigest()
    assert str(info.value) == (
        f"the downloaded tokenizer.json has sha256 {served[:16]}…, not the pinned "
        f"{FAKE[1].sha256[:16]}… ({BASE}/tok.json): try again; if it persists, the mirror "
        "serves a different file"
    )
    assert not dest.exists()
    staging = tmp_path / ".mini.partial"
    assert sorted(p.name for p in staging.iterdir()) == ["model.onnx"]  # verified part kept


def test_interrupted_install_resumes_with_what_it_has(tmp_path: Path) -> None:
    dest = tmp_path / "mini"
    with pytest.raises(OSError, match="connection reset"):
        install(dest, FakeDownload(fail={"tok.json"}))
    assert not dest.exists()  # a half-installed folder is never where the model is looked for
    with pytest.raises(ModelError):
        locate_model(dest, env={})
    second = FakeDownload()
    install(dest, second)
    assert [c[0] for c in second.calls] == [f"{BASE}/tok.json"]  # the model file was kept
    assert (dest / "factcheck-model.json").is_file()
    assert (dest / "tokenizer.json").read_bytes() == BLOBS["tok.json"]


def test_download_that_writes_nothing(tmp_path: Path) -> None:
    def lazy(url, dest, *, sha256=None, progress=None):  # type: ignore[no-untyped-def]
        return None

    with pytest.raises(ModelError, match=r"the downloaded model\.onnx was not written"):
        install_model(tmp_path / "mini", download=lazy, base_url=BASE, manifest=FAKE)


def test_a_changed_installed_folder_is_replaced(tmp_path: Path) -> None:
    dest = tmp_path / "mini"
    install(dest, FakeDownload())
    (dest / "model.onnx").write_bytes(b"damaged")
    again = FakeDownload()
    install(dest, again)
    assert [c[0] for c in again.calls] == [f"{BASE}/onnx/model.bin"]  # only the changed file
    assert (dest / "model.onnx").read_bytes() == BLOBS["onnx/model.bin"]
    assert not (tmp_path / ".mini.old").exists()


def test_a_foreign_folder_is_never_deleted(tmp_path: Path) -> None:
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "notes.txt").write_text("my own files", encoding="utf-8")
    with pytest.raises(ModelError, match="refusing to replace a folder factcheck did not install"):
        install(dest, FakeDownload())
    assert (dest / "notes.txt").read_text(encoding="utf-8") == "my own files"


def test_a_folder_with_model_files_but_no_marker_is_not_ours(tmp_path: Path) -> None:
    dest = tmp_path / "hand-made"
    dest.mkdir()
    (dest / "model.onnx").write_bytes(b"someone's own model")
    with pytest.raises(ModelError, match="refusing to replace"):
        install(dest, FakeDownload())
    assert (dest / "model.onnx").read_bytes() == b"someone's own model"


def test_an_empty_folder_is_filled(tmp_path: Path) -> None:
    dest = tmp_path / "empty"
    dest.mkdir()
    install(dest, FakeDownload())
    assert (dest / "model.onnx").is_file()


def test_is_installed_checks_the_pinned_hashes(tmp_path: Path) -> None:
    install(tmp_path / "mini", FakeDownload())
    assert is_installed(tmp_path / "mini") is False  # the fake files are not the pinned ones
    assert is_installed(tmp_path / "nowhere") is False


def test_installed_folder_is_found(tmp_path: Path) -> None:
    env = {"FACTCHECK_CACHE": str(tmp_path)}
    install(default_model_dir(env), FakeDownload())
    assert locate_model(env=env) == default_model_dir(env)
