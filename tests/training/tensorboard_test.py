import glob
import math
import os

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

from keras_elmo.training.callbacks import TrainingLogger
from tests.test_case import TestCase
from tests.training.training_fixtures import SHARED_RUN
from tests.training.training_fixtures import shared_run

TRAIN_TAGS = (
    "loss",
    "perplexity",
    "forward_perplexity",
    "backward_perplexity",
    "gradient_norm",
    "learning_rate",
    "tokens_per_second",
)
VALIDATION_TAGS = (
    "loss",
    "perplexity",
    "forward_perplexity",
    "backward_perplexity",
)


def read_scalars(log_dir):
    """`{tag: [(step, value), ...]}` of a TensorBoard log directory.

    `tf.summary.scalar` (TF2) stores scalars as tensor events.
    """
    accumulator = event_accumulator.EventAccumulator(
        str(log_dir),
        size_guidance={
            event_accumulator.TENSORS: 0,  # 0 = keep every event
            event_accumulator.SCALARS: 0,
        },
    )
    accumulator.Reload()
    return {
        tag: [
            (event.step, float(tf.make_ndarray(event.tensor_proto)))
            for event in accumulator.Tensors(tag)
        ]
        for tag in accumulator.Tags()["tensors"]
    }


@pytest.mark.large
class TensorBoardTest(TestCase):
    def test_train_scalars(self):
        run_dir, _ = shared_run()
        scalars = read_scalars(run_dir / "logs" / "train")
        for tag in TRAIN_TAGS:
            self.assertIn(tag, scalars)
        every, steps = SHARED_RUN["log_every"], SHARED_RUN["steps"]
        expected_steps = list(range(every, steps + 1, every))
        for tag in TRAIN_TAGS:
            logged_steps = [step for step, _ in scalars[tag]]
            # At the global step, increasing, every `log_every` steps.
            self.assertEqual(logged_steps, expected_steps, msg=tag)
            values = [value for _, value in scalars[tag]]
            self.assertTrue(all(map(math.isfinite, values)), msg=tag)
        self.assertAllClose(
            [value for _, value in scalars["learning_rate"]],
            [SHARED_RUN["learning_rate"]] * len(expected_steps),
        )
        self.assertTrue(all(v > 0 for _, v in scalars["tokens_per_second"]))
        # The average perplexity lies between the two directions'.
        for (_, f), (_, b), (_, p) in zip(
            scalars["forward_perplexity"],
            scalars["backward_perplexity"],
            scalars["perplexity"],
        ):
            self.assertBetween(p, min(f, b) - 1e-4, max(f, b) + 1e-4)

    def test_validation_scalars(self):
        run_dir, result = shared_run()
        scalars = read_scalars(run_dir / "logs" / "validation")
        every, steps = SHARED_RUN["checkpoint_every"], SHARED_RUN["steps"]
        for tag in VALIDATION_TAGS:
            self.assertEqual(
                [step for step, _ in scalars[tag]],
                list(range(every, steps + 1, every)),
                msg=tag,
            )
            # The values of Keras' history (`val_*`).
            self.assertAllClose(
                [value for _, value in scalars[tag]],
                result["history"][f"val_{tag}"],
                rtol=1e-6,
            )
        self.assertNotIn("gradient_norm", scalars)

    def test_profile_of_a_range_of_steps(self):
        run_dir, _ = shared_run()
        profiles = glob.glob(
            str(run_dir / "logs" / "train" / "plugins" / "profile" / "*")
        )
        self.assertLen(profiles, 1)
        traces = glob.glob(os.path.join(profiles[0], "*.xplane.pb"))
        self.assertLen(traces, 1)
        self.assertGreater(os.path.getsize(traces[0]), 0)


class TrainingLoggerTest(TestCase):
    def test_logs_when_steps_advance_by_several(self):
        # With `steps_per_execution=3` the callback sees steps 3, 6, 9, ...:
        # it logs once each time a multiple of `log_every=5` was passed.
        log_dir = self.get_temp_dir()
        logger = TrainingLogger(log_dir, tokens_per_batch=10, log_every=5)

        class FakeOptimizer:
            iterations = tf.Variable(0, dtype="int64")
            learning_rate = 0.5

        class FakeModel:
            optimizer = FakeOptimizer()

        logger.set_model(FakeModel())
        logger.on_train_begin()
        for step in range(3, 31, 3):
            FakeOptimizer.iterations.assign(step)
            logger.on_train_batch_end(0, {"loss": float(step)})
        logger.on_train_end()
        scalars = read_scalars(os.path.join(log_dir, "train"))
        self.assertEqual(
            [step for step, _ in scalars["loss"]], [6, 12, 15, 21, 27, 30]
        )
        self.assertAllClose(
            [value for _, value in scalars["loss"]],
            np.array([6, 12, 15, 21, 27, 30], "float32"),
        )
