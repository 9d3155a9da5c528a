"""biLM pretraining utilities: vocabularies and the tf.data pipeline.

`vocabulary` is pure Python; the TensorFlow pipeline (`data`) is imported
lazily, on first access.
"""

from keras_elmo.training.vocabulary import SPECIAL_TOKENS
from keras_elmo.training.vocabulary import UNK_TOKEN
from keras_elmo.training.vocabulary import build_vocabulary
from keras_elmo.training.vocabulary import load_vocabulary
from keras_elmo.training.vocabulary import save_vocabulary
from keras_elmo.training.vocabulary import validate_vocabulary
from keras_elmo.utils.lazy_exports import lazy_exports

# Public name -> module that defines it (imported on first access).
_LAZY_EXPORTS = {
    "NO_TARGET": "keras_elmo.training.data",
    "count_tokens": "keras_elmo.training.data",
    "list_files": "keras_elmo.training.data",
    "make_lm_dataset": "keras_elmo.training.data",
    "Perplexity": "keras_elmo.training.metrics",
    "TrainingLogger": "keras_elmo.training.callbacks",
    "CheckpointSaver": "keras_elmo.training.callbacks",
    "train_language_model": "keras_elmo.training.trainer",
    "make_strategy": "keras_elmo.training.trainer",
    "export_language_model": "keras_elmo.training.export",
    "load_language_model": "keras_elmo.training.export",
    "export_checkpoint": "keras_elmo.training.export",
    "evaluate_perplexity": "keras_elmo.training.perplexity",
    "training_checkpoint": "keras_elmo.training.checkpoints",
    "restore_training_checkpoint": "keras_elmo.training.checkpoints",
    "sampled_softmax_loss": "keras_elmo.training.losses",
    "full_softmax_loss": "keras_elmo.training.losses",
    "masked_mean": "keras_elmo.training.losses",
    "sample_log_uniform": "keras_elmo.training.losses",
}

__all__ = [
    "SPECIAL_TOKENS",
    "UNK_TOKEN",
    "build_vocabulary",
    "load_vocabulary",
    "save_vocabulary",
    "validate_vocabulary",
    *_LAZY_EXPORTS,
]


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY_EXPORTS)
