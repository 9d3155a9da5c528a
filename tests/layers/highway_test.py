import keras
import numpy as np

from keras_elmo.layers.highway import Highway
from tests.test_case import TestCase


class HighwayTest(TestCase):
    def test_layer_behaviors(self):
        self.run_layer_test(
            cls=Highway,
            init_kwargs={},
            input_data=keras.random.uniform((2, 3, 4)),
            expected_output_shape=(2, 3, 4),
            expected_num_trainable_weights=4,
        )

    def test_exact_gate_semantics(self):
        # The "carry" gate multiplies the transform, as in bilm-tf:
        # g = sigmoid(x Wc + bc) = sigmoid(0 + 0) = 0.5,
        # t = relu(x Wt + bt) = relu(2 * x + 1), y = g * t + (1 - g) * x.
        layer = Highway()
        layer.build((None, 2))
        layer.carry_kernel.assign(np.zeros((2, 2)))
        layer.carry_bias.assign(np.zeros(2))
        layer.transform_kernel.assign(2 * np.eye(2))
        layer.transform_bias.assign(np.ones(2))
        x = np.array([[1.0, -2.0]], "float32")
        expected = np.array([[0.5 * 3.0 + 0.5 * 1.0, 0.5 * 0.0 + 0.5 * -2.0]])
        self.assertAllClose(layer(x), expected)

    def test_carry_bias_starts_at_minus_two_as_bilm_tf(self):
        layer = Highway()
        layer.build((None, 3))
        self.assertAllClose(layer.carry_bias, np.full(3, -2.0))
        custom = Highway.from_config(
            Highway(carry_bias_initializer="zeros").get_config()
        )
        custom.build((None, 3))
        self.assertAllClose(custom.carry_bias, np.zeros(3))

    def test_unknown_dimension_raises(self):
        with self.assertRaisesRegex(ValueError, "last dimension"):
            Highway().build((None, None))
