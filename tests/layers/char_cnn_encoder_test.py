import keras
import numpy as np
import pytest

from keras_elmo.layers.char_cnn_encoder import CharCNNEncoder
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from tests.test_case import TestCase

TINY = {
    "filters": [(1, 2), (2, 3)],
    "embedding_dim": 3,
    "num_highway_layers": 1,
    "projection_dim": 4,
}


class CharCNNEncoderTest(TestCase):
    def test_layer_behaviors(self):
        ids = batch_to_char_ids([["a", "bc"], ["def"]])
        self.run_layer_test(
            cls=CharCNNEncoder,
            init_kwargs=TINY,
            input_data=ids,
            expected_output_shape=(2, 4, 4),
            # embedding, 2 x (kernel, bias), 4 highway, projection 2.
            expected_num_trainable_weights=11,
            run_training_check=False,  # integer inputs: fit in elmo_test
        )

    def test_no_projection_when_filters_match(self):
        layer = CharCNNEncoder(**{**TINY, "projection_dim": 5})
        self.assertIsNone(layer.projection)
        out = layer(batch_to_char_ids([["a"]]))
        self.assertEqual(tuple(out.shape), (1, 3, 5))

    def test_exact_output(self):
        # One width-1 filter and constant weights: every character embeds
        # to [1], the filter computes 2 * 1 + 0.5 = 2.5 at every position,
        # max-pool keeps 2.5, relu keeps it; no highway, no projection.
        layer = CharCNNEncoder(
            filters=[(1, 1)],
            embedding_dim=1,
            num_highway_layers=0,
            projection_dim=1,
        )
        layer.build((None, None, 50))
        layer.char_embed.embeddings.assign(np.ones((262, 1)))
        layer.convolutions[0].kernel.assign(np.full((1, 1, 1), 2.0))
        layer.convolutions[0].bias.assign(np.full((1,), 0.5))
        out = layer(batch_to_char_ids([["x"], []]))
        expected = np.array([[[2.5], [2.5], [2.5]], [[2.5], [2.5], [0.0]]])
        self.assertAllClose(out, expected)

    def test_tanh_activation(self):
        # Same constants as test_exact_output: tanh(2.5) instead of 2.5.
        layer = CharCNNEncoder(
            filters=[(1, 1)],
            embedding_dim=1,
            num_highway_layers=0,
            projection_dim=1,
            activation="tanh",
        )
        layer.build((None, None, 50))
        layer.char_embed.embeddings.assign(np.ones((262, 1)))
        layer.convolutions[0].kernel.assign(np.full((1, 1, 1), 2.0))
        layer.convolutions[0].bias.assign(np.full((1,), 0.5))
        out = layer(batch_to_char_ids([["x"]]))
        self.assertAllClose(out, np.full((1, 3, 1), np.tanh(2.5)))

    def test_masking(self):
        layer = CharCNNEncoder(**TINY)
        ids = batch_to_char_ids([["a", "bc"], ["def"]])
        mask = layer.compute_mask(ids)
        self.assertAllEqual(mask, [[1, 1, 1, 1], [1, 1, 1, 0]])
        out = layer(ids)
        self.assertAllClose(out[1, 3], np.zeros(4))
        # A symbolic call propagates the mask.
        inputs = keras.Input((None, 50), dtype="int32")
        self.assertIsNotNone(layer(inputs)._keras_mask)

    def test_invalid_args(self):
        with self.assertRaisesRegex(ValueError, "activation"):
            CharCNNEncoder(**TINY, activation="gelu")
        with self.assertRaisesRegex(ValueError, "filters"):
            CharCNNEncoder(**{**TINY, "filters": []})
        with self.assertRaisesRegex(ValueError, "exceeds"):
            CharCNNEncoder(**{**TINY, "filters": [(51, 2)]})
        with self.assertRaisesRegex(ValueError, "num_highway_layers"):
            CharCNNEncoder(**{**TINY, "num_highway_layers": -1})

    def test_invalid_inputs(self):
        layer = CharCNNEncoder(**TINY)
        ids = batch_to_char_ids([["a"]])
        with self.assertRaisesRegex(ValueError, r"in \[0, 261\]"):
            layer(ids + 261)
        with self.assertRaisesRegex(ValueError, "Received values in"):
            layer(ids - 300)
        with self.assertRaisesRegex(ValueError, "max_characters_per_token=50"):
            layer(ids[:, :, :20])
        with self.assertRaisesRegex(ValueError, "shape"):
            layer(ids[0])

    @pytest.mark.tensorflow_only("tf.function and tf.GradientTape")
    def test_xla_lookup_path_matches_matmul_path(self):
        # Under XLA at inference the convolutions are table lookups; in
        # eager mode and in training they are matmuls. Same function.
        import tensorflow as tf

        layer = CharCNNEncoder(
            filters=[(1, 4), (3, 8), (7, 16)],
            embedding_dim=4,
            num_highway_layers=1,
            projection_dim=8,
        )
        ids = batch_to_char_ids([["The", "cat", "sat"], ["Hello", "naïve"]])
        eager = layer(ids)
        lookup = tf.function(lambda x: layer(x), jit_compile=True)(ids)
        matmul = tf.function(
            lambda x: layer(x, training=True), jit_compile=True
        )(ids)
        self.assertAllClose(lookup, eager, atol=1e-5)
        self.assertAllClose(matmul, eager, atol=1e-5)

        def gradients(x):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(layer(x, training=False) ** 2)
            grads = tape.gradient(loss, layer.trainable_variables)
            return [tf.convert_to_tensor(g) for g in grads]  # dense

        for got, expected in zip(
            tf.function(gradients, jit_compile=True)(ids), gradients(ids)
        ):
            self.assertAllClose(got, expected, atol=1e-4)

    @pytest.mark.tensorflow_only("tf.GradientTape")
    def test_training_gathers_windows_with_the_same_gradients(self):
        # In training the windows are gathered from the character table
        # (a scatter-add gradient) instead of concatenated slices of the
        # embedded characters: same outputs, same gradients.
        import tensorflow as tf

        layer = CharCNNEncoder(**TINY)
        ids = batch_to_char_ids([["The", "cat", "sat"], ["Hello", "naïve"]])

        def outputs_and_gradients(training):
            with tf.GradientTape() as tape:
                outputs = layer(ids, training=training)
                loss = tf.reduce_sum(outputs**2)
            grads = tape.gradient(loss, layer.trainable_variables)
            return outputs, [tf.convert_to_tensor(g) for g in grads]

        gathered, gathered_grads = outputs_and_gradients(True)
        sliced, sliced_grads = outputs_and_gradients(False)
        self.assertAllClose(gathered, sliced, atol=1e-6)
        self.assertEqual(len(gathered_grads), len(sliced_grads))
        for got, expected in zip(gathered_grads, sliced_grads):
            self.assertAllClose(got, expected, atol=1e-5)


class CharCNNEncoderWordEmbeddingTest(TestCase):
    # ELMoForManyLangs' token embedder: a word table beside the CNN.
    WORDS = {**TINY, "word_vocabulary_size": 5, "word_embedding_dim": 2}

    def _ids(self):
        chars = batch_to_char_ids([["a", "bc"], ["def"]])  # (2, 4, 50)
        words = np.array([[1, 3, 4, 2], [1, 2, 2, 0]])[..., None]
        return np.concatenate([chars, words], axis=-1).astype("int32")

    def test_layer_behaviors(self):
        self.run_layer_test(
            cls=CharCNNEncoder,
            init_kwargs=self.WORDS,
            input_data=self._ids(),
            expected_output_shape=(2, 4, 4),
            # TINY's 11 plus the word table.
            expected_num_trainable_weights=12,
            run_training_check=False,
        )

    def test_exact_output(self):
        # Word vector [w] concatenated before the CNN feature 2.5 (see
        # test_exact_output above), projected by [[1], [10]]: w + 25.
        layer = CharCNNEncoder(
            filters=[(1, 1)],
            embedding_dim=1,
            num_highway_layers=0,
            projection_dim=1,
            word_vocabulary_size=3,
            word_embedding_dim=1,
        )
        self.assertEqual(layer.feature_dim, 2)
        layer.build((None, None, 51))
        layer.char_embed.embeddings.assign(np.ones((262, 1)))
        layer.convolutions[0].kernel.assign(np.full((1, 1, 1), 2.0))
        layer.convolutions[0].bias.assign(np.full((1,), 0.5))
        layer.word_embed.embeddings.assign(np.array([[0.0], [1.0], [2.0]]))
        layer.projection.kernel.assign(np.array([[1.0], [10.0]]))
        layer.projection.bias.assign(np.zeros(1))
        chars = batch_to_char_ids([["x", "y"]])  # (1, 4, 50)
        ids = np.concatenate([chars, [[[1], [2], [1], [1]]]], axis=-1)
        out = layer(ids.astype("int32"))
        self.assertAllClose(out, [[[26.0], [27.0], [26.0], [26.0]]])

    def test_masking(self):
        layer = CharCNNEncoder(**self.WORDS)
        ids = self._ids()
        self.assertAllEqual(
            layer.compute_mask(ids), [[1, 1, 1, 1], [1, 1, 1, 0]]
        )
        self.assertAllClose(layer(ids)[1, 3], np.zeros(4))

    def test_invalid_word_args(self):
        with self.assertRaisesRegex(ValueError, "both"):
            CharCNNEncoder(**{**TINY, "word_vocabulary_size": 5})
        with self.assertRaisesRegex(ValueError, ">= 0"):
            CharCNNEncoder(
                **{**TINY, "word_vocabulary_size": -1, "word_embedding_dim": 2}
            )
        layer = CharCNNEncoder(**self.WORDS)
        with self.assertRaisesRegex(ValueError, r"\+ 1 \(the word id\)"):
            layer(batch_to_char_ids([["a"]]))
        ids = self._ids()
        ids[0, 0, -1] = 5
        with self.assertRaisesRegex(ValueError, r"word ids .* \[0, 4\]"):
            layer(ids)
