import json
import shutil

import h5py
import numpy as np
import pytest

from keras_elmo.inference.elmo_embedder import ELMoEmbedder
from keras_elmo.models.elmo import ELMo
from keras_elmo.models.sentence_markers import remove_sentence_markers
from keras_elmo.preprocessing.elmo_characters import batch_to_char_ids
from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
from tests.fixtures.make_tiny_elmo import write_tiny_elmo

SENTENCES = ["The cat sat .", "Hello", "", "a b c d e f g h"]


@pytest.fixture
def model_dir(tmp_path):
    options_file, weight_file = write_tiny_elmo(tmp_path / "src", seed=5)
    directory = tmp_path / "tiny_model"
    directory.mkdir()
    shutil.copy(options_file, directory / "options.json")
    shutil.copy(weight_file, directory / "weights.hdf5")
    return directory


def test_outputs_match_the_model_one_sentence_at_a_time(model_dir):
    embedder = ELMoEmbedder.from_preset(model_dir, batch_size=2)
    model = embedder.model
    results = embedder.embed_sentences(SENTENCES)
    for sentence, got in zip(SENTENCES, results):
        tokens = sentence.split()
        words = remove_sentence_markers(model(batch_to_char_ids([tokens])))
        assert got.shape == (3, len(tokens), 16)
        np.testing.assert_allclose(got, words["layers"][0], atol=1e-5)


def test_output_kinds(model_dir):
    embedder = ELMoEmbedder.from_preset(model_dir)
    all_layers = embedder.embed_sentence("The cat sat .")
    top = embedder.embed_sentence(["The", "cat", "sat", "."], output="top")
    average = embedder.embed_sentence("The cat sat .", output="average")
    elmo = embedder.embed_sentence("The cat sat .", output="elmo")
    np.testing.assert_allclose(top, all_layers[-1], atol=1e-6)
    np.testing.assert_allclose(average, all_layers.mean(0), atol=1e-6)
    # A fresh mix is the equal average scaled by gamma = 1.
    np.testing.assert_allclose(elmo, average, atol=1e-5)
    with pytest.raises(ValueError, match="output"):
        embedder.embed_sentence("x", output="bottom")


def test_trained_layer_mix_is_loaded(model_dir):
    weights = [0.0, 0.0, 5.0]
    (model_dir / "layer_mix.json").write_text(
        json.dumps({"scalar_weights": weights, "gamma": [2.0]})
    )
    embedder = ELMoEmbedder.from_preset(model_dir)
    layers = embedder.embed_sentence("a b c")
    mix = np.exp(weights) / np.exp(weights).sum()
    np.testing.assert_allclose(
        embedder.embed_sentence("a b c", output="elmo"),
        2.0 * np.einsum("l,lnd->nd", mix, layers),
        atol=1e-5,
    )


def test_embed_file_allennlp_layout(model_dir, tmp_path):
    text = tmp_path / "input.txt"
    text.write_text("\n".join(SENTENCES + ["Hello"]) + "\n", encoding="utf-8")
    out = tmp_path / "out.hdf5"
    embedder = ELMoEmbedder.from_preset(model_dir)
    assert embedder.embed_file(text, out, chunk_size=2) == 5
    expected = embedder.embed_sentences(SENTENCES + ["Hello"])
    with h5py.File(out, "r") as f:
        index = json.loads(f["sentence_to_index"][0])
        assert index["The cat sat ."] == "0"
        assert index["Hello"] == "4"
        for i, array in enumerate(expected):
            np.testing.assert_allclose(f[str(i)][...], array, atol=1e-6)
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        embedder.embed_file(tmp_path / "missing.txt", out)


def test_bad_input(model_dir):
    embedder = ELMoEmbedder.from_preset(model_dir)
    with pytest.raises(TypeError, match="Sentence 1"):
        embedder.embed_sentences(["ok", 3])
    with pytest.raises(ValueError, match="batch_size"):
        ELMoEmbedder(embedder.model, batch_size=0)
    with pytest.raises(ValueError, match="max_tokens_per_batch"):
        ELMoEmbedder(embedder.model, max_tokens_per_batch=0)
    assert embedder.embed_sentences([]) == []


def test_save_to_preset_round_trips_the_layer_mix(model_dir, tmp_path):
    (model_dir / "layer_mix.json").write_text(
        json.dumps({"scalar_weights": [1.0, 0.0, -1.0], "gamma": [0.5]})
    )
    embedder = ELMoEmbedder.from_preset(model_dir)
    embedder.save_to_preset(tmp_path / "copy")
    again = ELMoEmbedder.from_preset(tmp_path / "copy")
    for output in ("all", "elmo"):
        np.testing.assert_array_equal(
            again.embed_sentence("a b c", output=output),
            embedder.embed_sentence("a b c", output=output),
        )
    assert json.loads((tmp_path / "copy" / "layer_mix.json").read_text()) == {
        "scalar_weights": [1.0, 0.0, -1.0],
        "gamma": [0.5],
    }


def test_from_bilm_hdf5(model_dir):
    embedder = ELMoEmbedder.from_bilm_hdf5(
        model_dir / "options.json", model_dir / "weights.hdf5"
    )
    assert isinstance(embedder.model, ELMo)


def test_token_budget_bounds_batches(model_dir):
    embedder = ELMoEmbedder.from_preset(
        model_dir, batch_size=64, max_tokens_per_batch=12
    )
    lists = [s.split() for s in SENTENCES]
    order = sorted(range(len(lists)), key=lambda i: len(lists[i]))
    batches = list(embedder._batches(order, lists, 64))
    assert sorted(i for rows in batches for i in rows) == [0, 1, 2, 3]
    for rows in batches:
        width = max(len(lists[i]) for i in rows) + 2
        assert len(rows) == 1 or len(rows) * width <= 12
    # Same vectors as one big batch.
    big = ELMoEmbedder.from_preset(model_dir).embed_sentences(SENTENCES)
    for a, b in zip(embedder.embed_sentences(SENTENCES), big):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_raw_text_is_tokenized_on_request(model_dir):
    embedder = ELMoEmbedder.from_preset(model_dir)
    assert embedder.text_tokenizer is None
    raw = "\ufeffThe cat sat on the mat."
    tokens = ["The", "cat", "sat", "on", "the", "mat", "."]
    expected = embedder.embed_sentence(tokens)
    np.testing.assert_allclose(
        embedder.embed_sentence(raw, tokenize=True), expected, atol=1e-6
    )
    # Whitespace only (the default without a recorded tokenizer): the BOM
    # and the period stay inside tokens.
    assert embedder.embed_sentence(raw).shape[1] == 6
    assert embedder.embed_sentence(raw, tokenize=False).shape[1] == 6
    korean = TextTokenizer(split_hangul_boundaries=True)
    got = embedder.embed_sentences(["ELMo는 좋다."], tokenize=korean)[0]
    np.testing.assert_allclose(
        got, embedder.embed_sentence(["ELMo", "는", "좋다", "."]), atol=1e-6
    )
    with pytest.raises(TypeError, match="tokenize"):
        embedder.embed_sentence(raw, tokenize="yes")


def test_recorded_tokenizer_is_used_for_strings(model_dir, tmp_path):
    TextTokenizer(normalization="NFKC").save(model_dir)
    embedder = ELMoEmbedder.from_preset(model_dir)
    assert embedder.text_tokenizer == TextTokenizer(normalization="NFKC")
    np.testing.assert_allclose(
        embedder.embed_sentence("ＡＢＣ."),
        embedder.embed_sentence(["ABC", "."]),
        atol=1e-6,
    )
    # Token lists are never re-tokenized; tokenize=False splits on spaces.
    assert embedder.embed_sentence(["ＡＢＣ."]).shape[1] == 1
    assert embedder.embed_sentence("ＡＢＣ.", tokenize=False).shape[1] == 1
    text = tmp_path / "raw.txt"
    text.write_text("\ufeff고양이가 앉았다.\nＡＢＣ.\n", encoding="utf-8")
    out = tmp_path / "raw.hdf5"
    assert embedder.embed_file(text, out, output="top") == 2
    with h5py.File(out, "r") as f:
        assert f["0"].shape == (3, 16)  # 고양이가, 앉았다, .
        assert json.loads(f["sentence_to_index"][0]) == {
            "고양이가 앉았다.": "0",
            "ＡＢＣ.": "1",
        }
    with pytest.raises(TypeError, match="TextTokenizer"):
        ELMoEmbedder(embedder.model, text_tokenizer="NFC")


def test_embed_file_skips_a_leading_byte_order_mark(model_dir, tmp_path):
    text = tmp_path / "bom.txt"
    text.write_text("\ufeffHello world\n", encoding="utf-8")
    out = tmp_path / "bom.hdf5"
    embedder = ELMoEmbedder.from_preset(model_dir)
    embedder.embed_file(text, out, output="top")
    with h5py.File(out, "r") as f:
        assert json.loads(f["sentence_to_index"][0]) == {"Hello world": "0"}
        np.testing.assert_allclose(
            f["0"][...],
            embedder.embed_sentence(["Hello", "world"], output="top"),
            atol=1e-6,
        )
