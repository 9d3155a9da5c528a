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
    "tests/layers/philox_dropout_test.py",
    "tests/layers/projected_lstm_test.py",
    "tests/layers/weighted_layer_mix_test.py",
    "tests/models/elmo_test.py",
    "tests/models/elmo_embedding_test.py",
    "tests/inference/elmo_embedder_test.py",
    "tests/utils/backend_test.py",
)


# The quick suite's smoke test (README's test command): one layer and
# ELMo against the NumPy oracle.
SMOKE_TEST_FILES = ("tests/layers/highway_test.py", "tests/models/elmo_test.py")
SMOKE_SELECTION = ("-k", "highway or numpy_oracle")
SMOKE_MIN_PASSED = 5

BACKENDS = ("jax", "torch")


def start_suite(backend, files=BACKEND_TEST_FILES, options=()):
    """Start `files` under `backend` in a subprocess (`subprocess.Popen`)."""
    env = {**os.environ, "KERAS_BACKEND": backend}
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"]
        + list(options)
        + list(files),
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def check_suite_output(backend, returncode, output, min_passed=60):
    assert returncode == 0, f"KERAS_BACKEND={backend}\n{output[-6000:]}"
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed.group(1)) >= min_passed, output[-3000:]
    # Only the TensorFlow-API tests are skipped (plus a missing fixture).
    for line in output.splitlines():
        if line.startswith("SKIPPED"):
            assert "TensorFlow-only" in line or "fixtures" in line, line


def run_matrix(files, options=(), min_passed=60):
    """Run `files` under every backend at once and check each run."""
    if keras.config.backend() != "tensorflow":
        pytest.skip("the matrix is started from the TensorFlow run")
    missing = [b for b in BACKENDS if importlib.util.find_spec(b) is None]
    if missing:
        pytest.skip(f"{missing} not installed (pip install -e '.[test]')")
    # Both backends at once: each suite is mostly single-threaded, and CI
    # has two cores.
    suites = {b: start_suite(b, files, options) for b in BACKENDS}
    outputs = {}
    try:
        for backend, process in suites.items():
            outputs[backend] = process.communicate(timeout=1800)[0]
    finally:
        for process in suites.values():
            if process.poll() is None:
                process.kill()
    for backend, process in suites.items():
        check_suite_output(
            backend, process.returncode, outputs[backend], min_passed
        )


def test_smoke_under_jax_and_torch():
    run_matrix(SMOKE_TEST_FILES, SMOKE_SELECTION, SMOKE_MIN_PASSED)


@pytest.mark.large
def test_layer_model_and_parity_tests_pass_under_jax_and_torch():
    # Every test of the files, the large ones (task-model fits) included.
    run_matrix(BACKEND_TEST_FILES, ("--run-large",))
