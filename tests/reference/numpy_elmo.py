"""Independent NumPy forward pass of the original ELMo: the parity oracle.

Reproduces `BidirectionalLanguageModelGraph` of allenai/bilm-tf
(`bilm/model.py`) at inference, from the original options dict and hdf5
weight file. It uses no TensorFlow and no `keras_elmo` code, so tests can pin
the Keras model to it. Every transform is written out step by step.

One deliberate difference: the token embedding (and so layer 0) is zeroed at
padded positions. bilm-tf leaves there the embedding of an all-padding token
(the CNN biases pushed through highway and projection), a value nobody should
use. The LSTM layers are zero at padded positions in both.

As in TF1 `LSTMCell`, a clip is applied whenever it is not None (so a clip
of 0 would zero the cell), and `proj_clip` only acts with a projection.
Against the original's golden outputs the float32 default reaches a max abs
error of 6e-7 (float64: 7e-7, i.e. float32 rounding in the goldens).

Example:

>>> elmo = NumpyElmo("options.json", "lm_weights.hdf5")  # doctest: +SKIP
>>> elmo(batch_to_char_ids([["Hello", "world"]]))["layers"].shape  # +SKIP
(1, 3, 4, 32)
"""

import json
from pathlib import Path

import h5py
import numpy as np

LSTM_KEY = "RNN_{}/RNN/MultiRNNCell/Cell{}/LSTMCell/{}"


def _sigmoid(x):
    with np.errstate(over="ignore"):  # exp overflow -> inf -> sigmoid 0
        return 1.0 / (1.0 + np.exp(-x))


def _reverse_within_lengths(x, lengths):
    """`tf.reverse_sequence(x, lengths, seq_axis=1, batch_axis=0)`."""
    steps = np.arange(x.shape[1])[None, :]  # (1, T)
    lengths = lengths[:, None]  # (B, 1)
    # Position t < length reads from length - 1 - t; the rest stay in place.
    index = np.where(steps < lengths, lengths - 1 - steps, steps)  # (B, T)
    return x[np.arange(x.shape[0])[:, None], index]


class NumpyElmo:
    """The bilm-tf biLM in NumPy: char CNN, highway, projection, LSTMs.

    Args:
        options: dict or path of `options.json` (the original format).
        weight_file: path of the original hdf5 weight file.
        stateful: bool. Carry LSTM states from call to call as bilm-tf does
            (rows up to the batch size). Defaults to `False`.
        max_batch_size: int. Rows of the stateful state arrays. Defaults to
            `128`, as in bilm-tf.
        dtype: NumPy float dtype of the computation. Defaults to `float32`,
            the dtype of the original graph.

    Call arguments:
        char_ids: int array `[B, T, max_characters_per_token]`, ids already
            shifted +1 (an all-zero token is padding, which must be trailing).

    Returns:
        dict with `token_embeddings` `[B, T, P]`, `layers`
        `[B, n_layers + 1, T, 2 * P]` (layer 0 = concat(x, x), layer j =
        concat(forward_j, backward_j)) and `mask` `[B, T]` (bool).
    """

    def __init__(
        self,
        options,
        weight_file,
        stateful=False,
        max_batch_size=128,
        dtype="float32",
    ):
        if isinstance(options, (str, Path)):
            options = json.loads(Path(options).read_text())
        if not isinstance(options, dict):
            raise TypeError(
                "`options` must be a dict or a path to options.json. "
                f"Received: options={options!r}"
            )
        if max_batch_size < 1:
            raise ValueError(
                "`max_batch_size` must be positive. "
                f"Received: max_batch_size={max_batch_size}"
            )
        self.dtype = np.dtype(dtype)
        self.stateful = stateful
        self.max_batch_size = max_batch_size
        cnn, lstm = options["char_cnn"], options["lstm"]
        self.filters = [tuple(f) for f in cnn["filters"]]
        self.n_highway = cnn.get("n_highway") or 0
        self.max_chars = cnn["max_characters_per_token"]
        self.n_characters = cnn["n_characters"]
        if cnn["activation"] not in ("relu", "tanh"):
            raise ValueError(
                "char_cnn.activation must be 'relu' or 'tanh'. "
                f"Received: {cnn['activation']!r}"
            )
        self.activation = cnn["activation"]
        self.dim = lstm["dim"]
        self.projection_dim = lstm["projection_dim"]
        self.n_layers = lstm.get("n_layers", 1)
        # TF1 LSTMCell clips whenever the clip is not None (as bilm-tf).
        self.cell_clip = lstm.get("cell_clip")
        self.proj_clip = lstm.get("proj_clip")
        self.use_skip_connections = lstm["use_skip_connections"]
        # bilm-tf projects the LSTM output only when projection_dim < dim.
        self.use_lstm_projection = self.projection_dim < self.dim
        self.lstm_out_dim = (
            self.projection_dim if self.use_lstm_projection else self.dim
        )
        self.weights = {}  # hdf5 path -> array, e.g. "CNN/W_cnn_0"
        with h5py.File(weight_file, "r") as f:
            f.visititems(self._load)
        # The file has no row for padding id 0: prepend a zero row.
        char_embed = self.weights["char_embed"]
        self.char_embed = np.concatenate(
            [np.zeros_like(char_embed[:1]), char_embed]
        )  # (n_characters, char_dim)
        self.reset_states()

    def _load(self, name, obj):
        if isinstance(obj, h5py.Dataset):
            self.weights[name] = obj[...].astype(self.dtype)

    def reset_states(self):
        """Zero the stateful (c, h) arrays of every direction and layer."""
        # states[direction][layer] = (c, h), rows up to max_batch_size.
        self.states = [
            [
                self._zero_state(self.max_batch_size)
                for _ in range(self.n_layers)
            ]
            for _ in range(2)
        ]

    def _zero_state(self, rows):
        c = np.zeros((rows, self.dim), self.dtype)
        return c, np.zeros((rows, self.lstm_out_dim), self.dtype)

    def token_embeddings(self, char_ids):
        """Char CNN -> highway -> projection, `[B, T, C]` -> `[B, T, P]`."""
        w = self.weights
        x = self.char_embed[char_ids]  # (B, T, C, char_dim)
        pooled = []
        for i, (width, _) in enumerate(self.filters):
            kernel = w[f"CNN/W_cnn_{i}"][0]  # (width, char_dim, n)
            n_pos = self.max_chars - width + 1
            # VALID 1-D conv over characters: stack the `width` shifted
            # windows and contract (window, char_dim) with the kernel.
            windows = np.stack(
                [x[:, :, k : k + n_pos] for k in range(width)], axis=3
            )  # (B, T, n_pos, width, char_dim)
            conv = (
                np.einsum("btpwd,wdn->btpn", windows, kernel)
                + w[f"CNN/b_cnn_{i}"]
            )  # (B, T, n_pos, n)
            conv = conv.max(axis=2)  # max-pool over positions: (B, T, n)
            # Activation after the max-pool, as bilm-tf.
            if self.activation == "relu":
                conv = np.maximum(conv, 0)
            else:
                conv = np.tanh(conv)
            pooled.append(conv)
        x = np.concatenate(pooled, axis=-1)  # (B, T, n_filters)
        for k in range(self.n_highway):
            p = f"CNN_high_{k}/"
            # The "carry" gate g multiplies the transform t (bilm naming).
            g = _sigmoid(x @ w[p + "W_carry"] + w[p + "b_carry"])
            t = np.maximum(x @ w[p + "W_transform"] + w[p + "b_transform"], 0)
            x = g * t + (1.0 - g) * x  # (B, T, n_filters)
        if x.shape[-1] != self.projection_dim:
            x = x @ w["CNN_proj/W_proj"] + w["CNN_proj/b_proj"]  # (B, T, P)
        return x

    def _lstm(self, x, lengths, direction, layer, c, h):
        """TF1 `LSTMCell` under `dynamic_rnn(sequence_length=lengths)`.

        Returns outputs `[B, T, out]` (zero at t >= length) and the final
        `(c, h)`, i.e. the state after each row's last valid step.
        """
        w = self.weights
        kernel = w[LSTM_KEY.format(direction, layer, "W_0")]  # (in+out, 4d)
        bias = w[LSTM_KEY.format(direction, layer, "B")]  # (4 * dim,)
        outputs = np.zeros(x.shape[:2] + (self.lstm_out_dim,), self.dtype)
        for t in range(x.shape[1]):
            # W_0 multiplies concat(input, h_prev); gate order i, j, f, o.
            z = np.concatenate([x[:, t], h], axis=-1) @ kernel + bias
            i, j, f, o = np.split(z, 4, axis=-1)  # each (B, dim)
            # Forget bias 1.0 is added at run time (it is not in B).
            new_c = _sigmoid(f + 1.0) * c + _sigmoid(i) * np.tanh(j)
            if self.cell_clip is not None:
                new_c = np.clip(new_c, -self.cell_clip, self.cell_clip)
            new_h = _sigmoid(o) * np.tanh(new_c)  # (B, dim)
            if self.use_lstm_projection:
                new_h = new_h @ w[LSTM_KEY.format(direction, layer, "W_P_0")]
                if self.proj_clip is not None:  # only with a projection
                    new_h = np.clip(new_h, -self.proj_clip, self.proj_clip)
            out = new_h
            if self.use_skip_connections and layer > 0:
                out = out + x[:, t]  # ResidualWrapper: output + input
            # Rows past their length keep their state and output zeros.
            valid = (t < lengths)[:, None]  # (B, 1)
            c = np.where(valid, new_c, c)
            h = np.where(valid, new_h, h)
            outputs[:, t] = np.where(valid, out, 0)
        return outputs, c, h

    def __call__(self, char_ids):
        char_ids = np.asarray(char_ids)
        if not np.issubdtype(char_ids.dtype, np.integer):
            raise TypeError(
                "`char_ids` must be an integer array. "
                f"Received dtype: {char_ids.dtype}"
            )
        if char_ids.ndim != 3 or char_ids.shape[-1] != self.max_chars:
            raise ValueError(
                f"`char_ids` must have shape [B, T, {self.max_chars}]. "
                f"Received shape: {char_ids.shape}"
            )
        if char_ids.size and (
            char_ids.min() < 0 or char_ids.max() >= self.n_characters
        ):
            raise ValueError(
                f"`char_ids` must be in [0, {self.n_characters - 1}]. "
                f"Received range: [{char_ids.min()}, {char_ids.max()}]"
            )
        batch_size = char_ids.shape[0]
        if self.stateful and batch_size > self.max_batch_size:
            raise ValueError(
                f"Batch size {batch_size} exceeds "
                f"max_batch_size={self.max_batch_size}."
            )
        mask = (char_ids > 0).any(axis=-1)  # (B, T)
        lengths = mask.sum(axis=1)  # (B,)
        if not np.array_equal(
            mask, np.arange(mask.shape[1]) < lengths[:, None]
        ):
            raise ValueError(
                "Padded (all-zero) tokens must come after every real token "
                "of their sentence."
            )
        x = self.token_embeddings(char_ids)  # (B, T, P)
        # Documented choice: zero the token embedding at padded positions.
        x = np.where(mask[..., None], x, 0).astype(self.dtype)
        layers = [np.concatenate([x, x], axis=-1)]  # layer 0: (B, T, 2P)
        per_direction = []
        for d in range(2):
            # The backward LM reads each sentence reversed within its length.
            inputs = x if d == 0 else _reverse_within_lengths(x, lengths)
            outs = []
            for layer in range(self.n_layers):
                if self.stateful:  # the first B rows of the carried state
                    c0, h0 = (s[:batch_size] for s in self.states[d][layer])
                else:  # every call starts from zeros
                    c0, h0 = self._zero_state(batch_size)
                inputs, c, h = self._lstm(inputs, lengths, d, layer, c0, h0)
                # inputs: (B, T, out), in the direction's own order
                if self.stateful:  # first B rows take the final states
                    self.states[d][layer][0][:batch_size] = c
                    self.states[d][layer][1][:batch_size] = h
                # Backward outputs are reversed back to sentence order.
                outs.append(
                    inputs
                    if d == 0
                    else _reverse_within_lengths(inputs, lengths)
                )
            per_direction.append(outs)
        for forward, backward in zip(*per_direction):
            layers.append(np.concatenate([forward, backward], axis=-1))
        return {
            "token_embeddings": x,  # (B, T, P)
            "layers": np.stack(layers, axis=1),  # (B, n_layers + 1, T, 2P)
            "mask": mask,  # (B, T)
        }
