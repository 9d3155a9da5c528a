"""Keras models of ELMo."""

from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo_embedding import ELMoEmbedding
from keras_elmo.models.elmo_language_model import ELMoLanguageModel
from keras_elmo.models.elmo_presets import PRESETS
from keras_elmo.models.elmo_presets import preset_options
from keras_elmo.models.sentence_markers import remove_sentence_markers

__all__ = [
    "ELMo",
    "ELMoEmbedding",
    "ELMoLanguageModel",
    "PRESETS",
    "preset_options",
    "remove_sentence_markers",
]
