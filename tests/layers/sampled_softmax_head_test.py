import math
import os

import keras
import numpy as np
import tensorflow as tf

from keras_elmo.layers.sampled_softmax_head import SampledSoftmaxHead
from keras_elmo.layers.softmax_losses import masked_mean
from tests.test_case import TestCase


def np_full_loss(weights, biases, hidden, labels):
    """Per-token NLL of the full softmax in float64; 0 for labels < 0."""
    logits = hidden.astype("float64") @ weights.T.astype("float64") + biases
    top = logits.max(-1, keepdims=True)
    log_z = top[..., 0] + np.log(np.exp(logits - top).sum(-1))
    safe = np.maximum(labels, 0)
    true = np.take_along_axis(logits, safe[..., None], -1)[..., 0]
    return np.where(labels >= 0, log_z - true, 0.0)


def tiny_problem(seed=0, vocab_size=20, batch=2, tokens=3, dim=4):
    rng = np.random.default_rng(seed)
    hidden = rng.normal(size=(batch, tokens, dim)).astype("float32")
    labels = rng.integers(0, vocab_size, size=(batch, tokens)).astype("int32")
    labels[0, -1] = -1
    return hidden, labels


class SampledSoftmaxHeadTest(TestCase):
    def test_layer_behaviors(self):
        hidden, labels = tiny_problem()
        self.run_layer_test(
            cls=SampledSoftmaxHead,
            init_kwargs={
                "vocab_size": 20,
                "num_negative_samples": 8,
                "seed": 1,
            },
            input_data=hidden,
            call_kwargs={"labels": labels},
            expected_output_shape=(2, 3),
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=0,
            # The per-token losses stay float32 under mixed precision, as
            # Keras losses do, while the harness expects the compute dtype:
            # checked in `test_mixed_precision` instead.
            run_precision_checks=False,
        )

    def test_exact_full_softmax_loss(self):
        head = SampledSoftmaxHead(vocab_size=3, num_negative_samples=2)
        head.build((1, 2, 2))
        head.set_weights(
            [
                np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], "float32"),
                np.array([0.0, 0.5, -0.5], "float32"),
            ]
        )
        hidden = np.array([[[1.0, 2.0], [0.5, -1.0]]], "float32")
        labels = np.array([[2, 0]], "int32")
        # Logits [1, 2.5, 2.5] and [0.5, -0.5, -1.0]:
        # NLL = log(2 + e^-1.5) and log(1 + e^-1 + e^-1.5).
        expected = [
            [math.log(2.0 + math.exp(-1.5)),
             math.log(1.0 + math.exp(-1.0) + math.exp(-1.5))]
        ]  # fmt: skip
        self.assertAllClose(head(hidden, labels), expected, atol=1e-6)
        self.assertAllClose(
            head(hidden, np.array([[2, -1]], "int32")),
            [[expected[0][0], 0.0]],
            atol=1e-6,
        )
        self.assertAllClose(
            head.logits(hidden),
            [[[1.0, 2.5, 2.5], [0.5, -0.5, -1.0]]],
            atol=1e-6,
        )

    def test_full_softmax_matches_numpy(self):
        hidden, labels = tiny_problem(seed=1, vocab_size=50, dim=8)
        head = SampledSoftmaxHead(50, num_negative_samples=10, seed=0)
        losses = head(hidden, labels)  # training=None: the full softmax
        weights, biases = head.get_weights()
        expected = np_full_loss(weights, biases, hidden, labels)
        self.assertAllClose(losses, expected, atol=1e-5)
        self.assertAllClose(head(hidden, labels, training=False), expected)
        # The logits give the same distribution.
        log_probs = np.asarray(
            keras.ops.log_softmax(head.logits(hidden), axis=-1)
        )  # (2, 3, 50)
        has_target = labels >= 0
        self.assertAllClose(
            -log_probs[has_target, labels[has_target]],
            expected[has_target],
            atol=1e-5,
        )

    def test_training_uses_fresh_negatives(self):
        hidden, labels = tiny_problem(seed=2, vocab_size=500, dim=8)
        head = SampledSoftmaxHead(500, num_negative_samples=16, seed=3)
        first = np.asarray(head(hidden, labels, training=True))
        second = np.asarray(head(hidden, labels, training=True))
        full = np.asarray(head(hidden, labels))
        self.assertEqual(first.shape, (2, 3))
        self.assertEqual(first[0, -1], 0.0)
        self.assertNotAllClose(first, second)
        self.assertNotAllClose(first, full)
        self.assertTrue(np.all(first[labels >= 0] > 0))

    def test_no_sampling_when_negatives_cover_the_vocabulary(self):
        hidden, labels = tiny_problem(seed=4, vocab_size=10)
        head = SampledSoftmaxHead(10, num_negative_samples=8192, seed=0)
        self.assertFalse(head.uses_sampling)
        self.assertAllClose(
            head(hidden, labels, training=True), head(hidden, labels)
        )
        self.assertEqual(head.get_config()["num_negative_samples"], 8192)

    def test_weights(self):
        head = SampledSoftmaxHead(
            2000, num_negative_samples=100, name="softmax"
        )
        head.build((None, None, 64))
        self.assertEqual(
            [w.path for w in head.weights], ["softmax/W", "softmax/b"]
        )
        self.assertIs(head.softmax_weights, head.weights[0])
        self.assertIs(head.softmax_bias, head.weights[1])
        self.assertEqual(tuple(head.softmax_weights.shape), (2000, 64))
        self.assertEqual(tuple(head.softmax_bias.shape), (2000,))
        # bilm-tf's initialisation: normal(0, 1 / sqrt(hidden_dim)), b = 0.
        weights = np.asarray(head.softmax_weights)
        self.assertAllClose(weights.std(), 1.0 / 8.0, rtol=0.02)
        self.assertAllClose(weights.mean(), 0.0, atol=0.005)
        self.assertAllEqual(head.softmax_bias, np.zeros(2000))
        ones = SampledSoftmaxHead(5, kernel_initializer="ones")
        ones.build((None, 3))
        self.assertAllEqual(ones.softmax_weights, np.ones((5, 3)))

    def test_ignored_labels_get_no_gradient(self):
        hidden, labels = tiny_problem(seed=5, vocab_size=100, dim=8)
        head = SampledSoftmaxHead(100, num_negative_samples=20, seed=0)
        hidden = tf.constant(hidden)
        for training in (True, False):
            with tf.GradientTape() as tape:
                tape.watch(hidden)
                losses = head(hidden, labels, training=training)
                loss = masked_mean(losses, labels)
            gradient = np.asarray(tape.gradient(loss, hidden))
            self.assertAllEqual(gradient[0, -1], np.zeros(8))
            self.assertTrue(np.all(np.abs(gradient[labels >= 0]).sum(-1) > 0))

    def test_jit_compiled_train_step_reduces_loss(self):
        # A tiny model learns "next id = id + 1" through the head's sampled
        # softmax inside one XLA-compiled train step (sampler included).
        vocab_size, dim = 40, 16
        rng = np.random.default_rng(0)
        tokens = rng.integers(0, vocab_size, size=(8, 6)).astype("int32")
        labels = ((tokens + 1) % vocab_size).astype("int32")
        labels[:, -1] = -1  # e.g. padding
        embedding = keras.layers.Embedding(vocab_size, dim)
        head = SampledSoftmaxHead(vocab_size, num_negative_samples=12, seed=0)
        hidden = embedding(tokens)
        head(hidden, labels)
        variables = embedding.trainable_variables + head.trainable_variables
        optimizer = keras.optimizers.Adam(learning_rate=0.05)
        optimizer.build(variables)

        @tf.function(jit_compile=True)
        def train_step(tokens, labels):
            with tf.GradientTape() as tape:
                losses = head(embedding(tokens), labels, training=True)
                loss = masked_mean(losses, labels)
            optimizer.apply(tape.gradient(loss, variables), variables)
            return loss

        def full_loss():
            return float(masked_mean(head(embedding(tokens), labels), labels))

        before = full_loss()
        sampled_losses = [float(train_step(tokens, labels)) for _ in range(60)]
        after = full_loss()
        self.assertTrue(np.all(np.isfinite(sampled_losses)))
        self.assertLess(after, 0.5 * before)
        self.assertLess(np.mean(sampled_losses[-10:]), sampled_losses[0])

    def test_fit_with_jit_compile(self):
        # Pattern for a language model: the head returns per-token losses
        # and the compiled loss is their mean over positions with a target.
        vocab_size, dim = 30, 8
        rng = np.random.default_rng(1)
        tokens = rng.integers(0, vocab_size, size=(16, 5)).astype("int32")
        labels = ((tokens + 1) % vocab_size).astype("int32")
        labels[::2, -1] = -1
        token_input = keras.Input((None,), dtype="int32")
        label_input = keras.Input((None,), dtype="int32")
        hidden = keras.layers.Embedding(vocab_size, dim)(token_input)
        losses = SampledSoftmaxHead(
            vocab_size, num_negative_samples=10, seed=0
        )(hidden, label_input)
        model = keras.Model([token_input, label_input], losses)
        model.compile(
            optimizer=keras.optimizers.Adam(0.1),
            loss=lambda y_true, y_pred: masked_mean(y_pred, y_true),
            jit_compile=True,
        )
        before = masked_mean(model.predict([tokens, labels], verbose=0), labels)
        history = model.fit(
            [tokens, labels], labels, batch_size=16, epochs=15, verbose=0
        )
        after = masked_mean(model.predict([tokens, labels], verbose=0), labels)
        self.assertTrue(np.all(np.isfinite(history.history["loss"])))
        self.assertLess(float(after), 0.5 * float(before))

    def test_mixed_precision(self):
        hidden, labels = tiny_problem(seed=6, vocab_size=100, dim=8)
        reference = SampledSoftmaxHead(100, num_negative_samples=20, seed=0)
        expected = reference(hidden, labels)
        for policy in ("mixed_bfloat16", "mixed_float16"):
            head = SampledSoftmaxHead(
                100, num_negative_samples=20, seed=0, dtype=policy
            )
            head.build(hidden.shape)
            head.set_weights(reference.get_weights())
            for weight in head.weights:
                self.assertEqual(weight.dtype, "float32")
            losses = head(hidden, labels)
            self.assertEqual(
                keras.backend.standardize_dtype(losses.dtype), "float32"
            )
            # Only the rounding of `hidden` to the compute dtype differs.
            self.assertAllClose(losses, expected, rtol=0.02, atol=0.02)
            self.assertEqual(
                keras.backend.standardize_dtype(head.logits(hidden).dtype),
                "float32",
            )
            step = tf.function(jit_compile=True)(
                lambda h, y, head=head: head(h, y, training=True)
            )
            sampled = step(tf.cast(hidden, policy.split("_")[1]), labels)
            self.assertEqual(sampled.dtype, tf.float32)
            self.assertTrue(np.all(np.isfinite(sampled)))

    def test_unknown_batch_and_time_dimensions(self):
        head = SampledSoftmaxHead(60, num_negative_samples=12, seed=0)
        head.build((None, None, 4))
        specs = [
            tf.TensorSpec([None, None, 4], "float32"),
            tf.TensorSpec([None, None], "int32"),
        ]
        sampled = tf.function(jit_compile=True, input_signature=specs)(
            lambda h, y: head(h, y, training=True)
        )
        full = tf.function(jit_compile=True, input_signature=specs)(
            lambda h, y: head(h, y, training=False)
        )
        for shape in ((2, 3), (5, 7)):
            hidden, labels = tiny_problem(7, 60, shape[0], shape[1], 4)
            self.assertEqual(tuple(sampled(hidden, labels).shape), shape)
            self.assertAllClose(
                full(hidden, labels),
                np_full_loss(*head.get_weights(), hidden, labels),
                atol=1e-5,
            )

    def test_saved_model_round_trip(self):
        hidden, labels = tiny_problem(seed=8, vocab_size=25, dim=4)
        hidden_input = keras.Input((None, 4))
        label_input = keras.Input((None,), dtype="int32")
        head = SampledSoftmaxHead(
            25, num_negative_samples=5, kernel_initializer="he_normal", seed=2
        )
        model = keras.Model(
            [hidden_input, label_input], head(hidden_input, label_input)
        )
        path = os.path.join(self.get_temp_dir(), "head.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        self.assertAllClose(
            restored.predict([hidden, labels], verbose=0),
            model.predict([hidden, labels], verbose=0),
        )
        config = restored.layers[-1].get_config()
        self.assertEqual(config["vocab_size"], 25)
        self.assertEqual(config["num_negative_samples"], 5)
        self.assertEqual(config["seed"], 2)
        self.assertEqual(config["kernel_initializer"]["class_name"], "HeNormal")

    def test_invalid_args(self):
        with self.assertRaisesRegex(ValueError, "vocab_size=0"):
            SampledSoftmaxHead(0)
        with self.assertRaisesRegex(ValueError, "vocab_size=2.5"):
            SampledSoftmaxHead(2.5)
        with self.assertRaisesRegex(ValueError, "num_negative_samples=-4"):
            SampledSoftmaxHead(10, num_negative_samples=-4)
        with self.assertRaisesRegex(ValueError, "num_negative_samples=None"):
            SampledSoftmaxHead(10, num_negative_samples=None)
        with self.assertRaisesRegex(ValueError, "seed='abc'"):
            SampledSoftmaxHead(10, seed="abc")
        with self.assertRaisesRegex(ValueError, "hidden_shape"):
            SampledSoftmaxHead(10).build((2, 3, None))
