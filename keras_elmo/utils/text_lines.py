"""Lines of text files: strict UTF-8 and a bounded sentence length.

Every command that reads text (`embed`, `tokenize`, `build-vocab`,
`perplexity`, `train`) reads one sentence a line. A line that is not UTF-8
(Latin-1, a binary file) is refused naming its file, line and column, and so
is a sentence of more than `MAX_TOKENS_PER_SENTENCE` tokens: the biLM runs
one LSTM step per token and holds every step of a sentence, so one
unbounded line (a 10 MB file without newlines) would grow without limit.
The limit matches the served graph's default request size (4,096 token
positions: one sentence of 4,094 tokens and its two markers).
"""

import os

# Tokens of one sentence (a line), its `<S>` / `</S>` markers not counted.
MAX_TOKENS_PER_SENTENCE = 4094


def decode_line(raw, path, line_number):
    """`raw` (bytes of one line) decoded as UTF-8, or a `ValueError`.

    Args:
        raw: bytes. The line.
        path: str or path-like. Its file, for the message.
        line_number: int. Its line, counted from 1.

    Returns:
        str.

    Example:

    >>> decode_line(b"caf\\xc3\\xa9", "corpus.txt", 1)
    'café'
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{os.fspath(path)}, line {line_number}: not valid UTF-8 (byte "
            f"{raw[error.start]:#04x} at column {error.start + 1}); the "
            "text must be UTF-8 (convert it, e.g. `iconv -f latin1 -t "
            "utf-8`)."
        ) from None


def check_sentence_length(
    num_tokens, path, line_number, limit=MAX_TOKENS_PER_SENTENCE
):
    """Raise a `ValueError` naming the line if it has too many tokens.

    Args:
        num_tokens: int. Tokens of the sentence (markers not counted).
        path: str or path-like. Its file, for the message.
        line_number: int. Its line, counted from 1.
        limit: int. Defaults to `MAX_TOKENS_PER_SENTENCE`.

    Example:

    >>> check_sentence_length(12, "corpus.txt", 1)
    """
    if num_tokens > limit:
        raise ValueError(
            f"{os.fspath(path)}, line {line_number}: {num_tokens} tokens; a "
            f"sentence may have at most {limit} (one sentence a line: split "
            "the text into sentences, e.g. `keras-elmo tokenize "
            "--split-sentences`)."
        )
