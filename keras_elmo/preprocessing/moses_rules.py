"""The Moses-style rules that tokenized the shipped English corpus.

The pretraining corpus of `elmo_tiny_en` (tools/
prepare_pretraining_corpus.py) follows the 1B Word Benchmark, which was
tokenized with the WMT11 (Moses `tokenizer.perl`) scripts: punctuation is
split from words, case is kept, clitics are split off with their apostrophe
(`it 's`, `don 't`), commas inside numbers (`1,000`) and hyphens inside
words (`well-known`) stay, a final period is split unless the word is an
abbreviation (`Mr.`, `U.S.`). Quotes are normalized to ASCII (`"` and
`'`), dashes of two or more hyphens and em dashes become `--`.

`TextTokenizer(mode="moses")` runs these rules, so that a model trained on
that corpus embeds text cut the same way. Pure Python and deterministic.
"""

import re
import unicodedata

# Words whose final period does not end a sentence nor gets split off
# (Moses' nonbreaking prefixes for English, abridged).
ABBREVIATIONS = frozenset(
    """
    Adj Adm Adv Asst Bart Bldg Brig Bros Capt Cmdr Col Comdr Con Corp Cpl
    DR Dr Drs Ens Gen Gov Hon Hosp Insp Lt MM MR MRS MS Maj Messrs Mlle
    Mme Mr Mrs Ms Msgr Op Ord Pfc Ph Prof Pvt Rep Reps Res Rev Rt Sen Sens
    Sfc Sgt Sr St Supt Surg Jr Esq vs etc Inc Ltd Co Mt Jan Feb Mar Apr
    Jun Jul Aug Sep Sept Oct Nov Dec Mon Tue Tues Wed Thu Thurs Fri Sat Sun
    No Nos Art pp Fig Figs Vol Vols Ch Chap approx ca cf al viz ie eg
    """.split()
)
# Abbreviations that do not break only before a number (`No. 5`).
_NUMERIC_ONLY = frozenset(["No", "Nos", "Art", "pp", "Fig", "Figs", "Vol"])

_TRANSLATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2014": " -- ",
        "\u2015": " -- ",
        "\u2013": "-",
        "\u2012": "-",
        "\u2010": "-",
        "\u2011": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u00ad": None,
        "\ufeff": None,
        "\u200b": None,
        "_": None,  # Project Gutenberg's _italics_
    }
)
_LETTER = r"[^\W\d_]"
_NOT_LETTER = r"[\W\d_]"

# Sentence-final punctuation, optional closing quotes or brackets,
# whitespace, then an opening quote/bracket or nothing, and an uppercase
# letter or a digit.
_BOUNDARY = re.compile(r"([.!?]+)([\"')\]]*)(\s+)(?=[\"'(\[]*[A-Z0-9])")
_WORD_BEFORE = re.compile(r"(\S+)$")


def normalize_text(text):
    """Normalizes Unicode punctuation and whitespace.

    NFKC normalization; curly quotes to ASCII; em dashes to ` -- `; en
    dashes and other hyphens to `-`; ellipsis to `...`; soft hyphens,
    BOMs, zero-width spaces and underscores removed; runs of whitespace to
    one space.

    Args:
        text: str.

    Returns:
        The normalized str, stripped.

    Example:

    >>> normalize_text("\u201cHello\u201d \u2014 she said\u2026")
    '"Hello" -- she said...'
    """
    if not isinstance(text, str):
        raise TypeError(f"`text` must be str. Received: {type(text)}")
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATION)
    return " ".join(text.split())


def _ends_with_abbreviation(text_before):
    match = _WORD_BEFORE.search(text_before)
    if match is None:
        return False
    word = match.group(1).lstrip("\"'([")
    if word in ABBREVIATIONS and word not in _NUMERIC_ONLY:
        return True
    if re.fullmatch(r"[A-Z]", word):  # an initial: "John F. Kennedy"
        return True
    # "U.S", "e.g", "a.m": letters with inner periods.
    return bool(re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", word))


def split_sentences(paragraph):
    """Splits a paragraph into sentences with deterministic rules.

    A boundary is sentence-final punctuation (`.`, `!`, `?`, possibly
    repeated and followed by closing quotes or brackets), then whitespace,
    then a capital letter or a digit (possibly after an opening quote).
    A period after an abbreviation (`Mr.`, `St.`), an initial (`F.`) or a
    dotted acronym (`U.S.`) is not a boundary.

    Args:
        paragraph: str. Normalized text (see `normalize_text`).

    Returns:
        A list of str sentences, stripped, none empty.

    Example:

    >>> split_sentences('Mr. Smith came. "Why?" He left! 3 men stayed.')
    ['Mr. Smith came.', '"Why?"', 'He left!', '3 men stayed.']
    """
    sentences = []
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        punctuation = match.group(1)
        if punctuation == "." and _ends_with_abbreviation(
            paragraph[start : match.start(1)]
        ):
            continue
        sentence = paragraph[start : match.end(2)].strip()
        if sentence:
            sentences.append(sentence)
        start = match.end(3)
    rest = paragraph[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def _split_final_periods(words):
    result = []
    for i, word in enumerate(words):
        if not word.endswith(".") or re.fullmatch(r"\.+", word):
            result.append(word)
            continue
        prefix = word[:-1]
        next_word = words[i + 1] if i + 1 < len(words) else ""
        keep = (
            ("." in prefix and re.search(_LETTER, prefix))
            or (prefix in ABBREVIATIONS and prefix not in _NUMERIC_ONLY)
            or re.fullmatch(r"[A-Z]", prefix)
            or (prefix in _NUMERIC_ONLY and next_word[:1].isdigit())
            or (next_word[:1].islower())
        )
        if keep:
            result.append(word)
        else:
            result.extend([prefix, "."])
    return result


def tokenize(sentence):
    """Splits a sentence into tokens in the 1B Word Benchmark style.

    Args:
        sentence: str. One sentence, normalized (see `normalize_text`).

    Returns:
        A list of str tokens (case kept).

    Example:

    >>> tokenize("It's the U.S. economy, 1,000 well-known (sic) facts.")
    ['It', "'s", 'the', 'U.S.', 'economy', ',', '1,000', 'well-known', \
'(', 'sic', ')', 'facts', '.']
    """
    if not isinstance(sentence, str):
        raise TypeError(f"`sentence` must be str. Received: {type(sentence)}")
    text = f" {sentence} "
    # Everything but letters, digits, whitespace, . ' , - is a token.
    text = re.sub(r"([^\w\s.',\-]|_)", r" \1 ", text)
    # Ellipses and runs of two or more hyphens are tokens.
    text = re.sub(r"\.{2,}", r" \g<0> ", text)
    text = re.sub(r"-{2,}", " -- ", text)
    # Commas, except between digits.
    text = re.sub(r"([^\d]),", r"\1 , ", text)
    text = re.sub(r",([^\d])", r" , \1", text)
    # Hyphens at the start or end of a word.
    text = re.sub(r"(\s)-([^\s-])", r"\1- \2", text)
    text = re.sub(r"([^\s-])-(\s)", r"\1 -\2", text)
    # Apostrophes (Moses, English): clitics keep the apostrophe.
    text = re.sub(rf"({_NOT_LETTER})'({_NOT_LETTER})", r"\1 ' \2", text)
    text = re.sub(rf"([\W_])'({_LETTER})", r"\1 ' \2", text)
    text = re.sub(rf"({_LETTER})'({_NOT_LETTER})", r"\1 ' \2", text)
    text = re.sub(rf"({_LETTER})'({_LETTER})", r"\1 '\2", text)
    text = re.sub(r"(\d)'(s)\b", r"\1 '\2", text)
    return _split_final_periods(text.split())
