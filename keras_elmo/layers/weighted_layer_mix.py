import keras
import numpy as np
from keras import ops

from keras_elmo.api_export import keras_elmo_serializable
from keras_elmo.layers.philox_dropout import PhiloxDropout

# Variance epsilon of bilm-tf `weight_layers` and AllenNLP `ScalarMix`.
LAYER_NORM_EPSILON = 1e-12


@keras_elmo_serializable
class WeightedLayerMix(keras.layers.Layer):
    """Softmax-weighted sum of biLM layers, scaled by `gamma` (ELMo eq. 1).

    Computes `gamma * sum_j softmax(w)_j * h_j` over the `num_layers` stacked
    biLM layers `h_j`, with one scalar `w_j` per layer (initialised to 0, so
    the mix starts as an equal average) and a scale `gamma` (initialised to
    1). This is the task-specific combination of bilm-tf `weight_layers` and
    AllenNLP `ScalarMix`. Several independent mixes of the same layers (e.g.
    one for a task model's input and one for its output) are computed with
    `num_outputs > 1`. The weights and the arithmetic are float32 under every
    dtype policy; only the output is cast to the compute dtype.

    Args:
        num_layers: int or None. Number of stacked layers to mix (the size of
            axis 1 of the inputs). If `None`, it is read from the input shape
            when the layer is built. Defaults to `None`.
        do_layer_norm: bool. Normalise each layer before mixing with one
            mean and one variance over all unmasked positions and all
            features of that layer: `(h - mean) / sqrt(var + 1e-12)`, as
            bilm-tf and AllenNLP do. Defaults to `False`.
        dropout: float. Dropout rate applied to the mixed output during
            training. Defaults to `0.0`.
        l2_coef: float. Coefficient of the L2 penalty
            `l2_coef * sum(w ** 2)` on the trainable scalar weights, added to
            `layer.losses` (and hence to the training loss). A large value
            pushes the mix towards an equal average. Defaults to `0.0`.
        use_top_only: bool. Return `gamma * h_top` (the last layer) instead
            of a mix, as bilm-tf `weight_layers(use_top_only=True)`: there
            are no scalar weights, and hence no L2 penalty and no layer
            norm. Defaults to `False`.
        initial_scalar_weights: list of `num_layers` floats or None. Fixed
            pre-softmax scalar weights. When given, the scalar weights are
            not trainable (AllenNLP `scalar_mix_parameters`; pass also
            `trainable_gamma=False` to freeze the whole mix as AllenNLP
            does). Defaults to `None` (trainable weights initialised to 0).
        trainable_gamma: bool. Whether `gamma` is trained. Defaults to
            `True`.
        num_outputs: int. Number of independent mixes, each with its own
            scalar weights and `gamma`. Defaults to `1`.
        **kwargs: other `keras.layers.Layer` arguments (`name`, `dtype`,
            ...).

    Call arguments:
        inputs: float tensor of shape `(batch, num_layers, tokens, dim)`:
            the stacked biLM layers.
        mask: bool tensor of shape `(batch, tokens)`, `True` at real tokens.
            Optional; Keras passes it automatically when the inputs carry a
            mask.
        training: bool. Whether dropout is active.

    Returns:
        A tensor of shape `(batch, tokens, dim)` if `num_outputs == 1`,
        otherwise a list of `num_outputs` such tensors.

    The mask only affects the layer-norm statistics: padded positions are
    excluded from the mean and the variance, so the values stored there do
    not change the output at real tokens. Without a mask, every position
    counts. The output at padded positions is not zeroed (as in bilm-tf);
    `compute_mask` returns the input mask for each output.

    The weights are `scalar_weights` (shape `(num_layers,)`) and `gamma`
    (shape `(1,)`), suffixed `_{k}` for output `k` when `num_outputs > 1`,
    and are available as the lists `layer.scalar_weights` and
    `layer.gammas`.

    Example:

    ```python
    layers = keras.random.uniform((2, 3, 5, 8))  # (batch, layers, tokens, dim)
    mask = keras.ops.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], "bool")
    mix = keras_elmo.layers.WeightedLayerMix(num_layers=3, do_layer_norm=True)
    elmo = mix(layers, mask=mask)  # (2, 5, 8)
    ```

    Reference:
        - [Peters et al., 2018](https://arxiv.org/abs/1802.05365)
    """

    def __init__(
        self,
        num_layers=None,
        do_layer_norm=False,
        dropout=0.0,
        l2_coef=0.0,
        use_top_only=False,
        initial_scalar_weights=None,
        trainable_gamma=True,
        num_outputs=1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if num_layers is not None and (
            isinstance(num_layers, bool)
            or not isinstance(num_layers, int)
            or num_layers <= 0
        ):
            raise ValueError(
                "`num_layers` must be a positive int or None. "
                f"Received: num_layers={num_layers}"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(
                f"`dropout` must be in [0, 1). Received: dropout={dropout}"
            )
        if l2_coef < 0.0:
            raise ValueError(
                f"`l2_coef` must be >= 0. Received: l2_coef={l2_coef}"
            )
        if (
            isinstance(num_outputs, bool)
            or not isinstance(num_outputs, int)
            or num_outputs <= 0
        ):
            raise ValueError(
                "`num_outputs` must be a positive int. "
                f"Received: num_outputs={num_outputs}"
            )
        if initial_scalar_weights is not None:
            if use_top_only:
                raise ValueError(
                    "`initial_scalar_weights` cannot be used with "
                    "`use_top_only=True`, which has no scalar weights. "
                    f"Received: initial_scalar_weights={initial_scalar_weights}"
                )
            initial_scalar_weights = [float(w) for w in initial_scalar_weights]
            self._check_initial_scalar_weights(
                initial_scalar_weights, num_layers
            )
        self.num_layers = num_layers
        self.do_layer_norm = do_layer_norm
        self.dropout = dropout
        self.l2_coef = l2_coef
        self.use_top_only = use_top_only
        self.initial_scalar_weights = initial_scalar_weights
        self.trainable_gamma = trainable_gamma
        self.num_outputs = num_outputs
        self.supports_masking = True
        # Inputs are cast to float32 in `call()`, not to the compute dtype.
        self.autocast = False

    @staticmethod
    def _check_initial_scalar_weights(initial_scalar_weights, num_layers):
        if num_layers is not None and len(initial_scalar_weights) != num_layers:
            raise ValueError(
                "`initial_scalar_weights` must have one value per layer "
                f"({num_layers}). Received: "
                f"initial_scalar_weights={initial_scalar_weights}"
            )

    def build(self, inputs_shape):
        # inputs_shape: (batch, num_layers, tokens, dim)
        if len(inputs_shape) != 4:
            raise ValueError(
                "`WeightedLayerMix` expects inputs of shape "
                "(batch, num_layers, tokens, dim). "
                f"Received: inputs_shape={inputs_shape}"
            )
        input_layers = inputs_shape[1]
        if self.num_layers is None:
            if input_layers is None:
                raise ValueError(
                    "`num_layers` is None and axis 1 of the inputs is "
                    f"unknown. Received: inputs_shape={inputs_shape}"
                )
            self.num_layers = int(input_layers)
        elif input_layers is not None and input_layers != self.num_layers:
            raise ValueError(
                f"Axis 1 of the inputs must be num_layers={self.num_layers}. "
                f"Received: inputs_shape={inputs_shape}"
            )
        if self.initial_scalar_weights is not None:
            self._check_initial_scalar_weights(
                self.initial_scalar_weights, self.num_layers
            )
            initializer = keras.initializers.Constant(
                self.initial_scalar_weights
            )
        else:
            initializer = "zeros"
        regularizer = (
            keras.regularizers.L2(self.l2_coef) if self.l2_coef else None
        )

        self.scalar_weights = []
        self.gammas = []
        for k in range(self.num_outputs):
            suffix = f"_{k}" if self.num_outputs > 1 else ""
            if not self.use_top_only:
                self.scalar_weights.append(
                    self.add_weight(
                        name=f"scalar_weights{suffix}",
                        shape=(self.num_layers,),
                        initializer=initializer,
                        regularizer=regularizer,
                        trainable=self.initial_scalar_weights is None,
                        autocast=False,
                    )
                )
            self.gammas.append(
                self.add_weight(
                    name=f"gamma{suffix}",
                    shape=(1,),
                    initializer="ones",
                    trainable=self.trainable_gamma,
                    autocast=False,
                )
            )
        self.dropout_layer = PhiloxDropout(
            self.dropout, dtype=self.dtype_policy, name="dropout"
        )
        # (batch, tokens, dim)
        self.dropout_layer.build((inputs_shape[0],) + tuple(inputs_shape[2:]))

    def set_mix(self, scalar_weights, gamma):
        """Set every mix to trained values (e.g. a preset's layer_mix.json).

        Args:
            scalar_weights: array `(num_layers,)` of the pre-softmax mixing
                scalars (ignored with `use_top_only`, or when fixed by
                `initial_scalar_weights`).
            gamma: array `(1,)` or float, the scale.

        Example:

        >>> mix.set_mix(np.zeros(3), [1.0])
        """
        scalar_weights = np.asarray(scalar_weights, "float32")
        if scalar_weights.shape != (self.num_layers,):
            raise ValueError(
                f"`scalar_weights` must have shape ({self.num_layers},), one "
                "per mixed layer. Received: "
                f"scalar_weights.shape={scalar_weights.shape}"
            )
        gamma = np.asarray(gamma, "float32").reshape((1,))
        for k in range(self.num_outputs):
            if self.scalar_weights and self.initial_scalar_weights is None:
                self.scalar_weights[k].assign(scalar_weights)
            self.gammas[k].assign(gamma)

    def _layer_norm(self, x, mask):
        # x: (batch, num_layers, tokens, dim); mask: (batch, tokens) or None.
        if mask is None:
            mask = ops.ones((ops.shape(x)[0], ops.shape(x)[2]), "float32")
        # expand_dims rather than [:, None, :, None]: TFLite has no builtin
        # for a strided slice that adds axes to a dynamic shape.
        mask = ops.expand_dims(
            ops.expand_dims(ops.cast(mask, "float32"), 1), -1
        )  # (b, 1, t, 1)
        dim = ops.cast(ops.shape(x)[-1], "float32")
        # Max with 1 keeps an all-padding batch finite (no 0 / 0).
        count = ops.maximum(ops.sum(mask) * dim, 1.0)  # ()
        mean = ops.sum(x * mask, axis=(0, 2, 3), keepdims=True) / count
        # mean: (1, num_layers, 1, 1)
        variance = (
            ops.sum(
                ops.square((x - mean) * mask), axis=(0, 2, 3), keepdims=True
            )
            / count
        )  # (1, num_layers, 1, 1)
        return (x - mean) / ops.sqrt(variance + LAYER_NORM_EPSILON)

    def call(self, inputs, mask=None, training=None):
        x = ops.cast(inputs, "float32")  # (batch, num_layers, tokens, dim)
        if self.use_top_only:
            mixes = [x[:, -1]] * self.num_outputs  # (batch, tokens, dim)
        else:
            if self.do_layer_norm:
                x = self._layer_norm(x, mask)  # (batch, num_layers, t, dim)
            mixes = []
            for scalar_weights in self.scalar_weights:
                weights = ops.softmax(scalar_weights)  # (num_layers,)
                mixes.append(ops.einsum("bltd,l->btd", x, weights))
                # mixes[-1]: (batch, tokens, dim)
        outputs = []
        for mixed, gamma in zip(mixes, self.gammas):
            output = ops.cast(gamma * mixed, self.compute_dtype)  # (b, t, d)
            outputs.append(self.dropout_layer(output, training=training))
        return outputs[0] if self.num_outputs == 1 else outputs

    def compute_mask(self, inputs, mask=None):
        if self.num_outputs == 1:
            return mask
        return [mask] * self.num_outputs

    def compute_output_shape(self, inputs_shape):
        output_shape = (inputs_shape[0],) + tuple(inputs_shape[2:])
        if self.num_outputs == 1:
            return output_shape
        return [output_shape] * self.num_outputs

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_layers": self.num_layers,
                "do_layer_norm": self.do_layer_norm,
                "dropout": self.dropout,
                "l2_coef": self.l2_coef,
                "use_top_only": self.use_top_only,
                "initial_scalar_weights": self.initial_scalar_weights,
                "trainable_gamma": self.trainable_gamma,
                "num_outputs": self.num_outputs,
            }
        )
        return config
