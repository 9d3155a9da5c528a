"""Lists of input files from paths and glob patterns."""

import glob
import os
import re

# `gs://bucket/...`, `s3://...`: read through TensorFlow's filesystems.
_REMOTE = re.compile(r"^[a-zA-Z][\w+.-]*://")


def _is_pattern(path):
    return any(char in path for char in "*?[")


def _remote_matches(entry):
    # Imported here: local files need no TensorFlow (the vocabulary tools
    # stay light); only remote filesystems go through tf.io.gfile.
    import tensorflow as tf

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
    paths = []
    for entry in files:
        if _REMOTE.match(entry):
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
