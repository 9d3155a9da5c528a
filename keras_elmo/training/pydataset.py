"""Backend-neutral biLM pretraining batches: a resumable PyDataset.

NumPy only, so JAX and PyTorch runs need no TensorFlow. With `shuffle=False`
it yields exactly the batches of `keras_elmo.training.data.make_lm_dataset`
(the same stream, windows, targets and `-1` convention, the same
`row_continuity` rows; see that module's docstring). With `shuffle=True` it
shuffles the same things the same way (file order per pass, a line buffer,
a window buffer, `shuffle_buffer_size` each) with its own NumPy generators:
the same seed gives the same batches, though not tf.data's.

Unlike a tf.data pipeline, its whole position is plain data: the file and
byte offset read up to, the shuffle buffers, the tokens pending in the
window or in each row, and the generators' states. `state()` returns it as
JSON values and `restore(state)` puts it back, so a resumed run sees
exactly the batches an uninterrupted run would have seen.
"""

import collections
import os

import keras
import numpy as np

from keras_elmo.preprocessing.elmo_characters import BOS_TOKEN
from keras_elmo.preprocessing.elmo_characters import CHARACTER_ID_OFFSET
from keras_elmo.preprocessing.elmo_characters import EOS_TOKEN
from keras_elmo.preprocessing.elmo_characters import MAX_CHARACTERS_PER_TOKEN
from keras_elmo.preprocessing.elmo_characters import word_to_char_ids
from keras_elmo.preprocessing.word_vocabulary import UNK_TOKEN
from keras_elmo.preprocessing.word_vocabulary import load_vocabulary
from keras_elmo.preprocessing.word_vocabulary import validate_vocabulary
from keras_elmo.utils.backend import require_tensorflow
from keras_elmo.utils.files import list_files
from keras_elmo.utils.validation import check_positive_int

NO_TARGET = -1
STATE_VERSION = 1
_BOS = BOS_TOKEN.encode()
_EOS = EOS_TOKEN.encode()
# Distinct tokens whose character ids are cached before the cache restarts.
_CHARACTER_CACHE_SIZE = 1 << 20
# Snapshots of the position kept for batches read ahead (see `state`).
_SNAPSHOTS_KEPT = 4


def _vocabulary_ids(vocabulary):
    """`{token bytes: id}` and the `<UNK>` id of a vocabulary list or file."""
    if isinstance(vocabulary, (str, os.PathLike)):
        tokens = load_vocabulary(vocabulary)
    else:
        tokens = validate_vocabulary(vocabulary)
    ids = {
        token.encode("utf-8", "surrogateescape"): i
        for i, token in enumerate(tokens)
    }
    return ids, tokens.index(UNK_TOKEN)


def _open(path):
    if "://" in path:
        tf = require_tensorflow(f"Reading {path}")
        return tf.io.gfile.GFile(path, "rb")
    return open(path, "rb")


def _check_has_tokens(files, file_pattern):
    """Fails early on a corpus without tokens (`repeat` would spin forever)."""
    for path in files:
        with _open(path) as f:
            for line in f:
                if line.split():
                    return
    raise ValueError(
        f"The files of {file_pattern!r} hold no token (every line is blank)."
    )


def count_tokens(file_pattern):
    """Number of stream tokens the pretraining pipelines build from files.

    Counts the words of every non-blank line plus its `<S>` and `</S>`, with
    the same whitespace splitting as the pipelines. With
    `row_continuity=False`, one pass gives
    `count_tokens(files) // (batch_size * unroll_steps)` batches (at most
    that with `row_continuity=True`): use it for `steps_per_epoch`. NumPy
    and Python only (no TensorFlow).

    Args:
        file_pattern: str or path-like, or a list of them (see
            `list_files`).

    Returns:
        int.

    Example:

    ```python
    steps = count_tokens("corpus/*.txt") // (128 * 20)
    ```
    """
    total = 0
    for path in list_files(file_pattern):
        with _open(path) as f:
            for line in f:
                words = len(line.split())
                if words:
                    total += words + 2
    return total


def _encode(line, vocabulary, unk):
    """`(tokens, next ids, previous ids)` of one line, or None if blank."""
    words = line.split()
    if not words:
        return None
    tokens = [_BOS, *words, _EOS]
    ids = [vocabulary.get(token, unk) for token in tokens]
    return tokens, ids[1:] + [NO_TARGET], [NO_TARGET] + ids[:-1]


class _ShuffleBuffer:
    """A tf.data-style shuffle buffer: emit a random element, refill there."""

    def __init__(self, size, rng):
        self.size = size
        self.rng = rng
        self.items = []

    def next(self, source):
        """The next element, pulling from `source()` (None when dry)."""
        while len(self.items) < self.size:
            item = source()
            if item is None:
                break
            self.items.append(item)
        if not self.items:
            return None
        index = int(self.rng.integers(len(self.items)))
        item = self.items[index]
        last = self.items.pop()
        if index < len(self.items):
            self.items[index] = last
        return item


def _rng_state(rng):
    return rng.bit_generator.state


def _set_rng_state(rng, state):
    rng.bit_generator.state = state


def _bytes_to_json(tokens):
    # latin-1 maps every byte to one code point: lossless and JSON-safe.
    return [token.decode("latin-1") for token in tokens]


def _json_to_bytes(tokens):
    return [token.encode("latin-1") for token in tokens]


class CharacterIds:
    """Model character ids of byte tokens, cached per distinct token.

    The NumPy twin of `tokens_to_character_ids`: `[BOW, bytes..., EOW,
    PAD, ...] + 1`, the literal `<S>` and `</S>` as sentence markers.

    Args:
        max_characters_per_token: int.

    Example:

    >>> CharacterIds(50)([[b"<S>", b"hi"]]).shape
    (1, 2, 50)
    """

    def __init__(self, max_characters_per_token):
        self.max_chars = max_characters_per_token
        self._reset()

    def _reset(self):
        self.index = {}
        self.rows = []
        self.table = np.zeros((0, self.max_chars), np.int32)

    def __call__(self, tokens):
        """`[rows, T]` nested lists of bytes -> int32 `[rows, T, chars]`."""
        if len(self.index) > _CHARACTER_CACHE_SIZE:
            self._reset()
        index, rows = self.index, self.rows
        positions = np.empty((len(tokens), len(tokens[0])), np.int64)
        for r, row in enumerate(tokens):
            for t, token in enumerate(row):
                position = index.get(token)
                if position is None:
                    position = index[token] = len(rows)
                    rows.append(word_to_char_ids(token, self.max_chars))
                positions[r, t] = position
        if len(rows) > len(self.table):
            new = np.asarray(rows[len(self.table) :], np.int32)
            self.table = np.concatenate([self.table, new + CHARACTER_ID_OFFSET])
        return self.table[positions]  # (rows, T, chars)


class _BatchStream:
    """The batches of one pipeline as a resumable Python iterator."""

    def __init__(
        self,
        files,
        vocabulary,
        batch_size,
        unroll_steps,
        max_characters_per_token,
        shuffle,
        seed,
        repeat,
        row_continuity,
        shuffle_buffer_size,
    ):
        self.files = files
        self.vocabulary, self.unk = _vocabulary_ids(vocabulary)
        self.batch_size = batch_size
        self.unroll_steps = unroll_steps
        self.shuffle = shuffle
        self.repeat = repeat
        self.row_continuity = row_continuity
        self.characters = CharacterIds(max_characters_per_token)
        seeds = np.random.SeedSequence(seed).spawn(3)
        self.file_rng, line_rng, window_rng = (
            np.random.default_rng(s) for s in seeds
        )
        self.lines = _ShuffleBuffer(shuffle_buffer_size, line_rng)
        self.windows = _ShuffleBuffer(shuffle_buffer_size, window_rng)
        # Reading position: pass, file order of the pass, file, byte offset.
        self.passes = 0
        self.order = None
        self.file_index = 0
        self.offset = 0
        self._handle = None
        self.exhausted = False
        # Tokens (and their targets) read but not yet in a batch: the
        # stream's next window, or each row's continuation.
        self.pending = ([], [], [])
        self.rows = [([], [], []) for _ in range(batch_size)]
        self.batches = 0  # batches returned so far

    # --- Reading lines ---------------------------------------------------

    def _start_pass(self):
        count = len(self.files)
        order = (
            self.file_rng.permutation(count) if self.shuffle else range(count)
        )
        self.order = [int(i) for i in order]
        self.file_index, self.offset = 0, 0

    def _raw_line(self):
        """The next line of the files (blank lines too), None at the end."""
        while not self.exhausted:
            if self.order is None:
                self._start_pass()
            if self.file_index >= len(self.order):
                self.passes += 1
                self.order = None
                if not self.repeat:
                    self.exhausted = True
                continue
            if self._handle is None:
                self._handle = _open(self.files[self.order[self.file_index]])
                self._handle.seek(self.offset)
            line = self._handle.readline()
            if line:
                self.offset += len(line)
                return line
            self._handle.close()
            self._handle = None
            self.file_index += 1
            self.offset = 0
        return None

    def _line(self):
        if self.shuffle:
            return self.lines.next(self._raw_line)
        return self._raw_line()

    # --- Independent rows -----------------------------------------------

    def _window(self):
        tokens, next_ids, previous_ids = self.pending
        while len(tokens) < self.unroll_steps:
            line = self._line()
            if line is None:
                return None
            sentence = _encode(line, self.vocabulary, self.unk)
            if sentence is not None:
                for buffer, values in zip(self.pending, sentence):
                    buffer.extend(values)
        window = tuple(b[: self.unroll_steps] for b in self.pending)
        for buffer in self.pending:
            del buffer[: self.unroll_steps]
        return window

    def _independent_batch(self):
        batch = []
        while len(batch) < self.batch_size:
            if self.shuffle:
                window = self.windows.next(self._window)
            else:
                window = self._window()
            if window is None:
                return None  # the windows of a last, partial batch: dropped
            batch.append(window)
        return [list(column) for column in zip(*batch)]

    # --- Continuous rows --------------------------------------------------

    def _deal(self):
        """Deal the next group of `batch_size` lines to the rows.

        The longest sentence to the row with the fewest pending tokens, as
        `make_lm_dataset` (stable orders on ties). False at the end.
        """
        sentences, read = [], 0
        while read < self.batch_size:
            line = self._line()
            if line is None:
                break
            read += 1
            sentence = _encode(line, self.vocabulary, self.unk)
            if sentence is not None:
                sentences.append(sentence)
        if read == 0:
            return False
        row_order = np.argsort(
            [len(row[0]) for row in self.rows], kind="stable"
        )
        sentence_order = np.argsort(
            [-len(s[0]) for s in sentences], kind="stable"
        )
        for r, s in zip(row_order, sentence_order):
            for buffer, values in zip(self.rows[r], sentences[s]):
                buffer.extend(values)
        return True

    def _continuous_batch(self):
        while min(len(row[0]) for row in self.rows) < self.unroll_steps:
            if not self._deal():
                return None
        batch = [[], [], []]
        for row in self.rows:
            for column, buffer in zip(batch, row):
                column.append(buffer[: self.unroll_steps])
                del buffer[: self.unroll_steps]
        return batch

    # --- Batches ----------------------------------------------------------

    def _batch(self):
        if self.row_continuity:
            return self._continuous_batch()
        return self._independent_batch()

    def count_batches(self):
        """Batches left to the end (of a finite stream), reading them."""
        count = 0
        while self._batch() is not None:
            count += 1
        self.close()
        return count

    def next(self):
        """The next `(inputs, targets)` of NumPy arrays, or None at the end."""
        batch = self._batch()
        if batch is None:
            return None
        self.batches += 1
        tokens, next_ids, previous_ids = batch
        inputs = {"character_ids": self.characters(tokens)}
        targets = {
            "next_token_ids": np.asarray(next_ids, np.int32),
            "previous_token_ids": np.asarray(previous_ids, np.int32),
        }
        return inputs, targets

    def snapshot(self):
        """The position, cheaply: copies of the buffers' references.

        Tokens and windows are never changed once made, so a shallow copy
        is a true snapshot; `state(snapshot)` turns it into JSON values.
        """
        return {
            "batches": self.batches,
            "passes": self.passes,
            "order": self.order,
            "file_index": self.file_index,
            "offset": self.offset,
            "exhausted": self.exhausted,
            "rngs": [
                _rng_state(rng)
                for rng in (self.file_rng, self.lines.rng, self.windows.rng)
            ],
            "line_buffer": list(self.lines.items),
            "window_buffer": list(self.windows.items),
            "pending": [list(buffer) for buffer in self.pending],
            "rows": [[list(buffer) for buffer in row] for row in self.rows],
        }

    def state(self, snapshot=None):
        """The position (now, or of a `snapshot()`) as JSON values."""

        def columns(buffers):
            tokens, next_ids, previous_ids = buffers
            return [_bytes_to_json(tokens), list(next_ids), list(previous_ids)]

        snapshot = snapshot or self.snapshot()
        return {
            "version": STATE_VERSION,
            **{
                key: snapshot[key]
                for key in (
                    "batches",
                    "passes",
                    "order",
                    "file_index",
                    "offset",
                    "exhausted",
                    "rngs",
                )
            },
            "files": self.files,
            "line_buffer": _bytes_to_json(snapshot["line_buffer"]),
            "window_buffer": [columns(w) for w in snapshot["window_buffer"]],
            "pending": columns(snapshot["pending"]),
            "rows": [columns(row) for row in snapshot["rows"]],
        }

    def restore(self, state):
        """Continue from a `state()` of a stream of the same arguments."""

        def buffers(values):
            tokens, next_ids, previous_ids = values
            return (_json_to_bytes(tokens), list(next_ids), list(previous_ids))

        if state.get("version") != STATE_VERSION:
            raise ValueError(
                f"Unknown data position version {state.get('version')!r} "
                f"(this keras_elmo reads version {STATE_VERSION})."
            )
        if state["files"] != self.files:
            raise ValueError(
                "The data position was saved for other training files: "
                f"{state['files']!r}, now {self.files!r}. Resume with the "
                "same --train files."
            )
        if len(state["rows"]) != self.batch_size:
            raise ValueError(
                "The data position was saved for another batch size."
            )
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self.batches = state["batches"]
        self.passes = state["passes"]
        self.order = state["order"]
        self.file_index = state["file_index"]
        self.offset = state["offset"]
        self.exhausted = state["exhausted"]
        for rng, rng_state in zip(
            (self.file_rng, self.lines.rng, self.windows.rng), state["rngs"]
        ):
            _set_rng_state(rng, rng_state)
        self.lines.items = _json_to_bytes(state["line_buffer"])
        self.windows.items = [buffers(w) for w in state["window_buffer"]]
        self.pending = buffers(state["pending"])
        self.rows = [buffers(row) for row in state["rows"]]

    def close(self):
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __del__(self):
        self.close()


class LMPyDataset(keras.utils.PyDataset):
    """Pretraining batches as a `keras.utils.PyDataset` (every backend).

    Made by `make_lm_pydataset`. Batches are produced in order, on the
    thread that asks for them (`workers=1`): batch `i` is the `i`-th of
    the stream since the dataset was made (or restored). An infinite
    dataset (`num_batches` None) cannot go back further than its last few
    batches; a finite one starts over (each evaluation reads it again).

    `state(consumed)` gives the position after the first `consumed`
    batches even when Keras has read a batch or two ahead (JAX on an
    accelerator copies the next batch to the device early): the positions
    before every batch are kept for the last few batches.
    """

    def __init__(self, stream, num_batches=None):
        super().__init__(workers=1, use_multiprocessing=False)
        self._stream = stream
        self._num_batches = num_batches
        self._recent = collections.OrderedDict()  # index -> batch
        self._snapshots = collections.OrderedDict()  # index -> state
        self._base = stream.batches  # stream batch count of index 0
        # A finite dataset starts over when read again from the start.
        self._initial = None if num_batches is None else stream.state()

    @property
    def num_batches(self):
        return self._num_batches

    def __getitem__(self, index):
        if index in self._recent:
            return self._recent[index]
        produced = self._stream.batches - self._base
        if index < produced and self._initial is not None:
            # A finite dataset read again (each evaluation): start over.
            self.restore(self._initial)
            produced = 0
            while produced < index:
                self._next(produced)
                produced += 1
        if index != produced:
            raise IndexError(
                f"LMPyDataset yields its batches in order: asked for batch "
                f"{index} after {produced}."
            )
        return self._next(index)

    def _next(self, index):
        self._snapshots[index] = self._stream.snapshot()
        batch = self._stream.next()
        if batch is None:
            self._snapshots.pop(index)
            raise IndexError(f"The stream ended after {index} batches.")
        self._recent[index] = batch
        for kept in (self._recent, self._snapshots):
            while len(kept) > _SNAPSHOTS_KEPT:
                kept.popitem(last=False)
        return batch

    def __iter__(self):
        index = 0
        while self._num_batches is None or index < self._num_batches:
            try:
                yield self[index]
            except IndexError:
                return
            index += 1

    def state(self, consumed=None):
        """The stream position after `consumed` batches (JSON values).

        Args:
            consumed: int or None. Batches (from index 0) the caller has
                used; None for every batch produced so far.
        """
        produced = self._stream.batches - self._base
        if consumed is None or consumed == produced:
            return self._stream.state()
        if consumed not in self._snapshots:
            raise ValueError(
                f"No position kept for batch {consumed} (produced "
                f"{produced}, kept {list(self._snapshots)})."
            )
        return self._stream.state(self._snapshots[consumed])

    def restore(self, state):
        """Continue from `state`: the next batch is index 0."""
        self._stream.restore(state)
        self._recent.clear()
        self._snapshots.clear()
        self._base = self._stream.batches


def check_pipeline_arguments(
    batch_size,
    unroll_steps,
    max_characters_per_token,
    seed,
    shuffle_buffer_size,
):
    """Checks the arguments both pretraining pipelines share.

    `make_lm_dataset` (tf.data) and `make_lm_pydataset` (NumPy) take the
    same arguments and refuse the same bad values with the same messages.

    Args:
        batch_size: int. Rows per batch.
        unroll_steps: int. Tokens per row.
        max_characters_per_token: int. At least 3 (`<bow>`, a character,
            `<eow>`).
        seed: int or `None`.
        shuffle_buffer_size: int.

    Raises:
        ValueError: naming the first bad argument and its value.

    Example:

    >>> check_pipeline_arguments(128, 20, 50, seed=0, shuffle_buffer_size=10)
    """
    check_positive_int(batch_size, "batch_size")
    check_positive_int(unroll_steps, "unroll_steps")
    check_positive_int(shuffle_buffer_size, "shuffle_buffer_size")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int)
    ):
        raise ValueError(f"`seed` must be an int or None. Received: {seed!r}")
    check_positive_int(max_characters_per_token, "max_characters_per_token")
    if max_characters_per_token < 3:
        raise ValueError(
            "`max_characters_per_token` must be at least 3. "
            f"Received: max_characters_per_token={max_characters_per_token}"
        )


def make_lm_pydataset(
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
    num_batches=None,
):
    """Backend-neutral biLM pretraining batches from text files.

    The arguments and batches of `keras_elmo.training.make_lm_dataset`
    (identical with `shuffle=False`; see the module docstring), as a
    resumable `keras.utils.PyDataset` of NumPy arrays that `model.fit`
    reads on the JAX, PyTorch and TensorFlow backends.

    Args:
        file_pattern: str or path-like, or a list of them. Text files or
            glob patterns, one sentence a line.
        vocabulary: a list of tokens, or a vocabulary file path.
        batch_size: int. Rows per batch.
        unroll_steps: int. Tokens per row. Defaults to `20`.
        max_characters_per_token: int. Defaults to `50`.
        shuffle: bool. Shuffle file order, lines and (without
            `row_continuity`) windows. Defaults to `True`.
        seed: int, optional. The same seed gives the same batches.
        repeat: bool. Cycle over the files forever. Defaults to `False`.
        row_continuity: bool. Row `r` of batch `n + 1` continues row `r` of
            batch `n`. Defaults to `False`.
        shuffle_buffer_size: int. Lines and windows in the shuffle buffers.
            Defaults to `10_000`.
        num_batches: int, optional. Stop after this many batches. Without
            `repeat`, the batches of one pass are counted (a dry pass over
            the files) when not given, and a corpus smaller than one batch
            is an error.

    Returns:
        An `LMPyDataset` of `(inputs, targets)`:
        `{"character_ids": int32 [batch, unroll_steps, chars]}` and
        `{"next_token_ids", "previous_token_ids": int32 [batch,
        unroll_steps]}`.

    Example:

    ```python
    data = keras_elmo.training.make_lm_pydataset(
        "corpus/*.txt", "vocab.txt", batch_size=128, seed=0, repeat=True
    )
    inputs, targets = data[0]
    inputs["character_ids"].shape  # (128, 20, 50)
    ```
    """
    check_pipeline_arguments(
        batch_size,
        unroll_steps,
        max_characters_per_token,
        seed,
        shuffle_buffer_size,
    )
    if num_batches is not None:
        check_positive_int(num_batches, "num_batches")
    files = list_files(file_pattern)
    if seed is None:
        # Drawn once: the dry pass below must see the same shuffles.
        seed = np.random.SeedSequence().entropy
    arguments = (
        files,
        vocabulary,
        batch_size,
        unroll_steps,
        max_characters_per_token,
        shuffle,
        seed,
        repeat,
        row_continuity,
        shuffle_buffer_size,
    )
    stream = _BatchStream(*arguments)
    _check_has_tokens(files, file_pattern)
    if not repeat:
        # Keras needs the length of a finite dataset: one dry pass.
        available = _BatchStream(*arguments).count_batches()
        num_batches = min(num_batches or available, available)
        if num_batches == 0:
            raise ValueError(
                f"The files of {file_pattern!r} hold fewer tokens than one "
                f"batch ({batch_size} rows x {unroll_steps} tokens)."
            )
    return LMPyDataset(stream, num_batches)
