"""Raw text files to the pretraining format: one tokenized sentence a line.

`keras-elmo train`, `build-vocab` and `perplexity` read text already split
into tokens by spaces, one sentence a line. `tokenize_text_files` makes
that format from raw UTF-8 text (one paragraph or sentence a line) with a
`TextTokenizer`, whose `text_tokenizer.json` then goes with the trained
model.
Pure Python (no TensorFlow).
"""

from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
from keras_elmo.utils.atomic import atomic_path
from keras_elmo.utils.files import list_files
from keras_elmo.utils.text_lines import check_sentence_length


def _lines(path):
    # Bytes decoded line by line, so that an error names its line.
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            if number == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]  # a byte-order mark is not text
            try:
                yield number, line.decode("utf-8")
            except UnicodeDecodeError as error:
                raise ValueError(
                    f"{path}: line {number} is not valid UTF-8 "
                    f"({error.reason} at byte {error.start})."
                ) from None


def tokenize_text_files(
    files,
    output_file,
    tokenizer=None,
    split_sentences=False,
    min_tokens=1,
):
    """Tokenize raw text files into one space-separated sentence a line.

    Each input line is a paragraph (`split_sentences=True`, cut with
    `TextTokenizer.split_sentences`) or a sentence. Blank lines and
    sentences shorter than `min_tokens` are left out. Files are read as
    streams; the output appears atomically when complete, and nothing is
    written if an input is missing or not UTF-8.

    Args:
        files: str or list. Text files or glob patterns, read in order.
        output_file: str. The tokenized text to write.
        tokenizer: a `TextTokenizer`; `None` means `TextTokenizer()` (NFC,
            punctuation split, eojeol kept).
        split_sentences: bool. Cut lines into sentences. Defaults to
            `False`.
        min_tokens: int. Shortest sentence kept. Defaults to `1`.

    Returns:
        A dict with `"lines"` read, `"sentences"` and `"tokens"` written.

    Raises:
        FileNotFoundError: an input is missing.
        ValueError: an input line is not UTF-8, or a sentence has more
            than `keras_elmo.utils.text_lines.MAX_TOKENS_PER_SENTENCE`
            tokens (file and line named).

    Example:

    >>> tokenize_text_files("raw/*.txt", "corpus/train.txt",
    ...                     split_sentences=True)
    {'lines': 120, 'sentences': 310, 'tokens': 4021}
    """
    tokenizer = tokenizer or TextTokenizer()
    if not isinstance(tokenizer, TextTokenizer):
        raise TypeError(
            "`tokenizer` must be a keras_elmo.TextTokenizer or None. "
            f"Received: tokenizer={tokenizer!r}"
        )
    if isinstance(min_tokens, bool) or not isinstance(min_tokens, int):
        raise ValueError(
            f"`min_tokens` must be an int. Received: min_tokens={min_tokens!r}"
        )
    paths = list_files(files)
    counts = {"lines": 0, "sentences": 0, "tokens": 0}
    with atomic_path(output_file) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as out:
            for path in paths:
                for number, line in _lines(path):
                    counts["lines"] += 1
                    if split_sentences:
                        sentences = tokenizer.split_sentences(line)
                    else:
                        sentences = [tokenizer.tokenize(line)]
                    for tokens in sentences:
                        check_sentence_length(len(tokens), path, number)
                        if tokens and len(tokens) >= min_tokens:
                            out.write(" ".join(tokens) + "\n")
                            counts["sentences"] += 1
                            counts["tokens"] += len(tokens)
    return counts
