"""keras_elmo: ELMo contextual word vectors as Keras 3 layers.

The public API: the layers (`CharCNNEncoder`, `BiLM`, `WeightedLayerMix`),
the `ELMo` model that loads and writes the original weights, and the
character-id preprocessing.
"""

from keras_elmo import conversion
from keras_elmo import export
from keras_elmo import inference
from keras_elmo import layers
from keras_elmo import models
from keras_elmo import preprocessing
from keras_elmo import training
from keras_elmo.inference import ELMoEmbedder
from keras_elmo.layers import BiLM
from keras_elmo.layers import CharCNNEncoder
from keras_elmo.layers import WeightedLayerMix
from keras_elmo.models import ELMo
from keras_elmo.models import ELMoEmbedding
from keras_elmo.models import ELMoLanguageModel
from keras_elmo.models import preset_options
from keras_elmo.models import remove_sentence_markers
from keras_elmo.preprocessing import ElmoCharacterTokenizer
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.training import build_vocabulary
from keras_elmo.training import load_vocabulary
from keras_elmo.version import __version__

__all__ = [
    "BiLM",
    "CharCNNEncoder",
    "ELMo",
    "ELMoEmbedder",
    "ELMoEmbedding",
    "ELMoLanguageModel",
    "ElmoCharacterTokenizer",
    "WeightedLayerMix",
    "__version__",
    "batch_to_char_ids",
    "build_vocabulary",
    "load_vocabulary",
    "preset_options",
    "preprocessing",
    "training",
    "conversion",
    "export",
    "inference",
    "layers",
    "models",
    "remove_sentence_markers",
]
