"""Word vocabularies in the bilm-tf file format (one token a line).

The vocabulary gives the ids of the softmax targets; the model inputs are
character ids and need no vocabulary. Pure Python (no TensorFlow).

Tokens are handled as bytes, split on ASCII whitespace exactly as
`tf.strings.split` does in `keras_elmo.training.data`, and decoded with
`errors="surrogateescape"`, so that a non-UTF-8 token of a vocabulary
file survives the round trip vocabulary file -> lookup table byte for byte.
Text files (`build_vocabulary`, `iter_sentences`) must be UTF-8 with at most
`MAX_TOKENS_PER_SENTENCE` tokens a line: a line that is not is refused,
naming its file and line (see `keras_elmo.utils.text_lines`).
"""

import collections
import os

from keras_elmo.preprocessing.elmo_characters import BOS_TOKEN
from keras_elmo.preprocessing.elmo_characters import EOS_TOKEN
from keras_elmo.utils.atomic import atomic_path
from keras_elmo.utils.files import list_files
from keras_elmo.utils.progress import progress_bar
from keras_elmo.utils.text_lines import check_sentence_length
from keras_elmo.utils.text_lines import decode_line

UNK_TOKEN = "<UNK>"
SPECIAL_TOKENS = (BOS_TOKEN, EOS_TOKEN, UNK_TOKEN)
# bilm-tf's `Vocabulary` skips this line of the 1B Word Benchmark vocab.
_MAX_TERM_ID_LINE = "!!!MAXTERMID"
_ENCODING = "utf-8"
_ERRORS = "surrogateescape"
_PROGRESS_EVERY_LINES = 10_000


def _check_line(line, tokens, path, line_number):
    # Text, not bytes of another encoding, and a bounded sentence: see
    # keras_elmo.utils.text_lines.
    decode_line(line, path, line_number)
    check_sentence_length(len(tokens), path, line_number)


def build_vocabulary(
    files, output_path=None, min_count=1, max_size=None, progress=False
):
    """Counts the whitespace tokens of text files into a vocabulary.

    Each line of each file is a sentence of whitespace-separated tokens, as
    in bilm-tf's training data. Files are streamed line by line (never read
    whole), so corpora larger than memory are fine; only the counts are
    held.

    The result is `["<S>", "</S>", "<UNK>"]` followed by the tokens sorted
    by descending count; ties keep the order of first occurrence (files in
    the order given, glob matches sorted by name), so the result is
    deterministic. Occurrences of the special tokens in the text are not
    counted twice.

    Args:
        files: str or path-like, or a list of them: text files or glob
            patterns (see `keras_elmo.utils.files.list_files`).
        output_path: str or path-like, optional. Where to write the
            vocabulary, one token a line (the bilm-tf format). The file is
            written next to its destination and moved into place with
            `os.replace`, so readers never see a partial file.
        min_count: int. Drop tokens seen fewer times. Defaults to `1`.
        max_size: int, optional. Maximum number of entries, the three
            special tokens included (at least 3). Defaults to no limit.
        progress: bool. Show a tqdm progress bar (bytes read). Defaults to
            `False`.

    Returns:
        The vocabulary, a list of str; a token's id is its index.

    Example:

    ```python
    vocabulary = keras_elmo.preprocessing.build_vocabulary(
        "corpus/*.txt", output_path="vocab.txt", min_count=3
    )
    ```
    """
    if isinstance(min_count, bool) or not isinstance(min_count, int):
        raise TypeError(f"`min_count` must be an int. Received: {min_count!r}")
    if min_count < 1:
        raise ValueError(f"`min_count` must be >= 1. Received: {min_count}")
    if max_size is not None:
        if isinstance(max_size, bool) or not isinstance(max_size, int):
            raise TypeError(
                f"`max_size` must be an int or None. Received: {max_size!r}"
            )
        if max_size < len(SPECIAL_TOKENS):
            raise ValueError(
                "`max_size` counts the special tokens <S>, </S>, <UNK> and "
                f"must be at least 3. Received: max_size={max_size}"
            )
    paths = list_files(files)

    counts = collections.Counter()  # insertion order = first occurrence
    bar = None
    if progress:
        total = sum(os.path.getsize(path) for path in paths)
        bar = progress_bar(
            True, total=total, unit="B", unit_scale=True, desc="Counting tokens"
        )
    try:
        for path in paths:
            with open(path, "rb") as f:
                pending_bytes = 0
                for line_number, line in enumerate(f, start=1):
                    # bytes.split() splits on ASCII whitespace, exactly as
                    # tf.strings.split does.
                    tokens = line.split()
                    _check_line(line, tokens, path, line_number)
                    counts.update(tokens)
                    if bar is not None:
                        pending_bytes += len(line)
                        if line_number % _PROGRESS_EVERY_LINES == 0:
                            bar.update(pending_bytes)
                            pending_bytes = 0
                if bar is not None:
                    bar.update(pending_bytes)
    finally:
        if bar is not None:
            bar.close()

    special = {token.encode() for token in SPECIAL_TOKENS}
    # sorted() is stable: equal counts keep first-occurrence order.
    ranked = sorted(
        (
            (token, count)
            for token, count in counts.items()
            if count >= min_count and token not in special
        ),
        key=lambda item: -item[1],
    )
    vocabulary = list(SPECIAL_TOKENS) + [
        token.decode(_ENCODING, _ERRORS) for token, _ in ranked
    ]
    if max_size is not None:
        vocabulary = vocabulary[:max_size]
    if output_path is not None:
        save_vocabulary(vocabulary, output_path)
    return vocabulary


def iter_sentences(files):
    """Yields the sentences of text files as lists of tokens.

    One sentence a line; tokens split on ASCII whitespace and decoded with
    `errors="surrogateescape"`, exactly as `keras_elmo.training.data` and
    `build_vocabulary` read them; blank lines are skipped.

    Args:
        files: str or path-like, or a list of them (see
            `keras_elmo.utils.files.list_files`).

    Yields:
        list of str, one per non-blank line, files in order.

    Example:

    >>> next(iter_sentences("heldout.txt"))  # doctest: +SKIP
    ['The', 'cat', 'sat', '.']
    """
    for path in list_files(files):
        with open(path, "rb") as f:
            for line_number, line in enumerate(f, start=1):
                tokens = line.split()
                _check_line(line, tokens, path, line_number)
                if tokens:
                    yield [token.decode(_ENCODING, _ERRORS) for token in tokens]


def check_text_files(files):
    """Check that text files are UTF-8 with bounded lines, naming a bad one.

    Streams the files (nothing is kept). Use it before a long job that
    reads them later (training).

    Args:
        files: str or path-like, or a list of them (see
            `keras_elmo.utils.files.list_files`).

    Raises:
        ValueError: naming the file and line that is not UTF-8 or has more
            than `MAX_TOKENS_PER_SENTENCE` tokens.

    Example:

    >>> check_text_files("corpus/*.txt")
    """
    for path in list_files(files):
        with open(path, "rb") as f:
            for line_number, line in enumerate(f, start=1):
                _check_line(line, line.split(), path, line_number)


def save_vocabulary(vocabulary, path):
    """Writes a vocabulary atomically, one token a line.

    Args:
        vocabulary: list of str (or bytes) tokens.
        path: str or path-like. The destination; it appears whole or not at
            all (written aside, then `os.replace`).

    Example:

    ```python
    save_vocabulary(["<S>", "</S>", "<UNK>", "the"], "vocab.txt")
    ```
    """
    tokens = validate_vocabulary(vocabulary, source="`vocabulary`")
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            for token in tokens:
                f.write(token.encode(_ENCODING, _ERRORS) + b"\n")


def validate_vocabulary(vocabulary, source="vocabulary"):
    """Checks a token list and returns it as a list of str.

    Args:
        vocabulary: list of str or bytes tokens; bytes are decoded with
            `errors="surrogateescape"`.
        source: str. Names the vocabulary in error messages.

    Returns:
        The tokens, a list of str.

    Raises:
        ValueError: if `<S>`, `</S>` or `<UNK>` is missing, a token is
            empty or holds whitespace, or a token appears twice.

    Example:

    >>> validate_vocabulary(["<S>", "</S>", "<UNK>", b"the"])
    ['<S>', '</S>', '<UNK>', 'the']
    """
    if isinstance(vocabulary, (str, bytes)):
        raise TypeError(
            f"{source} must be a list of tokens, not a single string: "
            f"{vocabulary[:50]!r}. To read a vocabulary file, use "
            "`load_vocabulary(path)`."
        )
    tokens = []
    first_index = {}
    for index, token in enumerate(vocabulary):
        if isinstance(token, bytes):
            token = token.decode(_ENCODING, _ERRORS)
        elif not isinstance(token, str):
            raise TypeError(
                f"{source}: token {index} must be str or bytes. "
                f"Received: {token!r}"
            )
        if not token or token.encode(_ENCODING, _ERRORS).split() != [
            token.encode(_ENCODING, _ERRORS)
        ]:
            raise ValueError(
                f"{source}: token {index} ({token!r}) is empty or contains "
                "whitespace; it could never match a whitespace-split token."
            )
        if token in first_index:
            raise ValueError(
                f"{source}: token {token!r} appears twice (entries "
                f"{first_index[token]} and {index}); ids must be unique."
            )
        first_index[token] = index
        tokens.append(token)
    missing = [token for token in SPECIAL_TOKENS if token not in first_index]
    if missing:
        raise ValueError(
            f"{source} lacks the special token(s) {', '.join(missing)}; "
            "a biLM vocabulary must contain <S>, </S> and <UNK> "
            "(bilm-tf puts them on its first lines)."
        )
    return tokens


def load_vocabulary(path):
    """Reads a vocabulary file in the bilm-tf format.

    One token a line; a token's id is its line index, as in bilm-tf's
    `Vocabulary` (which also skips a `!!!MAXTERMID` line, and so does this
    function). Surrounding whitespace is stripped and blank lines at the end
    of the file are ignored. `<S>`, `</S>` and `<UNK>` must be present,
    anywhere in the file.

    Args:
        path: str or path-like. The vocabulary file.

    Returns:
        The tokens, a list of str.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: if a special token is missing, a line inside the file
            is blank, or a token appears twice; the message names the file.

    Example:

    ```python
    vocabulary = keras_elmo.preprocessing.load_vocabulary("vocab.txt")
    bos_id = vocabulary.index("<S>")
    ```
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such vocabulary file: {path!r}")
    tokens = []
    blank_line = None
    with open(path, "rb") as f:
        for line_number, line in enumerate(f, start=1):
            token = line.strip().decode(_ENCODING, _ERRORS)
            if not token:
                blank_line = blank_line or line_number
                continue
            if blank_line is not None:
                raise ValueError(
                    f"Vocabulary file {path!r}: line {blank_line} is blank; "
                    "every line must hold one token (ids are line numbers)."
                )
            if token == _MAX_TERM_ID_LINE:
                continue
            tokens.append(token)
    return validate_vocabulary(tokens, source=f"Vocabulary file {path!r}")
