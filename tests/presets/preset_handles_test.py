"""Preset handles: local directories, file:// and http:// URLs, the cache,
the official names (through the base-URL setting), and failures."""

import os
import shutil
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from keras_elmo.models.elmo import ELMo
from keras_elmo.models.elmo_embedding import ELMoEmbedding
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.presets import BASE_URL_ENV
from keras_elmo.presets import BUILTIN_PRESETS
from keras_elmo.presets import TIMEOUT_ENV
from keras_elmo.presets import PresetDownloadError
from keras_elmo.presets import cache_dir
from keras_elmo.presets import resolve_preset
from keras_elmo.presets.preset_handles import MANIFEST_FILE
from keras_elmo.presets.preset_handles import _url_cache_name
from tests.presets.preset_server import PresetServer
from tests.presets.preset_server import write_tiny_preset
from tests.test_case import REPO_ROOT

IDS = batch_to_char_ids([["The", "cat", "sat", "."], ["Hello"]])
OFFICIAL_DIR = "2x8_4_20cnn_2xhighway"  # an official-style tiny model


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


def _layers(model):
    return np.asarray(model(IDS)["layers"])


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_local_directory_and_file_url(preset_dir):
    local = ELMo.from_preset(str(preset_dir))
    by_url = ELMo.from_preset(preset_dir.as_uri())
    expected = ELMo.from_bilm_hdf5(
        preset_dir / "options.json", preset_dir / "weights.hdf5"
    )
    np.testing.assert_array_equal(_layers(local), _layers(expected))
    np.testing.assert_array_equal(_layers(by_url), _layers(expected))
    assert resolve_preset(str(preset_dir)).metadata()["name"] == "tiny"


def test_model_directory_names_its_nested_preset(tmp_path):
    # The TF Serving layout of saved_models/: versions beside `preset/`.
    model_dir = tmp_path / "saved_models" / "tiny"
    preset = write_tiny_preset(model_dir / "preset")
    (model_dir / "1").mkdir()
    expected = _layers(ELMo.from_preset(str(preset)))
    for handle in (str(model_dir), model_dir.as_uri()):
        assert resolve_preset(handle).path == preset
        np.testing.assert_array_equal(
            _layers(ELMo.from_preset(handle)), expected
        )
    # A preset at the top wins over a nested one.
    top = write_tiny_preset(tmp_path / "both")
    write_tiny_preset(top / "preset")
    assert resolve_preset(str(top)).path == top


def test_directory_without_the_files(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="lacks options.json"):
        ELMo.from_preset(str(tmp_path / "empty"))
    # An empty `preset/` is not a preset either: the error names the
    # directory given.
    (tmp_path / "empty" / "preset").mkdir()
    with pytest.raises(FileNotFoundError, match="empty' is not an ELMo"):
        ELMo.from_preset(str(tmp_path / "empty"))


def test_http_then_from_the_cache_with_the_server_gone(preset_dir):
    expected = _layers(ELMo.from_preset(str(preset_dir)))
    with PresetServer(preset_dir.parent) as server:
        url = f"{server.url}/tiny"
        model = ELMo.from_preset(url)
        embedding = ELMoEmbedding.from_preset(url)
        fetched = sorted(path.rsplit("/", 1)[-1] for path in server.requests)
    np.testing.assert_array_equal(_layers(model), expected)
    # Every file of the preset, fetched once: later loads use the cache.
    assert fetched == [
        "README.md",
        "layer_mix.json",
        "metadata.json",
        "options.json",
        "text_tokenizer.json",  # optional, absent: asked for once
        "vocabulary.txt",
        "warm_state.npz",  # optional, absent: asked for once
        "warm_up.txt",  # optional, absent: asked for once
        "weights.hdf5",
    ]
    mix = embedding.layer_mix
    np.testing.assert_array_equal(mix.scalar_weights[0].numpy(), [0, 1, 2])
    np.testing.assert_array_equal(mix.gammas[0].numpy(), [0.5])

    # The server is gone: the same URL loads from the cache.
    again = ELMo.from_preset(url)
    np.testing.assert_array_equal(_layers(again), expected)
    embedder = ELMoEmbedder.from_preset(url)
    np.testing.assert_array_equal(
        embedder.layer_mix.scalar_weights[0].numpy(), [0, 1, 2]
    )
    preset = resolve_preset(url)
    assert preset.path.parent == cache_dir() / "urls"
    assert preset.metadata()["name"] == "tiny"
    assert preset.file("README.md", required=False) is None  # absent: 404


def test_official_name_through_the_base_url(tmp_path, monkeypatch):
    # An official-style entry (the files named as on the AllenNLP server)
    # with a tiny architecture: the same code path as elmo_small_en.
    root = tmp_path / "mirror"
    source = write_tiny_preset(tmp_path / "tiny", layer_mix=False)
    (root / OFFICIAL_DIR).mkdir(parents=True)
    for name, suffix in (
        ("options.json", "options.json"),
        ("weights.hdf5", "weights.hdf5"),
    ):
        shutil.copy(
            source / name,
            root / OFFICIAL_DIR / f"elmo_{OFFICIAL_DIR}_{suffix}",
        )
    (root / "vocab-test.txt").write_text("<S>\n</S>\n<UNK>\nthe\n")
    entry = dict(BUILTIN_PRESETS["elmo_small_en"])
    entry["config"] = resolve_preset(str(source)).config()
    entry["files"] = {
        "options.json": f"{OFFICIAL_DIR}/elmo_{OFFICIAL_DIR}_options.json",
        "weights.hdf5": f"{OFFICIAL_DIR}/elmo_{OFFICIAL_DIR}_weights.hdf5",
        "vocabulary.txt": "vocab-test.txt",
    }
    monkeypatch.setitem(BUILTIN_PRESETS, "elmo_served_en", entry)
    expected = _layers(ELMo.from_preset(str(source)))
    with PresetServer(root) as server:
        monkeypatch.setenv(BASE_URL_ENV, server.url + "/")
        model = ELMo.from_preset("elmo_served_en")
        assert len(server.requests) == 2  # options and weights only
        # The token-cache vocabulary is fetched when asked for.
        preset = resolve_preset("elmo_served_en")
        assert preset.vocabulary() == ["<S>", "</S>", "<UNK>", "the"]
        assert len(server.requests) == 3
    np.testing.assert_array_equal(_layers(model), expected)
    assert (cache_dir() / "elmo_served_en" / MANIFEST_FILE).is_file()
    # Offline: the cache, with the metadata of the table.
    again = resolve_preset("elmo_served_en")
    assert again.metadata()["language"] == "en"
    np.testing.assert_array_equal(
        _layers(ELMo.from_preset("elmo_served_en")), expected
    )


def test_official_name_without_network_fails_fast(monkeypatch):
    base = f"http://127.0.0.1:{_closed_port()}/elmo"
    monkeypatch.setenv(BASE_URL_ENV, base)
    url = (
        f"{base}/2x1024_128_2048cnn_1xhighway/"
        "elmo_2x1024_128_2048cnn_1xhighway_options.json"
    )
    start = time.monotonic()
    with pytest.raises(PresetDownloadError) as error:
        ELMo.from_preset("elmo_small_en")
    assert time.monotonic() - start < 5
    message = str(error.value)
    assert url in message
    assert "from_preset('/path/to/dir')" in message
    assert BASE_URL_ENV in message
    assert not (cache_dir() / "elmo_small_en" / MANIFEST_FILE).exists()
    # The architecture alone needs no network.
    assert (
        ELMo.from_preset("elmo_small_en", load_weights=False).lstm_units == 1024
    )


def test_a_server_that_never_answers_times_out(monkeypatch):
    # Connections complete in the kernel backlog, nothing is ever sent.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/tiny"
        monkeypatch.setenv(TIMEOUT_ENV, "1")
        start = time.monotonic()
        with pytest.raises(PresetDownloadError, match="Could not download"):
            ELMo.from_preset(url)
        assert time.monotonic() - start < 5


def test_a_cut_download_never_looks_complete(preset_dir):
    with PresetServer(preset_dir.parent) as server:
        server.truncate.add("weights.hdf5")
        url = f"{server.url}/tiny"
        with pytest.raises(PresetDownloadError, match="weights.hdf5.*ended"):
            ELMo.from_preset(url)
        cached = _url_cache_name(url)
        directory = cache_dir() / "urls" / cached
        # options.json arrived whole; nothing else is under a real name.
        assert sorted(os.listdir(directory)) == ["options.json"]
        server.truncate.clear()
        model = ELMo.from_preset(url)  # the next call completes it
    np.testing.assert_array_equal(
        _layers(model), _layers(ELMo.from_preset(str(preset_dir)))
    )


def test_a_killed_download_never_looks_complete(preset_dir, tmp_path):
    destination = tmp_path / "cache" / "weights.hdf5"
    with PresetServer(preset_dir.parent) as server:
        server.stall.add("weights.hdf5")
        code = (
            "import sys; from keras_elmo.presets.download import download_file;"
            "download_file(sys.argv[1], sys.argv[2], progress=False)"
        )
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                code,
                f"{server.url}/tiny/weights.hdf5",
                str(destination),
            ],
            env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                parts = list(destination.parent.glob("*.part"))
                if parts and parts[0].stat().st_size > 0:
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the download never started")
        finally:
            child.kill()
            child.wait()
    assert not destination.exists()
    assert all(p.name.endswith(".part") for p in destination.parent.iterdir())


def test_missing_required_file_names_the_url(preset_dir):
    os.remove(preset_dir / "weights.hdf5")
    with PresetServer(preset_dir.parent) as server:
        url = f"{server.url}/tiny"
        with pytest.raises(FileNotFoundError, match=f"{url}/weights.hdf5"):
            ELMo.from_preset(url)


def test_downloaded_files_that_are_not_an_elmo_are_dropped(preset_dir):
    (preset_dir / "options.json").write_text("<html>Not found</html>")
    with PresetServer(preset_dir.parent) as server:
        url = f"{server.url}/tiny"
        with pytest.raises(
            PresetDownloadError, match="options.json: it is an HTML"
        ):
            ELMo.from_preset(url)
    cached = cache_dir() / "urls"
    assert not list(cached.glob("*/options.json"))
    assert not list(cached.glob(f"*/{MANIFEST_FILE}"))


def test_weights_that_do_not_match_the_options_are_dropped(tmp_path):
    good = write_tiny_preset(tmp_path / "a" / "tiny")
    other = write_tiny_preset(tmp_path / "b", dim=32)
    shutil.copy(other / "weights.hdf5", good / "weights.hdf5")
    with PresetServer(good.parent) as server:
        with pytest.raises(ValueError, match="do not match.*shape"):
            ELMo.from_preset(f"{server.url}/tiny")
    assert not list((cache_dir() / "urls").glob("*/weights.hdf5"))
