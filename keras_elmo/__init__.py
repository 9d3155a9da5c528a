"""keras_elmo: ELMo contextual word vectors as Keras 3 layers.

The public API: the `ELMo` model (`ELMo.from_preset` loads the official
models by name), `ELMoEmbedding` for task models, `ELMoEmbedder` for NumPy
vectors, `ELMoLanguageModel` for pretraining, the layers, and the
character-id preprocessing.

Names are imported on first use, so `import keras_elmo` (and
`import keras_elmo.preprocessing`) does not import TensorFlow; see
docs/api.md for the package layering.
"""

import sys

from keras_elmo.utils.lazy_exports import lazy_exports
from keras_elmo.version import __version__

# Public name -> module that defines it (imported on first access).
_LAZY_EXPORTS = {
    "BiLM": "keras_elmo.layers.bi_lm",
    "CharCNNEncoder": "keras_elmo.layers.char_cnn_encoder",
    "WeightedLayerMix": "keras_elmo.layers.weighted_layer_mix",
    "ELMo": "keras_elmo.models.elmo",
    "ELMoEmbedding": "keras_elmo.models.elmo_embedding",
    "ELMoLanguageModel": "keras_elmo.models.elmo_language_model",
    "remove_sentence_markers": "keras_elmo.models.sentence_markers",
    "ELMoEmbedder": "keras_elmo.inference.elmo_embedder",
    "ELMoCharacterTokenizer": (
        "keras_elmo.preprocessing.elmo_character_tokenizer"
    ),
    "TextTokenizer": "keras_elmo.preprocessing.text_tokenizer",
    "batch_to_char_ids": "keras_elmo.preprocessing.elmo_characters",
    "build_vocabulary": "keras_elmo.preprocessing.word_vocabulary",
    "load_vocabulary": "keras_elmo.preprocessing.word_vocabulary",
    "list_presets": "keras_elmo.presets.preset_listing",
    # Subpackages.
    "conversion": "keras_elmo.conversion",
    "export": "keras_elmo.export",
    "inference": "keras_elmo.inference",
    "layers": "keras_elmo.layers",
    "metrics": "keras_elmo.metrics",
    "models": "keras_elmo.models",
    "preprocessing": "keras_elmo.preprocessing",
    "presets": "keras_elmo.presets",
    "serving": "keras_elmo.serving",
    "training": "keras_elmo.training",
}

__all__ = ["__version__", *_LAZY_EXPORTS]


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY_EXPORTS)

# The modules that define Keras classes (`@keras_elmo_serializable`); each
# imports without TensorFlow, on every backend (tested).
_KERAS_CLASS_MODULES = (
    "keras_elmo.layers",
    "keras_elmo.metrics",
    "keras_elmo.models",
    "keras_elmo.models.elmo_language_model",
    "keras_elmo.preprocessing.elmo_character_tokenizer",
    "keras_elmo.preprocessing.vocabulary_character_tokenizer",
)

if "keras" in sys.modules:
    # Keras is loaded (`import keras; import keras_elmo`): register the
    # Keras classes now, at little cost, so that `keras.saving.load_model`
    # works right after `import keras_elmo` (examples/README.md). Only
    # those: export, serving and training load on first use.
    import importlib

    for _module in _KERAS_CLASS_MODULES:
        importlib.import_module(_module)

# Deprecated names (one release; not in `__all__`): accessing one warns.
_LAZY_EXPORTS["ElmoCharacterTokenizer"] = (
    "keras_elmo.preprocessing.elmo_character_tokenizer"
)
