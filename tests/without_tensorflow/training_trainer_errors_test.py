"""`train_language_model` off TensorFlow: TensorFlow-only options fail first."""

import os

import keras
import pytest

from keras_elmo.training.trainer import train_language_model
from tests.training.training_fixtures import tiny_config

pytestmark = pytest.mark.skipif(
    keras.config.backend() == "tensorflow",
    reason="the TensorFlow backend runs these options",
)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"strategy": "mirrored"}, r"tf\.distribute strategy 'mirrored'"),
        ({"strategy": "tpu"}, r"tf\.distribute strategy 'tpu'.*data_parallel"),
        ({"profile_steps": (1, 2)}, "Profiling training steps"),
    ],
)
def test_tensorflow_only_options_fail_before_anything_is_written(
    tmp_path, fields, message
):
    output_dir = os.path.join(str(tmp_path), "run")
    with pytest.raises(Exception, match=message):
        train_language_model(output_dir, tiny_config(**fields), verbose=0)
    assert not os.path.exists(output_dir)


def test_data_parallel_is_for_jax(tmp_path):
    if keras.config.backend() == "jax":
        pytest.skip("JAX runs data_parallel")
    output_dir = os.path.join(str(tmp_path), "run")
    with pytest.raises(ValueError, match="data_parallel.*JAX backend"):
        train_language_model(
            output_dir, tiny_config(strategy="data_parallel"), verbose=0
        )
    assert not os.path.exists(output_dir)
