"""`keras-elmo warm-state PRESET TEXT`."""

import numpy as np

from keras_elmo.cli.main import main
from keras_elmo.models.elmo import ELMo
from keras_elmo.presets.warm_state import WARM_UP_HASH_KEY
from keras_elmo.presets.warm_state import compute_warm_state
from keras_elmo.presets.warm_state import read_warm_state
from keras_elmo.presets.warm_state import text_sha256
from tests.fixtures.make_tiny_elmo import write_tiny_elmo

WARM_UP = "The first sentence .\n\n  And a  second one .\n"
SENTENCES = [
    ["The", "first", "sentence", "."],
    ["And", "a", "second", "one", "."],
]


def _preset(tmp_path):
    directory = tmp_path / "model" / "preset"  # a TF Serving model layout
    write_tiny_elmo(directory, seed=3, use_skip_connections=True)
    (directory / "lm_weights.hdf5").rename(directory / "weights.hdf5")
    return directory


def test_writes_the_warm_state_and_its_text(tmp_path, capsys):
    preset = _preset(tmp_path)
    text = tmp_path / "warm_up.txt"
    text.write_text(WARM_UP, encoding="utf-8")
    # The model directory names its preset/ (local_preset_path).
    assert main(["warm-state", str(preset.parent), str(text)]) == 0
    out = capsys.readouterr().out
    assert f"Wrote {preset / 'warm_state.npz'}" in out
    assert "after 2 sentences (9 tokens)" in out
    model = ELMo.from_preset(str(preset))
    expected = compute_warm_state(model, SENTENCES)
    state = read_warm_state(preset / "warm_state.npz")
    assert sorted(state) == sorted(model.bilm.warm_state_names())
    for name, vector in expected.items():
        np.testing.assert_allclose(state[name], vector, atol=1e-6)
    # The preset keeps the text its hash names.
    assert (preset / "warm_up.txt").read_text(encoding="utf-8") == (
        "The first sentence .\nAnd a second one .\n"
    )
    with np.load(preset / "warm_state.npz") as data:
        assert str(data[WARM_UP_HASH_KEY]) == text_sha256(SENTENCES)
    # A warm model of the preset starts from it.
    warm = ELMo.from_preset(str(preset), initial_state="warm")
    np.testing.assert_allclose(
        warm.bilm.get_warm_state()["forward_lstm_0_h"],
        expected["forward_lstm_0_h"],
        atol=1e-6,
    )
    assert not [p.name for p in preset.iterdir() if ".tmp" in p.name]


def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys):
    preset = _preset(tmp_path)
    before = sorted(p.name for p in preset.iterdir())
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n", encoding="utf-8")
    binary = tmp_path / "latin1.txt"
    binary.write_bytes(b"ok line\ncaf\xe9\n")
    cases = [
        (
            [str(preset), str(tmp_path / "missing.txt")],
            "Warm-up text not found",
        ),
        ([str(preset), str(empty)], "holds no token"),
        ([str(preset), str(binary)], "latin1.txt:2: not UTF-8"),
        (
            ["elmo_tiny_en", str(empty)],
            "must be a local preset directory",
        ),
        ([str(tmp_path), str(binary)], "latin1.txt:2"),
    ]
    for argv, message in cases:
        assert main(["warm-state", *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in preset.iterdir()) == before
