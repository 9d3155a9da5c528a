"""Keras models of ELMo.

`ELMoLanguageModel` (the pretraining task) is imported on first access:
`import keras_elmo` before `import keras` stays light (see
keras_elmo/__init__.py for the registration after `import keras`).
"""

from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo_embedding import ELMoEmbedding
from keras_elmo.models.sentence_markers import remove_sentence_markers
from keras_elmo.utils.lazy_exports import lazy_exports

# Public name -> module that defines it (imported on first access).
_LAZY_EXPORTS = {
    "ELMoLanguageModel": "keras_elmo.models.elmo_language_model",
}

__all__ = [
    "ELMo",
    "ELMoEmbedding",
    "ELMoLanguageModel",
    "remove_sentence_markers",
]

__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY_EXPORTS)
