"""The download cache: where presets go, and the manifest that vouches for them.

Downloads go to `$KERAS_HOME/keras_elmo/` (`~/.keras/keras_elmo/` by
default), one directory per preset. A preset is complete in the cache when
its manifest (`.keras_elmo_preset.json`) exists. The manifest is written
last, after every file has been checked, and records each file's SHA-256;
every later use checks the files against it, so a file changed or
truncated in the cache is found before it is loaded.
"""

import json
import os
from pathlib import Path

from keras_elmo.presets.download import PresetDownloadError
from keras_elmo.presets.download import sha256_of_file
from keras_elmo.utils.atomic import atomic_path

MANIFEST_FILE = ".keras_elmo_preset.json"
CACHE_SUBDIR = "keras_elmo"
KERAS_HOME_ENV = "KERAS_HOME"


def cache_dir():
    """Where downloaded presets are kept: `$KERAS_HOME/keras_elmo`.

    Example:

    >>> cache_dir()
    PosixPath('/home/me/.keras/keras_elmo')
    """
    keras_home = os.environ.get(KERAS_HOME_ENV) or os.path.join(
        os.path.expanduser("~"), ".keras"
    )
    return Path(keras_home) / CACHE_SUBDIR


def make_cache_dir(directory):
    """Create a cache directory, or fail in one line naming `KERAS_HOME`.

    Args:
        directory: str or path-like. A directory under `cache_dir()`.

    Raises:
        PresetDownloadError: the directory cannot be created or written
            (an unwritable `$KERAS_HOME`), naming the variable and the path.

    Example:

    >>> make_cache_dir(cache_dir() / "elmo_small_en")
    """
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not os.access(directory, os.W_OK | os.X_OK):
            raise PermissionError("Permission denied")
    except OSError as error:
        reason = error.strerror or str(error)
        raise PresetDownloadError(
            f"Cannot write the preset cache {directory}: {reason}. The cache "
            f"lives in ${KERAS_HOME_ENV}/{CACHE_SUBDIR} (${KERAS_HOME_ENV}="
            f"{os.environ.get(KERAS_HOME_ENV, '~/.keras (unset)')}); set "
            f"{KERAS_HOME_ENV} to a writable directory."
        ) from None
    return directory


def read_manifest(directory):
    """The manifest dict of a cached preset, or `None` when incomplete."""
    path = Path(directory) / MANIFEST_FILE
    if not path.is_file():
        return None
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return None  # unreadable: the preset is completed again
    return manifest if isinstance(manifest, dict) else None


def write_manifest(directory, manifest, files):
    """Record `files` (names in `directory`) with their SHA-256, atomically.

    Args:
        directory: str or path-like. The cached preset.
        manifest: dict. Other entries (handle, URLs, source).
        files: iterable of file names to hash and record.

    Returns:
        The manifest written.
    """
    directory = Path(directory)
    manifest = dict(manifest)
    manifest["sha256"] = {
        name: sha256_of_file(directory / name) for name in sorted(files)
    }
    with atomic_path(directory / MANIFEST_FILE) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2, sort_keys=True)
    return manifest


def add_to_manifest(directory, name):
    """Record one more file (fetched after the preset was complete)."""
    manifest = read_manifest(directory)
    if manifest is None:
        return
    # Only the new file is hashed: the others were checked on this load.
    manifest.setdefault("sha256", {})[name] = sha256_of_file(
        Path(directory) / name
    )
    with atomic_path(Path(directory) / MANIFEST_FILE) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2, sort_keys=True)


def verify_manifest(directory, manifest, handle):
    """Check every recorded file against its SHA-256.

    A file that is missing or changed is removed with the manifest, so
    that the next call downloads it again, and the error says so.

    Raises:
        ValueError: naming the file, both checksums and the handle.
    """
    directory = Path(directory)
    for name, recorded in (manifest.get("sha256") or {}).items():
        path = directory / name
        actual = sha256_of_file(path) if path.is_file() else None
        if actual == recorded:
            continue
        for stale in (path, directory / MANIFEST_FILE):
            if stale.is_file():
                os.remove(stale)
        found = "is missing" if actual is None else f"has SHA-256 {actual}"
        raise ValueError(
            f"The cached file {path} of the ELMo preset {handle!r} {found}; "
            f"it was downloaded with SHA-256 {recorded}. It was removed: "
            "the next load downloads it again."
        )


# The `ELMo` arguments that make an architecture: a download must have the
# ones its built-in entry gives.
ARCHITECTURE_FIELDS = (
    "filters",
    "character_embedding_dim",
    "num_highway_layers",
    "activation",
    "num_characters",
    "max_characters_per_token",
    "lstm_units",
    "projection_dim",
    "num_layers",
    "cell_clip",
    "projection_clip",
    "use_skip_connections",
    "word_vocabulary_size",
    "word_embedding_dim",
    "forget_bias",
)


def _normal(value):
    if isinstance(value, (list, tuple)):
        return [_normal(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    return float(value)


def check_architecture(handle, expected, actual, source):
    """Fail unless downloaded files have the architecture of their entry.

    Args:
        handle: str. The built-in name.
        expected: dict. The entry's `ELMo` arguments; only the
            `ARCHITECTURE_FIELDS` it gives are compared.
        actual: dict. The `ELMo` arguments read from the downloaded files.
        source: str. Where the files came from (a URL).

    Raises:
        ValueError: naming each differing field with both values, the
            handle and the source.

    Example:

    >>> check_architecture("elmo_small_en", entry_config, config, url)
    """
    differences = [
        (field, actual.get(field), expected[field])
        for field in ARCHITECTURE_FIELDS
        if field in expected
        and _normal(actual.get(field)) != _normal(expected[field])
    ]
    if differences:
        got = ", ".join(f"{f}={a}" for f, a, _ in differences)
        want = ", ".join(f"{f}={e}" for f, _, e in differences)
        raise ValueError(
            f"The model downloaded from {source} is not {handle!r}: it has "
            f"{got}, but the built-in entry {handle!r} has {want}. The "
            "files were not kept; check the server (or "
            "$KERAS_ELMO_BASE_URL)."
        )
