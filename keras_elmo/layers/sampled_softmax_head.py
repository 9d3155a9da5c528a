"""The biLM softmax: sampled softmax in training, full softmax otherwise."""

import math

import keras
import numpy as np
from keras import ops

from keras_elmo.api_export import keras_elmo_serializable
from keras_elmo.layers.softmax_losses import default_num_draws
from keras_elmo.layers.softmax_losses import full_softmax_loss
from keras_elmo.layers.softmax_losses import sampled_softmax_loss
from keras_elmo.layers.softmax_losses import softmax_logits
from keras_elmo.utils.validation import check_positive_int


@keras_elmo_serializable
class SampledSoftmaxHead(keras.layers.Layer):
    """Softmax over the word vocabulary that scores the biLM's predictions.

    Owns the softmax weights `softmax_weights` (shape
    `(vocab_size, hidden_dim)`) and `softmax_bias` (shape `(vocab_size,)`),
    shared by the forward LM (which predicts the next token) and the
    backward LM (which predicts the previous one), as in bilm-tf. It returns
    the negative log-likelihood of each target token:

    - in training, the sampled softmax loss of bilm-tf
      (`tf.nn.sampled_softmax_loss` with a log-uniform sampler): one set of
      at most `num_negative_samples` distinct negative words per call,
      drawn from the log-uniform (Zipf) distribution over ids sorted by
      decreasing frequency, logits corrected by the log of the expected
      counts, accidental hits removed. The sampler is written with plain
      tensor ops so that a whole train step compiles with
      `jit_compile=True`; see `keras_elmo.layers.softmax_losses` for the
      sampling scheme and its exact correction. Each call draws new
      negatives, so calling the layer once per direction samples each
      direction separately, as bilm-tf does;
    - otherwise (evaluation, inference), the exact full-softmax loss.

    If `num_negative_samples >= vocab_size`, the full softmax is used in
    training too: every word would be a negative, and the exact loss is no
    more expensive than the sampled one.

    The softmax is computed in float32 under every dtype policy (the
    weights are float32 and not autocast), and the losses and logits are
    returned in float32, as Keras losses are under mixed precision.

    The weights are named `W` and `b` (bilm-tf's `softmax/W` and
    `softmax/b`; with `name="softmax"` their paths are exactly
    `softmax/W` and `softmax/b`).

    Args:
        vocab_size: int. Number of words; ids are in `[0, vocab_size)`,
            sorted by decreasing frequency for the log-uniform sampler to
            fit.
        num_negative_samples: int. Number of negative samples per call in
            training (bilm-tf's `n_negative_samples_batch`). Defaults to
            `8192`.
        kernel_initializer: initializer for `softmax_weights`, or None for
            bilm-tf's `RandomNormal(stddev=1 / sqrt(hidden_dim))`. Defaults
            to `None`.
        seed: int or None. Seed of the negative sampler. Defaults to `None`.
        sampler_dtype: `"float64"` or `"float32"`. Precision of the
            sampler's inverse CDF; `"float32"` uses no float64 op, for TPUs.
            On JAX without `jax_enable_x64`, `"float64"` uses the float32
            scheme (see `keras_elmo.layers.softmax_losses`). Defaults to
            `"float64"`.
        **kwargs: other `keras.layers.Layer` arguments (`name`, `dtype`,
            ...).

    Call arguments:
        hidden: float tensor of shape `(batch, tokens, hidden_dim)`: the
            biLM outputs of one direction.
        labels: int tensor of shape `(batch, tokens)`: the ids of the target
            words; `-1` (any negative id) marks a position without a target.
        training: bool. Sampled softmax if `True`, full softmax otherwise.

    Returns:
        float32 tensor of shape `(batch, tokens)`: the per-token negative
        log-likelihood, 0 where `labels < 0`. Reduce it with
        `keras_elmo.layers.softmax_losses.masked_mean(losses, labels)`.

    Masking: positions are masked through `labels` only (`-1`); they get a
    loss of 0 and no gradient. Keras masks on `hidden` are not used.

    Example:

    ```python
    head = keras_elmo.layers.SampledSoftmaxHead(vocab_size=1000,
                                                num_negative_samples=64)
    hidden = keras.random.normal((2, 5, 16))
    labels = keras.ops.array([[3, 8, 1, -1, -1], [5, 0, 9, 2, 4]])
    losses = head(hidden, labels, training=True)  # (2, 5)
    logits = head.logits(hidden)  # (2, 5, 1000)
    ```

    Reference:
        - [Peters et al., 2018](https://arxiv.org/abs/1802.05365)
        - [Jean et al., 2015](https://arxiv.org/abs/1412.2007)
    """

    def __init__(
        self,
        vocab_size,
        num_negative_samples=8192,
        kernel_initializer=None,
        seed=None,
        sampler_dtype="float64",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if sampler_dtype not in ("float64", "float32"):
            raise ValueError(
                "`sampler_dtype` must be 'float64' or 'float32'. Received: "
                f"sampler_dtype={sampler_dtype!r}"
            )
        self.sampler_dtype = sampler_dtype
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        self.num_negative_samples = check_positive_int(
            num_negative_samples, "num_negative_samples"
        )
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
        ):
            raise ValueError(
                f"`seed` must be an int or None. Received: seed={seed!r}"
            )
        self.seed = None if seed is None else int(seed)
        self.kernel_initializer = (
            None
            if kernel_initializer is None
            else keras.initializers.get(kernel_initializer)
        )
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    @property
    def uses_sampling(self):
        """Whether training uses the sampled softmax (fewer than V samples)."""
        return self.num_negative_samples < self.vocab_size

    def build(self, hidden_shape, labels_shape=None):
        hidden_dim = hidden_shape[-1]
        if hidden_dim is None:
            raise ValueError(
                "The last dimension of `hidden` must be known. Received: "
                f"hidden_shape={hidden_shape}"
            )
        initializer = self.kernel_initializer
        if initializer is None:
            # bilm-tf: random_normal_initializer(0.0, 1 / sqrt(softmax_dim)).
            initializer = keras.initializers.RandomNormal(
                stddev=1.0 / math.sqrt(hidden_dim)
            )
        self.softmax_weights = self.add_weight(
            name="W",
            shape=(self.vocab_size, hidden_dim),
            initializer=initializer,
            autocast=False,
        )
        self.softmax_bias = self.add_weight(
            name="b",
            shape=(self.vocab_size,),
            initializer="zeros",
            autocast=False,
        )
        if self.uses_sampling:
            # Static number of sampler draws; a NumPy computation over the
            # vocabulary, done once here rather than at every trace.
            self._num_draws = default_num_draws(
                self.num_negative_samples, self.vocab_size
            )

    def call(self, hidden, labels, training=None):
        hidden = ops.cast(hidden, "float32")  # (batch, tokens, hidden_dim)
        labels = ops.cast(labels, "int32")  # (batch, tokens)
        if training and self.uses_sampling:
            return sampled_softmax_loss(
                self.softmax_weights,
                self.softmax_bias,
                hidden,
                labels,
                num_sampled=self.num_negative_samples,
                num_classes=self.vocab_size,
                seed=self.seed_generator,
                num_draws=self._num_draws,
                uniform_dtype=self.sampler_dtype,
            )  # (batch, tokens)
        return full_softmax_loss(
            self.softmax_weights, self.softmax_bias, hidden, labels
        )  # (batch, tokens)

    def logits(self, hidden):
        """Full-vocabulary logits, in float32.

        A plain method, not a layer call: use it eagerly, in a
        `tf.function` or in a subclassed model's `call` (it builds the layer
        if needed).

        Args:
            hidden: float tensor of shape `(..., hidden_dim)`.

        Returns:
            float32 tensor of shape `(..., vocab_size)`; apply
            `keras.ops.softmax` for the distribution over the next (forward)
            or previous (backward) word.
        """
        hidden = ops.convert_to_tensor(hidden)
        if not self.built:
            self.build(tuple(hidden.shape))
        return softmax_logits(
            self.softmax_weights, self.softmax_bias, hidden
        )  # (..., vocab_size)

    def compute_output_shape(self, hidden_shape, labels_shape=None):
        return tuple(hidden_shape)[:-1]

    def compute_output_spec(self, hidden, labels, training=None):
        return keras.KerasTensor(
            self.compute_output_shape(hidden.shape), dtype="float32"
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocab_size": self.vocab_size,
                "num_negative_samples": self.num_negative_samples,
                "kernel_initializer": (
                    None
                    if self.kernel_initializer is None
                    else keras.initializers.serialize(self.kernel_initializer)
                ),
                "seed": self.seed,
                "sampler_dtype": self.sampler_dtype,
            }
        )
        return config
