import keras
import numpy as np
import pytest

from keras_elmo.utils import backend as backend_utils
from keras_elmo.utils.backend import TensorFlowNotInstalledError
from keras_elmo.utils.backend import UnsupportedBackendError
from keras_elmo.utils.backend import default_jit_compile
from keras_elmo.utils.backend import install_command
from keras_elmo.utils.backend import require_tensorflow
from keras_elmo.utils.backend import require_tensorflow_backend
from keras_elmo.utils.backend import tensorflow_installed
from keras_elmo.utils.eager import concrete_value


@pytest.fixture
def as_jax(monkeypatch):
    """Make keras_elmo's backend checks see the JAX backend."""
    monkeypatch.setattr(keras.config, "backend", lambda: "jax")


def test_require_tensorflow_backend_names_backend_and_remedy(as_jax):
    with pytest.raises(UnsupportedBackendError) as error:
        require_tensorflow_backend("TFLite export", "do X instead")
    message = str(error.value)
    assert "TFLite export" in message
    assert "'jax'" in message
    assert "KERAS_BACKEND=tensorflow" in message
    assert "do X instead" in message


@pytest.fixture
def without_tensorflow(monkeypatch):
    """Make TensorFlow unimportable, as where it is not installed."""
    import sys

    for name in [m for m in sys.modules if m.split(".")[0] == "tensorflow"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorflow", None)


def test_require_tensorflow_names_feature_and_install_command(
    without_tensorflow,
):
    assert not tensorflow_installed()
    with pytest.raises(TensorFlowNotInstalledError) as error:
        require_tensorflow("Reading gs:// paths")
    message = str(error.value)
    assert message == (
        "Reading gs:// paths needs TensorFlow, which is not installed; "
        'install it with `pip install "keras-elmo[tensorflow]"`.'
    )
    # What a missing dependency raises, and what the CLI reports in a line.
    assert isinstance(error.value, ImportError)
    assert isinstance(error.value, UnsupportedBackendError)


def test_require_tensorflow_backend_without_tensorflow_says_install(
    as_jax, without_tensorflow
):
    with pytest.raises(TensorFlowNotInstalledError) as error:
        require_tensorflow_backend("TFLite export", "do X", extra="tflite")
    message = str(error.value)
    assert 'pip install "keras-elmo[tflite]"' in message
    assert "KERAS_BACKEND=tensorflow" in message
    assert message.endswith("; or do X.")
    assert "\n" not in message


def test_require_tensorflow_returns_tensorflow_where_installed():
    if not tensorflow_installed():
        pytest.skip("TensorFlow is not installed here")
    assert require_tensorflow("anything").__name__ == "tensorflow"
    assert install_command("serving") == 'pip install "keras-elmo[serving]"'


def test_require_tensorflow_backend_passes_on_tensorflow(monkeypatch):
    monkeypatch.setattr(keras.config, "backend", lambda: "tensorflow")
    require_tensorflow_backend("anything")


@pytest.mark.parametrize(
    "backend, expected",
    [("tensorflow", True), ("jax", True), ("torch", False)],
)
def test_default_jit_compile(monkeypatch, backend, expected):
    monkeypatch.setattr(keras.config, "backend", lambda: backend)
    assert default_jit_compile() is expected


def test_tensorflow_only_features_raise_clear_errors(as_jax, tmp_path):
    # Each entry point checks the backend before doing any work.
    from keras_elmo.export.saved_model import export_saved_model
    from keras_elmo.export.tflite import export_tflite
    from keras_elmo.preprocessing.elmo_character_tokenizer import (
        ELMoCharacterTokenizer,
    )
    from keras_elmo.training.data import make_lm_dataset
    from keras_elmo.training.trainer import make_strategy

    calls = {
        "SavedModel export": lambda: export_saved_model(None, tmp_path),
        "TFLite export": lambda: export_tflite(None, tmp_path / "m.tflite"),
        "ELMoCharacterTokenizer": ELMoCharacterTokenizer,
        "make_lm_dataset": lambda: make_lm_dataset("x", "v", 2, 2),
        # Pretraining runs on every backend; its tf.distribute strategies
        # are TensorFlow's.
        "tf.distribute strategy": lambda: make_strategy("mirrored"),
    }
    for call in calls.values():
        with pytest.raises(UnsupportedBackendError, match="KERAS_BACKEND"):
            call()
    assert not (tmp_path / "m.tflite").exists()


def test_concrete_value_of_eager_and_numpy_values():
    np.testing.assert_array_equal(concrete_value(np.ones(2)), np.ones(2))
    value = concrete_value(keras.ops.ones((2,)))
    np.testing.assert_array_equal(value, np.ones(2))
    assert concrete_value(keras.KerasTensor((2,))) is None


def test_concrete_value_is_none_while_tracing():
    # The root cause of the JAX `fit` failure: value checks ran on tracers.
    backend = keras.config.backend()
    seen = []
    if backend == "jax":
        import jax

        jax.jit(lambda x: seen.append(concrete_value(x)) or x)(np.ones(2))
    elif backend == "tensorflow":
        import tensorflow as tf

        tf.function(lambda x: seen.append(concrete_value(x)) or x)(np.ones(2))
    else:
        import torch

        seen.append(concrete_value(torch.ones(2, device="meta")))
    assert seen == [None]


def test_backend_module_documents_every_alternative():
    for name in ("EXPORT_ELSEWHERE", "USE_CHARACTER_IDS"):
        assert isinstance(getattr(backend_utils, name), str)
