"""Clients of ELMo models served by TensorFlow Serving."""

from keras_elmo.serving.client import ELMoClient
from keras_elmo.serving.elmo_serving_error import ELMoServingError

__all__ = ["ELMoClient", "ELMoServingError"]
