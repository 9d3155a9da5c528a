"""Streaming downloads that never leave a partial file under the real name.

A file is written next to its destination under a temporary name and
renamed when every byte announced by the server has arrived, so a killed
or cut download never looks complete, and two processes fetching the same
file each rename a whole copy.
"""

import http.client
import os
import tempfile
import urllib.error
import urllib.request

import tqdm

TIMEOUT_ENV = "KERAS_ELMO_DOWNLOAD_TIMEOUT"
# Seconds to connect (and to wait for each block): without a network, the
# error comes within this time rather than after the OS's minutes.
DEFAULT_TIMEOUT = 10.0
_CHUNK_BYTES = 1 << 20


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
        timeout = -1.0
    if timeout <= 0:
        raise ValueError(
            f"${TIMEOUT_ENV} must be a positive number of seconds. "
            f"Received: {value!r}"
        )
    return timeout


def download_file(url, destination, progress=True, help_text=""):
    """Download `url` to `destination` (atomically), with a progress bar.

    Args:
        url: str. An `http://` or `https://` URL.
        destination: str or path-like. The file to write.
        progress: bool. Show a tqdm progress bar on stderr. Defaults to
            `True`.
        help_text: str. Appended to the error message (how to get the file
            another way).

    Returns:
        The number of bytes written.

    Raises:
        PresetFileNotFoundError: the server has no such file (HTTP 404).
        PresetDownloadError: any other failure (no network, timeout, HTTP
            error, truncated transfer), naming the URL.

    Example:

    >>> download_file("https://example.com/options.json", "options.json")
    """
    destination = os.fspath(destination)
    directory = os.path.dirname(os.path.abspath(destination))
    os.makedirs(directory, exist_ok=True)
    fd, part = tempfile.mkstemp(
        dir=directory,
        prefix=f".{os.path.basename(destination)}.",
        suffix=".part",
    )
    try:
        with os.fdopen(fd, "wb") as out:
            written = _stream(url, out, progress, help_text)
        os.replace(part, destination)
        return written
    finally:
        if os.path.exists(part):
            os.remove(part)


def _failure(url, reason, help_text):
    message = f"Could not download {url}: {reason}."
    if help_text:
        message += " " + help_text
    return PresetDownloadError(message)


def _stream(url, out, progress, help_text):
    request = urllib.request.Request(url, headers={"User-Agent": "keras-elmo"})
    try:
        response = urllib.request.urlopen(request, timeout=download_timeout())
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
        bar = tqdm.tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=os.path.basename(url),
            disable=not progress,
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
