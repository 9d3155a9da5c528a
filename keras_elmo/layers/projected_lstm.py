"""A whole-sequence LSTM with projection and clipping (TF1 LSTMCell)."""

import keras
from keras import ops

from keras_elmo.api_export import keras_elmo_serializable


@keras_elmo_serializable
class ProjectedLSTM(keras.layers.Layer):
    """One direction of one biLM layer: an LSTM with a projected output.

    Reproduces TF1 `tf.nn.rnn_cell.LSTMCell(units, num_proj=projection_dim,
    cell_clip=..., proj_clip=...)` run by `tf.nn.dynamic_rnn` with sequence
    lengths. Per step:
    `z = x_t W + h W_rec + b`, gates in Keras order `i, f, c, o`,
    `c = sigmoid(f + forget_bias) * c + sigmoid(i) * tanh(c~)` clipped to
    `cell_clip`, `h = (sigmoid(o) * tanh(c)) W_proj` clipped to
    `projection_clip`.

    The layer processes the whole sequence itself rather than through
    `keras.layers.RNN`: the input half of the gates is one matmul over all
    time steps, only the recurrent half runs in the loop, and step outputs
    are selected into a fixed-shape tensor (no TensorArray), which keeps the
    loop XLA- and TFLite-friendly.

    Args:
        units: int. Size of the LSTM cell (the original `dim`).
        projection_dim: int or `None`. Size of the projected output; `None`
            means no projection (output size `units`, no projection clip).
        cell_clip: float or `None`. Clip the cell to `[-cell_clip,
            cell_clip]`. Defaults to `None`.
        projection_clip: float or `None`. Clip the projected output.
            Defaults to `None`.
        forget_bias: float. Added to the forget gate at run time, as TF1
            does (it is not part of the stored bias). Defaults to `1.0`.
        go_backwards: bool. Run from the last real token to the first.
            Defaults to `False`.
        kernel_initializer: initializer of the input and recurrent kernels.
            Defaults to `"glorot_uniform"`.
        **kwargs: other `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[batch, time, input_dim]`.
        mask: optional bool tensor `[batch, time]`, `True` for real tokens
            (right padding). Padded steps keep the state unchanged and give
            zero outputs, so with `go_backwards=True` each sequence is read
            from its own last token: `tf.reverse_sequence` semantics.
        initial_state: optional list `[h, c]` of `[batch, output_dim]` and
            `[batch, units]`. Defaults to zeros.

    Returns:
        `(outputs, h, c)`: outputs `[batch, time, output_dim]` and the final
        state after the last real step of each sequence.

    Example:

    ```python
    lstm = keras_elmo.layers.ProjectedLSTM(units=16, projection_dim=8)
    outputs, h, c = lstm(keras.random.uniform((2, 5, 4)))  # (2, 5, 8)
    ```
    """

    def __init__(
        self,
        units,
        projection_dim=None,
        cell_clip=None,
        projection_clip=None,
        forget_bias=1.0,
        go_backwards=False,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if int(units) < 1:
            raise ValueError(f"`units` must be positive. Received: {units}")
        if projection_dim is not None and int(projection_dim) < 1:
            raise ValueError(
                "`projection_dim` must be positive or None. "
                f"Received: projection_dim={projection_dim}"
            )
        for name, value in (
            ("cell_clip", cell_clip),
            ("projection_clip", projection_clip),
        ):
            if value is not None and value <= 0:
                raise ValueError(
                    f"`{name}` must be positive or None. Received: {value}"
                )
        self.units = int(units)
        self.projection_dim = (
            None if projection_dim is None else int(projection_dim)
        )
        self.cell_clip = cell_clip
        self.projection_clip = projection_clip
        self.forget_bias = float(forget_bias)
        self.go_backwards = bool(go_backwards)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.output_dim = self.projection_dim or self.units
        self.supports_masking = True

    def build(self, inputs_shape):
        input_dim = inputs_shape[-1]
        if input_dim is None:
            raise ValueError(
                "The last dimension of the inputs of `ProjectedLSTM` must be "
                f"known. Received: inputs_shape={inputs_shape}"
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, 4 * self.units),
            initializer=self.kernel_initializer,
        )
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel",
            shape=(self.output_dim, 4 * self.units),
            initializer=self.kernel_initializer,
        )
        self.bias = self.add_weight(
            name="bias", shape=(4 * self.units,), initializer="zeros"
        )
        self.projection_kernel = None
        if self.projection_dim is not None:
            self.projection_kernel = self.add_weight(
                name="projection_kernel",
                shape=(self.units, self.projection_dim),
                initializer=self.kernel_initializer,
            )

    def _step(self, input_gates, h, c):
        z = input_gates + ops.matmul(h, self.recurrent_kernel)  # (b, 4u)
        i, f, candidate, o = ops.split(z, 4, axis=-1)  # each (b, units)
        c = ops.sigmoid(f + self.forget_bias) * c + ops.sigmoid(i) * ops.tanh(
            candidate
        )
        if self.cell_clip is not None:
            c = ops.clip(c, -self.cell_clip, self.cell_clip)
        h = ops.sigmoid(o) * ops.tanh(c)  # (b, units)
        if self.projection_kernel is not None:
            h = ops.matmul(h, self.projection_kernel)  # (b, projection_dim)
            if self.projection_clip is not None:
                h = ops.clip(h, -self.projection_clip, self.projection_clip)
        return h, c

    def _masked_step(self, gates_t, keep_t, h, c):
        """One step; padded rows (`keep_t` 0) keep their state."""
        new_h, new_c = self._step(gates_t, h, c)
        # Padded steps leave the state as it was (dynamic_rnn lengths).
        h = keep_t * new_h + (1.0 - keep_t) * h
        c = keep_t * new_c + (1.0 - keep_t) * c
        return h, c, new_h * keep_t  # new state, output of the step

    def call(self, inputs, mask=None, initial_state=None):
        batch, time = ops.shape(inputs)[0], ops.shape(inputs)[1]
        # Input half of the gates for all steps at once: one large matmul.
        # Time-major before the matmul: transposing the narrow inputs rather
        # than the 4 * units wide gates saves a copy of the largest tensor.
        inputs = ops.transpose(inputs, (1, 0, 2))  # (t, b, input_dim)
        gates = ops.matmul(inputs, self.kernel) + self.bias  # (t, b, 4u)
        if mask is None:
            mask = ops.ones((batch, time), dtype="bool")
        # expand_dims, not [..., None]: TFLite has no builtin for a strided
        # slice adding an axis to a tensor with two dynamic dims.
        keep = ops.expand_dims(ops.transpose(ops.cast(mask, gates.dtype)), -1)
        # keep: (t, b, 1)
        if initial_state is None:
            h = ops.zeros((batch, self.output_dim), dtype=gates.dtype)
            c = ops.zeros((batch, self.units), dtype=gates.dtype)
        else:
            h, c = (ops.cast(s, gates.dtype) for s in initial_state)
        if keras.config.backend() in ("jax", "torch"):
            # A scan stacks the per-step outputs: O(time) work, and JAX
            # differentiates it (it has no reverse-mode gradient of a while
            # loop). With `reverse`, step t still lands at position t.
            def scan_step(state, step_inputs):
                gates_t, keep_t = step_inputs  # (b, 4u), (b, 1)
                h, c, output = self._masked_step(gates_t, keep_t, *state)
                return (h, c), output

            (h, c), outputs = ops.scan(
                scan_step, (h, c), (gates, keep), reverse=self.go_backwards
            )
            return ops.transpose(outputs, (1, 0, 2)), h, c  # (b, t, out)
        outputs = ops.zeros((time, batch, self.output_dim), dtype=gates.dtype)
        steps = ops.arange(time)  # (t,)

        def body(step, h, c, outputs):
            t = time - 1 - step if self.go_backwards else step
            keep_t = ops.take(keep, t, axis=0)  # (b, 1)
            gates_t = ops.take(gates, t, axis=0)  # (b, 4u)
            h, c, output = self._masked_step(gates_t, keep_t, h, c)
            # TensorFlow (and its TFLite conversion) keeps the while loop:
            # step t goes into the fixed-shape outputs with a select rather
            # than a TensorArray or dynamic-update-slice, which lowers to
            # TFLite builtins; its gradient only keeps the (time, 1, 1)
            # condition per step.
            is_t = ops.equal(steps, t)[:, None, None]  # (t, 1, 1)
            outputs = ops.where(is_t, output[None], outputs)
            return step + 1, h, c, outputs

        # maximum_iterations lets XLA size the gradient's per-step stacks.
        _, h, c, outputs = ops.while_loop(
            lambda step, *_: step < time,
            body,
            (ops.convert_to_tensor(0, "int32"), h, c, outputs),
            maximum_iterations=time,
        )
        return ops.transpose(outputs, (1, 0, 2)), h, c  # (b, t, out)

    def compute_mask(self, inputs, mask=None):
        return [mask, None, None]

    def compute_output_shape(self, inputs_shape, initial_state_shape=None):
        batch, time = inputs_shape[0], inputs_shape[1]
        return (
            (batch, time, self.output_dim),
            (batch, self.output_dim),
            (batch, self.units),
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "projection_dim": self.projection_dim,
                "cell_clip": self.cell_clip,
                "projection_clip": self.projection_clip,
                "forget_bias": self.forget_bias,
                "go_backwards": self.go_backwards,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
            }
        )
        return config
