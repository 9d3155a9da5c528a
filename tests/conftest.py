"""pytest configuration shared by every keras_elmo test."""

import keras
import pytest

from tests.test_case import SHARED_FIXTURES
from tests.test_case import require_shared_fixtures

__all__ = ["SHARED_FIXTURES", "require_shared_fixtures"]


def pytest_collection_modifyitems(config, items):
    """Skip `tensorflow_only` tests under the JAX and PyTorch backends."""
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
