"""Export a stored ELMo (a preset or the original files): the CLI logic."""

import os

from keras_elmo.export.saved_model import export_saved_model
from keras_elmo.export.tflite import QUANTIZATIONS
from keras_elmo.export.tflite import export_tflite
from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from keras_elmo.models.elmo import ELMo
from keras_elmo.presets.preset_archive import archive_suffix
from keras_elmo.presets.preset_directory import local_preset_path
from keras_elmo.presets.read_only_paths import is_read_only
from keras_elmo.presets.read_only_paths import read_only_roots
from keras_elmo.utils.backend import EXPORT_ELSEWHERE
from keras_elmo.utils.backend import require_tensorflow_backend
from keras_elmo.utils.output_paths import check_output_path

FORMATS = ("saved_model", "tflite")


def _is_read_only_preset_dir(directory):
    # The package, its shipped presets (package data mapped in from
    # saved_models/ in a source checkout) and the download cache belong to
    # keras_elmo: an export never writes there (nor into the model
    # directory whose `preset/` is one of them).
    return is_read_only(directory) or is_read_only(local_preset_path(directory))


def _default_output(format, handle, quantization):
    if os.path.isdir(handle) and _is_read_only_preset_dir(handle):
        raise ValueError(
            f"{handle} is a model shipped with (or downloaded by) "
            "keras_elmo; its folder is not written to. Give the output "
            "path (`output`, `--output`)."
        )
    if os.path.isdir(handle):
        # A user's preset directory holds its TF Serving versions (1/,
        # 2/, ...) and TFLite files.
        base = handle
    else:
        # A built-in name or a URL: never write into the package or the
        # download cache, but to ./saved_models/<name> (TF Serving layout).
        name = handle.rstrip("/").rsplit("/", 1)[-1]
        suffix = archive_suffix(name)  # `161.zip` -> saved_models/161
        name = name[: len(name) - len(suffix)] if suffix else name
        base = os.path.join("saved_models", name)
        if is_read_only(base):
            # Run from a source checkout, ./saved_models/<name> is the
            # shipped model's own folder.
            raise ValueError(
                f"The default output of {handle}, {base}, is the folder of "
                "a model shipped with keras_elmo, which is not written to. "
                "Give the output path (`output`, `--output`)."
            )
    if format == "saved_model":
        return base
    suffix = f"_{quantization}" if quantization else ""
    return os.path.join(base, f"elmo{suffix}.tflite")


def export_from_files(
    format,
    output=None,
    model=None,
    options_file=None,
    weight_file=None,
    version=None,
    quantization=None,
    initial_state="zeros",
    **limits,
):
    """Load an ELMo from files and export it as a SavedModel or TFLite.

    Args:
        format: str. `"saved_model"` (a TF Serving version directory, see
            `export_saved_model`) or `"tflite"` (see `export_tflite`).
        output: str or None. The SavedModel base path (versions are written
            under it) or the `.tflite` file. With `model`, defaults to the
            preset directory itself (SavedModel) or `elmo[_<quantization>]
            .tflite` inside it, and for a built-in name or URL to
            `saved_models/<name>` under the working directory; required
            with `options_file`, and for a directory inside the package or
            the download cache (never written to).
        model: str or None. A preset handle: a built-in name, a preset
            directory or a URL (see `keras_elmo.ELMo.from_preset`); its
            trained `layer_mix.json`, if any, gives the `elmo` output, and
            its `text_tokenizer.json` goes into the SavedModel's
            `assets.extra/` for clients.
        options_file: str or None. An original `options.json`, with
            `weight_file` (instead of `model`).
        weight_file: str or None. The original hdf5 weights.
        version: int or None. SavedModel version; `None` for the next one.
        quantization: None, `"dynamic"` or `"float16"`. TFLite only.
        initial_state: str. `"zeros"`, or `"warm"`: the exported model
            starts every sentence from the preset's `warm_state.npz`
            (`model` only; see docs/determinism.md). Defaults to `"zeros"`.
        **limits: SavedModel only: `max_tokens_per_request`,
            `max_bytes_per_string` (see `export_saved_model`).

    Returns:
        str, the path written.

    Example:

    ```python
    export_from_files("saved_model", "/models/elmo",
                      options_file="options.json", weight_file="w.hdf5")
    ```
    """
    if format not in FORMATS:
        raise ValueError(
            f"`format` must be one of {FORMATS}. Received: format={format!r}"
        )
    if quantization not in QUANTIZATIONS:
        raise ValueError(
            f"`quantization` must be one of {QUANTIZATIONS}. Received: "
            f"quantization={quantization!r}"
        )
    # Before the (long) load: another backend, or no TensorFlow at all.
    require_tensorflow_backend(
        {"saved_model": "SavedModel export", "tflite": "TFLite export"}[format],
        EXPORT_ELSEWHERE,
    )
    if format == "saved_model" and quantization is not None:
        raise ValueError(
            "`quantization` applies to the tflite format only. Received: "
            f"format={format!r}, quantization={quantization!r}"
        )
    if format == "tflite" and version is not None:
        raise ValueError(
            "`version` applies to the saved_model format only. Received: "
            f"format={format!r}, version={version!r}"
        )
    if format == "tflite" and limits:
        raise ValueError(
            "Request limits apply to the saved_model format only (a TFLite "
            f"model takes char ids). Received: {sorted(limits)}"
        )
    if (model is None) == (options_file is None):
        raise ValueError(
            "Give either `model` (a preset name, directory or URL) or "
            "`options_file` with `weight_file`. Received: "
            f"model={model!r}, options_file={options_file!r}"
        )
    if initial_state != "zeros" and model is None:
        raise ValueError(
            "`initial_state='warm'` needs `model` (a preset with a "
            f"warm_state.npz). Received: options_file={options_file!r}"
        )
    if model is not None and output is None:
        output = _default_output(format, str(model), quantization)
    if output is not None:
        # Checked before the (long) load and conversion.
        check_output_path(
            output,
            inputs=[path for path in (options_file, weight_file) if path],
            kind="parent" if format == "saved_model" else "file",
            argument="output",
            read_only_roots=read_only_roots(),
        )
    if model is not None:
        embedder = ELMoEmbedder.from_preset(model, initial_state=initial_state)
        elmo, layer_mix = embedder.model, embedder.layer_mix
        text_tokenizer = embedder.text_tokenizer
        # A character-vocabulary model (ELMoForManyLangs) brings its own
        # in-graph tokenizer; None is bilm-tf's UTF-8 bytes.
        character_tokenizer = embedder.tokenizer
    else:
        if weight_file is None:
            raise ValueError("`options_file` needs `weight_file` (the hdf5).")
        if output is None:
            raise ValueError(
                "`output` is required when exporting from `options_file`."
            )
        elmo = ELMo.from_bilm_hdf5(options_file, weight_file)
        layer_mix = text_tokenizer = character_tokenizer = None
    if format == "saved_model":
        return export_saved_model(
            elmo,
            output,
            version=version,
            layer_mix=layer_mix,
            text_tokenizer=text_tokenizer,
            character_tokenizer=character_tokenizer,
            **limits,
        )
    return export_tflite(
        elmo, output, quantization=quantization, layer_mix=layer_mix
    )
