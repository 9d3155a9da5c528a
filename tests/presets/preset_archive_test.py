"""Each distribution format, served from a local server: download -> cache
-> offline reuse -> the reference implementation's own outputs.

- an ELMoForManyLangs zip without its config file (the NLPL archives of
  ELMoForManyLangs' 44 languages), built from the shared
  `../shared/fixtures/elmoformanylangs` model: ELMoForManyLangs' outputs to
  1e-5;
- an NLPL bilm-tf zip (`options.json`, `model.hdf5`, `vocab.txt` at the
  root) and the plain files, built from the shared bilm-tf fixture:
  bilm-tf's outputs to 1e-6.

The registry entries are stand-ins pointing at the local server (the
real ones point at the internet); the server is stopped before the reuse.
"""

import json
import shutil

import h5py
import numpy as np
import pytest

from keras_elmo.cli.main import main
from keras_elmo.conversion.bilm_options import options_to_config
from keras_elmo.conversion.bilm_options import read_options
from keras_elmo.conversion.elmoformanylangs import config_to_arguments
from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from keras_elmo.models.elmo import ELMo
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.presets import BASE_URL_ENV
from keras_elmo.presets import BUILTIN_PRESETS
from keras_elmo.presets import TIMEOUT_ENV
from keras_elmo.presets import cache_dir
from keras_elmo.presets.download import sha256_of_file
from keras_elmo.presets.preset_cache import MANIFEST_FILE
from tests.presets.preset_formats import zip_elmoformanylangs
from tests.presets.preset_formats import zip_nlpl_bilm_tf
from tests.presets.preset_server import PresetServer
from tests.test_case import REPO_ROOT
from tests.test_case import shared_fixtures_dir

EFML_FIXTURE = REPO_ROOT.parent / "shared" / "fixtures" / "elmoformanylangs"


@pytest.fixture(autouse=True)
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)


def _efml_fixture():
    if not (EFML_FIXTURE / "outputs.hdf5").is_file():
        pytest.skip(
            f"{EFML_FIXTURE} not found: the ELMoForManyLangs parity tests "
            "need the shared fixture (../shared/fixtures/elmoformanylangs)"
        )
    with open(EFML_FIXTURE / "sentences.json", encoding="utf-8") as f:
        batches = json.load(f)["batches"]
    with h5py.File(EFML_FIXTURE / "outputs.hdf5", "r") as f:
        expected = [f[str(i)][...] for i in range(len(f))]
    return batches, expected


def _efml_errors(handle, batches, expected):
    # Eager: an XLA compile per shape costs more than these tiny batches.
    embedder = ELMoEmbedder.from_preset(handle, jit_compile=False)
    errors = []
    for batch in batches:
        for got in embedder.embed_sentences(batch, output="all"):
            want = expected[len(errors)]
            assert got.shape == want.shape
            errors.append(float(np.abs(got - want).max()))
    assert len(errors) == len(expected)
    return max(errors)


def _bilm_tf_batch_zero(fixtures):
    # Batch 0 of bilm-tf's golden outputs starts from a zero state (see
    # tests/models/elmo_test.py): the top layer of 3 sentences.
    with open(fixtures / "lm_embeddings_sentences.json") as f:
        lists = json.load(f)
    batch = [lists[k][0].split() for k in range(3)]
    expected = []
    for k in range(3):
        with h5py.File(fixtures / f"lm_embeddings_{k}.hdf5", "r") as f:
            top = f["0"][...]
        expected.append(np.concatenate([top[0], top[1]], axis=-1))
    return batch, expected


def _bilm_tf_error(handle, fixtures):
    batch, expected = _bilm_tf_batch_zero(fixtures)
    layers = np.asarray(
        ELMo.from_preset(handle)(batch_to_char_ids(batch))["layers"]
    )
    return max(
        float(np.abs(layers[k, -1, 1 : len(s) + 1] - expected[k]).max())
        for k, s in enumerate(batch)
    )


def _serve_efml_zip(tmp_path, monkeypatch):
    """Serve the fixture's NLPL-style zip under a stand-in entry."""
    served = tmp_path / "served" / "repository" / "11"
    served.mkdir(parents=True)
    archive = served / "161.zip"
    missing = zip_elmoformanylangs(EFML_FIXTURE / "model", archive)
    config = json.loads((EFML_FIXTURE / "model" / missing).read_text())
    arguments = config_to_arguments(config, 1, 1)
    for key in ("num_characters", "word_vocabulary_size"):
        arguments.pop(key)  # the entry need not know the vocabulary sizes
    server = PresetServer(tmp_path / "served").start()
    monkeypatch.setitem(
        BUILTIN_PRESETS,
        "elmo_manylangs_tiny",
        {
            "metadata": {"language": "ko", "source": "tests"},
            "config": arguments,
            "format": "elmoformanylangs_archive",
            "url": f"{server.url}/repository/11/161.zip",
            "sha256": sha256_of_file(archive),  # a published checksum
        },
    )
    return server, archive, missing


def test_elmoformanylangs_zip_without_its_config(tmp_path, monkeypatch):
    batches, expected = _efml_fixture()
    server, archive, missing = _serve_efml_zip(tmp_path, monkeypatch)
    try:
        first = _efml_errors("elmo_manylangs_tiny", batches, expected)
        assert server.requests == ["/repository/11/161.zip"]  # once
    finally:
        server.stop()
    # The server is gone: from the cache.
    again = _efml_errors("elmo_manylangs_tiny", batches, expected)
    print(f"max abs error: download {first:.2e}, cache {again:.2e}")
    assert first <= 1e-5 and again <= 1e-5
    cached = cache_dir() / "elmo_manylangs_tiny"
    assert (cached / missing).is_file()  # supplied from the entry
    manifest = json.loads((cached / MANIFEST_FILE).read_text())
    assert manifest["archive_sha256"] == sha256_of_file(archive)
    assert set(manifest["sha256"]) == {
        "char.dic",
        "config.json",
        "encoder.pkl",
        missing,
        "token_embedder.pkl",
        "word.dic",
    }


def test_convert_reads_a_cached_archive(tmp_path, monkeypatch):
    # `keras-elmo convert` works on the archive's name like on any model
    # directory, and the converted preset keeps the original's numbers.
    batches, expected = _efml_fixture()
    server, _, _ = _serve_efml_zip(tmp_path, monkeypatch)
    out = tmp_path / "converted"
    try:
        argv = ["convert", "--from", "elmoformanylangs", "elmo_manylangs_tiny"]
        assert main([*argv, str(out)]) == 0
    finally:
        server.stop()
    assert _efml_errors(str(out), batches, expected) <= 1e-5


def test_elmoformanylangs_zip_with_a_wrong_published_checksum(
    tmp_path, monkeypatch
):
    _efml_fixture()
    zip_elmoformanylangs(EFML_FIXTURE / "model", tmp_path / "161.zip")
    with PresetServer(tmp_path) as server:
        monkeypatch.setitem(
            BUILTIN_PRESETS,
            "elmo_manylangs_tiny",
            {
                "metadata": {"language": "ko"},
                "config": {},
                "format": "elmoformanylangs_archive",
                "url": f"{server.url}/161.zip",
                "sha256": "0" * 64,
            },
        )
        with pytest.raises(Exception, match="published one is 0000"):
            ELMo.from_preset("elmo_manylangs_tiny")
    assert not (cache_dir() / "elmo_manylangs_tiny").exists()


def test_nlpl_bilm_tf_zip(tmp_path, monkeypatch):
    fixtures = shared_fixtures_dir()
    zip_nlpl_bilm_tf(
        fixtures / "options.json",
        fixtures / "lm_weights.hdf5",
        fixtures / "vocab_test.txt",
        tmp_path / "200.zip",
    )
    config = options_to_config(read_options(fixtures / "options.json"))
    with PresetServer(tmp_path) as server:
        url = f"{server.url}/200.zip"
        monkeypatch.setitem(
            BUILTIN_PRESETS,
            "elmo_nlpl_tiny",
            {
                "metadata": {"language": "en", "source": "tests"},
                "config": config,
                "format": "bilm_tf_archive",
                "url": url,
                "sha256": None,
            },
        )
        by_name = _bilm_tf_error("elmo_nlpl_tiny", fixtures)
        by_url = _bilm_tf_error(url, fixtures)  # not in the registry
        assert len(server.requests) == 2  # each handle downloads once
    assert by_name <= 1e-6 and by_url <= 1e-6
    # Offline, from the cache, by either handle.
    assert _bilm_tf_error("elmo_nlpl_tiny", fixtures) <= 1e-6
    assert _bilm_tf_error(url, fixtures) <= 1e-6
    cached = cache_dir() / "elmo_nlpl_tiny"
    assert sorted(p.name for p in cached.iterdir()) == [
        MANIFEST_FILE,
        "options.json",
        "vocabulary.txt",
        "weights.hdf5",
    ]
    embedder = ELMoEmbedder.from_preset("elmo_nlpl_tiny")
    assert embedder.model.lstm_units == config["lstm_units"]


def test_bilm_tf_plain_files(tmp_path, monkeypatch):
    fixtures = shared_fixtures_dir()
    served = tmp_path / "files"
    served.mkdir()
    shutil.copy(fixtures / "options.json", served / "elmo_options.json")
    shutil.copy(fixtures / "lm_weights.hdf5", served / "elmo_weights.hdf5")
    config = options_to_config(read_options(fixtures / "options.json"))
    with PresetServer(tmp_path) as server:
        monkeypatch.setitem(
            BUILTIN_PRESETS,
            "elmo_files_tiny",
            {
                "metadata": {"language": "en", "source": "tests"},
                "config": config,
                "format": "bilm_tf_files",
                "url": {
                    "options.json": f"{server.url}/files/elmo_options.json",
                    "weights.hdf5": f"{server.url}/files/elmo_weights.hdf5",
                },
                "sha256": None,
            },
        )
        first = _bilm_tf_error("elmo_files_tiny", fixtures)
    again = _bilm_tf_error("elmo_files_tiny", fixtures)
    assert first <= 1e-6 and again <= 1e-6


def test_a_cached_file_that_changed_is_found(tmp_path, monkeypatch):
    fixtures = shared_fixtures_dir()
    archive = zip_nlpl_bilm_tf(
        fixtures / "options.json",
        fixtures / "lm_weights.hdf5",
        fixtures / "vocab_test.txt",
        tmp_path / "200.zip",
    )
    ELMo.from_preset(str(archive))
    (cached,) = [
        p for p in (cache_dir() / "archives").iterdir() if p.name[0] != "."
    ]
    with open(cached / "weights.hdf5", "r+b") as f:
        f.seek(-8, 2)
        f.write(b"poisoned")
    with pytest.raises(ValueError, match="weights.hdf5 .* has SHA-256"):
        ELMo.from_preset(str(archive))
    # Removed with the manifest: the next load extracts the archive again.
    assert _bilm_tf_error(str(archive), fixtures) <= 1e-6
