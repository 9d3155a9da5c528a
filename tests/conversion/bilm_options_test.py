import copy
import json

import pytest

from keras_elmo.conversion.bilm_options import config_to_options
from keras_elmo.conversion.bilm_options import options_to_config
from keras_elmo.conversion.bilm_options import read_options
from keras_elmo.conversion.bilm_options import validate_options

OPTIONS = {
    "lstm": {
        "cell_clip": 3,
        "use_skip_connections": True,
        "n_layers": 2,
        "proj_clip": 3,
        "projection_dim": 16,
        "dim": 64,
    },
    "char_cnn": {
        "embedding": {"dim": 4},
        "filters": [[1, 4], [2, 8]],
        "n_highway": 1,
        "n_characters": 262,
        "max_characters_per_token": 50,
        "activation": "relu",
    },
}


def _with(path, value):
    options = copy.deepcopy(OPTIONS)
    *parents, last = path.split(".")
    target = options
    for key in parents:
        target = target[key]
    if value is _with:
        del target[last]
    else:
        target[last] = value
    return options


def test_valid_options_get_defaults():
    minimal = _with("char_cnn.activation", _with)
    del minimal["char_cnn"]["n_highway"], minimal["lstm"]["cell_clip"]
    options = validate_options(minimal)
    assert options["char_cnn"]["activation"] == "relu"
    assert options["char_cnn"]["n_highway"] == 0
    assert options["lstm"]["cell_clip"] is None
    assert options["lstm"]["proj_clip"] == 3.0


@pytest.mark.parametrize(
    "path, value, message",
    [
        ("lstm", _with, "`lstm` is missing"),
        ("lstm.dim", _with, "`lstm.dim` is missing"),
        ("char_cnn.filters", _with, "`char_cnn.filters` is missing"),
        ("char_cnn.embedding", {}, "char_cnn.embedding.dim"),
        ("char_cnn.activation", "gelu", "'relu' or 'tanh', got 'gelu'"),
        ("char_cnn.n_characters", 261, "must be 262"),
        ("char_cnn.filters", [[1, 4], [2]], r"filters\[1\]"),
        ("char_cnn.filters", [], "non-empty"),
        ("char_cnn.filters", [[60, 4]], "above max_characters_per_token"),
        ("lstm.dim", -3, "positive integer, got -3"),
        ("lstm.projection_dim", 128, "must not exceed lstm.dim"),
        ("lstm.cell_clip", "big", "number or null"),
        ("lstm.use_skip_connections", "yes", "true or false"),
        ("char_cnn.n_highway", -1, "n_highway"),
    ],
)
def test_invalid_options_name_the_field(path, value, message):
    with pytest.raises(ValueError, match=message):
        validate_options(_with(path, value), source="opts.json")


def test_errors_name_the_file(tmp_path):
    path = tmp_path / "options.json"
    path.write_text(json.dumps(_with("lstm.n_layers", 0)))
    with pytest.raises(ValueError, match=f"{path}.*lstm.n_layers"):
        read_options(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_options(path)
    with pytest.raises(FileNotFoundError):
        read_options(tmp_path / "missing.json")
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        read_options(path)


def test_options_to_config_and_back():
    config = options_to_config(OPTIONS)
    assert config == {
        "filters": [[1, 4], [2, 8]],
        "character_embedding_dim": 4,
        "num_highway_layers": 1,
        "activation": "relu",
        "num_characters": 262,
        "max_characters_per_token": 50,
        "lstm_units": 64,
        "projection_dim": 16,
        "num_layers": 2,
        "cell_clip": 3.0,
        "projection_clip": 3.0,
        "use_skip_connections": True,
    }
    assert config_to_options(config) == validate_options(OPTIONS)
    # Keys options.json has no field for (runtime arguments) are ignored.
    assert config_to_options(dict(config, dropout=0.5, name="x")) == (
        validate_options(OPTIONS)
    )


def test_config_to_options_names_a_missing_argument():
    config = options_to_config(OPTIONS)
    del config["lstm_units"]
    with pytest.raises(ValueError, match="`lstm_units`.*lstm.dim"):
        config_to_options(config)


def test_options_to_config_names_the_source():
    with pytest.raises(ValueError, match="in my.json: `lstm.dim` is missing"):
        options_to_config(_with("lstm.dim", _with), source="my.json")
