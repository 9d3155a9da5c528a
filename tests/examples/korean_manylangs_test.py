"""docs/korean.md (a) offline: an ELMoForManyLangs-format model, Korean.

The released Korean model needs a download; this runs the same steps on a
tiny random model in that format (`tests/conversion/
elmoformanylangs_fixture.py`, whose character vocabulary holds `한` and
`국`): `keras-elmo convert --from elmoformanylangs`, raw Korean text through
`ELMoEmbedder` with a `TextTokenizer`, and `ELMoEmbedding` (strings in) in
a Keras classifier that trains.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

pytest.importorskip(
    "keras_elmo.conversion.elmoformanylangs",
    reason="the ELMoForManyLangs reader is not in this build",
)

from keras_elmo.cli.main import main  # noqa: E402
from keras_elmo.inference.elmo_embedder import ELMoEmbedder  # noqa: E402
from keras_elmo.models.elmo_embedding import ELMoEmbedding  # noqa: E402
from keras_elmo.preprocessing.text_tokenizer import TextTokenizer  # noqa: E402
from tests.conversion.elmoformanylangs_fixture import make_model_dir  # noqa: E402


@pytest.mark.large
def test_korean_through_a_converted_elmoformanylangs_model(tmp_path):
    make_model_dir(tmp_path / "ko.model")
    preset = tmp_path / "elmo_korean"
    command = ["convert", "--from", "elmoformanylangs"]
    assert main(command + [str(tmp_path / "ko.model"), str(preset)]) == 0

    embedder = ELMoEmbedder.from_preset(str(preset))
    raw = "\ufeff한국 ab. 국한!"
    got = embedder.embed_sentences([raw], tokenize=TextTokenizer())[0]
    tokens = ["한국", "ab", ".", "국한", "!"]
    np.testing.assert_allclose(
        got, embedder.embed_sentences([tokens])[0], atol=1e-6
    )
    assert got.shape[:2] == (3, 5)

    tokenizer = TextTokenizer()
    texts = ["한국 ab.", "국한 cde!", "ab 한국.", "cde 국한!"]
    sentences = tf.constant([" ".join(tokenizer.tokenize(t)) for t in texts])
    labels = np.array([0, 1, 0, 1])
    inputs = keras.Input(shape=(), dtype="string")
    elmo = ELMoEmbedding.from_preset(str(preset), input_type="sentences")
    pooled = keras.layers.GlobalAveragePooling1D()(elmo(inputs))
    outputs = keras.layers.Dense(2, activation="softmax")(pooled)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(sentences, labels, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    probabilities = model.predict(sentences, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
