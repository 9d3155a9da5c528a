"""Keras models of ELMo."""

from keras_elmo.models.elmo import ELMo
from keras_elmo.models.sentence_markers import remove_sentence_markers

__all__ = ["ELMo", "remove_sentence_markers"]
