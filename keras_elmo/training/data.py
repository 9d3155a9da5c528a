"""tf.data input pipeline for biLM pretraining, as in bilm-tf's training.

The TensorFlow backend's pipeline; `keras_elmo.training.pydataset` makes
the same batches with NumPy for every backend.

Text files hold one sentence a line, tokens separated by whitespace. Each
sentence becomes `<S> w_1 ... w_n </S>`; the sentences are concatenated into
one token stream, which is cut into windows of `unroll_steps` consecutive
tokens (a sentence may span two windows, as in bilm-tf), and the windows are
batched with a fully static shape.

Targets and the `-1` convention. For the token at stream position `t`:
- `next_token_ids[t]` (forward LM) is the vocabulary id of token `t + 1`,
- `previous_token_ids[t]` (backward LM) is the id of token `t - 1`,
both taken from the stream, so the target of the last position of a window
is the first token of the next window (and vice versa backwards). Targets
never cross a sentence boundary: the forward target of `</S>` and the
backward target of `<S>` are `-1`, meaning "no target". A sentence of `n`
words thus gives `n + 1` forward and `n + 1` backward predictions, exactly
the ones bilm-tf trains on (`w_1 .. w_n, </S>` from `<S> .. w_n`, and the
mirror image backwards). Losses and metrics must ignore targets `< 0`.

Out-of-vocabulary tokens have the `<UNK>` id in the targets, but their
character ids are their real characters. Blank lines are skipped.

Two batch layouts:
- `row_continuity=False` (default): windows are shuffled (when `shuffle`)
  and batched; the rows of a batch are independent windows. Use with a
  stateless biLM.
- `row_continuity=True`: row `r` of batch `n + 1` is the continuation of
  row `r` of batch `n`, as in bilm-tf's `_get_batch`, for training with
  LSTM states carried from batch to batch. Each row is a stream of whole
  sentences; a group of `batch_size` sentences at a time is dealt out to
  the rows, the longest sentence to the row with the fewest pending tokens,
  which keeps the rows within one sentence length of each other. Only the
  forward LSTM reads a row in stream order; the backward LSTM reads each
  window from its end, so its final state belongs to the start of the
  window and must not be carried into the next batch.

At the end of a finite dataset (`repeat=False`), tokens that do not fill a
whole batch are dropped, as in bilm-tf.
"""

import os

from keras_elmo.preprocessing.elmo_character_tokenizer import (
    tokens_to_character_ids,
)
from keras_elmo.preprocessing.elmo_characters import BOS_TOKEN
from keras_elmo.preprocessing.elmo_characters import EOS_TOKEN
from keras_elmo.preprocessing.elmo_characters import MAX_CHARACTERS_PER_TOKEN
from keras_elmo.preprocessing.word_vocabulary import UNK_TOKEN
from keras_elmo.preprocessing.word_vocabulary import load_vocabulary
from keras_elmo.preprocessing.word_vocabulary import validate_vocabulary
from keras_elmo.training.pydataset import NO_TARGET
from keras_elmo.training.pydataset import check_pipeline_arguments
from keras_elmo.training.pydataset import count_tokens
from keras_elmo.utils.backend import require_tensorflow_backend
from keras_elmo.utils.files import list_files
from keras_elmo.utils.lazy_module import LazyModule

# Imported on first use: the trainer imports this module on every backend.
tf = LazyModule(
    "tensorflow", feature="The tf.data pretraining pipeline (`make_lm_dataset`)"
)

# `count_tokens` and `NO_TARGET` live with the NumPy pipeline (no
# TensorFlow); importable from here as before.
__all__ = ["NO_TARGET", "count_tokens", "make_lm_dataset"]
# Lines encoded per vectorised map call.
_LINES_PER_CHUNK = 512
# TextLineDataset read buffer, in bytes.
_READ_BUFFER_SIZE = 1 << 20


def _child_seed(seed, offset):
    return None if seed is None else seed + offset


def _vocabulary_table(vocabulary):
    """A `StaticHashTable` token -> int32 id, defaulting to the <UNK> id."""
    if isinstance(vocabulary, (str, os.PathLike)):
        tokens = load_vocabulary(vocabulary)
    else:
        tokens = validate_vocabulary(vocabulary)
    keys = [token.encode("utf-8", "surrogateescape") for token in tokens]
    initializer = tf.lookup.KeyValueTensorInitializer(
        keys=tf.constant(keys, tf.string),
        values=tf.range(len(keys), dtype=tf.int32),
    )
    return tf.lookup.StaticHashTable(
        initializer, default_value=tokens.index(UNK_TOKEN)
    )


def _sentences(lines, table):
    """Wraps the non-blank lines in markers and computes their targets.

    Args:
        lines: 1-D `tf.string` tensor of lines.
        table: the vocabulary lookup table.

    Returns:
        Ragged `[sentences, (tokens)]` tokens, next-token ids and
        previous-token ids; blank lines are dropped.
    """
    words = tf.strings.split(lines)  # (lines, (words))
    words = tf.ragged.boolean_mask(words, words.row_lengths() > 0)
    num_sentences = words.nrows()
    bos = tf.fill([num_sentences, 1], BOS_TOKEN)  # (sentences, 1)
    eos = tf.fill([num_sentences, 1], EOS_TOKEN)  # (sentences, 1)
    tokens = tf.concat([bos, words, eos], axis=1)  # (sentences, (n + 2))
    ids = tokens.with_flat_values(table.lookup(tokens.flat_values))
    no_target = tf.fill([num_sentences, 1], NO_TARGET)  # (sentences, 1)
    next_ids = tf.concat([ids[:, 1:], no_target], axis=1)  # (s, (n + 2))
    previous_ids = tf.concat([no_target, ids[:, :-1]], axis=1)  # (s, (n + 2))
    return tokens, next_ids, previous_ids


def _check_has_tokens(files, file_pattern):
    """Fails early on a corpus without tokens (`repeat` would spin forever).

    Reads only up to the first non-blank line.
    """
    non_blank = tf.data.TextLineDataset(files).filter(
        lambda line: tf.size(tf.strings.split(line)) > 0
    )
    if not list(non_blank.take(1)):
        raise ValueError(
            f"The files of {file_pattern!r} hold no token (every line is "
            "blank)."
        )


def _read_lines(files, shuffle, seed, repeat, shuffle_buffer_size):
    dataset = tf.data.Dataset.from_tensor_slices(files)
    if shuffle:
        dataset = dataset.shuffle(
            len(files), seed=_child_seed(seed, 0), reshuffle_each_iteration=True
        )
    if repeat:
        dataset = dataset.repeat()
    # One file after the other, as bilm-tf reads one shard at a time.
    dataset = dataset.flat_map(
        lambda path: tf.data.TextLineDataset(
            path, buffer_size=_READ_BUFFER_SIZE
        )
    )
    if shuffle:
        dataset = dataset.shuffle(
            shuffle_buffer_size,
            seed=_child_seed(seed, 1),
            reshuffle_each_iteration=True,
        )
    return dataset


def _independent_rows(
    lines, table, batch_size, unroll_steps, shuffle, seed, shuffle_buffer_size
):
    def encode(chunk):
        tokens, next_ids, previous_ids = _sentences(chunk, table)
        # The token stream of the chunk: flat, sentences concatenated.
        return (
            tokens.flat_values,
            next_ids.flat_values,
            previous_ids.flat_values,
        )

    windows = lines.batch(_LINES_PER_CHUNK).map(
        encode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
    )  # ((stream,), (stream,), (stream,))
    # Windows of consecutive stream tokens, across chunk boundaries.
    windows = windows.rebatch(unroll_steps, drop_remainder=True)
    if shuffle:
        windows = windows.shuffle(
            shuffle_buffer_size,
            seed=_child_seed(seed, 2),
            reshuffle_each_iteration=True,
        )
    return windows.batch(batch_size, drop_remainder=True)


def _deal_sentences(buffers, sentences):
    """Appends one sentence (or none) to each row's pending tokens.

    The longest sentence goes to the row with the fewest pending tokens, the
    second longest to the second shortest row, and so on; this keeps the
    spread of the rows' lengths within the longest sentence length.

    Args:
        buffers: ragged `[rows, (pending)]` values, three of them.
        sentences: ragged `[sentences, (tokens)]`, three of them, with
            `sentences <= rows`.

    Returns:
        The three ragged `[rows, (pending + new)]` buffers.
    """
    num_rows = buffers[0].nrows()
    num_sentences = sentences[0].nrows()
    row_order = tf.argsort(
        buffers[0].row_lengths(), stable=True
    )  # (rows,), shortest first
    sentence_order = tf.argsort(
        sentences[0].row_lengths(), direction="DESCENDING", stable=True
    )  # (sentences,), longest first
    # Row row_order[i] receives sentence sentence_order[i]; the other rows
    # receive the empty sentence appended at index `num_sentences`.
    source = tf.tensor_scatter_nd_update(
        tf.fill([num_rows], num_sentences),
        row_order[:num_sentences, None],
        tf.cast(sentence_order, tf.int64),
    )  # (rows,)
    updated = []
    for buffer, sentence in zip(buffers, sentences):
        empty = tf.RaggedTensor.from_row_lengths(
            tf.zeros([0], sentence.dtype), tf.zeros([1], tf.int64)
        )
        padded = tf.concat([sentence, empty], axis=0)  # (sentences + 1, (t))
        assigned = tf.gather(padded, source)  # (rows, (tokens))
        updated.append(tf.concat([buffer, assigned], axis=1))
    return updated


def _take_windows(buffers, unroll_steps):
    """Removes the whole batches of windows every row can fill.

    Returns:
        The remaining ragged buffers, and three dense
        `[num_batches, rows, unroll_steps]` tensors.
    """
    row_lengths = buffers[0].row_lengths()  # (rows,)
    num_rows = tf.shape(row_lengths, out_type=tf.int64)[0]
    num_batches = tf.reduce_min(row_lengths) // unroll_steps
    taken = num_batches * unroll_steps
    row_starts = buffers[0].row_starts()  # (rows,)
    # Flat positions of the first `taken` tokens of every row.
    out_positions = row_starts[:, None] + tf.range(taken)[None, :]  # (r, k*T)
    # Flat positions of the tokens left over.
    kept_positions = tf.ragged.range(
        row_starts + taken, buffers[0].row_limits()
    )
    remaining, outputs = [], []
    for buffer in buffers:
        values = buffer.flat_values
        windows = tf.gather(values, out_positions)  # (rows, k * T)
        windows = tf.reshape(windows, [num_rows, num_batches, unroll_steps])
        outputs.append(tf.transpose(windows, [1, 0, 2]))  # (k, rows, T)
        remaining.append(
            tf.RaggedTensor.from_row_lengths(
                tf.gather(values, kept_positions.flat_values),
                row_lengths - taken,
            )
        )  # (rows, (pending))
    return remaining, outputs


def _continuous_rows(lines, table, batch_size, unroll_steps):
    def encode(group):
        return _sentences(group, table)

    # Each group holds at most one sentence per row.
    groups = lines.batch(batch_size).map(
        encode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
    )

    def to_ragged(state):
        values, row_lengths = state
        return [
            tf.RaggedTensor.from_row_lengths(v, row_lengths) for v in values
        ]

    def step(state, sentences):
        buffers = _deal_sentences(to_ragged(state), sentences)
        remaining, outputs = _take_windows(buffers, unroll_steps)
        new_state = (
            tuple(buffer.flat_values for buffer in remaining),
            remaining[0].row_lengths(),
        )
        return new_state, tuple(outputs)

    initial_state = (
        (
            tf.zeros([0], tf.string),
            tf.zeros([0], tf.int32),
            tf.zeros([0], tf.int32),
        ),
        tf.zeros([batch_size], tf.int64),
    )
    batches = groups.scan(initial_state, step)  # ((k, rows, T), ...) each
    return batches.unbatch()  # ((rows, T), ...)


def make_lm_dataset(
    file_pattern,
    vocabulary,
    batch_size,
    unroll_steps=20,
    max_characters_per_token=MAX_CHARACTERS_PER_TOKEN,
    shuffle=True,
    seed=None,
    repeat=False,
    row_continuity=False,
    shuffle_buffer_size=10_000,
):
    """A `tf.data.Dataset` of biLM pretraining batches from text files.

    See the module docstring for the stream, window and target conventions;
    in short, targets are vocabulary ids of the neighbouring tokens and `-1`
    where a token has no target (after `</S>`, before `<S>`).

    Args:
        file_pattern: str or path-like, or a list of them. Text files or
            glob patterns (sharded corpora), one sentence a line.
        vocabulary: a list of tokens (a token's id is its index), or the
            local path of a vocabulary file in the bilm-tf format (see
            `load_vocabulary`). Must contain `<S>`, `</S>` and `<UNK>`.
        batch_size: int. Rows per batch.
        unroll_steps: int. Tokens per row (window length). Defaults to `20`.
        max_characters_per_token: int. Defaults to `50`.
        shuffle: bool. Shuffle the file order and the sentences (with a
            buffer), and with `row_continuity=False` the windows too.
            Defaults to `True`.
        seed: int, optional. Seed of all shuffles: the same seed gives the
            same batches.
        repeat: bool. Cycle over the files forever (file order reshuffled
            each pass when `shuffle`). Defaults to `False`: one pass.
        row_continuity: bool. Row `r` of batch `n + 1` continues row `r` of
            batch `n` (for carried LSTM states). Defaults to `False`.
        shuffle_buffer_size: int. Size of the sentence and window shuffle
            buffers. Defaults to `10_000`.

    Returns:
        A `tf.data.Dataset` of `(inputs, targets)` with fully static shapes:
        `inputs = {"character_ids": int32 [batch, unroll_steps, chars]}` and
        `targets = {"next_token_ids": int32 [batch, unroll_steps],
        "previous_token_ids": int32 [batch, unroll_steps]}`.

    Example:

    ```python
    dataset = keras_elmo.training.make_lm_dataset(
        "corpus/*.txt", "vocab.txt", batch_size=128, seed=0, repeat=True
    )
    for inputs, targets in dataset.take(1):
        inputs["character_ids"].shape  # (128, 20, 50)
    ```
    """
    require_tensorflow_backend(
        "The tf.data pretraining pipeline (`make_lm_dataset`)",
        "use `make_lm_pydataset`: the same batches, with NumPy, on every "
        "backend",
    )
    check_pipeline_arguments(
        batch_size,
        unroll_steps,
        max_characters_per_token,
        seed,
        shuffle_buffer_size,
    )
    files = list_files(file_pattern)
    table = _vocabulary_table(vocabulary)

    _check_has_tokens(files, file_pattern)
    lines = _read_lines(files, shuffle, seed, repeat, shuffle_buffer_size)
    if row_continuity:
        batches = _continuous_rows(lines, table, batch_size, unroll_steps)
    else:
        batches = _independent_rows(
            lines,
            table,
            batch_size,
            unroll_steps,
            shuffle,
            seed,
            shuffle_buffer_size,
        )

    def to_model_inputs(tokens, next_ids, previous_ids):
        shape = [batch_size, unroll_steps]
        tokens = tf.ensure_shape(tokens, shape)  # (batch, T)
        character_ids = tokens_to_character_ids(
            tokens, max_characters_per_token
        )  # (batch, T, chars)
        inputs = {"character_ids": character_ids}
        targets = {
            "next_token_ids": tf.ensure_shape(next_ids, shape),
            "previous_token_ids": tf.ensure_shape(previous_ids, shape),
        }
        return inputs, targets

    batches = batches.map(
        to_model_inputs, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
    )
    if repeat:
        # flat_map hides it from tf.data; tell Keras the stream never ends.
        batches = batches.apply(
            tf.data.experimental.assert_cardinality(
                tf.data.INFINITE_CARDINALITY
            )
        )
    return batches.prefetch(tf.data.AUTOTUNE)
