"""`keras-elmo`: the command line. Parsing only; each command calls the API.

Each command lives in its own module exposing `add_parser(subparsers)`
(which sets `func` to the module's `run(args)`).
"""

import argparse
import importlib
import sys

from keras_elmo.version import __version__

COMMAND_MODULES = (
    "keras_elmo.cli.embed_command",
    "keras_elmo.cli.tokenize_command",
    "keras_elmo.cli.build_vocab_command",
    "keras_elmo.cli.train_command",
    "keras_elmo.cli.perplexity_command",
    "keras_elmo.cli.export_hdf5_command",
    "keras_elmo.cli.export_command",
    "keras_elmo.cli.convert_command",
)


def build_parser():
    """The argument parser with every available command."""
    parser = argparse.ArgumentParser(
        prog="keras-elmo",
        description="ELMo contextual word vectors with Keras: embed text, "
        "train and export biLMs.",
    )
    parser.add_argument(
        "--version", action="version", version=f"keras-elmo {__version__}"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue  # command not part of this build
        module.add_parser(subparsers)
    return parser


def main(argv=None):
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except (
        ValueError,
        FileNotFoundError,
        FileExistsError,
        TypeError,
    ) as error:
        # Bad input: one clear line, not a stack trace.
        print(f"keras-elmo {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
