"""Softmax losses for biLM pretraining, with an XLA-compilable sampled softmax.

bilm-tf trains its biLM with `tf.nn.sampled_softmax_loss` and the default
`tf.random.log_uniform_candidate_sampler(unique=True)`: once per call, a set
of `num_sampled` distinct negative classes is drawn from the log-uniform
(Zipf) distribution over ids sorted by decreasing frequency,

    P(c) = log((c + 2) / (c + 1)) / log(num_classes + 1),

and the logits are corrected by subtracting `log Q(c)`, where `Q(c)` is the
sampler's "expected count" of class `c`; sampled classes equal to the label
("accidental hits") are removed from the negatives. TF's candidate sampler
ops have no XLA kernel, so they cannot run in a `jit_compile=True` train
step. This module reimplements the same sampler with plain tensor ops.

Sampling scheme (`unique=True`), and why. TF draws i.i.d. classes, skipping
the ones already drawn, until it holds `num_sampled` distinct classes, and
uses `Q(c) = 1 - (1 - P(c)) ** num_tries` with the random number of draws
`num_tries` that this took. That loop has a random, unbounded trip count
(no static shapes for XLA), and its formula is only an approximation: the
inclusion probability of a class in the first `num_sampled` distinct
classes of a sequence of draws has no closed form (simulated on a 50-word
vocabulary with 40 negatives, the importance-weighted sum
`sum_{c in sample} exp(l_c) / Q(c)` overestimates `sum_c exp(l_c)` by 3%).
Here instead:

1. A *fixed* number `num_draws` of i.i.d. classes is drawn at once by
   inverting the CDF, `id = floor(exp(u * log(num_classes + 1))) - 1` with
   `u ~ U[0, 1)` (in float64, so that the ~1e-7-wide tail intervals of a
   793k vocabulary are resolved; float32 `u` would quantise them).
2. Duplicates are dropped with one sort (keys `id * num_draws + position`
   are distinct, so no stable sort is needed) and the distinct classes are
   compacted, in draw order, into a static `[num_sampled]` vector with a
   scatter; unused slots are marked invalid and masked out of the loss.

The set is then "the distinct classes among `num_draws` i.i.d. draws", whose
inclusion probability is exactly `Q(c) = 1 - (1 - P(c)) ** num_draws`, so
`exp(logit - log Q)` gives exact (Horvitz-Thompson) importance weights and
the corrected logits are TF's formula evaluated at `num_tries = num_draws`.
`default_num_draws` picks the largest `num_draws` for which more than
`num_sampled` distinct classes is a >6-sigma event (or `num_sampled`
draws, which can never overflow the slots), so the slots are well used:
for bilm-tf's 8192 negatives over 793,471 words, 15,263 draws give 7,846
distinct negatives on average (96% of the slots; TF's loop gives exactly
8192). If more than `num_sampled` distinct classes do appear, the first
`num_sampled` are kept and `num_tries` becomes the number of draws that gave
them, exactly as TF's rejection loop would do with the same draws. With a
large `num_draws` this is the normal case and the sampler reproduces TF's
distribution and correction exactly (pass e.g. `num_draws=16 * num_sampled`
for bilm-tf parity). The expected count then follows TF's
`ExpectedCountHelper`, including its shortcut `Q(c) = num_sampled * P(c)`
when a cut-short set needed exactly `num_sampled` draws. With
`unique=False` (sampling with replacement), `Q(c) = num_sampled * P(c)` is
the exact expected number of occurrences; an accidental hit is then removed
in every copy (TF removes one copy of a duplicated candidate only).

The float64 uniforms need a backend with float64 support (CPU, GPU; not
TPU: XLA's TPU backend has no float64; not JAX unless `jax_enable_x64` is
set, which there makes `uniform_dtype="float64"` use the float32 scheme
below). `uniform_dtype="float32"` draws
the same distribution without any float64 op, for TPUs: two float32
uniforms give 46 random bits, `u = 1 - w` with
`w = (2**23 - floor(2**23 * u_hi) - u_lo) / 2**23` in `(0, 1]`, and
`id = floor((V + 1) * exp(-w * log(V + 1))) - 1`. Working with `w` puts
float32's precision where the tail needs it (`w` near 0, `u` near 1): the
computed `(V + 1) * exp(...)` is within a few float32 ulps of the exact
value (about 0.1 for a 793k vocabulary, against intervals of width 1), so
only draws within that distance of an interval boundary can land on the
neighbouring id, an error that is not systematic.

Labels: a negative label (conventionally `-1`) means "no target" (padding):
its loss is 0 and it gets no gradient; `masked_mean` excludes it. Labels
must otherwise lie in `[0, num_classes)`; out-of-range labels cannot be
checked inside a compiled graph and give undefined results.

All losses are computed in float32 whatever the dtype of the inputs.
Random ops take a `seed` as `keras.random` does: an int (deterministic,
stateless) or a `keras.random.SeedGenerator` (fresh samples at every call,
also inside `tf.function(jit_compile=True)`).
"""

import functools
import math
from typing import NamedTuple

import keras
import numpy as np
from keras import ops

from keras_elmo.utils.validation import check_positive_int

# Logit given to removed negatives (accidental hits, unused sample slots).
# Finite, so that no inf/NaN can appear in a backward pass; exp() of it
# relative to any real logit underflows to exactly 0 in float32.
_MASKED_LOGIT = -1e30

# Number of standard deviations of the number of distinct classes that the
# default `num_draws` keeps between its mean and `num_sampled`.
_NUM_DRAWS_SIGMAS = 6.0
# Upper bound of the default `num_draws`, in units of `num_sampled`.
_NUM_DRAWS_FACTOR = 16


class LogUniformSample(NamedTuple):
    """A set of negative classes drawn by `sample_log_uniform`.

    The expected count of a class `c` for this sample is
    `num_tries * P(c)` if `with_replacement`, else
    `1 - (1 - P(c)) ** num_tries` (see `log_uniform_expected_count`).

    Attributes:
        ids: int32 tensor `[num_sampled]`: the sampled classes, in draw
            order. Entries where `valid` is `False` are 0 and are ignored.
        valid: bool tensor `[num_sampled]`: `True` for a sampled class.
        num_tries: int32 scalar tensor: number of i.i.d. draws that produced
            `ids`.
        with_replacement: bool scalar tensor: which expected-count formula
            applies (TF's `num_tries == num_sampled` test).
    """

    ids: object
    valid: object
    num_tries: object
    with_replacement: object


def _check_sampler_args(num_sampled, num_classes, unique):
    num_sampled = check_positive_int(num_sampled, "num_sampled")
    num_classes = check_positive_int(num_classes, "num_classes")
    if unique and num_sampled > num_classes:
        raise ValueError(
            "Unique sampling needs `num_sampled <= num_classes`. Received: "
            f"num_sampled={num_sampled}, num_classes={num_classes}"
        )
    return num_sampled, num_classes


def log_uniform_probability(ids, num_classes):
    """Probability of each id under the log-uniform (Zipf) sampler.

    `P(c) = log((c + 2) / (c + 1)) / log(num_classes + 1)` for
    `c` in `[0, num_classes)`; the probabilities sum to 1. This is the
    distribution of `tf.random.log_uniform_candidate_sampler`, suited to ids
    sorted by decreasing frequency.

    Args:
        ids: int tensor of any shape, values in `[0, num_classes)`.
        num_classes: int. Size of the vocabulary.

    Returns:
        float32 tensor of the shape of `ids`.

    Example:

    ```python
    p = log_uniform_probability(keras.ops.arange(5), num_classes=5)
    # sums to 1; p[0] = log(2) / log(6)
    ```
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    ids = ops.cast(ids, "float32")
    # log((c + 2) / (c + 1)) = log1p(1 / (c + 1)), accurate for large c.
    return ops.log1p(1.0 / (ids + 1.0)) / math.log(num_classes + 1.0)


def log_uniform_expected_count(ids, num_classes, num_tries, with_replacement):
    """Expected count `Q(c)` of each id after `num_tries` log-uniform draws.

    `num_tries * P(c)`, the expected number of occurrences, if
    `with_replacement`; else `1 - (1 - P(c)) ** num_tries`, the probability
    that `c` occurs at least once. TF's `ExpectedCountHelper` is this with
    `with_replacement = (num_tries == num_sampled)`.

    Args:
        ids: int tensor of any shape, values in `[0, num_classes)`.
        num_classes: int. Size of the vocabulary.
        num_tries: int scalar (tensor or Python). Number of i.i.d. draws.
        with_replacement: bool scalar (tensor or Python). Formula to use.

    Returns:
        float32 tensor of the shape of `ids`.

    Example:

    ```python
    q = log_uniform_expected_count([0, 9], 10, num_tries=7,
                                   with_replacement=False)
    ```
    """
    p = log_uniform_probability(ids, num_classes)
    num_tries = ops.cast(num_tries, "float32")
    expected_occurrences = num_tries * p
    # Numerically stable 1 - (1 - p) ** num_tries.
    inclusion = -ops.expm1(num_tries * ops.log1p(-p))
    return ops.where(
        ops.cast(with_replacement, "bool"), expected_occurrences, inclusion
    )


@functools.lru_cache(maxsize=64)
def default_num_draws(num_sampled, num_classes):
    """Default number of i.i.d. draws of unique log-uniform sampling.

    The largest `n` in `[num_sampled, 16 * num_sampled]` such that `n` draws
    contain more than `num_sampled` distinct classes only in a >6-sigma
    event, so that the set is almost always "all distinct classes among `n`
    draws" (exact expected counts) while filling most of the
    `num_sampled` slots. Mean and variance of the number of distinct
    classes are computed from the log-uniform probabilities (the variance
    with the Poissonisation formula of the occupancy problem,
    `sum pi (1 - pi) - n (sum p (1 - p) ** (n - 1)) ** 2`, accurate to a few
    percent here). `n = num_sampled` needs no such argument: `n` draws
    never hold more than `n` distinct classes.

    Args:
        num_sampled: int. Number of slots for distinct classes.
        num_classes: int. Size of the vocabulary.

    Returns:
        int. E.g. 15263 for 8192 slots over 793,471 classes (7,846 distinct
        classes on average).

    Example:

    ```python
    default_num_draws(8192, 793471)  # 15263
    ```
    """
    num_sampled, num_classes = _check_sampler_args(
        num_sampled, num_classes, True
    )
    ids = np.arange(num_classes, dtype=np.float64)
    p = np.log1p(1.0 / (ids + 1.0)) / math.log(num_classes + 1.0)
    log_complement = np.log1p(-p)

    def safe(num_draws):
        if num_draws <= num_sampled:
            return True
        missing = np.exp(num_draws * log_complement)  # (1 - p) ** n
        mean = float((1.0 - missing).sum())
        variance = float((missing * (1.0 - missing)).sum()) - num_draws * (
            float((p * missing / (1.0 - p)).sum()) ** 2
        )
        std = math.sqrt(max(variance, 0.0))
        return mean + _NUM_DRAWS_SIGMAS * std <= num_sampled

    low, high = num_sampled, _NUM_DRAWS_FACTOR * num_sampled
    while low < high:  # largest `n` in [low, high] with `safe(n)`
        mid = (low + high + 1) // 2
        if safe(mid):
            low = mid
        else:
            high = mid - 1
    return low


_UNIFORM_DTYPES = ("float64", "float32")
# Random bits kept from each float32 uniform (TF draws 23-bit mantissas).
_FLOAT32_UNIFORM_BITS = 23


def _inverse_cdf_draws(num_draws, num_classes, seed, uniform_dtype):
    """`num_draws` i.i.d. log-uniform ids, int32 `[num_draws]`."""
    if uniform_dtype not in _UNIFORM_DTYPES:
        raise ValueError(
            f"`uniform_dtype` must be one of {_UNIFORM_DTYPES}. Received: "
            f"uniform_dtype={uniform_dtype!r}"
        )
    log_range = math.log(num_classes + 1.0)
    if uniform_dtype == "float64" and _float64_available():
        u = keras.random.uniform((num_draws,), dtype="float64", seed=seed)
        draws = ops.floor(ops.exp(u * log_range))  # [draws]
    else:
        draws = log_uniform_float32_draws(
            keras.random.uniform((2, num_draws), dtype="float32", seed=seed),
            num_classes,
        )
    # `exp` may round up to num_classes + 1 for u close to 1: clip.
    return ops.clip(ops.cast(draws, "int32") - 1, 0, num_classes - 1)


def _float64_available():
    """Whether the backend computes in float64: not JAX without x64.

    JAX, unless `jax_enable_x64` is set, makes every float64 array float32;
    the float64 inverse CDF `floor(exp(u * log(V + 1)))` would then draw
    from a 24-bit `u` and quantise the tail. There the sampler uses the
    float32 two-uniform scheme (`log_uniform_float32_draws`) instead.
    """
    if keras.config.backend() != "jax":
        return True
    import jax

    return bool(jax.config.jax_enable_x64)


def _first_occurrence_order(draws, num_draws):
    """A permutation sorting `draws` by id, equal ids in draw order."""
    if keras.config.backend() == "tensorflow":
        # `tf.argsort` is not stable: sort distinct keys instead.
        positions = ops.arange(num_draws, dtype="int64")  # [draws]
        keys = ops.cast(draws, "int64") * num_draws + positions  # [draws]
        return ops.cast(ops.argsort(keys), "int32")  # [draws]
    # Keras sorts stably on JAX (`jnp.argsort`) and PyTorch
    # (`torch.argsort(stable=True)`); JAX without x64 has no int64 for
    # the keys, whose `id * num_draws` exceeds int32 for large vocabularies.
    return ops.cast(ops.argsort(draws), "int32")  # [draws]


def log_uniform_float32_draws(uniforms, num_classes):
    """`floor((V + 1) ** u)` from two float32 uniforms, without float64.

    `u = 1 - w` with `w = (2**23 - floor(2**23 * hi) - lo) / 2**23`: 46
    random bits, and `w` is accurate in relative terms where the tail of
    the distribution needs it (`w` near 0).

    Args:
        uniforms: float32 tensor `[2, n]` of `U[0, 1)` values `(hi, lo)`.
        num_classes: int. `V`.

    Returns:
        float32 tensor `[n]`: `floor((V + 1) ** u)`, in `[1, V + 1]`
        (subtract 1 and clip for ids).

    Example:

    ```python
    x = log_uniform_float32_draws(keras.random.uniform((2, 5)), 1000)
    ```
    """
    scale = float(2**_FLOAT32_UNIFORM_BITS)
    hi = ops.floor(uniforms[0] * scale)  # [n], integers in [0, 2**23)
    w = ((scale - hi) - uniforms[1]) / scale  # [n], in (0, 1]
    return ops.floor(
        (num_classes + 1.0) * ops.exp(-w * math.log(num_classes + 1.0))
    )  # [n]


def sample_log_uniform(
    num_sampled,
    num_classes,
    seed=None,
    unique=True,
    num_draws=None,
    uniform_dtype="float64",
):
    """Draw negative classes from the log-uniform sampler, XLA-compilably.

    The distribution of `tf.random.log_uniform_candidate_sampler`, written
    with plain tensor ops of static shapes so that it compiles under
    `tf.function(jit_compile=True)`. With `unique=True`, returns the
    distinct classes among `num_draws` i.i.d. draws in draw order (the
    first `num_sampled` of them if there are more); see the module
    docstring for the scheme and its expected counts.

    Args:
        num_sampled: int. Number of classes (slots) to sample.
        num_classes: int. Size of the vocabulary; ids are in
            `[0, num_classes)`.
        seed: int, `keras.random.SeedGenerator` or None. Passed to
            `keras.random.uniform`. Use a `SeedGenerator` inside compiled
            functions to get fresh samples at every call. Defaults to
            `None` (Keras' global generator; eager use only).
        unique: bool. Sample without duplicates (as bilm-tf) if `True`,
            with replacement if `False`. Defaults to `True`.
        num_draws: int or None. Number of i.i.d. draws of unique sampling
            (ignored if `unique=False`). A large value (e.g.
            `16 * num_sampled`) reproduces TF's sampler exactly. Defaults
            to `default_num_draws(num_sampled, num_classes)`.
        uniform_dtype: `"float64"` or `"float32"`. Precision of the inverse
            CDF. `"float32"` uses no float64 op (TPUs have none); see the
            module docstring. Defaults to `"float64"`.

    Returns:
        A `LogUniformSample(ids, valid, num_tries, with_replacement)`.

    Example:

    ```python
    sample = sample_log_uniform(8192, 793471, seed=1)
    sample.ids.shape  # (8192,)
    ```
    """
    num_sampled, num_classes = _check_sampler_args(
        num_sampled, num_classes, unique
    )
    if not unique:
        num_draws = num_sampled
    elif num_draws is None:
        num_draws = default_num_draws(num_sampled, num_classes)
    else:
        num_draws = check_positive_int(num_draws, "num_draws")

    # Inverse CDF of the log-uniform distribution, as TF's LogUniformSampler.
    draws = _inverse_cdf_draws(num_draws, num_classes, seed, uniform_dtype)
    if not unique:
        return LogUniformSample(
            ids=draws,
            valid=ops.ones((num_sampled,), dtype="bool"),
            num_tries=ops.convert_to_tensor(num_sampled, dtype="int32"),
            with_replacement=ops.convert_to_tensor(True),
        )

    # First occurrence of each class in draw order, with one sort.
    order = _first_occurrence_order(draws, num_draws)  # [draws]
    sorted_ids = ops.take(draws, order)  # [draws]
    first_in_sorted = ops.concatenate(
        [
            ops.ones((1,), dtype="int32"),
            ops.cast(sorted_ids[1:] != sorted_ids[:-1], "int32"),
        ]
    )  # [draws]
    # `order` is a permutation, so the scatter has no collisions.
    is_first = ops.scatter(
        ops.expand_dims(order, -1), first_in_sorted, (num_draws,)
    )  # [draws]
    # Number of distinct classes among the draws up to and including i.
    num_distinct = ops.cumsum(is_first)  # [draws]
    selected = ops.logical_and(is_first == 1, num_distinct <= num_sampled)
    # Compact the selected draws into slots 0..num_sampled-1 (draw order);
    # the others go to a scratch slot `num_sampled`, dropped afterwards.
    slots = ops.where(selected, num_distinct - 1, num_sampled)  # [draws]
    ids = ops.scatter(
        ops.expand_dims(slots, -1),
        ops.where(selected, draws, 0),
        (num_sampled + 1,),
    )[:num_sampled]  # [num_sampled]
    valid = ops.arange(num_sampled, dtype="int32") < ops.minimum(
        num_distinct[-1], num_sampled
    )  # [num_sampled]
    # Draws that TF's rejection loop would make: up to the one giving the
    # `num_sampled`-th distinct class, or all of them if that never happens.
    num_tries = ops.minimum(
        ops.sum(ops.cast(num_distinct < num_sampled, "int32")) + 1,
        num_draws,
    )
    # Cut short: TF's sample and TF's formula, incl. its shortcut. Not cut
    # short: all distinct classes of `num_draws` draws, exact inclusion.
    cut_short = num_tries < num_draws
    with_replacement = ops.logical_and(cut_short, num_tries == num_sampled)
    return LogUniformSample(
        ids=ids,
        valid=valid,
        num_tries=ops.cast(num_tries, "int32"),
        with_replacement=with_replacement,
    )


def _flatten(weights, biases, hidden, labels):
    weights = ops.cast(weights, "float32")  # [classes, dim]
    biases = ops.cast(biases, "float32")  # [classes]
    dim = weights.shape[-1]
    if len(weights.shape) != 2 or len(biases.shape) != 1:
        raise ValueError(
            "`weights` must have shape [num_classes, dim] and `biases` "
            f"[num_classes]. Received: weights.shape={weights.shape}, "
            f"biases.shape={biases.shape}"
        )
    if hidden.shape[-1] is not None and dim is not None:
        if hidden.shape[-1] != dim:
            raise ValueError(
                "The last dimension of `hidden` must equal the second "
                f"dimension of `weights` ({dim}). Received: "
                f"hidden.shape={hidden.shape}"
            )
    if len(hidden.shape) != len(labels.shape) + 1:
        raise ValueError(
            "`hidden` must have one more dimension than `labels` "
            f"([..., dim] and [...]). Received: hidden.shape={hidden.shape}, "
            f"labels.shape={labels.shape}"
        )
    flat_hidden = ops.reshape(ops.cast(hidden, "float32"), (-1, dim))
    flat_labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
    return weights, biases, flat_hidden, flat_labels


def softmax_logits(weights, biases, hidden):
    """Full-vocabulary logits `hidden @ weights^T + biases`, in float32.

    Args:
        weights: float tensor `[num_classes, dim]`.
        biases: float tensor `[num_classes]`.
        hidden: float tensor `[..., dim]`.

    Returns:
        float32 tensor `[..., num_classes]`.

    Example:

    ```python
    logits = softmax_logits(w, b, keras.random.normal((2, 5, 16)))
    ```
    """
    weights = ops.cast(weights, "float32")  # [classes, dim]
    hidden = ops.cast(hidden, "float32")  # [..., dim]
    return ops.matmul(hidden, ops.transpose(weights)) + ops.cast(
        biases, "float32"
    )  # [..., classes]


def full_softmax_loss(weights, biases, hidden, labels):
    """Exact negative log-likelihood of `labels` under the full softmax.

    Args:
        weights: float tensor `[num_classes, dim]`.
        biases: float tensor `[num_classes]`.
        hidden: float tensor `[..., dim]`.
        labels: int tensor `[...]`; negative = no target.

    Returns:
        float32 tensor `[...]`: `logsumexp(logits) - logits[label]`, and 0
        where `labels < 0`.

    Example:

    ```python
    losses = full_softmax_loss(w, b, hidden, labels)  # (batch, tokens)
    ```
    """
    labels = ops.convert_to_tensor(labels)
    hidden = ops.convert_to_tensor(hidden)
    weights, biases, flat_hidden, flat_labels = _flatten(
        weights, biases, hidden, labels
    )
    has_target = flat_labels >= 0  # [n]
    safe_labels = ops.where(has_target, flat_labels, 0)  # [n]
    logits = softmax_logits(weights, biases, flat_hidden)  # [n, classes]
    true_logits = ops.take_along_axis(
        logits, ops.expand_dims(safe_labels, -1), axis=-1
    )[:, 0]  # [n]
    losses = ops.logsumexp(logits, axis=-1) - true_logits  # [n]
    losses = ops.where(has_target, losses, 0.0)  # [n]
    return ops.reshape(losses, ops.shape(labels))


def sampled_softmax_loss(
    weights,
    biases,
    hidden,
    labels,
    num_sampled,
    num_classes,
    seed=None,
    unique=True,
    remove_accidental_hits=True,
    num_draws=None,
    sample=None,
    uniform_dtype="float64",
):
    """Sampled softmax loss with log-uniform negatives, XLA-compilable.

    The loss of `tf.nn.sampled_softmax_loss` with its default log-uniform
    sampler (as used by bilm-tf), with the XLA-compilable sampler of
    `sample_log_uniform`: one set of negatives is shared by all positions;
    the true and sampled logits are corrected by `-log Q(c)`; sampled classes
    equal to a position's label are removed from that position's negatives;
    the loss is the softmax cross-entropy of the true class against them.
    It is an underestimate of the full softmax loss that converges to it as
    `num_sampled` grows (a biased but consistent estimator), meant for
    training only.

    Args:
        weights: float tensor `[num_classes, dim]`.
        biases: float tensor `[num_classes]`.
        hidden: float tensor `[..., dim]`.
        labels: int tensor `[...]`; negative = no target.
        num_sampled: int. Number of negative classes per call.
        num_classes: int. Size of the vocabulary.
        seed: int, `keras.random.SeedGenerator` or None. See
            `sample_log_uniform`. Defaults to `None`.
        unique: bool. Negatives without duplicates (TF's default). Defaults
            to `True`.
        remove_accidental_hits: bool. Defaults to `True`.
        num_draws: int or None. See `sample_log_uniform`. Defaults to
            `None`.
        sample: `LogUniformSample` or None. Use these negatives instead of
            drawing new ones (then `seed`, `unique` and `num_draws` are
            unused). Defaults to `None`.
        uniform_dtype: `"float64"` or `"float32"` (no float64 op, for
            TPUs). See `sample_log_uniform`. Defaults to `"float64"`.

    Returns:
        float32 tensor `[...]`: per-position loss, 0 where `labels < 0`.

    Example:

    ```python
    seed = keras.random.SeedGenerator(1)
    losses = sampled_softmax_loss(w, b, hidden, labels, 8192, 793471, seed)
    loss = masked_mean(losses, labels)
    ```
    """
    num_sampled = check_positive_int(num_sampled, "num_sampled")
    num_classes = check_positive_int(num_classes, "num_classes")
    labels = ops.convert_to_tensor(labels)
    hidden = ops.convert_to_tensor(hidden)
    weights, biases, flat_hidden, flat_labels = _flatten(
        weights, biases, hidden, labels
    )
    if weights.shape[0] is not None and weights.shape[0] != num_classes:
        raise ValueError(
            "`weights` must have `num_classes` rows. Received: "
            f"weights.shape={weights.shape}, num_classes={num_classes}"
        )
    if sample is None:
        sample = sample_log_uniform(
            num_sampled, num_classes, seed, unique, num_draws, uniform_dtype
        )
    elif not isinstance(sample, LogUniformSample):
        raise TypeError(
            "`sample` must be a `LogUniformSample` or None. Received: "
            f"sample of type {type(sample).__name__}"
        )
    sampled_ids = ops.cast(sample.ids, "int32")  # [sampled]
    if sampled_ids.shape[0] is not None and sampled_ids.shape[0] != (
        num_sampled
    ):
        raise ValueError(
            "`sample.ids` must have `num_sampled` entries. Received: "
            f"sample.ids.shape={sampled_ids.shape}, num_sampled={num_sampled}"
        )

    has_target = flat_labels >= 0  # [n]
    safe_labels = ops.where(has_target, flat_labels, 0)  # [n]
    true_count = log_uniform_expected_count(
        safe_labels, num_classes, sample.num_tries, sample.with_replacement
    )  # [n]
    sampled_count = log_uniform_expected_count(
        sampled_ids, num_classes, sample.num_tries, sample.with_replacement
    )  # [sampled]

    true_weights = ops.take(weights, safe_labels, axis=0)  # [n, dim]
    true_logits = (
        ops.sum(flat_hidden * true_weights, axis=-1)
        + ops.take(biases, safe_labels)
        - ops.log(true_count)
    )  # [n]
    sampled_weights = ops.take(weights, sampled_ids, axis=0)  # [sampled, dim]
    sampled_logits = (
        ops.matmul(flat_hidden, ops.transpose(sampled_weights))
        + ops.take(biases, sampled_ids)
        - ops.log(sampled_count)
    )  # [n, sampled]
    keep = ops.expand_dims(ops.cast(sample.valid, "bool"), 0)  # [1, sampled]
    if remove_accidental_hits:
        hits = ops.expand_dims(sampled_ids, 0) == ops.expand_dims(
            safe_labels, -1
        )  # [n, sampled]
        keep = ops.logical_and(keep, ops.logical_not(hits))  # [n, sampled]
    sampled_logits = ops.where(keep, sampled_logits, _MASKED_LOGIT)
    logits = ops.concatenate(
        [ops.expand_dims(true_logits, -1), sampled_logits], axis=-1
    )  # [n, 1 + sampled]
    losses = ops.logsumexp(logits, axis=-1) - true_logits  # [n]
    losses = ops.where(has_target, losses, 0.0)  # [n]
    return ops.reshape(losses, ops.shape(labels))


def masked_mean(losses, labels):
    """Mean of `losses` over the positions that have a target.

    Args:
        losses: float tensor `[...]`, e.g. from `sampled_softmax_loss`.
        labels: int tensor `[...]`; positions with a negative label are
            excluded.

    Returns:
        float32 scalar; 0 if no position has a target.

    Example:

    ```python
    loss = masked_mean(full_softmax_loss(w, b, hidden, labels), labels)
    ```
    """
    has_target = ops.cast(ops.convert_to_tensor(labels) >= 0, "float32")
    losses = ops.cast(losses, "float32")
    total = ops.sum(ops.where(has_target > 0, losses, 0.0))
    return total / ops.maximum(ops.sum(has_target), 1.0)
