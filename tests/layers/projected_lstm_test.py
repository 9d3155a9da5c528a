import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_elmo.layers.projected_lstm import ProjectedLSTM
from tests.test_case import TestCase


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def numpy_lstm(x, kernel, recurrent, bias, projection, cell_clip, proj_clip):
    """TF1 LSTMCell(num_proj) over a sequence; gates in Keras order i,f,c,o."""
    batch, units = x.shape[0], bias.shape[0] // 4
    h = np.zeros((batch, projection.shape[1]))
    c = np.zeros((batch, units))
    outputs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = np.split(z, 4, axis=-1)
        c = np.clip(
            _sigmoid(f + 1.0) * c + _sigmoid(i) * np.tanh(g),
            -cell_clip,
            cell_clip,
        )
        h = np.clip(
            (_sigmoid(o) * np.tanh(c)) @ projection, -proj_clip, proj_clip
        )
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


class ProjectedLSTMTest(TestCase):
    def test_layer_behaviors(self):
        self.run_layer_test(
            cls=ProjectedLSTM,
            init_kwargs={"units": 6, "projection_dim": 3, "cell_clip": 1.0},
            input_data=keras.random.uniform((2, 4, 5)),
            expected_output_shape=((2, 4, 3), (2, 3), (2, 6)),
            expected_num_trainable_weights=4,
        )

    def test_matches_tf1_lstm_cell_semantics(self):
        rng = np.random.default_rng(1)
        layer = ProjectedLSTM(
            4, projection_dim=3, cell_clip=0.5, projection_clip=0.2
        )
        x = rng.normal(size=(2, 5, 3)).astype("float32")
        layer.build(x.shape)
        weights = [rng.normal(size=w.shape) for w in layer.weights]
        layer.set_weights(weights)
        outputs, h, c = layer(x)
        expected = numpy_lstm(x, *weights, cell_clip=0.5, proj_clip=0.2)
        self.assertAllClose(outputs, expected[0], atol=1e-5)
        self.assertAllClose(h, expected[1], atol=1e-5)
        self.assertAllClose(c, expected[2], atol=1e-5)
        # The clips are active in this example.
        self.assertAllClose(keras.ops.max(keras.ops.abs(outputs)), 0.2)

    def test_masking_and_go_backwards(self):
        rng = np.random.default_rng(2)
        x = rng.normal(size=(2, 4, 3)).astype("float32")
        mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], bool)
        for go_backwards in (False, True):
            layer = ProjectedLSTM(
                4, projection_dim=2, go_backwards=go_backwards
            )
            outputs, h, c = layer(x, mask=mask)
            # Row 1 alone, without padding, gives the same real outputs and
            # final state: padding neither leaks nor moves the start.
            alone, h_alone, c_alone = layer(x[1:, :2])
            self.assertAllClose(outputs[1, :2], alone[0], atol=1e-6)
            self.assertAllClose(h[1], h_alone[0], atol=1e-6)
            self.assertAllClose(c[1], c_alone[0], atol=1e-6)
            self.assertAllClose(outputs[1, 2:], np.zeros((2, 2)))
        # Backwards equals forwards over the reversed sequence, reversed.
        backward = ProjectedLSTM(4, projection_dim=2, go_backwards=True)
        forward = ProjectedLSTM(4, projection_dim=2)
        forward.build(x.shape)
        backward.build(x.shape)
        backward.set_weights(forward.get_weights())
        self.assertAllClose(
            backward(x)[0],
            keras.ops.flip(forward(x[:, ::-1])[0], axis=1),
            atol=1e-6,
        )

    def test_initial_state(self):
        layer = ProjectedLSTM(4, projection_dim=2)
        x = np.zeros((1, 1, 3), "float32")
        start = [np.ones((1, 2), "float32"), np.ones((1, 4), "float32")]
        self.assertNotAllClose(layer(x, initial_state=start)[0], layer(x)[0])

    @pytest.mark.tensorflow_only("tf.function(jit_compile=True)")
    def test_compiles_with_xla(self):
        layer = ProjectedLSTM(4, projection_dim=2, cell_clip=1.0)
        x = np.random.default_rng(3).normal(size=(2, 6, 3)).astype("float32")
        mask = np.array([[1] * 6, [1] * 3 + [0] * 3], bool)
        eager = layer(x, mask=mask)[0]
        compiled = tf.function(
            lambda a, m: layer(a, mask=m)[0], jit_compile=True
        )
        self.assertAllClose(compiled(x, mask), eager, atol=1e-6)

    def test_no_projection(self):
        layer = ProjectedLSTM(4)
        outputs, h, c = layer(np.zeros((1, 2, 3), "float32"))
        self.assertEqual(tuple(outputs.shape), (1, 2, 4))
        self.assertIsNone(layer.projection_kernel)

    def test_invalid_args(self):
        with self.assertRaisesRegex(ValueError, "units"):
            ProjectedLSTM(0)
        with self.assertRaisesRegex(ValueError, "cell_clip"):
            ProjectedLSTM(4, cell_clip=-1.0)
        with self.assertRaisesRegex(ValueError, "projection_dim"):
            ProjectedLSTM(4, projection_dim=0)
