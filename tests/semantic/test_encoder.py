"""The encoder on a tiny random BERT-like model: shapes, pooling, truncation, batching, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

np = pytest.importorskip("numpy", reason="the encoder needs numpy (the semantic extra)")
pytest.importorskip("onnxruntime", reason="the encoder needs onnxruntime (the semantic extra)")
pytest.importorskip("tokenizers", reason="the encoder needs tokenizers (the semantic extra)")
pytest.importorskip("onnx", reason="building the test model needs onnx (the test extra)")

from factcheck.semantic import encoder as encoder_module  # noqa: E402
from factcheck.semantic.encoder import load_encoder, mean_pool  # noqa: E402
from factcheck.semantic.errors import DependencyError, ModelError  # noqa: E402
from factcheck.semantic.model import model_id  # noqa: E402

from .tiny import DIM, NUMBERED, TinyModel, expected_vector, make_tiny_model  # noqa: E402


def ids_of(tiny: TinyModel, words: list[str]) -> list[int]:
    return [tiny.vocab["[CLS]"], *(tiny.vocab[w] for w in words), tiny.vocab["[SEP]"]]


def test_shape_dtype_and_unit_norm(tiny_model: TinyModel) -> None:
    enc = load_encoder(tiny_model.folder, threads=1)
    vectors = enc.encode(["the council spent dollars", "drone", "", "Russia said"])
    assert enc.dim == DIM
    assert vectors.shape == (4, DIM)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_no_texts_give_an_empty_matrix(tiny_model: TinyModel) -> None:
    enc = load_encoder(tiny_model.folder, threads=1)
    assert enc.encode([]).shape == (0, DIM)


def test_mean_over_real_tokens_only(tiny_model: TinyModel) -> None:
    # "drone" is padded to the long text's length in the same batch: padding must not count.
    enc = load_encoder(tiny_model.folder, threads=1)
    long = "the council spent dollars on roads said the black sea"
    vectors = enc.encode([long, "drone"], batch_size=2)
    want_short = expected_vector(tiny_model, ids_of(tiny_model, ["drone"]))
    want_long = expected_vector(tiny_model, ids_of(tiny_model, long.split()))
    np.testing.assert_allclose(vectors[1], want_short, atol=1e-6)
    np.testing.assert_allclose(vectors[0], want_long, atol=1e-6)


def test_mean_pool_weights_by_mask() -> None:
    hidden = np.array([[[1.0, 0.0], [3.0, 0.0], [100.0, 100.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0]], dtype=np.int64)
    np.testing.assert_allclose(mean_pool(hidden, mask), [[1.0, 0.0]])
    zero = mean_pool(np.zeros((1, 2, 2), np.float32), np.zeros((1, 2), np.int64))
    np.testing.assert_array_equal(zero, [[0.0, 0.0]])  # no tokens: a zero vector, not NaN


def test_text_is_lowercased_and_unknown_words_map_to_unk(tiny_model: TinyModel) -> None:
    enc = load_encoder(tiny_model.folder, threads=1)
    a, b = enc.encode(["The DRONE zzzunknown", "the drone"])
    want = expected_vector(
        tiny_model, [*ids_of(tiny_model, ["the", "drone"])[:-1], tiny_model.vocab["[UNK]"], 3]
    )
    np.testing.assert_allclose(a, want, atol=1e-6)
    assert not np.allclose(a, b)


def test_truncates_to_256_word_pieces_not_the_tokenizer_files_128(tiny_model: TinyModel) -> None:
    enc = load_encoder(tiny_model.folder, threads=1)
    words = NUMBERED[:300]
    full, first_254, first_253, first_126 = enc.encode(
        [" ".join(words), " ".join(words[:254]), " ".join(words[:253]), " ".join(words[:126])]
    )
    # [CLS] + 254 pieces + [SEP] = 256: the 300-word text keeps exactly its first 254 words.
    np.testing.assert_allclose(full, first_254, atol=1e-6)
    np.testing.assert_allclose(
        full, expected_vector(tiny_model, ids_of(tiny_model, words[:254])), atol=1e-6
    )
    assert not np.allclose(full, first_253, atol=1e-6)  # one word more was kept
    assert not np.allclose(full, first_126, atol=1e-3)  # the file says 128: overridden


def test_max_tokens_is_configurable(tiny_model: TinyModel) -> None:
    enc = load_encoder(tiny_model.folder, threads=1, max_tokens=5)
    a, b = enc.encode(["w1 w2 w3 w4 w5 w6", "w1 w2 w3"])
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_batches_keep_input_order(tiny_model: TinyModel, monkeypatch: pytest.MonkeyPatch) -> None:
    # A small tokenising window, so sorting by length happens across several windows too.
    monkeypatch.setattr(encoder_module, "TOKENIZE_WINDOW", 7)
    rng = np.random.default_rng(3)
    texts = [" ".join(rng.choice(NUMBERED, size=int(n))) for n in rng.integers(1, 40, size=23)]
    enc = load_encoder(tiny_model.folder, threads=2)
    seen: list[tuple[int, int]] = []
    batched = enc.encode(texts, batch_size=3, progress=lambda d, t: seen.append((d, t)))
    one_by_one = np.stack([enc.encode_one(t) for t in texts])
    np.testing.assert_allclose(batched, one_by_one, atol=1e-6)
    for i, text in enumerate(texts):
        want = expected_vector(tiny_model, ids_of(tiny_model, text.split()))
        np.testing.assert_allclose(batched[i], want, atol=1e-6)
    # Windows of 7, 7, 7 and 2 texts, each in batches of at most 3.
    assert seen == [(d, 23) for d in (3, 6, 7, 10, 13, 14, 17, 20, 21, 23)]


def test_batch_size_must_be_positive(tiny_model: TinyModel) -> None:
    enc = load_encoder(tiny_model.folder, threads=1)
    with pytest.raises(ValueError, match="batch_size"):
        enc.encode(["the"], batch_size=0)


def test_model_without_token_type_ids(tmp_path: Path) -> None:
    tiny = make_tiny_model(tmp_path / "m", with_token_types=False)
    enc = load_encoder(tiny.folder, threads=1)
    got = enc.encode_one("the drone")
    ids = ids_of(tiny, ["the", "drone"])
    states = tiny.embeddings[ids] + tiny.bias
    want = states.mean(axis=0) / np.linalg.norm(states.mean(axis=0))
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_model_id_names_the_files(tiny_model: TinyModel) -> None:
    enc = load_encoder(tiny_model.folder, threads=1)
    assert enc.model_id == model_id(tiny_model.folder)
    assert enc.model_id.startswith("all-MiniLM-L6-v2;onnx=")
    assert enc.model_id.endswith(";mean-l2;max=256")


# --- errors: one line each, saying what is wrong and what to do ---------------------------


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text
    return text


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as info:
        load_encoder(tmp_path / "nowhere")
    text = one_line(info.value)
    assert text.startswith(f"the model folder does not exist ({tmp_path / 'nowhere'}): ")
    assert "FACTCHECK_MODEL_DIR" in text


@pytest.mark.parametrize("name", ["model.onnx", "tokenizer.json"])
def test_missing_file(tiny_model: TinyModel, tmp_path: Path, name: str) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    other = "tokenizer.json" if name == "model.onnx" else "model.onnx"
    (folder / other).write_bytes((tiny_model.folder / other).read_bytes())
    with pytest.raises(ModelError) as info:
        load_encoder(folder)
    assert one_line(info.value).startswith(f"the model folder has no {name} ({folder / name}): ")


def test_corrupt_model_file(tiny_model: TinyModel, tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "tokenizer.json").write_bytes((tiny_model.folder / "tokenizer.json").read_bytes())
    (folder / "model.onnx").write_bytes((tiny_model.folder / "model.onnx").read_bytes()[:100])
    with pytest.raises(ModelError) as info:
        load_encoder(folder)
    text = one_line(info.value)
    assert text.startswith("model.onnx cannot be loaded: ")
    assert text.endswith(f"({folder / 'model.onnx'}): reinstall the model")


def test_corrupt_tokenizer_file(tiny_model: TinyModel, tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "model.onnx").write_bytes((tiny_model.folder / "model.onnx").read_bytes())
    (folder / "tokenizer.json").write_text('{"version": "1.0", "model": ', encoding="utf-8")
    with pytest.raises(ModelError) as info:
        load_encoder(folder)
    assert one_line(info.value).startswith("tokenizer.json cannot be read: ")


def test_wrong_interface(tmp_path: Path) -> None:
    tiny = make_tiny_model(tmp_path / "m", output_name="pooler_output")
    with pytest.raises(ModelError) as info:
        load_encoder(tiny.folder)
    assert one_line(info.value).startswith(
        "model.onnx is not a sentence-embedding encoder: outputs ['pooler_output'], "
        "expected last_hidden_state"
    )


def test_tokenizer_beyond_the_models_vocabulary(tiny_model: TinyModel, tmp_path: Path) -> None:
    # A model with fewer embedding rows than the tokenizer has ids fails at load, not later.
    from .tiny import build_model

    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "tokenizer.json").write_bytes((tiny_model.folder / "tokenizer.json").read_bytes())
    build_model(folder / "model.onnx", tiny_model.embeddings[:3], tiny_model.types, tiny_model.bias)
    with pytest.raises(ModelError) as info:
        load_encoder(folder)
    assert one_line(info.value).startswith("the model and its tokenizer do not work together: ")


@pytest.mark.parametrize("package", ["onnxruntime", "tokenizers"])
def test_missing_package(
    tiny_model: TinyModel, monkeypatch: pytest.MonkeyPatch, package: str
) -> None:
    monkeypatch.setitem(sys.modules, package, None)  # import now raises ModuleNotFoundError
    with pytest.raises(DependencyError) as info:
        load_encoder(tiny_model.folder)
    assert one_line(info.value) == (
        f"the semantic extra needs {package}, which is not installed: "
        "install the semantic extra: pip install 'factcheck[semantic]'"
    )


def test_missing_numpy_is_a_clear_error() -> None:
    code = (
        "import sys; sys.modules['numpy'] = None\n"
        "from factcheck.semantic.errors import DependencyError\n"
        "for name in ('factcheck.semantic.encoder', 'factcheck.semantic.vectors'):\n"
        "    try:\n"
        "        __import__(name)\n"
        "    except DependencyError as e:\n"
        "        print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    line = "the semantic extra needs numpy, which is not installed: " + (
        "install the semantic extra: pip install 'factcheck[semantic]'"
    )
    assert out.stdout.splitlines() == [line, line]


def test_default_threads_is_the_usable_cores_up_to_four() -> None:
    import os

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert encoder_module.default_threads() == max(1, min(4, usable or 1))
