"""The built-in ELMo presets: the official English models, the shipped one,
and every other public ELMo of `zoo_catalog` (merged in here).

Each entry gives the preset's metadata (what `keras_elmo.ELMo.presets`
lists), its architecture as `ELMo` arguments (so that `load_weights=False`
needs no download), and where its files are: a directory inside the
package (`package`), or the URL of each file of the preset directory.

The official models are AllenNLP's downloads of the models of Peters et al.
(2018). Their URLs start with the base URL, `OFFICIAL_BASE_URL`, which the
environment variable `KERAS_ELMO_BASE_URL` replaces (a mirror, or a local
server in tests). Nothing is fetched at import.

A renamed preset keeps its old name for one release
(`DEPRECATED_PRESET_NAMES`): it loads the same files with a
`DeprecationWarning` and is never listed.
"""

import importlib.util
import os
import warnings

from keras_elmo.layers.char_cnn_encoder import OFFICIAL_FILTERS
from keras_elmo.presets.zoo_catalog import ZOO_PRESETS

BASE_URL_ENV = "KERAS_ELMO_BASE_URL"
OFFICIAL_BASE_URL = "https://s3-us-west-2.amazonaws.com/allennlp/models/elmo"
# The token-embedding-cache vocabulary of the official models (793,471
# words of the 1B Word Benchmark, `<S>`, `</S>`, `<UNK>` first).
OFFICIAL_VOCABULARY = "vocab-2016-09-10.txt"


_PAPER = "https://arxiv.org/abs/1802.05365"
_ALLENNLP_PAGE = "https://allennlp.org/elmo"


def _official(directory, lstm_units, projection_dim, highways, **metadata):
    config = {
        "filters": [list(pair) for pair in OFFICIAL_FILTERS],
        "character_embedding_dim": 16,
        "num_highway_layers": highways,
        "activation": "relu",
        "num_characters": 262,
        "max_characters_per_token": 50,
        "lstm_units": lstm_units,
        "projection_dim": projection_dim,
        "num_layers": 2,
        "cell_clip": 3.0,
        "projection_clip": 3.0,
        "use_skip_connections": True,
    }
    return {
        "metadata": {
            "language": "en",
            "source": f"{_ALLENNLP_PAGE} (Peters et al., 2018, {_PAPER})",
            "license": "Apache-2.0 (AllenNLP model release)",
            "training_data": metadata.pop(
                "training_data", "1B Word Benchmark (800M tokens)"
            ),
            "vocabulary": OFFICIAL_VOCABULARY,
            "directory": directory,
            **metadata,
        },
        "config": config,
        # Preset file name -> path under the base URL.
        "files": {
            "options.json": f"{directory}/elmo_{directory}_options.json",
            "weights.hdf5": f"{directory}/elmo_{directory}_weights.hdf5",
            "vocabulary.txt": OFFICIAL_VOCABULARY,
        },
    }


# Old name -> new name. An old name loads the same files for one release,
# with a DeprecationWarning; listings show only the new name.
DEPRECATED_PRESET_NAMES = {
    # "small" read as AllenNLP's 13.6M-parameter `elmo_small_en`; the
    # shipped model has 3.3M (issue 22).
    "elmo_english_small": "elmo_tiny_en",
}


class PresetRegistry(dict):
    """Preset name -> entry, where a deprecated name finds its new entry.

    `name in registry` and `registry[name]` accept the names of
    `DEPRECATED_PRESET_NAMES` (looking one up warns); iterating, `keys()`
    and `items()` give each preset once, under its current name, so
    listings never show a preset twice.

    Example:

    >>> BUILTIN_PRESETS["elmo_english_small"] is BUILTIN_PRESETS["elmo_tiny_en"]
    True
    """

    def __contains__(self, name):
        return super().__contains__(name) or (
            isinstance(name, str) and name in DEPRECATED_PRESET_NAMES
        )

    def __missing__(self, name):
        if isinstance(name, str) and name in DEPRECATED_PRESET_NAMES:
            return self[current_preset_name(name)]
        raise KeyError(name)

    def get(self, name, default=None):
        return self[name] if name in self else default


def current_preset_name(name):
    """The current name of a built-in preset (warns for a deprecated one).

    Args:
        name: str. A preset handle.

    Returns:
        The new name if `name` is deprecated, else `name` unchanged.

    Example:

    >>> current_preset_name("elmo_english_small")  # DeprecationWarning
    'elmo_tiny_en'
    """
    if not isinstance(name, str) or name not in DEPRECATED_PRESET_NAMES:
        return name
    new_name = DEPRECATED_PRESET_NAMES[name]
    warnings.warn(
        f"The preset name {name!r} is deprecated and will be removed in the "
        f"next release: use {new_name!r} (the same model).",
        DeprecationWarning,
        stacklevel=3,
    )
    return new_name


BUILTIN_PRESETS = PresetRegistry(
    {
        "elmo_small_en": _official(
            "2x1024_128_2048cnn_1xhighway",
            1024,
            128,
            1,
            description="Official small ELMo: 2 biLSTM layers of 1024 units "
            "projected to 128, 2048 CNN filters, 1 highway layer.",
            parameters=13_600_000,
        ),
        "elmo_medium_en": _official(
            "2x2048_256_2048cnn_1xhighway",
            2048,
            256,
            1,
            description="Official medium ELMo: 2 biLSTM layers of 2048 units "
            "projected to 256, 2048 CNN filters, 1 highway layer.",
            parameters=28_000_000,
        ),
        "elmo_original_en": _official(
            "2x4096_512_2048cnn_2xhighway",
            4096,
            512,
            2,
            description="The original ELMo of the paper: 2 biLSTM layers of "
            "4096 units projected to 512, 2048 CNN filters, 2 highway layers.",
            parameters=93_600_000,
        ),
        "elmo_original_5.5b_en": _official(
            "2x4096_512_2048cnn_2xhighway_5.5B",
            4096,
            512,
            2,
            description="The original ELMo architecture trained on 5.5B tokens "
            "(Wikipedia 1.9B and WMT 2008-2012 monolingual news 3.6B).",
            parameters=93_600_000,
            training_data="Wikipedia (1.9B tokens) and WMT 2008-2012 news "
            "crawl (3.6B tokens)",
        ),
        # Shipped inside the package: loads with no network.
        "elmo_tiny_en": {
            "metadata": None,  # its metadata.json
            "package": "keras_elmo.presets.elmo_tiny_en",
        },
        # Every other public ELMo (ELMoForManyLangs, NLPL, AllenNLP's
        # contributed models): keras_elmo/presets/zoo_catalog.py.
        **ZOO_PRESETS,
    }
)


# How a built-in entry's files are published.
FORMATS = (
    "package",  # inside keras_elmo (package data)
    "bilm_tf_files",  # options.json, weights.hdf5 [, vocabulary.txt]
    "bilm_tf_archive",  # a zip of options.json, model.hdf5, vocab.txt (NLPL)
    "elmoformanylangs_archive",  # a zip of an ELMoForManyLangs directory
)


def entry_format(entry):
    """The publication format of a built-in entry (one of `FORMATS`).

    Example:

    >>> entry_format(BUILTIN_PRESETS["elmo_small_en"])
    'bilm_tf_files'
    """
    if "package" in entry:
        return "package"
    if "files" in entry:
        return "bilm_tf_files"  # the official layout, under the base URL
    fmt = entry.get("format")
    if fmt not in FORMATS:
        raise ValueError(
            f"A built-in preset entry has the unknown format {fmt!r}; "
            f"expected one of {FORMATS}."
        )
    return fmt


def official_base_url():
    """The base URL of the official models (`$KERAS_ELMO_BASE_URL` if set).

    Example:

    >>> official_base_url()
    'https://s3-us-west-2.amazonaws.com/allennlp/models/elmo'
    """
    return os.environ.get(BASE_URL_ENV) or OFFICIAL_BASE_URL


def package_preset_dir(name):
    """The directory of a shipped preset's files (package data).

    The files live in `saved_models/<name>/preset/` of the source tree;
    `setup.cfg` installs that directory as the package named by the
    preset's `package` entry, so this finds it in a wheel install and in an
    editable one alike.

    Args:
        name: str. A built-in preset with a `package` entry.

    Example:

    >>> package_preset_dir("elmo_tiny_en")  # doctest: +ELLIPSIS
    '.../elmo_tiny_en...'
    """
    package = BUILTIN_PRESETS[name]["package"]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"The shipped preset {name!r} is not installed: its files are "
            f"the package data of {package} (saved_models/{name}/preset/ "
            "in the source tree). Install keras_elmo with pip (`pip install "
            "-e .` in a checkout) rather than running it from the source "
            "tree."
        )
    return list(spec.submodule_search_locations)[0]
