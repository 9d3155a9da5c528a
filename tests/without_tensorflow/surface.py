"""keras_elmo's non-TensorFlow surface, used as a user would, where
TensorFlow cannot be imported; and each TensorFlow-only feature failing
there in one line.

Run by `tensorflow_free_surface_test.py` in a fresh interpreter with
TensorFlow blocked (`tensorflow_blocker.py`) under `KERAS_BACKEND=jax` or
`torch`; `main(out_dir)` raises at the first failed check, writes the
shipped model's embeddings to `out_dir/embeddings.npz` for the caller to
compare with the TensorFlow backend's, and prints `SURFACE OK`.
"""

import contextlib
import io
import shutil
import sys
import warnings
from pathlib import Path

# First Keras, then keras_elmo: the order most users write (issue 24).
import keras  # isort: skip
import keras_elmo  # isort: skip
import numpy as np

from tests.without_tensorflow.embedding_reference import TOLERANCE
from tests.without_tensorflow.embedding_reference import (
    embed_reference_sentences,
)
from tests.without_tensorflow.embedding_reference import load_reference
from tests.without_tensorflow.embedding_reference import max_difference
from tests.without_tensorflow.tensorflow_blocker import BLOCKED_MODULES

TINY_ELMO = {
    "filters": [(1, 4), (2, 8)],
    "character_embedding_dim": 4,
    "num_highway_layers": 1,
    "lstm_units": 16,
    "projection_dim": 8,
    "num_layers": 2,
}
SENTENCES = [["The", "cat", "sat", "."], ["Hello", "world"]]


def tensorflow_modules():
    """The blocked modules that were imported anyway (should be none)."""
    return sorted(
        name
        for name, module in sys.modules.items()
        if name.split(".")[0] in BLOCKED_MODULES and module is not None
    )


def check_layers():
    from keras_elmo.layers import BiLM
    from keras_elmo.layers import CharCNNEncoder
    from keras_elmo.layers import Highway
    from keras_elmo.layers import PhiloxDropout
    from keras_elmo.layers import ProjectedLSTM
    from keras_elmo.layers import SampledSoftmaxHead
    from keras_elmo.layers import WeightedLayerMix

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 8)).astype("float32")
    labels = rng.integers(0, 20, size=(2, 5)).astype("int32")
    char_ids = keras_elmo.batch_to_char_ids(SENTENCES)  # (2, 6, 50)
    outputs = {
        "Highway": Highway()(x),
        "CharCNNEncoder": CharCNNEncoder(
            filters=[(1, 4), (2, 8)],
            embedding_dim=4,
            num_highway_layers=1,
            projection_dim=8,
        )(char_ids),
        "ProjectedLSTM": ProjectedLSTM(16, projection_dim=8)(x),
        "BiLM": BiLM(16, projection_dim=8)(x),
        "PhiloxDropout": PhiloxDropout(0.5, seed=1)(x, training=True),
        "WeightedLayerMix": WeightedLayerMix(num_layers=3)(
            np.stack([x, x, x], axis=1)
        ),
        "SampledSoftmaxHead": SampledSoftmaxHead(
            vocab_size=20, num_negative_samples=4, seed=1
        )(x, labels=labels, training=True),
    }
    for name, output in outputs.items():
        for tensor in keras.tree.flatten(output):
            value = keras.ops.convert_to_numpy(tensor)
            assert np.all(np.isfinite(value)), name
            assert value.shape[0] == 2, (name, value.shape)
    dropped = keras.ops.convert_to_numpy(outputs["PhiloxDropout"])
    assert 0 < np.mean(dropped == 0) < 1, "PhiloxDropout dropped nothing"


def elmo_outputs(model, char_ids):
    return {
        key: keras.ops.convert_to_numpy(value)
        for key, value in model(char_ids).items()
    }


def assert_same_outputs(expected, actual, what):
    for key, value in expected.items():
        np.testing.assert_allclose(
            actual[key], value, atol=1e-6, err_msg=f"{what}: {key}"
        )


def check_models_and_presets(work):
    from keras_elmo import ELMo
    from keras_elmo import ELMoEmbedder
    from keras_elmo import ELMoEmbedding

    char_ids = keras_elmo.batch_to_char_ids(SENTENCES)
    elmo = ELMo(**TINY_ELMO)
    expected = elmo_outputs(elmo, char_ids)
    assert expected["layers"].shape == (2, 3, 6, 16)

    # A .keras file, a preset directory and its zip archive.
    elmo.save(work / "elmo.keras")
    loaded = keras.saving.load_model(work / "elmo.keras")
    assert_same_outputs(expected, elmo_outputs(loaded, char_ids), ".keras")
    elmo.save_to_preset(work / "preset")
    from_dir = ELMo.from_preset(str(work / "preset"))
    assert_same_outputs(expected, elmo_outputs(from_dir, char_ids), "preset")
    archive = shutil.make_archive(
        str(work / "preset_archive"), "zip", work / "preset"
    )
    from_zip = ELMo.from_preset(archive)
    assert_same_outputs(expected, elmo_outputs(from_zip, char_ids), "zip")
    embedder = ELMoEmbedder.from_preset(str(work / "preset"))
    vectors = embedder.embed_sentences(SENTENCES, output="top")
    assert [v.shape for v in vectors] == [(4, 16), (2, 16)]

    # ELMoEmbedding in a task model: predict and one step of fit.
    inputs = keras.Input((None, 50), dtype="int32")
    embedded = ELMoEmbedding(ELMo(**TINY_ELMO), input_type="character_ids")(
        inputs
    )
    pooled = keras.layers.GlobalAveragePooling1D()(embedded)
    task = keras.Model(inputs, keras.layers.Dense(2)(pooled))
    task.compile(optimizer="adam", loss="mse")
    targets = np.zeros((2, 2), "float32")
    history = task.fit(char_ids, targets, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert task.predict(char_ids, verbose=0).shape == (2, 2)


def check_shipped_model(out_dir):
    outputs = embed_reference_sentences()
    np.savez(out_dir / "embeddings.npz", **outputs)
    difference = max_difference(outputs, load_reference())
    assert difference <= TOLERANCE, f"differs from TensorFlow by {difference}"


def expect_one_line_error(call, *needles):
    from keras_elmo.utils.backend import TensorFlowNotInstalledError

    try:
        call()
    except TensorFlowNotInstalledError as error:
        message = str(error)
    else:
        raise AssertionError(f"no error from {call}")
    assert "\n" not in message, message
    for needle in needles:
        assert needle in message, (needle, message)
    return message


def check_tensorflow_only_features(work):
    from keras_elmo import ELMo
    from keras_elmo import ELMoCharacterTokenizer
    from keras_elmo import ELMoEmbedding
    from keras_elmo.export import export_saved_model
    from keras_elmo.export import export_tflite
    from keras_elmo.serving import ELMoClient
    from keras_elmo.utils.files import list_files

    install = 'pip install "keras-elmo[tensorflow]"'
    elmo = ELMo(**TINY_ELMO)
    expect_one_line_error(
        lambda: ELMoEmbedding(elmo, input_type="sentences"),
        "input_type='sentences'",
        install,
    )
    expect_one_line_error(ELMoCharacterTokenizer, "ELMoCharacterTokenizer")
    expect_one_line_error(
        lambda: ELMoCharacterTokenizer.split(["a b"]), install
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        alias = keras_elmo.preprocessing.ElmoCharacterTokenizer
    assert alias is ELMoCharacterTokenizer
    assert caught and caught[0].category is DeprecationWarning
    expect_one_line_error(alias, install)
    export_base = work / "exported"
    expect_one_line_error(
        lambda: export_saved_model(elmo, export_base),
        "SavedModel export",
        install,
    )
    assert not export_base.exists()
    expect_one_line_error(
        lambda: export_tflite(elmo, work / "elmo.tflite"),
        "TFLite export",
        install,
    )
    assert not (work / "elmo.tflite").exists()
    expect_one_line_error(
        lambda: ELMoClient("localhost:8500", "elmo"),
        "TF Serving client",
        'pip install "keras-elmo[serving]"',
    )
    expect_one_line_error(
        lambda: list_files("gs://bucket/corpus-*.txt"), "remote", install
    )


def run_cli(*args):
    """`keras-elmo ARGS` in this process: (exit code, stdout, stderr)."""
    from keras_elmo.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(arg) for arg in args])
    return code, out.getvalue(), err.getvalue()


def check_command_line(work):
    from tests.conversion.elmoformanylangs_fixture import make_model_dir

    text = work / "corpus.txt"
    text.write_text("The cat sat on the mat.\nHello world!\n", "utf-8")
    code, out, err = run_cli("presets")
    assert code == 0 and "elmo_tiny_en" in out, err
    code, _, err = run_cli("tokenize", text, "--output", work / "tokens.txt")
    assert code == 0, err
    assert "mat ." in (work / "tokens.txt").read_text("utf-8")
    vocabulary = work / "vocab.txt"
    code, _, err = run_cli("build-vocab", text, "--output", vocabulary)
    assert code == 0 and "cat" in vocabulary.read_text("utf-8"), err
    for model in ("elmo_tiny_en", work / "preset"):
        output = work / f"embedded_{Path(str(model)).name}.hdf5"
        code, _, err = run_cli(
            "embed", text, output, "--model", model, "--no-progress"
        )
        assert code == 0 and output.is_file(), err
    make_model_dir(work / "manylangs")
    converted = work / "converted"
    code, _, err = run_cli(
        "convert", "--from", "elmoformanylangs", work / "manylangs", converted
    )
    assert code == 0 and converted.is_dir(), err
    assert (
        keras_elmo.ELMoEmbedder.from_preset(str(converted))
        .embed_sentences([["ab", "cde"]])[0]
        .shape[1]
        == 2
    )
    # A TensorFlow-only command: one line, nothing written.
    code, _, err = run_cli(
        "export", "--model", work / "preset", "--output", work / "served"
    )
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert 'pip install "keras-elmo[tensorflow]"' in err, err
    assert not (work / "served").exists()


def main(out_dir):
    out_dir = Path(out_dir)
    work = out_dir / "work"
    work.mkdir()
    assert keras.saving.get_registered_object("keras_elmo>ELMo") is (
        keras_elmo.ELMo
    ), "import keras; import keras_elmo registers the classes"
    check_layers()
    check_models_and_presets(work)
    check_shipped_model(out_dir)
    check_tensorflow_only_features(work)
    check_command_line(work)
    assert not tensorflow_modules(), tensorflow_modules()
    print("SURFACE OK", keras.config.backend())


if __name__ == "__main__":
    main(sys.argv[1])
