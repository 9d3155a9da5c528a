"""Atomic file and directory writes: write aside, then rename.

Temporary names are `.<name>.tmp-<pid>-<random>` next to the destination.
The pid lets a later run tell a leftover of a killed process (pid no longer
running: removed) from the live temporary file of a concurrent writer (pid
running, or this process: kept). Finished outputs get the permissions of a
normal `open()` / `mkdir()` under the umask, not `tempfile`'s private 0600 /
0700.
"""

import contextlib
import errno
import os
import re
import shutil
import tempfile

_TEMP_MARK = ".tmp-"


def _temp_prefix(path):
    return f".{os.path.basename(path)}{_TEMP_MARK}{os.getpid()}-"


def _umask():
    # Reading the umask means setting it; /proc avoids that (thread-safe).
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def normal_permissions(path):
    """Give `path` the mode a plain `open()` or `mkdir()` would have.

    `tempfile.mkstemp` creates 0600 files and `mkdtemp` 0700 directories;
    an output that another user (a model server, a colleague) must read
    gets 0666 / 0777 minus the umask instead (typically 0644 / 0755).

    Args:
        path: str. A file or directory.

    Example:

    >>> normal_permissions("weights.hdf5")  # -> 0644 under umask 022
    """
    base = 0o777 if os.path.isdir(path) else 0o666
    os.chmod(path, base & ~_umask())


def _pid_running(pid):
    if pid == os.getpid():
        return True  # another thread of this process may be writing it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # running, as another user
    return True


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def remove_stale_temporaries(path):
    """Remove temporaries of `path` left behind by processes that died.

    Only names of this module's pattern (`.<name>.tmp-<pid>-...`) whose pid
    no longer runs are removed; a concurrent writer's live temporary (its
    pid runs) is kept. A pid reused by an unrelated process keeps a leftover
    until that process ends, which errs on the safe side. On a filesystem
    shared between machines a pid is only meaningful on its own host.

    Args:
        path: str or path-like. The destination whose temporaries to clean.

    Returns:
        The list of removed paths.

    Example:

    >>> remove_stale_temporaries("out.hdf5")
    []
    """
    path = os.path.abspath(os.fspath(path))
    parent, name = os.path.split(path)
    pattern = re.compile(rf"^\.{re.escape(name)}{re.escape(_TEMP_MARK)}(\d+)-")
    try:
        entries = os.listdir(parent)
    except (FileNotFoundError, NotADirectoryError):
        return []
    removed = []
    for entry in entries:
        match = pattern.match(entry)
        if match and not _pid_running(int(match.group(1))):
            _remove(os.path.join(parent, entry))
            removed.append(os.path.join(parent, entry))
    return removed


@contextlib.contextmanager
def _naming_the_output(path):
    # A failure to make the temporary (an unwritable or missing place)
    # names the output the user gave, not the temporary's name.
    try:
        yield
    except OSError as error:
        raise type(error)(
            error.errno, f"cannot write {path}: {error.strerror}"
        ) from None


@contextlib.contextmanager
def atomic_path(path, directory=False):
    """Yield a temporary path that replaces `path` only on success.

    The temporary file or directory sits next to `path` (same filesystem,
    so the final `os.replace` is atomic); if the body raises, it is removed
    and `path` is left untouched. A reader never sees a half-written file.
    Leftovers of killed runs for the same `path` are removed first (see
    `remove_stale_temporaries`), and the result gets normal permissions
    (see `normal_permissions`).

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
    prefix = _temp_prefix(path)
    with _naming_the_output(path):
        os.makedirs(parent, exist_ok=True)
        remove_stale_temporaries(path)
        if directory:
            tmp = tempfile.mkdtemp(prefix=prefix, dir=parent)
        else:
            handle, tmp = tempfile.mkstemp(prefix=prefix, dir=parent)
            os.close(handle)
    try:
        yield tmp
        normal_permissions(tmp)
        with _naming_the_output(path):
            if directory and os.path.isdir(path):
                # Directories cannot be replaced in one step: move the old
                # one aside first so the new one appears whole.
                old = tempfile.mkdtemp(prefix=prefix + "old-", dir=parent)
                os.replace(path, os.path.join(old, "previous"))
                os.replace(tmp, path)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


@contextlib.contextmanager
def temporary_directory_beside(path):
    """Yield a new directory next to `path`, removed unless moved away.

    For writers that pick the final name only when done (see
    `rename_no_replace`). Stale leftovers for `path` are removed first.

    Args:
        path: str or path-like. The destination the directory is for.

    Example:

    ```python
    with temporary_directory_beside("models/elmo/1") as tmp:
        write_model(tmp)
        rename_no_replace(tmp, "models/elmo/1")
    ```
    """
    path = os.path.abspath(os.fspath(path))
    parent = os.path.dirname(path)
    with _naming_the_output(path):
        os.makedirs(parent, exist_ok=True)
        remove_stale_temporaries(path)
        tmp = tempfile.mkdtemp(prefix=_temp_prefix(path), dir=parent)
    try:
        yield tmp
    finally:
        if os.path.exists(tmp):
            _remove(tmp)


def rename_no_replace(source_dir, destination):
    """Rename a directory to `destination` unless something is there.

    The rename itself is the claim: the kernel refuses to rename a
    directory onto a non-empty directory (or onto a file), so of two
    writers racing for one name exactly one wins. An existing *empty*
    directory would be replaced by `os.rename`, so it counts as taken too.

    Args:
        source_dir: str. A complete directory (e.g. from
            `temporary_directory_beside`).
        destination: str. The name to claim.

    Raises:
        FileExistsError: `destination` exists (the caller keeps
            `source_dir`).

    Example:

    >>> rename_no_replace(tmp, "models/elmo/3")
    """
    if os.path.lexists(destination):
        raise FileExistsError(errno.EEXIST, "already exists", destination)
    normal_permissions(source_dir)
    try:
        os.rename(source_dir, destination)
    except OSError as error:
        if error.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR):
            raise FileExistsError(
                errno.EEXIST, "already exists", destination
            ) from None
        raise
