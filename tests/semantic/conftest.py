"""Fixtures of the semantic tests: the tiny test model, built once per session."""

from __future__ import annotations

import pytest

from .tiny import TinyModel, make_tiny_model


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    pytest.importorskip("numpy", reason="the semantic tests need numpy (the semantic extra)")
    pytest.importorskip("onnx", reason="building the test model needs onnx (the test extra)")
    pytest.importorskip("tokenizers", reason="the semantic tests need tokenizers")
    return make_tiny_model(tmp_path_factory.mktemp("tiny-model"))
