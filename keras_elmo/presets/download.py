"""Streaming downloads that never leave a partial or wrong file under the
real name.

A file is written next to its destination under a temporary name
(`.<name>.pid-<pid>.<random>.part`) and renamed when every byte announced
by the server has arrived and the file passed its type check
(`keras_elmo.presets.file_types`), so a killed or cut download, or an HTML
error page, never looks complete, and two processes fetching the same file
each rename a whole copy. The `.part` files of processes that no longer
run are removed by the next download into the same directory. Files get
the permissions of a plain `open()` under the umask (0644 for umask 022).
"""

import hashlib
import http.client
import math
import os
import re
import tempfile
import urllib.error
import urllib.request

from keras_elmo.presets.file_types import check_file_type
from keras_elmo.utils.atomic import normal_permissions
from keras_elmo.utils.progress import progress_bar

TIMEOUT_ENV = "KERAS_ELMO_DOWNLOAD_TIMEOUT"
# Seconds to connect (and to wait for each block): without a network, the
# error comes within this time rather than after the OS's minutes.
DEFAULT_TIMEOUT = 10.0
# More than a day is a typo (and past ~1e9 s the OS refuses the value).
MAX_TIMEOUT = 86400.0
_CHUNK_BYTES = 1 << 20
_PART_SUFFIX = ".part"
_PART_PID = re.compile(r"\.pid-(\d+)\.")


class PresetDownloadError(OSError):
    """A preset file could not be downloaded (the message names its URL)."""


class PresetFileNotFoundError(FileNotFoundError):
    """The server answered that a preset file does not exist (HTTP 404)."""


def download_timeout():
    """Connect/read timeout in seconds (`$KERAS_ELMO_DOWNLOAD_TIMEOUT`)."""
    value = os.environ.get(TIMEOUT_ENV)
    if not value:
        return DEFAULT_TIMEOUT
    try:
        timeout = float(value)
    except ValueError:
        timeout = math.nan
    # `inf` overflows the socket's timeout and `nan` is refused by it, deep
    # in urllib: both are caught here with the variable's name.
    if not (math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT):
        raise ValueError(
            f"${TIMEOUT_ENV} must be a positive, finite number of seconds "
            f"(at most {MAX_TIMEOUT:.0f}). Received: {value!r}"
        )
    return timeout


def sha256_of_file(path):
    """The hex SHA-256 of a file, read in 1 MiB blocks.

    Example:

    >>> sha256_of_file("weights.hdf5")  # doctest: +ELLIPSIS
    '9f2c...'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_CHUNK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def _pid_running(pid):
    if pid == os.getpid():
        return True  # another thread of this process may be downloading
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # running as another user (or unknowable: keep it)
    return True


def remove_stale_parts(directory):
    """Remove the `.part` files of downloads whose process has ended.

    A `.part` file names its process (`.pid-<pid>.`); one whose process
    no longer runs was left by a killed download and is removed. A live
    download's (its process runs) is kept. `.part` files of earlier
    versions, which name no process, are removed too.

    Args:
        directory: str or path-like.

    Returns:
        The list of removed paths.

    Example:

    >>> remove_stale_parts(cache_dir() / "elmo_small_en")
    []
    """
    directory = os.fspath(directory)
    try:
        entries = os.listdir(directory)
    except OSError:
        return []
    removed = []
    for entry in entries:
        if not (entry.startswith(".") and entry.endswith(_PART_SUFFIX)):
            continue
        match = _PART_PID.search(entry)
        if match and _pid_running(int(match.group(1))):
            continue
        path = os.path.join(directory, entry)
        try:
            os.remove(path)
        except OSError:
            continue  # gone already, or not ours to remove
        removed.append(path)
    return removed


def download_file(
    url, destination, progress=True, help_text="", check=True, sha256=None
):
    """Download `url` to `destination` (atomically), with a progress bar.

    Args:
        url: str. An `http://` or `https://` URL.
        destination: str or path-like. The file to write.
        progress: bool. Show a tqdm progress bar on stderr. Defaults to
            `True`.
        help_text: str. Appended to the error message (how to get the file
            another way).
        check: bool. Check the file's type for `destination`'s name
            (`keras_elmo.presets.file_types.check_file_type`) before it is
            kept. Defaults to `True`.
        sha256: str or `None`. The published SHA-256 the file must have.

    Returns:
        The file's hex SHA-256.

    Raises:
        PresetFileNotFoundError: the server has no such file (HTTP 404).
        PresetDownloadError: any other failure (no network, timeout, HTTP
            error, truncated transfer, a file of the wrong type, such as an
            HTML page, or the wrong checksum), naming the URL; nothing is
            kept under `destination`.

    Example:

    >>> download_file("https://example.com/options.json", "options.json")
    """
    timeout = download_timeout()  # a bad setting fails before any write
    destination = os.fspath(destination)
    directory = os.path.dirname(os.path.abspath(destination))
    os.makedirs(directory, exist_ok=True)
    remove_stale_parts(directory)
    name = os.path.basename(destination)
    fd, part = tempfile.mkstemp(
        dir=directory,
        prefix=f".{name}.pid-{os.getpid()}.",
        suffix=_PART_SUFFIX,
    )
    try:
        with os.fdopen(fd, "wb") as out:
            _stream(url, out, progress, help_text, timeout)
        if check:
            try:
                check_file_type(part, name)
            except ValueError as error:
                # The server answered, with something else (an error page,
                # a login page): not a network problem, so no network help.
                raise _failure(url, f"{error}; nothing was kept", "") from None
        digest = sha256_of_file(part)
        if sha256 is not None and digest != sha256.lower():
            raise _failure(
                url,
                f"its SHA-256 is {digest}, but the published one is "
                f"{sha256.lower()}",
                help_text,
            )
        normal_permissions(part)  # not mkstemp's 0600
        os.replace(part, destination)
        return digest
    finally:
        if os.path.exists(part):
            os.remove(part)


def _failure(url, reason, help_text):
    message = f"Could not download {url}: {reason}."
    if help_text:
        message += " " + help_text
    return PresetDownloadError(message)


def _stream(url, out, progress, help_text, timeout):
    request = urllib.request.Request(url, headers={"User-Agent": "keras-elmo"})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise PresetFileNotFoundError(
                f"{url} does not exist (HTTP 404)."
            ) from None
        raise _failure(
            url, f"HTTP {error.code} {error.reason}", help_text
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise _failure(url, reason, help_text) from None
    with response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        written = 0
        bar = progress_bar(
            progress,
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=os.path.basename(url),
            leave=False,
        )
        try:
            while True:
                try:
                    # What has arrived, up to a chunk: progress as it comes.
                    chunk = response.read1(_CHUNK_BYTES)
                except (OSError, http.client.HTTPException) as error:
                    raise _failure(
                        url, f"the transfer broke off ({error})", help_text
                    ) from None
                if not chunk:
                    break
                out.write(chunk)
                written += len(chunk)
                bar.update(len(chunk))
        finally:
            bar.close()
    if total is not None and written != total:
        raise _failure(
            url,
            f"the transfer ended after {written} of {total} bytes",
            help_text,
        )
    return written
