"""Presets published as one zip or tar archive, cached as a directory.

The ELMoForManyLangs models (`<id>.zip` of the NLPL repository: the
model directory's files at the archive root) and the NLPL bilm-tf models
(`options.json`, `model.hdf5`, `vocab.txt` at the root, the layout the
`simple_elmo` package reads) come as archives. An archive is downloaded
once (or read from a local path), extracted safely
(`keras_elmo.presets.archive_extraction`), completed, checked, and cached
as an ordinary preset directory:

- ELMoForManyLangs: the model directory, with the config file that its
  `config.json` names and the archive lacks (ELMoForManyLangs issue 27)
  written from the architecture its entry documents (or the known
  released config);
- bilm-tf: `options.json`, `weights.hdf5` and `vocabulary.txt`.

The archive itself is not kept. The directory appears whole (it is built
aside and renamed), with a manifest of every file's SHA-256 that later
loads check.
"""

import os
import re
import shutil
import urllib.parse
import urllib.request
from pathlib import Path

from keras_elmo.conversion.bilm_hdf5 import check_weight_file
from keras_elmo.conversion.bilm_options import options_to_config
from keras_elmo.conversion.bilm_options import read_options
from keras_elmo.conversion.elmoformanylangs import CHAR_DICT_FILE
from keras_elmo.conversion.elmoformanylangs import SPECIAL_CHARACTERS
from keras_elmo.conversion.elmoformanylangs import SPECIAL_WORDS
from keras_elmo.conversion.elmoformanylangs import WORD_DICT_FILE
from keras_elmo.conversion.elmoformanylangs import config_to_arguments
from keras_elmo.conversion.elmoformanylangs import is_elmoformanylangs_dir
from keras_elmo.conversion.elmoformanylangs import read_config
from keras_elmo.conversion.elmoformanylangs import read_dictionary
from keras_elmo.conversion.elmoformanylangs import supply_config
from keras_elmo.presets.archive_extraction import extract_archive
from keras_elmo.presets.archive_extraction import find_model_root
from keras_elmo.presets.download import download_file
from keras_elmo.presets.download import sha256_of_file
from keras_elmo.presets.file_types import ARCHIVE_SUFFIXES
from keras_elmo.presets.preset_cache import check_architecture
from keras_elmo.presets.preset_cache import make_cache_dir
from keras_elmo.presets.preset_cache import read_manifest
from keras_elmo.presets.preset_cache import verify_manifest
from keras_elmo.presets.preset_cache import write_manifest
from keras_elmo.presets.preset_directory import OPTIONS_FILE
from keras_elmo.presets.preset_directory import VOCABULARY_FILE
from keras_elmo.presets.preset_directory import WEIGHTS_FILE
from keras_elmo.utils.atomic import atomic_path

ELMOFORMANYLANGS_ARCHIVE = "elmoformanylangs_archive"
BILM_TF_ARCHIVE = "bilm_tf_archive"
ARCHIVE_FORMATS = (ELMOFORMANYLANGS_ARCHIVE, BILM_TF_ARCHIVE)
# The NLPL names of a bilm-tf archive's files -> the preset's.
NLPL_WEIGHTS_FILES = ("model.hdf5", WEIGHTS_FILE, "lm_weights.hdf5")
NLPL_VOCABULARY_FILES = ("vocab.txt", VOCABULARY_FILE)
_MARKERS = ("config.json", OPTIONS_FILE)
_EXTRACTED = ".extracted"


def archive_suffix(name):
    """The archive suffix of a URL or file name (`".zip"`, `".tar.gz"`...),
    or `""` if it has none.

    Example:

    >>> archive_suffix("http://vectors.nlpl.eu/repository/11/161.zip")
    '.zip'
    """
    path = urllib.parse.urlparse(str(name)).path or str(name)
    lower = path.lower()
    for suffix in sorted(ARCHIVE_SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return suffix
    return ""


def local_archive_cache_name(path):
    """`<file stem>-<first 12 hex of its SHA-256>`: the cache name of a
    local archive (a changed file is a new preset)."""
    base = os.path.basename(os.fspath(path))
    stem = base[: len(base) - len(archive_suffix(base))] or base
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", stem)[:40]
    return f"{stem}-{sha256_of_file(path)[:12]}"


def _elmoformanylangs_arguments(directory):
    # The architecture of a model directory from its config and
    # dictionaries, without reading the (large) weights.
    config, source = read_config(directory)
    characters = read_dictionary(
        os.path.join(directory, CHAR_DICT_FILE), SPECIAL_CHARACTERS
    )
    words = ()
    if int(config.get("token_embedder", {}).get("word_dim", 0) or 0) > 0:
        words = read_dictionary(
            os.path.join(directory, WORD_DICT_FILE), SPECIAL_WORDS
        )
    return config_to_arguments(config, len(characters), len(words), source)


def _move_files(source, destination):
    for entry in sorted(os.listdir(source)):
        path = os.path.join(source, entry)
        if os.path.isfile(path):
            shutil.move(path, os.path.join(destination, entry))


def _first(directory, names):
    for name in names:
        if os.path.isfile(os.path.join(directory, name)):
            return name
    return None


def _complete_elmoformanylangs(handle, root, tmp, arguments, source):
    _move_files(root, tmp)
    supply_config(tmp, arguments)
    if not is_elmoformanylangs_dir(tmp):
        raise ValueError(
            f"The archive of {handle!r} ({source}) is not an "
            "ELMoForManyLangs model: it lacks config.json, "
            "token_embedder.pkl or encoder.pkl."
        )
    if arguments is not None:
        check_architecture(
            handle, arguments, _elmoformanylangs_arguments(tmp), source
        )


def _complete_bilm_tf(handle, root, tmp, arguments, source):
    weights = _first(root, NLPL_WEIGHTS_FILES)
    if weights is None:
        raise ValueError(
            f"The archive of {handle!r} ({source}) has {OPTIONS_FILE} but "
            f"no weights (one of {list(NLPL_WEIGHTS_FILES)})."
        )
    shutil.move(
        os.path.join(root, OPTIONS_FILE), os.path.join(tmp, OPTIONS_FILE)
    )
    shutil.move(os.path.join(root, weights), os.path.join(tmp, WEIGHTS_FILE))
    vocabulary = _first(root, NLPL_VOCABULARY_FILES)
    if vocabulary is not None:
        shutil.move(
            os.path.join(root, vocabulary), os.path.join(tmp, VOCABULARY_FILE)
        )
    config = options_to_config(
        read_options(os.path.join(tmp, OPTIONS_FILE)), source=source
    )
    if arguments is not None:
        check_architecture(handle, arguments, config, source)
    check_weight_file(os.path.join(tmp, WEIGHTS_FILE), config)


def _help_text(handle):
    return (
        "Without a network, download the archive another way and load its "
        "path: keras_elmo.ELMo.from_preset('/path/to/archive.zip') (see "
        f"docs/presets.md). ({handle})"
    )


def resolve_archive(
    handle,
    source,
    directory,
    expected_format=None,
    arguments=None,
    sha256=None,
    progress=True,
):
    """The cached preset directory of an archive, made on first use.

    Args:
        handle: str. What the user asked for (named in errors).
        source: str. The archive's `http(s)://` or `file://` URL, or its
            local path.
        directory: path. The cache directory of the preset.
        expected_format: one of `ARCHIVE_FORMATS`, or `None` to accept
            either (detected from the files).
        arguments: dict or `None`. The `ELMo` architecture the entry
            documents: the downloaded model must have it, and it gives an
            ELMoForManyLangs model its missing config file.
        sha256: str or `None`. The archive's published SHA-256.
        progress: bool. Show a progress bar.

    Returns:
        `(directory, format)`: the cached preset directory (a `Path`) and
        the archive format found.

    Raises:
        PresetDownloadError: the download failed (or its checksum).
        UnsafeArchiveError: a member escapes the directory, is a link or
            a device, or the archive is too large.
        ValueError: the files are not the expected model.

    Example:

    >>> resolve_archive("ko", "http://host/161.zip", cache_dir() / "ko")
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    if manifest is not None:
        verify_manifest(directory, manifest, handle)
        return directory, manifest.get("format")
    make_cache_dir(directory.parent)
    scheme = urllib.parse.urlparse(str(source)).scheme.lower()
    is_url = scheme in ("http", "https")
    if scheme == "file":
        source = urllib.request.url2pathname(urllib.parse.urlparse(source).path)
    with atomic_path(directory, directory=True) as tmp:
        if is_url:
            archive = os.path.join(
                tmp, ".archive" + (archive_suffix(source) or ".zip")
            )
            archive_sha256 = download_file(
                source,
                archive,
                progress=progress,
                help_text=_help_text(handle),
                sha256=sha256,
            )
        else:
            archive = os.fspath(source)
            archive_sha256 = sha256_of_file(archive)
            if sha256 is not None and archive_sha256 != sha256.lower():
                raise ValueError(
                    f"{archive} has SHA-256 {archive_sha256}, but the "
                    f"published one is {sha256.lower()}."
                )
        extracted = os.path.join(tmp, _EXTRACTED)
        extract_archive(archive, extracted)
        if is_url:
            os.remove(archive)
        root = find_model_root(extracted, _MARKERS)
        if root is not None and os.path.isfile(
            os.path.join(root, "config.json")
        ):
            found = ELMOFORMANYLANGS_ARCHIVE
        elif root is not None:
            found = BILM_TF_ARCHIVE
        else:
            raise ValueError(
                f"The archive {source} holds no ELMo: neither an "
                "ELMoForManyLangs config.json nor a bilm-tf options.json."
            )
        if expected_format not in (None, found):
            raise ValueError(
                f"The archive {source} of {handle!r} is a {found}, not the "
                f"{expected_format} its entry names."
            )
        if found == ELMOFORMANYLANGS_ARCHIVE:
            _complete_elmoformanylangs(handle, root, tmp, arguments, source)
        else:
            _complete_bilm_tf(handle, root, tmp, arguments, source)
        shutil.rmtree(extracted)
        write_manifest(
            tmp,
            {
                "handle": handle,
                "source": str(source),
                "format": found,
                "archive_sha256": archive_sha256,
            },
            [
                name
                for name in os.listdir(tmp)
                if os.path.isfile(os.path.join(tmp, name))
                and not name.startswith(".")
            ],
        )
    return directory, found
