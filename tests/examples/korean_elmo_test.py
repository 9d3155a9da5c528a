"""examples/korean_elmo.py on the vendored Korean text, tiny (the CI run).

Raw Korean text -> `keras-elmo tokenize` -> `train` -> `ELMoEmbedder` ->
SavedModel in a fresh process -> Keras classifiers, in one pass.
"""

import json
import math
import runpy

import pytest

from keras_elmo.preprocessing.text_tokenizer import TextTokenizer
from tests.test_case import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "korean_elmo.py"


@pytest.mark.large
def test_tiny_korean_run(tmp_path, capsys):
    main = runpy.run_path(str(EXAMPLE))["main"]
    work_dir = tmp_path / "korean"
    results = main(
        [
            "--work-dir", str(work_dir),
            "--size", "tiny",
            "--steps", "160",
            "--seeds", "1",
            "--epochs", "2",
        ]
    )  # fmt: skip
    # The vendored text's eojeol: 1 of 2,177 exceeds 16 syllables (48 of
    # the 50 byte positions); after punctuation split, none does.
    lengths = results["lengths"]
    assert lengths["eojeol"]["count"] == 2177
    assert lengths["eojeol"]["max_characters"] == 24
    assert round(lengths["eojeol"]["share_cut"] * 2177) == 1
    assert lengths["tokens"]["count"] == 2536
    assert lengths["tokens"]["share_cut"] == 0.0

    # The model directory records the tokenizer that made its corpus.
    model_dir = work_dir / "run" / "export"
    assert TextTokenizer.load(model_dir) == TextTokenizer()

    # It learned: below the add-one unigram perplexity on its training text.
    bilm = results["bilm"]
    assert bilm["train_perplexity"] < bilm["train_unigram_perplexity"]
    assert math.isfinite(bilm["test_perplexity"])

    # Raw sentences (one with a BOM, one with an 18-syllable eojeol): the
    # embedder and the SavedModel in a fresh process agree.
    assert results["embedded_tokens"] == [3, 3, 10]
    assert results["served_sequence_len"] == [3, 3, 10]
    assert results["served_max_abs_difference"] <= 1e-5
    assets = work_dir / "served" / "1" / "assets.extra"
    assert TextTokenizer.load(assets) == TextTokenizer()
    metadata = json.loads((assets / "keras_elmo.json").read_text())
    assert metadata["text_tokenizer"] == TextTokenizer().get_config()

    classifier = results["classifier"]
    assert classifier["train_sentences"] + classifier["test_sentences"] > 150
    for name in ("words", "words_elmo", "elmo"):
        assert 0.0 <= classifier[name][0] <= 1.0
    output = capsys.readouterr().out
    assert "perplexity train" in output and "majority" in output
