"""Tests of the in-graph `ELMoCharacterTokenizer`.

The NumPy `batch_to_char_ids` (a transcription of the original
`bilm.Batcher`) is the oracle: every table entry is run through both.
"""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from absl.testing import parameterized

from keras_elmo.preprocessing.elmo_character_tokenizer import (
    ELMoCharacterTokenizer,
)
from keras_elmo.preprocessing.elmo_character_tokenizer import (
    tokens_to_character_ids,
)
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from tests.test_case import TestCase

# Tricky batches of tokenized sentences (str or raw bytes tokens).
BATCHES = {
    "ascii": [["Hello", "world", "."], ["Hi"]],
    "multi_byte_utf8": [["naïve", "日本語", "😀", "Ærøskøbing", "𝔘𝔫𝔦"]],
    "long_tokens": [
        [
            "x" * 48,
            "y" * 49,
            "z" * 200,
            "a" + "é" * 30,  # byte 48 is the first half of an "é"
            "ab" + "日" * 20,  # byte 48 is inside a 3-byte character
            "😀" * 13,  # 52 bytes, cut after the 12th emoji
            "a" + "😀" * 12,  # 49 bytes, cut inside the 12th emoji
        ]
    ],
    "different_lengths": [["a"], ["b", "c", "d", "e"], ["f", "g"], ["h"]],
    "empty_sentence_first": [[], ["a", "b"]],
    "only_empty_sentences": [[], []],
    "literal_markers": [["<S>", "x", "</S>"], ["</S>", "<s>", "<S>x", "S>"]],
    "non_utf8_bytes": [[b"\xff\xfe", b"caf\xe9", b"\x80abc"], [b"\x00"]],
    "empty_token": [["", "a", ""]],
    "empty_batch": [],
}

CASES = [
    {
        "testcase_name": f"{name}_{'markers' if markers else 'no_markers'}"
        f"_{max_chars}",
        "batch": batch,
        "add_sentence_markers": markers,
        "max_chars": max_chars,
    }
    for name, batch in BATCHES.items()
    for markers in (True, False)
    for max_chars in (50, 3, 7, 64)
]


def _ragged(batch):
    return tf.ragged.constant(batch, dtype=tf.string, ragged_rank=1)


def _dense(batch):
    """Right-padded dense tensor and lengths of a batch of sentences."""
    width = max((len(s) for s in batch), default=0)
    padded = [list(s) + [""] * (width - len(s)) for s in batch]
    tokens = tf.constant(padded, dtype=tf.string, shape=[len(batch), width])
    return tokens, tf.constant([len(s) for s in batch], tf.int32)


class ELMoCharacterTokenizerTest(TestCase):
    def test_layer_harness(self):
        self.run_layer_test(
            cls=ELMoCharacterTokenizer,
            init_kwargs={"max_characters_per_token": 10},
            input_data=tf.constant([["a", "bc"], ["d", ""]]),
            expected_output_shape=(2, 4, 10),
            expected_output_dtype="int32",
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=0,
            run_training_check=False,
        )

    def test_exact_ids(self):
        # Ids written out: raw id + 1; 'a' = 97 -> 98.
        tokenizer = ELMoCharacterTokenizer(max_characters_per_token=5)
        ids = tokenizer(_ragged([["ab", "<S>"], ["é"], []]))
        bos = [259, 257, 260, 261, 261]
        eos = [259, 258, 260, 261, 261]
        zero = [0, 0, 0, 0, 0]
        self.assertAllEqual(
            ids,
            [
                [bos, [259, 98, 99, 260, 261], bos, eos],
                [bos, [259, 0xC3 + 1, 0xA9 + 1, 260, 261], eos, zero],
                [bos, eos, zero, zero],
            ],
        )

    @parameterized.named_parameters(*CASES)
    def test_ragged_matches_batch_to_char_ids(
        self, batch, add_sentence_markers, max_chars
    ):
        expected = batch_to_char_ids(batch, add_sentence_markers, max_chars)
        tokenizer = ELMoCharacterTokenizer(
            add_sentence_markers=add_sentence_markers,
            max_characters_per_token=max_chars,
        )
        outputs = tokenizer(_ragged(batch))
        self.assertEqual(outputs.dtype, tf.int32)
        self.assertAllEqual(outputs, expected)

    @parameterized.named_parameters(*CASES)
    def test_dense_with_lengths_matches_batch_to_char_ids(
        self, batch, add_sentence_markers, max_chars
    ):
        expected = batch_to_char_ids(batch, add_sentence_markers, max_chars)
        tokens, lengths = _dense(batch)
        tokenizer = ELMoCharacterTokenizer(
            add_sentence_markers=add_sentence_markers,
            max_characters_per_token=max_chars,
        )
        outputs = tokenizer(tokens, sequence_length=lengths)
        self.assertAllEqual(outputs, expected)

    @parameterized.named_parameters(*CASES)
    def test_tf_function_with_unknown_batch_size(
        self, batch, add_sentence_markers, max_chars
    ):
        expected = batch_to_char_ids(batch, add_sentence_markers, max_chars)
        tokenizer = ELMoCharacterTokenizer(
            add_sentence_markers=add_sentence_markers,
            max_characters_per_token=max_chars,
        )
        ragged_fn = tf.function(
            tokenizer,
            input_signature=[
                tf.RaggedTensorSpec([None, None], tf.string, ragged_rank=1)
            ],
        )
        self.assertAllEqual(ragged_fn(_ragged(batch)), expected)

        dense_fn = tf.function(
            lambda tokens, lengths: tokenizer(tokens, sequence_length=lengths),
            input_signature=[
                tf.TensorSpec([None, None], tf.string),
                tf.TensorSpec([None], tf.int32),
            ],
        )
        self.assertAllEqual(dense_fn(*_dense(batch)), expected)

    def test_int32_row_splits(self):
        batch = [["a", "bc"], [], ["d"]]
        tokens = tf.ragged.constant(batch, row_splits_dtype=tf.int32)
        self.assertAllEqual(
            ELMoCharacterTokenizer()(tokens), batch_to_char_ids(batch)
        )

    def test_dense_padding_without_lengths(self):
        batch = [["a", "bb"], ["ccc"], [], ["naïve", "<S>", "d"]]
        tokens, _ = _dense(batch)
        outputs = ELMoCharacterTokenizer()(tokens)
        self.assertAllEqual(outputs, batch_to_char_ids(batch))
        # "" anywhere is padding; the other tokens keep their order.
        holes = tf.constant([["", "a", "", "bb"]])
        self.assertAllEqual(
            ELMoCharacterTokenizer(max_characters_per_token=6)(holes),
            np.pad(
                batch_to_char_ids([["a", "bb"]], max_chars=6),
                [[0, 0], [0, 2], [0, 0]],
            ),
        )

    def test_dense_keeps_its_width_and_static_shape(self):
        tokens = tf.constant([["a", "", ""], ["b", "", ""]])
        outputs = ELMoCharacterTokenizer()(tokens)
        self.assertEqual(outputs.shape, (2, 5, 50))
        self.assertAllEqual(outputs[:, :3], batch_to_char_ids([["a"], ["b"]]))
        self.assertAllEqual(outputs[:, 3:], tf.zeros([2, 2, 50], tf.int32))
        without = ELMoCharacterTokenizer(add_sentence_markers=False)
        self.assertEqual(without(tokens).shape, (2, 3, 50))

        fn = tf.function(
            ELMoCharacterTokenizer(),
            input_signature=[tf.TensorSpec([None, 7], tf.string)],
        )
        self.assertEqual(
            fn.get_concrete_function().structured_outputs.shape.as_list(),
            [None, 9, 50],
        )

    def test_python_lists_and_numpy_inputs(self):
        batch = [["Hello", "wörld"], ["x"]]
        tokenizer = ELMoCharacterTokenizer()
        self.assertAllEqual(tokenizer(batch), batch_to_char_ids(batch))
        array = np.array([["a", "b"], ["c", ""]])
        self.assertAllEqual(
            tokenizer(array), batch_to_char_ids([["a", "b"], ["c"]])
        )

    def test_empty_batches(self):
        tokenizer = ELMoCharacterTokenizer()
        empty_ragged = _ragged([])
        self.assertEqual(tokenizer(empty_ragged).shape, (0, 2, 50))
        empty_dense = tf.zeros([0, 4], tf.string)
        self.assertEqual(tokenizer(empty_dense).shape, (0, 6, 50))
        self.assertEqual(
            tokenizer(
                empty_dense, sequence_length=tf.zeros([0], tf.int32)
            ).shape,
            (0, 6, 50),
        )
        no_markers = ELMoCharacterTokenizer(add_sentence_markers=False)
        self.assertEqual(no_markers(empty_ragged).shape, (0, 0, 50))

    def test_split(self):
        sentences = tf.constant(["Hello  world .", "\tnaïve\ntext ", "", "   "])
        tokens = ELMoCharacterTokenizer.split(sentences)
        self.assertIsInstance(tokens, tf.RaggedTensor)
        expected = [s.split() for s in sentences.numpy().astype(object)]
        self.assertEqual(tokens.to_list(), expected)
        ids = ELMoCharacterTokenizer()(tokens)
        self.assertAllEqual(ids, batch_to_char_ids(expected))

    def test_split_rejects_bad_input(self):
        with self.assertRaisesRegex(ValueError, "1-D tensor of sentences"):
            ELMoCharacterTokenizer.split(tf.constant([["a b"]]))
        with self.assertRaisesRegex(TypeError, "must be strings"):
            ELMoCharacterTokenizer.split(tf.constant([1, 2]))

    def test_call_rejects_bad_input(self):
        tokenizer = ELMoCharacterTokenizer()
        with self.assertRaisesRegex(ValueError, "ELMoCharacterTokenizer.split"):
            tokenizer(tf.constant(["a sentence"]))
        with self.assertRaisesRegex(TypeError, "tf.string tokens"):
            tokenizer(tf.constant([[1, 2]]))
        with self.assertRaisesRegex(ValueError, "only for dense inputs"):
            tokenizer(_ragged([["a"]]), sequence_length=tf.constant([1]))
        with self.assertRaisesRegex(
            tf.errors.InvalidArgumentError, "exceeds the width"
        ):
            tokenizer(tf.constant([["a", "b"]]), sequence_length=[3])
        with self.assertRaisesRegex(tf.errors.InvalidArgumentError, ">= 0"):
            tokenizer(tf.constant([["a", "b"]]), sequence_length=[-1])

    def test_invalid_args(self):
        for value in (2, 0, 50.0, True, "50"):
            with self.assertRaisesRegex(ValueError, "at least 3"):
                ELMoCharacterTokenizer(max_characters_per_token=value)
        with self.assertRaisesRegex(ValueError, "must be a bool"):
            ELMoCharacterTokenizer(add_sentence_markers="yes")

    def test_config_round_trip(self):
        tokenizer = ELMoCharacterTokenizer(
            add_sentence_markers=False, max_characters_per_token=20, name="t"
        )
        config = tokenizer.get_config()
        self.assertFalse(config["add_sentence_markers"])
        self.assertEqual(config["max_characters_per_token"], 20)
        revived = keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(tokenizer)
        )
        self.assertIsInstance(revived, ELMoCharacterTokenizer)
        self.assertEqual(revived.get_config(), config)

    def test_functional_model_and_keras_saving(self):
        inputs = keras.Input(shape=(None,), dtype="string")
        outputs = ELMoCharacterTokenizer(max_characters_per_token=8)(inputs)
        self.assertEqual(outputs.shape, (None, None, 8))
        model = keras.Model(inputs, outputs)
        batch = [["a", "b", "c"], ["dé", "", ""]]
        expected = batch_to_char_ids([["a", "b", "c"], ["dé"]], max_chars=8)
        self.assertAllEqual(model(tf.constant(batch)), expected)
        path = os.path.join(self.get_temp_dir(), "tokenizer.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        self.assertAllEqual(restored(tf.constant(batch)), expected)

    def test_tf_data_map(self):
        sentences = ["the cat sat", "on", "the mat ."]
        dataset = (
            tf.data.Dataset.from_tensor_slices(sentences)
            .batch(2)
            .map(ELMoCharacterTokenizer.split)
            .map(ELMoCharacterTokenizer())
        )
        batches = list(dataset.as_numpy_iterator())
        self.assertAllEqual(
            batches[0], batch_to_char_ids([["the", "cat", "sat"], ["on"]])
        )
        self.assertAllEqual(
            batches[1], batch_to_char_ids([["the", "mat", "."]])
        )

    def test_graph_uses_only_core_tensorflow_ops(self):
        """No tensorflow_text (or other custom) op: stock TF Serving loads it.

        Every op of the traced graph, including nested function bodies,
        must be a core op, i.e. exist in `tf.raw_ops`.
        """
        tokenizer = ELMoCharacterTokenizer()

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def embed_strings(sentences):
            return tokenizer(ELMoCharacterTokenizer.split(sentences))

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, None], tf.string),
                tf.TensorSpec([None], tf.int32),
            ]
        )
        def embed_tokens(tokens, lengths):
            return tokenizer(tokens, sequence_length=lengths)

        for function in (embed_strings, embed_tokens):
            graph_def = function.get_concrete_function().graph.as_graph_def()
            nodes = list(graph_def.node)
            for library_function in graph_def.library.function:
                nodes.extend(library_function.node_def)
            op_types = {node.op for node in nodes}
            self.assertIn("DecodePaddedRaw", op_types)  # the byte table
            not_core = sorted(t for t in op_types if not hasattr(tf.raw_ops, t))
            self.assertEqual(not_core, [], msg="ops outside core TensorFlow")

    def test_saved_model_round_trip(self):
        module = tf.Module()
        module.tokenizer = ELMoCharacterTokenizer()
        module.embed_strings = tf.function(
            lambda sentences: module.tokenizer(
                ELMoCharacterTokenizer.split(sentences)
            ),
            input_signature=[tf.TensorSpec([None], tf.string)],
        )
        path = os.path.join(self.get_temp_dir(), "saved_tokenizer")
        tf.saved_model.save(module, path)
        restored = tf.saved_model.load(path)
        for sentences in (["a bc", "日本語 😀"], ["x"] * 3, []):
            expected = batch_to_char_ids([s.split() for s in sentences])
            self.assertAllEqual(
                restored.embed_strings(tf.constant(sentences, tf.string)),
                expected,
            )

    def test_tokens_to_character_ids(self):
        tokens = tf.constant([["hi", "<S>"], ["", "</S>"]])
        ids = tokens_to_character_ids(tokens, 5)
        self.assertEqual(ids.shape, (2, 2, 5))
        self.assertAllEqual(
            ids,
            [
                [[259, 105, 106, 260, 261], [259, 257, 260, 261, 261]],
                [[259, 260, 261, 261, 261], [259, 258, 260, 261, 261]],
            ],
        )
        self.assertEqual(tokens_to_character_ids(tf.constant("a")).shape, (50,))
        with self.assertRaisesRegex(TypeError, "tf.string"):
            tokens_to_character_ids(tf.constant([1]))


def test_the_old_name_is_a_deprecated_alias(tmp_path):
    import zipfile

    import keras_elmo
    from keras_elmo.preprocessing import elmo_character_tokenizer as module

    for owner in (module, keras_elmo, keras_elmo.preprocessing):
        owner.__dict__.pop("ElmoCharacterTokenizer", None)  # not cached
        with pytest.warns(DeprecationWarning, match="ELMoCharacterTokenizer"):
            assert owner.ElmoCharacterTokenizer is ELMoCharacterTokenizer
    assert "ElmoCharacterTokenizer" not in keras_elmo.__all__
    # The default layer name is the one the class had before.
    assert ELMoCharacterTokenizer().name.startswith("elmo_character_tokenizer")
    # A .keras model saved under the old registered name loads.
    inputs = keras.Input(shape=(None,), dtype="string")
    model = keras.Model(inputs, ELMoCharacterTokenizer()(inputs))
    new_path, old_path = tmp_path / "new.keras", tmp_path / "old.keras"
    model.save(new_path)
    with zipfile.ZipFile(new_path) as source:
        with zipfile.ZipFile(old_path, "w") as target:
            for item in source.infolist():
                data = source.read(item)
                if item.filename == "config.json":
                    data = data.replace(
                        b"ELMoCharacterTokenizer", b"ElmoCharacterTokenizer"
                    )
                    assert b"keras_elmo>ElmoCharacterTokenizer" in data
                target.writestr(item, data)
    loaded = keras.saving.load_model(old_path)
    assert isinstance(loaded.layers[-1], ELMoCharacterTokenizer)
    batch = tf.constant([["a", "b"]])
    np.testing.assert_array_equal(loaded(batch), model(batch))
