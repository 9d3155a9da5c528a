import numpy as np
import pytest

beam = pytest.importorskip("apache_beam")

from apache_beam.testing.util import assert_that  # noqa: E402

from keras_elmo.beam.model_handler import ELMoModelHandler  # noqa: E402
from keras_elmo.beam.sentence_parser import Sentence  # noqa: E402
from keras_elmo.beam.sentence_parser import sentence_positions  # noqa: E402
from keras_elmo.inference.elmo_embedder import ELMoEmbedder  # noqa: E402
from tests.presets.preset_server import write_tiny_preset  # noqa: E402


def test_batches_are_sized_by_token_budget():
    handler = ELMoModelHandler("unused", batch_size=8, max_tokens_per_batch=20)
    kwargs = handler.batch_elements_kwargs()
    assert kwargs["max_batch_weight"] == 20
    assert kwargs["element_size_fn"] is sentence_positions
    assert kwargs["min_batch_size"] == kwargs["max_batch_size"] == 8
    lengths = [1, 16, 3, 3, 3, 30, 2, 2, 2, 2, 2, 2, 2, 2, 2]
    sentences = [
        Sentence("a.txt", i, ("w",) * n) for i, n in enumerate(lengths)
    ]

    def check(batches):
        seen = sorted(s.line for batch in batches for s in batch)
        assert seen == list(range(len(lengths)))
        for batch in batches:
            weight = sum(sentence_positions(s) for s in batch)
            # Over the budget only alone (a 30-token sentence).
            assert weight <= 20 or len(batch) == 1, batch
            assert len(batch) <= 8

    with beam.Pipeline() as pipeline:
        batches = (
            pipeline
            | beam.Create(sentences, reshuffle=False)
            | beam.BatchElements(**kwargs)
        )
        assert_that(batches, check)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"output": "mean"}, "`output` must be one of"),
        ({"batch_size": 0}, "batch_size"),
        ({"max_tokens_per_batch": -1}, "max_tokens_per_batch"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ELMoModelHandler("elmo_tiny_en", **kwargs)


@pytest.mark.large
def test_run_inference_is_the_embedder(tmp_path):
    preset = str(write_tiny_preset(tmp_path / "tiny", seed=1))
    handler = ELMoModelHandler(preset, output="elmo")
    model = handler.load_model()
    batch = [
        Sentence("a.txt", 1, ("The", "cat", "sat", ".")),
        Sentence("a.txt", 2, ("Hello",)),
    ]
    results = handler.run_inference(batch, model)
    assert [r.example for r in results] == batch
    expected = ELMoEmbedder.from_preset(preset).embed_sentences(
        [list(s.tokens) for s in batch], output="elmo"
    )
    for result, array in zip(results, expected):
        np.testing.assert_allclose(result.inference, array, atol=1e-6)
    assert handler.get_num_bytes(batch) == 15
