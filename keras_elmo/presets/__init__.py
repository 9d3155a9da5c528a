"""ELMo presets: the model directory, built-in names, download and cache.

This package handles files only and imports no model class, so the model
classes' `from_preset` and `save_to_preset` can use it (see
docs/api.md, "Package layering"). Names are imported on first use, so
that `keras_elmo.presets.download` (and its `PresetDownloadError`, which
the command line reports) imports without Keras.
"""

from keras_elmo.utils.lazy_exports import lazy_exports

# Public name -> module that defines it (imported on first access).
_LAZY_EXPORTS = {
    "BASE_URL_ENV": "keras_elmo.presets.builtin_presets",
    "BUILTIN_PRESETS": "keras_elmo.presets.builtin_presets",
    "OFFICIAL_BASE_URL": "keras_elmo.presets.builtin_presets",
    "official_base_url": "keras_elmo.presets.builtin_presets",
    "TIMEOUT_ENV": "keras_elmo.presets.download",
    "PresetDownloadError": "keras_elmo.presets.download",
    "download_file": "keras_elmo.presets.download",
    "LAYER_MIX_FILE": "keras_elmo.presets.preset_directory",
    "METADATA_FILE": "keras_elmo.presets.preset_directory",
    "MODEL_CARD_FILE": "keras_elmo.presets.preset_directory",
    "OPTIONS_FILE": "keras_elmo.presets.preset_directory",
    "VOCABULARY_FILE": "keras_elmo.presets.preset_directory",
    "WARM_STATE_FILE": "keras_elmo.presets.preset_directory",
    "WARM_UP_FILE": "keras_elmo.presets.preset_directory",
    "WEIGHTS_FILE": "keras_elmo.presets.preset_directory",
    "PresetDirectory": "keras_elmo.presets.preset_directory",
    "write_preset": "keras_elmo.presets.preset_directory",
    "builtin_preset_config": "keras_elmo.presets.preset_handles",
    "builtin_preset_metadata": "keras_elmo.presets.preset_handles",
    "resolve_preset": "keras_elmo.presets.preset_handles",
    "cache_dir": "keras_elmo.presets.preset_cache",
    "MANIFEST_FILE": "keras_elmo.presets.preset_cache",
    "is_cached": "keras_elmo.presets.preset_listing",
    "list_presets": "keras_elmo.presets.preset_listing",
    "PresetLoader": "keras_elmo.presets.preset_loader",
    "get_preset_loader": "keras_elmo.presets.preset_loader",
    "UnsafeArchiveError": "keras_elmo.presets.archive_extraction",
}

__all__ = sorted(_LAZY_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY_EXPORTS)
