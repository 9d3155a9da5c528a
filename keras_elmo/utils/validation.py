"""Argument checks shared by layers, losses and the data pipeline."""

import numbers
import os

import numpy as np


def check_positive_int(value, name):
    """`value` as an int, or a `ValueError` naming the argument.

    Args:
        value: the argument (an int or NumPy integer; not a bool).
        name: str. The argument's name, for the message.

    Returns:
        `int(value)`.

    Example:

    >>> check_positive_int(8192, "num_negative_samples")
    8192
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < 1
    ):
        raise ValueError(
            f"`{name}` must be a positive int. Received: {name}={value!r}"
        )
    return int(value)


def check_finite(array, source, name):
    """Raise a `ValueError` naming `source` and `name` if `array` has a
    NaN or an infinity.

    A weight or layer-mix value that is not finite makes every output NaN
    without an error, so it is refused when it is read.

    Args:
        array: array-like of numbers.
        source: str or path-like. The file it was read from.
        name: str. The dataset or field, e.g. `"RNN_0/.../kernel"`.

    Returns:
        `array`, unchanged.

    Example:

    >>> check_finite([0.5, 1.0], "layer_mix.json", "gamma")
    [0.5, 1.0]
    """
    values = np.asarray(array)
    if values.dtype.kind in "fc" and not np.all(np.isfinite(values)):
        bad = int(values.size - np.count_nonzero(np.isfinite(values)))
        raise ValueError(
            f"{os.fspath(source)}: '{name}' holds {bad} non-finite value(s) "
            "(NaN or infinity); the file is corrupt or was written from a "
            "diverged model."
        )
    return array
