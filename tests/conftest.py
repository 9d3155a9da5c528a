"""pytest configuration shared by every keras_elmo test."""

import keras
import pytest

from tests.test_case import SHARED_FIXTURES
from tests.test_case import require_shared_fixtures

__all__ = ["SHARED_FIXTURES", "require_shared_fixtures"]


RUN_LARGE = "--run-large"


def pytest_addoption(parser):
    parser.addoption(
        RUN_LARGE,
        action="store_true",
        help="also run the tests marked `large` (slow end-to-end runs; "
        "plain `python -m pytest` leaves them out, CI runs them: .ci/run)",
    )


def pytest_report_header(config):
    if config.getoption(RUN_LARGE):
        return "large tests: included (--run-large)"
    return "large tests: left out (add --run-large to run them; CI does)"


def pytest_collection_modifyitems(config, items):
    """Leave out `large` tests without `--run-large`; skip `tensorflow_only`
    tests under the JAX and PyTorch backends."""
    if not config.getoption(RUN_LARGE):
        large = [item for item in items if item.get_closest_marker("large")]
        if large:
            config.hook.pytest_deselected(items=large)
            items[:] = [i for i in items if not i.get_closest_marker("large")]
    backend = keras.config.backend()
    if backend == "tensorflow":
        return
    for item in items:
        marker = item.get_closest_marker("tensorflow_only")
        if marker is not None:
            reason = marker.args[0] if marker.args else "TensorFlow API"
            item.add_marker(
                pytest.mark.skip(
                    reason=f"TensorFlow-only ({reason}); "
                    f"KERAS_BACKEND={backend}"
                )
            )


@pytest.fixture(autouse=True)
def reset_keras_state():
    """Give each test the float32 policy and the same random seed."""
    keras.config.set_dtype_policy("float32")
    keras.utils.set_random_seed(0)
    yield
    keras.config.set_dtype_policy("float32")


@pytest.fixture
def shared_fixtures():
    """Path of `../shared/fixtures/bilm_tf`; skips the test if absent."""
    require_shared_fixtures()
    return SHARED_FIXTURES
