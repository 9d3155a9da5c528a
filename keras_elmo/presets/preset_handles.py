"""Preset handles -> local preset directories (download and cache).

A handle is one of:

- a built-in name (`keras_elmo.ELMo.presets`): the shipped model is a
  directory inside the package; the official models are downloaded;
- a local directory holding `options.json` and `weights.hdf5`;
- a `file://` URL of such a directory;
- an `http://` or `https://` URL of such a directory, whose files are
  fetched by name (`<url>/options.json`, ...).

Downloads go to `$KERAS_HOME/keras_elmo/` (`~/.keras/keras_elmo/` by
default), one directory per preset. A preset is complete in the cache when
its manifest (`.keras_elmo_preset.json`) exists; it is written last, after
every file has been renamed into place and checked (options valid, every
weight dataset present with its shape), so an interrupted download is
finished by the next call, and a complete one is reused with no network.
Delete the directory to download again.
"""

import hashlib
import json
import os
import re
import urllib.parse
import urllib.request
from pathlib import Path

from keras_elmo.conversion.bilm_hdf5 import check_weight_file
from keras_elmo.conversion.bilm_options import options_to_config
from keras_elmo.conversion.bilm_options import read_options
from keras_elmo.presets.builtin_presets import BASE_URL_ENV
from keras_elmo.presets.builtin_presets import BUILTIN_PRESETS
from keras_elmo.presets.builtin_presets import current_preset_name
from keras_elmo.presets.builtin_presets import official_base_url
from keras_elmo.presets.builtin_presets import package_preset_dir
from keras_elmo.presets.download import PresetFileNotFoundError
from keras_elmo.presets.download import download_file
from keras_elmo.presets.preset_directory import OPTIONAL_FILES
from keras_elmo.presets.preset_directory import OPTIONS_FILE
from keras_elmo.presets.preset_directory import REQUIRED_FILES
from keras_elmo.presets.preset_directory import VOCABULARY_FILE
from keras_elmo.presets.preset_directory import WEIGHTS_FILE
from keras_elmo.presets.preset_directory import PresetDirectory
from keras_elmo.presets.preset_directory import check_preset_directory
from keras_elmo.presets.preset_directory import local_preset_path
from keras_elmo.utils.atomic import atomic_path

MANIFEST_FILE = ".keras_elmo_preset.json"
CACHE_SUBDIR = "keras_elmo"


def cache_dir():
    """Where downloaded presets are kept: `$KERAS_HOME/keras_elmo`.

    Example:

    >>> cache_dir()
    PosixPath('/home/me/.keras/keras_elmo')
    """
    keras_home = os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )
    return Path(keras_home) / CACHE_SUBDIR


def _help_text(handle):
    return (
        "Without a network, download the files another way, put them in a "
        f"directory as {OPTIONS_FILE} and {WEIGHTS_FILE}, and load that "
        "directory: keras_elmo.ELMo.from_preset('/path/to/dir') (or "
        "keras_elmo.ELMo.from_bilm_hdf5(options_file, weight_file)); "
        f"${BASE_URL_ENV} redirects the official models to a mirror "
        "(see docs/presets.md)."
    )


def _url_cache_name(url):
    # Readable and unique: the last path component and a hash of the URL.
    tail = url.rstrip("/").rsplit("/", 1)[-1] or "preset"
    tail = re.sub(r"[^A-Za-z0-9._-]", "_", tail)[:40]
    return f"{tail}-{hashlib.sha256(url.encode()).hexdigest()[:12]}"


class _RemotePreset:
    """Downloads the files of a remote preset into its cache directory."""

    def __init__(self, handle, directory, urls, eager, progress):
        self.handle = handle
        self.directory = Path(directory)
        self.urls = urls  # file name -> URL
        self.eager = eager  # names fetched before the preset is complete
        self.progress = progress

    @property
    def manifest_path(self):
        return self.directory / MANIFEST_FILE

    def manifest(self):
        if not self.manifest_path.is_file():
            return None
        with open(self.manifest_path, encoding="utf-8") as f:
            return json.load(f)

    def download(self, name):
        path = self.directory / name
        download_file(
            self.urls[name],
            path,
            progress=self.progress,
            help_text=_help_text(self.handle),
        )
        return path

    def ensure_complete(self):
        if self.manifest() is not None:
            return
        absent = []
        for name in self.eager:
            if (self.directory / name).is_file():
                continue  # renamed into place: complete
            try:
                self.download(name)
            except PresetFileNotFoundError:
                if name in REQUIRED_FILES:
                    raise FileNotFoundError(
                        f"The ELMo preset {self.handle!r} has no {name}: "
                        f"{self.urls[name]} does not exist (HTTP 404)."
                    ) from None
                absent.append(name)
        self._check()
        with atomic_path(self.manifest_path) as tmp:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(
                    {
                        "handle": self.handle,
                        "urls": self.urls,
                        "absent": absent,
                    },
                    f,
                    indent=2,
                    sort_keys=True,
                )

    def _check(self):
        # A file that is not an ELMo (an HTML error page, another model) is
        # removed, so that the next call downloads it again.
        try:
            config = options_to_config(
                read_options(self.directory / OPTIONS_FILE),
                source=self.urls[OPTIONS_FILE],
            )
        except ValueError as error:
            os.remove(self.directory / OPTIONS_FILE)
            raise ValueError(
                f"The downloaded options of {self.handle!r} are invalid: "
                f"{error}"
            ) from None
        try:
            check_weight_file(self.directory / WEIGHTS_FILE, config)
        except ValueError as error:
            os.remove(self.directory / WEIGHTS_FILE)
            raise ValueError(
                f"The weights downloaded from {self.urls[WEIGHTS_FILE]} do "
                f"not match the preset's options: {error}"
            ) from None

    def fetch(self, name):
        """A file the cache lacks: downloaded if the preset has it."""
        if name not in self.urls:
            return None
        manifest = self.manifest() or {}
        if name in manifest.get("absent", ()):
            return None
        try:
            return self.download(name)
        except PresetFileNotFoundError:
            return None


def _is_url(handle):
    return isinstance(handle, str) and re.match(r"^[a-zA-Z][\w+.-]*://", handle)


def resolve_preset(handle, progress=True):
    """The local `PresetDirectory` of a preset handle, downloading if needed.

    Args:
        handle: str or path-like. A built-in name, a local directory (a
            preset, or a model directory with its preset in `preset/`), or
            a `file://`, `http://` or `https://` URL of a preset directory.
        progress: bool. Show download progress bars. Defaults to `True`.

    Returns:
        A `PresetDirectory`.

    Raises:
        ValueError: an unknown handle, or downloaded files that are not an
            ELMo.
        FileNotFoundError: a directory without the preset files.
        keras_elmo.presets.PresetDownloadError: a download failed (no
            network: within `$KERAS_ELMO_DOWNLOAD_TIMEOUT` seconds); the
            message names the URL and how to load files fetched otherwise.

    Example:

    ```python
    preset = resolve_preset("elmo_small_en")  # downloads once, then cached
    preset.weights_file
    ```
    """
    if isinstance(handle, os.PathLike):
        handle = os.fspath(handle)
    if not isinstance(handle, str) or not handle:
        raise ValueError(
            "A preset handle must be a built-in name, a directory or a URL. "
            f"Received: {handle!r}"
        )
    if handle in BUILTIN_PRESETS:
        return _builtin(current_preset_name(handle), progress)
    if _is_url(handle):
        scheme = urllib.parse.urlparse(handle).scheme.lower()
        if scheme == "file":
            path = local_preset_path(
                urllib.request.url2pathname(urllib.parse.urlparse(handle).path)
            )
            check_preset_directory(path, handle)
            return PresetDirectory(path, handle)
        if scheme in ("http", "https"):
            return _from_url(handle, progress)
        raise ValueError(
            f"Unsupported preset URL scheme {scheme!r}: use http://, "
            f"https:// or file://. Received: {handle!r}"
        )
    if os.path.isdir(handle):
        path = local_preset_path(handle)
        check_preset_directory(path, handle)
        return PresetDirectory(path, handle)
    raise ValueError(
        f"Unknown ELMo preset {handle!r}: not a built-in name (`keras-elmo "
        "presets` lists them), an existing directory, or an http(s):// or "
        "file:// URL of a preset directory."
    )


def _builtin(name, progress):
    entry = BUILTIN_PRESETS[name]
    if "package" in entry:
        return PresetDirectory(package_preset_dir(name), name)
    base = official_base_url().rstrip("/")
    urls = {file: f"{base}/{path}" for file, path in entry["files"].items()}
    remote = _RemotePreset(
        name, cache_dir() / name, urls, REQUIRED_FILES, progress
    )
    remote.ensure_complete()
    return PresetDirectory(
        remote.directory,
        name,
        fetch=remote.fetch,
        metadata=dict(entry["metadata"], name=name),
    )


def _from_url(url, progress):
    base = url.rstrip("/")
    names = REQUIRED_FILES + OPTIONAL_FILES + (VOCABULARY_FILE,)
    urls = {name: f"{base}/{name}" for name in names}
    remote = _RemotePreset(
        url, cache_dir() / "urls" / _url_cache_name(base), urls, names, progress
    )
    remote.ensure_complete()
    return PresetDirectory(remote.directory, url, fetch=remote.fetch)


def builtin_preset_metadata():
    """Built-in preset name -> metadata dict (what `ELMo.presets` lists).

    Reads only files inside the package: no network.
    """
    presets = {}
    for name, entry in BUILTIN_PRESETS.items():
        if "package" in entry:
            metadata = PresetDirectory(
                package_preset_dir(name), name
            ).metadata()
        else:
            metadata = dict(entry["metadata"])
        presets[name] = dict(metadata, name=name)
    return presets


def builtin_preset_config(name):
    """The `ELMo` arguments of a built-in preset, with no download.

    Example:

    >>> model = keras_elmo.ELMo(**builtin_preset_config("elmo_small_en"))
    """
    name = current_preset_name(name)
    entry = BUILTIN_PRESETS[name]
    if "config" in entry:
        return json.loads(json.dumps(entry["config"]))
    return PresetDirectory(package_preset_dir(name), name).config()
