"""The layer, model and parity tests under the JAX and PyTorch backends.

Keras picks its backend once per process, so each backend runs the
selected test files in a `python -m pytest` subprocess with
`KERAS_BACKEND` set. Tests that use TensorFlow APIs are marked
`tensorflow_only` and skipped there with a reason (see `conftest.py`);
everything else must pass on every backend: the fixture parity at 1e-5,
`fit` of a task model, `.keras` save and load, compiled `predict`.
"""

import importlib.util
import os
import re
import subprocess
import sys

import keras
import pytest

from tests.test_case import REPO_ROOT

# A lean selection: every public layer, ELMo against the bilm-tf fixture
# and the NumPy oracle, the task-model layer, the embedder and the
# backend utilities.
BACKEND_TEST_FILES = (
    "tests/layers/bi_lm_test.py",
    "tests/layers/char_cnn_encoder_test.py",
    "tests/layers/highway_test.py",
    "tests/layers/projected_lstm_test.py",
    "tests/layers/weighted_layer_mix_test.py",
    "tests/models/elmo_test.py",
    "tests/models/elmo_embedding_test.py",
    "tests/inference/elmo_embedder_test.py",
    "tests/utils/backend_test.py",
)


def run_suite(backend, files=BACKEND_TEST_FILES, timeout=1200):
    """Run `files` under `backend`; returns `(returncode, output)`."""
    env = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"]
        + list(files),
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.large
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_layer_model_and_parity_tests_pass_under(backend):
    if keras.config.backend() != "tensorflow":
        pytest.skip("the matrix is started from the TensorFlow run")
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (pip install -e '.[test]')")
    returncode, output = run_suite(backend)
    assert returncode == 0, output[-6000:]
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 60, output[-3000:]
    # Only the TensorFlow-API tests are skipped (plus a missing fixture).
    for line in output.splitlines():
        if line.startswith("SKIPPED"):
            assert "TensorFlow-only" in line or "fixtures" in line, line
