"""The `elmo_tiny_en` preset's files (the model card is README.md).

They live here, beside the model's TF Serving versions, because the weights
are too large for the source tree; `setup.cfg` installs this directory as
the package `keras_elmo.presets.elmo_tiny_en`, so the preset loads by
name: `keras_elmo.ELMo.from_preset("elmo_tiny_en")`.
"""
