import numpy as np
import tensorflow as tf

from keras_elmo.preprocessing.vocabulary_character_tokenizer import (
    VocabularyCharacterTokenizer,
)
from tests.test_case import TestCase

CHARACTERS = {
    "<bow>": 0,
    "<eow>": 1,
    "<oov>": 2,
    "<pad>": 3,
    "<bos>": 4,
    "<eos>": 5,
    "a": 6,
    "b": 7,
    "한": 8,
    "\u3000": 9,
}
WORDS = {"<oov>": 0, "<pad>": 1, "<bos>": 2, "<eos>": 3, "ab": 4, "한a": 5}


def _tokenizer(**kwargs):
    return VocabularyCharacterTokenizer(
        CHARACTERS, WORDS, max_characters_per_token=6, **kwargs
    )


class VocabularyCharacterTokenizerTest(TestCase):
    def test_table_of_token_ids(self):
        # Unshifted ids: <eow> (1) opens a token and <bow> (0) closes it, as
        # in the original batching; <pad> is 3; unknown characters are
        # <oov> (2); tokens are cut to 6 - 2 = 4 code points before the
        # word lookup.
        cases = [
            ("ab", [1, 6, 7, 0, 3, 3], 4),
            ("한a", [1, 8, 6, 0, 3, 3], 5),
            ("a☃", [1, 6, 2, 0, 3, 3], 0),
            ("\u3000", [1, 9, 0, 3, 3, 3], 0),
            ("", [1, 0, 3, 3, 3, 3], 0),
            ("abab한", [1, 6, 7, 6, 7, 0], 0),
            ("<bos>", [1, 4, 0, 3, 3, 3], 2),
            ("<eos>", [1, 5, 0, 3, 3, 3], 3),
        ]
        tokenizer = _tokenizer()
        for token, chars, word in cases:
            self.assertEqual(tokenizer.token_ids(token), (chars, word), token)

    def test_cut_token_is_looked_up_as_a_word(self):
        tokenizer = VocabularyCharacterTokenizer(
            CHARACTERS, WORDS, max_characters_per_token=4
        )
        # "abb" is cut to "ab", which is in word.dic.
        self.assertEqual(tokenizer.token_ids("abb"), ([1, 6, 7, 0], 4))

    def test_batch_layout(self):
        ids = _tokenizer().batch_to_ids([["ab"], []])
        self.assertEqual(ids.shape, (2, 3, 7))
        # Shifted by +1; word id last; absent positions all zero.
        self.assertAllEqual(ids[0, 0], [2, 5, 1, 4, 4, 4, 3])
        self.assertAllEqual(ids[0, 1], [2, 7, 8, 1, 4, 4, 5])
        self.assertAllEqual(ids[0, 2], [2, 6, 1, 4, 4, 4, 4])
        self.assertAllEqual(ids[1, 2], np.zeros(7))
        self.assertAllEqual(ids[1, 1], [2, 6, 1, 4, 4, 4, 4])

    def test_in_graph_equals_python(self):
        sentences = [
            ["ab", "한a", "a☃", "abab한", "\u3000", "<bos>"],
            [],
            ["b"],
        ]
        for tokenizer in (
            _tokenizer(),
            VocabularyCharacterTokenizer(
                CHARACTERS, max_characters_per_token=6
            ),
            _tokenizer(add_sentence_markers=False),
        ):
            expected = tokenizer.batch_to_ids(sentences)
            self.assertAllEqual(tokenizer(sentences), expected)
            ragged = tf.ragged.constant(sentences, dtype=tf.string)
            self.assertAllEqual(tokenizer(ragged), expected)
            fn = tf.function(
                tokenizer,
                input_signature=[
                    tf.RaggedTensorSpec([None, None], tf.string, 1, tf.int64)
                ],
            )
            self.assertAllEqual(
                fn(ragged.with_row_splits_dtype(tf.int64)), expected
            )

    def test_dense_input_drops_empty_strings(self):
        dense = tf.constant([["ab", "b"], ["b", ""]])
        self.assertAllEqual(
            _tokenizer()(dense),
            _tokenizer().batch_to_ids([["ab", "b"], ["b"]]),
        )

    def test_sequence_length_keeps_the_input_width(self):
        dense = tf.constant([["ab", "", "b"], ["b", "x", "y"]])
        ids = _tokenizer()(dense, sequence_length=tf.constant([3, 1]))
        self.assertEqual(ids.shape, (2, 5, 7))
        expected = _tokenizer().batch_to_ids([["ab", "", "b"], ["b"]])
        self.assertAllEqual(ids, expected)

    def test_invalid_utf8_is_oov(self):
        ids = _tokenizer()(tf.ragged.constant([[b"a\xff"]]))
        self.assertAllEqual(ids[0, 1, :6], np.array([1, 6, 2, 0, 3, 3]) + 1)

    def test_config_round_trip(self):
        tokenizer = _tokenizer()
        clone = VocabularyCharacterTokenizer.from_config(tokenizer.get_config())
        self.assertEqual(clone.characters, CHARACTERS)
        self.assertEqual(clone.words, WORDS)
        self.assertAllEqual(clone([["ab"]]), tokenizer([["ab"]]))

    def test_invalid_args(self):
        with self.assertRaisesRegex(ValueError, r"lacks .*<bow>"):
            VocabularyCharacterTokenizer({"a": 0})
        with self.assertRaisesRegex(ValueError, r"`words` lacks .*<pad>"):
            VocabularyCharacterTokenizer(CHARACTERS, {"<oov>": 0})
        with self.assertRaisesRegex(ValueError, "at least 3"):
            VocabularyCharacterTokenizer(CHARACTERS, max_characters_per_token=2)
        with self.assertRaisesRegex(ValueError, r"\[batch, tokens\]"):
            _tokenizer()(tf.constant(["ab"]))
