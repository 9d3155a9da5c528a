"""Checks of a command's output path, made before any work is done.

A command that writes must never destroy what it did not make: its own
input, a directory of the user's files, the installed package or a model
shipped with it. `check_output_path` refuses each of these with one line
naming the path, before a model is loaded or a file is read, so the
mistake costs nothing.
"""

import os

# The installed `keras_elmo` package: never written to.
PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

KINDS = ("file", "directory", "parent")


def _real(path):
    return os.path.realpath(os.fspath(path))


def is_within(path, root):
    """Whether `path` is `root` or inside it (symbolic links resolved).

    Example:

    >>> is_within("/models/elmo/1", "/models")
    True
    """
    path, root = _real(path), _real(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _same_file(a, b):
    if _real(a) == _real(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _nearest_existing(path):
    path = os.path.abspath(os.fspath(path))
    while not os.path.lexists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def check_output_path(
    output,
    inputs=(),
    kind="file",
    argument="output",
    read_only_roots=(),
    replaceable=None,
):
    """Refuse an output that would destroy something, before any work.

    Args:
        output: str or path-like. What the command will write.
        inputs: iterable of paths the command reads (files or
            directories). The output may not be one of them, and a
            `"directory"` output may not contain one.
        kind: str. `"file"`: a file replaced as a whole (an existing
            directory there is an error). `"directory"`: a directory
            replaced as a whole; an existing one must be empty or pass
            `replaceable`. `"parent"`: a directory written into (new
            versions, a training run), never replaced.
        argument: str. The argument that gave `output`, for messages.
        read_only_roots: iterable of directories never written to (the
            installed package, shipped models, the download cache).
            `PACKAGE_DIR` is always one.
        replaceable: callable `(path) -> bool`, or `None`. For
            `"directory"`: whether an existing non-empty directory is one
            this package wrote (so may be replaced).

    Raises:
        ValueError: the output is an input, or lies in a read-only place.
        IsADirectoryError: a `"file"` output is a directory.
        NotADirectoryError: a directory output is a file, or a parent of
            the output is a file.
        FileExistsError: a `"directory"` output exists and is not one
            this package wrote.
        PermissionError: the output's place is not writable.

    Example:

    >>> check_output_path("vocab.txt", inputs=["corpus.txt"])
    """
    if kind not in KINDS:
        raise ValueError(f"`kind` must be one of {KINDS}. Received: {kind!r}")
    output = os.fspath(output)
    for source in inputs:
        source = os.fspath(source)
        if _same_file(source, output) or (
            kind == "directory" and is_within(source, output)
        ):
            what = "file" if kind == "file" else "directory"
            raise ValueError(
                f"The output {what} is the input or holds it ({argument}="
                f"{output}, input {source}); writing it would destroy the "
                "input. Give another path."
            )
    for root in (PACKAGE_DIR, *read_only_roots):
        if is_within(output, root):
            raise ValueError(
                f"{argument} {output} is inside {_real(root)}, which "
                "belongs to keras_elmo (the installed package, a model "
                "shipped with it, or its download cache) and is never "
                "written to. Give another path."
            )
    if os.path.isdir(output):
        if kind == "file":
            raise IsADirectoryError(
                f"Output is a directory; give a file path. Received: "
                f"{argument}={output}"
            )
        if (
            kind == "directory"
            and os.listdir(output)
            and not (replaceable is not None and replaceable(output))
        ):
            raise FileExistsError(
                f"{argument} {output} exists and is not a keras_elmo preset "
                "or export (it holds files keras_elmo did not write); it "
                "would be replaced as a whole. Give a new or empty "
                "directory."
            )
    elif os.path.lexists(output) and kind != "file":
        raise NotADirectoryError(
            f"{argument} must be a directory, but {output} is a file."
        )
    existing = _nearest_existing(output)
    if existing != os.path.abspath(output) and not os.path.isdir(existing):
        raise NotADirectoryError(
            f"{argument} {output}: {existing} is a file, where a directory "
            "must be."
        )
    if existing != os.path.abspath(output):
        place = existing  # the directories up to the output will be made
    elif kind == "parent" and os.path.isdir(output):
        place = output  # written into
    else:
        place = os.path.dirname(os.path.abspath(output))  # renamed into
    if not os.access(place, os.W_OK | os.X_OK):
        raise PermissionError(
            f"{argument} {output}: cannot write in {place} (permission denied)."
        )
