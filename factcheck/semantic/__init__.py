"""Optional sentence-embedding matching (the ``factcheck[semantic]`` extra).

Importing this package costs nothing: numpy, onnxruntime and tokenizers load only when an
encoder is loaded or vectors are handled. The parts, by module:

- ``model``: the model's identity, where it is looked for, the pinned download manifest,
  ``install_model`` (standard library only);
- ``encoder``: ``load_encoder(dir).encode(texts)`` -> normalised float32 vectors (numpy,
  onnxruntime, tokenizers);
- ``vectors``: int8 storage, BLOB and file serialisation, exact top-k cosine search (numpy);
- ``fusion``: weighted min-max fusion and reciprocal rank fusion (pure Python);
- ``errors``: ``SemanticError`` and its ``DependencyError``/``ModelError``.

Names are re-exported lazily, as in ``factcheck/__init__.py``.
"""

from __future__ import annotations

import importlib
from typing import Any

_API = {
    "SemanticError": "factcheck.semantic.errors",
    "DependencyError": "factcheck.semantic.errors",
    "ModelError": "factcheck.semantic.errors",
    "MODEL_NAME": "factcheck.semantic.model",
    "MANIFEST": "factcheck.semantic.model",
    "locate_model": "factcheck.semantic.model",
    "find_model_dir": "factcheck.semantic.model",
    "default_model_dir": "factcheck.semantic.model",
    "install_model": "factcheck.semantic.model",
    "model_id": "factcheck.semantic.model",
    "Encoder": "factcheck.semantic.encoder",
    "load_encoder": "factcheck.semantic.encoder",
    "VectorMatrix": "factcheck.semantic.vectors",
    "quantize": "factcheck.semantic.vectors",
    "top_k": "factcheck.semantic.vectors",
    "Fused": "factcheck.semantic.fusion",
    "weighted_fusion": "factcheck.semantic.fusion",
    "reciprocal_rank_fusion": "factcheck.semantic.fusion",
}

__all__ = list(_API)


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'factcheck.semantic' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
