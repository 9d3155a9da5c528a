"""The trainer under tf.distribute, and the TPU-ready (float32) sampler.

Each strategy runs in fresh processes: logical devices and collective ops
must be configured before TensorFlow initialises, and a process should make
one strategy.
"""

import json
import math
import os
import socket
import subprocess

import h5py
import numpy as np
import pytest

from keras_elmo.layers.softmax_losses import log_uniform_float32_draws
from keras_elmo.layers.softmax_losses import sample_log_uniform
from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo_language_model import ELMoLanguageModel
from keras_elmo.preprocessing.word_vocabulary import load_vocabulary
from keras_elmo.training.data import make_lm_dataset
from tests.fixtures.make_tiny_elmo import write_tiny_elmo
from tests.test_case import REPO_ROOT
from tests.test_case import TestCase
from tests.training.training_fixtures import TRAIN_DATA
from tests.training.training_fixtures import TRAIN_VOCABULARY
from tests.training.training_fixtures import python
from tests.training.training_fixtures import subprocess_env

# Bound on each child process, so a hung collective fails the test.
TIMEOUT_SECONDS = 300
SIGMAS = 6.0
# One sentence of 8 words, 4 times: with `unroll_steps=10` each window is the
# whole sentence, `<S> w1 .. w8 </S>` (9 forward and 9 backward targets),
# and every batch of 4 rows is the same whatever the shuffles (which mix
# passes of the repeated stream), so the first step is known exactly.
ALIGNED_CORPUS = (
    "neural language models use continuous representations of words\n" * 4
)


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tiny_model_files(directory, vocab_size, seed=0):
    """Tiny biLM options + weights, with a softmax, in the original format.

    Returns `(options_file, weight_file)`: the weights of `write_tiny_elmo`
    plus `softmax/W` and `softmax/b` for `vocab_size` words, so that a run
    started from them has fully known initial weights.
    """
    options_file, weight_file = write_tiny_elmo(
        directory, seed=seed, n_layers=1, n_highway=1
    )
    with open(options_file) as f:
        dim = json.load(f)["lstm"]["projection_dim"]
    rng = np.random.default_rng(seed)
    with h5py.File(weight_file, "a") as f:
        f["softmax/W"] = (0.5 * rng.normal(size=(vocab_size, dim))).astype(
            "float32"
        )
        f["softmax/b"] = (0.1 * rng.normal(size=(vocab_size,))).astype(
            "float32"
        )
    return str(options_file), str(weight_file)


def _run(command, env, timeout=TIMEOUT_SECONDS):
    result = subprocess.run(
        command,
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"{command} failed ({result.returncode}):\n{result.stderr[-4000:]}"
        )
    return result.stdout


class Float32SamplerTest(TestCase):
    """`uniform_dtype="float32"`: the log-uniform sampler without float64."""

    def test_draws_match_the_exact_inverse_cdf(self):
        # The same 46 random bits mapped in float32 and exactly (float64),
        # half of them deep in the tail of a 793,471-word vocabulary, where
        # one float32 uniform cannot resolve the ids.
        num_classes, n = 793471, 100_000
        rng = np.random.default_rng(0)
        high_bits = rng.integers(0, 2**23, n)
        high_bits[: n // 2] = 2**23 - 1 - rng.integers(0, 2**12, n // 2)
        high = (high_bits / 2**23).astype("float32")
        low = (rng.integers(0, 2**23, n) / 2**23).astype("float32")
        got = np.asarray(
            log_uniform_float32_draws(np.stack([high, low]), num_classes)
        )
        w = ((2**23 - high_bits) - low.astype("float64")) / 2**23
        log_range = math.log(num_classes + 1.0)
        exact = np.floor((num_classes + 1.0) * np.exp(-w * log_range))
        difference = got - exact
        # Only draws within float32 rounding of an id boundary move, by one.
        self.assertLessEqual(np.abs(difference).max(), 1)
        self.assertLess(np.mean(difference != 0), 0.02)
        self.assertLess(np.mean(difference[: n // 2] != 0), 0.05)
        # One float32 uniform would get most tail ids wrong.
        u = high.astype("float32")
        single = np.floor(np.exp(u * np.float32(log_range)))
        self.assertGreater(np.mean((single - exact)[: n // 2] != 0), 0.5)

    def test_samples_follow_log_uniform(self):
        # Pearson chi-square of 100,000 draws over 50 classes (smallest
        # expected count 504): mean df = 49, sd sqrt(2 df); threshold
        # mean + 6 sd.
        num_classes, num_draws = 50, 100_000
        ids = np.asarray(
            sample_log_uniform(
                num_draws,
                num_classes,
                seed=11,
                unique=False,
                uniform_dtype="float32",
            ).ids
        )
        observed = np.bincount(ids, minlength=num_classes)
        c = np.arange(num_classes, dtype="float64")
        p = np.log((c + 2.0) / (c + 1.0)) / np.log(num_classes + 1.0)
        chi_square = np.sum((observed - num_draws * p) ** 2 / (num_draws * p))
        df = num_classes - 1
        self.assertLess(chi_square, df + SIGMAS * math.sqrt(2 * df))

    def test_samples_cover_a_large_vocabulary(self):
        # Empirical CDF within 6 binomial standard errors of
        # log(t + 1) / log(V + 1), deep into the tail.
        num_classes, num_draws = 793471, 200_000
        ids = np.asarray(
            sample_log_uniform(
                num_draws,
                num_classes,
                seed=3,
                unique=False,
                uniform_dtype="float32",
            ).ids
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

    def test_invalid_uniform_dtype(self):
        with self.assertRaisesRegex(ValueError, "uniform_dtype"):
            sample_log_uniform(4, 10, seed=1, uniform_dtype="float16")


@pytest.mark.large
class MirroredStrategyTest(TestCase):
    def test_one_step_on_two_replicas_equals_the_mean_gradient_step(self):
        # Two logical CPUs, global batch 4 = 2 rows per replica. Initial
        # weights are fully known (tiny biLM + softmax from a file), the
        # training softmax is the full one (negatives = vocabulary) and
        # there is no dropout, so one SGD step is deterministic: it must
        # equal a step along the gradient of the mean of the two replicas'
        # losses, here the mean loss of the whole batch (ALIGNED_CORPUS),
        # computed without any strategy. Without the division of each
        # replica's loss by the number of replicas the step would be twice
        # as long.
        directory = self.get_temp_dir()
        corpus = os.path.join(directory, "corpus.txt")
        with open(corpus, "w") as f:
            f.write(ALIGNED_CORPUS)
        vocabulary = load_vocabulary(TRAIN_VOCABULARY)
        options_file, weight_file = _tiny_model_files(
            os.path.join(directory, "init"), len(vocabulary)
        )
        run_dir = os.path.join(directory, "run")
        arguments = {
            "output_dir": run_dir,
            "train_files": corpus,
            "vocabulary": str(TRAIN_VOCABULARY),
            "init_from": [options_file, weight_file],
            "validation_files": corpus,
            "batch_size": 2,
            "unroll_steps": 10,
            "steps": 1,
            "checkpoint_every": 1,
            "log_every": 1,
            "num_negative_samples": len(vocabulary),
            "dropout": 0.0,
            "learning_rate": 0.5,
            "jit_compile": False,
            "seed": 0,
        }
        stdout = _run(
            [
                python(),
                str(REPO_ROOT / "tests" / "training" / "run_mirrored.py"),
                json.dumps(arguments),
            ],
            subprocess_env(),
        )
        report = json.loads(stdout.strip().splitlines()[-1])
        self.assertEqual(report["replicas"], 2)
        self.assertEqual(report["step"], 1)
        self.assertTrue(np.isfinite(report["history"]["val_perplexity"][0]))

        # The same step, by hand.
        model = ELMoLanguageModel(
            ELMo.from_bilm_hdf5(options_file, weight_file, name="elmo"),
            len(vocabulary),
            num_negative_samples=len(vocabulary),
            dropout=0.0,
        )
        with h5py.File(weight_file, "r") as f:
            model.softmax.softmax_weights.assign(f["softmax/W"][...])
            model.softmax.softmax_bias.assign(f["softmax/b"][...])
        # The one batch of the corpus.
        x, y = next(
            iter(
                make_lm_dataset(
                    corpus,
                    vocabulary,
                    batch_size=4,
                    unroll_steps=10,
                    shuffle=False,
                )
            )
        )
        self.assertAllEqual(np.sum(y["next_token_ids"] >= 0, axis=1), [9] * 4)
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = model._loss(
                model._negative_log_likelihoods(x, y, training=True)
            )
        variables = model.trainable_variables
        gradients = tape.gradient(loss, variables)
        self.assertAllClose(
            report["history"]["loss"][0], float(loss), rtol=1e-5
        )
        trained = ELMoLanguageModel.from_preset(os.path.join(run_dir, "export"))
        expected = {
            v.path: v.numpy() - 0.5 * tf.convert_to_tensor(g).numpy()
            for v, g in zip(variables, gradients)
        }
        for variable in trained.trainable_variables:
            self.assertAllClose(
                variable.numpy(),
                expected[variable.path],
                atol=1e-5,
                msg=variable.path,
            )


@pytest.mark.large
class MultiWorkerMirroredStrategyTest(TestCase):
    def test_two_workers_train_and_the_chief_exports(self):
        directory = self.get_temp_dir()
        options_file, _ = write_tiny_elmo(
            os.path.join(directory, "init"), seed=0, n_layers=1, n_highway=1
        )
        run_dir = os.path.join(directory, "run")
        ports = [_free_port(), _free_port()]
        cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
        command = [
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
            str(options_file),
            "--output-dir",
            run_dir,
            "--strategy",
            "multi_worker",
            "--steps",
            "4",
            "--checkpoint-every",
            "2",
            "--log-every",
            "1",
            "--batch-size",
            "2",
            "--unroll-steps",
            "10",
            "--negative-samples",
            "16",
            "--no-jit",
            "--quiet",
        ]
        workers = []
        for index in range(2):
            env = subprocess_env()
            env["TF_CONFIG"] = json.dumps(
                {"cluster": cluster, "task": {"type": "worker", "index": index}}
            )
            workers.append(
                subprocess.Popen(
                    command,
                    env=env,
                    cwd=REPO_ROOT,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        outputs = []
        try:
            for worker in workers:
                stdout, stderr = worker.communicate(timeout=TIMEOUT_SECONDS)
                outputs.append((worker.returncode, stdout, stderr))
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
        for index, (returncode, stdout, stderr) in enumerate(outputs):
            self.assertEqual(
                returncode, 0, msg=f"worker {index}:\n{stderr[-4000:]}"
            )
            self.assertIn("Trained to step 4", stdout)
        # Worker 0 is the chief: it alone writes checkpoints, logs and the
        # export; worker 1 saved to its scratch directory.
        checkpoints = os.listdir(os.path.join(run_dir, "checkpoints"))
        self.assertIn("ckpt-4.index", checkpoints)
        self.assertTrue(
            os.path.isdir(os.path.join(run_dir, ".workers", "1")),
            msg=os.listdir(run_dir),
        )
        self.assertTrue(os.path.isdir(os.path.join(run_dir, "logs", "train")))
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
        layers = elmo(x["character_ids"])["layers"]
        self.assertTrue(np.all(np.isfinite(layers)))
