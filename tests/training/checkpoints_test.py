import json
import os
import shutil
from unittest import mock

import h5py
import numpy as np
import pytest

from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo_language_model import ELMoLanguageModel
from keras_elmo.presets import preset_directory
from keras_elmo.presets import resolve_preset
from keras_elmo.training.checkpoints import export_checkpoint
from keras_elmo.training.data import make_lm_dataset
from tests.test_case import TestCase
from tests.training.training_fixtures import SHARED_RUN_OPTIONS
from tests.training.training_fixtures import TRAIN_DATA
from tests.training.training_fixtures import TRAIN_VOCABULARY
from tests.training.training_fixtures import shared_run
from tests.training.training_fixtures import tiny_elmo


def load_language_model(directory):
    model = ELMoLanguageModel.from_preset(directory)
    return model, resolve_preset(directory).vocabulary()


def _first_batch(batch_size=4):
    x, y = next(
        iter(
            make_lm_dataset(
                str(TRAIN_DATA),
                str(TRAIN_VOCABULARY),
                batch_size=batch_size,
                unroll_steps=10,
                shuffle=False,
            )
        )
    )
    return x, y


@pytest.mark.large
class ExportTest(TestCase):
    def test_options_in_the_original_format(self):
        _, result = shared_run()
        with open(os.path.join(result["export_dir"], "options.json")) as f:
            options = json.load(f)
        self.assertEqual(options["char_cnn"]["n_characters"], 262)
        for section in ("char_cnn", "lstm"):
            for key, value in SHARED_RUN_OPTIONS[section].items():
                if key != "n_characters":
                    self.assertEqual(options[section][key], value, msg=key)

    def test_elmo_loads_the_export_with_the_trained_outputs(self):
        _, result = shared_run()
        export_dir = result["export_dir"]
        elmo = ELMo.from_bilm_hdf5(
            os.path.join(export_dir, "options.json"),
            os.path.join(export_dir, "weights.hdf5"),
        )
        x, _ = _first_batch()
        expected = result["model"].elmo(x["character_ids"])
        got = elmo(x["character_ids"])
        for key in ("token_embeddings", "layers"):
            self.assertAllClose(got[key], expected[key], atol=1e-6)
        self.assertAllEqual(got["mask"], expected["mask"])

    def test_weights_file_layout(self):
        # The original bilm-tf layout, plus the shared softmax.
        _, result = shared_run()
        with h5py.File(os.path.join(result["export_dir"], "weights.hdf5")) as f:
            self.assertIn("char_embed", f)
            self.assertIn("CNN/W_cnn_0", f)
            self.assertIn("RNN_0/RNN/MultiRNNCell/Cell0/LSTMCell/W_0", f)
            self.assertIn("RNN_1/RNN/MultiRNNCell/Cell0/LSTMCell/W_P_0", f)
            self.assertEqual(f["softmax/W"].shape, (32, 16))
            self.assertEqual(f["softmax/b"].shape, (32,))
            # bilm-tf stores the 261 non-padding character embeddings.
            self.assertEqual(f["char_embed"].shape, (261, 4))
            for key in ("softmax/W", "softmax/b", "CNN/W_cnn_0"):
                self.assertEqual(f[key].dtype, np.float32, msg=key)

    def test_load_language_model_restores_the_softmax(self):
        _, result = shared_run()
        trained = result["model"]
        model, vocabulary = load_language_model(result["export_dir"])
        self.assertEqual(len(vocabulary), 32)
        self.assertAllEqual(
            model.softmax.softmax_weights, trained.softmax.softmax_weights
        )
        self.assertAllEqual(
            model.softmax.softmax_bias, trained.softmax.softmax_bias
        )
        # Same full-softmax numbers as the trained model (a copy of it: the
        # shared model is left as it is).
        copy = ELMoLanguageModel.from_config(trained.get_config())
        copy.set_weights(trained.get_weights())
        x, y = _first_batch()
        model.compile()
        copy.compile()
        expected = copy.evaluate(x, y, verbose=0, return_dict=True)
        got = model.evaluate(x, y, verbose=0, return_dict=True)
        self.assertEqual(sorted(got), sorted(expected))
        for key, value in got.items():
            self.assertAllClose(value, expected[key], rtol=1e-5, msg=key)

    def test_export_checkpoint_equals_the_final_export(self):
        run_dir, result = shared_run()
        destination = os.path.join(self.get_temp_dir(), "from_checkpoint")
        self.assertEqual(export_checkpoint(run_dir, destination), destination)
        model, _ = load_language_model(destination)
        for got, expected in zip(
            model.trainable_variables, result["model"].trainable_variables
        ):
            got, expected = got.numpy(), expected.numpy()
            if got.shape == (262, 4):
                # char_embed: the format has no row for the padding id 0
                # (it loads as zeros; training never sees that id).
                got, expected = got[1:], expected[1:]
            self.assertAllEqual(got, expected)

    def test_export_is_atomic(self):
        # A failing export leaves the previous one whole, and no scratch
        # directory behind; a successful one replaces it as a whole.
        _, result = shared_run()
        destination = os.path.join(self.get_temp_dir(), "export")
        shutil.copytree(result["export_dir"], destination)
        with open(os.path.join(destination, "weights.hdf5"), "rb") as f:
            before = f.read()
        tokens = ["<S>", "</S>", "<UNK>"] + [f"w{i}" for i in range(29)]
        with mock.patch.object(
            preset_directory,
            "save_vocabulary",
            side_effect=OSError("disk full"),
        ):
            with self.assertRaisesRegex(OSError, "disk full"):
                result["model"].save_to_preset(destination, vocabulary=tokens)
        with open(os.path.join(destination, "weights.hdf5"), "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertEqual(
            sorted(os.listdir(self.get_temp_dir())),
            ["export"],
        )
        result["model"].save_to_preset(destination, vocabulary=tokens)
        with open(os.path.join(destination, "vocabulary.txt")) as f:
            self.assertEqual(f.read().split(), tokens)
        self.assertEqual(
            sorted(os.listdir(self.get_temp_dir())),
            ["export"],
        )


class ExportErrorsTest(TestCase):
    def test_vocabulary_must_match_the_softmax(self):
        model = ELMoLanguageModel(tiny_elmo(), 32)
        with self.assertRaisesRegex(ValueError, "3 tokens.*32 rows"):
            model.save_to_preset(
                os.path.join(self.get_temp_dir(), "x"),
                vocabulary=["<S>", "</S>", "<UNK>"],
            )

    def test_load_without_softmax(self):
        from tests.fixtures.make_tiny_elmo import write_tiny_elmo

        directory = self.get_temp_dir()
        options_file, weight_file = write_tiny_elmo(directory, seed=0)
        os.rename(weight_file, os.path.join(directory, "weights.hdf5"))
        with open(os.path.join(directory, "vocabulary.txt"), "w") as f:
            f.write("<S>\n</S>\n<UNK>\n")
        with self.assertRaisesRegex(ValueError, "has no softmax.*softmax/W"):
            ELMoLanguageModel.from_preset(directory)

    def test_export_checkpoint_of_a_non_run(self):
        with self.assertRaisesRegex(FileNotFoundError, "training run"):
            export_checkpoint(self.get_temp_dir(), self.get_temp_dir())
        os.makedirs(os.path.join(self.get_temp_dir(), "checkpoints"))
        with open(
            os.path.join(self.get_temp_dir(), "training_config.json"), "w"
        ) as f:
            json.dump({}, f)
        with self.assertRaisesRegex(FileNotFoundError, "no checkpoint"):
            export_checkpoint(self.get_temp_dir(), self.get_temp_dir())


def test_a_damaged_checkpoint_is_one_line_naming_it(tmp_path):
    """A corrupt index gave a raw TensorFlow trace ("file is too short to be
    an sstable") on resume (issue 21)."""
    import keras
    import tensorflow as tf

    from keras_elmo.training.checkpoints import restore_training_checkpoint
    from keras_elmo.training.checkpoints import training_checkpoint

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    prefix = training_checkpoint(model, include_optimizer=False).save(
        str(tmp_path / "ckpt")
    )
    restore_training_checkpoint(model, prefix, include_optimizer=False)
    index = prefix + ".index"
    with open(index, "r+b") as f:
        f.truncate(10)
    with pytest.raises(ValueError, match="Cannot read the checkpoint") as info:
        restore_training_checkpoint(model, prefix, include_optimizer=False)
    assert prefix in str(info.value)
    assert "\n" not in str(info.value)
    assert tf.train.latest_checkpoint(str(tmp_path)) == prefix
