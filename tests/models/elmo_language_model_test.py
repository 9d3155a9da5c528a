import os
from unittest import mock

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_elmo.models import elmo_language_model
from keras_elmo.models.elmo_language_model import ELMoLanguageModel
from tests.test_case import TestCase
from tests.training.training_fixtures import tiny_elmo

VOCAB_SIZE = 12


def tiny_batch(seed=0, batch=2, tokens=5):
    """Random character ids and targets, with `-1` (no target) entries."""
    rng = np.random.default_rng(seed)
    character_ids = rng.integers(1, 262, size=(batch, tokens, 50))
    character_ids = character_ids.astype("int32")
    next_ids = rng.integers(0, VOCAB_SIZE, size=(batch, tokens))
    previous_ids = rng.integers(0, VOCAB_SIZE, size=(batch, tokens))
    next_ids[0, -1] = -1  # after </S>
    previous_ids[1, 0] = -1  # before <S>
    previous_ids[1, 3] = -1
    x = {"character_ids": character_ids}
    y = {
        "next_token_ids": next_ids.astype("int32"),
        "previous_token_ids": previous_ids.astype("int32"),
    }
    return x, y


def np_nll(logits, labels):
    """Per-token NLL in float64, and the mask of tokens with a target."""
    logits = np.asarray(logits, "float64")
    top = logits.max(-1, keepdims=True)
    log_z = top[..., 0] + np.log(np.exp(logits - top).sum(-1))
    safe = np.maximum(labels, 0)
    true = np.take_along_axis(logits, safe[..., None], -1)[..., 0]
    return log_z - true, labels >= 0


def manual_losses(model, x, y):
    """Full-softmax NLL sums and counts per direction, from `logits`."""
    hidden = model(x, training=False)
    results = {}
    for direction, key in (
        ("forward", "next_token_ids"),
        ("backward", "previous_token_ids"),
    ):
        logits = model.softmax.logits(hidden[direction])  # (b, t, vocab)
        nll, has_target = np_nll(logits, y[key])
        results[direction] = (nll[has_target].sum(), has_target.sum())
    return results


class ELMoLanguageModelTest(TestCase):
    def test_evaluation_loss_is_the_mean_of_both_directions(self):
        model = ELMoLanguageModel(tiny_elmo(), VOCAB_SIZE, dropout=0.0)
        model.compile()
        x, y = tiny_batch()
        results = manual_losses(model, x, y)
        (f_sum, f_count), (b_sum, b_count) = (
            results["forward"],
            results["backward"],
        )
        # Targets -1 are not counted: 10 positions, 1 and 2 ignored.
        self.assertEqual((f_count, b_count), (9, 8))
        logs = model.test_step((x, y))
        expected_loss = 0.5 * (f_sum / f_count + b_sum / b_count)
        self.assertAllClose(logs["loss"], expected_loss, atol=1e-5)
        self.assertAllClose(
            logs["forward_perplexity"], np.exp(f_sum / f_count), rtol=1e-5
        )
        self.assertAllClose(
            logs["backward_perplexity"], np.exp(b_sum / b_count), rtol=1e-5
        )
        self.assertAllClose(
            logs["perplexity"],
            np.exp((f_sum + b_sum) / (f_count + b_count)),
            rtol=1e-5,
        )
        self.assertNotIn("gradient_norm", logs)

    def test_ignored_targets_do_not_change_the_loss(self):
        model = ELMoLanguageModel(tiny_elmo(), VOCAB_SIZE, dropout=0.0)
        model.compile()
        x, y = tiny_batch()
        loss = model.test_step((x, y))["loss"]
        # Marking one more target as -1 removes exactly its term.
        model.reset_metrics()
        masked = {k: v.copy() for k, v in y.items()}
        masked["next_token_ids"][1, 2] = -1
        masked_loss = model.test_step((x, masked))["loss"]
        self.assertNotAllClose(loss, masked_loss)
        results = manual_losses(model, x, masked)
        expected = 0.5 * sum(s / n for s, n in results.values())
        self.assertAllClose(masked_loss, expected, atol=1e-5)
        # Only -1 targets: the loss is 0 and the perplexity 1.
        model.reset_metrics()
        empty = {k: np.full_like(v, -1) for k, v in y.items()}
        logs = model.test_step((x, empty))
        self.assertAllClose(logs["loss"], 0.0)
        self.assertAllClose(logs["perplexity"], 1.0)

    def test_train_step_gradient_norm_and_update(self):
        # With as many negatives as words the training softmax is the full
        # one, and without dropout the step is deterministic.
        model = ELMoLanguageModel(
            tiny_elmo(),
            VOCAB_SIZE,
            num_negative_samples=VOCAB_SIZE,
            dropout=0.0,
        )
        model.compile(optimizer=keras.optimizers.SGD(0.5), run_eagerly=True)
        x, y = tiny_batch()
        before = [v.numpy() for v in model.trainable_variables]
        with tf.GradientTape() as tape:
            hidden = model(x, training=True)
            losses = []
            for direction, key in (
                ("forward", "next_token_ids"),
                ("backward", "previous_token_ids"),
            ):
                labels = y[key]
                nll = model.softmax(hidden[direction], labels, training=False)
                count = np.sum(labels >= 0)
                losses.append(tf.reduce_sum(nll) / count)
            loss = 0.5 * (losses[0] + losses[1])
        gradients = tape.gradient(loss, model.trainable_variables)
        logs = model.train_on_batch(x, y, return_dict=True)
        self.assertAllClose(logs["loss"], loss, atol=1e-5)
        self.assertAllClose(
            logs["gradient_norm"], tf.linalg.global_norm(gradients), rtol=1e-4
        )
        for variable, value, gradient in zip(
            model.trainable_variables, before, gradients
        ):
            self.assertAllClose(
                variable.numpy(),
                value - 0.5 * tf.convert_to_tensor(gradient).numpy(),
                atol=1e-5,
            )

    def test_dense_and_sparse_softmax_gradients_give_the_same_step(self):
        # Small softmaxes get dense gradients (faster in Keras's Adagrad);
        # the step must equal the sparse one, with sampled negatives and
        # rows of the softmax without gradient.
        x, y = tiny_batch(seed=3)
        results = []
        for max_elements in (0, 2**24):
            keras.utils.set_random_seed(7)
            model = ELMoLanguageModel(
                tiny_elmo(),
                VOCAB_SIZE,
                num_negative_samples=3,
                dropout=0.0,
                seed=5,
            )
            model.compile(run_eagerly=True)
            with mock.patch.object(
                elmo_language_model,
                "DENSE_GRADIENT_MAX_ELEMENTS",
                max_elements,
            ):
                logs = model.train_on_batch(x, y, return_dict=True)
            results.append(
                (logs, [v.numpy() for v in model.trainable_variables])
            )
        (sparse_logs, sparse), (dense_logs, dense) = results
        # The norm of sparse gradients squares a row's contributions one
        # by one (`tf.linalg.global_norm` of IndexedSlices with repeated
        # rows), so it is only close to the exact, dense one.
        self.assertAllClose(
            sparse_logs["gradient_norm"],
            dense_logs["gradient_norm"],
            rtol=1e-3,
        )
        for a, b in zip(sparse, dense):
            self.assertAllClose(a, b, atol=1e-6)

    def test_sampled_softmax_in_training_full_softmax_in_evaluation(self):
        model = ELMoLanguageModel(
            tiny_elmo(), 1000, num_negative_samples=8, dropout=0.0, seed=1
        )
        self.assertTrue(model.softmax.uses_sampling)
        x, y = tiny_batch()
        hidden = model(x, training=False)
        labels = y["next_token_ids"]
        full = model.softmax(hidden["forward"], labels, training=False)
        sampled = model.softmax(hidden["forward"], labels, training=True)
        # With 8 of 1000 words as negatives the sampled loss is far smaller
        # (an underestimate of the full one).
        has_target = labels >= 0
        self.assertLess(
            float(np.mean(np.asarray(sampled)[has_target])),
            float(np.mean(np.asarray(full)[has_target])),
        )

    def test_mixed_bfloat16_train_step(self):
        model = ELMoLanguageModel(
            tiny_elmo(dtype="mixed_bfloat16"),
            VOCAB_SIZE,
            num_negative_samples=8,
            dtype="mixed_bfloat16",
        )
        model.compile(run_eagerly=True)
        x, y = tiny_batch()
        before = [v.numpy() for v in model.trainable_variables]
        logs = model.train_on_batch(x, y, return_dict=True)
        for name in ("loss", "perplexity", "gradient_norm"):
            self.assertTrue(np.isfinite(logs[name]), msg=name)
        hidden = model(x)
        self.assertEqual(hidden["forward"].dtype, "bfloat16")
        for variable in model.trainable_variables:
            self.assertEqual(variable.dtype, "float32")
        changed = [
            not np.array_equal(variable.numpy(), value)
            for variable, value in zip(model.trainable_variables, before)
        ]
        self.assertTrue(all(changed))

    def test_mixed_float16_gradient_norm_is_unscaled(self):
        norms = {}
        for policy in ("float32", "mixed_float16"):
            keras.utils.set_random_seed(0)
            model = ELMoLanguageModel(
                tiny_elmo(dtype=policy),
                VOCAB_SIZE,
                num_negative_samples=VOCAB_SIZE,
                dropout=0.0,
                dtype=policy,
            )
            model.compile(run_eagerly=True)
            x, y = tiny_batch()
            logs = model.train_on_batch(x, y, return_dict=True)
            norms[policy] = logs["gradient_norm"]
        # The loss scale (32768 at first) must not show in the metric.
        self.assertAllClose(norms["mixed_float16"], norms["float32"], rtol=0.05)

    def test_float32_sampler_step_has_no_float64(self):
        # TPU readiness: with `sampler_dtype="float32"` the graph of the
        # training loss (forward and sampled softmax) holds no float64
        # tensor; the default sampler's does.
        x, y = tiny_batch()

        def float64_ops(sampler_dtype):
            model = ELMoLanguageModel(
                tiny_elmo(),
                1000,
                num_negative_samples=16,
                sampler_dtype=sampler_dtype,
            )

            @tf.function
            def step(x, y):
                # The sampler is not differentiated: the loss suffices.
                return model._loss(
                    model._negative_log_likelihoods(x, y, training=True)
                )

            graph = step.get_concrete_function(x, y).graph
            return [
                op.name
                for op in graph.get_operations()
                if any(t.dtype == tf.float64 for t in op.outputs)
            ]

        self.assertEqual(float64_ops("float32"), [])
        self.assertNotEqual(float64_ops("float64"), [])

    def test_config_round_trip(self):
        model = ELMoLanguageModel(
            tiny_elmo(),
            VOCAB_SIZE,
            num_negative_samples=6,
            dropout=0.2,
            seed=3,
            sampler_dtype="float32",
        )
        config = model.get_config()
        restored = ELMoLanguageModel.from_config(config)
        self.assertEqual(restored.get_config(), config)
        self.assertEqual(restored.elmo.get_config(), model.elmo.get_config())
        self.assertEqual(restored.num_negative_samples, 6)
        self.assertEqual(restored.softmax.sampler_dtype, "float32")
        restored.set_weights(model.get_weights())
        x, _ = tiny_batch()
        for key, value in model(x).items():
            self.assertAllClose(restored(x)[key], value)

    def test_negative_samples_are_capped_by_the_vocabulary(self):
        model = ELMoLanguageModel(tiny_elmo(), VOCAB_SIZE)
        self.assertEqual(model.num_negative_samples, VOCAB_SIZE)
        self.assertFalse(model.softmax.uses_sampling)

    def test_invalid_args(self):
        with self.assertRaisesRegex(ValueError, "vocab_size"):
            ELMoLanguageModel(tiny_elmo(), 0)
        with self.assertRaisesRegex(ValueError, "sampler_dtype"):
            ELMoLanguageModel(tiny_elmo(), VOCAB_SIZE, sampler_dtype="int8")

    @pytest.mark.large
    def test_saved_model(self):
        model = ELMoLanguageModel(
            tiny_elmo(), VOCAB_SIZE, num_negative_samples=6, seed=3
        )
        path = os.path.join(self.get_temp_dir(), "lm.keras")
        model.save(path)
        restored = keras.models.load_model(path)
        self.assertIsInstance(restored, ELMoLanguageModel)
        x, _ = tiny_batch()
        for key, value in model(x).items():
            self.assertAllClose(restored(x)[key], value)
