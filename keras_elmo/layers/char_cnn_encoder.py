"""Character CNN token encoder of ELMo."""

import keras
import numpy as np
from keras import ops

from keras_elmo.api_export import keras_elmo_serializable
from keras_elmo.layers.highway import Highway
from keras_elmo.preprocessing.elmo_characters import MAX_CHARACTERS_PER_TOKEN
from keras_elmo.preprocessing.elmo_characters import N_CHARACTERS
from keras_elmo.utils.eager import concrete_value
from keras_elmo.utils.trainable import propagate_trainable
from keras_elmo.utils.xla import in_xla_context

_ACTIVATIONS = ("relu", "tanh")
# The character convolutions `(width, num_filters)` of every official
# English ELMo (2048 filters in all).
OFFICIAL_FILTERS = (
    (1, 32),
    (2, 32),
    (3, 64),
    (4, 128),
    (5, 256),
    (6, 512),
    (7, 1024),
)
# Character positions convolved together by the matmul formulation.
_POSITION_BLOCK = 8


def _max_over_positions(x):
    """Max over axis 1 of `(rows, positions, filters)`, also for 0 rows."""
    if x.shape[0] == 0:
        # A statically empty batch (eager, JAX, PyTorch): Keras's PyTorch
        # max of an empty tensor drops every axis, so build the result.
        return ops.zeros((0, x.shape[2]), x.dtype)
    # `initial` keeps a dynamically empty batch legal in a TensorFlow graph
    # (Keras rejects the max of an empty tensor).
    return ops.max(x, axis=1, initial=-np.inf)


@keras_elmo_serializable
class CharCNNEncoder(keras.layers.Layer):
    """Context-free token vectors from characters (ELMo's token encoder).

    Character ids are embedded, convolved with one 1-D convolution per
    `(width, num_filters)` pair, max-pooled over the characters, passed
    through the activation, concatenated, sent through highway layers and
    linearly projected to `projection_dim`. The projection is skipped when
    the features already add up to `projection_dim`, as in the original.

    With a word vocabulary (`word_vocabulary_size > 0`, as in the
    ELMoForManyLangs models) each token also carries a word id, looked up in
    a word-embedding table and concatenated before the CNN features, ahead
    of the projection: `projection(concat(word_embed(w), highway(cnn(c))))`.
    The word id travels in the same int tensor as the characters, as one
    extra last column, so every model input stays one int32 tensor
    (`serving_default`, TFLite and the stateful paths need no second input).

    Args:
        filters: list of `(width, num_filters)` pairs. Defaults to the
            official ELMo filters.
        embedding_dim: int. Size of the character embedding. Defaults to
            `16`.
        num_highway_layers: int. Number of `Highway` layers. Defaults to
            `2`.
        projection_dim: int. Size of the token vectors. Defaults to `512`.
        activation: str. `"relu"` or `"tanh"`, after max-pooling. Defaults
            to `"relu"`.
        num_characters: int. Character vocabulary incl. the padding id 0.
            Defaults to `262`.
        max_characters_per_token: int. Character ids per token. Defaults to
            `50`.
        word_vocabulary_size: int. Rows of the word-embedding table, the
            padding row 0 included; `0` means no word embedding (bilm-tf).
            Defaults to `0`.
        word_embedding_dim: int. Size of the word embedding; used when
            `word_vocabulary_size > 0`. Defaults to `0`.
        **kwargs: other `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        character_ids: int tensor `[batch, tokens, max_characters_per_token]`
            shifted by +1 as made by `keras_elmo.batch_to_char_ids`; a token
            of all zeros is absent (padding). With a word vocabulary, the
            last axis is `max_characters_per_token + 1` and its last column
            is the word id (shifted by +1 as well, 0 for absent tokens).
        training: bool. Only picks how the convolutions are computed (the
            outputs are the same): see "Performance" below.

    Masking: `compute_mask` returns `any(character_ids > 0, axis=-1)`, of
    shape `[batch, tokens]`; outputs at absent tokens are zeros.

    Performance: the convolutions are computed in one of two equivalent
    ways (same weights, same outputs up to float rounding). Under XLA at
    inference (`jit_compile=True`, `training` false) each convolution is a
    sum of rows of small tables `embeddings @ kernel[offset]` looked up by
    character id, which XLA fuses with the max-pool: about 30x fewer
    arithmetic operations than the convolution. Otherwise (no XLA, or in
    training, where a lookup's gradient is a slow scatter) they are matmuls
    over unfolded character windows, max-pooled in blocks of positions to
    bound memory.

    Example:

    ```python
    encoder = keras_elmo.layers.CharCNNEncoder(
        filters=[(1, 4), (2, 8)], embedding_dim=4, projection_dim=8)
    ids = keras_elmo.batch_to_char_ids([["Hello", "world"]])
    vectors = encoder(ids)  # (1, 4, 8)
    ```

    Reference:
        - [Peters et al., 2018](https://arxiv.org/abs/1802.05365)
    """

    def __init__(
        self,
        filters=OFFICIAL_FILTERS,
        embedding_dim=16,
        num_highway_layers=2,
        projection_dim=512,
        activation="relu",
        num_characters=N_CHARACTERS,
        max_characters_per_token=MAX_CHARACTERS_PER_TOKEN,
        word_vocabulary_size=0,
        word_embedding_dim=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        filters = [tuple(int(v) for v in pair) for pair in filters]
        if not filters or any(
            len(pair) != 2 or min(pair) < 1 for pair in filters
        ):
            raise ValueError(
                "`filters` must be a non-empty list of positive "
                f"(width, num_filters) pairs. Received: filters={filters}"
            )
        widest = max(width for width, _ in filters)
        if widest > max_characters_per_token:
            raise ValueError(
                f"A filter width ({widest}) exceeds "
                f"max_characters_per_token={max_characters_per_token}."
            )
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"`activation` must be one of {_ACTIVATIONS}. "
                f"Received: activation={activation!r}"
            )
        for name, value in (
            ("embedding_dim", embedding_dim),
            ("projection_dim", projection_dim),
            ("num_characters", num_characters),
        ):
            if int(value) < 1:
                raise ValueError(
                    f"`{name}` must be positive. Received: {name}={value}"
                )
        if int(word_vocabulary_size) < 0 or int(word_embedding_dim) < 0:
            raise ValueError(
                "`word_vocabulary_size` and `word_embedding_dim` must be >= 0."
                f" Received: word_vocabulary_size={word_vocabulary_size}, "
                f"word_embedding_dim={word_embedding_dim}"
            )
        if (int(word_vocabulary_size) > 0) != (int(word_embedding_dim) > 0):
            raise ValueError(
                "A word embedding needs both `word_vocabulary_size` and "
                "`word_embedding_dim` > 0 (or both 0 for none). Received: "
                f"word_vocabulary_size={word_vocabulary_size}, "
                f"word_embedding_dim={word_embedding_dim}"
            )
        if int(num_highway_layers) < 0:
            raise ValueError(
                "`num_highway_layers` must be >= 0. "
                f"Received: num_highway_layers={num_highway_layers}"
            )
        self.filters = filters
        self.embedding_dim = int(embedding_dim)
        self.num_highway_layers = int(num_highway_layers)
        self.projection_dim = int(projection_dim)
        self.activation = activation
        self.num_characters = int(num_characters)
        self.max_characters_per_token = int(max_characters_per_token)
        self.word_vocabulary_size = int(word_vocabulary_size)
        self.word_embedding_dim = (
            int(word_embedding_dim) if self.word_vocabulary_size else 0
        )
        self.num_filters = sum(n for _, n in filters)
        # Token features before the projection: [word embedding, CNN].
        self.feature_dim = self.word_embedding_dim + self.num_filters
        # Ids per token in the input: the characters, then the word id.
        self.ids_per_token = self.max_characters_per_token + (
            1 if self.word_vocabulary_size else 0
        )
        self.supports_masking = True

        # === Layers ===
        self.char_embed = keras.layers.Embedding(
            self.num_characters,
            self.embedding_dim,
            embeddings_initializer=keras.initializers.RandomUniform(-1, 1),
            dtype=self.dtype_policy,
            name="char_embed",
        )
        self.convolutions = [
            keras.layers.Conv1D(
                num,
                width,
                padding="valid",
                kernel_initializer=keras.initializers.RandomUniform(
                    -0.05, 0.05
                ),
                dtype=self.dtype_policy,
                name=f"cnn_{i}",
            )
            for i, (width, num) in enumerate(self.filters)
        ]
        self.highways = [
            Highway(dtype=self.dtype_policy, name=f"highway_{k}")
            for k in range(self.num_highway_layers)
        ]
        self.word_embed = None
        if self.word_vocabulary_size:
            self.word_embed = keras.layers.Embedding(
                self.word_vocabulary_size,
                self.word_embedding_dim,
                embeddings_initializer=keras.initializers.RandomUniform(
                    -0.25, 0.25
                ),
                dtype=self.dtype_policy,
                name="word_embed",
            )
        self.projection = None
        if self.feature_dim != self.projection_dim:
            self.projection = keras.layers.Dense(
                self.projection_dim,
                dtype=self.dtype_policy,
                name="cnn_projection",
            )
        # A frozen model reloaded from its config: freeze the sublayers too.
        propagate_trainable(self)

    def build(self, character_ids_shape):
        chars = self.max_characters_per_token
        self.char_embed.build((None, chars))
        for convolution in self.convolutions:
            convolution.build((None, chars, self.embedding_dim))
        for highway in self.highways:
            highway.build((None, self.num_filters))
        if self.word_embed is not None:
            self.word_embed.build((None,))
        if self.projection is not None:
            self.projection.build((None, self.feature_dim))

    def _check_character_ids(self, character_ids):
        if len(character_ids.shape) != 3:
            raise ValueError(
                "`character_ids` must have shape [batch, tokens, "
                f"{self.ids_per_token}]. "
                f"Received: shape={tuple(character_ids.shape)}"
            )
        last = character_ids.shape[-1]
        if last is not None and last != self.ids_per_token:
            raise ValueError(
                "The last axis of `character_ids` must be "
                f"max_characters_per_token={self.max_characters_per_token}"
                + (" + 1 (the word id)" if self.word_vocabulary_size else "")
                + f". Received: shape={tuple(character_ids.shape)}"
            )
        values = concrete_value(character_ids)
        if values is not None and values.size:
            chars = values[..., : self.max_characters_per_token]
            low, high = chars.min(), chars.max()
            if low < 0 or high >= self.num_characters:
                raise ValueError(
                    "`character_ids` must lie in [0, "
                    f"{self.num_characters - 1}] (ids are shifted by +1; 0 "
                    f"is padding). Received values in [{low}, {high}]."
                )
            if self.word_vocabulary_size:
                words = values[..., self.max_characters_per_token]
                if words.min() < 0 or words.max() >= self.word_vocabulary_size:
                    raise ValueError(
                        "The word ids (last column of `character_ids`) must "
                        f"lie in [0, {self.word_vocabulary_size - 1}]. "
                        f"Received values in [{words.min()}, {words.max()}]."
                    )

    def _convolve(self, character_ids, training=None):
        """Max-pooled, activated convolution features of every token.

        Two formulations of the same convolutions, picked at trace time:
        table lookups when TensorFlow's XLA compiles an inference
        computation (it fuses the lookups, adds and max-pool into one loop),
        and matmuls over unfolded character windows otherwise: without XLA
        (oneDNN's matmul is the fastest TensorFlow kernel for it, and it
        lowers to TFLite builtins), in training (the gradient of a lookup is
        a scatter, slow on CPU; the matmul's gradient is two matmuls), and
        on JAX, whose CPU compiler does not fuse the lookups: 4x slower than
        the matmuls there (docs/performance.md, "Backends").
        """
        chars = self.max_characters_per_token
        ids = ops.reshape(character_ids, (-1, chars))  # (batch * tokens, chars)
        on_tensorflow = keras.config.backend() == "tensorflow"
        if on_tensorflow and in_xla_context() and not training:
            return self._convolve_by_lookup(ids)
        return self._convolve_by_matmul(ids, gather_windows=bool(training))

    def _activate(self, pooled, convolution):
        # The bias is the same at every position, so it commutes with the
        # max-pool; max-pool before the activation, as the original (both
        # are monotonic).
        activation = ops.relu if self.activation == "relu" else ops.tanh
        bias = ops.cast(convolution.bias, self.compute_dtype)
        return activation(pooled + bias)  # (batch * tokens, num_filters_i)

    def _convolve_by_lookup(self, ids):
        # A convolution over embedded characters is a sum over the window
        # offsets j of embed(c[p + j]) @ kernel[j]. The embedding is a
        # lookup, so embed(c) @ kernel[j] is row c of the table
        # embeddings @ kernel[j] ([num_characters, num_filters]), made once
        # per call: each filter output becomes `width` row lookups and adds
        # per position instead of a 2 * width * embedding_dim FLOP dot
        # product. Same convolution (the sums are ordered differently).
        chars = self.max_characters_per_token
        embeddings = ops.cast(self.char_embed.embeddings, self.compute_dtype)
        pooled = []
        for convolution in self.convolutions:
            kernel = ops.cast(convolution.kernel, self.compute_dtype)
            width = kernel.shape[0]  # kernel: (width, emb, num_filters_i)
            positions = chars - width + 1
            tables = ops.einsum(
                "ce,wen->wcn", embeddings, kernel
            )  # (width, num_characters, num_filters_i)
            windows = None
            for offset in range(width):
                rows = ops.take(
                    tables[offset], ids[:, offset : offset + positions], axis=0
                )  # (batch * tokens, positions, num_filters_i)
                windows = rows if windows is None else windows + rows
            pooled.append(
                self._activate(_max_over_positions(windows), convolution)
            )
        return ops.concatenate(pooled, axis=-1)  # (batch * tokens, filters)

    def _convolve_by_matmul(self, ids, gather_windows=False):
        # A VALID 1-D convolution as matmuls over unfolded windows: same
        # numbers as Conv1D, but also defined for an empty batch (TF's conv
        # kernel mis-shapes zero-row inputs) and cheaper on CPU. The
        # positions are done in blocks, max-pooled as they come: the
        # largest intermediate is [tokens, block, num_filters] rather than
        # [tokens, positions, num_filters] (5x less memory for the official
        # filters, at the same speed).
        chars = self.max_characters_per_token
        table = ops.cast(self.char_embed.embeddings, self.compute_dtype)
        embedded = None if gather_windows else self.char_embed(ids)
        pooled = []
        for convolution in self.convolutions:
            width, _, num_filters = convolution.kernel.shape
            positions = chars - width + 1
            kernel = ops.reshape(
                ops.cast(convolution.kernel, self.compute_dtype),
                (width * self.embedding_dim, num_filters),
            )
            best = None
            for start in range(0, positions, _POSITION_BLOCK):
                stop = min(positions, start + _POSITION_BLOCK)
                if gather_windows:
                    # In training: each window is gathered from the table
                    # by its character ids. The gradient is one
                    # scatter-add into the small table, where the slices
                    # concatenated below have a gradient of padded slices,
                    # summed (a copy, a concatenation and a reduce-window
                    # in XLA; the step is 2-7% faster, docs/performance.md).
                    offsets = np.arange(start, stop)[:, None] + np.arange(width)
                    window_ids = ops.take(ids, offsets.reshape(-1), axis=1)
                    windows = ops.reshape(
                        ops.take(table, window_ids, axis=0),
                        (-1, stop - start, width * self.embedding_dim),
                    )  # (batch * tokens, block, width * emb)
                else:
                    windows = ops.concatenate(
                        [
                            embedded[:, start + j : stop + j]
                            for j in range(width)
                        ],
                        axis=-1,
                    )  # (batch * tokens, block, width * emb)
                block = _max_over_positions(
                    ops.matmul(windows, kernel)
                )  # (batch * tokens, num_filters_i)
                best = block if best is None else ops.maximum(best, block)
            pooled.append(self._activate(best, convolution))
        return ops.concatenate(pooled, axis=-1)  # (batch * tokens, filters)

    def call(self, character_ids, training=None):
        self._check_character_ids(character_ids)
        character_ids = ops.cast(character_ids, "int32")
        mask = ops.any(character_ids > 0, axis=-1)  # (batch, tokens)
        batch, tokens = ops.shape(character_ids)[0], ops.shape(character_ids)[1]
        chars = character_ids[..., : self.max_characters_per_token]
        x = self._convolve(chars, training)  # (b * t, num_filters)
        for highway in self.highways:
            x = highway(x)  # (batch * tokens, num_filters)
        if self.word_embed is not None:
            words = ops.reshape(
                character_ids[..., self.max_characters_per_token], (-1,)
            )  # (batch * tokens,)
            x = ops.concatenate(
                [self.word_embed(words), x], axis=-1
            )  # (batch * tokens, word_embedding_dim + num_filters)
        if self.projection is not None:
            x = self.projection(x)  # (batch * tokens, projection_dim)
        x = ops.reshape(x, (batch, tokens, self.projection_dim))
        # expand_dims, not [..., None]: TFLite has no builtin for a strided
        # slice adding an axis to a tensor with two dynamic dims.
        keep = ops.expand_dims(ops.cast(mask, x.dtype), -1)  # (b, tokens, 1)
        return x * keep  # (batch, tokens, proj)

    def compute_mask(self, character_ids, mask=None):
        return ops.any(ops.greater(character_ids, 0), axis=-1)

    def compute_output_shape(self, character_ids_shape):
        return tuple(character_ids_shape[:2]) + (self.projection_dim,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": [list(pair) for pair in self.filters],
                "embedding_dim": self.embedding_dim,
                "num_highway_layers": self.num_highway_layers,
                "projection_dim": self.projection_dim,
                "activation": self.activation,
                "num_characters": self.num_characters,
                "max_characters_per_token": self.max_characters_per_token,
                "word_vocabulary_size": self.word_vocabulary_size,
                "word_embedding_dim": self.word_embedding_dim,
            }
        )
        return config
