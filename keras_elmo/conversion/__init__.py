"""Conversion from and to the original ELMo files (options.json + hdf5)."""

from keras_elmo.conversion.bilm_hdf5 import load_bilm_weights
from keras_elmo.conversion.bilm_hdf5 import save_bilm_weights
from keras_elmo.conversion.bilm_hdf5 import weight_ports
from keras_elmo.conversion.bilm_options import config_to_options
from keras_elmo.conversion.bilm_options import options_to_config
from keras_elmo.conversion.bilm_options import read_options
from keras_elmo.conversion.bilm_options import validate_options
from keras_elmo.conversion.bilm_options import write_options

__all__ = [
    "config_to_options",
    "options_to_config",
    "load_bilm_weights",
    "read_options",
    "save_bilm_weights",
    "validate_options",
    "weight_ports",
    "write_options",
]
