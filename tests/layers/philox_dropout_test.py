import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_elmo.layers.philox_dropout import PhiloxDropout
from keras_elmo.layers.philox_dropout import philox_keep_mask
from tests.test_case import TestCase

_MASK32 = 0xFFFFFFFF


def _numpy_philox_words(n, key, counter_high):
    """The first `n` uint32 words of Philox-4x32-10 (Salmon et al., 2011).

    The 128-bit counter is (block, counter_high) as (low, high) 64-bit
    words; each block gives 4 words. Python ints, one round at a time.
    """
    words, block = [], 0
    while len(words) < n:
        c = [block & _MASK32, block >> 32]
        c += [counter_high & _MASK32, counter_high >> 32]
        k = [key & _MASK32, key >> 32]
        for _ in range(10):
            p0, p1 = 0xD2511F53 * c[0], 0xCD9E8D57 * c[2]
            c = [
                (p1 >> 32) ^ c[1] ^ k[0],
                p1 & _MASK32,
                (p0 >> 32) ^ c[3] ^ k[1],
                p0 & _MASK32,
            ]
            k = [(k[0] + 0x9E3779B9) & _MASK32, (k[1] + 0xBB67AE85) & _MASK32]
        words += c
        block += 1
    return np.array(words[:n], np.uint32)


class PhiloxDropoutTest(TestCase):
    def test_layer_behaviors(self):
        self.run_layer_test(
            cls=PhiloxDropout,
            init_kwargs={"rate": 0.5, "seed": 1},
            input_data=keras.random.uniform((2, 3, 4)),
            expected_output_shape=(2, 3, 4),
            expected_num_trainable_weights=0,
            call_kwargs={"training": True},
        )

    def test_invalid_args(self):
        with self.assertRaisesRegex(ValueError, "rate"):
            PhiloxDropout(1.5)

    def test_masking(self):
        # A Keras mask passes through; dropped entries are zeros, not masked.
        layer = PhiloxDropout(0.5, seed=1)
        mask = np.array([[True, False]])
        self.assertAllEqual(layer.compute_mask(np.ones((1, 2, 3)), mask), mask)

    def test_rate_one_drops_everything(self):
        x = np.ones((3, 4), "float32")
        self.assertAllClose(PhiloxDropout(1.0)(x, training=True), 0 * x)

    def test_inference_is_the_identity(self):
        x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
        self.assertAllClose(PhiloxDropout(0.3, seed=2)(x), x)

    @pytest.mark.tensorflow_only(reason="the Philox masks are TensorFlow's")
    def test_masks_are_philox_of_the_seed(self):
        # Against the NumPy Philox-4x32-10 below: key seed[0], counter
        # (element block, seed[1]), 4 words a block. 13 entries cross a
        # block boundary and leave a partial block.
        for seed in ([7, 0], [7, 3], [123456789, 2**40 + 5]):
            words = _numpy_philox_words(13, key=seed[0], counter_high=seed[1])
            for rate in (0.1, 0.5):
                threshold = np.uint32(round(rate * 2**32))
                mask = philox_keep_mask([13], rate, tf.constant(seed, tf.int64))
                self.assertAllEqual(mask, words >= threshold)

    @pytest.mark.tensorflow_only(reason="the Philox masks are TensorFlow's")
    def test_rate_scale_and_gradient(self):
        layer = PhiloxDropout(0.1, seed=3)
        x = tf.ones((200, 1000))
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
        dropped = float(tf.reduce_mean(tf.cast(y == 0, tf.float32)))
        # 200,000 draws: the standard error of the fraction is 0.00067.
        self.assertAllClose(dropped, 0.1, atol=0.003)
        kept = tf.boolean_mask(y, y != 0)
        self.assertAllClose(kept, tf.fill(tf.shape(kept), 1 / 0.9))
        # The gradient is the same mask and scale.
        self.assertAllClose(tape.gradient(y, x), y)

    @pytest.mark.tensorflow_only(reason="the Philox masks are TensorFlow's")
    def test_draws_are_fresh_and_seeded(self):
        x = tf.ones((64, 64))
        first, second = PhiloxDropout(0.5, seed=4), PhiloxDropout(0.5, seed=4)
        a, b = first(x, training=True), first(x, training=True)
        # The seed generator advances: a new mask at every call, and the two
        # masks are uncorrelated (0.5 of entries agree, up to noise).
        agree = float(tf.reduce_mean(tf.cast((a == 0) == (b == 0), tf.float32)))
        self.assertAllClose(agree, 0.5, atol=0.05)
        # The same seed replays the same masks.
        self.assertAllEqual(second(x, training=True), a)
        self.assertAllEqual(second(x, training=True), b)

    @pytest.mark.tensorflow_only(reason="the Philox masks are TensorFlow's")
    def test_xla_draws_the_masks_of_eager(self):
        x = tf.ones((8, 16, 32))
        eager = PhiloxDropout(0.2, seed=5)
        compiled = PhiloxDropout(0.2, seed=5)
        step = tf.function(
            lambda x: compiled(x, training=True), jit_compile=True
        )
        for _ in range(2):
            self.assertAllEqual(step(x), eager(x, training=True))

    def test_noise_shape_uses_the_stock_layer(self):
        x = np.ones((4, 5, 6), "float32")
        y = keras.ops.convert_to_numpy(
            PhiloxDropout(0.5, noise_shape=(4, 1, 6), seed=6)(x, training=True)
        )
        # One draw per (batch, feature), broadcast over the 5 positions.
        self.assertAllEqual(y, np.broadcast_to(y[:, :1], y.shape))
