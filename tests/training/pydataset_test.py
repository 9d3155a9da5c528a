"""The NumPy pipeline yields exactly the batches of the tf.data pipeline."""

import numpy as np
import pytest

from keras_elmo.training.data import make_lm_dataset
from keras_elmo.training.pydataset import count_tokens
from keras_elmo.training.pydataset import make_lm_pydataset
from tests.without_tensorflow.training_pydataset_test import VOCABULARY
from tests.without_tensorflow.training_pydataset_test import write_corpus


def check_same_batches(
    pattern, row_continuity, batch_size, unroll_steps, repeat
):
    arguments = dict(
        batch_size=batch_size,
        unroll_steps=unroll_steps,
        shuffle=False,
        repeat=repeat,
        row_continuity=row_continuity,
    )
    expected = make_lm_dataset(pattern, VOCABULARY, **arguments)
    got = make_lm_pydataset(pattern, VOCABULARY, **arguments)
    if repeat:
        # Past the end of the first pass.
        steps = 2 * count_tokens(pattern) // (batch_size * unroll_steps)
        expected = expected.take(steps)
    expected = list(expected.as_numpy_iterator())
    got = [got[i] for i in range(len(expected))] if repeat else list(got)
    assert len(got) == len(expected)
    for (x, y), (x_tf, y_tf) in zip(got, expected):
        np.testing.assert_array_equal(x["character_ids"], x_tf["character_ids"])
        for key in ("next_token_ids", "previous_token_ids"):
            np.testing.assert_array_equal(y[key], y_tf[key])
            assert y[key].dtype == np.int32


def test_same_batches_as_make_lm_dataset(tmp_path):
    # Shards with blank lines, out-of-vocabulary and non-ASCII words and
    # sentences of 1-12 words.
    pattern = write_corpus(tmp_path, files=2, lines=15)
    check_same_batches(pattern, False, 3, 5, repeat=True)


# tf.data's continuous-row pipeline (a scan) takes seconds to build.
@pytest.mark.large
@pytest.mark.parametrize("row_continuity", [False, True])
@pytest.mark.parametrize("batch_size, unroll_steps", [(1, 7), (3, 5), (4, 3)])
@pytest.mark.parametrize("repeat", [False, True])
def test_same_batches_of_other_shapes(
    tmp_path, row_continuity, batch_size, unroll_steps, repeat
):
    pattern = write_corpus(tmp_path)
    check_same_batches(
        pattern, row_continuity, batch_size, unroll_steps, repeat
    )
