"""Tests of the pure-Python ELMo character ids (no TensorFlow involved)."""

import numpy as np
import pytest

from keras_elmo.preprocessing.elmo_characters import BOS_CHAR
from keras_elmo.preprocessing.elmo_characters import BOW_CHAR
from keras_elmo.preprocessing.elmo_characters import CHARACTER_ID_OFFSET
from keras_elmo.preprocessing.elmo_characters import EOS_CHAR
from keras_elmo.preprocessing.elmo_characters import EOW_CHAR
from keras_elmo.preprocessing.elmo_characters import N_CHARACTERS
from keras_elmo.preprocessing.elmo_characters import PAD_CHAR
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.preprocessing.elmo_characters import word_to_char_ids


def test_constants_match_the_original_vocabulary():
    # bilm.data.UnicodeCharsVocabulary: 256..260; options.json: 262.
    assert (BOS_CHAR, EOS_CHAR, BOW_CHAR, EOW_CHAR, PAD_CHAR) == (
        256,
        257,
        258,
        259,
        260,
    )
    assert CHARACTER_ID_OFFSET == 1
    assert N_CHARACTERS == 262


# (word, max_characters_per_token, expected ids without the +1 offset)
WORD_CASES = [
    ("hi", 6, [258, 104, 105, 259, 260, 260]),
    ("", 5, [258, 259, 260, 260, 260]),
    ("abc", 5, [258, 97, 98, 99, 259]),
    ("abcd", 5, [258, 97, 98, 99, 259]),  # truncated to 3 bytes
    ("a", 3, [258, 97, 259]),
    ("ab", 3, [258, 97, 259]),
    ("é", 6, [258, 0xC3, 0xA9, 259, 260, 260]),
    ("aé", 4, [258, 97, 0xC3, 259]),  # cut inside the 2-byte "é"
    ("日", 7, [258, 0xE6, 0x97, 0xA5, 259, 260, 260]),
    ("😀", 6, [258, 0xF0, 0x9F, 0x98, 0x80, 259]),
    (b"\xff\x00", 6, [258, 255, 0, 259, 260, 260]),  # raw, non-UTF-8
    ("<S>", 6, [258, 256, 259, 260, 260, 260]),
    ("</S>", 6, [258, 257, 259, 260, 260, 260]),
    (b"<S>", 3, [258, 256, 259]),
    ("<s>", 6, [258, 60, 115, 62, 259, 260]),  # markers are case sensitive
    ("<S>x", 6, [258, 60, 83, 62, 120, 259]),
]


@pytest.mark.parametrize("word, max_chars, expected", WORD_CASES)
def test_word_to_char_ids(word, max_chars, expected):
    assert word_to_char_ids(word, max_chars) == expected


def test_word_to_char_ids_default_length_and_truncation():
    ids = word_to_char_ids("x" * 100)
    assert len(ids) == 50
    assert ids == [258] + [ord("x")] * 48 + [259]


def test_word_to_char_ids_rejects_bad_input():
    with pytest.raises(TypeError, match="str or bytes"):
        word_to_char_ids(3)
    with pytest.raises(ValueError, match="at least 3"):
        word_to_char_ids("a", 2)


def test_batch_to_char_ids_exact_rows():
    ids = batch_to_char_ids([["ab", "c"], ["d"]], max_chars=5)
    bos = [259, 257, 260, 261, 261]
    eos = [259, 258, 260, 261, 261]
    expected = [
        [bos, [259, 98, 99, 260, 261], [259, 100, 260, 261, 261], eos],
        [bos, [259, 101, 260, 261, 261], eos, [0, 0, 0, 0, 0]],
    ]
    np.testing.assert_array_equal(ids, expected)
    assert ids.dtype == np.int32


def test_batch_to_char_ids_without_markers():
    ids = batch_to_char_ids(
        [["a"], [], ["b", "c"]], add_sentence_markers=False, max_chars=4
    )
    a, b, c = ([259, x + 1, 260, 261] for x in b"abc")
    zero = [0, 0, 0, 0]
    np.testing.assert_array_equal(ids, [[a, zero], [zero, zero], [b, c]])


def test_batch_to_char_ids_empty_sentence_gets_markers():
    ids = batch_to_char_ids([[]], max_chars=4)
    np.testing.assert_array_equal(
        ids, [[[259, 257, 260, 261], [259, 258, 260, 261]]]
    )


@pytest.mark.parametrize(
    "markers, expected_shape", [(True, (0, 2, 50)), (False, (0, 0, 50))]
)
def test_batch_to_char_ids_empty_batch(markers, expected_shape):
    ids = batch_to_char_ids([], add_sentence_markers=markers)
    assert ids.shape == expected_shape
    assert ids.dtype == np.int32


def test_batch_to_char_ids_accepts_tuples_and_bytes():
    from_bytes = batch_to_char_ids(((b"caf\xc3\xa9",),))
    from_str = batch_to_char_ids([["café"]])
    np.testing.assert_array_equal(from_bytes, from_str)


@pytest.mark.parametrize("sentence", ["hello world", b"hello world"])
def test_batch_to_char_ids_rejects_a_plain_string(sentence):
    with pytest.raises(TypeError, match="sentence 1 is a single string"):
        batch_to_char_ids([["ok"], sentence])
