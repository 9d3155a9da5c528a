"""Lists of input files from paths and glob patterns."""

import glob
import os
import re

from keras_elmo.utils.backend import require_tensorflow

# `gs://bucket/...`, `s3://...`: read through TensorFlow's filesystems.
_REMOTE = re.compile(r"^[a-zA-Z][\w+.-]*://")


def _is_pattern(path):
    return any(char in path for char in "*?[")


def remote_filesystem(feature="Reading remote paths (gs://, s3://, ...)"):
    """TensorFlow, which reads `gs://` and other remote paths (`tf.io.gfile`).

    Local files need no TensorFlow; only remote filesystems go through it.

    Args:
        feature: str. What needs it, for the error where TensorFlow is not
            installed. Defaults to reading remote paths.

    Returns:
        The `tensorflow` module.

    Raises:
        TensorFlowNotInstalledError: TensorFlow is not installed (one line
            naming the install command).

    Example:

    ```python
    tf = remote_filesystem()
    tf.io.gfile.exists("gs://bucket/corpus.txt")
    ```
    """
    return require_tensorflow(feature)


def is_remote(path):
    """Whether a path names a remote filesystem (`gs://...`, `s3://...`).

    Args:
        path: str.

    Returns:
        bool.

    Example:

    >>> is_remote("gs://bucket/file.txt"), is_remote("corpus/a.txt")
    (True, False)
    """
    return bool(_REMOTE.match(path))


def _remote_matches(entry):
    tf = remote_filesystem()
    return sorted(
        path for path in tf.io.gfile.glob(entry) if not tf.io.gfile.isdir(path)
    )


def list_files(files):
    """Sorted list of the files named by a path, a glob pattern, or a list.

    Args:
        files: str or path-like, or a list of them. Each entry is a file
            path or a glob pattern (`*`, `?`, `[...]`); the matches of a
            pattern are sorted by name, and entries keep their order.
            Entries with a scheme (`gs://...`) are listed with
            `tf.io.gfile`.

    Returns:
        A list of file paths (str), without duplicates.

    Raises:
        ValueError: if `files` is empty.
        FileNotFoundError: if a path does not exist, is a directory, or a
            pattern matches no file.

    Example:

    >>> list_files("corpus/shard-*.txt")  # doctest: +SKIP
    ['corpus/shard-00.txt', 'corpus/shard-01.txt']
    """
    if isinstance(files, (str, bytes, os.PathLike)):
        files = [files]
    files = [os.fsdecode(os.fspath(entry)) for entry in files]
    if not files:
        raise ValueError("`files` is empty: give a file, a pattern or a list.")
    if any(is_remote(entry) for entry in files):
        remote_filesystem()  # before any listing, where TensorFlow is absent
    paths = []
    for entry in files:
        if is_remote(entry):
            matches = _remote_matches(entry)
            if not matches:
                raise FileNotFoundError(f"No file matches {entry!r}")
            paths.extend(matches)
        elif _is_pattern(entry):
            matches = sorted(
                path for path in glob.glob(entry) if os.path.isfile(path)
            )
            if not matches:
                raise FileNotFoundError(f"No file matches {entry!r}")
            paths.extend(matches)
        elif os.path.isfile(entry):
            paths.append(entry)
        elif os.path.isdir(entry):
            raise FileNotFoundError(
                f"{entry!r} is a directory; give a text file or a glob "
                "pattern such as 'dir/*.txt'."
            )
        else:
            raise FileNotFoundError(f"No such file: {entry!r}")
    return list(dict.fromkeys(paths))
