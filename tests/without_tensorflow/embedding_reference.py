"""The shipped model's embeddings under the TensorFlow backend, stored.

The TensorFlow-free environment has no TensorFlow to compute the
TensorFlow backend's output, so it compares with this file; the main suite
checks that the file is still what the TensorFlow backend computes
(`tensorflow_free_surface_test.py`), so the two comparisons chain.

Regenerate (only when the shipped model or the forward pass changes on
purpose):

```
KERAS_BACKEND=tensorflow python -m tests.without_tensorflow.embedding_reference
```
"""

import sys
from pathlib import Path

import numpy as np

REFERENCE_FILE = Path(__file__).with_name("elmo_tiny_en_reference.npz")
PRESET = "elmo_tiny_en"
# Token lists (no tokenizer in between): a long and a short sentence, a
# word the vocabulary lacks, and non-ASCII characters.
SENTENCES = (
    ["The", "whale", "swam", "past", "the", "ship", "at", "dawn", "."],
    ["Hello"],
    ["Zyxwv", "naïve", "café", "!"],
)
TOLERANCE = 1e-5


def embed_reference_sentences():
    """Every layer of the shipped model for `SENTENCES`, on this backend.

    Returns:
        A dict `sentence_<i>` -> float32 array `[layers, tokens, dim]`.
    """
    from keras_elmo.inference.elmo_embedder import ELMoEmbedder

    embedder = ELMoEmbedder.from_preset(PRESET)
    outputs = embedder.embed_sentences([list(s) for s in SENTENCES])
    return {f"sentence_{i}": output for i, output in enumerate(outputs)}


def load_reference():
    """The stored TensorFlow-backend embeddings (`embed_reference_sentences`
    keys)."""
    with np.load(REFERENCE_FILE) as stored:
        return {key: stored[key] for key in stored.files}


def max_difference(outputs, reference):
    """The largest absolute difference of two `embed_reference_sentences`
    results (they must have the same keys and shapes)."""
    assert sorted(outputs) == sorted(reference), (sorted(outputs), reference)
    worst = 0.0
    for key, expected in reference.items():
        actual = np.asarray(outputs[key])
        assert actual.shape == expected.shape, (key, actual.shape)
        worst = max(worst, float(np.max(np.abs(actual - expected))))
    return worst


def main():
    import keras

    if keras.config.backend() != "tensorflow":
        sys.exit(
            "Run with KERAS_BACKEND=tensorflow: the file is the "
            "TensorFlow backend's output."
        )
    outputs = embed_reference_sentences()
    np.savez_compressed(REFERENCE_FILE, **outputs)
    print(f"Wrote {REFERENCE_FILE} ({len(outputs)} sentences)")


if __name__ == "__main__":
    main()
