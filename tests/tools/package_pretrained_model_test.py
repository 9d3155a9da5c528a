"""tools/package_pretrained_model.py end to end, on a tiny generated run."""

import argparse
import json
import os
import random

import h5py
import numpy as np
import pytest
import tensorflow as tf

from keras_elmo.cli import perplexity_command
from keras_elmo.cli.main import main as cli_main
from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
from keras_elmo.preprocessing.word_vocabulary import build_vocabulary
from keras_elmo.training.trainer import train_language_model
from keras_elmo.training.training_config import TrainingConfig
from tests.training.training_fixtures import TINY_OPTIONS
from tools import conll_to_text
from tools import package_pretrained_model as package

WORDS = "the a cat dog sat ran on under mat log big small".split()


def _write_text(path, sentences, seed):
    rng = random.Random(seed)
    with open(path, "w") as f:
        for _ in range(sentences):
            f.write(" ".join(rng.choices(WORDS, k=rng.randint(2, 7))) + "\n")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("package")
    os.makedirs(root / "data" / "train")
    _write_text(root / "data" / "train" / "part-0.txt", 120, 0)
    _write_text(root / "data" / "heldout.txt", 20, 1)
    conll = root / "data" / "ood.conll"
    conll.write_text("Big\tADJ\ncats\tNOUN\n\nA\tDET\nzebra\tNOUN\nran\tVERB\n")
    build_vocabulary(
        str(root / "data" / "train" / "*.txt"),
        output_path=str(root / "data" / "vocab.txt"),
        min_count=2,
    )
    stats = {
        "sentences": 140,
        "tokens": 600,
        "splits": {
            "train": {
                "sentences": 120,
                "tokens": 550,
                "files": ["train/part-0.txt"],
            },
            "heldout": {
                "sentences": 20,
                "tokens": 50,
                "files": ["heldout.txt"],
            },
        },
        "vocabulary": {"file": "vocab.txt", "size": 14},
        "sources": {
            "words": {
                "registry": "none",
                "package": "generated",
                "license": "CC0",
                "description": "generated words",
                "tokens": 600,
            }
        },
    }
    (root / "data" / "stats.json").write_text(json.dumps(stats))
    config = TrainingConfig(
        train_files=str(root / "data" / "train" / "*.txt"),
        vocabulary=str(root / "data" / "vocab.txt"),
        options=TINY_OPTIONS,
        batch_size=4,
        unroll_steps=5,
        steps=6,
        checkpoint_every=3,
        jit_compile=False,
    )
    train_language_model(root / "run", config, verbose=0)
    return root


def _package(root, destination, *extra):
    data = root / "data"
    ood = data / "ood.txt"
    conll_to_text.main([str(data / "ood.conll"), str(ood)])
    return package.main(
        [
            str(root / "run"),
            str(destination),
            "--heldout",
            str(data / "heldout.txt"),
            "--out-of-domain",
            str(ood),
            "--train",
            str(data / "train" / "*.txt"),
            "--corpus-stats",
            str(data / "stats.json"),
            "--name",
            "tiny",
            *extra,
        ]
    )


@pytest.mark.large
def test_package_writes_a_preset_that_reproduces_its_card(tiny_run, capsys):
    destination = tiny_run / "preset"
    serving = tiny_run / "serving"
    assert _package(tiny_run, destination, "--serving-dir", str(serving)) == 0
    assert sorted(os.listdir(serving)) == ["1"]
    assert sorted(os.listdir(destination)) == [
        "README.md",
        "metadata.json",
        "options.json",
        "text_tokenizer.json",
        "vocabulary.txt",
        "weights.hdf5",
    ]
    # The corpus tokenizer ships with the model, and with its SavedModel
    # for clients (the run recorded none: the corpus tools' Moses mode).
    moses = TextTokenizer(mode="moses")
    assert TextTokenizer.load(destination) == moses
    assert TextTokenizer.load(serving / "1" / "assets.extra") == moses
    metadata = json.loads((destination / "metadata.json").read_text())
    assert metadata["training"]["steps_trained"] == 6
    assert metadata["softmax"]["dtype"] == "float32"
    assert metadata["corpus"]["tokens"] == 600
    assert set(metadata["corpus"]["file_sha256"]) == {
        "train/part-0.txt",
        "heldout.txt",
        "vocab.txt",
    }
    with h5py.File(destination / "weights.hdf5", "r") as f:
        assert f["softmax/W"].shape == (15, 4)  # 12 words + 3; projection 4
    # `keras-elmo perplexity PRESET FILE` gives the card's numbers.
    capsys.readouterr()
    for name, text in (
        ("heldout", "heldout.txt"),
        ("out_of_domain", "ood.txt"),
    ):
        path = str(tiny_run / "data" / text)
        assert (
            cli_main(
                [
                    "perplexity",
                    str(destination),
                    path,
                    "--train",
                    str(tiny_run / "data" / "train" / "*.txt"),
                    "--json",
                ]
            )
            == 0
        )
        printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        recorded = metadata["metrics"][name]
        np.testing.assert_allclose(
            printed["bilm"]["perplexity"], recorded["bilm"]["perplexity"]
        )
        for key in package.BASELINE_LABELS:
            np.testing.assert_allclose(
                printed[key]["perplexity"], recorded[key]["perplexity"]
            )
        card = (destination / "README.md").read_text()
        assert f"**{recorded['bilm']['perplexity']:.1f}**" in card
        trigram = recorded["kneser_ney_trigram"]
        assert f"| {trigram['forward']:.1f} |" in card
    assert metadata["metrics"]["out_of_domain"]["targets"] == 7
    assert (
        metadata["metrics"]["out_of_domain"]["unknown_tokens"] == 4
    )  # Big, cats, A, zebra
    assert "keras-elmo train --recipe adam" in card
    assert "A run of 6 steps, packaged at step 6 (its final export)" in card
    assert f"keras-elmo perplexity {destination} " in card
    assert oct(os.stat(destination).st_mode & 0o777) == "0o755"
    # The preset loads by the preset API, as a language model too.
    from keras_elmo.models.elmo_language_model import ELMoLanguageModel

    lm = ELMoLanguageModel.from_preset(str(destination))
    assert lm.vocab_size == 15
    # The TF Serving version loads and embeds.
    served = tf.saved_model.load(str(serving / "1"))
    outputs = served.signatures["serving_default"](
        sentences=tf.constant(["the cat sat"])
    )
    assert outputs["elmo"].shape[:2] == (1, 3)


@pytest.mark.large
def test_float16_softmax_and_size_limit(tiny_run):
    destination = tiny_run / "preset16"
    assert _package(tiny_run, destination, "--softmax-dtype", "float16") == 0
    with h5py.File(destination / "weights.hdf5", "r") as f:
        assert f["softmax/W"].dtype == np.float16
        assert f["softmax/b"].dtype == np.float16
    metadata = json.loads((destination / "metadata.json").read_text())
    assert metadata["softmax"]["dtype"] == "float16"
    # The metadata is measured on the float16 file (perplexity reloads it).
    args = argparse.Namespace(
        mode="sentences",
        batch_size=64,
        unroll_steps=20,
        max_tokens_per_batch=4096,
        no_baselines=True,
        train=None,
    )
    got = perplexity_command.measure(
        str(destination), str(tiny_run / "data" / "heldout.txt"), args
    )
    np.testing.assert_allclose(
        got["bilm"]["perplexity"],
        metadata["metrics"]["heldout"]["bilm"]["perplexity"],
    )
    # Too large: an error, and the existing preset is untouched.
    before = (destination / "metadata.json").read_bytes()
    with pytest.raises(ValueError, match="max-megabytes"):
        _package(
            tiny_run,
            destination,
            "--softmax-dtype",
            "float32",
            "--max-megabytes",
            "0.001",
        )
    assert (destination / "metadata.json").read_bytes() == before


def test_not_a_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a training run"):
        package.main(
            [str(tmp_path), str(tmp_path / "x"), "--heldout", "nothing.txt"]
        )
