"""Embedding text with a trained ELMo."""

from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from keras_elmo.inference.model_store import resolve_model_dir

__all__ = ["ELMoEmbedder", "resolve_model_dir"]
