import math

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_elmo.layers.softmax_losses import LogUniformSample
from keras_elmo.layers.softmax_losses import default_num_draws
from keras_elmo.layers.softmax_losses import full_softmax_loss
from keras_elmo.layers.softmax_losses import log_uniform_expected_count
from keras_elmo.layers.softmax_losses import log_uniform_probability
from keras_elmo.layers.softmax_losses import masked_mean
from keras_elmo.layers.softmax_losses import sample_log_uniform
from keras_elmo.layers.softmax_losses import sampled_softmax_loss
from keras_elmo.layers.softmax_losses import softmax_logits
from tests.test_case import TestCase

# Statistical checks below allow this many standard errors. Their seeds are
# fixed, so they are deterministic; the margin makes them pass for any seed
# except with a probability of order 1e-6 per compared statistic.
SIGMAS = 6.0


def np_log_uniform_probability(ids, num_classes):
    ids = np.asarray(ids, dtype=np.float64)
    return np.log((ids + 2.0) / (ids + 1.0)) / np.log(num_classes + 1.0)


def np_log_softmax_loss(logits, label):
    logits = np.asarray(logits, dtype=np.float64)
    top = logits.max()
    return top + np.log(np.exp(logits - top).sum()) - logits[label]


def np_unique_sample(u, num_sampled, num_classes):
    """NumPy reference of `sample_log_uniform(unique=True)` on draws `u`."""
    draws = np.floor(np.exp(u * np.log(num_classes + 1.0))).astype(np.int64)
    draws = np.clip(draws - 1, 0, num_classes - 1)
    ids, seen, num_tries = [], set(), len(draws)
    for i, draw in enumerate(draws):
        if draw in seen:
            continue
        seen.add(draw)
        ids.append(draw)
        if len(ids) == num_sampled:
            num_tries = i + 1
            break
    valid = [True] * len(ids) + [False] * (num_sampled - len(ids))
    ids = ids + [0] * (num_sampled - len(ids))
    cut_short = num_tries < len(draws)
    return ids, valid, num_tries, cut_short and num_tries == num_sampled


def tf_sampler_num_tries(sampled, expected_count, num_sampled, num_classes):
    """The `num_tries` behind TF's unique log-uniform expected counts."""
    p = np_log_uniform_probability(sampled, num_classes)
    if np.allclose(expected_count, num_sampled * p, rtol=1e-6):
        return num_sampled, True  # TF's `num_tries == batch_size` shortcut
    # Expected counts that rounded to 1 in float32 carry no information.
    informative = expected_count < 0.999
    num_tries = np.log1p(-expected_count[informative]) / np.log1p(
        -p[informative]
    )
    rounded = int(round(float(np.median(num_tries))))
    np.testing.assert_allclose(num_tries, rounded, rtol=1e-3)
    return rounded, False


def random_problem(num_classes, dim, num_tokens, label_range, seed):
    rng = np.random.default_rng(seed)
    weights = (0.5 * rng.normal(size=(num_classes, dim))).astype("float32")
    biases = (0.1 * rng.normal(size=(num_classes,))).astype("float32")
    hidden = rng.normal(size=(num_tokens, dim)).astype("float32")
    labels = rng.integers(0, label_range, size=(num_tokens,)).astype("int32")
    return weights, biases, hidden, labels


class LogUniformTest(TestCase):
    def test_probability_table(self):
        # P(c) = log((c + 2) / (c + 1)) / log(V + 1), written out for V = 4.
        log5 = math.log(5.0)
        expected = [
            math.log(2.0) / log5,
            math.log(3.0 / 2.0) / log5,
            math.log(4.0 / 3.0) / log5,
            math.log(5.0 / 4.0) / log5,
        ]
        self.assertAllClose(
            log_uniform_probability([0, 1, 2, 3], 4), expected, rtol=1e-6
        )
        big = 793471
        total = np.sum(
            np.asarray(log_uniform_probability(np.arange(big), big), "float64")
        )
        self.assertAllClose(total, 1.0, atol=1e-4)

    def test_expected_count_formulas(self):
        ids = np.array([0, 1, 7, 49])
        p = np_log_uniform_probability(ids, 50)
        self.assertAllClose(
            log_uniform_expected_count(ids, 50, 30, True), 30 * p, rtol=1e-6
        )
        self.assertAllClose(
            log_uniform_expected_count(ids, 50, 30, False),
            1.0 - (1.0 - p) ** 30,
            rtol=1e-6,
        )

    def test_expected_counts_match_tf_sampler(self):
        num_classes, num_sampled = 1000, 100
        true_classes = tf.constant([[0], [5], [999]], dtype="int64")
        for unique in (False, True):
            result = tf.random.log_uniform_candidate_sampler(
                true_classes, 1, num_sampled, unique, num_classes, seed=7
            )
            sampled = result.sampled_candidates.numpy()
            sampled_count = result.sampled_expected_count.numpy()
            num_tries, with_replacement = tf_sampler_num_tries(
                sampled, sampled_count, num_sampled, num_classes
            )
            self.assertEqual(with_replacement, not unique)
            self.assertAllClose(
                log_uniform_expected_count(
                    sampled, num_classes, num_tries, with_replacement
                ),
                sampled_count,
                rtol=1e-5,
            )
            self.assertAllClose(
                log_uniform_expected_count(
                    [0, 5, 999], num_classes, num_tries, with_replacement
                ),
                result.true_expected_count.numpy()[:, 0],
                rtol=1e-5,
            )

    def test_default_num_draws(self):
        # bilm-tf: 8192 negatives over 793,471 words.
        self.assertEqual(default_num_draws(8192, 793471), 15263)
        # Few slots: more draws than slots could overflow them.
        self.assertEqual(default_num_draws(16, 793471), 16)
        for num_sampled, num_classes in [(40, 50), (10, 50), (100, 1000)]:
            num_draws = default_num_draws(num_sampled, num_classes)
            self.assertBetween(num_draws, num_sampled, 16 * num_sampled)

    def test_samples_follow_log_uniform(self):
        # Sampling with replacement: 100,000 i.i.d. draws over 50 classes,
        # Pearson chi-square against the log-uniform counts (the smallest
        # expected count is 504). Under the null hypothesis the statistic
        # has mean df = 49 and standard deviation sqrt(2 df) = 9.9; the
        # threshold is mean + 6 sd.
        num_classes, num_draws = 50, 100_000
        sample = sample_log_uniform(
            num_draws, num_classes, seed=11, unique=False
        )
        ids = np.asarray(sample.ids)
        self.assertEqual(ids.shape, (num_draws,))
        self.assertTrue(np.all(np.asarray(sample.valid)))
        self.assertGreaterEqual(ids.min(), 0)
        self.assertLess(ids.max(), num_classes)
        observed = np.bincount(ids, minlength=num_classes)
        expected = num_draws * np_log_uniform_probability(
            np.arange(num_classes), num_classes
        )
        chi_square = np.sum((observed - expected) ** 2 / expected)
        df = num_classes - 1
        self.assertLess(chi_square, df + SIGMAS * math.sqrt(2 * df))

    def test_samples_cover_a_large_vocabulary(self):
        # 200,000 draws over bilm-tf's 793,471 words: in range, and the
        # empirical CDF agrees with log(t + 1) / log(V + 1) within 6
        # binomial standard errors, deep into the tail (which float32
        # uniforms would quantise).
        num_classes, num_draws = 793471, 200_000
        ids = np.asarray(
            sample_log_uniform(num_draws, num_classes, seed=3, unique=False).ids
        )
        self.assertGreaterEqual(ids.min(), 0)
        self.assertLess(ids.max(), num_classes)
        for threshold in (1, 10, 1000, 100_000, 500_000, 790_000):
            cdf = math.log(threshold + 1.0) / math.log(num_classes + 1.0)
            error = math.sqrt(cdf * (1.0 - cdf) / num_draws)
            self.assertLess(
                abs(np.mean(ids < threshold) - cdf),
                SIGMAS * error,
                msg=f"CDF at {threshold}",
            )

    @parameterized.named_parameters(
        # Default draws: all distinct classes of the draws (not cut short).
        ("default_draws", 40, 50, None, 5),
        # Many draws: cut short after 10 distinct classes (TF's loop).
        ("cut_short", 10, 50, 200, 5),
        # Cut short after exactly 3 draws: TF's `num_tries == num_sampled`
        # shortcut (expected count num_sampled * P(c)).
        ("tf_shortcut", 3, 1_000_000, 50, 2),
    )
    def test_unique_sample_matches_numpy_reference(
        self, num_sampled, num_classes, num_draws, seed
    ):
        sample = sample_log_uniform(
            num_sampled, num_classes, seed=seed, num_draws=num_draws
        )
        num_draws = num_draws or default_num_draws(num_sampled, num_classes)
        # An int seed is stateless: the same uniforms again.
        u = np.asarray(
            keras.random.uniform((num_draws,), dtype="float64", seed=seed)
        )
        ids, valid, num_tries, with_replacement = np_unique_sample(
            u, num_sampled, num_classes
        )
        self.assertAllEqual(sample.ids, ids)
        self.assertAllEqual(sample.valid, valid)
        self.assertEqual(int(sample.num_tries), num_tries)
        self.assertEqual(bool(sample.with_replacement), with_replacement)
        valid_ids = np.asarray(sample.ids)[np.asarray(sample.valid)]
        self.assertLen(set(valid_ids.tolist()), len(valid_ids))
        if num_draws == 50:
            self.assertTrue(with_replacement)  # the case exercises it

    def test_unique_sample_of_a_large_vocabulary_compiles(self):
        seed = keras.random.SeedGenerator(5)

        @tf.function(jit_compile=True)
        def draw():
            return sample_log_uniform(8192, 793471, seed=seed)

        first, second = draw(), draw()
        for sample in (first, second):
            ids = np.asarray(sample.ids)[np.asarray(sample.valid)]
            self.assertLen(set(ids.tolist()), len(ids))
            self.assertGreaterEqual(ids.min(), 0)
            self.assertLess(ids.max(), 793471)
            # 7,846 +- 62 distinct classes expected from 15,263 draws.
            self.assertBetween(len(ids), 7846 - 500, 8192)
            self.assertEqual(int(sample.num_tries), 15263)
        # A SeedGenerator gives fresh negatives at every call.
        self.assertNotAllEqual(first.ids, second.ids)

    def test_inclusion_probabilities_are_exact(self):
        # Default scheme: the set is all distinct classes of `num_draws`
        # i.i.d. draws, so class c is included with probability exactly
        # 1 - (1 - P(c)) ** num_draws, the expected count used for the
        # log-Q correction. 2,000 compiled samples; each class's inclusion
        # frequency within 6 binomial standard errors, and the
        # importance-weighted (Horvitz-Thompson) sum of exp(l_c) / Q(c)
        # over the sample unbiased for sum_c exp(l_c) within 6 standard
        # errors (measured: -0.3%, standard error 0.6%). TF's own sampler
        # (`num_draws=640` here) fails the latter: +2.9%, standard error
        # 0.3%, as its expected count is an approximation.
        num_sampled, num_classes, runs = 40, 50, 2000
        num_draws = default_num_draws(num_sampled, num_classes)
        log_weights = np.random.default_rng(0).normal(size=num_classes)
        log_weights = log_weights.astype("float32")
        seed = keras.random.SeedGenerator(1)

        @tf.function(jit_compile=True)
        def draw():
            sample = sample_log_uniform(num_sampled, num_classes, seed=seed)
            counts = log_uniform_expected_count(
                sample.ids,
                num_classes,
                sample.num_tries,
                sample.with_replacement,
            )
            included = tf.math.unsorted_segment_max(
                tf.cast(sample.valid, "int32"), sample.ids, num_classes
            )
            weighted = tf.reduce_sum(
                tf.where(
                    sample.valid,
                    tf.exp(tf.gather(log_weights, sample.ids)) / counts,
                    0.0,
                )
            )
            return included, weighted, sample.num_tries

        results = [draw() for _ in range(runs)]
        included = np.stack([np.asarray(r[0]) for r in results])
        included = np.maximum(included, 0)  # empty segments give int min
        weighted = np.array([float(r[1]) for r in results])
        num_tries = np.array([int(r[2]) for r in results])
        # Never cut short: the default keeps the slots from overflowing.
        self.assertAllEqual(num_tries, np.full(runs, num_draws))

        p = np_log_uniform_probability(np.arange(num_classes), num_classes)
        inclusion = 1.0 - (1.0 - p) ** num_draws
        error = np.sqrt(inclusion * (1.0 - inclusion) / runs)
        z = np.abs(included.mean(0) - inclusion) / error
        self.assertLess(z.max(), SIGMAS)

        total = np.exp(log_weights).sum()
        error = weighted.std() / math.sqrt(runs)
        self.assertLess(abs(weighted.mean() - total), SIGMAS * error)

    def test_many_draws_reproduce_tf_sampler_distribution(self):
        # With many draws the sampler is TF's rejection loop: compare
        # per-class inclusion frequencies and the mean expected count of
        # class 0 (a function of num_tries) with TF's own sampler, 2,000
        # samples each; two-sample z-scores below 6.
        num_sampled, num_classes, runs = 10, 50, 2000
        seed = keras.random.SeedGenerator(2)

        @tf.function(jit_compile=True)
        def ours():
            sample = sample_log_uniform(
                num_sampled, num_classes, seed=seed, num_draws=1000
            )
            count = log_uniform_expected_count(
                [0], num_classes, sample.num_tries, sample.with_replacement
            )
            return sample.ids, count[0]

        tf.random.set_seed(2)

        @tf.function
        def theirs():
            result = tf.random.log_uniform_candidate_sampler(
                tf.constant([[0]], "int64"),
                1,
                num_sampled,
                True,
                num_classes,
            )
            return result.sampled_candidates, result.true_expected_count[0, 0]

        frequencies, counts = [], []
        for sampler in (ours, theirs):
            results = [sampler() for _ in range(runs)]
            ids = np.stack([np.asarray(r[0]) for r in results])
            included = np.zeros((runs, num_classes))
            np.put_along_axis(included, ids.astype("int64"), 1.0, axis=1)
            self.assertAllEqual(included.sum(1), np.full(runs, num_sampled))
            frequencies.append(included.mean(0))
            counts.append(np.array([float(r[1]) for r in results]))

        pooled = (frequencies[0] + frequencies[1]) / 2.0
        error = np.sqrt(2.0 * pooled * (1.0 - pooled) / runs) + 1e-12
        z = np.abs(frequencies[0] - frequencies[1]) / error
        self.assertLess(z.max(), SIGMAS)
        error = math.sqrt((counts[0].var() + counts[1].var()) / runs)
        self.assertLess(abs(counts[0].mean() - counts[1].mean()), 6 * error)

    def test_invalid_args(self):
        with self.assertRaisesRegex(ValueError, "num_sampled=0"):
            sample_log_uniform(0, 10)
        with self.assertRaisesRegex(ValueError, "num_sampled=2.5"):
            sample_log_uniform(2.5, 10)
        with self.assertRaisesRegex(ValueError, "num_classes=-3"):
            sample_log_uniform(2, -3)
        with self.assertRaisesRegex(ValueError, "num_sampled=11"):
            sample_log_uniform(11, 10)
        with self.assertRaisesRegex(ValueError, "num_draws=0"):
            sample_log_uniform(2, 10, num_draws=0)
        with self.assertRaisesRegex(ValueError, "num_classes=0"):
            log_uniform_probability([0], 0)


class SoftmaxLossTest(TestCase):
    def test_full_softmax_loss_matches_numpy(self):
        weights, biases, hidden, labels = random_problem(7, 4, 6, 7, seed=0)
        labels[2] = -1
        hidden = hidden.reshape(2, 3, 4)
        labels = labels.reshape(2, 3)
        logits = hidden @ weights.T + biases  # (2, 3, 7)
        expected = np.array(
            [
                [
                    np_log_softmax_loss(logits[i, j], labels[i, j])
                    if labels[i, j] >= 0
                    else 0.0
                    for j in range(3)
                ]
                for i in range(2)
            ]
        )
        losses = full_softmax_loss(weights, biases, hidden, labels)
        self.assertEqual(tuple(losses.shape), (2, 3))
        self.assertAllClose(losses, expected, atol=1e-5)
        self.assertAllClose(
            softmax_logits(weights, biases, hidden), logits, atol=1e-5
        )
        self.assertAllClose(
            masked_mean(losses, labels), expected.sum() / 5, atol=1e-5
        )

    def test_masked_mean(self):
        self.assertAllClose(
            masked_mean([[1.0, 2.0, 9.0]], [[4, 0, -1]]), 1.5, atol=1e-7
        )
        self.assertAllClose(masked_mean([7.0, 9.0], [-1, -1]), 0.0)

    @parameterized.named_parameters(
        ("unique", True, True),
        ("unique_keep_hits", True, False),
        ("with_replacement_keep_hits", False, False),
    )
    def test_loss_matches_tf_given_the_same_candidates(
        self, unique, remove_accidental_hits
    ):
        # Candidates from TF's sampler; our loss with the same candidates and
        # expected counts equals tf.nn.sampled_softmax_loss. Labels in the
        # most frequent classes, so accidental hits occur. (Not compared:
        # removal of hits among duplicated candidates, unique=False. TF's
        # compute_accidental_hits maps each id to one position and removes
        # only one copy; we remove every copy.)
        num_classes, num_sampled = 200, 30
        weights, biases, hidden, labels = random_problem(
            num_classes, 8, 16, 5, seed=1
        )
        labels_2d = tf.constant(labels[:, None], "int64")
        sampled_values = tf.random.log_uniform_candidate_sampler(
            labels_2d, 1, num_sampled, unique, num_classes, seed=3
        )
        ids = sampled_values.sampled_candidates.numpy()
        self.assertTrue(np.isin(labels, ids).any())  # accidental hits
        num_tries, with_replacement = tf_sampler_num_tries(
            ids,
            sampled_values.sampled_expected_count.numpy(),
            num_sampled,
            num_classes,
        )
        expected = tf.nn.sampled_softmax_loss(
            weights,
            biases,
            labels_2d,
            hidden,
            num_sampled,
            num_classes,
            sampled_values=sampled_values,
            remove_accidental_hits=remove_accidental_hits,
        )
        sample = LogUniformSample(
            ids=ids.astype("int32"),
            valid=np.ones(num_sampled, bool),
            num_tries=num_tries,
            with_replacement=with_replacement,
        )
        losses = sampled_softmax_loss(
            weights,
            biases,
            hidden,
            labels,
            num_sampled,
            num_classes,
            remove_accidental_hits=remove_accidental_hits,
            sample=sample,
        )
        self.assertAllClose(losses, expected, atol=1e-5)

    @parameterized.named_parameters(("remove", True), ("keep", False))
    def test_accidental_hits(self, remove):
        # Negatives [2, 0, 5] against labels [0, 5, 3]: with removal, the
        # NumPy loss of each position drops the negative equal to its label.
        num_classes = 6
        weights, biases, hidden, _ = random_problem(num_classes, 3, 3, 6, 2)
        labels = np.array([0, 5, 3], "int32")
        negatives = np.array([2, 0, 5], "int32")
        num_tries = 9
        sample = LogUniformSample(negatives, np.ones(3, bool), num_tries, False)
        log_q = np.log(
            1.0
            - (1.0 - np_log_uniform_probability(np.arange(6), 6)) ** num_tries
        )
        logits = hidden @ weights.T + biases - log_q  # (3, 6)
        expected = []
        for i, label in enumerate(labels):
            kept = [c for c in negatives if not (remove and c == label)]
            expected.append(
                np_log_softmax_loss(logits[i, [label] + kept], label=0)
            )
        losses = sampled_softmax_loss(
            weights,
            biases,
            hidden,
            labels,
            3,
            num_classes,
            remove_accidental_hits=remove,
            sample=sample,
        )
        self.assertAllClose(losses, expected, atol=1e-5)

    def test_invalid_slots_are_ignored(self):
        weights, biases, hidden, labels = random_problem(20, 4, 5, 20, 3)
        labels = np.where(np.isin(labels, [3, 7]), 0, labels).astype("int32")
        padded = LogUniformSample(
            np.array([3, 0, 7, 0], "int32"),
            np.array([True, False, True, False]),
            12,
            False,
        )
        compact = LogUniformSample(
            np.array([3, 7], "int32"), np.ones(2, bool), 12, False
        )
        self.assertAllClose(
            sampled_softmax_loss(
                weights, biases, hidden, labels, 4, 20, sample=padded
            ),
            sampled_softmax_loss(
                weights, biases, hidden, labels, 2, 20, sample=compact
            ),
            atol=1e-6,
        )

    @parameterized.named_parameters(("full", False), ("sampled", True))
    def test_ignored_labels_have_zero_loss_and_no_gradient(self, sampled):
        weights, biases, hidden, labels = random_problem(30, 4, 6, 30, 4)
        labels[[1, 4]] = -1
        weights = tf.Variable(weights)
        hidden = tf.constant(hidden)
        with tf.GradientTape() as tape:
            tape.watch(hidden)
            if sampled:
                losses = sampled_softmax_loss(
                    weights, biases, hidden, labels, 10, 30, seed=1
                )
            else:
                losses = full_softmax_loss(weights, biases, hidden, labels)
            loss = masked_mean(losses, labels)
        hidden_grad, weights_grad = tape.gradient(loss, [hidden, weights])
        losses = np.asarray(losses)
        self.assertAllEqual(losses[[1, 4]], [0.0, 0.0])
        self.assertTrue(np.all(losses[[0, 2, 3, 5]] > 0))
        hidden_grad = np.asarray(hidden_grad)
        self.assertAllEqual(hidden_grad[[1, 4]], np.zeros((2, 4)))
        self.assertTrue(np.all(np.abs(hidden_grad[[0, 2, 3, 5]]).sum(1) > 0))
        self.assertTrue(np.all(np.isfinite(tf.convert_to_tensor(weights_grad))))
        # Masked positions do not count in the mean.
        self.assertAllClose(loss, losses[[0, 2, 3, 5]].mean(), atol=1e-6)

    def test_sampled_loss_matches_full_loss_in_expectation(self):
        # V = 50 words, labels among the 5 most frequent ones, 40 distinct
        # negatives (many draws: TF's sampler), 300 samples. Sampled softmax
        # is biased (the log of a ratio estimate; the true logit's own
        # correction log Q(label)), but here Q(label) ~ 1 and 40 of the 49
        # other words are negatives, so the bias is small: we measured
        # +0.36% with a standard error of 0.10%. Tolerance: 1% of the loss.
        # The mean gradient must point the same way as the exact one
        # (cosine > 0.99; measured 0.9998).
        num_classes, runs = 50, 300
        weights, biases, hidden, labels = random_problem(
            num_classes, 8, 64, 5, seed=5
        )
        weights = tf.Variable(weights)
        seed = keras.random.SeedGenerator(3)

        def loss_and_gradient(sampled):
            with tf.GradientTape() as tape:
                if sampled:
                    losses = sampled_softmax_loss(
                        weights,
                        biases,
                        hidden,
                        labels,
                        40,
                        num_classes,
                        seed=seed,
                        num_draws=640,
                    )
                else:
                    losses = full_softmax_loss(weights, biases, hidden, labels)
                loss = masked_mean(losses, labels)
            return loss, tf.convert_to_tensor(tape.gradient(loss, weights))

        sampled_step = tf.function(jit_compile=True)(
            lambda: loss_and_gradient(True)
        )
        results = [sampled_step() for _ in range(runs)]
        sampled_loss = np.mean([float(r[0]) for r in results])
        sampled_gradient = np.mean([np.asarray(r[1]) for r in results], 0)
        full_loss, full_gradient = loss_and_gradient(False)
        full_loss = float(full_loss)
        self.assertLess(abs(sampled_loss - full_loss), 0.01 * full_loss)
        cosine = np.sum(sampled_gradient * full_gradient) / (
            np.linalg.norm(sampled_gradient) * np.linalg.norm(full_gradient)
        )
        self.assertGreater(cosine, 0.99)

    def test_sampled_loss_converges_with_more_negatives(self):
        # Consistency with the default (exact-correction) scheme: the mean
        # sampled loss (200 samples) approaches the full loss as the number
        # of slots grows. Measured relative biases (standard errors):
        # -17.6% (0.6%) with 10 slots, -5.9% (0.4%) with 25, -0.4% (0.2%)
        # with 50 (105 draws, 34.1 distinct negatives on average).
        num_classes, runs = 50, 200
        weights, biases, hidden, labels = random_problem(
            num_classes, 8, 64, 5, seed=5
        )
        full_loss = float(
            masked_mean(
                full_softmax_loss(weights, biases, hidden, labels), labels
            )
        )
        biases_by_slots = []
        for num_sampled in (10, 25, 50):
            seed = keras.random.SeedGenerator(4)
            step = tf.function(jit_compile=True)(
                lambda n=num_sampled, seed=seed: sampled_softmax_loss(
                    weights, biases, hidden, labels, n, num_classes, seed=seed
                )
            )
            mean = np.mean([np.mean(step()) for _ in range(runs)])
            biases_by_slots.append(abs(mean - full_loss) / full_loss)
        self.assertGreater(biases_by_slots[0], biases_by_slots[1])
        self.assertGreater(biases_by_slots[1], biases_by_slots[2])
        self.assertLess(biases_by_slots[2], 0.03)

    def test_jit_compiled_loss_draws_fresh_negatives(self):
        weights, biases, hidden, labels = random_problem(100, 4, 8, 100, 6)
        seed = keras.random.SeedGenerator(0)
        step = tf.function(jit_compile=True)(
            lambda: sampled_softmax_loss(
                weights, biases, hidden, labels, 20, 100, seed=seed
            )
        )
        first, second = np.asarray(step()), np.asarray(step())
        self.assertTrue(np.all(np.isfinite(first)))
        self.assertNotAllClose(first, second)

    def test_invalid_args(self):
        weights, biases, hidden, labels = random_problem(10, 4, 3, 10, 0)
        with self.assertRaisesRegex(ValueError, "num_classes=12"):
            sampled_softmax_loss(weights, biases, hidden, labels, 3, 12)
        with self.assertRaisesRegex(ValueError, r"hidden.shape=\(3, 5\)"):
            full_softmax_loss(
                weights, biases, np.zeros((3, 5), "float32"), labels
            )
        with self.assertRaisesRegex(ValueError, r"labels.shape=\(1, 3\)"):
            full_softmax_loss(weights, biases, hidden, labels[None])
        with self.assertRaisesRegex(TypeError, "sample of type tuple"):
            sampled_softmax_loss(
                weights, biases, hidden, labels, 3, 10, sample=(1, 2, 3)
            )
        with self.assertRaisesRegex(ValueError, r"sample.ids.shape=\(2,\)"):
            sampled_softmax_loss(
                weights,
                biases,
                hidden,
                labels,
                3,
                10,
                sample=LogUniformSample(
                    np.array([1, 2], "int32"), np.ones(2, bool), 3, False
                ),
            )
