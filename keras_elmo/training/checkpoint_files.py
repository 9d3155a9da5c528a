"""Backend-neutral training checkpoints: variables by path, plus data position.

The JAX and PyTorch backends have no `tf.train.Checkpoint`; their runs
write `checkpoints/ckpt-<step>/`, a directory that appears whole (written
aside, then renamed: `keras_elmo.utils.atomic`) holding

    variables.npz        every model weight as `weights/<variable path>`
                         and every optimizer variable as
                         `optimizer/<variable path>` (the names of the
                         TensorFlow checkpoints, `keras_elmo.training.
                         checkpoints`; the learning rate is left out: it
                         comes from each run's arguments), and the seed
                         generators' states as `random/<index>`
    data_position.json   the input pipeline's position
                         (`LMPyDataset.state`), so that a resumed run reads
                         exactly the batches an uninterrupted one would

The last N are kept. Restoring checks that every variable of the model
(and optimizer) is in the checkpoint with its shape, and nothing else.
"""

import json
import os
import re
import shutil
import zipfile

import keras
import numpy as np

from keras_elmo.utils.atomic import atomic_path

CHECKPOINT_PREFIX = "ckpt-"
VARIABLES_FILE = "variables.npz"
DATA_POSITION_FILE = "data_position.json"
_CHECKPOINT_NAME = re.compile(rf"^{CHECKPOINT_PREFIX}(\d+)$")
# `adagrad_3/iteration` -> `adagrad/iteration`: Keras numbers the names of
# optimizers made in the same process.
_NUMBERED_OWNER = re.compile(r"^([^/]*?)(_\d+)?/")


def _by_path(variables, strip_owner_number=False):
    named = {}
    for variable in variables:
        path = variable.path
        if strip_owner_number:
            path = _NUMBERED_OWNER.sub(r"\1/", path)
        if path in named:
            raise ValueError(
                f"Two variables have the path {path!r}: cannot checkpoint "
                "them by name."
            )
        named[path] = variable
    return named


def checkpoint_variables(model, include_optimizer=True):
    """The variables a training checkpoint holds, by checkpoint name.

    Args:
        model: a `keras.Model` (all weights built).
        include_optimizer: bool. Also the training state: the variables of
            `model.optimizer` (which must be built) but its learning rate,
            and the random seeds. Defaults to `True`.

    Returns:
        A dict: `"weights/<path>"`, `"optimizer/<path>"` and
        `"random/<index>"` (the seed generators' states) -> variable.

    Example:

    >>> sorted(checkpoint_variables(lm))[0]
    'optimizer/adagrad/elmo_..._accumulator'
    """
    named = {
        f"weights/{path}": variable
        for path, variable in _by_path(model.weights).items()
    }
    if include_optimizer:
        for path, variable in _by_path(
            model.optimizer.variables, strip_owner_number=True
        ).items():
            if not path.endswith("/learning_rate"):
                named[f"optimizer/{path}"] = variable
        # The random seeds' states (sampled softmax, dropout), so that a
        # resumed run draws what an uninterrupted run would. Keras numbers
        # their paths by creation in the process: named by position.
        weights = {id(v) for v in model.weights}
        seeds = [
            v
            for v in model.variables
            if id(v) not in weights and v.path.endswith("seed_generator_state")
        ]
        for index, variable in enumerate(seeds):
            named[f"random/{index}"] = variable
    return named


def checkpoint_steps(directory):
    """`{step: path}` of the complete checkpoints in `directory`."""
    if not os.path.isdir(directory):
        return {}
    steps = {}
    for name in os.listdir(directory):
        match = _CHECKPOINT_NAME.match(name)
        path = os.path.join(directory, name)
        if match and os.path.isfile(os.path.join(path, VARIABLES_FILE)):
            steps[int(match.group(1))] = path
    return steps


def latest_checkpoint(directory):
    """The path of the newest checkpoint in `directory`, or None.

    Example:

    >>> latest_checkpoint("runs/en/checkpoints")
    'runs/en/checkpoints/ckpt-3000'
    """
    steps = checkpoint_steps(directory)
    return steps[max(steps)] if steps else None


def save_checkpoint(model, directory, step, data_position=None, keep=3):
    """Write `directory/ckpt-<step>` atomically and keep the last `keep`.

    Args:
        model: the `keras.Model`, its optimizer built.
        directory: str. The run's `checkpoints/` directory.
        step: int. The global step (the checkpoint's number).
        data_position: dict of JSON values, optional. The input pipeline's
            position after `step` batches.
        keep: int. Checkpoints kept (the newest). Defaults to `3`.

    Returns:
        The checkpoint's path.

    Example:

    >>> save_checkpoint(lm, "runs/en/checkpoints", 1000, data.state())
    """
    path = os.path.join(directory, f"{CHECKPOINT_PREFIX}{int(step)}")
    arrays = {
        name: keras.ops.convert_to_numpy(variable.value)
        for name, variable in checkpoint_variables(model).items()
    }
    with atomic_path(path, directory=True) as tmp:
        with open(os.path.join(tmp, VARIABLES_FILE), "wb") as f:
            np.savez(f, **arrays)
        if data_position is not None:
            with open(
                os.path.join(tmp, DATA_POSITION_FILE), "w", encoding="utf-8"
            ) as f:
                json.dump(data_position, f)
    steps = checkpoint_steps(directory)
    for old in sorted(steps)[:-keep] if keep else ():
        shutil.rmtree(steps[old], ignore_errors=True)
    return path


def _read_variables(path):
    try:
        with open(os.path.join(path, VARIABLES_FILE), "rb") as f:
            with np.load(f, allow_pickle=False) as saved:
                return {name: saved[name] for name in saved.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        reason = str(error).strip().splitlines()[0] if str(error) else ""
        raise ValueError(
            f"Cannot read the checkpoint {path} ({type(error).__name__}: "
            f"{reason}); it is damaged. Delete it so the run resumes from "
            "the one before, or start in a new output directory."
        ) from None


def restore_checkpoint(model, path, include_optimizer=True):
    """Restore a checkpoint of `save_checkpoint` into `model`.

    Args:
        model: the `keras.Model` (its optimizer built when
            `include_optimizer`).
        path: str. A checkpoint directory (`latest_checkpoint`).
        include_optimizer: bool. Also the optimizer's variables. Defaults
            to `True`.

    Returns:
        The data position saved with it (dict), or None.

    Raises:
        ValueError: the checkpoint lacks a variable of the model, holds
            one of another shape, or holds a weight the model lacks.

    Example:

    >>> position = restore_checkpoint(lm, latest_checkpoint(directory))
    """
    saved = _read_variables(path)
    expected = checkpoint_variables(model, include_optimizer)

    def weights_first(names):
        return sorted(names, key=lambda n: (not n.startswith("weights/"), n))

    missing = weights_first(set(expected) - set(saved))
    unexpected = weights_first(
        name
        for name in set(saved) - set(expected)
        if include_optimizer or name.startswith("weights/")
    )
    shapes = [
        name
        for name in weights_first(set(expected) & set(saved))
        if tuple(saved[name].shape) != tuple(expected[name].shape)
    ]
    for problem, names in (
        ("lacks", missing),
        ("has another shape for", shapes),
        ("holds variables the model lacks:", unexpected),
    ):
        if names:
            shown = ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")
            raise ValueError(
                f"Cannot restore {path}: it {problem} {shown}. It was written "
                "for another model or optimizer: use the same arguments, or "
                "a new output directory."
            )
    for name, variable in expected.items():
        variable.assign(saved[name])
    position_file = os.path.join(path, DATA_POSITION_FILE)
    if not os.path.isfile(position_file):
        return None
    with open(position_file, encoding="utf-8") as f:
        return json.load(f)


class CheckpointFiles:
    """Saves `save_checkpoint`s of a model and its data position.

    The `tf.train.CheckpointManager` of the JAX and PyTorch backends (see
    `keras_elmo.training.callbacks.CheckpointSaver`).

    Args:
        model: the `keras.Model`, its optimizer built.
        directory: str. The run's `checkpoints/` directory.
        keep: int. Checkpoints kept. Defaults to `3`.
        data: an `LMPyDataset` or None. Its position is saved with each
            checkpoint.
        start_step: int. The global step at which `data` gave its first
            batch (one batch a step). Defaults to `0`.

    Example:

    ```python
    files = CheckpointFiles(lm, "runs/en/checkpoints", data=train_data)
    lm.fit(train_data, callbacks=[CheckpointSaver(files)])
    ```
    """

    def __init__(self, model, directory, keep=3, data=None, start_step=0):
        self.model = model
        self.directory = directory
        self.keep = keep
        self.data = data
        self.start_step = int(start_step)

    def save(self, checkpoint_number):
        step = int(checkpoint_number)
        position = None
        if self.data is not None:
            position = self.data.state(consumed=step - self.start_step)
        return save_checkpoint(
            self.model, self.directory, step, position, keep=self.keep
        )
