"""Checkpoints and resume: SIGKILL mid-run, restart, continue from the step."""

import glob
import json
import os
import signal
import subprocess
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo_language_model import ELMoLanguageModel
from keras_elmo.training.checkpoints import restore_training_checkpoint
from keras_elmo.training.checkpoints import training_checkpoint
from keras_elmo.training.data import make_lm_dataset
from tests.test_case import REPO_ROOT
from tests.test_case import TestCase
from tests.training.tensorboard_test import read_scalars
from tests.training.training_fixtures import TINY_OPTIONS
from tests.training.training_fixtures import TRAIN_DATA
from tests.training.training_fixtures import TRAIN_VOCABULARY
from tests.training.training_fixtures import python
from tests.training.training_fixtures import subprocess_env
from tests.training.training_fixtures import tiny_elmo

TIMEOUT_SECONDS = 300
STEPS = 60
CHECKPOINT_EVERY = 5


def _tiny_batch(seed=0):
    rng = np.random.default_rng(seed)
    x = {"character_ids": rng.integers(1, 262, (2, 5, 50)).astype("int32")}
    y = {
        "next_token_ids": rng.integers(0, 12, (2, 5)).astype("int32"),
        "previous_token_ids": rng.integers(0, 12, (2, 5)).astype("int32"),
    }
    return x, y


def _trained_tiny_model(optimizer="auto", steps=2):
    model = ELMoLanguageModel(tiny_elmo(), 12, num_negative_samples=6)
    model.compile(optimizer=optimizer, run_eagerly=True)
    model.optimizer.build(model.trainable_variables)
    x, y = _tiny_batch()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return model


def _assert_same_state(test, restored, model):
    for got, expected in zip(restored.weights, model.weights):
        test.assertAllEqual(got, expected, msg=got.path)
    for got, expected in zip(
        restored.optimizer.variables, model.optimizer.variables
    ):
        if not got.path.endswith("learning_rate"):
            test.assertAllEqual(got, expected, msg=got.path)


class TrainingCheckpointTest(TestCase):
    def test_round_trip_restores_weights_and_optimizer(self):
        model = _trained_tiny_model()
        path = training_checkpoint(model).save(
            os.path.join(self.get_temp_dir(), "ckpt")
        )
        # Every model weight is in the checkpoint, by path, including the
        # layers held in lists (CNN filters, highways, LSTMs), which a
        # `tf.train.Checkpoint(model=model)` leaves out.
        names = tf.train.load_checkpoint(path).get_variable_to_shape_map()
        self.assertTrue(any("cnn_1" in name for name in names))
        self.assertTrue(any("forward_lstm_0" in name for name in names))
        restored = _trained_tiny_model(steps=0)
        restore_training_checkpoint(restored, path)
        self.assertEqual(int(restored.optimizer.iterations.numpy()), 2)
        _assert_same_state(self, restored, model)

    def test_learning_rate_comes_from_the_arguments(self):
        model = _trained_tiny_model(keras.optimizers.Adagrad(0.2))
        path = training_checkpoint(model).save(
            os.path.join(self.get_temp_dir(), "ckpt")
        )
        restored = _trained_tiny_model(keras.optimizers.Adagrad(0.05), 0)
        restore_training_checkpoint(restored, path)
        self.assertAllClose(restored.optimizer.learning_rate, 0.05)
        self.assertEqual(int(restored.optimizer.iterations.numpy()), 2)

    def test_legacy_checkpoints_are_restored(self):
        # Checkpoints written before `training_checkpoint` existed:
        # `tf.train.Checkpoint(model=..., optimizer=...)`.
        model = _trained_tiny_model()
        path = tf.train.Checkpoint(model=model, optimizer=model.optimizer).save(
            os.path.join(self.get_temp_dir(), "ckpt")
        )
        restored = _trained_tiny_model(steps=0)
        restore_training_checkpoint(restored, path)
        _assert_same_state(self, restored, model)
        # Without the optimizer (as export_checkpoint does).
        weights_only = ELMoLanguageModel(
            tiny_elmo(), 12, num_negative_samples=6
        )
        restore_training_checkpoint(weights_only, path, include_optimizer=False)
        for got, expected in zip(weights_only.weights, model.weights):
            self.assertAllEqual(got, expected, msg=got.path)

    def test_mismatches_are_clear_errors(self):
        model = _trained_tiny_model()
        path = training_checkpoint(model).save(
            os.path.join(self.get_temp_dir(), "ckpt")
        )
        other = ELMoLanguageModel(
            tiny_elmo(lstm_units=16),
            12,
            num_negative_samples=6,
        )
        other.compile()
        other.optimizer.build(other.trainable_variables)
        with self.assertRaisesRegex(ValueError, "another model or optimizer"):
            restore_training_checkpoint(other, path)
        adam = _trained_tiny_model(keras.optimizers.Adam(), steps=0)
        with self.assertRaisesRegex(ValueError, "another model or optimizer"):
            restore_training_checkpoint(adam, path)


def _train_command(options_file, run_dir):
    return [
        python(),
        "-m",
        "keras_elmo.cli.main",
        "train",
        "--train",
        str(TRAIN_DATA),
        "--validation",
        str(TRAIN_DATA),
        "--vocabulary",
        str(TRAIN_VOCABULARY),
        "--options",
        options_file,
        "--output-dir",
        run_dir,
        "--steps",
        str(STEPS),
        "--checkpoint-every",
        str(CHECKPOINT_EVERY),
        "--log-every",
        str(CHECKPOINT_EVERY),
        "--batch-size",
        "2",
        "--unroll-steps",
        "10",
        "--negative-samples",
        "16",
        "--no-jit",
    ]


def _wait_for(path, process, timeout=TIMEOUT_SECONDS):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if process.poll() is not None:
            raise AssertionError(
                f"training exited ({process.returncode}) before {path} appeared"
            )
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear in {timeout}s")
        time.sleep(0.02)


@pytest.mark.large
class ResumeAfterSigkillTest(TestCase):
    def test_sigkill_then_restart_resumes_from_the_saved_step(self):
        directory = self.get_temp_dir()
        options_file = os.path.join(directory, "options.json")
        with open(options_file, "w") as f:
            json.dump(TINY_OPTIONS, f)
        run_dir = os.path.join(directory, "run")
        command = _train_command(options_file, run_dir)
        env = subprocess_env()

        # 1. Start training; SIGKILL it as soon as a checkpoint exists.
        with open(os.path.join(directory, "first.log"), "w") as log:
            first = subprocess.Popen(
                command, env=env, cwd=REPO_ROOT, stdout=log, stderr=log
            )
            try:
                _wait_for(
                    os.path.join(run_dir, "checkpoints", "checkpoint"), first
                )
                first.send_signal(signal.SIGKILL)
            finally:
                if first.poll() is None:
                    first.kill()
                first.wait(timeout=60)
        self.assertEqual(first.returncode, -signal.SIGKILL)
        self.assertFalse(os.path.exists(os.path.join(run_dir, "export")))
        latest = tf.train.latest_checkpoint(
            os.path.join(run_dir, "checkpoints")
        )
        saved_step = int(latest.rsplit("-", 1)[1])
        self.assertGreater(saved_step, 0)
        self.assertLess(saved_step, STEPS)

        # 2. A save cut short by a crash: TF writes a checkpoint's files
        # aside (`_temp` directory, `.tempstate` files), renames them, and
        # only then rewrites the `checkpoint` index atomically. Leftovers
        # of such a save must not be taken for a checkpoint.
        checkpoints = os.path.join(run_dir, "checkpoints")
        partial = os.path.join(checkpoints, f"ckpt-{STEPS + 5}_temp")
        os.makedirs(partial)
        with open(
            os.path.join(partial, "part-00000-of-00001.index"), "wb"
        ) as f:
            f.write(b"\x00\x01truncated")
        with open(
            os.path.join(
                checkpoints,
                f"ckpt-{STEPS + 5}.data-00000-of-00001.tempstate123",
            ),
            "wb",
        ) as f:
            f.write(b"\x00" * 10)

        # 3. The same command again: it resumes from the saved step.
        second = subprocess.run(
            command,
            env=env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
        self.assertEqual(second.returncode, 0, msg=second.stderr[-4000:])
        self.assertIn(
            f"Resuming from {latest} at step {saved_step}.", second.stdout
        )
        # The same arguments: no recipe setting is reported as changed.
        self.assertNotIn("Changed since the run started", second.stdout)
        self.assertIn(f"Trained to step {STEPS}", second.stdout)
        self.assertEqual(
            tf.train.latest_checkpoint(checkpoints),
            os.path.join(checkpoints, f"ckpt-{STEPS}"),
        )
        # Its TensorBoard curve continues after the saved step.
        events = sorted(
            glob.glob(os.path.join(run_dir, "logs", "train", "events.*")),
            key=os.path.getmtime,
        )
        self.assertLen(events, 2)
        scratch = os.path.join(directory, "second_events")
        os.makedirs(scratch)
        os.link(events[-1], os.path.join(scratch, os.path.basename(events[-1])))
        steps = [step for step, _ in read_scalars(scratch)["loss"]]
        self.assertEqual(
            steps,
            list(
                range(
                    saved_step + CHECKPOINT_EVERY, STEPS + 1, CHECKPOINT_EVERY
                )
            ),
        )

        # 4. The export is a valid biLM.
        export_dir = os.path.join(run_dir, "export")
        elmo = ELMo.from_bilm_hdf5(
            os.path.join(export_dir, "options.json"),
            os.path.join(export_dir, "weights.hdf5"),
        )
        x, _ = next(
            iter(
                make_lm_dataset(
                    str(TRAIN_DATA),
                    str(TRAIN_VOCABULARY),
                    batch_size=2,
                    unroll_steps=10,
                    shuffle=False,
                )
            )
        )
        outputs = elmo(x["character_ids"])
        self.assertTrue(np.all(np.isfinite(outputs["layers"])))
