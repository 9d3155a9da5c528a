import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from keras_elmo.layers.weighted_layer_mix import WeightedLayerMix
from tests.test_case import TestCase


def numpy_softmax(w):
    e = np.exp(w - np.max(w))
    return e / e.sum()


def numpy_layer_norm(layer, mask):
    """bilm-tf `_do_ln` in NumPy, for one layer `(batch, tokens, dim)`."""
    real = layer[mask.astype(bool)]  # (num_real_tokens, dim)
    mean = real.mean()
    variance = ((real - mean) ** 2).mean()
    return (layer - mean) / np.sqrt(variance + 1e-12)


def numpy_mix(x, scalar_weights, gamma=1.0, mask=None, do_layer_norm=False):
    """ELMo eq. 1 over `x` of shape `(batch, num_layers, tokens, dim)`."""
    if mask is None:
        mask = np.ones((x.shape[0], x.shape[2]), bool)
    # bilm-tf adds 1 / num_layers before the softmax, which changes nothing.
    weights = numpy_softmax(np.asarray(scalar_weights) + 1.0 / x.shape[1])
    total = 0.0
    for j, w in enumerate(weights):
        layer = x[:, j]  # (batch, tokens, dim)
        if do_layer_norm:
            layer = numpy_layer_norm(layer, mask)
        total = total + w * layer
    return gamma * total


class WeightedLayerMixTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(1)
        # (batch=2, num_layers=3, tokens=5, dim=4)
        self.x = rng.normal(size=(2, 3, 5, 4)).astype("float32")
        self.mask = np.array(
            [[True, True, True, False, False], [True] * 5], dtype=bool
        )

    def test_layer_behaviors(self):
        self.run_layer_test(
            cls=WeightedLayerMix,
            init_kwargs={"num_layers": 3},
            input_data=self.x,
            expected_output_shape=(2, 5, 4),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
        )

    def test_layer_behaviors_with_options(self):
        self.run_layer_test(
            cls=WeightedLayerMix,
            init_kwargs={
                "num_layers": None,
                "do_layer_norm": True,
                "dropout": 0.1,
                "l2_coef": 0.01,
            },
            input_data=self.x,
            call_kwargs={"mask": self.mask},
            expected_output_shape=(2, 5, 4),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
        )

    def test_layer_behaviors_fixed_weights(self):
        self.run_layer_test(
            cls=WeightedLayerMix,
            init_kwargs={"initial_scalar_weights": [0.5, 0.0, -0.5]},
            input_data=self.x,
            expected_output_shape=(2, 5, 4),
            expected_num_trainable_weights=1,
            expected_num_non_trainable_weights=1,
        )

    def test_layer_behaviors_num_outputs(self):
        self.run_layer_test(
            cls=WeightedLayerMix,
            init_kwargs={"num_layers": 3, "num_outputs": 2},
            input_data=self.x,
            expected_output_shape=[(2, 5, 4), (2, 5, 4)],
            expected_num_trainable_weights=4,
            expected_num_non_trainable_weights=0,
        )

    def test_hand_computed_values(self):
        # Layer 0 is all 1, layer 1 all 3; softmax([0, log 3]) = [1/4, 3/4].
        x = np.stack([np.ones((1, 2, 2)), 3 * np.ones((1, 2, 2))], axis=1)
        cases = [
            ([0.0, 0.0], 1.0, 2.0),
            ([0.0, np.log(3.0)], 1.0, 2.5),
            ([0.0, np.log(3.0)], 2.0, 5.0),
        ]
        for scalar_weights, gamma, expected in cases:
            layer = WeightedLayerMix(initial_scalar_weights=scalar_weights)
            layer.build(x.shape)
            layer.gammas[0].assign([gamma])
            self.assertAllClose(
                layer(x.astype("float32")), np.full((1, 2, 2), expected)
            )

    def test_correctness_against_numpy(self):
        scalar_weights = [0.3, -0.7, 1.1]
        layer = WeightedLayerMix(initial_scalar_weights=scalar_weights)
        layer.build(self.x.shape)
        layer.gammas[0].assign([1.7])
        expected = numpy_mix(self.x, scalar_weights, gamma=1.7)
        self.assertAllClose(layer(self.x), expected, atol=1e-6, rtol=1e-6)

    def test_masked_layer_norm(self):
        scalar_weights = [0.3, -0.7, 1.1]
        layer = WeightedLayerMix(
            initial_scalar_weights=scalar_weights, do_layer_norm=True
        )
        outputs = layer(self.x, mask=self.mask)
        expected = numpy_mix(
            self.x, scalar_weights, mask=self.mask, do_layer_norm=True
        )
        self.assertAllClose(outputs, expected, atol=1e-5, rtol=1e-5)

        # The statistics ignore the values stored at padded positions.
        changed = self.x.copy()
        changed[0, :, 3:] = 1000.0
        changed_outputs = layer(changed, mask=self.mask)
        real = self.mask.astype(bool)
        self.assertAllClose(
            ops.convert_to_numpy(changed_outputs)[real],
            ops.convert_to_numpy(outputs)[real],
            atol=1e-5,
            rtol=1e-5,
        )

    def test_layer_norm_without_mask_uses_all_positions(self):
        layer = WeightedLayerMix(num_layers=3, do_layer_norm=True)
        expected = numpy_mix(self.x, [0.0, 0.0, 0.0], do_layer_norm=True)
        self.assertAllClose(layer(self.x), expected, atol=1e-5, rtol=1e-5)

    def test_mask_in_functional_model(self):
        # (batch, num_layers, tokens, dim) with a (batch, tokens) keras mask.
        layer = WeightedLayerMix(num_layers=3, do_layer_norm=True)
        inputs = keras.Input((3, 5, 4))
        mask = keras.Input((5,), dtype="bool")
        model = keras.Model([inputs, mask], layer(inputs, mask=mask))
        expected = numpy_mix(
            self.x, [0.0] * 3, mask=self.mask, do_layer_norm=True
        )
        self.assertAllClose(
            model([self.x, self.mask]), expected, atol=1e-5, rtol=1e-5
        )
        self.assertIs(layer.compute_mask(self.x, self.mask), self.mask)
        two = WeightedLayerMix(num_layers=3, num_outputs=2)
        self.assertEqual(
            two.compute_mask(self.x, self.mask), [self.mask, self.mask]
        )

    def test_saved_model_round_trip(self):
        inputs = keras.Input((3, None, 4))
        outputs = WeightedLayerMix(num_outputs=2, do_layer_norm=True)(inputs)
        model = keras.Model(inputs, outputs)
        model.layers[-1].scalar_weights[1].assign([0.5, -1.0, 2.0])
        path = self.get_temp_dir() + "/mix.keras"
        model.save(path)
        restored = keras.saving.load_model(path)
        self.assertAllClose(restored(self.x), model(self.x))

    def test_empty_and_fully_masked_inputs_are_finite(self):
        layer = WeightedLayerMix(num_layers=3, do_layer_norm=True)
        empty = np.zeros((2, 3, 0, 4), "float32")
        self.assertEqual(
            tuple(layer(empty, mask=np.zeros((2, 0), bool)).shape), (2, 0, 4)
        )
        padded = np.zeros((2, 3, 5, 4), "float32")
        outputs = layer(padded, mask=np.zeros((2, 5), bool))
        self.assertAllEqual(
            keras.ops.isfinite(outputs), np.ones((2, 5, 4), bool)
        )

    def test_l2_loss(self):
        layer = WeightedLayerMix(num_layers=3, l2_coef=0.01)
        layer.build(self.x.shape)
        layer.scalar_weights[0].assign([1.0, -2.0, 3.0])
        layer(self.x)
        # bilm-tf: l2_coef * reduce_sum(square(w)) = 0.01 * (1 + 4 + 9).
        self.assertLen(layer.losses, 1)
        self.assertAllClose(layer.losses[0], 0.14)

        no_penalty = [
            WeightedLayerMix(num_layers=3),
            WeightedLayerMix(num_layers=3, l2_coef=0.01, use_top_only=True),
            WeightedLayerMix(initial_scalar_weights=[1.0] * 3, l2_coef=0.01),
        ]
        for layer in no_penalty:
            layer(self.x)
            self.assertEmpty(layer.losses)

    @pytest.mark.tensorflow_only("tf.GradientTape")
    def test_gradients_reach_scalar_weights_and_gamma(self):
        layer = WeightedLayerMix(num_layers=3, do_layer_norm=True)
        layer.build(self.x.shape)
        layer.scalar_weights[0].assign([0.1, 0.2, -0.3])
        target = np.ones((2, 5, 4), "float32")
        with tf.GradientTape() as tape:
            outputs = layer(self.x, mask=self.mask, training=True)
            loss = ops.sum(ops.square(outputs - target))
        weights = [layer.scalar_weights[0], layer.gammas[0]]
        self.assertEqual(layer.trainable_weights, weights)
        grads = tape.gradient(loss, weights)
        for grad in grads:
            self.assertIsNotNone(grad)
            self.assertGreater(float(ops.max(ops.abs(grad))), 0.0)

    def test_fixed_weights_are_not_trainable(self):
        layer = WeightedLayerMix(initial_scalar_weights=[0.1, 0.2, 0.3])
        layer.build(self.x.shape)
        self.assertEqual(layer.trainable_weights, [layer.gammas[0]])
        self.assertEqual(layer.non_trainable_weights, [layer.scalar_weights[0]])
        self.assertAllClose(layer.scalar_weights[0], [0.1, 0.2, 0.3])

        frozen = WeightedLayerMix(
            initial_scalar_weights=[0.1, 0.2, 0.3], trainable_gamma=False
        )
        frozen.build(self.x.shape)
        self.assertEmpty(frozen.trainable_weights)
        self.assertLen(frozen.non_trainable_weights, 2)

    def test_use_top_only(self):
        layer = WeightedLayerMix(num_layers=3, use_top_only=True)
        layer.build(self.x.shape)
        self.assertEmpty(layer.scalar_weights)
        self.assertEqual(layer.trainable_weights, [layer.gammas[0]])
        self.assertAllClose(layer(self.x), self.x[:, -1])
        # bilm-tf still scales the top layer by gamma.
        layer.gammas[0].assign([2.0])
        self.assertAllClose(layer(self.x), 2.0 * self.x[:, -1])

    def test_num_outputs_have_independent_weights(self):
        layer = WeightedLayerMix(num_layers=3, num_outputs=2)
        layer.build(self.x.shape)
        self.assertEqual(
            [w.name for w in layer.weights],
            ["scalar_weights_0", "gamma_0", "scalar_weights_1", "gamma_1"],
        )
        layer.scalar_weights[0].assign([1.0, 0.0, -1.0])
        layer.scalar_weights[1].assign([-2.0, 0.5, 0.0])
        layer.gammas[1].assign([0.5])
        first, second = layer(self.x)
        self.assertAllClose(first, numpy_mix(self.x, [1.0, 0.0, -1.0]))
        self.assertAllClose(
            second, numpy_mix(self.x, [-2.0, 0.5, 0.0], gamma=0.5)
        )

    def test_dropout_only_in_training(self):
        layer = WeightedLayerMix(num_layers=3, dropout=0.5)
        expected = numpy_mix(self.x, [0.0] * 3)
        self.assertAllClose(layer(self.x), expected)
        dropped = ops.convert_to_numpy(layer(self.x, training=True))
        zeros = dropped == 0.0
        self.assertTrue(zeros.any())
        self.assertAllClose(dropped[~zeros], 2.0 * expected[~zeros])

    def test_mixed_bfloat16(self):
        layer = WeightedLayerMix(
            num_layers=3, do_layer_norm=True, dtype="mixed_bfloat16"
        )
        outputs = layer(self.x, mask=self.mask)
        self.assertEqual(
            keras.backend.standardize_dtype(outputs.dtype), "bfloat16"
        )
        for weight in layer.weights:
            self.assertEqual(weight.dtype, "float32")
        expected = numpy_mix(
            self.x, [0.0] * 3, mask=self.mask, do_layer_norm=True
        )
        self.assertAllClose(
            ops.cast(outputs, "float32"), expected, atol=2e-2, rtol=2e-2
        )

    def test_invalid_args(self):
        cases = [
            ({"num_layers": 0}, "num_layers=0"),
            ({"num_layers": -2}, "num_layers=-2"),
            ({"num_layers": 2.5}, "num_layers=2.5"),
            (
                {"num_layers": 3, "initial_scalar_weights": [0.0, 1.0]},
                r"initial_scalar_weights=\[0.0, 1.0\]",
            ),
            ({"num_layers": 3, "dropout": -0.1}, "dropout=-0.1"),
            ({"num_layers": 3, "dropout": 1.0}, "dropout=1.0"),
            ({"num_layers": 3, "l2_coef": -1.0}, "l2_coef=-1.0"),
            ({"num_layers": 3, "num_outputs": 0}, "num_outputs=0"),
            (
                {"initial_scalar_weights": [0.0], "use_top_only": True},
                "use_top_only",
            ),
        ]
        for kwargs, message in cases:
            with self.assertRaisesRegex(ValueError, message):
                WeightedLayerMix(**kwargs)

    def test_invalid_input_shapes(self):
        with self.assertRaisesRegex(ValueError, r"inputs_shape=\(2, 4, 5, 4\)"):
            WeightedLayerMix(num_layers=3).build((2, 4, 5, 4))
        with self.assertRaisesRegex(ValueError, "initial_scalar_weights="):
            WeightedLayerMix(initial_scalar_weights=[0.0, 1.0]).build(
                (2, 3, 5, 4)
            )
        with self.assertRaisesRegex(ValueError, r"inputs_shape=\(2, 5, 4\)"):
            WeightedLayerMix(num_layers=3).build((2, 5, 4))
        with self.assertRaisesRegex(ValueError, "axis 1 of the inputs"):
            WeightedLayerMix().build((2, None, 5, 4))
