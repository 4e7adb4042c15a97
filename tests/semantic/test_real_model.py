"""The shared all-MiniLM-L6-v2 int8 copy: real paraphrases score high, unrelated claims near 0."""

from __future__ import annotations

import pytest

from .tiny import SHARED_MODEL

np = pytest.importorskip("numpy", reason="the encoder needs numpy (the semantic extra)")
pytest.importorskip("onnxruntime", reason="the encoder needs onnxruntime (the semantic extra)")
pytest.importorskip("tokenizers", reason="the encoder needs tokenizers (the semantic extra)")
if not (SHARED_MODEL / "model.onnx").is_file():
    pytest.skip(f"no shared model at {SHARED_MODEL}", allow_module_level=True)

from factcheck.semantic.encoder import Encoder, load_encoder  # noqa: E402

HOTLINE = "Washington and Moscow revive military hotline after four years"
PARAPHRASE = "The United States and Russia agreed to restore their high-level military dialogue"
UNRELATED = "McDonald's restaurants are offering $1 Any Size Fries between May 18 and 31."


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return load_encoder(SHARED_MODEL, threads=1)


def test_shape_and_identity(encoder: Encoder) -> None:
    assert encoder.dim == 384
    assert encoder.model_id == (
        "all-MiniLM-L6-v2;onnx=8199be6f699a395f;tokenizer=be50c3628f2bf5bb;mean-l2;max=256"
    )


def test_paraphrase_scores_clearly_above_an_unrelated_claim(encoder: Encoder) -> None:
    hotline, paraphrase, unrelated = encoder.encode([HOTLINE, PARAPHRASE, UNRELATED])
    # Measured here: 0.525 and -0.066 (the shared README: about 0.55 and 0.01). The margins
    # allow for int8 kernels that differ by CPU (up to 0.01 reported), not for a broken model.
    assert float(hotline @ paraphrase) == pytest.approx(0.525, abs=0.03)
    assert float(hotline @ unrelated) == pytest.approx(-0.066, abs=0.05)
    assert float(paraphrase @ unrelated) < 0.1


def test_batched_and_single_agree(encoder: Encoder) -> None:
    texts = [HOTLINE, "Drone", PARAPHRASE, UNRELATED, "Russia annexed Crimea in 2014."]
    batched = encoder.encode(texts, batch_size=4)
    single = np.stack([encoder.encode_one(t) for t in texts])
    np.testing.assert_allclose(batched, single, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)


def test_long_text_is_truncated_at_256_pieces(encoder: Encoder) -> None:
    words = [f"claim{i % 50}" for i in range(400)]  # "claim49" is two pieces: claim ##49
    long, cut, shorter = encoder.encode(
        [" ".join(words), " ".join(words[:127]), " ".join(words[:100])]
    )  # 127 words: [CLS] + 254 pieces + [SEP]
    np.testing.assert_allclose(long, cut, atol=1e-4)
    assert float(long @ shorter) < 0.9999  # the cut is not the tokenizer file's 128
