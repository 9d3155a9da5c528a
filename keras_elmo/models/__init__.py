"""Keras models of ELMo."""

from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo_embedding import ELMoEmbedding
from keras_elmo.models.elmo_language_model import ELMoLanguageModel
from keras_elmo.models.sentence_markers import remove_sentence_markers

__all__ = [
    "ELMo",
    "ELMoEmbedding",
    "ELMoLanguageModel",
    "remove_sentence_markers",
]
