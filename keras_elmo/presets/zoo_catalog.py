"""The zoo: every other public ELMo by name (data only, no code).

`ZOO_PRESETS` maps a preset name (keras-hub's pattern,
`elmo_manylangs_ko`) to an entry that `builtin_presets` merges into the
built-in registry:

- `metadata`: `description`, `language` (ISO code, e.g. `"ko"`),
  `language_name`, `training_data`, `license`, `parameters` (int or
  `None`), `source` (the public page where the download address was read),
  `reference` (the paper), ...;
- `config`: the `ELMo` constructor arguments (the keys of the official
  entries; for ELMoForManyLangs models those of
  `keras_elmo.conversion.elmoformanylangs.config_to_arguments`, where the
  vocabulary-size dependent ones may be left out);
- `format`: `"elmoformanylangs_archive"`, `"bilm_tf_archive"` or
  `"bilm_tf_files"`;
- `url`: the archive's URL, or for `"bilm_tf_files"` a dict of preset
  file name (`options.json`, `weights.hdf5`, ...) -> absolute URL;
- `sha256`: the archive's published SHA-256, or `None` where the source
  publishes none.
"""

ZOO_PRESETS = {}
