"""`ELMoLanguageModel` trains and evaluates alike on TensorFlow, JAX and
PyTorch: for the same weights and batch, the first step's gradient norm
and loss and the full-softmax perplexity of `evaluate` agree across
backends, and `fit` lowers the loss on each.

Keras picks its backend once per process: JAX and PyTorch run in child
processes (`main`), this process on its own backend (TensorFlow in CI).
"""

import importlib.util
import json
import os

import keras
import numpy as np
import pytest

from tests.python_subprocess import run_python
from tests.without_tensorflow.language_model_fixtures import VOCAB_SIZE
from tests.without_tensorflow.language_model_fixtures import lm_batch
from tests.without_tensorflow.language_model_fixtures import tiny_language_model

FIT_EPOCHS = 4


def train_and_evaluate(weights_path):
    """Evaluate, one step, then `fit`, from the weights at `weights_path`.

    The softmax is the full one (`num_negative_samples = vocab_size`) and
    dropout is off, so every backend computes the same function.

    Returns:
        dict: the evaluation logs before training, the first step's logs,
        and the per-epoch losses of the `fit` that follows.
    """
    model = tiny_language_model(num_negative_samples=VOCAB_SIZE, dropout=0.0)
    model.compile()  # Adagrad, global clip norm 10
    model.load_weights(weights_path)
    x, y = lm_batch(seed=1, batch=8)
    evaluation = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    step = model.train_on_batch(x, y, return_dict=True)
    history = model.fit(
        x, y, batch_size=4, epochs=FIT_EPOCHS, shuffle=False, verbose=0
    ).history
    return {
        "evaluation": {k: float(v) for k, v in evaluation.items()},
        "step": {k: float(v) for k, v in step.items()},
        "fit_losses": [float(v) for v in history["loss"]],
        "gradient_norms": [float(v) for v in history["gradient_norm"]],
    }


def sampler_matches_its_draws():
    """Whether the unique log-uniform sample holds the distinct draws in
    order of first occurrence (TensorFlow sorts int64 keys, JAX and PyTorch
    sort stably; Keras's PyTorch scatter is replaced there)."""
    from keras_elmo.layers import softmax_losses

    num_sampled, num_draws, num_classes = 4096, 8192, 793471
    draws = keras.ops.convert_to_numpy(
        softmax_losses._inverse_cdf_draws(
            num_draws, num_classes, seed=5, uniform_dtype="float64"
        )
    )
    sample = softmax_losses.sample_log_uniform(
        num_sampled, num_classes, seed=5, num_draws=num_draws
    )
    _, first = np.unique(draws, return_index=True)
    expected = draws[np.sort(first)][:num_sampled]
    valid = keras.ops.convert_to_numpy(sample.valid)
    ids = keras.ops.convert_to_numpy(sample.ids)[valid]
    return len(ids) == len(expected) and bool(np.all(ids == expected))


def main(weights_path):
    """The child's part: print `train_and_evaluate`'s results as JSON."""
    results = train_and_evaluate(weights_path)
    results["sampler_matches_its_draws"] = sampler_matches_its_draws()
    print(json.dumps(results))


def run_backend(backend, weights_path):
    result = run_python(
        "from tests.models.language_model_backends_test import main; "
        f"main({str(weights_path)!r})",
        env={"KERAS_BACKEND": backend},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.large
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_backend_trains_and_evaluates_as_this_one(backend, tmp_path):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    if keras.config.backend() == backend:
        pytest.skip("compares another backend with this process's")
    keras.utils.set_random_seed(0)
    model = tiny_language_model(num_negative_samples=VOCAB_SIZE, dropout=0.0)
    weights_path = os.path.join(tmp_path, "lm.weights.h5")
    model.save_weights(weights_path)
    del model

    here = train_and_evaluate(weights_path)
    there = run_backend(backend, weights_path)

    assert there["sampler_matches_its_draws"]
    for results in (here, there):
        losses = results["fit_losses"]
        assert losses[-1] < losses[0], results
        assert np.all(np.isfinite(results["gradient_norms"])), results
    # Same weights and batch: the same function on every backend.
    for name, value in here["evaluation"].items():
        np.testing.assert_allclose(
            there["evaluation"][name], value, rtol=1e-5, err_msg=name
        )
    np.testing.assert_allclose(
        there["step"]["gradient_norm"], here["step"]["gradient_norm"], rtol=1e-4
    )
    np.testing.assert_allclose(
        there["step"]["loss"], here["step"]["loss"], rtol=1e-5
    )
