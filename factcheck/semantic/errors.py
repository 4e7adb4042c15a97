"""Errors of the optional semantic extra: each becomes one ``factcheck: error:`` line."""

from __future__ import annotations

from factcheck.errors import FactcheckError

# The one install command for the extra, so every message names the same fix.
EXTRA_HINT = "install the semantic extra: pip install 'factcheck[semantic]'"


class SemanticError(FactcheckError):
    """The semantic extra cannot run: a package or the model is missing or broken."""


class DependencyError(SemanticError):
    """A package of the ``semantic`` extra (numpy, onnxruntime, tokenizers) cannot be imported."""


class ModelError(SemanticError):
    """The model folder is missing, incomplete, corrupt, or failed its checksum."""


def missing_package(name: str, exc: ImportError) -> DependencyError:
    """The error for a package of the extra that failed to import (absent or broken)."""
    reason = "is not installed" if isinstance(exc, ModuleNotFoundError) else f"fails to load: {exc}"
    return DependencyError(f"the semantic extra needs {name}, which {reason}", hint=EXTRA_HINT)
