"""Preset handles -> local preset directories (download and cache).

A handle is one of:

- a built-in name (`keras_elmo.ELMo.presets`): the shipped model is a
  directory inside the package; the others are downloaded, as files
  (`options.json`, `weights.hdf5`, ...) or as one archive;
- a local directory holding `options.json` and `weights.hdf5` (or an
  ELMoForManyLangs model directory, or a Keras-layout preset: see
  `keras_elmo.presets.preset_loader`);
- a local zip or tar archive of such a directory, or its `file://` URL;
- a `file://` URL of a preset directory;
- an `http://` or `https://` URL of a preset directory, whose files are
  fetched by name (`<url>/options.json`, ...), or of an archive (a URL
  ending in `.zip`, `.tar.gz`, ...).

Downloads go to `$KERAS_HOME/keras_elmo/` (`~/.keras/keras_elmo/` by
default), one directory per preset (`keras_elmo.presets.preset_cache`).
Every file is checked for its type before it gets its name
(`keras_elmo.presets.file_types`: an HTML error page is never kept); a
built-in's files must have its entry's architecture; a preset is complete
when its manifest exists, written last with every file's SHA-256, which
each later load checks. An interrupted download is finished by the next
call; a complete one is reused with no network. Delete the directory to
download again.
"""

import copy
import hashlib
import os
import re
import urllib.parse
import urllib.request
from pathlib import Path

from keras_elmo.conversion.bilm_hdf5 import check_weight_file
from keras_elmo.conversion.bilm_options import options_to_config
from keras_elmo.conversion.bilm_options import read_options
from keras_elmo.presets.archive_extraction import is_archive_file
from keras_elmo.presets.builtin_presets import BASE_URL_ENV
from keras_elmo.presets.builtin_presets import BUILTIN_PRESETS
from keras_elmo.presets.builtin_presets import current_preset_name
from keras_elmo.presets.builtin_presets import entry_format
from keras_elmo.presets.builtin_presets import official_base_url
from keras_elmo.presets.builtin_presets import package_preset_dir
from keras_elmo.presets.download import PresetFileNotFoundError
from keras_elmo.presets.download import download_file
from keras_elmo.presets.download import remove_stale_parts
from keras_elmo.presets.file_types import check_file_type
from keras_elmo.presets.preset_archive import ARCHIVE_FORMATS
from keras_elmo.presets.preset_archive import BILM_TF_ARCHIVE
from keras_elmo.presets.preset_archive import archive_suffix
from keras_elmo.presets.preset_archive import local_archive_cache_name
from keras_elmo.presets.preset_archive import resolve_archive
from keras_elmo.presets.preset_cache import MANIFEST_FILE
from keras_elmo.presets.preset_cache import add_to_manifest
from keras_elmo.presets.preset_cache import cache_dir
from keras_elmo.presets.preset_cache import check_architecture
from keras_elmo.presets.preset_cache import make_cache_dir
from keras_elmo.presets.preset_cache import read_manifest
from keras_elmo.presets.preset_cache import verify_manifest
from keras_elmo.presets.preset_cache import write_manifest
from keras_elmo.presets.preset_directory import OPTIONAL_FILES
from keras_elmo.presets.preset_directory import OPTIONS_FILE
from keras_elmo.presets.preset_directory import REQUIRED_FILES
from keras_elmo.presets.preset_directory import VOCABULARY_FILE
from keras_elmo.presets.preset_directory import WEIGHTS_FILE
from keras_elmo.presets.preset_directory import PresetDirectory
from keras_elmo.presets.preset_directory import check_preset_directory
from keras_elmo.presets.preset_directory import local_preset_path

__all__ = ["MANIFEST_FILE", "cache_dir"]


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

    def __init__(
        self, handle, directory, urls, eager, progress, expected_config=None
    ):
        self.handle = handle
        self.directory = Path(directory)
        self.urls = urls  # file name -> URL
        self.eager = eager  # names fetched before the preset is complete
        self.progress = progress
        self.expected_config = expected_config  # a built-in's architecture

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
        make_cache_dir(self.directory)
        manifest = read_manifest(self.directory)
        if manifest is not None:
            verify_manifest(self.directory, manifest, self.handle)
            return
        remove_stale_parts(self.directory)
        absent = []
        for name in self.eager:
            path = self.directory / name
            if path.is_file():
                # Left by an unfinished run, or copied in by hand: checked
                # as a download is (an earlier version kept HTML pages).
                try:
                    check_file_type(path, name)
                    continue
                except ValueError:
                    os.remove(path)
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
        write_manifest(
            self.directory,
            {"handle": self.handle, "urls": self.urls, "absent": absent},
            [name for name in self.eager if name not in absent],
        )

    def _check(self):
        # Files that are not this ELMo (another model, weights of another
        # shape) are removed, so that the next call downloads them again.
        options_url = self.urls[OPTIONS_FILE]
        try:
            config = options_to_config(
                read_options(self.directory / OPTIONS_FILE),
                source=options_url,
            )
        except ValueError as error:
            os.remove(self.directory / OPTIONS_FILE)
            raise ValueError(
                f"The downloaded options of {self.handle!r} are invalid: "
                f"{error}"
            ) from None
        try:
            if self.expected_config is not None:
                check_architecture(
                    self.handle, self.expected_config, config, options_url
                )
        except ValueError:
            for name in REQUIRED_FILES:
                os.remove(self.directory / name)
            raise
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
        manifest = read_manifest(self.directory) or {}
        if name in manifest.get("absent", ()):
            return None
        try:
            path = self.download(name)
        except PresetFileNotFoundError:
            return None
        add_to_manifest(self.directory, name)
        return path


def is_url(handle):
    """Whether a handle is a URL (`scheme://...`)."""
    return isinstance(handle, str) and bool(
        re.match(r"^[a-zA-Z][\w+.-]*://", handle)
    )


def check_handle(handle):
    """The handle as a str (path-likes converted), or a clear ValueError."""
    if isinstance(handle, os.PathLike):
        handle = os.fspath(handle)
    if not isinstance(handle, str) or not handle:
        raise ValueError(
            "A preset handle must be a built-in name, a directory, an "
            f"archive or a URL. Received: {handle!r}"
        )
    return handle


def unknown_handle_error(handle):
    """The error for a handle that names nothing."""
    return ValueError(
        f"Unknown ELMo preset {handle!r}: not a built-in name (`keras-elmo "
        "presets` lists them), an existing directory or archive, "
        "or an http(s):// or file:// URL of a preset directory or archive."
    )


def file_url_path(url):
    """The local path of a `file://` URL."""
    return urllib.request.url2pathname(urllib.parse.urlparse(url).path)


def url_scheme(url):
    """The lower-case scheme of a URL, checked to be one we read."""
    scheme = urllib.parse.urlparse(url).scheme.lower()
    if scheme not in ("file", "http", "https"):
        raise ValueError(
            f"Unsupported preset URL scheme {scheme!r}: use http://, "
            f"https:// or file://. Received: {url!r}"
        )
    return scheme


def resolve_preset(handle, progress=True):
    """The local `PresetDirectory` of a preset handle, downloading if needed.

    For presets in the bilm-tf layout (`options.json` + `weights.hdf5`);
    `keras_elmo.presets.get_preset_loader` reads every format.

    Args:
        handle: str or path-like. A built-in name, a local directory (a
            preset, or a model directory with its preset in `preset/`), a
            zip or tar archive of one, or a `file://`, `http://` or
            `https://` URL of either.
        progress: bool. Show download progress bars. Defaults to `True`.

    Returns:
        A `PresetDirectory`.

    Raises:
        ValueError: an unknown handle, downloaded files that are not an
            ELMo (or not the built-in's architecture), or a cached file
            that changed since its download.
        FileNotFoundError: a directory without the preset files.
        keras_elmo.presets.PresetDownloadError: a download failed (no
            network: within `$KERAS_ELMO_DOWNLOAD_TIMEOUT` seconds; a file
            of the wrong type, such as an HTML page), or the cache is not
            writable; the message names the URL (or `KERAS_HOME`).

    Example:

    ```python
    preset = resolve_preset("elmo_small_en")  # downloads once, then cached
    preset.weights_file
    ```
    """
    handle = check_handle(handle)
    if handle in BUILTIN_PRESETS:
        handle = current_preset_name(handle)
        fmt = entry_format(BUILTIN_PRESETS[handle])
        if fmt in ARCHIVE_FORMATS:
            return _bilm_archive_preset(
                handle, *builtin_archive(handle, progress)
            )
        return builtin_files_preset(handle, progress)
    if is_url(handle):
        scheme = url_scheme(handle)
        if scheme == "file":
            path = file_url_path(handle)
            if is_archive_file(path):
                return _bilm_archive_preset(
                    handle, *local_archive(path, handle, progress)
                )
            return local_bilm_preset(path, handle)
        if archive_suffix(handle):
            return _bilm_archive_preset(handle, *url_archive(handle, progress))
        return url_files_preset(handle, progress)
    if os.path.isdir(handle):
        return local_bilm_preset(handle, handle)
    if is_archive_file(handle):
        return _bilm_archive_preset(
            handle, *local_archive(handle, handle, progress)
        )
    raise unknown_handle_error(handle)


def _bilm_archive_preset(handle, directory, fmt):
    if fmt != BILM_TF_ARCHIVE:
        raise ValueError(
            f"The preset {handle!r} is an ELMoForManyLangs model, not a "
            "bilm-tf preset directory: load it with `from_preset` "
            "(or `keras_elmo.presets.get_preset_loader`)."
        )
    metadata = None
    if handle in BUILTIN_PRESETS:
        metadata = dict(BUILTIN_PRESETS[handle]["metadata"], name=handle)
    return PresetDirectory(directory, handle, metadata=metadata)


def local_bilm_preset(path, handle):
    """The `PresetDirectory` of a local directory, checked."""
    path = local_preset_path(path)
    check_preset_directory(path, handle)
    return PresetDirectory(path, handle)


def builtin_files_preset(name, progress=True):
    """A built-in preset published as files: downloaded, checked, cached.

    The official models' files are under `official_base_url()`
    (`$KERAS_ELMO_BASE_URL`); other entries give absolute URLs.
    """
    entry = BUILTIN_PRESETS[name]
    if "package" in entry:
        return PresetDirectory(package_preset_dir(name), name)
    if "files" in entry:
        base = official_base_url().rstrip("/")
        urls = {file: f"{base}/{path}" for file, path in entry["files"].items()}
    else:
        urls = dict(entry["url"])
    remote = _RemotePreset(
        name,
        cache_dir() / name,
        urls,
        REQUIRED_FILES,
        progress,
        expected_config=entry.get("config"),
    )
    remote.ensure_complete()
    return PresetDirectory(
        remote.directory,
        name,
        fetch=remote.fetch,
        metadata=dict(entry["metadata"], name=name),
    )


def builtin_archive(name, progress=True):
    """`(directory, format)` of a built-in preset published as an archive."""
    entry = BUILTIN_PRESETS[name]
    return resolve_archive(
        name,
        entry["url"],
        cache_dir() / name,
        expected_format=entry_format(entry),
        arguments=entry.get("config"),
        sha256=entry.get("sha256"),
        progress=progress,
    )


def url_archive(url, progress=True):
    """`(directory, format)` of an archive URL (`https://host/161.zip`)."""
    return resolve_archive(
        url,
        url,
        cache_dir() / "urls" / _url_cache_name(url),
        progress=progress,
    )


def local_archive(path, handle=None, progress=True):
    """`(directory, format)` of a local archive, extracted into the cache."""
    return resolve_archive(
        handle or path,
        path,
        cache_dir() / "archives" / local_archive_cache_name(path),
        progress=progress,
    )


def url_files_preset(url, progress=True):
    """A preset directory served over HTTP: its files fetched by name."""
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
        if entry_format(entry) == "package":
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
        return copy.deepcopy(entry["config"])
    return PresetDirectory(package_preset_dir(name), name).config()
