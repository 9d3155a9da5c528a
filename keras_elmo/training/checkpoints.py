"""Training checkpoints of an `ELMoLanguageModel`, keyed by variable path.

`tf.train.Checkpoint(model=model)` does not work for Keras 3 models: TF's
object graph does not see layers held in Python lists (the CNN filters, the
highway layers, the LSTMs), so their weights would silently be left out.
These checkpoints list the model weights and the optimizer variables by
path instead; restoring checks that every one of them was found.
"""

import os

from keras_elmo.conversion.bilm_options import options_to_config
from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo_language_model import ELMoLanguageModel
from keras_elmo.preprocessing.word_vocabulary import load_vocabulary
from keras_elmo.presets.preset_directory import VOCABULARY_FILE
from keras_elmo.training.checkpoint_files import _by_path
from keras_elmo.training.checkpoint_files import checkpoint_steps
from keras_elmo.training.checkpoint_files import restore_checkpoint
from keras_elmo.training.training_config import read_run_record
from keras_elmo.utils.backend import require_tensorflow


def _tf():
    return require_tensorflow("TensorFlow training checkpoints (tf.train)")


def _values(named):
    return {
        path: getattr(variable, "value", variable)
        for path, variable in named.items()
    }


def training_checkpoint(model, include_optimizer=True):
    """A `tf.train.Checkpoint` of the model weights (and optimizer state).

    Args:
        model: a `keras.Model` (all weights built).
        include_optimizer: bool. Also the variables of `model.optimizer`
            (which must be built). Defaults to `True`.

    Returns:
        A `tf.train.Checkpoint`. The optimizer's learning rate is left out:
        it comes from the arguments of each run.

    Example:

    ```python
    manager = tf.train.CheckpointManager(
        training_checkpoint(lm), "run/checkpoints", max_to_keep=3
    )
    ```
    """
    tf = _tf()
    objects = {"weights": _values(_by_path(model.weights))}
    if include_optimizer:
        # The learning rate comes from the arguments of each run, so that a
        # resumed run can change it.
        objects["optimizer"] = {
            path: variable
            for path, variable in _values(
                _by_path(model.optimizer.variables, strip_owner_number=True)
            ).items()
            if not path.endswith("/learning_rate")
        }
    return tf.train.Checkpoint(**objects)


def _legacy_optimizer(trainable_variables):
    """Reads the model weights of a checkpoint written before this module.

    Those checkpoints were `tf.train.Checkpoint(model=..., optimizer=...)`:
    complete only through the optimizer's list of trainable variables.
    """
    module = _tf().Module()
    module._trainable_variables = [
        getattr(v, "value", v) for v in trainable_variables
    ]
    return module


def _check_readable(path):
    # A damaged index or data file (a full disk, a copy cut short) gives a
    # raw TensorFlow trace ("file is too short to be an sstable"); say
    # which checkpoint, in one line.
    tf = _tf()
    try:
        tf.train.load_checkpoint(path).get_variable_to_shape_map()
    except (tf.errors.OpError, ValueError) as error:
        reason = str(error).strip().splitlines()[0] if str(error) else ""
        raise ValueError(
            f"Cannot read the checkpoint {path} ({reason}); it is damaged. "
            "Delete it (its .index and .data-* files) so the run resumes "
            "from the one before, or start in a new output directory."
        ) from None


def restore_training_checkpoint(model, path, include_optimizer=True):
    """Restore a checkpoint of `training_checkpoint` (or an older one).

    Args:
        model: the `keras.Model` to restore into.
        path: str. A checkpoint prefix, e.g. from
            `tf.train.latest_checkpoint`.
        include_optimizer: bool. Also restore `model.optimizer`'s state.

    Raises:
        ValueError: if the checkpoint does not hold every weight (and
            optimizer variable) of the model, with a matching shape.

    Example:

    ```python
    restore_training_checkpoint(lm, tf.train.latest_checkpoint(directory))
    ```
    """
    tf = _tf()
    checkpoint = training_checkpoint(model, include_optimizer)
    _check_readable(path)
    try:
        status = checkpoint.restore(path)
        status.assert_existing_objects_matched()
        status.expect_partial()
        return
    except (AssertionError, ValueError) as error:
        saved = tf.train.load_checkpoint(path).get_variable_to_shape_map()
        if any(name.startswith("weights/") for name in saved):
            raise ValueError(
                f"Cannot restore {path}: {error} It was written for another "
                "model or optimizer: use the same arguments, or a new "
                "output directory."
            ) from error
    # Written by an earlier version: `{model: ..., optimizer: ...}`.
    trainable = model.trainable_variables
    if not any(
        name.startswith("optimizer/_trainable_variables/") for name in saved
    ):
        raise ValueError(f"{path} is not a keras_elmo training checkpoint.")
    optimizer = model.optimizer if include_optimizer else None
    legacy = tf.train.Checkpoint(
        model=model, optimizer=optimizer or _legacy_optimizer(trainable)
    )
    try:
        legacy.restore(path).expect_partial()
    except ValueError as error:
        raise ValueError(
            f"Cannot restore {path}: {error} It was written for another "
            "model or optimizer: use the same arguments, or a new output "
            "directory."
        ) from error


def latest_run_checkpoint(checkpoint_dir):
    """The newest checkpoint of a run's `checkpoints/` and its format.

    TensorFlow-backend runs write `tf.train` checkpoints (a `checkpoint`
    index file and `ckpt-<step>.index` / `.data-*` files); JAX and PyTorch
    runs write `ckpt-<step>/` directories (`keras_elmo.training.
    checkpoint_files`).

    Args:
        checkpoint_dir: str.

    Returns:
        `(kind, path)`: kind `"tensorflow"` or `"variables"`, or
        `(None, None)` when there is no checkpoint.

    Example:

    >>> latest_run_checkpoint("runs/en/checkpoints")
    ('variables', 'runs/en/checkpoints/ckpt-3000')
    """
    steps = checkpoint_steps(checkpoint_dir)
    if steps:
        return "variables", steps[max(steps)]
    if os.path.isfile(os.path.join(checkpoint_dir, "checkpoint")):
        tf = require_tensorflow(
            f"Reading the TensorFlow checkpoints in {checkpoint_dir}"
        )
        latest = tf.train.latest_checkpoint(checkpoint_dir)
        if latest is not None:
            return "tensorflow", latest
    return None, None


def export_checkpoint(run_dir, destination):
    """Export the latest checkpoint of a training run as a preset.

    Args:
        run_dir: str. The `output_dir` of `train_language_model`.
        destination: str. The preset directory (options.json, weights.hdf5
            with the softmax, vocabulary.txt, metadata.json), written
            atomically.

    Returns:
        `destination`.

    Example:

    >>> export_checkpoint("runs/en", "models/en")
    """
    config_path = os.path.join(run_dir, "training_config.json")
    if not os.path.isfile(config_path):
        raise FileNotFoundError(
            f"{run_dir} is not a training run: {config_path} is missing."
        )
    config = read_run_record(config_path)
    kind, latest = latest_run_checkpoint(os.path.join(run_dir, "checkpoints"))
    if latest is None:
        raise FileNotFoundError(f"{run_dir}/checkpoints holds no checkpoint.")
    vocabulary = load_vocabulary(os.path.join(run_dir, VOCABULARY_FILE))
    model = ELMoLanguageModel(
        ELMo(**options_to_config(config["options"]), name="elmo"),
        config["vocab_size"],
        num_negative_samples=config["num_negative_samples"],
    )
    if kind == "tensorflow":
        restore_training_checkpoint(model, latest, include_optimizer=False)
    else:
        restore_checkpoint(model, latest, include_optimizer=False)
    model.save_to_preset(destination, vocabulary=vocabulary)
    return destination
