import math

import numpy as np
import pytest

from keras_elmo.models.elmo_language_model import ELMoLanguageModel
from keras_elmo.preprocessing.word_vocabulary import iter_sentences
from keras_elmo.training.data import make_lm_dataset
from keras_elmo.training.perplexity import evaluate_perplexity
from keras_elmo.training.perplexity import load_language_model
from keras_elmo.training.perplexity import sentence_batches
from keras_elmo.training.perplexity import sentence_perplexity
from tests.test_case import TestCase
from tests.training.training_fixtures import SHARED_RUN
from tests.training.training_fixtures import TRAIN_DATA
from tests.training.training_fixtures import TRAIN_VOCABULARY
from tests.training.training_fixtures import shared_run

KEYS = ("loss", "perplexity", "forward_perplexity", "backward_perplexity")
VOCABULARY = ["<S>", "</S>", "<UNK>", "a", "b"]


class SentenceBatchesTest(TestCase):
    def test_targets_markers_and_padding(self):
        batches = list(
            sentence_batches([["a", "zebra", "b"], ["b"]], VOCABULARY, 16)
        )
        self.assertLen(batches, 1)  # 2 rows x 8 (lengths rounded up to 8)
        tokens, next_ids, previous_ids = batches[0]
        self.assertEqual(tokens.shape, (2, 8))
        # Sorted by length: the short sentence first.
        self.assertEqual(list(tokens[0, :3]), [b"<S>", b"b", b"</S>"])
        self.assertEqual(
            list(tokens[1, :6]),
            [b"<S>", b"a", b"zebra", b"b", b"</S>", b""],
        )
        # Forward: w1 .. wn, </S>; backward: <S>, w1 .. wn; <UNK> counted.
        self.assertAllEqual(next_ids[1], [3, 2, 4, 1, -1, -1, -1, -1])
        self.assertAllEqual(previous_ids[1], [-1, 0, 3, 2, 4, -1, -1, -1])
        self.assertAllEqual(next_ids[0], [4, 1, -1, -1, -1, -1, -1, -1])
        self.assertAllEqual(previous_ids[0], [-1, 0, 4, -1, -1, -1, -1, -1])

    def test_token_budget(self):
        sentences = [["a"] * n for n in (1, 1, 1, 7, 20)]
        shapes = [
            b[0].shape for b in sentence_batches(sentences, VOCABULARY, 24)
        ]
        # Lengths 3, 3, 3 (padded to 8), 9 (16), 22 (24): a long sentence
        # gets a batch of its own even above the budget.
        self.assertEqual(shapes, [(3, 8), (1, 16), (1, 24)])
        with self.assertRaisesRegex(ValueError, "max_tokens_per_batch"):
            list(sentence_batches(sentences, VOCABULARY, 0))


@pytest.mark.large
class EvaluatePerplexityTest(TestCase):
    def test_windows_match_model_evaluate(self):
        _, result = shared_run()
        got = evaluate_perplexity(
            result["export_dir"],
            str(TRAIN_DATA),
            mode="windows",
            batch_size=4,
            unroll_steps=10,
        )
        self.assertEqual(sorted(got), sorted(KEYS + ("mode", "targets")))
        # model.evaluate of (a copy of) the trained model, same batches.
        model = ELMoLanguageModel.from_config(result["model"].get_config())
        model.set_weights(result["model"].get_weights())
        model.compile()
        expected = model.evaluate(
            make_lm_dataset(
                str(TRAIN_DATA),
                str(TRAIN_VOCABULARY),
                batch_size=4,
                unroll_steps=10,
                shuffle=False,
            ),
            verbose=0,
            return_dict=True,
        )
        for key in KEYS:
            self.assertAllClose(got[key], expected[key], rtol=1e-5, msg=key)
        # The trainer's last validation saw the same batches and weights.
        for key in KEYS:
            self.assertAllClose(
                got[key], result["history"][f"val_{key}"][-1], rtol=1e-5
            )
        self.assertBetween(
            got["perplexity"],
            min(got["forward_perplexity"], got["backward_perplexity"]),
            max(got["forward_perplexity"], got["backward_perplexity"]),
        )

    def test_a_sentence_is_one_window_of_its_own_length(self):
        # One sentence of n words scored whole equals a window of n + 2
        # tokens holding exactly it: same targets, same history.
        _, result = shared_run()
        sentence = next(iter_sentences(str(TRAIN_DATA)))
        path = self.get_temp_dir() + "/one.txt"
        with open(path, "w") as f:
            f.write(" ".join(sentence) + "\n")
        whole = evaluate_perplexity(result["export_dir"], path)
        window = evaluate_perplexity(
            result["export_dir"],
            path,
            mode="windows",
            batch_size=1,
            unroll_steps=len(sentence) + 2,
        )
        self.assertEqual(whole["targets"], len(sentence) + 1)
        self.assertEqual(window["targets"], len(sentence) + 1)
        for key in KEYS:
            self.assertAllClose(whole[key], window[key], rtol=1e-5, msg=key)

    def test_sentences_do_not_depend_on_batching(self):
        # Padding is masked: each sentence scores the same alone, in a
        # batch of sentences of other lengths, or in another order.
        _, result = shared_run()
        model, vocabulary = load_language_model(result["export_dir"])
        sentences = list(iter_sentences(str(TRAIN_DATA)))
        together = sentence_perplexity(model, vocabulary, sentences, 4096)
        apart = sentence_perplexity(model, vocabulary, sentences[::-1], 1)
        for key in KEYS:
            self.assertAllClose(together[key], apart[key], rtol=1e-5)
        self.assertEqual(
            together["targets"], sum(len(s) + 1 for s in sentences)
        )
        # Full history beats windows cut every 10 tokens.
        windows = evaluate_perplexity(
            result["export_dir"],
            str(TRAIN_DATA),
            mode="windows",
            batch_size=1,
            unroll_steps=10,
        )
        self.assertLess(together["perplexity"], windows["perplexity"])
        self.assertTrue(np.isfinite(together["loss"]))
        self.assertAllClose(math.log(together["perplexity"]), together["loss"])

    def test_errors(self):
        _, result = shared_run()
        with self.assertRaisesRegex(ValueError, "fewer tokens than one batch"):
            evaluate_perplexity(
                result["export_dir"],
                str(TRAIN_DATA),
                mode="windows",
                batch_size=64,
                unroll_steps=SHARED_RUN["unroll_steps"],
            )
        with self.assertRaisesRegex(ValueError, "mode"):
            evaluate_perplexity(result["export_dir"], str(TRAIN_DATA), "x")
        with self.assertRaisesRegex(ValueError, "batch_size"):
            evaluate_perplexity(
                result["export_dir"], str(TRAIN_DATA), batch_size=0
            )
        empty = self.get_temp_dir() + "/empty.txt"
        with open(empty, "w") as f:
            f.write("\n \n")
        with self.assertRaisesRegex(ValueError, "no sentence"):
            evaluate_perplexity(result["export_dir"], empty)
