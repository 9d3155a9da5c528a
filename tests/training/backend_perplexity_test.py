"""The same pretraining run on TensorFlow and JAX: the same perplexity.

Trains `PERPLEXITY_RUN` (recipe, steps, seed) on the TensorFlow backend and
on JAX (TensorFlow blocked), in fresh processes: held-out perplexities
within 5% of each other and far below the unigram model's. It also checks
the stored TensorFlow number that the TensorFlow-free CI environment
compares with (`tests/without_tensorflow/pretraining_reference.json`).
"""

import pytest

from tests.without_tensorflow.pretraining_perplexity_test import TOLERANCE
from tests.without_tensorflow.pretraining_perplexity_test import reference
from tests.without_tensorflow.pretraining_perplexity_test import train_and_score


@pytest.mark.large
def test_jax_run_scores_as_the_tensorflow_run(tmp_path):
    tensorflow = train_and_score(tmp_path, "tensorflow", block_tensorflow=False)
    jax = train_and_score(tmp_path, "jax")
    unigram = tensorflow["unigram_add_one"]["perplexity"]
    expected = tensorflow["bilm"]["perplexity"]
    assert expected < unigram / 3
    assert jax["bilm"]["perplexity"] == pytest.approx(expected, rel=TOLERANCE)
    # The stored TensorFlow number the TensorFlow-free tests compare with
    # is what TensorFlow gives (to CPU arithmetic differences).
    stored = reference()
    assert expected == pytest.approx(stored["tensorflow_perplexity"], rel=0.02)
    assert unigram == pytest.approx(stored["unigram_add_one_perplexity"])
