"""Argument types and groups shared by the commands (bad values fail early).

A value that can only fail later (a zero batch size divides by zero, a zero
chunk size writes an empty file) is refused by `argparse` with the usual
one-line usage error, before TensorFlow is imported or a file is touched.
"""

import argparse


def positive_int(text):
    """`argparse` type: an int >= 1.

    Example:

    ```python
    parser.add_argument("--batch-size", type=positive_int, default=64)
    ```
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer, got {value}"
        )
    return value


def limit(text):
    """`argparse` type: a positive int, or `none` for no limit (`None`).

    Example:

    ```python
    parser.add_argument("--max-tokens-per-request", type=limit)
    ```
    """
    if text.lower() == "none":
        return None
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer or 'none', got {text!r}"
        ) from None


def add_output_choice(parser, descriptions):
    """Add `--all`, `--top`, `--average` and `--elmo` (one of them) as
    `args.output`, the layer choices `embed` and `embed-corpus` share.

    Args:
        parser: argparse.ArgumentParser. The command's parser.
        descriptions: dict choice -> help text, in the order to list them
            (what the command writes for that choice).

    Example:

    >>> add_output_choice(parser, {"all": "every layer", "top": "the top"})
    """
    layers = parser.add_mutually_exclusive_group()
    for name, text in descriptions.items():
        layers.add_argument(
            f"--{name}",
            dest="output",
            action="store_const",
            const=name,
            help=text,
        )
