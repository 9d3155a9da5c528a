"""Dropout whose TensorFlow masks cost what drawing random bits costs."""

import keras

from keras_elmo.api_export import keras_elmo_serializable

# Philox-4x32-10, the algorithm of TensorFlow's stateless ops on CPU/GPU
# (`tf.random.Algorithm.PHILOX`).
_PHILOX = 1


def philox_keep_mask(shape, rate, seed):
    """A boolean keep-mask, each entry kept with probability `1 - rate`.

    TensorFlow only. The mask is Philox-4x32-10 with the seed itself as its
    key and counter: the key is `seed[0]` and the high 64 bits of the
    counter are `seed[1]` (which a `keras.random.SeedGenerator` advances at
    every draw), so each draw reads its own block of 2**64 counters and
    never overlaps another. `tf.nn.experimental.stateless_dropout` (what
    `keras.layers.Dropout` uses) first scrambles the seed into a key and
    counter with `StatelessRandomGetKeyCounter`; under XLA on CPU that
    derivation is fused into the mask's element loop, where it is paid for
    every element. In the biLM's training step (six 327,680-element masks)
    that took 0.29 s of a 1.65 s step; drawn this way the masks cost no more
    than a step without randomness (docs/performance.md).

    Args:
        shape: the mask's shape (a list, or an int32 tensor).
        rate: float in `(0, 1)`. The probability of dropping an entry
            (to 2**-32).
        seed: int tensor `[2]`, from `keras.random.SeedGenerator.next()`.

    Returns:
        bool tensor of `shape`.

    Example:

    >>> seed = keras.random.SeedGenerator(7).next()
    >>> mask = philox_keep_mask([4, 5], 0.1, seed)  # (4, 5), ~90% True
    """
    import tensorflow as tf  # here: the layers import no backend at load

    seed = tf.cast(seed, tf.int64)
    key = tf.bitcast(seed[:1], tf.uint64)  # [1]
    # Counter (low, high) 64-bit words; the element index adds to the low.
    counter = tf.bitcast(
        tf.stack([tf.zeros((), tf.int64), seed[1]]), tf.uint64
    )  # [2]
    bits = tf.raw_ops.StatelessRandomUniformFullIntV2(
        shape=tf.reshape(tf.reduce_prod(shape), [1]),
        key=key,
        counter=counter,
        alg=_PHILOX,
        dtype=tf.uint32,
    )  # [size]
    threshold = tf.constant(min(round(rate * 2**32), 2**32 - 1), tf.uint32)
    return tf.reshape(bits >= threshold, shape)


@keras_elmo_serializable
class PhiloxDropout(keras.layers.Dropout):
    """`keras.layers.Dropout`, with masks that stay cheap under XLA on CPU.

    The same layer as `keras.layers.Dropout` (arguments, seed generator,
    saved variables and `1 / (1 - rate)` scaling); on the TensorFlow
    backend, without a `noise_shape`, its masks come from
    `philox_keep_mask` (the seed used as Philox key and counter as they
    are). Under XLA on CPU the stock masks made a biLM training step 1.2x
    slower; these cost about what a step without dropout costs. The random
    stream differs from `keras.layers.Dropout`'s for the same seed. Other
    backends, and a `noise_shape`, use the stock layer (as does `rate=1`,
    which drops everything).

    Args:
        rate: float in `[0, 1]`. The fraction of entries dropped.
        noise_shape: optional mask shape (broadcast to the inputs' shape).
            Defaults to `None`, the inputs' shape.
        seed: int or `None`. Seed of the layer's
            `keras.random.SeedGenerator`. Defaults to `None`.
        **kwargs: other `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor of any shape.
        training: bool. Drops entries only when `True`.

    Masking: the Keras mask of the inputs passes through unchanged.

    Example:

    ```python
    layer = keras_elmo.layers.PhiloxDropout(0.1, seed=1)
    outputs = layer(keras.random.uniform((2, 3, 8)), training=True)
    ```

    Reference:
        - [Salmon et al., 2011](https://doi.org/10.1145/2063384.2063405)
          (Philox)
    """

    def call(self, inputs, training=False):
        uses_philox = (
            training
            and 0 < self.rate < 1
            and self.noise_shape is None
            and keras.config.backend() == "tensorflow"
        )
        if not uses_philox:
            return super().call(inputs, training=training)
        import tensorflow as tf

        keep = philox_keep_mask(
            tf.shape(inputs), self.rate, self.seed_generator.next()
        )  # same shape as inputs
        scale = tf.cast(1.0 / (1.0 - self.rate), inputs.dtype)
        return tf.where(keep, inputs * scale, tf.zeros_like(inputs))
