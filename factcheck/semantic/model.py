"""The sentence-embedding model: its identity, where it is looked for, and how it is installed.

Standard library only, so locating or installing the model never imports numpy or onnxruntime.
A model folder holds ``model.onnx`` and ``tokenizer.json``. It is found, in this order, at an
explicit ``model_dir``, at ``$FACTCHECK_MODEL_DIR``, or in the user cache
(``$FACTCHECK_CACHE``, else ``$XDG_CACHE_HOME/factcheck``, else ``~/.cache/factcheck``, then
``models/all-MiniLM-L6-v2``). The environment is passed in as a mapping, never read here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from factcheck.semantic.errors import ModelError

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# A commit of the upstream repository that has the onnx/ exports. Several unrelated public
# projects pin this same commit for onnx/model_quint8_avx2.onnx with the sha256 below, and
# one records tokenizer.json's git blob id there as cb202bfe2e3c98645018a6d12f182a434c9d3e02,
# which the shared copy's tokenizer.json hashes to (git hash-object).
REVISION = "1110a243fdf4706b3f48f1d95db1a4f5529b4d41"
BASE_URL = f"https://huggingface.co/{MODEL_NAME}/resolve/{REVISION}"
DIM = 384
MAX_TOKENS = 256  # word pieces, [CLS] and [SEP] included: the length the model was trained on
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MARKER_FILE = "factcheck-model.json"  # written last by install_model: what was installed
ENV_VAR = "FACTCHECK_MODEL_DIR"
CACHE_NAME = "all-MiniLM-L6-v2"
# Bumped when the recipe that turns token states into a sentence vector changes, so vectors
# made by the old recipe stop matching model_id().
POOLING = "mean-l2"
# The import names of the semantic extra's packages (what `factcheck model status` looks for).
PACKAGES = ("numpy", "onnxruntime", "tokenizers")

INSTALL_HINT = (
    f"install the model into the cache, or set {ENV_VAR} to a folder holding "
    f"{MODEL_FILE} and {TOKENIZER_FILE}"
)


@dataclass(frozen=True, slots=True)
class ModelFile:
    """One file to install: its name in the model folder, upstream path, size and sha256."""

    name: str
    path: str
    size: int
    sha256: str


# Neither hash below could be checked against the Hugging Face hub from here (no network but
# package registries). tokenizer.json's is verified: the shared copy
# (the team's development copy of the model, byte-identical to upstream per its README) hashes
# to it, and public manifests pin the same value at this revision. model_quint8_avx2.onnx's
# sha256 and size are NOT verified here: they are the values that at least six independent
# public projects pin for this file (two of them at this revision), not bytes we hashed. The
# shared model.onnx is a different (third-party) int8 export, so it cannot confirm them. The
# AVX2/uint8 export is chosen because it runs on every x86-64 CPU with AVX2 and on ARM (ONNX
# Runtime picks kernels at run time); the AVX-512 and ARM64 exports only change speed.
MANIFEST: tuple[ModelFile, ...] = (
    ModelFile(
        MODEL_FILE,
        "onnx/model_quint8_avx2.onnx",
        23_046_789,
        "b941bf19f1f1283680f449fa6a7336bb5600bdcd5f84d10ddc5cd72218a0fd21",
    ),
    ModelFile(
        TOKENIZER_FILE,
        "tokenizer.json",
        466_247,
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    ),
)

Progress = Callable[[int, int], None]


class Download(Protocol):
    """``factcheck.fetch.download``: fetch ``url`` into ``dest``, checking ``sha256``."""

    def __call__(
        self, url: str, dest: Path, *, sha256: str | None = ..., progress: Progress | None = ...
    ) -> object: ...


@dataclass(frozen=True, slots=True)
class ModelLocation:
    """Where the model is looked for, and why there (for error messages)."""

    path: Path
    source: str  # "argument", the environment variable's name, or "cache"


def cache_root(env: Mapping[str, str]) -> Path:
    """factcheck's cache folder: ``FACTCHECK_CACHE``, else the XDG cache, else ``~/.cache``."""
    if env.get("FACTCHECK_CACHE"):
        return Path(env["FACTCHECK_CACHE"])
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "factcheck"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".cache" / "factcheck"


def default_model_dir(env: Mapping[str, str]) -> Path:
    """The folder ``install_model`` fills by default, in the user cache."""
    return cache_root(env) / "models" / CACHE_NAME


def find_model_dir(
    model_dir: str | os.PathLike[str] | None, env: Mapping[str, str]
) -> ModelLocation:
    """Where the model should be: ``model_dir``, else ``$FACTCHECK_MODEL_DIR``, else the cache.

    Says nothing about whether it is there; see ``locate_model``.
    """
    if model_dir is not None and str(model_dir):
        return ModelLocation(Path(model_dir).expanduser(), "argument")
    if env.get(ENV_VAR):
        return ModelLocation(Path(env[ENV_VAR]).expanduser(), ENV_VAR)
    return ModelLocation(default_model_dir(env), "cache")


def check_model_dir(location: ModelLocation) -> Path:
    """The model folder if both files are there; else a ``ModelError`` saying where it looked."""
    path = location.path
    if location.source == "cache" and not path.exists():
        raise ModelError("the sentence-embedding model is not installed", str(path), INSTALL_HINT)
    origin = "" if location.source in ("argument", "cache") else f" (from {location.source})"
    if not path.is_dir():
        raise ModelError(f"the model folder{origin} does not exist", str(path), INSTALL_HINT)
    for name in (MODEL_FILE, TOKENIZER_FILE):
        if not (path / name).is_file():
            raise ModelError(
                f"the model folder{origin} has no {name}", str(path / name), INSTALL_HINT
            )
    return path


def locate_model(
    model_dir: str | os.PathLike[str] | None = None, *, env: Mapping[str, str]
) -> Path:
    """The model folder to load, checked for its two files; a ``ModelError`` if it is not there."""
    return check_model_dir(find_model_dir(model_dir, env))


def sha256_file(path: Path) -> str:
    """The file's sha256 as hex (23 MB in about 16 ms here)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_id(model_dir: Path) -> str:
    """A string naming exactly what makes the vectors: model bytes, tokenizer bytes, recipe.

    Store it with the vectors; when it differs from the loaded model's, the vectors are stale.
    Hashes the files (about 17 ms for the int8 model) rather than trusting names or dates, so a
    replaced file in the same folder is noticed too.
    """
    onnx = sha256_file(model_dir / MODEL_FILE)[:16]
    tokenizer = sha256_file(model_dir / TOKENIZER_FILE)[:16]
    return f"{CACHE_NAME};onnx={onnx};tokenizer={tokenizer};{POOLING};max={MAX_TOKENS}"


def is_installed(dest_dir: Path, manifest: tuple[ModelFile, ...] | None = None) -> bool:
    """Whether ``dest_dir`` holds every file of ``manifest`` (default: the pinned one) with
    its sha256."""
    return _complete(dest_dir, MANIFEST if manifest is None else manifest)


def file_url(file: ModelFile, base_url: str | None = None) -> str:
    """The download address of ``file``: ``base_url`` (default: the pinned revision) + its path."""
    return f"{(base_url or BASE_URL).rstrip('/')}/{file.path}"


def install_model(
    dest_dir: str | os.PathLike[str],
    *,
    download: Download,
    base_url: str | None = None,
    progress: Progress | None = None,
    manifest: tuple[ModelFile, ...] | None = None,
) -> Path:
    """Download the model into ``dest_dir`` and return it; nothing to do if it is already there.

    Files go into a staging folder beside it (``.<name>.partial``), each is checked against its
    pinned sha256, and only then is the staging folder renamed to ``dest_dir``: a folder at
    ``dest_dir`` is always complete. The staging folder keeps what was downloaded, so a second
    call after an interruption goes on from there (resuming inside a file is ``download``'s
    business), and files of a folder being replaced that still pass are reused, not fetched
    again. ``progress(done, total)`` counts bytes over all files. A folder at ``dest_dir`` is
    replaced only if it is empty or factcheck installed it (its ``factcheck-model.json``);
    any other is an error, never deleted.
    ``manifest`` is for tests; callers keep the pinned default (read at call time, so a
    test may replace ``MANIFEST`` itself).
    """
    from factcheck.store import locked  # flock-based; only installers pay for importing store

    manifest = MANIFEST if manifest is None else manifest
    dest = Path(dest_dir)
    if dest.is_dir() and _complete(dest, manifest):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with locked(dest.parent / f".{dest.name}"):  # two installers never share a staging folder
        if dest.is_dir() and _complete(dest, manifest):  # another process just finished
            return dest
        staging = dest.parent / f".{dest.name}.partial"
        staging.mkdir(exist_ok=True)
        _fetch_all(staging, dest, manifest, download, base_url, progress)
        _write_marker(staging, manifest)
        _fsync_dir(staging)
        _swap_into_place(staging, dest)
    return dest


def _complete(folder: Path, manifest: tuple[ModelFile, ...]) -> bool:
    return all(_verified(folder / f.name, f) for f in manifest)


def _fetch_all(
    staging: Path,
    dest: Path,
    manifest: tuple[ModelFile, ...],
    download: Download,
    base_url: str | None,
    progress: Progress | None,
) -> None:
    total = sum(f.size for f in manifest)
    done = 0
    for file in manifest:
        target = staging / file.name
        if not _verified(target, file):
            _reuse(dest / file.name, target, file)
        if not _verified(target, file):
            offset = done

            def step(got: int, _size: int, offset: int = offset) -> None:
                if progress:
                    progress(min(offset + got, total), total)

            url = file_url(file, base_url)
            download(url, target, sha256=file.sha256, progress=step)
            actual = sha256_file(target) if target.is_file() else None
            if actual != file.sha256:
                target.unlink(missing_ok=True)  # never keep bytes that failed the check
                what = "was not written" if actual is None else f"has sha256 {actual[:16]}…"
                raise ModelError(
                    f"the downloaded {file.name} {what}, not the pinned {file.sha256[:16]}…",
                    url,
                    "try again; if it persists, the mirror serves a different file",
                )
        done += file.size
        if progress:
            progress(done, total)


def _verified(path: Path, file: ModelFile) -> bool:
    return path.is_file() and sha256_file(path) == file.sha256


def _reuse(installed: Path, target: Path, file: ModelFile) -> None:
    """Take a still-good file from the folder being replaced instead of downloading it again."""
    if not _verified(installed, file):
        return
    target.unlink(missing_ok=True)
    try:
        os.link(installed, target)  # files are replaced, never rewritten: sharing is safe
    except OSError:
        shutil.copyfile(installed, target)


def _write_marker(staging: Path, manifest: tuple[ModelFile, ...]) -> None:
    record = {
        "model": MODEL_NAME,
        "revision": REVISION,
        "files": {f.name: {"path": f.path, "size": f.size, "sha256": f.sha256} for f in manifest},
    }
    tmp = staging / f".{MARKER_FILE}.tmp"
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, staging / MARKER_FILE)


def _swap_into_place(staging: Path, dest: Path) -> None:
    old = dest.parent / f".{dest.name}.old"
    if old.exists():  # left by a crash between the two renames below
        shutil.rmtree(old)
    if dest.exists():
        ours = dest.is_dir() and (dest / MARKER_FILE).is_file()
        if not ours and not (dest.is_dir() and not any(dest.iterdir())):
            raise ModelError(
                "refusing to replace a folder factcheck did not install",
                str(dest),
                "move it away, or install into another folder",
            )
        os.replace(dest, old)
    os.replace(staging, dest)
    _fsync_dir(dest.parent)
    if old.exists():
        shutil.rmtree(old)


def _fsync_dir(directory: Path) -> None:
    """Make renames in ``directory`` durable; a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):  # some file systems refuse it; renames stay atomic
            os.fsync(fd)
    finally:
        os.close(fd)


def status(model_dir: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> dict[str, Any]:
    """Where the model is looked for, whether it is there (and the pinned download), and
    whether the extra's packages are installed, looked up without importing them: what
    ``factcheck model status`` reports (its JSON document)."""
    from factcheck.errors import FactcheckError
    from factcheck.semantic.errors import EXTRA_HINT

    location = find_model_dir(model_dir, environ)
    searched = [
        {"source": "argument", "path": str(model_dir) if model_dir else None},
        {"source": ENV_VAR, "path": environ.get(ENV_VAR) or None},
        {"source": "cache", "path": str(default_model_dir(environ))},
    ]
    problem = None
    try:
        path = check_model_dir(location)
        identity = model_id(path)
        pinned = is_installed(path)
    except ModelError as e:
        identity, pinned, problem = None, False, str(e)
    except OSError as e:
        raise FactcheckError(f"cannot read the model: {e.strerror or e}", e.filename) from None
    packages = {name: _importable(name) for name in PACKAGES}
    missing = [name for name, found in packages.items() if not found]
    if problem is None and missing:
        problem = f"the semantic extra needs {', '.join(missing)}: {EXTRA_HINT}"
    return {
        "path": str(location.path),
        "source": location.source,
        "searched": searched,
        "installed": identity is not None,
        "pinned": pinned,
        "model": MODEL_NAME if pinned else None,
        "revision": REVISION if pinned else None,
        "model_id": identity,
        "packages": packages,
        "usable": problem is None,
        "problem": problem,
    }


def _importable(name: str) -> bool:
    """Whether ``import name`` would find the package, without importing it."""
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a broken or half-imported package
        return False
