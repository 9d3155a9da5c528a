"""In-graph checks of served requests: well-formed ids, bounded size.

A served graph cannot raise a Python error: each check is a core
`tf.debugging` assertion that the model's computation depends on, so a bad
request fails with `InvalidArgumentError` (gRPC `INVALID_ARGUMENT` in TF
Serving) before any LSTM step runs, and the server goes on serving.

The size limits bound the work of one request, since an LSTM runs one step
per token position: `max_tokens_per_request` caps the token positions the
biLM computes (sentences x the longest sentence, markers included), and
`max_bytes_per_string` caps each input string (a sentence of
`serving_default`, a token of `tokens`) before it is split or converted.
"""

from keras_elmo.utils.lazy_module import LazyModule

# TensorFlow on first use: the module imports without it (a JAX or
# PyTorch install); using it there says how to install it.
tf = LazyModule("tensorflow", feature="SavedModel export")

# One request: 64 sentences of 62 tokens, or one sentence of 4,094 tokens.
DEFAULT_MAX_TOKENS_PER_REQUEST = 4096
# A sentence of `serving_default` (or a token of `tokens`), in bytes.
DEFAULT_MAX_BYTES_PER_STRING = 65536


def check_limit(name, value):
    """Validate a size limit argument: a positive int or None (no limit).

    Args:
        name: str. The argument name, for the error message.
        value: int or None.

    Returns:
        The value.

    Example:

    >>> check_limit("max_tokens_per_request", 4096)
    4096
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"`{name}` must be a positive int or None (no limit). "
            f"Received: {name}={value!r}"
        )
    return value


def _after(checks, tensor):
    with tf.control_dependencies(checks):
        return tf.identity(tensor)


def check_string_lengths(strings, max_bytes_per_string, what):
    """`strings`, failing the request if one is longer than the limit.

    Args:
        strings: `tf.string` tensor of any shape.
        max_bytes_per_string: int or None (no check).
        what: str. What the strings are, for the message (`"sentence"`).

    Returns:
        `strings`, computed after the check.

    Example:

    ```python
    sentences = check_string_lengths(sentences, 65536, "sentence")
    ```
    """
    if max_bytes_per_string is None:
        return strings
    lengths = tf.strings.length(strings, unit="BYTE")
    longest = tf.reduce_max(tf.concat([tf.reshape(lengths, [-1]), [0]], 0))
    check = tf.debugging.Assert(
        longest <= max_bytes_per_string,
        [
            f"Request too large: a {what} has more than "
            f"max_bytes_per_string={max_bytes_per_string} bytes. Longest:",
            longest,
        ],
        name=f"check_{what}_bytes",
    )
    return _after([check], strings)


def check_request_size(char_ids, max_tokens_per_request):
    """`char_ids`, failing the request if it has too many token positions.

    Args:
        char_ids: int tensor `[batch, tokens, chars]` (markers included).
        max_tokens_per_request: int or None (no check).

    Returns:
        `char_ids`, computed after the check.

    Example:

    ```python
    char_ids = check_request_size(char_ids, 4096)
    ```
    """
    if max_tokens_per_request is None:
        return char_ids
    shape = tf.shape(char_ids, out_type=tf.int64)
    positions = shape[0] * shape[1]
    check = tf.debugging.Assert(
        positions <= max_tokens_per_request,
        [
            "Request too large: sentences x token positions (the longest "
            "sentence + 2 markers) exceeds max_tokens_per_request="
            f"{max_tokens_per_request}. Received [sentences, positions]:",
            shape[:2],
        ],
        name="check_request_size",
    )
    return _after([check], char_ids)


def check_character_ids(char_ids, num_characters, num_words=0):
    """`char_ids`, failing the request unless the ids are well formed.

    Well formed, as `keras_elmo.batch_to_char_ids` makes them: every id in
    `[0, num_characters - 1]`; each token row either all zeros (no token)
    or all positive (a real token: ids are shifted by +1, so a real token
    has no 0); and in each sentence the real tokens come first (a
    no-token row followed by a real token would drop that token from the
    biLM's sequence).

    Args:
        char_ids: int32 tensor `[batch, tokens, chars]`.
        num_characters: int. The model's character vocabulary (262).
        num_words: int. With a word vocabulary (ELMoForManyLangs models),
            its size: the last column is the word id, in
            `[0, num_words - 1]`. Defaults to `0` (no word column).

    Returns:
        `char_ids`, computed after the checks.

    Example:

    ```python
    char_ids = check_character_ids(char_ids, 262)
    ```
    """
    characters = char_ids[..., :-1] if num_words else char_ids
    lowest = tf.reduce_min(tf.concat([tf.reshape(char_ids, [-1]), [0]], 0))
    highest = tf.reduce_max(tf.concat([tf.reshape(characters, [-1]), [0]], 0))
    in_range = tf.logical_and(lowest >= 0, highest < num_characters)
    if num_words:
        highest_word = tf.reduce_max(
            tf.concat([tf.reshape(char_ids[..., -1], [-1]), [0]], 0)
        )
        in_range = tf.logical_and(in_range, highest_word < num_words)
    in_range = tf.debugging.Assert(
        in_range,
        [
            f"char_ids must lie in [0, {num_characters - 1}]"
            + (f" (word ids in [0, {num_words - 1}])" if num_words else "")
            + " (ids are shifted by +1; 0 is padding). Received min, max:",
            lowest,
            highest,
        ],
        name="check_char_ids_range",
    )
    present = tf.reduce_any(char_ids > 0, axis=-1)  # (b, t)
    complete = tf.reduce_all(char_ids > 0, axis=-1)  # (b, t)
    rows_ok = tf.debugging.Assert(
        tf.reduce_all(tf.equal(present, complete)),
        [
            "char_ids: each token must be all zeros (no token) or all "
            "positive ids (a real token); a token mixes 0 and other ids."
        ],
        name="check_char_ids_tokens",
    )
    # No real token after a no-token row: present[t] implies present[t-1].
    ordered = tf.reduce_all(
        tf.logical_or(tf.logical_not(present[:, 1:]), present[:, :-1])
    )
    prefix_ok = tf.debugging.Assert(
        ordered,
        [
            "char_ids: a sentence has a real token after an all-zero "
            "(no-token) row; padding must come after the last token."
        ],
        name="check_char_ids_padding",
    )
    return _after([in_range, rows_ok, prefix_ok], char_ids)


def check_sequence_lengths(tokens, sequence_len):
    """`tokens`, failing the request unless `sequence_len` fits it.

    `sequence_len` must give one length per sentence (row) of `tokens`,
    each in `[0, token columns]`: a shorter `sequence_len` would silently
    drop sentences, and a longer one would fail deep in the graph.

    Args:
        tokens: `tf.string` tensor `[batch, tokens]`.
        sequence_len: int32 tensor `[batch]`.

    Returns:
        `tokens`, computed after the checks.

    Example:

    ```python
    tokens = check_sequence_lengths(tokens, sequence_len)
    ```
    """
    shape = tf.shape(tokens)  # (2,)
    lengths = tf.size(sequence_len)
    batch = tf.debugging.Assert(
        tf.equal(lengths, shape[0]),
        [
            "sequence_len must have one entry per sentence (row) of tokens. "
            "Received [sentences, sequence_len entries]:",
            shape[0],
            lengths,
        ],
        name="check_sequence_len_batch",
    )
    lowest = tf.reduce_min(tf.concat([sequence_len, [0]], 0))
    highest = tf.reduce_max(tf.concat([sequence_len, [0]], 0))
    in_range = tf.debugging.Assert(
        tf.logical_and(lowest >= 0, highest <= shape[1]),
        [
            "sequence_len must lie in [0, the number of token columns]. "
            "Received min, max, token columns:",
            lowest,
            highest,
            shape[1],
        ],
        name="check_sequence_len_range",
    )
    return _after([batch, in_range], tokens)


def check_sentence_markers(char_ids, markers):
    """`char_ids`, failing the request unless each sentence has its markers.

    `keras_elmo.batch_to_char_ids` starts every sentence with the `<S>`
    row and ends it with the `</S>` row; the model drops the first and last
    real rows as those markers, so ids without them would lose two real
    tokens without an error. A sentence of only zero rows (padding) is
    allowed: it has no tokens.

    Args:
        char_ids: int32 tensor `[batch, tokens, ids]`, after
            `check_character_ids` (real rows first, then zero rows).
        markers: int32 tensor `[2, ids]`: the `<S>` and `</S>` rows, as the
            model's character tokenizer makes them.

    Returns:
        `char_ids`, computed after the check.

    Example:

    ```python
    char_ids = check_sentence_markers(char_ids, markers)
    ```
    """
    present = tf.reduce_any(char_ids > 0, axis=-1)  # (b, t)
    count = tf.reduce_sum(tf.cast(present, tf.int32), axis=1)  # (b,)
    empty = tf.equal(count, 0)  # (b,)
    width = tf.shape(char_ids)[1]
    # Width 0 has no rows to gather: pad one zero row to gather from.
    padded = tf.pad(char_ids, [[0, 0], [0, 1], [0, 0]])  # (b, t + 1, ids)
    first = padded[:, 0]  # (b, ids)
    last_index = tf.minimum(tf.maximum(count - 1, 0), width)  # (b,)
    last = tf.gather(padded, last_index, axis=1, batch_dims=1)  # (b, ids)
    has_markers = tf.logical_and(
        tf.reduce_all(tf.equal(first, markers[0]), axis=-1),
        tf.reduce_all(tf.equal(last, markers[1]), axis=-1),
    )  # (b,)
    sentence_ok = tf.logical_or(empty, tf.logical_and(count >= 2, has_markers))
    check = tf.debugging.Assert(
        tf.reduce_all(sentence_ok),
        [
            "char_ids: each sentence must start with the <S> row and end "
            "with the </S> row (as keras_elmo.batch_to_char_ids makes "
            "them). Sentences without them:",
            tf.where(tf.logical_not(sentence_ok))[:, 0],
        ],
        name="check_char_ids_markers",
    )
    return _after([check], char_ids)
