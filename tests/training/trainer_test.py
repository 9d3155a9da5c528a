import json
import os
import shutil

import numpy as np
import pytest

from keras_elmo.preprocessing.word_vocabulary import load_vocabulary
from keras_elmo.training.trainer import train_language_model
from tests.test_case import TestCase
from tests.training.training_fixtures import SHARED_RUN
from tests.training.training_fixtures import TINY_OPTIONS
from tests.training.training_fixtures import TRAIN_DATA
from tests.training.training_fixtures import TRAIN_VOCABULARY
from tests.training.training_fixtures import UNIGRAM_PERPLEXITY
from tests.training.training_fixtures import shared_run
from tests.training.training_fixtures import shared_run_config
from tests.training.training_fixtures import tiny_config


@pytest.mark.large
class TrainLanguageModelTest(TestCase):
    def test_training_lowers_loss_and_perplexity(self):
        run_dir, result = shared_run()
        history = result["history"]
        steps = SHARED_RUN["steps"]
        self.assertEqual(result["step"], steps)
        periods = steps // SHARED_RUN["checkpoint_every"]
        self.assertLen(history["loss"], periods)
        # The (sampled-softmax) training loss falls period after period.
        self.assertLess(history["loss"][-1], history["loss"][0] - 0.5)
        # The exact (full-softmax) perplexity ends well below the 32-word
        # vocabulary and below the best context-free (unigram) model.
        vocab_size = len(load_vocabulary(TRAIN_VOCABULARY))
        perplexity = history["val_perplexity"][-1]
        self.assertLess(perplexity, 10.0)
        self.assertLess(perplexity, vocab_size / 3)
        self.assertLess(perplexity, UNIGRAM_PERPLEXITY)
        for name in ("forward", "backward"):
            self.assertLess(history[f"val_{name}_perplexity"][-1], 12.0)
        # The run was XLA-compiled.
        self.assertTrue(result["model"].jit_compile)

    def test_run_directory_layout(self):
        run_dir, result = shared_run()
        with open(run_dir / "training_config.json") as f:
            config = json.load(f)
        self.assertEqual(config["vocab_size"], 32)
        self.assertEqual(config["steps"], SHARED_RUN["steps"])
        self.assertEqual(
            load_vocabulary(run_dir / "vocabulary.txt"),
            load_vocabulary(TRAIN_VOCABULARY),
        )
        # One checkpoint per period, all kept (3 by default), numbered by
        # the global step.
        every = SHARED_RUN["checkpoint_every"]
        names = os.listdir(run_dir / "checkpoints")
        for step in range(every, SHARED_RUN["steps"] + 1, every):
            self.assertIn(f"ckpt-{step}.index", names)
        self.assertEqual(
            sorted(os.listdir(result["export_dir"])),
            ["metadata.json", "options.json", "vocabulary.txt", "weights.hdf5"],
        )

    def test_a_finished_run_is_not_trained_again(self):
        run_dir, result = shared_run()
        copy = os.path.join(self.get_temp_dir(), "copy")
        shutil.copytree(run_dir, copy)
        again = train_language_model(
            copy, shared_run_config(jit_compile=False), verbose=0
        )
        self.assertIsNone(again["history"])
        self.assertEqual(again["step"], SHARED_RUN["steps"])
        # Another optimizer could not restore the optimizer state.
        with self.assertRaisesRegex(ValueError, "different run.*optimizer"):
            train_language_model(
                copy,
                shared_run_config(optimizer="adagrad", learning_rate=0.2),
                verbose=0,
            )
        for restored, trained in zip(
            again["model"].trainable_variables,
            result["model"].trainable_variables,
        ):
            self.assertAllClose(restored.numpy(), trained.numpy())


class TrainerErrorsTest(TestCase):
    def setUp(self):
        super().setUp()
        self.output_dir = os.path.join(self.get_temp_dir(), "run")

    def train(self, strategy=None, **fields):
        return train_language_model(
            self.output_dir, tiny_config(**fields), strategy=strategy, verbose=0
        )

    def test_bad_glob(self):
        missing = os.path.join(self.get_temp_dir(), "nowhere", "*.txt")
        with self.assertRaisesRegex(FileNotFoundError, "No file matches"):
            self.train(train_files=missing)
        with self.assertRaisesRegex(FileNotFoundError, "No file matches"):
            self.train(validation_files=missing)
        # Nothing was written.
        self.assertFalse(os.path.exists(self.output_dir))

    def test_vocabulary_without_unk(self):
        vocabulary = os.path.join(self.get_temp_dir(), "vocab.txt")
        with open(vocabulary, "w") as f:
            f.write("<S>\n</S>\nthe\nof\n")
        with self.assertRaisesRegex(ValueError, "<UNK>"):
            self.train(vocabulary=vocabulary)
        self.assertFalse(os.path.exists(self.output_dir))

    def test_resume_with_different_options(self):
        os.makedirs(self.output_dir)
        vocab_size = len(load_vocabulary(TRAIN_VOCABULARY))
        # A config as older runs wrote it (no vocabulary hash).
        config = {
            "options": TINY_OPTIONS,
            "vocab_size": vocab_size,
            "batch_size": 2,
            "unroll_steps": 5,
        }
        with open(
            os.path.join(self.output_dir, "training_config.json"), "w"
        ) as f:
            json.dump(config, f)
        other = json.loads(json.dumps(TINY_OPTIONS))
        other["lstm"]["dim"] = 16
        with self.assertRaisesRegex(ValueError, "different run.*options"):
            self.train(options=other)
        with self.assertRaisesRegex(ValueError, "different run.*batch_size"):
            self.train(batch_size=3)
        with self.assertRaisesRegex(ValueError, "different run.*options"):
            self.train(options=None, preset="elmo_small_en")

    @pytest.mark.large
    def test_validation_smaller_than_a_batch(self):
        short = os.path.join(self.get_temp_dir(), "short.txt")
        with open(short, "w") as f:
            f.write("the vocabulary\n")
        with self.assertRaisesRegex(ValueError, "fewer tokens than one"):
            self.train(validation_files=short)
        # Issue 14: a failed start writes no training_config.json, so the
        # corrected command is not refused as "a different run".
        self.assertFalse(
            os.path.exists(
                os.path.join(self.output_dir, "training_config.json")
            )
        )
        self.train(validation_files=str(TRAIN_DATA))
        self.assertTrue(
            os.path.isfile(
                os.path.join(self.output_dir, "export", "weights.hdf5")
            )
        )

    @pytest.mark.large
    def test_resume_with_another_vocabulary_of_the_same_size(self):
        # Issue 14: the vocabulary's content is compared, not its size.
        self.train(checkpoint_every=1)
        tokens = load_vocabulary(TRAIN_VOCABULARY)
        swapped = tokens[:3] + [tokens[4], tokens[3]] + tokens[5:]
        other = os.path.join(self.get_temp_dir(), "swapped.txt")
        with open(other, "w") as f:
            f.write("\n".join(swapped) + "\n")
        with self.assertRaisesRegex(
            ValueError, "different run: the vocabulary's content"
        ):
            self.train(vocabulary=other, steps=2, checkpoint_every=1)
        # The same vocabulary resumes.
        self.assertEqual(self.train(steps=2, checkpoint_every=1)["step"], 2)

    def test_argument_errors(self):
        with self.assertRaisesRegex(ValueError, "steps` or `epochs"):
            self.train(steps=None)
        with self.assertRaisesRegex(ValueError, "exactly one of"):
            self.train(preset="elmo_small_en")
        with self.assertRaisesRegex(ValueError, "strategy"):
            self.train(strategy="horovod")
        with self.assertRaisesRegex(ValueError, "multiple of"):
            self.train(steps=10, checkpoint_every=5, steps_per_execution=2)
        with self.assertRaisesRegex(TypeError, "TrainingConfig"):
            train_language_model(self.output_dir, {"steps": 1})
        # Nothing was written.
        self.assertFalse(os.path.exists(self.output_dir))

    def test_failed_starts_write_nothing(self):
        # Issue 14: `--steps 0` or a negative count exported a random model
        # with rc 0; `--batch-size 0` wrote training_config.json first.
        for fields, pattern in (
            ({"steps": 0}, "`steps` must be a positive int.*steps=0"),
            ({"steps": -5}, "`steps` must be a positive int.*steps=-5"),
            ({"batch_size": 0}, "`batch_size` must be a positive int"),
            ({"epochs": 0.0, "steps": None}, "`epochs` must be > 0"),
        ):
            with self.assertRaisesRegex(ValueError, pattern):
                self.train(**fields)
            self.assertFalse(os.path.exists(self.output_dir))

    def test_fine_tuning_softmax_of_another_vocabulary(self):
        # A weight file whose softmax does not fit the vocabulary.
        import h5py

        from tests.fixtures.make_tiny_elmo import write_tiny_elmo

        options_file, weight_file = write_tiny_elmo(
            os.path.join(self.get_temp_dir(), "init"), seed=0
        )
        with h5py.File(weight_file, "a") as f:
            f["softmax/W"] = np.zeros((5, 8), "float32")
            f["softmax/b"] = np.zeros((5,), "float32")
        with self.assertRaisesRegex(ValueError, "softmax.*vocabulary"):
            self.train(
                options=None, init_from=(str(options_file), str(weight_file))
            )
