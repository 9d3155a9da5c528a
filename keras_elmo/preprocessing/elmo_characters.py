"""ELMo character ids: the interchange format of every pretrained ELMo.

Pure Python and NumPy, no TensorFlow, so device-side apps can build model
inputs without it. The in-graph equivalent is
`keras_elmo.preprocessing.ELMoCharacterTokenizer`; tests pin the two to each
other.

A token becomes `max_characters_per_token` ids:
`[BOW, utf-8 bytes (at most max_characters_per_token - 2)..., EOW, PAD, ...]`.
The sentence markers `<S>` and `</S>` are the tokens `[BOW, BOS, EOW, PAD...]`
and `[BOW, EOS, EOW, PAD...]`. Model inputs shift every id by +1
(`CHARACTER_ID_OFFSET`) so that an all-zero row marks an absent token.
"""

import re

import numpy as np

MAX_CHARACTERS_PER_TOKEN = 50
BOS_CHAR = 256  # beginning of sentence
EOS_CHAR = 257  # end of sentence
BOW_CHAR = 258  # beginning of word
EOW_CHAR = 259  # end of word
PAD_CHAR = 260  # padding inside a token
CHARACTER_ID_OFFSET = 1  # model inputs are raw ids + 1; 0 = absent token
N_CHARACTERS = PAD_CHAR + 1 + CHARACTER_ID_OFFSET  # 262, as in options.json
BOS_TOKEN = "<S>"
EOS_TOKEN = "</S>"
# What separates tokens everywhere in keras_elmo (embedder, served graph,
# training data, vocabulary): runs of ASCII whitespace, as `bytes.split()`
# and `tf.strings.split`. Other Unicode spaces (U+00A0, U+3000) belong to
# their token.
ASCII_WHITESPACE = " \t\n\r\v\f"
_TOKEN = re.compile(f"[^{re.escape(ASCII_WHITESPACE)}]+")


def split_on_whitespace(sentence):
    """Tokens of a sentence: the runs between ASCII whitespace.

    The one tokenization rule of keras_elmo, identical to `bytes.split()`
    and to `tf.strings.split` in the served graph and the training
    pipeline. Unlike `str.split()`, a no-break space (U+00A0) or an
    ideographic space (U+3000) does not split: the pretrained models never
    saw them as separators.

    Args:
        sentence: str or bytes.

    Returns:
        A list of tokens of the input's type.

    Example:

    >>> split_on_whitespace("a\u00a0b  c")
    ['a\xa0b', 'c']
    """
    if isinstance(sentence, bytes):
        return sentence.split()
    if not isinstance(sentence, str):
        raise TypeError(
            f"A sentence must be str or bytes. Received: {sentence!r} "
            f"of type {type(sentence).__name__}"
        )
    return _TOKEN.findall(sentence)


def _marker_char_ids(marker_char, max_chars):
    ids = [PAD_CHAR] * max_chars
    ids[0:3] = [BOW_CHAR, marker_char, EOW_CHAR]
    return ids


def word_to_char_ids(word, max_characters_per_token=MAX_CHARACTERS_PER_TOKEN):
    """Character ids of one token, without the +1 model offset.

    Args:
        word: str or bytes. The token. `str` is UTF-8 encoded; `bytes` are
            used as they are (so non-UTF-8 input is never rejected). The
            literal tokens `"<S>"` and `"</S>"` are the sentence markers, as
            in the original code.
        max_characters_per_token: int. Ids per token; the word keeps at most
            `max_characters_per_token - 2` bytes. Defaults to `50`.

    Returns:
        A list of `max_characters_per_token` ints in `[0, 260]`.

    Example:

    >>> word_to_char_ids("hi", 6)
    [258, 104, 105, 259, 260, 260]
    """
    if max_characters_per_token < 3:
        raise ValueError(
            "`max_characters_per_token` must be at least 3 (begin-of-word, "
            "one byte, end-of-word). "
            f"Received: max_characters_per_token={max_characters_per_token}"
        )
    if isinstance(word, bytes):
        encoded = word
    elif isinstance(word, str):
        encoded = word.encode("utf-8", "ignore")
    else:
        raise TypeError(
            f"A token must be str or bytes. Received: {word!r} "
            f"of type {type(word).__name__}"
        )
    if encoded == BOS_TOKEN.encode():
        return _marker_char_ids(BOS_CHAR, max_characters_per_token)
    if encoded == EOS_TOKEN.encode():
        return _marker_char_ids(EOS_CHAR, max_characters_per_token)
    encoded = encoded[: max_characters_per_token - 2]
    ids = [PAD_CHAR] * max_characters_per_token
    ids[0] = BOW_CHAR
    ids[1 : len(encoded) + 1] = list(encoded)
    ids[len(encoded) + 1] = EOW_CHAR
    return ids


def batch_to_char_ids(
    batch_of_token_lists,
    add_sentence_markers=True,
    max_chars=MAX_CHARACTERS_PER_TOKEN,
):
    """Model-ready character ids for a batch of tokenized sentences.

    Identical to the original `bilm.Batcher.batch_sentences`: each sentence
    is wrapped in `<S> ... </S>`, every id is shifted by +1, and shorter
    sentences are padded with all-zero tokens.

    Args:
        batch_of_token_lists: a sequence of sentences, each a sequence of
            tokens (str or bytes). A plain string in place of a sentence is
            rejected, since iterating it would give characters.
        add_sentence_markers: bool. Wrap each sentence in `<S>`/`</S>`.
            Defaults to `True`.
        max_chars: int. Ids per token. Defaults to `50`.

    Returns:
        NumPy int32 array `[batch, max_tokens (+2), max_chars]`.

    Example:

    >>> batch_to_char_ids([["Hello", "world"], ["Hi"]]).shape
    (2, 4, 50)
    """
    sentences = []
    for index, sentence in enumerate(batch_of_token_lists):
        if isinstance(sentence, (str, bytes)):
            raise TypeError(
                "`batch_of_token_lists` must hold lists of tokens, but "
                f"sentence {index} is a single string: {sentence!r}. "
                "Split it first, e.g. `sentence.split()`."
            )
        tokens = list(sentence)
        if add_sentence_markers:
            tokens = [BOS_TOKEN] + tokens + [EOS_TOKEN]
        sentences.append(tokens)
    max_tokens = max((len(s) for s in sentences), default=0)
    if not sentences and add_sentence_markers:
        max_tokens = 2
    char_ids = np.zeros((len(sentences), max_tokens, max_chars), np.int32)
    for row, tokens in enumerate(sentences):
        for column, token in enumerate(tokens):
            char_ids[row, column] = word_to_char_ids(token, max_chars)
    char_ids[char_ids.any(axis=-1)] += CHARACTER_ID_OFFSET
    return char_ids
