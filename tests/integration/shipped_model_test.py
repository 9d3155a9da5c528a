"""The shipped preset loads by name, and agrees with its SavedModel."""

import json

import h5py
import numpy as np
import pytest
import tensorflow as tf

from keras_elmo.cli.main import main
from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
from tests.test_case import REPO_ROOT

MODEL_DIR = REPO_ROOT / "saved_models" / "elmo_tiny_en" / "preset"
SERVING_DIR = REPO_ROOT / "saved_models" / "elmo_tiny_en"
SENTENCES = ["The president spoke to Congress .", "Call me Ishmael ."]


@pytest.fixture(scope="module")
def embedder():
    return ELMoEmbedder.from_preset("elmo_tiny_en")


def test_model_card_numbers_are_the_measured_ones():
    # Written by tools/package_pretrained_model.py, which measures the
    # preset as shipped (keras-elmo perplexity reproduces these numbers).
    metrics = json.loads((MODEL_DIR / "metadata.json").read_text())["metrics"]
    card = (MODEL_DIR / "README.md").read_text()
    for text in ("heldout", "out_of_domain"):
        for model in (
            "kneser_ney_trigram",
            "kneser_ney_bigram",
            "unigram_add_one",
        ):
            assert f"| {metrics[text][model]['perplexity']:.1f} |" in card
        assert f"**{metrics[text]['bilm']['perplexity']:.1f}**" in card


def test_the_card_names_the_settings_of_the_run():
    # The card's train command is the packaging script's, from the run's
    # own record, and names what a recipe's defaults may no longer give.
    from tools.package_pretrained_model import train_command

    metadata = json.loads((MODEL_DIR / "metadata.json").read_text())
    command = train_command(
        metadata["training"],
        "runs/elmo_tiny_en",
        "saved_models/elmo_tiny_en/preset/options.json",
    )
    assert command == metadata["reproduce"]["train"]
    assert command in (MODEL_DIR / "README.md").read_text()
    config = metadata["training"]["config"]
    assert "--softmax full" in command and metadata["training"]["full_softmax"]
    assert f"--learning-rate {config['learning_rate']:g}" in command
    assert f"--batch-size {config['batch_size']}" in command


def test_the_language_model_ships_with_its_softmax():
    from keras_elmo.models.elmo_language_model import ELMoLanguageModel
    from keras_elmo.presets import resolve_preset

    lm = ELMoLanguageModel.from_preset("elmo_tiny_en")
    vocabulary = resolve_preset("elmo_tiny_en").vocabulary()
    assert lm.vocab_size == len(vocabulary) == 37_296


def test_hdf5_and_savedmodel_agree(embedder):
    vectors = embedder.embed_sentences(SENTENCES, output="all")
    assert vectors[0].shape == (3, 6, 256)
    loaded = tf.saved_model.load(str(SERVING_DIR / "1"))
    served = loaded.signatures["serving_default"](
        sentences=tf.constant(SENTENCES)
    )
    for i, sentence in enumerate(SENTENCES):
        n = len(sentence.split())
        np.testing.assert_allclose(
            served["lstm_outputs2"][i, :n], vectors[i][2], atol=1e-5
        )
        np.testing.assert_allclose(
            served["word_emb"][i, :n], vectors[i][0][:, :128], atol=1e-5
        )


@pytest.mark.large
def test_raw_text_is_split_the_way_the_corpus_was(embedder, tmp_path):
    # The preset's text_tokenizer.json is the corpus tokenizer's mode.
    assert embedder.text_tokenizer == TextTokenizer(mode="moses")
    text = "Mr. Smith said it's well-known."
    tokens = ["Mr.", "Smith", "said", "it", "'s", "well-known", "."]
    (raw,) = embedder.embed_sentences([text], output="elmo", tokenize=True)
    (listed,) = embedder.embed_sentences([tokens], output="elmo")
    np.testing.assert_allclose(raw, listed, atol=1e-6)
    # keras-elmo embed --tokenize: one row per corpus token.
    lines = tmp_path / "raw.txt"
    lines.write_text(text + "\n", encoding="utf-8")
    out = tmp_path / "vectors.hdf5"
    argv = ["embed", str(lines), str(out), "--model", "elmo_tiny_en"]
    assert main(argv + ["--tokenize", "--elmo", "--no-progress"]) == 0
    with h5py.File(out, "r") as f:
        assert f["0"].shape == (len(tokens), 256)
