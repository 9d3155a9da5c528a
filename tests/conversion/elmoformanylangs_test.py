import json
import os

import numpy as np
import pytest

from keras_elmo.conversion import elmoformanylangs as efml
from keras_elmo.conversion.torch_pickle import TorchPickleError
from keras_elmo.models.elmo import ELMo
from keras_elmo.preprocessing.vocabulary_character_tokenizer import (
    VocabularyCharacterTokenizer,
)
from tests.conversion import elmoformanylangs_fixture as fixture
from tests.conversion import torch_pickle_writer
from tests.reference import numpy_elmoformanylangs


def _layers(arguments):
    """The `ELMo` an ELMoForManyLangs config describes (random weights)."""
    return ELMo(**arguments)


@pytest.fixture(params=["legacy", "zip"])
def model_dir(tmp_path, request):
    path = tmp_path / f"tiny_{request.param}"
    fixture.make_model_dir(path, fmt=request.param)
    return path


def test_reads_dictionaries_with_the_u3000_quirk(tmp_path):
    path = tmp_path / "char.dic"
    fixture.write_dictionary(path, fixture.CHARACTERS)
    characters = efml.read_dictionary(path, efml.SPECIAL_CHARACTERS)
    assert characters == {c: i for i, c in enumerate(fixture.CHARACTERS)}
    assert characters["\u3000"] == len(fixture.CHARACTERS) - 1


@pytest.mark.parametrize(
    "text, message",
    [
        ("<bow>\t0\na\tb\n", r"line 2: expected 'token<TAB>id'"),
        ("<bow>\t0\nx\ty\t3\n", "line 2"),
        ("<bow>\t0\n", r"lacks the special tokens \['<eow>'"),
    ],
)
def test_bad_dictionaries(tmp_path, text, message):
    path = tmp_path / "char.dic"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        efml.read_dictionary(path, efml.SPECIAL_CHARACTERS)
    assert "char.dic" in str(info.value)


def test_non_utf8_dictionary(tmp_path):
    path = tmp_path / "word.dic"
    path.write_bytes(b"\xff\xfe\t0\n")
    with pytest.raises(ValueError, match=r"word.dic is not UTF-8"):
        efml.read_dictionary(path)


def test_config_is_found_as_the_original_finds_it(tmp_path):
    (tmp_path / "config.json").write_text(
        json.dumps({"config_path": "/somewhere/else/tiny.json"})
    )
    (tmp_path / "tiny.json").write_text(json.dumps(fixture.TINY_CONFIG))
    config, source = efml.read_config(tmp_path)
    assert config == fixture.TINY_CONFIG
    assert source == os.path.join(tmp_path, "tiny.json")
    # A released model names a config of the package: known here.
    (tmp_path / "config.json").write_text(
        json.dumps(
            {"config_path": "../configs/cnn_50_100_512_4096_sample.json"}
        )
    )
    config, source = efml.read_config(tmp_path)
    assert config == efml.RELEASED_CONFIG
    assert "known config" in source
    (tmp_path / "config.json").write_text(json.dumps({"config_path": "x"}))
    with pytest.raises(FileNotFoundError, match="'x' named in"):
        efml.read_config(tmp_path)


def test_released_config_arguments():
    arguments = efml.config_to_arguments(efml.RELEASED_CONFIG, 100, 200)
    assert arguments["filters"][-1] == [7, 1024]
    assert arguments["character_embedding_dim"] == 50
    assert arguments["word_embedding_dim"] == 100
    assert arguments["num_characters"] == 101  # + the padding id 0
    assert arguments["word_vocabulary_size"] == 201
    assert (arguments["lstm_units"], arguments["projection_dim"]) == (4096, 512)
    assert arguments["forget_bias"] == 0.0
    assert arguments["use_skip_connections"] is True


@pytest.mark.parametrize(
    "section, key, value, message",
    [
        ("token_embedder", "name", "lstm", "only the 'cnn' token embedder"),
        ("encoder", "name", "lstm", "only the 'elmo' encoder"),
        ("token_embedder", "char_dim", 0, "without a character CNN"),
        ("encoder", "projection_dim", 7, "must be below encoder.dim"),
    ],
)
def test_unsupported_configs(section, key, value, message):
    config = json.loads(json.dumps(fixture.TINY_CONFIG))
    config[section][key] = value
    with pytest.raises(ValueError, match=message):
        efml.config_to_arguments(config, 10, 10, "tiny.json")


def test_is_elmoformanylangs_dir(model_dir, tmp_path):
    assert efml.is_elmoformanylangs_dir(model_dir)
    assert not efml.is_elmoformanylangs_dir(tmp_path)


def test_tiny_model_matches_the_numpy_reference(model_dir):
    source = efml.read_elmoformanylangs(model_dir)
    model = _layers(source.arguments)
    efml.load_elmoformanylangs_weights(model, source)
    tokenizer = VocabularyCharacterTokenizer(source.characters, source.words, 6)
    sentences = [["ab", "한국", "zé"], ["cdeabc", "\u3000"], ["a"]]
    ids = tokenizer.batch_to_ids(sentences)
    x = model.char_cnn(ids)
    layers = model.bilm(x, mask=model.char_cnn.compute_mask(ids))
    lengths = [len(s) + 2 for s in sentences]
    expected = numpy_elmoformanylangs.forward(
        source.state_dicts[efml.TOKEN_EMBEDDER_FILE],
        source.state_dicts[efml.ENCODER_FILE],
        source.config,
        ids[..., :6] - 1,
        ids[..., 6] - 1,
        lengths,
    )
    for row, n in enumerate(lengths):
        np.testing.assert_allclose(
            np.asarray(layers)[row, :, :n], expected[row, :, :n], atol=1e-5
        )


@pytest.mark.parametrize(
    "missing", ["char.dic", "word.dic", "token_embedder.pkl", "encoder.pkl"]
)
def test_missing_files_are_named(model_dir, missing):
    os.remove(model_dir / missing)
    with pytest.raises(FileNotFoundError, match=missing):
        efml.read_elmoformanylangs(model_dir)


@pytest.mark.parametrize("name", ["token_embedder.pkl", "encoder.pkl"])
def test_corrupt_weights_are_named(model_dir, name):
    path = model_dir / name
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(TorchPickleError, match=name):
        efml.read_elmoformanylangs(model_dir)


def test_weights_that_do_not_match_the_config(tmp_path):
    path = tmp_path / "m"
    fixture.make_model_dir(path)
    config = json.loads(json.dumps(fixture.TINY_CONFIG))
    config["token_embedder"]["word_dim"] = 4
    (path / "tiny.json").write_text(json.dumps(config))
    source = efml.read_elmoformanylangs(path)
    model = _layers(source.arguments)
    before = [v.numpy().copy() for v in model.char_cnn.weights]
    with pytest.raises(
        ValueError,
        match=r"'word_emb_layer.embedding.weight' in .*token_embedder.pkl "
        r"has shape \(7, 3\); .* require \(7, 4\)",
    ):
        efml.load_elmoformanylangs_weights(model, source)
    # Nothing was assigned.
    for variable, value in zip(model.char_cnn.weights, before):
        np.testing.assert_array_equal(variable.numpy(), value)


def test_missing_and_extra_tensors(tmp_path):
    path = tmp_path / "m"
    token, lstm = fixture.make_model_dir(path)
    del lstm["backward_layer_1.state_projection.weight"]
    torch_pickle_writer.write_zip(path / "encoder.pkl", lstm)
    source = efml.read_elmoformanylangs(path)
    with pytest.raises(
        ValueError,
        match=r"encoder.pkl has no tensor "
        r"'backward_layer_1.state_projection.weight'",
    ):
        efml.load_elmoformanylangs_weights(_layers(source.arguments), source)
    token["extra.weight"] = np.zeros(2, "float32")
    torch_pickle_writer.write_legacy(path / "token_embedder.pkl", token)
    fixture.make_model_dir(tmp_path / "n")
    (tmp_path / "n" / "token_embedder.pkl").write_bytes(
        (path / "token_embedder.pkl").read_bytes()
    )
    source = efml.read_elmoformanylangs(tmp_path / "n")
    with pytest.raises(ValueError, match=r"does not use: \['extra.weight'\]"):
        efml.load_elmoformanylangs_weights(_layers(source.arguments), source)


def test_dictionary_size_must_match_the_embedding(tmp_path):
    path = tmp_path / "m"
    fixture.make_model_dir(path)
    fixture.write_dictionary(path / "char.dic", fixture.CHARACTERS + ["z"])
    source = efml.read_elmoformanylangs(path)
    with pytest.raises(
        ValueError,
        match=r"'char_emb_layer.embedding.weight' .* \(15, 4\).*\(16, 4\)",
    ):
        efml.load_elmoformanylangs_weights(_layers(source.arguments), source)


def test_arguments_to_config_inverts_config_to_arguments():
    for config in (efml.RELEASED_CONFIG, fixture.TINY_CONFIG):
        arguments = efml.config_to_arguments(config, 10, 20)
        back = efml.arguments_to_config(arguments)
        assert efml.config_to_arguments(back, 10, 20) == arguments
        assert back["encoder"] == {
            **config["encoder"],
            "cell_clip": float(config["encoder"]["cell_clip"]),
            "proj_clip": float(config["encoder"]["proj_clip"]),
        }


@pytest.mark.parametrize("given", [False, True])
def test_supply_config_writes_the_missing_file(tmp_path, given):
    # The released archives: config.json names a file on the authors'
    # machine that the archive lacks (ELMoForManyLangs issue 27).
    name = "cnn_50_100_512_4096_sample.json"
    path = tmp_path / "model"
    path.mkdir()
    (path / "config.json").write_text(
        json.dumps({"config_path": f"/users4/conll18st/configs/{name}"})
    )
    arguments = efml.config_to_arguments(efml.RELEASED_CONFIG, 1, 1)
    written = efml.supply_config(path, arguments if given else None)
    assert written == name
    assert json.loads((path / "config.json").read_text()) == {
        "config_path": name
    }
    config, source = efml.read_config(path)
    assert source == str(path / name)
    assert efml.config_to_arguments(config, 1, 1) == arguments
    assert efml.supply_config(path) is None  # present now: nothing to do


def test_supply_config_of_an_unknown_missing_file_is_named(tmp_path):
    (tmp_path / "config.json").write_text(
        json.dumps({"config_path": "/elsewhere/mine.json"})
    )
    with pytest.raises(FileNotFoundError, match="mine.json' named in"):
        efml.supply_config(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"config_path": ""}))
    with pytest.raises(ValueError, match="must name a config file"):
        efml.supply_config(tmp_path)
