"""One loader behind every `from_preset`: every class x every format.

The shared harness (`TestCase.run_preset_test`) runs the same checks for
`ELMo`, `ELMoEmbedding`, `ELMoEmbedder` and (where the format carries a
softmax) `ELMoLanguageModel` on a bilm-tf preset directory, a Keras-layout
preset, an ELMoForManyLangs model directory, and archives of both
distributed formats (an ELMoForManyLangs zip without its config file, an
NLPL bilm-tf zip). The tiny models are generated (tests/fixtures).
"""

import functools
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from absl.testing import parameterized

from keras_elmo.conversion.bilm_options import options_to_config
from keras_elmo.conversion.bilm_options import read_options
from keras_elmo.conversion.elmoformanylangs import elmoformanylangs_tokenizer
from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo_embedding import ELMoEmbedding
from keras_elmo.models.elmo_language_model import ELMoLanguageModel
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.presets import BASE_URL_ENV
from keras_elmo.presets import BUILTIN_PRESETS
from keras_elmo.presets import TIMEOUT_ENV
from keras_elmo.presets import cache_dir
from keras_elmo.presets import get_preset_loader
from keras_elmo.presets.preset_cache import ARCHITECTURE_FIELDS
from keras_elmo.presets.preset_loader import BilmPresetLoader
from keras_elmo.presets.preset_loader import ElmoForManyLangsPresetLoader
from keras_elmo.presets.preset_loader import KerasPresetLoader
from tests.presets import preset_formats
from tests.test_case import TestCase
from tests.test_case import to_numpy

ARCHIVE_PRESET = "elmo_manylangs_tiny"
SENTENCES = [["ab", "한국", "cde", "é"], ["a"]]
MIX = ([0.0, 1.0, 2.0], [0.5])  # write_tiny_preset's layer_mix.json


@functools.cache
def _formats(root):
    """Every format of the tiny models, written once per session root."""
    root = os.fspath(root)
    bilm = preset_formats.write_bilm_tf_preset(os.path.join(root, "bilm"))
    lm = preset_formats.write_bilm_tf_preset(
        os.path.join(root, "lm"), softmax_rows=11, seed=1
    )
    efml = preset_formats.write_elmoformanylangs_dir(os.path.join(root, "efml"))
    keras_dir = preset_formats.write_keras_layout_preset(
        os.path.join(root, "keras"), efml
    )
    efml_zip = os.path.join(root, "161.zip")
    preset_formats.zip_elmoformanylangs(efml, efml_zip)
    # The warm state travels in the archive too (as any extra file would).
    with zipfile.ZipFile(efml_zip, "a") as archive:
        archive.write(os.path.join(efml, "warm_state.npz"), "warm_state.npz")
    return {
        "bilm": str(bilm),
        "lm": str(lm),
        "efml": str(efml),
        "keras": str(keras_dir),
        "efml_zip": efml_zip,
    }


@pytest.fixture(scope="module")
def formats(tmp_path_factory):
    return _formats(tmp_path_factory.mktemp("formats"))


@pytest.fixture(autouse=True)
def keras_home(tmp_path, monkeypatch, formats):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    # A stand-in registry entry for the archive (the zoo's own entries
    # point at the internet): its architecture, no vocabulary sizes.
    arguments = ELMo.from_elmoformanylangs(formats["efml"]).get_config()
    config = {
        key: arguments[key]
        for key in ARCHITECTURE_FIELDS
        if key not in ("num_characters", "word_vocabulary_size")
    }
    monkeypatch.setitem(
        BUILTIN_PRESETS,
        ARCHIVE_PRESET,
        {
            "metadata": {"language": "ko", "source": "tests"},
            "config": config,
            "format": "elmoformanylangs_archive",
            "url": Path(formats["efml_zip"]).as_uri(),
            "sha256": None,
        },
    )


def _bilm_ids():
    return batch_to_char_ids(SENTENCES)


def _efml_ids(directory):
    return elmoformanylangs_tokenizer(directory).batch_to_ids(SENTENCES)


def _reference(handle_dir, kind):
    # The biLM read directly from its files, not through from_preset.
    if kind == "efml":
        model = ELMo.from_elmoformanylangs(handle_dir)
        ids = _efml_ids(handle_dir)
    else:
        model = ELMo.from_bilm_hdf5(
            os.path.join(handle_dir, "options.json"),
            os.path.join(handle_dir, "weights.hdf5"),
        )
        ids = _bilm_ids()
    return ids, to_numpy(model(ids)["layers"])


# (format name, handle key, reference kind, has a layer_mix.json)
FORMATS = [
    ("bilm_tf_files", "bilm", "bilm", True),
    ("keras_preset", "keras", "efml", False),
    ("elmoformanylangs_dir", "efml", "efml", False),
    ("elmoformanylangs_zip", ARCHIVE_PRESET, "efml", False),
]
CLASSES = [ELMo, ELMoEmbedding, ELMoEmbedder]


class PresetLoaderTest(TestCase):
    @pytest.fixture(autouse=True)
    def _formats(self, formats):
        self.formats = formats

    @parameterized.product(cls=CLASSES, preset_format=FORMATS)
    def test_every_class_on_every_format(self, cls, preset_format):
        _, key, kind, mixed = preset_format
        source = self.formats["efml" if kind == "efml" else key]
        ids, expected = _reference(source, kind)
        self.run_preset_test(
            cls,
            self.formats.get(key, key),
            ids,
            reference_outputs=expected,
            expected_layer_mix=MIX if mixed and cls is not ELMo else None,
        )

    @parameterized.parameters(*CLASSES, ELMoLanguageModel)
    def test_language_model_preset_on_every_class(self, cls):
        lm = self.formats["lm"]
        ids, expected = _reference(lm, "bilm")
        self.run_preset_test(cls, lm, ids, reference_outputs=expected)

    def test_language_model_softmax_loads(self):
        lm = ELMoLanguageModel.from_preset(self.formats["lm"])
        self.assertEqual(lm.vocab_size, 11)
        fresh = ELMoLanguageModel.from_preset(
            self.formats["lm"], load_weights=False
        )
        self.assertNotAllClose(fresh.softmax.weights[0], lm.softmax.weights[0])
        with self.assertRaisesRegex(ValueError, "has no softmax"):
            ELMoLanguageModel.from_preset(self.formats["bilm"])

    def test_the_format_is_picked_once(self):
        self.assertIsInstance(
            get_preset_loader(self.formats["bilm"]), BilmPresetLoader
        )
        self.assertIsInstance(
            get_preset_loader(self.formats["keras"]), KerasPresetLoader
        )
        for handle in (self.formats["efml"], ARCHIVE_PRESET):
            loader = get_preset_loader(handle)
            self.assertIsInstance(loader, ElmoForManyLangsPresetLoader)
            self.assertIsNotNone(loader.load_tokenizer())

    def test_the_archive_is_cached_as_a_model_directory(self):
        loader = get_preset_loader(ARCHIVE_PRESET)
        directory = loader.directory
        self.assertEqual(directory, cache_dir() / ARCHIVE_PRESET)
        # The config the archive lacks was supplied under its own name,
        # and config.json points at it (ELMoForManyLangs' loader reads it).
        pointer = json.loads((directory / "config.json").read_text())
        self.assertEqual(pointer["config_path"], "tiny.json")
        self.assertTrue((directory / "tiny.json").is_file())
        again = get_preset_loader(ARCHIVE_PRESET)
        self.assertEqual(again.directory, directory)

    def test_an_archive_whose_config_is_unknown_fails_clearly(self):
        # Not in the registry, and its config is not a released one: the
        # error names the missing file; nothing is cached.
        with self.assertRaisesRegex(
            FileNotFoundError, "tiny.json' named in .* is missing"
        ):
            ELMo.from_preset(self.formats["efml_zip"])
        self.assertFalse(
            (cache_dir() / "archives").exists()
            and any(
                p
                for p in (cache_dir() / "archives").iterdir()
                if not p.name.startswith(".")
            )
        )


def test_initial_state_reaches_the_elmoformanylangs_and_keras_paths(formats):
    # Today's ELMoEmbedder/ELMoEmbedding ignored `initial_state` on these
    # paths; through the one loader every class passes it on.
    for handle in (formats["efml"], formats["keras"]):
        for cls in (ELMoEmbedder, ELMoEmbedding):
            loaded = cls.from_preset(handle, initial_state="warm")
            elmo = getattr(loaded, "model", None) or loaded.elmo
            assert elmo.initial_state == "warm"


def test_nlpl_zip_loads_as_bilm_tf(formats, tmp_path):
    bilm = formats["bilm"]
    (tmp_path / "vocab.txt").write_text("<S>\n</S>\n<UNK>\nthe\n")
    archive = preset_formats.zip_nlpl_bilm_tf(
        os.path.join(bilm, "options.json"),
        os.path.join(bilm, "weights.hdf5"),
        tmp_path / "vocab.txt",
        tmp_path / "200.zip",
    )
    loader = get_preset_loader(str(archive))
    assert isinstance(loader, BilmPresetLoader)
    assert loader.load_vocabulary() == ["<S>", "</S>", "<UNK>", "the"]
    assert sorted(os.listdir(loader.directory)) == [
        ".keras_elmo_preset.json",
        "options.json",
        "vocabulary.txt",
        "weights.hdf5",
    ]
    ids, expected = _reference(bilm, "bilm")
    got = to_numpy(ELMo.from_preset(archive.as_uri())(ids)["layers"])
    np.testing.assert_allclose(got, expected, atol=1e-6, rtol=0)
    config = options_to_config(read_options(loader.directory / "options.json"))
    assert config == loader.config()
