import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_elmo.layers.bi_lm import BiLM
from tests.test_case import TestCase

TINY = {
    "units": 6,
    "projection_dim": 3,
    "cell_clip": 3.0,
    "projection_clip": 3.0,
}


class BiLMTest(TestCase):
    def test_layer_behaviors(self):
        self.run_layer_test(
            cls=BiLM,
            init_kwargs=TINY,
            input_data=keras.random.uniform((2, 4, 3)),
            expected_output_shape=(2, 3, 4, 6),
            expected_num_trainable_weights=16,
        )

    def test_layer_zero_is_duplicated_input(self):
        x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
        out = BiLM(**TINY)(x)
        self.assertAllClose(out[:, 0], np.concatenate([x, x], axis=-1))

    def test_padding_never_leaks(self):
        rng = np.random.default_rng(1)
        x = rng.normal(size=(2, 5, 3)).astype("float32")
        mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], bool)
        layer = BiLM(**TINY, num_layers=3, use_skip_connections=True)
        out = layer(x, mask=mask)
        # Garbage at padded positions changes nothing.
        noisy = x.copy()
        noisy[1, 3:] = 100.0
        self.assertAllClose(layer(noisy, mask=mask), out, atol=1e-6)
        # The short row alone gives the same values: the backward LSTM
        # starts at each row's own last token.
        alone = layer(x[1:, :3])
        self.assertAllClose(out[1, :, :3], alone[0], atol=1e-6)
        self.assertAllClose(out[1, :, 3:], np.zeros((4, 2, 6)))

    def test_mask_from_keras_masking(self):
        inputs = keras.Input((None, 3))
        masked = keras.layers.Masking()(inputs)
        outputs = BiLM(**TINY)(masked)
        model = keras.Model(inputs, outputs)
        x = np.ones((1, 3, 3), "float32")
        x[0, 2] = 0.0
        self.assertAllClose(model(x)[0, :, 2], np.zeros((3, 6)))

    def test_skip_connections(self):
        x = np.random.default_rng(2).normal(size=(1, 4, 3)).astype("float32")
        plain = BiLM(**TINY)
        skip = BiLM(**TINY, use_skip_connections=True)
        plain.build(x.shape)
        skip.build(x.shape)
        skip.set_weights(plain.get_weights())
        a, b = plain(x), skip(x)
        self.assertAllClose(a[:, :2], b[:, :2])  # below layer 2: no skip
        self.assertAllClose(b[:, 2], a[:, 2] + a[:, 1], atol=1e-6)

    def test_stateful_carries_state_for_rows_up_to_batch_size(self):
        x = np.random.default_rng(3).normal(size=(3, 4, 3)).astype("float32")
        layer = BiLM(**TINY, stateful=True, max_batch_size=4)
        first = layer(x)
        second = layer(x)
        self.assertNotAllClose(first, second)
        stored = [v.numpy() for v in layer.non_trainable_weights]
        self.assertLen(stored, 8)  # (h, c) x 2 layers x 2 directions
        for value in stored:
            self.assertAllClose(value[3], np.zeros_like(value[3]))
        # A batch of one updates row 0 only.
        layer(x[:1])
        for before, variable in zip(stored, layer.non_trainable_weights):
            self.assertAllClose(variable.numpy()[1:], before[1:])
        layer.reset_states()
        self.assertAllClose(layer(x), first)

    def test_stateless_by_default(self):
        x = np.random.default_rng(4).normal(size=(2, 4, 3)).astype("float32")
        layer = BiLM(**TINY)
        self.assertAllClose(layer(x), layer(x))
        self.assertEmpty(layer.non_trainable_weights)

    def test_dropout_only_in_training(self):
        x = np.ones((2, 4, 3), "float32")
        layer = BiLM(**TINY, dropout=0.5)
        self.assertAllClose(layer(x), layer(x))
        self.assertNotAllClose(layer(x, training=True), layer(x))

    @pytest.mark.tensorflow_only("tf.function(jit_compile=True)")
    def test_compiles_with_xla(self):
        x = np.random.default_rng(5).normal(size=(2, 4, 3)).astype("float32")
        mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], bool)
        layer = BiLM(**TINY)
        compiled = tf.function(lambda a, m: layer(a, mask=m), jit_compile=True)
        self.assertAllClose(compiled(x, mask), layer(x, mask=mask), atol=1e-6)

    def test_invalid_args(self):
        with self.assertRaisesRegex(ValueError, "num_layers"):
            BiLM(**TINY, num_layers=0)
        with self.assertRaisesRegex(ValueError, "dropout"):
            BiLM(**TINY, dropout=1.5)
        with self.assertRaisesRegex(ValueError, "LSTM output size"):
            BiLM(**TINY)(np.zeros((1, 2, 5), "float32"))
        with self.assertRaisesRegex(ValueError, "max_batch_size=2"):
            BiLM(**TINY, stateful=True, max_batch_size=2)(
                np.zeros((3, 2, 3), "float32")
            )


class BiLMForgetBiasTest(TestCase):
    def test_forget_bias_reaches_every_lstm(self):
        bilm = BiLM(units=4, projection_dim=2, num_layers=2, forget_bias=0.0)
        self.assertEqual(bilm.get_config()["forget_bias"], 0.0)
        for direction in ("forward", "backward"):
            for lstm in bilm.lstms[direction]:
                self.assertEqual(lstm.forget_bias, 0.0)

    def test_stored_forget_bias_equals_run_time_one(self):
        # forget_bias=0 with +1 in the stored forget-gate bias (AllenNLP)
        # is the same LSTM as forget_bias=1 without it (TF1).
        inputs = np.random.default_rng(0).normal(size=(2, 3, 2))
        inputs = inputs.astype("float32")
        tf1 = BiLM(units=4, projection_dim=2, num_layers=1)
        allen = BiLM(units=4, projection_dim=2, num_layers=1, forget_bias=0.0)
        tf1.build(inputs.shape)
        allen.build(inputs.shape)
        weights = tf1.get_weights()
        shifted = []
        for w in weights:
            if w.shape == (16,):  # bias: gates i, f, c, o of 4 units each
                w = w.copy()
                w[4:8] += 1.0
            shifted.append(w)
        allen.set_weights(shifted)
        self.assertAllClose(allen(inputs), tf1(inputs), atol=1e-6)
