"""Backend-neutral training checkpoints (no TensorFlow)."""

import os

import keras
import numpy as np
import pytest

from keras_elmo.training.checkpoint_files import CheckpointFiles
from keras_elmo.training.checkpoint_files import checkpoint_variables
from keras_elmo.training.checkpoint_files import latest_checkpoint
from keras_elmo.training.checkpoint_files import restore_checkpoint
from keras_elmo.training.checkpoint_files import save_checkpoint
from keras_elmo.training.checkpoints import latest_run_checkpoint


def tiny_model(units=3, learning_rate=0.1, steps=2, seed=0):
    """A Dense model with dropout (a seed generator), trained `steps`."""
    keras.utils.set_random_seed(seed)
    # Named layers: the optimizer names its variables after them (as the
    # trainer's biLM, whose layers all have fixed names).
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(units, name="hidden"),
            keras.layers.Dropout(0.5, seed=1, name="dropout"),
            keras.layers.Dense(1, name="output"),
        ],
        name="tiny",
    )
    model.compile(
        keras.optimizers.Adam(learning_rate), loss="mse", run_eagerly=True
    )
    model.optimizer.build(model.trainable_variables)
    x = np.arange(8, dtype="float32").reshape(2, 4)
    for _ in range(steps):
        model.train_on_batch(x, np.ones((2, 1), "float32"))
    return model


def values(model):
    return {
        name: keras.ops.convert_to_numpy(variable.value)
        for name, variable in checkpoint_variables(model).items()
    }


def test_round_trip_of_weights_optimizer_seeds_and_position(tmp_path):
    model = tiny_model()
    names = set(checkpoint_variables(model))
    assert "optimizer/adam/iteration" in names
    assert any(name.startswith("random/") for name in names)
    assert not any(name.endswith("learning_rate") for name in names)
    position = {"batches": 7, "rows": [["a", "\u00e9"], [1, -1]]}
    path = save_checkpoint(model, str(tmp_path), 2, position)
    assert path == os.path.join(str(tmp_path), "ckpt-2")
    restored = tiny_model(learning_rate=0.05, steps=0, seed=5)
    assert restore_checkpoint(restored, path) == position
    expected, got = values(model), values(restored)
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
    # The learning rate comes from the arguments of the run.
    assert float(
        keras.ops.convert_to_numpy(restored.optimizer.learning_rate)
    ) == (pytest.approx(0.05))
    assert latest_run_checkpoint(str(tmp_path)) == ("variables", path)


def test_keeps_the_last_checkpoints_and_ignores_partial_ones(tmp_path):
    model = tiny_model(steps=0)
    data = type("Data", (), {"state": lambda self, consumed: {"at": consumed}})
    files = CheckpointFiles(
        model, str(tmp_path), keep=2, data=data(), start_step=3
    )
    for step in (4, 5, 6):
        files.save(checkpoint_number=step)
    assert sorted(os.listdir(tmp_path)) == ["ckpt-5", "ckpt-6"]
    # A directory being written (or left by a killed save) is no checkpoint.
    os.makedirs(tmp_path / ".ckpt-9.tmp-1-x")
    os.makedirs(tmp_path / "ckpt-8")
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / "ckpt-6")
    assert restore_checkpoint(model, latest_checkpoint(str(tmp_path))) == {
        "at": 3
    }
    assert latest_checkpoint(str(tmp_path / "missing")) is None


def test_mismatches_are_clear_errors(tmp_path):
    path = save_checkpoint(tiny_model(), str(tmp_path), 1)
    with pytest.raises(ValueError, match="has another shape for weights/"):
        restore_checkpoint(tiny_model(units=4, steps=0), path)
    sgd = tiny_model(steps=0)
    sgd.compile(
        keras.optimizers.SGD(momentum=0.9), loss="mse", run_eagerly=True
    )
    sgd.optimizer.build(sgd.trainable_variables)
    with pytest.raises(ValueError, match="another model or optimizer"):
        restore_checkpoint(sgd, path)
    # Weights only (an export) need no optimizer state.
    restore_checkpoint(sgd, path, include_optimizer=False)
    with open(os.path.join(path, "variables.npz"), "wb") as f:
        f.write(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match="ckpt-1 .*damaged"):
        restore_checkpoint(tiny_model(steps=0), path)
