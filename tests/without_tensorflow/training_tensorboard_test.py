"""TensorBoard scalars of pretraining without TensorFlow, read back."""

import json

import keras
import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util

from keras_elmo.training import scalar_writer as scalar_writer_module
from keras_elmo.training.callbacks import TrainingLogger
from tests.without_tensorflow.tensorflow_blocker import run_without_tensorflow


def read_scalars(log_dir):
    """`{tag: [(step, value), ...]}` of a log directory (no TensorFlow)."""
    accumulator = event_accumulator.EventAccumulator(
        str(log_dir), size_guidance={event_accumulator.TENSORS: 0}
    )
    accumulator.Reload()
    return {
        tag: [
            (event.step, float(tensor_util.make_ndarray(event.tensor_proto)))
            for event in accumulator.Tensors(tag)
        ]
        for tag in accumulator.Tags()["tensors"]
    }


def log_steps(log_dir, steps, start=0):
    """Run a `TrainingLogger` over `steps` with a stand-in model."""
    logger = TrainingLogger(log_dir, tokens_per_batch=10, log_every=5)

    class Optimizer:
        iterations = keras.Variable(start, dtype="int64")
        learning_rate = 0.5

    class Model:
        optimizer = Optimizer()

    logger.set_model(Model())
    logger.on_train_begin()
    for step in steps:
        Optimizer.iterations.assign(step)
        logger.on_train_batch_end(0, {"loss": float(step), "perplexity": 2.0})
    logger.on_epoch_end(0, {"val_loss": 1.5, "val_perplexity": 4.5})
    logger.on_train_end()


@pytest.mark.parametrize("tensorflow", [True, False])
def test_scalars_read_back(tmp_path, monkeypatch, tensorflow):
    # `tensorflow=False`: the tensorboard package's writer, as where
    # TensorFlow is absent (it is what JAX and PyTorch runs use).
    if not tensorflow:
        monkeypatch.setattr(
            scalar_writer_module, "tensorflow_installed", lambda: False
        )
    log_steps(str(tmp_path), range(3, 31, 3))
    train = read_scalars(tmp_path / "train")
    assert [step for step, _ in train["loss"]] == [6, 12, 15, 21, 27, 30]
    np.testing.assert_allclose(
        [value for _, value in train["loss"]], [6, 12, 15, 21, 27, 30]
    )
    for tag in ("perplexity", "learning_rate", "tokens_per_second"):
        assert len(train[tag]) == 6, tag
    assert train["learning_rate"][0][1] == 0.5
    validation = read_scalars(tmp_path / "validation")
    assert validation == {"loss": [(30, 1.5)], "perplexity": [(30, 4.5)]}


def test_profiling_needs_the_tensorflow_backend(tmp_path):
    if keras.config.backend() == "tensorflow":
        pytest.skip("profiling runs on the TensorFlow backend")
    with pytest.raises(
        Exception, match=r"Profiling training steps .* needs TensorFlow"
    ):
        TrainingLogger(str(tmp_path), 10, profile_steps=(1, 2))


_TENSORFLOW_FREE = """
from tests.without_tensorflow.training_tensorboard_test import log_steps
from tests.without_tensorflow.training_tensorboard_test import read_scalars
log_steps({log_dir!r}, range(5, 21, 5))
assert "tensorflow" not in sys.modules or sys.modules["tensorflow"] is None
print(__import__("json").dumps(read_scalars({log_dir!r} + "/train")))
"""


@pytest.mark.large
def test_written_and_read_in_a_process_without_tensorflow(tmp_path):
    result = run_without_tensorflow(
        _TENSORFLOW_FREE.format(log_dir=str(tmp_path)), "jax", timeout=300
    )
    scalars = json.loads(result.stdout.strip().splitlines()[-1])
    assert scalars["loss"] == [[5, 5.0], [10, 10.0], [15, 15.0], [20, 20.0]]
