"""A tiny BERT-like ONNX model and WordPiece tokenizer, built at test time.

The model's ``last_hidden_state`` is ``E[input_ids] + T[token_type_ids] + mask * b``: every
position, padding included, gets a non-zero state, so a pooling that counted padding would give
another vector. ``expected_vector`` recomputes the sentence vector independently in numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SHARED_MODEL = ROOT.parent / "shared" / "models" / "all-MiniLM-L6-v2-int8"

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = [
    "the", "council", "spent", "dollars", "on", "roads", "drone", "black", "sea", "russia",
    "ukraine", "said", "soldiers", "died", "hotline", "military", "moscow", "washington",
]  # fmt: skip
NUMBERED = [f"w{i}" for i in range(400)]  # one word piece each, for truncation tests
DIM = 8


@dataclass(frozen=True)
class TinyModel:
    """Paths and weights of the test model."""

    folder: Path
    embeddings: Any  # [vocab, DIM]
    types: Any  # [2, DIM]
    bias: Any  # [DIM]
    vocab: dict[str, int]


def build_tokenizer(path: Path, vocab: dict[str, int]) -> None:
    """A BERT-style WordPiece tokenizer saved with upstream's settings: truncate and pad at 128."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tok.enable_truncation(max_length=128)
    tok.enable_padding(length=128, pad_id=0, pad_token="[PAD]")
    tok.save(str(path))


def build_model(
    path: Path,
    embeddings: Any,
    types: Any,
    bias: Any,
    *,
    with_token_types: bool = True,
    output_name: str = "last_hidden_state",
) -> None:
    """The tiny encoder as an ONNX file (opset 13, IR 8: loadable by old onnxruntime too)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes = [
        helper.make_node("Gather", ["E", "input_ids"], ["emb"], axis=0),
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "axes"], ["mask3"]),
        helper.make_node("Mul", ["mask3", "b"], ["masked_bias"]),
    ]
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"]),
    ]
    if with_token_types:
        nodes += [
            helper.make_node("Gather", ["T", "token_type_ids"], ["typ"], axis=0),
            helper.make_node("Add", ["emb", "typ"], ["with_types"]),
            helper.make_node("Add", ["with_types", "masked_bias"], [output_name]),
        ]
        inputs.append(
            helper.make_tensor_value_info(
                "token_type_ids", TensorProto.INT64, ["batch", "sequence"]
            )
        )
    else:
        nodes.append(helper.make_node("Add", ["emb", "masked_bias"], [output_name]))
    graph = helper.make_graph(
        nodes,
        "tiny-bert",
        inputs,
        [
            helper.make_tensor_value_info(
                output_name, TensorProto.FLOAT, ["batch", "sequence", embeddings.shape[1]]
            )
        ],
        initializer=[
            numpy_helper.from_array(embeddings.astype(np.float32), "E"),
            numpy_helper.from_array(types.astype(np.float32), "T"),
            numpy_helper.from_array(bias.astype(np.float32), "b"),
            numpy_helper.from_array(np.array([-1], dtype=np.int64), "axes"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def make_tiny_model(folder: Path, *, seed: int = 7, **kwargs: Any) -> TinyModel:
    """Write ``model.onnx`` and ``tokenizer.json`` into ``folder``."""
    import numpy as np

    vocab = {token: i for i, token in enumerate(SPECIALS + WORDS + NUMBERED + ["##s"])}
    rng = np.random.default_rng(seed)
    embeddings = rng.standard_normal((len(vocab), DIM)).astype(np.float32)
    types = rng.standard_normal((2, DIM)).astype(np.float32)
    bias = rng.standard_normal(DIM).astype(np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    build_tokenizer(folder / "tokenizer.json", vocab)
    build_model(folder / "model.onnx", embeddings, types, bias, **kwargs)
    return TinyModel(folder, embeddings, types, bias, vocab)


def expected_vector(tiny: TinyModel, ids: Sequence[int]) -> Any:
    """The sentence vector the encoder must give for these token ids (no padding involved)."""
    import numpy as np

    states = tiny.embeddings[list(ids)] + tiny.types[0] + tiny.bias
    mean = states.mean(axis=0)
    return (mean / np.linalg.norm(mean)).astype(np.float32)
