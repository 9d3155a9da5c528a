"""Preset directories of models with no bilm-tf form, and their tokenizer.

Models with a character vocabulary, a word embedding or a stored forget
bias (the ELMoForManyLangs models) cannot be written as `options.json` +
`weights.hdf5`. Their preset follows keras-hub's layout instead:

- `config.json`: the serialised `ELMo` (`keras.saving.serialize_keras_object`).
- `model.weights.h5`: its weights (`model.save_weights`).
- `tokenizer.json`: the serialised tokenizer that makes the model's ids
  (a `VocabularyCharacterTokenizer`), so users never handle the character
  scheme.
- `metadata.json`: `{"format": "keras_elmo_preset", ...}`.

This module handles files only (no model class is imported); `ELMo`
builds the model (`ELMo.from_preset`, `ELMo.save_to_preset`). The whole
directory is written atomically.
"""

import json
import os

import h5py
import keras

from keras_elmo.preprocessing.vocabulary_character_tokenizer import (
    VocabularyCharacterTokenizer,
)
from keras_elmo.presets.preset_directory import METADATA_FILE
from keras_elmo.presets.preset_directory import check_replaceable
from keras_elmo.utils.atomic import atomic_path
from keras_elmo.utils.validation import check_finite

CONFIG_FILE = "config.json"
KERAS_WEIGHTS_FILE = "model.weights.h5"
TOKENIZER_FILE = "tokenizer.json"
FORMAT = "keras_elmo_preset"


def is_keras_preset(path):
    """Whether `path` is a directory written by `write_keras_preset`.

    Example:

    >>> is_keras_preset("elmo_korean")
    True
    """
    try:
        with open(os.path.join(path, METADATA_FILE), encoding="utf-8") as f:
            return json.load(f).get("format") == FORMAT
    except (OSError, ValueError, AttributeError, TypeError):
        return False


def write_keras_preset(directory, model, tokenizer=None, metadata=None):
    """Write a model (and its tokenizer) as a preset directory, atomically.

    An existing directory is replaced only if it is empty or a keras_elmo
    preset (either layout) holding nothing else (see `check_replaceable`).

    Args:
        directory: str. The preset directory.
        model: a built Keras model (a `keras_elmo.ELMo`).
        tokenizer: a Keras layer making the model's ids, or `None`.
        metadata: dict or `None`. Other `metadata.json` entries (source,
            language, ...).

    Example:

    >>> write_keras_preset("elmo_korean", model, tokenizer)
    """
    directory = os.path.abspath(os.fspath(directory))
    check_replaceable(directory)
    with atomic_path(directory, directory=True) as tmp:
        with open(os.path.join(tmp, CONFIG_FILE), "w", encoding="utf-8") as f:
            json.dump(keras.saving.serialize_keras_object(model), f)
        model.save_weights(os.path.join(tmp, KERAS_WEIGHTS_FILE))
        if tokenizer is not None:
            path = os.path.join(tmp, TOKENIZER_FILE)
            with open(path, "w", encoding="utf-8") as f:
                json.dump(
                    keras.saving.serialize_keras_object(tokenizer),
                    f,
                    ensure_ascii=False,
                )
        path = os.path.join(tmp, METADATA_FILE)
        with open(path, "w", encoding="utf-8") as f:
            json.dump({**(metadata or {}), "format": FORMAT}, f, indent=2)


def read_keras_preset(directory):
    """The model config and weights file of a `write_keras_preset` directory.

    Returns:
        `(config, weights_path)`: the model's constructor arguments (the
        `config` of its serialisation) and the `.weights.h5` path.

    Example:

    >>> config, weights = read_keras_preset("elmo_korean")
    """
    directory = os.fspath(directory)
    if not is_keras_preset(directory):
        raise FileNotFoundError(
            f"{directory} is not a keras_elmo preset (no {METADATA_FILE} "
            f"with format {FORMAT!r})."
        )
    for name in (CONFIG_FILE, KERAS_WEIGHTS_FILE):
        if not os.path.isfile(os.path.join(directory, name)):
            raise FileNotFoundError(f"The preset {directory} has no {name}.")
    path = os.path.join(directory, CONFIG_FILE)
    with open(path, encoding="utf-8") as f:
        try:
            serialized = json.load(f)
        except ValueError as error:
            raise ValueError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(serialized, dict) or "config" not in serialized:
        raise ValueError(f"{path} holds no serialised model config.")
    weights = os.path.join(directory, KERAS_WEIGHTS_FILE)
    _check_finite_weights(weights)
    return serialized["config"], weights


def _check_finite_weights(path):
    # A NaN weight would load and make every output NaN: refused here, as
    # in `load_bilm_weights`, naming the file and dataset.
    def check(name, item):
        if isinstance(item, h5py.Dataset):
            check_finite(item[...], path, name)
        # None: `visititems` goes on to the next item.

    try:
        with h5py.File(path, "r") as f:
            f.visititems(check)
    except OSError as error:
        raise ValueError(
            f"{path} is not a readable hdf5 file ({error})."
        ) from None


def read_preset_tokenizer(directory):
    """The tokenizer saved in a preset, or `None` if it has none.

    Example:

    >>> tokenizer = read_preset_tokenizer("elmo_korean")
    """
    path = os.path.join(os.fspath(directory), TOKENIZER_FILE)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return keras.saving.deserialize_keras_object(
            json.load(f),
            custom_objects={
                "VocabularyCharacterTokenizer": VocabularyCharacterTokenizer
            },
        )
