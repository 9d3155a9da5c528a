import sys

import pytest

from keras_elmo.utils.backend import TensorFlowNotInstalledError
from keras_elmo.utils.lazy_module import LazyModule


def test_imports_on_first_attribute():
    json = LazyModule("json")
    assert json._module is None
    assert json.dumps([1]) == "[1]"
    assert json.load() is sys.modules["json"]


def test_missing_module_of_a_feature_says_how_to_install(monkeypatch):
    # An earlier test may have imported the protos: forget them, so that
    # the import below reaches the blocked package.
    for name in list(sys.modules):
        if name.startswith("tensorflow_serving."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorflow_serving", None)
    predict_pb2 = LazyModule(
        "tensorflow_serving.apis.predict_pb2",
        feature="The TF Serving client",
        extra="serving",
    )
    with pytest.raises(TensorFlowNotInstalledError) as error:
        predict_pb2.PredictRequest()
    assert str(error.value) == (
        "The TF Serving client needs tensorflow-serving-api, which is not "
        'installed; install it with `pip install "keras-elmo[serving]"`.'
    )
    assert error.value.name == "tensorflow_serving"


def test_missing_module_without_a_feature_is_pythons_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow_serving", None)
    with pytest.raises(ModuleNotFoundError) as error:
        LazyModule("tensorflow_serving").load()
    assert not isinstance(error.value, TensorFlowNotInstalledError)
