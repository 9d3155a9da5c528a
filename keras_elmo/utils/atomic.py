"""Atomic file and directory writes: write aside, then rename."""

import contextlib
import os
import shutil
import tempfile


@contextlib.contextmanager
def atomic_path(path, directory=False):
    """Yield a temporary path that replaces `path` only on success.

    The temporary file or directory sits next to `path` (same filesystem,
    so the final `os.replace` is atomic); if the body raises, it is removed
    and `path` is left untouched. A reader never sees a half-written file.

    Args:
        path: str or path-like. The final destination.
        directory: bool. Yield a new empty directory instead of a file path.
            An existing directory at `path` is replaced as a whole.

    Example:

    ```python
    with atomic_path("weights.hdf5") as tmp:
        write_weights(tmp)
    ```
    """
    path = os.path.abspath(os.fspath(path))
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    prefix = f".{os.path.basename(path)}.tmp-"
    if directory:
        tmp = tempfile.mkdtemp(prefix=prefix, dir=parent)
    else:
        handle, tmp = tempfile.mkstemp(prefix=prefix, dir=parent)
        os.close(handle)
    try:
        yield tmp
        if directory and os.path.isdir(path):
            # Directories cannot be replaced in one step: move the old one
            # aside first so the new one appears whole.
            old = tempfile.mkdtemp(prefix=prefix + "old-", dir=parent)
            os.replace(path, os.path.join(old, "previous"))
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        elif os.path.exists(tmp):
            os.remove(tmp)
        raise
