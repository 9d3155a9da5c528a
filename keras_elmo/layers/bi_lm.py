"""The bidirectional LSTM language model (biLM) of ELMo."""

import keras
from keras import ops

from keras_elmo.api_export import keras_elmo_serializable
from keras_elmo.layers.philox_dropout import PhiloxDropout
from keras_elmo.layers.projected_lstm import ProjectedLSTM
from keras_elmo.utils.trainable import propagate_trainable

DIRECTIONS = ("forward", "backward")
INITIAL_STATES = ("zeros", "warm")


@keras_elmo_serializable
class BiLM(keras.layers.Layer):
    """Stacked forward and backward LSTMs returning every biLM layer.

    Layer 0 of the output is the token representation duplicated,
    `concat(x, x)`; layer `j > 0` is `concat(forward_j, backward_j)`. The
    forward LSTMs read each sentence left to right, the backward LSTMs right
    to left starting from each sentence's own last token, so padding never
    reaches a real position (the original's `reverse_sequence` semantics).

    With `stateful=True` the final LSTM states of a batch are the initial
    states of the next, for rows up to that batch's size, as the original
    bilm-tf inference graph does; `reset_states()` zeros them.

    With `initial_state="warm"` every sentence starts from the same fixed
    LSTM state (non-trainable weights, one `h` and one `c` vector per
    direction and layer, broadcast over the batch): the state after reading
    a warm-up text, set with `set_warm_state` (see
    `keras_elmo.presets.warm_state`). A sentence's vectors then depend only
    on the sentence, never on its batch or neighbours, without the
    cold start of a zero state.

    Args:
        units: int. LSTM cell size (the original `lstm.dim`).
        projection_dim: int. LSTM output size (`lstm.projection_dim`);
            `None` or equal to `units` means no projection.
        num_layers: int. LSTM layers per direction. Defaults to `2`.
        cell_clip: float or `None`. Defaults to `None`.
        projection_clip: float or `None`. Defaults to `None`.
        use_skip_connections: bool. Add each layer's input to its output,
            for layers above the first. Defaults to `False`.
        forget_bias: float. Added to the forget gate at run time. `1.0` is
            TF1 `LSTMCell`'s (bilm-tf); AllenNLP-style LSTMs
            (ELMoForManyLangs) keep it inside the stored bias, so `0.0`.
            Defaults to `1.0`.
        dropout: float. Dropout on each LSTM layer's input, in training only
            (the original's `DropoutWrapper(input_keep_prob)`). Defaults to
            `0.0`.
        stateful: bool. Carry LSTM states between batches. Defaults to
            `False`.
        max_batch_size: int. Rows of stored state when `stateful`.
            Defaults to `128`.
        initial_state: str. The state every sentence starts from when not
            `stateful`: `"zeros"`, or `"warm"` (the stored warm state,
            zeros until `set_warm_state`). Defaults to `"zeros"`.
        **kwargs: other `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[batch, tokens, input_dim]`.
        mask: bool tensor `[batch, tokens]`, right-padded; taken from the
            Keras mask of the inputs when not given.
        training: bool. Enables dropout.

    Masking: outputs at masked positions are zeros, and masked positions
    never change the LSTM states. The output mask is the input mask.

    Returns:
        Float tensor `[batch, num_layers + 1, tokens, 2 * output_dim]`,
        where `output_dim` is `projection_dim` (the input size must equal
        it, since layer 0 stacks the inputs with the LSTM outputs).

    Example:

    ```python
    bilm = keras_elmo.layers.BiLM(units=16, projection_dim=8)
    layers = bilm(keras.random.uniform((2, 5, 8)))  # (2, 3, 5, 16)
    ```

    Reference:
        - [Peters et al., 2018](https://arxiv.org/abs/1802.05365)
    """

    def __init__(
        self,
        units,
        projection_dim=None,
        num_layers=2,
        cell_clip=None,
        projection_clip=None,
        use_skip_connections=False,
        forget_bias=1.0,
        dropout=0.0,
        stateful=False,
        max_batch_size=128,
        initial_state="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if initial_state not in INITIAL_STATES:
            raise ValueError(
                f"`initial_state` must be one of {INITIAL_STATES}. "
                f"Received: initial_state={initial_state!r}"
            )
        if stateful and initial_state != "zeros":
            raise ValueError(
                "A stateful BiLM carries its states from batch to batch; "
                "`initial_state` must be 'zeros'. Received: "
                f"stateful={stateful}, initial_state={initial_state!r}"
            )
        if int(num_layers) < 1:
            raise ValueError(
                f"`num_layers` must be >= 1. Received: num_layers={num_layers}"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(
                f"`dropout` must be in [0, 1). Received: dropout={dropout}"
            )
        if stateful and int(max_batch_size) < 1:
            raise ValueError(
                "`max_batch_size` must be positive. "
                f"Received: max_batch_size={max_batch_size}"
            )
        self.units = int(units)
        if projection_dim is not None and int(projection_dim) >= self.units:
            # bilm-tf projects only when projection_dim < dim.
            projection_dim = None
        self.projection_dim = (
            None if projection_dim is None else int(projection_dim)
        )
        self.num_layers = int(num_layers)
        self.cell_clip = cell_clip
        self.projection_clip = projection_clip
        self.use_skip_connections = bool(use_skip_connections)
        self.forget_bias = float(forget_bias)
        self.dropout = float(dropout)
        self.stateful = bool(stateful)
        self.max_batch_size = int(max_batch_size)
        self.initial_state = initial_state
        self.output_dim = self.projection_dim or self.units
        self.supports_masking = True

        # === Layers ===
        self.lstms = {
            direction: [
                ProjectedLSTM(
                    self.units,
                    projection_dim=self.projection_dim,
                    cell_clip=cell_clip,
                    projection_clip=projection_clip,
                    forget_bias=self.forget_bias,
                    go_backwards=direction == "backward",
                    dtype=self.dtype_policy,
                    name=f"{direction}_lstm_{i}",
                )
                for i in range(self.num_layers)
            ]
            for direction in DIRECTIONS
        }
        self.dropout_layer = PhiloxDropout(
            self.dropout, dtype=self.dtype_policy, name="lstm_input_dropout"
        )
        # A frozen model reloaded from its config: freeze the sublayers too.
        propagate_trainable(self)

    def build(self, inputs_shape):
        input_dim = inputs_shape[-1]
        if input_dim != self.output_dim:
            raise ValueError(
                "The inputs of `BiLM` must have the LSTM output size "
                f"({self.output_dim}) as last dimension, since layer 0 is "
                f"concat(inputs, inputs). Received: inputs_shape="
                f"{tuple(inputs_shape)}"
            )
        self.states = {}
        self.warm_states = {}
        for direction in DIRECTIONS:
            for i, lstm in enumerate(self.lstms[direction]):
                lstm.build(
                    (None, None, input_dim if i == 0 else self.output_dim)
                )
                if self.stateful:
                    self.states[(direction, i)] = [
                        self.add_weight(
                            name=f"{direction}_lstm_{i}_state_{part}",
                            shape=(self.max_batch_size, size),
                            initializer="zeros",
                            trainable=False,
                        )
                        for part, size in (
                            ("h", self.output_dim),
                            ("c", self.units),
                        )
                    ]
                if self.initial_state == "warm":
                    self.warm_states[(direction, i)] = [
                        self.add_weight(
                            name=f"{direction}_lstm_{i}_warm_{part}",
                            shape=(size,),
                            initializer="zeros",
                            trainable=False,
                            autocast=False,
                        )
                        for part, size in (
                            ("h", self.output_dim),
                            ("c", self.units),
                        )
                    ]

    def reset_states(self):
        """Zero the carried LSTM states (only meaningful when stateful)."""
        for state in self.states.values():
            for variable in state:
                variable.assign(ops.zeros(variable.shape, variable.dtype))

    def warm_state_names(self):
        """Names of the warm-state vectors, `{direction}_lstm_{i}_{h|c}`.

        Example:

        >>> BiLM(8, num_layers=1).warm_state_names()[:2]
        ['forward_lstm_0_h', 'forward_lstm_0_c']
        """
        return [
            f"{direction}_lstm_{i}_{part}"
            for direction in DIRECTIONS
            for i in range(self.num_layers)
            for part in ("h", "c")
        ]

    def get_warm_state(self):
        """The warm state as a dict name -> NumPy vector (`"warm"` only)."""
        self._require_warm()
        return {
            f"{direction}_lstm_{i}_{part}": ops.convert_to_numpy(variable)
            for (direction, i), pair in self.warm_states.items()
            for part, variable in zip(("h", "c"), pair)
        }

    def set_warm_state(self, state):
        """Set the warm state from a dict name -> vector.

        Args:
            state: dict with every name of `warm_state_names()`: `h`
                vectors of size `output_dim`, `c` vectors of size `units`.

        Raises:
            ValueError: if the layer is not `initial_state="warm"`, or a
                name is missing or unknown, or a vector has the wrong size.
        """
        self._require_warm()
        names = self.warm_state_names()
        missing = sorted(set(names) - set(state))
        unknown = sorted(set(state) - set(names))
        if missing or unknown:
            raise ValueError(
                "The warm state does not match this BiLM: missing "
                f"{missing}, unknown {unknown}."
            )
        for (direction, i), pair in self.warm_states.items():
            for part, variable in zip(("h", "c"), pair):
                name = f"{direction}_lstm_{i}_{part}"
                value = ops.convert_to_numpy(state[name])
                if tuple(value.shape) != tuple(variable.shape):
                    raise ValueError(
                        f"Warm state {name!r} must have shape "
                        f"{tuple(variable.shape)}. Received: {value.shape}"
                    )
                variable.assign(value.astype(variable.dtype))

    def _require_warm(self):
        if self.initial_state != "warm":
            raise ValueError(
                "This BiLM has no warm state: build it with "
                f"initial_state='warm'. Received: {self.initial_state!r}"
            )

    def _initial_state(self, direction, i, batch):
        if self.initial_state == "warm":
            return [
                ops.broadcast_to(
                    ops.cast(v, self.compute_dtype), (batch, v.shape[0])
                )  # (batch, size)
                for v in self.warm_states[(direction, i)]
            ]
        if not self.stateful:
            return None
        return [
            ops.cast(v[:batch], self.compute_dtype)
            for v in self.states[(direction, i)]
        ]

    def _store_state(self, direction, i, batch, final_state):
        for variable, value in zip(self.states[(direction, i)], final_state):
            # Rows past this batch keep their state, as in bilm-tf.
            variable.assign(
                ops.concatenate(
                    [ops.cast(value, variable.dtype), variable[batch:]], axis=0
                )
            )

    def call(self, inputs, mask=None, training=None):
        batch = ops.shape(inputs)[0]
        if self.stateful:
            self._check_batch_size(inputs)
        if mask is None:
            mask = ops.ones(ops.shape(inputs)[:2], dtype="bool")
        keep = ops.cast(mask, inputs.dtype)  # (batch, tokens)
        keep = ops.expand_dims(keep, -1)  # (batch, tokens, 1)
        inputs = inputs * keep  # (batch, tokens, dim)
        layers = [ops.concatenate([inputs, inputs], axis=-1)]
        outputs = {}
        for direction in DIRECTIONS:
            x = inputs  # (batch, tokens, dim)
            outputs[direction] = []
            for i, lstm in enumerate(self.lstms[direction]):
                x = self.dropout_layer(x, training=training)
                y, h, c = lstm(
                    x,
                    mask=mask,
                    initial_state=self._initial_state(direction, i, batch),
                )  # y: (batch, tokens, output_dim)
                if self.stateful:
                    self._store_state(direction, i, batch, (h, c))
                if self.use_skip_connections and i > 0:
                    y = (y + x) * keep
                outputs[direction].append(y)
                x = y
        for i in range(self.num_layers):
            layers.append(
                ops.concatenate(
                    [outputs["forward"][i], outputs["backward"][i]], axis=-1
                )
            )  # (batch, tokens, 2 * output_dim)
        return ops.stack(layers, axis=1)  # (batch, layers + 1, tokens, 2 * d)

    def _check_batch_size(self, inputs):
        batch = inputs.shape[0]
        if batch is not None and batch > self.max_batch_size:
            raise ValueError(
                f"A stateful BiLM keeps state for at most max_batch_size="
                f"{self.max_batch_size} rows. Received a batch of {batch}."
            )

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, inputs_shape):
        batch, tokens = inputs_shape[0], inputs_shape[1]
        return (batch, self.num_layers + 1, tokens, 2 * self.output_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "projection_dim": self.projection_dim,
                "num_layers": self.num_layers,
                "cell_clip": self.cell_clip,
                "projection_clip": self.projection_clip,
                "use_skip_connections": self.use_skip_connections,
                "forget_bias": self.forget_bias,
                "dropout": self.dropout,
                "stateful": self.stateful,
                "max_batch_size": self.max_batch_size,
                "initial_state": self.initial_state,
            }
        )
        return config
