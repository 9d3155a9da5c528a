"""`ELMoLanguageModel` on the JAX backend, in this process: `fit`, mixed
bfloat16, and the sampler without float64 or int64.

Run under `KERAS_BACKEND=jax` (the TensorFlow-free CI); skipped on other
backends, whose steps tests/models/elmo_language_model_test.py and
tests/models/language_model_backends_test.py cover.
"""

import keras
import numpy as np
import pytest

from tests.without_tensorflow.language_model_fixtures import lm_batch
from tests.without_tensorflow.language_model_fixtures import tiny_language_model

pytestmark = pytest.mark.skipif(
    keras.config.backend() != "jax", reason="runs under KERAS_BACKEND=jax"
)


def first_occurrences(values, limit):
    """The distinct `values` in order of first occurrence, at most `limit`."""
    _, first = np.unique(values, return_index=True)
    return values[np.sort(first)][:limit]


def test_sampler_needs_no_float64_or_int64():
    import jax

    from keras_elmo.layers import softmax_losses

    if jax.config.jax_enable_x64:
        pytest.skip("JAX runs with x64 here")
    # `id * num_draws`, TensorFlow's int64 sort keys, overflows int32 here.
    num_sampled, num_draws, num_classes = 4096, 8192, 793471
    # float64 is not available: the float32 scheme draws the same ids.
    draws = {
        dtype: np.asarray(
            softmax_losses._inverse_cdf_draws(
                num_draws, num_classes, seed=5, uniform_dtype=dtype
            )
        )
        for dtype in ("float64", "float32")
    }
    np.testing.assert_array_equal(draws["float64"], draws["float32"])
    sample = softmax_losses.sample_log_uniform(
        num_sampled,
        num_classes,
        seed=5,
        num_draws=num_draws,
        uniform_dtype="float64",
    )
    expected = first_occurrences(draws["float64"], num_sampled)
    valid = np.asarray(sample.valid)
    assert valid.sum() == len(expected) > 2000
    np.testing.assert_array_equal(np.asarray(sample.ids)[valid], expected)


@pytest.mark.large
def test_fit_lowers_the_loss_and_advances_the_seeds():
    keras.utils.set_random_seed(0)
    model = tiny_language_model(
        {"dropout": 0.1}, num_negative_samples=8, dropout=0.1, seed=1
    )
    model.compile()
    x, y = lm_batch(seed=2, batch=8)
    before = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    seeds = [np.asarray(v) for v in model.non_trainable_variables]
    history = model.fit(x, y, batch_size=4, epochs=6, verbose=0).history
    after = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)

    assert history["loss"][-1] < history["loss"][0], history
    assert np.all(np.isfinite(history["gradient_norm"])), history
    assert after["perplexity"] < before["perplexity"], (before, after)
    # The dropout and sampler seed generators advanced in the stateless
    # step and came back to the model.
    assert seeds and all(
        not np.array_equal(seed, np.asarray(v))
        for seed, v in zip(seeds, model.non_trainable_variables)
    )


@pytest.mark.large
def test_mixed_bfloat16_fit():
    keras.utils.set_random_seed(0)
    model = tiny_language_model(
        {"dtype": "mixed_bfloat16"},
        num_negative_samples=8,
        seed=1,
        dtype="mixed_bfloat16",
    )
    model.compile()
    x, y = lm_batch(seed=3)
    history = model.fit(x, y, batch_size=2, epochs=2, verbose=0).history
    for name in ("loss", "perplexity", "gradient_norm"):
        assert np.all(np.isfinite(history[name])), (name, history)
    assert model(x)["forward"].dtype == "bfloat16"
    for variable in model.trainable_variables:
        assert variable.dtype == "float32", variable.path
