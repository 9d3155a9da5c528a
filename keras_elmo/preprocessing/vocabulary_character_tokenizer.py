"""Character (and word) ids from a model's own vocabulary, as ELMoForManyLangs.

bilm-tf models read the UTF-8 bytes of a token; ELMoForManyLangs models
look each Unicode code point up in the model's `char.dic` (unknown ones map
to `<oov>`), and optionally the whole token in its `word.dic`. This layer
makes those ids inside the graph with core TensorFlow ops only
(`tf.strings.unicode_split`, `tf.lookup.StaticHashTable`), so SavedModels
containing it run in stock TF Serving; `batch_to_ids` is its pure-Python
twin, and tests pin the two to each other and to the original's numbers.

The original batching (`elmoformanylangs.frontend.create_one_batch`), whose
quirks are reproduced because the released weights were trained on them:

- each sentence is wrapped in the tokens `<bos>` and `<eos>`;
- a token longer than `max_characters_per_token - 2` code points is cut to
  that length, and the cut token is what `word.dic` is asked for;
- a token's ids are `[<eow>, chars..., <bow>, <pad>, ...]`: the original
  reads `bow_id, eow_id = char2id['<eow>'], char2id['<bow>']`, so the
  *end*-of-word id opens each token and the begin-of-word id closes it;
- a `<bos>` / `<eos>` token (also when it is literally in the input) is
  `[<eow>, char2id['<bos>' / '<eos>'], <bow>, <pad>, ...]` and its word id
  `word2id['<bos>' / '<eos>']`.

Model inputs shift every id by +1 so that an all-zero row marks an absent
(padding) token; with a word vocabulary the word id is one extra last
column, shifted the same way.
"""

import keras
import numpy as np

from keras_elmo.api_export import keras_elmo_serializable
from keras_elmo.utils.backend import tensorflow_installed
from keras_elmo.utils.lazy_module import LazyModule

# TensorFlow only when the in-graph tokenizer runs: the class imports on
# every Keras backend (its NumPy `batch_to_ids` needs no TensorFlow).
tf = LazyModule(
    "tensorflow",
    feature="The in-graph tokenizer `VocabularyCharacterTokenizer`",
)

ID_OFFSET = 1  # model ids are dictionary ids + 1; 0 = absent token
BOS_TOKEN = "<bos>"
EOS_TOKEN = "<eos>"


def ragged_tokens(inputs, sequence_length=None):
    """A `[batch, tokens]` string batch as ragged tokens, and its width.

    Shared by the in-graph character tokenizers. A ragged batch is kept
    (it knows its row lengths); a dense one is cut at `sequence_length`
    (checked in the graph to lie in `[0, width]`), or, without it, loses
    its `""` padding.

    Args:
        inputs: `tf.string` tensor or `tf.RaggedTensor` `[batch, tokens]`.
        sequence_length: int tensor `[batch]` or None. Only for dense
            inputs.

    Returns:
        `(tokens, width)`: a `tf.RaggedTensor` with int64 row splits, and
        the dense input's width (None for ragged inputs).

    Example:

    >>> tokens, _ = ragged_tokens(tf.constant([["a", ""], ["b", "c"]]))
    """
    if isinstance(inputs, tf.RaggedTensor):
        if sequence_length is not None:
            raise ValueError(
                "`sequence_length` is only for dense inputs; a ragged "
                "tensor already knows its row lengths."
            )
        return inputs.with_row_splits_dtype(tf.int64), None
    width = tf.shape(inputs, out_type=tf.int64)[1]
    if sequence_length is None:
        mask = tf.not_equal(inputs, "")
        return tf.ragged.boolean_mask(inputs, mask), width
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
        tokens = tf.RaggedTensor.from_tensor(inputs, lengths=sequence_length)
    return tokens, width


def _check_vocabulary(name, vocabulary, required):
    if not isinstance(vocabulary, dict) or not vocabulary:
        raise ValueError(
            f"`{name}` must be a non-empty dict token -> id. "
            f"Received: {type(vocabulary).__name__}"
        )
    missing = [token for token in required if token not in vocabulary]
    if missing:
        raise ValueError(f"`{name}` lacks the special tokens {missing}.")
    return {str(token): int(index) for token, index in vocabulary.items()}


@keras_elmo_serializable
class VocabularyCharacterTokenizer(keras.layers.Layer):
    """Token lists -> ids from a character (and word) vocabulary.

    The preprocessing of ELMoForManyLangs models, saved with their preset so
    that users never handle the character scheme. See the module docstring
    for the exact layout and the original's quirks it keeps.

    Args:
        characters: dict. Character -> id (`char.dic`), with the special
            tokens `<bow> <eow> <oov> <pad> <bos> <eos>`.
        words: dict or `None`. Word -> id (`word.dic`), with `<oov> <pad>
            <bos> <eos>`; `None` for a model without a word embedding.
            Defaults to `None`.
        max_characters_per_token: int. Ids per token, at least 3. Defaults
            to `50`.
        add_sentence_markers: bool. Wrap each sentence in `<bos>`/`<eos>`.
            Defaults to `True`.
        **kwargs: other `keras.layers.Layer` arguments (`name`, ...).

    Call arguments:
        inputs: a `tf.RaggedTensor` `[batch, (tokens)]` of `tf.string`
            tokens, a dense `[batch, tokens]` string tensor padded with `""`
            (every `""` is dropped, unless `sequence_length` is given), or a
            Python list of token lists.
        sequence_length: optional int tensor `[batch]`, only for dense
            inputs: the first `sequence_length[i]` entries of row `i` are
            the sentence. The output then keeps the input width (`tokens
            (+2)` positions), as `ELMoCharacterTokenizer`'s.

    Returns:
        int32 tensor `[batch, tokens (+2), max_characters_per_token (+1)]`;
        the `+1` column (with `words`) is the word id. Absent tokens are
        all zeros.

    Example:

    ```python
    tokenizer = keras_elmo.preprocessing.VocabularyCharacterTokenizer(
        characters={"<bow>": 0, "<eow>": 1, "<oov>": 2, "<pad>": 3,
                    "<bos>": 4, "<eos>": 5, "a": 6},
        max_characters_per_token=5)
    tokenizer([["a", "ab"]]).shape  # (1, 4, 5)
    ```
    """

    def __init__(
        self,
        characters,
        words=None,
        max_characters_per_token=50,
        add_sentence_markers=True,
        **kwargs,
    ):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int32"
        super().__init__(**kwargs)
        self.characters = _check_vocabulary(
            "characters",
            characters,
            ("<bow>", "<eow>", "<oov>", "<pad>", BOS_TOKEN, EOS_TOKEN),
        )
        self.words = (
            None
            if words is None
            else _check_vocabulary(
                "words", words, ("<oov>", "<pad>", BOS_TOKEN, EOS_TOKEN)
            )
        )
        if (
            isinstance(max_characters_per_token, bool)
            or int(max_characters_per_token) < 3
        ):
            raise ValueError(
                "`max_characters_per_token` must be an int of at least 3. "
                f"Received: max_characters_per_token={max_characters_per_token}"
            )
        self.max_characters_per_token = int(max_characters_per_token)
        self.add_sentence_markers = bool(add_sentence_markers)
        self.ids_per_token = self.max_characters_per_token + (
            1 if self.words is not None else 0
        )
        chars = self.characters
        # The original's swap: the <eow> id opens a token, <bow> closes it.
        self.first_id = chars["<eow>"]
        self.last_id = chars["<bow>"]
        self.pad_id = chars["<pad>"]
        self.oov_id = chars["<oov>"]
        self._char_table = None
        self._word_table = None
        if tensorflow_installed():
            # Made here, eagerly: a table made inside a traced call would
            # belong to that graph. Without TensorFlow the layer still
            # gives `batch_to_ids` (NumPy); its in-graph use says how to
            # install TensorFlow.
            self._make_tables()
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.built = True

    @property
    def lookup_tables(self):
        """The `tf.lookup` tables (resources an exported graph must track)."""
        if self._char_table is None:
            self._make_tables()
        tables = [self._char_table]
        if self._word_table is not None:
            tables.append(self._word_table)
        return tables

    def _make_tables(self):
        self._char_table = self._table(self.characters, self.oov_id)
        if self.words is not None:
            self._word_table = self._table(self.words, self.words["<oov>"])

    @staticmethod
    def _table(vocabulary, default):
        keys = tf.constant(list(vocabulary), tf.string)
        values = tf.constant(list(vocabulary.values()), tf.int32)
        return tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(keys, values), default
        )

    # === Pure-Python twin ===

    def token_ids(self, token):
        """Unshifted `(character ids, word id or None)` of one token."""
        if token in (BOS_TOKEN, EOS_TOKEN):
            chars = [self.first_id, self.characters[token], self.last_id]
            word = token
        else:
            word = token[: self.max_characters_per_token - 2]
            chars = [self.first_id]
            chars += [self.characters.get(c, self.oov_id) for c in word]
            chars.append(self.last_id)
        chars += [self.pad_id] * (self.max_characters_per_token - len(chars))
        if self.words is None:
            return chars, None
        return chars, self.words.get(word, self.words["<oov>"])

    def batch_to_ids(self, token_lists):
        """NumPy model ids of tokenized sentences (the in-graph twin).

        Args:
            token_lists: list of lists of str.

        Returns:
            int32 array `[batch, longest (+2), ids_per_token]`, equal to
            `self(token_lists)`.

        Example:

        >>> tokenizer.batch_to_ids([["a"]]).shape
        (1, 3, 5)
        """
        markers = 2 if self.add_sentence_markers else 0
        width = max((len(t) for t in token_lists), default=0) + markers
        ids = np.zeros(
            (len(token_lists), width, self.ids_per_token), dtype="int32"
        )
        for row, tokens in enumerate(token_lists):
            tokens = [str(t) for t in tokens]
            if self.add_sentence_markers:
                tokens = [BOS_TOKEN] + tokens + [EOS_TOKEN]
            for position, token in enumerate(tokens):
                chars, word = self.token_ids(token)
                ids[row, position, : self.max_characters_per_token] = chars
                if word is not None:
                    ids[row, position, -1] = word
                ids[row, position] += ID_OFFSET
        return ids

    # === In-graph ===

    def _to_ragged(self, inputs, sequence_length=None):
        if isinstance(inputs, (list, tuple)):
            inputs = tf.ragged.constant(
                [[str(t) for t in s] for s in inputs],
                dtype=tf.string,
                row_splits_dtype=tf.int64,
                inner_shape=(),
            )
            if inputs.shape.rank == 1:  # an empty batch
                inputs = tf.RaggedTensor.from_row_lengths(
                    tf.zeros([0], tf.string), tf.zeros([0], tf.int64)
                )
        elif not isinstance(inputs, (tf.Tensor, tf.RaggedTensor)):
            inputs = tf.convert_to_tensor(inputs)
        if inputs.dtype != tf.string or inputs.shape.rank != 2:
            raise ValueError(
                "`inputs` must be tokenized sentences: tf.string of shape "
                f"[batch, tokens]. Received: dtype={inputs.dtype.name}, "
                f"shape={inputs.shape}"
            )
        tokens, width = ragged_tokens(inputs, sequence_length)
        if sequence_length is None:
            width = None  # `""` padding: as wide as the longest sentence
        return tokens, width

    def tokens_to_ids(self, tokens):
        """Model ids of a 1-D `tf.string` tensor of tokens (in-graph).

        Args:
            tokens: 1-D `tf.string` tensor.

        Returns:
            int32 `[n, ids_per_token]`, shifted by +1 (never all zero).
        """
        chars_per_token = self.max_characters_per_token
        # Code points as strings; bytes that are not UTF-8 become U+FFFD.
        characters = tf.strings.unicode_split(
            tokens, "UTF-8", errors="replace"
        )  # (n, (chars))
        characters = characters[:, : chars_per_token - 2]  # the original's cut
        n = tf.shape(tokens, out_type=tf.int64)[0]
        char_ids = tf.ragged.map_flat_values(
            self._char_table.lookup, characters
        )  # (n, (chars))
        first = tf.fill([n, 1], self.first_id)
        last = tf.fill([n, 1], self.last_id)
        word_ids = tf.concat([first, char_ids, last], axis=1)
        word_ids = word_ids.to_tensor(
            default_value=self.pad_id, shape=[n, chars_per_token]
        )  # (n, max_chars)
        position = tf.range(chars_per_token)[None, :]  # (1, max_chars)
        marker_ids = tf.where(
            position == 0,
            self.first_id,
            tf.where(position == 2, self.last_id, self.pad_id),
        )  # (1, max_chars)
        is_bos = tf.equal(tokens, BOS_TOKEN)[:, None]  # (n, 1)
        is_eos = tf.equal(tokens, EOS_TOKEN)[:, None]  # (n, 1)
        second = position == 1
        bos_ids = tf.where(second, self.characters[BOS_TOKEN], marker_ids)
        eos_ids = tf.where(second, self.characters[EOS_TOKEN], marker_ids)
        ids = tf.where(is_bos, bos_ids, tf.where(is_eos, eos_ids, word_ids))
        if self._word_table is not None:
            cut = tf.strings.reduce_join(characters, axis=1)  # (n,)
            # Markers are looked up whole (the original never cuts them).
            cut = tf.where(is_bos[:, 0] | is_eos[:, 0], tokens, cut)  # (n,)
            words = self._word_table.lookup(cut)[:, None]  # (n, 1)
            ids = tf.concat([ids, words], axis=1)  # (n, max_chars + 1)
        return ids + ID_OFFSET

    def call(self, inputs, sequence_length=None):
        tokens, width = self._to_ragged(inputs, sequence_length)
        # tokens: (batch, (tokens))
        num_sentences = tokens.nrows(out_type=tf.int64)
        if self.add_sentence_markers:
            bos = tf.fill([num_sentences, 1], BOS_TOKEN)
            eos = tf.fill([num_sentences, 1], EOS_TOKEN)
            tokens = tf.concat([bos, tokens, eos], axis=1)  # (b, (t + 2))
        ids = tokens.with_flat_values(
            self.tokens_to_ids(tokens.flat_values)
        )  # (batch, (tokens), ids_per_token)
        markers = 2 if self.add_sentence_markers else 0
        if width is None:
            width = tf.maximum(
                tf.reduce_max(tokens.row_lengths()),
                tf.constant(markers, tf.int64),
            )
        else:
            width = width + markers
        ids = ids.to_tensor(
            default_value=0,
            shape=tf.stack(
                [num_sentences, width, tf.constant(self.ids_per_token, "int64")]
            ),
        )
        ids.set_shape([None, None, self.ids_per_token])
        return ids  # (batch, tokens (+2), ids_per_token)

    def compute_output_spec(self, inputs, sequence_length=None):
        return keras.KerasTensor(
            (None, None, self.ids_per_token), dtype="int32"
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "characters": dict(self.characters),
                "words": None if self.words is None else dict(self.words),
                "max_characters_per_token": self.max_characters_per_token,
                "add_sentence_markers": self.add_sentence_markers,
            }
        )
        return config
