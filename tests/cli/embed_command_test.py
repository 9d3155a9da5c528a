import h5py
import numpy as np
import pytest

from keras_elmo.cli.main import main
from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from tests.fixtures.make_tiny_elmo import write_tiny_elmo
from tests.presets.preset_server import PresetServer
from tests.presets.preset_server import write_tiny_preset


@pytest.fixture
def files(tmp_path):
    options_file, weight_file = write_tiny_elmo(tmp_path, seed=2)
    text = tmp_path / "in.txt"
    text.write_text("The cat sat .\nHello world\n", encoding="utf-8")
    return options_file, weight_file, text


def embed_argv(files, output, *flags):
    """`keras-elmo embed` arguments for the tiny model of `files`."""
    options_file, weight_file, text = files
    return [
        "embed",
        str(text),
        str(output),
        "--options",
        str(options_file),
        "--weights",
        str(weight_file),
        *flags,
        "--no-progress",
    ]


@pytest.mark.parametrize(
    "flag, shape", [("--all", (3, 4, 16)), ("--top", (4, 16))]
)
def test_embed(files, tmp_path, flag, shape, capsys):
    out = tmp_path / "out.hdf5"
    code = main(embed_argv(files, out, flag))
    assert code == 0
    assert "Wrote 2 sentences" in capsys.readouterr().out
    with h5py.File(out, "r") as f:
        assert f["0"].shape == shape
        assert "sentence_to_index" in f


def test_bad_input_is_one_clear_line(files, tmp_path, capsys):
    options_file, _, text = files
    code = main(
        [
            "embed",
            str(text),
            str(tmp_path / "o.hdf5"),
            "--options",
            str(options_file),
            "--weights",
            str(text),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "not a readable hdf5 file" in err
    assert "Traceback" not in err


@pytest.mark.large
def test_token_budget_flag(files, tmp_path):
    outputs = []
    for budget in ("4", "4096"):
        out = tmp_path / f"out{budget}.hdf5"
        code = main(embed_argv(files, out, "--max-tokens-per-batch", budget))
        assert code == 0
        with h5py.File(out, "r") as f:
            outputs.append([f[str(i)][...] for i in range(2)])
    # A budget of 4 positions embeds each sentence alone: same vectors.
    for alone, together in zip(*outputs):
        np.testing.assert_allclose(alone, together, atol=1e-5)


@pytest.mark.large
def test_model_takes_any_preset_handle(tmp_path, monkeypatch, capsys):
    # A built-in name, a preset directory and an http:// URL of it.
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    preset = write_tiny_preset(tmp_path / "served" / "tiny", seed=2)
    text = tmp_path / "in.txt"
    text.write_text("The cat sat .\nHello world\n", encoding="utf-8")
    outputs = {}
    with PresetServer(preset.parent) as server:
        handles = {
            "name": "elmo_tiny_en",
            "dir": str(preset),
            "url": f"{server.url}/tiny",
        }
        for key, handle in handles.items():
            out = tmp_path / f"{key}.hdf5"
            argv = ["embed", str(text), str(out), "--model", handle]
            assert main(argv + ["--elmo", "--no-progress"]) == 0
            with h5py.File(out, "r") as f:
                outputs[key] = f["0"][...]
    capsys.readouterr()
    assert outputs["name"].shape == (4, 256)
    np.testing.assert_array_equal(outputs["url"], outputs["dir"])
    # The preset's layer_mix.json gives --elmo (not an equal average).
    embedder = ELMoEmbedder.from_preset(str(preset))
    sentence = "The cat sat ."
    np.testing.assert_allclose(
        outputs["dir"], embedder.embed_sentence(sentence, "elmo"), atol=1e-6
    )
    average = embedder.embed_sentence(sentence, "average")
    assert not np.allclose(outputs["dir"], average, atol=1e-3)


@pytest.mark.parametrize("flag, tokens", [("--tokenize", 4), (None, 3)])
def test_embed_tokenize(files, tmp_path, flag, tokens):
    raw = tmp_path / "raw.txt"
    raw.write_text("\ufeffThe cat sat.\n", encoding="utf-8")
    out = tmp_path / "raw.hdf5"
    flags = ["--top"] + ([flag] if flag else [])
    assert main(embed_argv(files[:2] + (raw,), out, *flags)) == 0
    with h5py.File(out, "r") as f:
        assert f["0"].shape == (tokens, 16)  # "sat." or "sat", "."


@pytest.mark.parametrize("value", ["0", "-5"])
def test_chunk_size_is_checked_before_any_work(files, tmp_path, value, capsys):
    out = tmp_path / "out.hdf5"
    out.write_bytes(b"a good existing output")
    with pytest.raises(SystemExit) as exit_info:
        main(embed_argv(files, out, "--chunk-size", value))
    assert exit_info.value.code == 2
    assert "--chunk-size: must be a positive integer" in capsys.readouterr().err
    assert out.read_bytes() == b"a good existing output"


def test_output_equal_to_input_is_refused(files, capsys):
    text = files[2]
    before = text.read_bytes()
    assert main(embed_argv(files, text)) == 2
    assert "output file is the input" in capsys.readouterr().err
    assert text.read_bytes() == before


def test_directory_errors_are_one_clear_line(files, tmp_path, capsys):
    options_file, weight_file, _ = files
    assert main(embed_argv((options_file, weight_file, tmp_path), "o.h5")) == 2
    assert "Input is a directory" in capsys.readouterr().err
    assert main(embed_argv(files, tmp_path)) == 2
    err = capsys.readouterr().err
    assert "Output is a directory" in err and "Traceback" not in err
