"""One `ELMoLanguageModel` train step under `keras.distribution.DataParallel`
on two (virtual CPU) JAX devices equals the single-device step.

XLA reads `--xla_force_host_platform_device_count` when JAX starts, so the
two runs happen in a child process started with it (`main`); the test
process may run any backend. The steps use dropout and the sampled softmax:
with the same seeds both draw the same masks and negatives.
"""

import importlib.util
import json

import numpy as np
import pytest

from tests.python_subprocess import run_python
from tests.without_tensorflow.language_model_fixtures import lm_batch
from tests.without_tensorflow.language_model_fixtures import tiny_language_model


def train_one_step(distribution=None):
    """Loss and weights after one step of a seeded tiny model."""
    import keras

    if distribution is not None:
        keras.distribution.set_distribution(distribution)
    # The same seeds give the same weights, dropout masks and sampled
    # negatives (one set per step, drawn from the replicated seed state).
    keras.utils.set_random_seed(1)
    model = tiny_language_model(
        {"dropout": 0.1}, num_negative_samples=8, dropout=0.1, seed=3
    )
    model.compile()  # Adagrad with a global clip norm, as bilm-tf
    initial = [np.asarray(v) for v in model.get_weights()]
    x, y = lm_batch()
    logs = model.train_on_batch(x, y, return_dict=True)
    # Each weight lies on every device (replicated), and the step changed
    # it.
    devices = {len(v.value.sharding.device_set) for v in model.weights}
    changed = sum(
        not np.array_equal(a, np.asarray(b))
        for a, b in zip(initial, model.get_weights())
    )
    logs = {**logs, "devices": min(devices), "changed": changed}
    keras.distribution.set_distribution(None)
    weights = [np.asarray(v) for v in model.get_weights()]
    return logs, weights


def main():
    """The child: both steps, and their largest differences as JSON."""
    import jax
    import keras

    devices = jax.devices()
    assert keras.config.backend() == "jax" and len(devices) == 2, devices
    single_logs, single = train_one_step()
    parallel_logs, parallel = train_one_step(
        keras.distribution.DataParallel(devices=devices)
    )
    print(
        json.dumps(
            {
                "logs": {
                    name: [float(single_logs[name]), float(parallel_logs[name])]
                    for name in single_logs
                },
                "max_weight_difference": max(
                    float(np.max(np.abs(a - b)))
                    for a, b in zip(single, parallel)
                ),
                "weights": len(single),
            }
        )
    )


@pytest.mark.large
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="needs JAX")
def test_two_device_step_equals_the_single_device_step():
    result = run_python(
        "from tests.without_tensorflow.data_parallel_test import main; main()",
        env={
            "KERAS_BACKEND": "jax",
            "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
            "JAX_PLATFORMS": "cpu",
        },
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    logs = report["logs"]
    assert logs["devices"] == [1, 2], logs
    # Every weight learns (a zero gradient would make equality trivial).
    assert logs["changed"] == [report["weights"]] * 2, report
    for name in ("loss", "perplexity", "gradient_norm"):
        single, parallel = logs[name]
        assert abs(single - parallel) <= 1e-5, (name, single, parallel)
    assert report["max_weight_difference"] <= 1e-5, report
