"""`strategy="data_parallel"` on JAX: 2 devices train as 1 on the batch."""

import json

import numpy as np
import pytest

from tests.without_tensorflow.tensorflow_blocker import run_without_tensorflow

# Two virtual CPU devices (XLA reads the flag once, at start): a run of
# `data_parallel` with 2 rows per device and a one-device run with 4 rows
# read the same global batches from the same initial weights.
TWO_DEVICES = """
import os
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
import json
import keras
import numpy as np
from keras_elmo.training import train_language_model
from tests.training.training_fixtures import tiny_config

assert len(keras.distribution.list_devices()) == 2
results = {}
for name, strategy, batch_size in (
    ("data_parallel", "data_parallel", 2),
    ("one_device", "default", 4),
):
    config = tiny_config(
        strategy=strategy, batch_size=batch_size, steps=3,
        checkpoint_every=3, jit_compile=True,
        num_negative_samples=16, softmax="sampled",
    )
    result = train_language_model(DIRECTORY + "/" + name, config, verbose=0)
    results[name] = {
        "step": result["step"],
        "loss": result["history"]["loss"],
        "weights": [
            keras.ops.convert_to_numpy(v).tolist()
            for v in result["model"].trainable_variables
        ],
    }
print(json.dumps(results))
"""


@pytest.mark.large
def test_two_devices_train_as_one_on_the_global_batch(tmp_path):
    result = run_without_tensorflow(
        TWO_DEVICES.replace("DIRECTORY", repr(str(tmp_path))),
        "jax",
        timeout=600,
    )
    runs = json.loads(result.stdout.strip().splitlines()[-1])
    parallel, single = runs["data_parallel"], runs["one_device"]
    assert parallel["step"] == single["step"] == 3
    assert parallel["loss"] == pytest.approx(single["loss"], rel=1e-5)
    for got, expected in zip(parallel["weights"], single["weights"]):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
