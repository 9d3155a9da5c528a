"""`keras-elmo build-vocab`, `train`, `perplexity` and `export-hdf5`."""

import json
import os

import numpy as np
import pytest

from keras_elmo.cli.main import build_parser
from keras_elmo.cli.main import main
from keras_elmo.models.elmo import ELMo
from keras_elmo.preprocessing.word_vocabulary import build_vocabulary
from keras_elmo.preprocessing.word_vocabulary import load_vocabulary
from keras_elmo.training import trainer
from keras_elmo.training.data import make_lm_dataset
from keras_elmo.training.perplexity import evaluate_perplexity
from tests.training.tensorboard_test import read_scalars
from tests.training.training_fixtures import FIXTURE_OPTIONS
from tests.training.training_fixtures import FIXTURE_WEIGHTS
from tests.training.training_fixtures import TINY_OPTIONS
from tests.training.training_fixtures import TRAIN_DATA
from tests.training.training_fixtures import TRAIN_VOCABULARY
from tests.training.training_fixtures import shared_run


def _character_ids(batch_size=4):
    x, _ = next(
        iter(
            make_lm_dataset(
                str(TRAIN_DATA),
                str(TRAIN_VOCABULARY),
                batch_size=batch_size,
                unroll_steps=10,
                shuffle=False,
            )
        )
    )
    return x["character_ids"]


def test_commands_are_registered():
    commands = build_parser()._subparsers._group_actions[0].choices
    for name in ("build-vocab", "train", "perplexity", "export-hdf5"):
        assert name in commands


def test_build_vocab(tmp_path, capsys):
    output = tmp_path / "vocab.txt"
    code = main(
        [
            "build-vocab",
            str(TRAIN_DATA),
            "--output",
            str(output),
            "--max-size",
            "20",
            "--no-progress",
        ]
    )
    assert code == 0
    assert f"Wrote 20 tokens to {output}" in capsys.readouterr().out
    expected = build_vocabulary(str(TRAIN_DATA), max_size=20)
    assert load_vocabulary(output) == expected
    assert expected[:3] == ["<S>", "</S>", "<UNK>"]


def test_build_vocab_of_a_bad_glob_is_one_clear_line(tmp_path, capsys):
    code = main(
        [
            "build-vocab",
            str(tmp_path / "none" / "*.txt"),
            "--output",
            str(tmp_path / "vocab.txt"),
        ]
    )
    assert code == 2
    error = capsys.readouterr().err
    assert error.startswith("keras-elmo build-vocab: error: No file matches")
    assert "Traceback" not in error


def _train_arguments(run_dir, *extra):
    return [
        "train",
        "--train",
        str(TRAIN_DATA),
        "--vocabulary",
        str(TRAIN_VOCABULARY),
        "--output-dir",
        str(run_dir),
        "--batch-size",
        "4",
        "--unroll-steps",
        "10",
        "--negative-samples",
        "16",
        "--no-jit",
        "--quiet",
        *extra,
    ]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--train", "/nonexistent/*.txt"], "No file matches"),
        (["--validation", "/nonexistent/*.txt"], "No file matches"),
        (["--vocabulary", "{vocab_without_unk}"], "<UNK>"),
        (
            ["--text-tokenizer", "/nonexistent/text_tokenizer.json"],
            "Tokenizer config not found",
        ),
    ],
)
def test_train_bad_input_is_one_clear_line(tmp_path, capsys, extra, message):
    vocabulary = tmp_path / "vocab.txt"
    vocabulary.write_text("<S>\n</S>\nthe\n")
    options_file = tmp_path / "options.json"
    options_file.write_text(json.dumps(TINY_OPTIONS))
    extra = [e.format(vocab_without_unk=vocabulary) for e in extra]
    code = main(
        _train_arguments(
            tmp_path / "run", "--options", str(options_file), "--steps", "1"
        )
        + extra
    )
    assert code == 2
    error = capsys.readouterr().err
    assert error.startswith("keras-elmo train: error:")
    assert message in error
    assert not (tmp_path / "run").exists()  # failed before training


@pytest.mark.large
def test_fine_tune_the_fixture_model(tmp_path, monkeypatch):
    # bilm-tf's "restart": the converted fixture biLM continues training on
    # the fixture corpus. Its weights start equal to the fixture's (the
    # softmax, absent from the file, starts fresh) and change.
    initial = []
    load = trainer.load_bilm_weights

    def recording_load(model, weight_file):
        load(model, weight_file)
        initial.extend(w.numpy() for w in model.weights)

    monkeypatch.setattr(trainer, "load_bilm_weights", recording_load)
    run_dir = tmp_path / "run"
    code = main(
        _train_arguments(
            run_dir,
            "--init-from",
            str(FIXTURE_OPTIONS),
            str(FIXTURE_WEIGHTS),
            "--validation",
            str(TRAIN_DATA),
            "--steps",
            "30",
            "--checkpoint-every",
            "15",
            "--log-every",
            "5",
        )
    )
    assert code == 0
    fixture = ELMo.from_bilm_hdf5(str(FIXTURE_OPTIONS), str(FIXTURE_WEIGHTS))
    assert len(initial) == len(fixture.weights)
    for value, weight in zip(initial, fixture.weights):
        np.testing.assert_array_equal(
            value, weight.numpy(), err_msg=weight.path
        )
    export_dir = run_dir / "export"
    with open(export_dir / "options.json") as f:
        assert (
            json.load(f)["lstm"]
            == json.loads(FIXTURE_OPTIONS.read_text())["lstm"]
        )
    tuned = ELMo.from_bilm_hdf5(
        str(export_dir / "options.json"), str(export_dir / "weights.hdf5")
    )
    changed = [
        not np.allclose(got.numpy(), weight.numpy())
        for got, weight in zip(tuned.weights, fixture.weights)
    ]
    assert sum(changed) > len(changed) // 2
    for got in tuned.weights:
        assert np.all(np.isfinite(got.numpy())), got.path
    # The held-out perplexity improves as the new softmax is learned.
    validation = read_scalars(run_dir / "logs" / "validation")["perplexity"]
    assert [step for step, _ in validation] == [15, 30]
    assert validation[1][1] < validation[0][1]


@pytest.mark.large
def test_perplexity_command(capsys):
    _, result = shared_run()
    code = main(
        [
            "perplexity",
            result["export_dir"],
            str(TRAIN_DATA),
            "--mode",
            "windows",
            "--batch-size",
            "4",
            "--unroll-steps",
            "10",
            "--no-baselines",
            "--json",
        ]
    )
    assert code == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    expected = evaluate_perplexity(
        result["export_dir"],
        str(TRAIN_DATA),
        mode="windows",
        batch_size=4,
        unroll_steps=10,
    )
    assert printed["bilm"].keys() == expected.keys()
    for key, value in expected.items():
        if key != "mode":
            np.testing.assert_allclose(printed["bilm"][key], value, rtol=1e-6)
    # The trainer's last validation: same batches, same weights.
    np.testing.assert_allclose(
        printed["bilm"]["perplexity"],
        result["history"]["val_perplexity"][-1],
        rtol=1e-5,
    )
    # The default: whole sentences, next to the n-gram baselines trained on
    # the given text (a table).
    code = main(
        [
            "perplexity",
            result["export_dir"],
            str(TRAIN_DATA),
            "--train",
            str(TRAIN_DATA),
        ]
    )
    assert code == 0
    table = capsys.readouterr().out
    sentences = evaluate_perplexity(result["export_dir"], str(TRAIN_DATA))
    assert "biLM (sentences)" in table
    assert f"{sentences['perplexity']:9.1f}" in table
    for label in ("Kneser-Ney trigram", "Kneser-Ney bigram", "unigram"):
        assert label in table
    code = main(
        [
            "perplexity",
            result["export_dir"],
            str(TRAIN_DATA),
            "--mode",
            "windows",
        ]
    )
    assert code == 2
    assert "fewer tokens than one batch" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "perplexity",
                result["export_dir"],
                str(TRAIN_DATA),
                "--batch-size",
                "0",
            ]
        )
    assert exit_info.value.code == 2
    assert "must be a positive integer" in capsys.readouterr().err


@pytest.mark.large
def test_export_hdf5_command(tmp_path, capsys):
    run_dir, result = shared_run()
    destination = tmp_path / "model"
    assert main(["export-hdf5", str(run_dir), str(destination)]) == 0
    assert "Exported" in capsys.readouterr().out
    assert sorted(os.listdir(destination)) == [
        "metadata.json",
        "options.json",
        "vocabulary.txt",
        "weights.hdf5",
    ]
    with open(destination / "options.json") as f:
        assert json.load(f)["char_cnn"]["n_characters"] == 262
    elmo = ELMo.from_bilm_hdf5(
        str(destination / "options.json"), str(destination / "weights.hdf5")
    )
    character_ids = _character_ids()
    got = elmo(character_ids)
    expected = result["model"].elmo(character_ids)
    np.testing.assert_allclose(got["layers"], expected["layers"], atol=1e-6)
    # A directory that is not a run: one clear line.
    assert main(["export-hdf5", str(tmp_path), str(tmp_path / "x")]) == 2
    assert "is not a training run" in capsys.readouterr().err


@pytest.mark.parametrize("steps", ["0", "-5"])
def test_train_non_positive_steps_is_an_error(tmp_path, capsys, steps):
    # Issue 14: `--steps 0` exported a random model with rc 0.
    run_dir = tmp_path / "run"
    code = main(
        [
            "train",
            "--train",
            str(tmp_path / "*.txt"),
            "--vocabulary",
            str(tmp_path / "vocab.txt"),
            "--output-dir",
            str(run_dir),
            "--preset",
            "elmo_small_en",
            "--steps",
            steps,
        ]
    )
    assert code == 2
    error = capsys.readouterr().err
    assert "`steps` must be a positive int" in error
    assert "Traceback" not in error
    assert not run_dir.exists()


def test_train_recipe_flags():
    from keras_elmo.cli.train_command import config_from_args

    def config(*extra):
        args = build_parser().parse_args(
            [
                "train",
                "--train",
                "t/*.txt",
                "--vocabulary",
                "v.txt",
                "--output-dir",
                "run",
                "--preset",
                "elmo_small_en",
                "--steps",
                "10",
                *extra,
            ]
        )
        return config_from_args(args)

    default = config()
    assert (default.recipe, default.optimizer) == ("adam", "adam")
    assert (default.softmax, default.batch_size) == ("auto", 32)
    assert default.learning_rate == 4e-3
    original = config("--recipe", "bilm_tf")
    assert (original.optimizer, original.learning_rate) == ("adagrad", 0.2)
    assert (original.num_negative_samples, original.dropout) == (8192, 0.1)
    tuned = config("--learning-rate", "4e-3", "--dropout", "0.1")
    assert (tuned.learning_rate, tuned.dropout) == (4e-3, 0.1)
    # Asking for negatives means the sampled softmax.
    sampled = config("--negative-samples", "16")
    assert (sampled.softmax, sampled.num_negative_samples) == ("sampled", 16)
    assert config("--softmax", "full").softmax == "full"


@pytest.mark.large
def test_perplexity_finds_the_baselines_of_a_train_export(
    tmp_path, monkeypatch, capsys
):
    # `keras-elmo train` with relative file names, then `keras-elmo
    # perplexity EXPORT FILE` from elsewhere, without --train: the export's
    # metadata names the training text, so the n-gram baselines run.
    options = tmp_path / "options.json"
    options.write_text(json.dumps(TINY_OPTIONS))
    monkeypatch.chdir(TRAIN_DATA.parent)
    code = main(
        [
            "train",
            "--train",
            TRAIN_DATA.name,
            "--validation",
            TRAIN_DATA.name,
            "--vocabulary",
            TRAIN_VOCABULARY.name,
            "--options",
            str(options),
            "--output-dir",
            str(tmp_path / "run"),
            "--batch-size",
            "2",
            "--unroll-steps",
            "5",
            "--steps",
            "1",
            "--no-jit",
            "--quiet",
        ]
    )
    assert code == 0
    export_dir = tmp_path / "run" / "export"
    metadata = json.loads((export_dir / "metadata.json").read_text())
    assert metadata["training"] == {
        "train_files": [str(TRAIN_DATA)],
        "validation_files": [str(TRAIN_DATA)],
    }
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["perplexity", str(export_dir), str(TRAIN_DATA)]) == 0
    table = capsys.readouterr().out
    assert "skipped" not in table
    for label in ("Kneser-Ney trigram", "Kneser-Ney bigram", "unigram"):
        assert label in table
