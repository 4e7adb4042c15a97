"""Sentence vectors from an ONNX BERT-like model: tokenise, run, mean-pool, L2-normalise.

Only imported when vectors are needed: numpy here, onnxruntime and tokenizers inside
``load_encoder``. A missing package is a ``DependencyError``, a missing or broken model folder a
``ModelError``: one line each for the CLI, never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from factcheck.semantic.errors import ModelError, missing_package
from factcheck.semantic.model import (
    MAX_TOKENS,
    MODEL_FILE,
    TOKENIZER_FILE,
    ModelLocation,
    check_model_dir,
    model_id,
)

try:
    import numpy as np
    from numpy.typing import NDArray
except ImportError as exc:
    raise missing_package("numpy", exc) from exc

Progress = Callable[[int, int], None]

# Texts are tokenised this many at a time and sorted by length inside each window, so batches
# hold texts of about the same length (little padding) while memory stays flat on big inputs.
TOKENIZE_WINDOW = 4096
# Small batches embed fastest here: 4-16 texts gave 56-66 claims/s, 32 gave 47, 64 gave 46
# (1 thread, 400 claims, median of 4 interleaved runs): less padding, attention stays in cache.
DEFAULT_BATCH_SIZE = 8
OUTPUT_NAME = "last_hidden_state"


def default_threads() -> int:
    """Intra-op threads: every usable core, up to four.

    Measured on the 2-core machine while other jobs kept it busy (load average 2.5-3), 300
    claims per run, 6 interleaved runs: 1 thread 57 claims/s median, 2 threads 50; in a quiet
    moment 2 threads gave 108 against 62. A user's machine is mostly quiet, so all cores. The
    cap of four is a guess (nothing above 2 cores was measured): it keeps one command from
    taking a big machine for a small model.
    """
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(4, usable or 1))  # affinity: a container may allow fewer than it has


class Encoder:
    """A loaded model: ``encode(texts)`` gives L2-normalised float32 vectors, one row per text."""

    __slots__ = (
        "_input_names",
        "_max_tokens",
        "_pad_id",
        "_session",
        "_tokenizer",
        "dim",
        "model_id",
    )

    def __init__(
        self,
        session: Any,
        tokenizer: Any,
        *,
        model_id: str,
        max_tokens: int = MAX_TOKENS,
        pad_id: int = 0,
    ) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self._max_tokens = max_tokens
        self._pad_id = pad_id
        self._input_names = frozenset(i.name for i in session.get_inputs())
        self.model_id = model_id
        self.dim = 0  # known after the first run (the output's last axis may be symbolic)
        self.dim = int(self._run_batch(self._tokenizer.encode_batch(["probe"])).shape[1])

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: Progress | None = None,
    ) -> NDArray[np.float32]:
        """Vectors for ``texts`` in their order, shape ``[len(texts), dim]``, each of norm 1.

        Texts longer than the model's 256 word pieces are truncated, as in training. Batches
        are formed from texts of similar length; ``progress(done, total)`` after each batch.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        total = len(texts)
        out = np.empty((total, self.dim), dtype=np.float32)
        done = 0
        for start in range(0, total, TOKENIZE_WINDOW):
            window = [str(t) for t in texts[start : start + TOKENIZE_WINDOW]]
            encodings = self._tokenizer.encode_batch(window)
            lengths = np.fromiter(
                (len(e.ids) for e in encodings), dtype=np.int64, count=len(window)
            )
            order = np.argsort(lengths, kind="stable")
            for b in range(0, len(order), batch_size):
                rows = order[b : b + batch_size]
                out[start + rows] = self._run_batch([encodings[i] for i in rows])
                done += len(rows)
                if progress:
                    progress(done, total)
        return out

    def encode_one(self, text: str) -> NDArray[np.float32]:
        """The vector of one text, shape ``[dim]``."""
        vector: NDArray[np.float32] = self.encode([text])[0]
        return vector

    def _run_batch(self, encodings: Sequence[Any]) -> NDArray[np.float32]:
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)  # one segment: all type 0
        (hidden,) = self._session.run([OUTPUT_NAME], feeds)
        return mean_pool(np.asarray(hidden, dtype=np.float32), mask)


def mean_pool(hidden: NDArray[np.float32], mask: NDArray[np.int64]) -> NDArray[np.float32]:
    """Attention-mask-weighted mean over tokens, then L2-normalised (how the model was trained).

    ``hidden`` is ``[batch, seq, dim]``, ``mask`` ``[batch, seq]``; padding counts for nothing.
    """
    weights = mask.astype(np.float32)
    summed = np.einsum("bsd,bs->bd", hidden, weights)
    counts = np.maximum(weights.sum(axis=1, keepdims=True), 1e-9)
    means = summed / counts
    norms = np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
    unit: NDArray[np.float32] = (means / norms).astype(np.float32, copy=False)
    return unit


def load_encoder(
    model_dir: str | os.PathLike[str],
    *,
    threads: int | None = None,
    max_tokens: int = MAX_TOKENS,
) -> Encoder:
    """Load ``model.onnx`` and ``tokenizer.json`` from ``model_dir`` (see ``locate_model``).

    ``threads`` is ONNX Runtime's intra-op thread count (default ``default_threads()``).
    Raises ``DependencyError`` if onnxruntime or tokenizers is missing, ``ModelError`` if the
    folder, a file, or the model's interface is wrong.
    """
    path = check_model_dir(ModelLocation(Path(model_dir), "argument"))
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise missing_package("onnxruntime", exc) from exc
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise missing_package("tokenizers", exc) from exc

    try:
        tokenizer = Tokenizer.from_file(str(path / TOKENIZER_FILE))
    except Exception as exc:  # the Rust side raises plain Exception on any bad file
        raise ModelError(
            f"{TOKENIZER_FILE} cannot be read: {_first_line(exc)}",
            str(path / TOKENIZER_FILE),
            "reinstall the model",
        ) from exc
    # The upstream tokenizer.json truncates at 128 and pads every text to 128: override both,
    # so texts keep the 256 pieces the model was trained on and batches pad only to their longest.
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.no_padding()
    pad_id = tokenizer.token_to_id("[PAD]")

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads if threads is not None else default_threads()
    options.inter_op_num_threads = 1
    # Idle worker threads sleep instead of spinning: spinning threads fight other processes
    # for the cores, which on the busy 2-core machine made 2 threads 32 claims/s instead of 50
    # (median of 6 runs), while on a quiet machine it gained under 2 %.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: library code never writes warnings to stderr
    try:
        session = ort.InferenceSession(
            str(path / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # InvalidProtobuf, Fail, NoSuchFile... from the C++ side
        raise ModelError(
            f"{MODEL_FILE} cannot be loaded: {_first_line(exc)}",
            str(path / MODEL_FILE),
            "reinstall the model",
        ) from exc
    _check_interface(session, path)
    try:
        return Encoder(
            session,
            tokenizer,
            model_id=model_id(path),
            max_tokens=max_tokens,
            pad_id=0 if pad_id is None else pad_id,
        )
    except Exception as exc:  # e.g. token ids beyond the model's vocabulary
        raise ModelError(
            f"the model and its tokenizer do not work together: {_first_line(exc)}",
            str(path),
            "reinstall the model",
        ) from exc


def _check_interface(session: Any, path: Path) -> None:
    inputs = {i.name for i in session.get_inputs()}
    outputs = {o.name: o.shape for o in session.get_outputs()}
    missing = sorted({"input_ids", "attention_mask"} - inputs)
    unknown = sorted(inputs - {"input_ids", "attention_mask", "token_type_ids"})
    problem = None
    if missing or unknown:
        problem = f"inputs {sorted(inputs)}, expected input_ids, attention_mask, token_type_ids"
    elif OUTPUT_NAME not in outputs:
        problem = f"outputs {sorted(outputs)}, expected {OUTPUT_NAME}"
    elif len(outputs[OUTPUT_NAME]) != 3:
        problem = f"{OUTPUT_NAME} has shape {outputs[OUTPUT_NAME]}, expected [batch, seq, dim]"
    if problem:
        raise ModelError(
            f"{MODEL_FILE} is not a sentence-embedding encoder: {problem}",
            str(path / MODEL_FILE),
            "use the model factcheck installs (all-MiniLM-L6-v2)",
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
