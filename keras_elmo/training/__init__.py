"""biLM pretraining: the input pipelines, the trainer, checkpoints.

Every name is imported lazily, on first access (TensorFlow is heavy, and
only the TensorFlow backend's pipeline and checkpoints need it).
Vocabularies live in `keras_elmo.preprocessing`, the softmax losses in
`keras_elmo.layers.softmax_losses`, the perplexity metric in
`keras_elmo.metrics`.
"""

from keras_elmo.utils.lazy_exports import lazy_exports

# Public name -> module that defines it (imported on first access).
_LAZY_EXPORTS = {
    "NO_TARGET": "keras_elmo.training.pydataset",
    "count_tokens": "keras_elmo.training.pydataset",
    "make_lm_pydataset": "keras_elmo.training.pydataset",
    "LMPyDataset": "keras_elmo.training.pydataset",
    "list_files": "keras_elmo.utils.files",
    "make_lm_dataset": "keras_elmo.training.data",
    "TrainingLogger": "keras_elmo.training.callbacks",
    "CheckpointSaver": "keras_elmo.training.callbacks",
    "train_language_model": "keras_elmo.training.trainer",
    "make_strategy": "keras_elmo.training.trainer",
    "export_checkpoint": "keras_elmo.training.checkpoints",
    "evaluate_perplexity": "keras_elmo.training.perplexity",
    "sentence_perplexity": "keras_elmo.training.perplexity",
    "TrainingConfig": "keras_elmo.training.training_config",
    "RECIPES": "keras_elmo.training.training_config",
    "recipe": "keras_elmo.training.training_config",
    "make_optimizer": "keras_elmo.training.optimizers",
    "KneserNeyLanguageModel": "keras_elmo.training.kneser_ney",
    "baseline_perplexities": "keras_elmo.training.kneser_ney",
    "training_checkpoint": "keras_elmo.training.checkpoints",
    "restore_training_checkpoint": "keras_elmo.training.checkpoints",
    "save_checkpoint": "keras_elmo.training.checkpoint_files",
    "restore_checkpoint": "keras_elmo.training.checkpoint_files",
    "latest_checkpoint": "keras_elmo.training.checkpoint_files",
}

__all__ = [*_LAZY_EXPORTS]


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY_EXPORTS)
