"""Argument checks shared by layers, losses and the data pipeline."""

import numbers


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
