"""examples/sequence_tagging.py runs end to end on its toy data."""

import math
import runpy

import pytest

from tests.fixtures.generated import generated_model_dir
from tests.test_case import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "sequence_tagging.py"


@pytest.mark.large
def test_toy_run_with_original_weights(capsys):
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
    assert "NOUN" in result["tags"] and "." in result["tags"]
    assert 0.0 <= result["test_accuracy"] <= 1.0
    assert math.isfinite(result["test_accuracy"])
    output = capsys.readouterr().out
    assert "test token accuracy (144 tokens, 69 of them words" in output
    assert "no ELMo (word embeddings)" in output
    assert 0.0 <= result["baseline_accuracy"] <= 1.0
    # One predicted tag per token of the first test sentence.
    tagged = output.strip().splitlines()[-1].split()
    first_test_sentence = module_toy_data()[1][0][0]
    assert [pair.rsplit("/", 1)[0] for pair in tagged] == list(
        first_test_sentence
    )


def module_toy_data():
    return runpy.run_path(str(EXAMPLE))["toy_data"]()


def test_toy_data_holds_out_words():
    train, test = module_toy_data()
    assert (len(train), len(test)) == (80, 20)
    seen = {token for tokens, _ in train for token in tokens}
    unseen = [t for tokens, _ in test for t in tokens if t not in seen]
    assert unseen, "the test sentences must have words held out of training"
    for tokens, tags in train + test:
        assert len(tokens) == len(tags)


def test_padded_batches_match_token_counts(tmp_path):
    module = runpy.run_path(str(EXAMPLE))
    examples = [(("a", "b"), ("DET", "NOUN")), (("c",), ("VERB",))]
    batch = next(
        iter(
            module["make_dataset"](
                examples, {"DET": 0, "NOUN": 1, "VERB": 2}, 8
            )
        )
    )
    texts, tags, weights = batch
    assert [t.decode() for t in texts.numpy()] == ["a b", "c"]
    assert tags.numpy().tolist() == [[0, 1], [2, 0]]
    assert weights.numpy().tolist() == [[1.0, 1.0], [1.0, 0.0]]
    conll = tmp_path / "x.conll"
    conll.write_text("a\tDET\nb\tNOUN\n\nc\tVERB\n")
    assert module["read_conll"](conll) == [
        (("a", "b"), ("DET", "NOUN")),
        (("c",), ("VERB",)),
    ]
