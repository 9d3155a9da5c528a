"""Downloads that can't be swapped or poisoned: one test per failure.

A server serving another model under a built-in's name, HTML error pages
with HTTP 200, `.part` files of killed downloads, file permissions, and the
command line's one-line errors (a failed download, a bad
`KERAS_ELMO_DOWNLOAD_TIMEOUT`, an unwritable `KERAS_HOME`). Every test
failed on the code before the one loader.
"""

import os
import shutil
import socket
import stat
import subprocess
import sys

import numpy as np
import pytest

from keras_elmo.cli.main import main
from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from keras_elmo.models.elmo import ELMo
from keras_elmo.presets import BASE_URL_ENV
from keras_elmo.presets import BUILTIN_PRESETS
from keras_elmo.presets import TIMEOUT_ENV
from keras_elmo.presets import PresetDownloadError
from keras_elmo.presets import cache_dir
from keras_elmo.presets.download import download_timeout
from keras_elmo.presets.file_types import check_file_type
from keras_elmo.presets.preset_cache import MANIFEST_FILE
from keras_elmo.presets.preset_handles import _url_cache_name
from tests.presets.preset_formats import zip_nlpl_bilm_tf
from tests.presets.preset_server import PresetServer
from tests.presets.preset_server import write_tiny_preset


@pytest.fixture(autouse=True)
def keras_home(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    return home


@pytest.fixture
def preset_dir(tmp_path):
    return write_tiny_preset(tmp_path / "served" / "tiny")


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _one_line_error(capsys, command):
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    last = lines[-1].split("\r")[-1]  # after any progress bar's \r
    assert last.startswith(f"keras-elmo {command}: error: "), err
    return last


def test_a_swapped_model_is_refused_naming_both(tmp_path, monkeypatch):
    # A mirror that serves a 16-unit model under elmo_small_en's paths
    # (1024 units): refused, and nothing is cached.
    tiny = write_tiny_preset(tmp_path / "tiny", layer_mix=False)
    directory = "2x1024_128_2048cnn_1xhighway"
    (tmp_path / "mirror" / directory).mkdir(parents=True)
    for name in ("options", "weights"):
        suffix = "json" if name == "options" else "hdf5"
        shutil.copy(
            tiny / f"{name}.{suffix}",
            tmp_path
            / "mirror"
            / directory
            / f"elmo_{directory}_{name}.{suffix}",
        )
    with PresetServer(tmp_path / "mirror") as server:
        monkeypatch.setenv(BASE_URL_ENV, server.url)
        with pytest.raises(ValueError) as error:
            ELMo.from_preset("elmo_small_en")
    message = str(error.value)
    assert "is not 'elmo_small_en'" in message
    assert "lstm_units=16" in message and "lstm_units=1024" in message
    assert "projection_dim=8" in message and "projection_dim=128" in message
    cached = cache_dir() / "elmo_small_en"
    assert not [p for p in cached.iterdir() if not p.name.startswith(".tmp")]


def test_html_error_pages_with_http_200_are_never_cached(preset_dir, capsys):
    with PresetServer(preset_dir.parent) as server:
        url = f"{server.url}/tiny"
        server.error_pages = True
        with pytest.raises(PresetDownloadError, match="an HTML page"):
            ELMoEmbedder.from_preset(url)
        cached = cache_dir() / "urls" / _url_cache_name(url)
        assert list(cached.iterdir()) == []  # nothing under a real name
        assert main(["embed", "in.txt", "out.hdf5", "--model", url]) == 2
        line = _one_line_error(capsys, "embed")
        assert "options.json: it is an HTML page" in line
        # The server is fixed: the next run downloads and works.
        server.error_pages = False
        embedder = ELMoEmbedder.from_preset(url)
    np.testing.assert_array_equal(
        embedder.layer_mix.scalar_weights[0].numpy(), [0, 1, 2]
    )
    assert (cached / MANIFEST_FILE).is_file()
    for name in ("options.json", "weights.hdf5", "layer_mix.json"):
        check_file_type(cached / name)


def test_html_pages_left_by_an_earlier_version_are_replaced(preset_dir):
    # An earlier version kept them and completed the manifest around them.
    with PresetServer(preset_dir.parent) as server:
        url = f"{server.url}/tiny"
        cached = cache_dir() / "urls" / _url_cache_name(url)
        cached.mkdir(parents=True)
        (cached / "layer_mix.json").write_text("<html>Error</html>")
        embedder = ELMoEmbedder.from_preset(url)
    np.testing.assert_array_equal(embedder.layer_mix.gammas[0].numpy(), [0.5])


def test_an_html_page_for_an_archive_is_not_kept(tmp_path):
    (tmp_path / "200.zip").write_text("<html>Moved</html>")
    with PresetServer(tmp_path) as server:
        with pytest.raises(PresetDownloadError, match="not a zip file"):
            ELMo.from_preset(f"{server.url}/200.zip")
    leftovers = [p for p in (cache_dir() / "urls").iterdir()]
    assert leftovers == []


def test_stale_part_files_are_removed(preset_dir):
    with PresetServer(preset_dir.parent) as server:
        url = f"{server.url}/tiny"
        cached = cache_dir() / "urls" / _url_cache_name(url)
        cached.mkdir(parents=True)
        # A killed download of this version (its process has ended), one
        # of the earlier version (no pid in the name), and a live one.
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import os; open(f'.weights.hdf5.pid-{os.getpid()}.x.part', "
                "'w').write('half')",
            ],
            cwd=cached,
            check=True,
        )
        (cached / ".weights.hdf5.k2j4h1ab.part").write_text("half")
        live = cached / f".options.json.pid-{os.getpid()}.live.part"
        live.write_text("being written")
        ELMo.from_preset(url)
    parts = sorted(p.name for p in cached.glob("*.part"))
    assert parts == [live.name]


def test_downloaded_files_get_normal_permissions(
    preset_dir, tmp_path, umask_022
):
    with PresetServer(preset_dir.parent) as server:
        ELMo.from_preset(f"{server.url}/tiny")
    archive = (
        zip_nlpl_bilm_tf(
            preset_dir / "options.json",
            preset_dir / "weights.hdf5",
            tmp_path / "vocab.txt",
            tmp_path / "200.zip",
        )
        if (tmp_path / "vocab.txt").write_text("<S>\n</S>\n<UNK>\n")
        else None
    )
    ELMo.from_preset(str(archive))
    files = [p for p in cache_dir().rglob("*") if p.is_file()]
    assert len(files) >= 6
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    for path in [p for p in cache_dir().rglob("*") if p.is_dir()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o755, path


def test_a_failed_download_is_one_line_in_the_cli(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv(BASE_URL_ENV, f"http://127.0.0.1:{_closed_port()}")
    text = tmp_path / "in.txt"
    text.write_text("Hello world\n")
    argv = ["embed", str(text), str(tmp_path / "o.hdf5"), "--no-progress"]
    assert main([*argv, "--model", "elmo_small_en"]) == 2
    line = _one_line_error(capsys, "embed")
    assert "Could not download http://127.0.0.1" in line
    assert not (tmp_path / "o.hdf5").exists()


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0", "1e300", "soon"])
def test_a_bad_timeout_is_one_line_naming_the_variable(
    value, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv(TIMEOUT_ENV, value)
    with pytest.raises(ValueError, match=TIMEOUT_ENV):
        download_timeout()
    text = tmp_path / "in.txt"
    text.write_text("Hello world\n")
    url = f"http://127.0.0.1:{_closed_port()}/tiny"
    argv = ["embed", str(text), str(tmp_path / "o.hdf5"), "--model", url]
    assert main(argv) == 2
    line = _one_line_error(capsys, "embed")
    assert f"${TIMEOUT_ENV} must be a positive, finite number" in line
    assert repr(value) in line


def test_an_unwritable_keras_home_is_one_line_naming_it(
    tmp_path, monkeypatch, capsys
):
    # Under a file (unwritable even for root); a read-only directory
    # gives the same error for other users.
    blocker = tmp_path / "not_a_directory"
    blocker.write_text("")
    home = blocker / "keras"
    monkeypatch.setenv("KERAS_HOME", str(home))
    with PresetServer(tmp_path) as server:
        url = f"{server.url}/tiny"
        with pytest.raises(PresetDownloadError, match="KERAS_HOME"):
            ELMo.from_preset(url)
        text = tmp_path / "in.txt"
        text.write_text("Hello world\n")
        argv = ["embed", str(text), str(tmp_path / "o.hdf5"), "--model", url]
        assert main(argv) == 2
    line = _one_line_error(capsys, "embed")
    assert "Cannot write the preset cache" in line
    assert str(home) in line and "KERAS_HOME" in line


def test_a_registry_entry_with_an_unknown_format_is_refused(monkeypatch):
    monkeypatch.setitem(
        BUILTIN_PRESETS,
        "elmo_strange",
        {"metadata": {}, "config": {}, "format": "rar", "url": "x"},
    )
    with pytest.raises(ValueError, match="unknown format 'rar'"):
        ELMo.from_preset("elmo_strange")
