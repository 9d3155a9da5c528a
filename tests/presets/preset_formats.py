"""Tiny presets in every distribution format, as they are published.

- `write_bilm_tf_preset`: a preset directory of bilm-tf files
  (`options.json`, `weights.hdf5`, `layer_mix.json`, ...), optionally with
  a language model's softmax and `vocabulary.txt`;
- `write_elmoformanylangs_dir`: an ELMoForManyLangs model directory;
- `write_keras_layout_preset`: the Keras layout a converted
  ELMoForManyLangs model is saved in;
- `zip_elmoformanylangs`: the NLPL archive of an ELMoForManyLangs model:
  the directory's files at the zip root, `config.json` naming its config
  by an absolute path on the authors' machine, and the config file itself
  missing (ELMoForManyLangs issue 27);
- `zip_nlpl_bilm_tf`: the NLPL bilm-tf archive: `options.json`,
  `model.hdf5` and `vocab.txt` at the root, with NLPL's `meta.json` and
  `README` (the layout `simple_elmo` reads).

Each directory also gets a `warm_state.npz`, so that `initial_state="warm"`
can be checked on every format.
"""

import json
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np

from keras_elmo.conversion.elmoformanylangs import elmoformanylangs_tokenizer
from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo_language_model import ELMoLanguageModel
from keras_elmo.presets.warm_state import write_warm_state
from tests.conversion.elmoformanylangs_fixture import make_model_dir
from tests.presets.preset_server import write_tiny_preset

# Where the released archives' config.json points (an absolute path on
# the machine the models were trained on), as in ELMoForManyLangs issue 19.
AUTHORS_CONFIG_DIR = "/users4/conll18st/elmo/src/configs"


def write_warm_state_for(directory, elmo, seed=0):
    """A random `warm_state.npz` of the right names and sizes."""
    rng = np.random.default_rng(seed)
    state = {}
    for name in elmo.bilm.warm_state_names():
        size = elmo.projection_dim if name.endswith("_h") else elmo.lstm_units
        state[name] = rng.uniform(-0.5, 0.5, size).astype("float32")
    write_warm_state(state, Path(directory) / "warm_state.npz")


def write_bilm_tf_preset(directory, softmax_rows=0, seed=0):
    """A bilm-tf preset directory (`softmax_rows` > 0: a language model)."""
    directory = write_tiny_preset(directory, seed=seed)
    elmo = ELMo.from_preset(str(directory))
    if softmax_rows:
        model = ELMoLanguageModel(elmo, softmax_rows, seed=seed)
        rng = np.random.default_rng(seed)
        for weight in model.softmax.weights:
            weight.assign(rng.normal(size=weight.shape).astype("float32"))
        mix = json.loads((directory / "layer_mix.json").read_text())
        model.save_to_preset(
            directory,
            vocabulary=["<S>", "</S>", "<UNK>"]
            + [f"w{i}" for i in range(softmax_rows - 3)],
        )
        (directory / "layer_mix.json").write_text(json.dumps(mix))
    write_warm_state_for(directory, elmo, seed)
    return directory


def write_elmoformanylangs_dir(directory, seed=0):
    """A tiny ELMoForManyLangs model directory (legacy torch pickles)."""
    make_model_dir(directory, seed=seed)
    write_warm_state_for(directory, ELMo.from_elmoformanylangs(directory))
    return Path(directory)


def write_keras_layout_preset(directory, source_dir):
    """The Keras-layout preset of an ELMoForManyLangs directory."""
    elmo = ELMo.from_elmoformanylangs(source_dir)
    elmo.save_to_preset(
        directory, tokenizer=elmoformanylangs_tokenizer(source_dir)
    )
    write_warm_state_for(directory, elmo)
    return Path(directory)


def zip_elmoformanylangs(model_dir, archive):
    """The NLPL archive of a model directory, without its config file.

    Returns:
        The config file's name (the one left out).
    """
    model_dir = Path(model_dir)
    pointer = json.loads((model_dir / "config.json").read_text())
    name = os.path.basename(pointer["config_path"])
    pointer["config_path"] = f"{AUTHORS_CONFIG_DIR}/{name}"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("config.json", json.dumps(pointer))
        for path in sorted(model_dir.iterdir()):
            if path.name not in ("config.json", name):
                out.write(path, path.name)
    return name


def zip_nlpl_bilm_tf(options_file, weight_file, vocabulary_file, archive):
    """An NLPL bilm-tf archive of an options/weights/vocabulary triple."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.write(options_file, "options.json")
        out.write(weight_file, "model.hdf5")
        out.write(vocabulary_file, "vocab.txt")
        out.writestr("meta.json", json.dumps({"id": 0, "algorithm": "ELMo"}))
        out.writestr("README", "A tiny ELMo for tests.\n")
    return Path(archive)


def copy_tree(source, destination):
    """`shutil.copytree` that leaves out `.keras_elmo_*` cache files."""
    shutil.copytree(
        source, destination, ignore=shutil.ignore_patterns(".keras_elmo_*")
    )
    return Path(destination)
