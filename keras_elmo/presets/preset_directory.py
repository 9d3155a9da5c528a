"""The preset directory: every file name of a stored ELMo, read and written.

A preset directory holds:

    options.json    the architecture, in the original bilm-tf format
    weights.hdf5    the weights, in the original bilm-tf layout (loads in
                    bilm-tf and AllenNLP too); a trained language model
                    adds its softmax as `softmax/W` and `softmax/b`
    vocabulary.txt  optional: one token a line (the softmax rows, or the
                    token-embedding-cache vocabulary)
    layer_mix.json  optional: a trained `WeightedLayerMix` for the `elmo`
                    output (`{"scalar_weights": [...], "gamma": [...]}`)
    text_tokenizer.json  optional: the `TextTokenizer` that cut the
                    training corpus into words (raw text in; Python side)
    metadata.json   optional: name, language, parameters, training data,
                    license, measured numbers
    warm_state.npz  optional: the warm initial LSTM state
                    (`ELMo(initial_state="warm")`), one float32 vector per
                    `BiLM.warm_state_names()` name, and `warm_up_sha256`
                    (`keras_elmo.presets.warm_state` reads and writes it)
    warm_up.txt     optional: the warm-up text the warm state was read
                    from (one whitespace-tokenized sentence a line)
    README.md       optional: the model card

This module only handles files; the model classes build and fill models
from them (`ELMo.from_preset`, `save_to_preset`).
"""

import contextlib
import json
import os
from pathlib import Path

import numpy as np

from keras_elmo.conversion.bilm_hdf5 import has_softmax
from keras_elmo.conversion.bilm_options import options_to_config
from keras_elmo.conversion.bilm_options import read_options
from keras_elmo.preprocessing.text_tokenizer import TEXT_TOKENIZER_FILE
from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
from keras_elmo.preprocessing.word_vocabulary import load_vocabulary
from keras_elmo.preprocessing.word_vocabulary import save_vocabulary
from keras_elmo.utils.atomic import atomic_path
from keras_elmo.utils.validation import check_finite

OPTIONS_FILE = "options.json"
WEIGHTS_FILE = "weights.hdf5"
VOCABULARY_FILE = "vocabulary.txt"
LAYER_MIX_FILE = "layer_mix.json"
METADATA_FILE = "metadata.json"
MODEL_CARD_FILE = "README.md"
WARM_STATE_FILE = "warm_state.npz"
WARM_UP_FILE = "warm_up.txt"
REQUIRED_FILES = (OPTIONS_FILE, WEIGHTS_FILE)
# Where a model directory in the TF Serving layout (1/, 2/, ...) may keep
# its preset, as `saved_models/elmo_tiny_en/` does.
NESTED_PRESET_DIR = "preset"
OPTIONAL_FILES = (
    METADATA_FILE,
    LAYER_MIX_FILE,
    TEXT_TOKENIZER_FILE,
    MODEL_CARD_FILE,
    WARM_STATE_FILE,
    WARM_UP_FILE,
)


class PresetDirectory:
    """A local preset directory (possibly a download cache), read by name.

    Args:
        path: str or path-like. The directory.
        handle: str. What the user asked for, named in errors. Defaults
            to `path`.
        fetch: callable `(file_name) -> Path or None` that downloads a file
            the directory lacks (remote presets), or `None`.
        metadata: dict or `None`. Metadata known without a file (built-in
            presets); `metadata.json` entries take precedence.

    Example:

    ```python
    preset = PresetDirectory("saved_models/my_elmo")
    config = preset.config()
    ```
    """

    def __init__(self, path, handle=None, fetch=None, metadata=None):
        self.path = Path(path)
        self.handle = str(handle if handle is not None else path)
        self._fetch = fetch
        self._metadata = dict(metadata or {})

    def __repr__(self):
        return f"PresetDirectory({self.handle!r}, path={str(self.path)!r})"

    def file(self, name, required=True):
        """The local path of one of the preset's files.

        Args:
            name: str. A file name, e.g. `VOCABULARY_FILE`.
            required: bool. Raise if the preset has no such file; otherwise
                return `None`. Defaults to `True`.

        Returns:
            A `Path`, or `None` for a missing optional file.
        """
        path = self.path / name
        if path.is_file():
            return path
        if self._fetch is not None:
            fetched = self._fetch(name)
            if fetched is not None:
                return fetched
        if required:
            raise FileNotFoundError(
                f"The ELMo preset {self.handle!r} has no {name} "
                f"(looked in {self.path})."
            )
        return None

    @property
    def options_file(self):
        return self.file(OPTIONS_FILE)

    @property
    def weights_file(self):
        return self.file(WEIGHTS_FILE)

    def options(self):
        """The validated options.json dict."""
        return read_options(self.options_file)

    def config(self):
        """The `ELMo` architecture arguments of the preset."""
        return options_to_config(self.options(), source=str(self.options_file))

    def metadata(self):
        """The metadata dict (`{}` if the preset has none)."""
        metadata = dict(self._metadata)
        path = self.file(METADATA_FILE, required=False)
        if path is not None:
            values = _read_json(path)
            if not isinstance(values, dict):
                raise ValueError(
                    f"{path} must hold a JSON object (names to values); it "
                    f"holds a {type(values).__name__}."
                )
            metadata.update(values)
        return metadata

    def layer_mix(self):
        """The trained layer mix, as `(scalar_weights, gamma)` arrays, or
        `None` when the preset has no `layer_mix.json`."""
        path = self.file(LAYER_MIX_FILE, required=False)
        if path is None:
            return None
        mix = _read_json(path)
        try:
            scalars = np.asarray(mix["scalar_weights"], "float32")
            gamma = np.asarray(mix["gamma"], "float32").reshape((1,))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(
                f"{path} must hold 'scalar_weights' (a list of numbers) and "
                f"'gamma' (a number or a list of one). Problem: {error!r}"
            ) from None
        if scalars.ndim != 1:
            raise ValueError(
                f"'scalar_weights' in {path} must be a list of numbers. "
                f"Received shape: {scalars.shape}"
            )
        check_finite(scalars, path, "scalar_weights")
        check_finite(gamma, path, "gamma")
        return scalars, gamma

    def text_tokenizer(self):
        """The preset's `TextTokenizer` (`text_tokenizer.json`), or None."""
        path = self.file(TEXT_TOKENIZER_FILE, required=False)
        return None if path is None else TextTokenizer.from_file(path)

    def has_softmax(self):
        """Whether the weights include a language model's softmax."""
        return has_softmax(self.weights_file)

    def vocabulary_file(self, required=True):
        """The path of `vocabulary.txt` (or `None` if absent, optional)."""
        return self.file(VOCABULARY_FILE, required=required)

    def vocabulary(self):
        """The tokens of `vocabulary.txt` (see `load_vocabulary`)."""
        return load_vocabulary(self.vocabulary_file())


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not valid JSON: {error}") from None


def local_preset_path(path):
    """The preset directory that a local directory names.

    `path` itself when it holds a preset; else its `preset/` subdirectory
    when that does: a model directory in the TF Serving layout keeps its
    versions (`1/`, `2/`, ...) beside its preset there, and either directory
    names the model (`saved_models/elmo_tiny_en` and
    `saved_models/elmo_tiny_en/preset`).

    Args:
        path: str or path-like. A local directory.

    Returns:
        str: the directory to check and load (`path` when neither holds a
        preset, so that the error names what was given).

    Example:

    >>> local_preset_path("saved_models/elmo_tiny_en")
    'saved_models/elmo_tiny_en/preset'
    """
    path = os.fspath(path)
    nested = os.path.join(path, NESTED_PRESET_DIR)
    if not os.path.isfile(os.path.join(path, OPTIONS_FILE)) and os.path.isfile(
        os.path.join(nested, OPTIONS_FILE)
    ):
        return nested
    return path


def check_preset_directory(path, handle=None):
    """Check that a directory holds the required preset files.

    Raises:
        FileNotFoundError: naming the directory and the missing files.
    """
    path = Path(path)
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{str(handle or path)!r} is not an ELMo preset directory: "
            f"{path} lacks {', '.join(missing)} (a preset holds "
            f"{' and '.join(REQUIRED_FILES)}, see docs/presets.md)."
        )


# The files of the keras-hub layout (`keras_preset.py`), for
# `check_replaceable`: a preset of either layout may replace the other.
KERAS_LAYOUT_FILES = ("config.json", "model.weights.h5", "tokenizer.json")


def check_replaceable(directory):
    """Raise unless `directory` may be replaced by a new preset.

    An existing directory is replaced as a whole only when keras_elmo wrote
    it: empty, or holding a preset (`options.json` and `weights.hdf5`, or
    a keras-layout `metadata.json`) and nothing but preset files. Anything
    else (a training run, the user's own files beside a preset, TF Serving
    versions) would be lost, so it is refused.

    Args:
        directory: str or path-like.

    Raises:
        FileExistsError: naming the directory and what it holds.
        NotADirectoryError: `directory` is a file.

    Example:

    >>> check_replaceable("my_elmo")  # a preset, or absent: no error
    """
    directory = os.fspath(directory)
    if not os.path.lexists(directory):
        return
    if not os.path.isdir(directory):
        raise NotADirectoryError(
            f"{directory} exists and is not a directory; a preset is one."
        )
    names = {name for name in os.listdir(directory) if not name.startswith(".")}
    known = {*REQUIRED_FILES, VOCABULARY_FILE, *OPTIONAL_FILES}
    known.update(KERAS_LAYOUT_FILES)
    is_preset = set(REQUIRED_FILES) <= names or METADATA_FILE in names
    foreign = sorted(names - known)
    if names and (foreign or not is_preset):
        shown = ", ".join(foreign[:5] or sorted(names)[:5])
        raise FileExistsError(
            f"{directory} exists and is not a preset written by keras_elmo "
            f"(it holds {shown}); writing a preset there would replace it "
            "as a whole. Give a new or empty directory."
        )


class PresetWriter:
    """The files of a preset directory being written (see `write_preset`).

    Attributes:
        path: `Path` of the temporary directory that becomes the preset.
        options_file, weights_file: where the model writes its files.
    """

    def __init__(self, path):
        self.path = Path(path)
        self.options_file = self.path / OPTIONS_FILE
        self.weights_file = self.path / WEIGHTS_FILE

    def write_json(self, name, value):
        with open(self.path / name, "w", encoding="utf-8") as f:
            json.dump(value, f, indent=2, sort_keys=True)
            f.write("\n")

    def write_layer_mix(self, scalar_weights, gamma):
        """Write `layer_mix.json` from the mix's arrays."""
        self.write_json(
            LAYER_MIX_FILE,
            {
                "scalar_weights": [float(v) for v in np.ravel(scalar_weights)],
                "gamma": [float(v) for v in np.ravel(gamma)],
            },
        )

    def write_text_tokenizer(self, text_tokenizer):
        """Write `text_tokenizer.json` (a `TextTokenizer`'s config)."""
        text_tokenizer.save(self.path)

    def write_metadata(self, metadata):
        self.write_json(METADATA_FILE, metadata)

    def write_vocabulary(self, tokens):
        save_vocabulary(tokens, self.path / VOCABULARY_FILE)

    def copy_file(self, name, source):
        """Copy a file (e.g. the model card) into the preset, as `name`."""
        with open(source, "rb") as src, open(self.path / name, "wb") as dst:
            dst.write(src.read())


@contextlib.contextmanager
def write_preset(directory):
    """Write a preset directory atomically.

    The files go to a temporary directory next to `directory`, which
    replaces `directory` only when the block ends without error: readers
    see the old preset or the complete new one, never a mix. An existing
    `directory` is replaced only if keras_elmo wrote it (see
    `check_replaceable`).

    Args:
        directory: str or path-like. The preset directory to (re)write.

    Yields:
        A `PresetWriter`.

    Example:

    ```python
    with write_preset("my_elmo") as writer:
        model.save_bilm_hdf5(writer.weights_file, writer.options_file)
    ```
    """
    directory = os.fspath(directory)
    check_replaceable(directory)
    with atomic_path(directory, directory=True) as tmp:
        os.makedirs(tmp, exist_ok=True)
        yield PresetWriter(tmp)
