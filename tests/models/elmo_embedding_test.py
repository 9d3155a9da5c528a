import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_elmo.conversion.elmoformanylangs import elmoformanylangs_tokenizer
from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo_embedding import ELMoEmbedding
from keras_elmo.models.sentence_markers import remove_sentence_markers
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.utils.backend import UnsupportedBackendError
from tests.conversion.elmoformanylangs_fixture import make_model_dir
from tests.fixtures.make_tiny_elmo import write_tiny_elmo
from tests.test_case import TestCase

SENTENCES = ["the cat sat", "hello world how are you", "a"]


class ELMoEmbeddingTest(TestCase):
    def files(self):
        return write_tiny_elmo(self.get_temp_dir(), seed=4)

    def test_character_ids_equal_mixed_elmo_layers(self):
        options_file, weight_file = self.files()
        layer = ELMoEmbedding.from_bilm_hdf5(options_file, weight_file)
        elmo = ELMo.from_bilm_hdf5(options_file, weight_file)
        ids = batch_to_char_ids([s.split() for s in SENTENCES])
        words = remove_sentence_markers(elmo(ids))
        expected = np.mean(keras.ops.convert_to_numpy(words["layers"]), 1)
        self.assertAllClose(layer(ids), expected, atol=1e-5)
        mask = layer.compute_mask(ids)
        self.assertAllEqual(keras.ops.sum(mask, 1), [3, 5, 1])

    @pytest.mark.tensorflow_only("string tensors, in-graph tokenizer")
    def test_sentences_input_matches_character_ids(self):
        options_file, weight_file = self.files()
        by_ids = ELMoEmbedding.from_bilm_hdf5(options_file, weight_file)
        by_text = ELMoEmbedding.from_bilm_hdf5(
            options_file, weight_file, input_type="sentences"
        )
        ids = batch_to_char_ids([s.split() for s in SENTENCES])
        self.assertAllClose(
            by_text(tf.constant(SENTENCES)), by_ids(ids), atol=1e-6
        )

    def test_frozen_bilm_trains_only_the_mixes(self):
        options_file, weight_file = self.files()
        layer = ELMoEmbedding.from_bilm_hdf5(
            options_file, weight_file, num_outputs=2, l2_coef=0.1
        )
        self.assertLen(layer.trainable_weights, 4)  # (w, gamma) x 2
        trainable = ELMoEmbedding.from_bilm_hdf5(
            options_file, weight_file, trainable_bilm=True
        )
        self.assertGreater(len(trainable.trainable_weights), 20)

    @pytest.mark.large
    @pytest.mark.tensorflow_only("string tensors, in-graph tokenizer")
    def test_task_model_fit_save_load_and_masking(self):
        options_file, weight_file = self.files()
        layer = ELMoEmbedding.from_bilm_hdf5(
            options_file, weight_file, input_type="sentences", num_outputs=2
        )
        inputs = keras.Input(shape=(), dtype="string")
        at_input, at_output = layer(inputs)
        states = keras.layers.Bidirectional(
            keras.layers.LSTM(4, return_sequences=True)
        )(at_input)
        features = keras.layers.Concatenate()([states, at_output])
        pooled = keras.layers.GlobalAveragePooling1D()(features)
        model = keras.Model(inputs, keras.layers.Dense(2)(pooled))
        model.compile(
            "adam",
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        x = tf.constant(SENTENCES)
        history = model.fit(x, np.array([0, 1, 0]), epochs=2, verbose=0)
        self.assertTrue(np.all(np.isfinite(history.history["loss"])))
        # The mask reaches the LSTM and the pooling: padding a sentence in
        # a batch with longer ones does not change its prediction.
        alone = model.predict(tf.constant(SENTENCES[:1]), verbose=0)
        batched = model.predict(x, verbose=0)
        self.assertAllClose(alone[0], batched[0], atol=1e-5)
        path = os.path.join(self.get_temp_dir(), "task.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        self.assertAllClose(restored.predict(x, verbose=0), batched, atol=1e-6)

    @pytest.mark.large
    def test_character_ids_task_model_fit_save_load(self):
        # The task model of every backend: frozen ELMo -> layer mix ->
        # Dense, trained with `fit`, saved and reloaded as `.keras`.
        options_file, weight_file = self.files()
        layer = ELMoEmbedding.from_bilm_hdf5(options_file, weight_file)
        ids = keras.Input((None, 50), dtype="int32")
        vectors = layer(ids)  # (batch, tokens, dim), masked
        pooled = keras.layers.GlobalAveragePooling1D()(vectors)
        model = keras.Model(ids, keras.layers.Dense(2)(pooled))
        model.compile(
            "adam",
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        bilm_before = [w.copy() for w in layer.elmo.get_weights()]
        mix_before = layer.layer_mix.get_weights()
        x = batch_to_char_ids([s.split() for s in SENTENCES])
        history = model.fit(
            x, np.array([0, 1, 0]), batch_size=2, epochs=2, verbose=0
        )
        self.assertTrue(np.all(np.isfinite(history.history["loss"])))
        for before, after in zip(bilm_before, layer.elmo.get_weights()):
            self.assertAllEqual(before, after)  # frozen biLM
        self.assertNotAllClose(mix_before[0], layer.layer_mix.get_weights()[0])
        # The mask reaches the pooling: padding does not change a row.
        alone = model.predict(x[:1, :5], verbose=0)
        batched = model.predict(x, verbose=0)
        self.assertAllClose(alone[0], batched[0], atol=1e-5)
        path = os.path.join(self.get_temp_dir(), "task.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        self.assertAllClose(restored.predict(x, verbose=0), batched, atol=1e-6)

    def test_sentences_input_needs_tensorflow(self):
        if keras.config.backend() == "tensorflow":
            self.skipTest("the sentences input works on TensorFlow")
        options_file, weight_file = self.files()
        with pytest.raises(UnsupportedBackendError, match="KERAS_BACKEND"):
            ELMoEmbedding.from_bilm_hdf5(
                options_file, weight_file, input_type="sentences"
            )

    def test_sentences_preset_refused_before_loading(self):
        from keras_elmo.models import elmo_embedding

        def no_load(handle):
            raise AssertionError("loaded a preset that cannot be used")

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(keras.config, "backend", lambda: "jax")
            patch.setattr(elmo_embedding, "get_preset_loader", no_load)
            with pytest.raises(UnsupportedBackendError, match="sentences"):
                ELMoEmbedding.from_preset(
                    "elmo_tiny_en", input_type="sentences"
                )

    def test_invalid_args(self):
        options_file, weight_file = self.files()
        with pytest.raises(ValueError, match="input_type"):
            ELMoEmbedding.from_bilm_hdf5(
                options_file, weight_file, input_type="tokens"
            )


@pytest.mark.tensorflow_only("string tensors, in-graph vocabulary tokenizer")
class ELMoEmbeddingVocabularyTest(TestCase):
    """Raw sentences into an ELMoForManyLangs model inside a Keras model."""

    def test_sentences_through_a_vocabulary_tokenizer(self):
        directory = os.path.join(self.get_temp_dir(), "efml")
        make_model_dir(directory)
        elmo = ELMo.from_elmoformanylangs(directory)
        tokenizer = elmoformanylangs_tokenizer(directory)
        layer = ELMoEmbedding(
            elmo, input_type="sentences", character_tokenizer=tokenizer
        )
        sentences = keras.Input(shape=(), dtype="string")
        model = keras.Model(sentences, layer(sentences))
        texts = ["ab 한국", "cde"]
        got = model.predict(tf.constant(texts), verbose=0)
        expected = ELMoEmbedder(elmo, tokenizer=tokenizer).embed_sentences(
            [t.split() for t in texts], output="elmo"
        )
        for row, vectors in enumerate(expected):
            self.assertAllClose(got[row, : len(vectors)], vectors, atol=1e-5)
        # The tokenizer travels in the config.
        clone = ELMoEmbedding.from_config(layer.get_config())
        self.assertEqual(clone.tokenizer.characters, tokenizer.characters)
        with self.assertRaisesRegex(ValueError, "only used with"):
            ELMoEmbedding(elmo, character_tokenizer=tokenizer)

    def test_from_preset_brings_the_tokenizer(self):
        directory = os.path.join(self.get_temp_dir(), "efml_preset")
        make_model_dir(directory, fmt="zip")
        layer = ELMoEmbedding.from_preset(directory, input_type="sentences")
        self.assertEqual(
            layer.tokenizer.characters,
            elmoformanylangs_tokenizer(directory).characters,
        )
        out = layer(tf.constant(["ab 한국", "cde"]))
        self.assertEqual(tuple(out.shape), (2, 2, 10))
