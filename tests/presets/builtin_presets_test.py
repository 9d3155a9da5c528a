"""The built-in preset table: names, architectures, metadata, no network."""

import subprocess
import sys
import warnings

import pytest

from keras_elmo.conversion.bilm_options import config_to_options
from keras_elmo.models.elmo import ELMo
from keras_elmo.presets import BASE_URL_ENV
from keras_elmo.presets import BUILTIN_PRESETS
from keras_elmo.presets import OFFICIAL_BASE_URL
from keras_elmo.presets import builtin_preset_config
from keras_elmo.presets import official_base_url
from keras_elmo.presets import resolve_preset
from keras_elmo.presets.zoo_catalog import ZOO_PRESETS
from tests.python_subprocess import run_python
from tests.test_case import REPO_ROOT
from tests.test_case import TestCase

OFFICIAL_FILTERS = [
    [1, 32],
    [2, 32],
    [3, 64],
    [4, 128],
    [5, 256],
    [6, 512],
    [7, 1024],
]
# name -> (directory, lstm units, projection dim, highway layers, params)
OFFICIAL = {
    "elmo_small_en": ("2x1024_128_2048cnn_1xhighway", 1024, 128, 1, 13.6),
    "elmo_medium_en": ("2x2048_256_2048cnn_1xhighway", 2048, 256, 1, 28.0),
    "elmo_original_en": ("2x4096_512_2048cnn_2xhighway", 4096, 512, 2, 93.6),
    "elmo_original_5.5b_en": (
        "2x4096_512_2048cnn_2xhighway_5.5B",
        4096,
        512,
        2,
        93.6,
    ),
}


class BuiltinPresetsTest(TestCase):
    def test_presets_lists_the_official_models_the_shipped_one_the_zoo(self):
        self.assertEqual(
            sorted(ELMo.presets),
            sorted([*OFFICIAL, "elmo_tiny_en", *ZOO_PRESETS]),
        )
        shipped = ELMo.presets["elmo_tiny_en"]
        self.assertEqual(shipped["language"], "en")
        self.assertEqual(shipped["parameters"], 3_324_512)
        self.assertIn("perplexity", shipped["metrics"]["heldout"]["bilm"])
        for name in OFFICIAL:
            metadata = ELMo.presets[name]
            self.assertEqual(metadata["name"], name)
            for key in ("language", "license", "source", "training_data"):
                self.assertIn(key, metadata)

    def test_official_architectures(self):
        for name, (
            directory,
            units,
            projection,
            highway,
            _,
        ) in OFFICIAL.items():
            config = builtin_preset_config(name)
            self.assertEqual(config["lstm_units"], units)
            self.assertEqual(config["projection_dim"], projection)
            self.assertEqual(config["num_highway_layers"], highway)
            self.assertEqual(config["filters"], OFFICIAL_FILTERS)
            self.assertEqual(config["character_embedding_dim"], 16)
            self.assertEqual(config["num_layers"], 2)
            self.assertEqual(config["cell_clip"], 3.0)
            self.assertEqual(config["projection_clip"], 3.0)
            self.assertTrue(config["use_skip_connections"])
            files = BUILTIN_PRESETS[name]["files"]
            self.assertEqual(
                files["options.json"],
                f"{directory}/elmo_{directory}_options.json",
            )
            self.assertEqual(
                files["weights.hdf5"],
                f"{directory}/elmo_{directory}_weights.hdf5",
            )
            self.assertEqual(files["vocabulary.txt"], "vocab-2016-09-10.txt")
            # The table is valid options.json material.
            config_to_options(config)

    def test_parameter_counts_are_the_published_ones(self):
        # Without download: the architecture only. The biggest are built
        # once (93.6M parameters, ~375 MB); the small one is quick.
        for name in ("elmo_small_en", "elmo_medium_en"):
            model = ELMo.from_preset(name, load_weights=False)
            self.assertEqual(
                round(model.count_params() / 1e6, 1), OFFICIAL[name][4]
            )
            self.assertEqual(
                round(ELMo.presets[name]["parameters"] / 1e6, 1),
                OFFICIAL[name][4],
            )

    def test_config_is_a_copy(self):
        config = builtin_preset_config("elmo_small_en")
        config["filters"].append([8, 8])
        self.assertEqual(
            builtin_preset_config("elmo_small_en")["filters"], OFFICIAL_FILTERS
        )

    def test_old_name_of_the_shipped_model_loads_with_a_warning(self):
        with pytest.warns(DeprecationWarning, match="'elmo_tiny_en'"):
            old = resolve_preset("elmo_english_small")
        new = resolve_preset("elmo_tiny_en")
        self.assertEqual(old.path, new.path)
        with pytest.warns(DeprecationWarning, match="elmo_english_small"):
            config = builtin_preset_config("elmo_english_small")
        self.assertEqual(config, builtin_preset_config("elmo_tiny_en"))
        with pytest.warns(DeprecationWarning, match="'elmo_tiny_en'"):
            model = ELMo.from_preset("elmo_english_small")
        self.assertEqual(model.count_params(), 3_324_512)

    def test_old_name_is_not_listed_and_the_new_one_does_not_warn(self):
        self.assertNotIn("elmo_english_small", ELMo.presets)
        self.assertNotIn("elmo_english_small", list(BUILTIN_PRESETS))
        self.assertEqual(list(BUILTIN_PRESETS).count("elmo_tiny_en"), 1)
        self.assertIn("elmo_english_small", BUILTIN_PRESETS)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            resolve_preset("elmo_tiny_en")
            builtin_preset_config("elmo_tiny_en")

    def test_base_url_setting(self):
        with pytest.MonkeyPatch.context() as patch:
            patch.delenv(BASE_URL_ENV, raising=False)
            self.assertEqual(official_base_url(), OFFICIAL_BASE_URL)
            patch.setenv(BASE_URL_ENV, "http://mirror.example/elmo")
            self.assertEqual(official_base_url(), "http://mirror.example/elmo")

    def test_unknown_handle(self):
        with pytest.raises(ValueError, match="Unknown ELMo preset 'large'"):
            resolve_preset("large")
        with pytest.raises(ValueError, match="preset handle"):
            resolve_preset(None)
        with pytest.raises(ValueError, match="URL scheme 'ftp'"):
            resolve_preset("ftp://example.com/elmo")


@pytest.mark.large
def test_shipped_preset_loads_by_name_after_a_non_editable_install(tmp_path):
    # `pip install .` into a scratch directory, then run from elsewhere:
    # the shipped model is package data, found without the checkout.
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(REPO_ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    code = (
        "import keras_elmo;"
        "print(keras_elmo.__file__);"
        "from keras_elmo.presets.builtin_presets import package_preset_dir;"
        "print(package_preset_dir('elmo_tiny_en'));"
        "m = keras_elmo.ELMo.from_preset('elmo_tiny_en');"
        "ids = keras_elmo.batch_to_char_ids([['Hello', 'world']]);"
        "print(tuple(m(ids)['layers'].shape))"
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(site)}
    result = run_python(code, cwd=work, env=env)
    module_file, preset, shape = result.stdout.strip().splitlines()[-3:]
    assert module_file.startswith(str(site)), module_file
    # From the wheel, not the checkout's saved_models/ (an editable install
    # of this checkout may be on the path too).
    assert preset.startswith(str(site)), preset
    assert shape == "(1, 3, 4, 256)"  # (batch, layers, tokens, dim)
