"""In-graph ELMo character ids, with core TensorFlow ops only."""

import warnings

import keras

from keras_elmo.api_export import keras_elmo_serializable
from keras_elmo.preprocessing.elmo_characters import BOS_CHAR
from keras_elmo.preprocessing.elmo_characters import BOS_TOKEN
from keras_elmo.preprocessing.elmo_characters import BOW_CHAR
from keras_elmo.preprocessing.elmo_characters import CHARACTER_ID_OFFSET
from keras_elmo.preprocessing.elmo_characters import EOS_CHAR
from keras_elmo.preprocessing.elmo_characters import EOS_TOKEN
from keras_elmo.preprocessing.elmo_characters import EOW_CHAR
from keras_elmo.preprocessing.elmo_characters import MAX_CHARACTERS_PER_TOKEN
from keras_elmo.preprocessing.elmo_characters import PAD_CHAR
from keras_elmo.preprocessing.vocabulary_character_tokenizer import (
    ragged_tokens,
)
from keras_elmo.utils.backend import USE_CHARACTER_IDS
from keras_elmo.utils.backend import require_tensorflow_backend
from keras_elmo.utils.lazy_module import LazyModule

# TensorFlow on first use: the module imports without it (a JAX or
# PyTorch install); using it there says how to install it.
tf = LazyModule(
    "tensorflow",
    feature="The in-graph string tokenizer (`ELMoCharacterTokenizer`)",
)


def _check_max_characters_per_token(max_characters_per_token):
    if (
        isinstance(max_characters_per_token, bool)
        or not isinstance(max_characters_per_token, int)
        or max_characters_per_token < 3
    ):
        raise ValueError(
            "`max_characters_per_token` must be an int of at least 3 "
            "(begin-of-word, one byte, end-of-word). "
            f"Received: max_characters_per_token={max_characters_per_token!r}"
        )


def tokens_to_character_ids(
    tokens, max_characters_per_token=MAX_CHARACTERS_PER_TOKEN
):
    """Model-ready character ids of every token of a dense string tensor.

    The in-graph twin of `elmo_characters.word_to_char_ids` plus the +1
    model offset: every entry is a real token (an empty string becomes
    `[BOW, EOW, PAD, ...] + 1`, never an all-zero row). Padding and sentence
    markers are the business of the caller (`ELMoCharacterTokenizer`,
    `keras_elmo.training.data`). Only core TensorFlow ops are used, so graphs
    built from it load in stock TF Serving.

    Args:
        tokens: `tf.string` tensor of any shape. Tokens are raw bytes (no
            UTF-8 validation); the literal tokens `"<S>"` and `"</S>"` are
            the sentence markers.
        max_characters_per_token: int. Ids per token; a token keeps at most
            `max_characters_per_token - 2` bytes. Defaults to `50`.

    Returns:
        int32 tensor of shape `tokens.shape + [max_characters_per_token]`,
        values in `[1, 261]`.

    Example:

    >>> tokens_to_character_ids(tf.constant(["hi"]), 6).numpy().tolist()
    [[259, 105, 106, 260, 261, 261]]
    """
    require_tensorflow_backend(
        "The in-graph string tokenizer",
        USE_CHARACTER_IDS,
    )
    _check_max_characters_per_token(max_characters_per_token)
    tokens = tf.convert_to_tensor(tokens)
    if tokens.dtype != tf.string:
        raise TypeError(
            "`tokens` must be a tf.string tensor. "
            f"Received: tokens.dtype={tokens.dtype.name}"
        )
    max_bytes = max_characters_per_token - 2
    flat_tokens = tf.reshape(tokens, [-1])  # (n,)
    truncated = tf.strings.substr(flat_tokens, 0, max_bytes, unit="BYTE")
    num_bytes = tf.strings.length(truncated, unit="BYTE")[:, None]  # (n, 1)
    # decode_raw zero-pads every token to max_bytes bytes.
    byte_ids = tf.io.decode_raw(truncated, tf.uint8, fixed_length=max_bytes)
    byte_ids = tf.cast(byte_ids, tf.int32)  # (n, max_bytes)
    # One column on each side: column j holds byte j - 1.
    byte_ids = tf.pad(byte_ids, [[0, 0], [1, 1]])  # (n, max_chars)
    position = tf.range(max_characters_per_token)[None, :]  # (1, max_chars)
    word_ids = tf.where(
        position <= num_bytes,
        byte_ids,
        tf.where(position == num_bytes + 1, EOW_CHAR, PAD_CHAR),
    )  # (n, max_chars)
    word_ids = tf.where(position == 0, BOW_CHAR, word_ids)

    # Sentence markers: [BOW, BOS or EOS, EOW, PAD, ...].
    marker_ids = tf.where(
        position == 0, BOW_CHAR, tf.where(position == 2, EOW_CHAR, PAD_CHAR)
    )  # (1, max_chars)
    bos_ids = tf.where(position == 1, BOS_CHAR, marker_ids)  # (1, max_chars)
    eos_ids = tf.where(position == 1, EOS_CHAR, marker_ids)  # (1, max_chars)
    is_bos = tf.equal(flat_tokens, BOS_TOKEN)[:, None]  # (n, 1)
    is_eos = tf.equal(flat_tokens, EOS_TOKEN)[:, None]  # (n, 1)
    char_ids = tf.where(is_bos, bos_ids, tf.where(is_eos, eos_ids, word_ids))
    char_ids = char_ids + CHARACTER_ID_OFFSET  # (n, max_chars)

    output_shape = tf.concat(
        [tf.shape(tokens), [max_characters_per_token]], axis=0
    )
    char_ids = tf.reshape(char_ids, output_shape)
    char_ids.set_shape(tokens.shape.concatenate([max_characters_per_token]))
    return char_ids


@keras_elmo_serializable
class ELMoCharacterTokenizer(keras.layers.Layer):
    """Turns tokenized sentences into ELMo character ids, inside the graph.

    The output is identical to
    `keras_elmo.preprocessing.elmo_characters.batch_to_char_ids` (and so to
    the original `bilm.Batcher`): each token becomes
    `[BOW, utf-8 bytes..., EOW, PAD, ...]` truncated to
    `max_characters_per_token - 2` bytes, each sentence is wrapped in
    `<S>`/`</S>` markers, every id is shifted by +1, and the positions after
    the end of a sentence are all-zero rows. The literal tokens `"<S>"` and
    `"</S>"` get the marker ids, as in the original code. Tokens are handled
    as raw bytes, so non-UTF-8 input never fails.

    Only core TensorFlow string, ragged and array ops are used (no
    `tensorflow_text` op), so a SavedModel containing this layer is served
    by stock TF Serving.

    Inputs may be:
    - a `tf.RaggedTensor` of shape `[batch, (tokens)]` of tokens. The output
      has `max(tokens) (+2)` token positions.
    - a dense `[batch, tokens]` string tensor padded with `""`. Without
      `sequence_length`, every `""` entry is padding and is dropped (the
      other tokens keep their order); with it, the first `sequence_length[i]`
      entries of row `i` are the sentence, whatever they hold. The output
      keeps the input width: `tokens (+2)` positions, which equals the
      `batch_to_char_ids` width whenever the longest sentence fills the row.
    - a Python list of token lists, converted with `tf.ragged.constant`.
    Use `ELMoCharacterTokenizer.split` to tokenize raw sentences first.

    Args:
        add_sentence_markers: bool. Wrap each sentence in `<S>`/`</S>`.
            Defaults to `True`.
        max_characters_per_token: int. Ids per token, at least 3. Defaults
            to `50`, the value of every pretrained ELMo.
        **kwargs: other `keras.layers.Layer` arguments (`name`, ...).

    Call arguments:
        inputs: a `tf.RaggedTensor` `[batch, (tokens)]` or a dense
            `[batch, tokens]` tensor of `tf.string` tokens.
        sequence_length: optional int tensor `[batch]`, only for dense
            inputs: the number of real tokens of each row.

    Returns:
        int32 tensor `[batch, tokens (+2), max_characters_per_token]`. A
        token position is real where any of its ids is > 0, which is the
        padding mask the ELMo models compute.

    Example:

    ```python
    tokenizer = keras_elmo.preprocessing.ELMoCharacterTokenizer()
    tokens = tokenizer.split(tf.constant(["Hello world .", "Hi"]))
    character_ids = tokenizer(tokens)  # (2, 5, 50), int32
    ```

    Reference:
    - [Peters et al., 2018](https://arxiv.org/abs/1802.05365)
    """

    def __init__(
        self,
        add_sentence_markers=True,
        max_characters_per_token=MAX_CHARACTERS_PER_TOKEN,
        **kwargs,
    ):
        require_tensorflow_backend(
            "The in-graph string tokenizer (`ELMoCharacterTokenizer`)",
            USE_CHARACTER_IDS,
        )
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int32"
        if kwargs.get("name") is None:
            # Keras would derive "el_mo_character_tokenizer" from the class
            # name; keep the name the layer had before the `ELMo` spelling.
            uid = keras.backend.get_uid("elmo_character_tokenizer")
            suffix = f"_{uid - 1}" if uid > 1 else ""
            kwargs["name"] = f"elmo_character_tokenizer{suffix}"
        super().__init__(**kwargs)
        _check_max_characters_per_token(max_characters_per_token)
        if not isinstance(add_sentence_markers, bool):
            raise ValueError(
                "`add_sentence_markers` must be a bool. "
                f"Received: add_sentence_markers={add_sentence_markers!r}"
            )
        self.add_sentence_markers = add_sentence_markers
        self.max_characters_per_token = max_characters_per_token
        # String and ragged inputs stay TensorFlow tensors (as in keras-hub
        # preprocessing layers); there is nothing to build.
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.built = True

    @staticmethod
    def split(sentences):
        """Splits raw sentences on whitespace into a ragged token tensor.

        Splits on runs of ASCII whitespace (space, `\\t`, `\\n`, `\\r`,
        `\\v`, `\\f`) with `tf.strings.split`, a core op; leading and
        trailing whitespace gives no empty token. This is the tokenization
        of TF-Hub's ELMo `default` signature and of `str.split()` on ASCII
        text.

        Args:
            sentences: 1-D `tf.string` tensor (or list of str) of sentences.

        Returns:
            `tf.RaggedTensor` of shape `[batch, (tokens)]`.

        Example:

        >>> ELMoCharacterTokenizer.split(tf.constant(["a  b", ""])).to_list()
        [[b'a', b'b'], []]
        """
        sentences = tf.convert_to_tensor(sentences, dtype_hint=tf.string)
        if sentences.dtype != tf.string:
            raise TypeError(
                "`sentences` must be strings. "
                f"Received: sentences.dtype={sentences.dtype.name}"
            )
        if sentences.shape.rank != 1:
            raise ValueError(
                "`sentences` must be a 1-D tensor of sentences. "
                f"Received: sentences.shape={sentences.shape}"
            )
        return tf.strings.split(sentences)  # (batch, (tokens))

    def _to_ragged(self, inputs, sequence_length):
        if isinstance(inputs, (list, tuple)):
            inputs = tf.ragged.constant(inputs, dtype=tf.string)
        elif not isinstance(inputs, (tf.Tensor, tf.RaggedTensor)):
            inputs = tf.convert_to_tensor(inputs)
        if inputs.dtype != tf.string:
            raise TypeError(
                "`inputs` must hold tf.string tokens. "
                f"Received: inputs.dtype={inputs.dtype.name}"
            )
        if inputs.shape.rank != 2:
            raise ValueError(
                "`inputs` must be a batch of tokenized sentences of shape "
                "[batch, tokens] (dense or ragged). To tokenize raw "
                "sentences, call `ELMoCharacterTokenizer.split(sentences)` "
                f"first. Received: inputs.shape={inputs.shape}"
            )
        tokens, width = ragged_tokens(inputs, sequence_length)
        return tokens, width, inputs.shape
        sequence_length = tf.cast(sequence_length, tf.int64)  # (batch,)
        checks = [
            tf.debugging.assert_non_negative(
                sequence_length, message="`sequence_length` must be >= 0."
            ),
            tf.debugging.assert_less_equal(
                sequence_length,
                width,
                message="`sequence_length` exceeds the width of `inputs`.",
            ),
        ]
        with tf.control_dependencies(checks):
            tokens = tf.RaggedTensor.from_tensor(
                inputs, lengths=sequence_length
            )
        return tokens, width, inputs.shape

    def call(self, inputs, sequence_length=None):
        tokens, width, input_shape = self._to_ragged(inputs, sequence_length)
        static_shape = self._output_shape(input_shape)
        num_sentences = tokens.nrows(out_type=tf.int64)
        if self.add_sentence_markers:
            bos = tf.fill([num_sentences, 1], BOS_TOKEN)  # (batch, 1)
            eos = tf.fill([num_sentences, 1], EOS_TOKEN)  # (batch, 1)
            tokens = tf.concat([bos, tokens, eos], axis=1)  # (b, (t + 2))
        flat_char_ids = tokens_to_character_ids(
            tokens.flat_values, self.max_characters_per_token
        )  # (total_tokens, max_chars)
        char_ids = tokens.with_flat_values(flat_char_ids)  # (b, (t), chars)
        if width is None:
            # As `batch_to_char_ids`: an empty batch still has the markers.
            num_markers = 2 if self.add_sentence_markers else 0
            row_lengths = tf.cast(tokens.row_lengths(), tf.int64)
            width = tf.maximum(tf.reduce_max(row_lengths), num_markers)
        elif self.add_sentence_markers:
            width = width + 2
        output_shape = tf.stack(
            [
                num_sentences,
                width,
                tf.constant(self.max_characters_per_token, tf.int64),
            ]
        )
        char_ids = char_ids.to_tensor(default_value=0, shape=output_shape)
        char_ids.set_shape(static_shape)  # (batch, tokens (+2), max_chars)
        return char_ids

    def _output_shape(self, input_shape):
        batch, num_tokens = tf.TensorShape(input_shape).as_list()[:2]
        if num_tokens is not None and self.add_sentence_markers:
            num_tokens += 2
        return tf.TensorShape(
            [batch, num_tokens, self.max_characters_per_token]
        )

    def compute_output_shape(self, input_shape):
        return tuple(self._output_shape(input_shape).as_list())

    def compute_output_spec(self, inputs, sequence_length=None):
        return keras.KerasTensor(
            self.compute_output_shape(inputs.shape), dtype="int32"
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "add_sentence_markers": self.add_sentence_markers,
                "max_characters_per_token": self.max_characters_per_token,
            }
        )
        return config


# The class's name before keras-hub's capitalisation (`ELMo*`): saved models
# that registered it as `keras_elmo>ElmoCharacterTokenizer` restore as this
# class, and the old name stays importable for one release, with a warning.
keras.saving.get_custom_objects()["keras_elmo>ElmoCharacterTokenizer"] = (
    ELMoCharacterTokenizer
)
_DEPRECATED_NAMES = {"ElmoCharacterTokenizer": "ELMoCharacterTokenizer"}


def __getattr__(name):
    # PEP 562: the deprecated alias, with a warning naming the new name.
    if name in _DEPRECATED_NAMES:
        new_name = _DEPRECATED_NAMES[name]
        warnings.warn(
            f"`{name}` is deprecated and will be removed in the next "
            f"release: use `{new_name}` (same class).",
            DeprecationWarning,
            stacklevel=2,
        )
        return globals()[new_name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
