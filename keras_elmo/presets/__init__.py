"""ELMo presets: the model directory, built-in names, download and cache.

This package handles files only and imports no model class, so the model
classes' `from_preset` and `save_to_preset` can use it (see
docs/api.md, "Package layering").
"""

from keras_elmo.presets.builtin_presets import BASE_URL_ENV
from keras_elmo.presets.builtin_presets import BUILTIN_PRESETS
from keras_elmo.presets.builtin_presets import OFFICIAL_BASE_URL
from keras_elmo.presets.builtin_presets import official_base_url
from keras_elmo.presets.download import TIMEOUT_ENV
from keras_elmo.presets.download import PresetDownloadError
from keras_elmo.presets.download import download_file
from keras_elmo.presets.preset_directory import LAYER_MIX_FILE
from keras_elmo.presets.preset_directory import METADATA_FILE
from keras_elmo.presets.preset_directory import MODEL_CARD_FILE
from keras_elmo.presets.preset_directory import OPTIONS_FILE
from keras_elmo.presets.preset_directory import VOCABULARY_FILE
from keras_elmo.presets.preset_directory import WARM_STATE_FILE
from keras_elmo.presets.preset_directory import WARM_UP_FILE
from keras_elmo.presets.preset_directory import WEIGHTS_FILE
from keras_elmo.presets.preset_directory import PresetDirectory
from keras_elmo.presets.preset_directory import read_warm_state
from keras_elmo.presets.preset_directory import write_preset
from keras_elmo.presets.preset_directory import write_warm_state
from keras_elmo.presets.preset_handles import MANIFEST_FILE
from keras_elmo.presets.preset_handles import builtin_preset_config
from keras_elmo.presets.preset_handles import builtin_preset_metadata
from keras_elmo.presets.preset_handles import cache_dir
from keras_elmo.presets.preset_handles import resolve_preset
from keras_elmo.presets.preset_listing import is_cached
from keras_elmo.presets.preset_listing import list_presets

__all__ = [
    "BASE_URL_ENV",
    "BUILTIN_PRESETS",
    "LAYER_MIX_FILE",
    "MANIFEST_FILE",
    "METADATA_FILE",
    "MODEL_CARD_FILE",
    "OFFICIAL_BASE_URL",
    "OPTIONS_FILE",
    "PresetDirectory",
    "PresetDownloadError",
    "TIMEOUT_ENV",
    "VOCABULARY_FILE",
    "WARM_STATE_FILE",
    "WARM_UP_FILE",
    "WEIGHTS_FILE",
    "builtin_preset_config",
    "builtin_preset_metadata",
    "cache_dir",
    "download_file",
    "is_cached",
    "list_presets",
    "official_base_url",
    "read_warm_state",
    "resolve_preset",
    "write_preset",
    "write_warm_state",
]
