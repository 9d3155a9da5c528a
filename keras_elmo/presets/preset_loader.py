"""One loader for every preset format, behind every class's `from_preset`.

After keras-hub's `preset_utils.get_preset_loader`: `get_preset_loader`
looks at a handle once and returns the `PresetLoader` of its format:

- `BilmPresetLoader`: bilm-tf files (`options.json`, `weights.hdf5`, and
  the optional `vocabulary.txt`, `layer_mix.json`, ...): a built-in name,
  a local directory, a `file://` or `http(s)://` URL of one;
- `KerasPresetLoader`: the Keras layout (`config.json`,
  `model.weights.h5`, `tokenizer.json`) of models with no bilm-tf form;
- `ElmoForManyLangsPresetLoader`: an ELMoForManyLangs model directory;
- archives (a zip or tar, by URL, path or built-in name): downloaded once,
  extracted safely into the cache (`keras_elmo.presets.preset_archive`)
  and handed to the loader of the directory they hold.

Every loader has `load_elmo(cls, load_weights, **kwargs)` and the loaders
of the parts a class may need: `load_layer_mix`, `load_vocabulary`,
`has_softmax`/`load_softmax`, `load_tokenizer` (the character tokenizer of
vocabulary models), `load_text_tokenizer` and `load_warm_state`. The model
classes pass themselves in (`cls`), so this package imports none of them.
A built-in name downloads nothing until a file is needed:
`load_elmo(cls, load_weights=False)` builds from the entry's architecture.
"""

import functools
import os

from keras_elmo.conversion.bilm_hdf5 import load_bilm_weights
from keras_elmo.conversion.bilm_hdf5 import load_softmax_weights
from keras_elmo.conversion.bilm_hdf5 import softmax_rows
from keras_elmo.conversion.elmoformanylangs import elmoformanylangs_tokenizer
from keras_elmo.conversion.elmoformanylangs import is_elmoformanylangs_dir
from keras_elmo.conversion.elmoformanylangs import load_elmoformanylangs_weights
from keras_elmo.conversion.elmoformanylangs import read_elmoformanylangs
from keras_elmo.presets.archive_extraction import is_archive_file
from keras_elmo.presets.builtin_presets import BUILTIN_PRESETS
from keras_elmo.presets.builtin_presets import entry_format
from keras_elmo.presets.keras_preset import is_keras_preset
from keras_elmo.presets.keras_preset import read_keras_preset
from keras_elmo.presets.keras_preset import read_preset_tokenizer
from keras_elmo.presets.preset_archive import ARCHIVE_FORMATS
from keras_elmo.presets.preset_archive import ELMOFORMANYLANGS_ARCHIVE
from keras_elmo.presets.preset_archive import archive_suffix
from keras_elmo.presets.preset_directory import LAYER_MIX_FILE
from keras_elmo.presets.preset_directory import WARM_STATE_FILE
from keras_elmo.presets.preset_directory import PresetDirectory
from keras_elmo.presets.preset_directory import local_preset_path
from keras_elmo.presets.preset_handles import builtin_archive
from keras_elmo.presets.preset_handles import builtin_files_preset
from keras_elmo.presets.preset_handles import builtin_preset_config
from keras_elmo.presets.preset_handles import check_handle
from keras_elmo.presets.preset_handles import file_url_path
from keras_elmo.presets.preset_handles import is_url
from keras_elmo.presets.preset_handles import local_archive
from keras_elmo.presets.preset_handles import local_bilm_preset
from keras_elmo.presets.preset_handles import unknown_handle_error
from keras_elmo.presets.preset_handles import url_archive
from keras_elmo.presets.preset_handles import url_files_preset
from keras_elmo.presets.preset_handles import url_scheme
from keras_elmo.presets.warm_state import read_warm_state


class PresetLoader:
    """Loads the parts of one preset (subclassed per format).

    Args:
        handle: str. What the user asked for (named in errors).
        resolve: callable `() -> path or PresetDirectory`, run once, when
            a file is first needed (a download, for remote presets).
        config: dict or `None`. The architecture known without files (a
            built-in entry's): `load_elmo(cls, load_weights=False)` uses it.
        metadata: dict or `None`. Metadata known without files.

    Example:

    ```python
    loader = get_preset_loader("elmo_tiny_en")
    elmo = loader.load_elmo(keras_elmo.ELMo, load_weights=True)
    mix = loader.load_layer_mix()
    ```
    """

    format = None

    def __init__(self, handle, resolve, config=None, metadata=None):
        self.handle = handle
        self._resolve = resolve
        self._config = config
        self._metadata = dict(metadata or {})

    def __repr__(self):
        return f"{type(self).__name__}({self.handle!r})"

    @functools.cached_property
    def preset(self):
        """The local `PresetDirectory` (downloaded on first access)."""
        resolved = self._resolve()
        if isinstance(resolved, PresetDirectory):
            return resolved
        return PresetDirectory(resolved, self.handle, metadata=self._metadata)

    @property
    def directory(self):
        """The local directory of the preset's files."""
        return self.preset.path

    # === The model ===

    def config(self):
        """The `ELMo` architecture arguments of the preset's files."""
        raise NotImplementedError

    def load_weights(self, model):
        """Fill a model built from `config()` with the preset's weights."""
        raise NotImplementedError

    def load_elmo(self, cls, load_weights=True, **kwargs):
        """An `ELMo` (or subclass) of the preset.

        Args:
            cls: the model class, `keras_elmo.ELMo` or a subclass.
            load_weights: bool. Load the trained weights (and, for
                `initial_state="warm"`, the warm state); `False` builds
                the architecture with fresh weights.
            **kwargs: other constructor arguments (`initial_state`,
                `stateful`, `dtype`, `name`, ...), which win over the
                preset's.

        Returns:
            The model.
        """
        if not load_weights and self._config is not None:
            config = self._config
        else:
            config = self.config()
        model = cls(**{**config, **kwargs})
        if load_weights:
            self.load_weights(model)
            if model.initial_state == "warm":
                model.set_warm_state(self.load_warm_state())
        return model

    # === The other parts ===

    def metadata(self):
        """The preset's metadata dict (entry and `metadata.json`)."""
        return self.preset.metadata()

    def load_layer_mix(self):
        """The trained mix as `(scalar_weights, gamma)`, or `None`."""
        return self.preset.layer_mix()

    def layer_mix_file(self):
        """The path of `layer_mix.json` (named in errors)."""
        return self.preset.file(LAYER_MIX_FILE, required=False)

    def load_vocabulary(self):
        """The tokens of `vocabulary.txt` (softmax rows or cache words)."""
        return self.preset.vocabulary()

    def load_text_tokenizer(self):
        """The `TextTokenizer` of raw strings, or `None`."""
        return self.preset.text_tokenizer()

    def load_tokenizer(self):
        """The character tokenizer that makes the model's ids, or `None`
        for bilm-tf's UTF-8 bytes."""
        return None

    def load_warm_state(self):
        """The warm initial state (`warm_state.npz`) as a dict."""
        return read_warm_state(self.preset.file(WARM_STATE_FILE))

    def has_softmax(self):
        """Whether the preset holds a language model's softmax."""
        return False

    def softmax_rows(self):
        """The softmax's vocabulary size."""
        raise self.no_softmax_error()

    def load_softmax(self, softmax):
        """Fill a `SampledSoftmaxHead` with the preset's softmax."""
        raise self.no_softmax_error()

    def no_softmax_error(self):
        """The error for a preset without a softmax (naming it)."""
        return ValueError(
            f"The ELMo preset {self.handle!r} has no softmax "
            "(`softmax/W` and `softmax/b` in its weights.hdf5): it is a "
            "biLM for embeddings (use `keras_elmo.ELMo.from_preset`). A "
            "language model needs a preset written by "
            "`ELMoLanguageModel.save_to_preset` or `keras-elmo train`."
        )


class BilmPresetLoader(PresetLoader):
    """A preset of bilm-tf files: `options.json` + `weights.hdf5` (and
    the optional files of `keras_elmo.presets.preset_directory`)."""

    format = "bilm_tf"

    def config(self):
        return self.preset.config()

    def load_weights(self, model):
        load_bilm_weights(model, self.preset.weights_file)

    def has_softmax(self):
        return self.preset.has_softmax()

    def softmax_rows(self):
        if not self.has_softmax():
            raise self.no_softmax_error()
        return softmax_rows(self.preset.weights_file)

    def load_softmax(self, softmax):
        if not self.has_softmax():
            raise self.no_softmax_error()
        load_softmax_weights(softmax, self.preset.weights_file)


class KerasPresetLoader(PresetLoader):
    """A Keras-layout preset (`keras_elmo.presets.keras_preset`)."""

    format = "keras"

    @functools.cached_property
    def _files(self):
        return read_keras_preset(self.directory)

    def config(self):
        return dict(self._files[0])

    def load_weights(self, model):
        config, weights_file = self._files
        if all(
            getattr(model, key) == config.get(key, getattr(model, key))
            for key in _STATE_ARGUMENTS
        ):
            model.load_weights(weights_file)
            return
        # Another initial state (or statefulness) than the saved model's
        # adds or drops state variables, which `load_weights` refuses:
        # load the saved model, then copy its variables by path.
        saved = type(model)(**config)
        saved.load_weights(weights_file)
        values = {_relative_path(v): v for v in saved.weights}
        for variable in model.weights:
            value = values.get(_relative_path(variable))
            if value is not None:
                variable.assign(value)

    def load_tokenizer(self):
        return read_preset_tokenizer(self.directory)


# `ELMo` arguments that add state variables to the model (not weights).
_STATE_ARGUMENTS = ("initial_state", "stateful", "max_batch_size")


def _relative_path(variable):
    # The path without the model's own name (which `name=` may change).
    return variable.path.split("/", 1)[-1]


class ElmoForManyLangsPresetLoader(PresetLoader):
    """An ELMoForManyLangs model directory, read directly (no torch)."""

    format = "elmoformanylangs"

    @functools.cached_property
    def source(self):
        """The `ElmoForManyLangsModel` read from the directory."""
        return read_elmoformanylangs(self.directory)

    def config(self):
        return dict(self.source.arguments)

    def load_weights(self, model):
        load_elmoformanylangs_weights(model, self.source)

    def load_tokenizer(self):
        return elmoformanylangs_tokenizer(self.source)


def _directory_loader(path, handle, metadata=None):
    """The loader of a local directory, by what it holds."""
    if is_elmoformanylangs_dir(path):
        cls = ElmoForManyLangsPresetLoader
    elif is_keras_preset(path):
        cls = KerasPresetLoader
    else:
        preset = local_bilm_preset(path, handle)
        if metadata:
            preset = PresetDirectory(preset.path, handle, metadata=metadata)
        return BilmPresetLoader(handle, lambda: preset)
    return cls(handle, lambda: path, metadata=metadata)


def _archive_loader(handle, resolved, metadata=None):
    directory, fmt = resolved
    if fmt == ELMOFORMANYLANGS_ARCHIVE:
        return ElmoForManyLangsPresetLoader(
            handle, lambda: directory, metadata=metadata
        )
    return _directory_loader(directory, handle, metadata)


def _builtin_loader(name, progress):
    entry = BUILTIN_PRESETS[name]
    fmt = entry_format(entry)
    metadata = dict(entry.get("metadata") or {}, name=name)
    if fmt == "package":
        return BilmPresetLoader(name, lambda: builtin_files_preset(name))
    config = builtin_preset_config(name)
    if fmt in ARCHIVE_FORMATS:
        cls = (
            ElmoForManyLangsPresetLoader
            if fmt == ELMOFORMANYLANGS_ARCHIVE
            else BilmPresetLoader
        )
        if fmt == ELMOFORMANYLANGS_ARCHIVE and "num_characters" not in config:
            config = None  # the vocabulary sizes come with the files

        def resolve():
            return builtin_archive(name, progress)[0]

        return cls(name, resolve, config=config, metadata=metadata)
    return BilmPresetLoader(
        name, lambda: builtin_files_preset(name, progress), config=config
    )


def get_preset_loader(handle, progress=True):
    """The `PresetLoader` of a handle's format (no download yet for a
    built-in name).

    Args:
        handle: str or path-like. A built-in name; a local directory (a
            bilm-tf preset, a Keras-layout preset, an ELMoForManyLangs
            model directory, or a model directory with its preset in
            `preset/`); a local zip or tar archive of one; or a
            `file://`, `http://` or `https://` URL of any of these (an
            archive URL ends in `.zip`, `.tar.gz`, ...).
        progress: bool. Show download progress bars. Defaults to `True`.

    Returns:
        A `PresetLoader`.

    Raises:
        ValueError: an unknown handle.

    Example:

    ```python
    loader = get_preset_loader("https://host/161.zip")  # an archive
    model = loader.load_elmo(keras_elmo.ELMo)
    tokenizer = loader.load_tokenizer()
    ```
    """
    handle = check_handle(handle)
    if handle in BUILTIN_PRESETS:
        return _builtin_loader(handle, progress)
    if is_url(handle):
        if url_scheme(handle) == "file":
            path = file_url_path(handle)
            if is_archive_file(path):
                return _archive_loader(
                    handle, local_archive(path, handle, progress)
                )
            return _directory_loader(local_preset_path(path), handle)
        if archive_suffix(handle):
            return _archive_loader(handle, url_archive(handle, progress))
        return BilmPresetLoader(
            handle, functools.partial(url_files_preset, handle, progress)
        )
    if os.path.isdir(handle):
        return _directory_loader(local_preset_path(handle), handle)
    if is_archive_file(handle):
        return _archive_loader(handle, local_archive(handle, handle, progress))
    raise unknown_handle_error(handle)
