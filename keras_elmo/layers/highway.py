"""Highway layer with the gate semantics of the original ELMo."""

import keras
from keras import ops

from keras_elmo.api_export import keras_elmo_serializable


@keras_elmo_serializable
class Highway(keras.layers.Layer):
    """One highway layer as in the original bilm-tf character encoder.

    Computes `g = sigmoid(x W_carry + b_carry)`,
    `t = relu(x W_transform + b_transform)` and `y = g * t + (1 - g) * x`.
    Note the original naming: the "carry" gate multiplies the transform. The
    transform activation is always relu, whatever the CNN activation.

    Args:
        kernel_initializer: initializer for both kernels. Defaults to
            `"glorot_uniform"`.
        carry_bias_initializer: initializer for `b_carry`. Defaults to
            `-2.0`, as bilm-tf: the gate starts at `sigmoid(-2) = 0.12`,
            so a new layer mostly passes its input through.
        **kwargs: other `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[..., dim]`.

    Example:

    ```python
    layer = keras_elmo.layers.Highway()
    outputs = layer(keras.random.uniform((2, 3, 8)))  # (2, 3, 8)
    ```

    Reference:
        - [Srivastava et al., 2015](https://arxiv.org/abs/1505.00387)
    """

    def __init__(
        self,
        kernel_initializer="glorot_uniform",
        carry_bias_initializer=-2.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        if isinstance(carry_bias_initializer, (int, float)):
            carry_bias_initializer = keras.initializers.Constant(
                float(carry_bias_initializer)
            )
        self.carry_bias_initializer = keras.initializers.get(
            carry_bias_initializer
        )
        self.supports_masking = True

    def build(self, inputs_shape):
        dim = inputs_shape[-1]
        if dim is None:
            raise ValueError(
                "The last dimension of the inputs of `Highway` must be "
                f"known. Received: inputs_shape={inputs_shape}"
            )
        self.carry_kernel = self.add_weight(
            name="carry_kernel",
            shape=(dim, dim),
            initializer=self.kernel_initializer,
        )
        self.carry_bias = self.add_weight(
            name="carry_bias",
            shape=(dim,),
            initializer=self.carry_bias_initializer,
        )
        self.transform_kernel = self.add_weight(
            name="transform_kernel",
            shape=(dim, dim),
            initializer=self.kernel_initializer,
        )
        self.transform_bias = self.add_weight(
            name="transform_bias", shape=(dim,), initializer="zeros"
        )

    def call(self, inputs):
        x = inputs  # (..., dim)
        gate = ops.sigmoid(ops.matmul(x, self.carry_kernel) + self.carry_bias)
        transform = ops.relu(
            ops.matmul(x, self.transform_kernel) + self.transform_bias
        )
        return gate * transform + (1.0 - gate) * x  # (..., dim)

    def compute_output_shape(self, inputs_shape):
        return tuple(inputs_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "carry_bias_initializer": keras.initializers.serialize(
                    self.carry_bias_initializer
                ),
            }
        )
        return config
