"""Writing a trained language model in the original ELMo format."""

import os

import h5py
import numpy as np

from keras_elmo.conversion.bilm_hdf5 import load_bilm_weights
from keras_elmo.conversion.bilm_options import options_to_config
from keras_elmo.conversion.bilm_options import read_options
from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo_language_model import ELMoLanguageModel
from keras_elmo.training.vocabulary import load_vocabulary
from keras_elmo.training.vocabulary import save_vocabulary
from keras_elmo.utils.atomic import atomic_path

OPTIONS_FILE = "options.json"
WEIGHTS_FILE = "weights.hdf5"
VOCABULARY_FILE = "vocabulary.txt"


def export_language_model(model, vocabulary, export_dir):
    """Write `options.json`, `weights.hdf5` and `vocabulary.txt`.

    The weights file has the original bilm-tf layout, loadable by
    `ELMo.from_bilm_hdf5`, bilm-tf and AllenNLP, plus the shared softmax as
    `softmax/W` and `softmax/b` (other toolkits ignore them; keras_elmo
    uses them to fine-tune and to compute perplexities). The directory
    appears atomically.

    Args:
        model: a trained `ELMoLanguageModel`.
        vocabulary: list of tokens (index = softmax row).
        export_dir: str. Destination directory (replaced if present).

    Example:

    >>> export_language_model(lm, tokens, "runs/en/export")
    """
    with atomic_path(export_dir, directory=True) as tmp:
        model.elmo.save_bilm_hdf5(
            os.path.join(tmp, WEIGHTS_FILE), os.path.join(tmp, OPTIONS_FILE)
        )
        with h5py.File(os.path.join(tmp, WEIGHTS_FILE), "a") as f:
            f.create_dataset(
                "softmax/W",
                data=np.asarray(
                    model.softmax.softmax_weights.numpy(), "float32"
                ),
            )
            f.create_dataset(
                "softmax/b",
                data=np.asarray(model.softmax.softmax_bias.numpy(), "float32"),
            )
        save_vocabulary(vocabulary, os.path.join(tmp, VOCABULARY_FILE))
    return export_dir


def load_language_model(export_dir, **kwargs):
    """Load an exported language model (with its softmax) and vocabulary.

    Args:
        export_dir: str. A directory written by `export_language_model`.
        **kwargs: other `ELMoLanguageModel` arguments.

    Returns:
        `(model, vocabulary)`.

    Example:

    >>> lm, tokens = load_language_model("runs/en/export")
    """
    weights = os.path.join(export_dir, WEIGHTS_FILE)
    vocabulary = load_vocabulary(os.path.join(export_dir, VOCABULARY_FILE))
    elmo = ELMo(
        **options_to_config(
            read_options(os.path.join(export_dir, OPTIONS_FILE))
        ),
        name="elmo",
    )
    model = ELMoLanguageModel(elmo, len(vocabulary), **kwargs)
    load_bilm_weights(model.elmo, weights)
    with h5py.File(weights, "r") as f:
        for key in ("softmax/W", "softmax/b"):
            if key not in f:
                raise ValueError(
                    f"{weights} has no dataset '{key}': it holds a biLM "
                    "without its softmax, which perplexities need."
                )
        expected = tuple(model.softmax.softmax_weights.shape)
        if f["softmax/W"].shape != expected:
            raise ValueError(
                f"Dataset 'softmax/W' in {weights} has shape "
                f"{f['softmax/W'].shape}; the vocabulary needs {expected}."
            )
        model.softmax.softmax_weights.assign(f["softmax/W"][...])
        model.softmax.softmax_bias.assign(f["softmax/b"][...])
    return model, vocabulary


def export_checkpoint(run_dir, destination):
    """Export the latest checkpoint of a training run in the hdf5 format.

    Args:
        run_dir: str. The `output_dir` of `train_language_model`.
        destination: str. Directory for options.json, weights.hdf5 (with
            the softmax) and vocabulary.txt.

    Returns:
        `destination`.

    Example:

    >>> export_checkpoint("runs/en", "models/en")
    """
    import json

    import tensorflow as tf

    from keras_elmo.training.checkpoints import restore_training_checkpoint

    config_path = os.path.join(run_dir, "training_config.json")
    if not os.path.isfile(config_path):
        raise FileNotFoundError(
            f"{run_dir} is not a training run: {config_path} is missing."
        )
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    latest = tf.train.latest_checkpoint(os.path.join(run_dir, "checkpoints"))
    if latest is None:
        raise FileNotFoundError(f"{run_dir}/checkpoints holds no checkpoint.")
    vocabulary = load_vocabulary(os.path.join(run_dir, VOCABULARY_FILE))
    model = ELMoLanguageModel(
        ELMo(**options_to_config(config["options"]), name="elmo"),
        config["vocab_size"],
        num_negative_samples=config["num_negative_samples"],
    )
    restore_training_checkpoint(model, latest, include_optimizer=False)
    return export_language_model(model, vocabulary, destination)
