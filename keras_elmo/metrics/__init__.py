"""Keras metrics of ELMo language models."""

from keras_elmo.metrics.perplexity import Perplexity

__all__ = ["Perplexity"]
