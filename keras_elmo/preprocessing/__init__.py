"""ELMo input preprocessing: character ids, word vocabularies.

`elmo_characters`, `text_tokenizer` and `word_vocabulary` are pure
Python/NumPy and import no TensorFlow; the TensorFlow layers below are
imported lazily, on first access, so that `import keras_elmo.preprocessing`
stays light (tested).
"""

from keras_elmo.preprocessing.elmo_characters import BOS_CHAR
from keras_elmo.preprocessing.elmo_characters import BOS_TOKEN
from keras_elmo.preprocessing.elmo_characters import BOW_CHAR
from keras_elmo.preprocessing.elmo_characters import CHARACTER_ID_OFFSET
from keras_elmo.preprocessing.elmo_characters import EOS_CHAR
from keras_elmo.preprocessing.elmo_characters import EOS_TOKEN
from keras_elmo.preprocessing.elmo_characters import EOW_CHAR
from keras_elmo.preprocessing.elmo_characters import MAX_CHARACTERS_PER_TOKEN
from keras_elmo.preprocessing.elmo_characters import N_CHARACTERS
from keras_elmo.preprocessing.elmo_characters import PAD_CHAR
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.preprocessing.elmo_characters import word_to_char_ids
from keras_elmo.preprocessing.text_tokenizer import TEXT_TOKENIZER_FILE
from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
from keras_elmo.preprocessing.word_vocabulary import SPECIAL_TOKENS
from keras_elmo.preprocessing.word_vocabulary import UNK_TOKEN
from keras_elmo.preprocessing.word_vocabulary import build_vocabulary
from keras_elmo.preprocessing.word_vocabulary import load_vocabulary
from keras_elmo.preprocessing.word_vocabulary import save_vocabulary
from keras_elmo.preprocessing.word_vocabulary import validate_vocabulary
from keras_elmo.utils.lazy_exports import lazy_exports

# Public name -> module that defines it (imported on first access).
_LAZY_EXPORTS = {
    "ELMoCharacterTokenizer": (
        "keras_elmo.preprocessing.elmo_character_tokenizer"
    ),
    "tokens_to_character_ids": (
        "keras_elmo.preprocessing.elmo_character_tokenizer"
    ),
    "VocabularyCharacterTokenizer": (
        "keras_elmo.preprocessing.vocabulary_character_tokenizer"
    ),
}

__all__ = [
    "BOS_CHAR",
    "BOS_TOKEN",
    "BOW_CHAR",
    "CHARACTER_ID_OFFSET",
    "EOS_CHAR",
    "EOS_TOKEN",
    "EOW_CHAR",
    "MAX_CHARACTERS_PER_TOKEN",
    "N_CHARACTERS",
    "PAD_CHAR",
    "SPECIAL_TOKENS",
    "UNK_TOKEN",
    "TEXT_TOKENIZER_FILE",
    "TextTokenizer",
    "batch_to_char_ids",
    "build_vocabulary",
    "load_vocabulary",
    "save_vocabulary",
    "validate_vocabulary",
    "word_to_char_ids",
    *_LAZY_EXPORTS,
]


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY_EXPORTS)

# Deprecated names (one release; not in `__all__`): accessing one warns.
_LAZY_EXPORTS["ElmoCharacterTokenizer"] = (
    "keras_elmo.preprocessing.elmo_character_tokenizer"
)
