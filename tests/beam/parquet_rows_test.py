import numpy as np
import pytest

pytest.importorskip("apache_beam")

from apache_beam.ml.inference.base import PredictionResult  # noqa: E402

from keras_elmo.beam.parquet_rows import parquet_schema  # noqa: E402
from keras_elmo.beam.parquet_rows import to_row  # noqa: E402
from keras_elmo.beam.parquet_rows import vector_columns  # noqa: E402
from keras_elmo.beam.sentence_parser import Sentence  # noqa: E402


def test_schema():
    schema = parquet_schema("all", 2, 8)
    assert schema.names == [
        "source",
        "line",
        "tokens",
        "layer_0",
        "layer_1",
        "layer_2",
    ]
    assert str(schema.field("layer_1").type) == "list<item: float>"
    assert schema.metadata == {
        b"keras_elmo.output": b"all",
        b"keras_elmo.dim": b"8",
    }
    assert vector_columns("elmo", 2) == ["elmo"]


def test_rows_are_token_major():
    sentence = Sentence("a.txt", 3, ("a", "b"))
    vectors = np.arange(3 * 2 * 4, dtype=np.float32).reshape(3, 2, 4)
    row = to_row(PredictionResult(sentence, vectors), vector_columns("all", 2))
    assert row["tokens"] == ["a", "b"] and row["line"] == 3
    np.testing.assert_array_equal(row["layer_2"], vectors[2].reshape(-1))
    top = to_row(PredictionResult(sentence, vectors[2]), ["top"])
    np.testing.assert_array_equal(top["top"].reshape(2, 4), vectors[2])
