"""keras_elmo preset directories: an `ELMo`, its weights and its tokenizer.

The layout follows keras-hub's presets:

- `config.json`: the serialised `ELMo` (`keras.saving.serialize_keras_object`).
- `model.weights.h5`: its weights (`model.save_weights`).
- `tokenizer.json`: the serialised character tokenizer that makes the
  model's inputs (`VocabularyCharacterTokenizer` for ELMoForManyLangs
  models), so a user never handles the character scheme.
- `metadata.json`: `{"format": "keras_elmo_preset", "source": ...}`.

The whole directory is written atomically.
"""

import json
import os

import keras

from keras_elmo.models.elmo import ELMo
from keras_elmo.preprocessing.vocabulary_character_tokenizer import (
    VocabularyCharacterTokenizer,
)
from keras_elmo.utils.atomic import atomic_path

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
TOKENIZER_FILE = "tokenizer.json"
METADATA_FILE = "metadata.json"
FORMAT = "keras_elmo_preset"


def is_keras_preset(path):
    """Whether `path` is a directory written by `save_keras_preset`.

    Example:

    >>> is_keras_preset("elmo_korean")
    True
    """
    try:
        with open(os.path.join(path, METADATA_FILE), encoding="utf-8") as f:
            return json.load(f).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def save_keras_preset(model, directory, tokenizer=None, source=None):
    """Write `model` (and its tokenizer) as a preset directory, atomically.

    Args:
        model: a `keras_elmo.ELMo`.
        directory: str. The preset directory; replaced as a whole.
        tokenizer: a Keras layer making the model's ids (e.g.
            `VocabularyCharacterTokenizer`), or `None` for the UTF-8 byte
            scheme of bilm-tf models.
        source: str or `None`. Where the model came from (kept in
            `metadata.json`).

    Example:

    >>> save_keras_preset(model, "elmo_korean", tokenizer)
    """
    if not isinstance(model, ELMo):
        raise TypeError(
            f"`model` must be a keras_elmo.ELMo. Received: {type(model)}"
        )
    with atomic_path(directory, directory=True) as tmp:
        with open(os.path.join(tmp, CONFIG_FILE), "w", encoding="utf-8") as f:
            json.dump(keras.saving.serialize_keras_object(model), f)
        model.save_weights(os.path.join(tmp, WEIGHTS_FILE))
        if tokenizer is not None:
            with open(
                os.path.join(tmp, TOKENIZER_FILE), "w", encoding="utf-8"
            ) as f:
                json.dump(
                    keras.saving.serialize_keras_object(tokenizer),
                    f,
                    ensure_ascii=False,
                )
        with open(os.path.join(tmp, METADATA_FILE), "w", encoding="utf-8") as f:
            json.dump({"format": FORMAT, "source": source}, f)


def load_keras_preset(directory, **kwargs):
    """Read a preset directory written by `save_keras_preset`.

    Args:
        directory: str. The preset directory.
        **kwargs: `ELMo` arguments overriding the saved config (`stateful`,
            `dtype`, ...).

    Returns:
        `(model, tokenizer)`; `tokenizer` is `None` for byte-level models.

    Example:

    >>> model, tokenizer = load_keras_preset("elmo_korean")
    """
    directory = os.fspath(directory)
    if not is_keras_preset(directory):
        raise FileNotFoundError(
            f"{directory} is not a keras_elmo preset (no {METADATA_FILE} "
            f"with format {FORMAT!r})."
        )
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not os.path.isfile(os.path.join(directory, name)):
            raise FileNotFoundError(f"The preset {directory} has no {name}.")
    with open(os.path.join(directory, CONFIG_FILE), encoding="utf-8") as f:
        serialized = json.load(f)
    config = dict(serialized.get("config", {}), **kwargs)
    model = ELMo.from_config(config)
    model.load_weights(os.path.join(directory, WEIGHTS_FILE))
    tokenizer = None
    path = os.path.join(directory, TOKENIZER_FILE)
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            tokenizer = keras.saving.deserialize_keras_object(
                json.load(f),
                custom_objects={
                    "VocabularyCharacterTokenizer": (
                        VocabularyCharacterTokenizer
                    )
                },
            )
    return model, tokenizer
