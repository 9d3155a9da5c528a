"""Corpus building: paragraphs, headings, filters, splits and hashes.

The tokenization itself is the package's (`keras_elmo.preprocessing.
moses_rules`, the rules of `TextTokenizer(mode="moses")`), so the shipped
model's preset tokenizes raw text exactly as its corpus was: Moses-style,
after the 1B Word Benchmark (clitics `it 's`, abbreviations `Mr.` kept).

Everything here is pure Python and deterministic: the same input always
gives the same output, whatever the machine.
"""

import hashlib
import random
import re

from keras_elmo.preprocessing.moses_rules import normalize_text
from keras_elmo.preprocessing.moses_rules import split_sentences
from keras_elmo.preprocessing.moses_rules import tokenize

__all__ = [
    "file_sha256",
    "is_heading",
    "normalize_text",
    "overlap_key",
    "paragraphs_from_lines",
    "shuffle_and_split",
    "split_sentences",
    "split_three_ways",
    "text_to_sentences",
    "tokenize",
]

_LETTER = r"[^\W\d_]"


def is_heading(paragraph):
    """True for a heading rather than prose.

    Headings are paragraphs without a lowercase letter (`CHAPTER IV`,
    `EMMA`) or of the form `Chapter 12` / `Volume II`.

    Example:

    >>> is_heading("CHAPTER XII"), is_heading("Chapter 3"), is_heading("Hi.")
    (True, True, False)
    """
    if not re.search(r"[a-z]", paragraph):
        return True
    return bool(
        re.fullmatch(
            r"(?i)(chapter|volume|book|part)\s+([0-9]+|[ivxlc]+)\.?",
            paragraph.strip(),
        )
    )


def paragraphs_from_lines(lines):
    """Joins hard-wrapped lines into paragraphs at blank lines.

    Args:
        lines: iterable of str, e.g. the lines of a book.

    Returns:
        A list of str paragraphs, each on one line.

    Example:

    >>> paragraphs_from_lines(["It is a", "truth.", "", "Next one."])
    ['It is a truth.', 'Next one.']
    """
    paragraphs = []
    current = []
    for line in lines:
        line = line.strip()
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def text_to_sentences(paragraphs, min_tokens=3, max_tokens=250):
    """Cleans, splits and tokenizes paragraphs; yields token lists.

    Headings are skipped (see `is_heading`). Sentences with fewer than
    `min_tokens` or more than `max_tokens` tokens, or without a letter,
    are dropped.

    Args:
        paragraphs: iterable of str.
        min_tokens: int. Defaults to `3`.
        max_tokens: int. Defaults to `250`.

    Yields:
        lists of str tokens.

    Example:

    >>> list(text_to_sentences(["CHAPTER I", "She smiled. He left."]))
    [['She', 'smiled', '.'], ['He', 'left', '.']]
    """
    if min_tokens < 1 or max_tokens < min_tokens:
        raise ValueError(
            "Need 1 <= min_tokens <= max_tokens. Received: "
            f"min_tokens={min_tokens}, max_tokens={max_tokens}"
        )
    for paragraph in paragraphs:
        paragraph = normalize_text(paragraph)
        if not paragraph or is_heading(paragraph):
            continue
        for sentence in split_sentences(paragraph):
            tokens = tokenize(sentence)
            if not min_tokens <= len(tokens) <= max_tokens:
                continue
            if not any(re.search(_LETTER, token) for token in tokens):
                continue
            yield tokens


def overlap_key(text):
    """A key for finding the same sentence under different tokenizations.

    Lowercased letters and digits only, so that `don't`, `do n't` and
    `don 't` all give the same key.

    Example:

    >>> overlap_key("It 's fine , isn't it ?") == overlap_key("it's fine")
    False
    >>> overlap_key("It 's fine .") == overlap_key("it's fine")
    True
    """
    return "".join(char for char in text.lower() if char.isalnum())


def shuffle_and_split(items, heldout_fraction, seed):
    """Shuffles with a fixed seed and splits off a held-out part.

    Args:
        items: list. The items (not modified).
        heldout_fraction: float in [0, 1). Fraction for the held-out
            part, rounded up to at least one item when positive.
        seed: int. The shuffling seed.

    Returns:
        `(train, heldout)` lists.

    Example:

    >>> shuffle_and_split(list(range(10)), 0.2, seed=0)[1]
    [7, 8]
    """
    if not 0.0 <= heldout_fraction < 1.0:
        raise ValueError(
            "`heldout_fraction` must be in [0, 1). "
            f"Received: {heldout_fraction}"
        )
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    count = 0
    if heldout_fraction > 0 and shuffled:
        count = max(1, round(len(shuffled) * heldout_fraction))
    return shuffled[count:], shuffled[:count]


def split_three_ways(items, dev_fraction, test_fraction, seed):
    """Shuffles with a fixed seed into train/dev/test lists.

    Args:
        items: list. The items (not modified).
        dev_fraction: float. Fraction for dev.
        test_fraction: float. Fraction for test.
        seed: int. The shuffling seed.

    Returns:
        A dict `{"train": [...], "dev": [...], "test": [...]}`.

    Example:

    >>> parts = split_three_ways(list(range(10)), 0.2, 0.1, seed=0)
    >>> [len(parts[name]) for name in ("train", "dev", "test")]
    [7, 2, 1]
    """
    if dev_fraction < 0 or test_fraction < 0:
        raise ValueError(
            "Fractions must be >= 0. Received: "
            f"dev_fraction={dev_fraction}, test_fraction={test_fraction}"
        )
    if dev_fraction + test_fraction >= 1:
        raise ValueError(
            "dev_fraction + test_fraction must be < 1. Received: "
            f"{dev_fraction} + {test_fraction}"
        )
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    num_test = round(len(shuffled) * test_fraction)
    num_dev = round(len(shuffled) * dev_fraction)
    return {
        "train": shuffled[num_test + num_dev :],
        "dev": shuffled[num_test : num_test + num_dev],
        "test": shuffled[:num_test],
    }


def file_sha256(path):
    """Hex SHA-256 of a file (recorded in the statistics)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
