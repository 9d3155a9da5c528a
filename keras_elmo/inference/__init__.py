"""Embedding text with a trained ELMo."""

from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from keras_elmo.inference.token_embedding_cache import TokenEmbeddingCache
from keras_elmo.inference.token_embedding_cache import dump_token_embeddings

__all__ = [
    "ELMoEmbedder",
    "TokenEmbeddingCache",
    "dump_token_embeddings",
]
