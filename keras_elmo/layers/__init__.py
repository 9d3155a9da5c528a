"""Keras layers of ELMo."""

from keras_elmo.layers.bi_lm import BiLM
from keras_elmo.layers.char_cnn_encoder import CharCNNEncoder
from keras_elmo.layers.highway import Highway
from keras_elmo.layers.philox_dropout import PhiloxDropout
from keras_elmo.layers.projected_lstm import ProjectedLSTM
from keras_elmo.layers.sampled_softmax_head import SampledSoftmaxHead
from keras_elmo.layers.weighted_layer_mix import WeightedLayerMix

__all__ = [
    "BiLM",
    "CharCNNEncoder",
    "Highway",
    "PhiloxDropout",
    "ProjectedLSTM",
    "SampledSoftmaxHead",
    "WeightedLayerMix",
]
