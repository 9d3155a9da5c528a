"""examples/sentence_classification.py runs end to end on its toy data."""

import math
import runpy

import pytest

from tests.fixtures.generated import generated_model_dir
from tests.test_case import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "sentence_classification.py"


@pytest.mark.large
def test_toy_run_with_original_weights(tmp_path, capsys):
    fixtures = generated_model_dir()
    main = runpy.run_path(str(EXAMPLE))["main"]
    result = main(
        [
            "--options", str(fixtures / "options.json"),
            "--weights", str(fixtures / "lm_weights.hdf5"),
            "--epochs", "1",
            "--run-eagerly",
        ]
    )  # fmt: skip
    assert result["classes"] == ["negative", "positive"]
    assert 0.0 <= result["test_accuracy"] <= 1.0
    assert math.isfinite(result["test_accuracy"])
    output = capsys.readouterr().out
    assert "test accuracy (20 sentences, 8 with a word not in" in output
    assert "no ELMo (word embeddings)" in output
    assert 0.0 <= result["baseline_accuracy"] <= 1.0
    assert "the story is tiresome and dreadful ." in output


def test_toy_data_holds_out_words():
    train, test = runpy.run_path(str(EXAMPLE))["toy_data"]()
    assert (len(train), len(test)) == (60, 20)
    seen = {token for _, sentence in train for token in sentence.split()}
    unseen = [s for _, s in test if any(t not in seen for t in s.split())]
    assert len(unseen) == 8
    assert {label for label, _ in test} == {"negative", "positive"}


@pytest.mark.large
def test_tsv_input_and_model_directory(tmp_path):
    fixtures = generated_model_dir()
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "options.json").write_bytes(
        (fixtures / "options.json").read_bytes()
    )
    (model_dir / "weights.hdf5").write_bytes(
        (fixtures / "lm_weights.hdf5").read_bytes()
    )
    data = tmp_path / "train.tsv"
    data.write_text("good\tfine film .\nbad\tdull film .\ngood\tgreat .\n")
    main = runpy.run_path(str(EXAMPLE))["main"]
    result = main(
        [
            "--model", str(model_dir),
            "--train", str(data),
            "--test", str(data),
            "--epochs", "1",
            "--run-eagerly",
        ]
    )  # fmt: skip
    assert result["classes"] == ["bad", "good"]
    assert math.isfinite(result["test_accuracy"])
