"""What the export and serving tests share: the model, one export, oracles.

A generated model with the bilm-tf test model's architecture
(`tests.fixtures.generated`) is exported once per test session (a
stateful load, so the export's stateless copy is exercised too) and reused
by `tests/export` and `tests/serving`. Expected outputs come from the Keras
model directly (`ELMo` call + `remove_sentence_markers`, the `elmo` mix and
the pooling written out in NumPy), not from the export code.
"""

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import tensorflow as tf

from keras_elmo.export.saved_model import export_saved_model
from keras_elmo.models.elmo import ELMo
from keras_elmo.models.sentence_markers import remove_sentence_markers
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from tests.fixtures.generated import generated_model_dir

MODEL_NAME = "elmo"
ATOL = 1e-5

# Raw sentences through `serving_default`: (sentences, why).
SENTENCE_CASES = {
    "plain": ["The cat sat on the mat .", "Hello", "a b c d e f g"],
    "empty_string": ["", "a b", ""],
    "all_empty": ["", "   ", "\t\n"],
    "empty_batch": [],
    "surrounding_whitespace": ["  a \t b  ", "\nc\r\n"],
    "non_utf8_bytes": [b"caf\xe9 \xff\xfe x", b"\x80 ok"],
    "long_tokens": ["x" * 200 + " y", "\U0001f600" * 30, "a" + "é" * 30],
    # Only ASCII whitespace splits (a no-break space stays in its token).
    "unicode_space": ["a\u00a0b c"],
    "markers_as_text": ["<S> x </S>"],
    "long_sentence": [" ".join(["w"] * 300), "short"],
}


def model_files():
    """Directory of the generated model's `options.json`, `lm_weights.hdf5`."""
    return generated_model_dir()


@functools.cache
def fixture_model(stateful=False):
    """The generated fixture model as an `ELMo` (cached; do not mutate)."""
    directory = model_files()
    return ELMo.from_bilm_hdf5(
        directory / "options.json",
        directory / "lm_weights.hdf5",
        stateful=stateful,
    )


@functools.cache
def exported_model_base():
    """Base path holding version 1 of the fixture model's SavedModel."""
    base = tempfile.mkdtemp(prefix="keras_elmo_export_test_")
    atexit.register(shutil.rmtree, base, ignore_errors=True)
    export_base = os.path.join(base, MODEL_NAME)
    export_saved_model(fixture_model(stateful=True), export_base)
    return export_base


def exported_version_dir():
    """The version directory of `exported_model_base()`."""
    return os.path.join(exported_model_base(), "1")


@functools.cache
def _traced_model():
    # The Keras model in a tf.function: the same numbers as an eager call,
    # without running the LSTM loops step by step in Python.
    model = fixture_model()
    return tf.function(
        lambda char_ids: model(char_ids),
        input_signature=[tf.TensorSpec([None, None, 50], tf.int32)],
    )


def split_sentence(sentence):
    """Whitespace tokens of a sentence as bytes, as `tf.strings.split`."""
    if isinstance(sentence, str):
        sentence = sentence.encode("utf-8")
    # bytes.split() splits on runs of ASCII whitespace only.
    return sentence.split()


def keras_reference(token_lists):
    """Expected outputs for a batch of token lists, from the Keras model.

    The `elmo` output of a fresh mix is the mean of the biLM layers
    (softmax of zeros, gamma 1), zero at padding; `default` is its mean
    over each sentence's tokens (0 for an empty sentence).
    """
    model = fixture_model()
    if not token_lists:
        # An empty batch: every output is empty; nothing to compute.
        dim = 2 * model.bilm.output_dim
        expected = {"word_emb": np.zeros((0, 0, model.projection_dim), "f")}
        for i in range(1, model.num_layers + 1):
            expected[f"lstm_outputs{i}"] = np.zeros((0, 0, dim), "f")
        expected.update(
            elmo=np.zeros((0, 0, dim), "f"),
            default=np.zeros((0, dim), "f"),
            sequence_len=np.zeros((0,), np.int32),
            mask=np.zeros((0, 0), bool),
        )
        return expected
    char_ids = batch_to_char_ids(token_lists)
    outputs = remove_sentence_markers(_traced_model()(char_ids))
    layers = np.asarray(outputs["layers"])  # (b, L + 1, t, 2d)
    mask = np.asarray(outputs["mask"])  # (b, t)
    lengths = mask.sum(axis=1).astype(np.int32)  # (b,)
    elmo = layers.mean(axis=1) * mask[..., None]  # (b, t, 2d)
    expected = {"word_emb": np.asarray(outputs["token_embeddings"])}
    for i in range(1, model.num_layers + 1):
        expected[f"lstm_outputs{i}"] = layers[:, i]
    expected.update(
        {
            "elmo": elmo,
            "default": (
                elmo.sum(axis=1) / np.maximum(lengths, 1)[:, None]
            ).astype(np.float32),
            "sequence_len": lengths,
            "mask": mask,
        }
    )
    return expected


def assert_outputs_match(actual, expected, atol=ATOL, keys=None):
    """Same keys, shapes, dtypes and values (within `atol`)."""
    keys = sorted(expected) if keys is None else sorted(keys)
    assert sorted(actual) == keys, (sorted(actual), keys)
    for key in keys:
        value = np.asarray(actual[key])
        want = np.asarray(expected[key])
        assert value.shape == want.shape, (key, value.shape, want.shape)
        assert value.dtype == want.dtype, (key, value.dtype, want.dtype)
        if value.dtype == np.bool_ or np.issubdtype(value.dtype, np.integer):
            np.testing.assert_array_equal(value, want, err_msg=key)
        else:
            np.testing.assert_allclose(
                value, want, rtol=0, atol=atol, err_msg=key
            )


def padded_tokens(token_lists):
    """`tokens` signature inputs: tokens padded with b"" and lengths."""
    lengths = np.array([len(t) for t in token_lists], np.int32)
    width = int(lengths.max(initial=0))
    tokens = np.array(
        [list(t) + [b""] * (width - len(t)) for t in token_lists],
        dtype=object,
    ).reshape(len(token_lists), width)
    return tokens, lengths


def run_fresh_python(script, *args, timeout=300):
    """Run `script` in a new interpreter (no keras_elmo on its path).

    Returns the parsed JSON of its last stdout line.
    """
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
