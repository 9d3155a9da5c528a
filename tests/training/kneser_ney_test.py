import math

import numpy as np

from keras_elmo.training.kneser_ney import KneserNeyLanguageModel
from keras_elmo.training.kneser_ney import baseline_perplexities
from keras_elmo.training.kneser_ney import chen_goodman_discounts
from keras_elmo.training.kneser_ney import encode_sentences
from keras_elmo.training.kneser_ney import reverse_stream
from tests.test_case import TestCase

VOCABULARY = ["<S>", "</S>", "<UNK>", "a", "b"]
TRAIN = [["a", "b"], ["a", "a"]]
# Fixed discounts (D1, D2, D3+) per order, so the values below are simple.
UNIGRAM_D, BIGRAM_D, TRIGRAM_D = (0.5,) * 3, (0.75,) * 3, (0.9,) * 3

# Hand-computed, forward. Unigram continuation counts (distinct words
# before): a 2 (<S>, a), b 1, </S> 2; total 5; gamma = 0.5 * 3 / 5.
P1 = {"a": 0.36, "b": 0.16, "</S>": 0.36, "<S>": 0.06, "<UNK>": 0.06}
# Bigram, context a: (a b), (a a), (a </S>) once each, gamma(a) = 0.75.
P2_B_GIVEN_A = 0.25 / 3 + 0.75 * P1["b"]  # 0.20333
P2_A_GIVEN_S = (2 - 0.75) / 2 + 0.75 * 1 / 2 * P1["a"]  # 0.76
P2_END_GIVEN_B = (1 - 0.75) / 1 + 0.75 * P1["</S>"]  # 0.52
# Trigram: (<S> a) followed by b and a once each; (a b) by </S> once.
P3_B_GIVEN_S_A = 0.1 / 2 + 0.9 * P2_B_GIVEN_A  # 0.233
P3_END_GIVEN_A_B = 0.1 / 1 + 0.9 * P2_END_GIVEN_B  # 0.568

# A small corpus with repeated and unseen n-grams for the sum-to-1 tests.
CORPUS = [
    "the cat sat on the mat".split(),
    "the dog sat on the log".split(),
    "a cat saw the dog".split(),
    "the cat sat".split(),
    "on the mat the dog sat".split(),
    "a dog".split(),
]
CORPUS_VOCABULARY = ["<S>", "</S>", "<UNK>"] + sorted(
    {w for s in CORPUS for w in s} - {"log", "saw"}
)


def _model(order, direction="forward", fixed=True, sentences=TRAIN):
    discounts = [UNIGRAM_D, BIGRAM_D, TRIGRAM_D][:order] if fixed else None
    vocabulary = VOCABULARY if sentences is TRAIN else CORPUS_VOCABULARY
    return KneserNeyLanguageModel(
        vocabulary, order, direction, discounts=discounts
    ).fit(sentences)


class KneserNeyTest(TestCase):
    def test_unigram_level_by_hand(self):
        model = _model(2)
        for word, expected in P1.items():
            self.assertAllClose(
                model.distribution(["<UNK>"])[VOCABULARY.index(word)],
                expected,
            )  # <UNK> was never a context: the unigram level alone

    def test_bigram_by_hand(self):
        model = _model(2)
        got = np.exp(model.log_probabilities([["a", "b"]]))
        self.assertAllClose(got, [P2_A_GIVEN_S, P2_B_GIVEN_A, P2_END_GIVEN_B])
        # Seen context, unseen bigram: the backoff share only.
        got = np.exp(model.log_probabilities([["b", "b"]]))
        self.assertAllClose(got[1], 0.75 * P1["b"])
        # An unknown word is <UNK>, counted as a target; after it (an unseen
        # context) the unigram level.
        got = np.exp(model.log_probabilities([["zebra"]]))
        self.assertAllClose(got, [0.75 / 2 * P1["<UNK>"], P1["</S>"]])

    def test_trigram_by_hand(self):
        model = _model(3)
        got = np.exp(model.log_probabilities([["a", "b"]]))
        # The first word has only <S> before it: the bigram level.
        self.assertAllClose(
            got, [P2_A_GIVEN_S, P3_B_GIVEN_S_A, P3_END_GIVEN_A_B]
        )

    def test_chen_goodman_discounts(self):
        # n1 = 3, n2 = 2, n3 = 1, n4 = 1: Y = 3/7.
        got = chen_goodman_discounts(np.array([1, 1, 1, 2, 2, 3, 4, 9]))
        self.assertAllClose(got, [3 / 7, 19 / 14, 9 / 7])
        # Missing count-of-counts: one discount Y (or 0.5).
        self.assertAllClose(
            chen_goodman_discounts(np.array([1, 2])), [1 / 3] * 3
        )
        self.assertAllClose(chen_goodman_discounts(np.array([5])), [0.5] * 3)

    def test_distributions_sum_to_one(self):
        contexts = {
            "forward": [
                ["<S>"],
                ["<S>", "the"],
                ["the", "cat"],
                ["cat", "the"],  # seen words, unseen bigram context
                ["mat", "mat"],  # unseen context
                ["zebra", "unicorn"],  # unknown words
                ["sat", "on"],
            ],
            "backward": [
                ["</S>"],
                ["</S>", "mat"],
                ["the", "on"],
                ["dog", "dog"],
                ["zebra"],
            ],
        }
        for order in (1, 2, 3):
            for direction, cases in contexts.items():
                model = _model(order, direction, False, CORPUS)
                for context in cases:
                    distribution = model.distribution(context)
                    self.assertAllClose(np.sum(distribution), 1.0, atol=1e-12)
                    self.assertTrue(np.all(distribution > 0))

    def test_scores_agree_with_distributions(self):
        model = _model(3, "forward", False, CORPUS)
        sentence = ["the", "cat", "sat", "on", "a", "log"]
        got = np.exp(model.log_probabilities([sentence]))
        stream = ["<S>"] + sentence + ["</S>"]
        for t in range(1, len(stream)):
            target = stream[t] if stream[t] in CORPUS_VOCABULARY else "<UNK>"
            expected = model.distribution(stream[max(0, t - 2) : t])
            self.assertAllClose(
                got[t - 1], expected[CORPUS_VOCABULARY.index(target)]
            )

    def test_backward_is_forward_on_reversed_text(self):
        # Backwards, </S> starts a sentence and <S> ends it: the same model
        # as a forward one on reversed sentences with the markers renamed.
        swapped = list(CORPUS_VOCABULARY)
        swapped[0], swapped[1] = swapped[1], swapped[0]
        reversed_corpus = [s[::-1] for s in CORPUS]
        test = [["the", "cat", "sat", "on", "the", "log"], ["a", "zebra"]]
        for order in (2, 3):
            backward = _model(order, "backward", False, CORPUS)
            forward = KneserNeyLanguageModel(swapped, order).fit(
                reversed_corpus
            )
            self.assertAllClose(
                backward.log_probabilities(test),
                forward.log_probabilities([s[::-1] for s in test]),
            )

    def test_mirror_corpus_has_equal_directions(self):
        # A corpus holding each sentence and its reverse: both directions
        # see the same n-grams, mirrored, and score a palindrome equally.
        mirror = CORPUS + [s[::-1] for s in CORPUS]
        palindrome = [["the", "cat", "the"], ["a", "dog", "a"]]
        for order in (2, 3):
            f = KneserNeyLanguageModel(CORPUS_VOCABULARY, order).fit(mirror)
            b = KneserNeyLanguageModel(
                CORPUS_VOCABULARY, order, "backward"
            ).fit(mirror)
            self.assertAllClose(
                f.perplexity(palindrome)[0], b.perplexity(palindrome)[0]
            )

    def test_targets_and_unknown_tokens(self):
        ids, starts, unknown = encode_sentences(
            [["a", "zebra"], ["b"]], VOCABULARY
        )
        self.assertAllEqual(ids, [0, 3, 2, 1, 0, 4, 1])
        self.assertAllEqual(starts, [1, 0, 0, 0, 1, 0, 0])
        self.assertEqual(unknown, 1)
        back, back_starts = reverse_stream(ids, starts)
        expected = encode_sentences(
            [["b"], ["a", "zebra"]], VOCABULARY, "backward"
        )
        self.assertAllEqual(back, expected[0])
        self.assertAllEqual(back_starts, expected[1])
        # n + 1 targets per sentence, in both directions.
        model = _model(2)
        self.assertEqual(model.perplexity([["a", "zebra"], ["b"]])[1], 5)

    def test_baseline_perplexities(self):
        directory = self.get_temp_dir()
        train = f"{directory}/train.txt"
        heldout = f"{directory}/heldout.txt"
        with open(train, "w") as f:
            f.write("\n".join(" ".join(s) for s in CORPUS) + "\n")
        with open(heldout, "w") as f:
            f.write("the cat sat on the log\n\na zebra\n")
        got = baseline_perplexities(CORPUS_VOCABULARY, train, heldout)
        self.assertEqual(got["targets"], 10)
        self.assertEqual(got["unknown_tokens"], 2)
        model = KneserNeyLanguageModel(CORPUS_VOCABULARY, 3).fit(CORPUS)
        expected = model.perplexity(
            [s.split() for s in ("the cat sat on the log", "a zebra")]
        )[0]
        self.assertAllClose(got["kneser_ney_trigram"]["forward"], expected)
        f, b = (got["kneser_ney_bigram"][k] for k in ("forward", "backward"))
        self.assertAllClose(
            got["kneser_ney_bigram"]["perplexity"], math.sqrt(f * b)
        )
        # Add-one unigram by hand: "the" is seen 9 times of 39 targets.
        counts = {w: 0 for w in CORPUS_VOCABULARY}
        for s in CORPUS:
            for w in s + ["</S>"]:
                counts[w if w in counts else "<UNK>"] += 1
        total = sum(counts.values()) + len(CORPUS_VOCABULARY)
        targets = "the cat sat on the <UNK> </S> a <UNK> </S>".split()
        nll = -np.mean([math.log((counts[w] + 1) / total) for w in targets])
        self.assertAllClose(got["unigram_add_one"]["perplexity"], math.exp(nll))

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "order"):
            KneserNeyLanguageModel(VOCABULARY, 4)
        with self.assertRaisesRegex(ValueError, "direction"):
            KneserNeyLanguageModel(VOCABULARY, 2, "sideways")
        with self.assertRaisesRegex(ValueError, "<UNK>"):
            KneserNeyLanguageModel(["<S>", "</S>", "a"], 2).fit(TRAIN)
        with self.assertRaisesRegex(ValueError, "fit"):
            KneserNeyLanguageModel(VOCABULARY, 2).perplexity(TRAIN)
        with self.assertRaisesRegex(ValueError, "empty"):
            KneserNeyLanguageModel(VOCABULARY, 2).fit([])
